//! Other alerts around the assessed ones: alerts of other rules in the same containers (or
//! hosts) within a window before or after any assessed alert, per rule with its category and
//! priority.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, ProcessLineage};
use crate::analytics::categories::{Category, RuleFacts, categorize};
use crate::analytics::common::{excerpt, object_acted_on};
use crate::mitre;

/// Minutes before and after each assessed alert that count as "around it".
pub const WINDOW_MINUTES: i64 = 60;

/// Categories that are stages of an attack rather than routine activity.
pub const ATTACK_CATEGORIES: &[Category] = &[
    Category::MaliciousBinary,
    Category::DriftDetection,
    Category::CommandAndControl,
    Category::CredentialAccess,
    Category::PrivilegeEscalation,
    Category::DefenseEvasion,
];

/// One rule that fired around the assessed alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NearbyRule {
    /// The rule.
    pub rule: String,
    /// Its priority (lowercase).
    pub priority: String,
    /// Its analyst category.
    pub category: Category,
    /// Whether the category is a stage of an attack.
    pub attack_stage: bool,
    /// Alerts of the rule within the window.
    pub alerts: u64,
    /// Of those, how many came before the nearest assessed alert.
    pub before: u64,
    /// And how many after (or at the same time).
    pub after: u64,
    /// Seconds between the closest one and its nearest assessed alert.
    pub closest_seconds: i64,
    /// One of its alert ids.
    pub example_alert_id: String,
    /// That alert's command line (at most [`EXAMPLE_CHARS`] characters): what the rule saw run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_command: Option<String>,
    /// What that alert's event acted on (a file, or the remote end of a connection), when its
    /// command line does not already say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_target: Option<String>,
}

/// Most characters of an example's command line.
pub const EXAMPLE_CHARS: usize = 100;

/// Where an alert ran: its container, or its host for host events.
pub fn place_key(container_id: Option<&str>, hostname: &str) -> String {
    container_id.map_or_else(|| format!("host:{hostname}"), str::to_string)
}

/// Times of the assessed alerts per place and rule, sorted.
pub type AssessedTimes = BTreeMap<String, BTreeMap<String, Vec<DateTime<Utc>>>>;

/// Times of the assessed alerts per place (container or host) and rule, sorted.
pub fn times_by_place(alerts: &[Alert]) -> AssessedTimes {
    let mut places: AssessedTimes = BTreeMap::new();
    for alert in alerts {
        let place = place_key(alert.dimensions.container_id.as_deref(), &alert.hostname);
        places.entry(place).or_default().entry(alert.rule.clone()).or_default().push(alert.time);
    }
    for times in places.values_mut().flat_map(BTreeMap::values_mut) {
        times.sort();
    }
    places
}

/// The alerts of one rule around the assessed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTally {
    /// The rule.
    pub rule: String,
    /// Alerts within the window.
    pub alerts: u64,
    /// Before their nearest assessed alert.
    pub before: u64,
    /// After it (or at the same time).
    pub after: u64,
    /// Seconds between the closest one and its nearest assessed alert.
    pub closest_seconds: i64,
    /// The first of them (oldest).
    pub example_alert_id: String,
}

/// The alerts that happened in the same place as an assessed alert of another rule, within
/// the window of it, counted per rule (examples to be looked up by the caller). For a set of
/// one rule these are the other rules' alerts around it; in a set of several rules, the set's
/// own alerts count around each other.
pub fn tally(context: &[ProcessLineage], places: &AssessedTimes) -> Vec<RuleTally> {
    let window = WINDOW_MINUTES * 60;
    let mut rules: BTreeMap<&str, RuleTally> = BTreeMap::new();
    for lineage in context {
        let key = place_key(lineage.container_id.as_deref(), &lineage.hostname);
        let Some(by_rule) = places.get(&key) else { continue };
        let offset = by_rule
            .iter()
            .filter(|(rule, _)| **rule != lineage.rule)
            .filter_map(|(_, times)| nearest_offset(times, lineage.time))
            .min_by_key(|offset| (offset.abs(), *offset));
        let Some(offset) = offset else { continue };
        if offset.abs() > window {
            continue;
        }
        let entry = rules.entry(lineage.rule.as_str()).or_insert_with(|| RuleTally {
            rule: lineage.rule.clone(),
            alerts: 0,
            before: 0,
            after: 0,
            closest_seconds: i64::MAX,
            example_alert_id: lineage.id.clone(),
        });
        entry.alerts += 1;
        if offset < 0 {
            entry.before += 1;
        } else {
            entry.after += 1;
        }
        entry.closest_seconds = entry.closest_seconds.min(offset.abs());
    }
    rules.into_values().collect()
}

/// Seconds from the nearest assessed time to `time` (negative: `time` is before it).
fn nearest_offset(times: &[DateTime<Utc>], time: DateTime<Utc>) -> Option<i64> {
    let index = times.partition_point(|assessed| *assessed <= time);
    let after =
        index.checked_sub(1).and_then(|previous| times.get(previous)).map(|assessed| (time - *assessed).num_seconds());
    let before = times.get(index).map(|assessed| (time - *assessed).num_seconds());
    match (after, before) {
        (Some(after), Some(before)) => Some(if after.abs() <= before.abs() { after } else { before }),
        (one, other) => one.or(other),
    }
}

/// Completes the tallies with each rule's priority and category from an example alert, the
/// attack stages first, then most alerts, then by name.
pub fn describe(tallies: Vec<RuleTally>, examples: &[Alert]) -> Vec<NearbyRule> {
    let mut rules: Vec<NearbyRule> = tallies
        .into_iter()
        .map(|RuleTally { rule, alerts, before, after, closest_seconds, example_alert_id }| {
            let example = examples.iter().find(|alert| alert.id == example_alert_id);
            let tags: Vec<String> = example.map(|alert| alert.tags.clone()).unwrap_or_default();
            let source = example.map_or("syscall", |alert| alert.source.as_str());
            let (tactics, techniques) = mitre::ids_from_tags(&tags);
            let category =
                categorize(&RuleFacts { rule: &rule, source, tags: &tags, tactics: &tactics, techniques: &techniques });
            let example_command = example
                .and_then(|alert| alert.dimensions.process.cmdline.as_deref())
                .map(|command| excerpt(command, EXAMPLE_CHARS));
            let example_target = example
                .and_then(object_acted_on)
                .filter(|target| !example_command.as_deref().is_some_and(|command| command.contains(target.as_str())));
            NearbyRule {
                example_command,
                example_target,
                priority: example.map(|alert| alert.priority.as_str().to_string()).unwrap_or_default(),
                attack_stage: ATTACK_CATEGORIES.contains(&category),
                category,
                rule,
                alerts,
                before,
                after,
                closest_seconds,
                example_alert_id,
            }
        })
        .collect();
    rules.sort_by(|left, right| {
        right.attack_stage.cmp(&left.attack_stage).then(right.alerts.cmp(&left.alerts)).then(left.rule.cmp(&right.rule))
    });
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn the_nearest_assessed_time_decides_before_or_after() {
        let times = vec![at("2026-11-20T08:00:00Z"), at("2026-11-20T10:00:00Z")];
        assert_eq!(nearest_offset(&times, at("2026-11-20T07:30:00Z")), Some(-1_800));
        assert_eq!(nearest_offset(&times, at("2026-11-20T08:10:00Z")), Some(600));
        assert_eq!(nearest_offset(&times, at("2026-11-20T09:50:00Z")), Some(-600));
        assert_eq!(nearest_offset(&times, at("2026-11-20T12:00:00Z")), Some(7_200));
        assert_eq!(nearest_offset(&[], at("2026-11-20T12:00:00Z")), None);
    }

    #[test]
    fn counts_other_rules_in_the_same_place_within_the_window() {
        let lineage = |id: &str, rule: &str, container: &str, time: &str| ProcessLineage {
            id: id.to_string(),
            time: at(time),
            rule: rule.to_string(),
            hostname: "node".to_string(),
            container_id: Some(container.to_string()),
            pod: None,
            process: Default::default(),
        };
        let context = vec![
            lineage("a", "Clear Log Activities", "c1", "2026-11-20T03:15:00Z"),
            lineage("b", "Find AWS Credentials", "c1", "2026-11-20T03:40:00Z"),
            lineage("c", "Find AWS Credentials", "c1", "2026-11-20T05:40:00Z"),
            lineage("d", "Find AWS Credentials", "c2", "2026-11-20T03:16:00Z"),
        ];
        let assessed = BTreeMap::from([("Clear Log Activities".to_string(), vec![at("2026-11-20T03:15:00Z")])]);
        let places = BTreeMap::from([("c1".to_string(), assessed)]);
        let found = tally(&context, &places);
        let expected = RuleTally {
            rule: "Find AWS Credentials".to_string(),
            alerts: 1,
            before: 0,
            after: 1,
            closest_seconds: 1_500,
            example_alert_id: "b".to_string(),
        };
        assert_eq!(found, vec![expected]);
    }
}
