//! The language-model backend: tool calling against any OpenAI-compatible endpoint.

mod settings;

pub use settings::LlmSettings;

use crate::conversation::{ConversationError, ToolExecutor, TurnInput, TurnOutput};

/// The LLM backend.
#[derive(Debug)]
pub struct LlmBackend {}

impl LlmBackend {
    /// Answers one turn.
    pub async fn answer(&self, input: TurnInput<'_>, executor: &ToolExecutor) -> Result<TurnOutput, ConversationError> {
        let _ = (input, executor);
        Err(ConversationError::Internal("the LLM backend is being built".into()))
    }
}
