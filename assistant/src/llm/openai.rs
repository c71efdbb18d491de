//! The model client for OpenAI-compatible endpoints (OpenAI, Azure OpenAI's v1 API, Ollama,
//! vLLM, llama.cpp server) through async-openai: Saker's requests in the chat-completions
//! wire format, responses and stream chunks back, and every failure as a clear
//! [`ConversationError`].

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessage,
    ChatCompletionRequestAssistantMessageContent, ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage, ChatCompletionRequestUserMessageContent,
    ChatCompletionStreamOptions, ChatCompletionTool, ChatCompletionToolChoiceOption, ChatCompletionTools,
    CompletionUsage, CreateChatCompletionRequest, CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
    FinishReason, FunctionCall, FunctionObject, ToolChoiceOptions,
};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;

use super::accumulate::truncate;
use super::http::{RetryPolicy, RetryingService, http_client, is_retryable};
use super::model::{
    ModelClient, ModelMessage, ModelReply, ModelRequest, ModelStream, StreamItem, ToolCall, ToolCallDelta, ToolChoice,
};
use super::settings::EffectiveLlmSettings;
use crate::conversation::{ConversationError, TokenUsage};

/// A chat-completions client for one endpoint and model.
pub struct OpenAiClient {
    client: Client<OpenAIConfig>,
    settings: EffectiveLlmSettings,
}

impl OpenAiClient {
    /// A client for the settings' endpoint, with Saker's timeouts and retries.
    pub fn new(settings: EffectiveLlmSettings) -> Result<OpenAiClient, ConversationError> {
        let http = http_client(&settings).map_err(ConversationError::InvalidRequest)?;
        // Everything explicit: `OpenAIConfig::new()` would also read OPENAI_BASE_URL,
        // OPENAI_ORG_ID and OPENAI_PROJECT_ID from the environment.
        let config = OpenAIConfig::new()
            .with_api_base(settings.base_url.clone())
            .with_api_key(settings.api_key.clone())
            .with_org_id("")
            .with_project_id("");
        let client = Client::build(http.clone(), config)
            .with_http_service(RetryingService::new(http, RetryPolicy::of(&settings)));
        Ok(OpenAiClient { client, settings })
    }

    fn wire_request(&self, request: &ModelRequest, stream: bool) -> CreateChatCompletionRequest {
        let tools: Vec<ChatCompletionTools> = request
            .tools
            .iter()
            .map(|tool| {
                ChatCompletionTools::Function(ChatCompletionTool {
                    function: FunctionObject {
                        name: tool.name.clone(),
                        description: Some(tool.description.clone()),
                        parameters: Some(tool.parameters.clone()),
                        strict: None,
                    },
                })
            })
            .collect();
        let tool_choice = (!tools.is_empty()).then_some(match request.tool_choice {
            ToolChoice::Auto => ChatCompletionToolChoiceOption::Mode(ToolChoiceOptions::Auto),
            ToolChoice::None => ChatCompletionToolChoiceOption::Mode(ToolChoiceOptions::None),
        });
        CreateChatCompletionRequest {
            messages: request.messages.iter().map(wire_message).collect(),
            model: self.settings.model.clone(),
            temperature: Some(self.settings.temperature),
            tools: (!tools.is_empty()).then_some(tools),
            tool_choice,
            stream: stream.then_some(true),
            stream_options: stream
                .then_some(ChatCompletionStreamOptions { include_usage: Some(true), include_obfuscation: None }),
            ..CreateChatCompletionRequest::default()
        }
    }

    fn error(&self, error: OpenAIError, context: Context) -> ConversationError {
        describe_error(error, context, &self.settings)
    }
}

impl ModelClient for OpenAiClient {
    fn endpoint(&self) -> &str {
        &self.settings.base_url
    }

    fn complete<'a>(&'a self, request: &'a ModelRequest) -> BoxFuture<'a, Result<ModelReply, ConversationError>> {
        Box::pin(async move {
            let response = self
                .client
                .chat()
                .create(self.wire_request(request, false))
                .await
                .map_err(|error| self.error(error, Context::Response))?;
            reply_of(response)
        })
    }

    fn stream<'a>(&'a self, request: &'a ModelRequest) -> BoxFuture<'a, Result<ModelStream, ConversationError>> {
        Box::pin(async move {
            let chunks = self
                .client
                .chat()
                .create_stream(self.wire_request(request, true))
                .await
                .map_err(|error| self.error(error, Context::Response))?;
            let settings = self.settings.clone();
            let items = chunks.flat_map(move |chunk| {
                let items: Vec<Result<StreamItem, ConversationError>> = match chunk {
                    Ok(chunk) => items_of(chunk).into_iter().map(Ok).collect(),
                    Err(error) => vec![Err(describe_error(error, Context::Chunk, &settings))],
                };
                stream::iter(items)
            });
            Ok(items.boxed())
        })
    }
}

fn wire_message(message: &ModelMessage) -> ChatCompletionRequestMessage {
    match message {
        ModelMessage::System(text) => ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
            content: ChatCompletionRequestSystemMessageContent::Text(text.clone()),
            name: None,
        }),
        ModelMessage::User(text) => ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
            content: ChatCompletionRequestUserMessageContent::Text(text.clone()),
            name: None,
        }),
        ModelMessage::Assistant { text, tool_calls } => {
            ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
                content: (!text.is_empty() || tool_calls.is_empty())
                    .then(|| ChatCompletionRequestAssistantMessageContent::Text(text.clone())),
                tool_calls: (!tool_calls.is_empty()).then(|| {
                    tool_calls
                        .iter()
                        .map(|call| {
                            ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                                id: call.id.clone(),
                                function: FunctionCall { name: call.name.clone(), arguments: call.arguments.clone() },
                            })
                        })
                        .collect()
                }),
                ..ChatCompletionRequestAssistantMessage::default()
            })
        }
        ModelMessage::Tool { call_id, content } => {
            ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
                content: ChatCompletionRequestToolMessageContent::Text(content.clone()),
                tool_call_id: call_id.clone(),
            })
        }
    }
}

/// The reply in a non-streamed response (its first choice).
fn reply_of(response: CreateChatCompletionResponse) -> Result<ModelReply, ConversationError> {
    let usage = response.usage.as_ref().map(usage_of);
    let Some(choice) = response.choices.into_iter().next() else {
        return Err(ConversationError::Llm("the model's response has no choices: nothing to answer with".into()));
    };
    let message = choice.message;
    let mut tool_calls = Vec::new();
    for (index, call) in message.tool_calls.unwrap_or_default().into_iter().enumerate() {
        match call {
            ChatCompletionMessageToolCalls::Function(call) => {
                let id = if call.id.is_empty() { format!("call_{index}") } else { call.id };
                tool_calls.push(ToolCall { id, name: call.function.name, arguments: call.function.arguments });
            }
            ChatCompletionMessageToolCalls::Custom(call) => {
                return Err(ConversationError::Llm(format!(
                    "the model made a custom tool call ({:?}); Saker offers only function tools",
                    call.custom_tool.name
                )));
            }
        }
    }
    let text = match (message.content, message.refusal) {
        (Some(content), _) if !content.is_empty() => content,
        (_, Some(refusal)) => refusal,
        _ => String::new(),
    };
    Ok(ModelReply { text, tool_calls, finish_reason: choice.finish_reason.map(finish_name), usage })
}

/// The items of one stream chunk (its first choice, and the usage of the last chunk).
fn items_of(chunk: CreateChatCompletionStreamResponse) -> Vec<StreamItem> {
    let mut items = Vec::new();
    let mut reason = None;
    if let Some(choice) = chunk.choices.into_iter().find(|choice| choice.index == 0) {
        let delta = choice.delta;
        if let Some(text) = delta.content.filter(|text| !text.is_empty()) {
            items.push(StreamItem::Text(text));
        }
        if let Some(refusal) = delta.refusal.filter(|text| !text.is_empty()) {
            items.push(StreamItem::Text(refusal));
        }
        for call in delta.tool_calls.unwrap_or_default() {
            let (name, arguments) = match call.function {
                Some(function) => (function.name, function.arguments),
                None => (None, None),
            };
            items.push(StreamItem::ToolCall(ToolCallDelta { index: call.index, id: call.id, name, arguments }));
        }
        reason = choice.finish_reason.map(finish_name);
    }
    let usage = chunk.usage.as_ref().map(usage_of);
    if reason.is_some() || usage.is_some() {
        items.push(StreamItem::Finish { reason, usage });
    }
    items
}

fn usage_of(usage: &CompletionUsage) -> TokenUsage {
    TokenUsage { prompt: u64::from(usage.prompt_tokens), completion: u64::from(usage.completion_tokens) }
}

fn finish_name(reason: FinishReason) -> String {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::FunctionCall => "function_call",
    }
    .to_string()
}

/// Where an error happened: getting the response (or the stream's head), or reading a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Response,
    Chunk,
}

/// What to check when the server cannot be reached.
const CHECK_ENDPOINT: &str = "check SAKER_LLM_BASE_URL (or `llm.base_url` in the config file) and that the model \
                              server is running and listening there";

/// The error to show for an async-openai failure: what failed and what to check.
fn describe_error(error: OpenAIError, context: Context, settings: &EffectiveLlmSettings) -> ConversationError {
    let endpoint = settings.base_url.clone();
    match error {
        OpenAIError::Reqwest(error) if error.is_connect() => ConversationError::LlmUnreachable {
            endpoint,
            message: format!("cannot connect ({}); {CHECK_ENDPOINT}", source_chain(&error)),
        },
        OpenAIError::Reqwest(error) if error.is_timeout() => ConversationError::LlmUnreachable {
            endpoint,
            message: format!(
                "no answer within {} s; check that the model server is running and not overloaded, or raise \
                 `llm.timeout_seconds`",
                settings.timeout_seconds
            ),
        },
        OpenAIError::Reqwest(error) => ConversationError::LlmUnreachable {
            endpoint,
            message: format!("the request failed ({}); {CHECK_ENDPOINT}", source_chain(&error)),
        },
        OpenAIError::ApiError(response) => {
            let status = response.status_code;
            let detail = truncate(&server_message(&response.api_error.message), 300);
            if is_retryable(status) {
                let attempts = settings.max_retries + 1;
                ConversationError::LlmUnreachable {
                    endpoint,
                    message: format!(
                        "the model server answered {status} ({detail}) to {attempts} attempt{}; check the server's \
                         health and rate limits, or raise `llm.max_retries`",
                        if attempts == 1 { "" } else { "s" }
                    ),
                }
            } else {
                ConversationError::Llm(client_error_message(status, &detail, settings))
            }
        }
        OpenAIError::JSONDeserialize(error, content) => {
            ConversationError::Llm(malformed_message(error, &content, context))
        }
        OpenAIError::StreamError(error) => ConversationError::Llm(format!("the model's stream broke off: {error}")),
        other => ConversationError::Llm(format!("the model call failed: {other}")),
    }
}

fn client_error_message(status: StatusCode, detail: &str, settings: &EffectiveLlmSettings) -> String {
    let advice = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            "check the API key (SAKER_LLM_API_KEY or OPENAI_API_KEY, or `llm.api_key`)".to_string()
        }
        StatusCode::NOT_FOUND => {
            format!("check the model name {:?} (SAKER_LLM_MODEL) and that the base URL ends in /v1", settings.model)
        }
        _ => "the server may not support tool calling for this model".to_string(),
    };
    format!("the model server refused the request with {status} ({detail}); {advice}")
}

fn malformed_message(error: serde_json::Error, content: &str, context: Context) -> String {
    // A server may report a failure inside the stream as `data: {"error": {...}}`.
    if let Ok(value) = serde_json::from_str::<Value>(content)
        && let Some(message) = value.pointer("/error/message").and_then(Value::as_str)
    {
        return format!("the model server reported an error: {}", truncate(message, 300));
    }
    let content = truncate(content.trim(), 200);
    match context {
        Context::Chunk => {
            format!("the model's stream sent a chunk that is not a chat completion chunk ({error}): {content:?}")
        }
        Context::Response if content.starts_with('{') => {
            format!("the model's response is not a chat completion ({error}): {content:?}")
        }
        Context::Response => format!(
            "the server did not answer like an OpenAI-compatible API (got {content:?}); check that the base URL \
             ends in /v1"
        ),
    }
}

/// The message of an error body: async-openai keeps a 5xx body as raw text, which is often
/// OpenAI's `{"error": {"message": ...}}` JSON.
fn server_message(body: &str) -> String {
    let body = body.trim();
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|value| value.pointer("/error/message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

/// An error with its sources, e.g. "error sending request: tcp connect error: Connection
/// refused (os error 111)".
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn chunk(value: Value) -> CreateChatCompletionStreamResponse {
        serde_json::from_value(value).expect("chunk")
    }

    #[test]
    fn a_chunk_gives_text_tool_call_pieces_and_finish() {
        let items = items_of(chunk(json!({
            "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": "Hi", "tool_calls": [
                {"index": 1, "id": "call_b", "type": "function", "function": {"name": "event_stats", "arguments": "{"}}
            ]}, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        })));
        assert_eq!(
            items,
            vec![
                StreamItem::Text("Hi".into()),
                StreamItem::ToolCall(ToolCallDelta {
                    index: 1,
                    id: Some("call_b".into()),
                    name: Some("event_stats".into()),
                    arguments: Some("{".into())
                }),
                StreamItem::Finish {
                    reason: Some("tool_calls".into()),
                    usage: Some(TokenUsage { prompt: 7, completion: 3 })
                },
            ]
        );
    }

    #[test]
    fn errors_inside_a_stream_are_reported_with_the_server_message() {
        let error = serde_json::from_str::<Value>("{").expect_err("invalid");
        let message = malformed_message(error, r#"{"error": {"message": "model overloaded"}}"#, Context::Chunk);
        assert_eq!(message, "the model server reported an error: model overloaded");
        let error = serde_json::from_str::<Value>("{").expect_err("invalid");
        assert!(malformed_message(error, "404 page not found", Context::Response).contains("ends in /v1"));
    }

    #[test]
    fn server_error_bodies_give_their_message() {
        assert_eq!(server_message(r#"{"error": {"message": "overloaded", "type": "server_error"}}"#), "overloaded");
        assert_eq!(server_message(" Bad Gateway \n"), "Bad Gateway");
    }
}
