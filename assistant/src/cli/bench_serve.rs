//! `saker bench serve`: the HTTP API in-process on loopback over N generated alerts plus the
//! demo scenarios. Measures (a) the time to the first SSE byte of `POST /v1/chat` for the seed
//! investigation's first question, against a `GET /healthz` round trip in the same run (the
//! cost of HTTP itself), and (b) sustained concurrent chats: K clients each running the seed
//! conversation turn after turn for D seconds, while I ingest clients post JSON Lines bodies of
//! new alerts to `/v1/events` (`--ingest-clients`). Every failure is counted by its kind.

use saker_fixtures::{SEED_INVESTIGATION, SEED_SCOPE};
use std::collections::BTreeMap;
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
    /// Concurrent chat clients (0 with `--ingest-clients` measures HTTP ingest alone).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Seconds the concurrent clients run.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Ingest clients posting JSON Lines bodies to `/v1/events` while the chats run.
    #[arg(long, default_value_t = 0)]
    ingest_clients: usize,
    /// Alerts per ingest request body.
    #[arg(long, default_value_t = 100)]
    ingest_batch: usize,
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
    ingest: IngestLoadReport,
    /// Every failure, chat or ingest, counted by its kind (`chat: status 503`, ...).
    errors_by_kind: BTreeMap<String, usize>,
}

/// What the ingest clients did during the concurrent chats.
#[derive(Debug, Serialize)]
struct IngestLoadReport {
    clients: usize,
    batch: usize,
    requests: usize,
    alerts_accepted: u64,
    /// Accepted alerts per second of the concurrent phase.
    alerts_per_second: f64,
    request: Latency,
    errors: usize,
}

#[derive(Debug, Serialize)]
struct ServeBenchReport {
    alerts: u64,
    first_byte: FirstByteReport,
    concurrency: ConcurrencyReport,
}

/// What the concurrent phase runs.
#[derive(Debug, Clone, Copy)]
struct LoadPlan {
    chat_clients: usize,
    ingest_clients: usize,
    ingest_batch: usize,
    seconds: f64,
}

/// Runs `saker bench serve`.
pub fn run(arguments: ServeBenchArgs) -> anyhow::Result<ExitCode> {
    if arguments.requests == 0 || arguments.seconds <= 0.0 || arguments.ingest_batch == 0 {
        bail!("--requests, --seconds and --ingest-batch must be positive");
    }
    if arguments.clients == 0 && arguments.ingest_clients == 0 {
        bail!("--clients or --ingest-clients must be positive");
    }
    let plan = LoadPlan {
        chat_clients: arguments.clients,
        ingest_clients: arguments.ingest_clients,
        ingest_batch: arguments.ingest_batch,
        seconds: arguments.seconds,
    };
    let data = chat_data(&arguments.volume)?;
    let config = SakerConfig::default();
    let rules = Arc::new(config.rules_catalog(&arguments.rules)?);
    let store = Arc::new(data.open_store()?);
    let sessions_dir = tempfile_dir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let report = runtime.block_on(async {
        let sessions = SessionStore::open(&sessions_dir).await?;
        let state = AppState::new(AppParts {
            store: store.into(),
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
        eprintln!(
            "{} concurrent chat clients and {} ingest clients for {} s",
            plan.chat_clients, plan.ingest_clients, plan.seconds
        );
        let concurrency = measure_concurrency(&client, &base, plan).await;
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
        bail!("status {}", response.status().as_u16());
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

/// Why one request of the concurrent phase failed, as the report counts it.
fn error_kind(client: &str, error: &anyhow::Error) -> String {
    match error.downcast_ref::<reqwest::Error>() {
        Some(error) if error.is_timeout() => format!("{client}: timeout"),
        Some(error) if error.is_connect() => format!("{client}: connect"),
        Some(_) => format!("{client}: transport"),
        None => format!("{client}: {error}"),
    }
}

/// One chat client: the seed conversation, turn after turn, until `deadline`.
async fn chat_client(client: reqwest::Client, base: String, deadline: Instant) -> (Vec<f64>, BTreeMap<String, usize>) {
    let (mut latencies, mut errors) = (Vec::new(), BTreeMap::new());
    let mut session: Option<String> = None;
    let mut turn = 0usize;
    while Instant::now() < deadline {
        let body = chat_body(SEED_INVESTIGATION[turn % SEED_INVESTIGATION.len()].0, session.as_deref());
        match timed_chat(&client, &base, &body).await {
            Ok((_, complete, Some(id))) => {
                latencies.push(complete.as_secs_f64() * 1000.0);
                session = Some(id);
            }
            Ok((_, _, None)) => {
                *errors.entry("chat: no done event".to_string()).or_insert(0) += 1;
                session = None;
            }
            Err(error) => {
                *errors.entry(error_kind("chat", &error)).or_insert(0) += 1;
                session = None;
            }
        }
        turn += 1;
        if turn.is_multiple_of(SEED_INVESTIGATION.len()) {
            session = None;
        }
    }
    (latencies, errors)
}

/// The demo scenarios' alerts as new ones: each body line gets its own falcosidekick `uuid`
/// (so none is a duplicate, also of an earlier run's on the same data: the uuid holds this
/// run's process id and start time) and the cluster `bench-ingest` (so the chats' figures
/// stay put).
fn ingest_body(client_index: usize, request_index: usize, batch: usize, templates: &[Value]) -> String {
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let run = RUN.get_or_init(|| format!("{}-{}", std::process::id(), chrono::Utc::now().timestamp_millis()));
    let mut body = String::new();
    for line_index in 0..batch {
        let mut alert = templates[(request_index * batch + line_index) % templates.len()].clone();
        alert["uuid"] = json!(format!("bench-ingest-{run}-{client_index}-{request_index}-{line_index}"));
        alert["output_fields"]["k8s.cluster.name"] = json!("bench-ingest");
        body.push_str(&alert.to_string());
        body.push('\n');
    }
    body
}

/// Posts one JSON Lines body; an answer other than 200 with every line accepted is an error.
async fn post_alerts(client: &reqwest::Client, base: &str, body: String, batch: usize) -> anyhow::Result<u64> {
    let response = client
        .post(format!("{base}/v1/events"))
        .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    if !status.is_success() {
        bail!("status {}", status.as_u16());
    }
    let accepted = answer["accepted"].as_u64().unwrap_or(0);
    if answer["rejected"].as_u64() != Some(0) || accepted != batch as u64 {
        bail!("lines not accepted");
    }
    Ok(accepted)
}

/// One ingest client: JSON Lines bodies of new alerts, one after another, until `deadline`.
async fn ingest_client(
    client: reqwest::Client,
    base: String,
    deadline: Instant,
    (client_index, batch): (usize, usize),
    templates: Arc<Vec<Value>>,
) -> (Vec<f64>, u64, BTreeMap<String, usize>) {
    let (mut latencies, mut accepted, mut errors) = (Vec::new(), 0u64, BTreeMap::new());
    let mut request_index = 0usize;
    while Instant::now() < deadline {
        let body = ingest_body(client_index, request_index, batch, &templates);
        let started = Instant::now();
        match post_alerts(&client, &base, body, batch).await {
            Ok(count) => {
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                accepted += count;
            }
            Err(error) => *errors.entry(error_kind("ingest", &error)).or_insert(0) += 1,
        }
        request_index += 1;
    }
    (latencies, accepted, errors)
}

/// Every alert of the embedded demo scenarios, as JSON.
fn scenario_templates() -> Vec<Value> {
    saker_fixtures::scenario_files()
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(Value::is_object)
        .collect()
}

fn merge_errors(total: &mut BTreeMap<String, usize>, more: BTreeMap<String, usize>) {
    for (kind, count) in more {
        *total.entry(kind).or_insert(0) += count;
    }
}

async fn measure_concurrency(client: &reqwest::Client, base: &str, plan: LoadPlan) -> ConcurrencyReport {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(plan.seconds);
    let chats: Vec<_> =
        (0..plan.chat_clients).map(|_| tokio::spawn(chat_client(client.clone(), base.to_string(), deadline))).collect();
    let templates = Arc::new(scenario_templates());
    let ingests: Vec<_> = (0..plan.ingest_clients)
        .map(|index| {
            let (client, base, templates) = (client.clone(), base.to_string(), Arc::clone(&templates));
            tokio::spawn(ingest_client(client, base, deadline, (index, plan.ingest_batch), templates))
        })
        .collect();
    let (mut latencies, mut errors_by_kind) = (Vec::new(), BTreeMap::new());
    for task in chats {
        match task.await {
            Ok((client_latencies, client_errors)) => {
                latencies.extend(client_latencies);
                merge_errors(&mut errors_by_kind, client_errors);
            }
            Err(_) => *errors_by_kind.entry("chat: client task failed".to_string()).or_insert(0) += 1,
        }
    }
    let chat_errors: usize = errors_by_kind.values().sum();
    let (mut ingest_latencies, mut alerts_accepted, mut ingest_errors) = (Vec::new(), 0u64, BTreeMap::new());
    for task in ingests {
        match task.await {
            Ok((client_latencies, accepted, client_errors)) => {
                ingest_latencies.extend(client_latencies);
                alerts_accepted += accepted;
                merge_errors(&mut ingest_errors, client_errors);
            }
            Err(_) => *ingest_errors.entry("ingest: client task failed".to_string()).or_insert(0) += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ingest = IngestLoadReport {
        clients: plan.ingest_clients,
        batch: plan.ingest_batch,
        requests: ingest_latencies.len(),
        alerts_accepted,
        alerts_per_second: alerts_accepted as f64 / elapsed,
        request: percentiles(&mut ingest_latencies),
        errors: ingest_errors.values().sum(),
    };
    merge_errors(&mut errors_by_kind, ingest_errors);
    ConcurrencyReport {
        clients: plan.chat_clients,
        seconds: elapsed,
        completed_turns: latencies.len(),
        turns_per_second: latencies.len() as f64 / elapsed,
        turn: percentiles(&mut latencies),
        errors: chat_errors,
        ingest,
        errors_by_kind,
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
    if concurrency.clients > 0 {
        print_chat_row(concurrency)?;
    }
    print_ingest_row(concurrency)?;
    out!("");
    if concurrency.errors_by_kind.is_empty() {
        out!("errors by kind: none");
    } else {
        for (kind, count) in &concurrency.errors_by_kind {
            out!("errors: {kind}: {count}");
        }
    }
    Ok(())
}

fn print_chat_row(concurrency: &ConcurrencyReport) -> anyhow::Result<()> {
    out!("");
    out!(
        "| concurrent chats | clients | seconds | completed turns | turns/s | turn p50 (ms) | turn p95 (ms) | turn p99 (ms) | errors |"
    );
    out!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    out!(
        "| seed conversation, turn after turn | {} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        concurrency.clients,
        concurrency.seconds,
        concurrency.completed_turns,
        concurrency.turns_per_second,
        concurrency.turn.p50_ms,
        concurrency.turn.p95_ms,
        concurrency.turn.p99_ms,
        concurrency.errors
    );
    Ok(())
}

fn print_ingest_row(concurrency: &ConcurrencyReport) -> anyhow::Result<()> {
    let ingest = &concurrency.ingest;
    if ingest.clients > 0 {
        out!("");
        out!(
            "| concurrent ingest (JSON Lines) | clients | alerts/request | requests | alerts accepted | alerts/s | request p50 (ms) | request p95 (ms) | errors |"
        );
        out!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        let during = if concurrency.clients > 0 { "during the chats" } else { "alone" };
        out!(
            "| `POST /v1/events` {during} | {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {} |",
            ingest.clients,
            ingest.batch,
            ingest.requests,
            ingest.alerts_accepted,
            ingest.alerts_per_second,
            ingest.request.p50_ms,
            ingest.request.p95_ms,
            ingest.errors
        );
    }
    Ok(())
}

/// A fresh directory for the benchmark's session database.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("saker-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
