//! The event store: the interface the tools query, its embedded tantivy implementation and
//! its PostgreSQL implementation.
//!
//! The interface is synchronous: the embedded backend does blocking I/O on memory-mapped
//! files and the PostgreSQL backend blocks on its own runtime, so async callers (the server)
//! run store calls on `tokio::task::spawn_blocking`.

pub mod database;
mod error;
mod filter;
pub mod index;
pub mod postgres;
mod query_types;
mod shape;
pub mod state;

pub use error::{Interruption, StoreError};
pub use filter::{AlertFilter, TimeRange, TimeRangeError, parse_duration};
pub use query_types::{
    GROUP_KEY_NAMES, GroupCounts, GroupKey, RollupRow, Rollups, SearchOrder, SearchPage, TimeBucket, TimeBucketCount,
    TupleCounts,
};

use crate::alert::{Alert, ProcessLineage};
use crate::scope::Dimension;

/// The earliest and latest time of a set of alerts.
pub type TimeBounds = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

/// Whether an alert was stored or was already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// New alert, stored (durable after the next commit).
    Accepted,
    /// An alert with the same id is already stored or pending; nothing was written.
    Duplicate,
}

/// What a commit found out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitOutcome {
    /// Alerts that [`AlertWriter::add`] accepted but that turned out to be stored already when
    /// they were committed (another writer, e.g. another replica, stored them meanwhile); they
    /// were not written again. Always 0 for the embedded backend, whose single writer knows
    /// every duplicate at `add`.
    pub already_stored: u64,
}

/// Writes alerts into a store. Alerts become durable and visible at [`AlertWriter::commit`].
pub trait AlertWriter {
    /// Adds one alert; `raw` is the alert's JSON text exactly as received (kept as the source
    /// of truth).
    fn add(&mut self, alert: &Alert, raw: &str) -> Result<AddOutcome, StoreError>;
    /// Makes everything added so far durable and visible to readers.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// [`AlertWriter::commit`], also saying how many accepted alerts turned out to be stored
    /// already, so that an ingest's accepted and duplicate counts stay exact when several
    /// writers (processes) store the same alerts at once.
    fn commit_counting(&mut self) -> Result<CommitOutcome, StoreError> {
        self.commit().map(|()| CommitOutcome::default())
    }
    /// Number of alerts added since the last commit.
    fn pending(&self) -> usize;
}

/// The queries Saker's tools need from an alert store.
///
/// Every backend (embedded tantivy now, PostgreSQL later) implements this and passes the
/// same test suite. All results are ordered deterministically.
pub trait AlertStore: Send + Sync {
    /// Opens a writer. Only one writer may be open at a time per store.
    fn writer(&self) -> Result<Box<dyn AlertWriter + '_>, StoreError>;
    /// Number of alerts matching `filter`.
    fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError>;
    /// Counts grouped by a dimension or time bucket, largest first (ties by key), at most
    /// `limit` groups plus the count of the rest.
    fn group_counts(&self, filter: &AlertFilter, key: GroupKey, limit: usize) -> Result<GroupCounts, StoreError>;
    /// [`AlertStore::group_counts`] for each of `keys` over the same alerts, in the order of
    /// `keys`; a backend may count several keys in one pass over the alerts.
    fn group_counts_each(
        &self,
        filter: &AlertFilter,
        keys: &[GroupKey],
        limit: usize,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        keys.iter().map(|key| self.group_counts(filter, *key, limit)).collect()
    }
    /// Counts per combination of several single-valued dimensions (e.g. cluster, namespace,
    /// workload), largest first (ties by values), at most `limit` rows plus the rest.
    fn tuple_counts(
        &self,
        filter: &AlertFilter,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError>;
    /// Rolls the matching alerts up per combination of `key` dimensions in one pass: count,
    /// time bounds, highest severity, newest alert and the top `detail_limit` values of each
    /// `details` dimension; at most `limit` keys, most alerts first.
    fn rollup(
        &self,
        filter: &AlertFilter,
        key: &[Dimension],
        details: &[Dimension],
        detail_limit: usize,
        limit: usize,
    ) -> Result<Rollups, StoreError>;
    /// The process lineage of the matching alerts (a partial, faster read than whole alerts),
    /// oldest first, at most `limit`, with the number matching.
    fn lineages(&self, filter: &AlertFilter, limit: usize) -> Result<(u64, Vec<ProcessLineage>), StoreError>;
    /// Earliest and latest alert time matching `filter`, if any.
    fn time_bounds(&self, filter: &AlertFilter) -> Result<Option<TimeBounds>, StoreError>;
    /// Matching alerts, optionally full-text searched over output, command lines and file
    /// names, in the given order, paged.
    fn search(
        &self,
        filter: &AlertFilter,
        text: Option<&str>,
        order: SearchOrder,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StoreError>;
    /// [`AlertStore::tuple_counts`] over the alerts a full-text search finds: where the hits
    /// of `text` are (cluster, namespace, workload), largest first.
    fn search_tuple_counts(
        &self,
        filter: &AlertFilter,
        text: &str,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError>;
    /// Alerts by id, in the order of `ids`; unknown ids are skipped.
    fn get(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError>;
    /// Total number of stored alerts.
    fn len(&self) -> Result<u64, StoreError>;
    /// True when the store holds no alert.
    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }
}
