//! `attack_path` on the malicious-binary scenario: stages in the order the scenario file says,
//! repeats collapsed, ATT&CK IDs from the rules' tags.

use std::collections::BTreeMap;

use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use serde_json::{Value, json};

use crate::support::{demo_now, scenario_alerts, scenario_store};

fn invoke(arguments: Value) -> Value {
    let (_directory, store) = scenario_store();
    let rules = RulesCatalog::default();
    let context = ToolContext::new(&store, &rules, demo_now());
    ToolRegistry::standard().invoke("attack_path", arguments, &context).expect("attack path")
}

#[test]
fn stages_follow_the_first_occurrence_of_each_step_and_collapse_repeats() {
    let alerts = scenario_alerts("malicious_binary");
    let attack: Vec<_> = alerts
        .iter()
        .filter(|alert| alert.dimensions.namespace.as_deref().is_some_and(|namespace| namespace.starts_with("risk-")))
        .collect();
    let mut first: BTreeMap<(String, Option<String>), chrono::DateTime<chrono::Utc>> = BTreeMap::new();
    let mut counts: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for alert in &attack {
        let key = (alert.rule.clone(), alert.dimensions.process.name.clone());
        let earliest = first.entry(key.clone()).or_insert(alert.time);
        *earliest = (*earliest).min(alert.time);
        *counts.entry(key).or_default() += 1;
    }
    let mut expected: Vec<_> = first.into_iter().collect();
    expected.sort_by_key(|(key, time)| (*time, key.clone()));
    let output = invoke(
        json!({"scope": "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name startswith risk-"}),
    );
    let stages = output["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), expected.len(), "one stage per step, not one per alert");
    for (stage, ((rule, process), _)) in stages.iter().zip(&expected) {
        assert_eq!(stage["rule"], rule.as_str());
        assert_eq!(stage["process"].as_str(), process.as_deref());
        assert_eq!(stage["count"], counts[&(rule.clone(), process.clone())]);
        let tags: Vec<&String> =
            attack.iter().find(|alert| &alert.rule == rule).map(|alert| alert.tags.iter().collect()).expect("tags");
        for technique in stage["techniques"].as_array().expect("techniques") {
            let id = technique["id"].as_str().expect("id");
            assert!(tags.iter().any(|tag| tag.as_str() == id), "{rule}: {id} comes from the rule's tags");
            assert!(!technique["name"].as_str().expect("name").is_empty(), "{id} has its ATT&CK name");
        }
    }
    let tree = output["process_tree"].as_array().expect("tree");
    let script = tree.iter().find(|node| node["cmdline"] == "bash ./malicious-bin-event-gen.sh").expect("script node");
    let pods: std::collections::BTreeSet<&str> =
        attack.iter().filter_map(|alert| alert.dimensions.container_id.as_deref()).collect();
    assert_eq!(script["containers"], pods.len() as u64);
    let curl_stage = stages.iter().find(|stage| stage["process"] == "curl").expect("curl stage");
    assert_eq!(curl_stage["depth_below_root_cause"], 1, "curl is the script's child");
}

#[test]
fn an_empty_scope_gives_no_stages_and_a_note() {
    let output = invoke(json!({"scope": "k8s.ns.name=nowhere"}));
    assert_eq!(output["stages"].as_array().expect("stages").len(), 0);
    assert!(output["evidence"]["note"].as_str().is_some());
}
