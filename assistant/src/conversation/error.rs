//! Errors of the conversation plane, each with a stable code for the API.

use thiserror::Error;

/// Why a turn could not be answered.
#[derive(Debug, Error)]
pub enum ConversationError {
    /// The request's scope expression does not parse.
    #[error("invalid scope: {0}")]
    InvalidScope(String),
    /// The request's time range does not parse.
    #[error("invalid time range: {0}")]
    InvalidTime(String),
    /// The request is malformed (empty question, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No session with this id.
    #[error("no session with id {0:?}")]
    SessionNotFound(String),
    /// The session database failed.
    #[error("session database: {0}")]
    Database(#[from] sqlx::Error),
    /// The session database could not be migrated.
    #[error("session database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored session could not be decoded.
    #[error("stored session is unreadable: {0}")]
    Corrupt(String),
    /// The language model endpoint could not be reached or kept failing.
    #[error("language model unreachable at {endpoint}: {message}")]
    LlmUnreachable {
        /// The base URL tried.
        endpoint: String,
        /// What happened.
        message: String,
    },
    /// The language model answered with something Saker cannot use.
    #[error("language model error: {0}")]
    Llm(String),
    /// Rendering an answer template failed (a defect in a template).
    #[error("answer template {template}: {message}")]
    Template {
        /// The template's name.
        template: String,
        /// What failed.
        message: String,
    },
    /// A blocking task panicked or was cancelled.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ConversationError {
    /// A stable machine-readable code, used in `error` events and HTTP bodies.
    pub fn code(&self) -> &'static str {
        match self {
            ConversationError::InvalidScope(_) => "invalid_scope",
            ConversationError::InvalidTime(_) => "invalid_time",
            ConversationError::InvalidRequest(_) => "invalid_request",
            ConversationError::SessionNotFound(_) => "session_not_found",
            ConversationError::Database(_) | ConversationError::Migration(_) | ConversationError::Corrupt(_) => {
                "storage"
            }
            ConversationError::LlmUnreachable { .. } => "llm_unreachable",
            ConversationError::Llm(_) => "llm_error",
            ConversationError::Template { .. } => "template",
            ConversationError::Internal(_) => "internal",
        }
    }
}
