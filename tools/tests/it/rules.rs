//! The rules catalog on the real upstream Falco rules files and Falco's own exception test cases.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use saker_tools::alert::Priority;
use saker_tools::rules::RulesCatalog;

use crate::support::shared_dir;

fn rules_dir() -> PathBuf {
    shared_dir().join("reference/falco/rules")
}

/// What a plain text scan of a rules file says about its rule definitions: name → (priority,
/// tags), independent of the YAML parser and of the catalog's semantics.
/// A rule block being scanned: name, priority text, tags.
type ScannedRule = (String, Option<String>, Option<Vec<String>>);

fn scan_rule_definitions(path: &Path) -> BTreeMap<String, (Option<String>, Option<Vec<String>>)> {
    let text = std::fs::read_to_string(path).expect("rules file");
    let mut rules = BTreeMap::new();
    let mut current: Option<ScannedRule> = None;
    let mut flush = |current: &mut Option<ScannedRule>| {
        if let Some((name, priority @ Some(_), tags)) = current.take() {
            rules.insert(name, (priority, tags));
        }
    };
    for line in text.lines() {
        if line.starts_with("- ") || line.starts_with('-') && line.trim() == "-" {
            flush(&mut current);
            if let Some(name) = line.strip_prefix("- rule:") {
                current = Some((name.trim().trim_matches('"').to_string(), None, None));
            }
        } else if let Some((_, priority, tags)) = current.as_mut() {
            if let Some(value) = line.strip_prefix("  priority:") {
                *priority = Some(value.trim().to_string());
            } else if priority.as_deref() == Some("") && !line.trim().is_empty() {
                *priority = Some(line.trim().to_string());
            } else if let Some(value) = line.strip_prefix("  tags:") {
                let inner = value.trim().trim_start_matches('[').trim_end_matches(']');
                *tags =
                    Some(inner.split(',').map(|tag| tag.trim().to_string()).filter(|tag| !tag.is_empty()).collect());
            }
        }
    }
    flush(&mut current);
    rules
}

#[test]
fn every_upstream_rules_file_loads_with_the_counts_priorities_and_tags_of_its_text() {
    let files = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
        "falco-deprecated_rules.yaml",
        "application_rules.yaml",
        "plugins/k8s_audit_rules.yaml",
        "historical/falco_rules.2021-03-24.f7f2b64.with_exceptions.yaml",
        "historical/k8s_audit_rules.61a17a6.with_exceptions.yaml",
    ];
    for file in files {
        let path = rules_dir().join(file);
        let catalog = RulesCatalog::load(std::slice::from_ref(&path)).unwrap_or_else(|error| panic!("{file}: {error}"));
        let scanned = scan_rule_definitions(&path);
        let loaded: BTreeSet<&str> = catalog.rules().map(|rule| rule.name.as_str()).collect();
        let expected: BTreeSet<&str> = scanned.keys().map(String::as_str).collect();
        assert_eq!(loaded, expected, "{file}: rule names");
        for (name, (priority, tags)) in &scanned {
            let rule = catalog.rule(name).expect("scanned rule is loaded");
            let priority: Priority = priority.as_deref().expect("priority").parse().expect("known priority");
            assert_eq!(rule.priority, priority, "{file}: {name}: priority");
            if let Some(tags) = tags {
                assert_eq!(&rule.tags, tags, "{file}: {name}: tags");
            }
            assert!(!rule.condition.trim().is_empty() && !rule.output.trim().is_empty(), "{file}: {name}");
            let text = std::fs::read_to_string(&path).expect("text");
            let definition_line = text.lines().nth(rule.line - 1).expect("line exists");
            assert!(
                definition_line.starts_with("- rule:") && definition_line.contains(name.as_str()),
                "{file}: {name}: line {}",
                rule.line
            );
        }
        let macros_in_text =
            std::fs::read_to_string(&path).expect("text").lines().filter(|line| line.contains("macro:")).count();
        assert!(
            catalog.macros().count() <= macros_in_text && (macros_in_text == 0 || catalog.macros().count() > 0),
            "{file}"
        );
    }
}

#[test]
fn known_rules_carry_their_upstream_facts() {
    let catalog = RulesCatalog::load(&[rules_dir().join("falco_rules.yaml")]).expect("stable rules");
    let rule = catalog.rule("Terminal shell in container").expect("rule");
    assert_eq!(rule.priority, Priority::Notice);
    assert!(rule.tags.iter().any(|tag| tag == "T1059"), "{:?}", rule.tags);
    assert!(rule.tags.iter().any(|tag| tag == "mitre_execution"), "{:?}", rule.tags);
    let clear_log = catalog.rule("Clear Log Activities").expect("rule");
    assert_eq!(clear_log.priority, Priority::Warning);
    assert!(catalog.list("shell_binaries").is_some_and(|list| list.items.iter().any(|item| item == "bash")));
}

#[test]
fn historical_exceptions_with_unquoted_comps_load_in_both_forms() {
    let catalog =
        RulesCatalog::load(&[rules_dir().join("historical/falco_rules.2021-03-24.f7f2b64.with_exceptions.yaml")])
            .expect("historical rules");
    let rules_with_exceptions = catalog.rules().filter(|rule| !rule.exceptions.is_empty()).count();
    assert!(rules_with_exceptions >= 40, "{rules_with_exceptions}");
    let rule = catalog.rule("Change thread namespace").expect("rule");
    let by_name: BTreeMap<&str, _> =
        rule.exceptions.iter().map(|exception| (exception.name.as_str(), exception)).collect();
    let single = by_name["proc_names"];
    assert!(single.single_field);
    assert_eq!(single.fields, ["proc.name"]);
    assert_eq!(single.comps, ["in"]);
    let pair = by_name["container_proc_name"];
    assert_eq!(pair.fields, ["container.id", "proc.name"]);
    assert_eq!(pair.comps, ["=", "in"]);
    let all_comps: BTreeSet<&str> = catalog
        .rules()
        .flat_map(|rule| &rule.exceptions)
        .flat_map(|exception| &exception.comps)
        .map(String::as_str)
        .collect();
    assert!(all_comps.contains("="), "{all_comps:?}");
    let k8s = RulesCatalog::load(&[rules_dir().join("historical/k8s_audit_rules.61a17a6.with_exceptions.yaml")])
        .expect("historical k8s rules");
    let rule = k8s.rule("Create Privileged Pod").expect("rule");
    assert_eq!(rule.source, "k8s_audit");
    assert_eq!(rule.exceptions[0].fields, ["ka.req.pod.containers.image.repository"]);
}

#[test]
fn stable_incubating_and_sandbox_load_together_in_falco_order() {
    let paths: Vec<PathBuf> = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]
        .iter()
        .map(|file| rules_dir().join(file))
        .collect();
    let catalog = RulesCatalog::load(&paths).expect("load");
    let separately: usize = paths.iter().map(|path| scan_rule_definitions(path).len()).sum();
    assert_eq!(catalog.rules().count(), separately);
    assert_eq!(catalog.files().len(), 3);
}

#[test]
fn falcos_own_exception_cases_load_or_fail_as_falco_does() {
    let cases_dir = shared_dir().join("reference/falco/exception_cases");
    let table = std::fs::read_to_string(cases_dir.join("cases.tsv")).expect("cases.tsv");
    let mut checked = 0;
    for row in table.lines().skip(1) {
        let columns: Vec<&str> = row.split('\t').collect();
        let (test, file, exit_code, message) = (columns[0], columns[1], columns[4], columns[8]);
        if message.contains("is not a supported filter field") {
            // Field names are checked against the field catalog by the exception validator, not
            // by the loader (Falco's loader needs its plugins for the same check).
            continue;
        }
        let result = RulesCatalog::load(&[cases_dir.join(file)]);
        if exit_code == "0" {
            result.unwrap_or_else(|error| panic!("{test}: {file} should load: {error}"));
        } else {
            let error = result.err().unwrap_or_else(|| panic!("{test}: {file} should fail")).to_string().to_lowercase();
            let wanted = message
                .to_lowercase()
                .replace("rule exception ", "")
                .replace("item has no mapping for key 'name'", "must be a non-empty name")
                .replace("item has no mapping for key 'fields'", "fields");
            assert!(error.contains(&wanted), "{test}: {error} should say {wanted:?}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
}

#[test]
fn a_missing_explicit_path_is_an_error_but_missing_defaults_are_not() {
    let error = RulesCatalog::load(&[PathBuf::from("/nonexistent/rules.yaml")]).expect_err("missing");
    assert!(error.to_string().contains("/nonexistent/rules.yaml"), "{error}");
    RulesCatalog::load_default().expect("defaults load even when absent");
}
