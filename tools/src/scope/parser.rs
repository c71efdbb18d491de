//! Recursive-descent parser for scope expressions.
//!
//! ```text
//! expression := and_chain ( "or" and_chain )*
//! and_chain  := unary ( "and" unary )*
//! unary      := "not" unary | primary
//! primary    := "(" expression ")" | comparison
//! comparison := field ( ("=" | "==" | "!=" | "contains" | "startswith") value
//!                     | "in" "(" value ( "," value )* ")"
//!                     | "exists" )
//! ```
//!
//! Keywords and operator words are case-insensitive; `and` and `or` are left-associative.
//! Nesting and tree depth are bounded so that no input can exhaust the stack here or in the
//! code that walks the tree afterwards.

use super::error::{ScopeError, ScopeProblem};
use super::lexer::{Lexer, Spanned};
use super::normalise::normalise_value;
use super::{FieldRef, Operator, ScopeExpr};

/// The deepest nesting of parentheses and `not` accepted.
pub(super) const MAX_NESTING: usize = 64;

/// The deepest expression tree accepted (a chain of N `and`s is N levels deep).
pub(super) const MAX_DEPTH: usize = 512;

/// Parses a whole scope expression; `None` for blank text (everything).
pub(super) fn parse_expression(text: &str) -> Result<Option<ScopeExpr>, ScopeError> {
    let mut parser = Parser { lexer: Lexer::new(text), nesting: 0 };
    if parser.lexer.at_end() {
        return Ok(None);
    }
    let (expression, _depth) = parser.expression()?;
    if parser.lexer.at_end() {
        return Ok(Some(expression));
    }
    let column = parser.lexer.column();
    if parser.lexer.eat(')') {
        return Err(ScopeError { column, problem: ScopeProblem::UnmatchedParenthesis });
    }
    Err(parser.lexer.unexpected("\"and\", \"or\" or end of input"))
}

/// A parsed sub-expression and the depth of its tree.
type Parsed = (ScopeExpr, usize);

struct Parser {
    lexer: Lexer,
    nesting: usize,
}

impl Parser {
    fn expression(&mut self) -> Result<Parsed, ScopeError> {
        let mut left = self.and_chain()?;
        loop {
            let column = self.lexer.column();
            if !self.lexer.eat_keyword("or") {
                return Ok(left);
            }
            let right = self.and_chain()?;
            left = join(ScopeExpr::or, left, right, column)?;
        }
    }

    fn and_chain(&mut self) -> Result<Parsed, ScopeError> {
        let mut left = self.unary()?;
        loop {
            let column = self.lexer.column();
            if !self.lexer.eat_keyword("and") {
                return Ok(left);
            }
            let right = self.unary()?;
            left = join(ScopeExpr::and, left, right, column)?;
        }
    }

    fn unary(&mut self) -> Result<Parsed, ScopeError> {
        let column = self.lexer.column();
        if !self.lexer.eat_keyword("not") {
            return self.primary();
        }
        let (inner, depth) = self.nested(column, Self::unary)?;
        check_depth(depth + 1, column)?;
        Ok((ScopeExpr::negate(inner), depth + 1))
    }

    fn primary(&mut self) -> Result<Parsed, ScopeError> {
        let column = self.lexer.column();
        if self.lexer.eat('(') {
            let inner = self.nested(column, Self::expression)?;
            if self.lexer.eat(')') {
                return Ok(inner);
            }
            if self.lexer.at_end() {
                return Err(ScopeError { column, problem: ScopeProblem::UnclosedParenthesis });
            }
            return Err(self.lexer.unexpected("\"and\", \"or\" or \")\""));
        }
        match self.lexer.read_field_name()? {
            Some(field) => Ok((self.comparison(field)?, 1)),
            None => Err(self.lexer.unexpected("a field name, \"(\" or \"not\"")),
        }
    }

    /// Runs `parse` one nesting level deeper, refusing to go past [`MAX_NESTING`].
    fn nested(
        &mut self,
        column: usize,
        parse: fn(&mut Self) -> Result<Parsed, ScopeError>,
    ) -> Result<Parsed, ScopeError> {
        if self.nesting >= MAX_NESTING {
            return Err(ScopeError { column, problem: ScopeProblem::TooDeeplyNested { limit: MAX_NESTING } });
        }
        self.nesting += 1;
        let parsed = parse(self);
        self.nesting -= 1;
        parsed
    }

    fn comparison(&mut self, field: Spanned) -> Result<ScopeExpr, ScopeError> {
        let resolved = FieldRef::resolve(&field.text);
        let Some(operator_text) = self.lexer.read_operator() else {
            return Err(self
                .lexer
                .unexpected(format!("an operator after {:?} (=, !=, in, contains, startswith, exists)", field.text)));
        };
        let operator = match operator_text.text.to_ascii_lowercase().as_str() {
            "=" | "==" => Operator::Equal,
            "!=" => Operator::NotEqual,
            "in" => Operator::In,
            "contains" => Operator::Contains,
            "startswith" => Operator::StartsWith,
            "exists" => Operator::Exists,
            _ => {
                return Err(ScopeError {
                    column: operator_text.column,
                    problem: ScopeProblem::UnknownOperator { operator: operator_text.text },
                });
            }
        };
        let raw_values = match operator {
            Operator::Exists => Vec::new(),
            Operator::In => self.value_list(&operator_text)?,
            _ => vec![self.value(&format!("a value after {:?}", operator_text.text))?],
        };
        let values = raw_values
            .into_iter()
            .map(|value| normalise_value(&resolved, operator, value.text, value.column))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ScopeExpr::compare(resolved, operator, values))
    }

    /// `( value, value, ... )` after `in`.
    fn value_list(&mut self, operator: &Spanned) -> Result<Vec<Spanned>, ScopeError> {
        let column = self.lexer.column();
        if !self.lexer.eat('(') {
            return Err(self.lexer.unexpected(format!("\"(\" after {:?}", operator.text)));
        }
        if self.lexer.eat(')') {
            return Err(ScopeError { column, problem: ScopeProblem::EmptyList });
        }
        let mut values = vec![self.value(&format!("a value after \"{} (\"", operator.text))?];
        loop {
            if self.lexer.eat(')') {
                return Ok(values);
            }
            if self.lexer.at_end() {
                return Err(ScopeError { column, problem: ScopeProblem::UnclosedParenthesis });
            }
            if !self.lexer.eat(',') {
                return Err(self.lexer.unexpected("\",\" or \")\" after a value in the list"));
            }
            values.push(self.value("a value after \",\"")?);
        }
    }

    fn value(&mut self, expected: &str) -> Result<Spanned, ScopeError> {
        match self.lexer.read_value()? {
            Some(value) => Ok(value),
            None => Err(self.lexer.unexpected(expected)),
        }
    }
}

/// Builds `left <op> right`, refusing trees deeper than [`MAX_DEPTH`].
fn join(
    build: fn(ScopeExpr, ScopeExpr) -> ScopeExpr,
    (left, left_depth): Parsed,
    (right, right_depth): Parsed,
    column: usize,
) -> Result<Parsed, ScopeError> {
    let depth = 1 + left_depth.max(right_depth);
    check_depth(depth, column)?;
    Ok((build(left, right), depth))
}

fn check_depth(depth: usize, column: usize) -> Result<(), ScopeError> {
    if depth > MAX_DEPTH {
        return Err(ScopeError { column, problem: ScopeProblem::TooLong { limit: MAX_DEPTH } });
    }
    Ok(())
}
