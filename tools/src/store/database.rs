//! The PostgreSQL database several Saker replicas share: its URL (never shown with its
//! password), connecting with bounded retries and backoff (a replica may start before its
//! database), and the migrations of `tools/migrations/postgres/` (alert store: versions 1–99,
//! state: 100–199; the assistant's sessions use 200 and up in the same database).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Why the shared database could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// The URL is not a PostgreSQL URL. The message never repeats the URL (it may hold a
    /// password).
    #[error(
        "the database URL is not a PostgreSQL URL (allowed: postgres://USER:PASSWORD@HOST:PORT/DATABASE): {problem}"
    )]
    InvalidUrl {
        /// What is wrong.
        problem: String,
    },
    /// No connection could be made within the retries.
    #[error(
        "the PostgreSQL database at {address} is unreachable after {attempts} attempts over {waited_seconds} s: {source}"
    )]
    Unreachable {
        /// `host:port`.
        address: String,
        /// Connection attempts made.
        attempts: u32,
        /// Seconds spent waiting between them.
        waited_seconds: u64,
        /// The last attempt's error.
        #[source]
        source: sqlx::Error,
    },
    /// A query failed.
    #[error("database {database}: {source}")]
    Query {
        /// The database, as [`DatabaseUrl`] shows it (no password).
        database: String,
        /// The underlying error.
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be migrated.
    #[error("database {database}: migration failed: {source}")]
    Migrate {
        /// The database, as [`DatabaseUrl`] shows it (no password).
        database: String,
        /// The underlying error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// A PostgreSQL URL. It displays (and debug-prints) as `postgres://USER@HOST:PORT/DATABASE`,
/// without the password, so it can appear in errors and logs.
#[derive(Clone)]
pub struct DatabaseUrl {
    options: Arc<PgConnectOptions>,
    secret: Arc<str>,
    shown: String,
}

impl DatabaseUrl {
    /// Parses `url` (`postgres://` or `postgresql://`).
    pub fn parse(url: &str) -> Result<DatabaseUrl, DatabaseError> {
        let trimmed = url.trim();
        if !(trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://")) {
            return Err(DatabaseError::InvalidUrl {
                problem: "it must start with postgres:// or postgresql://".into(),
            });
        }
        let options = PgConnectOptions::from_str(trimmed).map_err(|error| DatabaseError::InvalidUrl {
            // sqlx's parse errors describe the syntax, never the text parsed.
            problem: error.to_string(),
        })?;
        let shown = format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or(options.get_username())
        );
        Ok(DatabaseUrl { options: Arc::new(options), secret: Arc::from(trimmed), shown })
    }

    /// `host:port`, for the errors that say where the database was looked for.
    pub fn address(&self) -> String {
        format!("{}:{}", self.options.get_host(), self.options.get_port())
    }

    /// The connection options (with the password).
    pub fn options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// The URL as given, with its password: only for connecting (the alert store takes a URL),
    /// never for a message.
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.shown)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_tuple("DatabaseUrl").field(&self.shown).finish()
    }
}

/// How a process waits for its database at start: `attempts` connections of at most
/// `attempt_timeout` each, the first retry after `first_delay`, each wait doubling up to
/// `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectRetry {
    /// Connection attempts in all (at least one is made).
    pub attempts: u32,
    /// The wait before the second attempt.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// How long one attempt may take (sqlx retries a refused connection within it).
    pub attempt_timeout: Duration,
}

impl Default for ConnectRetry {
    /// Six attempts of up to 5 s with waits of 0.25 to 4 s between them (at most about 38 s):
    /// long enough for a database pod that starts beside Saker, short enough that a wrong
    /// address is reported while someone is watching.
    fn default() -> Self {
        ConnectRetry {
            attempts: 6,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            attempt_timeout: ACQUIRE_TIMEOUT,
        }
    }
}

/// How long one connection attempt takes at most by default.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects a pool of at most `max_connections` to `url`, retrying as `retry` says while the
/// server cannot be reached or is starting up. Errors a retry cannot fix (a refused password,
/// a missing database) are returned at once.
pub async fn connect(url: &DatabaseUrl, retry: ConnectRetry, max_connections: u32) -> Result<PgPool, DatabaseError> {
    let mut delay = retry.first_delay;
    let mut waited = Duration::ZERO;
    let attempts = retry.attempts.max(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let connected = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(retry.attempt_timeout)
            .connect_with(url.options().clone())
            .await;
        match connected {
            Ok(pool) => return Ok(pool),
            Err(source) if attempt < attempts && is_transient(&source) => {
                tracing::warn!(database = %url, attempt, details = %source, "database not reachable yet, retrying");
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(retry.max_delay);
            }
            Err(source) if is_transient(&source) => {
                return Err(DatabaseError::Unreachable {
                    address: url.address(),
                    attempts: attempt,
                    waited_seconds: waited.as_secs(),
                    source,
                });
            }
            Err(source) => return Err(DatabaseError::Query { database: url.to_string(), source }),
        }
    }
}

/// Whether waiting may help: no route, refused or reset connections, timeouts, a server that is
/// starting up or has no connection slot free.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(database) => {
            // 57P03 cannot_connect_now (starting up), 53300 too_many_connections.
            matches!(database.code().as_deref(), Some("57P03") | Some("53300"))
        }
        _ => false,
    }
}

/// The migrations of `tools/migrations/postgres/`: the alert store's (versions 1–99) and the
/// state's (100–199). Migrations of other versions in the same database (the assistant's) are
/// not errors.
pub fn tools_migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

/// Runs `migrator` on `pool` (under PostgreSQL's advisory lock, so replicas that start
/// together migrate once).
pub async fn migrate(pool: &PgPool, migrator: &Migrator, url: &DatabaseUrl) -> Result<(), DatabaseError> {
    migrator.run(pool).await.map_err(|source| DatabaseError::Migrate { database: url.to_string(), source })
}

/// How long a readiness check waits for the database.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the database answers a query now (for readiness checks), within [`PING_TIMEOUT`].
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    match tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(pool)).await {
        Ok(answered) => answered.map(|_| ()),
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_shown_without_its_password() {
        let url = DatabaseUrl::parse("postgres://saker:s3cret@db.example:6432/alerts").expect("parses");
        assert_eq!(url.to_string(), "postgres://saker@db.example:6432/alerts");
        assert_eq!(format!("{url:?}"), "DatabaseUrl(\"postgres://saker@db.example:6432/alerts\")");
        assert_eq!(url.address(), "db.example:6432");
        assert!(!format!("{url} {url:?}").contains("s3cret"));
    }

    #[test]
    fn other_schemes_are_refused_without_repeating_the_url() {
        let error = DatabaseUrl::parse("mysql://root:hunter2@db/x").expect_err("not postgres");
        let message = error.to_string();
        assert!(message.contains("postgres://"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
