//! `compare_periods`: a category of alerts (e.g. reconnaissance) in the last period against
//! the one before: counts, change and trend, daily series, techniques, tools, processes and
//! workloads. This is the weekly reconnaissance report analysts run.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::categories::{Category, RuleFacts, categorize};
use super::common::{dimension_scope, percent_change};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::known_tools::known_tool;
use crate::mitre;
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, GroupKey, SearchOrder, TimeBucket, TimeRange};

/// The tool.
pub struct ComparePeriods;

/// A named period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The last 7 × 24 hours against the 7 × 24 hours before.
    Week,
    /// The last 24 hours against the 24 hours before.
    Day,
}

/// Arguments of `compare_periods`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct ComparePeriodsArgs {
    /// Which alerts (scope) and, instead of `period`, the current period (`last`, or
    /// `since` and `until`).
    #[serde(flatten)]
    pub window: Window,
    /// Analyst category to compare, e.g. `reconnaissance` (network tools, metadata service,
    /// environment reads and the MITRE reconnaissance and discovery tactics).
    #[serde(default)]
    pub category: Option<Category>,
    /// Rules to include (added to the category).
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAMES), inner(length(max = super::arg_limits::MAX_NAME_CHARS)))]
    pub rules: Vec<String>,
    /// Rule tags to include, e.g. `network` (added to the category).
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAMES), inner(length(max = super::arg_limits::MAX_NAME_CHARS)))]
    pub tags: Vec<String>,
    /// MITRE tactics to include, by ID or name, e.g. `TA0043` or `discovery`.
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAMES), inner(length(max = super::arg_limits::MAX_NAME_CHARS)))]
    pub tactics: Vec<String>,
    /// Period length: `week` (default) or `day`. Give `last` (e.g. `3d`) for other lengths.
    #[serde(default)]
    pub period: Option<Period>,
    /// Rows listed per table (1 to 50, default 10).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
}

/// Output of `compare_periods`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ComparePeriodsOutput {
    /// What was counted, in words (`reconnaissance`, `all alerts`, ...).
    pub selection: String,
    /// The rules the category resolved to (observed in either period).
    pub category_rules: Vec<String>,
    /// The current period.
    pub current: PeriodFigures,
    /// The period of equal length just before.
    pub previous: PeriodFigures,
    /// `current - previous`.
    pub change: i64,
    /// Percent change, absent when the previous period had none.
    pub change_percent: Option<f64>,
    /// `up`, `down` or `flat` (flat: no change, or under 10 % either way).
    pub trend: Trend,
    /// Width of the series buckets (`day`, or `hour` for periods under two days).
    pub bucket: TimeBucket,
    /// Rules, with both periods' counts.
    pub rules: Vec<CompareRow>,
    /// MITRE techniques (ID, name), with both periods' counts.
    pub techniques: Vec<TechniqueRow>,
    /// Recognised tools (network scanners, downloaders, discovery commands, metadata service
    /// access, environment reads), with both periods' counts of alerts showing them.
    pub tools: Vec<ToolRow>,
    /// Process names, with both periods' counts.
    pub processes: Vec<CompareRow>,
    /// Workloads (`namespace/workload`), with both periods' counts.
    pub workloads: Vec<CompareRow>,
    /// A sentence for an empty result or a caveat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The figures of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PeriodFigures {
    /// The alerts counted (scope, time range, count, samples, link).
    pub evidence: Evidence,
    /// Alerts in the period.
    pub total: u64,
    /// Alerts per bucket (start time, RFC 3339), every bucket of the period, zeros included.
    pub series: Vec<BucketCount>,
}

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BucketCount {
    /// Bucket start (UTC).
    pub start: String,
    /// Alerts in the bucket and the period.
    pub count: u64,
}

/// Direction of the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// More than before.
    Up,
    /// Fewer than before.
    Down,
    /// About the same.
    Flat,
}

/// A value counted in both periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CompareRow {
    /// The value.
    pub name: String,
    /// Alerts in the current period.
    pub current: u64,
    /// Alerts in the previous period.
    pub previous: u64,
}

/// A technique counted in both periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TechniqueRow {
    /// `T1552.005`.
    pub id: String,
    /// Its ATT&CK name (empty when unknown).
    pub name: String,
    /// Alerts in the current period.
    pub current: u64,
    /// Alerts in the previous period.
    pub previous: u64,
}

/// A recognised tool counted in both periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ToolRow {
    /// The tool (`nmap`, `cloud metadata service (169.254.169.254)`).
    pub name: String,
    /// What it is typically used for.
    pub kind: String,
    /// Alerts showing it in the current period.
    pub current: u64,
    /// Alerts showing it in the previous period.
    pub previous: u64,
}

const RULES_CONSIDERED: usize = 1_000;

impl Tool for ComparePeriods {
    const NAME: &'static str = "compare_periods";
    type Args = ComparePeriodsArgs;
    type Output = ComparePeriodsOutput;

    fn description() -> &'static str {
        "Compares a category of Falco alerts in the last period with the equally long period \
         before: the weekly (or daily) report, e.g. category='reconnaissance', period='week' with a \
         cluster scope. Returns both counts, the change (absolute, percent) and trend, the series per \
         day for both periods, the MITRE technique IDs with names, the tools used (nmap, nc, curl, \
         whoami, access to the metadata service 169.254.169.254, /proc/*/environ reads, ...), \
         process names, rules and top workloads, each with both periods' counts. Select with \
         category and/or explicit rules, tags or tactics; without any, all alerts in scope."
    }

    fn call(context: &ToolContext<'_>, args: ComparePeriodsArgs) -> Result<ComparePeriodsOutput, ToolError> {
        let limit = args.limit.unwrap_or(10).clamp(1, 50) as usize;
        let window = period_window(&args)?;
        let base = window.filter(context)?;
        let previous_time = base.time.previous().ok_or_else(|| ToolError::InvalidArguments {
            tool: Self::NAME,
            problems: "compare_periods needs a bounded period: give period, last, or both since and until".to_string(),
        })?;
        let both = AlertFilter {
            scope: base.scope.clone(),
            time: TimeRange { since: previous_time.since, until: base.time.until },
        };
        let (selection_scope, category_rules) = selection(context, &args, &both)?;
        let scope = base.scope.and(&selection_scope);
        let current_filter = AlertFilter { scope: scope.clone(), time: base.time };
        let previous_filter = AlertFilter { scope, time: previous_time };

        let bucket = bucket_for(&base.time);
        let current = figures(context, &current_filter, bucket)?;
        let previous = figures(context, &previous_filter, bucket)?;
        let compare = |dimension| compare_rows(context, &current_filter, &previous_filter, dimension, limit);
        let rules = compare(Dimension::Rule)?;
        let techniques = compare(Dimension::MitreTechnique)?
            .into_iter()
            .map(|row| TechniqueRow {
                name: mitre::technique(&row.name).map(mitre::Technique::full_name).unwrap_or_default(),
                id: row.name,
                current: row.current,
                previous: row.previous,
            })
            .collect();
        let processes = compare(Dimension::Process)?;
        let workloads = workload_rows(context, &current_filter, &previous_filter, limit)?;
        let tools = tool_rows(context, &current_filter, &previous_filter, limit)?;

        let change = current.total as i64 - previous.total as i64;
        let change_percent = percent_change(previous.total, current.total);
        let selection_label = selection_label(&args);
        let note = if current.total == 0 && previous.total == 0 {
            Some(format!("No {selection_label} alerts in either period in this scope."))
        } else {
            None
        };
        Ok(ComparePeriodsOutput {
            selection: selection_label,
            category_rules,
            trend: trend(previous.total, current.total),
            current,
            previous,
            change,
            change_percent,
            bucket,
            rules,
            techniques,
            tools,
            processes,
            workloads,
            note,
        })
    }
}

/// The window of the current period: `period` becomes `last`, unless the caller gave a range.
fn period_window(args: &ComparePeriodsArgs) -> Result<Window, ToolError> {
    let mut window = args.window.clone();
    let ranged = window.last.is_some() || window.since.is_some();
    match (args.period, ranged) {
        (Some(_), true) => Err(ToolError::InvalidArguments {
            tool: ComparePeriods::NAME,
            problems: "give either period or last/since, not both".to_string(),
        }),
        (Some(Period::Day), false) => {
            window.last = Some("1d".to_string());
            Ok(window)
        }
        (Some(Period::Week) | None, false) => {
            window.last = Some("7d".to_string());
            Ok(window)
        }
        (None, true) => Ok(window),
    }
}

fn selection_label(args: &ComparePeriodsArgs) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(category) = args.category {
        parts.push(category.label().to_string());
    }
    for (kind, values) in [("rules", &args.rules), ("tags", &args.tags), ("tactics", &args.tactics)] {
        if !values.is_empty() {
            parts.push(format!("{kind} {}", values.join(", ")));
        }
    }
    if parts.is_empty() { "all".to_string() } else { parts.join(" or ") }
}

/// The scope that selects the category and the listed rules, tags and tactics, and the rules
/// the category resolved to.
fn selection(
    context: &ToolContext<'_>,
    args: &ComparePeriodsArgs,
    both: &AlertFilter,
) -> Result<(Scope, Vec<String>), ToolError> {
    let mut parts: Vec<ScopeExpr> = Vec::new();
    let mut category_rules = Vec::new();
    if let Some(category) = args.category {
        category_rules = rules_of_category(context, both, category)?;
        if !category_rules.is_empty() {
            parts.push(in_values(Dimension::Rule, category_rules.clone()));
        }
    }
    if !args.rules.is_empty() {
        parts.push(in_values(Dimension::Rule, args.rules.clone()));
    }
    if !args.tags.is_empty() {
        parts.push(in_values(Dimension::Tag, args.tags.clone()));
    }
    if !args.tactics.is_empty() {
        let mut ids = Vec::new();
        for key in &args.tactics {
            let tactic = mitre::tactic(key).ok_or_else(|| ToolError::InvalidArguments {
                tool: ComparePeriods::NAME,
                problems: format!("field /tactics: {key:?} is not a MITRE ATT&CK tactic ID or name"),
            })?;
            ids.push(tactic.id.clone());
        }
        parts.push(in_values(Dimension::MitreTactic, ids));
    }
    let selected =
        args.category.is_some() || !args.rules.is_empty() || !args.tags.is_empty() || !args.tactics.is_empty();
    let scope = match parts.into_iter().reduce(ScopeExpr::or) {
        Some(expr) => Scope::from_expr(expr),
        // A category with no alerts: a scope no alert matches, so the evidence stays honest.
        None if selected => Scope::from_expr(ScopeExpr::negate(ScopeExpr::compare(
            FieldRef::Dimension(Dimension::Rule),
            Operator::Exists,
            Vec::new(),
        ))),
        None => Scope::all(),
    };
    Ok((scope, category_rules))
}

fn in_values(dimension: Dimension, values: Vec<String>) -> ScopeExpr {
    let unique: Vec<String> = values.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    dimension_scope(dimension, unique)
        .expr()
        .cloned()
        .unwrap_or_else(|| ScopeExpr::compare(FieldRef::Dimension(dimension), Operator::Exists, Vec::new()))
}

/// The rules seen in `filter` whose category is `category` (from the loaded rule's tags, else
/// the tags of its newest alert), sorted.
fn rules_of_category(
    context: &ToolContext<'_>,
    filter: &AlertFilter,
    category: Category,
) -> Result<Vec<String>, ToolError> {
    let rules = context.store.group_counts(filter, GroupKey::Dimension(Dimension::Rule), RULES_CONSIDERED)?;
    let mut matching = Vec::new();
    for (rule, _) in rules.groups {
        if rule_category(context, filter, &rule)? == category {
            matching.push(rule);
        }
    }
    matching.sort();
    Ok(matching)
}

fn rule_category(context: &ToolContext<'_>, filter: &AlertFilter, rule: &str) -> Result<Category, ToolError> {
    if let Some(loaded) = context.rules.rule(rule) {
        let (tactics, techniques) = mitre::ids_from_tags(&loaded.tags);
        return Ok(categorize(&RuleFacts {
            rule,
            source: &loaded.source,
            tags: &loaded.tags,
            tactics: &tactics,
            techniques: &techniques,
        }));
    }
    let rule_filter = AlertFilter {
        scope: filter.scope.and(&dimension_scope(Dimension::Rule, vec![rule.to_string()])),
        time: filter.time,
    };
    let sample = context.store.search(&rule_filter, None, SearchOrder::NewestFirst, 0, 1)?;
    Ok(sample.alerts.first().map_or(Category::Other, |alert| {
        categorize(&RuleFacts {
            rule,
            source: &alert.source,
            tags: &alert.tags,
            tactics: &alert.dimensions.mitre_tactics,
            techniques: &alert.dimensions.mitre_techniques,
        })
    }))
}

fn bucket_for(time: &TimeRange) -> TimeBucket {
    match (time.since, time.until) {
        (Some(since), Some(until)) if until - since < chrono::Duration::days(2) => TimeBucket::Hour,
        _ => TimeBucket::Day,
    }
}

fn figures(context: &ToolContext<'_>, filter: &AlertFilter, bucket: TimeBucket) -> Result<PeriodFigures, ToolError> {
    let evidence = Evidence::of(context.store, filter)?;
    let series = context.store.group_counts(filter, GroupKey::Time(bucket), 10_000)?;
    Ok(PeriodFigures {
        total: evidence.count,
        evidence,
        series: series.groups.into_iter().map(|(start, count)| BucketCount { start, count }).collect(),
    })
}

fn trend(previous: u64, current: u64) -> Trend {
    let flat = current == previous || percent_change(previous, current).is_some_and(|percent| percent.abs() < 10.0);
    if flat {
        Trend::Flat
    } else if current > previous {
        Trend::Up
    } else {
        Trend::Down
    }
}

/// Merges two periods' counts: current first, largest first, ties by name.
fn merge_rows(current: BTreeMap<String, u64>, previous: BTreeMap<String, u64>, limit: usize) -> Vec<CompareRow> {
    let names: BTreeSet<&String> = current.keys().chain(previous.keys()).collect();
    let mut rows: Vec<CompareRow> = names
        .into_iter()
        .map(|name| CompareRow {
            name: name.clone(),
            current: current.get(name).copied().unwrap_or(0),
            previous: previous.get(name).copied().unwrap_or(0),
        })
        .collect();
    rows.sort_by(|left, right| {
        right.current.cmp(&left.current).then(right.previous.cmp(&left.previous)).then(left.name.cmp(&right.name))
    });
    rows.truncate(limit);
    rows
}

fn compare_rows(
    context: &ToolContext<'_>,
    current: &AlertFilter,
    previous: &AlertFilter,
    dimension: Dimension,
    limit: usize,
) -> Result<Vec<CompareRow>, ToolError> {
    let counts = |filter| -> Result<BTreeMap<String, u64>, ToolError> {
        Ok(context.store.group_counts(filter, GroupKey::Dimension(dimension), usize::MAX)?.groups.into_iter().collect())
    };
    Ok(merge_rows(counts(current)?, counts(previous)?, limit))
}

fn workload_rows(
    context: &ToolContext<'_>,
    current: &AlertFilter,
    previous: &AlertFilter,
    limit: usize,
) -> Result<Vec<CompareRow>, ToolError> {
    let counts = |filter| -> Result<BTreeMap<String, u64>, ToolError> {
        let tuples = context.store.tuple_counts(filter, &[Dimension::Namespace, Dimension::Workload], usize::MAX)?;
        let mut map = BTreeMap::new();
        for (values, count) in tuples.rows {
            if let [namespace, Some(workload)] = values.as_slice() {
                let name = format!("{}/{workload}", namespace.as_deref().unwrap_or("-"));
                *map.entry(name).or_insert(0) += count;
            }
        }
        Ok(map)
    };
    Ok(merge_rows(counts(current)?, counts(previous)?, limit))
}

/// The recognised tools (the `tool` dimension) with both periods' counts and what each is
/// typically used for. Exact: an aggregation, like the other tables.
fn tool_rows(
    context: &ToolContext<'_>,
    current: &AlertFilter,
    previous: &AlertFilter,
    limit: usize,
) -> Result<Vec<ToolRow>, ToolError> {
    Ok(compare_rows(context, current, previous, Dimension::Tool, limit)?
        .into_iter()
        .map(|row| ToolRow {
            kind: known_tool(&row.name).map(|tool| tool.kind).unwrap_or_default().to_string(),
            name: row.name,
            current: row.current,
            previous: row.previous,
        })
        .collect())
}
