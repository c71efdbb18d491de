//! Request ids and the request log: every request gets an `x-request-id` (the client's when it
//! is at most 128 characters of letters, digits and `-_.:`, else a new UUID), echoed in the
//! response; every log line written while it is handled carries it
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

/// The longest request id kept from a client.
pub const MAX_REQUEST_ID: usize = 128;

/// Whether a client's request id is kept: short, and only characters that read the same in
/// every log format.
pub fn is_usable_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id.iter().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b':'))
}

/// Drops a client's request id that is not usable (and any second one), so a new one is made.
async fn drop_unusable_id(mut request: Request<Body>) -> Request<Body> {
    let headers = request.headers();
    let keep = headers.get_all(&REQUEST_ID).iter().count() == 1
        && headers.get(&REQUEST_ID).is_some_and(|id| is_usable_id(id.as_bytes()));
    if !keep {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

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
    // The last layer added runs first: an unusable id is dropped, the id is set, then the span
    // opens with it, and the response gets the id back.
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(is_usable_id(b"req-from-the-client-1") && is_usable_id(b"0f0e:a.b_c"));
        assert!(is_usable_id("a".repeat(MAX_REQUEST_ID).as_bytes()));
        assert!(!is_usable_id("a".repeat(MAX_REQUEST_ID + 1).as_bytes()));
        assert!(!is_usable_id(b"") && !is_usable_id(b"two words") && !is_usable_id(b"{\"x\":1}"));
    }
}
