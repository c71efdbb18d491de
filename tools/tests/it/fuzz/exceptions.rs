//! Fuzz target: exception YAML through every validator layer (syntax, both schemas, Falco's
//! semantics against the stable rules), seeded with the reference files' items that carry
//! exceptions or appends and with snippets in Saker's form. Every problem is placed (a line
//! inside the text or a JSON pointer) and in text order, and `valid` means no problem.

use std::sync::OnceLock;

use saker_tools::exceptions::validate::{ValidationOptions, validate_yaml};
use saker_tools::rules::RulesCatalog;

use super::engine::{Budget, Outcome, run};
use super::{reference_rules_texts, rules_items, yaml_lines};
use crate::support::shared_dir;

const SNIPPETS: &[&str] = &[
    "- rule: Read sensitive file untrusted\n  exceptions:\n    - name: known_readers\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values:\n        - [sshd, /etc/shadow]\n  override:\n    exceptions: append\n",
    "- rule: Terminal shell in container\n  exceptions:\n    - name: ci_shell\n      fields: [container.image.repository, proc.pname]\n      comps: [=, in]\n      values:\n        - [docker.io/library/jenkins, [java, bash]]\n  append: true\n",
    "- list: fuzz_binaries\n  items: [logrotate, \"sh\"]\n- rule: Clear Log Activities\n  exceptions:\n    - name: rotate\n      fields: proc.name\n      comps: in\n      values: [fuzz_binaries]\n  override:\n    exceptions: append\n",
    "- rule: Drop and execute new binary in container\n  exceptions:\n    - name: fp\n      fields: [k8s.ns.name, proc.exepath]\n      values:\n        - [ci, /tmp/x]\n      comps: [=, pmatch]\n  override:\n    exceptions: replace\n",
];

const TOKENS: &[&str] = &[
    "  exceptions:\n",
    "    - name: ",
    "      fields: [",
    "      comps: [",
    "      values:\n        - [",
    "  override:\n    exceptions: append\n",
    "  append: true\n",
    "proc.name",
    "fd.name",
    "proc.aname[2]",
    "evt.arg.uid",
    "fd.sip",
    "startswith",
    "pmatch",
    "in",
    "=",
    "intersects",
    "- rule: Terminal shell in container\n",
    "- rule: Missing Rule\n",
    "&a ",
    "*a",
    "\t",
];

fn catalog() -> &'static RulesCatalog {
    static CATALOG: OnceLock<RulesCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        RulesCatalog::load(&[shared_dir().join("reference/falco/rules/falco_rules.yaml")]).expect("stable rules load")
    })
}

fn options() -> &'static ValidationOptions {
    static OPTIONS: OnceLock<ValidationOptions> = OnceLock::new();
    OPTIONS.get_or_init(|| ValidationOptions {
        falco_schema: Some(shared_dir().join("reference/falco/rule_schema.json")),
        ..ValidationOptions::default()
    })
}

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = SNIPPETS.iter().map(|snippet| snippet.as_bytes().to_vec()).collect();
    for text in reference_rules_texts() {
        seeds.extend(
            rules_items(&text)
                .into_iter()
                .filter(|item| item.contains("exceptions:") || item.contains("append:") || item.contains("override:"))
                .map(String::into_bytes),
        );
    }
    seeds
}

fn check(bytes: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(bytes);
    let report = validate_yaml(&text, catalog(), options());
    assert_eq!(report.valid, report.problems.is_empty());
    let lines = yaml_lines(&text).max(1);
    for problem in report.problems.iter().chain(&report.warnings) {
        assert!(!problem.message.is_empty(), "{problem:?}");
        let about_the_document = problem.item.kind.is_none() && problem.item.name.is_none();
        assert!(problem.line.is_some() || !problem.path.is_empty() || about_the_document, "placed: {problem:?}");
        if let Some(line) = problem.line {
            assert!(line >= 1 && line <= lines + 1, "line {line} of {lines}: {problem:?}");
        }
    }
    let places: Vec<usize> = report.problems.iter().filter_map(|problem| problem.line).collect();
    assert!(places.windows(2).all(|pair| pair[0] <= pair[1]), "errors in text order: {places:?}");
    if report.valid { Outcome::Accepted } else { Outcome::Refused }
}

#[test]
fn exception_yaml_never_panics_and_every_problem_is_placed() {
    let summary = run("exceptions", seeds(), TOKENS, Budget::from_env(800), check);
    assert!(summary.accepted > 0, "some mutants are still valid: {summary:?}");
}

/// Found by this target (ten-minute run, about case 900): text nested some 40 levels deep
/// overflowed the 2 MiB stack of a test thread in a debug build (about 55 KB of stack per level
/// of the recursive YAML tree) and aborted the process. Nesting is now limited to 16 levels,
/// beyond which the text is a YAML syntax error with its line.
#[test]
fn deeply_nested_yaml_is_a_placed_error_not_a_stack_overflow() {
    let flow = format!(
        "- rule: Terminal shell in container\n  exceptions:\n    - name: deep\n      values: {}x{}\n",
        "[".repeat(58),
        "]".repeat(58)
    );
    let block = format!("- rule: Terminal shell in container\n  exceptions:\n    - {}x\n", "- ".repeat(58));
    for text in [flow, block] {
        let report = validate_yaml(&text, catalog(), options());
        assert!(!report.valid);
        let syntax = report.problems.first().expect("a problem");
        assert!(syntax.line.is_some_and(|line| (1..=4).contains(&line)), "{syntax:?}");
        let error = RulesCatalog::from_yaml(std::path::Path::new("deep.yaml"), &text).expect_err("too deep");
        assert!(error.to_string().contains("line"), "{error}");
    }
}
