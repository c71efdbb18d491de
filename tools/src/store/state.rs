//! Saker's state database: ingest history and response actions with their append-only
//! history (`crate::actions::ActionLedger`). Embedded: `<data-dir>/state.sqlite` through sqlx,
//! commits synchronous (`synchronous = FULL`), so an acknowledged approval survives a power
//! loss. Shared: the PostgreSQL database several replicas use (migrations 100–199 of
//! `tools/migrations/postgres/`). Every query is written in both dialects, next to each other.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};

use super::StoreError;
use super::database::{self, ConnectRetry, DatabaseError, DatabaseUrl};

/// The connection pool of a state database, by backend.
#[derive(Debug, Clone)]
pub enum StatePool {
    /// `<data-dir>/state.sqlite`.
    Sqlite(SqlitePool),
    /// The shared PostgreSQL database.
    Postgres(PgPool),
}

/// Where a state database is, for errors.
#[derive(Debug, Clone)]
enum Location {
    File(PathBuf),
    Database(DatabaseUrl),
}

/// The state database of one data directory, or of every replica sharing a PostgreSQL
/// database.
#[derive(Debug, Clone)]
pub struct StateDb {
    location: Location,
    pool: StatePool,
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
        Ok(StateDb { location: Location::File(path), pool: StatePool::Sqlite(pool) })
    }

    /// Connects to the shared PostgreSQL database at `url` (retrying as `retry` says while it
    /// is unreachable) and runs the migrations of `tools/migrations/postgres/`.
    pub async fn connect_postgres(url: &DatabaseUrl, retry: ConnectRetry) -> Result<StateDb, StoreError> {
        let pool = database::connect(url, retry, 8).await?;
        database::migrate(&pool, &database::tools_migrator(), url).await?;
        Ok(StateDb::on_postgres(pool, url.clone()))
    }

    /// The state in an already connected and migrated PostgreSQL pool.
    pub fn on_postgres(pool: PgPool, url: DatabaseUrl) -> StateDb {
        StateDb { location: Location::Database(url), pool: StatePool::Postgres(pool) }
    }

    /// The error of a failed query, naming the file or the database (never its password).
    pub fn error(&self, source: sqlx::Error) -> StoreError {
        match &self.location {
            Location::File(path) => StoreError::State { path: path.clone(), source },
            Location::Database(url) => StoreError::Database(DatabaseError::Query { database: url.to_string(), source }),
        }
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
        let (started_at, finished_at) = (started_at.to_rfc3339(), Utc::now().to_rfc3339());
        let id = match &self.pool {
            StatePool::Sqlite(pool) => sqlx::query(
                "INSERT INTO ingest_runs (started_at, finished_at, origin, accepted, duplicates, rejected) \
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(started_at)
            .bind(finished_at)
            .bind(origin)
            .bind(count(accepted))
            .bind(count(duplicates))
            .bind(count(rejected))
            .fetch_one(pool)
            .await
            .map(|row| row.get::<i64, _>(0)),
            StatePool::Postgres(pool) => sqlx::query(
                "INSERT INTO ingest_runs (started_at, finished_at, origin, accepted, duplicates, rejected) \
                 VALUES ($1::timestamptz, $2::timestamptz, $3, $4, $5, $6) RETURNING id",
            )
            .bind(started_at)
            .bind(finished_at)
            .bind(origin)
            .bind(count(accepted))
            .bind(count(duplicates))
            .bind(count(rejected))
            .fetch_one(pool)
            .await
            .map(|row| row.get::<i64, _>(0)),
        };
        id.map_err(|source| self.error(source))
    }

    /// The most recent ingest runs, newest first.
    pub async fn ingest_runs(&self, limit: u32) -> Result<Vec<IngestRun>, StoreError> {
        let parse_time =
            |text: String| DateTime::parse_from_rfc3339(&text).map(|time| time.with_timezone(&Utc)).unwrap_or_default();
        macro_rules! decode {
            ($rows:expr) => {
                $rows
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
                    .collect()
            };
        }
        match &self.pool {
            StatePool::Sqlite(pool) => sqlx::query(
                "SELECT id, started_at, finished_at, origin, accepted, duplicates, rejected \
                 FROM ingest_runs ORDER BY id DESC LIMIT ?",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map(|rows| decode!(rows)),
            StatePool::Postgres(pool) => sqlx::query(
                "SELECT id, saker_time_text(started_at), saker_time_text(finished_at), origin, accepted, duplicates, \
                 rejected FROM ingest_runs ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map(|rows| decode!(rows)),
        }
        .map_err(|source| self.error(source))
    }

    /// The connection pool, for the ledger's tables (and the sessions', which share the
    /// PostgreSQL pool).
    pub fn pool(&self) -> &StatePool {
        &self.pool
    }

    /// Whether the database answers now (for `/readyz`); always for the embedded one.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.pool {
            StatePool::Sqlite(_) => Ok(()),
            StatePool::Postgres(pool) => database::ping(pool).await.map_err(|source| self.error(source)),
        }
    }
}
