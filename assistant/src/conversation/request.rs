//! A question as it arrives from the CLI or the HTTP API.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One question, with the analyst's current view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The session to continue; a new one is created when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The question, in English or Japanese.
    pub message: String,
    /// The analyst's scope in Falco field syntax; every tool call of the turn is confined to
    /// it. When absent, the session's last scope applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Start of the analyst's time range (RFC 3339), applied to tool calls that name no range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// End of the analyst's time range (RFC 3339), likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Fixes "now" for reproducible answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<DateTime<Utc>>,
}
