//! `saker-eval` (also run as `saker eval`): runs the eval suites against the planner or a model
//! and writes the Markdown report. Exit status: 0 when every gated suite reaches its threshold,
//! 3 when one falls below it, 1 for any other failure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use saker::config::SakerConfig;
use saker::llm::LlmSettings;
use saker_eval::report::{ReportHeader, render};
use saker_eval::run::{BackendChoice, Harness};
use saker_eval::scripted_model::ScriptedModel;
use saker_eval::suite::{load_suites, run_items};
use saker_eval::summary::{Summary, percent};
use saker_tools::rules::RulesCatalog;

/// Exit status when a suite falls below its threshold.
const EXIT_BELOW_THRESHOLD: u8 = 3;

/// Command line of `saker-eval`.
#[derive(Debug, Parser)]
#[command(name = "saker eval", about = "Measure Saker's answers against the eval suites")]
struct Cli {
    /// Who answers: the embedded planner, or the model configured with --config or
    /// SAKER_LLM_BASE_URL and SAKER_LLM_MODEL.
    #[arg(long, value_enum, default_value_t = BackendArg::Planner)]
    backend: BackendArg,
    /// Suite files or directories (default: eval/suites). A paraphrase set also reads the
    /// suites beside it for its cases.
    #[arg(long = "suite")]
    suites: Vec<PathBuf>,
    /// Write the Markdown report here (default: standard output).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Falco rules files (default: the upstream rules in ../shared/reference/falco/rules, which
    /// the fixtures were generated from).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Config file with an `llm:` section (the environment overrides it), for --backend llm.
    #[arg(long, env = "SAKER_CONFIG")]
    config: Option<PathBuf>,
    /// With --backend llm: answer with a scripted OpenAI-compatible server on loopback (a
    /// wire-level check of the LLM path, not a measure of quality).
    #[arg(long)]
    scripted_model: bool,
    /// Run only the cases whose id or category contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// No progress lines on standard error.
    #[arg(long)]
    quiet: bool,
    /// Check the suites without running a backend: load them, resolve every expected fact over
    /// its dataset and print each case's turns with the facts they expect (for writing a suite
    /// without seeing any answer).
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Planner,
    Llm,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(evaluate(cli))
}

async fn evaluate(cli: Cli) -> anyhow::Result<ExitCode> {
    let suite_paths = if cli.suites.is_empty() { vec![saker_eval::default_suites_dir()] } else { cli.suites.clone() };
    let suites = load_suites(&suite_paths)?;
    let items = run_items(&suites, cli.filter.as_deref());
    if items.is_empty() {
        bail!(
            "no cases to run in {}",
            suite_paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let rule_files = if cli.rules.is_empty() { saker_eval::default_rules_files() } else { cli.rules.clone() };
    let rules = RulesCatalog::load(&rule_files).with_context(|| {
        format!(
            "cannot load the Falco rules ({}); give the upstream rules with --rules",
            rule_files.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
        )
    })?;

    let mut scripted = None;
    let mut header = ReportHeader { command: command_line(&cli), ..ReportHeader::default() };
    let backend = match cli.backend {
        BackendArg::Planner => BackendChoice::Planner,
        BackendArg::Llm => {
            let settings = llm_settings(&cli)?;
            let settings = if cli.scripted_model {
                let model = ScriptedModel::start().await?;
                let settings = LlmSettings {
                    base_url: Some(model.base_url.clone()),
                    model: Some("scripted-model".into()),
                    api_key: Some("scripted".into()),
                    ..settings.unwrap_or_default()
                };
                header.note = Some(
                    "A scripted OpenAI-compatible server on loopback answered (a wire-level check): it calls \
                     `event_stats` once and replies with a fixed English sentence, so these rates measure the \
                     plumbing of the LLM path, not answer quality. Its token counts are request and reply sizes \
                     divided by four."
                        .to_string(),
                );
                scripted = Some(model);
                settings
            } else {
                settings.context(
                    "--backend llm needs a model: set SAKER_LLM_BASE_URL and SAKER_LLM_MODEL (and SAKER_LLM_API_KEY), \
                     give --config FILE with an llm: section, or add --scripted-model",
                )?
            };
            header.model = Some(format!(
                "{} at {}",
                settings.model.as_deref().unwrap_or("?"),
                settings.base_url.as_deref().unwrap_or("?")
            ));
            BackendChoice::Llm(settings)
        }
    };

    let harness = Harness::new(rules, backend)?;
    if cli.check {
        return check_suites(&harness, &items);
    }
    let started = Instant::now();
    let total = items.len();
    let quiet = cli.quiet;
    let results = harness
        .run_all(&items, |index, result| {
            if !quiet {
                let outcome = match (&result.skipped, result.passed()) {
                    (Some(_), _) => "skipped",
                    (None, true) => "pass",
                    (None, false) => "FAIL",
                };
                let millis: u128 = result.turns.iter().map(|turn| turn.latency.as_millis()).sum();
                eprintln!("[{}/{total}] {} {outcome} ({millis} ms)", index + 1, result.id);
            }
        })
        .await?;
    drop(scripted);
    let summary = Summary::of(harness.backend_name(), &suites, &results);
    let report = render(&header, &summary, &results);
    match &cli.report {
        Some(path) => std::fs::write(path, &report).with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{report}"),
    }
    eprintln!(
        "{} backend: suite cases {}, paraphrases {}, in {:.1} s",
        harness.backend_name(),
        summary.cases.show(),
        summary.paraphrases.show(),
        started.elapsed().as_secs_f64()
    );
    let failing = summary.failing_suites();
    for suite in &failing {
        eprintln!(
            "suite {} passes {} of its cases, below its {} threshold of {}",
            suite.suite,
            percent(suite.tally.rate()),
            harness.backend_name(),
            percent(suite.threshold.unwrap_or_default())
        );
    }
    Ok(if failing.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_BELOW_THRESHOLD) })
}

/// `--check`: every item's expected facts, resolved, without a backend; the first case that
/// does not resolve is the error.
fn check_suites(harness: &Harness, items: &[saker_eval::suite::RunItem]) -> anyhow::Result<ExitCode> {
    for item in items {
        let expected = harness.expected_facts(item)?;
        println!("{} ({})", item.case.id, item.suite);
        for (turn, (facts, absent)) in item.case.turns.iter().zip(&expected) {
            println!("  ask: {}", turn.ask);
            for fact in facts {
                println!("    fact: {} ({})", fact.needle.describe(), fact.derivation);
            }
            for fact in absent {
                println!("    absent: {} ({})", fact.needle.describe(), fact.derivation);
            }
        }
    }
    eprintln!("{} cases resolve", items.len());
    Ok(ExitCode::SUCCESS)
}

/// The model settings from --config and the environment, if any.
fn llm_settings(cli: &Cli) -> anyhow::Result<Option<LlmSettings>> {
    let config = match &cli.config {
        Some(path) => SakerConfig::load(path)?,
        None => SakerConfig::default(),
    };
    Ok(LlmSettings::resolve(config.llm, |name| std::env::var(name).ok()))
}

fn command_line(cli: &Cli) -> String {
    let mut parts = vec!["saker eval".to_string()];
    parts.push(format!("--backend {}", if cli.backend == BackendArg::Planner { "planner" } else { "llm" }));
    if cli.scripted_model {
        parts.push("--scripted-model".into());
    }
    for suite in &cli.suites {
        parts.push(format!("--suite {}", suite.display()));
    }
    if let Some(filter) = &cli.filter {
        parts.push(format!("--filter {filter}"));
    }
    if let Some(report) = &cli.report {
        parts.push(format!("--report {}", report.display()));
    }
    parts.join(" ")
}
