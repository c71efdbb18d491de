//! The PostgreSQL side of `saker bench ingest|tools --backend postgres|both`: the database
//! named by `--database-url` or `SAKER_DATABASE_URL` (never shown with its password), migrated
//! as a replica migrates it, emptied only when asked, loaded through `saker ingest` with a
//! `store: {backend: postgres}` config exactly as a user loads it, and described (server
//! version, the settings that matter for the figures, size on disk).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use saker_tools::store::database::{self, ConnectRetry, DatabaseUrl};
use serde::Serialize;
use sqlx::PgPool;

/// Which alert store a benchmark measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum BenchBackend {
    /// The data directory's tantivy index.
    Embedded,
    /// The PostgreSQL store of `--database-url`.
    Postgres,
    /// Both, one after the other in the same run.
    Both,
}

impl BenchBackend {
    /// Whether the embedded index is measured.
    pub(super) fn embedded(self) -> bool {
        matches!(self, BenchBackend::Embedded | BenchBackend::Both)
    }

    /// Whether PostgreSQL is measured.
    pub(super) fn postgres(self) -> bool {
        matches!(self, BenchBackend::Postgres | BenchBackend::Both)
    }
}

/// The backend options of `bench ingest` and `bench tools`.
#[derive(Debug, Clone, Args)]
pub(super) struct BackendArgs {
    /// The alert store to measure: the embedded index, PostgreSQL, or both in one run.
    #[arg(long, value_enum, default_value_t = BenchBackend::Embedded)]
    pub backend: BenchBackend,
    /// The PostgreSQL database for `--backend postgres|both`
    /// (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`; prefer the environment variable, which
    /// no process listing shows).
    #[arg(long, env = "SAKER_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Empty the database's alert store first (drops its day partitions and ids; the state and
    /// sessions stay). Without it, a database holding other alerts is refused.
    #[arg(long)]
    pub reset_database: bool,
}

impl BackendArgs {
    /// The benchmark database, connected and migrated, when PostgreSQL is measured.
    pub(super) fn database(&self) -> anyhow::Result<Option<BenchDatabase>> {
        if !self.backend.postgres() {
            return Ok(None);
        }
        let Some(text) = self.database_url.as_deref().filter(|text| !text.trim().is_empty()) else {
            bail!("--backend postgres needs the database: --database-url or SAKER_DATABASE_URL");
        };
        let url = DatabaseUrl::parse(text).context("--database-url / SAKER_DATABASE_URL")?;
        BenchDatabase::open(url).map(Some)
    }
}

/// The PostgreSQL server a run measured.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ServerInfo {
    /// The database, without its password.
    pub database: String,
    /// `SELECT version()`.
    pub version: String,
    /// The settings that shape the figures, as `SHOW` prints them.
    pub settings: Vec<(String, String)>,
}

/// Settings reported beside the figures.
const REPORTED_SETTINGS: &[&str] = &[
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "effective_cache_size",
    "synchronous_commit",
    "fsync",
    "full_page_writes",
    "wal_level",
    "max_wal_size",
    "checkpoint_timeout",
    "max_parallel_workers_per_gather",
    "jit",
];

/// A connection to the benchmark database, on a small runtime of its own (the alert store that
/// the tools read opens its own connections).
pub(super) struct BenchDatabase {
    url: DatabaseUrl,
    runtime: tokio::runtime::Runtime,
    pool: PgPool,
}

impl BenchDatabase {
    fn open(url: DatabaseUrl) -> anyhow::Result<BenchDatabase> {
        let runtime = super::common::runtime()?;
        let pool = runtime
            .block_on(async {
                saker::storage::migrate_postgres(&url, ConnectRetry::default()).await?;
                anyhow::Ok(database::connect(&url, ConnectRetry::default(), 1).await?)
            })
            .with_context(|| format!("cannot open the PostgreSQL database {url}"))?;
        Ok(BenchDatabase { url, runtime, pool })
    }

    /// The database, for messages (without its password).
    pub(super) fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The URL with its password, for the alert store and the `saker ingest` child only.
    pub(super) fn secret_url(&self) -> &str {
        self.url.expose_secret()
    }

    /// How many alerts the store holds.
    pub(super) fn alert_count(&self) -> anyhow::Result<u64> {
        let count: i64 = self
            .runtime
            .block_on(sqlx::query_scalar("SELECT count(*) FROM alert_ids").fetch_one(&self.pool))
            .with_context(|| format!("cannot count the alerts of {}", self.url))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Whether an alert with this id is stored.
    pub(super) fn holds(&self, id: &str) -> anyhow::Result<bool> {
        self.runtime
            .block_on(
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM alert_ids WHERE id = $1)")
                    .bind(id)
                    .fetch_one(&self.pool),
            )
            .with_context(|| format!("cannot read the alert ids of {}", self.url))
    }

    /// Empties the alert store: every day partition dropped, the ids deleted.
    pub(super) fn reset(&self) -> anyhow::Result<()> {
        self.runtime
            .block_on(async {
                let mut transaction = self.pool.begin().await?;
                sqlx::query(include_str!("bench_reset.sql")).execute(&mut *transaction).await?;
                sqlx::query("TRUNCATE alert_ids").execute(&mut *transaction).await?;
                transaction.commit().await
            })
            .with_context(|| format!("cannot empty the alert store of {}", self.url))
    }

    /// The database's size on disk (`pg_database_size`: tables, indexes and catalogs, no WAL).
    pub(super) fn size_bytes(&self) -> anyhow::Result<u64> {
        let size: i64 = self
            .runtime
            .block_on(sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&self.pool))
            .with_context(|| format!("cannot read the size of {}", self.url))?;
        Ok(u64::try_from(size).unwrap_or(0))
    }

    /// `VACUUM (ANALYZE)` of the alert tables (untimed, after a load): the planner statistics,
    /// and the visibility map that lets the tools' aggregations run as index-only scans, as
    /// autovacuum leaves them once a day's partition is no longer written.
    pub(super) fn vacuum_analyze(&self) -> anyhow::Result<()> {
        self.runtime
            .block_on(sqlx::query("VACUUM (ANALYZE) alerts, alert_ids").execute(&self.pool))
            .map(|_| ())
            .with_context(|| format!("cannot vacuum the alert tables of {}", self.url))
    }

    /// The server's version and settings.
    pub(super) fn server(&self) -> anyhow::Result<ServerInfo> {
        self.runtime
            .block_on(async {
                let version: String = sqlx::query_scalar("SELECT version()").fetch_one(&self.pool).await?;
                let mut settings = Vec::new();
                for name in REPORTED_SETTINGS {
                    let value: String =
                        sqlx::query_scalar("SELECT current_setting($1)").bind(*name).fetch_one(&self.pool).await?;
                    settings.push(((*name).to_string(), value));
                }
                Ok::<_, sqlx::Error>(ServerInfo { database: self.url.to_string(), version, settings })
            })
            .with_context(|| format!("cannot read the settings of {}", self.url))
    }

    /// Makes sure the store is empty before a load: emptied with `reset`, else refused when it
    /// holds alerts (a load into it would measure duplicates).
    pub(super) fn prepare_empty(&self, reset: bool) -> anyhow::Result<()> {
        if reset {
            eprintln!("emptying the alert store of {}", self.url);
            return self.reset();
        }
        let held = self.alert_count()?;
        if held > 0 {
            bail!(
                "the database {} already holds {held} alerts: pass --reset-database to empty its alert store, or \
                 name another database",
                self.url
            );
        }
        Ok(())
    }

    /// A `saker ingest` of `input` into this database, as a user runs it: a config file with
    /// `store: {backend: postgres}` in `work_dir`, the URL in the child's environment only.
    pub(super) fn ingest_command(&self, work_dir: &Path, input: &Path) -> anyhow::Result<Command> {
        let config = write_config(work_dir)?;
        let data_dir = work_dir.join("postgres-data");
        std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let executable = std::env::current_exe().context("cannot find the saker executable")?;
        let mut command = Command::new(executable);
        command
            .args(["ingest", "--json", "--config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg(input)
            .env(saker::config::DEFAULT_DATABASE_URL_ENV, self.secret_url());
        Ok(command)
    }
}

/// `<work_dir>/saker-postgres.yaml`: the store section a PostgreSQL deployment has.
fn write_config(work_dir: &Path) -> anyhow::Result<PathBuf> {
    let path = work_dir.join("saker-postgres.yaml");
    let text = format!(
        "# Written by saker bench: the alerts go to the database in ${env}.\nstore:\n  backend: postgres\n  url_env: \
         {env}\n",
        env = saker::config::DEFAULT_DATABASE_URL_ENV
    );
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The id of the first alert of a generated file, to tell whether a store holds that file.
pub(super) fn first_alert_id(input: &Path) -> anyhow::Result<String> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let mut line = String::new();
    std::io::BufReader::new(file).read_line(&mut line).with_context(|| format!("cannot read {}", input.display()))?;
    let parsed = saker_tools::alert::parse_alert_with_warnings(line.trim(), None)
        .with_context(|| format!("the first line of {} is not an alert", input.display()))?;
    Ok(parsed.alert.id)
}
