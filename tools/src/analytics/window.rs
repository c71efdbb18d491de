//! The scope and time-range arguments every tool takes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ToolContext, ToolError};
use crate::scope::Scope;
use crate::store::{AlertFilter, TimeRange};

/// Which alerts a tool looks at. All fields optional: the default is everything in the
/// analyst's current scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Window {
    /// Scope expression in Falco field syntax, e.g.
    /// `kubernetes.cluster.name=prod and k8s.ns.name in (a, b) and not proc.name=bash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_SCOPE_CHARS))]
    pub scope: Option<String>,
    /// Start of the time range, RFC 3339 (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_TIME_CHARS))]
    pub since: Option<String>,
    /// End of the time range, RFC 3339 (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_TIME_CHARS))]
    pub until: Option<String>,
    /// Length of the range ending at `until` or now: `30m`, `24h`, `7d`, `2w`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_TIME_CHARS))]
    pub last: Option<String>,
}

impl Window {
    /// The filter these arguments select, confined to the context's base scope.
    pub fn filter(&self, context: &ToolContext<'_>) -> Result<AlertFilter, ToolError> {
        let scope = Scope::parse(self.scope.as_deref().unwrap_or(""))?;
        let time = TimeRange::resolve(self.since.as_deref(), self.until.as_deref(), self.last.as_deref(), context.now)?;
        Ok(AlertFilter { scope: context.base_scope.and(&scope), time })
    }
}
