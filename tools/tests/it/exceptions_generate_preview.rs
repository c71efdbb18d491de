//! The impact preview of hand-written exceptions against the committed scenarios: broad ones
//! get warnings, undecidable alerts are counted as unknown with the fields they lack, and the
//! scan limit is said. Expected figures come from the scenario files.

use std::collections::{BTreeSet, HashSet};

use saker_tools::alert::Alert;
use saker_tools::exceptions::RuleExceptions;
use saker_tools::exceptions::preview::{ImpactPreview, PREVIEW_SCAN_LIMIT, PreviewRequest, preview_exception};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Scope;
use saker_tools::store::AlertFilter;
use serde_json::{Value, json};

use crate::compare_periods::full_catalog;
use crate::support::{all_scenario_alerts, scenario_alerts, scenario_store};

const TERMINAL_SHELL: &str = "Terminal shell in container";
const CLEAR_LOG: &str = "Clear Log Activities";
const API_SERVER: &str = "Contact K8S API Server From Container";

fn item(json: Value) -> RuleExceptions {
    serde_json::from_value(json).expect("snippet")
}

fn preview(
    exceptions: &RuleExceptions,
    filter: AlertFilter,
    made_from: Option<&HashSet<String>>,
    scan_limit: usize,
) -> ImpactPreview {
    let (_directory, store) = scenario_store();
    let rules: RulesCatalog = full_catalog();
    preview_exception(&store, &rules, exceptions, &PreviewRequest { filter, made_from, scan_limit }).expect("preview")
}

fn kinds(preview: &ImpactPreview) -> Vec<String> {
    preview
        .warnings
        .iter()
        .map(|warning| serde_json::to_value(warning.kind).expect("kind").as_str().expect("text").to_string())
        .collect()
}

fn rule_alerts(rule: &str) -> Vec<Alert> {
    all_scenario_alerts().into_iter().filter(|alert| alert.rule == rule).collect()
}

#[test]
fn an_exception_on_generic_fields_is_flagged_as_broad() {
    let root_shells = item(json!({"rule": TERMINAL_SHELL, "override": {"exceptions": "append"},
        "exceptions": [{"name": "root_shells", "fields": ["user.name"], "comps": ["="], "values": [["root"]]}]}));
    let result = preview(&root_shells, AlertFilter::all(), None, PREVIEW_SCAN_LIMIT);
    let alerts = rule_alerts(TERMINAL_SHELL);
    let suppressed: Vec<&Alert> =
        alerts.iter().filter(|alert| alert.field_text("user.name").as_deref() == Some("root")).collect();
    assert_eq!(result.evidence.count, alerts.len() as u64);
    assert_eq!(result.suppressed.count, suppressed.len() as u64);
    assert_eq!(result.remaining, (alerts.len() - suppressed.len()) as u64);
    let workloads: BTreeSet<(Option<String>, Option<String>)> = suppressed
        .iter()
        .map(|alert| {
            (
                alert.dimensions.namespace.clone(),
                alert.dimensions.workload.as_ref().map(|workload| workload.name.clone()),
            )
        })
        .collect();
    let namespaces: BTreeSet<Option<String>> =
        suppressed.iter().map(|alert| alert.dimensions.namespace.clone()).collect();
    assert!(workloads.len() > 1 && namespaces.len() > 1);
    assert_eq!(result.suppressed.workloads.len() as u64 + result.suppressed.other_workloads, workloads.len() as u64);
    assert_eq!(result.suppressed.namespaces.len() as u64 + result.suppressed.other_namespaces, namespaces.len() as u64);
    assert_eq!(
        result.suppressed.namespaces.iter().map(|namespace| namespace.count).sum::<u64>(),
        suppressed.len() as u64
    );
    let kinds = kinds(&result);
    for kind in ["several_workloads", "several_namespaces", "generic_fields_only"] {
        assert!(kinds.contains(&kind.to_string()), "{kind} missing from {kinds:?}");
    }
    let generic = result.warnings.iter().find(|warning| warning.message.contains("root_shells")).expect("named");
    assert!(generic.message.contains("user.name=root"), "{}", generic.message);
    let workload_warning = &result.warnings[0].message;
    assert!(
        workload_warning.starts_with(&format!("suppresses alerts from {} workloads", workloads.len())),
        "{workload_warning}"
    );
}

#[test]
fn suppressing_more_than_it_was_made_from_is_said() {
    let alerts: Vec<Alert> = scenario_alerts("false_positive");
    let mut times: Vec<_> = alerts.iter().map(|alert| alert.time).collect();
    times.sort();
    let cut = times[times.len() / 2];
    let made_from: HashSet<String> =
        alerts.iter().filter(|alert| alert.time < cut).map(|alert| alert.id.clone()).collect();
    let exception = item(json!({"rule": CLEAR_LOG, "override": {"exceptions": "append"}, "exceptions": [{
        "name": "httpd_rm_dpkg_log", "fields": ["container.image.repository", "proc.name", "fd.name"],
        "values": [["httpd", "rm", "/var/log/dpkg.log"]]}]}));
    let result = preview(&exception, AlertFilter::all(), Some(&made_from), PREVIEW_SCAN_LIMIT);
    assert_eq!(result.suppressed.count, alerts.len() as u64);
    assert_eq!(result.suppressed.made_from, Some(made_from.len() as u64));
    assert_eq!(result.suppressed.outside_made_from, Some((alerts.len() - made_from.len()) as u64));
    assert!(result.suppressed.outside_sample_ids.iter().all(|id| !made_from.contains(id)));
    assert_eq!(kinds(&result), vec!["beyond_made_from"]);
    assert!(result.warnings[0].message.contains(&format!("besides the {} it was made from", made_from.len())));
}

#[test]
fn fields_the_alerts_lack_make_them_unknown_never_guessed() {
    let exception = item(json!({"rule": CLEAR_LOG, "override": {"exceptions": "append"}, "exceptions": [{
        "name": "deep_ancestor", "fields": ["proc.name", "proc.aname[7]"], "values": [["rm", "systemd"]]}]}));
    let result = preview(&exception, AlertFilter::all(), None, PREVIEW_SCAN_LIMIT);
    let alerts = rule_alerts(CLEAR_LOG);
    assert!(alerts.iter().all(|alert| !alert.output_fields.contains_key("proc.aname[7]")));
    assert_eq!(result.suppressed.count, 0);
    assert_eq!(result.remaining, 0);
    assert_eq!(result.unknown.count, alerts.len() as u64);
    assert_eq!(
        serde_json::to_value(&result.unknown.missing_fields).expect("json"),
        json!([{"name": "proc.aname[7]", "count": alerts.len()}])
    );
    assert_eq!(kinds(&result), vec!["unknown_alerts", "nothing_suppressed"]);
    // A failing comparison still decides: another process is certainly not suppressed.
    let other_process = item(json!({"rule": CLEAR_LOG, "override": {"exceptions": "append"}, "exceptions": [{
        "name": "deep_ancestor", "fields": ["proc.name", "proc.aname[7]"], "values": [["shred", "systemd"]]}]}));
    let result = preview(&other_process, AlertFilter::all(), None, PREVIEW_SCAN_LIMIT);
    assert_eq!((result.remaining, result.unknown.count), (alerts.len() as u64, 0));
}

#[test]
fn the_scan_limit_and_the_scope_are_respected_and_said() {
    let exception = item(json!({"rule": API_SERVER, "override": {"exceptions": "append"}, "exceptions": [{
        "name": "operators", "fields": "proc.name", "comps": "in", "values": ["release-control", "backup-operator"]}]}));
    let alerts = rule_alerts(API_SERVER);
    let result = preview(&exception, AlertFilter::all(), None, 5);
    assert_eq!((result.scanned, result.not_scanned), (5, alerts.len() as u64 - 5));
    assert!(kinds(&result).contains(&"scan_limited".to_string()));
    let cluster = "prod-web-eks";
    let filter = AlertFilter::scoped(Scope::parse(&format!("k8s.cluster.name={cluster}")).expect("scope"));
    let result = preview(&exception, filter, None, PREVIEW_SCAN_LIMIT);
    let in_cluster: Vec<&Alert> =
        alerts.iter().filter(|alert| alert.dimensions.cluster.as_deref() == Some(cluster)).collect();
    let expected = in_cluster
        .iter()
        .filter(|alert| matches!(alert.field_text("proc.name").as_deref(), Some("release-control" | "backup-operator")))
        .count();
    assert_eq!(result.evidence.count, in_cluster.len() as u64);
    assert_eq!(result.suppressed.count, expected as u64);
    assert!(expected > 0);
    assert_eq!(result.by_exception.iter().map(|entry| entry.count).sum::<u64>(), expected as u64);
}

#[test]
fn refused_exceptions_and_replace_mode_are_reported() {
    let exception = item(json!({"rule": CLEAR_LOG, "override": {"exceptions": "replace"}, "exceptions": [
        {"name": "bad_comp", "fields": ["proc.name"], "comps": ["equals"], "values": [["rm"]]},
        {"name": "other_file", "fields": ["fd.name"], "comps": ["pmatch"], "values": [[["/var/logs"]]]},
    ]}));
    let result = preview(&exception, AlertFilter::all(), None, PREVIEW_SCAN_LIMIT);
    assert_eq!(result.not_evaluated.len(), 1);
    assert_eq!(result.not_evaluated[0].exception, "bad_comp");
    assert!(result.not_evaluated[0].problem.contains("\"equals\" is not a Falco comparison operator"));
    // /var/logs is not a path prefix of /var/log/dpkg.log.
    assert_eq!(result.suppressed.count, 0);
    assert_eq!(kinds(&result), vec!["nothing_suppressed", "replaces_rule_exceptions", "not_evaluated"]);
}
