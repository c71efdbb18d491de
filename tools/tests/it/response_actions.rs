//! `propose_response_action` on the committed scenarios (targets recomputed from the scenario
//! files). The action ledger's tests run on both backends in `state_suite`.

use std::collections::{BTreeMap, BTreeSet};

use saker_tools::actions::{ActionKind, Proposal};
use saker_tools::analytics::{ToolContext, ToolRegistry};
use serde_json::{Value, json};

use crate::compare_periods::full_catalog;
use crate::support::{demo_now, scenario_alerts, scenario_store};

pub(crate) const NAMESPACE: &str = "risk-10-aws-bedrock-java";
const SHIELD: &str = "risks-aws-eks-workloads-shield";

pub(crate) fn propose(arguments: Value) -> Value {
    let (_directory, store) = scenario_store();
    let rules = full_catalog();
    let context = ToolContext::new(&store, &rules, demo_now());
    ToolRegistry::standard().invoke("propose_response_action", arguments, &context).expect("the tool answers")
}

pub(crate) fn proposals(output: &Value) -> Vec<Proposal> {
    serde_json::from_value(output["proposals"].clone()).expect("proposals decode")
}

#[test]
fn kill_the_miner_targets_the_newest_miner_pid_in_each_pod() {
    let output = propose(json!({
        "scope": format!("kubernetes.cluster.name={SHIELD} and k8s.ns.name={NAMESPACE}"),
        "kinds": ["kill_process"],
        "process": "miner",
    }));
    // Expected from the scenario file: per pod, the pid of the newest alert whose process,
    // executable or rule mentions "miner".
    let mut newest: BTreeMap<String, (chrono::DateTime<chrono::Utc>, i64, String)> = BTreeMap::new();
    let mut pids: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for alert in scenario_alerts("malicious_binary") {
        let dimensions = &alert.dimensions;
        if dimensions.namespace.as_deref() != Some(NAMESPACE) {
            continue;
        }
        let process = dimensions.process.name.clone().unwrap_or_default();
        let mentions = [process.as_str(), dimensions.process.exepath.as_deref().unwrap_or(""), alert.rule.as_str()]
            .iter()
            .any(|text| text.to_lowercase().contains("miner"));
        let (Some(pod), Some(pid)) = (dimensions.pod.clone(), dimensions.process.pid) else { continue };
        if !mentions {
            continue;
        }
        pids.entry(pod.clone()).or_default().insert(pid);
        let entry = newest.entry(pod).or_insert((alert.time, pid, process.clone()));
        if alert.time > entry.0 {
            *entry = (alert.time, pid, process);
        }
    }
    assert_eq!(newest.len(), 2, "two pods in the namespace");
    let proposals = proposals(&output);
    assert_eq!(proposals.len(), 2, "{output:#}");
    for proposal in &proposals {
        assert_eq!(proposal.kind, ActionKind::KillProcess);
        let pod = proposal.target.pod.clone().expect("pod");
        let (_, pid, process) = &newest[&pod];
        assert_eq!(proposal.target.pid, Some(*pid), "{pod}");
        assert_eq!(proposal.target.process.as_deref(), Some(process.as_str()));
        assert_eq!(process, "easyminer");
        assert_eq!(proposal.target.executable.as_deref(), Some("/dev/shm/easyminer"));
        assert_eq!(proposal.target.cluster.as_deref(), Some(SHIELD));
        assert!(proposal.target.container_id.is_some() && proposal.target.host.is_some());
        assert_eq!(proposal.parameters.signal.as_deref(), Some("SIGKILL"));
        assert!(proposal.digest_is_intact());
        assert!(!proposal.reversibility.reversible);
        assert!(
            proposal.reason.rules.iter().any(|rule| rule.name == "Detect crypto miners using the Stratum protocol")
        );
        assert!(proposal.reason.link.starts_with("/events?scope="), "{}", proposal.reason.link);
        let codes: Vec<&str> = proposal.blast_radius.iter().map(|fact| fact.code.as_str()).collect();
        assert!(codes.contains(&"workload") && codes.contains(&"pods_seen"), "{codes:?}");
        assert!(codes.contains(&"newest_pid") && codes.contains(&"unknown_still_running"), "{codes:?}");
        let pods_seen = proposal.blast_radius.iter().find(|fact| fact.code == "pods_seen").expect("pods seen");
        assert_eq!(pods_seen.values["count"], json!(2));
        let workload = proposal.blast_radius.iter().find(|fact| fact.code == "workload").expect("workload");
        assert_eq!(workload.values["kind"], json!("Deployment"));
        assert_eq!(workload.values["inferred"], json!(true), "the kind comes from the pod name, and says so");
        let newest_pid = proposal.blast_radius.iter().find(|fact| fact.code == "newest_pid").expect("pids");
        assert_eq!(newest_pid.values["pids_seen"], json!(pids[&pod].len()));
    }
    assert_eq!(output["more_proposals"], json!(0));
}

#[test]
fn the_default_containment_isolates_only_workloads_with_dropped_files() {
    let output = propose(json!({"scope": format!("kubernetes.cluster.name={SHIELD}"), "limit": 10}));
    assert!(output.get("truncated").is_none(), "ten proposals fit whole: {}", output["truncated"]);
    let proposals = proposals(&output);
    let isolated: BTreeSet<String> = proposals
        .iter()
        .filter(|proposal| proposal.kind == ActionKind::IsolateWorkload)
        .filter_map(|proposal| proposal.target.workload.clone())
        .collect();
    let expected: BTreeSet<String> = [
        "risk-10-aws-bedrock-java",
        "risk-3-aws-s3-exposed-python",
        "risk-7-aws-iam-privileged-node",
        "risk-12-aws-lambda-exfil-go",
    ]
    .map(String::from)
    .into();
    let summaries: Vec<&str> = proposals.iter().map(|p| p.summary.as_str()).collect();
    assert_eq!(isolated, expected, "the platform-tools noise is not isolated: {summaries:#?}");
    let first = &proposals[0];
    assert_eq!(first.kind, ActionKind::IsolateWorkload, "least destructive first");
    assert_eq!(first.target.workload.as_deref(), Some(NAMESPACE), "most alerts first");
    assert_eq!(first.parameters.network_policy.as_deref(), Some("saker-isolate-risk-10-aws-bedrock-java"));
    assert!(first.reversibility.reversible);
    let unknowns: Vec<&str> =
        first.blast_radius.iter().filter(|fact| fact.unknown).map(|fact| fact.code.as_str()).collect();
    assert!(unknowns.contains(&"unknown_replicas") && unknowns.contains(&"unknown_serves_traffic"), "{unknowns:?}");
    assert_eq!(proposals.len(), 10, "bounded by the default limit");
    assert!(output["more_proposals"].as_u64().unwrap_or(0) > 0);
    let quarantined: BTreeSet<String> = proposals
        .iter()
        .filter(|proposal| proposal.kind == ActionKind::QuarantineFile)
        .filter_map(|proposal| proposal.target.file.clone())
        .collect();
    assert!(
        quarantined.iter().all(|file| file == "/dev/shm/easyminer" || file == "/var/tmp/.cache/kworkerd"),
        "{quarantined:?}"
    );
}

#[test]
fn a_process_nothing_matches_is_said_not_guessed() {
    let output =
        propose(json!({"scope": format!("k8s.ns.name={NAMESPACE}"), "kinds": ["kill_process"], "process": "nginx"}));
    assert_eq!(proposals(&output).len(), 0);
    assert!(output["note"].as_str().is_some_and(|note| note.contains("\"nginx\"")), "{output}");
}

#[test]
fn a_process_with_no_pid_is_answered_with_where_it_ran() {
    // The recon scenario's nc alerts on checkout-api record no pid.
    let output = propose(json!({"scope": "workload=checkout-api and proc.name=nc", "kinds": ["kill_process"]}));
    assert!(proposals(&output).is_empty(), "{output}");
    let note = output["note"].as_str().unwrap_or_default();
    let pods: BTreeSet<String> = scenario_alerts("reconnaissance")
        .into_iter()
        .filter(|alert| alert.dimensions.process.name.as_deref() == Some("nc"))
        .filter(|alert| alert.dimensions.workload.as_ref().is_some_and(|workload| workload.name == "checkout-api"))
        .filter_map(|alert| alert.dimensions.pod.clone())
        .collect();
    assert!(!pods.is_empty());
    for pod in pods {
        assert!(note.contains(&pod), "{pod} missing from {note}");
    }
    assert!(note.contains("stop or pause"), "{note}");
}

#[test]
fn a_named_directory_quarantines_the_files_the_alerts_name_in_it() {
    let output = propose(json!({"scope": "workload=ledger-api", "kinds": ["quarantine_file"], "file": "/dev/shm"}));
    let expected: BTreeSet<String> = scenario_alerts("prompt_injection")
        .into_iter()
        .flat_map(|alert| {
            alert.output_fields.values().filter_map(|value| value.as_str().map(str::to_string)).collect::<Vec<_>>()
        })
        .filter(|value| value.starts_with("/dev/shm/") && value.len() > "/dev/shm/".len())
        .collect();
    let files: BTreeSet<String> = proposals(&output).into_iter().filter_map(|proposal| proposal.target.file).collect();
    assert!(!expected.is_empty());
    assert_eq!(files, expected, "{output}");
}

#[test]
fn a_file_named_only_in_a_command_line_is_quarantined_where_it_was_written() {
    let output = propose(json!({"scope": "k8s.ns.name=web", "kinds": ["quarantine_file"], "file": "/tmp/linpeas.sh"}));
    let pods: BTreeSet<String> = scenario_alerts("reverse_shell")
        .into_iter()
        .filter(|alert| {
            alert.dimensions.process.cmdline.as_deref().is_some_and(|command| command.contains("/tmp/linpeas.sh"))
        })
        .filter_map(|alert| alert.dimensions.pod.clone())
        .collect();
    let found = proposals(&output);
    assert!(!pods.is_empty() && !found.is_empty(), "{output}");
    for proposal in found {
        assert_eq!(proposal.target.file.as_deref(), Some("/tmp/linpeas.sh"));
        assert!(proposal.target.pod.as_ref().is_some_and(|pod| pods.contains(pod)), "{:?}", proposal.target);
    }
}
