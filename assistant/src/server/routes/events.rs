//! `POST /v1/events`: ingests Falco alerts (one JSON object as Falco's `http_output` or
//! falcosidekick's webhook sends it, a JSON array, or JSON Lines; `?cluster=NAME` for alerts
//! that carry none), sent as `application/json` or JSON Lines (`application/x-ndjson`). Answers once the accepted alerts are committed and searchable:
//! `{accepted, duplicates, rejected, rejections: [{line | index, reason}]}`, 200 when anything
//! was stored or everything was already there, 400 when the body is not JSON or every item was
//! rejected.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::server::body_type::{self, BodyType};
use crate::server::ingest_body::{BodyShape, Place};
use crate::server::ingest_worker::{IngestFailure, IngestReport};
use crate::server::{ApiError, AppState};

/// Query of `POST /v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// Cluster assumed for alerts without `k8s.cluster.name` / `kubernetes.cluster.name`.
    pub cluster: Option<String>,
}

/// One rejected (or repaired) item and where it was.
#[derive(Debug, Serialize)]
pub struct ItemProblem {
    /// `{"line": n}` or `{"index": n}`.
    #[serde(flatten)]
    pub place: Place,
    /// What is wrong, naming the field.
    pub reason: String,
}

/// The answer of `POST /v1/events`.
#[derive(Debug, Serialize)]
pub struct IngestResponse {
    /// Alerts newly stored.
    pub accepted: u64,
    /// Alerts that were already stored.
    pub duplicates: u64,
    /// Items that are not valid Falco alerts.
    pub rejected: u64,
    /// Each rejection (the first thousand) with its place.
    pub rejections: Vec<ItemProblem>,
    /// Alerts stored after a repair (e.g. junk after the timestamp ignored), with their place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<ItemProblem>,
    /// Present when nothing could be stored (status 400).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
}

impl IngestResponse {
    fn of(report: &IngestReport) -> IngestResponse {
        let problems = |shape: BodyShape, list: &[saker_tools::ingest::Rejection]| {
            list.iter()
                .map(|item| ItemProblem { place: shape.place(item.line), reason: item.reason.clone() })
                .collect::<Vec<_>>()
        };
        let summary = &report.summary;
        IngestResponse {
            accepted: summary.accepted,
            duplicates: summary.duplicates,
            rejected: summary.rejected,
            rejections: problems(report.shape, &summary.rejections),
            repairs: problems(report.shape, &summary.repairs),
            error: None,
        }
    }
}

/// `POST /v1/events`.
pub async fn ingest(
    State(state): State<AppState>,
    query: Result<Query<IngestQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    body_type::require(&headers, BodyType::Alerts)?;
    let Query(query) = query?;
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    let started_at = chrono::Utc::now();
    let report = state.ingest().ingest(body, query.cluster).await.map_err(|failure| match failure {
        IngestFailure::Body(error) => {
            let code = if matches!(error, crate::server::ingest_body::BodyError::Empty) {
                "empty_body"
            } else {
                "invalid_json"
            };
            ApiError::bad_request(code, error.to_string())
        }
        IngestFailure::Store(error) => ApiError::from(error),
        IngestFailure::SharedCommit(_) => ApiError::internal("storage", &failure),
        IngestFailure::Stopped => ApiError::internal("internal", &failure),
    })?;
    let summary = &report.summary;
    state.orchestrator().metrics().record_ingest("http", summary.accepted, summary.duplicates, summary.rejected);
    if let Some(log) = state.ingest_log()
        && let Err(error) =
            log.record_ingest(started_at, "http", summary.accepted, summary.duplicates, summary.rejected).await
    {
        tracing::warn!(details = %error, "cannot record the ingest run");
    }
    let mut response = IngestResponse::of(&report);
    if summary.accepted == 0 && summary.duplicates == 0 {
        let error = ApiError::bad_request(
            "all_rejected",
            format!("none of the {} items is a valid Falco alert; see `rejections`", summary.rejected),
        );
        response.error = error.body().get("error").cloned();
        return Ok((error.status, Json(response)).into_response());
    }
    Ok(Json(response).into_response())
}
