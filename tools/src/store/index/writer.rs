//! The index writer: adds alerts with de-duplication by id and commits them durably.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use tantivy::indexer::IndexWriterOptions;
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, Term};
use xxhash_rust::xxh3::Xxh3Builder;

use super::document::{alert_document, id_hash};
use super::merge::{BoundedMergePolicy, DEFAULT_MAX_MERGED_DOCS};
use super::schema::AlertFields;
use crate::alert::Alert;
use crate::store::{AddOutcome, AlertWriter, StoreError};

/// Hasher for keys that already are hashes: passes the u64 through.
#[derive(Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type HashSetOfHashes = HashSet<u64, BuildHasherDefault<PassThroughHasher>>;

/// Writes alerts into the tantivy index.
///
/// De-duplication: a set of the 64-bit hashes of every stored id (rebuilt from the `id_hash`
/// fast field when the writer opens) answers "new" for almost every alert without touching
/// the index; on a hash hit the exact id is checked against the pending batch and the
/// committed index, so a hash collision never drops an alert.
pub struct TantivyAlertWriter {
    path: PathBuf,
    fields: Arc<AlertFields>,
    writer: IndexWriter,
    reader: IndexReader,
    known_hashes: HashSetOfHashes,
    pending_ids: HashSet<String, Xxh3Builder>,
    ingest_cluster: Option<String>,
}

impl TantivyAlertWriter {
    /// Opens the single writer of `index`; fails with [`StoreError::Locked`] when another
    /// process writes it.
    pub fn open(
        path: PathBuf,
        index: &Index,
        reader: IndexReader,
        fields: Arc<AlertFields>,
        settings: WriterSettings,
    ) -> Result<Self, StoreError> {
        let threads = settings.threads.max(1);
        let options = IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(settings.heap_bytes / threads)
            .num_merge_threads(settings.merge_threads.max(1))
            .build();
        let writer = index.writer_with_options(options).map_err(|source| match source {
            tantivy::TantivyError::LockFailure(..) => StoreError::Locked { path: path.clone() },
            other => StoreError::Index { path: path.clone(), source: other },
        })?;
        writer.set_merge_policy(Box::new(BoundedMergePolicy::new(settings.max_merged_docs)));
        let known_hashes =
            load_known_hashes(&reader).map_err(|source| StoreError::Index { path: path.clone(), source })?;
        Ok(TantivyAlertWriter {
            path,
            fields,
            writer,
            reader,
            known_hashes,
            pending_ids: HashSet::with_hasher(Xxh3Builder::new()),
            ingest_cluster: settings.ingest_cluster,
        })
    }

    fn is_committed(&self, id: &str) -> Result<bool, StoreError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.id, id);
        for segment in searcher.segment_readers() {
            let inverted = segment
                .inverted_index(self.fields.id)
                .map_err(|source| StoreError::Index { path: self.path.clone(), source })?;
            let postings = inverted
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(|source| StoreError::Io { path: self.path.clone(), source })?;
            if postings.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// How the writer is configured.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    /// Indexing threads.
    pub threads: usize,
    /// Memory budget of the indexing threads together, in bytes.
    pub heap_bytes: usize,
    /// Merges run at once. A merge reads its input segments through memory maps whose
    /// resident pages count in RSS, so merges running side by side add up: one at a time keeps
    /// the mapped bytes to one merge's, at most [`Self::max_merged_docs`] alerts' worth.
    pub merge_threads: usize,
    /// Cap on the alerts of a segment a merge produces (see [`BoundedMergePolicy`]): bounds
    /// the merge work per alert and the bytes a merge maps, whatever the store holds.
    pub max_merged_docs: u32,
    /// Cluster assumed for alerts that carry none (`--cluster`, `?cluster=`).
    pub ingest_cluster: Option<String>,
}

impl Default for WriterSettings {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(2, |count| count.get()).clamp(1, 4);
        WriterSettings {
            threads,
            heap_bytes: 64 * 1024 * 1024,
            merge_threads: 1,
            max_merged_docs: DEFAULT_MAX_MERGED_DOCS,
            ingest_cluster: None,
        }
    }
}

fn load_known_hashes(reader: &IndexReader) -> tantivy::Result<HashSetOfHashes> {
    let searcher = reader.searcher();
    let total: u64 = searcher.segment_readers().iter().map(|segment| u64::from(segment.num_docs())).sum();
    let mut hashes = HashSetOfHashes::with_capacity_and_hasher(usize::try_from(total).unwrap_or(0), Default::default());
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().u64("id_hash")?;
        for doc in segment.doc_ids_alive() {
            if let Some(hash) = column.first(doc) {
                hashes.insert(hash);
            }
        }
    }
    Ok(hashes)
}

impl AlertWriter for TantivyAlertWriter {
    fn add(&mut self, alert: &Alert, raw: &str) -> Result<AddOutcome, StoreError> {
        let hash = id_hash(&alert.id);
        if !self.known_hashes.insert(hash) && (self.pending_ids.contains(&alert.id) || self.is_committed(&alert.id)?) {
            return Ok(AddOutcome::Duplicate);
        }
        let document = alert_document(&self.fields, alert, raw, self.ingest_cluster.as_deref());
        self.writer.add_document(document).map_err(|source| StoreError::Index { path: self.path.clone(), source })?;
        self.pending_ids.insert(alert.id.clone());
        Ok(AddOutcome::Accepted)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.writer.commit().map_err(|source| StoreError::Index { path: self.path.clone(), source })?;
        self.reader.reload().map_err(|source| StoreError::Index { path: self.path.clone(), source })?;
        self.pending_ids.clear();
        Ok(())
    }

    fn pending(&self) -> usize {
        self.pending_ids.len()
    }
}
