//! The event feed as MCP resources: `saker://events` (the newest alerts) and the template
//! `saker://events{?scope,since,until,last,q,limit,offset,now}`, each read as one page of
//! `GET /v1/events` (JSON). A tool's evidence `link` (`/events?scope=...`) becomes a resource
//! URI by putting `saker://` in place of its leading `/`.

use axum::extract::Query;
use axum::http::Uri;
use chrono::{DateTime, SecondsFormat, Utc};
use rmcp::ErrorData as McpError;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use saker_tools::store::AlertStore;

use crate::server::routes::feed::{self, FeedQuery};

/// The feed's URI without a query: the newest alerts.
pub const EVENTS: &str = "saker://events";
/// The feed's URI template (RFC 6570 form-style query).
pub const EVENTS_TEMPLATE: &str = "saker://events{?scope,since,until,last,q,limit,offset,now}";
const JSON: &str = "application/json";

/// The resources listed.
pub fn listed() -> Vec<Resource> {
    vec![
        Resource::new(EVENTS, "events")
            .with_title("The event feed: the newest Falco alerts")
            .with_description("A page of the newest stored alerts, as GET /v1/events answers it.")
            .with_mime_type(JSON),
    ]
}

/// The resource templates listed.
pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(EVENTS_TEMPLATE, "events")
            .with_title("The event feed, filtered")
            .with_description(
                "Alerts matching a Falco-syntax scope, a time range (since/until, or last as 30m, 24h, 7d) and \
                 words (q), newest first; limit 1 to 500 (default 50), offset to page.",
            )
            .with_mime_type(JSON),
    ]
}

/// Reads `uri` (blocking: a store search). `now` fixes the clock for `last` unless the URI
/// names one.
pub fn read(store: &dyn AlertStore, uri: &str, now: Option<DateTime<Utc>>) -> Result<ReadResourceResult, McpError> {
    let not_found = || {
        McpError::resource_not_found(format!("no resource {uri:?}: Saker serves {EVENTS} and {EVENTS_TEMPLATE}"), None)
    };
    let parsed: Uri = uri.parse().map_err(|_| not_found())?;
    if parsed.scheme_str() != Some("saker") || parsed.authority().map(|a| a.as_str()) != Some("events") {
        return Err(not_found());
    }
    if !matches!(parsed.path(), "" | "/") {
        return Err(not_found());
    }
    let Query(mut query) = Query::<FeedQuery>::try_from_uri(&parsed)
        .map_err(|rejection| McpError::invalid_params(format!("{uri}: {}", rejection.body_text()), None))?;
    if query.now.is_none() {
        query.now = now.map(|now| now.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    let page = feed::page(store, query)
        .map_err(|error| McpError::invalid_params(format!("{uri}: {}", error.message), None))?;
    let text = serde_json::to_string(&page)
        .map_err(|error| McpError::internal_error(format!("cannot encode the page: {error}"), None))?;
    Ok(ReadResourceResult::new(vec![ResourceContents::text(text, uri).with_mime_type(JSON)]))
}
