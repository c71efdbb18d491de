//! The report as a Slack message (Block Kit): the summary, the series as a text bar chart
//! (Slack cannot show an inline SVG), techniques, tools, processes, workloads and the
//! follow-ups. Alert text is escaped the way Slack asks (`&`, `<`, `>`) and kept in code spans.

use serde_json::{Value, json};

use crate::report::ReconReport;
use crate::report::words::{self, bucket_label};

/// Slack's limit on a section's text.
const SECTION_LIMIT: usize = 2900;
/// Rows per list in the message.
const ROWS: usize = 5;
/// Width of the longest text bar.
const BAR_WIDTH: u64 = 20;

/// The webhook payload for `report`.
pub fn payload(report: &ReconReport) -> Value {
    let language = report.language;
    let word = words::words(language);
    let figures = &report.figures;
    let title = words::title(language, &report.last);
    let period = words::period(language, &report.last);
    let change = words::change(language, figures.change, figures.change_percent);
    let sentence = word
        .summary_sentence
        .replace("{period}", &period)
        .replace("{current}", &figures.current.total.to_string())
        .replace("{previous}", &figures.previous.total.to_string())
        .replace("{change}", &change)
        .replace("{trend}", words::trend(language, figures.trend));
    let fallback = format!("{title}: {}", sentence.replace("**", ""));

    let max = figures.current.series.iter().map(|bucket| bucket.count).max().unwrap_or(0).max(1);
    let series: Vec<String> = figures
        .current
        .series
        .iter()
        .map(|bucket| {
            let length = (bucket.count * BAR_WIDTH).div_ceil(max);
            format!(
                "`{}` {} {}",
                bucket_label(&bucket.start, figures.bucket),
                "█".repeat(length as usize),
                bucket.count
            )
        })
        .collect();
    let list = |rows: Vec<String>| if rows.is_empty() { word.none.to_string() } else { rows.join("\n") };
    let techniques = list(
        figures
            .techniques
            .iter()
            .take(ROWS)
            .map(|row| format!("• `{}` {} — {} ({})", code(&row.id), escape(&row.name), row.current, row.previous))
            .collect(),
    );
    let tools = list(
        figures
            .tools
            .iter()
            .take(ROWS)
            .map(|row| {
                format!(
                    "• `{}` {} — {} ({})",
                    code(&row.name),
                    escape(&words::tool_kind(language, &row.kind)),
                    row.current,
                    row.previous
                )
            })
            .collect(),
    );
    let processes = list(
        figures
            .processes
            .iter()
            .take(ROWS)
            .map(|row| format!("• `{}` — {} ({})", code(&row.name), row.current, row.previous))
            .collect(),
    );
    let workloads = list(
        figures
            .workloads
            .iter()
            .take(ROWS)
            .map(|row| format!("• `{}` — {} ({})", code(&row.name), row.current, row.previous))
            .collect(),
    );
    let follow_ups = list(
        report
            .follow_ups
            .iter()
            .enumerate()
            .map(|(index, follow_up)| {
                format!("{}. *{}*: {}", index + 1, escape(&follow_up.title), escape(&follow_up.detail))
            })
            .collect(),
    );
    let scope =
        if report.scope.is_empty() { word.every_alert.to_string() } else { format!("`{}`", code(&report.scope)) };
    let counts_note = format!("{} ({})", word.column_current, word.column_previous);
    json!({
        "text": fallback,
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": title } },
            section(&escape(&sentence).replace("**", "*")),
            {
                "type": "context",
                "elements": [ { "type": "mrkdwn", "text": format!("{}: {scope} · {}: {} → {}", word.scope, word.current_period,
                    figures.current.evidence.since.as_deref().map(words::time).unwrap_or_default(),
                    figures.current.evidence.until.as_deref().map(words::time).unwrap_or_default()) } ]
            },
            section(&format!("*{}*\n{}", word.series_day, series.join("\n"))),
            section(&format!("*{}* · {counts_note}\n{techniques}", word.techniques)),
            section(&format!("*{}* · {counts_note}\n{tools}", word.tools)),
            section(&format!("*{}* · {counts_note}\n{processes}", word.processes)),
            section(&format!("*{}* · {counts_note}\n{workloads}", word.workloads)),
            section(&format!("*{}*\n{follow_ups}", word.follow_ups)),
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": escape(word.footer) } ] }
        ]
    })
}

fn section(text: &str) -> Value {
    let text: String = if text.chars().count() > SECTION_LIMIT {
        let mut cut: String = text.chars().take(SECTION_LIMIT).collect();
        cut.push('…');
        cut
    } else {
        text.to_string()
    };
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

/// Text escaped as Slack asks: `&`, `<` and `>` as entities.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Text for a code span: escaped, without backticks or line breaks.
fn code(text: &str) -> String {
    escape(&text.replace('`', "'").replace(['\n', '\r'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_escaping_keeps_links_and_mentions_out() {
        assert_eq!(escape("<!channel> & <http://x|y>"), "&lt;!channel&gt; &amp; &lt;http://x|y&gt;");
        assert_eq!(code("a`b\nc"), "a'b c");
    }
}
