//! `compare_periods` on the committed scenarios: the weekly reconnaissance report, with every
//! expected figure recomputed here from the scenario files.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use saker_tools::alert::Alert;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Dimension;
use serde_json::{Value, json};

use crate::support::{all_scenario_alerts, demo_now, scenario_store, shared_dir};

const RECON: &str = "prod-recon-eks";

/// The upstream stable, incubating and sandbox rules.
pub fn full_catalog() -> RulesCatalog {
    let directory = shared_dir().join("reference/falco/rules");
    RulesCatalog::load(&[
        directory.join("falco_rules.yaml"),
        directory.join("falco-incubating_rules.yaml"),
        directory.join("falco-sandbox_rules.yaml"),
    ])
    .expect("rules")
}

fn call(arguments: Value) -> Result<Value, String> {
    let (_directory, store) = scenario_store();
    let rules = full_catalog();
    let context = ToolContext::new(&store, &rules, demo_now());
    ToolRegistry::standard().invoke("compare_periods", arguments, &context).map_err(|error| error.to_string())
}

fn recon_alerts() -> Vec<Alert> {
    all_scenario_alerts()
        .into_iter()
        .filter(|alert| alert.dimension_values(Dimension::Cluster).contains(&RECON))
        .collect()
}

/// `[since, until)` of the last week and the week before it.
fn weeks() -> [(DateTime<Utc>, DateTime<Utc>); 2] {
    let now = demo_now();
    let week = Duration::days(7);
    [(now - week, now), (now - week - week, now - week)]
}

fn within(alerts: &[Alert], (since, until): (DateTime<Utc>, DateTime<Utc>)) -> Vec<&Alert> {
    alerts.iter().filter(|alert| alert.time >= since && alert.time < until).collect()
}

fn rows(output: &Value, table: &str) -> BTreeMap<String, (u64, u64)> {
    output[table]
        .as_array()
        .expect("table")
        .iter()
        .map(|row| {
            let name = row["id"].as_str().or_else(|| row["name"].as_str()).expect("name").to_string();
            (name, (row["current"].as_u64().expect("current"), row["previous"].as_u64().expect("previous")))
        })
        .collect()
}

#[test]
fn the_weekly_report_of_the_recon_cluster_matches_the_file() {
    let alerts = recon_alerts();
    let [last, before] = weeks();
    let (current, previous) = (within(&alerts, last), within(&alerts, before));
    let output =
        call(json!({"scope": format!("kubernetes.cluster.name={RECON}"), "period": "week", "limit": 50})).expect("ok");
    assert_eq!(output["current"]["total"], current.len() as u64);
    assert_eq!(output["previous"]["total"], previous.len() as u64);
    assert_eq!(output["change"], current.len() as i64 - previous.len() as i64);
    assert_eq!(output["trend"], if current.len() > previous.len() { "up" } else { "down" });
    let percent = ((current.len() as f64 - previous.len() as f64) / previous.len() as f64 * 1000.0).round() / 10.0;
    assert_eq!(output["change_percent"].as_f64(), Some(percent));

    // Daily series: one bucket per UTC day touched, summing to the totals, each day exact.
    for (period, name) in [(last, "current"), (before, "previous")] {
        let series = output[name]["series"].as_array().expect("series");
        let sum: u64 = series.iter().map(|bucket| bucket["count"].as_u64().expect("count")).sum();
        assert_eq!(sum, within(&alerts, period).len() as u64, "{name}");
        assert_eq!(series.len(), 8, "a 7-day period ending at noon touches 8 UTC days");
        for bucket in series {
            let start: DateTime<Utc> = bucket["start"].as_str().expect("start").parse().expect("time");
            let day = (start.max(period.0), (start + Duration::days(1)).min(period.1));
            assert_eq!(bucket["count"], within(&alerts, day).len() as u64, "{name} {start}");
        }
    }

    // Rules, processes and techniques with both periods' counts.
    let count_by = |set: &[&Alert], dimension: Dimension| {
        let mut map: BTreeMap<String, u64> = BTreeMap::new();
        for alert in set {
            for value in alert.dimension_values(dimension) {
                *map.entry(value.to_string()).or_default() += 1;
            }
        }
        map
    };
    for (table, dimension) in
        [("rules", Dimension::Rule), ("processes", Dimension::Process), ("techniques", Dimension::MitreTechnique)]
    {
        let (now, then) = (count_by(&current, dimension), count_by(&previous, dimension));
        let reported = rows(&output, table);
        let names: std::collections::BTreeSet<&String> = now.keys().chain(then.keys()).collect();
        assert_eq!(reported.len(), names.len(), "{table}");
        for name in names {
            let expected = (now.get(name).copied().unwrap_or(0), then.get(name).copied().unwrap_or(0));
            assert_eq!(reported.get(name), Some(&expected), "{table} {name}");
        }
    }
    let techniques = output["techniques"].as_array().expect("techniques");
    let metadata = techniques.iter().find(|row| row["id"] == "T1552.005").expect("T1552.005");
    assert!(metadata["name"].as_str().expect("name").contains("Cloud Instance Metadata API"), "{metadata}");

    // Tools: each recognised from the alerts' process names, command lines and files.
    let tools = rows(&output, "tools");
    let by_process = |set: &[&Alert], name: &str| {
        set.iter().filter(|alert| alert.dimensions.process.name.as_deref() == Some(name)).count() as u64
    };
    for tool in ["nmap", "nc", "whoami", "id", "uname", "curl"] {
        let expected = (by_process(&current, tool), by_process(&previous, tool));
        assert!(expected.0 > 0, "{tool} occurs in the scenario");
        assert_eq!(tools.get(tool), Some(&expected), "{tool}");
    }
    let metadata = |set: &[&Alert]| {
        set.iter()
            .filter(|alert| {
                alert.dimensions.file.as_deref().unwrap_or_default().contains("169.254.169.254")
                    || alert.dimensions.process.cmdline.as_deref().unwrap_or_default().contains("169.254.169.254")
            })
            .count() as u64
    };
    assert_eq!(tools.get("cloud metadata service (169.254.169.254)"), Some(&(metadata(&current), metadata(&previous))));
    let environ = |set: &[&Alert]| {
        set.iter()
            .filter(|alert| alert.dimensions.process.cmdline.as_deref().is_some_and(|c| c.contains("/environ")))
            .count() as u64
    };
    assert_eq!(tools.get("cat /proc/*/environ"), Some(&(environ(&current), environ(&previous))));

    // Workloads as namespace/workload.
    let workloads = rows(&output, "workloads");
    let key = |alert: &&Alert| {
        format!(
            "{}/{}",
            alert.dimensions.namespace.as_deref().unwrap_or("-"),
            alert.dimensions.workload.as_ref().map(|workload| workload.name.as_str()).unwrap_or_default()
        )
    };
    for (name, (now, then)) in &workloads {
        assert_eq!(*now, current.iter().filter(|alert| key(alert) == *name).count() as u64, "{name}");
        assert_eq!(*then, previous.iter().filter(|alert| key(alert) == *name).count() as u64, "{name}");
    }
    assert_eq!(workloads.values().map(|(now, _)| now).sum::<u64>(), current.len() as u64);
}

#[test]
fn the_reconnaissance_category_counts_only_its_rules() {
    let alerts = recon_alerts();
    let [last, before] = weeks();
    let output =
        call(json!({"scope": format!("kubernetes.cluster.name={RECON}"), "category": "reconnaissance"})).expect("ok");
    let category_rules: Vec<String> = output["category_rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|rule| rule.as_str().expect("rule").to_string())
        .collect();
    // The recon rules of the scenario, by their MITRE reconnaissance/discovery tags or names.
    for rule in ["Basic Interactive Reconnaissance", "Launch Suspicious Network Tool in Container"] {
        assert!(category_rules.contains(&rule.to_string()), "{category_rules:?}");
    }
    assert!(!category_rules.contains(&"Terminal shell in container".to_string()));
    let in_category = |period| {
        within(&alerts, period).into_iter().filter(|alert| category_rules.contains(&alert.rule)).count() as u64
    };
    assert_eq!(output["current"]["total"], in_category(last));
    assert_eq!(output["previous"]["total"], in_category(before));
    assert_eq!(output["selection"], "reconnaissance");
    let scope = output["current"]["evidence"]["scope"].as_str().expect("scope");
    assert!(scope.contains("Basic Interactive Reconnaissance") && scope.contains(RECON), "{scope}");
}

#[test]
fn explicit_tactics_and_a_day_period_work() {
    let alerts = recon_alerts();
    let output = call(json!({
        "scope": format!("kubernetes.cluster.name={RECON}"), "tactics": ["reconnaissance"],
        "until": "2026-11-20T00:00:00Z", "last": "2d",
    }))
    .expect("ok");
    let until: DateTime<Utc> = "2026-11-20T00:00:00Z".parse().expect("time");
    let tagged = |since: DateTime<Utc>, until: DateTime<Utc>| {
        within(&alerts, (since, until))
            .into_iter()
            .filter(|alert| alert.dimensions.mitre_tactics.contains(&"TA0043".to_string()))
            .count() as u64
    };
    assert_eq!(output["current"]["total"], tagged(until - Duration::days(2), until));
    assert_eq!(output["previous"]["total"], tagged(until - Duration::days(4), until - Duration::days(2)));
    assert_eq!(output["bucket"], "day");
    let day = call(json!({"scope": format!("kubernetes.cluster.name={RECON}"), "period": "day"})).expect("ok");
    assert_eq!(day["bucket"], "hour");
    assert_eq!(day["current"]["series"].as_array().expect("series").len(), 24);
}

#[test]
fn bad_arguments_and_empty_results_are_explained() {
    let error = call(json!({"category": "recon-ish"})).expect_err("bad category");
    assert!(error.contains("category"), "{error}");
    let error = call(json!({"tactics": ["sneaking"]})).expect_err("bad tactic");
    assert!(error.contains("sneaking"), "{error}");
    let error = call(json!({"period": "week", "last": "3d"})).expect_err("both");
    assert!(error.contains("period"), "{error}");
    let error = call(json!({"since": "2026-11-01"})).expect_err("unbounded");
    assert!(error.contains("bounded"), "{error}");
    let empty =
        call(json!({"scope": "kubernetes.cluster.name=staging-ocp", "category": "reconnaissance"})).expect("ok");
    assert_eq!(empty["current"]["total"], 0);
    assert_eq!(empty["previous"]["total"], 0);
    assert!(empty["note"].as_str().expect("note").contains("No reconnaissance alerts"), "{empty}");
}

#[test]
fn snapshot_of_the_weekly_recon_report() {
    let output =
        call(json!({"scope": format!("kubernetes.cluster.name={RECON}"), "category": "reconnaissance"})).expect("ok");
    insta::assert_json_snapshot!("compare_periods_recon_week", output);
}
