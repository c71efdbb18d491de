//! What can go wrong while building or delivering a report.

use std::path::PathBuf;

use saker_tools::analytics::ToolError;

/// Why a report could not be built or delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// An option of the request is not allowed (a period, a format, a language).
    #[error("{0}")]
    InvalidRequest(String),
    /// The figures could not be computed: an invalid scope or time range, or a store failure.
    #[error("{0}")]
    Tool(#[from] ToolError),
    /// A report file could not be written.
    #[error("cannot write the report {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The Slack webhook could not be reached or refused the report (the webhook address is
    /// never part of the message: it is a secret).
    #[error("slack webhook: {0}")]
    Slack(String),
    /// A background task failed (a panic or a cancelled runtime).
    #[error("the report task failed: {0}")]
    Internal(String),
}

impl ReportError {
    /// True when the caller's request was at fault (a 400 rather than a 500).
    pub fn is_caller_error(&self) -> bool {
        match self {
            ReportError::InvalidRequest(_) => true,
            ReportError::Tool(error) => error.is_caller_error(),
            ReportError::Write { .. } | ReportError::Slack(_) | ReportError::Internal(_) => false,
        }
    }
}
