//! Property tests of the exception validator: arbitrary text, YAML-shaped text assembled from
//! fragments of exception syntax (broken indentation, tabs, anchors, stray keys included) and
//! random structured items never make it panic, and the same input always gives the same
//! report. The seed is fixed so a run is reproducible; the case counts keep the run to seconds.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use saker_tools::exceptions::validate::{
    ValidationOptions, validate_exception_value, validate_rule_exceptions, validate_yaml,
};
use saker_tools::exceptions::{
    ExceptionComps, ExceptionDefinition, ExceptionFields, ExceptionScalar, ExceptionValue, ExceptionValues,
    OverrideKeys, OverrideMode, RuleExceptions,
};
use saker_tools::rules::RulesCatalog;
use serde_json::Value;

use crate::support::shared_dir;

const RULES: &str = "\
- list: shell_binaries
  items: [bash, sh]
- rule: Clear Log Activities
  desc: d
  condition: evt.type = unlink and fd.name startswith /var/log
  output: o
  priority: WARNING
  exceptions:
    - name: known
      fields: [proc.name, fd.name]
      values:
        - [logrotate, /var/log/syslog]
    - name: single
      fields: proc.name
";

fn catalog() -> &'static RulesCatalog {
    static CATALOG: OnceLock<RulesCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| RulesCatalog::from_yaml(Path::new("fuzz_rules.yaml"), RULES).expect("rules"))
}

fn options() -> ValidationOptions {
    ValidationOptions {
        falco_schema: Some(shared_dir().join("reference/falco/rule_schema.json")),
        ..ValidationOptions::default()
    }
}

fn config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(5), failure_persistence: None, ..Config::default() }
}

const FRAGMENTS: &[&str] = &[
    "- rule: Clear Log Activities",
    "- rule: Missing Rule",
    "- rule:",
    "exceptions:",
    "exceptions: ~",
    "exceptions: oops",
    "- name: known",
    "- name: fresh",
    "- name: \"\"",
    "-\tname: tabbed",
    "name: x",
    "fields: [proc.name, fd.name]",
    "fields: [proc.pid, fd.sip, \"proc.aname[2]\", evt.arg.uid]",
    "fields: proc.name",
    "fields: []",
    "fields: [not.exist]",
    "comps: [=, =]",
    "comps: [=, startswith oneof]",
    "comps: in",
    "comps: [no-comp]",
    "ops: [startswith]",
    "values:",
    "values: [[a, b]]",
    "values: [a, shell_binaries]",
    "values: {x: 1}",
    "- [logrotate, /var/log/syslog]",
    "- [[a, b], c]",
    "- [1, 10.0.0.1]",
    "- - root",
    "- bash",
    "override:",
    "override: append",
    "exceptions: append",
    "exceptions: replace",
    "priority: append",
    "append: true",
    "append: maybe",
    "condition: >",
    "proc.name = rm and fd.name= /var/log/dpkg.log",
    "-condition: container.name = httpd",
    "- list: l",
    "items: [a, b]",
    "- macro: m",
    "- required_engine_version: 15",
    "&anchor [a]",
    "*anchor",
    "# コメント",
    "[",
    "]",
    "{",
    "'unterminated",
    "key: value: value",
    "---",
    "",
];

fn yaml_shaped() -> impl Strategy<Value = String> {
    let line = (0usize..4, 0usize..FRAGMENTS.len(), any::<bool>()).prop_map(|(indent, fragment, tab)| {
        let padding = if tab { "\t".to_string() } else { "  ".repeat(indent) };
        format!("{padding}{}", FRAGMENTS[fragment])
    });
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z.=\\[\\] ]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "rule",
            "exceptions",
            "name",
            "fields",
            "comps",
            "values",
            "override",
            "append",
            "in",
            "="
        ])
        .prop_map(|word| Value::String(word.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "rule",
                    "exceptions",
                    "name",
                    "fields",
                    "comps",
                    "values",
                    "override",
                    "append",
                    "ops"
                ]),
                inner,
                0..5
            )
            .prop_map(|map| Value::Object(map.into_iter().map(|(key, value)| (key.to_string(), value)).collect())),
        ]
    })
}

fn scalar() -> impl Strategy<Value = ExceptionScalar> {
    prop_oneof![
        prop::sample::select(vec!["rm", "bash", "/var/log/", "", "10.0.0.1", "1234", "true", "shell_binaries", "a b"])
            .prop_map(ExceptionScalar::from),
        "[ -~]{0,10}".prop_map(ExceptionScalar),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "proc.name",
        "fd.name",
        "proc.pid",
        "fd.sip",
        "evt.arg.uid",
        "proc.aname[2]",
        "evt.arg",
        "not.exist",
        "ka.user.name",
        "",
    ])
    .prop_map(str::to_string)
}

fn comp() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "=",
        "!=",
        "in",
        "startswith",
        "pmatch",
        "startswith oneof",
        "in oneof",
        "exists",
        "no-comp",
        " = ",
        "",
    ])
    .prop_map(str::to_string)
}

fn definition() -> impl Strategy<Value = ExceptionDefinition> {
    let fields = prop_oneof![
        Just(None),
        prop::collection::vec(field_name(), 0..4).prop_map(|fields| Some(ExceptionFields::List(fields))),
        field_name().prop_map(|field| Some(ExceptionFields::Single(field))),
    ];
    let comps = prop_oneof![
        Just(None),
        prop::collection::vec(comp(), 0..4).prop_map(|comps| Some(ExceptionComps::List(comps))),
        comp().prop_map(|comp| Some(ExceptionComps::Single(comp))),
    ];
    let value = prop_oneof![
        scalar().prop_map(ExceptionValue::Scalar),
        prop::collection::vec(scalar(), 0..3).prop_map(ExceptionValue::List),
    ];
    let values = prop::collection::vec(
        prop_oneof![
            prop::collection::vec(value, 0..4).prop_map(ExceptionValues::Tuple),
            scalar().prop_map(ExceptionValues::Scalar),
        ],
        0..4,
    );
    (prop::sample::select(vec!["known", "single", "fresh", ""]), fields, comps, values)
        .prop_map(|(name, fields, comps, values)| ExceptionDefinition { name: name.to_string(), fields, comps, values })
}

fn rule_exceptions() -> impl Strategy<Value = RuleExceptions> {
    let mode = prop_oneof![
        Just(None),
        Just(Some(OverrideKeys { exceptions: OverrideMode::Append })),
        Just(Some(OverrideKeys { exceptions: OverrideMode::Replace })),
    ];
    (
        prop::sample::select(vec!["Clear Log Activities", "Clear Logs", ""]),
        prop::collection::vec(definition(), 0..4),
        mode,
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(rule, exceptions, override_keys, append)| RuleExceptions {
            rule: rule.to_string(),
            exceptions,
            override_keys,
            append,
        })
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn arbitrary_text_never_panics_and_validates_the_same_twice(text in "\\PC{0,200}") {
        let first = validate_yaml(&text, catalog(), &options());
        let second = validate_yaml(&text, catalog(), &options());
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(first.valid, first.problems.is_empty());
    }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn yaml_shaped_text_never_panics_and_every_problem_is_placed(text in yaml_shaped()) {
        let first = validate_yaml(&text, catalog(), &options());
        let second = validate_yaml(&text, catalog(), &options());
        prop_assert_eq!(&first, &second);
        let line_count = text.lines().count().max(1);
        for problem in first.problems.iter().chain(&first.warnings) {
            prop_assert!(!problem.message.is_empty());
            if let Some(line) = problem.line {
                prop_assert!(line >= 1 && line <= line_count + 1, "line {} of {}: {:?}", line, line_count, problem);
            }
        }
        let lines: Vec<usize> = first.problems.iter().filter_map(|problem| problem.line).collect();
        prop_assert!(lines.windows(2).all(|pair| pair[0] <= pair[1]), "errors in text order: {:?}", lines);
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn random_structured_items_never_panic_and_validate_the_same_twice(item in rule_exceptions()) {
        let first = validate_rule_exceptions(&item, catalog(), &options());
        let second = validate_rule_exceptions(&item, catalog(), &options());
        prop_assert_eq!(&first, &second);
        for problem in first.problems.iter().chain(&first.warnings) {
            prop_assert!(problem.line.is_none());
            prop_assert!(problem.path.is_empty() || problem.path.starts_with('/'));
        }
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let first = validate_exception_value(&value, catalog(), &options());
        let second = validate_exception_value(&value, catalog(), &options());
        prop_assert_eq!(first, second);
    }
}
