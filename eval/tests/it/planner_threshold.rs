//! The CI gate: the embedded planner runs every committed suite (paraphrases included) and each
//! suite must pass at least the threshold it commits for the planner. Below it, the test fails
//! with every failing case, what was expected and what came back.

use saker_eval::report::{ReportHeader, render};
use saker_eval::run::BackendChoice;
use saker_eval::summary::{Summary, percent};

use saker_eval::suite::{LoadedSuite, load_suites};

use super::{committed_suites, run_suites};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planner_meets_every_committed_threshold() {
    assert_thresholds(&committed_suites()).await;
}

/// The blind generalisation suites (eval/generalisation: the sealed half and the working sets),
/// gated per turn on each; a failure of the sealed half is counted, never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planner_meets_the_generalisation_thresholds() {
    let directory = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/generalisation"));
    let suites = load_suites(&[directory]).expect("the generalisation suites load");
    assert!(suites.iter().any(|suite| suite.file.sealed), "a sealed half is committed");
    assert_thresholds(&suites).await;
}

async fn assert_thresholds(suites: &[LoadedSuite]) {
    let suites = suites.to_vec();
    let results = run_suites(&suites, BackendChoice::Planner).await;
    let summary = Summary::of("planner", &suites, &results);
    let failing: Vec<String> = summary
        .failing_suites()
        .iter()
        .map(|suite| {
            format!(
                "{}: {} passed, threshold {}",
                suite.suite,
                suite.tally.show(),
                percent(suite.threshold.unwrap_or_default())
            )
        })
        .collect();
    if !failing.is_empty() {
        let report = render(
            &ReportHeader { command: "cargo test -p saker-eval".into(), ..ReportHeader::default() },
            &summary,
            &results,
        );
        let failures = report.split("## Failures").nth(1).unwrap_or_default();
        panic!("suites below their planner threshold:\n{}\n\nFailures{failures}", failing.join("\n"));
    }
    for suite in &summary.suites {
        if suite.suite != "response" {
            assert!(suite.threshold.is_some(), "suite {} commits no planner threshold", suite.suite);
        }
    }
}
