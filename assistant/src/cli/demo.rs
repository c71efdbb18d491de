//! `saker demo`: loads the demo scenarios (the fixtures) into a data directory.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use saker_tools::ingest::{IngestSettings, IngestSummary, Ingestor, LineSource};
use saker_tools::store::AlertStore;

use super::common::{DataDirArgs, index_dir, runtime};

/// Arguments of `saker demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// Delete the data directory's index and state first, for a fresh start.
    #[arg(long)]
    reset: bool,
}

/// Runs `saker demo`.
pub fn run(arguments: DemoArgs) -> anyhow::Result<ExitCode> {
    let data_dir = &arguments.data.data_dir;
    if arguments.reset {
        for path in [index_dir(data_dir), data_dir.join("state.sqlite")] {
            if path.is_dir() {
                std::fs::remove_dir_all(&path).with_context(|| format!("cannot remove {}", path.display()))?;
            } else if path.exists() {
                std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
    }
    let summary = load_demo(&arguments.data)?;
    out!(
        "demo data in {}: accepted {}, duplicates {}, rejected {}",
        data_dir.display(),
        summary.accepted,
        summary.duplicates,
        summary.rejected
    );
    out!("the scenarios end at {}; try:", saker_fixtures::DEMO_NOW);
    out!(
        "  saker stats --data-dir {} --now {} --last 24h --scope kubernetes.cluster.name=risks-aws-eks-workloads-shield --by workload",
        data_dir.display(),
        saker_fixtures::DEMO_NOW
    );
    Ok(ExitCode::SUCCESS)
}

/// Ingests every demo scenario into an open store (the shared one of a `postgres`
/// configuration); ingesting again is a no-op thanks to stable alert ids. Blocking.
pub fn load_demo_into(store: &saker::storage::AlertStoreHandle) -> anyhow::Result<IngestSummary> {
    let writer = store.writer_for(None).context("cannot open the event store for writing")?;
    let mut ingestor = Ingestor::new(writer, IngestSettings::default());
    for (name, text) in saker_fixtures::scenario_files() {
        let mut source = LineSource::from_reader(&format!("{name}.jsonl"), std::io::Cursor::new(text.as_bytes()));
        ingestor.ingest_lines(&mut source, |_| {}).with_context(|| format!("demo scenario {name} failed"))?;
    }
    let summary = ingestor.finish().context("final commit failed")?;
    store.refresh().context("cannot refresh the event store")?;
    Ok(summary)
}

/// Ingests every demo scenario; ingesting again is a no-op thanks to stable alert ids.
pub fn load_demo(data: &DataDirArgs) -> anyhow::Result<IngestSummary> {
    let started_at = chrono::Utc::now();
    let store = data.open_store()?;
    let writer = store.writer().context("cannot open the index for writing")?;
    let mut ingestor = Ingestor::new(writer, IngestSettings::default());
    for (name, text) in saker_fixtures::scenario_files() {
        let mut source = LineSource::from_reader(&format!("{name}.jsonl"), std::io::Cursor::new(text.as_bytes()));
        ingestor.ingest_lines(&mut source, |_| {}).with_context(|| format!("demo scenario {name} failed"))?;
    }
    let summary = ingestor.finish().context("final commit failed")?;
    let runtime = runtime()?;
    let state = data.open_state(&runtime)?;
    runtime
        .block_on(state.record_ingest(started_at, "demo", summary.accepted, summary.duplicates, summary.rejected))
        .context("cannot record the ingest run")?;
    Ok(summary)
}
