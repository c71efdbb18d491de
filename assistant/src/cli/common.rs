//! Options and helpers shared by the subcommands: data directory, clock, time range, scope.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use saker_tools::scope::Scope;
use saker_tools::store::index::TantivyStore;
use saker_tools::store::state::StateDb;
use saker_tools::store::{AlertFilter, TimeRange};

/// Exit status for failures other than rejected input.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of `saker ingest` when some lines were rejected.
pub const EXIT_REJECTED: u8 = 3;

/// Where Saker keeps its data.
#[derive(Debug, Clone, Args)]
pub struct DataDirArgs {
    /// Data directory (index and state database).
    #[arg(long, env = "SAKER_DATA_DIR", default_value = "./saker-data")]
    pub data_dir: PathBuf,
}

impl DataDirArgs {
    /// Opens the event store of the data directory.
    pub fn open_store(&self) -> anyhow::Result<TantivyStore> {
        TantivyStore::open(&index_dir(&self.data_dir))
            .with_context(|| format!("cannot open the event store in {}", self.data_dir.display()))
    }

    /// Opens the state database of the data directory.
    pub fn open_state(&self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<StateDb> {
        runtime
            .block_on(StateDb::open(&self.data_dir))
            .with_context(|| format!("cannot open the state database in {}", self.data_dir.display()))
    }
}

/// The index directory inside a data directory.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

/// Scope and time range options of commands that query alerts.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Scope expression in Falco field syntax, e.g. `k8s.ns.name=prod and not proc.name=bash`.
    #[arg(long)]
    pub scope: Option<String>,
    /// Start of the time range (RFC 3339 or YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub since: Option<String>,
    /// End of the time range (RFC 3339 or YYYY-MM-DD), exclusive.
    #[arg(long)]
    pub until: Option<String>,
    /// Length of the time range ending now (or at --until): 30m, 24h, 7d, 2w.
    #[arg(long, conflicts_with = "since")]
    pub last: Option<String>,
    /// The current time (RFC 3339), for reproducible relative ranges; default the real clock.
    #[arg(long)]
    pub now: Option<String>,
}

impl FilterArgs {
    /// Resolves the options into a filter.
    pub fn filter(&self) -> anyhow::Result<AlertFilter> {
        let scope = Scope::parse(self.scope.as_deref().unwrap_or("")).context("invalid --scope")?;
        let now = parse_now(self.now.as_deref())?;
        let time = TimeRange::resolve(self.since.as_deref(), self.until.as_deref(), self.last.as_deref(), now)
            .context("invalid time range")?;
        Ok(AlertFilter { scope, time })
    }
}

/// Parses `--now`, defaulting to the real clock.
pub fn parse_now(now: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    match now {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .with_context(|| format!("--now {text:?} is not an RFC 3339 time (e.g. 2026-11-20T12:00:00Z)")),
    }
}

/// A small current-thread runtime for the async state database.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")
}
