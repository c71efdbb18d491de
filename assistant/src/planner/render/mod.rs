//! Renders a plan's tool outputs as the answer, from the handlebars templates in
//! `prompts/answers/<lang>/`, in the language of the question.
//!
//! The answer is grounded by construction: templates hold no digits of their own, every
//! number and name comes from the outputs through helpers that copy it verbatim (alert text in
//! code spans), and each answer states its scope and time range and links its figures to the
//! event feed. `context` arranges the outputs for the templates, `registry` compiles them
//! once, `helpers` and `markdown` write values safely, `remedy` renders remediation steps in
//! the answer's language and `glossary` holds a language's words for the tools' English terms.

mod context;
mod glossary;
mod helpers;
mod markdown;
mod registry;
mod remedy;

use serde_json::Value;

use super::plan::Plan;
use crate::conversation::{ConversationError, Language};

/// The Markdown answer for `plan`, given the outputs of its calls in order (tool name,
/// output; a failed call's output is `{"error": "..."}`). A plan with notices is answered
/// with the `clarify` template (what was not found or is ambiguous, and the choices);
/// otherwise with the intent's template. A defect in a template is
/// [`ConversationError::Template`].
pub fn render(language: Language, plan: &Plan, outputs: &[(String, Value)]) -> Result<String, ConversationError> {
    let context = context::template_context(language, plan, outputs);
    let name = if plan.notices.is_empty() { plan.intent.name() } else { "clarify" };
    let mut text = registry::render_template(language, name, &context)?;
    // Names left out because together they matched nothing: said before the answer.
    if !plan.left_out.is_empty() {
        let note = registry::render_template(language, "left_out", &context)?;
        text = format!("{note}\n{text}");
    }
    Ok(tidy(&text))
}

/// Trailing spaces removed, runs of blank lines folded into one, no blank lines at the ends.
fn tidy(text: &str) -> String {
    let mut tidy = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if blank_run > 0 && !tidy.is_empty() {
            tidy.push('\n');
        }
        blank_run = 0;
        tidy.push_str(line);
        tidy.push('\n');
    }
    tidy
}

#[cfg(test)]
mod tests {
    use super::registry::sources;
    use super::*;

    #[test]
    fn blank_lines_are_folded() {
        assert_eq!(tidy("\n\na  \n\n\n\nb\n\n"), "a\n\nb\n");
    }

    /// The text a template writes itself (outside `{{...}}`).
    fn static_text(source: &str) -> String {
        let mut text = String::new();
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            text.push_str(&rest[..start]);
            match rest[start..].find("}}") {
                Some(end) => rest = &rest[start + end + 2..],
                None => rest = "",
            }
        }
        text.push_str(rest);
        text
    }

    /// Grounding by construction: no template writes a digit of its own (a number or an ID
    /// must come from a tool output), in ASCII or full-width form. Ordered-list markers and the
    /// NetworkPolicy API version are not claims.
    #[test]
    fn templates_write_no_digits() {
        for language in [Language::En, Language::Ja] {
            let sources = sources(language);
            for (name, source) in sources.templates.iter().chain(sources.partials.iter()) {
                let text = static_text(source);
                let digits: Vec<String> = text
                    .lines()
                    .map(|line| line.trim_start().trim_start_matches("1. ").replace("networking.k8s.io/v1", ""))
                    .filter(|line| line.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c)))
                    .collect();
                assert!(digits.is_empty(), "{}/{name} writes digits: {digits:?}", language.tag());
            }
        }
    }

    /// Glossary words carry no digits either, except remediation sentences, whose digit tokens
    /// must be in the English entry the tool fills in (and so in its output).
    #[test]
    fn glossaries_write_no_digits_of_their_own() {
        for language in [Language::En, Language::Ja] {
            let glossary = glossary::Glossary::parse(sources(language).glossary).unwrap_or_default();
            for section in ["categories", "tactics", "tool_kinds", "roles", "dimensions", "list_words", "priorities"] {
                for (key, word) in glossary.section(section) {
                    assert!(!word.chars().any(|c| c.is_ascii_digit()), "{}: {section}.{key} = {word}", language.tag());
                }
            }
            for (id, sentence) in glossary.section("remedies") {
                let english = remedy::entry_english(id).unwrap_or_default();
                for token in sentence.split(|c: char| !(c.is_ascii_alphanumeric() || "./".contains(c))) {
                    if token.chars().any(|c| c.is_ascii_digit()) {
                        assert!(english.contains(token), "{}: remedies.{id} writes {token}", language.tag());
                    }
                }
            }
        }
    }

    /// Every reviewed remediation entry has a Japanese sentence with the entry's placeholders.
    #[test]
    fn every_remedy_has_a_japanese_sentence_with_its_objects() {
        let glossary = glossary::Glossary::parse(sources(Language::Ja).glossary).unwrap_or_default();
        for id in remedy::entry_ids() {
            let sentence = glossary.lookup("remedies", id).unwrap_or_default();
            assert!(!sentence.is_empty(), "ja glossary has no remedies.{id}");
            for placeholder in remedy::entry_placeholders(id).unwrap_or_default() {
                assert!(sentence.contains(placeholder), "ja remedies.{id} lacks {placeholder}");
            }
        }
    }

    /// The text of a line outside code spans, with backslash escapes removed (CommonMark: a
    /// span opens with a run of backticks and closes at the next run of the same length).
    fn prose_of(line: &str) -> String {
        let characters: Vec<char> = line.chars().collect();
        let run_at = |index: usize| characters[index..].iter().take_while(|&&c| c == '`').count();
        let mut prose = String::new();
        let mut index = 0;
        while index < characters.len() {
            match characters[index] {
                '\\' if index + 1 < characters.len() && characters[index + 1].is_ascii_punctuation() => {
                    prose.push('\u{1}');
                    index += 2;
                }
                '`' => {
                    let length = run_at(index);
                    let mut close = index + length;
                    while close < characters.len() && !(characters[close] == '`' && run_at(close) == length) {
                        close += if characters[close] == '`' { run_at(close) } else { 1 };
                    }
                    index = (close + length).min(characters.len());
                }
                other => {
                    prose.push(other);
                    index += 1;
                }
            }
        }
        prose
    }

    /// Alert text an intruder controls never becomes a link, HTML or Markdown structure.
    #[test]
    fn hostile_alert_text_stays_inert() {
        use serde_json::json;

        use crate::conversation::Focus;
        use crate::planner::plan::{Intent, PlannedCall};

        let hostile = "[click](http://evil.example/x) <script>alert(1)</script>\n# heading\n| cell | ``";
        let evidence = json!({"scope": "k8s.ns.name=web", "count": 1, "sample_ids": ["a"], "link": "/events?scope=x"});
        let alert = json!({"id": "a", "time": "2026-11-20T10:00:00Z", "rule": hostile, "priority": "critical",
            "namespace": hostile, "pod": hostile, "process": hostile, "cmdline": hostile, "file": hostile,
            "output_excerpt": hostile});
        let outputs = vec![(
            "search_events".to_string(),
            json!({"evidence": evidence, "total_hits": 1, "alerts": [alert], "more": 0}),
        )];
        let plan = Plan {
            intent: Intent::Search,
            calls: vec![PlannedCall { tool: "search_events", arguments: json!({"query": hostile}) }],
            focus: Focus::default(),
            scope: String::new(),
            notices: Vec::new(),
            readings: Vec::new(),
            hits_are_them: false,
            left_out: Vec::new(),
        };
        for language in [Language::En, Language::Ja] {
            let text = render(language, &plan, &outputs).unwrap_or_default();
            assert!(text.contains("alert(1)"), "{text}");
            for line in text.lines() {
                assert!(!line.starts_with("# heading") && !line.starts_with("| cell"), "{line}");
                // Outside code spans, nothing links or opens a tag.
                let prose = prose_of(line);
                assert!(!prose.contains("](http") && !prose.contains("<script"), "{prose}");
            }
        }
    }

    /// When every call failed, each intent still answers, with the errors; odd outputs give a
    /// template error, never a panic.
    #[test]
    fn failed_and_odd_outputs_are_answered_or_refused_without_panic() {
        use serde_json::json;

        use crate::conversation::Focus;
        use crate::planner::plan::{Intent, PlannedCall};

        let intents = [
            (Intent::Summary, vec!["event_stats"]),
            (
                Intent::Report,
                vec![
                    "event_stats",
                    "root_cause",
                    "attack_path",
                    "mitre_mapping",
                    "impacted_workloads",
                    "suggest_remediation",
                ],
            ),
            (Intent::RootCause, vec!["root_cause"]),
            (Intent::Mitre, vec!["mitre_mapping"]),
            (Intent::AttackPath, vec!["attack_path"]),
            (Intent::ImpactedWorkloads, vec!["impacted_workloads"]),
            (Intent::Remediation, vec!["suggest_remediation"]),
            (Intent::Isolation, vec!["impacted_workloads", "suggest_remediation"]),
            (Intent::ComparePeriods, vec!["compare_periods"]),
            (Intent::Count, vec!["event_stats"]),
            (Intent::Search, vec!["search_events"]),
            (Intent::Explain, vec!["explain_event"]),
            (Intent::Unknown, vec!["event_stats"]),
        ];
        for (intent, tools) in intents {
            let plan = Plan {
                intent,
                calls: tools.iter().map(|tool| PlannedCall { tool, arguments: json!({}) }).collect(),
                focus: Focus::default(),
                scope: String::new(),
                notices: Vec::new(),
                readings: Vec::new(),
                hits_are_them: false,
                left_out: Vec::new(),
            };
            for language in [Language::En, Language::Ja] {
                let failed: Vec<(String, Value)> =
                    tools.iter().map(|tool| (tool.to_string(), json!({"error": "store unavailable"}))).collect();
                let text = render(language, &plan, &failed).unwrap_or_else(|error| format!("{error}"));
                assert!(text.contains("Store unavailable"), "{}: {text}", intent.name());
                for odd in [json!({}), json!(null), json!("text"), json!([1, 2])] {
                    let outputs: Vec<(String, Value)> =
                        tools.iter().map(|tool| (tool.to_string(), odd.clone())).collect();
                    if let Err(error) = render(language, &plan, &outputs) {
                        assert_eq!(error.code(), "template");
                    }
                }
            }
        }
    }

    #[test]
    fn every_template_compiles() {
        for language in [Language::En, Language::Ja] {
            for (name, _) in sources(language).templates {
                // Rendering an empty context fails on the first strict lookup, never on parsing.
                if let Err(ConversationError::Template { template, message }) =
                    registry::render_template(language, name, &serde_json::json!({}))
                {
                    assert!(!message.contains("parse"), "{template}: {message}");
                }
            }
        }
    }
}
