//! `saker ingest`: reads Falco alerts into the event store and reports what happened.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use saker_tools::ingest::{IngestSettings, IngestSummary, Ingestor, open_input};
use saker_tools::store::AlertStore;
use saker_tools::store::index::WriterSettings;

use super::common::{DataDirArgs, EXIT_FAILURE, EXIT_REJECTED, runtime};

/// Arguments of `saker ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// Cluster name for alerts that carry no `k8s.cluster.name` / `kubernetes.cluster.name`.
    #[arg(long)]
    cluster: Option<String>,
    /// Commit every N new alerts (a crash loses at most the uncommitted ones).
    #[arg(long, default_value_t = 100_000)]
    commit_every: usize,
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
    let store = arguments.data.open_store()?;
    store
        .set_writer_settings(WriterSettings { ingest_cluster: arguments.cluster.clone(), ..WriterSettings::default() });
    let writer = store.writer().context("cannot open the index for writing")?;
    let settings = IngestSettings { default_cluster: arguments.cluster.clone(), commit_every: arguments.commit_every };
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
    let runtime = runtime()?;
    let state = arguments.data.open_state(&runtime)?;
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
