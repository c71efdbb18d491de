//! A readable exception name from the chosen values, e.g. `httpd_rm_dpkg_log` for image
//! `httpd`, process `rm` and file `/var/log/dpkg.log`.

use super::candidates::{Candidate, Role};
use crate::exceptions::evaluate::Operand;

/// Longest generated name, in characters.
const NAME_CHARS: usize = 60;

/// `<location>_<process>_<target>` from the first value of each, lowercase `[a-z0-9_]`;
/// `saker_exception` when nothing readable remains. `taken` are names the rule already uses:
/// a clash gets `_2`, `_3`...
pub fn exception_name(chosen: &[&Candidate], taken: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for role in [Role::Location, Role::Actor, Role::Target] {
        if let Some(candidate) = chosen.iter().find(|candidate| candidate.spec.role == role) {
            let value = match &candidate.comparison.operand {
                Operand::One(value) => value.clone(),
                Operand::Set(values) => values.first().cloned().unwrap_or_default(),
                Operand::Nothing => String::new(),
            };
            let readable = match candidate.spec.field {
                "container.image.repository" | "fd.name" | "fd.directory" => last_segment(&value),
                "proc.cmdline" => value.split_whitespace().next().map(last_segment).unwrap_or_default(),
                _ => value,
            };
            let part = slug(&readable);
            if !part.is_empty() {
                parts.push(part);
            }
        }
    }
    let mut base = parts.join("_");
    if base.len() > NAME_CHARS {
        base.truncate(NAME_CHARS);
        base = base.trim_end_matches('_').to_string();
    }
    if base.is_empty() {
        base = "saker_exception".to_string();
    }
    let mut name = base.clone();
    let mut suffix = 2;
    while taken.contains(&name) {
        name = format!("{base}_{suffix}");
        suffix += 1;
    }
    name
}

/// The last `/`-separated part (`docker.io/library/httpd` → `httpd`); for a connection's remote
/// end `->203.0.113.7:4444` the address itself.
fn last_segment(value: &str) -> String {
    let value = value.trim_start_matches("->");
    value.trim_end_matches('/').rsplit('/').next().unwrap_or(value).to_string()
}

fn slug(text: &str) -> String {
    let mut slug = String::new();
    for character in text.chars().flat_map(char::to_lowercase) {
        if character.is_ascii_alphanumeric() {
            slug.push(character);
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    slug.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exceptions::evaluate::{Comparator, FieldComparison};
    use crate::exceptions::generate::candidates::CANDIDATE_FIELDS;

    fn candidate(field: &str, operand: Operand) -> Candidate {
        let spec = CANDIDATE_FIELDS.into_iter().find(|spec| spec.field == field).expect("candidate field");
        Candidate {
            spec,
            comparison: FieldComparison { field: field.into(), comparator: Comparator::Equal, operand },
            evidence: String::new(),
        }
    }

    #[test]
    fn names_location_process_and_target() {
        let image = candidate("container.image.repository", Operand::One("docker.io/library/httpd".into()));
        let process = candidate("proc.name", Operand::One("rm".into()));
        let file = candidate("fd.name", Operand::One("/var/log/dpkg.log".into()));
        assert_eq!(exception_name(&[&image, &process, &file], &[]), "httpd_rm_dpkg_log");
        assert_eq!(exception_name(&[&image, &process, &file], &["httpd_rm_dpkg_log".into()]), "httpd_rm_dpkg_log_2");
        let remote = candidate("fd.name", Operand::One("->203.0.113.7:4444".into()));
        let namespace = candidate("k8s.ns.name", Operand::One("web".into()));
        let names = candidate("proc.name", Operand::Set(vec!["bash".into(), "sh".into()]));
        assert_eq!(exception_name(&[&namespace, &names, &remote], &[]), "web_bash_203_0_113_7_4444");
        let unreadable = candidate("proc.name", Operand::One("日本".into()));
        assert_eq!(exception_name(&[&unreadable], &[]), "saker_exception");
    }
}
