//! `GET /v1/tools` (each tool's name, description and JSON Schema) and `POST /v1/tools/{name}`
//! (runs a tool with JSON arguments, `application/json`; `?now=` fixes the clock), within the
//! server's tool deadline and stopped when the client disconnects.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use saker_tools::analytics::{CallBudget, ToolContext};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::server::body_type::{self, BodyType};
use crate::server::{ApiError, AppState};

/// `GET /v1/tools`: `{"tools": [{name, description, parameters}, ...]}`.
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let specs: Vec<_> = state.orchestrator().registry().specs().collect();
    Json(json!({ "tools": specs }))
}

/// Query of `POST /v1/tools/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvokeQuery {
    /// "Now" (RFC 3339) for relative ranges such as `last: 7d`; default the real clock.
    pub now: Option<String>,
}

/// Parses an optional `now` parameter.
pub fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>, ApiError> {
    match now {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).map_err(|_| {
            ApiError::bad_request(
                "invalid_time",
                format!("now {text:?} is not an RFC 3339 time (e.g. 2026-11-20T12:00:00Z)"),
            )
        }),
    }
}

/// `POST /v1/tools/{name}`: the tool's output; 404 for an unknown tool, 400 naming the bad
/// argument.
pub async fn invoke(
    State(state): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<InvokeQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    body_type::require(&headers, BodyType::Json)?;
    let Query(query) = query?;
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    let orchestrator = state.orchestrator().clone();
    let registry = orchestrator.registry().clone();
    if !registry.specs().any(|spec| spec.name == name) {
        let available: Vec<&str> = registry.specs().map(|spec| spec.name).collect();
        return Err(ApiError::not_found(
            "unknown_tool",
            format!("unknown tool {name:?} (available: {})", available.join(", ")),
        ));
    }
    let arguments: Value =
        if body.iter().all(u8::is_ascii_whitespace) { json!({}) } else { ApiError::parse_json(&body)? };
    if !arguments.is_object() {
        return Err(ApiError::bad_request("invalid_arguments", "the tool's arguments must be a JSON object"));
    }
    let now = parse_now(query.now.as_deref())?;
    // Dropped with this future when the client disconnects: the call stops at its next read.
    let budget = CallBudget::with_deadline(state.limits().tool_deadline);
    let client_gone = budget.cancel_on_drop();
    let started = std::time::Instant::now();
    let metrics = orchestrator.metrics().clone();
    let tool = name.clone();
    let output = tokio::task::spawn_blocking(move || {
        let context = ToolContext { budget, ..ToolContext::new(&**orchestrator.store(), orchestrator.rules(), now) };
        registry.invoke(&name, arguments, &context)
    })
    .await?;
    metrics.record_tool_call(&tool, "api", output.is_ok(), started.elapsed());
    let output = output?;
    client_gone.finish();
    Ok(Json(output))
}
