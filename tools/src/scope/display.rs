//! The canonical text of a scope expression: parsing it gives back the same tree.
//!
//! Canonical means: canonical field names (`k8s.ns.name`, not `kubernetes.namespace.name`),
//! lowercase keywords, `=` and `!=` written without spaces, `in (a, b)` lists, parentheses only
//! where precedence (`not` > `and` > `or`, left-associative) needs them, and values bare when
//! they can be read back bare, otherwise in double quotes with `\"` and `\\` escaped.

use std::fmt;

use super::lexer::{is_bare_value_char, is_quote};
use super::{Comparison, Operator, ScopeExpr};

/// Binding strength, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Precedence {
    Or,
    And,
    Not,
    Comparison,
}

impl ScopeExpr {
    fn precedence(&self) -> Precedence {
        match self {
            ScopeExpr::Or(..) => Precedence::Or,
            ScopeExpr::And(..) => Precedence::And,
            ScopeExpr::Not(..) => Precedence::Not,
            ScopeExpr::Compare(..) => Precedence::Comparison,
        }
    }
}

/// Prints the canonical text. Comparisons are printed as the parser makes them (one value
/// for `=`, `!=`, `contains` and `startswith`, at least one for `in`); others built by hand
/// may not read back the same.
impl fmt::Display for ScopeExpr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeExpr::Or(left, right) => {
                write_operand(formatter, left, Precedence::Or)?;
                formatter.write_str(" or ")?;
                write_operand(formatter, right, Precedence::And)
            }
            ScopeExpr::And(left, right) => {
                write_operand(formatter, left, Precedence::And)?;
                formatter.write_str(" and ")?;
                write_operand(formatter, right, Precedence::Not)
            }
            ScopeExpr::Not(inner) => {
                formatter.write_str("not ")?;
                write_operand(formatter, inner, Precedence::Not)
            }
            ScopeExpr::Compare(comparison) => comparison.fmt(formatter),
        }
    }
}

/// Writes `operand`, in parentheses when it binds more loosely than `weakest`.
fn write_operand(formatter: &mut fmt::Formatter<'_>, operand: &ScopeExpr, weakest: Precedence) -> fmt::Result {
    if operand.precedence() < weakest { write!(formatter, "({operand})") } else { write!(formatter, "{operand}") }
}

impl fmt::Display for Comparison {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.field.name())?;
        let first = self.values.first().map(String::as_str).unwrap_or_default();
        match self.operator {
            Operator::Equal | Operator::NotEqual => {
                formatter.write_str(self.operator.as_str())?;
                write_value(formatter, first)
            }
            Operator::Contains | Operator::StartsWith => {
                write!(formatter, " {} ", self.operator.as_str())?;
                write_value(formatter, first)
            }
            Operator::Exists => formatter.write_str(" exists"),
            Operator::In => {
                formatter.write_str(" in (")?;
                for (index, value) in self.values.iter().enumerate() {
                    if index > 0 {
                        formatter.write_str(", ")?;
                    }
                    write_value(formatter, value)?;
                }
                formatter.write_str(")")
            }
        }
    }
}

/// Writes a value bare when the lexer would read it back unchanged, else double-quoted.
fn write_value(formatter: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    if can_be_bare(value) {
        return formatter.write_str(value);
    }
    formatter.write_str("\"")?;
    for letter in value.chars() {
        if letter == '"' || letter == '\\' {
            formatter.write_str("\\")?;
        }
        write!(formatter, "{letter}")?;
    }
    formatter.write_str("\"")
}

/// Bare values must be non-empty, must not start with a quote or with `=` (which would
/// merge with a preceding `=` into `==`), and may not contain whitespace, parentheses,
/// commas or backslashes.
fn can_be_bare(value: &str) -> bool {
    let starts_well = value.chars().next().is_some_and(|first| !is_quote(first) && first != '=');
    starts_well && value.chars().all(|letter| is_bare_value_char(letter) && letter != '\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::{Dimension, FieldRef};

    fn compare(name: &str, operator: Operator, values: &[&str]) -> ScopeExpr {
        ScopeExpr::compare(FieldRef::resolve(name), operator, values.iter().map(|value| value.to_string()).collect())
    }

    fn check(expression: &ScopeExpr, expected: &str) {
        assert_eq!(expression.to_string(), expected);
    }

    #[test]
    fn prints_comparisons_with_canonical_names() {
        check(&compare("kubernetes.namespace.name", Operator::Equal, &["shop"]), "k8s.ns.name=shop");
        check(&compare("pod", Operator::NotEqual, &["web-0"]), "k8s.pod.name!=web-0");
        check(&compare("namespace", Operator::In, &["a", "b c"]), "k8s.ns.name in (a, \"b c\")");
        check(&compare("proc.cmdline", Operator::Contains, &["sh -c"]), "proc.cmdline contains \"sh -c\"");
        check(
            &compare("image", Operator::StartsWith, &["docker.io/"]),
            "container.image.repository startswith docker.io/",
        );
        check(&compare("container.id", Operator::Exists, &[]), "container.id exists");
        let workload = ScopeExpr::compare(FieldRef::Dimension(Dimension::Workload), Operator::Equal, vec!["w".into()]);
        check(&workload, "workload=w");
    }

    #[test]
    fn quotes_values_only_when_needed() {
        check(&compare("fd.name", Operator::Equal, &["/etc/shadow"]), "fd.name=/etc/shadow");
        check(&compare("proc.name", Operator::Equal, &["and"]), "proc.name=and");
        check(&compare("proc.name", Operator::Equal, &[""]), "proc.name=\"\"");
        check(&compare("proc.name", Operator::Equal, &["=x"]), "proc.name=\"=x\"");
        check(&compare("proc.name", Operator::Equal, &["it's"]), "proc.name=it's");
        check(&compare("proc.name", Operator::Equal, &["'q'"]), "proc.name=\"'q'\"");
        check(&compare("proc.name", Operator::Equal, &["a\"b\\c"]), "proc.name=\"a\\\"b\\\\c\"");
        check(&compare("proc.name", Operator::Equal, &["f(x),y"]), "proc.name=\"f(x),y\"");
    }

    #[test]
    fn parenthesises_by_precedence() {
        let a = compare("proc.name", Operator::Equal, &["a"]);
        let b = compare("proc.name", Operator::Equal, &["b"]);
        let c = compare("proc.name", Operator::Equal, &["c"]);
        let or = ScopeExpr::or(a.clone(), b.clone());
        let and = ScopeExpr::and(a.clone(), b.clone());
        check(&ScopeExpr::and(or.clone(), c.clone()), "(proc.name=a or proc.name=b) and proc.name=c");
        check(&ScopeExpr::and(c.clone(), and.clone()), "proc.name=c and (proc.name=a and proc.name=b)");
        check(&ScopeExpr::and(and.clone(), c.clone()), "proc.name=a and proc.name=b and proc.name=c");
        check(&ScopeExpr::or(and.clone(), c.clone()), "proc.name=a and proc.name=b or proc.name=c");
        check(&ScopeExpr::or(c.clone(), or.clone()), "proc.name=c or (proc.name=a or proc.name=b)");
        check(&ScopeExpr::negate(and), "not (proc.name=a and proc.name=b)");
        check(&ScopeExpr::negate(ScopeExpr::negate(c)), "not not proc.name=c");
        check(&ScopeExpr::and(ScopeExpr::negate(a), b), "not proc.name=a and proc.name=b");
    }
}
