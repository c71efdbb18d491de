//! Saker's state database (SQLite through sqlx): ingest history and response actions with
//! their append-only history (`crate::actions::ActionLedger`). Commits are synchronous
//! (`synchronous = FULL`): an acknowledged approval survives a power loss.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::StoreError;

/// The state database of one data directory.
#[derive(Debug, Clone)]
pub struct StateDb {
    path: PathBuf,
    pool: SqlitePool,
}

/// One finished ingest run, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IngestRun {
    /// Row id.
    pub id: i64,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// What was read (file names, `stdin`, `http`).
    pub origin: String,
    /// Alerts stored.
    pub accepted: i64,
    /// Alerts already present.
    pub duplicates: i64,
    /// Lines rejected.
    pub rejected: i64,
}

/// Holds an exclusive lock on `<database>.lock` while a process creates and migrates a SQLite
/// database, so that two processes opening a fresh data directory at once (a `saker ask`
/// beside `saker serve`) do not both run the migrations. The lock is released when the returned
/// file is dropped.
pub async fn open_lock(database: &Path) -> Result<std::fs::File, std::io::Error> {
    let mut lock_path = database.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)?
}

impl StateDb {
    /// Opens (creating and migrating) `<data-dir>/state.sqlite`.
    pub async fn open(data_dir: &Path) -> Result<StateDb, StoreError> {
        let path = data_dir.join("state.sqlite");
        let _lock = open_lock(&path)
            .await
            .map_err(|source| StoreError::State { path: path.clone(), source: sqlx::Error::Io(source) })?;
        let state_error = |source| StoreError::State { path: path.clone(), source };
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(state_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(state_error)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { path: path.clone(), source })?;
        Ok(StateDb { path, pool })
    }

    /// Records a finished ingest run.
    pub async fn record_ingest(
        &self,
        started_at: DateTime<Utc>,
        origin: &str,
        accepted: u64,
        duplicates: u64,
        rejected: u64,
    ) -> Result<i64, StoreError> {
        let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        let row = sqlx::query(
            "INSERT INTO ingest_runs (started_at, finished_at, origin, accepted, duplicates, rejected) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(started_at.to_rfc3339())
        .bind(Utc::now().to_rfc3339())
        .bind(origin)
        .bind(count(accepted))
        .bind(count(duplicates))
        .bind(count(rejected))
        .fetch_one(&self.pool)
        .await
        .map_err(|source| StoreError::State { path: self.path.clone(), source })?;
        Ok(row.get::<i64, _>(0))
    }

    /// The most recent ingest runs, newest first.
    pub async fn ingest_runs(&self, limit: u32) -> Result<Vec<IngestRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, started_at, finished_at, origin, accepted, duplicates, rejected \
             FROM ingest_runs ORDER BY id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|source| StoreError::State { path: self.path.clone(), source })?;
        let parse_time =
            |text: String| DateTime::parse_from_rfc3339(&text).map(|time| time.with_timezone(&Utc)).unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|row| IngestRun {
                id: row.get(0),
                started_at: parse_time(row.get(1)),
                finished_at: parse_time(row.get(2)),
                origin: row.get(3),
                accepted: row.get(4),
                duplicates: row.get(5),
                rejected: row.get(6),
            })
            .collect())
    }

    /// The connection pool, for later features' own tables.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
