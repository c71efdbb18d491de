//! `saker bench`: reproducible performance measurements, each against a reference measured
//! in the same run (DuckDB for ingest), on the embedded index, PostgreSQL or both.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::bench_postgres::{BackendArgs, ServerInfo};

/// Arguments of `saker bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Ingest N generated alerts with `saker ingest` (into the embedded index, PostgreSQL or
    /// both), then load the same file into DuckDB.
    Ingest(IngestBenchArgs),
    /// Hot p50/p95 latency of each investigation tool (on the embedded index, PostgreSQL or
    /// both), against DuckDB running equivalent SQL.
    Tools(super::bench_tools::ToolsBenchArgs),
    /// Time to the complete answer of each seed question through the planner, against the
    /// same tool calls made directly.
    Chat(super::bench_chat::ChatBenchArgs),
    /// The HTTP API on loopback: time to the first SSE byte of a chat against a health round
    /// trip, and sustained concurrent chats.
    Serve(super::bench_serve::ServeBenchArgs),
}

#[derive(Debug, Args)]
struct IngestBenchArgs {
    #[command(flatten)]
    volume: VolumeArgs,
    #[command(flatten)]
    store: BackendArgs,
    /// Python interpreter with the `duckdb` package (`pip install duckdb`).
    #[arg(long, default_value = "python3")]
    python: String,
    /// Print JSON instead of a Markdown table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct IngestBenchReport {
    alerts: u64,
    input_bytes: u64,
    /// `saker ingest` into the embedded index.
    embedded: Option<Measurement>,
    /// `saker ingest` into PostgreSQL.
    postgres: Option<Measurement>,
    /// The PostgreSQL server measured.
    postgres_server: Option<ServerInfo>,
    duckdb: Option<Measurement>,
    duckdb_problem: Option<String>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
struct Measurement {
    seconds: f64,
    alerts_per_second: f64,
    peak_rss_bytes: u64,
    disk_bytes: u64,
}

/// Runs `saker bench`.
pub fn run(arguments: BenchArgs) -> anyhow::Result<ExitCode> {
    match arguments.command {
        BenchCommand::Ingest(arguments) => bench_ingest(arguments),
        BenchCommand::Tools(arguments) => super::bench_tools::run(arguments),
        BenchCommand::Chat(arguments) => super::bench_chat::run(arguments),
        BenchCommand::Serve(arguments) => super::bench_serve::run(arguments),
    }
}

fn bench_ingest(arguments: IngestBenchArgs) -> anyhow::Result<ExitCode> {
    // The database is checked before anything is generated or loaded, so a wrong URL or a
    // store holding other alerts fails at once.
    let database = arguments.store.database()?;
    if let Some(database) = &database {
        database.prepare_empty(arguments.store.reset_database)?;
    }
    let input = arguments.volume.ensure()?;
    let input_bytes = std::fs::metadata(&input).map(|metadata| metadata.len()).unwrap_or(0);
    let count = arguments.volume.count;

    let embedded = if arguments.store.backend.embedded() {
        let saker_dir = arguments.volume.work_dir.join("saker-data");
        remove_if_exists(&saker_dir)?;
        eprintln!("saker ingest (embedded) ...");
        let mut command = embedded_ingest_command(&saker_dir, &input)?;
        let (seconds, peak_rss_bytes) = run_saker_ingest(&mut command, count)?;
        let disk_bytes = directory_size(&saker_dir.join("index"));
        Some(Measurement { seconds, alerts_per_second: count as f64 / seconds, peak_rss_bytes, disk_bytes })
    } else {
        None
    };

    let (postgres, postgres_server) = match &database {
        Some(database) => {
            eprintln!("saker ingest (postgres, {}) ...", database.url());
            let mut command = database.ingest_command(&arguments.volume.work_dir, &input)?;
            let (seconds, peak_rss_bytes) = run_saker_ingest(&mut command, count)?;
            let disk_bytes = database.size_bytes()?;
            let measurement =
                Measurement { seconds, alerts_per_second: count as f64 / seconds, peak_rss_bytes, disk_bytes };
            (Some(measurement), Some(database.server()?))
        }
        None => (None, None),
    };

    let duckdb_file = arguments.volume.work_dir.join("duckdb.db");
    remove_if_exists(&duckdb_file)?;
    eprintln!("duckdb read_json ...");
    let (duckdb, duckdb_problem) = match measure_duckdb(&arguments.python, &input, &duckdb_file, count) {
        Ok(measurement) => (Some(measurement), None),
        Err(error) => (None, Some(format!("{error:#}"))),
    };
    let report =
        IngestBenchReport { alerts: count, input_bytes, embedded, postgres, postgres_server, duckdb, duckdb_problem };
    if arguments.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_ingest_table(&report)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The generated alerts every benchmark runs on.
#[derive(Debug, Clone, Args)]
pub(super) struct VolumeArgs {
    /// Number of generated alerts.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Working directory for the generated file and the stores (kept and reused between runs).
    #[arg(long, default_value = "./bench-data")]
    pub work_dir: PathBuf,
}

impl VolumeArgs {
    /// The generated file, written once and reused.
    pub fn ensure(&self) -> anyhow::Result<PathBuf> {
        ensure_volume(&self.work_dir, self.count, self.seed)
    }

    /// A data directory for these alerts in the working directory (`<prefix>-<count>-<seed>`),
    /// shared by the benchmarks that use the same prefix.
    pub fn data_dir(&self, prefix: &str) -> PathBuf {
        self.work_dir.join(format!("{prefix}-{}-{}", self.count, self.seed))
    }
}

/// The generated volume file of `count` alerts in `work_dir`, written once and reused.
fn ensure_volume(work_dir: &Path, count: u64, seed: u64) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(work_dir).with_context(|| format!("cannot create {}", work_dir.display()))?;
    let input = work_dir.join(format!("volume-{count}-{seed}.jsonl"));
    if !input.exists() {
        eprintln!("generating {count} alerts into {}", input.display());
        let partial = input.with_extension("jsonl.partial");
        let file = std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
        saker_fixtures::write_volume(&mut writer, count, seed).context("generation failed")?;
        std::io::Write::flush(&mut writer).context("cannot write the generated file")?;
        std::fs::rename(&partial, &input).with_context(|| format!("cannot create {}", input.display()))?;
    }
    Ok(input)
}

/// `saker ingest` into the embedded index of `data_dir`, whatever config the environment names.
pub(super) fn embedded_ingest_command(data_dir: &Path, input: &Path) -> anyhow::Result<Command> {
    let executable = std::env::current_exe().context("cannot find the saker executable")?;
    let mut command = Command::new(executable);
    command.args(["ingest", "--json", "--data-dir"]).arg(data_dir).arg(input).env_remove("SAKER_CONFIG");
    Ok(command)
}

/// Runs a `saker ingest --json` child that must accept `count` alerts; returns its wall time
/// in seconds and the peak RSS it reported.
pub(super) fn run_saker_ingest(command: &mut Command, count: u64) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let output = command.output().context("cannot run saker ingest")?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        bail!("saker ingest failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).context("saker ingest printed no JSON")?;
    if summary["accepted"].as_u64() != Some(count) {
        bail!("saker ingest accepted {} of {count} alerts", summary["accepted"]);
    }
    Ok((seconds, summary["peak_rss_bytes"].as_u64().unwrap_or(0)))
}

/// DuckDB loads the same file into an on-disk table; the script times itself and reports
/// its own peak RSS.
const DUCKDB_SCRIPT: &str = r#"
import json, resource, sys, time
import duckdb
source, database, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
connection = duckdb.connect(database)
connection.execute("SET enable_progress_bar = false")
connection.execute("CREATE TABLE alerts AS SELECT * FROM read_json(?, format='newline_delimited', maximum_object_size=1048576)", [source])
connection.execute("CHECKPOINT")
count = connection.execute("SELECT count(*) FROM alerts").fetchone()[0]
seconds = time.perf_counter() - started
connection.close()
if count != expected:
    sys.exit(f"duckdb loaded {count} rows, expected {expected}")
print(json.dumps({"seconds": seconds, "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"#;

fn measure_duckdb(python: &str, input: &Path, database: &Path, count: u64) -> anyhow::Result<Measurement> {
    let output = Command::new(python)
        .arg("-c")
        .arg(DUCKDB_SCRIPT)
        .arg(input)
        .arg(database)
        .arg(count.to_string())
        .output()
        .with_context(|| format!("cannot run {python}"))?;
    if !output.status.success() {
        bail!("duckdb run failed (is `pip install duckdb` done?): {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).context("duckdb script printed no JSON")?;
    let seconds = result["seconds"].as_f64().unwrap_or(f64::NAN);
    Ok(Measurement {
        seconds,
        alerts_per_second: count as f64 / seconds,
        peak_rss_bytes: result["peak_rss_kib"].as_u64().unwrap_or(0) * 1024,
        disk_bytes: std::fs::metadata(database).map(|metadata| metadata.len()).unwrap_or(0),
    })
}

fn print_ingest_table(report: &IngestBenchReport) -> std::io::Result<()> {
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    out!(
        "{} alerts, {:.1} MiB of JSON Lines ({:.0} bytes/alert)\n",
        report.alerts,
        mib(report.input_bytes),
        report.input_bytes as f64 / report.alerts.max(1) as f64
    );
    if let Some(server) = &report.postgres_server {
        out!("PostgreSQL: {} ({})", server.version, server.database);
        let settings: Vec<String> = server.settings.iter().map(|(name, value)| format!("{name}={value}")).collect();
        out!("settings: {}\n", settings.join(", "));
    }
    out!("| engine | seconds | alerts/s | peak RSS (MiB) | on disk (bytes/alert) |");
    out!("|---|---:|---:|---:|---:|");
    let row = |name: &str, measurement: &Measurement| -> std::io::Result<()> {
        out!(
            "| {name} | {:.2} | {:.0} | {:.0} | {:.0} |",
            measurement.seconds,
            measurement.alerts_per_second,
            mib(measurement.peak_rss_bytes),
            measurement.disk_bytes as f64 / report.alerts.max(1) as f64
        );
        Ok(())
    };
    let measured: Vec<(&str, &Measurement)> = [
        ("saker ingest (embedded tantivy)", report.embedded.as_ref()),
        ("saker ingest (PostgreSQL)", report.postgres.as_ref()),
    ]
    .into_iter()
    .filter_map(|(name, measurement)| measurement.map(|measurement| (name, measurement)))
    .collect();
    for (name, measurement) in &measured {
        row(name, measurement)?;
    }
    match (&report.duckdb, &report.duckdb_problem) {
        (Some(duckdb), _) => {
            row("duckdb read_json", duckdb)?;
            out!("");
            for (name, measurement) in &measured {
                out!("{name} time / duckdb time: {:.2}", measurement.seconds / duckdb.seconds);
            }
        }
        (None, Some(problem)) => out!("\nduckdb not measured: {problem}"),
        (None, None) => {}
    }
    if report.postgres.is_some() {
        out!(
            "\nPostgreSQL on disk: pg_database_size of the database after the load (tables, indexes, catalogs; no WAL)"
        );
    }
    Ok(())
}

fn remove_if_exists(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path).with_context(|| format!("cannot remove {}", path.display()))?;
    } else if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

fn directory_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(metadata) if metadata.is_dir() => directory_size(&entry.path()),
            Ok(metadata) => metadata.len(),
            Err(_) => 0,
        })
        .sum()
}
