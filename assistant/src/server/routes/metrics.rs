//! `GET /metrics`: the server's Prometheus metrics (OpenMetrics text), with the store's size
//! and the response actions by status read at the scrape.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::metrics::CONTENT_TYPE;
use crate::server::{ApiError, AppState};

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    // Embedded: the open reader's segment metadata, no I/O; shared: one query, off the async
    // workers.
    let store = state.store().clone();
    let alerts = tokio::task::spawn_blocking(move || store.len())
        .await
        .map_err(|error| ApiError::internal("storage", &error))??;
    let actions = match state.actions() {
        Some(actions) => match actions.ledger().count_by_status().await {
            Ok(counts) => Some(counts),
            Err(error) => {
                tracing::warn!(details = %error, "cannot count the response actions for the metrics");
                None
            }
        },
        None => None,
    };
    let text = state.orchestrator().metrics().render(alerts, actions.as_deref());
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}
