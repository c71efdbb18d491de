//! `GET /healthz`: the server is up, how many alerts it holds, which backend answers.

use axum::Json;
use axum::extract::State;
use saker_tools::store::AlertStore;
use serde::Serialize;

use crate::conversation::BackendKind;
use crate::server::{ApiError, AppState};

/// The health answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// Alerts in the event store.
    pub alerts: u64,
    /// Which backend answers questions.
    pub backend: BackendKind,
}

/// `GET /healthz`.
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    // The count comes from the open reader's segment metadata: no I/O.
    let alerts = state.store().len()?;
    Ok(Json(Health { status: "ok", alerts, backend: state.orchestrator().backend().kind() }))
}
