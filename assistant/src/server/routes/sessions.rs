//! `GET /v1/sessions` (recent session ids) and `GET /v1/sessions/{id}` (a session with its
//! turns, tool calls and focus).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::conversation::Session;
use crate::server::{ApiError, AppState};

/// Most session ids listed at once.
const MAX_LISTED: u32 = 500;

/// Query of `GET /v1/sessions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// How many ids (default 20, at most 500).
    pub limit: Option<u32>,
}

/// `GET /v1/sessions`: `{"sessions": [id, ...]}`, most recently used first.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(20);
    if limit == 0 || limit > MAX_LISTED {
        return Err(ApiError::bad_request("invalid_query", format!("limit {limit}: allowed 1 to {MAX_LISTED}")));
    }
    let ids = state.orchestrator().sessions().recent(limit).await?;
    Ok(Json(json!({ "sessions": ids })))
}

/// `GET /v1/sessions/{id}`: the session, or 404.
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Session>, ApiError> {
    Ok(Json(state.orchestrator().sessions().load(&id).await?))
}
