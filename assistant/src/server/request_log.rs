//! Request ids and the request log: every request gets an `x-request-id` (the client's, else a
//! new UUID), echoed in the response; every log line written while it is handled carries it
//! (a `request` span with the id, method and path), and one line per request says its status
//! and latency (target `saker::server::request_log`, level info: `SAKER_LOG=info`). With
//! `--log-format json` each line is a JSON object whose `span` holds the request id.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, Request, Response};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The header that carries the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `router` with request ids and the request log around every route.
pub fn install(router: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<Body>| {
            let id = request.headers().get(&REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
        })
        .on_request(())
        .on_response(|response: &Response<Body>, latency: Duration, _span: &Span| {
            tracing::info!(
                status = response.status().as_u16(),
                latency_ms = latency.as_secs_f64() * 1000.0,
                "request finished"
            );
        });
    // The last layer added runs first: the id is set, then the span opens with it, and the
    // response gets the id back.
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
