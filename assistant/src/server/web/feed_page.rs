//! `GET /events`: the event feed. Browsers (`Accept: text/html`) get a page rendered here: the
//! filters of the link pre-applied in a form (scope, time range, text, page size), a sortable,
//! paged table of alerts, and problems shown next to the field they concern. API clients keep
//! the JSON of [`crate::server::routes::feed`], unchanged.
//!
//! Sorting by time reads one page from the store in time order; sorting by another column
//! reads the matching alerts (at most [`SORT_LIMIT`]) and sorts them here, so that every page
//! of the sort is exact; above that, the table stays in time order and says why.

use std::cmp::Ordering;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use saker_tools::alert::Alert;
use saker_tools::scope::Scope;
use saker_tools::store::{AlertFilter, AlertStore, SearchOrder, TimeRange};
use serde::Deserialize;

use super::layout::{Section, error_page, html_response, page};
use super::negotiate::prefers_html;
use crate::markup::{html as escape, query_string};
use crate::server::routes::feed::{self, DEFAULT_PAGE, MAX_PAGE};
use crate::server::routes::tools::parse_now;
use crate::server::{ApiError, AppState};

/// Most alerts read to sort by a column other than time.
pub const SORT_LIMIT: u64 = 10_000;

/// Longest command line shown in a table cell (the detail page shows all of it).
const CELL_CHARACTERS: usize = 120;

/// The feed page's query: the JSON feed's parameters plus the sort. Every value is text so that
/// an empty form field means "not set" and a bad value is shown next to its field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedPageQuery {
    /// Scope expression.
    pub scope: Option<String>,
    /// Start of the range.
    pub since: Option<String>,
    /// End of the range.
    pub until: Option<String>,
    /// Length of the range ending at `until` or now.
    pub last: Option<String>,
    /// Words to find.
    pub q: Option<String>,
    /// Alerts per page.
    pub limit: Option<String>,
    /// Alerts skipped.
    pub offset: Option<String>,
    /// The clock for `last`.
    pub now: Option<String>,
    /// Column to sort by: time, priority, rule, cluster, namespace, workload, process.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
}

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Alert time.
    Time,
    /// Priority (most severe first when descending).
    Priority,
    /// Rule name.
    Rule,
    /// Cluster.
    Cluster,
    /// Namespace.
    Namespace,
    /// Workload.
    Workload,
    /// Process name.
    Process,
}

const COLUMNS: [(Column, &str, &str); 7] = [
    (Column::Time, "time", "Time (UTC)"),
    (Column::Priority, "priority", "Priority"),
    (Column::Rule, "rule", "Rule"),
    (Column::Cluster, "cluster", "Cluster"),
    (Column::Namespace, "namespace", "Namespace"),
    (Column::Workload, "workload", "Workload / pod"),
    (Column::Process, "process", "Process"),
];

/// A problem with one field of the form.
#[derive(Debug, Clone, Default)]
struct FieldErrors {
    scope: Option<String>,
    time: Option<String>,
    q: Option<String>,
    paging: Option<String>,
    sort: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.scope.is_some() || self.time.is_some() || self.q.is_some() || self.paging.is_some() || self.sort.is_some()
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// `GET /events`: the page for browsers, the JSON feed for everyone else.
pub async fn events(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    if !prefers_html(&headers) {
        let query = Query::<feed::FeedQuery>::try_from_uri(&uri);
        return feed::events(State(state), query).await.into_response();
    }
    let query = match Query::<FeedPageQuery>::try_from_uri(&uri) {
        Ok(Query(query)) => query,
        Err(rejection) => return error_page(Section::Events, StatusCode::BAD_REQUEST, &rejection.body_text()),
    };
    feed_page(&state, query).await
}

async fn feed_page(state: &AppState, query: FeedPageQuery) -> Response {
    let mut errors = FieldErrors::default();
    let scope_text = non_empty(&query.scope).unwrap_or("").to_string();
    let scope = match Scope::parse(&scope_text) {
        Ok(scope) => Some(scope),
        Err(error) => {
            errors.scope = Some(error.to_string());
            None
        }
    };
    let now = match parse_now(non_empty(&query.now)) {
        Ok(now) => now,
        Err(error) => {
            errors.time = Some(error.message);
            Utc::now()
        }
    };
    let time = match TimeRange::resolve(non_empty(&query.since), non_empty(&query.until), non_empty(&query.last), now) {
        Ok(time) => Some(time),
        Err(error) => {
            errors.time = Some(error.to_string());
            None
        }
    };
    let limit = match non_empty(&query.limit).map(str::parse::<usize>) {
        None => DEFAULT_PAGE,
        Some(Ok(limit)) if (1..=MAX_PAGE).contains(&limit) => limit,
        Some(_) => {
            errors.paging = Some(format!("per page: allowed 1 to {MAX_PAGE}"));
            DEFAULT_PAGE
        }
    };
    let offset = match non_empty(&query.offset).map(str::parse::<usize>) {
        None => 0,
        Some(Ok(offset)) => offset,
        Some(Err(_)) => {
            errors.paging = Some("offset: a whole number of alerts to skip".to_string());
            0
        }
    };
    let sort = match non_empty(&query.sort) {
        None => Column::Time,
        Some(name) => match COLUMNS.iter().find(|(_, key, _)| *key == name) {
            Some((column, _, _)) => *column,
            None => {
                let names: Vec<&str> = COLUMNS.iter().map(|(_, key, _)| *key).collect();
                errors.sort = Some(format!("sort {name:?}: allowed {}", names.join(", ")));
                Column::Time
            }
        },
    };
    let descending = match non_empty(&query.order) {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            errors.sort = Some(format!("order {other:?}: allowed asc, desc"));
            true
        }
    };

    let text = non_empty(&query.q).map(str::to_string);
    let mut result = None;
    let mut sort_notice = None;
    if let (Some(scope), Some(time), false) = (scope, time, errors.any()) {
        let filter = AlertFilter { scope, time };
        let store = state.store().clone();
        let text_for_store = text.clone();
        let page = tokio::task::spawn_blocking(move || {
            read_page(store.as_ref(), &filter, text_for_store.as_deref(), sort, descending, offset, limit)
                .map(|page| (filter, page))
        })
        .await;
        match page {
            Ok(Ok((filter, (page, notice)))) => {
                sort_notice = notice;
                result = Some((filter, page));
            }
            Ok(Err(error)) => {
                let error = ApiError::from(error);
                if error.status == StatusCode::BAD_REQUEST {
                    errors.q = Some(error.message);
                } else {
                    return error_page(Section::Events, error.status, &error.message);
                }
            }
            Err(error) => {
                let error = ApiError::from(error);
                return error_page(Section::Events, error.status, &error.message);
            }
        }
    }
    let status = if errors.any() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let body = render(&query, &errors, result.as_ref(), sort_notice.as_deref(), sort, descending, offset, limit);
    html_response(status, page(Section::Events, "Event feed", &body, &[], &["feed.js"]))
}

type PageResult = (saker_tools::store::SearchPage, Option<String>);

fn read_page(
    store: &dyn AlertStore,
    filter: &AlertFilter,
    text: Option<&str>,
    sort: Column,
    descending: bool,
    offset: usize,
    limit: usize,
) -> Result<PageResult, saker_tools::store::StoreError> {
    let time_order = if descending { SearchOrder::NewestFirst } else { SearchOrder::OldestFirst };
    if sort == Column::Time {
        return Ok((store.search(filter, text, time_order, offset, limit)?, None));
    }
    let total = store.count(filter)?;
    if text.is_none() && total > SORT_LIMIT {
        let notice = format!(
            "{total} alerts match: sorting by another column than time reads at most {SORT_LIMIT}; narrow the scope or the time range, or sort by time."
        );
        return Ok((store.search(filter, text, SearchOrder::NewestFirst, offset, limit)?, Some(notice)));
    }
    let mut all = store.search(filter, text, SearchOrder::NewestFirst, 0, SORT_LIMIT as usize)?;
    if all.total > SORT_LIMIT {
        let notice = format!(
            "{} alerts match: sorting by another column than time reads at most {SORT_LIMIT}; narrow the scope or the time range, or sort by time.",
            all.total
        );
        return Ok((store.search(filter, text, SearchOrder::NewestFirst, offset, limit)?, Some(notice)));
    }
    all.alerts.sort_by(|left, right| {
        let ordering = compare(left, right, sort);
        let ordering = if descending { ordering.reverse() } else { ordering };
        ordering.then_with(|| right.time.cmp(&left.time)).then_with(|| left.id.cmp(&right.id))
    });
    let alerts = all.alerts.into_iter().skip(offset).take(limit).collect();
    Ok((saker_tools::store::SearchPage { total: all.total, alerts }, None))
}

fn compare(left: &Alert, right: &Alert, column: Column) -> Ordering {
    let text = |alert: &Alert| -> String {
        match column {
            Column::Time | Column::Priority => String::new(),
            Column::Rule => alert.rule.clone(),
            Column::Cluster => alert.dimensions.cluster.clone().unwrap_or_default(),
            Column::Namespace => alert.dimensions.namespace.clone().unwrap_or_default(),
            Column::Workload => {
                alert.dimensions.workload.as_ref().map(|workload| workload.name.clone()).unwrap_or_default()
            }
            Column::Process => alert.dimensions.process.name.clone().unwrap_or_default(),
        }
    };
    match column {
        Column::Time => left.time.cmp(&right.time),
        // Syslog severity counts down (0 is Emergency): ascending means least severe first.
        Column::Priority => right.priority.severity().cmp(&left.priority.severity()),
        _ => text(left).cmp(&text(right)),
    }
}

/// The feed URL with `query`'s filters and the given sort and offset.
fn feed_href(query: &FeedPageQuery, sort: &str, order: &str, offset: usize) -> String {
    let offset_text = if offset == 0 { String::new() } else { offset.to_string() };
    format!(
        "/events{}",
        query_string(&[
            ("scope", non_empty(&query.scope).unwrap_or("")),
            ("since", non_empty(&query.since).unwrap_or("")),
            ("until", non_empty(&query.until).unwrap_or("")),
            ("last", non_empty(&query.last).unwrap_or("")),
            ("q", non_empty(&query.q).unwrap_or("")),
            ("limit", non_empty(&query.limit).unwrap_or("")),
            ("now", non_empty(&query.now).unwrap_or("")),
            ("sort", if sort == "time" { "" } else { sort }),
            ("order", if order == "desc" { "" } else { order }),
            ("offset", &offset_text),
        ])
    )
}

fn time_text(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn shorten(text: &str) -> String {
    if text.chars().count() > CELL_CHARACTERS {
        let mut cut: String = text.chars().take(CELL_CHARACTERS).collect();
        cut.push('…');
        cut
    } else {
        text.to_string()
    }
}

fn field(id: &str, label: &str, name: &str, value: &str, hint: &str, error: Option<&String>) -> String {
    let described = match error {
        Some(_) => format!(" aria-invalid=\"true\" aria-describedby=\"{id}-hint {id}-error\""),
        None => format!(" aria-describedby=\"{id}-hint\""),
    };
    let error = error
        .map(|message| format!("<p class=\"field-error\" id=\"{id}-error\">{}</p>", escape(message)))
        .unwrap_or_default();
    format!(
        "<div class=\"field field-{id}\"><label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{name}\" value=\"{}\" autocomplete=\"off\" spellcheck=\"false\"{described}><p class=\"hint\" id=\"{id}-hint\">{}</p>{error}</div>",
        escape(label),
        escape(value),
        escape(hint)
    )
}

#[allow(clippy::too_many_arguments)]
fn render(
    query: &FeedPageQuery,
    errors: &FieldErrors,
    result: Option<&(AlertFilter, saker_tools::store::SearchPage)>,
    sort_notice: Option<&str>,
    sort: Column,
    descending: bool,
    offset: usize,
    limit: usize,
) -> String {
    let value = |field: &Option<String>| non_empty(field).unwrap_or("").to_string();
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("<div class=\"feed-page\">\n<h1>Event feed</h1>\n");
    out.push_str(
        "<form class=\"filters\" method=\"get\" action=\"/events\" role=\"search\" aria-label=\"Filter alerts\">\n",
    );
    out.push_str(&field(
        "scope",
        "Scope",
        "scope",
        &value(&query.scope),
        "Falco field syntax, e.g. k8s.ns.name=prod and proc.name=nc",
        errors.scope.as_ref(),
    ));
    out.push_str(&field(
        "since",
        "Since",
        "since",
        &value(&query.since),
        "RFC 3339 or YYYY-MM-DD",
        errors.time.as_ref(),
    ));
    out.push_str(&field("until", "Until", "until", &value(&query.until), "exclusive", None));
    out.push_str(&field("last", "Last", "last", &value(&query.last), "e.g. 24h, 7d (instead of since)", None));
    out.push_str(&field(
        "q",
        "Text",
        "q",
        &value(&query.q),
        "words in the output, command lines, files",
        errors.q.as_ref(),
    ));
    let limit_value = value(&query.limit);
    let options: String = ["25", "50", "100", "200", "500"]
        .iter()
        .map(|option| {
            let selected =
                if limit_value == *option || (limit_value.is_empty() && *option == "50") { " selected" } else { "" };
            format!("<option value=\"{option}\"{selected}>{option}</option>")
        })
        .collect();
    let paging_error = errors
        .paging
        .as_ref()
        .map(|message| format!("<p class=\"field-error\" id=\"limit-error\">{}</p>", escape(message)))
        .unwrap_or_default();
    out.push_str(&format!(
        "<div class=\"field field-limit\"><label for=\"limit\">Per page</label><select id=\"limit\" name=\"limit\">{options}</select>{paging_error}</div>\n"
    ));
    for (name, text) in [("now", value(&query.now)), ("sort", value(&query.sort)), ("order", value(&query.order))] {
        if !text.is_empty() {
            out.push_str(&format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(&text)));
        }
    }
    out.push_str(
        "<div class=\"actions\"><button type=\"submit\">Apply filters</button> <a href=\"/events\">Clear</a></div>\n",
    );
    if let Some(message) = &errors.sort {
        out.push_str(&format!("<p class=\"field-error\" role=\"alert\">{}</p>", escape(message)));
    }
    out.push_str("</form>\n");

    let Some((filter, page)) = result else {
        out.push_str("<p class=\"error\" role=\"alert\">Fix the filters above to see alerts.</p>\n</div>");
        return out;
    };
    let format = |time: DateTime<Utc>| time.to_rfc3339_opts(SecondsFormat::Secs, true);
    let scope = filter.scope.to_string();
    let range = match (filter.time.since, filter.time.until) {
        (None, None) => "all stored alerts".to_string(),
        (Some(since), None) => format!("from {}", format(since)),
        (None, Some(until)) => format!("until {}", format(until)),
        (Some(since), Some(until)) => format!("{} → {}", format(since), format(until)),
    };
    let first = if page.alerts.is_empty() { 0 } else { offset + 1 };
    let last = offset + page.alerts.len();
    out.push_str(&format!(
        "<section class=\"applied\" aria-label=\"Applied filter\"><p><span class=\"label\">Scope</span> <code data-filter=\"scope\">{}</code> <span class=\"label\">Time</span> <span data-filter=\"time\">{}</span>{}</p><p class=\"feed-count\" role=\"status\" data-total=\"{}\">Showing {first}–{last} of {} alerts</p></section>\n",
        if scope.is_empty() { "everything".to_string() } else { escape(&scope) },
        escape(&range),
        non_empty(&query.q).map(|words| format!(" <span class=\"label\">Text</span> <code>{}</code>", escape(words))).unwrap_or_default(),
        page.total,
        page.total
    ));
    if let Some(notice) = sort_notice {
        out.push_str(&format!("<p class=\"notice\" role=\"status\">{}</p>\n", escape(notice)));
    }
    if page.alerts.is_empty() {
        out.push_str("<p class=\"empty\">No alerts match these filters.</p>\n</div>");
        return out;
    }
    let sort_key = COLUMNS.iter().find(|(column, _, _)| *column == sort).map_or("time", |(_, key, _)| *key);
    let order = if descending { "desc" } else { "asc" };
    let back = feed_href(query, sort_key, order, offset);
    out.push_str("<div class=\"table-wrap\"><table class=\"feed\" id=\"feed-table\">\n<caption class=\"visually-hidden\">Alerts matching the filter; column headers sort</caption>\n<thead><tr>");
    for (column, key, label) in COLUMNS {
        let active = column == sort;
        let next_order = if active && descending { "asc" } else { "desc" };
        let aria = if active {
            format!(" aria-sort=\"{}\"", if descending { "descending" } else { "ascending" })
        } else {
            String::new()
        };
        let arrow = if active { if descending { " ▼" } else { " ▲" } } else { "" };
        out.push_str(&format!(
            "<th scope=\"col\"{aria} data-column=\"{key}\"><a href=\"{}\">{}{arrow}</a></th>",
            escape(&feed_href(query, key, next_order, 0)),
            escape(label)
        ));
    }
    out.push_str("<th scope=\"col\">Command line</th></tr></thead>\n<tbody>\n");
    for alert in &page.alerts {
        let dimensions = &alert.dimensions;
        let workload = dimensions.workload.as_ref().map(|workload| workload.name.as_str()).unwrap_or("");
        let detail = format!("/events/{}{}", crate::markup::query_value(&alert.id), query_string(&[("back", &back)]));
        out.push_str(&format!(
            "<tr data-id=\"{}\"><td class=\"time\"><a href=\"{}\">{}</a></td><td><span class=\"priority priority-{}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}<span class=\"pod\">{}</span></td><td><code>{}</code></td><td><code class=\"cmdline\">{}</code></td></tr>\n",
            escape(&alert.id),
            escape(&detail),
            escape(&time_text(alert.time)),
            escape(&alert.priority.as_str().to_ascii_lowercase()),
            escape(alert.priority.as_str()),
            escape(&alert.rule),
            escape(dimensions.cluster.as_deref().unwrap_or("")),
            escape(dimensions.namespace.as_deref().unwrap_or("")),
            escape(workload),
            escape(dimensions.pod.as_deref().unwrap_or("")),
            escape(dimensions.process.name.as_deref().unwrap_or("")),
            escape(&shorten(dimensions.process.cmdline.as_deref().unwrap_or(""))),
        ));
    }
    out.push_str("</tbody></table></div>\n");
    let pages = page.total.div_ceil(limit as u64).max(1);
    let current = offset / limit + 1;
    out.push_str("<nav class=\"pager\" aria-label=\"Pages\">");
    if offset > 0 {
        out.push_str(&format!(
            "<a rel=\"prev\" href=\"{}\">← Previous page</a>",
            escape(&feed_href(query, sort_key, order, offset.saturating_sub(limit)))
        ));
    }
    out.push_str(&format!("<span>Page {current} of {pages}</span>"));
    if (last as u64) < page.total {
        out.push_str(&format!(
            "<a rel=\"next\" href=\"{}\">Next page →</a>",
            escape(&feed_href(query, sort_key, order, offset + limit))
        ));
    }
    out.push_str("</nav>\n</div>");
    out
}
