//! What a process opens for its data, by `store.backend` ([`crate::config::StoreBackend`]):
//! the alert store, the state database (ingest history, action ledger) and the sessions. The
//! embedded backend keeps them in the data directory (tantivy and SQLite); the PostgreSQL
//! backend keeps them in one database every replica shares, reached with bounded retries and
//! migrated at start (under PostgreSQL's advisory lock, so replicas starting together migrate
//! once): the alerts in `saker_tools::store::postgres::PostgresStore`, the state and sessions
//! on one pool of their own.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use saker_tools::store::database::{self, ConnectRetry, DatabaseError, DatabaseUrl};
use saker_tools::store::index::{TantivyStore, WriterSettings};
use saker_tools::store::postgres::PostgresStore;
use saker_tools::store::state::{StateDb, StatePool};
use saker_tools::store::{AlertStore, AlertWriter, StoreError};

use crate::config::StoreBackend;
use crate::conversation::{ConversationError, SessionStore};

/// Why the data could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The alert store or the state database failed (unreachable, refused, not migrated).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The session database failed.
    #[error("session database: {0}")]
    Sessions(#[from] ConversationError),
}

/// The alert store as every caller sees it (`Arc<dyn AlertStore>`), plus what the writer
/// needs of the concrete backend: the cluster assumed for alerts carrying none (both backends),
/// the embedded writer's settings and its reader refresh that makes a commit visible at once.
#[derive(Clone)]
pub struct AlertStoreHandle {
    store: Arc<dyn AlertStore>,
    backend: Concrete,
}

#[derive(Clone)]
enum Concrete {
    Embedded(Arc<TantivyStore>),
    Postgres(Arc<PostgresStore>),
}

impl std::fmt::Debug for AlertStoreHandle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("AlertStoreHandle").field("shared", &self.is_shared()).finish_non_exhaustive()
    }
}

impl AlertStoreHandle {
    /// The embedded tantivy store.
    pub fn embedded(store: Arc<TantivyStore>) -> AlertStoreHandle {
        let shared: Arc<dyn AlertStore> = store.clone();
        AlertStoreHandle { store: shared, backend: Concrete::Embedded(store) }
    }

    /// The PostgreSQL store several replicas share; its commits every reader sees at once.
    pub fn postgres(store: Arc<PostgresStore>) -> AlertStoreHandle {
        let shared: Arc<dyn AlertStore> = store.clone();
        AlertStoreHandle { store: shared, backend: Concrete::Postgres(store) }
    }

    /// Whether other processes write the same store (so a commit may find alerts another
    /// replica stored meanwhile, and is best made per request).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Concrete::Postgres(_))
    }

    /// The store, for the tools.
    pub fn store(&self) -> &Arc<dyn AlertStore> {
        &self.store
    }

    /// A writer for alerts ingested with `cluster` assumed for those that carry none.
    pub fn writer_for(&self, cluster: Option<String>) -> Result<Box<dyn AlertWriter + '_>, StoreError> {
        match &self.backend {
            Concrete::Embedded(embedded) => {
                embedded.set_writer_settings(WriterSettings { ingest_cluster: cluster, ..WriterSettings::default() })
            }
            Concrete::Postgres(postgres) => postgres.set_ingest_cluster(cluster),
        }
        self.store.writer()
    }

    /// Makes the last commit visible to the next query (the embedded reader reloads; a shared
    /// database needs nothing).
    pub fn refresh(&self) -> Result<(), StoreError> {
        match &self.backend {
            Concrete::Embedded(embedded) => embedded.refresh(),
            Concrete::Postgres(_) => Ok(()),
        }
    }
}

impl From<Arc<TantivyStore>> for AlertStoreHandle {
    fn from(store: Arc<TantivyStore>) -> AlertStoreHandle {
        AlertStoreHandle::embedded(store)
    }
}

/// The opened data of one process.
#[derive(Debug, Clone)]
pub struct Storage {
    /// The alerts.
    pub alerts: AlertStoreHandle,
    /// Ingest history and the action ledger.
    pub state: StateDb,
    /// Conversations.
    pub sessions: SessionStore,
    /// The shared database, when there is one (for `/readyz`).
    pub database: Option<DatabaseUrl>,
}

/// The index directory inside a data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

impl Storage {
    /// Opens the data of `backend`: the files of `data_dir`, or the shared database (waiting
    /// for it as `retry` says, then migrating it).
    pub async fn open(backend: &StoreBackend, data_dir: &Path, retry: ConnectRetry) -> Result<Storage, StorageError> {
        match backend {
            StoreBackend::Embedded => {
                let alerts = Arc::new(TantivyStore::open(&index_dir(data_dir))?);
                let state = StateDb::open(data_dir).await?;
                let sessions = SessionStore::open(data_dir).await?;
                Ok(Storage { alerts: AlertStoreHandle::embedded(alerts), state, sessions, database: None })
            }
            StoreBackend::Postgres { url, .. } => {
                let state = StateDb::connect_postgres(url, retry).await?;
                let StatePool::Postgres(pool) = state.pool().clone() else {
                    return Err(StorageError::Store(StoreError::Database(DatabaseError::InvalidUrl {
                        problem: "the state database is not PostgreSQL".into(),
                    })));
                };
                let sessions = SessionStore::on_postgres(pool).await?;
                let alerts = open_postgres_alerts(url).await?;
                Ok(Storage { alerts, state, sessions, database: Some(url.clone()) })
            }
        }
    }

    /// Whether every database answers now: `Err` says which does not, and why.
    pub async fn ready(&self) -> Result<(), String> {
        let unreachable = |details: String| match &self.database {
            Some(url) => format!("database unreachable: {} ({details})", url.address()),
            None => format!("database unreachable: {details}"),
        };
        self.state.ping().await.map_err(|error| unreachable(error.to_string()))?;
        self.sessions.ping().await.map_err(|error| unreachable(error.to_string()))?;
        Ok(())
    }
}

/// The alert store of the shared database, connected on the blocking pool (the store runs its
/// own runtime and must not be opened inside an async task). The state's connection has
/// already waited for the database and run every tools migration, the alert tables' too.
async fn open_postgres_alerts(url: &DatabaseUrl) -> Result<AlertStoreHandle, StorageError> {
    let secret = url.expose_secret().to_string();
    let store = tokio::task::spawn_blocking(move || PostgresStore::connect(&secret))
        .await
        .map_err(|error| StoreError::Database(DatabaseError::InvalidUrl { problem: error.to_string() }))??;
    Ok(AlertStoreHandle::postgres(Arc::new(store)))
}

/// Runs every PostgreSQL migration (the tools': alert store and state; the assistant's:
/// sessions) on the database at `url`.
pub async fn migrate_postgres(url: &DatabaseUrl, retry: ConnectRetry) -> Result<(), StorageError> {
    let pool = database::connect(url, retry, 2).await.map_err(StoreError::from)?;
    database::migrate(&pool, &database::tools_migrator(), url).await.map_err(StoreError::from)?;
    crate::conversation::postgres_migrator()
        .run(&pool)
        .await
        .map_err(|source| StoreError::Database(DatabaseError::Migrate { database: url.to_string(), source }))?;
    pool.close().await;
    Ok(())
}
