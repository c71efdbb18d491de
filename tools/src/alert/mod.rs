//! The Falco alert model: the typed record every other part of Saker works on.

mod dimensions;
pub mod known_tools;
mod lineage;
mod parse;
mod priority;
mod workload;

pub use dimensions::{Ancestor, Dimensions, Process};
pub use lineage::{ProcessLineage, parse_lineage};
pub use parse::{
    AlertParseError, ParsedAlert, alert_id_for, parse_alert, parse_alert_value, parse_alert_with_warnings,
    parse_stored_alert_value,
};
pub use priority::{Priority, UnknownPriority};
pub use workload::{Workload, WorkloadSource, workload_from_metadata, workload_from_pod_name};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One Falco alert, normalised.
///
/// The raw fields are kept as Falco wrote them (`output_fields` in full); `dimensions` holds
/// what Saker derives from them for grouping and filtering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// falcosidekick's `uuid` when present, else a stable hash of the canonical alert, so that
    /// ingesting the same alert twice is a no-op.
    pub id: String,
    /// When the event happened (Falco's `time`, nanosecond precision).
    pub time: DateTime<Utc>,
    /// The Falco rule that fired.
    pub rule: String,
    /// The rule's priority.
    pub priority: Priority,
    /// The event source (`syscall`, `k8s_audit`, `internal`, ...); `syscall` when absent.
    pub source: String,
    /// The rule's tags, in Falco's order.
    pub tags: Vec<String>,
    /// The host that Falco ran on (empty when absent).
    pub hostname: String,
    /// The formatted output line.
    pub output: String,
    /// Every field value Falco attached, as written (strings, numbers, booleans or null).
    pub output_fields: Map<String, Value>,
    /// Dimensions derived from the fields above.
    pub dimensions: Dimensions,
}

impl Alert {
    /// The value of an output field as text: strings as they are, numbers and booleans
    /// printed, null and absent as `None`.
    pub fn field_text(&self, key: &str) -> Option<String> {
        field_value_text(self.output_fields.get(key)?)
    }
}

/// Renders a JSON field value as the text a Falco filter would compare against.
pub fn field_value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        other => Some(other.to_string()),
    }
}

impl Alert {
    /// The values of an indexed dimension: none, one, or several for tags and MITRE IDs.
    ///
    /// This is the single definition of what a dimension means; the index, the scope
    /// evaluator and the analytics all read dimensions through it.
    pub fn dimension_values(&self, dimension: crate::scope::Dimension) -> Vec<&str> {
        use crate::scope::Dimension;
        fn single(value: Option<&String>) -> Vec<&str> {
            value.map(String::as_str).into_iter().collect()
        }
        let dims = &self.dimensions;
        match dimension {
            Dimension::Rule => vec![self.rule.as_str()],
            Dimension::Priority => vec![self.priority.as_str()],
            Dimension::Source => vec![self.source.as_str()],
            Dimension::Tag => self.tags.iter().map(String::as_str).collect(),
            Dimension::Host => single(Some(&self.hostname).filter(|host| !host.is_empty())),
            Dimension::Cluster => single(dims.cluster.as_ref()),
            Dimension::Namespace => single(dims.namespace.as_ref()),
            Dimension::Workload => single(dims.workload.as_ref().map(|workload| &workload.name)),
            Dimension::Pod => single(dims.pod.as_ref()),
            Dimension::ContainerId => single(dims.container_id.as_ref()),
            Dimension::ContainerName => single(dims.container_name.as_ref()),
            Dimension::Image => single(dims.image.as_ref()),
            Dimension::Process => single(dims.process.name.as_ref()),
            Dimension::User => single(dims.user.as_ref()),
            Dimension::File => single(dims.file.as_ref()),
            Dimension::MitreTactic => dims.mitre_tactics.iter().map(String::as_str).collect(),
            Dimension::MitreTechnique => dims.mitre_techniques.iter().map(String::as_str).collect(),
            Dimension::Tool => dims.tools.iter().map(String::as_str).collect(),
            Dimension::Id => vec![self.id.as_str()],
        }
    }
}
