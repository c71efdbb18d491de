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

/// Rows per `INSERT` statement inside a commit's transaction (bounded statement size).
const ROWS_PER_STATEMENT: usize = 5_000;

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

/// Inserts the batch in one transaction; returns how many alerts were new.
async fn insert_batch(pool: &sqlx::PgPool, batch: &AlertColumns) -> Result<u64, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let mut transaction = connection.begin().await?;
    // Every writer takes the ids' row locks in one global order (byte order of the ids), so
    // two writers storing the same alerts wait for each other but never deadlock.
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by(|&left, &right| batch.ids[left].cmp(&batch.ids[right]));
    let mut stored = 0;
    for chunk in order.chunks(ROWS_PER_STATEMENT) {
        let result = sqlx::query(include_str!("sql/insert_alerts.sql"))
            .bind(pick(&batch.ids, chunk))
            .bind(pick(&batch.id_hashes, chunk))
            .bind(pick(&batch.times, chunk))
            .bind(pick(&batch.severities, chunk))
            .bind(pick(&batch.raws, chunk))
            .bind(pick(&batch.ingest_clusters, chunk))
            .bind(pick(&batch.rules, chunk))
            .bind(pick(&batch.priorities, chunk))
            .bind(pick(&batch.sources, chunk))
            .bind(pick(&batch.hosts, chunk))
            .bind(pick(&batch.clusters, chunk))
            .bind(pick(&batch.namespaces, chunk))
            .bind(pick(&batch.workloads, chunk))
            .bind(pick(&batch.pods, chunk))
            .bind(pick(&batch.container_ids, chunk))
            .bind(pick(&batch.container_names, chunk))
            .bind(pick(&batch.images, chunk))
            .bind(pick(&batch.processes, chunk))
            .bind(pick(&batch.users, chunk))
            .bind(pick(&batch.files, chunk))
            .bind(pick(&batch.tags, chunk))
            .bind(pick(&batch.tactics, chunk))
            .bind(pick(&batch.techniques, chunk))
            .bind(pick(&batch.tools, chunk))
            .bind(pick(&batch.output_fields, chunk))
            .bind(pick(&batch.tokens, chunk))
            .bind(pick(&batch.token_lines, chunk))
            .execute(&mut *transaction)
            .await?;
        stored += result.rows_affected();
    }
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
