//! `explain_event` on the committed scenarios and the upstream rules; expected values come
//! from the scenario files and the rules files themselves.

use saker_tools::alert::Alert;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use serde_json::{Value, json};

use crate::compare_periods::full_catalog;
use crate::support::{all_scenario_alerts, demo_now, scenario_alerts, scenario_store, shared_dir};

fn call_with(rules: &RulesCatalog, arguments: Value) -> Result<Value, String> {
    let (_directory, store) = scenario_store();
    let context = ToolContext::new(&store, rules, demo_now());
    ToolRegistry::standard().invoke("explain_event", arguments, &context).map_err(|error| error.to_string())
}

fn call(arguments: Value) -> Result<Value, String> {
    call_with(&full_catalog(), arguments)
}

fn first_of(scenario: &str, rule: &str) -> Alert {
    scenario_alerts(scenario).into_iter().find(|alert| alert.rule == rule).expect("alert of the rule")
}

fn matched<'a>(output: &'a Value, field: &str) -> &'a Value {
    output["matched_fields"]
        .as_array()
        .expect("matched_fields")
        .iter()
        .find(|entry| entry["field"] == field)
        .unwrap_or_else(|| panic!("{field} not matched: {output}"))
}

fn sources(output: &Value) -> Vec<String> {
    output["benign_cases"]
        .as_array()
        .expect("benign_cases")
        .iter()
        .map(|case| case["source"].as_str().expect("source").to_string())
        .collect()
}

#[test]
fn an_execution_from_dev_shm_is_explained_from_the_rule_and_the_alert() {
    let alert = first_of("malicious_binary", "Execution from /dev/shm");
    let rules = full_catalog();
    let rule = rules.rule(&alert.rule).expect("upstream rule");
    let output = call_with(&rules, json!({"alert_id": alert.id})).expect("ok");
    assert_eq!(output["rule"], alert.rule);
    assert_eq!(output["rule_loaded"], true);
    assert_eq!(output["description"], rule.desc.trim());
    assert_eq!(output["condition"], rule.condition.trim());
    assert_eq!(output["output"], rule.output.trim());
    assert_eq!(output["priority"], alert.priority.as_str());
    assert_eq!(output["tags"], json!(alert.tags));
    assert_eq!(output["evidence"]["count"], 1);
    assert_eq!(output["alert"]["id"], alert.id);
    // The executable under /dev/shm is what the condition's `proc.exe startswith "/dev/shm/"` saw.
    let executable = matched(&output, "proc.exe");
    assert_eq!(executable["value"], alert.field_text("proc.exepath").expect("exepath"));
    assert!(executable["value"].as_str().expect("value").starts_with("/dev/shm/"));
    assert_eq!(executable["matched_by"], "matches /dev/shm/");
    let event_type = matched(&output, "evt.type");
    assert_eq!(event_type["value"], alert.field_text("evt.type").expect("evt.type"));
    assert_eq!(event_type["referenced_in"], json!(["macro spawned_process"]));
    let techniques = output["techniques"].as_array().expect("techniques");
    assert!(
        techniques.iter().any(|t| t["id"] == "T1059.004" && t["name"].as_str().expect("name").contains("Unix Shell"))
    );
    assert_eq!(output["tactics"][0]["name"], "Execution");
}

#[test]
fn a_network_tool_alert_names_the_list_and_the_allow_list_hook() {
    let alert = first_of("reconnaissance", "Launch Suspicious Network Tool in Container");
    let output = call(json!({"alert_id": alert.id})).expect("ok");
    let process = matched(&output, "proc.name");
    assert_eq!(process["value"], alert.field_text("proc.name").expect("proc.name"));
    assert_eq!(process["matched_by"], "in list network_tool_binaries");
    assert_eq!(process["referenced_in"], json!(["macro network_tool_procs"]));
    let cases = sources(&output);
    assert!(cases.contains(&"macro user_known_network_tool_activities".to_string()), "{cases:?}");
    assert!(cases.contains(&"saker notes".to_string()), "{cases:?}");
    let derived = &output["benign_cases"][0]["text"];
    assert!(derived.as_str().expect("text").starts_with("Derived from the rule's macro"), "{derived}");
}

#[test]
fn a_rule_is_explained_with_its_newest_alert_and_its_exceptions() {
    let directory = shared_dir().join("reference/falco/rules");
    let extra = tempfile::tempdir().expect("tempdir");
    let local = extra.path().join("falco_rules.local.yaml");
    std::fs::write(
        &local,
        "- rule: Clear Log Activities\n  exceptions:\n    - name: dpkg_log_rotation\n      fields: [proc.name, fd.name]\n      values: [[rm, /var/log/dpkg.log]]\n  override:\n    exceptions: append\n",
    )
    .expect("write");
    let rules = RulesCatalog::load(&[directory.join("falco_rules.yaml"), local]).expect("rules");
    let output = call_with(&rules, json!({"rule": "Clear Log Activities"})).expect("ok");
    let alerts: Vec<Alert> =
        all_scenario_alerts().into_iter().filter(|alert| alert.rule == "Clear Log Activities").collect();
    let newest = alerts.iter().max_by_key(|alert| alert.time).expect("alerts");
    assert_eq!(output["evidence"]["count"], alerts.len() as u64);
    assert_eq!(output["alert"]["id"], newest.id);
    let case = output["benign_cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|case| case["source"] == "exception dpkg_log_rotation")
        .expect("exception case");
    let text = case["text"].as_str().expect("text");
    assert!(text.contains("proc.name, fd.name") && text.contains("rm, /var/log/dpkg.log"), "{text}");
}

#[test]
fn a_rule_missing_from_the_catalog_is_still_explained_from_its_alerts() {
    let alert = first_of("reconnaissance", "Basic Interactive Reconnaissance");
    let output = call_with(&RulesCatalog::default(), json!({"alert_id": alert.id})).expect("ok");
    assert_eq!(output["rule_loaded"], false);
    assert!(output["description"].is_null() && output["condition"].is_null());
    assert!(output["note"].as_str().expect("note").contains("not in the loaded rules"), "{output}");
    assert_eq!(output["tags"], json!(alert.tags));
    assert!(output["tactics"].as_array().expect("tactics").iter().any(|tactic| tactic["id"] == "TA0043"));
}

#[test]
fn a_pasted_command_line_explains_the_newest_alert_it_finds() {
    let output = call(json!({"query": "\"nc -e /bin/sh\""})).expect("found");
    assert_eq!(output["rule"], "Netcat Remote Code Execution in Container", "{output}");
    assert_eq!(output["evidence"]["count"], 1);
    let cmdline = output["alert"]["cmdline"].as_str().expect("the alert's command line");
    assert!(cmdline.contains("nc -e /bin/sh"), "{cmdline}");
    // With a rule, only that rule's alerts are looked at.
    let error =
        call(json!({"query": "\"nc -e /bin/sh\"", "rule": "Clear Log Activities"})).expect_err("none of that rule");
    assert!(error.contains("nc -e /bin/sh"), "{error}");
}

#[test]
fn unknown_ids_and_rules_and_bad_arguments_are_clear_errors() {
    let error = call(json!({"alert_id": "no-such-alert"})).expect_err("unknown id");
    assert!(error.contains("no-such-alert"), "{error}");
    let error = call(json!({"rule": "No Such Rule"})).expect_err("unknown rule");
    assert!(error.contains("No Such Rule"), "{error}");
    let error = call(json!({})).expect_err("neither");
    assert!(error.contains("alert_id, rule or query"), "{error}");
    let error = call(json!({"query": "\"no such command line anywhere\""})).expect_err("nothing found");
    assert!(error.contains("no such command line anywhere"), "{error}");
    let alert = first_of("false_positive", "Clear Log Activities");
    let error = call(json!({"alert_id": alert.id, "rule": "Clear Log Activities"})).expect_err("both");
    assert!(error.contains("exactly one"), "{error}");
    // A loaded rule with no alert in the window: explained, with a note instead of values.
    let quiet =
        call(json!({"rule": "Clear Log Activities", "since": "2030-01-01", "until": "2030-01-02"})).expect("ok");
    assert_eq!(quiet["evidence"]["count"], 0);
    assert!(quiet["note"].as_str().expect("note").contains("No alert"), "{quiet}");
}

#[test]
fn snapshot_of_an_execution_from_dev_shm() {
    let alert = first_of("malicious_binary", "Execution from /dev/shm");
    let mut output = call(json!({"alert_id": alert.id})).expect("ok");
    // The rules file path depends on the checkout.
    output["defined_at"] = json!(output["defined_at"].as_str().and_then(|path| path.rsplit('/').next()));
    insta::assert_json_snapshot!("explain_event_dev_shm", output);
}

#[test]
fn a_rule_is_explained_with_the_other_command_lines_it_caught() {
    let rule = "Basic Interactive Reconnaissance";
    let output = call(json!({"rule": rule})).expect("explained");
    let explained = output["alert"]["cmdline"].as_str().expect("the newest alert's command line").to_string();
    let others: Vec<String> = output["other_command_lines"]
        .as_array()
        .expect("other command lines")
        .iter()
        .map(|line| line.as_str().expect("text").to_string())
        .collect();
    // Expected from the scenario files: the distinct command lines of the rule's alerts, newest
    // first, after the one explained.
    let mut alerts: Vec<Alert> = all_scenario_alerts().into_iter().filter(|alert| alert.rule == rule).collect();
    alerts.sort_by_key(|alert| std::cmp::Reverse(alert.time));
    let mut expected: Vec<String> = Vec::new();
    for alert in alerts.iter().take(saker_tools::analytics::explain_event::COMMAND_LINES_READ) {
        if let Some(cmdline) = &alert.dimensions.process.cmdline
            && *cmdline != explained
            && !expected.contains(cmdline)
            && expected.len() < saker_tools::analytics::explain_event::COMMAND_LINES_LISTED
        {
            expected.push(cmdline.clone());
        }
    }
    assert!(!expected.is_empty(), "the scenarios have several command lines for {rule}");
    assert_eq!(others, expected);
}
