//! The value of a Falco field in a stored alert: the `output_fields` entry of that name, or
//! one Saker can derive exactly from what the alert carries (the derivations of
//! `alert/dimensions.rs` and a few definitional ones); never a guess.

use serde_json::Value;

use crate::alert::{Alert, field_value_text};

/// What an alert says about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldLookup {
    /// The field's value, as text.
    Value(String),
    /// Falco reported the field but could not extract it (`null` or `<NA>`): every
    /// comparison on it is false, as in Falco.
    NotExtracted,
    /// The alert does not carry the field: comparisons on it are unknown.
    Missing,
    /// A field over every ancestor (`proc.aname`, `proc.apid` without an index): the ancestors
    /// the alert names; Falco walks the whole chain, which the alert does not carry in full.
    SomeAncestors(Vec<String>),
}

/// The lookup of `field` in `alert`.
///
/// Derivations, used only when the alert lacks the field itself:
/// - `container.image.repository` from `container.image` (without tag and digest);
/// - `k8s.ns.name` / `k8s.pod.name` from `k8smeta.ns.name` / `k8smeta.pod.name`;
/// - `proc.aname[1]`/`proc.apid[1]` from `proc.pname`/`proc.ppid` and back, and
///   `proc.aname[0]`/`proc.apid[0]` from `proc.name`/`proc.pid` (level 0 is the process);
/// - `proc.aname`/`proc.apid` without an index: the ancestors the alert names;
/// - `fd.directory` and `fd.filename` from a file path in `fd.name`;
/// - `proc.args` from `proc.cmdline` (which Falco writes as `proc.name` and the arguments).
pub fn lookup(alert: &Alert, field: &str) -> FieldLookup {
    if let Some(value) = alert.output_fields.get(field) {
        return from_json(value);
    }
    match field {
        "container.image.repository" => {
            derived_from(alert, "container.image", |_| alert.dimensions.image.clone().unwrap_or_default())
        }
        "k8s.ns.name" => direct(alert, "k8smeta.ns.name"),
        "k8s.pod.name" => direct(alert, "k8smeta.pod.name"),
        "proc.pname" => direct(alert, "proc.aname[1]"),
        "proc.ppid" => direct(alert, "proc.apid[1]"),
        "proc.aname[1]" => direct(alert, "proc.pname"),
        "proc.apid[1]" => direct(alert, "proc.ppid"),
        "proc.aname[0]" => direct(alert, "proc.name"),
        "proc.apid[0]" => direct(alert, "proc.pid"),
        "proc.aname" => ancestors(alert, "proc.pname", "proc.aname["),
        "proc.apid" => ancestors(alert, "proc.ppid", "proc.apid["),
        "fd.directory" => derived_from(alert, "fd.name", parent_directory),
        "fd.filename" => derived_from(alert, "fd.name", file_name),
        "proc.args" => derived_from(alert, "proc.cmdline", |cmdline| {
            cmdline.split_once(' ').map(|(_, arguments)| arguments.to_string()).unwrap_or_default()
        }),
        _ => FieldLookup::Missing,
    }
}

fn from_json(value: &Value) -> FieldLookup {
    match field_value_text(value) {
        None => FieldLookup::NotExtracted,
        Some(text) if text == "<NA>" => FieldLookup::NotExtracted,
        Some(text) => FieldLookup::Value(text),
    }
}

fn direct(alert: &Alert, key: &str) -> FieldLookup {
    alert.output_fields.get(key).map_or(FieldLookup::Missing, from_json)
}

/// Derives a value from another field; for `fd.name`-based derivations only from a file path.
fn derived_from(alert: &Alert, source: &str, derive: impl Fn(&str) -> String) -> FieldLookup {
    match direct(alert, source) {
        FieldLookup::Value(text) if source == "fd.name" && !text.starts_with('/') => FieldLookup::Missing,
        FieldLookup::Value(text) => FieldLookup::Value(derive(&text)),
        other => other,
    }
}

fn ancestors(alert: &Alert, parent_key: &str, indexed_prefix: &str) -> FieldLookup {
    let mut known: Vec<(u32, String)> = Vec::new();
    if let FieldLookup::Value(parent) = direct(alert, parent_key) {
        known.push((1, parent));
    }
    for (key, value) in &alert.output_fields {
        let Some(level) = key
            .strip_prefix(indexed_prefix)
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|digits| digits.parse::<u32>().ok())
        else {
            continue;
        };
        if level == 0 || known.iter().any(|(seen, _)| *seen == level) {
            continue;
        }
        if let FieldLookup::Value(text) = from_json(value) {
            known.push((level, text));
        }
    }
    if known.is_empty() {
        return FieldLookup::Missing;
    }
    known.sort();
    FieldLookup::SomeAncestors(known.into_iter().map(|(_, name)| name).collect())
}

/// Falco's `fd.directory` of a file path: everything before the last `/` (`/` for a file at
/// the root).
pub fn parent_directory(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/".to_string(),
        Some((directory, _)) => directory.to_string(),
    }
}

/// Falco's `fd.filename` of a file path: the last component.
pub fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::parse_alert;

    fn alert(fields: serde_json::Value) -> Alert {
        let text = serde_json::json!({
            "time": "2026-11-20T03:15:00Z", "rule": "Clear Log Activities", "priority": "Warning",
            "output": "x", "output_fields": fields,
        });
        parse_alert(&text.to_string(), None).expect("valid alert")
    }

    #[test]
    fn reads_output_fields_as_text() {
        let alert =
            alert(serde_json::json!({"proc.name": "rm", "user.uid": 0, "proc.tty": null, "k8s.pod.name": "<NA>"}));
        assert_eq!(lookup(&alert, "proc.name"), FieldLookup::Value("rm".into()));
        assert_eq!(lookup(&alert, "user.uid"), FieldLookup::Value("0".into()));
        assert_eq!(lookup(&alert, "proc.tty"), FieldLookup::NotExtracted);
        assert_eq!(lookup(&alert, "k8s.pod.name"), FieldLookup::NotExtracted);
        assert_eq!(lookup(&alert, "fd.name"), FieldLookup::Missing);
    }

    #[test]
    fn derives_well_known_fields() {
        let alert = alert(serde_json::json!({
            "container.image": "docker.io/library/httpd:2.4", "k8smeta.ns.name": "web-staging",
            "proc.pname": "sh", "proc.aname[2]": "cron", "proc.aname[3]": "sh", "proc.ppid": 5705,
            "fd.name": "/var/log/dpkg.log", "proc.cmdline": "rm /var/log/dpkg.log", "proc.name": "rm",
        }));
        assert_eq!(lookup(&alert, "container.image.repository"), FieldLookup::Value("docker.io/library/httpd".into()));
        assert_eq!(lookup(&alert, "k8s.ns.name"), FieldLookup::Value("web-staging".into()));
        assert_eq!(lookup(&alert, "proc.aname[1]"), FieldLookup::Value("sh".into()));
        assert_eq!(lookup(&alert, "proc.aname[0]"), FieldLookup::Value("rm".into()));
        assert_eq!(lookup(&alert, "proc.apid[1]"), FieldLookup::Value("5705".into()));
        assert_eq!(lookup(&alert, "proc.aname[2]"), FieldLookup::Value("cron".into()));
        assert_eq!(lookup(&alert, "proc.aname[5]"), FieldLookup::Missing);
        assert_eq!(
            lookup(&alert, "proc.aname"),
            FieldLookup::SomeAncestors(vec!["sh".into(), "cron".into(), "sh".into()])
        );
        assert_eq!(lookup(&alert, "fd.directory"), FieldLookup::Value("/var/log".into()));
        assert_eq!(lookup(&alert, "fd.filename"), FieldLookup::Value("dpkg.log".into()));
        assert_eq!(lookup(&alert, "proc.args"), FieldLookup::Value("/var/log/dpkg.log".into()));
    }

    #[test]
    fn connections_have_no_directory() {
        let alert = alert(serde_json::json!({"fd.name": "10.0.0.5:34567->203.0.113.7:4444"}));
        assert_eq!(lookup(&alert, "fd.directory"), FieldLookup::Missing);
        assert_eq!(parent_directory("/shadow"), "/");
        assert_eq!(parent_directory("/etc/"), "/");
    }
}
