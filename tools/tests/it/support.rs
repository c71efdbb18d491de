//! Shared test fixtures: a store loaded with the committed demo scenarios, and the scenario
//! alerts parsed independently of the store (for computing expected figures).

use std::path::PathBuf;

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::ingest::{IngestSettings, Ingestor, open_input};
use saker_tools::store::AlertStore;
use saker_tools::store::index::TantivyStore;

/// The demo "now" the scenarios are built around.
pub const DEMO_NOW: &str = "2026-11-20T12:00:00Z";

/// `fixtures/scenarios/`.
pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/scenarios"))
}

/// The reference material beside the repository.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"))
}

/// Every scenario file, sorted.
pub fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    files.sort();
    files
}

/// The alerts of one scenario (`malicious_binary`, ...), parsed from the file.
pub fn scenario_alerts(name: &str) -> Vec<Alert> {
    let text = std::fs::read_to_string(scenarios_dir().join(format!("{name}.jsonl"))).expect("scenario file");
    text.lines().filter(|line| !line.trim().is_empty()).map(|line| parse_alert(line, None).expect("valid")).collect()
}

/// Every scenario's alerts.
pub fn all_scenario_alerts() -> Vec<Alert> {
    let mut alerts = Vec::new();
    for file in scenario_files() {
        let name = file.file_stem().and_then(|stem| stem.to_str()).expect("name").to_string();
        alerts.extend(scenario_alerts(&name));
    }
    alerts
}

/// A fresh store holding every scenario. Keep the directory alive as long as the store.
pub fn scenario_store() -> (tempfile::TempDir, TantivyStore) {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open store");
    let writer = store.writer().expect("writer");
    let mut ingestor = Ingestor::new(writer, IngestSettings::default());
    for file in scenario_files() {
        let mut source = open_input(&file).expect("open scenario");
        ingestor.ingest_lines(&mut source, |_| {}).expect("ingest");
    }
    let summary = ingestor.finish().expect("commit");
    assert_eq!(summary.rejected, 0, "scenario files are valid: {:?}", summary.rejections);
    (directory, store)
}

/// The demo clock.
pub fn demo_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(DEMO_NOW).expect("valid").with_timezone(&chrono::Utc)
}
