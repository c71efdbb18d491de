//! Renders a plan's tool outputs as the answer, from the handlebars templates in
//! `prompts/answers/<lang>/`, in the language of the question.

use serde_json::Value;

use super::plan::Plan;
use crate::conversation::{ConversationError, Language};

/// The Markdown answer for `plan`, given the outputs of its calls in order (tool name,
/// output).
// Interim body: lists the outputs' evidence; replaced by the templates.
pub fn render(language: Language, plan: &Plan, outputs: &[(String, Value)]) -> Result<String, ConversationError> {
    let _ = language;
    let mut text = String::new();
    for (tool, output) in outputs {
        let count = output.pointer("/evidence/count").and_then(Value::as_u64).unwrap_or(0);
        text.push_str(&format!("- {tool}: {count} alerts\n"));
    }
    if text.is_empty() {
        text = format!("({})", plan.intent.name());
    }
    Ok(text)
}
