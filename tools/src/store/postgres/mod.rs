//! The PostgreSQL alert store: the same traits as the embedded backend over one shared
//! database, so several Saker replicas can ingest and query the same alerts.
//!
//! The store traits are synchronous (callers run them on `spawn_blocking`), sqlx is async: the
//! store owns a small tokio runtime and blocks on it, which works from plain threads and from
//! the blocking pool of another runtime alike (never from inside an async task).
//!
//! Layout: `rows` derives the columns of an alert, `writer` inserts batches idempotently and
//! creates the day partitions, `scope_sql` and `text_sql` compile scopes and full-text queries
//! to SQL with bind parameters only, `queries` implements [`AlertStore`].

mod queries;
mod rows;
mod scope_sql;
mod text_sql;
mod writer;

pub use writer::PostgresAlertWriter;

use std::borrow::Cow;
use std::collections::HashSet;
use std::future::Future;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::StoreError;

/// Migration versions this crate owns in `tools/migrations/postgres/` (the state tables use
/// 100–199 in the same directory, the assistant 200 and up).
const ALERT_MIGRATIONS: std::ops::RangeInclusive<i64> = 1..=99;

/// How long to wait for a connection before reporting the database unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections the store keeps open at most.
const MAX_CONNECTIONS: u32 = 8;

/// The PostgreSQL-backed alert store.
pub struct PostgresStore {
    /// `Some` until dropped: shut down without blocking, so dropping the store inside an async
    /// task is safe.
    runtime: Option<tokio::runtime::Runtime>,
    pool: PgPool,
    target: String,
    /// Day partitions known to exist (day numbers since the epoch).
    partitions: Mutex<HashSet<i64>>,
    /// Cluster the next writer assumes for alerts that carry none.
    ingest_cluster: Mutex<Option<String>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("PostgresStore").field("target", &self.target).finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`).
    ///
    /// Fails with [`StoreError::Postgres`] naming the host, port and database when the URL is
    /// malformed or the server cannot be reached or refuses the login. Does not migrate: call
    /// [`PostgresStore::migrate`] (or `saker migrate`) once per database.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|source| StoreError::Postgres {
            target: redacted_target(url),
            action: "the database URL is not valid",
            source,
        })?;
        let target = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_else(|| options.get_username())
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("saker-postgres")
            .enable_all()
            .build()
            .map_err(|error| StoreError::Postgres {
                target: target.clone(),
                action: "starting the database runtime",
                source: sqlx::Error::Io(error),
            })?;
        let pool = runtime
            .block_on(
                PgPoolOptions::new()
                    .max_connections(MAX_CONNECTIONS)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options),
            )
            .map_err(|source| StoreError::Postgres {
                target: target.clone(),
                action: "cannot connect (is the server running, reachable from here, and the login right?)",
                source,
            })?;
        Ok(PostgresStore {
            runtime: Some(runtime),
            pool,
            target,
            partitions: Mutex::new(HashSet::new()),
            ingest_cluster: Mutex::new(None),
        })
    }

    /// Creates or updates the alert tables (migrations 1–99 of `tools/migrations/postgres/`).
    /// Safe to run from several processes at once (sqlx takes an advisory lock) and beside the
    /// migrations of the other version ranges in the same database.
    pub fn migrate(&self) -> Result<(), StoreError> {
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        let own: Vec<sqlx::migrate::Migration> = migrator
            .migrations
            .iter()
            .filter(|migration| ALERT_MIGRATIONS.contains(&migration.version))
            .cloned()
            .collect();
        migrator.migrations = Cow::Owned(own);
        migrator.set_ignore_missing(true);
        self.block_on(migrator.run(&self.pool))
            .map_err(|source| StoreError::PostgresMigrate { target: self.target.clone(), source })
    }

    /// Sets the cluster the next writer assumes for alerts that carry none (`--cluster`).
    pub fn set_ingest_cluster(&self, cluster: Option<String>) {
        if let Ok(mut current) = self.ingest_cluster.lock() {
            *current = cluster.filter(|name| !name.is_empty());
        }
    }

    /// Refreshes the planner statistics of the alert tables (after a large ingest; autovacuum
    /// does it too, later).
    pub fn analyze(&self) -> Result<(), StoreError> {
        self.block_on(sqlx::query("ANALYZE alerts, alert_ids").execute(&self.pool))
            .map(|_| ())
            .map_err(|source| self.error("analyzing the alert tables", source))
    }

    /// `host:port/database`, for messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The connection pool (for the state tables that share the database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn error(&self, action: &'static str, source: sqlx::Error) -> StoreError {
        StoreError::Postgres { target: self.target.clone(), action, source }
    }

    /// Runs `future` on the store's runtime and waits for it.
    fn block_on<T, E: From<sqlx::Error>>(&self, future: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        match &self.runtime {
            Some(runtime) => runtime.block_on(future),
            // Only `drop` takes the runtime away.
            None => Err(E::from(sqlx::Error::PoolClosed)),
        }
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `host:port/database` of a URL that did not parse, without the user info.
fn redacted_target(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let rest = &url[after_scheme..];
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split('?').next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_password_of_a_bad_url() {
        assert_eq!(redacted_target("postgres://saker:secret@db:5432/alerts?x=1"), "db:5432/alerts");
        assert_eq!(redacted_target("nonsense"), "nonsense");
    }
}
