//! The backends the store suite runs against, and the data every test loads.

use std::path::PathBuf;

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::ingest::{IngestSettings, IngestSummary, Ingestor, open_input};
use saker_tools::store::AlertStore;
use saker_tools::store::index::TantivyStore;
use saker_tools::store::postgres::PostgresStore;

use crate::postgres_server::postgres_server;
use crate::support::scenario_files;

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded tantivy index.
    Tantivy,
    /// PostgreSQL (a fresh database on the test server).
    Postgres,
}

/// An opened store and what keeps it alive; `location` reopens it (another handle, another
/// process).
pub struct TestStore {
    pub store: Box<dyn AlertStore>,
    pub location: String,
    _directory: Option<tempfile::TempDir>,
}

impl Backend {
    /// A new, empty store.
    pub fn open_empty(self) -> TestStore {
        match self {
            Backend::Tantivy => {
                let directory = tempfile::tempdir().expect("tempdir");
                let location = directory.path().to_str().expect("utf-8 path").to_string();
                let store = Box::new(TantivyStore::open(directory.path()).expect("open tantivy store"));
                TestStore { store, location, _directory: Some(directory) }
            }
            Backend::Postgres => {
                let url = postgres_server().fresh_database();
                let store = PostgresStore::connect(&url).expect("connect");
                store.migrate().expect("migrate");
                TestStore { store: Box::new(store), location: url, _directory: None }
            }
        }
    }

    /// Opens the store at `location` again.
    pub fn reopen(self, location: &str) -> Box<dyn AlertStore> {
        match self {
            Backend::Tantivy => Box::new(TantivyStore::open(std::path::Path::new(location)).expect("reopen")),
            Backend::Postgres => {
                let store = PostgresStore::connect(location).expect("reconnect");
                store.migrate().expect("migrate again is a no-op");
                Box::new(store)
            }
        }
    }

    /// The backend named `tantivy` or `postgres`.
    pub fn named(name: &str) -> Backend {
        match name {
            "tantivy" => Backend::Tantivy,
            "postgres" => Backend::Postgres,
            other => panic!("unknown backend {other}"),
        }
    }

    /// The backend's name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Tantivy => "tantivy",
            Backend::Postgres => "postgres",
        }
    }
}

/// The committed demo scenarios and the Falco samples beside the repository.
pub fn input_files() -> Vec<PathBuf> {
    let mut files = scenario_files();
    files.extend(sample_files());
    files
}

fn sample_files() -> Vec<PathBuf> {
    let directory = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/falco/events"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .expect("samples directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    files.sort();
    files
}

/// Every input line that parses, de-duplicated by id, computed without any store.
pub fn reference_alerts() -> Vec<Alert> {
    let mut seen = std::collections::HashSet::new();
    let mut alerts = Vec::new();
    for file in input_files() {
        let text = std::fs::read_to_string(&file).expect("input file");
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            if let Ok(alert) = parse_alert(line.trim(), None)
                && seen.insert(alert.id.clone())
            {
                alerts.push(alert);
            }
        }
    }
    alerts
}

/// Non-blank input lines.
pub fn input_line_count() -> usize {
    input_files()
        .iter()
        .map(|file| std::fs::read_to_string(file).expect("read").lines().filter(|line| !line.trim().is_empty()).count())
        .sum()
}

/// Ingests every input file through the [`Ingestor`], committing every `commit_every` alerts.
pub fn ingest_inputs(store: &dyn AlertStore, commit_every: usize) -> IngestSummary {
    let writer = store.writer().expect("writer");
    let mut ingestor = Ingestor::new(writer, IngestSettings { commit_every, ..IngestSettings::default() });
    for file in input_files() {
        let mut source = open_input(&file).expect("open input");
        ingestor.ingest_lines(&mut source, |_| {}).expect("ingest");
    }
    ingestor.finish().expect("commit")
}

/// A store of `backend` holding every input.
pub fn loaded(backend: Backend) -> TestStore {
    let test_store = backend.open_empty();
    let summary = ingest_inputs(test_store.store.as_ref(), 100_000);
    assert_eq!(summary.rejected, 0, "{:?}", summary.rejections);
    test_store
}
