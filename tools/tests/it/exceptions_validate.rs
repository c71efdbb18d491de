//! The exception validator on the seed's broken exception, its corrected form, the issue's
//! example, structured input, the Falco-schema layer and Falco-version-specific rules.

use std::path::PathBuf;

use saker_tools::exceptions::validate::{
    FalcoVersion, Layer, LayerStatus, Severity, ValidationOptions, ValidationReport, validate_exception_value,
    validate_rule_exceptions, validate_yaml,
};
use saker_tools::exceptions::{
    ExceptionComps, ExceptionDefinition, ExceptionFields, ExceptionValue, ExceptionValues, OverrideKeys, OverrideMode,
    RuleExceptions,
};
use saker_tools::rules::RulesCatalog;
use serde_json::json;

use crate::support::shared_dir;

/// The first exception Sysdig Sage wrote in the seed (`shared/seeds/003_*`), byte for byte: a tab
/// after the first dash, Japanese comments, a top-level `condition`, and `-condition` lines
/// indented by three spaces and by none.
const SEED_BROKEN: &str = "exceptions: \n-\tSyscalls:\n  #'rm'コマンドが特定のログファイルを削除する場合を例外とする\ncondition: >\n  proc.name = rm and fd.name= /var/log/dpkg.log\n# 特定のコンテナに対して例外を指定する場合\n   -condition: container.name = httpd\n   # 特定のユーザに対して例外を指定する場合\n-condition: user.name = root\n";

/// The seed's exception corrected into Falco syntax: a rule item, list-form fields, comps and
/// values, and `override: {exceptions: append}`.
const SEED_CORRECTED: &str = "\
- rule: Clear Log Activities
  exceptions:
    - name: maintenance_rm_commands
      fields: [user.name, proc.pname, proc.name, proc.cmdline]
      comps: [=, =, =, contains]
      values:
        - [root, bash, rm, dpkg.log]
  override:
    exceptions: append
";

/// The exception of issue 5, with unquoted `=` in a flow sequence.
const ISSUE_EXAMPLE: &str = "\
- rule: Clear Log Activities
  exceptions:
    - name: httpd_rm_dpkg_log
      fields: [container.image.repository, proc.name, fd.name]
      comps: [=, =, =]
      values:
        - [httpd, rm, /var/log/dpkg.log]
  override:
    exceptions: append
";

fn falco_dir() -> PathBuf {
    shared_dir().join("reference/falco")
}

fn upstream_rules() -> RulesCatalog {
    RulesCatalog::load(&[falco_dir().join("rules/falco_rules.yaml")]).expect("upstream rules")
}

fn with_schema() -> ValidationOptions {
    ValidationOptions { falco_schema: Some(falco_dir().join("rule_schema.json")), ..ValidationOptions::default() }
}

fn version(text: &str) -> ValidationOptions {
    ValidationOptions { falco_version: text.parse().expect("version"), falco_schema: None }
}

fn errors_at(report: &ValidationReport) -> Vec<(Option<usize>, Layer, String)> {
    report.problems.iter().map(|problem| (problem.line, problem.layer, problem.message.clone())).collect()
}

#[test]
fn the_seed_text_is_reproduced_faithfully() {
    let seed_dir = shared_dir().join("seeds");
    let seed = std::fs::read_dir(&seed_dir)
        .expect("seeds")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.file_name().and_then(|name| name.to_str()).is_some_and(|name| name.starts_with("003_")))
        .expect("seed 003");
    let text = std::fs::read_to_string(seed).expect("seed text");
    assert!(text.contains(SEED_BROKEN.trim_end()), "the constant is the seed's text");
}

#[test]
fn the_seeds_broken_exception_gets_precise_errors_naming_lines() {
    let report = validate_yaml(SEED_BROKEN, &upstream_rules(), &with_schema());
    assert!(!report.valid);
    let errors = errors_at(&report);
    let has = |line: usize, layer: Layer, words: &str| {
        errors.iter().any(|(at, at_layer, message)| *at == Some(line) && *at_layer == layer && message.contains(words))
    };
    assert!(has(1, Layer::FalcoSemantics, "a rules file is a YAML sequence of items"), "{errors:#?}");
    assert!(has(2, Layer::FalcoSemantics, "item has no mapping for key 'name'"), "{errors:#?}");
    assert!(has(2, Layer::FalcoSemantics, "item has no mapping for key 'fields'"), "{errors:#?}");
    assert!(has(2, Layer::ProjectSchema, "missing required key `name`"), "{errors:#?}");
    assert!(has(4, Layer::FalcoSemantics, "this `condition` is not part of an exception"), "{errors:#?}");
    assert!(has(7, Layer::YamlSyntax, "invalid YAML"), "{errors:#?}");
    let syntax = report.problems.iter().find(|problem| problem.layer == Layer::YamlSyntax).expect("syntax error");
    assert_eq!(syntax.column, Some(4));
    assert!(syntax.allowed.contains("`-condition` is not a sequence entry"), "{}", syntax.allowed);
    let stray_key =
        report.warnings.iter().find(|warning| warning.message.contains("`Syscalls` is not an exception key"));
    assert_eq!(stray_key.and_then(|warning| warning.line), Some(2));
    let lines: Vec<usize> = report.problems.iter().filter_map(|problem| problem.line).collect();
    assert!(lines.windows(2).all(|pair| pair[0] <= pair[1]), "in the order of the text: {lines:?}");
    let semantics = report.layers_run.iter().find(|run| run.layer == Layer::FalcoSemantics).expect("layer");
    assert_eq!(semantics.status, LayerStatus::Partial);
    assert!(semantics.note.contains("lines 1-6"), "{}", semantics.note);
    insta::assert_json_snapshot!("seed_broken_exception_report", report);
}

#[test]
fn the_seeds_second_attempt_is_refused_for_keys_outside_the_exception() {
    let second = "exceptions: \n-\tname: maintenance_rm_commands\nfields: [ user.name, proc.pname, proc.name, proc.cmdline ]\ncomps: [ =, =, =, contains]\nvalues:\n  - - root\n   - bash\n   - rm\n   - dpkg.log\n";
    let report = validate_yaml(second, &upstream_rules(), &ValidationOptions::default());
    let errors = errors_at(&report);
    for (line, key) in [(3, "fields"), (4, "comps"), (5, "values")] {
        assert!(
            errors.iter().any(|(at, _, message)| *at == Some(line)
                && message.contains(&format!("`{key}` belongs inside an exception"))),
            "{key}: {errors:#?}"
        );
    }
}

#[test]
fn the_corrected_seed_and_the_issue_example_pass_against_the_upstream_rules() {
    for text in [SEED_CORRECTED, ISSUE_EXAMPLE] {
        let report = validate_yaml(text, &upstream_rules(), &with_schema());
        assert!(report.valid, "{:#?}", report.problems);
        assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
        assert_eq!(report.rules_checked, ["Clear Log Activities"]);
        assert!(report.layers_run.iter().all(|run| run.status == LayerStatus::Ran), "{:?}", report.layers_run);
        assert_eq!(report.falco_version, FalcoVersion::default());
    }
}

#[test]
fn a_missing_rule_is_an_error_with_the_closest_loaded_names() {
    let text = SEED_CORRECTED.replace("Clear Log Activities", "Clear Logs Activity");
    let report = validate_yaml(&text, &upstream_rules(), &ValidationOptions::default());
    let problem =
        report.problems.iter().find(|problem| problem.message.contains("no rule by that name")).expect("missing rule");
    assert_eq!(problem.line, Some(1));
    assert!(problem.allowed.contains("\"Clear Log Activities\""), "{}", problem.allowed);
    let empty = validate_yaml(SEED_CORRECTED, &RulesCatalog::default(), &ValidationOptions::default());
    let problem =
        empty.problems.iter().find(|problem| problem.message.contains("no rule by that name")).expect("missing");
    assert!(problem.allowed.contains("no rules are loaded"), "{}", problem.allowed);
}

#[test]
fn a_snippet_may_define_the_list_its_exception_uses_and_append_to_its_own_exception() {
    let text = "\
- list: maintenance_binaries
  items: [rm, logrotate]
- rule: Clear Log Activities
  exceptions:
    - name: maintenance
      fields: [proc.name, fd.name]
      comps: [in, startswith]
      values:
        - [maintenance_binaries, /var/log/]
  override:
    exceptions: append
- rule: Clear Log Activities
  exceptions:
    - name: maintenance
      values:
        - [[truncate], /var/log/apt/]
  override:
    exceptions: append
";
    let report = validate_yaml(text, &upstream_rules(), &ValidationOptions::default());
    assert!(report.valid, "{:#?}", report.problems);
    let pids = "\
- rule: Clear Log Activities
  exceptions:
    - name: by_pid
      fields: [proc.pid]
      values: [[1]]
  override:
    exceptions: append
- rule: Clear Log Activities
  exceptions:
    - name: by_pid
      values: [[init]]
  override:
    exceptions: append
";
    let report = validate_yaml(pids, &upstream_rules(), &ValidationOptions::default());
    let problem = report.problems.first().expect("appended values are checked against the exception's fields");
    assert!(problem.message.contains("'init' does not fit proc.pid (type INT64)"), "{}", problem.message);
    assert_eq!(problem.line, Some(11));
    let appended_fields = text.replace(
        "    - name: maintenance\n      values:",
        "    - name: maintenance\n      fields: [proc.name]\n      values:",
    );
    let report = validate_yaml(&appended_fields, &upstream_rules(), &ValidationOptions::default());
    let problem = report
        .problems
        .iter()
        .find(|problem| problem.message.contains("can not append exception fields"))
        .expect("fields");
    assert_eq!((problem.line, problem.item.exception.as_deref()), (Some(15), Some("maintenance")));
}

#[test]
fn the_falco_schema_layer_is_skipped_without_a_path_and_says_how_to_enable_it() {
    let without = validate_yaml(ISSUE_EXAMPLE, &upstream_rules(), &ValidationOptions::default());
    let run = without.layers_run.iter().find(|run| run.layer == Layer::FalcoSchema).expect("layer");
    assert_eq!(run.status, LayerStatus::Skipped);
    assert!(run.note.contains("--falco-schema"), "{}", run.note);
    let missing =
        ValidationOptions { falco_schema: Some(PathBuf::from("/nonexistent/rule_schema.json")), ..Default::default() };
    let report = validate_yaml(ISSUE_EXAMPLE, &upstream_rules(), &missing);
    let run = report.layers_run.iter().find(|run| run.layer == Layer::FalcoSchema).expect("layer");
    assert_eq!(run.status, LayerStatus::Skipped);
    assert!(run.note.contains("/nonexistent/rule_schema.json") && run.note.contains("--falco-schema"), "{}", run.note);
    assert!(report.valid);
}

#[test]
fn falco_schema_mismatches_are_warnings_and_weakly_typed() {
    let text = "\
- required_engine_version: 15
- rule: Clear Log Activities
  exceptions:
    - name: numbers
      fields: [proc.pid, user.uid]
      values:
        - [1234, 0]
  override:
    exceptions: append
- rule: Clear Log Activities
  priority: error
  override:
    priority: replace
";
    let report = validate_yaml(text, &upstream_rules(), &with_schema());
    assert!(report.valid, "{:#?}", report.problems);
    let schema_warnings: Vec<_> =
        report.warnings.iter().filter(|warning| warning.layer == Layer::FalcoSchema).collect();
    assert_eq!(schema_warnings.len(), 1, "only the lower-case priority: {schema_warnings:#?}");
    assert_eq!(schema_warnings[0].line, Some(11));
    assert!(schema_warnings[0].allowed.contains("ERROR"), "{}", schema_warnings[0].allowed);
}

#[test]
fn operators_and_keys_depend_on_the_target_falco_version() {
    let modifier = SEED_CORRECTED
        .replace("comps: [=, =, =, contains]", "comps: [=, =, =, contains oneof]")
        .replace("[root, bash, rm, dpkg.log]", "[root, bash, rm, [dpkg.log, apt]]");
    assert!(validate_yaml(&modifier, &upstream_rules(), &version("0.44.0")).valid);
    let report = validate_yaml(&modifier, &upstream_rules(), &version("0.43.0"));
    let problem = report.problems.first().expect("modifier too new");
    assert!(problem.message.contains("'oneof' needs Falco 0.44.0 or later"), "{}", problem.message);
    assert_eq!((problem.line, problem.item.field_index), (Some(5), Some(3)));

    let old = validate_yaml(SEED_CORRECTED, &upstream_rules(), &version("0.36.0"));
    assert!(
        old.problems.iter().any(|problem| problem.message.contains("`override` needs Falco 0.37.0")),
        "{:#?}",
        old.problems
    );
    let legacy = SEED_CORRECTED.replace("  override:\n    exceptions: append\n", "  append: true\n");
    assert!(validate_yaml(&legacy, &upstream_rules(), &version("0.36.0")).warnings.is_empty());
    let deprecated = validate_yaml(&legacy, &upstream_rules(), &version("0.44.0"));
    assert!(deprecated.valid);
    assert!(deprecated.warnings.iter().any(|warning| warning.message.contains("'append' key is deprecated")));
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = "\
- rule: Clear Log Activities
  exceptions:
    - name: many
      fields: [proc.pid, fd.nmae, proc.name]
      comps: [startswith, =]
      values:
        - [abc, /tmp, rm]
        - [1, /tmp]
  override:
    exceptions: append
";
    let report = validate_yaml(text, &upstream_rules(), &ValidationOptions::default());
    let messages: Vec<(Option<usize>, String)> =
        report.problems.iter().map(|problem| (problem.line, problem.message.clone())).collect();
    let expect = [
        (4, "'fd.nmae' is not a supported filter field"),
        (5, "fields and comps lists must have equal length"),
        (5, "operator 'startswith' does not apply to proc.pid (type INT64)"),
        (7, "'abc' does not fit proc.pid (type INT64)"),
        (8, "fields and values lists must have equal length"),
    ];
    for (line, words) in expect {
        assert!(
            messages.iter().any(|(at, message)| *at == Some(line) && message.contains(words)),
            "{words}: {messages:#?}"
        );
    }
    let suggestion = report.problems.iter().find(|problem| problem.message.contains("fd.nmae")).expect("field");
    assert!(suggestion.allowed.contains("fd.name"), "{}", suggestion.allowed);
    assert_eq!(suggestion.item.field_index, Some(1));
    let again = validate_yaml(text, &upstream_rules(), &ValidationOptions::default());
    assert_eq!(report, again, "deterministic");
}

#[test]
fn structured_input_is_checked_with_json_pointers() {
    let typed = RuleExceptions {
        rule: "Clear Log Activities".to_string(),
        exceptions: vec![ExceptionDefinition {
            name: "httpd_rm_dpkg_log".to_string(),
            fields: Some(ExceptionFields::List(vec![
                "container.image.repository".into(),
                "proc.name".into(),
                "fd.name".into(),
            ])),
            comps: Some(ExceptionComps::List(vec!["=".into(), "=".into(), "=".into()])),
            values: vec![ExceptionValues::Tuple(vec![
                ExceptionValue::Scalar("httpd".into()),
                ExceptionValue::Scalar("rm".into()),
                ExceptionValue::Scalar("/var/log/dpkg.log".into()),
            ])],
        }],
        override_keys: Some(OverrideKeys { exceptions: OverrideMode::Append }),
        append: None,
    };
    let report = validate_rule_exceptions(&typed, &upstream_rules(), &with_schema());
    assert!(report.valid, "{:#?}", report.problems);
    let syntax = report.layers_run.iter().find(|run| run.layer == Layer::YamlSyntax).expect("layer");
    assert_eq!(syntax.status, LayerStatus::Skipped);

    let broken = json!({
        "rule": "Clear Log Activities",
        "exceptions": [
            {"fields": ["proc.name"], "values": [["rm"]]},
            {"name": "x", "fields": ["proc.name", "fd.name"], "comps": ["=", "sometimes"], "values": [["rm"]], "ops": ["="]}
        ],
        "override": {"exceptions": "append"}
    });
    let report = validate_exception_value(&broken, &upstream_rules(), &ValidationOptions::default());
    assert!(!report.valid);
    let places: Vec<(&str, Layer, Severity)> =
        report.problems.iter().map(|problem| (problem.path.as_str(), problem.layer, problem.severity)).collect();
    assert!(places.contains(&("/exceptions/0", Layer::ProjectSchema, Severity::Error)), "{places:#?}");
    assert!(places.contains(&("/exceptions/0", Layer::FalcoSemantics, Severity::Error)), "{places:#?}");
    assert!(places.contains(&("/exceptions/1/comps/1", Layer::FalcoSemantics, Severity::Error)), "{places:#?}");
    assert!(places.contains(&("/exceptions/1/values/0", Layer::FalcoSemantics, Severity::Error)), "{places:#?}");
    assert!(places.contains(&("/exceptions/1/ops", Layer::ProjectSchema, Severity::Error)), "{places:#?}");
    assert!(report.problems.iter().all(|problem| problem.line.is_none()));
    let ops = report.warnings.iter().find(|warning| warning.message.contains("did you mean `comps`")).expect("ops");
    assert_eq!(ops.path, "/exceptions/1/ops");
    let comp = report.problems.iter().find(|problem| problem.path == "/exceptions/1/comps/1").expect("comp");
    assert_eq!(comp.item.exception.as_deref(), Some("x"));
    assert_eq!(comp.item.name.as_deref(), Some("Clear Log Activities"));
}

#[test]
fn structured_input_that_is_not_an_object_is_refused() {
    for value in [json!(null), json!("text"), json!([1, 2])] {
        let report = validate_exception_value(&value, &upstream_rules(), &ValidationOptions::default());
        assert!(!report.valid, "{value}");
        assert!(report.problems.iter().any(|problem| problem.layer == Layer::FalcoSemantics), "{value}");
    }
}

#[test]
fn text_without_exceptions_loads_its_items_and_says_nothing_was_checked() {
    let report = validate_yaml("- list: a\n  items: [x]\n", &RulesCatalog::default(), &ValidationOptions::default());
    assert!(report.valid);
    assert!(report.warnings.iter().any(|warning| warning.message.contains("no item carries exceptions")));
    let broken = validate_yaml("- macro: m\n", &RulesCatalog::default(), &ValidationOptions::default());
    let problem = broken.problems.first().expect("a macro without condition");
    assert_eq!((problem.line, problem.item.kind.as_deref()), (Some(1), Some("macro")));
}
