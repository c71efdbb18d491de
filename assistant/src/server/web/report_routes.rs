//! The reconnaissance report over HTTP: `GET /v1/reports/recon` answers it as JSON (default),
//! Markdown, standalone HTML or the SVG chart (`format=`); `GET /reports/recon` is the page: a
//! form (scope, period, clock, language) with problems shown next to their field, the report,
//! and links to download it in every format.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::layout::{self, Section, error_page, html_response, security_headers};
use crate::conversation::Language;
use crate::markup::{html as escape, query_string};
use crate::report::recon::parse_language;
use crate::report::{ReconReport, ReconRequest, ReportError, ReportFormat, build_recon, html, render};
use crate::server::routes::tools::parse_now;
use crate::server::{ApiError, AppState};

/// Query of the report routes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Scope expression (default every alert).
    pub scope: Option<String>,
    /// Period length (default `7d`).
    pub last: Option<String>,
    /// End of the period (RFC 3339; default the real clock).
    pub now: Option<String>,
    /// `en` (default) or `ja`.
    pub lang: Option<String>,
    /// API only: `json` (default), `md`, `html`, `svg`.
    pub format: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

impl ReportQuery {
    fn request(&self) -> Result<ReconRequest, ReportFieldError> {
        let now: DateTime<Utc> = parse_now(non_empty(&self.now))
            .map_err(|error| ReportFieldError { field: "now", message: error.message })?;
        let language = parse_language(non_empty(&self.lang).unwrap_or("en"))
            .map_err(|error| ReportFieldError { field: "lang", message: error.to_string() })?;
        Ok(ReconRequest {
            scope: non_empty(&self.scope).map(str::to_string),
            last: non_empty(&self.last).unwrap_or("7d").to_string(),
            now,
            language,
        })
    }
}

/// A problem with one field of the report's query.
#[derive(Debug, Clone)]
struct ReportFieldError {
    field: &'static str,
    message: String,
}

fn field_of(error: &ReportError) -> &'static str {
    let text = error.to_string();
    if text.starts_with("scope") {
        "scope"
    } else if text.starts_with("last") || text.starts_with("time range") {
        "last"
    } else {
        "report"
    }
}

async fn build(state: &AppState, request: ReconRequest) -> Result<ReconReport, ReportError> {
    let store = state.store().clone();
    let rules = state.orchestrator().rules().clone();
    tokio::task::spawn_blocking(move || build_recon(store.as_ref(), &rules, &request))
        .await
        .map_err(|error| ReportError::Internal(error.to_string()))?
}

/// `GET /v1/reports/recon`.
pub async fn api(State(state): State<AppState>, query: Result<Query<ReportQuery>, QueryRejection>) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return ApiError::from(rejection).into_response(),
    };
    let format = match non_empty(&query.format).unwrap_or("json").parse::<ReportFormat>() {
        Ok(format) => format,
        Err(error) => return ApiError::bad_request("invalid_query", error.to_string()).into_response(),
    };
    let request = match query.request() {
        Ok(request) => request,
        Err(error) => return ApiError::bad_request("invalid_query", error.message).into_response(),
    };
    match build(&state, request).await {
        Ok(report) => {
            let mut response = (StatusCode::OK, render(&report, format)).into_response();
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
            if matches!(format, ReportFormat::Html | ReportFormat::Svg) {
                security_headers(headers);
            }
            response
        }
        Err(error) => api_error(error).into_response(),
    }
}

fn api_error(error: ReportError) -> ApiError {
    match error {
        ReportError::Tool(tool) => ApiError::from(tool),
        ReportError::InvalidRequest(message) => ApiError::bad_request("invalid_query", message),
        other => ApiError::internal("report", &other),
    }
}

/// The report page for `query`.
async fn page_handler(state: &AppState, query: ReportQuery) -> Response {
    let (report, error) = match query.request() {
        Err(error) => (None, Some(error)),
        Ok(request) => match build(state, request).await {
            Ok(report) => (Some(report), None),
            Err(error) if error.is_caller_error() => {
                (None, Some(ReportFieldError { field: field_of(&error), message: error.to_string() }))
            }
            Err(error) => {
                let error = api_error(error);
                return error_page(Section::Reports, error.status, &error.message);
            }
        },
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let body = render_page(&query, report.as_ref(), error.as_ref());
    html_response(status, layout::page(Section::Reports, "Reconnaissance report", &body, &["report.css"], &[]))
}

/// `GET /reports/recon`: the report page.
pub async fn page(State(state): State<AppState>, query: Result<Query<ReportQuery>, QueryRejection>) -> Response {
    match query {
        Ok(Query(query)) => page_handler(&state, query).await,
        Err(rejection) => error_page(Section::Reports, StatusCode::BAD_REQUEST, &rejection.body_text()),
    }
}

fn render_page(query: &ReportQuery, report: Option<&ReconReport>, error: Option<&ReportFieldError>) -> String {
    let value = |field: &Option<String>| non_empty(field).unwrap_or("").to_string();
    let error_for = |field: &str| error.filter(|error| error.field == field);
    let field_input = |id: &str, label: &str, current: &str, hint: &str| {
        let problem = error_for(id);
        let described = if problem.is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"report-{id}-hint report-{id}-error\"")
        } else {
            format!(" aria-describedby=\"report-{id}-hint\"")
        };
        format!(
            "<div class=\"field field-{id}\"><label for=\"report-{id}\">{}</label><input id=\"report-{id}\" name=\"{id}\" value=\"{}\" autocomplete=\"off\" spellcheck=\"false\"{described}><p class=\"hint\" id=\"report-{id}-hint\">{}</p>{}</div>",
            escape(label),
            escape(current),
            escape(hint),
            problem
                .map(|problem| format!(
                    "<p class=\"field-error\" id=\"report-{id}-error\">{}</p>",
                    escape(&problem.message)
                ))
                .unwrap_or_default()
        )
    };
    let last = non_empty(&query.last).unwrap_or("7d").to_string();
    let lang = non_empty(&query.lang).unwrap_or("en").to_string();
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("<div class=\"report-page\">\n<form class=\"filters report-form\" method=\"get\" action=\"/reports/recon\" aria-label=\"Report settings\">\n");
    out.push_str(&field_input("scope", "Scope", &value(&query.scope), "Falco field syntax; empty for every alert"));
    let periods: String = [("1d", "Last day"), ("7d", "Last 7 days"), ("14d", "Last 14 days"), ("30d", "Last 30 days")]
        .iter()
        .map(|(key, label)| {
            let selected = if *key == last { " selected" } else { "" };
            format!("<option value=\"{key}\"{selected}>{label}</option>")
        })
        .collect();
    let custom = if ["1d", "7d", "14d", "30d"].contains(&last.as_str()) {
        String::new()
    } else {
        format!("<option value=\"{}\" selected>{}</option>", escape(&last), escape(&last))
    };
    let last_error = error_for("last")
        .map(|problem| format!("<p class=\"field-error\" id=\"report-last-error\">{}</p>", escape(&problem.message)))
        .unwrap_or_default();
    out.push_str(&format!(
        "<div class=\"field field-last\"><label for=\"report-last\">Period</label><select id=\"report-last\" name=\"last\">{periods}{custom}</select>{last_error}</div>\n"
    ));
    out.push_str(&field_input("now", "Clock (end of period)", &value(&query.now), "RFC 3339; empty for now"));
    let languages: String = [("en", "English"), ("ja", "日本語")]
        .iter()
        .map(|(key, label)| {
            let selected = if *key == lang { " selected" } else { "" };
            format!("<option value=\"{key}\" lang=\"{key}\"{selected}>{label}</option>")
        })
        .collect();
    out.push_str(&format!(
        "<div class=\"field field-lang\"><label for=\"report-lang\">Language</label><select id=\"report-lang\" name=\"lang\">{languages}</select></div>\n"
    ));
    out.push_str("<div class=\"actions\"><button type=\"submit\">Show report</button></div>\n</form>\n");
    if let Some(problem) = error.filter(|problem| !["scope", "last", "now"].contains(&problem.field)) {
        out.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(&problem.message)));
    }
    let Some(report) = report else {
        out.push_str("</div>");
        return out;
    };
    let download = |format: &str| {
        format!(
            "/v1/reports/recon{}",
            query_string(&[
                ("scope", &report.scope),
                ("last", &report.last),
                ("now", &report.now),
                ("lang", report.language.tag()),
                ("format", format),
            ])
        )
    };
    let label = match report.language {
        Language::En => "Download",
        Language::Ja => "ダウンロード",
    };
    out.push_str(&format!(
        "<p class=\"downloads\">{label}: <a href=\"{}\" download>Markdown</a> · <a href=\"{}\" download>HTML</a> · <a href=\"{}\" download>JSON</a> · <a href=\"{}\" download>SVG</a></p>\n",
        escape(&download("md")),
        escape(&download("html")),
        escape(&download("json")),
        escape(&download("svg"))
    ));
    out.push_str(&html::article(report));
    out.push_str("</div>");
    out
}
