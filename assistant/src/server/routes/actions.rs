//! Response actions over HTTP: `GET /v1/actions` (the history, newest first), `GET
//! /v1/actions/{id}`, `POST /v1/actions` (propose for a scope, analyst or above), and `POST
//! /v1/actions/{id}/approve|reject|revert` (responder or admin; a JSON body naming the digest
//! approved; a refusal is 403 and recorded in the action's history).

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use saker_tools::actions::{ActionOrigin, ActionQuery, ActionStatus, Proposal, StoredAction};
use saker_tools::analytics::{CallBudget, OutputLimits, ToolContext};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::actions::ActionService;
use crate::auth::Principal;
use crate::server::body_type::{self, BodyType};
use crate::server::{ApiError, AppState};

/// Query of `GET /v1/actions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only this conversation's.
    pub session_id: Option<String>,
    /// How many (default 50, at most 500).
    pub limit: Option<u32>,
}

/// Body of approve and reject.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    digest: Option<String>,
    reason: Option<String>,
}

/// Body of `POST /v1/actions`: `propose_response_action`'s arguments (checked against its
/// schema), a session and a clock.
#[derive(Debug, Deserialize)]
struct ProposeBody {
    #[serde(flatten)]
    arguments: serde_json::Map<String, Value>,
}

fn service(state: &AppState) -> Result<&ActionService, ApiError> {
    state.actions().ok_or_else(ApiError::actions_unavailable)
}

fn principal(extension: Option<Extension<Principal>>) -> Result<Principal, ApiError> {
    extension.map(|Extension(principal)| principal).ok_or_else(ApiError::no_principal)
}

/// `GET /v1/actions`: `{"actions": [...]}`, each with its history.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(50);
    if limit == 0 || limit > 500 {
        return Err(ApiError::bad_request("invalid_query", format!("limit {limit}: allowed 1 to 500")));
    }
    let status = match query.status.as_deref() {
        Some(name) => Some(ActionStatus::from_name(name).ok_or_else(|| {
            let allowed: Vec<&str> = ActionStatus::ALL.iter().map(|status| status.name()).collect();
            ApiError::bad_request("invalid_query", format!("status {name:?}: allowed {}", allowed.join(", ")))
        })?),
        None => None,
    };
    let actions = service(&state)?
        .list(&ActionQuery { session_id: query.session_id, status, limit: Some(limit), ..ActionQuery::default() })
        .await?;
    Ok(Json(json!({ "actions": actions })))
}

/// `GET /v1/actions/{id}`.
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<StoredAction>, ApiError> {
    Ok(Json(service(&state)?.get(&id).await?))
}

/// Reads a JSON body; approvals must be JSON (a form post from another site cannot make one).
fn json_body<T: serde::de::DeserializeOwned + Default>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    body_type::require(headers, BodyType::Json)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    ApiError::parse_json(body)
}

/// `POST /v1/actions/{id}/approve` with `{"digest": "sha256:..."}`: approves and executes.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<StoredAction>, ApiError> {
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    let decision: DecisionBody = json_body(&headers, &body)?;
    let principal = principal(caller)?;
    let digest = decision.digest.unwrap_or_default();
    Ok(Json(service(&state)?.approve(&id, &digest, &principal).await?))
}

/// `POST /v1/actions/{id}/reject` with `{"digest"?, "reason"?}`.
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<StoredAction>, ApiError> {
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    let decision: DecisionBody = json_body(&headers, &body)?;
    let principal = principal(caller)?;
    Ok(Json(service(&state)?.reject(&id, decision.digest.as_deref(), decision.reason.as_deref(), &principal).await?))
}

/// `POST /v1/actions/{id}/revert`: undoes a succeeded reversible action.
pub async fn revert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<StoredAction>, ApiError> {
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    let _: DecisionBody = json_body(&headers, &body)?;
    let principal = principal(caller)?;
    Ok(Json(service(&state)?.revert(&id, &principal).await?))
}

/// `POST /v1/actions`: `propose_response_action` over the body's scope and time range (plus
/// `session_id` and `now`), recorded as proposed. `{"actions": [...], "note"?}`.
pub async fn propose(
    State(state): State<AppState>,
    caller: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    body_type::require(&headers, BodyType::Json)?;
    let ProposeBody { mut arguments } = ApiError::parse_json(&body)?;
    let principal = principal(caller)?;
    let session_id = arguments.remove("session_id").and_then(|value| value.as_str().map(str::to_string));
    let now = match arguments.remove("now") {
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(&text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(|error| ApiError::bad_request("invalid_time", format!("now {text:?}: {error}")))?,
        Some(other) => {
            return Err(ApiError::bad_request("invalid_time", format!("now must be an RFC 3339 string, not {other}")));
        }
        None => Utc::now(),
    };
    let orchestrator = state.orchestrator().clone();
    let budget = CallBudget::with_deadline(state.limits().tool_deadline);
    let client_gone = budget.cancel_on_drop();
    let output = tokio::task::spawn_blocking(move || {
        let context = ToolContext {
            store: &**orchestrator.store(),
            rules: orchestrator.rules(),
            now,
            base_scope: saker_tools::scope::Scope::all(),
            limits: OutputLimits::default(),
            budget,
        };
        orchestrator.registry().invoke("propose_response_action", Value::Object(arguments), &context)
    })
    .await??;
    client_gone.finish();
    let proposals: Vec<Proposal> = serde_json::from_value(output["proposals"].clone()).unwrap_or_default();
    let actions = service(&state)?.propose(proposals, ActionOrigin::Api, &principal, session_id.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"actions": actions, "note": output.get("note"), "more_proposals": output.get("more_proposals")})),
    ))
}
