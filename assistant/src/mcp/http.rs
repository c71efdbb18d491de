//! The streamable HTTP transport at `/mcp` on `saker serve`: stateless (each POST is answered
//! on its own, as JSON), behind the server's authentication and same-origin checks, which put
//! the caller's principal into the request that [`SakerMcp`] reads. The SDK's own `Host`
//! allow-list is off because the server's authentication already refuses a non-loopback `Host`
//! when no token is configured (and needs a token otherwise).

use std::sync::Arc;
use std::time::Duration;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::{Caller, SakerMcp};
use crate::conversation::Orchestrator;

/// The `/mcp` service over `orchestrator`: tool calls may run for `deadline`, request bodies
/// are at most `max_body_bytes`.
pub fn service(
    orchestrator: Arc<Orchestrator>,
    deadline: Duration,
    max_body_bytes: usize,
) -> StreamableHttpService<SakerMcp, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .disable_allowed_hosts()
        .with_max_request_body_bytes(max_body_bytes);
    StreamableHttpService::new(
        move || Ok(SakerMcp::new(orchestrator.clone(), Caller::FromRequest, deadline)),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}
