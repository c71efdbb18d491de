//! `saker report`: `recon` prints the reconnaissance report (Markdown, HTML, JSON or the SVG
//! chart) for a scope and period; `deliver` runs the scheduled reports of `saker.yaml` once
//! (for cron, or to check the configuration) and says what it wrote or posted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use saker::report::delivery::{deliver, deliveries_from_config};
use saker::report::recon::parse_language;
use saker::report::{ReconRequest, ReportFormat, build_recon, render};
use saker_tools::store::AlertStore;

use super::ask::AssistantArgs;
use super::common::{index_dir, parse_now};

/// Arguments of `saker report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The reconnaissance report: the last period against the one before, the daily series
    /// as a chart, techniques, tools, processes, top workloads and recommended follow-ups.
    Recon(ReconArgs),
    /// Run the scheduled reports of the config's `reports:` once, now (or at --now).
    Deliver(DeliverArgs),
}

/// Arguments of `saker report recon`.
#[derive(Debug, Args)]
struct ReconArgs {
    #[command(flatten)]
    assistant: AssistantArgs,
    /// Scope expression in Falco field syntax (default: every alert).
    #[arg(long)]
    scope: Option<String>,
    /// Length of the current period, ending now: 7d (weekly), 1d (daily), 24h, 2w.
    #[arg(long, default_value = "7d")]
    last: String,
    /// The end of the period (RFC 3339); default the real clock.
    #[arg(long)]
    now: Option<String>,
    /// md, html (a standalone page), json, or svg (the chart alone).
    #[arg(long, default_value = "md")]
    format: String,
    /// Language of the text: en or ja.
    #[arg(long, default_value = "en")]
    lang: String,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Arguments of `saker report deliver`.
#[derive(Debug, Args)]
struct DeliverArgs {
    #[command(flatten)]
    assistant: AssistantArgs,
    /// The end of the reported period (RFC 3339); default the real clock.
    #[arg(long)]
    now: Option<String>,
    /// Only the scheduled report with this name.
    #[arg(long)]
    name: Option<String>,
}

/// Runs `saker report`.
pub fn run(arguments: ReportArgs) -> anyhow::Result<ExitCode> {
    match arguments.command {
        ReportCommand::Recon(arguments) => recon(arguments),
        ReportCommand::Deliver(arguments) => deliver_now(arguments),
    }
}

fn open_store(assistant: &AssistantArgs) -> anyhow::Result<Arc<dyn AlertStore>> {
    let data_dir = &assistant.data.data_dir;
    if !index_dir(data_dir).exists() {
        bail!(
            "the event store in {} holds no alerts: ingest Falco alerts first (`saker ingest --data-dir {0} FILE`) \
             or load the demo scenarios (`saker demo --data-dir {0}`)",
            data_dir.display()
        );
    }
    Ok(Arc::new(assistant.data.open_store()?))
}

fn recon(arguments: ReconArgs) -> anyhow::Result<ExitCode> {
    let format: ReportFormat = arguments.format.parse().map_err(|error| anyhow!("--{error}"))?;
    let language = parse_language(&arguments.lang).map_err(|error| anyhow!("--{error}"))?;
    let now = parse_now(arguments.now.as_deref())?;
    let config = arguments.assistant.config()?;
    let rules = config.rules_catalog(&arguments.assistant.rules)?;
    let store = open_store(&arguments.assistant)?;
    let request = ReconRequest { scope: arguments.scope.clone(), last: arguments.last.clone(), now, language };
    let report = build_recon(store.as_ref(), &rules, &request).map_err(|error| match &arguments.scope {
        Some(scope) if error.to_string().starts_with("scope") => anyhow!("--scope {scope:?}: {error}"),
        _ => anyhow!(error),
    })?;
    let text = render(&report, format);
    match &arguments.output {
        Some(path) => std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?,
        None => out!("{}", text.trim_end()),
    }
    Ok(ExitCode::SUCCESS)
}

fn deliver_now(arguments: DeliverArgs) -> anyhow::Result<ExitCode> {
    let now = parse_now(arguments.now.as_deref())?;
    let config = arguments.assistant.config()?;
    let entries = config.reports.clone().unwrap_or_default();
    let mut deliveries = deliveries_from_config(&entries, |name| std::env::var(name).ok())
        .map_err(|error| anyhow!("config: {error}"))?;
    if let Some(name) = &arguments.name {
        deliveries.retain(|delivery| &delivery.name == name);
        if deliveries.is_empty() {
            bail!("no scheduled report is named {name:?} in the config's reports:");
        }
    }
    if deliveries.is_empty() {
        bail!("the config has no reports: to deliver (see `reports:` in the README)");
    }
    let rules = Arc::new(config.rules_catalog(&arguments.assistant.rules)?);
    let store = open_store(&arguments.assistant)?;
    let runtime = super::common::runtime()?;
    let mut failed = false;
    for delivery in &deliveries {
        match runtime.block_on(deliver(store.clone(), rules.clone(), delivery, now)) {
            Ok(outcome) => {
                for file in &outcome.files {
                    out!("{}: wrote {}", outcome.name, file.display());
                }
                if outcome.posted_to_slack {
                    out!("{}: posted to Slack", outcome.name);
                }
            }
            Err(error) => {
                eprintln!("{}: {error}", delivery.name);
                failed = true;
            }
        }
    }
    Ok(if failed { ExitCode::from(super::common::EXIT_FAILURE) } else { ExitCode::SUCCESS })
}
