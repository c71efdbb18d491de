//! The reconnaissance report: one `compare_periods` call (category `reconnaissance`, the
//! analyst's scope, the last period against the one before) plus the recommended follow-ups,
//! rendered in the format asked for.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use saker_tools::analytics::categories::Category;
use saker_tools::analytics::compare_periods::{ComparePeriods, ComparePeriodsArgs, ComparePeriodsOutput};
use saker_tools::analytics::{Tool as _, ToolContext, ToolError, Window};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Scope;
use saker_tools::store::{AlertStore, parse_duration};
use serde::Serialize;

use super::follow_ups::{FollowUp, follow_ups};
use super::{ReportError, chart, html, markdown};
use crate::conversation::Language;

/// Rows listed per table of the report.
pub const TABLE_ROWS: u32 = 10;

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconRequest {
    /// Scope expression in Falco field syntax (`None` or empty: every alert).
    pub scope: Option<String>,
    /// Length of the current period, ending at `now`: `7d` (weekly), `1d` (daily), `24h`, `2w`.
    pub last: String,
    /// The end of the current period.
    pub now: DateTime<Utc>,
    /// The language of the text.
    pub language: Language,
}

/// The report: its request, the tool's figures and the follow-ups. This is also the JSON
/// format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconReport {
    /// Always `recon`.
    pub report: &'static str,
    /// The language of the text.
    pub language: Language,
    /// The end of the current period (RFC 3339).
    pub now: String,
    /// The canonical scope ('' for every alert).
    pub scope: String,
    /// The period length asked for (`7d`).
    pub last: String,
    /// The `compare_periods` arguments the figures come from (to reproduce them with `saker
    /// tool` or in a conversation).
    pub arguments: ComparePeriodsArgs,
    /// The figures: both periods' totals, change, trend, series, techniques, tools,
    /// processes, rules and workloads.
    pub figures: ComparePeriodsOutput,
    /// What to do next, each with the figures that call for it.
    pub follow_ups: Vec<FollowUp>,
}

/// A report's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// Markdown, with the chart as an inline SVG block and the series as a table.
    Markdown,
    /// A standalone HTML document (inline style, inline SVG, no external requests).
    Html,
    /// The [`ReconReport`] as JSON.
    Json,
    /// The daily chart alone (SVG).
    Svg,
}

impl ReportFormat {
    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
            ReportFormat::Json => "json",
            ReportFormat::Svg => "svg",
        }
    }

    /// The HTTP content type of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "text/markdown; charset=utf-8",
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Json => "application/json",
            ReportFormat::Svg => "image/svg+xml",
        }
    }
}

impl FromStr for ReportFormat {
    type Err = ReportError;

    fn from_str(text: &str) -> Result<ReportFormat, ReportError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(ReportFormat::Markdown),
            "html" => Ok(ReportFormat::Html),
            "json" => Ok(ReportFormat::Json),
            "svg" => Ok(ReportFormat::Svg),
            _ => Err(ReportError::InvalidRequest(format!("format {text:?}: allowed md, html, json, svg"))),
        }
    }
}

/// Parses a language tag: `en` or `ja`.
pub fn parse_language(text: &str) -> Result<Language, ReportError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "en" => Ok(Language::En),
        "ja" => Ok(Language::Ja),
        _ => Err(ReportError::InvalidRequest(format!("lang {text:?}: allowed en, ja"))),
    }
}

/// Computes the reconnaissance report over `store` (synchronous: call it on the blocking
/// pool from async code).
pub fn build_recon(
    store: &dyn AlertStore,
    rules: &RulesCatalog,
    request: &ReconRequest,
) -> Result<ReconReport, ReportError> {
    let last = request.last.trim().to_string();
    parse_duration(&last).map_err(|error| ReportError::InvalidRequest(format!("last: {error}")))?;
    let scope_text = request.scope.as_deref().unwrap_or("").trim();
    let scope = Scope::parse(scope_text).map_err(ToolError::from)?;
    let arguments = ComparePeriodsArgs {
        window: Window {
            scope: (!scope_text.is_empty()).then(|| scope_text.to_string()),
            since: None,
            until: None,
            last: Some(last.clone()),
        },
        category: Some(Category::Reconnaissance),
        limit: Some(TABLE_ROWS),
        ..ComparePeriodsArgs::default()
    };
    let context = ToolContext::new(store, rules, request.now);
    let figures = ComparePeriods::call(&context, arguments.clone())?;
    let follow_ups = follow_ups(&figures, request.language);
    Ok(ReconReport {
        report: "recon",
        language: request.language,
        now: request.now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        scope: scope.to_string(),
        last,
        arguments,
        figures,
        follow_ups,
    })
}

/// The report in `format` (HTML as a standalone document).
pub fn render(report: &ReconReport, format: ReportFormat) -> String {
    match format {
        ReportFormat::Markdown => markdown::render(report),
        ReportFormat::Html => html::document(report),
        ReportFormat::Json => serde_json::to_string_pretty(report).unwrap_or_else(|error| {
            tracing::error!(details = %error, "cannot encode the report as JSON");
            "{}".to_string()
        }),
        ReportFormat::Svg => chart::svg(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_languages_parse_or_name_what_is_allowed() {
        assert_eq!("md".parse::<ReportFormat>().expect("md"), ReportFormat::Markdown);
        assert_eq!("HTML".parse::<ReportFormat>().expect("html"), ReportFormat::Html);
        let error = "pdf".parse::<ReportFormat>().expect_err("pdf").to_string();
        assert!(error.contains("md, html, json, svg"), "{error}");
        assert_eq!(parse_language("ja").expect("ja"), Language::Ja);
        assert!(parse_language("fr").expect_err("fr").to_string().contains("en, ja"));
    }
}
