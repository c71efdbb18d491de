//! Scope expressions evaluated on the real Falco alert samples in `shared/reference`.
//!
//! Expected counts were worked out by reading the sample files: 34 lines, of which one
//! (`edge_cases.jsonl` line 1, time `...Z+2`) is not a valid alert, leaving 33.

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::scope::{Dimension, FieldRef, Scope};

const EVENTS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/falco/events");

fn sample_alerts() -> Vec<Alert> {
    let mut paths: Vec<_> = std::fs::read_dir(EVENTS_DIR)
        .expect("events directory is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    paths.sort();
    let mut alerts = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("sample file is readable");
        alerts.extend(
            text.lines().filter(|line| !line.trim().is_empty()).filter_map(|line| parse_alert(line, None).ok()),
        );
    }
    alerts
}

fn count(alerts: &[Alert], scope: &str) -> usize {
    let scope = Scope::parse(scope).unwrap_or_else(|error| panic!("{scope}: {error}"));
    alerts.iter().filter(|alert| scope.matches(alert)).count()
}

#[test]
fn scopes_select_the_expected_sample_alerts() {
    let alerts = sample_alerts();
    assert_eq!(alerts.len(), 34);
    let expectations = [
        ("", 34),
        ("source=k8s_audit", 6),
        ("evt.source=syscall", 22),
        ("rule=\"Terminal shell in container\"", 7),
        ("not source=internal and priority in (warning, error)", 13),
        ("priority=info", 6),
        ("kubernetes.namespace.name in (default, openfaas-fn)", 9),
        ("k8s.ns.name=default and proc.name=sh", 5),
        ("container.image.repository exists", 8),
        ("proc.pname!=runc", 28),
        ("evt.hostname=test", 5),
        ("user.name=root", 9),
        ("ka.user.name=kubernetes-admin", 2),
        ("n_drops=815508", 2),
        ("k8s.pod.name exists and not proc.name exists", 2),
        ("proc.cmdline startswith \"sh -c\"", 5),
        ("fd.name contains \"->10.96.0.1:443\"", 1),
        ("tags=k8s", 6),
        ("mitre.tactic=execution", 1),
        ("workload=alpine", 5),
        ("workload=alpine-deployment", 1),
        ("kubernetes.cluster.name exists", 0),
    ];
    for (scope, expected) in expectations {
        assert_eq!(count(&alerts, scope), expected, "scope {scope:?}");
    }
}

#[test]
fn conjunction_confines_a_question_to_the_analyst_scope() {
    let alerts = sample_alerts();
    let analyst = Scope::parse("k8s.ns.name=default").expect("analyst scope");
    let question = Scope::parse("rule=\"Terminal shell in container\" or source=k8s_audit").expect("question");
    let confined = analyst.and(&question);
    assert_eq!(
        confined.to_string(),
        "k8s.ns.name=default and (rule=\"Terminal shell in container\" or source=k8s_audit)"
    );
    // Terminal shells in default: blogs 7, 8, 10, 12, 13 and docs 6; audit events in default: blogs 5, 6.
    assert_eq!(alerts.iter().filter(|alert| confined.matches(alert)).count(), 8);
    assert_eq!(
        confined.fields(),
        vec![
            FieldRef::Dimension(Dimension::Namespace),
            FieldRef::Dimension(Dimension::Rule),
            FieldRef::Dimension(Dimension::Source),
        ]
    );
}

#[test]
fn canonical_text_reproduces_the_same_selection() {
    let alerts = sample_alerts();
    let written = "Kubernetes.Namespace.Name In ('default') AND NOT (evt.priority = CRIT or process == bash)";
    let scope = Scope::parse(written).expect("parses");
    let canonical = scope.to_string();
    assert_eq!(canonical, "k8s.ns.name in (default) and not (priority=critical or proc.name=bash)");
    let selected = |scope: &Scope| {
        alerts.iter().filter(|alert| scope.matches(alert)).map(|alert| alert.id.clone()).collect::<Vec<_>>()
    };
    let reparsed = Scope::parse(&canonical).expect("canonical parses");
    assert_eq!(selected(&reparsed), selected(&scope));
    // Default namespace: 8 alerts; minus docs line 6 (critical) and blogs line 10 (bash).
    assert_eq!(selected(&scope).len(), 6);
}

#[test]
fn errors_explain_what_is_wrong_and_where() {
    let error = |text: &str| Scope::parse(text).map(|_| ()).map_err(|error| error.to_string());
    assert_eq!(
        error("kubernetes.cluster.name=risks and"),
        Err("scope: column 34: expected a field name, \"(\" or \"not\", found end of input".into())
    );
    assert_eq!(
        error("k8s.ns.name =~ prod"),
        Err("scope: column 16: expected \"and\", \"or\" or end of input, found \"prod\"".into())
    );
    assert_eq!(
        error("k8s.ns.name ~= prod"),
        Err("scope: column 13: unknown operator \"~=\" (allowed: =, !=, in, contains, startswith, exists)".into())
    );
    assert_eq!(
        error("(k8s.ns.name=prod or k8s.ns.name=dev"),
        Err("scope: column 1: unbalanced parentheses: this \"(\" is never closed".into())
    );
    assert_eq!(
        error("priority in (warning, loud)"),
        Err("scope: column 23: unknown priority \"loud\" (allowed: emergency, alert, critical, error, warning, notice, \
             informational or info, debug)"
            .into())
    );
    assert_eq!(
        error("rule='Terminal shell"),
        Err("scope: column 6: unterminated quoted value: the ' opened here is never closed".into())
    );
}
