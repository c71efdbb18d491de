//! `saker stats`: alert counts in a scope and time range, grouped by dimensions.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use saker_tools::store::{AlertStore, GROUP_KEY_NAMES, GroupCounts, GroupKey};
use serde::Serialize;

use super::common::{DataDirArgs, FilterArgs};

/// Arguments of `saker stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    data: DataDirArgs,
    #[command(flatten)]
    filter: FilterArgs,
    /// Group by (repeatable): rule, priority, source, tag, mitre_tactic, mitre_technique, cluster,
    /// namespace, workload, pod, container, container_name, image, process, user, file, host,
    /// hour, day.
    #[arg(long = "by", default_values_t = vec!["rule".to_string()])]
    by: Vec<String>,
    /// Groups listed per table.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct StatsReport {
    scope: String,
    since: Option<String>,
    until: Option<String>,
    total: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    groups: Vec<GroupTable>,
}

#[derive(Debug, Serialize)]
struct GroupTable {
    by: &'static str,
    #[serde(flatten)]
    counts: GroupCounts,
}

/// Runs `saker stats`.
pub fn run(arguments: StatsArgs) -> anyhow::Result<ExitCode> {
    let keys = arguments
        .by
        .iter()
        .map(|name| match GroupKey::parse(name) {
            Some(key) => Ok(key),
            None => bail!("--by {name:?} is not a dimension (allowed: {GROUP_KEY_NAMES})"),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let filter = arguments.filter.filter()?;
    let store = arguments.data.open_store()?;
    let total = store.count(&filter).context("count failed")?;
    let bounds = store.time_bounds(&filter).context("time bounds failed")?;
    let groups = keys
        .into_iter()
        .map(|key| {
            let counts = store.group_counts(&filter, key, arguments.limit).context("grouping failed")?;
            Ok(GroupTable { by: key.name(), counts })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rfc3339 = |time: chrono::DateTime<chrono::Utc>| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let report = StatsReport {
        scope: filter.scope.to_string(),
        since: filter.time.since.map(rfc3339),
        until: filter.time.until.map(rfc3339),
        total,
        first_seen: bounds.map(|(first, _)| rfc3339(first)),
        last_seen: bounds.map(|(_, last)| rfc3339(last)),
        groups,
    };
    if arguments.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_tables(&report)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_tables(report: &StatsReport) -> std::io::Result<()> {
    let scope = if report.scope.is_empty() { "everything" } else { report.scope.as_str() };
    out!("scope: {scope}");
    if report.since.is_some() || report.until.is_some() {
        out!(
            "time:  {} .. {}",
            report.since.as_deref().unwrap_or("(start)"),
            report.until.as_deref().unwrap_or("(now)")
        );
    }
    out!("total: {}", report.total);
    if let (Some(first), Some(last)) = (&report.first_seen, &report.last_seen) {
        out!("first: {first}\nlast:  {last}");
    }
    for table in &report.groups {
        let width =
            table.counts.groups.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0).max(table.by.len());
        out!("\n{:<width$}  {:>8}", table.by, "alerts");
        for (name, count) in &table.counts.groups {
            out!("{name:<width$}  {count:>8}");
        }
        if table.counts.other_groups > 0 {
            let label = format!("({} more)", table.counts.other_groups);
            out!("{label:<width$}  {:>8}", table.counts.other_count);
        }
        if table.counts.missing > 0 {
            out!("{:<width$}  {:>8}", "(none)", table.counts.missing);
        }
    }
    Ok(())
}
