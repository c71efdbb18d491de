//! `saker bench serve`: the HTTP API in-process on loopback over N generated alerts plus the
//! demo scenarios. Measures (a) the time to the first SSE byte of `POST /v1/chat` for the seed
//! investigation's first question, against a `GET /healthz` round trip in the same run (the
//! cost of HTTP itself), and (b) sustained concurrent chats: K clients each running the seed
//! conversation turn after turn for D seconds.

use saker_fixtures::{SEED_INVESTIGATION, SEED_SCOPE};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use saker::config::SakerConfig;
use saker::conversation::{Backend, SessionStore};
use saker::planner::Planner;
use saker::server::{self, AppParts, AppState, ServerLimits};
use serde::Serialize;
use serde_json::{Value, json};

use super::bench::VolumeArgs;
use super::bench_chat::chat_data;
use super::bench_tools::{Latency, percentiles};

/// Arguments of `saker bench serve`.
#[derive(Debug, Args)]
pub struct ServeBenchArgs {
    #[command(flatten)]
    volume: VolumeArgs,
    /// Timed requests for the first-byte and health measurements, after 5 warm-up ones.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Concurrent chat clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Seconds the concurrent clients run.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Rules files (default: Falco's own paths).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Print JSON instead of Markdown tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct FirstByteReport {
    requests: usize,
    first_sse_byte: Latency,
    complete_turn: Latency,
    healthz_round_trip: Latency,
}

#[derive(Debug, Serialize)]
struct ConcurrencyReport {
    clients: usize,
    seconds: f64,
    completed_turns: usize,
    turns_per_second: f64,
    turn: Latency,
    errors: usize,
}

#[derive(Debug, Serialize)]
struct ServeBenchReport {
    alerts: u64,
    first_byte: FirstByteReport,
    concurrency: ConcurrencyReport,
}

/// Runs `saker bench serve`.
pub fn run(arguments: ServeBenchArgs) -> anyhow::Result<ExitCode> {
    if arguments.requests == 0 || arguments.clients == 0 || arguments.seconds <= 0.0 {
        bail!("--requests, --clients and --seconds must be positive");
    }
    let data = chat_data(&arguments.volume)?;
    let config = SakerConfig::default();
    let rules = Arc::new(config.rules_catalog(&arguments.rules)?);
    let store = Arc::new(data.open_store()?);
    let sessions_dir = tempfile_dir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let report = runtime.block_on(async {
        let sessions = SessionStore::open(&sessions_dir).await?;
        let state = AppState::new(AppParts {
            store,
            rules,
            sessions,
            backend: Backend::Planner(Planner::new()),
            ingest_log: None,
            limits: ServerLimits::default(),
        })?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("cannot listen on loopback")?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().build().context("cannot build the HTTP client")?;
        eprintln!("server on {base}; measuring first bytes over {} requests", arguments.requests);
        let first_byte = measure_first_byte(&client, &base, arguments.requests).await?;
        eprintln!("{} concurrent clients for {} s", arguments.clients, arguments.seconds);
        let concurrency = measure_concurrency(&client, &base, arguments.clients, arguments.seconds).await;
        let _ = stop.send(());
        let _ = server.await;
        anyhow::Ok(ServeBenchReport { alerts: arguments.volume.count, first_byte, concurrency })
    });
    let _ = std::fs::remove_dir_all(&sessions_dir);
    let report = report?;
    if arguments.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_tables(&report)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn chat_body(question: &str, session_id: Option<&str>) -> Value {
    let mut body = json!({ "message": question, "now": saker_fixtures::DEMO_NOW });
    match session_id {
        Some(id) => body["session_id"] = json!(id),
        None => body["scope"] = json!(SEED_SCOPE),
    }
    body
}

/// Sends one chat request; returns (time to the first body byte, time to the end of the
/// stream, the `done` event's session id).
async fn timed_chat(
    client: &reqwest::Client,
    base: &str,
    body: &Value,
) -> anyhow::Result<(Duration, Duration, Option<String>)> {
    let started = Instant::now();
    let mut response = client.post(format!("{base}/v1/chat")).json(body).send().await?;
    if !response.status().is_success() {
        bail!("POST /v1/chat answered {}", response.status());
    }
    let mut stream = Vec::new();
    let first = response.chunk().await?;
    let first_byte = started.elapsed();
    if let Some(chunk) = first {
        stream.extend_from_slice(&chunk);
    }
    while let Some(chunk) = response.chunk().await? {
        stream.extend_from_slice(&chunk);
    }
    let complete = started.elapsed();
    Ok((first_byte, complete, done_session_id(&String::from_utf8_lossy(&stream))))
}

/// The session id of the stream's `done` event (none when the turn ended with `error`).
fn done_session_id(stream: &str) -> Option<String> {
    let mut lines = stream.lines();
    while let Some(line) = lines.next() {
        if line == "event: done" {
            let data = lines.next()?.strip_prefix("data: ")?;
            let answer: Value = serde_json::from_str(data).ok()?;
            return answer["session_id"].as_str().map(str::to_string);
        }
    }
    None
}

async fn measure_first_byte(client: &reqwest::Client, base: &str, requests: usize) -> anyhow::Result<FirstByteReport> {
    let body = chat_body(SEED_INVESTIGATION[0].0, None);
    for _ in 0..5 {
        timed_chat(client, base, &body).await?;
        client.get(format!("{base}/healthz")).send().await?.bytes().await?;
    }
    let (mut first_bytes, mut turns, mut health) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..requests {
        let (first_byte, complete, session) = timed_chat(client, base, &body).await?;
        if session.is_none() {
            bail!("the seed question's turn did not end with `done`");
        }
        first_bytes.push(first_byte.as_secs_f64() * 1000.0);
        turns.push(complete.as_secs_f64() * 1000.0);
        let started = Instant::now();
        let response = client.get(format!("{base}/healthz")).send().await?;
        response.bytes().await?;
        health.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(FirstByteReport {
        requests,
        first_sse_byte: percentiles(&mut first_bytes),
        complete_turn: percentiles(&mut turns),
        healthz_round_trip: percentiles(&mut health),
    })
}

async fn measure_concurrency(client: &reqwest::Client, base: &str, clients: usize, seconds: f64) -> ConcurrencyReport {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (client, base) = (client.clone(), base.to_string());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0usize);
            let mut session: Option<String> = None;
            let mut turn = 0usize;
            while Instant::now() < deadline {
                let body = chat_body(SEED_INVESTIGATION[turn % SEED_INVESTIGATION.len()].0, session.as_deref());
                match timed_chat(&client, &base, &body).await {
                    Ok((_, complete, Some(id))) => {
                        latencies.push(complete.as_secs_f64() * 1000.0);
                        session = Some(id);
                    }
                    Ok((_, _, None)) | Err(_) => {
                        errors += 1;
                        session = None;
                    }
                }
                turn += 1;
                if turn.is_multiple_of(SEED_INVESTIGATION.len()) {
                    session = None;
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0usize);
    for task in tasks {
        match task.await {
            Ok((client_latencies, client_errors)) => {
                latencies.extend(client_latencies);
                errors += client_errors;
            }
            Err(_) => errors += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    ConcurrencyReport {
        clients,
        seconds: elapsed,
        completed_turns: latencies.len(),
        turns_per_second: latencies.len() as f64 / elapsed,
        turn: percentiles(&mut latencies),
        errors,
    }
}

fn print_tables(report: &ServeBenchReport) -> anyhow::Result<()> {
    let first = &report.first_byte;
    out!(
        "{} generated alerts + the demo scenarios, planner backend, server and clients in one process on loopback, now {}\n",
        report.alerts,
        saker_fixtures::DEMO_NOW
    );
    out!("| measurement ({} requests after 5 warm-up) | p50 (ms) | p95 (ms) |", first.requests);
    out!("|---|---:|---:|");
    out!(
        "| `POST /v1/chat` time to first SSE byte (\"{}\") | {:.2} | {:.2} |",
        SEED_INVESTIGATION[0].0,
        first.first_sse_byte.p50_ms,
        first.first_sse_byte.p95_ms
    );
    out!("| same requests, complete turn | {:.2} | {:.2} |", first.complete_turn.p50_ms, first.complete_turn.p95_ms);
    out!(
        "| reference: `GET /healthz` round trip | {:.2} | {:.2} |",
        first.healthz_round_trip.p50_ms,
        first.healthz_round_trip.p95_ms
    );
    let concurrency = &report.concurrency;
    out!("");
    out!(
        "| concurrent chats | clients | seconds | completed turns | turns/s | turn p50 (ms) | turn p95 (ms) | errors |"
    );
    out!("|---|---:|---:|---:|---:|---:|---:|---:|");
    out!(
        "| seed conversation, turn after turn | {} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {} |",
        concurrency.clients,
        concurrency.seconds,
        concurrency.completed_turns,
        concurrency.turns_per_second,
        concurrency.turn.p50_ms,
        concurrency.turn.p95_ms,
        concurrency.errors
    );
    Ok(())
}

/// A fresh directory for the benchmark's session database.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("saker-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
