//! `suggest_remediation` on the committed scenarios: the steps name the objects the scenario
//! files hold, recomputed here from the files.

use std::collections::{BTreeMap, BTreeSet};

use saker_tools::alert::Alert;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::scope::Dimension;
use serde_json::{Value, json};

use crate::compare_periods::full_catalog;
use crate::support::{demo_now, scenario_alerts, scenario_store};

const SHIELD: &str = "risks-aws-eks-workloads-shield";
const DROP_RULES: [&str; 4] = [
    "Drop and execute new binary in container",
    "Execution from /dev/shm",
    "Container Drift Detected (chmod)",
    "Container Drift Detected (open+create)",
];

fn call(arguments: Value) -> Result<Value, String> {
    let (_directory, store) = scenario_store();
    let rules = full_catalog();
    let context = ToolContext::new(&store, &rules, demo_now());
    ToolRegistry::standard().invoke("suggest_remediation", arguments, &context).map_err(|error| error.to_string())
}

fn step<'a>(output: &'a Value, phase: &str, id: &str) -> &'a Value {
    output[phase]
        .as_array()
        .expect("phase")
        .iter()
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("no {phase} step {id}: {output}"))
}

fn action<'a>(output: &'a Value, phase: &str, id: &str) -> &'a str {
    step(output, phase, id)["action"].as_str().expect("action")
}

/// Values most alerts first, ties by value: the order the tool names objects in.
fn ranked<'a>(alerts: impl Iterator<Item = &'a Alert>, value: impl Fn(&Alert) -> Option<String>) -> Vec<String> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for alert in alerts {
        if let Some(found) = value(alert) {
            *counts.entry(found).or_default() += 1;
        }
    }
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(&right.0)));
    values.into_iter().map(|(value, _)| value).collect()
}

#[test]
fn the_miner_incident_names_its_pods_files_launcher_and_pool() {
    let alerts = scenario_alerts("malicious_binary");
    let output = call(json!({"scope": format!("kubernetes.cluster.name={SHIELD}")})).expect("ok");
    assert_eq!(output["evidence"]["count"], alerts.len() as u64);

    // Eradicate: the files the drift rules saw written, e.g. /dev/shm/easyminer.
    let dropped: BTreeSet<String> = alerts
        .iter()
        .filter(|alert| DROP_RULES.contains(&alert.rule.as_str()))
        .flat_map(|alert| [alert.field_text("evt.arg.filename"), alert.field_text("evt.arg.name")])
        .flatten()
        .collect();
    assert!(dropped.contains("/dev/shm/easyminer"), "{dropped:?}");
    let remove = step(&output, "eradicate", "remove-dropped-files");
    for file in &dropped {
        assert!(remove["action"].as_str().expect("action").contains(file.as_str()), "{file}: {remove}");
    }
    let drop_alerts = alerts.iter().filter(|alert| DROP_RULES.contains(&alert.rule.as_str())).count();
    assert_eq!(remove["alerts"], drop_alerts as u64);

    // Contain: the pods of the miner rules, most alerts first, three named and the rest counted.
    let miner_rules = [
        "Detect crypto miners using the Stratum protocol",
        "Detect outbound connections to common miner pool ports",
        "Drop and execute new binary in container",
        "Execution from /dev/shm",
    ];
    let attacked = alerts.iter().filter(|alert| {
        miner_rules.contains(&alert.rule.as_str()) || alert.dimensions.mitre_techniques.contains(&"T1496".to_string())
    });
    let pods = ranked(attacked, |alert| alert.dimensions.pod.clone());
    let isolate = action(&output, "contain", "isolate-pods");
    for pod in pods.iter().take(3) {
        assert!(isolate.contains(pod.as_str()), "{pod}: {isolate}");
    }
    if pods.len() > 3 {
        assert!(isolate.contains(&format!("and {} more", pods.len() - 3)), "{isolate}");
    }
    assert!(!isolate.contains("debug-toolbox"), "administrators' pods are not part of the attack: {isolate}");

    // Contain: the launcher script and the mining pool.
    let launcher = ranked(
        alerts.iter().filter(|alert| alert.rule == "Detect crypto miners using the Stratum protocol"),
        |alert| alert.field_text("proc.pcmdline"),
    );
    assert!(action(&output, "contain", "stop-processes").contains(launcher[0].as_str()));
    let pools: BTreeSet<String> = alerts
        .iter()
        .filter(|alert| alert.rule == "Detect outbound connections to common miner pool ports")
        .filter_map(|alert| alert.dimensions.file.as_deref()?.split_once("->").map(|(_, remote)| remote.to_string()))
        .collect();
    for pool in &pools {
        assert!(action(&output, "contain", "block-remote-ends").contains(pool.as_str()), "{pool}");
    }

    // Harden: pod-spec and Falco changes for the attacked workloads; every reason is in scope.
    assert!(action(&output, "harden", "read-only-root").contains("readOnlyRootFilesystem"));
    assert!(action(&output, "harden", "falco-drift-rules").contains("Falco"));
    let rules: BTreeSet<&str> = alerts.iter().map(|alert| alert.rule.as_str()).collect();
    for phase in ["contain", "eradicate", "recover", "harden"] {
        for step in output[phase].as_array().expect("phase") {
            for reason in step["because"].as_array().expect("because") {
                let reason = reason.as_str().expect("reason");
                if let Some(rule) = reason.strip_prefix("rule ") {
                    assert!(rules.contains(rule), "{reason}");
                }
            }
        }
    }
}

#[test]
fn the_recon_incident_gets_metadata_service_limits_for_the_workloads_that_reached_it() {
    let alerts = scenario_alerts("reconnaissance");
    let output = call(json!({"scope": "kubernetes.cluster.name=prod-recon-eks"})).expect("ok");
    let reached = ranked(
        alerts.iter().filter(|alert| alert.rule == "Contact EC2 Instance Metadata Service From Container"),
        |alert| {
            let workload = alert.dimension_values(Dimension::Workload).first().map(|name| name.to_string())?;
            Some(format!("{}/{workload}", alert.dimensions.namespace.as_deref().unwrap_or("-")))
        },
    );
    let limit = action(&output, "harden", "limit-metadata-service");
    assert!(limit.contains("169.254.169.254"));
    for workload in reached.iter().take(3) {
        assert!(limit.contains(workload.as_str()), "{workload}: {limit}");
    }
    let read: BTreeSet<String> = alerts
        .iter()
        .filter(|alert| {
            alert.rule == "Read sensitive file untrusted" || alert.rule == "Read environment variable from /proc files"
        })
        .filter_map(|alert| alert.dimensions.file.clone())
        .collect();
    let rotate = action(&output, "contain", "rotate-exposed-credentials");
    for file in read.iter().take(3) {
        assert!(rotate.contains(file.as_str()), "{file}: {rotate}");
    }
    assert!(output["eradicate"].as_array().expect("eradicate").is_empty(), "nothing was dropped");
}

#[test]
fn a_log_deletion_points_at_the_file() {
    let alerts = scenario_alerts("false_positive");
    let file = alerts[0].dimensions.file.clone().expect("file");
    let output = call(json!({"scope": "kubernetes.cluster.name=staging-ocp"})).expect("ok");
    assert!(action(&output, "recover", "restore-deleted-logs").contains(file.as_str()));
    assert!(action(&output, "harden", "ship-logs-off-host").contains(file.as_str()));
}

#[test]
fn empty_scopes_and_bad_arguments_are_explained() {
    let output = call(json!({"scope": "kubernetes.cluster.name=no-such-cluster"})).expect("ok");
    assert_eq!(output["evidence"]["count"], 0);
    assert!(output["note"].as_str().expect("note").contains("No alerts"), "{output}");
    for phase in ["contain", "eradicate", "recover", "harden"] {
        assert!(output[phase].as_array().expect("phase").is_empty());
    }
    let error = call(json!({"scope": "kubernetes.cluster.name ="})).expect_err("bad scope");
    assert!(error.contains("scope"), "{error}");
    let error = call(json!({"pods": ["x"]})).expect_err("unknown field");
    assert!(error.contains("pods"), "{error}");
}

#[test]
fn snapshot_of_the_miner_incident() {
    let output = call(json!({"scope": format!("kubernetes.cluster.name={SHIELD}")})).expect("ok");
    insta::assert_json_snapshot!("suggest_remediation_miner", output);
}
