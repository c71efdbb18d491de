//! A scripted OpenAI-compatible model on loopback, for a wire-level run of the LLM backend
//! (`saker eval --backend llm --scripted-model`). It speaks the real protocol (JSON or SSE chunk
//! streams, tool calls, usage) but understands nothing: to a question it answers with one
//! `event_stats` call, to a tool result with a fixed sentence. Its pass rate measures the
//! plumbing (every turn completes through the model path, tools run confined to the scope,
//! tokens and latency are recorded), not answer quality. Token counts are the request and reply
//! sizes divided by four.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

use crate::EvalError;

/// The scripted model's only sentence.
pub const SCRIPTED_TEXT: &str =
    "(scripted model) The figures are in the tool results above; this server reads none of them.";

/// A running scripted server; stops when dropped.
pub struct ScriptedModel {
    /// `http://127.0.0.1:<port>/v1`.
    pub base_url: String,
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedModel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedModel {
    /// Starts the server on 127.0.0.1, port chosen by the system.
    pub async fn start() -> Result<ScriptedModel, EvalError> {
        let requests = Arc::new(AtomicU64::new(0));
        let router = Router::new().route("/v1/chat/completions", post(completions)).with_state(requests.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("scripted model: {error}");
            }
        });
        Ok(ScriptedModel { base_url: format!("http://{address}/v1"), requests, task })
    }

    /// How many chat completions were requested.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

async fn completions(State(requests): State<Arc<AtomicU64>>, body: Bytes) -> Response {
    requests.fetch_add(1, Ordering::Relaxed);
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return respond(
            StatusCode::BAD_REQUEST,
            "application/json",
            json!({"error": {"message": "not JSON"}}).to_string(),
        );
    };
    let messages = request.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
    let last_role = messages.last().and_then(|message| message.get("role")).and_then(Value::as_str).unwrap_or("");
    let tools_offered = request.get("tools").and_then(Value::as_array).is_some_and(|tools| !tools.is_empty());
    let call_tool = last_role == "user" && tools_offered;
    let prompt_tokens = body.len() as u64 / 4;
    let completion_tokens = if call_tool { 8 } else { SCRIPTED_TEXT.len() as u64 / 4 };
    let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                       "total_tokens": prompt_tokens + completion_tokens});
    let stream = request.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        let message = if call_tool {
            json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "event_stats", "arguments": "{}"}}]})
        } else {
            json!({"role": "assistant", "content": SCRIPTED_TEXT})
        };
        let finish = if call_tool { "tool_calls" } else { "stop" };
        let reply = json!({
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": 1_763_640_000, "model": "scripted-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage});
        return respond(StatusCode::OK, "application/json", reply.to_string());
    }
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1_763_640_000,
               "model": "scripted-model", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut chunks = if call_tool {
        vec![
            chunk(
                json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                       "function": {"name": "event_stats", "arguments": ""}}]}),
                None,
            ),
            chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}), None),
            chunk(json!({}), Some("tool_calls")),
        ]
    } else {
        vec![chunk(json!({"role": "assistant", "content": SCRIPTED_TEXT}), None), chunk(json!({}), Some("stop"))]
    };
    chunks.push(json!({"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1_763_640_000,
                       "model": "scripted-model", "choices": [], "usage": usage}));
    let mut text: String = chunks.iter().map(|chunk| format!("data: {chunk}\n\n")).collect();
    text.push_str("data: [DONE]\n\n");
    respond(StatusCode::OK, "text/event-stream", text)
}

fn respond(status: StatusCode, content_type: &str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
