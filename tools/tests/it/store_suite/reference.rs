//! Expected store answers computed from parsed alerts alone (the reference scope evaluator,
//! plain sorting), never from a store.

use std::collections::{BTreeMap, HashMap};

use saker_tools::alert::Alert;
use saker_tools::scope::{Dimension, Scope};
use saker_tools::store::{AlertFilter, TimeRange};
use xxhash_rust::xxh3::xxh3_64;

/// The alerts a filter selects.
pub fn matching<'a>(alerts: &'a [Alert], filter: &AlertFilter) -> Vec<&'a Alert> {
    alerts.iter().filter(|alert| filter.scope.matches(alert) && filter.time.contains(alert.time)).collect()
}

/// A filter from a scope text and a time range.
pub fn filter(scope: &str, time: TimeRange) -> AlertFilter {
    AlertFilter { scope: Scope::parse(scope).unwrap_or_else(|error| panic!("{scope}: {error}")), time }
}

/// Values per dimension: counts, and alerts with none.
pub fn value_counts(alerts: &[&Alert], dimension: Dimension) -> (BTreeMap<String, u64>, u64) {
    let mut counts = BTreeMap::new();
    let mut missing = 0;
    for alert in alerts {
        let values = alert.dimension_values(dimension);
        if values.is_empty() {
            missing += 1;
        }
        for value in values {
            *counts.entry(value.to_string()).or_insert(0) += 1;
        }
    }
    (counts, missing)
}

/// An alert's key for tuple counts and rollups: each dimension's first value, in the
/// alert's order.
pub fn tuple_key(alert: &Alert, dimensions: &[Dimension]) -> Vec<Option<String>> {
    dimensions
        .iter()
        .map(|dimension| alert.dimension_values(*dimension).first().map(|value| value.to_string()))
        .collect()
}

/// Counts per tuple key.
pub fn tuple_counts(alerts: &[&Alert], dimensions: &[Dimension]) -> HashMap<Vec<Option<String>>, u64> {
    let mut counts = HashMap::new();
    for alert in alerts {
        *counts.entry(tuple_key(alert, dimensions)).or_insert(0) += 1;
    }
    counts
}

/// Ids newest first, ties by the id's XXH3-64 hash (ascending).
pub fn newest_first(alerts: &[&Alert]) -> Vec<String> {
    let mut sorted: Vec<&Alert> = alerts.to_vec();
    sorted.sort_by_key(|alert| (std::cmp::Reverse(alert.time), xxh3_64(alert.id.as_bytes())));
    sorted.into_iter().map(|alert| alert.id.clone()).collect()
}

/// Ids oldest first, ties by the id's XXH3-64 hash.
pub fn oldest_first(alerts: &[&Alert]) -> Vec<String> {
    let mut sorted: Vec<&Alert> = alerts.to_vec();
    sorted.sort_by_key(|alert| (alert.time, xxh3_64(alert.id.as_bytes())));
    sorted.into_iter().map(|alert| alert.id.clone()).collect()
}

/// The searched text's tokens by position, written independently of both stores: split on
/// characters that are not alphanumeric, lowercased, tokens over 40 bytes dropped (their
/// position stays empty).
pub fn token_positions(alert: &Alert) -> Vec<Option<String>> {
    let process = &alert.dimensions.process;
    let text =
        [Some(&alert.output), process.cmdline.as_ref(), process.pcmdline.as_ref(), alert.dimensions.file.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<String>>()
            .join("\n");
    text.split(|letter: char| !letter.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| (word.len() < 40).then(|| word.to_lowercase()))
        .collect()
}

/// True when the tokens of `phrase` occur at adjacent positions.
pub fn has_phrase(alert: &Alert, phrase: &[&str]) -> bool {
    let positions = token_positions(alert);
    positions
        .windows(phrase.len())
        .any(|window| window.iter().zip(phrase).all(|(token, wanted)| token.as_deref() == Some(*wanted)))
}
