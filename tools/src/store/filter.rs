//! Which alerts a query covers: a scope expression and a time range.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scope::Scope;

/// The set of alerts a query covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// The scope expression (everything when empty).
    pub scope: Scope,
    /// The time range (unbounded sides when `None`).
    pub time: TimeRange,
}

impl AlertFilter {
    /// Every alert.
    pub fn all() -> Self {
        AlertFilter::default()
    }

    /// Alerts in `scope`, any time.
    pub fn scoped(scope: Scope) -> Self {
        AlertFilter { scope, time: TimeRange::default() }
    }
}

/// A half-open time range `[since, until)`; a missing side is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TimeRange {
    /// Inclusive start.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub until: Option<DateTime<Utc>>,
}

/// Why a time range could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeRangeError {
    /// A timestamp that is neither RFC 3339 nor a date.
    #[error(
        "{field}: {value:?} is not a time (use RFC 3339 like \"2026-11-20T12:00:00Z\" or a date like \"2026-11-20\")"
    )]
    BadTime {
        /// `since` or `until`.
        field: &'static str,
        /// The text given.
        value: String,
    },
    /// A duration that is not `<number><unit>`.
    #[error("last: {value:?} is not a duration (use a number and a unit s, m, h, d or w, like \"24h\" or \"7d\")")]
    BadDuration {
        /// The text given.
        value: String,
    },
    /// `last` together with `since`.
    #[error("last and since cannot both be given (last {last:?} already fixes the start)")]
    LastWithSince {
        /// The `last` text.
        last: String,
    },
    /// The start is not before the end.
    #[error("since {since} is not before until {until}")]
    Empty {
        /// The start.
        since: DateTime<Utc>,
        /// The end.
        until: DateTime<Utc>,
    },
}

impl TimeRange {
    /// Resolves user input: `since`/`until` timestamps, or `last` (a duration ending at
    /// `until`, or at `now` when `until` is absent).
    pub fn resolve(
        since: Option<&str>,
        until: Option<&str>,
        last: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TimeRange, TimeRangeError> {
        let until = until.map(|text| parse_time("until", text)).transpose()?;
        let since = since.map(|text| parse_time("since", text)).transpose()?;
        let range = match last {
            Some(last_text) => {
                if since.is_some() {
                    return Err(TimeRangeError::LastWithSince { last: last_text.to_string() });
                }
                let length = parse_duration(last_text)?;
                let end = until.unwrap_or(now);
                TimeRange { since: Some(end - length), until: Some(end) }
            }
            None => TimeRange { since, until },
        };
        if let (Some(since), Some(until)) = (range.since, range.until)
            && since >= until
        {
            return Err(TimeRangeError::Empty { since, until });
        }
        Ok(range)
    }

    /// The range of the same length just before this one, when both ends are known.
    pub fn previous(&self) -> Option<TimeRange> {
        let (since, until) = (self.since?, self.until?);
        Some(TimeRange { since: Some(since - (until - since)), until: Some(since) })
    }

    /// True when `time` falls in the range.
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.since.is_none_or(|since| time >= since) && self.until.is_none_or(|until| time < until)
    }
}

/// Parses `90s`, `30m`, `24h`, `7d`, `2w`.
pub fn parse_duration(text: &str) -> Result<Duration, TimeRangeError> {
    let bad = || TimeRangeError::BadDuration { value: text.to_string() };
    let trimmed = text.trim();
    let unit_start = trimmed.find(|letter: char| !letter.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = trimmed.split_at(unit_start);
    let amount: i64 = number.parse().map_err(|_| bad())?;
    if amount <= 0 || amount > 100_000 {
        return Err(bad());
    }
    match unit {
        "s" => Ok(Duration::seconds(amount)),
        "m" => Ok(Duration::minutes(amount)),
        "h" => Ok(Duration::hours(amount)),
        "d" => Ok(Duration::days(amount)),
        "w" => Ok(Duration::weeks(amount)),
        _ => Err(bad()),
    }
}

fn parse_time(field: &'static str, text: &str) -> Result<DateTime<Utc>, TimeRangeError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
        .ok_or_else(|| TimeRangeError::BadTime { field, value: text.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").map(|time| time.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn resolves_last_against_now() {
        let range = TimeRange::resolve(None, None, Some("7d"), now()).expect("valid");
        assert_eq!(range.since.map(|time| time.to_rfc3339()), Some("2026-11-13T12:00:00+00:00".to_string()));
        assert_eq!(range.until, Some(now()));
        let previous = range.previous().expect("bounded");
        assert_eq!(previous.until, range.since);
        assert_eq!(previous.since.map(|time| time.to_rfc3339()), Some("2026-11-06T12:00:00+00:00".to_string()));
    }

    #[test]
    fn rejects_bad_input_with_the_place() {
        assert!(matches!(parse_duration("7 days"), Err(TimeRangeError::BadDuration { .. })));
        assert!(matches!(parse_duration("0h"), Err(TimeRangeError::BadDuration { .. })));
        let error = TimeRange::resolve(Some("yesterday"), None, None, now()).expect_err("bad since");
        assert!(error.to_string().starts_with("since: \"yesterday\""), "{error}");
        assert!(TimeRange::resolve(Some("2026-11-20"), Some("2026-11-19"), None, now()).is_err());
        assert!(TimeRange::resolve(Some("2026-11-01"), None, Some("1d"), now()).is_err());
    }
}
