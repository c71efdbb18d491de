//! Errors of the event store.

use std::path::PathBuf;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The index could not be opened, read or written.
    #[error("index at {path}: {source}")]
    Index {
        /// The index directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: tantivy::TantivyError,
    },
    /// The index was built by a Saker version with other indexed fields.
    #[error(
        "index at {path} was built by another version of Saker (its fields differ); ingest the alerts again into a new \
         data directory (`saker ingest --data-dir NEW ...`, or `saker demo --reset` for the demo data)"
    )]
    IncompatibleIndex {
        /// The index directory.
        path: PathBuf,
    },
    /// Another process holds the index writer lock.
    #[error("index at {path} is being written by another process (an ingest or server is running)")]
    Locked {
        /// The index directory.
        path: PathBuf,
    },
    /// The data directory could not be created or read.
    #[error("data directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A stored alert could not be read back (corruption or an incompatible version).
    #[error("stored alert {id}: {problem}")]
    Corrupt {
        /// The alert's id or document address.
        id: String,
        /// What failed.
        problem: String,
    },
    /// The caller stopped the work: its deadline passed or its client went away.
    #[error("{0}")]
    Interrupted(Interruption),
    /// The full-text query could not be parsed.
    #[error("text query {query:?}: {problem}")]
    TextQuery {
        /// The query as given.
        query: String,
        /// What is wrong.
        problem: String,
    },
    /// The state database failed.
    #[error("state database {path}: {source}")]
    State {
        /// The SQLite file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: sqlx::Error,
    },
    /// The state database schema could not be migrated.
    #[error("state database {path}: migration failed: {source}")]
    Migrate {
        /// The SQLite file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// The PostgreSQL alert store failed.
    #[error("postgresql at {target}: {action}: {source}")]
    Postgres {
        /// `host:port/database` (never the password).
        target: String,
        /// What Saker was doing, e.g. connecting or counting alerts.
        action: &'static str,
        /// The underlying error.
        #[source]
        source: sqlx::Error,
    },
    /// The PostgreSQL alert schema could not be migrated.
    #[error("postgresql at {target}: migrating the alert schema failed: {source}")]
    PostgresMigrate {
        /// `host:port/database` (never the password).
        target: String,
        /// The underlying error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// The shared PostgreSQL database is unreachable, refused a query or could not be migrated.
    #[error("{0}")]
    Database(#[from] super::database::DatabaseError),
}

/// Why a caller stopped a store read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interruption {
    /// The call ran past its deadline.
    #[error("the call ran longer than its deadline of {seconds} s; narrow the time range, the scope or the groupings")]
    Deadline {
        /// The deadline, in seconds.
        seconds: u64,
    },
    /// The client that asked went away.
    #[error("the client that asked went away")]
    Cancelled,
}
