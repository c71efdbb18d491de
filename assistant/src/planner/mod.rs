//! The embedded deterministic planner: recognises the intent and the entities of a question
//! in English or Japanese, calls the tools, and renders the answer from `prompts/` templates.

pub mod plan;
pub mod render;

use serde_json::json;

use crate::conversation::{ConversationError, ToolExecutor, TurnInput, TurnOutput};

/// The planner backend.
#[derive(Debug, Default)]
pub struct Planner {}

impl Planner {
    /// A planner.
    pub fn new() -> Planner {
        Planner {}
    }

    /// Answers one turn.
    // Interim: the first end-to-end slice (a count in the focus), replaced by understanding
    // and rendering.
    pub async fn answer(&self, input: TurnInput<'_>, executor: &ToolExecutor) -> Result<TurnOutput, ConversationError> {
        let scope = input.focus.scope_expression();
        let output = executor
            .call("event_stats", json!({ "scope": scope, "group_by": ["rule"], "limit": 5 }))
            .await
            .map_err(ConversationError::Internal)?;
        let total = output.get("total").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let text = format!("**{total}** alerts.");
        executor.sink().delta(text.clone());
        Ok(TurnOutput { text, focus: input.focus.clone(), usage: None })
    }
}
