//! `saker tool`: lists the investigation tools or runs one with JSON arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;

use super::common::{DataDirArgs, parse_now};

/// Arguments of `saker tool`.
#[derive(Debug, Args)]
pub struct ToolArgs {
    #[command(flatten)]
    data: DataDirArgs,
    /// List every tool with its description and JSON Schema.
    #[arg(long, conflicts_with_all = ["name", "arguments"])]
    list: bool,
    /// The tool to run (see --list).
    #[arg(required_unless_present = "list")]
    name: Option<String>,
    /// The tool's arguments as a JSON object (default `{}`).
    arguments: Option<String>,
    /// The current time (RFC 3339) for relative ranges such as `last: 7d`.
    #[arg(long)]
    now: Option<String>,
    /// Rules files or directories (default: Falco's own paths under /etc/falco).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
}

/// Runs `saker tool`.
pub fn run(arguments: ToolArgs) -> anyhow::Result<ExitCode> {
    let registry = ToolRegistry::standard();
    if arguments.list {
        let specs: Vec<_> = registry.specs().collect();
        out!("{}", serde_json::to_string_pretty(&specs)?);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(name) = arguments.name.as_deref() else {
        bail!("name a tool, or pass --list");
    };
    let json_arguments: serde_json::Value = match arguments.arguments.as_deref() {
        None => serde_json::json!({}),
        Some(text) => serde_json::from_str(text).with_context(|| format!("arguments are not JSON: {text}"))?,
    };
    let catalog = if arguments.rules.is_empty() {
        RulesCatalog::load_default().context("cannot load the default Falco rules files")?
    } else {
        RulesCatalog::load(&arguments.rules).context("cannot load the rules files")?
    };
    let store = arguments.data.open_store()?;
    let now = parse_now(arguments.now.as_deref())?;
    let context = ToolContext::new(&store, &catalog, now);
    let output = registry.invoke(name, json_arguments, &context)?;
    out!("{}", serde_json::to_string_pretty(&output)?);
    Ok(ExitCode::SUCCESS)
}
