//! `saker rules list|show`: the Falco rules Saker reads, as Falco would load them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use saker_tools::rules::{Rule, RulesCatalog};
use serde::Serialize;

/// Arguments of `saker rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Rules file or directory (repeatable, loaded in order); default: what Falco loads
    /// (/etc/falco/falco_rules.yaml, /etc/falco/falco_rules.local.yaml, /etc/falco/rules.d).
    #[arg(long = "rules", global = true)]
    rules: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// List the rules: name, priority, source, enabled, tags.
    List,
    /// Show one rule in full.
    Show {
        /// The rule's exact name.
        name: String,
    },
}

#[derive(Debug, Serialize)]
struct RuleSummary<'rule> {
    name: &'rule str,
    priority: &'static str,
    source: &'rule str,
    enabled: bool,
    tags: &'rule [String],
    file: String,
    line: usize,
}

impl<'rule> RuleSummary<'rule> {
    fn of(rule: &'rule Rule) -> Self {
        RuleSummary {
            name: &rule.name,
            priority: rule.priority.as_str(),
            source: &rule.source,
            enabled: rule.enabled,
            tags: &rule.tags,
            file: rule.file.display().to_string(),
            line: rule.line,
        }
    }
}

/// Runs `saker rules`.
pub fn run(arguments: RulesArgs) -> anyhow::Result<ExitCode> {
    let catalog = if arguments.rules.is_empty() {
        RulesCatalog::load_default().context("cannot load the default Falco rules files")?
    } else {
        RulesCatalog::load(&arguments.rules).context("cannot load the rules files")?
    };
    match arguments.command {
        RulesCommand::List => {
            let rules: Vec<RuleSummary> = catalog.rules().map(RuleSummary::of).collect();
            if arguments.json {
                out!("{}", serde_json::to_string_pretty(&rules)?);
            } else if rules.is_empty() {
                out!("no rules loaded (pass --rules PATH, or install Falco's rules in /etc/falco)");
            } else {
                for rule in &rules {
                    let state = if rule.enabled { "" } else { " (disabled)" };
                    out!(
                        "{:<13} {:<10} {}{}  [{}]",
                        rule.priority,
                        rule.source,
                        rule.name,
                        state,
                        rule.tags.join(", ")
                    );
                }
                out!("{} rules", rules.len());
            }
        }
        RulesCommand::Show { name } => {
            let Some(rule) = catalog.rule(&name) else {
                bail!("no rule named {name:?} in the loaded rules files");
            };
            if arguments.json {
                let mut value = serde_json::to_value(RuleSummary::of(rule))?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("desc".into(), rule.desc.clone().into());
                    object.insert("condition".into(), rule.condition.clone().into());
                    object.insert("output".into(), rule.output.clone().into());
                    object.insert(
                        "exceptions".into(),
                        rule.exceptions.iter().map(|exception| exception.name.clone()).collect(),
                    );
                }
                out!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                out!("rule:      {}", rule.name);
                out!("priority:  {}", rule.priority.as_str());
                out!("source:    {}", rule.source);
                out!("enabled:   {}", rule.enabled);
                out!("tags:      {}", rule.tags.join(", "));
                out!("defined:   {}:{}", rule.file.display(), rule.line);
                out!("desc:      {}", rule.desc.trim());
                out!("condition: {}", rule.condition.trim());
                out!("output:    {}", rule.output.trim());
                if !rule.exceptions.is_empty() {
                    let names: Vec<&str> = rule.exceptions.iter().map(|exception| exception.name.as_str()).collect();
                    out!("exceptions: {}", names.join(", "));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
