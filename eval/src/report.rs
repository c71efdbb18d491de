//! The Markdown report of a run: the figures of [`Summary`] and every failure with what was
//! expected and what came back.

use std::fmt::Write;

use crate::run::CaseResult;
use crate::suite::GateUnit;
use crate::summary::{Summary, Tally, percent};

/// What the report says about how it was produced.
#[derive(Debug, Clone, Default)]
pub struct ReportHeader {
    /// The command line that produced it.
    pub command: String,
    /// The model, for the LLM backend (`name at base URL`).
    pub model: Option<String>,
    /// A note printed under the title (e.g. that a scripted model answered).
    pub note: Option<String>,
}

/// Renders the report.
pub fn render(header: &ReportHeader, summary: &Summary, results: &[CaseResult]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "# Saker eval report: {} backend\n", summary.backend);
    let _ = writeln!(text, "Produced by `{}`.", header.command);
    if let Some(model) = &header.model {
        let _ = writeln!(text, "Model: {model}.");
    }
    if let Some(note) = &header.note {
        let _ = writeln!(text, "\n{note}");
    }
    text.push('\n');

    text.push_str("## Overall\n\n| | Passed | Rate |\n|---|---:|---:|\n");
    row(&mut text, "Suite cases", &summary.cases);
    row(&mut text, "Turns of suite cases", &summary.turns);
    row(&mut text, "Multi-turn cases", &summary.multi_turn);
    row(&mut text, "Paraphrases", &summary.paraphrases);
    row(&mut text, "Holdout incidents (suite cases)", &summary.holdout.0);
    row(&mut text, "Holdout incidents (paraphrases)", &summary.holdout.1);
    if summary.skipped > 0 {
        let _ = writeln!(text, "\n{} cases skipped (see below).", summary.skipped);
    }

    text.push_str("\n## Suites and thresholds\n\n");
    let _ = writeln!(text, "| Suite | Passed | Rate | Threshold ({}) | |\n|---|---:|---:|---:|---|", summary.backend);
    for suite in &summary.suites {
        let threshold = suite.threshold.map_or("-".to_string(), percent);
        let status = match (suite.threshold, suite.below_threshold()) {
            (None, _) => "not gated",
            (Some(_), true) => "**below**",
            (Some(_), false) => "ok",
        };
        let skipped = if suite.skipped > 0 { format!(" ({} skipped)", suite.skipped) } else { String::new() };
        let gated = suite.gated();
        let unit = if suite.gate == GateUnit::Turns { " turns" } else { "" };
        let sealed = if suite.sealed { " (sealed)" } else { "" };
        let _ = writeln!(
            text,
            "| {}{sealed} | {}/{}{unit}{skipped} | {} | {threshold} | {status} |",
            suite.suite,
            gated.passed,
            gated.total,
            percent(gated.rate())
        );
    }

    text.push_str("\n## Paraphrase robustness\n\n");
    if summary.paraphrases.total == 0 {
        text.push_str("No paraphrases in this run.\n");
    } else {
        let robustness =
            if summary.originals.rate() > 0.0 { summary.paraphrases.rate() / summary.originals.rate() } else { 0.0 };
        let _ = writeln!(
            text,
            "The original wordings of the {} paraphrased cases pass at **{}**; their {} other wordings at **{}**: \
             robustness (paraphrase rate / original rate) **{:.3}**. For {} of the originals every wording had the \
             original's outcome.",
            summary.originals.total,
            percent(summary.originals.rate()),
            summary.paraphrases.total,
            percent(summary.paraphrases.rate()),
            robustness,
            summary.consistent.show()
        );
    }

    text.push_str("\n## By category (suite cases)\n\n| Category | All | English | Japanese |\n|---|---:|---:|---:|\n");
    for (category, (all, english, japanese)) in &summary.categories {
        let _ =
            writeln!(text, "| {category} | {} | {} | {} |", all.show(), show_or_dash(english), show_or_dash(japanese));
    }
    text.push_str("\n| Language | Cases | Turns |\n|---|---:|---:|\n");
    for (language, tally) in &summary.languages {
        let turns = summary.turn_languages.get(language).copied().unwrap_or_default();
        let _ = writeln!(text, "| {language} | {} | {} |", tally.show(), turns.show());
    }
    if !summary.intents.is_empty() {
        text.push_str(
            "\n## By intent (turns of suite cases)\n\n| Intent | All | English | Japanese |\n|---|---:|---:|---:|\n",
        );
        for (intent, (all, english, japanese)) in &summary.intents {
            let _ = writeln!(
                text,
                "| {intent} | {} | {} | {} |",
                all.show(),
                show_or_dash(english),
                show_or_dash(japanese)
            );
        }
    }

    text.push_str("\n## Checks (every turn, paraphrases included)\n\n| Check | Passed |\n|---|---:|\n");
    for (kind, tally) in &summary.checks {
        let _ = writeln!(text, "| {} | {} |", kind.label(), tally.show());
    }

    text.push_str("\n## Latency and tokens\n\n");
    let millis = |duration: std::time::Duration| format!("{:.0} ms", duration.as_secs_f64() * 1000.0);
    let _ = writeln!(
        text,
        "{} turns: median {}, 95th percentile {}, slowest {} (wall clock of the whole turn, tools included).",
        summary.latencies.len(),
        millis(summary.latency_at(0.5)),
        millis(summary.latency_at(0.95)),
        millis(summary.latency_at(1.0))
    );
    let (prompt, completion, reported) = summary.tokens;
    if reported > 0 {
        let _ = writeln!(
            text,
            "\nTokens over {reported} turns: {prompt} prompt and {completion} completion in all, {} and {} per turn.",
            prompt / reported as u64,
            completion / reported as u64
        );
    } else {
        text.push_str("\nNo token usage reported (the planner uses no model).\n");
    }

    let skipped: Vec<&CaseResult> = results.iter().filter(|result| result.skipped.is_some()).collect();
    if !skipped.is_empty() {
        text.push_str("\n## Skipped\n\n");
        for result in skipped {
            let _ = writeln!(
                text,
                "- `{}` ({}): {}",
                result.id,
                result.suite,
                result.skipped.as_deref().unwrap_or_default()
            );
        }
    }

    let sealed: Vec<&str> =
        summary.suites.iter().filter(|suite| suite.sealed).map(|suite| suite.suite.as_str()).collect();
    let (hidden, failures): (Vec<&CaseResult>, Vec<&CaseResult>) = results
        .iter()
        .filter(|result| result.skipped.is_none() && !result.passed())
        .partition(|result| sealed.contains(&result.suite.as_str()));
    let _ = writeln!(text, "\n## Failures ({})\n", failures.len() + hidden.len());
    if !hidden.is_empty() {
        let _ = writeln!(
            text,
            "{} failing cases of sealed suites are not shown: no fix may be made against their wordings.\n",
            hidden.len()
        );
    }
    if failures.is_empty() && hidden.is_empty() {
        text.push_str("None.\n");
    }
    for result in failures {
        let original = result.paraphrase_of.as_ref().map(|id| format!(", paraphrase of `{id}`")).unwrap_or_default();
        let _ = writeln!(text, "### `{}` ({}, {}{original})\n", result.id, result.suite, result.category);
        for (index, turn) in result.turns.iter().enumerate() {
            if turn.passed() {
                continue;
            }
            let _ = writeln!(text, "Turn {} ({}): {}\n", index + 1, turn.language, quote_line(&turn.question));
            let _ = writeln!(
                text,
                "- tools called: {}",
                if turn.tools.is_empty() { "none".to_string() } else { turn.tools.join(", ") }
            );
            for check in turn.checks.iter().filter(|check| !check.passed) {
                let _ = writeln!(
                    text,
                    "- {}: expected {}; got {}",
                    check.kind.label(),
                    inline(&check.expected),
                    inline(&check.got)
                );
            }
            let _ = writeln!(text, "- answer began: {}\n", quote_line(&turn.answer_head));
        }
    }
    text
}

fn row(text: &mut String, label: &str, tally: &Tally) {
    if tally.total > 0 {
        let _ = writeln!(text, "| {label} | {}/{} | {} |", tally.passed, tally.total, percent(tally.rate()));
    }
}

fn show_or_dash(tally: &Tally) -> String {
    if tally.total == 0 { "-".to_string() } else { tally.show() }
}

/// Text on one line, with table and code characters made harmless.
fn inline(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

fn quote_line(text: &str) -> String {
    let text = inline(text);
    let fence = if text.contains('`') { "``" } else { "`" };
    format!("{fence} {text} {fence}")
}
