//! `assess_false_positive` on the committed scenarios and the upstream rules: the likelihood
//! and the facts behind it, with every expected value recomputed here from the scenario files.

use std::collections::BTreeSet;

use saker_tools::alert::Alert;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use crate::compare_periods::full_catalog;
use crate::support::{all_scenario_alerts, demo_now, scenario_alerts, scenario_store};

const HTTPD_SCOPE: &str = "rule=\"Clear Log Activities\" and k8s.pod.name=httpd";
const NEARBY_SECONDS: i64 = 3_600;

fn assess_with(store: &TantivyStore, rules: &RulesCatalog, arguments: Value) -> Result<Value, String> {
    let context = ToolContext::new(store, rules, demo_now());
    ToolRegistry::standard().invoke("assess_false_positive", arguments, &context).map_err(|error| error.to_string())
}

fn assess(store: &TantivyStore, arguments: Value) -> Value {
    let output = assess_with(store, &full_catalog(), arguments).expect("assessment");
    check_consistency(&output);
    output
}

/// Every assessment: the score is the clamped sum of the weights, each direction follows its
/// weight, the likelihood follows the documented thresholds, and a human decides.
fn check_consistency(output: &Value) {
    let facts = output["facts"].as_array().expect("facts");
    let sum: i64 = facts.iter().map(|fact| fact["weight"].as_i64().expect("weight")).sum();
    let score = output["score"].as_i64().expect("score");
    assert_eq!(score, sum.clamp(-100, 100), "{output}");
    for fact in facts {
        let expected = match fact["weight"].as_i64().expect("weight") {
            weight if weight > 0 => "benign",
            weight if weight < 0 => "malicious",
            _ => "neutral",
        };
        assert_eq!(fact["direction"], expected, "{fact}");
        assert!(!fact["statement"].as_str().expect("statement").is_empty());
        assert!(fact["values"]["kind"].is_string(), "{fact}");
    }
    let veto = facts.iter().any(|fact| fact["weight"].as_i64().unwrap_or(0) <= -25);
    let expected = if score <= -20 {
        "low"
    } else if score >= 40 && !veto {
        "high"
    } else {
        "medium"
    };
    assert_eq!(output["likelihood"], expected, "{output}");
    assert!(output["decision"].as_str().expect("decision").contains("a human decides"));
    assert!(output.get("truncated").is_none(), "facts fit the budget: {output}");
}

fn fact<'a>(output: &'a Value, factor: &str) -> &'a Value {
    output["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .find(|fact| fact["factor"] == factor)
        .unwrap_or_else(|| panic!("no {factor} fact: {output}"))
}

fn has_fact(output: &Value, factor: &str) -> bool {
    output["facts"].as_array().expect("facts").iter().any(|fact| fact["factor"] == factor)
}

fn httpd_alerts() -> Vec<Alert> {
    scenario_alerts("false_positive")
        .into_iter()
        .filter(|alert| alert.rule == "Clear Log Activities" && alert.dimensions.pod.as_deref() == Some("httpd"))
        .collect()
}

/// The rules and alert count of the alerts that happened in the same container within an hour
/// of an assessed alert of another rule, from the scenario files.
fn nearby_in_files(assessed: &[&Alert], all: &[Alert]) -> (BTreeSet<String>, u64) {
    let mut rules = BTreeSet::new();
    let mut count = 0;
    for candidate in all {
        let near = assessed.iter().any(|alert| {
            alert.dimensions.container_id.is_some()
                && alert.dimensions.container_id == candidate.dimensions.container_id
                && alert.rule != candidate.rule
                && (candidate.time - alert.time).num_seconds().abs() <= NEARBY_SECONDS
        });
        if near {
            rules.insert(candidate.rule.clone());
            count += 1;
        }
    }
    (rules, count)
}

fn listed_nearby_rules(fact: &Value) -> Vec<&Value> {
    fact["values"]["rules"].as_array().expect("nearby rules").iter().collect()
}

#[test]
fn the_httpd_log_clearing_is_likely_benign_from_its_daily_cron_lineage() {
    let (_directory, store) = scenario_store();
    let alerts = httpd_alerts();
    let output = assess(&store, json!({"scope": HTTPD_SCOPE}));
    assert_eq!(output["likelihood"], "high");
    assert_eq!(output["evidence"]["count"], alerts.len() as u64);
    assert_eq!(output["assessed"]["basis"], "scope");

    // Recurrence: one time of day (HH:MM, UTC) and one alert per day in the file.
    let times_of_day: BTreeSet<String> = alerts.iter().map(|alert| alert.time.format("%H:%M").to_string()).collect();
    assert_eq!(times_of_day.len(), 1, "{times_of_day:?}");
    let days: BTreeSet<chrono::NaiveDate> = alerts.iter().map(|alert| alert.time.date_naive()).collect();
    let first = alerts.iter().map(|alert| alert.time).min().expect("first");
    let last = alerts.iter().map(|alert| alert.time).max().expect("last");
    let span = (last.date_naive() - first.date_naive()).num_days() as u64 + 1;
    let rfc3339 = |time: chrono::DateTime<chrono::Utc>| time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(output["assessed"]["first_seen"], rfc3339(first));
    assert_eq!(output["assessed"]["last_seen"], rfc3339(last));
    let recurrence = fact(&output, "recurrence_daily");
    assert_eq!(recurrence["direction"], "benign");
    let values = &recurrence["values"];
    assert_eq!(values["time_of_day_utc"], times_of_day.iter().next().expect("time").as_str());
    assert_eq!(values["days_at_time"], days.len() as u64);
    assert_eq!(values["span_days"], span);
    assert_eq!(values["alerts"], alerts.len() as u64);
    let commands: BTreeSet<&str> =
        alerts.iter().filter_map(|alert| alert.dimensions.process.cmdline.as_deref()).collect();
    assert_eq!(values["command"], *commands.iter().next().expect("command"));
    assert!(recurrence["statement"].as_str().expect("statement").contains("03:15 UTC"));

    // Lineage: every alert's ancestry (proc.aname[N]) holds cron.
    let under_cron = alerts
        .iter()
        .filter(|alert| {
            alert.dimensions.process.ancestors.iter().any(|ancestor| ancestor.name.as_deref() == Some("cron"))
        })
        .count();
    assert_eq!(under_cron, alerts.len());
    let lineage = fact(&output, "lineage_scheduler");
    assert_eq!(lineage["values"]["marker"], "cron");
    assert_eq!(lineage["values"]["alerts"], alerts.len() as u64);
    assert_eq!(lineage["weight"], 25);
    let chain: Vec<&str> =
        lineage["values"]["chain"].as_array().expect("chain").iter().filter_map(Value::as_str).collect();
    let example = alerts.iter().find(|alert| lineage["values"]["example_alert_id"] == alert.id.as_str()).expect("id");
    let process = &example.dimensions.process;
    assert_eq!(chain.first().copied(), process.name.as_deref());
    assert_eq!(chain.get(1).copied(), process.pname.as_deref());
    assert!(chain.contains(&"cron"));

    // Spread: one pod, one workload, one namespace.
    let pods: BTreeSet<&str> = alerts.iter().filter_map(|alert| alert.dimensions.pod.as_deref()).collect();
    let spread = fact(&output, "spread_one_workload");
    assert_eq!(spread["values"]["pods"], pods.len() as u64);
    assert_eq!(spread["values"]["workloads"], 1);
    assert_eq!(spread["values"]["namespaces"], 1);

    // Nothing else in the container, and the rule's own benign case (cron jobs clearing logs).
    let all = all_scenario_alerts();
    let assessed: Vec<&Alert> = alerts.iter().collect();
    assert_eq!(nearby_in_files(&assessed, &all).1, 0);
    assert!(has_fact(&output, "no_nearby_alerts"));
    let cases = fact(&output, "rule_benign_case_fits");
    let rule = &cases["values"]["rules"][0];
    assert_eq!(rule["rule"], "Clear Log Activities");
    assert_eq!(rule["fits"], true);
    let sources: Vec<&str> =
        rule["cases"].as_array().expect("cases").iter().filter_map(|case| case["source"].as_str()).collect();
    assert!(sources.contains(&"saker notes") && sources.contains(&"macro allowed_clear_log_files"), "{sources:?}");
    let users: BTreeSet<&str> = alerts.iter().filter_map(|alert| alert.dimensions.user.as_deref()).collect();
    assert_eq!(fact(&output, "user_neutral")["values"]["users"][0]["name"], *users.iter().next().expect("user"));
}

#[test]
fn any_single_httpd_alert_is_assessed_with_the_alerts_of_its_pattern() {
    let (_directory, store) = scenario_store();
    let alerts = httpd_alerts();
    let ids: BTreeSet<&str> = alerts.iter().map(|alert| alert.id.as_str()).collect();
    for alert in &alerts {
        let output = assess(&store, json!({"alert_id": alert.id}));
        assert_eq!(output["likelihood"], "high", "{}", alert.id);
        assert_eq!(output["alert"]["id"], alert.id.as_str());
        assert_eq!(output["assessed"]["basis"], "same_pattern");
        assert_eq!(output["evidence"]["count"], alerts.len() as u64);
        for sample in output["evidence"]["sample_ids"].as_array().expect("samples") {
            assert!(ids.contains(sample.as_str().expect("id")), "{sample} is one of the httpd alerts");
        }
        assert_eq!(fact(&output, "recurrence_daily")["values"]["days_at_time"], alerts.len() as u64);
        assert_eq!(fact(&output, "lineage_scheduler")["values"]["marker"], "cron");
        assert_eq!(fact(&output, "spread_one_workload")["values"]["pods"], 1);
    }
}

#[test]
fn the_miner_in_the_bedrock_namespace_is_not_benign() {
    let (_directory, store) = scenario_store();
    let all = all_scenario_alerts();
    let namespace = "risk-10-aws-bedrock-java";
    for rule in ["Detect crypto miners using the Stratum protocol", "Execution from /dev/shm"] {
        let assessed: Vec<&Alert> = all
            .iter()
            .filter(|alert| alert.rule == rule && alert.dimensions.namespace.as_deref() == Some(namespace))
            .collect();
        let output = assess(&store, json!({"scope": format!("k8s.ns.name={namespace} and rule=\"{rule}\"")}));
        assert_eq!(output["likelihood"], "low", "{rule}");
        assert_eq!(output["evidence"]["count"], assessed.len() as u64);

        // The executable lives in /dev/shm, as the files say.
        let executables: BTreeSet<&str> =
            assessed.iter().filter_map(|alert| alert.dimensions.process.exepath.as_deref()).collect();
        assert_eq!(executables.len(), 1);
        let executable = *executables.iter().next().expect("executable");
        assert!(executable.starts_with("/dev/shm/"));
        let lineage = fact(&output, "lineage_unknown_binary");
        assert_eq!(lineage["values"]["marker"], executable);
        assert_eq!(lineage["values"]["alerts"], assessed.len() as u64);
        assert_eq!(lineage["direction"], "malicious");

        // Drift and the miner pool connection fired in the same containers around it.
        let (expected_rules, expected_count) = nearby_in_files(&assessed, &all);
        assert!(expected_rules.iter().any(|name| name.contains("Drift")), "{expected_rules:?}");
        let nearby = fact(&output, "nearby_attack_alerts");
        assert_eq!(nearby["values"]["alerts"], expected_count);
        let listed = listed_nearby_rules(nearby);
        let more = nearby["values"]["more_rules"].as_u64().expect("more");
        assert_eq!(listed.len() as u64 + more, expected_rules.len() as u64);
        for entry in &listed {
            assert!(expected_rules.contains(entry["rule"].as_str().expect("rule")), "{entry}");
            assert_eq!(entry["attack_stage"], true, "attack stages come first: {entry}");
        }
        let categories: BTreeSet<&str> = listed.iter().filter_map(|entry| entry["category"].as_str()).collect();
        assert!(categories.contains("drift_detection") || categories.contains("malicious_binary"), "{categories:?}");
    }
    // The Stratum miner's own set: the pool-port rule is among its neighbours.
    let stratum: Vec<&Alert> = all
        .iter()
        .filter(|alert| {
            alert.rule == "Detect crypto miners using the Stratum protocol"
                && alert.dimensions.namespace.as_deref() == Some(namespace)
        })
        .collect();
    assert!(nearby_in_files(&stratum, &all).0.contains("Detect outbound connections to common miner pool ports"));
}

#[test]
fn the_reverse_shell_in_web_is_not_benign_and_credential_access_follows() {
    let (_directory, store) = scenario_store();
    let all = all_scenario_alerts();
    let rule = "Reverse Shell from Web Server";
    let assessed: Vec<&Alert> =
        all.iter().filter(|alert| alert.rule == rule && alert.dimensions.namespace.as_deref() == Some("web")).collect();
    let output = assess(&store, json!({"scope": format!("k8s.ns.name=web and rule=\"{rule}\"")}));
    assert_eq!(output["likelihood"], "low");
    assert_eq!(output["evidence"]["count"], assessed.len() as u64);

    // The web server the files name as parent or ancestor.
    let servers: BTreeSet<&str> = assessed
        .iter()
        .flat_map(|alert| {
            let process = &alert.dimensions.process;
            process.pname.as_deref().into_iter().chain(process.ancestors.iter().filter_map(|a| a.name.as_deref()))
        })
        .filter(|name| *name == "apache2")
        .collect();
    assert_eq!(servers.len(), 1);
    let lineage = fact(&output, "lineage_web_server");
    assert_eq!(lineage["values"]["marker"], "apache2");
    assert_eq!(lineage["values"]["alerts"], assessed.len() as u64);
    assert_eq!(fact(&output, "user_service_account")["values"]["service_account"], "www-data");

    // Credential access in the same container after the shell, per the files.
    let container = assessed[0].dimensions.container_id.clone();
    let shell_at = assessed.iter().map(|alert| alert.time).min().expect("first");
    let credential_rules: BTreeSet<&str> = all
        .iter()
        .filter(|alert| {
            alert.dimensions.container_id == container
                && alert.time > shell_at
                && (alert.time - shell_at).num_seconds() <= NEARBY_SECONDS
                && alert.tags.iter().any(|tag| tag == "mitre_credential_access")
        })
        .map(|alert| alert.rule.as_str())
        .collect();
    assert!(!credential_rules.is_empty());
    let nearby = fact(&output, "nearby_attack_alerts");
    let followed: Vec<&Value> = listed_nearby_rules(nearby)
        .into_iter()
        .filter(|entry| entry["category"] == "credential_access" && entry["after"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert!(!followed.is_empty(), "{nearby}");
    for entry in followed {
        assert!(credential_rules.contains(entry["rule"].as_str().expect("rule")), "{entry}");
    }
    assert_eq!(fact(&output, "rule_detects_attack")["values"]["rules"][0]["rule"], rule);
}

#[test]
fn the_night_reconnaissance_sessions_are_not_called_benign() {
    let (_directory, store) = scenario_store();
    let alerts = scenario_alerts("reconnaissance");
    let shells: Vec<&Alert> = alerts.iter().filter(|alert| alert.rule == "Terminal shell in container").collect();
    // Every session is a runc exec with a terminal, as the files say.
    assert!(shells.iter().all(|alert| {
        alert.dimensions.process.pname.as_deref() == Some("runc")
            && alert.field_text("proc.tty").is_some_and(|tty| tty != "0")
    }));
    let output = assess(
        &store,
        json!({"scope": "kubernetes.cluster.name=prod-recon-eks and rule=\"Terminal shell in container\""}),
    );
    assert_ne!(output["likelihood"], "high");
    let lineage = fact(&output, "lineage_interactive_shell");
    assert_eq!(lineage["values"]["alerts"], shells.len() as u64);
    assert_eq!(lineage["values"]["terminal"], true);
    assert_eq!(lineage["values"]["marker"], "runc");
    // The sessions read credentials: the attack stages nearby outrank the shells.
    let nearby = fact(&output, "nearby_attack_alerts");
    assert!(listed_nearby_rules(nearby).iter().any(|entry| entry["category"] == "credential_access"), "{nearby}");
    assert!(has_fact(&output, "nearby_higher_priority"));

    let nmap = alerts.iter().filter(|alert| alert.dimensions.process.name.as_deref() == Some("nmap")).count();
    assert!(nmap > 0);
    let output = assess(&store, json!({"scope": "kubernetes.cluster.name=prod-recon-eks and proc.name=nmap"}));
    assert_ne!(output["likelihood"], "high");
    assert_eq!(output["evidence"]["count"], nmap as u64);
    assert_eq!(fact(&output, "lineage_interactive_shell")["values"]["alerts"], nmap as u64);
}

#[test]
fn the_administrators_exec_shells_are_undecided_on_the_interactive_shell_evidence() {
    let (_directory, store) = scenario_store();
    let alerts = scenario_alerts("background_noise");
    let shells: Vec<&Alert> = alerts.iter().filter(|alert| alert.rule == "Terminal shell in container").collect();
    let namespaces: BTreeSet<&str> = shells.iter().filter_map(|alert| alert.dimensions.namespace.as_deref()).collect();
    let clusters: BTreeSet<&str> = shells.iter().filter_map(|alert| alert.dimensions.cluster.as_deref()).collect();
    let scope = format!(
        "rule=\"Terminal shell in container\" and kubernetes.cluster.name in ({}) and k8s.ns.name in ({})",
        clusters.iter().copied().collect::<Vec<_>>().join(", "),
        namespaces.iter().copied().collect::<Vec<_>>().join(", ")
    );
    let output = assess(&store, json!({"scope": scope}));
    assert_eq!(output["evidence"]["count"], shells.len() as u64);
    // A person at a terminal: neutral, since the alerts cannot say who it is.
    let lineage = fact(&output, "lineage_interactive_shell");
    assert_eq!(lineage["values"]["alerts"], shells.len() as u64);
    assert_eq!(lineage["weight"], 0);
    assert_eq!(lineage["direction"], "neutral");
    // It is the rule's documented benign case (an engineer's kubectl exec) ...
    assert_eq!(fact(&output, "rule_benign_case_fits")["weight"], 10);
    // ... but the sessions span unrelated workloads and come with package installs and network
    // tools, none of them attack stages: undecided, for a human with the audit log.
    let workloads: BTreeSet<(Option<&str>, Option<&str>)> = shells
        .iter()
        .map(|alert| {
            (alert.dimensions.namespace.as_deref(), alert.dimensions.workload.as_ref().map(|w| w.name.as_str()))
        })
        .collect();
    assert_eq!(fact(&output, "spread_unrelated_workloads")["values"]["workloads"], workloads.len() as u64);
    let all = all_scenario_alerts();
    let (expected_rules, expected_count) = nearby_in_files(&shells, &all);
    let nearby = fact(&output, "nearby_other_alerts");
    assert_eq!(nearby["values"]["alerts"], expected_count);
    let listed: BTreeSet<&str> =
        listed_nearby_rules(nearby).iter().filter_map(|entry| entry["rule"].as_str()).collect();
    assert_eq!(listed, expected_rules.iter().map(String::as_str).collect());
    assert_eq!(output["likelihood"], "medium");
    assert!(!output["facts"].as_array().expect("facts").iter().any(|fact| fact["weight"].as_i64().unwrap_or(0) <= -25));
}

#[test]
fn the_operators_api_calls_recur_at_their_interval() {
    let (_directory, store) = scenario_store();
    let alerts = scenario_alerts("background_noise");
    let controller: Vec<&Alert> = alerts
        .iter()
        .filter(|alert| alert.dimensions.workload.as_ref().is_some_and(|w| w.name == "release-controller"))
        .collect();
    let mut times: Vec<chrono::DateTime<chrono::Utc>> = controller.iter().map(|alert| alert.time).collect();
    times.sort();
    let mut gaps: Vec<i64> = times.windows(2).map(|pair| (pair[1] - pair[0]).num_seconds()).collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    let output = assess(&store, json!({"scope": "workload=release-controller"}));
    let recurrence = fact(&output, "recurrence_interval");
    assert_eq!(recurrence["values"]["interval_seconds"], median);
    assert_eq!(fact(&output, "lineage_entrypoint")["values"]["alerts"], controller.len() as u64);
    assert_eq!(output["likelihood"], "high");
}

#[test]
fn without_loaded_rules_the_benign_cases_come_from_sakers_notes() {
    let (_directory, store) = scenario_store();
    let output = assess_with(&store, &RulesCatalog::default(), json!({"scope": HTTPD_SCOPE})).expect("assessment");
    check_consistency(&output);
    let rule = &fact(&output, "rule_benign_case_fits")["values"]["rules"][0];
    assert_eq!(rule["rule_loaded"], false);
    assert_eq!(rule["cases"][0]["source"], "saker notes");
}

#[test]
fn refuses_to_guess_without_alerts() {
    let (_directory, store) = scenario_store();
    let rules = RulesCatalog::default();
    let error = assess_with(&store, &rules, json!({})).expect_err("nothing named");
    assert!(error.contains("alert_id") && error.contains("scope"), "{error}");
    let error = assess_with(&store, &rules, json!({"alert_id": "no-such-alert"})).expect_err("unknown id");
    assert!(error.contains("no-such-alert"), "{error}");
    let error = assess_with(&store, &rules, json!({"scope": "k8s.pod.name=no-such-pod"})).expect_err("empty");
    assert!(error.contains("no alerts match"), "{error}");
    let error = assess_with(&store, &rules, json!({"scope": HTTPD_SCOPE, "bogus": 1})).expect_err("field");
    assert!(error.contains("bogus"), "{error}");
}

#[test]
fn assess_false_positive_snapshot_of_the_httpd_false_positive() {
    let (_directory, store) = scenario_store();
    let output = assess(&store, json!({"scope": HTTPD_SCOPE}));
    insta::assert_json_snapshot!("assess_false_positive_httpd", output);
}

#[test]
fn the_same_question_gets_the_same_answer() {
    let (_directory, store) = scenario_store();
    let scope = json!({"scope": "kubernetes.cluster.name=prod-recon-eks"});
    let first = assess(&store, scope.clone());
    let second = assess(&store, scope);
    assert_eq!(first, second);
}
