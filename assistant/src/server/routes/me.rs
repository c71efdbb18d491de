//! `GET /v1/me`: who the server takes the caller for (the token's name and role, or the local
//! user), so the page shows approval buttons only to roles that may approve.

use axum::Json;
use axum::extract::State;
use axum::http::Extensions;
use serde::Serialize;

use crate::auth::Principal;
use crate::server::AppState;

/// The caller as the server sees it.
#[derive(Debug, Serialize)]
pub struct Me {
    /// The token's name, or `local:<user>`.
    pub name: String,
    /// The role: `viewer`, `analyst`, `responder` or `admin`.
    pub role: &'static str,
    /// Whether this server needs API tokens.
    pub tokens_required: bool,
}

/// `GET /v1/me`.
pub async fn me(State(state): State<AppState>, extensions: Extensions) -> Json<Me> {
    let tokens_required = !state.tokens().is_empty();
    let principal =
        extensions.get::<Principal>().cloned().unwrap_or_else(|| Principal::local(state.tokens().local_role()));
    Json(Me { name: principal.name, role: principal.role.name(), tokens_required })
}
