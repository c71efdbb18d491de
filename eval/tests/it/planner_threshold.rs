//! The CI gate: the embedded planner runs every committed suite (paraphrases included) and each
//! suite must pass at least the threshold it commits for the planner. Below it, the test fails
//! with every failing case, what was expected and what came back.

use saker_eval::report::{ReportHeader, render};
use saker_eval::run::BackendChoice;
use saker_eval::summary::{Summary, percent};

use super::{committed_suites, run_suites};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planner_meets_every_committed_threshold() {
    let suites = committed_suites();
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
