//! The fields an exception may compare, and how: only fields every benign alert carries and
//! that stay the same when the activity recurs (the image rather than the pod name or
//! container id; process, parent, command line, file; never pids, times or ids), each with the
//! narrowest comparison that covers every benign value: `=` for one value, `in` for a few,
//! `pmatch`/`startswith` when many share a path or command prefix, `endswith` for the remote
//! end of connections (whose local port changes every time).

use std::collections::BTreeMap;

use crate::alert::Alert;
use crate::exceptions::evaluate::{Comparator, FieldComparison, FieldLookup, Operand, lookup};

/// What a field says about the alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Where the activity runs: image, namespace.
    Location,
    /// Who acts: the process.
    Actor,
    /// What it acts on: the file or connection.
    Target,
    /// Context: the parent process.
    Lineage,
    /// Shared by most workloads: the user.
    Generic,
}

/// A field the generator may use.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The Falco field.
    pub field: &'static str,
    /// Its role.
    pub role: Role,
    /// How specific and stable it is (higher is preferred among equals).
    pub weight: u32,
    /// What it is, for the reasons given.
    pub what: &'static str,
}

/// The candidate fields, in the order a snippet lists them.
pub const CANDIDATE_FIELDS: [FieldSpec; 8] = [
    FieldSpec {
        field: "container.image.repository",
        role: Role::Location,
        weight: 5,
        what: "the image (stable across pod restarts and rollouts, unlike k8s.pod.name or container.id)",
    },
    FieldSpec { field: "k8s.ns.name", role: Role::Location, weight: 3, what: "the namespace" },
    FieldSpec { field: "proc.name", role: Role::Actor, weight: 4, what: "the process" },
    FieldSpec {
        field: "proc.cmdline",
        role: Role::Actor,
        weight: 1,
        what: "the command line (specific, but changes with its arguments)",
    },
    FieldSpec { field: "proc.pname", role: Role::Lineage, weight: 2, what: "the parent process" },
    FieldSpec { field: "fd.name", role: Role::Target, weight: 4, what: "the file or connection" },
    FieldSpec { field: "fd.directory", role: Role::Target, weight: 2, what: "the file's directory" },
    FieldSpec { field: "user.name", role: Role::Generic, weight: 0, what: "the user (shared by most workloads)" },
];

/// Fields never used, and why; reported so the choice is explained.
pub const NEVER_USED: &str = "k8s.pod.name, container.id and container.name change when pods and containers are \
     recreated; proc.pid, proc.ppid, evt.time and ids change with every event";

/// Most distinct values an `in` list takes.
pub const IN_LIMIT: usize = 5;

/// Shortest command-line prefix a `startswith` may use.
const COMMAND_PREFIX_MIN: usize = 8;

/// A usable field: how it compares and why.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The field's spec.
    pub spec: FieldSpec,
    /// The comparison covering every benign value.
    pub comparison: FieldComparison,
    /// How the values were seen, e.g. `the same in all 14 alerts`.
    pub evidence: String,
}

/// A field that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The field.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// The candidates among [`CANDIDATE_FIELDS`] for the benign alerts, and the rejected ones.
pub fn candidates(benign: &[Alert]) -> (Vec<Candidate>, Vec<Rejected>) {
    let mut usable = Vec::new();
    let mut rejected = Vec::new();
    for spec in CANDIDATE_FIELDS {
        match candidate(spec, benign) {
            Ok(candidate) => usable.push(candidate),
            Err(reason) => rejected.push(Rejected { field: spec.field.to_string(), reason }),
        }
    }
    (usable, rejected)
}

fn candidate(spec: FieldSpec, benign: &[Alert]) -> Result<Candidate, String> {
    let total = benign.len();
    let mut values: BTreeMap<String, usize> = BTreeMap::new();
    let mut absent = 0;
    for alert in benign {
        match lookup(alert, spec.field) {
            FieldLookup::Value(value) => *values.entry(value).or_default() += 1,
            _ => absent += 1,
        }
    }
    if absent > 0 {
        return Err(format!("absent from {absent} of the {total} alerts"));
    }
    let distinct: Vec<String> = values.keys().cloned().collect();
    let comparison = |comparator: Comparator, operand: Operand| FieldComparison {
        field: spec.field.to_string(),
        comparator,
        operand,
    };
    if spec.field == "fd.name" && distinct.iter().all(|value| value.contains("->")) {
        let remote_ends: Vec<&str> =
            distinct.iter().filter_map(|value| value.rsplit_once("->").map(|(_, remote)| remote)).collect();
        let first = remote_ends.first().copied().unwrap_or_default();
        if !first.is_empty() && remote_ends.iter().all(|remote| *remote == first) {
            return Ok(Candidate {
                spec,
                comparison: comparison(Comparator::EndsWith, Operand::One(format!("->{first}"))),
                evidence: format!(
                    "every connection of the {total} alerts goes to {first} (the local port changes, so the whole name \
                     would not recur)"
                ),
            });
        }
        return Err(format!("connections to {} different remote ends", distinct.len()));
    }
    if let [only] = distinct.as_slice() {
        return Ok(Candidate {
            spec,
            comparison: comparison(Comparator::Equal, Operand::One(only.clone())),
            evidence: format!("the same in all {total} alerts"),
        });
    }
    if distinct.len() <= IN_LIMIT {
        return Ok(Candidate {
            spec,
            evidence: format!("{} values across the {total} alerts", distinct.len()),
            comparison: comparison(Comparator::In, Operand::Set(distinct)),
        });
    }
    if matches!(spec.field, "fd.name" | "fd.directory")
        && let Some(prefix) = common_directory(&distinct)
    {
        return Ok(Candidate {
            spec,
            evidence: format!("{} different paths across the {total} alerts, all under {prefix}", distinct.len()),
            comparison: comparison(Comparator::PathMatch, Operand::Set(vec![prefix])),
        });
    }
    if spec.field == "proc.cmdline"
        && let Some(prefix) = common_command_prefix(&distinct)
    {
        return Ok(Candidate {
            spec,
            evidence: format!(
                "{} different command lines across the {total} alerts, all starting with {prefix:?}",
                distinct.len()
            ),
            comparison: comparison(Comparator::StartsWith, Operand::One(prefix)),
        });
    }
    Err(format!("{} different values across the {total} alerts, with no common pattern", distinct.len()))
}

/// The deepest directory (at least two components, so never `/` or `/tmp` alone) that holds
/// every path.
pub fn common_directory(paths: &[String]) -> Option<String> {
    let split: Vec<Vec<&str>> =
        paths.iter().map(|path| path.split('/').filter(|part| !part.is_empty()).collect()).collect();
    if paths.iter().any(|path| !path.starts_with('/')) {
        return None;
    }
    let first = split.first()?;
    let mut depth = 0;
    while depth < first.len() && split.iter().all(|parts| parts.len() > depth + 1 && parts[depth] == first[depth]) {
        depth += 1;
    }
    (depth >= 2).then(|| format!("/{}", first[..depth].join("/")))
}

/// The longest common prefix of the command lines, cut after a whole word (ends with a space),
/// if at least [`COMMAND_PREFIX_MIN`] characters long.
pub fn common_command_prefix(commands: &[String]) -> Option<String> {
    let first = commands.first()?;
    let mut length = first.len();
    for command in &commands[1..] {
        length = first.bytes().zip(command.bytes()).take(length).take_while(|(left, right)| left == right).count();
    }
    let cut = first.as_bytes()[..length].iter().rposition(|&byte| byte == b' ')? + 1;
    let prefix = first.get(..cut)?;
    (prefix.trim().len() >= COMMAND_PREFIX_MIN).then(|| prefix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::parse_alert;

    fn alert(fields: serde_json::Value) -> Alert {
        let text = serde_json::json!({"time": "2026-11-20T03:15:00Z", "rule": "r", "priority": "Warning", "output_fields": fields});
        parse_alert(&text.to_string(), None).expect("valid")
    }

    fn comparison_of<'a>(candidates: &'a [Candidate], field: &str) -> &'a FieldComparison {
        &candidates.iter().find(|candidate| candidate.spec.field == field).expect(field).comparison
    }

    #[test]
    fn one_value_is_equality_a_few_are_in_many_paths_are_pmatch() {
        let benign: Vec<Alert> = (0..7)
            .map(|index| {
                let process = ["rm", "shred"][index % 2];
                alert(serde_json::json!({
                    "container.image.repository": "httpd", "proc.name": process,
                    "fd.name": format!("/var/log/app/{index}.log"), "proc.cmdline": format!("rm /var/log/app/{index}.log"),
                }))
            })
            .collect();
        let (usable, rejected) = candidates(&benign);
        assert_eq!(comparison_of(&usable, "container.image.repository").operand, Operand::One("httpd".into()));
        let names = comparison_of(&usable, "proc.name");
        assert_eq!(
            (names.comparator, &names.operand),
            (Comparator::In, &Operand::Set(vec!["rm".into(), "shred".into()]))
        );
        let files = comparison_of(&usable, "fd.name");
        assert_eq!(
            (files.comparator, &files.operand),
            (Comparator::PathMatch, &Operand::Set(vec!["/var/log/app".into()]))
        );
        assert_eq!(comparison_of(&usable, "fd.directory").operand, Operand::One("/var/log/app".into()));
        // "rm /var/log/app/" cut after the last whole word is "rm ", too short to mean anything.
        assert!(
            rejected.iter().any(|entry| entry.field == "proc.cmdline" && entry.reason.contains("7 different values"))
        );
        assert!(
            rejected
                .iter()
                .any(|entry| entry.field == "k8s.ns.name" && entry.reason == "absent from 7 of the 7 alerts")
        );
    }

    #[test]
    fn connections_compare_their_remote_end() {
        let benign: Vec<Alert> = [40001, 40002]
            .iter()
            .map(|port| alert(serde_json::json!({"fd.name": format!("10.0.0.5:{port}->203.0.113.7:4444")})))
            .collect();
        let (usable, _) = candidates(&benign);
        let connection = comparison_of(&usable, "fd.name");
        assert_eq!(
            (connection.comparator, &connection.operand),
            (Comparator::EndsWith, &Operand::One("->203.0.113.7:4444".into()))
        );
        let spread: Vec<Alert> =
            ["a:1->b:2", "a:1->c:2"].iter().map(|name| alert(serde_json::json!({"fd.name": name}))).collect();
        let (_, rejected) = candidates(&spread);
        assert!(rejected.iter().any(|entry| entry.reason == "connections to 2 different remote ends"));
    }

    #[test]
    fn prefixes_stop_at_whole_components_and_words() {
        let paths = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
        assert_eq!(common_directory(&paths(&["/var/log/a", "/var/log/b/c"])), Some("/var/log".into()));
        assert_eq!(common_directory(&paths(&["/var/log/a", "/var/logs/b"])), None);
        assert_eq!(common_directory(&paths(&["/tmp/a", "/tmp/b"])), None);
        assert_eq!(common_directory(&paths(&["/var/log", "/var/log/a"])), None);
        assert_eq!(
            common_command_prefix(&paths(&["java -jar /app/report.jar --day=1", "java -jar /app/report.jar --day=2"])),
            Some("java -jar /app/report.jar ".into())
        );
        assert_eq!(common_command_prefix(&paths(&["rm a", "rm b"])), None);
    }
}
