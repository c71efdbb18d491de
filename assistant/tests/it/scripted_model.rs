//! A scripted OpenAI-compatible model server on loopback: `POST /v1/chat/completions` replays
//! a script of responses in order (JSON bodies, SSE chunk streams ending with `data: [DONE]`,
//! raw statuses with headers, raw malformed bytes) and records every request body, so tests
//! exercise Saker's real wire protocol and assert on what it sends.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use saker::llm::LlmSettings;
use serde_json::{Value, json};

/// One scripted response.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a JSON body (a non-streamed chat completion).
    Json(Value),
    /// 200 `text/event-stream`: each chunk as `data: {chunk}` (sent as its own body frame),
    /// then `data: [DONE]`.
    Sse(Vec<Value>),
    /// Any status with a body and headers.
    Status {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
        /// Extra headers.
        headers: Vec<(&'static str, String)>,
    },
    /// 200 with exactly these bytes under this content type.
    Raw {
        /// The content type.
        content_type: &'static str,
        /// The body.
        body: String,
    },
}

struct ServerState {
    script: Mutex<VecDeque<Reply>>,
    fallback: Option<Reply>,
    requests: Mutex<Vec<Value>>,
}

/// A running scripted server; stops when dropped.
pub struct ScriptedModel {
    /// `http://127.0.0.1:<port>/v1`.
    pub base_url: String,
    state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedModel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedModel {
    /// Serves `script` in order; a request past its end gets a 400 naming the problem.
    pub async fn start(script: Vec<Reply>) -> ScriptedModel {
        ScriptedModel::serve(script, None).await
    }

    /// Serves `script`, then `fallback` for every further request.
    pub async fn start_then_repeat(script: Vec<Reply>, fallback: Reply) -> ScriptedModel {
        ScriptedModel::serve(script, Some(fallback)).await
    }

    async fn serve(script: Vec<Reply>, fallback: Option<Reply>) -> ScriptedModel {
        let state =
            Arc::new(ServerState { script: Mutex::new(script.into()), fallback, requests: Mutex::new(Vec::new()) });
        let router = Router::new().route("/v1/chat/completions", post(completions)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("scripted model serves");
        });
        ScriptedModel { base_url: format!("http://{address}/v1"), state, task }
    }

    /// Every request body received, in order (parsed JSON, or the raw text as a string).
    pub fn requests(&self) -> Vec<Value> {
        self.state.requests.lock().expect("requests lock").clone()
    }

    /// Settings pointing at this server: non-streaming, 1 ms first retry delay.
    pub fn settings(&self) -> LlmSettings {
        LlmSettings {
            base_url: Some(self.base_url.clone()),
            model: Some("scripted-model".into()),
            api_key: Some("test-key".into()),
            stream: Some(false),
            retry_delay_ms: Some(1),
            ..LlmSettings::default()
        }
    }
}

async fn completions(State(state): State<Arc<ServerState>>, body: Bytes) -> Response {
    let recorded =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    state.requests.lock().expect("requests lock").push(recorded);
    let next = state.script.lock().expect("script lock").pop_front().or_else(|| state.fallback.clone());
    let Some(reply) = next else {
        return response(
            StatusCode::BAD_REQUEST,
            "application/json",
            Body::from(r#"{"error": {"message": "the scripted model has no more responses"}}"#),
        );
    };
    match reply {
        Reply::Json(value) => response(StatusCode::OK, "application/json", Body::from(value.to_string())),
        Reply::Sse(chunks) => {
            let frames: Vec<Result<String, Infallible>> = chunks
                .iter()
                .map(|chunk| Ok(format!("data: {chunk}\n\n")))
                .chain(std::iter::once(Ok("data: [DONE]\n\n".to_string())))
                .collect();
            response(StatusCode::OK, "text/event-stream", Body::from_stream(futures_util::stream::iter(frames)))
        }
        Reply::Status { status, body, headers } => {
            let mut response =
                response(StatusCode::from_u16(status).expect("status code"), "application/json", Body::from(body));
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse().expect("header value"));
            }
            response
        }
        Reply::Raw { content_type, body } => response(StatusCode::OK, content_type, Body::from(body)),
    }
}

fn response(status: StatusCode, content_type: &str, body: Body) -> Response {
    Response::builder().status(status).header(header::CONTENT_TYPE, content_type).body(body).expect("response")
}

/// A non-streamed completion answering with text.
pub fn text_completion(text: &str, prompt_tokens: u32, completion_tokens: u32) -> Reply {
    Reply::Json(json!({
        "id": "chatcmpl-text", "object": "chat.completion", "created": 1_763_640_000, "model": "scripted-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    }))
}

/// A non-streamed completion asking for tool calls `(id, name, arguments)`.
pub fn tool_call_completion(calls: &[(&str, &str, Value)]) -> Reply {
    let tool_calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, arguments)| {
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments.to_string()}})
        })
        .collect();
    Reply::Json(json!({
        "id": "chatcmpl-tools", "object": "chat.completion", "created": 1_763_640_000, "model": "scripted-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": tool_calls},
                     "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
    }))
}

/// A stream chunk with this `delta` and finish reason.
pub fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-stream", "object": "chat.completion.chunk", "created": 1_763_640_000, "model": "scripted-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    })
}

/// The last chunk of a stream with `include_usage`: no choices, the usage.
pub fn usage_chunk(prompt_tokens: u32, completion_tokens: u32) -> Value {
    json!({
        "id": "chatcmpl-stream", "object": "chat.completion.chunk", "created": 1_763_640_000, "model": "scripted-model",
        "choices": [],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    })
}

/// A status reply with an OpenAI-style error body.
pub fn status(status: u16, message: &str, headers: Vec<(&'static str, String)>) -> Reply {
    Reply::Status { status, body: json!({"error": {"message": message, "type": "server_error"}}).to_string(), headers }
}
