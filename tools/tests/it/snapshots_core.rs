//! Snapshot tests of the core tools' JSON output on the demo scenarios: any change to what a
//! model or the planner receives shows up as a reviewed diff.

use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use serde_json::json;

use crate::support::{demo_now, scenario_store, shared_dir};

#[test]
fn core_tool_outputs_on_the_malicious_binary_cluster() {
    let (_directory, store) = scenario_store();
    let rules_dir = shared_dir().join("reference/falco/rules");
    let rules = RulesCatalog::load(&[rules_dir.join("falco_rules.yaml")]).expect("rules");
    let context = ToolContext::new(&store, &rules, demo_now());
    let registry = ToolRegistry::standard();
    let scope = "kubernetes.cluster.name=risks-aws-eks-workloads-shield";
    let cases = [
        ("event_stats", json!({"scope": scope, "last": "7d", "compare_previous": true})),
        ("search_events", json!({"scope": scope, "query": "easyminer", "limit": 3})),
        ("mitre_mapping", json!({"scope": scope})),
        ("impacted_workloads", json!({"scope": scope, "limit": 3})),
    ];
    for (name, arguments) in cases {
        let output = registry.invoke(name, arguments, &context).unwrap_or_else(|error| panic!("{name}: {error}"));
        insta::assert_json_snapshot!(name, output);
    }
}

#[test]
fn root_cause_and_attack_path_outputs_on_the_malicious_binary_namespace() {
    let (_directory, store) = scenario_store();
    let rules = RulesCatalog::default();
    let context = ToolContext::new(&store, &rules, demo_now());
    let registry = ToolRegistry::standard();
    let scope = "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name=risk-10-aws-bedrock-java";
    for name in ["root_cause", "attack_path"] {
        let output =
            registry.invoke(name, json!({"scope": scope}), &context).unwrap_or_else(|error| panic!("{name}: {error}"));
        insta::assert_json_snapshot!(name, output);
    }
}
