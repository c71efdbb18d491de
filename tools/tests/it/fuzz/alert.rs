//! Fuzz target: one Falco JSON line into an [`Alert`], through the strict JSON reader
//! (`saker_tools::json`) and the lineage reader, seeded with every committed scenario line.

use saker_tools::alert::{Alert, AlertParseError, parse_alert, parse_alert_with_warnings, parse_lineage};
use saker_tools::json::from_slice_unique;
use serde_json::Value;
use serde_json::error::Category;

use super::engine::{Budget, Outcome, run};
use crate::support::scenarios_dir;

const TOKENS: &[&str] = &[
    "\"time\":",
    "\"rule\":",
    "\"priority\":",
    "\"output\":",
    "\"output_fields\":",
    "\"source\":",
    "\"tags\":",
    "\"hostname\":",
    "\"uuid\":",
    "\"proc.pid\":",
    "\"proc.ppid\":",
    "\"proc.aname[2]\":",
    "\"proc.apid[2]\":",
    "\"k8s.ns.name\":",
    "\"k8s.pod.name\":",
    "\"container.id\":",
    "\"fd.name\":",
    "\"Emergency\"",
    "\"informational\"",
    "\"Debug\"",
    "\"2026-11-20T12:00:00.123456789Z\"",
    "\"2026-11-20T12:00:00Z+2\"",
    "\"T1059\"",
    "\"mitre_execution\"",
    "{}",
    "[]",
];

/// Every line of the committed scenarios (demo and holdout) and a minimal alert.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![
        br#"{"time":"2026-11-20T12:00:00Z","rule":"r","priority":"Warning","output":"o","output_fields":{}}"#.to_vec(),
    ];
    for directory in [scenarios_dir(), scenarios_dir().join("holdout")] {
        let mut files: Vec<_> = std::fs::read_dir(&directory)
            .expect("scenarios directory")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
            .collect();
        files.sort();
        for file in files {
            let text = super::read(&file);
            seeds.extend(text.lines().filter(|line| !line.trim().is_empty()).map(|line| line.as_bytes().to_vec()));
        }
    }
    seeds
}

/// The strict reader agrees with serde_json except that it refuses a repeated key, and every
/// error it gives has a line.
fn check_strict_json(bytes: &[u8]) {
    let strict = from_slice_unique(bytes);
    let plain = serde_json::from_slice::<Value>(bytes);
    match (&strict, &plain) {
        (Ok(strict), Ok(plain)) => assert_eq!(strict, plain, "the strict reader reads the same value"),
        (Ok(_), Err(error)) => panic!("the strict reader accepted text serde_json refuses: {error}"),
        (Err(error), Ok(_)) => {
            assert_eq!(error.classify(), Category::Data, "{error}");
            assert!(error.to_string().starts_with("duplicate key "), "{error}");
            assert!(error.line() >= 1 && error.column() >= 1, "placed: {error}");
        }
        (Err(error), Err(_)) => assert!(error.line() >= 1, "placed: {error}"),
    }
}

/// A refused alert names its column or its field.
fn check_placed(text: &str, error: &AlertParseError) {
    let lines: Vec<&str> = text.split('\n').collect();
    match error {
        AlertParseError::Json { line, column, message } | AlertParseError::DuplicateKey { line, column, message } => {
            assert!(*line >= 1 && *line <= lines.len(), "line {line} of {}: {error}", lines.len());
            let length = lines[*line - 1].chars().count();
            assert!(*column >= 1 && *column <= length + 1, "column {column} of {length}: {error}");
            assert!(!message.is_empty());
        }
        AlertParseError::NotAnObject { found } => assert!(!found.is_empty()),
        AlertParseError::Missing { field } => assert!(!field.is_empty()),
        AlertParseError::Invalid { field, problem } => assert!(!field.is_empty() && !problem.is_empty(), "{error}"),
    }
    assert!(!error.to_string().is_empty());
}

/// An accepted alert reads the same from its compact and pretty JSON, and survives serde.
fn check_round_trip(text: &str, alert: &Alert) {
    assert!(alert.time.timestamp_nanos_opt().is_some(), "time {} inside the index range", alert.time);
    let value = from_slice_unique(text.as_bytes()).expect("an accepted alert is strict JSON");
    for printed in [serde_json::to_string(&value), serde_json::to_string_pretty(&value)] {
        let printed = printed.expect("prints");
        let again = parse_alert(&printed, Some("fuzz-cluster")).unwrap_or_else(|error| panic!("{printed}: {error}"));
        assert_eq!(&again, alert, "reprinted alert {printed}");
    }
    let serialized = serde_json::to_string(alert).expect("serializes");
    let back: Alert = serde_json::from_str(&serialized).unwrap_or_else(|error| panic!("{serialized}: {error}"));
    assert_eq!(&back, alert, "serde round trip");
}

fn check(bytes: &[u8]) -> Outcome {
    check_strict_json(bytes);
    let text = String::from_utf8_lossy(bytes);
    if let Err(message) = parse_lineage(&text, "fuzz".to_string()) {
        assert!(!message.is_empty());
    }
    match parse_alert_with_warnings(&text, Some("fuzz-cluster")) {
        Ok(parsed) => {
            check_round_trip(&text, &parsed.alert);
            Outcome::Accepted
        }
        Err(error) => {
            check_placed(&text, &error);
            Outcome::Refused
        }
    }
}

#[test]
fn alert_lines_never_panic_errors_are_placed_and_valid_alerts_round_trip() {
    let summary = run("alert", seeds(), TOKENS, Budget::from_env(4_000), check);
    assert!(summary.accepted > 0, "some mutants are still alerts");
}
