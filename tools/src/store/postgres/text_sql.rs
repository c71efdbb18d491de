//! Compiles a full-text query to a SQL condition that finds exactly what the embedded backend
//! finds.
//!
//! The text is parsed by the very query parser the embedded backend uses (tantivy's, over a
//! schema with the same `text` field and tokenizer, conjunction by default), and the parsed
//! query is translated: a term becomes `tokens @> ARRAY[term]` (GIN-indexed), a phrase the
//! containment of its terms plus ` t1 t2 ` in the token line (positions adjacent), `+`/`-`
//! and `AND`/`OR`/`NOT` tantivy's boolean rules. Query forms the store never builds (phrase
//! slop, boosts, ranges, regexes, fuzzy terms) are refused with a clear error rather than
//! answered differently.

use sqlx::{Postgres, QueryBuilder};
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::TokenizerManager;

use crate::store::StoreError;

/// A parsed full-text query, ready to be pushed into SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextCondition {
    /// Every alert.
    All,
    /// No alert.
    Nothing,
    /// The token occurs.
    Term(String),
    /// The tokens occur at adjacent positions, in this order.
    Phrase(Vec<String>),
    /// Every `must`, none of `must_not`, and (when there is no `must`) at least one `should`.
    Boolean { must: Vec<TextCondition>, should: Vec<TextCondition>, must_not: Vec<TextCondition> },
}

/// Parses `text` as the embedded backend would.
pub(super) fn parse_text(text: &str) -> Result<TextCondition, StoreError> {
    let mut builder = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer("default")
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let field = builder.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
    let mut parser = QueryParser::new(builder.build(), vec![field], TokenizerManager::default());
    parser.set_conjunction_by_default();
    let query = parser
        .parse_query(text)
        .map_err(|error| StoreError::TextQuery { query: text.to_string(), problem: error.to_string() })?;
    translate(query.as_ref())
        .map_err(|problem| StoreError::TextQuery { query: text.to_string(), problem: problem.to_string() })
}

fn translate(query: &dyn Query) -> Result<TextCondition, &'static str> {
    if query.downcast_ref::<AllQuery>().is_some() {
        return Ok(TextCondition::All);
    }
    if query.downcast_ref::<EmptyQuery>().is_some() {
        return Ok(TextCondition::Nothing);
    }
    if let Some(term) = query.downcast_ref::<TermQuery>() {
        return term_text(term.term()).map(TextCondition::Term);
    }
    if let Some(phrase) = query.downcast_ref::<PhraseQuery>() {
        let terms = phrase.phrase_terms();
        // Offsets and slop are private: a phrase equal to the plain phrase of its terms has
        // adjacent offsets and no slop, the only form the text search supports.
        if format!("{phrase:?}") != format!("{:?}", PhraseQuery::new(terms.clone())) {
            return Err(
                "phrases with a slop (`\"a b\"~N`) or a word over 40 characters inside are not supported by the PostgreSQL store",
            );
        }
        return terms.iter().map(term_text).collect::<Result<Vec<_>, _>>().map(TextCondition::Phrase);
    }
    if let Some(boolean) = query.downcast_ref::<BooleanQuery>() {
        if boolean.get_minimum_number_should_match() > 1 {
            return Err("a minimum number of optional clauses is not supported by the PostgreSQL store");
        }
        let (mut must, mut should, mut must_not) = (Vec::new(), Vec::new(), Vec::new());
        for (occur, clause) in boolean.clauses() {
            let condition = translate(clause.as_ref())?;
            match occur {
                Occur::Must => must.push(condition),
                Occur::Should => should.push(condition),
                Occur::MustNot => must_not.push(condition),
            }
        }
        return Ok(TextCondition::Boolean { must, should, must_not });
    }
    Err("only words, phrases, +, -, AND, OR and NOT are supported by the PostgreSQL store")
}

fn term_text(term: &tantivy::Term) -> Result<String, &'static str> {
    term.value().as_str().map(str::to_string).ok_or("a term that is not text")
}

/// Pushes the SQL condition of `condition`.
pub(super) fn push_text_condition(builder: &mut QueryBuilder<Postgres>, condition: &TextCondition) {
    match condition {
        TextCondition::All => {
            builder.push("TRUE");
        }
        TextCondition::Nothing => {
            builder.push("FALSE");
        }
        TextCondition::Term(term) => {
            builder.push("tokens @> ARRAY[").push_bind(term.clone()).push("::text]");
        }
        TextCondition::Phrase(terms) => {
            builder.push("(tokens @> ").push_bind(terms.clone()).push("::text[] AND strpos(token_line, ");
            builder.push_bind(format!(" {} ", terms.join(" "))).push("::text) > 0)");
        }
        TextCondition::Boolean { must, should, must_not } => {
            // tantivy: with required clauses, optional ones only score; without, at least one
            // optional clause must match; with neither, nothing matches.
            if must.is_empty() && should.is_empty() {
                builder.push("FALSE");
                return;
            }
            builder.push("(TRUE");
            for condition in must {
                builder.push(" AND ");
                push_text_condition(builder, condition);
            }
            if must.is_empty() {
                builder.push(" AND (FALSE");
                for condition in should {
                    builder.push(" OR ");
                    push_text_condition(builder, condition);
                }
                builder.push(")");
            }
            for condition in must_not {
                builder.push(" AND NOT ");
                push_text_condition(builder, condition);
            }
            builder.push(")");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> TextCondition {
        parse_text(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn words_are_terms_and_paths_are_phrases() {
        assert_eq!(parsed("Shadow"), TextCondition::Term("shadow".into()));
        assert_eq!(parsed("/etc/shadow"), TextCondition::Phrase(vec!["etc".into(), "shadow".into()]));
        let TextCondition::Boolean { must, should, must_not } = parsed("nmap -curl") else {
            panic!("a boolean query");
        };
        assert_eq!(must, vec![TextCondition::Term("nmap".into())]);
        assert!(should.is_empty());
        assert_eq!(must_not, vec![TextCondition::Term("curl".into())]);
    }

    #[test]
    fn unsupported_forms_are_refused_with_the_reason() {
        let error = parse_text("\"a b\"~2").expect_err("slop");
        assert!(error.to_string().contains("slop"), "{error}");
    }
}
