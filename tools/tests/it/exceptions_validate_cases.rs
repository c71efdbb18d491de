//! Layer 4: Falco's own exception test cases get Falco's verdict from Saker, and every exception
//! in the historical upstream rules files (and the current upstream files) validates.

use std::path::PathBuf;

use saker_tools::exceptions::validate::{
    FalcoVersion, LayerStatus, Severity, ValidationOptions, ValidationReport, validate_yaml,
};
use saker_tools::rules::RulesCatalog;

use crate::support::shared_dir;

fn falco_dir() -> PathBuf {
    shared_dir().join("reference/falco")
}

fn options() -> ValidationOptions {
    ValidationOptions { falco_schema: Some(falco_dir().join("rule_schema.json")), ..ValidationOptions::default() }
}

fn validate_file(path: &std::path::Path, catalog: &RulesCatalog) -> ValidationReport {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    validate_yaml(&text, catalog, &options())
}

fn summary(report: &ValidationReport) -> String {
    report
        .problems
        .iter()
        .map(|problem| format!("{:?}:{} {}: {}", problem.line, problem.layer.label(), problem.item, problem.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_falco_exception_case_gets_falcos_verdict_with_its_message_and_item() {
    let cases_dir = falco_dir().join("exception_cases");
    let table = std::fs::read_to_string(cases_dir.join("cases.tsv")).expect("cases.tsv");
    let header: Vec<&str> = table.lines().next().expect("header").split('\t').collect();
    let index = |name: &str| header.iter().position(|column| *column == name).expect("column");
    let (test_column, file_column, mode_column, exit_column, item_column, message_column) = (
        index("test"),
        index("rules_files"),
        index("mode"),
        index("expected_exit_code"),
        index("expected_item_name"),
        index("expected_message"),
    );
    let mut runs = 0;
    let mut refusals = 0;
    for row in table.lines().skip(1).filter(|row| !row.trim().is_empty()) {
        let columns: Vec<&str> = row.split('\t').collect();
        let (test, file) = (columns[test_column], columns[file_column]);
        let report = validate_file(&cases_dir.join(file), &RulesCatalog::default());
        assert_eq!(report.layers_run.len(), 4, "{test}");
        assert!(report.layers_run.iter().all(|run| run.status == LayerStatus::Ran), "{test}: {:?}", report.layers_run);
        if columns[exit_column] == "0" {
            assert!(
                report.valid,
                "{test} ({}, mode {}) should validate:\n{}",
                file,
                columns[mode_column],
                summary(&report)
            );
            runs += 1;
            continue;
        }
        let expected_message = columns[message_column].to_lowercase();
        let expected_item = columns[item_column];
        assert!(!report.valid, "{test} should be refused");
        let matching = report.problems.iter().find(|problem| {
            problem.severity == Severity::Error
                && problem.message.to_lowercase().contains(&expected_message)
                && (expected_item.is_empty() || problem.item.exception.as_deref() == Some(expected_item))
                && problem.line.is_some()
        });
        assert!(
            matching.is_some(),
            "{test}: expected an error {expected_message:?} about {expected_item:?}, got:\n{}",
            summary(&report)
        );
        refusals += 1;
    }
    assert_eq!((runs, refusals), (20, 10), "every case of cases.tsv was checked");
}

#[test]
fn every_exception_of_the_historical_upstream_rules_validates() {
    let rules_dir = falco_dir().join("rules/historical");
    for (file, at_least) in [
        ("falco_rules.2021-03-24.f7f2b64.with_exceptions.yaml", 60),
        ("k8s_audit_rules.61a17a6.with_exceptions.yaml", 21),
    ] {
        let report = validate_file(&rules_dir.join(file), &RulesCatalog::default());
        assert!(report.valid, "{file}:\n{}", summary(&report));
        assert!(report.rules_checked.len() >= at_least, "{file}: {} rules checked", report.rules_checked.len());
        let warnings: Vec<String> = report.warnings.iter().map(|warning| warning.message.clone()).collect();
        if file.starts_with("falco_rules") {
            let ops = report
                .warnings
                .iter()
                .find(|warning| warning.message.starts_with("`ops` is not an exception key; did you mean `comps`?"))
                .unwrap_or_else(|| panic!("the historical `ops` mistake is named: {warnings:?}"));
            assert_eq!(ops.item.name.as_deref(), Some("Read sensitive file untrusted"));
            assert_eq!(ops.item.exception.as_deref(), Some("cmdline"));
            let text = std::fs::read_to_string(rules_dir.join(file)).expect("text");
            let line = text.lines().nth(ops.line.expect("line") - 1).expect("line exists");
            assert!(line.trim_start().starts_with("ops:"), "{line}");
        }
    }
}

#[test]
fn the_historical_exceptions_validate_for_the_falco_release_that_introduced_exceptions() {
    let path = falco_dir().join("rules/historical/falco_rules.2021-03-24.f7f2b64.with_exceptions.yaml");
    let text = std::fs::read_to_string(path).expect("text");
    let options = ValidationOptions { falco_version: FalcoVersion::EXCEPTIONS, falco_schema: None };
    let report = validate_yaml(&text, &RulesCatalog::default(), &options);
    assert!(report.valid, "{}", summary(&report));
    let before: FalcoVersion = "0.27.0".parse().expect("version");
    let report = validate_yaml(
        &text,
        &RulesCatalog::default(),
        &ValidationOptions { falco_version: before, falco_schema: None },
    );
    assert!(!report.valid);
    assert!(
        report.problems.iter().all(|problem| problem.message.contains("need Falco 0.28.0")),
        "{}",
        summary(&report)
    );
}

#[test]
fn the_current_upstream_rules_files_validate() {
    let rules_dir = falco_dir().join("rules");
    for file in [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
        "falco-deprecated_rules.yaml",
        "plugins/k8s_audit_rules.yaml",
    ] {
        let report = validate_file(&rules_dir.join(file), &RulesCatalog::default());
        assert!(report.valid, "{file}:\n{}", summary(&report));
        let schema_warnings: Vec<_> = report
            .warnings
            .iter()
            .filter(|warning| warning.layer == saker_tools::exceptions::validate::Layer::FalcoSchema)
            .map(|warning| format!("{:?}: {}", warning.line, warning.message))
            .collect();
        assert!(schema_warnings.is_empty(), "{file}: weakly typed like Falco, no schema warnings: {schema_warnings:?}");
    }
}
