//! Falco's comparison operators as exception `comps` name them, and how each compares one
//! field value with the exception's value(s).

use std::fmt;

use super::pattern::{GlobCase, glob_matches, path_prefix_matches};

/// A comparison operator of an exception (see `operators.tsv` in the reference material).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=` (and its alias `==`).
    Equal,
    /// `!=`.
    NotEqual,
    /// `<`.
    Less,
    /// `<=`.
    LessOrEqual,
    /// `>`.
    Greater,
    /// `>=`.
    GreaterOrEqual,
    /// `contains`: substring.
    Contains,
    /// `icontains`: ASCII case-insensitive substring.
    IContains,
    /// `bcontains`: the value's bytes contain the hex-written bytes.
    BContains,
    /// `startswith`: prefix.
    StartsWith,
    /// `bstartswith`: the value's bytes start with the hex-written bytes.
    BStartsWith,
    /// `endswith`: suffix.
    EndsWith,
    /// `glob`: `fnmatch` with no flags.
    Glob,
    /// `iglob`: case-insensitive `glob`.
    IGlob,
    /// `regex`: RE2 full match (recognised, not evaluated by Saker).
    Regex,
    /// `in`: equal to one of a set.
    In,
    /// `intersects`: shares a value with a set.
    Intersects,
    /// `pmatch`: below one of a set of path prefixes.
    PathMatch,
    /// `exists`: the field can be extracted (unary; the exception's value is ignored).
    Exists,
    /// A string operator with a list modifier (Falco 0.44+): `startswith oneof (a, b)`.
    Modified(StringOperator, Modifier),
}

/// The string operators a list modifier combines with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringOperator {
    /// `=`.
    Equal,
    /// `!=`.
    NotEqual,
    /// `contains`.
    Contains,
    /// `icontains`.
    IContains,
    /// `bcontains`.
    BContains,
    /// `startswith`.
    StartsWith,
    /// `bstartswith`.
    BStartsWith,
    /// `endswith`.
    EndsWith,
    /// `glob`.
    Glob,
    /// `iglob`.
    IGlob,
    /// `regex`.
    Regex,
}

/// A list modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `oneof`: any listed value.
    OneOf,
    /// `anyof`: any listed value.
    AnyOf,
    /// `allof`: every listed value.
    AllOf,
}

impl StringOperator {
    fn parse(text: &str) -> Option<StringOperator> {
        Some(match text {
            "=" | "==" => StringOperator::Equal,
            "!=" => StringOperator::NotEqual,
            "contains" => StringOperator::Contains,
            "icontains" => StringOperator::IContains,
            "bcontains" => StringOperator::BContains,
            "startswith" => StringOperator::StartsWith,
            "bstartswith" => StringOperator::BStartsWith,
            "endswith" => StringOperator::EndsWith,
            "glob" => StringOperator::Glob,
            "iglob" => StringOperator::IGlob,
            "regex" => StringOperator::Regex,
            _ => return None,
        })
    }

    /// The plain comparator of the same name.
    pub fn plain(self) -> Comparator {
        match self {
            StringOperator::Equal => Comparator::Equal,
            StringOperator::NotEqual => Comparator::NotEqual,
            StringOperator::Contains => Comparator::Contains,
            StringOperator::IContains => Comparator::IContains,
            StringOperator::BContains => Comparator::BContains,
            StringOperator::StartsWith => Comparator::StartsWith,
            StringOperator::BStartsWith => Comparator::BStartsWith,
            StringOperator::EndsWith => Comparator::EndsWith,
            StringOperator::Glob => Comparator::Glob,
            StringOperator::IGlob => Comparator::IGlob,
            StringOperator::Regex => Comparator::Regex,
        }
    }
}

/// Why a `comps` entry is not an operator Saker knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a Falco comparison operator (allowed: {ALLOWED_COMPARATORS}, or a string operator with oneof/anyof/allof)"
)]
pub struct UnknownComparator {
    /// The text given.
    pub text: String,
}

/// The operators an exception's `comps` may name, for messages.
pub const ALLOWED_COMPARATORS: &str = "=, ==, !=, <, <=, >, >=, contains, icontains, bcontains, startswith, bstartswith, endswith, \
     glob, iglob, regex, in, intersects, pmatch, exists";

impl Comparator {
    /// Parses a `comps` entry (surrounding whitespace ignored, as Falco does).
    pub fn parse(text: &str) -> Result<Comparator, UnknownComparator> {
        let trimmed = text.trim();
        let plain = match trimmed {
            "<" => Some(Comparator::Less),
            "<=" => Some(Comparator::LessOrEqual),
            ">" => Some(Comparator::Greater),
            ">=" => Some(Comparator::GreaterOrEqual),
            "in" => Some(Comparator::In),
            "intersects" => Some(Comparator::Intersects),
            "pmatch" => Some(Comparator::PathMatch),
            "exists" => Some(Comparator::Exists),
            other => StringOperator::parse(other).map(StringOperator::plain),
        };
        if let Some(comparator) = plain {
            return Ok(comparator);
        }
        let mut words = trimmed.split_whitespace();
        let (Some(operator), Some(modifier), None) = (words.next(), words.next(), words.next()) else {
            return Err(UnknownComparator { text: text.to_string() });
        };
        let modifier = match modifier {
            "oneof" => Modifier::OneOf,
            "anyof" => Modifier::AnyOf,
            "allof" => Modifier::AllOf,
            _ => return Err(UnknownComparator { text: text.to_string() }),
        };
        StringOperator::parse(operator)
            .map(|operator| Comparator::Modified(operator, modifier))
            .ok_or_else(|| UnknownComparator { text: text.to_string() })
    }

    /// True for the operators whose right-hand side is a list (`in`, `intersects`, `pmatch`
    /// and the modifiers): Falco wraps a scalar value in parentheses for them and expands
    /// list names.
    pub fn takes_list(self) -> bool {
        matches!(self, Comparator::In | Comparator::Intersects | Comparator::PathMatch | Comparator::Modified(..))
    }

    /// Compares one field value with a single right-hand value (for the list operators:
    /// with a set of one).
    pub fn compare_one(self, value: &str, operand: &str) -> bool {
        self.compare_set(value, std::slice::from_ref(&operand.to_string()))
    }

    /// Compares one field value with the right-hand values (one for single-value operators).
    ///
    /// Equality is textual, or numeric when both sides are integers (`user.uid = 00`);
    /// ordering is numeric when both sides are numbers, else byte-wise like `strcmp`.
    /// `regex` always compares false here (Saker has no RE2 engine; the preview reports it).
    pub fn compare_set(self, value: &str, operands: &[String]) -> bool {
        let first = operands.first().map(String::as_str).unwrap_or_default();
        match self {
            Comparator::Equal => equal(value, first),
            Comparator::NotEqual => !equal(value, first),
            Comparator::Less => order(value, first).is_lt(),
            Comparator::LessOrEqual => order(value, first).is_le(),
            Comparator::Greater => order(value, first).is_gt(),
            Comparator::GreaterOrEqual => order(value, first).is_ge(),
            Comparator::Contains => value.contains(first),
            Comparator::IContains => value.to_ascii_lowercase().contains(&first.to_ascii_lowercase()),
            Comparator::BContains => hex_bytes(first).is_some_and(|needle| contains_bytes(value.as_bytes(), &needle)),
            Comparator::StartsWith => value.starts_with(first),
            Comparator::BStartsWith => hex_bytes(first).is_some_and(|prefix| value.as_bytes().starts_with(&prefix)),
            Comparator::EndsWith => value.ends_with(first),
            Comparator::Glob => glob_matches(first, value, GlobCase::Sensitive),
            Comparator::IGlob => glob_matches(first, value, GlobCase::Insensitive),
            Comparator::Regex => false,
            Comparator::In | Comparator::Intersects => operands.iter().any(|operand| equal(value, operand)),
            Comparator::PathMatch => operands.iter().any(|prefix| path_prefix_matches(prefix, value)),
            Comparator::Exists => true,
            Comparator::Modified(operator, Modifier::OneOf | Modifier::AnyOf) => {
                operands.iter().any(|operand| operator.plain().compare_one(value, operand))
            }
            Comparator::Modified(operator, Modifier::AllOf) => {
                !operands.is_empty() && operands.iter().all(|operand| operator.plain().compare_one(value, operand))
            }
        }
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Comparator::Equal => "=",
            Comparator::NotEqual => "!=",
            Comparator::Less => "<",
            Comparator::LessOrEqual => "<=",
            Comparator::Greater => ">",
            Comparator::GreaterOrEqual => ">=",
            Comparator::Contains => "contains",
            Comparator::IContains => "icontains",
            Comparator::BContains => "bcontains",
            Comparator::StartsWith => "startswith",
            Comparator::BStartsWith => "bstartswith",
            Comparator::EndsWith => "endswith",
            Comparator::Glob => "glob",
            Comparator::IGlob => "iglob",
            Comparator::Regex => "regex",
            Comparator::In => "in",
            Comparator::Intersects => "intersects",
            Comparator::PathMatch => "pmatch",
            Comparator::Exists => "exists",
            Comparator::Modified(operator, modifier) => {
                let modifier = match modifier {
                    Modifier::OneOf => "oneof",
                    Modifier::AnyOf => "anyof",
                    Modifier::AllOf => "allof",
                };
                return write!(formatter, "{} {modifier}", operator.plain());
            }
        };
        formatter.write_str(text)
    }
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
}

fn is_number(text: &str) -> bool {
    match text.split_once('.') {
        Some((whole, fraction)) => {
            is_integer(whole) && !fraction.is_empty() && fraction.bytes().all(|byte| byte.is_ascii_digit())
        }
        None => is_integer(text),
    }
}

fn equal(value: &str, operand: &str) -> bool {
    value == operand || matches!((integer(value), integer(operand)), (Some(left), Some(right)) if left == right)
}

fn integer(text: &str) -> Option<i128> {
    let trimmed = text.trim();
    if is_integer(trimmed) { trimmed.parse().ok() } else { None }
}

fn order(value: &str, operand: &str) -> std::cmp::Ordering {
    let (left, right) = (value.trim(), operand.trim());
    if is_number(left)
        && is_number(right)
        && let (Ok(left), Ok(right)) = (left.parse::<f64>(), right.parse::<f64>())
    {
        return left.total_cmp(&right);
    }
    value.as_bytes().cmp(operand.as_bytes())
}

/// Decodes Falco's hex operand of `bcontains`/`bstartswith` (`CAFEBABE`, spaces allowed).
pub fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|byte| !byte.is_ascii_whitespace()).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
#[path = "comparator_tests.rs"]
mod tests;
