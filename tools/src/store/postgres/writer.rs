//! The PostgreSQL writer: batches alerts in memory and commits each batch in one transaction
//! (creating the day partitions it needs first), idempotently across processes.
//!
//! `add` knows only the duplicates inside its own batch; whether an alert was stored by
//! another writer meanwhile is decided by the database at commit (`alert_ids`' primary key,
//! `ON CONFLICT DO NOTHING`), and [`AlertWriter::commit_counting`] reports how many were, so
//! an ingest's counts stay exact when two replicas store the same alerts at once. A process
//! killed before `commit` returns loses only the batch it had not committed.

use std::collections::HashSet;

use sqlx::{AssertSqlSafe, Connection, Executor};
use tantivy::tokenizer::TextAnalyzer;
use xxhash_rust::xxh3::Xxh3Builder;

use super::PostgresStore;
use super::rows::{AlertColumns, full_text_analyzer};
use crate::alert::Alert;
use crate::store::{AddOutcome, AlertWriter, CommitOutcome, StoreError};

/// One day in nanoseconds: the width of a partition.
pub(super) const DAY_NANOS: i64 = 86_400 * 1_000_000_000;

/// Ids claimed per statement inside a commit's transaction (bounded statement size).
const IDS_PER_STATEMENT: usize = 10_000;

/// Bytes of `COPY` text gathered before they are sent (the server parses one chunk while the
/// next is written).
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// Writes alerts into a [`PostgresStore`]. Several writers (in one or many processes) may be
/// open at once.
pub struct PostgresAlertWriter<'store> {
    store: &'store PostgresStore,
    batch: AlertColumns,
    pending_ids: HashSet<String, Xxh3Builder>,
    ingest_cluster: Option<String>,
    analyzer: TextAnalyzer,
}

impl<'store> PostgresAlertWriter<'store> {
    pub(super) fn new(store: &'store PostgresStore, ingest_cluster: Option<String>) -> Self {
        PostgresAlertWriter {
            store,
            batch: AlertColumns::default(),
            pending_ids: HashSet::with_hasher(Xxh3Builder::new()),
            ingest_cluster,
            analyzer: full_text_analyzer(),
        }
    }
}

impl AlertWriter for PostgresAlertWriter<'_> {
    fn add(&mut self, alert: &Alert, raw: &str) -> Result<AddOutcome, StoreError> {
        if !self.pending_ids.insert(alert.id.clone()) {
            return Ok(AddOutcome::Duplicate);
        }
        self.batch.push(&mut self.analyzer, alert, raw, self.ingest_cluster.as_deref());
        Ok(AddOutcome::Accepted)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.commit_counting().map(|_| ())
    }

    fn commit_counting(&mut self) -> Result<CommitOutcome, StoreError> {
        if self.batch.len() == 0 {
            return Ok(CommitOutcome::default());
        }
        self.store.ensure_partitions(&self.batch.days())?;
        let stored = self.store.block_on(insert_batch(&self.store.pool, &self.batch));
        let stored = stored.map_err(|source| self.store.error("storing a batch of alerts", source))?;
        let already_stored = (self.batch.len() as u64).saturating_sub(stored);
        self.batch.clear();
        self.pending_ids.clear();
        Ok(CommitOutcome { already_stored })
    }

    fn pending(&self) -> usize {
        self.batch.len()
    }
}

/// The values of `column` at the positions of `chunk`.
fn pick<T: Clone>(column: &[T], chunk: &[usize]) -> Vec<T> {
    chunk.iter().filter_map(|&position| column.get(position).cloned()).collect()
}

/// Stores the batch in one transaction; returns how many alerts were new.
///
/// First the batch's ids are claimed in `alert_ids` (`ON CONFLICT DO NOTHING ... RETURNING`),
/// then the rows of the new ones are sent with `COPY ... FROM STDIN` straight into `alerts`
/// (partition routing by the server), then the transaction commits. An id another writer has
/// claimed but not committed makes this one wait for that commit and then skips it, so an
/// alert is stored once whichever writers race for it.
async fn insert_batch(pool: &sqlx::PgPool, batch: &AlertColumns) -> Result<u64, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let mut transaction = connection.begin().await?;
    // Every writer takes the ids' row locks in one global order (byte order of the ids), so
    // two writers storing the same alerts wait for each other but never deadlock.
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by(|&left, &right| batch.ids[left].cmp(&batch.ids[right]));
    let mut fresh: HashSet<String, Xxh3Builder> = HashSet::with_hasher(Xxh3Builder::new());
    for chunk in order.chunks(IDS_PER_STATEMENT) {
        let claimed: Vec<(String,)> = sqlx::query_as(include_str!("sql/claim_alert_ids.sql"))
            .bind(pick(&batch.ids, chunk))
            .bind(pick(&batch.times, chunk))
            .fetch_all(&mut *transaction)
            .await?;
        fresh.extend(claimed.into_iter().map(|(id,)| id));
    }
    let mut stored = 0;
    if !fresh.is_empty() {
        let mut copy = transaction.copy_in_raw(include_str!("sql/copy_alerts.sql")).await?;
        let mut chunk = String::with_capacity(COPY_CHUNK_BYTES + COPY_CHUNK_BYTES / 4);
        for &position in &order {
            if !batch.ids.get(position).is_some_and(|id| fresh.contains(id)) {
                continue;
            }
            batch.write_copy_row(position, &mut chunk);
            if chunk.len() >= COPY_CHUNK_BYTES {
                copy.send(chunk.as_bytes()).await?;
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            copy.send(chunk.as_bytes()).await?;
        }
        stored = copy.finish().await?;
    }
    debug_assert_eq!(stored, fresh.len() as u64, "every claimed id is copied once");
    transaction.commit().await?;
    Ok(stored)
}

impl PostgresStore {
    /// Creates the day partitions of `days` that do not exist yet. Each creation runs in its
    /// own short transaction under an advisory lock, so writers racing for the same day wait
    /// for each other instead of failing, and `IF NOT EXISTS` makes the loser's a no-op.
    pub(super) fn ensure_partitions(&self, days: &[i64]) -> Result<(), StoreError> {
        let missing: Vec<i64> = match self.partitions.lock() {
            Ok(known) => days.iter().copied().filter(|day| !known.contains(day)).collect(),
            Err(_) => days.to_vec(),
        };
        if missing.is_empty() {
            return Ok(());
        }
        self.block_on(create_partitions(&self.pool, &missing))
            .map_err(|source| self.error("creating the day partitions of the alerts table", source))?;
        if let Ok(mut known) = self.partitions.lock() {
            known.extend(missing);
        }
        Ok(())
    }
}

async fn create_partitions(pool: &sqlx::PgPool, days: &[i64]) -> Result<(), sqlx::Error> {
    let mut connection = pool.acquire().await?;
    for &day in days {
        let mut transaction = connection.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('saker alerts partitions'))")
            .execute(&mut *transaction)
            .await?;
        // Only numbers computed here go into the statement (DDL takes no bind parameters).
        let statement = partition_statement(day);
        transaction.execute(AssertSqlSafe(statement)).await?;
        transaction.commit().await?;
    }
    Ok(())
}

/// `CREATE TABLE IF NOT EXISTS alerts_dYYYYMMDD PARTITION OF alerts FOR VALUES ...` for one
/// day since the epoch; the first and last representable days extend to the ends.
fn partition_statement(day: i64) -> String {
    let bound = |day: i64| day.checked_mul(DAY_NANOS).map_or_else(|| None, Some);
    let low = bound(day).map_or_else(|| "MINVALUE".to_string(), |nanos| nanos.to_string());
    let high = day.checked_add(1).and_then(bound).map_or_else(|| "MAXVALUE".to_string(), |nanos| nanos.to_string());
    let name = match chrono::DateTime::from_timestamp(day.saturating_mul(86_400), 0) {
        Some(date) => date.format("%Y%m%d").to_string(),
        None if day < 0 => format!("m{}", day.unsigned_abs()),
        None => day.to_string(),
    };
    format!("CREATE TABLE IF NOT EXISTS alerts_d{name} PARTITION OF alerts FOR VALUES FROM ({low}) TO ({high})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_bounds_are_whole_days() {
        let day = 20_777; // 2026-11-20
        assert_eq!(
            partition_statement(day),
            format!(
                "CREATE TABLE IF NOT EXISTS alerts_d20261120 PARTITION OF alerts FOR VALUES FROM ({}) TO ({})",
                day * DAY_NANOS,
                (day + 1) * DAY_NANOS
            )
        );
        assert!(partition_statement(i64::MIN / DAY_NANOS - 1).contains("FROM (MINVALUE)"));
        assert!(partition_statement(i64::MAX / DAY_NANOS).contains("TO (MAXVALUE)"));
    }
}
