//! The language-model backend: tool calling against any OpenAI-compatible endpoint.

mod settings;

pub use settings::LlmSettings;

use crate::conversation::{ConversationError, ToolExecutor, TurnInput, TurnOutput};

/// The LLM backend.
#[derive(Debug)]
pub struct LlmBackend {
    settings: LlmSettings,
}

impl LlmBackend {
    /// A backend for the configured endpoint; fails when the settings name no base URL or
    /// model (see [`LlmSettings::resolve`]).
    pub fn new(settings: LlmSettings) -> Result<LlmBackend, ConversationError> {
        if settings.base_url.as_deref().is_none_or(|url| url.trim().is_empty()) {
            return Err(ConversationError::InvalidRequest("llm: `base_url` is not set".into()));
        }
        if settings.model.as_deref().is_none_or(|model| model.trim().is_empty()) {
            return Err(ConversationError::InvalidRequest("llm: `model` is not set".into()));
        }
        Ok(LlmBackend { settings })
    }

    /// The settings the backend was built with.
    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    /// Answers one turn.
    pub async fn answer(&self, input: TurnInput<'_>, executor: &ToolExecutor) -> Result<TurnOutput, ConversationError> {
        let _ = (input, executor);
        Err(ConversationError::Internal("the LLM backend is being built".into()))
    }
}
