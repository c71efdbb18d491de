//! `saker demo`, `stats`, `rules` and `tool` as a user runs them, with figures checked against
//! the scenario files parsed here.

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::scope::Dimension;
use serde_json::Value;

use crate::support::{run, saker, shared_dir, stderr, stdout};

const NOW: &str = "2026-11-20T12:00:00Z";

fn demo_alerts() -> Vec<Alert> {
    saker_fixtures::scenario_files()
        .iter()
        .flat_map(|(_, text)| text.lines().filter(|line| !line.trim().is_empty()))
        .map(|line| parse_alert(line, None).expect("scenario alert parses"))
        .collect()
}

fn demo_dir() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("tempdir");
    let output = run(saker(directory.path()).args(["demo", "--reset"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = demo_alerts().len();
    assert!(stdout(&output).contains(&format!("accepted {expected}")), "{}", stdout(&output));
    directory
}

#[test]
fn demo_then_stats_reports_the_week_over_week_figures_of_the_files() {
    let directory = demo_dir();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).expect("now").with_timezone(&chrono::Utc);
    let in_recon = |alert: &&Alert| alert.dimension_values(Dimension::Cluster).contains(&"prod-recon-eks");
    let alerts = demo_alerts();
    let last_week = alerts
        .iter()
        .filter(in_recon)
        .filter(|alert| alert.time > now - chrono::Duration::days(7) && alert.time <= now)
        .count();
    let output = run(saker(directory.path()).args([
        "stats",
        "--now",
        NOW,
        "--last",
        "7d",
        "--scope",
        "kubernetes.cluster.name=prod-recon-eks",
        "--by",
        "day",
        "--json",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(json["total"], last_week as u64);
    let days: u64 =
        json["groups"][0]["groups"].as_array().expect("days").iter().map(|day| day[1].as_u64().expect("n")).sum();
    assert_eq!(days, last_week as u64, "the daily series adds up to the total");

    let table =
        run(saker(directory.path()).args(["stats", "--scope", "k8s.ns.name startswith risk", "--by", "workload"]));
    let text = stdout(&table);
    let bedrock = alerts
        .iter()
        .filter(|alert| alert.dimension_values(Dimension::Workload).contains(&"risk-10-aws-bedrock-java"))
        .count();
    let row = text.lines().find(|line| line.starts_with("risk-10-aws-bedrock-java")).expect("row");
    assert!(row.trim_end().ends_with(&bedrock.to_string()), "{text}");
}

#[test]
fn demo_twice_is_a_no_op_and_bad_scopes_name_the_column() {
    let directory = demo_dir();
    let again = run(saker(directory.path()).args(["demo"]));
    assert!(stdout(&again).contains("accepted 0"), "{}", stdout(&again));
    let bad = run(saker(directory.path()).args(["stats", "--scope", "k8s.ns.name = "]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("column 15"), "{}", stderr(&bad));
    let bad_time = run(saker(directory.path()).args(["stats", "--last", "7 weeks"]));
    assert_eq!(bad_time.status.code(), Some(1));
    assert!(stderr(&bad_time).contains("last"), "{}", stderr(&bad_time));
}

#[test]
fn rules_list_and_show_read_the_given_files() {
    let rules = shared_dir().join("reference/falco/rules/falco_rules.yaml");
    let text = std::fs::read_to_string(&rules).expect("rules");
    let expected = text.lines().filter(|line| line.starts_with("- rule:")).count();
    let directory = tempfile::tempdir().expect("tempdir");
    let list = run(saker(directory.path()).args(["rules", "--rules"]).arg(&rules).args(["list", "--json"]));
    assert!(list.status.success(), "{}", stderr(&list));
    let json: Value = serde_json::from_str(&stdout(&list)).expect("json");
    assert_eq!(json.as_array().expect("rules").len(), expected);
    let show =
        run(saker(directory.path()).args(["rules", "--rules"]).arg(&rules).args(["show", "Clear Log Activities"]));
    assert!(show.status.success(), "{}", stderr(&show));
    assert!(
        stdout(&show).contains("priority:  WARNING") || stdout(&show).to_lowercase().contains("priority:  warning")
    );
    let missing = run(saker(directory.path()).args(["rules", "--rules"]).arg(&rules).args(["show", "No Such Rule"]));
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("No Such Rule"), "{}", stderr(&missing));
    let broken = directory.path().join("broken.yaml");
    std::fs::write(&broken, "- rule: Broken\n  desc: d\n  condition: c\n  output: o\n  priority: loud\n")
        .expect("write");
    let failed = run(saker(directory.path()).args(["rules", "--rules"]).arg(&broken).arg("list"));
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).contains("broken.yaml:1"), "{}", stderr(&failed));
}

#[test]
fn tool_lists_schemas_and_runs_a_tool_with_json_arguments() {
    let directory = demo_dir();
    let list = run(saker(directory.path()).args(["tool", "--list"]));
    assert!(list.status.success(), "{}", stderr(&list));
    let specs: Value = serde_json::from_str(&stdout(&list)).expect("json");
    let names: Vec<&str> = specs.as_array().expect("specs").iter().filter_map(|spec| spec["name"].as_str()).collect();
    assert!(names.contains(&"event_stats") && names.contains(&"impacted_workloads"), "{names:?}");
    let rules = shared_dir().join("reference/falco/rules/falco_rules.yaml");
    let output = run(saker(directory.path())
        .args(["tool", "event_stats", r#"{"scope":"kubernetes.cluster.name=staging-ocp"}"#, "--now", NOW, "--rules"])
        .arg(&rules));
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).expect("json");
    let expected = demo_alerts()
        .iter()
        .filter(|alert| alert.dimension_values(Dimension::Cluster).contains(&"staging-ocp"))
        .count();
    assert_eq!(json["total"], expected as u64);
    let bad = run(saker(directory.path()).args(["tool", "event_stats", r#"{"group_by":["colour"]}"#]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("group_by"), "{}", stderr(&bad));
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let directory = demo_dir();
    let mut child = saker(directory.path())
        .args(["stats", "--by", "rule", "--by", "pod"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(!errors.contains("panicked"), "{errors}");
    assert!(output.status.success(), "{errors}");
}
