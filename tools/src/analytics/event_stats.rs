//! `event_stats`: counts, groupings, severity breakdown, analyst categories and, on request,
//! the change from the previous period of the same length.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::categories::{Category, RuleFacts, categorize};
use super::common::{NameCount, dimension_scope, percent_change, timestamp};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::Priority;
use crate::scope::Dimension;
use crate::store::{AlertFilter, GroupCounts, GroupKey, SearchOrder, TimeBucket};

/// The tool.
pub struct EventStats;

/// What `event_stats` can group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Falco rule.
    Rule,
    /// Priority.
    Priority,
    /// Event source.
    Source,
    /// Rule tag.
    Tag,
    /// MITRE ATT&CK tactic ID.
    MitreTactic,
    /// MITRE ATT&CK technique ID.
    MitreTechnique,
    /// Kubernetes cluster.
    Cluster,
    /// Kubernetes namespace.
    Namespace,
    /// Workload (Deployment, StatefulSet, ...).
    Workload,
    /// Pod.
    Pod,
    /// Container id.
    Container,
    /// Image repository.
    Image,
    /// Process name.
    Process,
    /// User name.
    User,
    /// Host name.
    Host,
    /// Hourly buckets.
    Hour,
    /// Daily buckets (UTC).
    Day,
}

impl GroupBy {
    fn key(self) -> GroupKey {
        let dimension = match self {
            GroupBy::Hour => return GroupKey::Time(TimeBucket::Hour),
            GroupBy::Day => return GroupKey::Time(TimeBucket::Day),
            GroupBy::Rule => Dimension::Rule,
            GroupBy::Priority => Dimension::Priority,
            GroupBy::Source => Dimension::Source,
            GroupBy::Tag => Dimension::Tag,
            GroupBy::MitreTactic => Dimension::MitreTactic,
            GroupBy::MitreTechnique => Dimension::MitreTechnique,
            GroupBy::Cluster => Dimension::Cluster,
            GroupBy::Namespace => Dimension::Namespace,
            GroupBy::Workload => Dimension::Workload,
            GroupBy::Pod => Dimension::Pod,
            GroupBy::Container => Dimension::ContainerId,
            GroupBy::Image => Dimension::Image,
            GroupBy::Process => Dimension::Process,
            GroupBy::User => Dimension::User,
            GroupBy::Host => Dimension::Host,
        };
        GroupKey::Dimension(dimension)
    }
}

/// Arguments of `event_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct EventStatsArgs {
    /// Which alerts.
    #[serde(flatten)]
    pub window: Window,
    /// Dimensions to group by, each once, at most 8 (default: rule, priority, namespace,
    /// workload).
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_GROUPINGS), extend("uniqueItems" = true))]
    pub group_by: Vec<GroupBy>,
    /// Groups listed per dimension (1 to 50, default 10).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// Also compute the same figures for the equally long period just before, and the change.
    #[serde(default)]
    pub compare_previous: bool,
}

/// Output of `event_stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventStatsOutput {
    /// The alerts counted.
    pub evidence: Evidence,
    /// Number of alerts.
    pub total: u64,
    /// Earliest alert time.
    pub first_seen: Option<String>,
    /// Latest alert time.
    pub last_seen: Option<String>,
    /// Alerts per priority, most severe first (only priorities that occur).
    pub severity: Vec<NameCount>,
    /// Counts per requested dimension.
    pub groups: Vec<GroupTable>,
    /// The alerts in analyst categories, largest first, with their rules and workloads.
    pub categories: Vec<CategorySummary>,
    /// The previous period, when `compare_previous` was asked and the range is bounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousPeriod>,
}

/// Counts for one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupTable {
    /// The dimension.
    pub by: GroupBy,
    /// The largest groups (time buckets in time order).
    pub rows: Vec<GroupRow>,
    /// Groups not listed.
    pub more_groups: u64,
    /// Alerts in groups not listed.
    pub more_count: u64,
    /// Alerts without a value for this dimension.
    pub missing: u64,
}

/// One group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupRow {
    /// The value (or bucket start time).
    pub value: String,
    /// Alerts in this period.
    pub count: u64,
    /// Alerts in the previous period (with `compare_previous`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<u64>,
    /// `count - previous`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
    /// Percent change, absent when the previous count is 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_percent: Option<f64>,
}

/// Alerts of one analyst category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CategorySummary {
    /// The category.
    pub category: Category,
    /// Its English label.
    pub label: String,
    /// Alerts in it.
    pub count: u64,
    /// Its rules, largest first.
    pub rules: Vec<NameCount>,
    /// The workloads hit, largest first (at most 10).
    pub workloads: Vec<NameCount>,
    /// Workloads not listed.
    pub more_workloads: u64,
    /// Event-feed link for the category's alerts.
    pub link: String,
}

/// The period just before, and the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PreviousPeriod {
    /// The previous period's alerts.
    pub evidence: Evidence,
    /// Alerts then.
    pub total: u64,
    /// `total now - total then`.
    pub change: i64,
    /// Percent change, absent when there were none before.
    pub change_percent: Option<f64>,
}

const DEFAULT_GROUPS: [GroupBy; 4] = [GroupBy::Rule, GroupBy::Priority, GroupBy::Namespace, GroupBy::Workload];
const WORKLOADS_PER_CATEGORY: usize = 10;
const RULES_CONSIDERED: usize = 500;

impl Tool for EventStats {
    const NAME: &'static str = "event_stats";
    type Args = EventStatsArgs;
    type Output = EventStatsOutput;

    fn description() -> &'static str {
        "Counts Falco alerts in a scope and time range: the total, first and last seen, the severity \
         breakdown, counts grouped by dimensions (rule, priority, source, tag, mitre_tactic, \
         mitre_technique, cluster, namespace, workload, pod, container, image, process, user, host, or \
         hour/day buckets), and the alerts sorted into analyst categories (malicious binary, drift \
         detection, reconnaissance, credential access, ...) with the workloads in each. Use it to \
         summarise a cluster or namespace, to answer 'how many', and with compare_previous=true to \
         compare with the equally long period before (needs a bounded range such as last=7d)."
    }

    fn call(context: &ToolContext<'_>, args: EventStatsArgs) -> Result<EventStatsOutput, ToolError> {
        let filter = args.window.filter(context)?;
        let limit = args.limit.unwrap_or(10).clamp(1, 50) as usize;
        let group_by: Vec<GroupBy> =
            if args.group_by.is_empty() { DEFAULT_GROUPS.to_vec() } else { args.group_by.clone() };
        let previous_filter = if args.compare_previous {
            filter.time.previous().map(|time| AlertFilter { scope: filter.scope.clone(), time })
        } else {
            None
        };

        let evidence = Evidence::of(context.store, &filter)?;
        let total = evidence.count;
        // One pass for the bounds and every dimension asked for (plus priority and rule, which
        // the severity breakdown and the categories need), one for rule × workload.
        let mut dimensions = vec![Dimension::Priority, Dimension::Rule];
        for by in &group_by {
            if let GroupKey::Dimension(dimension) = by.key()
                && !dimensions.contains(&dimension)
            {
                dimensions.push(dimension);
            }
        }
        let current = Facets::of(context, &filter, &dimensions)?;
        let previous_facets = match &previous_filter {
            Some(previous_filter) => Some(Facets::of(context, previous_filter, &dimensions)?),
            None => None,
        };
        let severity = severity_breakdown(current.counts(Dimension::Priority));
        let mut groups = Vec::with_capacity(group_by.len());
        for by in group_by {
            groups.push(group_table(context, &filter, &current, previous_facets.as_ref(), by, limit)?);
        }
        let categories = category_summaries(context, &filter, current.counts(Dimension::Rule))?;
        let previous = match &previous_filter {
            Some(previous_filter) => {
                let evidence = Evidence::of(context.store, previous_filter)?;
                let then = evidence.count;
                Some(PreviousPeriod {
                    evidence,
                    total: then,
                    change: total as i64 - then as i64,
                    change_percent: percent_change(then, total),
                })
            }
            None => None,
        };
        Ok(EventStatsOutput {
            evidence,
            total,
            first_seen: current.bounds.map(|(first, _)| timestamp(first)),
            last_seen: current.bounds.map(|(_, last)| timestamp(last)),
            severity,
            groups,
            categories,
            previous,
        })
    }
}

/// Every value's count for several dimensions, and the time bounds, from one store pass.
struct Facets {
    bounds: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
    counts: BTreeMap<Dimension, GroupCounts>,
}

impl Facets {
    fn of(context: &ToolContext<'_>, filter: &AlertFilter, dimensions: &[Dimension]) -> Result<Facets, ToolError> {
        let rollup = context.store.rollup(filter, &[], dimensions, usize::MAX, 1)?;
        let Some(row) = rollup.rows.into_iter().next() else {
            return Ok(Facets { bounds: None, counts: BTreeMap::new() });
        };
        Ok(Facets {
            bounds: Some((row.first, row.last)),
            counts: dimensions.iter().copied().zip(row.details).collect(),
        })
    }

    /// All values of a dimension, largest first (empty when nothing matched).
    fn counts(&self, dimension: Dimension) -> GroupCounts {
        self.counts.get(&dimension).cloned().unwrap_or_default()
    }
}

fn severity_breakdown(counts: GroupCounts) -> Vec<NameCount> {
    let by_name: BTreeMap<String, u64> = counts.groups.into_iter().collect();
    Priority::ALL
        .iter()
        .filter_map(|priority| {
            let count = *by_name.get(priority.as_str())?;
            Some(NameCount { name: priority.as_str().to_string(), count })
        })
        .collect()
}

fn group_table(
    context: &ToolContext<'_>,
    filter: &AlertFilter,
    current: &Facets,
    previous: Option<&Facets>,
    by: GroupBy,
    limit: usize,
) -> Result<GroupTable, ToolError> {
    let (counts, previous_counts) = match by.key() {
        GroupKey::Time(bucket) => (context.store.group_counts(filter, GroupKey::Time(bucket), 10_000)?, None),
        GroupKey::Dimension(dimension) => {
            let all = current.counts(dimension);
            let previous: Option<BTreeMap<String, u64>> =
                previous.map(|facets| facets.counts(dimension).groups.into_iter().collect());
            (top(all, limit), previous)
        }
    };
    let rows = counts
        .groups
        .into_iter()
        .map(|(value, count)| {
            let previous = previous_counts.as_ref().map(|map| map.get(&value).copied().unwrap_or(0));
            GroupRow {
                change: previous.map(|then| count as i64 - then as i64),
                change_percent: previous.and_then(|then| percent_change(then, count)),
                previous,
                value,
                count,
            }
        })
        .collect();
    Ok(GroupTable {
        by,
        rows,
        more_groups: counts.other_groups,
        more_count: counts.other_count,
        missing: counts.missing,
    })
}

/// The first `limit` groups; the rest counted as "more".
fn top(mut counts: GroupCounts, limit: usize) -> GroupCounts {
    if counts.groups.len() > limit {
        let rest = counts.groups.split_off(limit);
        counts.other_groups += rest.len() as u64;
        counts.other_count += rest.iter().map(|(_, count)| count).sum::<u64>();
    }
    counts
}

fn category_summaries(
    context: &ToolContext<'_>,
    filter: &AlertFilter,
    rules: GroupCounts,
) -> Result<Vec<CategorySummary>, ToolError> {
    let mut by_category: BTreeMap<Category, Vec<NameCount>> = BTreeMap::new();
    let mut category_of_rule: BTreeMap<String, Category> = BTreeMap::new();
    for (rule, count) in rules.groups.into_iter().take(RULES_CONSIDERED) {
        let category = rule_category(context, filter, &rule)?;
        category_of_rule.insert(rule.clone(), category);
        by_category.entry(category).or_default().push(NameCount { name: rule, count });
    }
    let pairs = context.store.tuple_counts(filter, &[Dimension::Rule, Dimension::Workload], usize::MAX)?;
    let mut workloads_of: BTreeMap<Category, BTreeMap<String, u64>> = BTreeMap::new();
    for (values, count) in pairs.rows {
        let (Some(Some(rule)), Some(Some(workload))) = (values.first(), values.get(1)) else { continue };
        if let Some(category) = category_of_rule.get(rule) {
            *workloads_of.entry(*category).or_default().entry(workload.clone()).or_default() += count;
        }
    }
    let mut summaries = Vec::with_capacity(by_category.len());
    for (category, rules) in by_category {
        let count = rules.iter().map(|rule| rule.count).sum();
        let rule_names = rules.iter().map(|rule| rule.name.clone()).collect();
        let category_filter =
            AlertFilter { scope: filter.scope.and(&dimension_scope(Dimension::Rule, rule_names)), time: filter.time };
        let mut workloads: Vec<NameCount> = workloads_of
            .remove(&category)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, count)| NameCount { name, count })
            .collect();
        workloads.sort_by(|left, right| right.count.cmp(&left.count).then_with(|| left.name.cmp(&right.name)));
        let more_workloads = workloads.len().saturating_sub(WORKLOADS_PER_CATEGORY) as u64;
        workloads.truncate(WORKLOADS_PER_CATEGORY);
        summaries.push(CategorySummary {
            category,
            label: category.label().to_string(),
            count,
            rules,
            workloads,
            more_workloads,
            link: Evidence::with_count(&category_filter, count, Vec::new()).link,
        });
    }
    summaries.sort_by(|left, right| right.count.cmp(&left.count).then(left.category.cmp(&right.category)));
    Ok(summaries)
}

/// A rule's category: from the loaded rules file when the catalog has the rule (no query),
/// else from the tags of its newest alert in the filter (Falco copies the rule's tags into
/// every alert, so both give the same answer).
fn rule_category(context: &ToolContext<'_>, filter: &AlertFilter, rule: &str) -> Result<Category, ToolError> {
    if let Some(known) = context.rules.rule(rule) {
        let (tactics, techniques) = crate::mitre::ids_from_tags(&known.tags);
        return Ok(categorize(&RuleFacts {
            rule,
            source: &known.source,
            tags: &known.tags,
            tactics: &tactics,
            techniques: &techniques,
        }));
    }
    let rule_filter = AlertFilter {
        scope: filter.scope.and(&dimension_scope(Dimension::Rule, vec![rule.to_string()])),
        time: filter.time,
    };
    let sample = context.store.search(&rule_filter, None, SearchOrder::NewestFirst, 0, 1)?;
    let Some(alert) = sample.alerts.first() else {
        return Ok(Category::Other);
    };
    Ok(categorize(&RuleFacts {
        rule,
        source: &alert.source,
        tags: &alert.tags,
        tactics: &alert.dimensions.mitre_tactics,
        techniques: &alert.dimensions.mitre_techniques,
    }))
}
