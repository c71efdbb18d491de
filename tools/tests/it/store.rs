//! What only the embedded tantivy store does: its ingest reports over the Falco samples and
//! its refusal of an index built with other fields. Every query both backends answer is in
//! `store_suite`.

use std::path::PathBuf;

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::ingest::{IngestSettings, Ingestor, open_input};
use saker_tools::store::AlertStore;
use saker_tools::store::index::TantivyStore;

fn samples_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/falco/events"))
}

fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("samples directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    files.sort();
    files
}

/// Every sample line that parses, computed without the store.
fn reference_alerts() -> Vec<Alert> {
    let mut alerts = Vec::new();
    for file in sample_files() {
        let text = std::fs::read_to_string(&file).expect("sample file");
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            if let Ok(alert) = parse_alert(line, None)
                && !alerts.iter().any(|known: &Alert| known.id == alert.id)
            {
                alerts.push(alert);
            }
        }
    }
    alerts
}

fn ingest_samples(store: &TantivyStore) -> saker_tools::ingest::IngestSummary {
    let writer = store.writer().expect("writer");
    let mut ingestor = Ingestor::new(writer, IngestSettings::default());
    for file in sample_files() {
        let mut source = open_input(&file).expect("open sample");
        ingestor.ingest_lines(&mut source, |_| {}).expect("ingest");
    }
    ingestor.finish().expect("commit")
}

#[test]
fn every_sample_ingests_and_reingest_is_a_no_op() {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    let expected = reference_alerts();
    let total_lines: usize = sample_files()
        .iter()
        .map(|file| std::fs::read_to_string(file).expect("read").lines().filter(|line| !line.trim().is_empty()).count())
        .sum();

    let first = ingest_samples(&store);
    assert_eq!(first.accepted as usize, expected.len());
    // Every sample is stored; edge_cases.jsonl line 1 (time "...Z+2") after a reported repair.
    assert_eq!(first.rejected, 0, "{:?}", first.rejections);
    assert_eq!(first.repaired, 1);
    let repair = &first.repairs[0];
    assert!(repair.origin.ends_with("edge_cases.jsonl"));
    assert_eq!(repair.line, 1);
    assert!(repair.reason.starts_with("field \"time\": ignored \"+2\""), "{}", repair.reason);
    assert_eq!((first.accepted + first.duplicates) as usize, total_lines);
    assert_eq!(store.len().expect("len") as usize, expected.len());

    let second = ingest_samples(&store);
    assert_eq!(second.accepted, 0);
    assert_eq!(second.duplicates as usize, total_lines);
    assert_eq!(store.len().expect("len") as usize, expected.len());
}

#[test]
fn an_index_built_with_other_fields_is_refused_with_what_to_do() {
    let directory = tempfile::tempdir().expect("tempdir");
    let mut builder = tantivy::schema::Schema::builder();
    builder.add_text_field("something_else", tantivy::schema::STRING);
    tantivy::Index::create_in_dir(directory.path(), builder.build()).expect("an index with other fields");
    let error = match saker_tools::store::index::TantivyStore::open(directory.path()) {
        Ok(_) => panic!("an index with other fields opened"),
        Err(error) => error,
    };
    assert!(matches!(error, saker_tools::store::StoreError::IncompatibleIndex { .. }), "{error}");
    assert!(error.to_string().contains("ingest the alerts again"), "{error}");
}

#[test]
fn a_store_of_many_small_segments_answers_as_one_loaded_at_once() {
    use saker_tools::store::index::WriterSettings;

    use crate::store_suite::{Backend, assert_same_answers, ingest_inputs, loaded};

    let at_once = loaded(Backend::Tantivy);
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    // Commits of 7 alerts, and merges capped at 20 alerts: dozens of segments, merged while
    // the load goes on, none of them (merged or not) over the cap.
    let max_merged_docs = 20;
    store.set_writer_settings(WriterSettings { max_merged_docs, ..WriterSettings::default() });
    let summary = ingest_inputs(&store, 7);
    assert_eq!(summary.rejected, 0, "{:?}", summary.rejections);
    store.refresh().expect("refresh");

    let sizes = store.segment_sizes().expect("segments");
    assert!(sizes.len() > 10, "{sizes:?}");
    assert!(sizes.iter().all(|&size| size <= max_merged_docs), "{sizes:?}");
    // A segment over one commit's alerts is a merge's: the writer merged, within the cap.
    assert!(sizes.iter().any(|&size| size > 7), "no merge ran: {sizes:?}");
    assert_eq!(sizes.iter().map(|&size| u64::from(size)).sum::<u64>(), store.len().expect("len"));
    assert!(at_once.store.len().expect("len") > u64::from(max_merged_docs) * 10);
    assert_same_answers(at_once.store.as_ref(), &store);
}
