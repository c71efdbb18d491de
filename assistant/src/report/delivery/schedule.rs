//! When a scheduled report runs: daily at a UTC time, or weekly on a weekday at a UTC time.

use chrono::{DateTime, Datelike as _, Duration, NaiveTime, Utc, Weekday};
use serde::Deserialize;

/// How often a report runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    /// Once a day.
    Daily,
    /// Once a week.
    Weekly,
}

/// A report's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Daily or weekly.
    pub every: Every,
    /// Time of day (UTC).
    pub at: NaiveTime,
    /// Day of the week, for weekly reports.
    pub weekday: Weekday,
}

impl Schedule {
    /// The first run strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let mut day = after.date_naive();
        loop {
            let candidate = day.and_time(self.at).and_utc();
            let day_matches = match self.every {
                Every::Daily => true,
                Every::Weekly => day.weekday() == self.weekday,
            };
            if day_matches && candidate > after {
                return candidate;
            }
            day += Duration::days(1);
        }
    }
}

/// Parses `mon`, `monday`, `Mon` ... into a weekday.
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    text.trim().parse::<Weekday>().ok()
}

/// Parses `HH:MM` (UTC).
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn daily_runs_today_if_still_ahead_else_tomorrow() {
        let schedule =
            Schedule { every: Every::Daily, at: parse_time_of_day("08:00").expect("time"), weekday: Weekday::Mon };
        assert_eq!(schedule.next_after(at("2026-11-20T07:59:00Z")), at("2026-11-20T08:00:00Z"));
        assert_eq!(schedule.next_after(at("2026-11-20T08:00:00Z")), at("2026-11-21T08:00:00Z"));
    }

    #[test]
    fn weekly_runs_on_its_weekday() {
        // 2026-11-20 is a Friday.
        let schedule =
            Schedule { every: Every::Weekly, at: parse_time_of_day("09:30").expect("time"), weekday: Weekday::Mon };
        assert_eq!(schedule.next_after(at("2026-11-20T12:00:00Z")), at("2026-11-23T09:30:00Z"));
        assert_eq!(schedule.next_after(at("2026-11-23T09:29:59Z")), at("2026-11-23T09:30:00Z"));
        assert_eq!(schedule.next_after(at("2026-11-23T09:30:00Z")), at("2026-11-30T09:30:00Z"));
    }

    #[test]
    fn weekdays_and_times_parse() {
        assert_eq!(parse_weekday("monday"), Some(Weekday::Mon));
        assert_eq!(parse_weekday("Fri"), Some(Weekday::Fri));
        assert_eq!(parse_weekday("someday"), None);
        assert!(parse_time_of_day("8am").is_none());
        assert!(parse_time_of_day("25:00").is_none());
    }
}
