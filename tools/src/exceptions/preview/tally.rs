//! Counts what the exceptions decide for each alert read: suppressed (with workloads,
//! namespaces, time span and samples), remaining, unknown (with the missing fields).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use super::{SuppressedAlerts, UnknownAlerts, WorkloadCount};
use crate::alert::Alert;
use crate::analytics::SAMPLE_IDS;
use crate::analytics::common::{NameCount, timestamp};
use crate::exceptions::evaluate::{CompiledExceptions, Truth};

/// How many workloads and namespaces a preview lists.
pub const LISTED_GROUPS: usize = 10;

/// (cluster, namespace, workload) of an alert.
type WorkloadKey = (Option<String>, Option<String>, Option<String>);

/// The running counts of one preview.
#[derive(Debug, Default)]
pub struct Tally {
    pub scanned: u64,
    pub suppressed: u64,
    pub remaining: u64,
    pub unknown: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    workloads: BTreeMap<WorkloadKey, u64>,
    namespaces: BTreeMap<Option<String>, u64>,
    suppressed_samples: Vec<String>,
    outside_made_from: u64,
    outside_samples: Vec<String>,
    missing_fields: BTreeMap<String, u64>,
    unknown_samples: Vec<String>,
    by_exception: BTreeMap<String, u64>,
}

impl Tally {
    /// Evaluates one alert and counts it (alerts arrive newest first, so samples are the newest).
    pub fn add(&mut self, compiled: &CompiledExceptions, alert: &Alert, made_from: Option<&HashSet<String>>) {
        self.scanned += 1;
        let evaluation = compiled.evaluate(alert);
        match evaluation.truth {
            Truth::True => {
                self.suppressed += 1;
                self.first = Some(self.first.map_or(alert.time, |first| first.min(alert.time)));
                self.last = Some(self.last.map_or(alert.time, |last| last.max(alert.time)));
                let dimensions = &alert.dimensions;
                let workload = dimensions.workload.as_ref().map(|workload| workload.name.clone());
                *self
                    .workloads
                    .entry((dimensions.cluster.clone(), dimensions.namespace.clone(), workload))
                    .or_default() += 1;
                *self.namespaces.entry(dimensions.namespace.clone()).or_default() += 1;
                push_sample(&mut self.suppressed_samples, &alert.id);
                if let Some(name) = evaluation.matched_exception {
                    *self.by_exception.entry(name).or_default() += 1;
                }
                if made_from.is_some_and(|ids| !ids.contains(&alert.id)) {
                    self.outside_made_from += 1;
                    push_sample(&mut self.outside_samples, &alert.id);
                }
            }
            Truth::False => self.remaining += 1,
            Truth::Unknown => {
                self.unknown += 1;
                for field in evaluation.missing_fields {
                    *self.missing_fields.entry(field).or_default() += 1;
                }
                push_sample(&mut self.unknown_samples, &alert.id);
            }
        }
    }

    /// Distinct workloads among the suppressed alerts.
    pub fn workload_count(&self) -> usize {
        self.workloads.len()
    }

    /// Distinct namespaces among the suppressed alerts.
    pub fn namespace_count(&self) -> usize {
        self.namespaces.len()
    }

    /// The suppressed alerts, summarised.
    pub fn suppressed_alerts(&self, made_from: Option<&HashSet<String>>) -> SuppressedAlerts {
        let (workloads, other_workloads) = largest(&self.workloads);
        let (namespaces, other_namespaces) = largest(&self.namespaces);
        SuppressedAlerts {
            count: self.suppressed,
            first: self.first.map(timestamp),
            last: self.last.map(timestamp),
            workloads: workloads
                .into_iter()
                .map(|((cluster, namespace, workload), count)| WorkloadCount { cluster, namespace, workload, count })
                .collect(),
            other_workloads,
            namespaces: namespaces
                .into_iter()
                .map(|(namespace, count)| NameCount { name: namespace.unwrap_or_default(), count })
                .collect(),
            other_namespaces,
            sample_ids: self.suppressed_samples.clone(),
            made_from: made_from.map(|ids| ids.len() as u64),
            outside_made_from: made_from.map(|_| self.outside_made_from),
            outside_sample_ids: self.outside_samples.clone(),
        }
    }

    /// The undecided alerts, summarised.
    pub fn unknown_alerts(&self) -> UnknownAlerts {
        let mut missing: Vec<NameCount> =
            self.missing_fields.iter().map(|(name, &count)| NameCount { name: name.clone(), count }).collect();
        missing.sort_by(|left, right| right.count.cmp(&left.count).then_with(|| left.name.cmp(&right.name)));
        UnknownAlerts { count: self.unknown, missing_fields: missing, sample_ids: self.unknown_samples.clone() }
    }

    /// Alerts suppressed per exception, most first.
    pub fn by_exception(&self) -> Vec<NameCount> {
        let mut counts: Vec<NameCount> =
            self.by_exception.iter().map(|(name, &count)| NameCount { name: name.clone(), count }).collect();
        counts.sort_by(|left, right| right.count.cmp(&left.count).then_with(|| left.name.cmp(&right.name)));
        counts
    }
}

fn push_sample(samples: &mut Vec<String>, id: &str) {
    if samples.len() < SAMPLE_IDS {
        samples.push(id.to_string());
    }
}

/// The largest groups (count descending, then key) and how many are not listed.
fn largest<K: Clone + Ord>(groups: &BTreeMap<K, u64>) -> (Vec<(K, u64)>, u64) {
    let mut sorted: Vec<(K, u64)> = groups.iter().map(|(key, &count)| (key.clone(), count)).collect();
    sorted.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
    let other = sorted.len().saturating_sub(LISTED_GROUPS) as u64;
    sorted.truncate(LISTED_GROUPS);
    (sorted, other)
}
