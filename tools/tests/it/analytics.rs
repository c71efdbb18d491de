//! The investigation tools through the registry, on a real tantivy store holding the committed
//! scenarios; every expected figure is computed here from the scenario files themselves.

use std::collections::{BTreeMap, BTreeSet};

use saker_tools::alert::Alert;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Dimension;
use serde_json::{Value, json};

use crate::support::{all_scenario_alerts, demo_now, scenario_store, shared_dir};

const SHIELD: &str = "risks-aws-eks-workloads-shield";

fn catalog() -> RulesCatalog {
    let directory = shared_dir().join("reference/falco/rules");
    RulesCatalog::load(&[directory.join("falco_rules.yaml"), directory.join("falco-incubating_rules.yaml")])
        .expect("rules")
}

fn in_cluster<'a>(alerts: &'a [Alert], cluster: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|alert| alert.dimension_values(Dimension::Cluster).contains(&cluster)).collect()
}

fn invoke(name: &str, arguments: Value) -> Value {
    let (_directory, store) = scenario_store();
    let rules = catalog();
    let context = ToolContext::new(&store, &rules, demo_now());
    ToolRegistry::standard().invoke(name, arguments, &context).unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[test]
fn the_registry_publishes_object_schemas_and_rejects_bad_arguments_by_field() {
    let registry = ToolRegistry::standard();
    let names: Vec<&str> = registry.specs().map(|spec| spec.name).collect();
    for expected in ["event_stats", "search_events", "mitre_mapping", "impacted_workloads"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    for spec in registry.specs() {
        assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
        assert!(spec.description.len() > 80, "{}: a description a model can act on", spec.name);
    }
    let (_directory, store) = scenario_store();
    let rules = catalog();
    let context = ToolContext::new(&store, &rules, demo_now());
    let error = registry.invoke("event_stats", json!({"limit": "ten"}), &context).expect_err("bad type").to_string();
    assert!(error.contains("limit"), "{error}");
    let error = registry.invoke("event_stats", json!({"bogus": 1}), &context).expect_err("unknown field").to_string();
    assert!(error.contains("bogus"), "{error}");
    let error =
        registry.invoke("event_stats", json!({"scope": "k8s.ns.name ="}), &context).expect_err("scope").to_string();
    assert!(error.contains("scope") || error.contains("column"), "{error}");
    let error = registry.invoke("no_such_tool", json!({}), &context).expect_err("unknown tool").to_string();
    assert!(error.contains("event_stats"), "lists what exists: {error}");
}

#[test]
fn event_stats_of_a_cluster_matches_the_scenario_file() {
    let alerts = all_scenario_alerts();
    let expected = in_cluster(&alerts, SHIELD);
    let output = invoke(
        "event_stats",
        json!({"scope": format!("kubernetes.cluster.name={SHIELD}"), "group_by": ["rule"], "limit": 50}),
    );
    assert_eq!(output["total"], expected.len() as u64);
    assert_eq!(output["evidence"]["count"], expected.len() as u64);
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for alert in &expected {
        *by_rule.entry(alert.rule.clone()).or_default() += 1;
    }
    let rows = output["groups"][0]["rows"].as_array().expect("rows");
    let reported: BTreeMap<String, u64> = rows
        .iter()
        .map(|row| (row["value"].as_str().expect("value").to_string(), row["count"].as_u64().expect("count")))
        .collect();
    assert_eq!(reported, by_rule);
    let categories = output["categories"].as_array().expect("categories");
    assert!(!categories.is_empty());
    let categorised: u64 = categories.iter().map(|category| category["count"].as_u64().expect("count")).sum();
    assert!(categorised >= expected.len() as u64, "every alert lands in at least one category");
}

#[test]
fn reconnaissance_week_over_week_is_the_ground_truth() {
    let alerts = all_scenario_alerts();
    let now = demo_now();
    let week = chrono::Duration::days(7);
    let recon = in_cluster(&alerts, "prod-recon-eks");
    let last = recon.iter().filter(|alert| alert.time > now - week && alert.time <= now).count() as u64;
    let previous =
        recon.iter().filter(|alert| alert.time > now - week - week && alert.time <= now - week).count() as u64;
    let output = invoke(
        "event_stats",
        json!({"scope": "kubernetes.cluster.name=prod-recon-eks", "last": "7d", "compare_previous": true}),
    );
    assert_eq!(output["total"], last);
    assert_eq!(output["previous"]["total"], previous);
    assert_eq!(output["previous"]["change"], last as i64 - previous as i64);
}

#[test]
fn mitre_mapping_reports_exactly_the_techniques_of_the_alerts() {
    let alerts = all_scenario_alerts();
    let expected: BTreeSet<String> = in_cluster(&alerts, SHIELD)
        .iter()
        .flat_map(|alert| alert.dimension_values(Dimension::MitreTechnique))
        .map(str::to_string)
        .collect();
    let output = invoke("mitre_mapping", json!({"scope": format!("kubernetes.cluster.name={SHIELD}")}));
    let reported: BTreeSet<String> = output["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .map(|technique| technique["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(reported, expected);
}

#[test]
fn impacted_workloads_counts_distinct_workloads_and_pods() {
    let alerts = all_scenario_alerts();
    let scoped = in_cluster(&alerts, SHIELD);
    let workloads: BTreeSet<(&str, &str)> = scoped
        .iter()
        .filter_map(|alert| {
            Some((
                *alert.dimension_values(Dimension::Namespace).first()?,
                *alert.dimension_values(Dimension::Workload).first()?,
            ))
        })
        .collect();
    let pods: BTreeSet<&str> = scoped.iter().flat_map(|alert| alert.dimension_values(Dimension::Pod)).collect();
    let output =
        invoke("impacted_workloads", json!({"scope": format!("kubernetes.cluster.name={SHIELD}"), "limit": 50}));
    assert_eq!(output["totals"]["workloads"], workloads.len() as u64);
    assert_eq!(output["totals"]["pods"], pods.len() as u64);
}

#[test]
fn search_events_finds_command_lines_and_pages_deterministically() {
    let alerts = all_scenario_alerts();
    let scoped = in_cluster(&alerts, SHIELD);
    let output = invoke("search_events", json!({"scope": format!("kubernetes.cluster.name={SHIELD}"), "limit": 5}));
    assert_eq!(output["total_hits"], scoped.len() as u64);
    assert_eq!(output["alerts"].as_array().expect("alerts").len(), 5);
    assert_eq!(output["more"], scoped.len() as u64 - 5);
    let again = invoke("search_events", json!({"scope": format!("kubernetes.cluster.name={SHIELD}"), "limit": 5}));
    assert_eq!(output, again, "same store, same arguments, same bytes");
}

#[test]
fn a_first_page_of_hits_in_several_places_shows_each_place() {
    // "4444" is the miner's pool port in one cluster and the reverse shell's in another.
    let output = invoke("search_events", json!({"query": "4444", "limit": 10}));
    // Places are pods, busiest first; the first page leads with the newest hit of each.
    let places: Vec<String> = output["found_in"]
        .as_array()
        .expect("places")
        .iter()
        .map(|place| place["pod"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(places.len() > 1, "{output}");
    let shown: BTreeSet<String> = output["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|alert| alert["pod"].as_str().unwrap_or("").to_string())
        .collect();
    // However many the output bound keeps, each listed alert is from another place: no place
    // hides behind a busier one.
    let listed = output["alerts"].as_array().expect("alerts").len();
    assert!(listed > 1, "{output}");
    assert_eq!(shown.len(), listed.min(places.len()), "{shown:?} of {places:?}");
    assert!(shown.iter().all(|pod| places.contains(pod)), "{shown:?} of {places:?}");
}

#[test]
fn every_output_stays_within_the_token_bound() {
    for (name, arguments) in [
        ("event_stats", json!({"group_by": ["rule", "pod", "process", "hour"], "limit": 50})),
        ("search_events", json!({"limit": 50})),
        ("mitre_mapping", json!({})),
        ("impacted_workloads", json!({"limit": 50})),
    ] {
        let output = invoke(name, arguments);
        let bytes = serde_json::to_string(&output).expect("json").len();
        assert!(bytes <= 2_000 * 4 + 200, "{name}: {bytes} bytes exceeds ~2,000 tokens");
    }
}

#[test]
fn an_empty_result_says_why() {
    let unknown_field = invoke("event_stats", json!({"scope": "k8s.nosuch.field=1"}));
    assert_eq!(unknown_field["total"], 0);
    let note = unknown_field["evidence"]["note"].as_str().expect("note");
    assert!(note.contains("\"k8s.nosuch.field\""), "{note}");
    let unknown_namespace = invoke("impacted_workloads", json!({"scope": "k8s.ns.name=no-such-namespace"}));
    let note = unknown_namespace["evidence"]["note"].as_str().expect("note");
    assert!(note.contains("k8s.ns.name values in the store: ") && note.contains("risk-10-aws-bedrock-java"), "{note}");
    let out_of_range = invoke(
        "search_events",
        json!({"scope": format!("kubernetes.cluster.name={SHIELD}"), "since": "2020-01-01T00:00:00Z", "until": "2020-01-02T00:00:00Z"}),
    );
    let expected = in_cluster(&all_scenario_alerts(), SHIELD).len();
    let note = out_of_range["evidence"]["note"].as_str().expect("note");
    assert!(note.contains(&format!("{expected} alerts match the scope outside the time range")), "{note}");
    let found = invoke("event_stats", json!({"scope": format!("kubernetes.cluster.name={SHIELD}")}));
    assert!(found["evidence"].get("note").is_none(), "no note when alerts match");
}

#[test]
fn categories_from_the_rules_catalog_equal_those_from_the_alerts_tags() {
    let (_directory, store) = scenario_store();
    let directory = shared_dir().join("reference/falco/rules");
    let full = RulesCatalog::load(&[
        directory.join("falco_rules.yaml"),
        directory.join("falco-incubating_rules.yaml"),
        directory.join("falco-sandbox_rules.yaml"),
    ])
    .expect("rules");
    let empty = RulesCatalog::default();
    let arguments = json!({"group_by": ["rule"]});
    let registry = ToolRegistry::standard();
    let with_catalog =
        registry.invoke("event_stats", arguments.clone(), &ToolContext::new(&store, &full, demo_now())).expect("stats");
    let from_alerts =
        registry.invoke("event_stats", arguments, &ToolContext::new(&store, &empty, demo_now())).expect("stats");
    assert_eq!(with_catalog["categories"], from_alerts["categories"]);
}
