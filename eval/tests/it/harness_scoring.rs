//! The harness fails what is wrong: a tool not called, a fact not stated, a foreign name, a
//! scope or time range not applied, an exception that suppresses more than intended, a wrong
//! language; and a suite that is malformed is an error naming the case.

use saker_eval::run::BackendChoice;
use saker_eval::score::{Check, CheckKind};
use saker_eval::suite::load_suites;

use super::{run_suites, suite_from};

fn failed_kinds(checks: &[Check]) -> Vec<CheckKind> {
    checks.iter().filter(|check| !check.passed).map(|check| check.kind).collect()
}

#[tokio::test]
async fn wrong_expectations_fail_and_right_ones_pass() {
    let directory = tempfile::tempdir().expect("tempdir");
    let suites = suite_from(
        directory.path(),
        r#"
cases:
  - id: right
    category: summary
    scope: kubernetes.cluster.name=staging-ocp
    turns:
      - ask: Summarize the events in the last 7 days.
        tools: [event_stats]
        args:
          - tool: event_stats
            scope: [k8s.cluster.name=staging-ocp]
            time: {last: 7d}
        facts:
          - count: {scope: k8s.cluster.name=staging-ocp, last: 7d}
          - Clear Log Activities
        absent: [risk-10-aws-bedrock-java]
  - id: wrong
    category: summary
    scope: kubernetes.cluster.name=staging-ocp
    turns:
      - ask: Summarize the events in the last 7 days.
        lang: ja
        tools: [root_cause]
        not_tools: [event_stats]
        args:
          - tool: event_stats
            scope: [k8s.ns.name=web]
            time: {last: 24h}
        facts:
          - count: {scope: k8s.cluster.name=staging-ocp}
        absent: [Clear Log Activities]
"#,
    );
    let results = run_suites(&suites, BackendChoice::Planner).await;
    assert!(results[0].passed(), "{:#?}", results[0].turns[0].checks);
    let failed = failed_kinds(&results[1].turns[0].checks);
    for kind in [
        CheckKind::Tools,
        CheckKind::NotTools,
        CheckKind::Arguments,
        CheckKind::Facts,
        CheckKind::Absent,
        CheckKind::Language,
    ] {
        assert!(failed.contains(&kind), "{kind:?} did not fail: {:#?}", results[1].turns[0].checks);
    }
    assert!(!failed.contains(&CheckKind::Grounded));
}

#[tokio::test]
async fn an_exception_must_suppress_exactly_the_intended_alerts() {
    let directory = tempfile::tempdir().expect("tempdir");
    let suites = suite_from(
        directory.path(),
        r#"
cases:
  - id: exact
    category: exception
    scope: kubernetes.cluster.name=staging-ocp
    turns:
      - ask: Give me a Falco exception for these alerts.
        exception: {rule: Clear Log Activities, suppresses: k8s.ns.name=web-staging}
  - id: broader-than-intended
    category: exception
    scope: kubernetes.cluster.name=staging-ocp
    turns:
      - ask: Give me a Falco exception for these alerts.
        exception: {rule: Clear Log Activities, suppresses: "proc.pid startswith 1"}
  - id: nothing-intended
    category: exception
    scope: kubernetes.cluster.name=staging-ocp
    turns:
      - ask: Give me a Falco exception for these alerts.
        exception: {rule: Clear Log Activities, suppresses: k8s.pod.name=nothing}
"#,
    );
    let results = run_suites(&suites, BackendChoice::Planner).await;
    assert!(results[0].passed(), "{:#?}", results[0].turns[0].checks);
    let exception_check = |index: usize| {
        results[index].turns[0]
            .checks
            .iter()
            .find(|check| check.kind == CheckKind::Exception)
            .cloned()
            .expect("checked")
    };
    let broader = exception_check(1);
    assert!(!broader.passed && broader.got.contains("suppresses 14 of the rule's 14 alerts"), "{broader:?}");
    assert!(broader.got.contains("missed 0, beyond the intended 7"), "{broader:?}");
    let nothing = exception_check(2);
    assert!(!nothing.passed && nothing.got.contains("intended set is empty"), "{nothing:?}");
}

#[test]
fn malformed_suites_are_errors_naming_the_place() {
    let directory = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, yaml: &str| {
        let path = directory.path().join(name);
        std::fs::write(&path, yaml).expect("write");
        path
    };
    let unknown_key = write(
        "a.yaml",
        "cases:\n  - id: x\n    category: c\n    turns:\n      - ask: q\n        tool: [event_stats]\n",
    );
    let error = load_suites(&[unknown_key]).expect_err("unknown key").to_string();
    assert!(error.contains("a.yaml") && error.contains("tool"), "{error}");

    let duplicate = write(
        "b.yaml",
        "cases:\n  - {id: x, category: c, turns: [{ask: q}]}\n  - {id: x, category: c, turns: [{ask: r}]}\n",
    );
    let error = load_suites(&[duplicate]).expect_err("duplicate id").to_string();
    assert!(error.contains("case x") && error.contains("twice"), "{error}");

    let dataset = write("c.yaml", "cases:\n  - {id: y, category: c, dataset: nothing, turns: [{ask: q}]}\n");
    let error = load_suites(&[dataset]).expect_err("unknown dataset").to_string();
    assert!(error.contains("unknown dataset") && error.contains("notebook_escape"), "{error}");

    let few = write("d.yaml", "paraphrases:\n  - {case: z, wordings: [a, b]}\n");
    std::fs::remove_file(directory.path().join("a.yaml")).expect("remove");
    std::fs::remove_file(directory.path().join("b.yaml")).expect("remove");
    std::fs::remove_file(directory.path().join("c.yaml")).expect("remove");
    write("e.yaml", "cases:\n  - {id: z, category: c, turns: [{ask: q}]}\n");
    let error = load_suites(&[few]).expect_err("too few wordings").to_string();
    assert!(error.contains("case z") && error.contains("at least 3"), "{error}");
}
