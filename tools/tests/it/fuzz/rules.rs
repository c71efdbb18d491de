//! Fuzz target: the Falco rules loader, seeded with runs of items from the reference rules
//! files (current, historical, plugins). A file loads the same way twice, its rules have lines
//! inside the file, and a refused file names its line or the YAML parser's place; the same
//! text as a second file over the stable rules (appends, overrides) is held to the same.

use std::path::Path;
use std::sync::OnceLock;

use saker_tools::rules::{RulesCatalog, RulesError};

use super::engine::{Budget, Outcome, run};
use super::{reference_rules_texts, rules_items, yaml_lines};
use crate::support::shared_dir;

const TOKENS: &[&str] = &[
    "- rule: ",
    "- macro: ",
    "- list: ",
    "- required_engine_version: ",
    "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n",
    "  condition: ",
    "  output: ",
    "  priority: ",
    "  desc: ",
    "  items: ",
    "  append: true\n",
    "  override:\n    condition: append\n",
    "  override:\n    exceptions: replace\n",
    "  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[bash]]\n",
    "  enabled: false\n",
    "  tags: [",
    "  source: k8s_audit\n",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "!!str ",
    "? ",
    "|-\n",
    ">\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\t",
];

fn stable_rules() -> &'static RulesCatalog {
    static CATALOG: OnceLock<RulesCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        RulesCatalog::load(&[shared_dir().join("reference/falco/rules/falco_rules.yaml")]).expect("stable rules load")
    })
}

/// Runs of up to twelve consecutive items of every reference file.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for text in reference_rules_texts() {
        let items = rules_items(&text);
        for (index, chunk) in items.chunks(12).enumerate() {
            let length = 1 + index % chunk.len();
            seeds.push(chunk[..length].concat().into_bytes());
        }
    }
    seeds
}

fn check_error(text: &str, error: &RulesError) {
    let lines = yaml_lines(text);
    match error {
        RulesError::Item { line, item, problem, .. } => {
            assert!(*line >= 1 && *line <= lines + 1, "line {line} of {lines}: {error}");
            assert!(!item.is_empty() && !problem.is_empty(), "{error}");
        }
        RulesError::Yaml { message, .. } => assert!(message.contains("line"), "placed: {error}"),
        RulesError::Read { .. } => panic!("no file was read: {error}"),
    }
}

fn names(catalog: &RulesCatalog) -> Vec<(String, usize, String)> {
    catalog.rules().map(|rule| (rule.name.clone(), rule.line, rule.condition.clone())).collect()
}

fn check(bytes: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(bytes);
    let path = Path::new("fuzz_rules.yaml");
    let outcome = match RulesCatalog::from_yaml(path, &text) {
        Ok(catalog) => {
            let again = RulesCatalog::from_yaml(path, &text).expect("loads the same twice");
            assert_eq!(names(&catalog), names(&again));
            let lines = yaml_lines(&text);
            for rule in catalog.rules() {
                assert!(
                    rule.line >= 1 && rule.line <= lines + 1,
                    "rule {:?} at line {} of {lines}",
                    rule.name,
                    rule.line
                );
            }
            Outcome::Accepted
        }
        Err(error) => {
            check_error(&text, &error);
            Outcome::Refused
        }
    };
    match stable_rules().extended_with_yaml(Path::new("fuzz_rules.local.yaml"), &text) {
        Ok(extended) => assert!(extended.rules().count() >= stable_rules().rules().count()),
        Err(error) => check_error(&text, &error),
    }
    outcome
}

#[test]
fn rules_files_never_panic_errors_are_placed_and_loading_is_deterministic() {
    let summary = run("rules", seeds(), TOKENS, Budget::from_env(600), check);
    assert!(summary.accepted > 0, "some mutants still load: {summary:?}");
}
