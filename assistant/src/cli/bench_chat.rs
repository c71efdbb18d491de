//! `saker bench chat`: time to the complete answer for each question of the seed
//! investigation through the embedded planner, on N generated alerts plus the demo scenarios,
//! against the same tool calls made directly (the planner's reference: what understanding and
//! rendering add to the tools' own cost), measured in the same run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use saker::conversation::{Backend, ChatRequest, EventSink, Orchestrator, SessionStore};
use saker::planner::Planner;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Scope;
use serde::Serialize;

use super::bench::VolumeArgs;
use super::bench_tools::{Latency, ingest, percentiles};
use super::common::{DataDirArgs, parse_now};
use saker_fixtures::{SEED_INVESTIGATION, SEED_SCOPE, WEEKLY_RECONNAISSANCE};

/// Arguments of `saker bench chat`.
#[derive(Debug, Args)]
pub struct ChatBenchArgs {
    #[command(flatten)]
    volume: VolumeArgs,
    /// Timed runs of the whole conversation, after one warm-up run.
    #[arg(long, default_value_t = 10)]
    iterations: usize,
    /// Rules files (default: Falco's own paths).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Print JSON instead of a Markdown table.
    #[arg(long)]
    json: bool,
}

/// The seed investigation followed by the weekly question, which runs without a scope.
fn seed_turns() -> Vec<(&'static str, &'static str)> {
    let mut turns = SEED_INVESTIGATION.to_vec();
    turns.push(WEEKLY_RECONNAISSANCE);
    turns
}

#[derive(Debug, Serialize)]
struct TurnReport {
    language: &'static str,
    question: &'static str,
    tools: Vec<String>,
    planner: Latency,
    tools_only: Latency,
}

/// Runs `saker bench chat`.
pub fn run(arguments: ChatBenchArgs) -> anyhow::Result<ExitCode> {
    let data = chat_data(&arguments.volume)?;
    let store = Arc::new(data.open_store()?);
    let rules = Arc::new(if arguments.rules.is_empty() {
        RulesCatalog::load_default().context("cannot load the default rules")?
    } else {
        RulesCatalog::load(&arguments.rules).context("cannot load the rules files")?
    });
    let now = parse_now(Some(saker_fixtures::DEMO_NOW))?;
    let sessions_dir = tempfile_dir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let orchestrator = runtime.block_on(async {
        let sessions = SessionStore::open(&sessions_dir).await?;
        anyhow::Ok(Orchestrator::new(store.clone(), rules.clone(), sessions, Backend::Planner(Planner::new())))
    })?;
    let registry = ToolRegistry::standard();
    let mut reports = Vec::new();
    for (language, pick) in [("en", 0usize), ("ja", 1usize)] {
        let mut planner_times: Vec<Vec<f64>> = vec![Vec::new(); seed_turns().len()];
        let mut tool_times: Vec<Vec<f64>> = vec![Vec::new(); seed_turns().len()];
        let mut tools_of_turn: Vec<Vec<String>> = vec![Vec::new(); seed_turns().len()];
        for round in 0..=arguments.iterations {
            let mut session_id: Option<String> = None;
            for (index, turn) in seed_turns().iter().enumerate() {
                let question = if pick == 0 { turn.0 } else { turn.1 };
                let last = index + 1 == seed_turns().len();
                let request = ChatRequest {
                    session_id: if last { None } else { session_id.clone() },
                    message: question.to_string(),
                    scope: Some(if last { String::new() } else { SEED_SCOPE.to_string() }),
                    now: Some(now),
                    ..ChatRequest::default()
                };
                let started = Instant::now();
                let answer = runtime
                    .block_on(orchestrator.chat(request, EventSink::discard()))
                    .with_context(|| format!("turn {question:?} failed"))?;
                let planner_ms = started.elapsed().as_secs_f64() * 1000.0;
                session_id.get_or_insert(answer.session_id.clone());
                // The reference: the same calls, made directly.
                let context = ToolContext {
                    base_scope: Scope::parse(&answer.scope).context("answer scope")?,
                    ..ToolContext::new(&*store, &rules, now)
                };
                let started = Instant::now();
                for step in &answer.steps {
                    std::hint::black_box(registry.invoke(&step.tool, step.arguments.clone(), &context).ok());
                }
                let tools_ms = started.elapsed().as_secs_f64() * 1000.0;
                if round > 0 {
                    planner_times[index].push(planner_ms);
                    tool_times[index].push(tools_ms);
                }
                tools_of_turn[index] = answer.steps.iter().map(|step| step.tool.clone()).collect();
            }
        }
        for (index, turn) in seed_turns().iter().enumerate() {
            reports.push(TurnReport {
                language,
                question: if pick == 0 { turn.0 } else { turn.1 },
                tools: tools_of_turn[index].clone(),
                planner: percentiles(&mut planner_times[index]),
                tools_only: percentiles(&mut tool_times[index]),
            });
        }
    }
    let _ = std::fs::remove_dir_all(&sessions_dir);
    if arguments.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"alerts": arguments.volume.count, "turns": reports}))?
        );
    } else {
        out!(
            "{} generated alerts + the demo scenarios, {} timed runs of the conversation after 1 warm-up, now {}\n",
            arguments.volume.count,
            arguments.iterations,
            saker_fixtures::DEMO_NOW
        );
        out!("| lang | question | tools | planner p50 (ms) | planner p95 (ms) | tools only p50 (ms) |");
        out!("|---|---|---|---:|---:|---:|");
        for report in &reports {
            out!(
                "| {} | {} | {} | {:.1} | {:.1} | {:.1} |",
                report.language,
                report.question,
                report.tools.join(", "),
                report.planner.p50_ms,
                report.planner.p95_ms,
                report.tools_only.p50_ms
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The data directory of the chat benchmarks: the generated alerts plus the demo scenarios,
/// ingested once and shared by `bench chat` and `bench serve`.
pub(super) fn chat_data(volume: &VolumeArgs) -> anyhow::Result<DataDirArgs> {
    let input = volume.ensure()?;
    let data_dir = volume.data_dir("chat-data");
    let data = DataDirArgs { data_dir: data_dir.clone() };
    if !data_dir.join("index").exists() {
        eprintln!("ingesting {} and the demo scenarios into {}", input.display(), data_dir.display());
        ingest(&input, &data_dir)?;
        super::demo::load_demo(&data)?;
    }
    Ok(data)
}

/// A fresh directory for the benchmark's session database.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("saker-bench-chat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
