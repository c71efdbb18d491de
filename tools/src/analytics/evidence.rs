//! Evidence: what reproduces a tool's figures (scope, time range, count, sample ids, link).

use chrono::SecondsFormat;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ToolError;
use crate::scope::{FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, AlertStore, GroupKey, SearchOrder};

/// How many known values an empty-result note lists per field.
const KNOWN_VALUES: usize = 8;

/// Says why `filter` matches nothing: fields of the scope that no alert carries, the values that
/// do occur for the dimensions it names, and matches outside the time range.
fn explain_empty(store: &dyn AlertStore, filter: &AlertFilter) -> Result<String, ToolError> {
    let stored = store.len()?;
    if stored == 0 {
        return Ok("the event store holds no alerts yet; ingest Falco alerts first".to_string());
    }
    let mut reasons = Vec::new();
    let mut seen = Vec::new();
    for field in filter.scope.fields() {
        if seen.contains(&field) {
            continue;
        }
        seen.push(field.clone());
        match &field {
            FieldRef::OutputField(key) => {
                let exists = Scope::from_expr(ScopeExpr::compare(field.clone(), Operator::Exists, Vec::new()));
                if store.count(&AlertFilter::scoped(exists))? == 0 {
                    reasons.push(format!("no stored alert has the field {key:?} (check its spelling)"));
                }
            }
            FieldRef::Dimension(dimension) => {
                let known = store.group_counts(&AlertFilter::all(), GroupKey::Dimension(*dimension), KNOWN_VALUES)?;
                if known.groups.is_empty() {
                    reasons.push(format!("no stored alert has a {} value", dimension.name()));
                } else {
                    let values: Vec<&str> = known.groups.iter().map(|(value, _)| value.as_str()).collect();
                    let more = if known.other_groups > 0 {
                        format!(" and {} more", known.other_groups)
                    } else {
                        String::new()
                    };
                    reasons.push(format!("{} values in the store: {}{more}", dimension.name(), values.join(", ")));
                }
            }
        }
    }
    if filter.time.since.is_some() || filter.time.until.is_some() {
        let outside = store.count(&AlertFilter { scope: filter.scope.clone(), time: Default::default() })?;
        if outside > 0 {
            reasons.push(format!("{outside} alerts match the scope outside the time range"));
        }
    }
    let mut note = format!("no alerts match (the store holds {stored})");
    if !reasons.is_empty() {
        note.push_str("; ");
        note.push_str(&reasons.join("; "));
    }
    Ok(note)
}

/// How many alert ids an evidence block samples.
pub const SAMPLE_IDS: usize = 5;

/// The set of alerts behind a figure: enough to compute it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Canonical scope expression (empty: everything).
    pub scope: String,
    /// Start of the time range (RFC 3339), if bounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// End of the time range (RFC 3339), if bounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Number of alerts in the set.
    pub count: u64,
    /// Ids of the newest alerts of the set (at most five).
    pub sample_ids: Vec<String>,
    /// Event-feed link that shows the set: `/events?scope=...&since=...&until=...`.
    pub link: String,
    /// When the set is empty: why, in words (a field no alert carries, values that do occur,
    /// alerts that match outside the time range), so an empty answer is never silent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Evidence {
    /// Counts and samples the alerts of `filter`.
    pub fn of(store: &dyn AlertStore, filter: &AlertFilter) -> Result<Evidence, ToolError> {
        let page = store.search(filter, None, SearchOrder::NewestFirst, 0, SAMPLE_IDS)?;
        let mut evidence =
            Evidence::with_count(filter, page.total, page.alerts.into_iter().map(|alert| alert.id).collect());
        if evidence.count == 0 {
            evidence.note = Some(explain_empty(store, filter)?);
        }
        Ok(evidence)
    }

    /// Builds evidence from a count already known.
    pub fn with_count(filter: &AlertFilter, count: u64, sample_ids: Vec<String>) -> Evidence {
        let format = |time: chrono::DateTime<chrono::Utc>| time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let scope = filter.scope.to_string();
        let since = filter.time.since.map(format);
        let until = filter.time.until.map(format);
        Evidence {
            link: events_link(&scope, since.as_deref(), until.as_deref()),
            scope,
            since,
            until,
            count,
            sample_ids,
            note: None,
        }
    }
}

/// The event-feed link for a scope and time range, query values percent-encoded.
pub fn events_link(scope: &str, since: Option<&str>, until: Option<&str>) -> String {
    let mut link = format!("/events?scope={}", percent_encode(scope));
    if let Some(since) = since {
        link.push_str(&format!("&since={}", percent_encode(since)));
    }
    if let Some(until) = until {
        link.push_str(&format!("&until={}", percent_encode(until)));
    }
    link
}

fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_percent_encoded() {
        assert_eq!(
            events_link("k8s.ns.name=a b", Some("2026-11-20T00:00:00Z"), None),
            "/events?scope=k8s.ns.name%3Da%20b&since=2026-11-20T00%3A00%3A00Z"
        );
    }
}
