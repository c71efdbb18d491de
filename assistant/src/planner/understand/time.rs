//! Time expressions in English and Japanese: "last 7 days", "past 24 hours", "yesterday",
//! "this week", "last week", 「過去7日間」, 「先週」, 「昨日」, 「今日」, "since 2026-11-19".
//!
//! Rolling ranges ("last 7 days", "in the past week", 「過去7日間」, 「直近1週間」) become a
//! `last` length ending now; calendar days and weeks ("yesterday", "last week", 「先週」) become
//! `since`/`until` in UTC, weeks starting on Monday (ISO 8601).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, SecondsFormat, Utc};

use super::text::Question;
use crate::conversation::TimeFocus;

/// What the question says about time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSpec {
    /// The question names no time.
    Unspecified,
    /// "all time", 「全期間」: drop any time range in focus.
    AllTime,
    /// A range.
    Range(TimeFocus),
}

/// Reads the time expression of `question` relative to `now`.
pub fn time_spec(question: &Question, now: DateTime<Utc>) -> TimeSpec {
    let text = question.folded.as_str();
    if question.has_any(&["all time", "all-time", "ever", "全期間", "すべての期間", "全ての期間"]) {
        return TimeSpec::AllTime;
    }
    if let Some(range) = explicit_dates(question, now) {
        return TimeSpec::Range(range);
    }
    if let Some(length) = rolling_length(text) {
        return TimeSpec::Range(TimeFocus { last: Some(length), ..TimeFocus::default() });
    }
    let today = now.date_naive();
    let day = |date: NaiveDate| date.and_time(NaiveTime::MIN).and_utc();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let calendar = if let Some(days) = days_ago(question) {
        Some((day(today - Duration::days(days)), day(today - Duration::days(days - 1))))
    } else if question.has_any(&["yesterday", "昨日", "きのう"]) {
        Some((day(today - Duration::days(1)), day(today)))
    } else if question.has_any(&["today", "今日", "本日", "きょう"]) {
        Some((day(today), now))
    } else if question.has_any(&["this week", "今週"]) {
        Some((day(monday), now))
    } else if question.has_any(&["last week", "previous week", "先週", "前週"]) && !compares(question) {
        Some((day(monday - Duration::days(7)), day(monday)))
    } else if question.has_any(&["this month", "今月"]) {
        let first = today.with_day(1).unwrap_or(today);
        Some((day(first), now))
    } else {
        None
    };
    // "Since yesterday", 「昨日の昼から」: from the start of that day until now.
    let calendar = calendar.map(|(since, until)| if from_then_on(question) { (since, now) } else { (since, until) });
    match calendar {
        Some((since, until)) if since < until => {
            TimeSpec::Range(TimeFocus { since: Some(format_time(since)), until: Some(format_time(until)), last: None })
        }
        _ => TimeSpec::Unspecified,
    }
}

/// English month names and their usual abbreviations, by month number.
const MONTHS: [&[&str]; 12] = [
    &["jan", "january"],
    &["feb", "february"],
    &["mar", "march"],
    &["apr", "april"],
    &["may"],
    &["jun", "june"],
    &["jul", "july"],
    &["aug", "august"],
    &["sep", "sept", "september"],
    &["oct", "october"],
    &["nov", "november"],
    &["dec", "december"],
];

/// Dates written without a year, as analysts type them: "nov 10", "10 nov", "november 10th",
/// `11/10` (month first) and 「11月10日」; each in the latest year that puts it on or before
/// `today`, with its byte offset in the question.
fn spoken_dates(question: &Question, today: NaiveDate) -> Vec<(usize, NaiveDate)> {
    let dated = |month: u32, day: u32| {
        let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
        if this_year <= today { Some(this_year) } else { NaiveDate::from_ymd_opt(today.year() - 1, month, day) }
    };
    let month_of = |word: &str| MONTHS.iter().position(|names| names.contains(&word)).map(|index| index as u32 + 1);
    let day_of = |word: &str| {
        let word = word.trim_end_matches(',');
        let digits = ["st", "nd", "rd", "th"].iter().find_map(|suffix| word.strip_suffix(suffix)).unwrap_or(word);
        digits.parse::<u32>().ok().filter(|day| (1..=31).contains(day))
    };
    let tokens = question.tokens();
    let mut found = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let next = tokens.get(index + 1).map(|next| next.text);
        if let Some(month) = month_of(token.text) {
            // "may" is a month only before a day ("may 3"), never alone.
            if let Some(date) = next.and_then(day_of).and_then(|day| dated(month, day)) {
                found.push((token.start, date));
            }
        } else if let Some(day) = day_of(token.text)
            && let Some(month) = next.and_then(month_of)
            && let Some(date) = dated(month, day)
        {
            found.push((token.start, date));
        } else if let Some((month, day)) = token.text.split_once('/')
            && let (Ok(month), Ok(day)) = (month.parse::<u32>(), day.parse::<u32>())
            && token.text.bytes().all(|byte| byte.is_ascii_digit() || byte == b'/')
            && let Some(date) = dated(month, day)
        {
            found.push((token.start, date));
        }
    }
    let folded = question.folded.as_str();
    for (position, _) in folded.match_indices('月') {
        let month_text = super::text::trailing_run(&folded[..position], |c| c.is_ascii_digit());
        let rest = &folded[position + '月'.len_utf8()..];
        let day: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if rest[day.len()..].starts_with('日')
            && let (Ok(month), Ok(day)) = (month_text.parse::<u32>(), day.parse::<u32>())
            && let Some(date) = dated(month, day)
        {
            found.push((position - month_text.len(), date));
        }
    }
    found
}

/// Calendar words a question can count on from ("since yesterday", 「先週から」).
const CALENDAR_WORDS: &[&str] = &[
    "yesterday",
    "last week",
    "day before yesterday",
    "days ago",
    "昨日",
    "きのう",
    "一昨日",
    "おととい",
    "先週",
    "前週",
    "日前",
];

/// Whether the calendar day or week the question names is where a period starts, not the whole
/// period: "since yesterday", "starting last week", 「昨日の昼から」, 「先週以降」.
fn from_then_on(question: &Question) -> bool {
    let text = question.folded.as_str();
    CALENDAR_WORDS.iter().any(|word| {
        text.match_indices(word).any(|(start, _)| {
            let before = text[..start].trim_end();
            let after: String = text[start + word.len()..].chars().take(8).collect();
            // Not "from": "the alerts from last week" are last week's.
            before.ends_with("since")
                || before.ends_with("starting")
                || after.contains("から")
                || after.contains("以降")
        })
    })
}

/// A whole day some days back: "the day before yesterday", 「一昨日」, "3 days ago", 「3日前」.
fn days_ago(question: &Question) -> Option<i64> {
    if question.has_any(&["day before yesterday", "一昨日", "おととい", "おとつい"]) {
        return Some(2);
    }
    let text = question.folded.as_str();
    for suffix in [" days ago", " day ago", "日前"] {
        if let Some(position) = text.find(suffix) {
            let digits = super::text::trailing_run(&text[..position], |c| c.is_ascii_digit());
            if let Ok(days) = digits.parse::<i64>()
                && (1..=366).contains(&days)
            {
                return Some(days);
            }
        }
    }
    None
}

/// Whether "last week" is the other side of a comparison ("compared with last week",
/// 「先週との比較」) rather than the range asked about.
fn compares(question: &Question) -> bool {
    question.has_any(&[
        "compare",
        "compared",
        "comparison",
        "versus",
        "vs",
        "than last week",
        "trend",
        "比較",
        "傾向",
        "先週と",
        "前週と",
        "推移",
        "比べ",
        "増えてる",
        "減ってる",
        "増えた",
        "減った",
        "more than",
        "fewer than",
        "worse than",
    ])
}

/// "last 7 days", "past 24 hours", "in the last week", "last 30 minutes", 「過去7日間」,
/// 「直近24時間」, 「過去1週間」, "7d".
fn rolling_length(text: &str) -> Option<String> {
    let units: [(&[&str], char); 4] = [
        (&["minute", "minutes", "min", "mins", "分", "分間"], 'm'),
        (&["hour", "hours", "hr", "hrs", "時間"], 'h'),
        (&["day", "days", "日", "日間"], 'd'),
        (&["week", "weeks", "週", "週間"], 'w'),
    ];
    for lead in ["last", "past", "previous", "recent", "過去", "直近", "最近", "この", "ここ"] {
        let mut from = 0;
        while let Some(found) = text[from..].find(lead) {
            let start = from + found + lead.len();
            from = start;
            let rest = text[start..].trim_start();
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let after = rest[digits.len()..].trim_start();
            let (count, after) = if digits.is_empty() {
                // "in the last week", "past day": one unit; a bare "last week" is the
                // calendar week.
                let lead_start = start - lead.len();
                if matches!(lead, "last" | "previous") && !text[..lead_start].ends_with("the ") {
                    continue;
                }
                (1u32, after)
            } else {
                match digits.parse::<u32>() {
                    Ok(count) if count > 0 => (count, after),
                    _ => continue,
                }
            };
            for (words, unit) in units {
                if words.iter().any(|word| starts_with_word(after, word)) {
                    return Some(format!("{count}{unit}"));
                }
            }
        }
    }
    // A bare duration such as "7d" or "24h".
    text.split(|c: char| !c.is_ascii_alphanumeric()).find_map(|word| {
        let (digits, unit) = word.split_at(word.len().checked_sub(1)?);
        (matches!(unit, "m" | "h" | "d" | "w") && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| word.to_string())
    })
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.starts_with(word)
        && (!word.is_ascii() || text[word.len()..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric()))
}

/// "since 2026-11-19", "from 2026-11-18 to 2026-11-19", "on 2026-11-19", 「2026-11-19以降」.
fn explicit_dates(question: &Question, now: DateTime<Utc>) -> Option<TimeFocus> {
    let mut dates: Vec<(usize, NaiveDate)> = question
        .tokens()
        .iter()
        .filter_map(|token| {
            let text = token.text.get(..10).unwrap_or(token.text);
            NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|date| (token.start, date))
        })
        .collect();
    dates.extend(spoken_dates(question, now.date_naive()));
    dates.sort();
    let day = |date: NaiveDate| format_time(date.and_time(NaiveTime::MIN).and_utc());
    match dates.as_slice() {
        [] => None,
        [(_, first), (_, second), ..] => {
            let (from, to) = if first <= second { (*first, *second) } else { (*second, *first) };
            Some(TimeFocus { since: Some(day(from)), until: Some(day(to + Duration::days(1))), last: None })
        }
        [(position, date)] => {
            let before = &question.folded[..*position];
            let after = &question.folded[*position..];
            if before.ends_with("since ")
                || before.ends_with("after ")
                || before.ends_with("from ")
                || after.contains("以降")
            {
                Some(TimeFocus { since: Some(day(*date)), ..TimeFocus::default() })
            } else if before.ends_with("before ") || before.ends_with("until ") || after.contains("以前") {
                Some(TimeFocus { until: Some(day(*date)), ..TimeFocus::default() })
            } else {
                Some(TimeFocus { since: Some(day(*date)), until: Some(day(*date + Duration::days(1))), last: None })
            }
        }
    }
}

/// Phrases that ask for the period just before the one in focus ("and the week before that?",
/// 「その前の週は?」).
const BEFORE_THAT: &[&str] = &[
    "before that",
    "the week before",
    "the day before",
    "the period before",
    "prior week",
    "その前",
    "前の週",
    "その前の週",
    "前の期間",
];

/// The period of the same length right before `previous` (the focus's range), when the
/// question asks for it and names no time of its own.
pub fn period_before(question: &Question, previous: Option<&TimeFocus>, now: DateTime<Utc>) -> Option<TimeFocus> {
    if !question.has_any(BEFORE_THAT) || compares(question) {
        return None;
    }
    let previous = previous?;
    let (since, until) = match (&previous.last, &previous.since, &previous.until) {
        (Some(last), _, _) => {
            let length = parse_length(last)?;
            (now - length, now)
        }
        (None, Some(since), until) => {
            let since = DateTime::parse_from_rfc3339(since).ok()?.with_timezone(&Utc);
            let until = match until {
                Some(until) => DateTime::parse_from_rfc3339(until).ok()?.with_timezone(&Utc),
                None => now,
            };
            (since, until)
        }
        _ => return None,
    };
    let length = until - since;
    (length > Duration::zero()).then(|| TimeFocus {
        since: Some(format_time(since - length)),
        until: Some(format_time(since)),
        last: None,
    })
}

/// A rolling length as the focus stores it (`30m`, `24h`, `7d`, `2w`).
fn parse_length(text: &str) -> Option<Duration> {
    let unit = text.chars().last()?;
    let amount: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    match unit {
        'm' => Some(Duration::minutes(amount)),
        'h' => Some(Duration::hours(amount)),
        'd' => Some(Duration::days(amount)),
        'w' => Some(Duration::weeks(amount)),
        _ => None,
    }
}

fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_day_before_yesterday_and_days_ago_are_whole_days() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").expect("time").with_timezone(&Utc);
        for (question, since, until) in [
            ("alerts from the day before yesterday", "2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z"),
            ("一昨日のアラート", "2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z"),
            ("what fired 3 days ago", "2026-11-17T00:00:00Z", "2026-11-18T00:00:00Z"),
            ("3日前のイベント", "2026-11-17T00:00:00Z", "2026-11-18T00:00:00Z"),
        ] {
            let TimeSpec::Range(range) = time_spec(&Question::new(question), now) else {
                panic!("{question}: no range")
            };
            assert_eq!((range.since.as_deref(), range.until.as_deref()), (Some(since), Some(until)), "{question}");
        }
    }
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn spec(text: &str) -> TimeSpec {
        time_spec(&Question::new(text), now())
    }

    fn last(length: &str) -> TimeSpec {
        TimeSpec::Range(TimeFocus { last: Some(length.into()), ..TimeFocus::default() })
    }

    #[test]
    fn since_a_calendar_day_runs_until_now() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").expect("time").with_timezone(&Utc);
        for question in ["昨日の昼からアラート鳴りっぱなし", "alerts since yesterday", "先週から何件?"]
        {
            let TimeSpec::Range(range) = time_spec(&Question::new(question), now) else {
                panic!("{question}: no range");
            };
            assert_eq!(range.until.as_deref(), Some("2026-11-20T12:00:00Z"), "{question}");
        }
        let TimeSpec::Range(range) = time_spec(&Question::new("昨日のアラート"), now) else {
            panic!("no range")
        };
        assert_eq!(range.until.as_deref(), Some("2026-11-20T00:00:00Z"));
    }

    fn between(since: &str, until: &str) -> TimeSpec {
        TimeSpec::Range(TimeFocus { since: Some(since.into()), until: Some(until.into()), last: None })
    }

    #[test]
    fn dates_without_a_year_are_the_latest_before_now() {
        let since = |date: &str| TimeSpec::Range(TimeFocus { since: Some(date.into()), ..TimeFocus::default() });
        assert_eq!(spec("how many times did it fire since nov 10?"), since("2026-11-10T00:00:00Z"));
        assert_eq!(spec("alerts on 11/18"), between("2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z"));
        assert_eq!(spec("11月18日のアラート何件?"), between("2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z"));
        assert_eq!(spec("between nov 12 and 14th nov"), between("2026-11-12T00:00:00Z", "2026-11-15T00:00:00Z"));
        // A day after today is last year's; "may" alone is a verb.
        assert_eq!(spec("since december 24th"), since("2025-12-24T00:00:00Z"));
        assert_eq!(spec("may i see the alerts"), TimeSpec::Unspecified);
    }

    #[test]
    fn rolling_ranges_in_both_languages() {
        assert_eq!(spec("How many alerts in the last 7 days?"), last("7d"));
        assert_eq!(spec("over the past 24 hours"), last("24h"));
        assert_eq!(spec("in the last week"), last("1w"));
        assert_eq!(spec("過去7日間に検出されたイベント"), last("7d"));
        assert_eq!(spec("直近24時間のアラート"), last("24h"));
        assert_eq!(spec("過去1週間"), last("1w"));
        assert_eq!(spec("stats for 30m"), last("30m"));
    }

    #[test]
    fn calendar_days_and_weeks() {
        // 2026-11-20 is a Friday.
        assert_eq!(spec("What happened yesterday?"), between("2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"));
        assert_eq!(spec("昨日のアラート"), between("2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"));
        assert_eq!(spec("alerts last week"), between("2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z"));
        assert_eq!(spec("先週のイベント"), between("2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z"));
        assert_eq!(spec("this week"), between("2026-11-16T00:00:00Z", "2026-11-20T12:00:00Z"));
        assert_eq!(spec("on 2026-11-19"), between("2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z"));
    }

    #[test]
    fn last_week_in_a_comparison_is_not_the_range() {
        assert_eq!(spec("過去7日間の件数と、先週との傾向比較"), last("7d"));
        assert_eq!(spec("compare this week with last week"), between("2026-11-16T00:00:00Z", "2026-11-20T12:00:00Z"));
        assert_eq!(spec("Summarize the events in this cluster."), TimeSpec::Unspecified);
        assert_eq!(spec("across all time"), TimeSpec::AllTime);
    }
}
