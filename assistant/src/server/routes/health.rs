//! `GET /healthz`: the server is up, how many alerts it holds, which backend answers (liveness);
//! `GET /readyz`: whether its databases answer (readiness).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::conversation::BackendKind;
use crate::server::AppState;

/// The health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// Alerts in the event store; `null` when the store cannot be read right now (a shared
    /// database away: `/readyz` says so, and liveness does not depend on it).
    pub alerts: Option<u64>,
    /// Which backend answers questions.
    pub backend: BackendKind,
}

/// `GET /healthz`.
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    // Embedded: the open reader's segment metadata, no I/O; shared: one query, off the async
    // workers.
    let store = state.store().clone();
    let alerts = match tokio::task::spawn_blocking(move || store.len()).await {
        Ok(Ok(alerts)) => Some(alerts),
        Ok(Err(error)) => {
            tracing::warn!(details = %error, "cannot count the alerts for /healthz");
            None
        }
        Err(_) => None,
    };
    Json(Health { status: "ok", alerts, backend: state.orchestrator().backend().kind() })
}

/// The readiness answer.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// Whether this replica can answer: its databases respond.
    pub ready: bool,
    /// Why not (`database unreachable: ...`, naming the database without its password).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /readyz`: 200 when the state and session databases answer now, else 503 with the
/// reason, so a load balancer sends no requests to a replica that cannot record them.
/// `/healthz` stays liveness: the process answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let checked = async {
        if let Some(ingest_log) = state.ingest_log() {
            ingest_log.ping().await.map_err(|error| error.to_string())?;
        }
        state.orchestrator().sessions().ping().await.map_err(|error| error.to_string())
    };
    match checked.await {
        Ok(()) => (StatusCode::OK, Json(Readiness { ready: true, reason: None })),
        Err(details) => {
            tracing::warn!(%details, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Readiness { ready: false, reason: Some(format!("database unreachable: {details}")) }),
            )
        }
    }
}
