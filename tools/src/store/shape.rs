//! The order and truncation every backend applies to its counts, in one place, so that both
//! backends list groups, tuples and time buckets identically (counts descending, then key).

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};

use super::{GroupCounts, TimeRange, TupleCounts};

/// Sorts groups largest first, ties by key (byte order), and keeps `limit` of them.
pub(crate) fn ranked_groups(total: u64, mut groups: Vec<(String, u64)>, limit: usize, missing: u64) -> GroupCounts {
    groups.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
    truncate_groups(total, groups, limit, missing)
}

/// Keeps the first `limit` groups, counting the rest.
pub(crate) fn truncate_groups(total: u64, mut groups: Vec<(String, u64)>, limit: usize, missing: u64) -> GroupCounts {
    let rest: Vec<(String, u64)> = if groups.len() > limit { groups.split_off(limit) } else { Vec::new() };
    GroupCounts {
        total,
        groups,
        other_groups: rest.len() as u64,
        other_count: rest.iter().map(|(_, count)| count).sum(),
        missing,
    }
}

/// Sorts tuples largest first, ties by values (`None` first), and keeps `limit` of them.
pub(crate) fn ranked_tuples(counts: HashMap<Vec<Option<String>>, u64>, limit: usize) -> TupleCounts {
    let total = counts.values().sum();
    let mut rows: Vec<(Vec<Option<String>>, u64)> = counts.into_iter().collect();
    rows.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
    let rest = if rows.len() > limit { rows.split_off(limit) } else { Vec::new() };
    TupleCounts { total, rows, other_rows: rest.len() as u64, other_count: rest.iter().map(|(_, count)| count).sum() }
}

/// Counts per time bucket (keyed by the bucket's start in nanoseconds) as groups in time
/// order: every bucket of the range, empty ones too, from the range's start (or the first
/// alert) to its end (or the last alert).
pub(crate) fn time_bucket_groups(
    range: &TimeRange,
    width: i64,
    counts: &HashMap<i64, u64>,
    limit: usize,
) -> GroupCounts {
    let total = counts.values().sum();
    let first_bucket = range.since.map(|since| time_to_nanos(since).div_euclid(width) * width);
    let last_bucket = range.until.map(|until| (time_to_nanos(until) - 1).div_euclid(width) * width);
    let low = first_bucket.or_else(|| counts.keys().min().copied());
    let high = last_bucket.or_else(|| counts.keys().max().copied());
    let mut groups = Vec::new();
    if let (Some(low), Some(high)) = (low, high) {
        let mut start = low;
        while start <= high && groups.len() < limit.max(1) * 4 + 10_000 {
            let label = nanos_to_time(start).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            groups.push((label, counts.get(&start).copied().unwrap_or(0)));
            start += width;
        }
    }
    truncate_groups(total, groups, limit, 0)
}

/// Nanoseconds since the epoch, saturating far outside the representable range.
pub(crate) fn time_to_nanos(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(if time.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

/// Converts nanoseconds since the epoch to a UTC time.
pub(crate) fn nanos_to_time(nanos: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(nanos)
}
