//! `generate_exception` on the committed scenarios and the upstream rules. Expected values
//! (fields, values, counts, times, workloads) are computed from the scenario files and the
//! manifest's ground truth, never copied from Saker's output.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::SecondsFormat;
use saker_tools::alert::Alert;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::exceptions::RuleExceptions;
use saker_tools::exceptions::evaluate::{CompiledExceptions, Truth};
use saker_tools::rules::RulesCatalog;
use serde_json::{Value, json};

use crate::compare_periods::full_catalog;
use crate::support::{all_scenario_alerts, demo_now, scenario_alerts, scenario_store, scenarios_dir, shared_dir};

const CLEAR_LOG: &str = "Clear Log Activities";
const STRATUM: &str = "Detect crypto miners using the Stratum protocol";
const MINER_NAMESPACE: &str = "risk-10-aws-bedrock-java";
const REVERSE_SHELL: &str = "Reverse Shell from Web Server";
const REDIRECT: &str = "Redirect STDOUT/STDIN to Network Connection in Container";

fn generate_with(rules: &RulesCatalog, arguments: Value) -> Result<Value, String> {
    let (_directory, store) = scenario_store();
    let context = ToolContext::new(&store, rules, demo_now());
    ToolRegistry::standard().invoke("generate_exception", arguments, &context).map_err(|error| error.to_string())
}

fn generate(arguments: Value) -> Value {
    generate_with(&full_catalog(), arguments.clone()).unwrap_or_else(|error| panic!("{arguments}: {error}"))
}

fn snippet(output: &Value) -> RuleExceptions {
    serde_json::from_value(output["exception"].clone()).expect("the exception is a RuleExceptions")
}

fn false_positive_alerts() -> Vec<Alert> {
    scenario_alerts("false_positive").into_iter().filter(|alert| alert.rule == CLEAR_LOG).collect()
}

fn time_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The manifest's "A fitting exception: fields [...], values [...]" of the false positive.
fn ground_truth() -> BTreeMap<String, String> {
    let manifest = std::fs::read_to_string(scenarios_dir().join("MANIFEST.md")).expect("manifest");
    let line = manifest.lines().find(|line| line.contains("A fitting exception:")).expect("ground truth line");
    let list = |key: &str| -> Vec<String> {
        let start = line.find(&format!("{key} [")).expect(key) + key.len() + 2;
        let end = start + line[start..].find(']').expect("closing bracket");
        line[start..end].split(',').map(|item| item.trim().to_string()).collect()
    };
    list("fields").into_iter().zip(list("values")).collect()
}

fn values_of(alerts: &[Alert], field: &str) -> BTreeSet<String> {
    alerts.iter().map(|alert| alert.field_text(field).unwrap_or_else(|| panic!("{field} in every alert"))).collect()
}

fn warning_kinds(output: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = output["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .chain(output["preview"]["warnings"].as_array().expect("preview warnings"))
        .map(|warning| warning["kind"].as_str().expect("kind").to_string())
        .collect();
    kinds.sort();
    kinds
}

fn warning<'a>(output: &'a Value, kind: &str) -> &'a str {
    output["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|warning| warning["kind"] == kind)
        .and_then(|warning| warning["message"].as_str())
        .unwrap_or_else(|| panic!("no {kind} warning: {output}"))
}

/// Checks the false positive's exception against the fixture files and the ground truth.
fn check_false_positive(output: &Value) {
    let alerts = false_positive_alerts();
    let truth = ground_truth();
    assert_eq!(output["rule"], CLEAR_LOG);
    assert_eq!(output["benign"]["count"], alerts.len() as u64);
    let item = snippet(output);
    assert_eq!(item.rule, CLEAR_LOG);
    assert_eq!(item.exceptions.len(), 1);
    // The fields are the ground truth's, or a subset of them, each with the one value every
    // alert has, which is the ground truth's value.
    let fields = output["fields"].as_array().expect("fields");
    assert!(!fields.is_empty());
    for field in fields {
        let name = field["field"].as_str().expect("field");
        let expected = truth.get(name).unwrap_or_else(|| panic!("{name} is not in the ground truth {truth:?}"));
        assert_eq!(values_of(&alerts, name), BTreeSet::from([expected.clone()]));
        assert_eq!(field["comp"], "=");
        assert_eq!(field["values"], json!([expected]));
    }
    // It separates as well as the ground truth: every alert of the rule in the store is one of
    // the 14, and all of them are suppressed, nothing else, over their whole time span.
    let rule_alerts: Vec<Alert> = all_scenario_alerts().into_iter().filter(|alert| alert.rule == CLEAR_LOG).collect();
    let preview = &output["preview"];
    assert_eq!(preview["evidence"]["count"], rule_alerts.len() as u64);
    assert_eq!(preview["suppressed"]["count"], alerts.len() as u64);
    assert_eq!(preview["suppressed"]["outside_made_from"], 0);
    assert_eq!(preview["remaining"], (rule_alerts.len() - alerts.len()) as u64);
    assert_eq!(preview["unknown"]["count"], 0);
    let first = alerts.iter().map(|alert| alert.time).min().expect("alerts");
    let last = alerts.iter().map(|alert| alert.time).max().expect("alerts");
    assert_eq!(preview["suppressed"]["first"], time_text(first));
    assert_eq!(preview["suppressed"]["last"], time_text(last));
    let workloads: BTreeSet<(String, String, String)> = alerts
        .iter()
        .map(|alert| {
            let dimensions = &alert.dimensions;
            (
                dimensions.cluster.clone().expect("cluster"),
                dimensions.namespace.clone().expect("namespace"),
                dimensions.workload.as_ref().expect("workload").name.clone(),
            )
        })
        .collect();
    let (cluster, namespace, workload) = workloads.iter().next().expect("one workload");
    assert_eq!(workloads.len(), 1);
    assert_eq!(
        preview["suppressed"]["workloads"],
        json!([{"cluster": cluster, "namespace": namespace, "workload": workload, "count": alerts.len()}])
    );
    assert!(output["separation"]["separates"].as_bool().expect("separates"));
    assert!(warning_kinds(output).is_empty(), "{output}");
    // None of the other scenarios' alerts, of any rule, would match it.
    let rules = full_catalog();
    let compiled = CompiledExceptions::compile(&item, &rules);
    assert!(compiled.problems.is_empty(), "{:?}", compiled.problems);
    for scenario in ["malicious_binary", "reconnaissance", "reverse_shell", "background_noise"] {
        for alert in scenario_alerts(scenario) {
            let as_if_same_rule = Alert { rule: CLEAR_LOG.to_string(), ..alert };
            assert_ne!(compiled.evaluate(&as_if_same_rule).truth, Truth::True, "{scenario} {}", as_if_same_rule.id);
        }
    }
    for alert in &alerts {
        assert_eq!(compiled.evaluate(alert).truth, Truth::True);
    }
    // The YAML reads back into the same item.
    let yaml = output["yaml"].as_str().expect("yaml");
    let read: Vec<RuleExceptions> = serde_saphyr::from_str(yaml).expect("YAML reads back");
    assert_eq!(read, vec![item]);
    // The validator accepts it against the upstream rules.
    assert_eq!(output["validation"]["valid"], true, "{}", output["validation"]);
    assert_eq!(output["validation"]["rules_checked"], json!([CLEAR_LOG]));
}

#[test]
fn the_false_positive_gets_the_ground_truth_exception_from_its_scope() {
    let output = generate(json!({"scope": "container.name=httpd"}));
    check_false_positive(&output);
    insta::assert_snapshot!("false_positive_yaml", output["yaml"].as_str().expect("yaml"));
    insta::assert_json_snapshot!("false_positive_output", output);
}

#[test]
fn the_false_positive_gets_the_same_exception_from_one_alert_id_and_its_recurrences() {
    let alerts = false_positive_alerts();
    let newest = alerts.iter().max_by_key(|alert| alert.time).expect("alerts");
    let output = generate(json!({"alert_id": newest.id}));
    check_false_positive(&output);
    let selection = output["selection"].as_str().expect("selection");
    assert!(selection.starts_with(&format!("alert {} and its recurrences", newest.id)), "{selection}");
    let from_scope = generate(json!({"scope": "container.name=httpd", "rule": CLEAR_LOG}));
    assert_eq!(output["yaml"], from_scope["yaml"]);
}

#[test]
fn the_miner_still_gets_a_narrow_exception_with_a_warning_that_it_runs_elsewhere() {
    let output = generate(json!({"scope": format!("k8s.ns.name={MINER_NAMESPACE}"), "rule": STRATUM}));
    let rule_alerts: Vec<Alert> = all_scenario_alerts().into_iter().filter(|alert| alert.rule == STRATUM).collect();
    let (benign, others): (Vec<&Alert>, Vec<&Alert>) =
        rule_alerts.iter().partition(|alert| alert.dimensions.namespace.as_deref() == Some(MINER_NAMESPACE));
    assert_eq!(output["benign"]["count"], benign.len() as u64);
    assert_eq!(output.get("truncated"), None, "the output fits its bound whole");
    // Narrow: exactly the namespace's alerts, none of the other workloads'.
    let preview = &output["preview"];
    assert_eq!(preview["suppressed"]["count"], benign.len() as u64);
    assert_eq!(preview["suppressed"]["outside_made_from"], 0);
    assert_eq!(preview["remaining"], others.len() as u64);
    assert_eq!(output["separation"]["others"], others.len() as u64);
    assert!(output["separation"]["separates"].as_bool().expect("separates"));
    // The same miner fires the rule in every other affected namespace: said, with their names.
    let message = warning(&output, "same_activity_elsewhere");
    let elsewhere: BTreeSet<&str> = others.iter().filter_map(|alert| alert.dimensions.namespace.as_deref()).collect();
    assert!(!elsewhere.is_empty());
    assert!(message.contains(&format!("in {} other workloads", elsewhere.len())), "{message}");
    for namespace in elsewhere {
        assert!(message.contains(namespace), "{namespace} missing from {message}");
    }
    let process = values_of(&benign.iter().map(|alert| (*alert).clone()).collect::<Vec<_>>(), "proc.name");
    assert!(message.contains(&format!("proc.name={}", process.iter().next().expect("one process"))), "{message}");
}

#[test]
fn the_reverse_shell_still_gets_a_narrow_exception_with_a_thin_history_warning() {
    let scenario = scenario_alerts("reverse_shell");
    for rule in [REVERSE_SHELL, REDIRECT] {
        let output = generate(json!({"scope": "k8s.ns.name=web", "rule": rule}));
        let benign: Vec<Alert> = scenario.iter().filter(|alert| alert.rule == rule).cloned().collect();
        let everywhere = all_scenario_alerts().into_iter().filter(|alert| alert.rule == rule).count();
        assert_eq!(output["benign"]["count"], benign.len() as u64, "{rule}");
        assert_eq!(output.get("truncated"), None, "the output fits its bound whole");
        assert_eq!(output["preview"]["suppressed"]["count"], benign.len() as u64, "{rule}");
        assert_eq!(output["preview"]["remaining"], (everywhere - benign.len()) as u64, "{rule}");
        let message = warning(&output, "thin_history");
        assert!(message.starts_with(&format!("made from {} alerts between", benign.len())), "{message}");
        let images = values_of(&benign, "container.image.repository");
        let fields: Vec<&str> = output["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|field| field["field"].as_str().expect("field"))
            .collect();
        assert_eq!(fields[0], "container.image.repository", "{rule}");
        assert_eq!(output["fields"][0]["values"], json!(images));
    }
    // The redirect alerts' connections share their remote end, not their local port.
    let output = generate(json!({"scope": "k8s.ns.name=web", "rule": REDIRECT}));
    let connection = output["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|field| field["field"] == "fd.name")
        .expect("fd.name chosen");
    let remote_ends: BTreeSet<String> = scenario
        .iter()
        .filter(|alert| alert.rule == REDIRECT)
        .map(|alert| {
            let name = alert.field_text("fd.name").expect("fd.name");
            format!("->{}", name.rsplit_once("->").expect("a connection").1)
        })
        .collect();
    assert_eq!(remote_ends.len(), 1);
    assert_eq!(connection["comp"], "endswith");
    assert_eq!(connection["values"], json!(remote_ends));
}

#[test]
fn alerts_only_a_pod_name_tells_apart_get_the_closest_exception_and_a_warning() {
    let rule_alerts: Vec<Alert> = all_scenario_alerts().into_iter().filter(|alert| alert.rule == STRATUM).collect();
    let pods: BTreeSet<String> = rule_alerts
        .iter()
        .filter(|alert| alert.dimensions.namespace.as_deref() == Some(MINER_NAMESPACE))
        .filter_map(|alert| alert.dimensions.pod.clone())
        .collect();
    assert!(pods.len() > 1, "the namespace runs several pods of one workload");
    let pod = pods.iter().next().expect("a pod");
    let (benign, others): (Vec<&Alert>, Vec<&Alert>) =
        rule_alerts.iter().partition(|alert| alert.dimensions.pod.as_deref() == Some(pod.as_str()));
    let same_namespace =
        others.iter().filter(|alert| alert.dimensions.namespace.as_deref() == Some(MINER_NAMESPACE)).count();
    let output = generate(json!({"scope": format!("k8s.pod.name={pod}"), "rule": STRATUM}));
    assert_eq!(output["benign"]["count"], benign.len() as u64);
    assert_eq!(output["separation"]["separates"], false);
    assert_eq!(output["separation"]["others"], others.len() as u64);
    assert_eq!(output["separation"]["others_suppressed"], same_namespace as u64);
    assert!(!output["fields"].as_array().expect("fields").iter().any(|field| field["field"] == "k8s.pod.name"));
    let message = warning(&output, "imperfect_separation");
    assert!(
        message.contains(&format!("also suppresses {same_namespace} of the {} other alerts", others.len())),
        "{message}"
    );
    let preview = &output["preview"];
    assert_eq!(preview["suppressed"]["count"], (benign.len() + same_namespace) as u64);
    assert_eq!(preview["suppressed"]["outside_made_from"], same_namespace as u64);
    assert!(warning_kinds(&output).contains(&"beyond_made_from".to_string()));
}

#[test]
fn a_scope_spanning_several_rules_is_refused_with_the_rules_and_counts() {
    let error = generate_with(&full_catalog(), json!({"scope": "k8s.ns.name=web"})).expect_err("several rules");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for alert in all_scenario_alerts().into_iter().filter(|alert| alert.dimensions.namespace.as_deref() == Some("web"))
    {
        *counts.entry(alert.rule).or_default() += 1;
    }
    assert!(counts.len() > 1);
    assert!(error.contains(&format!("the scope holds alerts of {} rules", counts.len())), "{error}");
    for (rule, count) in counts {
        assert!(error.contains(&format!("{rule} ({count})")), "{rule} ({count}) missing from {error}");
    }
    assert!(error.contains("give `rule`"), "{error}");
    let both = generate_with(&full_catalog(), json!({"alert_id": "x", "scope": "k8s.ns.name=web"})).expect_err("both");
    assert!(both.contains("give alert_id or a scope of benign alerts, not both"), "{both}");
    let unknown = generate_with(&full_catalog(), json!({"alert_id": "no-such-alert"})).expect_err("unknown id");
    assert!(unknown.contains("alert id \"no-such-alert\""), "{unknown}");
}

fn catalog_with_local(local: &str) -> (tempfile::TempDir, RulesCatalog) {
    let directory = tempfile::tempdir().expect("tempdir");
    let path: PathBuf = directory.path().join("falco_rules.local.yaml");
    std::fs::write(&path, local).expect("write local rules");
    let rules = shared_dir().join("reference/falco/rules");
    let catalog = RulesCatalog::load(&[rules.join("falco_rules.yaml"), path]).expect("rules with the local file");
    (directory, catalog)
}

#[test]
fn values_are_appended_to_an_existing_exception_with_the_same_fields() {
    let local = "- rule: Clear Log Activities
  exceptions:
    - name: known_log_cleanup
      fields: [proc.name, container.image.repository, fd.name]
      comps: [in, =, pmatch]
      values:
        - [[logrotate], nginx, [/var/log/nginx]]
  override:
    exceptions: append
";
    let (_directory, catalog) = catalog_with_local(local);
    let output = generate_with(&catalog, json!({"scope": "container.name=httpd"})).expect("ok");
    let alerts = false_positive_alerts();
    let one = |field: &str| values_of(&alerts, field).into_iter().next().expect("one value");
    assert_eq!(output["appends_to"], "known_log_cleanup");
    let expected = json!({
        "rule": CLEAR_LOG,
        "exceptions": [{"name": "known_log_cleanup", "values": [[[one("proc.name")], one("container.image.repository"), [one("fd.name")]]]}],
        "override": {"exceptions": "append"},
    });
    assert_eq!(output["exception"], expected);
    assert_eq!(output["preview"]["suppressed"]["count"], alerts.len() as u64);
    assert_eq!(output["preview"]["not_evaluated"], Value::Null);
    insta::assert_snapshot!("append_to_existing_yaml", output["yaml"].as_str().expect("yaml"));
}

#[test]
fn an_existing_exception_that_cannot_take_the_values_is_left_alone() {
    let local = "- rule: Clear Log Activities
  exceptions:
    - name: httpd_rm_dpkg_log
      fields: [proc.name, container.image.repository, fd.name]
      comps: [=, =, <]
      values:
        - [logrotate, nginx, /var/log/nginx]
  override:
    exceptions: append
";
    let (_directory, catalog) = catalog_with_local(local);
    let output = generate_with(&catalog, json!({"scope": "container.name=httpd"})).expect("ok");
    assert_eq!(output["appends_to"], Value::Null);
    assert!(warning(&output, "existing_exception_not_used").contains("httpd_rm_dpkg_log"));
    // A new exception, under a name that does not clash with the existing one.
    assert_eq!(output["exception"]["exceptions"][0]["name"], "httpd_rm_dpkg_log_2");
    assert_eq!(output["preview"]["suppressed"]["count"], false_positive_alerts().len() as u64);
    let clash = generate_with(&catalog, json!({"scope": "container.name=httpd", "name": "httpd_rm_dpkg_log"}));
    let clash = clash.map(|output| output["appends_to"].clone()).expect_err("same name, other comps");
    assert!(clash.contains("already has an exception of that name"), "{clash}");
}

#[test]
fn a_chosen_name_is_used() {
    let output = generate(json!({"scope": "container.name=httpd", "name": "nightly dpkg log reset"}));
    assert_eq!(output["exception"]["exceptions"][0]["name"], "nightly dpkg log reset");
    assert!(output["yaml"].as_str().expect("yaml").contains("    - name: nightly dpkg log reset\n"));
}

#[test]
fn the_tool_is_registered_with_its_schema() {
    let registry = ToolRegistry::standard();
    let spec = registry.specs().find(|spec| spec.name == "generate_exception").expect("registered");
    let properties = spec.parameters["properties"].as_object().expect("properties");
    for key in ["alert_id", "rule", "name", "scope", "since", "until", "last"] {
        assert!(properties.contains_key(key), "{key}");
    }
    let (_directory, store) = scenario_store();
    let rules = full_catalog();
    let context = ToolContext::new(&store, &rules, demo_now());
    let error = registry.invoke("generate_exception", json!({"alert": "x"}), &context).expect_err("unknown argument");
    assert!(error.to_string().contains("invalid arguments for generate_exception"), "{error}");
}
