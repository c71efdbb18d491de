//! `saker ingest`: reads Falco alerts into the event store the config's `store:` section
//! names (the data directory's embedded index, or the shared PostgreSQL database) and reports
//! what happened.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use saker::config::{SakerConfig, StoreBackend};
use saker::storage::{AlertStoreHandle, Storage};
use saker_tools::ingest::{IngestSettings, IngestSummary, Ingestor, open_input};
use saker_tools::store::database::ConnectRetry;
use saker_tools::store::state::StateDb;

use super::common::{DataDirArgs, EXIT_FAILURE, EXIT_REJECTED, runtime};

/// Alerts per commit on the embedded index by default.
const EMBEDDED_COMMIT_EVERY: usize = 100_000;
/// Alerts per commit (one transaction) on PostgreSQL by default: a batch is held in memory
/// column by column until it commits, so 100,000 took the process to 866 MiB on 1M alerts and
/// 10,000 to 237 MiB (at 100k alerts both took the same time; BENCHMARKS.md).
const POSTGRES_COMMIT_EVERY: usize = 10_000;

/// Arguments of `saker ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// Config file (YAML); its `store:` section says where the alerts go (default
    /// `<data-dir>/saker.yaml` when it exists, else the data directory's embedded index).
    #[arg(long, env = "SAKER_CONFIG")]
    config: Option<PathBuf>,
    /// Cluster name for alerts that carry no `k8s.cluster.name` / `kubernetes.cluster.name`.
    #[arg(long)]
    cluster: Option<String>,
    /// Commit every N new alerts (a crash loses at most the uncommitted ones); default
    /// 100,000 on the embedded index, 10,000 on PostgreSQL (one transaction each).
    #[arg(long)]
    commit_every: Option<usize>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// JSON Lines files (`.gz` accepted); `-` reads stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Runs `saker ingest`.
pub fn run(arguments: IngestArgs) -> anyhow::Result<ExitCode> {
    let started_at = chrono::Utc::now();
    let (config, _) = SakerConfig::discover(arguments.config.as_deref(), &arguments.data.data_dir)?;
    let backend = config.store_backend(|name| std::env::var(name).ok())?;
    let runtime = runtime()?;
    let (alerts, state) = open(&backend, &arguments.data, &runtime)?;
    let writer = alerts.writer_for(arguments.cluster.clone()).context("cannot open the event store for writing")?;
    let default_commit_every = match backend {
        StoreBackend::Embedded => EMBEDDED_COMMIT_EVERY,
        StoreBackend::Postgres { .. } => POSTGRES_COMMIT_EVERY,
    };
    let settings = IngestSettings {
        default_cluster: arguments.cluster.clone(),
        commit_every: arguments.commit_every.unwrap_or(default_commit_every),
    };
    let mut ingestor = Ingestor::new(writer, settings);

    let total_bytes: u64 =
        arguments.paths.iter().filter_map(|path| std::fs::metadata(path).ok()).map(|metadata| metadata.len()).sum();
    let progress = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let mut unreadable = Vec::new();
    let mut done_bytes = 0;
    for path in &arguments.paths {
        let mut source = match open_input(path) {
            Ok(source) => source,
            Err(error) => {
                unreadable.push(error.to_string());
                continue;
            }
        };
        let file_bytes = source.total_bytes().unwrap_or(0);
        ingestor
            .ingest_lines(&mut source, |bytes| {
                progress.set_position(done_bytes + bytes);
            })
            .with_context(|| format!("ingest of {} failed", source.origin()))?;
        done_bytes += file_bytes;
        let summary = ingestor.summary();
        progress.set_message(format!("{} accepted", summary.accepted));
    }
    let summary = ingestor.finish().context("final commit failed")?;
    progress.finish_and_clear();

    let origin = arguments.paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ");
    runtime
        .block_on(state.record_ingest(started_at, &origin, summary.accepted, summary.duplicates, summary.rejected))
        .context("cannot record the ingest run")?;

    print_summary(&summary, arguments.json, started_at)?;
    for problem in &unreadable {
        eprintln!("saker: error: {problem}");
    }
    Ok(if !unreadable.is_empty() {
        ExitCode::from(EXIT_FAILURE)
    } else if summary.rejected > 0 {
        ExitCode::from(EXIT_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The alert store and the state database of `backend`: the data directory's files, or the
/// shared PostgreSQL database (waited for with bounded retries and migrated, as a replica does
/// at start).
fn open(
    backend: &StoreBackend,
    data: &DataDirArgs,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<(AlertStoreHandle, StateDb)> {
    match backend {
        StoreBackend::Embedded => {
            let alerts = AlertStoreHandle::embedded(Arc::new(data.open_store()?));
            Ok((alerts, data.open_state(runtime)?))
        }
        StoreBackend::Postgres { url, url_env } => {
            let storage = runtime
                .block_on(Storage::open(backend, &data.data_dir, ConnectRetry::default()))
                .with_context(|| format!("cannot open the PostgreSQL database {url} ({url_env})"))?;
            Ok((storage.alerts, storage.state))
        }
    }
}

fn print_summary(summary: &IngestSummary, json: bool, started_at: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    if json {
        let mut value = serde_json::to_value(summary)?;
        if let Some(object) = value.as_object_mut() {
            let elapsed = chrono::Utc::now() - started_at;
            object.insert("elapsed_ms".into(), elapsed.num_milliseconds().into());
            object.insert("peak_rss_bytes".into(), peak_rss_bytes().into());
        }
        out!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    for repair in &summary.repairs {
        eprintln!("{}:{}: warning: stored after a repair: {}", repair.origin, repair.line, repair.reason);
    }
    for rejection in &summary.rejections {
        eprintln!("{rejection}");
    }
    let unlisted = summary.rejected.saturating_sub(summary.rejections.len() as u64);
    if unlisted > 0 {
        eprintln!("... and {unlisted} more rejected lines");
    }
    let repaired = if summary.repaired > 0 { format!(" ({} repaired)", summary.repaired) } else { String::new() };
    out!("accepted {}{repaired}, duplicates {}, rejected {}", summary.accepted, summary.duplicates, summary.rejected);
    Ok(())
}

/// This process's peak resident set size (`VmHWM` in /proc/self/status), 0 where unknown.
fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}
