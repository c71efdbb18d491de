//! `GET /v1/events` (and `GET /events`): the event feed as JSON, the target of the `/events?...`
//! links in answers and tool evidence. Filters by scope, time range and full text; newest first;
//! paged.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::SecondsFormat;
use saker_tools::alert::Alert;
use saker_tools::scope::Scope;
use saker_tools::store::{AlertFilter, AlertStore, SearchOrder, TimeRange};
use serde::{Deserialize, Serialize};

use super::tools::parse_now;
use crate::server::{ApiError, AppState};

/// Most alerts on one page.
pub const MAX_PAGE: usize = 500;
/// Alerts on a page by default.
pub const DEFAULT_PAGE: usize = 50;

/// Query of the event feed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Scope expression in Falco field syntax.
    pub scope: Option<String>,
    /// Start (RFC 3339 or YYYY-MM-DD), inclusive.
    pub since: Option<String>,
    /// End, exclusive.
    pub until: Option<String>,
    /// Length of the range ending at `until` or now: `30m`, `24h`, `7d`.
    pub last: Option<String>,
    /// Words to find in the output, command lines and file names.
    pub q: Option<String>,
    /// Alerts per page (1 to 500, default 50).
    pub limit: Option<usize>,
    /// Alerts to skip.
    pub offset: Option<usize>,
    /// "Now" (RFC 3339) for `last`; default the real clock.
    pub now: Option<String>,
}

/// A page of the feed.
#[derive(Debug, Serialize)]
pub struct FeedPage {
    /// The canonical scope applied ('' for everything).
    pub scope: String,
    /// Start of the range, if bounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// End of the range, if bounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Alerts matching (all pages).
    pub total: u64,
    /// Alerts skipped.
    pub offset: usize,
    /// Page size asked for.
    pub limit: usize,
    /// This page, newest first.
    pub alerts: Vec<Alert>,
    /// Alerts after this page.
    pub more: u64,
}

/// `GET /v1/events` and `GET /events`.
pub async fn events(
    State(state): State<AppState>,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Json<FeedPage>, ApiError> {
    let Query(query) = query?;
    let store = state.store().clone();
    let page = tokio::task::spawn_blocking(move || page(&*store, query)).await??;
    Ok(Json(page))
}

/// One page of the feed from `store` (blocking: run it off the async threads). The HTTP feed
/// and the MCP server's event resources both read it here.
pub fn page(store: &dyn AlertStore, query: FeedQuery) -> Result<FeedPage, ApiError> {
    let scope_text = query.scope.as_deref().unwrap_or("").trim().to_string();
    let scope = Scope::parse(&scope_text)
        .map_err(|error| ApiError::bad_request("invalid_scope", format!("scope {scope_text:?}: {error}")))?;
    let now = parse_now(query.now.as_deref())?;
    let time = TimeRange::resolve(query.since.as_deref(), query.until.as_deref(), query.last.as_deref(), now)
        .map_err(|error| ApiError::bad_request("invalid_time", error.to_string()))?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request("invalid_query", format!("limit {limit}: allowed 1 to {MAX_PAGE}")));
    }
    let offset = query.offset.unwrap_or(0);
    let text = query.q.filter(|text| !text.trim().is_empty());
    let filter = AlertFilter { scope, time };
    let page = store.search(&filter, text.as_deref(), SearchOrder::NewestFirst, offset, limit)?;
    let format = |time: chrono::DateTime<chrono::Utc>| time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let shown = (offset + page.alerts.len()) as u64;
    Ok(FeedPage {
        scope: filter.scope.to_string(),
        since: filter.time.since.map(format),
        until: filter.time.until.map(format),
        total: page.total,
        offset,
        limit,
        more: page.total.saturating_sub(shown),
        alerts: page.alerts,
    })
}
