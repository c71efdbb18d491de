//! How an alert pattern recurs in time: at the same time of day on most days, at a fixed
//! interval, irregularly, or once (one occurrence or one burst).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The recurrence found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecurrencePattern {
    /// Same time of day on most days of the span.
    Daily,
    /// A fixed interval between consecutive occurrences.
    Interval,
    /// Several days, varying times.
    Irregular,
    /// One occurrence, or all within one hour.
    OneOff,
}

/// What the times show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// The pattern.
    pub pattern: RecurrencePattern,
    /// Occurrences.
    pub occurrences: u64,
    /// Distinct UTC days with an occurrence.
    pub days: u64,
    /// Days from the first to the last occurrence, both included.
    pub span_days: u64,
    /// Daily: the time of day (UTC, `HH:MM`, the median of the cluster).
    pub time_of_day: Option<String>,
    /// Daily: days with an occurrence at that time (within the tolerance).
    pub days_at_time: u64,
    /// Interval: the typical interval in seconds.
    pub interval_seconds: Option<i64>,
    /// Earliest occurrence.
    pub first: DateTime<Utc>,
    /// Latest occurrence.
    pub last: DateTime<Utc>,
}

/// At least this many days for a daily pattern.
pub const MIN_DAILY_DAYS: u64 = 5;
/// Occurrences within this many seconds of the same time of day count as the same time.
pub const TIME_OF_DAY_TOLERANCE_SECONDS: i64 = 15 * 60;
/// At least this many intervals for an interval pattern.
pub const MIN_INTERVALS: usize = 5;
/// Everything within this many seconds is one burst.
pub const BURST_SECONDS: i64 = 3_600;
const SECONDS_PER_DAY: i64 = 86_400;

/// Reads the pattern of `times`, grouped by where they happened (one series per container):
/// intervals are measured within a series, times of day over all of them.
pub fn recurrence(series: &[Vec<DateTime<Utc>>]) -> Option<Recurrence> {
    let mut all: Vec<DateTime<Utc>> = series.iter().flatten().copied().collect();
    all.sort();
    let (first, last) = (*all.first()?, *all.last()?);
    let dates: BTreeSet<NaiveDate> = all.iter().map(DateTime::date_naive).collect();
    let span_days = (last.date_naive() - first.date_naive()).num_days() as u64 + 1;
    let mut found = Recurrence {
        pattern: RecurrencePattern::Irregular,
        occurrences: all.len() as u64,
        days: dates.len() as u64,
        span_days,
        time_of_day: None,
        days_at_time: 0,
        interval_seconds: None,
        first,
        last,
    };
    if (last - first).num_seconds() <= BURST_SECONDS {
        found.pattern = RecurrencePattern::OneOff;
        return Some(found);
    }
    if let Some((center, members)) = time_of_day_cluster(&all) {
        let member_days: BTreeSet<NaiveDate> = members.iter().map(DateTime::date_naive).collect();
        let days_at_time = member_days.len() as u64;
        let most_days = days_at_time * 10 >= span_days * 8;
        let most_alerts = members.len() * 2 >= all.len();
        if days_at_time >= MIN_DAILY_DAYS && most_days && most_alerts {
            found.pattern = RecurrencePattern::Daily;
            found.time_of_day = Some(format!("{:02}:{:02}", center / 3_600, (center % 3_600) / 60));
            found.days_at_time = days_at_time;
            return Some(found);
        }
    }
    if let Some(interval) = fixed_interval(series) {
        found.pattern = RecurrencePattern::Interval;
        found.interval_seconds = Some(interval);
    }
    Some(found)
}

/// The largest group of times within the tolerance of one time of day: its median second of
/// the day and its members. Ties go to the earliest time of day.
fn time_of_day_cluster(times: &[DateTime<Utc>]) -> Option<(i64, Vec<DateTime<Utc>>)> {
    let second_of_day = |time: &DateTime<Utc>| i64::from(time.num_seconds_from_midnight());
    let distance = |left: i64, right: i64| {
        let gap = (left - right).rem_euclid(SECONDS_PER_DAY);
        gap.min(SECONDS_PER_DAY - gap)
    };
    let mut seconds: Vec<i64> = times.iter().map(second_of_day).collect();
    seconds.sort_unstable();
    seconds.dedup();
    let best = seconds.iter().copied().max_by(|&left, &right| {
        let count = |center: i64| {
            times.iter().filter(|time| distance(second_of_day(time), center) <= TIME_OF_DAY_TOLERANCE_SECONDS).count()
        };
        count(left).cmp(&count(right)).then(right.cmp(&left))
    })?;
    let members: Vec<DateTime<Utc>> = times
        .iter()
        .copied()
        .filter(|time| distance(second_of_day(time), best) <= TIME_OF_DAY_TOLERANCE_SECONDS)
        .collect();
    let mut offsets: Vec<i64> = members
        .iter()
        .map(|time| {
            let offset = (second_of_day(time) - best).rem_euclid(SECONDS_PER_DAY);
            if offset > SECONDS_PER_DAY / 2 { offset - SECONDS_PER_DAY } else { offset }
        })
        .collect();
    offsets.sort_unstable();
    let median = offsets.get(offsets.len() / 2).copied().unwrap_or(0);
    Some(((best + median).rem_euclid(SECONDS_PER_DAY), members))
}

/// The typical interval when at least [`MIN_INTERVALS`] intervals exist and 80 % of them lie
/// within 10 % of their median (and the median is at least a minute).
fn fixed_interval(series: &[Vec<DateTime<Utc>>]) -> Option<i64> {
    let mut intervals: Vec<i64> = Vec::new();
    for times in series {
        let mut sorted = times.clone();
        sorted.sort();
        intervals.extend(sorted.windows(2).map(|pair| (pair[1] - pair[0]).num_seconds()));
    }
    if intervals.len() < MIN_INTERVALS {
        return None;
    }
    intervals.sort_unstable();
    let median = intervals[intervals.len() / 2];
    if median < 60 {
        return None;
    }
    let close = intervals.iter().filter(|&&interval| (interval - median).abs() * 10 <= median).count();
    (close * 10 >= intervals.len() * 8).then_some(median)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn a_nightly_job_is_daily_at_its_minute() {
        let times: Vec<DateTime<Utc>> =
            (7..=20).map(|day| at(&format!("2026-11-{day:02}T03:15:0{}Z", day % 3))).collect();
        let found = recurrence(&[times]).expect("times");
        assert_eq!(found.pattern, RecurrencePattern::Daily);
        assert_eq!(found.time_of_day.as_deref(), Some("03:15"));
        assert_eq!((found.days, found.span_days, found.days_at_time), (14, 14, 14));
    }

    #[test]
    fn a_job_just_before_midnight_keeps_its_time() {
        let times: Vec<DateTime<Utc>> = (1..=6)
            .map(|day| {
                if day % 2 == 0 {
                    at(&format!("2026-11-{day:02}T23:58:00Z"))
                } else {
                    at(&format!("2026-11-{day:02}T00:01:00Z"))
                }
            })
            .collect();
        let found = recurrence(&[times]).expect("times");
        assert_eq!(found.pattern, RecurrencePattern::Daily);
        assert!(matches!(found.time_of_day.as_deref(), Some("23:58") | Some("00:01")), "{found:?}");
    }

    #[test]
    fn a_controller_loop_has_a_fixed_interval() {
        let start = at("2026-11-07T03:07:00Z");
        let times: Vec<DateTime<Utc>> =
            (0..12).map(|step| start + chrono::Duration::seconds(step * 14_400 + (step % 3) * 30)).collect();
        let found = recurrence(&[times]).expect("times");
        assert_eq!(found.pattern, RecurrencePattern::Interval);
        assert_eq!(found.interval_seconds.map(|seconds| seconds / 60), Some(240));
    }

    #[test]
    fn bursts_one_offs_and_irregular_sessions() {
        let burst = vec![at("2026-11-20T08:48:00Z"), at("2026-11-20T08:48:00Z"), at("2026-11-20T08:53:00Z")];
        assert_eq!(recurrence(&[burst]).map(|found| found.pattern), Some(RecurrencePattern::OneOff));
        assert_eq!(
            recurrence(&[vec![at("2026-11-20T08:48:00Z")]]).map(|found| found.pattern),
            Some(RecurrencePattern::OneOff)
        );
        let sessions = vec![
            at("2026-11-07T01:37:00Z"),
            at("2026-11-08T05:12:00Z"),
            at("2026-11-09T02:19:00Z"),
            at("2026-11-10T02:44:00Z"),
            at("2026-11-12T03:52:00Z"),
            at("2026-11-14T05:07:00Z"),
        ];
        assert_eq!(recurrence(&[sessions]).map(|found| found.pattern), Some(RecurrencePattern::Irregular));
        assert_eq!(recurrence(&[]), None);
    }
}
