//! The structured answer both backends produce: text, the tool calls behind it, links to the
//! events that reproduce its figures, and whether every figure was found in those calls.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Language;

/// Which backend answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The embedded deterministic planner.
    Planner,
    /// A language model on an OpenAI-compatible endpoint.
    Llm,
}

impl BackendKind {
    /// The snake-case name, as serialised (`planner`, `llm`).
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Planner => "planner",
            BackendKind::Llm => "llm",
        }
    }
}

/// One tool call of a turn, with its full (bounded) output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepRecord {
    /// The tool's name.
    pub tool: String,
    /// The arguments it was called with, after the analyst's scope was applied.
    pub arguments: Value,
    /// Its output, or `{"error": ...}` when it failed.
    pub output: Value,
}

/// A link to the event feed with the filter that reproduces a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    /// What the link shows, e.g. "root_cause: 140 alerts".
    pub label: String,
    /// `/events?scope=...&since=...&until=...`.
    pub href: String,
}

/// Tokens a language model used for a turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenUsage {
    /// Prompt tokens, summed over every model call of the turn.
    pub prompt: u64,
    /// Completion tokens, summed likewise.
    pub completion: u64,
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    /// The session the turn belongs to.
    pub session_id: String,
    /// The turn's number in the session, from 1.
    pub turn: u32,
    /// The language of the question and of the answer.
    pub language: Language,
    /// The answer, in Markdown.
    pub answer: String,
    /// Every tool call, in order.
    pub steps: Vec<StepRecord>,
    /// Event-feed links reproducing the answer's figures.
    pub links: Vec<Link>,
    /// True when every number and named entity in the answer appears in the steps' outputs.
    pub grounded: bool,
    /// The numbers and names the grounding check could not find in any output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<String>,
    /// Which backend answered.
    pub backend: BackendKind,
    /// The analyst's scope the turn was confined to (empty: everything).
    pub scope: String,
    /// Token usage, for the LLM backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
}
