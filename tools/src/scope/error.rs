//! Why a scope expression was rejected, with the column where the problem starts.

use crate::alert::UnknownPriority;
use crate::mitre;

/// A rejected scope: the 1-based column (in characters) and the problem found there.
///
/// Displays as `scope: column 27: expected a value after "=", found end of input`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope: column {column}: {problem}")]
pub struct ScopeError {
    /// 1-based character position where the problem starts (one past the end for problems
    /// at the end of the input).
    pub column: usize,
    /// What is wrong.
    pub problem: ScopeProblem,
}

/// The ways a scope expression can be wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeProblem {
    /// Something other than what the grammar allows here.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What would have been accepted, e.g. `a value after "="`.
        expected: String,
        /// What was there: `end of input` or the quoted text.
        found: String,
    },
    /// An operator this syntax does not support (`~=`, `icontains`, `<`, ...).
    #[error("unknown operator {operator:?} (allowed: =, !=, in, contains, startswith, exists)")]
    UnknownOperator {
        /// The operator as written.
        operator: String,
    },
    /// A `(` without its `)`.
    #[error("unbalanced parentheses: this \"(\" is never closed")]
    UnclosedParenthesis,
    /// A `)` without its `(`.
    #[error("unbalanced parentheses: this \")\" has no matching \"(\"")]
    UnmatchedParenthesis,
    /// `in ()`.
    #[error("empty list after \"in\" (give at least one value, e.g. in (a, b))")]
    EmptyList,
    /// A quoted value whose closing quote is missing.
    #[error("unterminated quoted value: the {quote} opened here is never closed")]
    UnterminatedQuote {
        /// The opening quote character.
        quote: char,
    },
    /// A `priority` value that names no Falco priority.
    #[error("{0}")]
    UnknownPriority(UnknownPriority),
    /// A `mitre.tactic` value that names no ATT&CK tactic.
    #[error("unknown MITRE tactic {value:?} (allowed: a tactic ID such as TA0002 or a name: {})", tactic_names())]
    UnknownTactic {
        /// The value as written.
        value: String,
    },
    /// Parentheses and `not` nested deeper than the parser follows.
    #[error("parentheses and \"not\" nested deeper than {limit} levels")]
    TooDeeplyNested {
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// An expression tree deeper than the limit (e.g. a very long chain of `and`).
    #[error("expression has more than {limit} levels (split it or use \"in (...)\" lists)")]
    TooLong {
        /// The deepest expression tree allowed.
        limit: usize,
    },
}

/// The tactic shortnames, comma-separated, for error messages.
fn tactic_names() -> String {
    mitre::tactics().iter().map(|tactic| tactic.shortname.replace('-', "_")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_column_and_what_is_allowed() {
        let error = ScopeError {
            column: 27,
            problem: ScopeProblem::Unexpected { expected: "a value after \"=\"".into(), found: "end of input".into() },
        };
        assert_eq!(error.to_string(), "scope: column 27: expected a value after \"=\", found end of input");
        let error = ScopeError { column: 5, problem: ScopeProblem::UnknownOperator { operator: "~=".into() } };
        assert_eq!(
            error.to_string(),
            "scope: column 5: unknown operator \"~=\" (allowed: =, !=, in, contains, startswith, exists)"
        );
        let tactic = ScopeProblem::UnknownTactic { value: "flying".into() }.to_string();
        assert!(tactic.starts_with("unknown MITRE tactic \"flying\" (allowed: a tactic ID such as TA0002"), "{tactic}");
        assert!(tactic.contains("privilege_escalation"), "{tactic}");
    }
}
