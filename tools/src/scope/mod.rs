//! Scope expressions: which alerts a question is about, in Falco/Sysdig field syntax.
//!
//! Analysts paste scopes from their consoles, e.g.
//! `kubernetes.cluster.name=prod and k8s.ns.name in (a, b) and not proc.name=bash`.
//! [`Scope::parse`] reads them (aliases resolved, priorities and MITRE IDs normalised), the
//! canonical text ([`Scope`]'s `Display`) reads back to the same tree and serves as evidence
//! that reproduces a result set, and [`Scope::matches`] is the reference evaluation (see the
//! `eval` module for the exact semantics).

mod ast;
mod display;
mod error;
mod eval;
mod field;
mod lexer;
mod normalise;
mod parser;
mod serde_impl;

/// The terms an expression requires together: the operands of its top-level `and`s.
fn conjuncts(expr: &ScopeExpr) -> Vec<&ScopeExpr> {
    match expr {
        ScopeExpr::And(left, right) => {
            let mut terms = conjuncts(left);
            terms.extend(conjuncts(right));
            terms
        }
        other => vec![other],
    }
}

#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod round_trip_tests;

pub use ast::{Comparison, Operator, ScopeExpr};
pub use error::{ScopeError, ScopeProblem};
pub use field::{Dimension, FieldRef};

use std::fmt;
use std::str::FromStr;

use crate::alert::Alert;

/// A parsed scope expression together with the text it was parsed from.
///
/// `None` as the expression means everything (blank text). Equality compares the parsed
/// trees, not the texts, so `kubernetes.namespace.name=a` equals `k8s.ns.name = a`.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    text: String,
    expr: Option<ScopeExpr>,
}

impl Scope {
    /// Parses a scope; blank text is everything.
    pub fn parse(text: &str) -> Result<Scope, ScopeError> {
        Ok(Scope { text: text.to_string(), expr: parser::parse_expression(text)? })
    }

    /// The scope that holds every alert.
    pub fn all() -> Scope {
        Scope::default()
    }

    /// A scope from a tree built in code; its text is the canonical text.
    pub fn from_expr(expr: ScopeExpr) -> Scope {
        Scope { text: expr.to_string(), expr: Some(expr) }
    }

    /// Both scopes at once, e.g. a question confined to the analyst's scope. Everything is
    /// the neutral element: `all().and(s) == s`. The result is one level deeper than the
    /// deeper operand, so its text re-parses as long as that stays within the parser's depth
    /// limit (512 levels, far beyond hand-written scopes).
    pub fn and(&self, other: &Scope) -> Scope {
        match (&self.expr, &other.expr) {
            (None, _) => other.clone(),
            (_, None) => self.clone(),
            // What the scope already requires is not required twice (`rule=X and rule=X`).
            (Some(left), Some(right)) if conjuncts(right).iter().all(|term| conjuncts(left).contains(term)) => {
                self.clone()
            }
            (Some(left), Some(right)) => Scope::from_expr(ScopeExpr::and(left.clone(), right.clone())),
        }
    }

    /// True when the scope holds every alert.
    pub fn is_all(&self) -> bool {
        self.expr.is_none()
    }

    /// The parsed tree; `None` for everything.
    pub fn expr(&self) -> Option<&ScopeExpr> {
        self.expr.as_ref()
    }

    /// The text as the analyst wrote it (the canonical text for scopes built in code).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when `alert` is in the scope.
    pub fn matches(&self, alert: &Alert) -> bool {
        self.expr.as_ref().is_none_or(|expr| eval::expression_matches(expr, alert))
    }

    /// The fields the scope compares, each once, in order of first use.
    pub fn fields(&self) -> Vec<FieldRef> {
        let mut fields = Vec::new();
        if let Some(expr) = &self.expr {
            collect_fields(expr, &mut fields);
        }
        fields
    }
}

fn collect_fields(expr: &ScopeExpr, fields: &mut Vec<FieldRef>) {
    match expr {
        ScopeExpr::And(left, right) | ScopeExpr::Or(left, right) => {
            collect_fields(left, fields);
            collect_fields(right, fields);
        }
        ScopeExpr::Not(inner) => collect_fields(inner, fields),
        ScopeExpr::Compare(comparison) => {
            if !fields.contains(&comparison.field) {
                fields.push(comparison.field.clone());
            }
        }
    }
}

impl PartialEq for Scope {
    fn eq(&self, other: &Scope) -> bool {
        self.expr == other.expr
    }
}

impl Eq for Scope {}

/// The canonical text: empty for everything, else the expression's canonical form.
impl fmt::Display for Scope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.expr {
            Some(expr) => expr.fmt(formatter),
            None => Ok(()),
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Scope, ScopeError> {
        Scope::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(text: &str) -> Scope {
        Scope::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn blank_text_is_everything() {
        for text in ["", "   ", "\n\t"] {
            assert!(scope(text).is_all());
            assert_eq!(scope(text).to_string(), "");
        }
        assert_eq!(Scope::all(), scope(" "));
        assert!(!scope("proc.name=a").is_all());
    }

    #[test]
    fn conjunction_keeps_everything_neutral() {
        let analyst = scope("kubernetes.cluster.name=prod");
        let question = scope("proc.name=a or proc.name=b");
        assert_eq!(analyst.and(&question).to_string(), "k8s.cluster.name=prod and (proc.name=a or proc.name=b)");
        assert_eq!(question.and(&analyst).to_string(), "(proc.name=a or proc.name=b) and k8s.cluster.name=prod");
        assert_eq!(Scope::all().and(&analyst), analyst);
        assert_eq!(analyst.and(&Scope::all()).text(), "kubernetes.cluster.name=prod");
        assert!(Scope::all().and(&Scope::all()).is_all());
    }

    #[test]
    fn conjunction_does_not_require_a_term_twice() {
        let explained = scope("k8s.cluster.name=prod and rule=\"Reverse Shell\"");
        let rule = scope("rule=\"Reverse Shell\"");
        assert_eq!(explained.and(&rule), explained);
        assert_eq!(rule.and(&rule).to_string(), "rule=\"Reverse Shell\"");
        assert_eq!(
            rule.and(&explained).to_string(),
            "rule=\"Reverse Shell\" and (k8s.cluster.name=prod and rule=\"Reverse Shell\")"
        );
    }

    #[test]
    fn equality_compares_trees_and_keeps_text() {
        let written = scope("kubernetes.namespace.name = a");
        assert_eq!(written, scope("k8s.ns.name=a"));
        assert_eq!(written.text(), "kubernetes.namespace.name = a");
        assert_eq!(written.to_string(), "k8s.ns.name=a");
        assert_eq!("namespace=a".parse::<Scope>(), Ok(written));
    }

    #[test]
    fn lists_fields_once_in_order() {
        let fields = scope("proc.name=a and (k8s.ns.name=b or not process=c) and ka.verb exists").fields();
        assert_eq!(
            fields,
            vec![
                FieldRef::Dimension(Dimension::Process),
                FieldRef::Dimension(Dimension::Namespace),
                FieldRef::OutputField("ka.verb".into()),
            ]
        );
        assert!(Scope::all().fields().is_empty());
    }
}
