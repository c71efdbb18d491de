//! `saker exception validate FILE`: checks the Falco exceptions of a rules file (or a snippet for
//! `falco_rules.local.yaml`) against the loaded rules, prints `FILE:LINE: item: message
//! (allowed: ...)` per problem and a summary, and exits 0 when valid, 3 when there are problems,
//! 1 on any other failure.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use saker_tools::exceptions::validate::{
    FalcoVersion, LayerStatus, Problem, Severity, ValidationOptions, ValidationReport, validate_yaml,
};
use saker_tools::rules::{RulesCatalog, expand_paths};

use super::common::EXIT_REJECTED;

/// Arguments of `saker exception`.
#[derive(Debug, Args)]
pub struct ExceptionArgs {
    #[command(subcommand)]
    command: ExceptionCommand,
}

#[derive(Debug, Subcommand)]
enum ExceptionCommand {
    /// Validate the exceptions of a rules YAML file in layers: YAML syntax, Saker's exception
    /// schema, Falco's rules schema (with --falco-schema), Falco's semantics against the loaded
    /// rules.
    ///
    /// Exit status: 0 when valid (warnings allowed), 3 when there are problems (each printed as
    /// FILE:LINE: item: message), 1 on any other failure.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// The rules YAML file: a snippet for falco_rules.local.yaml or a whole rules file; `-`
    /// reads stdin.
    file: PathBuf,
    /// Rules file or directory the exceptions refer to (repeatable, in Falco's load order);
    /// default: what Falco loads (/etc/falco/falco_rules.yaml, falco_rules.local.yaml,
    /// rules.d). FILE itself is left out of them.
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Falco's rules schema, rule_schema.json (the JSON inside Falco's
    /// userspace/engine/rule_json_schema.h); without it that layer is skipped.
    #[arg(long)]
    falco_schema: Option<PathBuf>,
    /// The Falco release to validate for, e.g. 0.43.0 (default: the newest Saker knows).
    #[arg(long)]
    falco_version: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `saker exception`.
pub fn run(arguments: ExceptionArgs) -> anyhow::Result<ExitCode> {
    match arguments.command {
        ExceptionCommand::Validate(arguments) => validate(arguments),
    }
}

fn validate(arguments: ValidateArgs) -> anyhow::Result<ExitCode> {
    let falco_version = match &arguments.falco_version {
        Some(text) => text.parse::<FalcoVersion>().context("invalid --falco-version")?,
        None => FalcoVersion::default(),
    };
    let text = read_input(&arguments.file)?;
    let catalog = load_rules(&arguments.rules, &arguments.file)?;
    let options = ValidationOptions { falco_version, falco_schema: arguments.falco_schema.clone() };
    let report = validate_yaml(&text, &catalog, &options);
    let shown_name = arguments.file.display().to_string();
    if arguments.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&shown_name, &report, catalog.rules().count())?;
    }
    Ok(if report.valid { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) })
}

fn read_input(file: &Path) -> anyhow::Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the rules YAML from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Loads the rules the exceptions refer to, leaving out the file being validated (it may be
/// one of Falco's own files, e.g. falco_rules.local.yaml).
fn load_rules(paths: &[PathBuf], validated: &Path) -> anyhow::Result<RulesCatalog> {
    let explicit = !paths.is_empty();
    let paths = if explicit { paths.to_vec() } else { RulesCatalog::default_paths() };
    let files = expand_paths(&paths, !explicit).context("cannot list the rules files")?;
    let validated = std::fs::canonicalize(validated).ok();
    let files: Vec<PathBuf> =
        files.into_iter().filter(|file| validated.is_none() || std::fs::canonicalize(file).ok() != validated).collect();
    RulesCatalog::load(&files).context("cannot load the rules files")
}

fn print_report(file: &str, report: &ValidationReport, loaded_rules: usize) -> anyhow::Result<()> {
    let mut all: Vec<&Problem> = report.problems.iter().chain(&report.warnings).collect();
    all.sort_by_key(|problem| (problem.line.unwrap_or(usize::MAX), problem.column.unwrap_or(usize::MAX)));
    for problem in all {
        let place = match problem.line {
            Some(line) => format!("{file}:{line}"),
            None => file.to_string(),
        };
        let severity = if problem.severity == Severity::Warning { "warning: " } else { "" };
        out!("{place}: {}: {severity}{} [{}]", problem.item, problem.message_with_allowed(), problem.layer.label());
    }
    for run in &report.layers_run {
        match run.status {
            LayerStatus::Ran => {}
            LayerStatus::Partial => out!("note: {} ran on part of the file: {}", run.layer.label(), run.note),
            LayerStatus::Skipped => out!("note: {} skipped: {}", run.layer.label(), run.note),
        }
    }
    let verdict = if report.valid { "valid" } else { "invalid" };
    let checked = if report.rules_checked.is_empty() {
        "no rule's exceptions".to_string()
    } else {
        report.rules_checked.iter().map(|name| format!("{name:?}")).collect::<Vec<_>>().join(", ")
    };
    out!(
        "{file}: {verdict} for Falco {}: {} error(s), {} warning(s); checked {checked} against {loaded_rules} loaded rule(s)",
        report.falco_version,
        report.problems.len(),
        report.warnings.len()
    );
    Ok(())
}
