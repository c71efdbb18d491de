//! Small building blocks shared by the tools: named counts, scope construction, timestamps.

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};

/// A value and how many alerts have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NameCount {
    /// The value (rule, workload, ...).
    pub name: String,
    /// Alerts with that value.
    pub count: u64,
}

/// A scope that selects alerts whose `dimension` is one of `values`.
pub fn dimension_scope(dimension: Dimension, values: Vec<String>) -> Scope {
    let operator = if values.len() == 1 { Operator::Equal } else { Operator::In };
    Scope::from_expr(ScopeExpr::compare(FieldRef::Dimension(dimension), operator, values))
}

/// For `skip_serializing_if`: a count that says nothing when it is zero.
pub fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// RFC 3339 with seconds (or more digits when present), `Z` for UTC.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Percent change from `previous` to `current`; `None` when there was nothing before.
pub fn percent_change(previous: u64, current: u64) -> Option<f64> {
    (previous > 0).then(|| ((current as f64 - previous as f64) / previous as f64 * 1000.0).round() / 10.0)
}

/// The short form of an alert that tools list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AlertSummary {
    /// Alert id (for `explain_event`, `root_cause`).
    pub id: String,
    /// Event time.
    pub time: String,
    /// Rule.
    pub rule: String,
    /// Priority.
    pub priority: String,
    /// Cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Container id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Process name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// Command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmdline: Option<String>,
    /// The parent's command line (the `bash -c ... /dev/tcp/...` a reverse shell's `bash -i`
    /// was started by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_cmdline: Option<String>,
    /// The user the process ran as (`www-data` for a shell a web server spawned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// File or connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The start of Falco's output line.
    pub output_excerpt: String,
}

/// Longest output excerpt, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// Fields naming the path a file event acted on, when the alert has no `fd.name`.
pub(crate) const PATH_FIELDS: [&str; 4] = ["evt.arg.filename", "evt.arg.name", "evt.arg.pathname", "evt.arg.path"];

/// The absolute path a file event acted on (the executable a drift alert saw created).
fn path_acted_on(alert: &crate::alert::Alert) -> Option<String> {
    PATH_FIELDS.iter().find_map(|key| alert.field_text(key).filter(|path| path.starts_with('/')))
}

/// The file or connection an alert's event acted on: `fd.name`, else the path of a file event.
fn file_acted_on(alert: &crate::alert::Alert) -> Option<String> {
    alert.dimensions.file.clone().or_else(|| path_acted_on(alert))
}

/// What an alert's event acted on, in the few words an analyst compares: the file, or the
/// remote end of a connection (`198.51.100.23:4444` of `10.0.3.202:42175->198.51.100.23:4444`,
/// whose local port changes with every connection).
pub(crate) fn object_acted_on(alert: &crate::alert::Alert) -> Option<String> {
    let object = file_acted_on(alert)?;
    Some(match object.split_once("->") {
        Some((_, remote)) if !remote.is_empty() => remote.to_string(),
        _ => object,
    })
}

impl AlertSummary {
    /// Summarises an alert.
    pub fn of(alert: &crate::alert::Alert) -> AlertSummary {
        let dimensions = &alert.dimensions;
        AlertSummary {
            id: alert.id.clone(),
            time: timestamp(alert.time),
            rule: alert.rule.clone(),
            priority: alert.priority.as_str().to_string(),
            cluster: dimensions.cluster.clone(),
            namespace: dimensions.namespace.clone(),
            workload: dimensions.workload.as_ref().map(|workload| workload.name.clone()),
            pod: dimensions.pod.clone(),
            container_id: dimensions.container_id.clone(),
            process: dimensions.process.name.clone(),
            cmdline: dimensions.process.cmdline.clone(),
            parent_cmdline: dimensions.process.pcmdline.clone(),
            user: dimensions.user.clone(),
            file: file_acted_on(alert),
            output_excerpt: excerpt(&alert.output, EXCERPT_CHARS),
        }
    }
}

/// The first `limit` characters of `text`, with `…` when cut.
pub fn excerpt(text: &str, limit: usize) -> String {
    let trimmed = text.trim();
    match trimmed.char_indices().nth(limit) {
        Some((index, _)) => format!("{}…", &trimmed[..index]),
        None => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::object_acted_on;
    use crate::alert::parse_alert;

    fn alert_with(fields: &str) -> crate::alert::Alert {
        let line = format!(
            r#"{{"time":"2026-11-19T12:09:36Z","rule":"r","priority":"Notice","output":"o","output_fields":{{{fields}}}}}"#
        );
        parse_alert(&line, None).expect("valid alert")
    }

    #[test]
    fn a_connection_is_named_by_its_remote_end() {
        let alert = alert_with(r#""fd.name":"10.0.3.202:42175->198.51.100.23:4444""#);
        assert_eq!(object_acted_on(&alert).as_deref(), Some("198.51.100.23:4444"));
    }

    #[test]
    fn a_file_is_named_by_its_path_and_a_drift_alert_by_the_path_it_created() {
        let file = alert_with(r#""fd.name":"/etc/shadow""#);
        assert_eq!(object_acted_on(&file).as_deref(), Some("/etc/shadow"));
        let drift = alert_with(r#""evt.arg.filename":"/var/tmp/.cache/kworkerd""#);
        assert_eq!(object_acted_on(&drift).as_deref(), Some("/var/tmp/.cache/kworkerd"));
        assert_eq!(object_acted_on(&alert_with(r#""proc.name":"bash""#)), None);
    }
}
