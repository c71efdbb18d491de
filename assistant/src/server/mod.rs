//! The HTTP API (axum): ingest, chat over Server-Sent Events, sessions, tools, the event feed
//! and health. One module per job: [`state`] (what handlers share), [`routes`] (one module per
//! resource), [`sse`] (chat events on the wire), [`error`] (the one mapping of errors to HTTP
//! statuses), [`ingest_body`] and [`ingest_worker`] (request bodies into the store),
//! [`same_origin`] (cross-site requests that could change state are refused) and [`body_type`]
//! (the content types such routes accept); [`request_log`] gives every request an id and logs
//! it; `/metrics` and `/mcp` (the MCP server, [`crate::mcp`]) sit beside the API.

pub mod auth;
pub mod body_type;
pub mod error;
pub mod ingest_body;
pub mod ingest_worker;
pub mod request_log;
pub mod routes;
pub mod same_origin;
pub mod sse;
pub mod state;
pub mod web;

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;

pub use error::ApiError;
pub use state::{AppParts, AppState, DEFAULT_MAX_BODY_BYTES, ResponseParts, ServerLimits};

/// The API's router over `state`.
pub fn router(state: AppState) -> Router {
    let limit = state.limits().max_body_bytes;
    let mcp = crate::mcp::http::service(state.orchestrator().clone(), state.limits().tool_deadline, limit);
    let router = Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::metrics::metrics))
        .nest_service("/mcp", mcp)
        .route("/v1/events", post(routes::events::ingest).get(routes::feed::events))
        .route("/events", get(web::feed_page::events))
        .route("/v1/chat", post(routes::chat::chat))
        .route("/v1/sessions", get(routes::sessions::list))
        .route("/v1/sessions/{id}", get(routes::sessions::show))
        .route("/v1/tools", get(routes::tools::list))
        .route("/v1/tools/{name}", post(routes::tools::invoke))
        .route("/v1/exceptions/validate", post(routes::exceptions::validate))
        .merge(web::routes())
        .route("/v1/me", get(routes::me::me))
        .route("/v1/actions", get(routes::actions::list).post(routes::actions::propose))
        .route("/v1/actions/{id}", get(routes::actions::show))
        .route("/v1/actions/{id}/approve", post(routes::actions::approve))
        .route("/v1/actions/{id}/reject", post(routes::actions::reject))
        .route("/v1/actions/{id}/revert", post(routes::actions::revert))
        .fallback(no_route)
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn(same_origin::refuse_cross_site))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state);
    request_log::install(router)
}

/// Serves the API on `listener` until `shutdown` completes, then lets open requests finish.
///
/// Connections are `TCP_NODELAY`: a stream writes small SSE events one at a time, and Nagle's
/// algorithm would hold each behind the client's delayed acknowledgement of the last (40 ms).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::warn!(details = %error, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(
        "no_route",
        format!(
            "no route for {method} {}; the API has /healthz, /readyz, /metrics, /mcp, /v1/events, /v1/chat, /v1/sessions, /v1/tools, /v1/actions",
            uri.path()
        ),
    )
}
