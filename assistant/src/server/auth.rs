//! Who is calling: the API token of a request (`Authorization: Bearer <token>`, checked
//! against the configured hashes; for page loads (`GET`/`HEAD`) also the `saker_token` cookie
//! the web page sets, since a browser navigation cannot send a header) or, when no token is
//! configured, the local user on a loopback-only server. Every route that returns alert data is
//! covered: the API (`/v1/`), the event feed and alert pages (`/events`) and the reports
//! (`/reports`); the chat page and its static assets hold no data. The principal goes into the request's extensions; routes that need
//! more than asking check its role (approval refusals are recorded by the action service). Roles
//! are decided on the percent-decoded path, the tool name the router will run.
//!
//! Without tokens the server only listens on loopback ([`check_listen_address`]) and only
//! answers requests whose `Host` is a loopback name (every route, `/healthz` and the pages
//! included), so a web page elsewhere cannot reach it through DNS rebinding.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{Permission, Principal, TokenTable};
use crate::server::{ApiError, AppState};

/// Refuses a non-loopback listen address when no API token is configured.
pub fn check_listen_address(address: &SocketAddr, tokens: &TokenTable) -> Result<(), String> {
    if tokens.is_empty() && !address.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {address} without API tokens: anyone who reaches it could ask, propose and approve. \
             Configure auth.tokens in saker.yaml (or SAKER_API_TOKENS; `saker token create` makes one), or listen on \
             127.0.0.1"
        ));
    }
    Ok(())
}

/// The tools that need more than asking, by name: the one table of tool roles.
const TOOL_PERMISSIONS: [(&str, Permission); 2] =
    [("propose_response_action", Permission::Propose), ("generate_exception", Permission::Propose)];

/// The permission a tool call needs, by the tool's (decoded) name: over `/v1/tools` and over
/// MCP alike.
pub fn tool_permission(name: &str) -> Permission {
    TOOL_PERMISSIONS.iter().find(|(tool, _)| *tool == name).map_or(Permission::Ask, |(_, permission)| *permission)
}

/// The request path as the router reads its parameters: percent-decoded, so that
/// `/v1/tools/propose%5Fresponse_action` is checked as the tool the router will run.
fn decoded_path(uri: &Uri) -> String {
    percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy().into_owned()
}

/// What a request needs beyond asking, decided by method and decoded path. Approvals,
/// rejections and reverts are checked (and refusals recorded) by the action service itself.
fn required(method: &Method, path: &str) -> Permission {
    match (method, path) {
        (&Method::POST, "/v1/events") => Permission::Ingest,
        (&Method::POST, "/v1/actions") => Permission::Propose,
        (&Method::POST, _) => path.strip_prefix("/v1/tools/").map_or(Permission::Ask, tool_permission),
        _ => Permission::Ask,
    }
}

/// Whether a path returns alert data (and so needs a token when tokens are configured).
fn holds_data(path: &str) -> bool {
    path.starts_with("/v1/")
        || path == "/mcp"
        || path.starts_with("/mcp/")
        || path == "/events"
        || path.starts_with("/events/")
        || path == "/reports"
        || path.starts_with("/reports/")
}

/// The `saker_token` cookie the web page sets after the analyst enters a token.
fn token_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("saker_token="))
        .map(|token| token.trim().to_string())
        .find(|token| !token.is_empty())
}

fn is_loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|value| value.to_str().ok()) else { return true };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_matches(['[', ']']);
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Resolves the principal of an API request, or answers 401/403.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = decoded_path(request.uri());
    let tokens = state.tokens();
    // Every route, pages and `/healthz` included: a page elsewhere must not learn that (or
    // what) a token-less server answers through DNS rebinding.
    if tokens.is_empty() && !is_loopback_host(request.headers()) {
        return ApiError::host_not_allowed().into_response();
    }
    if !holds_data(&path) {
        return next.run(request).await;
    }
    let principal = if tokens.is_empty() {
        Principal::local(tokens.local_role())
    } else {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::to_string);
        // The cookie only for reading: a cross-site form cannot make a browser send a header,
        // but it could send a cookie, so nothing that writes accepts one.
        let reads = matches!(*request.method(), Method::GET | Method::HEAD);
        let presented = bearer.or_else(|| reads.then(|| token_cookie(request.headers())).flatten());
        match presented.as_deref().and_then(|token| tokens.authenticate(token)) {
            Some(principal) => principal,
            None => return ApiError::unauthorized().into_response(),
        }
    };
    let permission = required(request.method(), &path);
    if !principal.may(permission) {
        tracing::info!(principal = %principal.name, role = principal.role.name(), %path, "request refused by role");
        return ApiError::forbidden(principal.refusal(permission)).into_response();
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_without_tokens() {
        let none = TokenTable::default();
        assert!(check_listen_address(&"127.0.0.1:7878".parse().expect("address"), &none).is_ok());
        assert!(check_listen_address(&"[::1]:7878".parse().expect("address"), &none).is_ok());
        let error = check_listen_address(&"0.0.0.0:7878".parse().expect("address"), &none).expect_err("refused");
        assert!(error.contains("without API tokens"), "{error}");
    }

    #[test]
    fn writing_routes_need_more_than_asking() {
        assert_eq!(required(&Method::POST, "/v1/events"), Permission::Ingest);
        assert_eq!(required(&Method::POST, "/v1/tools/generate_exception"), Permission::Propose);
        assert_eq!(required(&Method::POST, "/v1/tools/event_stats"), Permission::Ask);
        let encoded: Uri = "/v1/tools/propose%5Fresponse_action".parse().expect("uri");
        assert_eq!(required(&Method::POST, &decoded_path(&encoded)), Permission::Propose);
        assert_eq!(required(&Method::POST, "/v1/chat"), Permission::Ask);
        assert_eq!(
            required(&Method::POST, "/v1/actions/act-1/approve"),
            Permission::Ask,
            "checked and recorded by the service"
        );
    }

    #[test]
    fn data_routes_are_covered_and_the_cookie_is_read() {
        for path in ["/v1/chat", "/mcp", "/events", "/events/abc", "/reports/recon", "/reports"] {
            assert!(holds_data(path), "{path}");
        }
        for path in ["/", "/assets/app.js", "/healthz", "/eventsx"] {
            assert!(!holds_data(path), "{path}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "theme=dark; saker_token=saker_abc ; other=1".parse().expect("header"));
        assert_eq!(token_cookie(&headers).as_deref(), Some("saker_abc"));
        assert_eq!(token_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn loopback_host_names() {
        let host = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, value.parse().expect("header"));
            is_loopback_host(&headers)
        };
        assert!(host("127.0.0.1:7878") && host("localhost") && host("[::1]:7878"));
        assert!(!host("evil.example:7878") && !host("10.0.0.5"));
    }
}
