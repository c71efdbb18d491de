//! The language-model backend: tool calling against any OpenAI-compatible endpoint.
//!
//! - [`model`]: the model client trait (`complete`, `stream`) and Saker's request, reply and
//!   stream-item types; [`openai`] implements it with async-openai over [`http`] (Saker's
//!   timeouts and bounded retries).
//! - `turn`: the tool-calling loop of one turn (bounded steps, tool results fed back, the
//!   plain answer when the bound is hit); `accumulate` reassembles streamed responses.
//! - [`tool_result`]: tool results as delimited untrusted data.
//! - `prompt`: the system prompt and the step-limit texts from `prompts/system/*.hbs`.
//! - `focus_update`: the entities in focus after a turn, from the model's tool arguments.

mod accumulate;
mod exception_guard;
mod focus_update;
pub mod http;
pub mod model;
pub mod openai;
mod prompt;
mod settings;
pub mod tool_result;
mod turn;

use std::sync::Arc;

pub use settings::{EffectiveLlmSettings, LlmSettings};

use crate::conversation::{ConversationError, ToolExecutor, TurnInput, TurnOutput};
use model::ModelClient;
use openai::OpenAiClient;
use prompt::Prompts;

/// The LLM backend.
pub struct LlmBackend {
    // Boxed: the compiled templates are large and the backend sits in an enum beside the
    // planner.
    state: Box<BackendState>,
}

struct BackendState {
    settings: LlmSettings,
    effective: EffectiveLlmSettings,
    client: Arc<dyn ModelClient>,
    prompts: Prompts,
}

impl std::fmt::Debug for LlmBackend {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LlmBackend")
            .field("endpoint", &self.state.client.endpoint())
            .field("model", &self.state.effective.model)
            .finish_non_exhaustive()
    }
}

impl LlmBackend {
    /// A backend for the configured OpenAI-compatible endpoint; fails when the settings name
    /// no base URL or model, or hold a value out of range (see [`LlmSettings::effective`]).
    pub fn new(settings: LlmSettings) -> Result<LlmBackend, ConversationError> {
        let effective = settings.effective().map_err(ConversationError::InvalidRequest)?;
        let client = Arc::new(OpenAiClient::new(effective.clone())?);
        LlmBackend::with_client(settings, client)
    }

    /// A backend that talks to the model through another [`ModelClient`].
    pub fn with_client(settings: LlmSettings, client: Arc<dyn ModelClient>) -> Result<LlmBackend, ConversationError> {
        let effective = settings.effective().map_err(ConversationError::InvalidRequest)?;
        let prompts = Prompts::new()?;
        Ok(LlmBackend { state: Box::new(BackendState { settings, effective, client, prompts }) })
    }

    /// The settings the backend was built with.
    pub fn settings(&self) -> &LlmSettings {
        &self.state.settings
    }

    /// Answers one turn: tool calls through `executor`, the answer streamed into its sink.
    pub async fn answer(&self, input: TurnInput<'_>, executor: &ToolExecutor) -> Result<TurnOutput, ConversationError> {
        let state = &*self.state;
        turn::run(&*state.client, &state.effective, &state.prompts, input, executor).await
    }
}
