//! A wire-level run of the LLM path: the harness drives the LLM backend against the scripted
//! OpenAI-compatible server on loopback (JSON and streamed replies). Every turn is answered
//! through the model, its tool calls stay inside the analyst's scope, and tokens and latency are
//! recorded and reported. The scripted model understands nothing, so its pass rate is not a
//! quality figure.

use saker::llm::LlmSettings;
use saker_eval::report::{ReportHeader, render};
use saker_eval::run::{BackendChoice, Harness};
use saker_eval::score::CheckKind;
use saker_eval::scripted_model::{SCRIPTED_TEXT, ScriptedModel};
use saker_eval::suite::run_items;
use saker_eval::summary::Summary;

use super::{committed_suites, upstream_rules};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_llm_path_runs_every_turn_and_records_tokens_and_latency() {
    let model = ScriptedModel::start().await.expect("scripted model");
    let suites = committed_suites();
    let items: Vec<_> = run_items(&suites, None)
        .into_iter()
        .filter(|item| {
            ["investigation-seed-en", "summary-shield-ja", "triage-staging-en"].contains(&item.case.id.as_str())
        })
        .collect();
    assert_eq!(items.len(), 3);
    for stream in [false, true] {
        let settings = LlmSettings {
            base_url: Some(model.base_url.clone()),
            model: Some("scripted-model".into()),
            api_key: Some("scripted".into()),
            stream: Some(stream),
            retry_delay_ms: Some(1),
            ..LlmSettings::default()
        };
        let harness = Harness::new(upstream_rules(), BackendChoice::Llm(settings)).expect("harness");
        let results = harness.run_all(&items, |_, _| {}).await.expect("run");
        let turns: Vec<_> = results.iter().flat_map(|result| result.turns.iter()).collect();
        assert_eq!(turns.len(), 10);
        for turn in &turns {
            let answered = turn.checks.iter().find(|check| check.kind == CheckKind::Answered).expect("answered check");
            assert!(answered.passed, "{}: {}", turn.question, answered.got);
            assert_eq!(turn.tools, vec!["event_stats".to_string()], "{}", turn.question);
            let usage = turn.usage.expect("usage reported");
            assert!(usage.prompt > 0 && usage.completion > 0);
            assert!(turn.answer_head.contains("(scripted model)"), "{}", turn.answer_head);
        }
        let summary = Summary::of("llm", &suites, &results);
        assert_eq!(summary.tokens.2, 10);
        let report = render(&ReportHeader { command: "test".into(), ..ReportHeader::default() }, &summary, &results);
        assert!(report.contains("Tokens over 10 turns"), "{report}");
        // A model that says nothing of substance fails the facts: the harness does not pass it.
        assert!(!results.iter().any(|result| result.passed() && result.turns.len() > 1));
    }
    assert!(SCRIPTED_TEXT.starts_with("(scripted model)"));
    assert!(model.requests() >= 40, "{} requests", model.requests());
}
