//! The report as Markdown: title, scope and periods, the summary sentence, the chart (inline
//! SVG block) with the series as a table, then techniques, tools, processes, workloads and
//! rules (both periods each), the follow-ups and the evidence links. Every value from the
//! alerts is escaped (names in code spans), so alert text cannot become markup.

use std::fmt::Write as _;

use saker_tools::analytics::compare_periods::ComparePeriodsOutput;
use saker_tools::store::TimeBucket;

use super::words::{self, Words};
use super::{ReconReport, chart};
use crate::markup::{markdown_code as code, markdown_text as text};

/// The report as Markdown.
pub fn render(report: &ReconReport) -> String {
    let language = report.language;
    let word = words::words(language);
    let figures = &report.figures;
    let period = words::period(language, &report.last);
    let mut out = String::with_capacity(8192);
    let _ = writeln!(out, "# {}\n", text(&words::title(language, &report.last)));
    let scope = if report.scope.is_empty() { text(word.every_alert) } else { code(&report.scope) };
    let _ = writeln!(out, "- {}: {scope}", word.scope);
    let _ = writeln!(out, "- {}: {}", word.current_period, range(figures, true));
    let _ = writeln!(out, "- {}: {}\n", word.previous_period, range(figures, false));

    let _ = writeln!(out, "## {}\n", word.summary);
    let sentence = word
        .summary_sentence
        .replace("{period}", &period)
        .replace("{current}", &figures.current.total.to_string())
        .replace("{previous}", &figures.previous.total.to_string())
        .replace("{change}", &words::change(language, figures.change, figures.change_percent))
        .replace("{trend}", words::trend(language, figures.trend));
    let _ = writeln!(out, "{sentence}\n");
    if let Some(note) = &figures.note {
        let _ = writeln!(out, "_{}_\n", text(note));
    }

    let (series_heading, column) = match figures.bucket {
        TimeBucket::Day => (word.series_day, word.column_day),
        TimeBucket::Hour => (word.series_hour, word.column_hour),
    };
    let _ = writeln!(out, "## {series_heading}\n");
    let _ = writeln!(out, "{}\n", chart::svg(report));
    let _ = writeln!(out, "| {column} | {} | {} |", word.column_current, word.column_previous);
    out.push_str("|---|---:|---:|\n");
    for (index, bucket) in figures.current.series.iter().enumerate() {
        let before = figures.previous.series.get(index).map_or(0, |bucket| bucket.count);
        let _ =
            writeln!(out, "| {} | {} | {} |", words::bucket_label(&bucket.start, figures.bucket), bucket.count, before);
    }
    if partial(figures) {
        let since = figures.current.evidence.since.as_deref().map(words::time).unwrap_or_default();
        let until = figures.current.evidence.until.as_deref().map(words::time).unwrap_or_default();
        let _ = writeln!(out, "\n_{}_", word.partial_buckets.replace("{since}", &since).replace("{until}", &until));
    }
    out.push('\n');

    table(
        &mut out,
        word,
        word.techniques,
        &[word.column_technique, word.column_name],
        figures.techniques.iter().map(|row| {
            (
                vec![text(&row.id), if row.name.is_empty() { "–".to_string() } else { text(&row.name) }],
                row.current,
                row.previous,
            )
        }),
    );
    table(
        &mut out,
        word,
        word.tools,
        &[word.column_tool, word.column_used_for],
        figures.tools.iter().map(|row| {
            (vec![code(&row.name), text(&words::tool_kind(language, &row.kind))], row.current, row.previous)
        }),
    );
    table(
        &mut out,
        word,
        word.processes,
        &[word.column_process],
        figures.processes.iter().map(|row| (vec![code(&row.name)], row.current, row.previous)),
    );
    table(
        &mut out,
        word,
        word.workloads,
        &[word.column_workload],
        figures.workloads.iter().map(|row| (vec![code(&row.name)], row.current, row.previous)),
    );
    table(
        &mut out,
        word,
        word.rules,
        &[word.column_rule],
        figures.rules.iter().map(|row| (vec![text(&row.name)], row.current, row.previous)),
    );

    let _ = writeln!(out, "## {}\n", word.follow_ups);
    for (index, follow_up) in report.follow_ups.iter().enumerate() {
        // The alerts behind a follow-up are the period's evidence, linked once below.
        let _ = writeln!(out, "{}. **{}**: {}", index + 1, text(&follow_up.title), text(&follow_up.detail));
    }
    let _ = writeln!(out, "\n## {}\n", word.evidence);
    let _ = writeln!(
        out,
        "- {}: [{}]({})",
        word.current_period,
        words::alerts(language, figures.current.total),
        figures.current.evidence.link
    );
    let _ = writeln!(
        out,
        "- {}: [{}]({})\n",
        word.previous_period,
        words::alerts(language, figures.previous.total),
        figures.previous.evidence.link
    );
    let _ = writeln!(out, "_{}_", word.footer);
    out
}

fn range(figures: &ComparePeriodsOutput, current: bool) -> String {
    let evidence = if current { &figures.current.evidence } else { &figures.previous.evidence };
    let since = evidence.since.as_deref().map(words::time).unwrap_or_default();
    let until = evidence.until.as_deref().map(words::time).unwrap_or_default();
    format!("{since} → {until}")
}

/// True when the period does not start at a bucket boundary (its first and last buckets
/// cover part of a day or hour).
pub fn partial(figures: &ComparePeriodsOutput) -> bool {
    let Some(since) = figures.current.evidence.since.as_deref() else { return false };
    let Some(first) = figures.current.series.first() else { return false };
    let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).ok();
    parse(since) != parse(&first.start)
}

fn table(
    out: &mut String,
    word: &Words,
    heading: &str,
    columns: &[&str],
    rows: impl Iterator<Item = (Vec<String>, u64, u64)>,
) {
    let _ = writeln!(out, "## {heading}\n");
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        let _ = writeln!(out, "_{}_\n", word.none);
        return;
    }
    let _ = writeln!(out, "| {} | {} | {} |", columns.join(" | "), word.column_current, word.column_previous);
    let _ = writeln!(out, "|{}---:|---:|", "---|".repeat(columns.len()));
    for (cells, current, previous) in rows {
        let _ = writeln!(out, "| {} | {current} | {previous} |", cells.join(" | "));
    }
    out.push('\n');
}
