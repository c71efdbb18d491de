//! The syntax tree of a scope expression (Falco/Sysdig field filter syntax).

use serde::{Deserialize, Serialize};

/// A parsed scope expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeExpr {
    /// Both sides hold.
    And(Box<ScopeExpr>, Box<ScopeExpr>),
    /// Either side holds.
    Or(Box<ScopeExpr>, Box<ScopeExpr>),
    /// The inner expression does not hold.
    Not(Box<ScopeExpr>),
    /// One field comparison.
    Compare(Comparison),
}

impl ScopeExpr {
    /// `left and right`.
    pub fn and(left: ScopeExpr, right: ScopeExpr) -> ScopeExpr {
        ScopeExpr::And(Box::new(left), Box::new(right))
    }

    /// `left or right`.
    pub fn or(left: ScopeExpr, right: ScopeExpr) -> ScopeExpr {
        ScopeExpr::Or(Box::new(left), Box::new(right))
    }

    /// `not inner`.
    pub fn negate(inner: ScopeExpr) -> ScopeExpr {
        ScopeExpr::Not(Box::new(inner))
    }

    /// One comparison. Values are taken as given: priorities and MITRE IDs must already be in
    /// the canonical form the parser would produce (see `Scope::parse`).
    pub fn compare(field: super::FieldRef, operator: Operator, values: Vec<String>) -> ScopeExpr {
        ScopeExpr::Compare(Comparison { field, operator, values })
    }
}

/// `field op value(s)`, e.g. `k8s.ns.name in (a, b)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// The field as resolved (aliases applied, see [`super::FieldRef`]).
    pub field: super::FieldRef,
    /// The operator.
    pub operator: Operator,
    /// The values: one for `=`, `!=`, `contains`, `startswith`; one or more for `in`; none
    /// for `exists`.
    pub values: Vec<String>,
}

/// The comparison operators a scope may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operator {
    /// `=`: equal (exact, case-sensitive).
    Equal,
    /// `!=`: not equal; also true when the field is absent.
    NotEqual,
    /// `in (a, b)`: equal to one of the values.
    In,
    /// `contains`: substring.
    Contains,
    /// `startswith`: prefix.
    StartsWith,
    /// `exists`: the field has a value.
    Exists,
}

impl Operator {
    /// Every operator, in the order error messages list them.
    pub const ALL: [Operator; 6] =
        [Operator::Equal, Operator::NotEqual, Operator::In, Operator::Contains, Operator::StartsWith, Operator::Exists];

    /// The operator as written in a scope.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equal => "=",
            Operator::NotEqual => "!=",
            Operator::In => "in",
            Operator::Contains => "contains",
            Operator::StartsWith => "startswith",
            Operator::Exists => "exists",
        }
    }
}
