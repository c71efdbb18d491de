//! Fuzz target: scope expressions. A scope that parses prints to canonical text that parses to
//! the same tree (and prints the same), survives serde and evaluates over real alerts; a
//! refused one names a column inside the text.

use std::sync::OnceLock;

use saker_tools::alert::Alert;
use saker_tools::scope::Scope;

use super::engine::{Budget, Outcome, run};
use crate::support::all_scenario_alerts;

/// Scopes written in the tests, the README and the seed investigation.
const SEEDS: &[&str] = &[
    "",
    "k8s.ns.name=default",
    "kubernetes.namespace.name in (a,'b c') AND NOT priority=WARN",
    "a=1 and (b=2 and c=3)",
    "a=1 or b=2 and c=3",
    "container.image.repository in (a, b, c)",
    "container.image.repository=docker.io/library/nginx:*",
    "container.label[app.kubernetes.io/name]=web",
    "evt.priority in (WARN, Error, info)",
    "evt.source=syscall",
    "fd.name startswith /etc/ AND proc.cmdline Contains 'cat /etc'",
    "fd.name startswith /etc/ and proc.cmdline contains \"cat \\\"x\\\"\"",
    "fd.name=[::1]:443",
    "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name in (a, b) and not proc.name=bash",
    "k8s.ns.name in (default) and not (priority=critical or proc.name=bash)",
    "k8s.ns.name=default and (rule=\"Terminal shell in container\" or rule='Read sensitive file untrusted')",
    "k8s.pod.label[app]!=web",
    "ka.user.name=kubernetes-admin",
    "kubernetes.namespace.name in (default, openfaas-fn)",
    "kubernetes.pod.label[app] != web",
    "mitre.tactic in (TA0002, TA0002, TA0004, TA0004)",
    "mitre.tactic=execution",
    "mitre.technique=T1059.004",
    "mitre_tactic in (TA0002, execution, privilege_escalation, 'Privilege Escalation')",
    "priority in (warning, error, informational)",
    "proc.name exists and not container.id exists",
    "proc.aname[2]=containerd-shim or proc.pname startswith run",
    "k8s.pod.name startswith risk- and not k8s.ns.name in (kube-system, monitoring)",
    "host.hostname=ip-10-0-1-23 and user.name=root",
    "rule contains Shell and tags=T1059",
    "k8s.ns.name = 名前空間 and proc.name != 'it''s'",
];

const TOKENS: &[&str] = &[
    " and ",
    " or ",
    " not ",
    " in (",
    " contains ",
    " startswith ",
    " exists",
    "=",
    "!=",
    "==",
    "=~",
    " icontains ",
    "(",
    ")",
    ",",
    "'",
    "\"",
    "\\'",
    "k8s.ns.name",
    "kubernetes.cluster.name",
    "proc.aname[",
    "container.label[",
    "priority",
    "mitre.tactic",
    "mitre.technique",
    "rule",
    "AND",
    "NOT",
];

fn sample_alerts() -> &'static [Alert] {
    static ALERTS: OnceLock<Vec<Alert>> = OnceLock::new();
    ALERTS.get_or_init(|| all_scenario_alerts().into_iter().step_by(7).take(60).collect())
}

fn check(bytes: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(bytes);
    match Scope::parse(&text) {
        Ok(scope) => {
            let canonical = scope.to_string();
            let again = Scope::parse(&canonical).unwrap_or_else(|error| panic!("canonical {canonical:?}: {error}"));
            assert_eq!(again.expr(), scope.expr(), "canonical {canonical:?}");
            assert_eq!(again.to_string(), canonical);
            let serialized = serde_json::to_string(&scope).expect("serializes");
            let back: Scope = serde_json::from_str(&serialized).unwrap_or_else(|error| panic!("{serialized}: {error}"));
            assert_eq!(back.expr(), scope.expr());
            for alert in sample_alerts() {
                assert_eq!(scope.matches(alert), again.matches(alert), "{canonical:?} on {}", alert.id);
            }
            Outcome::Accepted
        }
        Err(error) => {
            let length = text.chars().count();
            assert!(error.column >= 1 && error.column <= length + 1, "column {} of {length}: {error}", error.column);
            assert!(error.to_string().starts_with("scope: column "), "{error}");
            Outcome::Refused
        }
    }
}

#[test]
fn scopes_never_panic_errors_are_placed_and_canonical_text_reparses() {
    let seeds = SEEDS.iter().map(|seed| seed.as_bytes().to_vec()).collect();
    let summary = run("scope", seeds, TOKENS, Budget::from_env(6_000), check);
    assert!(summary.accepted > summary.executions / 20, "mutants still parse: {summary:?}");
}
