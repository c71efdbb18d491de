//! Converts alerts to tantivy documents and stored documents back to alerts.

use std::collections::BTreeMap;

use tantivy::TantivyDocument;
use tantivy::schema::{OwnedValue, Value};
use xxhash_rust::xxh3::xxh3_64;

use super::query::time_to_nanos;
use super::schema::AlertFields;
use crate::alert::{Alert, field_value_text, parse_alert_value, parse_stored_alert_value};
use crate::scope::{Dimension, FieldRef};
use crate::store::StoreError;

/// Builds the index document of an alert. `raw` is the alert as received; `ingest_cluster`
/// is the cluster the ingest was told to assume (needed to derive the same dimensions again).
pub fn alert_document(fields: &AlertFields, alert: &Alert, raw: &str, ingest_cluster: Option<&str>) -> TantivyDocument {
    let mut document = TantivyDocument::default();
    document.add_text(fields.id, &alert.id);
    document.add_u64(fields.id_hash, id_hash(&alert.id));
    document.add_i64(fields.time_ns, time_to_nanos(alert.time));
    document.add_u64(fields.severity, u64::from(alert.priority.severity()));
    document.add_text(fields.raw, raw);
    if let Some(cluster) = ingest_cluster.filter(|cluster| !cluster.is_empty()) {
        document.add_text(fields.ingest_cluster, cluster);
    }
    document.add_text(fields.text, full_text(alert));
    let output_fields: BTreeMap<String, OwnedValue> = alert
        .output_fields
        .iter()
        .filter(|(key, _)| is_indexed_output_key(key))
        .filter_map(|(key, value)| Some((key.clone(), OwnedValue::Str(field_value_text(value)?))))
        .collect();
    if !output_fields.is_empty() {
        document.add_object(fields.output_fields, output_fields);
    }
    for dimension in Dimension::ALL {
        if dimension == Dimension::Id {
            continue;
        }
        let field = fields.dimension(dimension);
        for value in alert.dimension_values(dimension) {
            document.add_text(field, value);
        }
    }
    document
}

/// Whether an `output_fields` key gets terms in the index.
///
/// Timestamps, event numbers and process ids are unique per alert: indexing them would make
/// the term dictionaries as large as the index and slow ingest down, while nobody filters on
/// them by scope. Scopes on these keys are still exact: they are evaluated on the stored alert.
pub fn is_indexed_output_key(key: &str) -> bool {
    const UNIQUE_VALUED: [&str; 12] = [
        "evt.time",
        "evt.rawtime",
        "evt.num",
        "evt.time.s",
        "evt.time.iso8601",
        "evt.datetime",
        "evt.datetime.s",
        "proc.pid",
        "proc.ppid",
        "proc.vpid",
        "thread.tid",
        "thread.vtid",
    ];
    !UNIQUE_VALUED.contains(&key) && !key.starts_with("proc.apid[") && !FieldRef::names_dimension(key)
}

/// The text searched by full-text queries.
fn full_text(alert: &Alert) -> String {
    let process = &alert.dimensions.process;
    let parts = [
        Some(alert.output.as_str()),
        process.cmdline.as_deref(),
        process.pcmdline.as_deref(),
        alert.dimensions.file.as_deref(),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join("\n")
}

/// Reads a stored document back into an alert by parsing the raw alert again.
pub fn load_alert(fields: &AlertFields, document: &TantivyDocument) -> Result<Alert, StoreError> {
    let text_of = |field| document.get_first(field).and_then(|value| value.as_str());
    let id = text_of(fields.id).unwrap_or_default().to_string();
    let raw = text_of(fields.raw)
        .ok_or_else(|| StoreError::Corrupt { id: id.clone(), problem: "the raw alert is not stored".into() })?;
    let value: serde_json::Value = serde_json::from_str(raw)
        .map_err(|error| StoreError::Corrupt { id: id.clone(), problem: format!("raw alert is not JSON: {error}") })?;
    let ingest_cluster = text_of(fields.ingest_cluster);
    let corrupt =
        |error: crate::alert::AlertParseError| StoreError::Corrupt { id: id.clone(), problem: error.to_string() };
    if id.is_empty() {
        return parse_alert_value(value, ingest_cluster).map_err(corrupt);
    }
    parse_stored_alert_value(value, ingest_cluster, id.clone()).map_err(corrupt)
}

/// The 64-bit hash of an id kept in the index for rebuilding the de-duplication set.
pub fn id_hash(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}
