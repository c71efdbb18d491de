//! The web interface `saker serve` gives analysts, with nothing to build or install: the chat
//! page at `/` (static HTML, CSS and JavaScript embedded in the binary, talking to the JSON
//! and SSE API), the event feed and alert detail pages (rendered on the server), and the
//! reconnaissance report (page and API).
//!
//! [`assets`] serves the embedded files, [`negotiate`] decides between a page and JSON by the
//! `Accept` header (browsers get pages at `/events`, API clients keep the JSON), [`layout`]
//! wraps pages in the shared header with a strict Content-Security-Policy, [`feed_page`] and
//! [`alert_page`] render alerts (every value escaped through [`crate::markup`]), and
//! [`report_routes`] serves `/reports/recon` and `/v1/reports/recon`.

pub mod alert_page;
pub mod assets;
pub mod feed_page;
pub mod layout;
pub mod negotiate;
pub mod report_routes;

use axum::Router;
use axum::routing::get;

use super::AppState;

/// The web interface's routes (the negotiated `/events` is routed by the API's router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(assets::chat_page))
        .route("/assets/{name}", get(assets::asset))
        .route("/events/{id}", get(alert_page::alert))
        .route("/reports/recon", get(report_routes::page))
        .route("/v1/reports/recon", get(report_routes::api))
}
