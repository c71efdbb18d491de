//! Whole snippets against whole alerts: both forms, defaults, appends to an existing
//! exception, list names, three-valued results and the problems Falco would refuse.

use std::path::Path;

use super::*;
use crate::alert::parse_alert;

const RULES: &str = r#"
- list: log_cleaners
  items: [logrotate, "truncate"]
- list: all_cleaners
  items: [log_cleaners, rm]
- rule: Clear Log Activities
  desc: test
  condition: evt.type=open
  output: x
  priority: WARNING
  exceptions:
    - name: known_rotation
      fields: [container.image.repository, proc.name, fd.name]
      comps: [=, in, pmatch]
      values:
        - [nginx, [logrotate], [/var/log/nginx]]
    - name: cleaners
      fields: proc.name
      comps: in
      values: [log_cleaners]
"#;

fn catalog() -> RulesCatalog {
    RulesCatalog::from_yaml(Path::new("test_rules.yaml"), RULES).expect("rules")
}

fn alert(fields: serde_json::Value) -> Alert {
    let text = serde_json::json!({
        "time": "2026-11-20T03:15:00Z", "rule": "Clear Log Activities", "priority": "Warning",
        "output": "x", "output_fields": fields,
    });
    parse_alert(&text.to_string(), None).expect("valid alert")
}

fn httpd_rm() -> Alert {
    alert(serde_json::json!({
        "container.image.repository": "httpd", "proc.name": "rm", "proc.pname": "sh",
        "fd.name": "/var/log/dpkg.log", "user.name": "root", "user.uid": 0, "k8s.ns.name": null,
    }))
}

fn snippet(json: serde_json::Value) -> RuleExceptions {
    serde_json::from_value(json).expect("snippet")
}

fn compile(json: serde_json::Value) -> CompiledExceptions {
    CompiledExceptions::compile(&snippet(json), &catalog())
}

fn truth(json: serde_json::Value, alert: &Alert) -> Truth {
    let compiled = compile(json);
    assert!(compiled.problems.is_empty(), "{:?}", compiled.problems);
    compiled.evaluate(alert).truth
}

fn list_form(fields: &[&str], comps: Option<&[&str]>, values: serde_json::Value) -> serde_json::Value {
    let mut exception = serde_json::json!({"name": "x", "fields": fields, "values": values});
    if let Some(comps) = comps {
        exception["comps"] = serde_json::json!(comps);
    }
    serde_json::json!({"rule": "Clear Log Activities", "exceptions": [exception], "override": {"exceptions": "append"}})
}

#[test]
fn a_tuple_matches_when_every_comparison_holds() {
    let alert = httpd_rm();
    let fields = ["container.image.repository", "proc.name", "fd.name"];
    assert_eq!(
        truth(list_form(&fields, None, serde_json::json!([["httpd", "rm", "/var/log/dpkg.log"]])), &alert),
        Truth::True
    );
    assert_eq!(
        truth(list_form(&fields, None, serde_json::json!([["httpd", "rm", "/var/log/apt.log"]])), &alert),
        Truth::False
    );
    // Any tuple is enough.
    let two = serde_json::json!([["nginx", "rm", "/var/log/dpkg.log"], ["httpd", "rm", "/var/log/dpkg.log"]]);
    assert_eq!(truth(list_form(&fields, None, two), &alert), Truth::True);
    // No values: adds nothing to the condition.
    assert_eq!(truth(list_form(&fields, None, serde_json::json!([])), &alert), Truth::False);
}

#[test]
fn missing_fields_are_unknown_and_reported() {
    let alert = httpd_rm();
    let compiled =
        compile(list_form(&["proc.name", "proc.cmdline"], None, serde_json::json!([["rm", "rm /var/log/dpkg.log"]])));
    let evaluation = compiled.evaluate(&alert);
    assert_eq!(evaluation.truth, Truth::Unknown);
    assert_eq!(evaluation.missing_fields, vec!["proc.cmdline"]);
    // A failing comparison decides, whatever else is missing.
    let compiled = compile(list_form(&["proc.name", "proc.cmdline"], None, serde_json::json!([["sh", "x"]])));
    assert_eq!(compiled.evaluate(&alert).truth, Truth::False);
    // One tuple unknown, another true: suppressed.
    let compiled =
        compile(list_form(&["proc.name", "proc.cmdline"], Some(&["=", "exists"]), serde_json::json!([["rm", ""]])));
    assert_eq!(compiled.evaluate(&alert).truth, Truth::Unknown);
    let mixed = serde_json::json!({"rule": "Clear Log Activities", "override": {"exceptions": "append"}, "exceptions": [
        {"name": "a", "fields": ["proc.cmdline"], "values": [["rm"]]},
        {"name": "b", "fields": ["proc.name"], "values": [["rm"]]},
    ]});
    let evaluation = compile(mixed).evaluate(&alert);
    assert_eq!(evaluation.truth, Truth::True);
    assert_eq!(evaluation.matched_exception.as_deref(), Some("b"));
}

#[test]
fn fields_falco_could_not_extract_never_match() {
    let alert = httpd_rm();
    for comp in ["=", "!=", "exists", "startswith"] {
        let json = list_form(&["k8s.ns.name"], Some(&[comp]), serde_json::json!([["web"]]));
        assert_eq!(truth(json, &alert), Truth::False, "{comp}");
    }
}

#[test]
fn comps_default_to_equals_in_the_list_form() {
    let alert = httpd_rm();
    assert_eq!(
        truth(list_form(&["user.name", "user.uid"], None, serde_json::json!([["root", 0]])), &alert),
        Truth::True
    );
    assert_eq!(truth(list_form(&["user.uid"], Some(&["<"]), serde_json::json!([[1000]])), &alert), Truth::True);
    assert_eq!(truth(list_form(&["user.uid"], Some(&[">="]), serde_json::json!([[1000]])), &alert), Truth::False);
}

#[test]
fn nested_lists_and_list_names_feed_the_list_operators() {
    let alert = httpd_rm();
    let nested = list_form(
        &["proc.name", "fd.name"],
        Some(&["in", "pmatch"]),
        serde_json::json!([[["rm", "shred"], ["/var/log"]]]),
    );
    assert_eq!(truth(nested, &alert), Truth::True);
    let logs = list_form(&["fd.name"], Some(&["pmatch"]), serde_json::json!([[["/var/logs"]]]));
    assert_eq!(truth(logs, &alert), Truth::False);
    // A scalar value naming a list expands (nested lists too); one that does not is a set of one.
    let named = list_form(&["proc.name"], Some(&["in"]), serde_json::json!([["all_cleaners"]]));
    assert_eq!(truth(named, &alert), Truth::True);
    let scalar = list_form(&["proc.name"], Some(&["in"]), serde_json::json!([["rm"]]));
    assert_eq!(truth(scalar, &alert), Truth::True);
    // With `=`, a list name is just text.
    let literal = list_form(&["proc.name"], Some(&["="]), serde_json::json!([["all_cleaners"]]));
    assert_eq!(truth(literal, &alert), Truth::False);
}

#[test]
fn single_field_form_compares_against_all_values() {
    let alert = httpd_rm();
    let json = |comps: Option<&str>, values: serde_json::Value| {
        let mut exception = serde_json::json!({"name": "names", "fields": "proc.name", "values": values});
        if let Some(comps) = comps {
            exception["comps"] = serde_json::json!(comps);
        }
        serde_json::json!({"rule": "Clear Log Activities", "exceptions": [exception], "override": {"exceptions": "append"}})
    };
    assert_eq!(truth(json(None, serde_json::json!(["shred", "rm"])), &alert), Truth::True);
    assert_eq!(truth(json(Some("in"), serde_json::json!(["all_cleaners"])), &alert), Truth::True);
    assert_eq!(truth(json(Some("in"), serde_json::json!(["shred"])), &alert), Truth::False);
    assert_eq!(truth(json(Some("startswith oneof"), serde_json::json!(["sh", "r"])), &alert), Truth::True);
    let problems = compile(json(Some("="), serde_json::json!(["rm"]))).problems;
    assert!(problems[0].problem.contains("comps must be in, pmatch, intersects or a modifier"), "{problems:?}");
}

#[test]
fn appended_values_take_fields_and_comps_from_the_loaded_rule() {
    let alert = httpd_rm();
    let append = serde_json::json!({"rule": "Clear Log Activities", "override": {"exceptions": "append"},
        "exceptions": [{"name": "known_rotation", "values": [["httpd", ["rm"], ["/var/log"]]]}]});
    let compiled = compile(append);
    assert!(compiled.problems.is_empty(), "{:?}", compiled.problems);
    assert!(compiled.exceptions[0].appends_to_existing);
    assert_eq!(compiled.exceptions[0].comparators, vec![Comparator::Equal, Comparator::In, Comparator::PathMatch]);
    assert_eq!(compiled.evaluate(&alert).truth, Truth::True);
    // Only the appended values count: the stored alerts already passed the rule's own ones.
    let other = serde_json::json!({"rule": "Clear Log Activities", "append": true,
        "exceptions": [{"name": "cleaners", "values": ["rm"]}]});
    assert_eq!(truth(other, &alert), Truth::True);
    let refused = serde_json::json!({"rule": "Clear Log Activities", "override": {"exceptions": "append"},
        "exceptions": [{"name": "known_rotation", "fields": ["proc.name"], "values": [["rm"]]}]});
    let problems = compile(refused).problems;
    assert!(problems[0].problem.contains("appending may give values only, not fields"), "{problems:?}");
}

#[test]
fn what_falco_refuses_is_reported_not_evaluated() {
    let cases = [
        (
            list_form(&["proc.name"], Some(&["equals"]), serde_json::json!([["rm"]])),
            "is not a Falco comparison operator",
        ),
        (list_form(&["proc.name", "fd.name"], Some(&["="]), serde_json::json!([["rm", "x"]])), "2 fields but 1 comps"),
        (list_form(&["proc.name", "fd.name"], None, serde_json::json!([["rm"]])), "has 1 items for 2 fields"),
        (list_form(&["proc.name"], None, serde_json::json!(["rm"])), "is a scalar"),
        (list_form(&["proc.name"], None, serde_json::json!([[["rm", "sh"]]])), "compares with one value, not a list"),
        (
            list_form(&["proc.name"], Some(&["regex"]), serde_json::json!([["r.*"]])),
            "regex comparisons are not evaluated",
        ),
        (list_form(&["proc.name"], Some(&["bcontains"]), serde_json::json!([["xyz"]])), "takes bytes written in hex"),
        (list_form(&[], None, serde_json::json!([])), "fields is an empty list"),
    ];
    for (json, expected) in cases {
        let compiled = compile(json);
        assert!(compiled.exceptions.is_empty());
        assert!(compiled.problems[0].problem.contains(expected), "{:?} lacks {expected}", compiled.problems);
    }
    let no_fields = serde_json::json!({"rule": "Clear Log Activities", "override": {"exceptions": "append"},
        "exceptions": [{"name": "new_one", "values": [["rm"]]}]});
    assert!(compile(no_fields).problems[0].problem.contains("has no fields"));
}

#[test]
fn quoted_values_compare_without_their_quotes() {
    let alert = alert(serde_json::json!({"proc.cmdline": "perl /usr/bin/updmap"}));
    let json = list_form(&["proc.cmdline"], Some(&["startswith"]), serde_json::json!([["\"perl /usr/bin/updmap\""]]));
    assert_eq!(truth(json, &alert), Truth::True);
}

#[test]
fn ancestors_without_an_index_match_any_known_one() {
    let alert = alert(serde_json::json!({"proc.pname": "sh", "proc.aname[2]": "cron"}));
    assert_eq!(truth(list_form(&["proc.aname"], None, serde_json::json!([["cron"]])), &alert), Truth::True);
    // The alert names only some ancestors: another one may still be `conmon`.
    assert_eq!(truth(list_form(&["proc.aname"], None, serde_json::json!([["conmon"]])), &alert), Truth::Unknown);
    assert_eq!(truth(list_form(&["proc.aname[2]"], None, serde_json::json!([["conmon"]])), &alert), Truth::False);
}

#[test]
fn every_operator_is_unknown_on_a_missing_field_and_false_on_one_not_extracted() {
    let alert = httpd_rm();
    for comp in [
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "glob",
        "iglob",
        "in",
        "intersects",
        "pmatch",
        "exists",
        "startswith oneof",
        "contains allof",
    ] {
        let missing = list_form(&["proc.cmdline"], Some(&[comp]), serde_json::json!([["72"]]));
        assert_eq!(truth(missing, &alert), Truth::Unknown, "{comp} on a missing field");
        let not_extracted = list_form(&["k8s.ns.name"], Some(&[comp]), serde_json::json!([["72"]]));
        assert_eq!(truth(not_extracted, &alert), Truth::False, "{comp} on a field Falco could not extract");
    }
}
