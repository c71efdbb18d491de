//! Unit tests of the catalog's load semantics on small inline rules files.

use std::path::Path;

use super::*;
use crate::alert::Priority;
use crate::rules::ExceptionValue;

fn load(text: &str) -> Result<RulesCatalog, RulesError> {
    RulesCatalog::from_yaml(Path::new("test_rules.yaml"), text)
}

const BASE: &str = r#"
- required_engine_version: 0.26.0
- list: shell_binaries
  items: [bash, sh]
- macro: spawned_process
  condition: evt.type = execve
- rule: Shell in container
  desc: a shell ran
  condition: spawned_process and proc.name in (shell_binaries)
  output: shell (proc.name=%proc.name)
  priority: warning
  tags: [container, mitre_execution, T1059]
  exceptions:
    - name: known_shells
      fields: [container.image.repository, proc.name]
      values:
        - [busybox, sh]
"#;

#[test]
fn definitions_load_with_defaults_and_lines() {
    let catalog = load(BASE).expect("load");
    let rule = catalog.rule("Shell in container").expect("rule");
    assert_eq!(rule.priority, Priority::Warning);
    assert_eq!(rule.source, "syscall");
    assert!(rule.enabled);
    assert_eq!(rule.line, 7);
    assert_eq!(rule.exceptions[0].comps, ["=", "="]);
    assert_eq!(catalog.list("shell_binaries").expect("list").items, ["bash", "sh"]);
    assert_eq!(catalog.macro_named("spawned_process").expect("macro").line, 5);
    assert_eq!(catalog.files()[0].required_engine_version.as_deref(), Some("0.26.0"));
}

#[test]
fn legacy_append_extends_lists_macros_conditions_and_exception_values() {
    let text = format!(
        "{BASE}
- list: shell_binaries
  items: [zsh]
  append: true
- macro: spawned_process
  condition: and proc.name != init
  append: true
- rule: Shell in container
  condition: and not user.name = root
  exceptions:
    - name: known_shells
      values:
        - [alpine, ash]
  append: true
"
    );
    let catalog = load(&text).expect("load");
    assert_eq!(catalog.list("shell_binaries").expect("list").items, ["bash", "sh", "zsh"]);
    assert_eq!(
        catalog.macro_named("spawned_process").expect("macro").condition,
        "evt.type = execve and proc.name != init"
    );
    let rule = catalog.rule("Shell in container").expect("rule");
    assert!(rule.condition.ends_with("and not user.name = root"));
    assert_eq!(rule.exceptions[0].values.len(), 2);
    assert_eq!(
        rule.exceptions[0].values[1],
        [ExceptionValue::Scalar("alpine".into()), ExceptionValue::Scalar("ash".into())]
    );
}

#[test]
fn overrides_append_and_replace_and_enabled_toggle() {
    let text = format!(
        "{BASE}
- rule: Shell in container
  priority: critical
  tags: [extra]
  exceptions:
    - name: by_user
      fields: user.name
      values: [admin]
  override:
    priority: replace
    tags: append
    exceptions: append
- rule: Shell in container
  enabled: false
"
    );
    let catalog = load(&text).expect("load");
    let rule = catalog.rule("Shell in container").expect("rule");
    assert_eq!(rule.priority, Priority::Critical);
    assert_eq!(rule.tags.last().map(String::as_str), Some("extra"));
    assert!(!rule.enabled);
    let by_user = &rule.exceptions[1];
    assert!(by_user.single_field);
    assert_eq!(by_user.comps, ["in"]);
}

#[test]
fn errors_name_the_file_line_item_and_problem() {
    let cases = [
        ("- rule: Lonely\n  append: true\n  condition: x\n", "no rule by that name"),
        ("- rule: Bad\n  desc: d\n  condition: c\n  output: o\n  priority: urgent\n", "unknown priority \"urgent\""),
        ("- rule: NoOut\n  desc: d\n  condition: c\n  priority: info\n", "must have an output"),
        ("- macro: m\n  condition: c\n  override:\n    condition: prepend\n", "must be `append` or `replace`"),
        ("- something: else\n", "unknown item"),
    ];
    for (text, expected) in cases {
        let error = load(text).expect_err(text).to_string();
        assert!(error.starts_with("test_rules.yaml:1: "), "{error}");
        assert!(error.contains(expected), "{error}");
    }
    let bad_comp = format!(
        "{BASE}\n- rule: Shell in container\n  exceptions:\n    - name: e2\n      fields: [proc.name]\n      comps: [is]\n      values: [[x]]\n  append: true\n"
    );
    let error = load(&bad_comp).expect_err("comp").to_string();
    assert!(error.contains("'is' is not a supported comparison operator"), "{error}");
    let mismatch = format!(
        "{BASE}\n- rule: Shell in container\n  exceptions:\n    - name: known_shells\n      values: [[only_one]]\n  append: true\n"
    );
    let error = load(&mismatch).expect_err("arity").to_string();
    assert!(error.contains("fields and values lists must have equal length"), "{error}");
}

#[test]
fn invalid_yaml_reports_the_position() {
    let error = load("- rule: x\n  tags: [a, b\n").expect_err("yaml").to_string();
    assert!(error.starts_with("test_rules.yaml: not a valid Falco rules file"), "{error}");
    assert!(error.contains("line"), "{error}");
}

#[test]
fn empty_and_comment_only_files_load_empty() {
    assert!(load("").expect("empty").is_empty());
    assert!(load("# nothing here\n").expect("comments").is_empty());
}

/// Found by the fuzzer (`fuzz::rules`, case 212,579): serde-saphyr gives no position for a
/// document root it cannot read, so the error named no place.
#[test]
fn an_unreadable_document_root_is_placed() {
    let error = load("# rules\n\n!!binary \nInfinity\n").expect_err("not a sequence").to_string();
    assert!(error.contains("in a document root (line 3)"), "{error}");
}
