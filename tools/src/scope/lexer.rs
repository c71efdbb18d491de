//! Reads the pieces of a scope expression: field names, operators, values, keywords and
//! punctuation.
//!
//! What a piece may contain depends on where it stands (`proc.name=a=b` is the field
//! `proc.name`, the operator `=` and the bare value `a=b`), so the parser asks for the kind of
//! piece the grammar expects next instead of reading a fixed token stream. Every reader skips
//! leading whitespace first; whitespace is otherwise only significant inside quoted values.

use super::error::{ScopeError, ScopeProblem};

/// A piece of text read from the scope and the 1-based column where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spanned {
    /// The text as read (for quoted values: without quotes, escapes applied).
    pub text: String,
    /// 1-based character position of the first character (of the opening quote for values).
    pub column: usize,
}

/// A cursor over the characters of a scope expression.
pub(super) struct Lexer {
    chars: Vec<char>,
    position: usize,
}

/// The characters an operator like `~=` or `<=` is made of; runs of them are read as one
/// (unknown) operator so that the error names the whole of it.
const OPERATOR_SYMBOLS: &[char] = &['=', '!', '<', '>', '~', '&', '|', '^', '%'];

/// The longest text quoted after "found" in error messages.
const MAX_FOUND_CHARS: usize = 40;

impl Lexer {
    /// A cursor at the start of `text`.
    pub fn new(text: &str) -> Self {
        Lexer { chars: text.chars().collect(), position: 0 }
    }

    /// Skips whitespace and returns the 1-based column of the next character (one past the
    /// end at the end of the input).
    pub fn column(&mut self) -> usize {
        self.skip_whitespace();
        self.position + 1
    }

    /// True when only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.skip_whitespace();
        self.position >= self.chars.len()
    }

    /// Consumes `expected` if it is the next non-blank character.
    pub fn eat(&mut self, expected: char) -> bool {
        self.skip_whitespace();
        if self.peek() == Some(expected) {
            self.position += 1;
            return true;
        }
        false
    }

    /// Consumes the keyword (`and`, `or`, `not`; any ASCII case) if it is the next word. A
    /// longer name that merely starts with it (`order.id`, `not-x`) is not the keyword.
    pub fn eat_keyword(&mut self, keyword: &str) -> bool {
        self.skip_whitespace();
        let length = self.chars[self.position..].iter().take_while(|letter| is_name_char(**letter)).count();
        let word: String = self.chars[self.position..self.position + length].iter().collect();
        if length > 0 && word.eq_ignore_ascii_case(keyword) {
            self.position += length;
            return true;
        }
        false
    }

    /// Reads a field name `[A-Za-z_][A-Za-z0-9_.-]*`, optionally followed by an argument in
    /// brackets (`proc.aname[2]`, `container.label[app]`). `None` when no name starts here.
    pub fn read_field_name(&mut self) -> Result<Option<Spanned>, ScopeError> {
        self.skip_whitespace();
        let start = self.position;
        if !self.peek().is_some_and(is_name_start) {
            return Ok(None);
        }
        while self.peek().is_some_and(is_name_char) {
            self.position += 1;
        }
        if self.peek() == Some('[') {
            self.position += 1;
            let argument_start = self.position;
            while self.peek().is_some_and(|letter| !letter.is_whitespace() && letter != '[' && letter != ']') {
                self.position += 1;
            }
            if self.position == argument_start || self.peek() != Some(']') {
                return Err(self.unexpected("a field argument followed by \"]\" after \"[\""));
            }
            self.position += 1;
        }
        Ok(Some(self.spanned_from(start)))
    }

    /// Reads an operator as written: `==`, `!=` or `=`; a run of operator symbols (`~=`,
    /// `<=`); or a word (`in`, `contains`, `icontains`). `None` when none starts here.
    pub fn read_operator(&mut self) -> Option<Spanned> {
        self.skip_whitespace();
        let start = self.position;
        let next = self.peek()?;
        if next.is_ascii_alphanumeric() || next == '_' {
            while self.peek().is_some_and(|letter| letter.is_ascii_alphanumeric() || letter == '_') {
                self.position += 1;
            }
        } else if let Some(known) = ["==", "!=", "="].into_iter().find(|known| self.starts_with(known)) {
            self.position += known.chars().count();
        } else if OPERATOR_SYMBOLS.contains(&next) {
            while self.peek().is_some_and(|letter| OPERATOR_SYMBOLS.contains(&letter)) {
                self.position += 1;
            }
        } else {
            return None;
        }
        Some(self.spanned_from(start))
    }

    /// Reads a value: quoted with `"` or `'` (escapes `\"`, `\'` and `\\`; any other
    /// backslash is kept), or bare up to whitespace, `(`, `)` or `,`. `None` when no value
    /// starts here.
    pub fn read_value(&mut self) -> Result<Option<Spanned>, ScopeError> {
        self.skip_whitespace();
        let start = self.position;
        match self.peek() {
            Some(quote) if is_quote(quote) => self.read_quoted(quote).map(Some),
            Some(letter) if is_bare_value_char(letter) => {
                while self.peek().is_some_and(is_bare_value_char) {
                    self.position += 1;
                }
                Ok(Some(self.spanned_from(start)))
            }
            _ => Ok(None),
        }
    }

    /// An "expected X, found Y" error at the next non-blank character.
    pub fn unexpected(&mut self, expected: impl Into<String>) -> ScopeError {
        let column = self.column();
        ScopeError {
            column,
            problem: ScopeProblem::Unexpected { expected: expected.into(), found: self.describe_next() },
        }
    }

    /// What comes next, for error messages: `end of input`, or the next piece quoted.
    fn describe_next(&mut self) -> String {
        self.skip_whitespace();
        let rest = &self.chars[self.position.min(self.chars.len())..];
        let piece: String = match rest.first() {
            None => return "end of input".to_string(),
            Some(punctuation @ ('(' | ')' | ',')) => punctuation.to_string(),
            Some(_) => rest.iter().take_while(|letter| is_bare_value_char(**letter)).take(MAX_FOUND_CHARS).collect(),
        };
        format!("{piece:?}")
    }

    fn read_quoted(&mut self, quote: char) -> Result<Spanned, ScopeError> {
        let column = self.position + 1;
        self.position += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(ScopeError { column, problem: ScopeProblem::UnterminatedQuote { quote } }),
                Some(letter) if letter == quote => {
                    self.position += 1;
                    return Ok(Spanned { text, column });
                }
                Some('\\') => {
                    self.position += 1;
                    match self.peek() {
                        Some(escaped @ ('"' | '\'' | '\\')) => {
                            text.push(escaped);
                            self.position += 1;
                        }
                        _ => text.push('\\'),
                    }
                }
                Some(letter) => {
                    text.push(letter);
                    self.position += 1;
                }
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn starts_with(&self, text: &str) -> bool {
        let rest = self.chars.get(self.position..).unwrap_or_default();
        text.chars().count() <= rest.len() && text.chars().zip(rest).all(|(expected, found)| expected == *found)
    }

    fn spanned_from(&self, start: usize) -> Spanned {
        Spanned { text: self.chars[start..self.position].iter().collect(), column: start + 1 }
    }
}

/// The first character of a field name.
pub(super) fn is_name_start(letter: char) -> bool {
    letter.is_ascii_alphabetic() || letter == '_'
}

/// The characters of a field name after the first (arguments in brackets aside).
pub(super) fn is_name_char(letter: char) -> bool {
    letter.is_ascii_alphanumeric() || matches!(letter, '_' | '.' | '-')
}

/// The characters a bare (unquoted) value may contain.
pub(super) fn is_bare_value_char(letter: char) -> bool {
    !letter.is_whitespace() && !matches!(letter, '(' | ')' | ',')
}

/// The characters that open a quoted value.
pub(super) fn is_quote(letter: char) -> bool {
    letter == '"' || letter == '\''
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanned(text: &str, column: usize) -> Option<Spanned> {
        Some(Spanned { text: text.to_string(), column })
    }

    #[test]
    fn reads_field_operator_and_bare_value() {
        let mut lexer = Lexer::new("proc.name=a=b/c:d");
        assert_eq!(lexer.read_field_name(), Ok(spanned("proc.name", 1)));
        assert_eq!(lexer.read_operator(), spanned("=", 10));
        assert_eq!(lexer.read_value(), Ok(spanned("a=b/c:d", 11)));
        assert!(lexer.at_end());
    }

    #[test]
    fn reads_field_arguments() {
        let mut lexer = Lexer::new("  container.label[app.kubernetes.io/name] exists");
        assert_eq!(lexer.read_field_name(), Ok(spanned("container.label[app.kubernetes.io/name]", 3)));
        assert_eq!(lexer.read_operator(), spanned("exists", 43));
        let error = Lexer::new("proc.aname[2").read_field_name().map_err(|error| error.to_string());
        assert_eq!(
            error,
            Err("scope: column 13: expected a field argument followed by \"]\" after \"[\", found end of input".into())
        );
    }

    #[test]
    fn reads_quoted_values_with_escapes() {
        let mut lexer = Lexer::new(r#" "say \"hi\" \\ \n" 'it\'s'"#);
        assert_eq!(lexer.read_value(), Ok(spanned(r#"say "hi" \ \n"#, 2)));
        assert_eq!(lexer.read_value(), Ok(spanned("it's", 21)));
        let error = Lexer::new("x 'open").read_value();
        assert_eq!(error, Ok(spanned("x", 1)));
        let mut lexer = Lexer::new("x 'open\\'");
        assert_eq!(lexer.read_value(), Ok(spanned("x", 1)));
        assert_eq!(
            lexer.read_value().map_err(|error| error.to_string()),
            Err("scope: column 3: unterminated quoted value: the ' opened here is never closed".into())
        );
    }

    #[test]
    fn reads_operators_as_written() {
        for (text, operator) in [("==x", "=="), ("!=x", "!="), ("=<NA>", "="), ("~= x", "~="), ("IN (", "IN")] {
            assert_eq!(Lexer::new(text).read_operator().map(|spanned| spanned.text), Some(operator.into()), "{text}");
        }
        assert_eq!(Lexer::new("(a)").read_operator(), None);
        assert_eq!(Lexer::new("   ").read_operator(), None);
    }

    #[test]
    fn keywords_are_whole_words_in_any_case() {
        let mut lexer = Lexer::new(" AND order.id");
        assert!(!lexer.eat_keyword("or"));
        assert!(lexer.eat_keyword("and"));
        assert!(!lexer.eat_keyword("or"));
        assert_eq!(lexer.read_field_name(), Ok(spanned("order.id", 6)));
    }

    #[test]
    fn describes_what_comes_next() {
        assert_eq!(Lexer::new("  ").unexpected("x").to_string(), "scope: column 3: expected x, found end of input");
        assert_eq!(Lexer::new(" ) a").unexpected("x").to_string(), "scope: column 2: expected x, found \")\"");
        assert_eq!(Lexer::new("b=\"c d").unexpected("x").to_string(), "scope: column 1: expected x, found \"b=\\\"c\"");
    }
}
