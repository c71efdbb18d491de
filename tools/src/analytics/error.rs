//! Errors of tool calls, each a clear message for a person or a model.

use crate::scope::ScopeError;
use crate::store::{StoreError, TimeRangeError};

/// Why a tool call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// No tool has this name.
    #[error("unknown tool {name:?} (available: {available})")]
    UnknownTool {
        /// The name asked for.
        name: String,
        /// The tool names that exist.
        available: String,
    },
    /// The arguments do not match the tool's schema.
    #[error("invalid arguments for {tool}: {problems}")]
    InvalidArguments {
        /// The tool.
        tool: &'static str,
        /// Each problem, naming the field (JSON pointer) and what is allowed.
        problems: String,
    },
    /// The scope expression is invalid.
    #[error("scope: {0}")]
    Scope(#[from] ScopeError),
    /// The time range is invalid.
    #[error("time range: {0}")]
    TimeRange(#[from] TimeRangeError),
    /// Something the call names does not exist (an alert id, a rule).
    #[error("not found: {0}")]
    NotFound(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl ToolError {
    /// True when the caller (a model) can fix the call and try again.
    pub fn is_caller_error(&self) -> bool {
        !matches!(self, ToolError::Store(_))
    }
}
