//! The report as HTML: [`article`] is the report's body (the server's report page wraps it in
//! its layout), [`document`] a standalone page with the style inline (for `--format html` and
//! delivery), readable offline and making no request of its own. Every value is escaped.

use std::fmt::Write as _;

use saker_tools::store::TimeBucket;

use super::markdown::partial;
use super::words::{self, Words};
use super::{ReconReport, chart};
use crate::markup::html as escape;

/// The report's style sheet (also served by the web pages at `/assets/report.css`).
pub const STYLE: &str = include_str!("report.css");

/// A standalone HTML document of the report.
pub fn document(report: &ReconReport) -> String {
    let title = words::title(report.language, &report.last);
    format!(
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body class=\"report-document\">\n{}</body>\n</html>\n",
        report.language.tag(),
        escape(&title),
        article(report)
    )
}

/// The report as an `<article>` element.
pub fn article(report: &ReconReport) -> String {
    let language = report.language;
    let word = words::words(language);
    let figures = &report.figures;
    let period = words::period(language, &report.last);
    let mut out = String::with_capacity(16384);
    let _ = writeln!(out, "<article class=\"report\" lang=\"{}\" data-report=\"recon\">", language.tag());
    let _ = writeln!(out, "<h1>{}</h1>", escape(&words::title(language, &report.last)));
    let scope = if report.scope.is_empty() {
        escape(word.every_alert)
    } else {
        format!("<code>{}</code>", escape(&report.scope))
    };
    let range = |current: bool| {
        let evidence = if current { &figures.current.evidence } else { &figures.previous.evidence };
        format!(
            "{} → {}",
            escape(&evidence.since.as_deref().map(words::time).unwrap_or_default()),
            escape(&evidence.until.as_deref().map(words::time).unwrap_or_default())
        )
    };
    let _ = writeln!(
        out,
        "<dl class=\"report-meta\"><dt>{}</dt><dd>{scope}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        escape(word.scope),
        escape(word.current_period),
        range(true),
        escape(word.previous_period),
        range(false)
    );

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"report-summary\"><h2 id=\"report-summary\">{}</h2>",
        escape(word.summary)
    );
    let _ = writeln!(
        out,
        "<div class=\"kpis\"><p class=\"kpi\"><span class=\"kpi-label\">{}</span> <a class=\"kpi-value\" data-figure=\"current-total\" href=\"{}\">{}</a></p><p class=\"kpi\"><span class=\"kpi-label\">{}</span> <a class=\"kpi-value\" data-figure=\"previous-total\" href=\"{}\">{}</a></p><p class=\"kpi trend-{}\"><span class=\"kpi-label\">{}</span> <span class=\"kpi-value\" data-figure=\"change\">{}</span></p></div>",
        escape(word.current_period),
        escape(&figures.current.evidence.link),
        figures.current.total,
        escape(word.previous_period),
        escape(&figures.previous.evidence.link),
        figures.previous.total,
        serde_json::to_value(figures.trend)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default(),
        escape(words::trend(language, figures.trend)),
        escape(&words::change(language, figures.change, figures.change_percent)),
    );
    let sentence = word
        .summary_sentence
        .replace("{period}", &period)
        .replace("{current}", &figures.current.total.to_string())
        .replace("{previous}", &figures.previous.total.to_string())
        .replace("{change}", &words::change(language, figures.change, figures.change_percent))
        .replace("{trend}", words::trend(language, figures.trend));
    let _ = writeln!(out, "<p class=\"summary\">{}</p>", bold(&escape(&sentence)));
    if let Some(note) = &figures.note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    out.push_str("</section>\n");

    let (series_heading, column) = match figures.bucket {
        TimeBucket::Day => (word.series_day, word.column_day),
        TimeBucket::Hour => (word.series_hour, word.column_hour),
    };
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"report-series\"><h2 id=\"report-series\">{}</h2>",
        escape(series_heading)
    );
    let _ = writeln!(out, "<figure class=\"chart\">{}</figure>", chart::svg(report));
    let _ = writeln!(
        out,
        "<details class=\"series-table\"><summary>{}</summary><table class=\"numbers\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        escape(series_heading),
        escape(column),
        escape(word.column_current),
        escape(word.column_previous)
    );
    for (index, bucket) in figures.current.series.iter().enumerate() {
        let before = figures.previous.series.get(index).map_or(0, |bucket| bucket.count);
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{before}</td></tr>",
            escape(&words::bucket_label(&bucket.start, figures.bucket)),
            bucket.count
        );
    }
    out.push_str("</tbody></table></details>\n");
    if partial(figures) {
        let since = figures.current.evidence.since.as_deref().map(words::time).unwrap_or_default();
        let until = figures.current.evidence.until.as_deref().map(words::time).unwrap_or_default();
        let _ = writeln!(
            out,
            "<p class=\"note\">{}</p>",
            escape(&word.partial_buckets.replace("{since}", &since).replace("{until}", &until))
        );
    }
    out.push_str("</section>\n<div class=\"report-grid\">\n");

    table(
        &mut out,
        word,
        "techniques",
        word.techniques,
        &[word.column_technique, word.column_name],
        figures.techniques.iter().map(|row| {
            (
                vec![
                    format!("<code>{}</code>", escape(&row.id)),
                    if row.name.is_empty() { "–".to_string() } else { escape(&row.name) },
                ],
                row.current,
                row.previous,
            )
        }),
    );
    table(
        &mut out,
        word,
        "tools",
        word.tools,
        &[word.column_tool, word.column_used_for],
        figures.tools.iter().map(|row| {
            (
                vec![format!("<code>{}</code>", escape(&row.name)), escape(&words::tool_kind(language, &row.kind))],
                row.current,
                row.previous,
            )
        }),
    );
    table(
        &mut out,
        word,
        "processes",
        word.processes,
        &[word.column_process],
        figures
            .processes
            .iter()
            .map(|row| (vec![format!("<code>{}</code>", escape(&row.name))], row.current, row.previous)),
    );
    table(
        &mut out,
        word,
        "workloads",
        word.workloads,
        &[word.column_workload],
        figures
            .workloads
            .iter()
            .map(|row| (vec![format!("<code>{}</code>", escape(&row.name))], row.current, row.previous)),
    );
    table(
        &mut out,
        word,
        "rules",
        word.rules,
        &[word.column_rule],
        figures.rules.iter().map(|row| (vec![escape(&row.name)], row.current, row.previous)),
    );
    out.push_str("</div>\n");

    let _ = writeln!(
        out,
        "<section aria-labelledby=\"report-follow-ups\"><h2 id=\"report-follow-ups\">{}</h2><ol class=\"follow-ups\">",
        escape(word.follow_ups)
    );
    for follow_up in &report.follow_ups {
        let kind = serde_json::to_value(follow_up.kind)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<li class=\"follow-up {kind}\" data-kind=\"{kind}\"><strong>{}</strong>: {} <a href=\"{}\">{}</a></li>",
            escape(&follow_up.title),
            escape(&follow_up.detail),
            escape(&follow_up.link),
            escape(word.evidence)
        );
    }
    out.push_str("</ol></section>\n");
    let _ = writeln!(out, "<footer class=\"report-footer\"><p>{}</p></footer>", escape(word.footer));
    out.push_str("</article>\n");
    out
}

/// `**x**` (already escaped text) as `<strong>x</strong>`.
fn bold(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len() + 16);
    let mut open = false;
    for (index, part) in escaped.split("**").enumerate() {
        if index > 0 {
            out.push_str(if open { "</strong>" } else { "<strong>" });
            open = !open;
        }
        out.push_str(part);
    }
    if open {
        out.push_str("</strong>");
    }
    out
}

fn table(
    out: &mut String,
    word: &Words,
    id: &str,
    heading: &str,
    columns: &[&str],
    rows: impl Iterator<Item = (Vec<String>, u64, u64)>,
) {
    let _ = write!(
        out,
        "<section class=\"report-table\" aria-labelledby=\"report-{id}\"><h2 id=\"report-{id}\">{}</h2>",
        escape(heading)
    );
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        let _ = writeln!(out, "<p class=\"none\">{}</p></section>", escape(word.none));
        return;
    }
    out.push_str("<table class=\"numbers\"><thead><tr>");
    for column in columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(column));
    }
    let _ = write!(
        out,
        "<th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        escape(word.column_current),
        escape(word.column_previous)
    );
    for (cells, current, previous) in rows {
        out.push_str("<tr>");
        for cell in cells {
            let _ = write!(out, "<td>{cell}</td>");
        }
        let _ = write!(out, "<td>{current}</td><td>{previous}</td></tr>");
    }
    out.push_str("</tbody></table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_closes_what_it_opens() {
        assert_eq!(bold("a **b** c"), "a <strong>b</strong> c");
        assert_eq!(bold("a **b"), "a <strong>b</strong>");
    }
}
