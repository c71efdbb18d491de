//! `assess_false_positive`: how likely it is that an alert, or the alerts of a scope, are
//! benign (a false positive), with every fact behind the answer: process lineage, user,
//! recurrence, spread, system workloads, other alerts around them and the rule's documented
//! benign cases, each weighed by the reviewed table in `triage::weights`. A human decides.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AlertSummary, NameCount, excerpt, is_zero, timestamp};
use super::explain_event::{ExplainEvent, ExplainEventArgs};
use super::process_tree::chain_of;
use super::process_tree::{ProcessNode, ProcessTree};
use super::triage::lineage::{ChainContext, classify, has_terminal, is_web_server};
use super::triage::nearby::{self, AssessedTimes, WINDOW_MINUTES, place_key, times_by_place};
use super::triage::recurrence::recurrence;
use super::triage::system_workloads::{image_kind, namespace_kind};
use super::triage::weights::verdict;
use super::triage::{benign_fit, budget};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::Alert;
use crate::analytics::categories::{Category, RuleFacts, categorize};
use crate::mitre;
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, GroupKey, SearchOrder, TimeRange};

pub use super::triage::facts::{
    FactValues, LineageValues, ListedValue, NearbyValues, RecurrenceValues, RuleBenignCaseEntry, RuleBenignCaseValues,
    RuleCategoryEntry, RuleCategoryValues, SpreadValues, SystemWorkloadValues, TriageFact, UserValues,
};
pub use super::triage::lineage::LineageClass;
pub use super::triage::nearby::NearbyRule;
pub use super::triage::recurrence::RecurrencePattern;
pub use super::triage::system_workloads::SystemKind;
pub use super::triage::weights::{Direction, Factor, HIGH_AT, LOW_AT, Likelihood, TABLE, VETO_AT, WeightRow};

/// The tool.
pub struct AssessFalsePositive;

/// Arguments of `assess_false_positive`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct AssessFalsePositiveArgs {
    /// One alert to assess (an id from `search_events`). It is assessed together with the
    /// alerts of the same pattern (same rule, cluster, image, process and command line) in the
    /// time range, which show how it recurs and spreads; the window's scope is then ignored.
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub alert_id: Option<String>,
    /// Without `alert_id`: the alerts to assess, e.g. scope
    /// `rule="Clear Log Activities" and k8s.pod.name=httpd`. A scope is required (here or the
    /// analyst's).
    #[serde(flatten)]
    pub window: Window,
}

/// Output of `assess_false_positive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AssessFalsePositiveOutput {
    /// The assessed alerts.
    pub evidence: Evidence,
    /// The alert asked about, when `alert_id` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertSummary>,
    /// What was assessed.
    pub assessed: AssessedSet,
    /// How likely it is that the alerts are benign.
    pub likelihood: Likelihood,
    /// The sum of the facts' weights, from -100 (malicious) to 100 (benign).
    pub score: i32,
    /// How the score became the likelihood.
    pub scoring: Scoring,
    /// The facts, heaviest first.
    pub facts: Vec<TriageFact>,
    /// Neutral facts left out to keep the output within its size budget (their weight is 0,
    /// so the score is unchanged).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub facts_omitted: u64,
    /// Always the same statement: a human decides.
    pub decision: String,
}

/// How the assessed set was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetBasis {
    /// The alerts of the given scope and time range.
    Scope,
    /// The alert asked about and the alerts of the same pattern.
    SamePattern,
}

/// The assessed set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AssessedSet {
    /// How it was chosen.
    pub basis: SetBasis,
    /// Its rules, most alerts first (all its alerts).
    pub rules: Vec<NameCount>,
    /// Rules not listed.
    pub more_rules: u64,
    /// Alerts read for lineage, user, recurrence and workloads (the newest, at most 1,000).
    pub alerts_examined: u64,
    /// Earliest alert of the set (RFC 3339).
    pub first_seen: String,
    /// Latest alert of the set (RFC 3339).
    pub last_seen: String,
    /// Highest priority among the examined alerts.
    pub highest_priority: String,
    /// The newest alert of the set, so that the analyst sees which pattern was weighed (its
    /// pod, command line and user) when no one alert was asked about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<AlertSummary>,
}

/// The thresholds the score was read against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Scoring {
    /// `high` at or above this score (unless vetoed).
    pub high_at: i32,
    /// `low` at or below this score.
    pub low_at: i32,
    /// A fact weighing this much or less towards malicious rules out `high`.
    pub veto_at: i32,
    /// The fact that ruled out `high` although the score reached it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vetoed_by: Option<Factor>,
}

/// The closing statement of every assessment.
pub const DECISION: &str = "Saker only weighs the evidence in the alerts and the rules: a human decides whether \
                            these alerts are benign and whether to silence them with an exception.";

/// Room kept for the `facts_omitted` field.
const OMITTED_NOTE_BYTES: usize = 24;
const MAX_EXAMINED: usize = 1_000;
const MAX_PLACES: usize = 50;
const MAX_CONTEXT: usize = 5_000;
const RULES_EXPLAINED: usize = 3;
const CASES_PER_RULE: usize = 3;
const CASE_CHARS: usize = 140;
const COMMAND_CHARS: usize = 120;
const NEARBY_LISTED: usize = 5;
const HIGHER_LISTED: usize = 3;
const LISTED: usize = 5;
const NAMES_IN_STATEMENT: usize = 3;
/// Service accounts of web servers.
const WEB_SERVICE_ACCOUNTS: &[&str] = &["www-data", "apache", "nginx", "http", "httpd", "nobody", "tomcat", "wwwrun"];

impl Tool for AssessFalsePositive {
    const NAME: &'static str = "assess_false_positive";
    type Args = AssessFalsePositiveArgs;
    type Output = AssessFalsePositiveOutput;

    fn description() -> &'static str {
        "Assesses how likely it is that an alert (alert_id) or the alerts of a scope (e.g. rule=\"Clear Log \
         Activities\" and k8s.pod.name=httpd) are benign, i.e. a false positive: likelihood low / medium / high \
         with a score and the facts behind it, each with its direction (benign / malicious / neutral), weight, an \
         English statement and the values it rests on. Facts: process lineage (interactive kubectl exec shell, web \
         server child, cron or scheduler, the container's entrypoint, an executable in /tmp or /dev/shm), user, \
         recurrence (same command at the same time every day vs a one-off), spread over workloads and namespaces, \
         system or maintenance workloads, other alerts in the same container within an hour (drift, miners, \
         reverse shells, credential access) and the rule's documented benign cases. Use it for 'is this a false \
         positive', 'is this likely benign', 'can we ignore this'. The output always says that a human decides."
    }

    fn call(context: &ToolContext<'_>, args: AssessFalsePositiveArgs) -> Result<AssessFalsePositiveOutput, ToolError> {
        let (filter, asked, basis) = match &args.alert_id {
            Some(id) => {
                let alert = context
                    .store
                    .get(std::slice::from_ref(id))?
                    .into_iter()
                    .find(|alert| context.base_scope.matches(alert))
                    .ok_or_else(|| {
                        ToolError::NotFound(format!("alert id {id:?} (not in the store or the current scope)"))
                    })?;
                let time = args.window.filter(context)?.time;
                let scope = context.base_scope.and(&same_pattern_scope(&alert));
                (AlertFilter { scope, time }, Some(alert), SetBasis::SamePattern)
            }
            None => {
                let blank = args.window.scope.as_deref().is_none_or(|scope| scope.trim().is_empty());
                if blank && context.base_scope.is_all() {
                    return Err(ToolError::InvalidArguments {
                        tool: Self::NAME,
                        problems: "give alert_id or a scope naming the alerts to assess, e.g. \
                                   rule=\"Clear Log Activities\" and k8s.pod.name=httpd"
                            .to_string(),
                    });
                }
                (args.window.filter(context)?, None, SetBasis::Scope)
            }
        };
        let evidence = Evidence::of(context.store, &filter)?;
        if evidence.count == 0 {
            let why = evidence.note.clone().unwrap_or_else(|| "no alerts match".to_string());
            return Err(ToolError::NotFound(format!("alerts to assess: {why}")));
        }
        let mut examined = context.store.search(&filter, None, SearchOrder::NewestFirst, 0, MAX_EXAMINED)?.alerts;
        examined.reverse();
        let assessment = Assessment::gather(context, &filter, examined)?;
        let facts = assessment.facts(context)?;
        let weights: Vec<(Factor, i32)> = facts.iter().map(|fact| (fact.factor, fact.weight)).collect();
        let (score, likelihood, vetoed_by) = verdict(&weights);
        let mut output = AssessFalsePositiveOutput {
            evidence,
            alert: asked.as_ref().map(AlertSummary::of),
            assessed: assessment.assessed_set(basis),
            likelihood,
            score,
            scoring: Scoring { high_at: HIGH_AT, low_at: LOW_AT, veto_at: VETO_AT, vetoed_by },
            facts: Vec::new(),
            facts_omitted: 0,
            decision: DECISION.to_string(),
        };
        let budget = context.limits.max_tokens.saturating_mul(4).max(256);
        let overhead = json_size(&output) + OMITTED_NOTE_BYTES;
        let mut facts = facts;
        output.facts_omitted = budget::shrink(&mut facts, |facts| overhead + json_size(&facts) <= budget);
        output.facts = facts;
        Ok(output)
    }
}

/// The alerts of the same pattern as `alert`: same rule, and the same cluster, image, process
/// name and command line where the alert has them (stable across recurrences, unlike pod names
/// and pids).
fn same_pattern_scope(alert: &Alert) -> Scope {
    let compare = |field: FieldRef, value: &str| ScopeExpr::compare(field, Operator::Equal, vec![value.to_string()]);
    let mut expr = compare(FieldRef::Dimension(Dimension::Rule), &alert.rule);
    let dimensions = &alert.dimensions;
    let optional = [
        (FieldRef::Dimension(Dimension::Cluster), dimensions.cluster.as_deref()),
        (FieldRef::Dimension(Dimension::Image), dimensions.image.as_deref()),
        (FieldRef::Dimension(Dimension::Process), dimensions.process.name.as_deref()),
        (FieldRef::OutputField("proc.cmdline".to_string()), dimensions.process.cmdline.as_deref()),
    ];
    for (field, value) in optional {
        if let Some(value) = value {
            expr = ScopeExpr::and(expr, compare(field, value));
        }
    }
    Scope::from_expr(expr)
}

/// One examined alert with its lineage.
struct Observed {
    alert: Alert,
    class: LineageClass,
    marker: Option<String>,
    chain: Vec<String>,
    terminal: bool,
}

/// Everything read for one assessment.
struct Assessment {
    filter: AlertFilter,
    observed: Vec<Observed>,
    context_alerts_read: u64,
    context_truncated: bool,
    nearby: Vec<NearbyRule>,
    set_rules: Vec<NameCount>,
    more_set_rules: u64,
    bounds: Option<crate::store::TimeBounds>,
}

impl Assessment {
    fn gather(context: &ToolContext<'_>, filter: &AlertFilter, examined: Vec<Alert>) -> Result<Assessment, ToolError> {
        let places = times_by_place(&examined);
        let rule_counts = context.store.group_counts(filter, GroupKey::Dimension(Dimension::Rule), LISTED)?;
        let bounds = context.store.time_bounds(filter)?;
        let (context_total, lineages) = match context_filter(context, &examined, &places) {
            Some(around) => context.store.lineages(&around, MAX_CONTEXT)?,
            None => (0, Vec::new()),
        };
        let mut by_place: BTreeMap<String, Vec<&crate::alert::ProcessLineage>> = BTreeMap::new();
        for lineage in &lineages {
            by_place.entry(place_key(lineage.container_id.as_deref(), &lineage.hostname)).or_default().push(lineage);
        }
        let trees: BTreeMap<&String, ProcessTree> = by_place
            .iter()
            .map(|(place, members)| (place, ProcessTree::from_lineages(members.iter().copied())))
            .collect();
        let observed = examined
            .into_iter()
            .map(|alert| {
                let place = place_key(alert.dimensions.container_id.as_deref(), &alert.hostname);
                let tree = trees.get(&place);
                observe(alert, tree)
            })
            .collect();
        let tallies = nearby::tally(&lineages, &places);
        let example_ids: Vec<String> = tallies.iter().map(|tally| tally.example_alert_id.clone()).collect();
        let examples = context.store.get(&example_ids)?;
        let set_rules: Vec<NameCount> = rule_counts
            .groups
            .iter()
            .take(LISTED)
            .map(|(name, count)| NameCount { name: name.clone(), count: *count })
            .collect();
        Ok(Assessment {
            filter: filter.clone(),
            observed,
            context_alerts_read: lineages.len() as u64,
            context_truncated: context_total > lineages.len() as u64,
            nearby: nearby::describe(tallies, &examples),
            more_set_rules: rule_counts.other_groups,
            set_rules,
            bounds,
        })
    }

    fn assessed_set(&self, basis: SetBasis) -> AssessedSet {
        let (first, last) = self.bounds.map(|(first, last)| (timestamp(first), timestamp(last))).unwrap_or_default();
        AssessedSet {
            basis,
            rules: self.set_rules.clone(),
            more_rules: self.more_set_rules,
            alerts_examined: self.observed.len() as u64,
            first_seen: first,
            last_seen: last,
            highest_priority: self.highest_priority(),
            newest: self.observed.last().map(|seen| AlertSummary::of(&seen.alert)),
        }
    }

    fn highest_priority(&self) -> String {
        self.observed
            .iter()
            .map(|seen| seen.alert.priority)
            .min()
            .map(|priority| priority.as_str().to_string())
            .unwrap_or_default()
    }

    fn facts(&self, context: &ToolContext<'_>) -> Result<Vec<TriageFact>, ToolError> {
        let mut facts = self.lineage_facts();
        facts.push(self.user_fact(context)?);
        facts.extend(self.recurrence_fact());
        facts.push(self.spread_fact(context)?);
        facts.push(self.system_workload_fact());
        facts.extend(self.nearby_facts());
        facts.push(self.rule_category_fact());
        facts.push(self.benign_case_fact(context)?);
        facts.sort_by(|left, right| right.weight.abs().cmp(&left.weight.abs()).then(left.factor.cmp(&right.factor)));
        Ok(facts)
    }

    fn lineage_facts(&self) -> Vec<TriageFact> {
        let total = self.observed.len() as u64;
        let mut classes: BTreeMap<LineageClass, Vec<&Observed>> = BTreeMap::new();
        for seen in &self.observed {
            classes.entry(seen.class).or_default().push(seen);
        }
        classes
            .into_iter()
            .map(|(class, members)| {
                let mut chains: BTreeMap<&Vec<String>, (usize, &Observed)> = BTreeMap::new();
                for seen in &members {
                    chains.entry(&seen.chain).or_insert((0, seen)).0 += 1;
                }
                let (_, example) = chains
                    .values()
                    .max_by(|left, right| left.0.cmp(&right.0).then(right.1.chain.cmp(&left.1.chain)))
                    .copied()
                    .unwrap_or((0, members[0]));
                let alerts = members.len() as u64;
                let process = &example.alert.dimensions.process;
                let values = LineageValues {
                    class,
                    alerts,
                    of_alerts: total,
                    chain: example.chain.clone(),
                    command: process.cmdline.as_deref().map(|command| excerpt(command, COMMAND_CHARS)),
                    parent_command: process.pcmdline.as_deref().map(|command| excerpt(command, COMMAND_CHARS)),
                    marker: example.marker.clone(),
                    terminal: example.terminal,
                    example_alert_id: example.alert.id.clone(),
                };
                let statement = lineage_statement(&values);
                if class.is_benign() && alerts < total {
                    TriageFact::unweighed(
                        class.factor(),
                        format!("{statement} Not every alert shares it, so it does not count towards benign."),
                        FactValues::Lineage(values),
                    )
                } else {
                    TriageFact::weighed(class.factor(), statement, FactValues::Lineage(values))
                }
            })
            .collect()
    }

    fn user_fact(&self, context: &ToolContext<'_>) -> Result<TriageFact, ToolError> {
        let counts = context.store.group_counts(&self.filter, GroupKey::Dimension(Dimension::User), LISTED)?;
        let users: Vec<NameCount> =
            counts.groups.iter().map(|(name, count)| NameCount { name: name.clone(), count: *count }).collect();
        let service: Vec<&Observed> = self
            .observed
            .iter()
            .filter(|seen| {
                let dimensions = &seen.alert.dimensions;
                dimensions.user.as_deref().is_some_and(|user| WEB_SERVICE_ACCOUNTS.contains(&user))
                    && !dimensions.process.name.as_deref().is_some_and(is_web_server)
            })
            .collect();
        let service_account = service.first().and_then(|seen| seen.alert.dimensions.user.clone());
        let values = UserValues {
            users,
            more_users: counts.other_groups,
            service_account: service_account.clone(),
            service_account_alerts: service.len() as u64,
        };
        Ok(match (service_account, service.first()) {
            (Some(account), Some(seen)) => TriageFact::weighed(
                Factor::UserServiceAccount,
                format!(
                    "{} of {} alerts run as the web server account {account}, executing {} rather than the server.",
                    service.len(),
                    self.observed.len(),
                    seen.alert.dimensions.process.name.as_deref().unwrap_or("a program")
                ),
                FactValues::User(values),
            ),
            _ => {
                let statement = if values.users.is_empty() {
                    "The alerts carry no user name.".to_string()
                } else {
                    let listed: Vec<String> =
                        values.users.iter().map(|user| format!("{} ({} alerts)", user.name, user.count)).collect();
                    format!("Run as {}{}.", listed.join(", "), more(values.more_users, "other users"))
                };
                TriageFact::weighed(Factor::UserNeutral, statement, FactValues::User(values))
            }
        })
    }

    fn recurrence_fact(&self) -> Option<TriageFact> {
        let command_of = |seen: &Observed| {
            let process = &seen.alert.dimensions.process;
            process.cmdline.clone().or_else(|| process.name.clone()).unwrap_or_else(|| "?".to_string())
        };
        let mut commands: BTreeMap<String, Vec<&Observed>> = BTreeMap::new();
        for seen in &self.observed {
            commands.entry(command_of(seen)).or_default().push(seen);
        }
        let (full_command, members) =
            commands.iter().max_by(|left, right| left.1.len().cmp(&right.1.len()).then(right.0.cmp(left.0)))?;
        let command = &excerpt(full_command, COMMAND_CHARS);
        let mut series: BTreeMap<String, Vec<chrono::DateTime<chrono::Utc>>> = BTreeMap::new();
        for seen in members {
            let place = place_key(seen.alert.dimensions.container_id.as_deref(), &seen.alert.hostname);
            series.entry(place).or_default().push(seen.alert.time);
        }
        let series: Vec<Vec<chrono::DateTime<chrono::Utc>>> = series.into_values().collect();
        let found = recurrence(&series)?;
        let values = RecurrenceValues {
            pattern: found.pattern,
            command: Some(command.clone()),
            alerts: found.occurrences,
            of_alerts: self.observed.len() as u64,
            commands: commands.len() as u64,
            days: found.days,
            span_days: found.span_days,
            time_of_day_utc: found.time_of_day.clone(),
            days_at_time: (found.pattern == RecurrencePattern::Daily).then_some(found.days_at_time),
            interval_seconds: found.interval_seconds,
            first: timestamp(found.first),
            last: timestamp(found.last),
        };
        let first_day = found.first.format("%Y-%m-%d");
        let last_day = found.last.format("%Y-%m-%d");
        let (factor, statement) = match found.pattern {
            RecurrencePattern::Daily => (
                Factor::RecurrenceDaily,
                format!(
                    "The command `{command}` ran at {} UTC on {} of {} days ({first_day} to {last_day}).",
                    found.time_of_day.as_deref().unwrap_or("?"),
                    found.days_at_time,
                    found.span_days
                ),
            ),
            RecurrencePattern::Interval => (
                Factor::RecurrenceInterval,
                format!(
                    "The command `{command}` recurs every {} ({} times over {} days).",
                    human_duration(found.interval_seconds.unwrap_or(0)),
                    found.occurrences,
                    found.span_days
                ),
            ),
            RecurrencePattern::Irregular => (
                Factor::RecurrenceIrregular,
                format!(
                    "The command `{command}` appears {} times on {} of {} days ({first_day} to {last_day}) at varying times.",
                    found.occurrences, found.days, found.span_days
                ),
            ),
            RecurrencePattern::OneOff if found.occurrences == 1 => (
                Factor::RecurrenceOneOff,
                format!(
                    "The command `{command}` ran once, at {}, with no other occurrence in the assessed range.",
                    timestamp(found.first)
                ),
            ),
            RecurrencePattern::OneOff => (
                Factor::RecurrenceOneOff,
                format!(
                    "The command `{command}` ran {} times within one hour on {first_day} and at no other time in the assessed range: a single burst.",
                    found.occurrences
                ),
            ),
        };
        Some(TriageFact::weighed(factor, statement, FactValues::Recurrence(values)))
    }

    fn spread_fact(&self, context: &ToolContext<'_>) -> Result<TriageFact, ToolError> {
        let store = context.store;
        let distinct = |dimension: Dimension, limit: usize| {
            store.group_counts(&self.filter, GroupKey::Dimension(dimension), limit).map(|counts| {
                let distinct = counts.groups.len() as u64 + counts.other_groups;
                let top: Vec<NameCount> =
                    counts.groups.into_iter().map(|(name, count)| NameCount { name, count }).collect();
                (distinct, top)
            })
        };
        let workload_rows = store.tuple_counts(
            &self.filter,
            &[Dimension::Cluster, Dimension::Namespace, Dimension::Workload],
            LISTED,
        )?;
        let workloads = workload_rows.rows.len() as u64 + workload_rows.other_rows;
        let top_workloads: Vec<NameCount> = workload_rows
            .rows
            .iter()
            .map(|(values, count)| NameCount {
                name: values.iter().map(|value| value.as_deref().unwrap_or("-")).collect::<Vec<_>>().join("/"),
                count: *count,
            })
            .collect();
        let (pods, _) = distinct(Dimension::Pod, 1)?;
        let (namespaces, _) = distinct(Dimension::Namespace, 1)?;
        let (clusters, _) = distinct(Dimension::Cluster, 1)?;
        let (images, top_images) = distinct(Dimension::Image, LISTED)?;
        let values = SpreadValues { pods, workloads, namespaces, clusters, images, top_workloads, top_images };
        let first_workload = values.top_workloads.first().map_or("-", |workload| workload.name.as_str());
        let first_image = values.top_images.first().map_or("-", |image| image.name.as_str());
        let (factor, statement) = if workloads <= 1 && namespaces <= 1 {
            (
                Factor::SpreadOneWorkload,
                format!("All alerts are in one workload ({first_workload}) and {pods} pod(s) of one namespace."),
            )
        } else if workloads >= 2 && namespaces >= 2 && images >= 2 {
            (
                Factor::SpreadUnrelatedWorkloads,
                format!(
                    "The alerts span {workloads} workloads in {namespaces} namespaces and {clusters} cluster(s), with {images} different images."
                ),
            )
        } else {
            let shared = if images <= 1 { format!("the image {first_image}") } else { "one namespace".to_string() };
            (
                Factor::SpreadRelatedWorkloads,
                format!("The alerts span {workloads} workloads and {pods} pods sharing {shared}."),
            )
        };
        Ok(TriageFact::weighed(factor, statement, FactValues::Spread(values)))
    }

    fn system_workload_fact(&self) -> TriageFact {
        let mut namespaces: BTreeMap<&str, u64> = BTreeMap::new();
        let mut images: BTreeMap<&str, u64> = BTreeMap::new();
        let mut listed_alerts = 0;
        for seen in &self.observed {
            let dimensions = &seen.alert.dimensions;
            let namespace = dimensions.namespace.as_deref();
            let image = dimensions.image.as_deref();
            if let Some(namespace) = namespace {
                *namespaces.entry(namespace).or_default() += 1;
            }
            if let Some(image) = image {
                *images.entry(image).or_default() += 1;
            }
            if namespace.and_then(namespace_kind).or_else(|| image.and_then(image_kind)).is_some() {
                listed_alerts += 1;
            }
        }
        // Values on the list first, then the most common.
        let top = |counts: BTreeMap<&str, u64>, kind: fn(&str) -> Option<SystemKind>| {
            let mut sorted: Vec<(&str, u64, Option<SystemKind>)> =
                counts.into_iter().map(|(value, count)| (value, count, kind(value))).collect();
            sorted.sort_by(|left, right| {
                right.2.is_some().cmp(&left.2.is_some()).then(right.1.cmp(&left.1)).then(left.0.cmp(right.0))
            });
            sorted
                .into_iter()
                .take(LISTED)
                .map(|(value, _, kind)| ListedValue { value: value.to_string(), kind })
                .collect::<Vec<_>>()
        };
        let values = SystemWorkloadValues {
            alerts: listed_alerts,
            of_alerts: self.observed.len() as u64,
            namespaces: top(namespaces, namespace_kind),
            images: top(images, image_kind),
        };
        let describe = |entries: &[ListedValue]| {
            entries.iter().map(|entry| entry.value.as_str()).take(NAMES_IN_STATEMENT).collect::<Vec<_>>().join(", ")
        };
        let listed: Vec<String> = values
            .namespaces
            .iter()
            .chain(&values.images)
            .filter_map(|entry| entry.kind.map(|kind| format!("{} ({})", entry.value, system_kind_label(kind))))
            .collect();
        if listed_alerts > 0 && listed_alerts == values.of_alerts {
            let statement = format!(
                "Every alert comes from a system or maintenance workload on Saker's list: {}.",
                listed.join(", ")
            );
            TriageFact::weighed(Factor::SystemWorkload, statement, FactValues::SystemWorkload(values))
        } else if listed_alerts > 0 {
            let statement = format!(
                "{listed_alerts} of {} alerts come from system or maintenance workloads on Saker's list ({}); the others do not.",
                values.of_alerts,
                listed.join(", ")
            );
            TriageFact::weighed(Factor::NotSystemWorkload, statement, FactValues::SystemWorkload(values))
        } else {
            let statement = format!(
                "Neither the namespace ({}) nor the image ({}) is a system or maintenance workload on Saker's list.",
                describe(&values.namespaces),
                describe(&values.images)
            );
            TriageFact::weighed(Factor::NotSystemWorkload, statement, FactValues::SystemWorkload(values))
        }
    }

    fn nearby_facts(&self) -> Vec<TriageFact> {
        let assessed_priority = self.highest_priority();
        let assessed_severity =
            self.observed.iter().map(|seen| seen.alert.priority.severity()).min().unwrap_or(u8::MAX);
        let alerts: u64 = self.nearby.iter().map(|rule| rule.alerts).sum();
        let values = |rules: Vec<NearbyRule>, more_rules: u64| NearbyValues {
            window_minutes: WINDOW_MINUTES,
            alerts,
            more_rules,
            rules,
            assessed_priority: assessed_priority.clone(),
            context_alerts_read: self.context_alerts_read,
            context_truncated: self.context_truncated,
        };
        let listed: Vec<NearbyRule> = self.nearby.iter().take(NEARBY_LISTED).cloned().collect();
        let more_rules = self.nearby.len().saturating_sub(NEARBY_LISTED) as u64;
        let attack: Vec<&NearbyRule> = self.nearby.iter().filter(|rule| rule.attack_stage).collect();
        if self.nearby.is_empty() {
            return vec![TriageFact::weighed(
                Factor::NoNearbyAlerts,
                format!(
                    "No other rule fired in the same containers within {WINDOW_MINUTES} minutes of any assessed alert."
                ),
                FactValues::Nearby(values(Vec::new(), 0)),
            )];
        }
        if attack.is_empty() {
            return vec![TriageFact::weighed(
                Factor::NearbyOtherAlerts,
                format!(
                    "Within {WINDOW_MINUTES} minutes the same containers raised {alerts} alerts of other rules, none an attack stage: {}.",
                    nearby_names(self.nearby.iter().collect())
                ),
                FactValues::Nearby(values(listed, more_rules)),
            )];
        }
        let attack_alerts: u64 = attack.iter().map(|rule| rule.alerts).sum();
        let mut facts = vec![TriageFact::weighed(
            Factor::NearbyAttackAlerts,
            format!(
                "Within {WINDOW_MINUTES} minutes the same containers raised {alerts} alerts of other rules, {attack_alerts} of them attack stages: {}.",
                nearby_names(attack.clone())
            ),
            FactValues::Nearby(values(listed, more_rules)),
        )];
        let higher: Vec<NearbyRule> = attack
            .iter()
            .filter(|rule| {
                crate::alert::Priority::ALL
                    .iter()
                    .find(|priority| priority.as_str() == rule.priority)
                    .is_some_and(|priority| priority.severity() < assessed_severity)
            })
            .map(|rule| (*rule).clone())
            .collect();
        if !higher.is_empty() {
            let names: Vec<String> = higher
                .iter()
                .take(NAMES_IN_STATEMENT)
                .map(|rule| format!("{} ({})", rule.rule, rule.priority))
                .collect();
            let more_higher = higher.len().saturating_sub(HIGHER_LISTED) as u64;
            facts.push(TriageFact::weighed(
                Factor::NearbyHigherPriority,
                format!(
                    "Some of them rank above the assessed alerts' {assessed_priority}: {}{}.",
                    names.join(", "),
                    more(higher.len().saturating_sub(NAMES_IN_STATEMENT) as u64, "more")
                ),
                FactValues::Nearby(values(higher.into_iter().take(HIGHER_LISTED).collect(), more_higher)),
            ));
        }
        facts
    }

    fn rule_category_fact(&self) -> TriageFact {
        let mut rules: BTreeMap<&str, (u64, &Alert)> = BTreeMap::new();
        for seen in &self.observed {
            rules.entry(seen.alert.rule.as_str()).or_insert((0, &seen.alert)).0 += 1;
        }
        let mut entries: Vec<RuleCategoryEntry> = rules
            .into_iter()
            .map(|(rule, (alerts, example))| {
                let (tactics, techniques) = mitre::ids_from_tags(&example.tags);
                let facts = RuleFacts {
                    rule,
                    source: &example.source,
                    tags: &example.tags,
                    tactics: &tactics,
                    techniques: &techniques,
                };
                RuleCategoryEntry {
                    rule: rule.to_string(),
                    category: categorize(&facts),
                    priority: example.priority.as_str().to_string(),
                    alerts,
                }
            })
            .collect();
        entries.sort_by(|left, right| right.alerts.cmp(&left.alerts).then(left.rule.cmp(&right.rule)));
        let attack = entries
            .iter()
            .find(|entry| matches!(entry.category, Category::MaliciousBinary | Category::CommandAndControl))
            .cloned();
        let drift = entries.iter().find(|entry| entry.category == Category::DriftDetection).cloned();
        entries.truncate(LISTED);
        let (factor, statement) = match (attack, drift) {
            (Some(entry), _) => (
                Factor::RuleDetectsAttack,
                format!(
                    "{} ({}) detects {}: behaviour with very few legitimate explanations.",
                    entry.rule,
                    entry.priority,
                    entry.category.label()
                ),
            ),
            (None, Some(entry)) => (
                Factor::RuleDetectsDrift,
                format!("{} ({}) detects drift: a new executable in a running container.", entry.rule, entry.priority),
            ),
            (None, None) => {
                let listed: Vec<String> = entries
                    .iter()
                    .take(NAMES_IN_STATEMENT)
                    .map(|entry| format!("{} ({}, {})", entry.rule, entry.category.label(), entry.priority))
                    .collect();
                (Factor::RuleOtherCategory, format!("Assessed rule(s): {}.", listed.join(", ")))
            }
        };
        TriageFact::weighed(factor, statement, FactValues::RuleCategory(RuleCategoryValues { rules: entries }))
    }

    fn benign_case_fact(&self, context: &ToolContext<'_>) -> Result<TriageFact, ToolError> {
        /// One assessed rule: its examined alerts, the first of them, their lineage classes.
        struct RuleSeen<'a> {
            alerts: u64,
            example: &'a Alert,
            classes: BTreeSet<LineageClass>,
        }
        let mut rules: BTreeMap<&str, RuleSeen<'_>> = BTreeMap::new();
        for seen in &self.observed {
            let entry = rules.entry(seen.alert.rule.as_str()).or_insert(RuleSeen {
                alerts: 0,
                example: &seen.alert,
                classes: BTreeSet::new(),
            });
            entry.alerts += 1;
            entry.classes.insert(seen.class);
        }
        let mut ordered: Vec<(&str, RuleSeen<'_>)> = rules.into_iter().collect();
        ordered.sort_by(|left, right| right.1.alerts.cmp(&left.1.alerts).then(left.0.cmp(right.0)));
        let all_checked = ordered.len() <= RULES_EXPLAINED;
        let mut entries = Vec::new();
        for (rule, seen) in ordered.into_iter().take(RULES_EXPLAINED) {
            let explained = ExplainEvent::call(
                context,
                ExplainEventArgs {
                    alert_id: Some(seen.example.id.clone()),
                    rule: None,
                    query: None,
                    window: Window::default(),
                },
            )?;
            let lineages: Vec<LineageClass> = seen.classes.into_iter().collect();
            let more_cases = explained.benign_cases.len().saturating_sub(CASES_PER_RULE) as u64;
            // Saker's notes say what the benign case looks like; the derived allow-list cases follow.
            let mut benign_cases = explained.benign_cases;
            benign_cases.sort_by_key(|case| case.source != "saker notes");
            let cases = benign_cases
                .into_iter()
                .take(CASES_PER_RULE)
                .map(|mut case| {
                    case.text = excerpt(&case.text, CASE_CHARS);
                    case
                })
                .collect();
            entries.push(RuleBenignCaseEntry {
                fits: benign_fit::fits(rule, &lineages),
                rule: rule.to_string(),
                rule_loaded: explained.rule_loaded,
                cases,
                more_cases,
                lineages,
            });
        }
        let all_fit = all_checked && !entries.is_empty() && entries.iter().all(|entry| entry.fits);
        let classes = |entry: &RuleBenignCaseEntry| {
            entry.lineages.iter().map(|class| lineage_label(*class)).collect::<Vec<_>>().join(", ")
        };
        let statement = if all_fit {
            let parts: Vec<String> =
                entries.iter().map(|entry| format!("{} ({})", entry.rule, classes(entry))).collect();
            format!(
                "The lineage seen is the benign case Saker's notes document for {}; the rule's own allow-lists are listed for comparison.",
                parts.join(", ")
            )
        } else {
            let parts: Vec<String> = entries
                .iter()
                .map(|entry| {
                    let cases = entry.cases.len() as u64 + entry.more_cases;
                    let fit = if entry.fits { "fits one" } else { "is not one of them" };
                    format!(
                        "{} has {cases} documented benign case(s) and the lineage seen ({}) {fit}",
                        entry.rule,
                        classes(entry)
                    )
                })
                .collect();
            format!("{}.", parts.join("; "))
        };
        let values = FactValues::RuleBenignCases(RuleBenignCaseValues { rules: entries });
        Ok(if all_fit {
            TriageFact::weighed(Factor::RuleBenignCaseFits, statement, values)
        } else {
            TriageFact::weighed(Factor::RuleBenignCases, statement, values)
        })
    }
}

/// The alerts around the examined ones: the same containers (or hosts), from an hour before the
/// first to an hour after the last, within the analyst's scope.
fn context_filter(context: &ToolContext<'_>, examined: &[Alert], places: &AssessedTimes) -> Option<AlertFilter> {
    let mut ranked: Vec<(&String, usize)> =
        places.iter().map(|(place, rules)| (place, rules.values().map(Vec::len).sum())).collect();
    ranked.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(right.0)));
    let mut containers = Vec::new();
    let mut hosts = Vec::new();
    for (place, _) in ranked.into_iter().take(MAX_PLACES) {
        match place.strip_prefix("host:") {
            Some(host) => hosts.push(host.to_string()),
            None => containers.push(place.clone()),
        }
    }
    let in_containers = (!containers.is_empty())
        .then(|| ScopeExpr::compare(FieldRef::Dimension(Dimension::ContainerId), Operator::In, containers));
    let on_hosts = (!hosts.is_empty()).then(|| {
        let no_container = ScopeExpr::negate(ScopeExpr::compare(
            FieldRef::Dimension(Dimension::ContainerId),
            Operator::Exists,
            Vec::new(),
        ));
        ScopeExpr::and(ScopeExpr::compare(FieldRef::Dimension(Dimension::Host), Operator::In, hosts), no_container)
    });
    let places_expr = match (in_containers, on_hosts) {
        (Some(left), Some(right)) => ScopeExpr::or(left, right),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => return None,
    };
    let window = Duration::minutes(WINDOW_MINUTES);
    let first = examined.first()?.time - window;
    let last = examined.last()?.time + window + Duration::seconds(1);
    Some(AlertFilter {
        scope: context.base_scope.and(&Scope::from_expr(places_expr)),
        time: TimeRange { since: Some(first), until: Some(last) },
    })
}

/// Classifies one alert's chain, from its container's tree when its process is in it.
fn observe(alert: Alert, tree: Option<&ProcessTree>) -> Observed {
    let terminal = has_terminal(&alert);
    let chain_context = ChainContext {
        terminal,
        workload_kind: alert.dimensions.workload.as_ref().and_then(|workload| workload.kind.as_deref()),
    };
    let nodes = chain_of(&alert.dimensions.process, tree);
    let chain: Vec<&ProcessNode> = nodes.iter().collect();
    let classified = classify(&chain, chain_context);
    let names = chain.iter().map(|node| node.name.clone().unwrap_or_else(|| "?".to_string())).collect();
    Observed { class: classified.class, marker: classified.marker, chain: names, terminal, alert }
}

fn lineage_statement(values: &LineageValues) -> String {
    let share = format!("{} of {} alerts", values.alerts, values.of_alerts);
    let chain = values.chain.join(" < ");
    let marker = values.marker.as_deref().unwrap_or("?");
    match values.class {
        LineageClass::UnknownBinary => {
            format!("{share} involve an executable outside installed software ({marker}); chain: {chain}.")
        }
        LineageClass::WebServer => {
            format!("{share} come from processes the web server {marker} started; chain: {chain}.")
        }
        LineageClass::InteractiveShell => format!(
            "{share} come from an interactive shell with a terminal that {marker} started into the container (kubectl exec); chain: {chain}. Who ran it is in the Kubernetes audit log, not in the alerts."
        ),
        LineageClass::ExecCommand => {
            format!(
                "{share} come from a command {marker} started into the container without a terminal; chain: {chain}."
            )
        }
        LineageClass::Scheduler => format!("{share} come from a job that {marker} started; chain: {chain}."),
        LineageClass::Entrypoint => {
            format!("{share} come from the container's own program ({marker}); chain: {chain}.")
        }
        LineageClass::Unknown => {
            format!("{share} lack the ancestry fields (proc.aname, proc.apid) to tell who started the process.")
        }
    }
}

fn lineage_label(class: LineageClass) -> &'static str {
    match class {
        LineageClass::UnknownBinary => "unknown binary",
        LineageClass::WebServer => "web server child",
        LineageClass::InteractiveShell => "interactive shell",
        LineageClass::ExecCommand => "exec command",
        LineageClass::Scheduler => "scheduled job",
        LineageClass::Entrypoint => "container entrypoint",
        LineageClass::Unknown => "unknown",
    }
}

fn system_kind_label(kind: SystemKind) -> &'static str {
    match kind {
        SystemKind::ClusterInfrastructure => "cluster infrastructure",
        SystemKind::Monitoring => "monitoring",
        SystemKind::Logging => "logging",
        SystemKind::Backup => "backup",
        SystemKind::Ci => "CI",
        SystemKind::SecurityAgent => "security agent",
        SystemKind::Troubleshooting => "troubleshooting",
    }
}

fn nearby_names(rules: Vec<&NearbyRule>) -> String {
    let listed: Vec<String> = rules
        .iter()
        .take(NAMES_IN_STATEMENT)
        .map(|rule| {
            let example = match (&rule.example_command, &rule.example_target) {
                (Some(command), Some(target)) => format!("; e.g. `{command}` on {target}"),
                (Some(command), None) => format!("; e.g. `{command}`"),
                (None, Some(target)) => format!("; e.g. on {target}"),
                (None, None) => String::new(),
            };
            format!("{} ({}, {}{example})", rule.rule, rule.category.label(), rule.alerts)
        })
        .collect();
    format!("{}{}", listed.join(", "), more(rules.len().saturating_sub(NAMES_IN_STATEMENT) as u64, "more rules"))
}

fn json_size(value: &impl Serialize) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len())
}

fn more(count: u64, what: &str) -> String {
    if count > 0 { format!(" and {count} {what}") } else { String::new() }
}

fn human_duration(seconds: i64) -> String {
    let (hours, minutes) = (seconds / 3_600, (seconds % 3_600) / 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, minutes) => format!("{minutes}m"),
        (hours, 0) => format!("{hours}h"),
        (hours, minutes) => format!("{hours}h {minutes}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(14_400), "4h");
        assert_eq!(human_duration(5_400), "1h 30m");
        assert_eq!(human_duration(900), "15m");
        assert_eq!(human_duration(42), "42s");
    }
}
