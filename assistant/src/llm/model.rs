//! The model client as a trait: one request (messages, tools, tool choice) answered whole
//! (`complete`) or as a stream of items (`stream`). The backend loop speaks only these types;
//! the OpenAI wire format lives in [`super::openai`].

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use serde_json::Value;

use crate::conversation::{ConversationError, TokenUsage};

/// One message of a model conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelMessage {
    /// Instructions for the model.
    System(String),
    /// The analyst's words.
    User(String),
    /// What the model said before: text and the tool calls it made.
    Assistant {
        /// Its text (may be empty when it only called tools).
        text: String,
        /// The tool calls it made, in order.
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call, as delimited text (see [`super::tool_result`]).
    Tool {
        /// The id of the call it answers.
        call_id: String,
        /// The delimited result.
        content: String,
    },
}

/// A tool call the model asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The model's id for the call, echoed in the tool message that answers it.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as the model wrote them (JSON text, possibly invalid).
    pub arguments: String,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    /// The tool's name.
    pub name: String,
    /// When to call it.
    pub description: String,
    /// JSON Schema of its arguments.
    pub parameters: Value,
}

/// Whether the model may call tools in this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// The model must answer with text (the tools are still described).
    None,
}

/// One model request.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRequest {
    /// The conversation so far.
    pub messages: Vec<ModelMessage>,
    /// The tools on offer.
    pub tools: Vec<ToolDefinition>,
    /// Whether they may be called.
    pub tool_choice: ToolChoice,
}

/// A complete model response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelReply {
    /// The text it wrote.
    pub text: String,
    /// The tool calls it asked for, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Why it stopped (`stop`, `tool_calls`, `length`, ...), when the server said.
    pub finish_reason: Option<String>,
    /// Tokens used, when the server said.
    pub usage: Option<TokenUsage>,
}

/// A piece of a tool call as streamed: the first piece of a call carries its id and name,
/// later ones pieces of its arguments; pieces of one call share its `index`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolCallDelta {
    /// Position of the call in the response.
    pub index: u32,
    /// The call's id (first piece).
    pub id: Option<String>,
    /// The tool's name (first piece).
    pub name: Option<String>,
    /// A piece of the arguments' JSON text.
    pub arguments: Option<String>,
}

/// One item of a streamed model response.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A piece of the answer text.
    Text(String),
    /// A piece of a tool call.
    ToolCall(ToolCallDelta),
    /// The response ended (with its reason) and/or the server reported usage.
    Finish {
        /// Why the response ended, when this item says.
        reason: Option<String>,
        /// Token usage, when this item carries it.
        usage: Option<TokenUsage>,
    },
}

/// A stream of items, ended by the server (or by an error item).
pub type ModelStream = BoxStream<'static, Result<StreamItem, ConversationError>>;

/// A language model behind some API.
pub trait ModelClient: Send + Sync {
    /// The endpoint, for error messages.
    fn endpoint(&self) -> &str;

    /// Sends `request` and waits for the whole response.
    fn complete<'a>(&'a self, request: &'a ModelRequest) -> BoxFuture<'a, Result<ModelReply, ConversationError>>;

    /// Sends `request` and returns the response as a stream of items.
    fn stream<'a>(&'a self, request: &'a ModelRequest) -> BoxFuture<'a, Result<ModelStream, ConversationError>>;
}
