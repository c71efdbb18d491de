//! Compiles scope expressions and time ranges into tantivy queries.
//!
//! Comparisons on indexed dimensions become term, term-set, regex and exists queries. Raw
//! `output_fields` keys are indexed by key path with every value as a string, so `=`, `!=`
//! and `in` on them are term queries too; `contains`, `startswith` and `exists` on raw keys are
//! checked per candidate document against the stored alert (correct, slower), through a
//! predicate query that composes with `and`, `or` and `not` like any other.

use std::ops::Bound;
use std::sync::Arc;

use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, ExistsQuery, Occur, Query, RangeQuery, RegexQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Term};

use super::document::{is_indexed_output_key, load_alert};
use super::schema::{AlertFields, dimension_field_name};
use crate::scope::{Comparison, Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, TimeRange};

/// Builds the query for a filter (scope and time range).
pub fn filter_query(fields: &Arc<AlertFields>, filter: &AlertFilter) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(expr) = filter.scope.expr() {
        clauses.push((Occur::Must, expr_query(fields, expr)));
    }
    if let Some(range) = time_query(fields, &filter.time) {
        clauses.push((Occur::Must, range));
    }
    match clauses.len() {
        0 => Box::new(AllQuery),
        1 => clauses.pop().map(|(_, query)| query).unwrap_or_else(|| Box::new(AllQuery)),
        _ => Box::new(BooleanQuery::new(clauses)),
    }
}

fn time_query(fields: &AlertFields, range: &TimeRange) -> Option<Box<dyn Query>> {
    if range.since.is_none() && range.until.is_none() {
        return None;
    }
    let bound = |time: Option<chrono::DateTime<chrono::Utc>>, inclusive: bool| match time {
        None => Bound::Unbounded,
        Some(time) => {
            let term = Term::from_field_i64(fields.time_ns, time_to_nanos(time));
            if inclusive { Bound::Included(term) } else { Bound::Excluded(term) }
        }
    };
    Some(Box::new(RangeQuery::new(bound(range.since, true), bound(range.until, false))))
}

/// Nanoseconds since the epoch, saturating far outside the representable range.
pub fn time_to_nanos(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(if time.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

fn expr_query(fields: &Arc<AlertFields>, expr: &ScopeExpr) -> Box<dyn Query> {
    match expr {
        ScopeExpr::And(left, right) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, expr_query(fields, left)),
            (Occur::Must, expr_query(fields, right)),
        ])),
        ScopeExpr::Or(left, right) => Box::new(BooleanQuery::new(vec![
            (Occur::Should, expr_query(fields, left)),
            (Occur::Should, expr_query(fields, right)),
        ])),
        ScopeExpr::Not(inner) => negate(expr_query(fields, inner)),
        ScopeExpr::Compare(comparison) => comparison_query(fields, comparison),
    }
}

fn negate(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, query)]))
}

fn comparison_query(fields: &Arc<AlertFields>, comparison: &Comparison) -> Box<dyn Query> {
    match &comparison.field {
        FieldRef::Dimension(dimension) => dimension_query(fields, *dimension, comparison),
        FieldRef::OutputField(key) => output_field_query(fields, key, comparison),
    }
}

fn dimension_query(fields: &AlertFields, dimension: Dimension, comparison: &Comparison) -> Box<dyn Query> {
    let field = fields.dimension(dimension);
    let term = |value: &str| Term::from_field_text(field, value);
    match comparison.operator {
        Operator::Equal => one_of(comparison.values.iter().map(|value| term(value)).collect()),
        Operator::In => one_of(comparison.values.iter().map(|value| term(value)).collect()),
        Operator::NotEqual => negate(one_of(comparison.values.iter().map(|value| term(value)).collect())),
        Operator::Contains => regex(field, &comparison.values, |value| format!(".*{}.*", escape_regex(value))),
        Operator::StartsWith => regex(field, &comparison.values, |value| format!("{}.*", escape_regex(value))),
        Operator::Exists => Box::new(ExistsQuery::new(dimension_field_name(dimension).to_string(), false)),
    }
}

fn output_field_query(fields: &Arc<AlertFields>, key: &str, comparison: &Comparison) -> Box<dyn Query> {
    let term = |value: &str| {
        let mut term = Term::from_field_json_path(fields.output_fields, key, true);
        term.append_type_and_str(value);
        term
    };
    if !is_indexed_output_key(key) {
        return stored_alert_predicate(fields, comparison);
    }
    match comparison.operator {
        Operator::Equal | Operator::In => one_of(comparison.values.iter().map(|value| term(value)).collect()),
        Operator::NotEqual => negate(one_of(comparison.values.iter().map(|value| term(value)).collect())),
        Operator::Contains | Operator::StartsWith | Operator::Exists => stored_alert_predicate(fields, comparison),
    }
}

fn one_of(terms: Vec<Term>) -> Box<dyn Query> {
    match terms.len() {
        0 => Box::new(EmptyQuery),
        1 => match terms.into_iter().next() {
            Some(term) => Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            None => Box::new(EmptyQuery),
        },
        _ => Box::new(TermSetQuery::new(terms)),
    }
}

fn regex(field: tantivy::schema::Field, values: &[String], pattern: impl Fn(&str) -> String) -> Box<dyn Query> {
    let queries: Vec<(Occur, Box<dyn Query>)> = values
        .iter()
        .map(|value| {
            let query: Box<dyn Query> = match RegexQuery::from_pattern(&pattern(value), field) {
                Ok(query) => Box::new(query),
                Err(_) => Box::new(EmptyQuery),
            };
            (Occur::Should, query)
        })
        .collect();
    Box::new(BooleanQuery::new(queries))
}

/// Escapes every regex meta character (tantivy-fst regex syntax).
fn escape_regex(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() * 2);
    for letter in value.chars() {
        if "\\.+*?()|[]{}^$#&-~\"@<>".contains(letter) {
            escaped.push('\\');
        }
        escaped.push(letter);
    }
    escaped
}

/// A query that loads each candidate's stored alert and evaluates the comparison on it.
fn stored_alert_predicate(fields: &Arc<AlertFields>, comparison: &Comparison) -> Box<dyn Query> {
    let scope = Scope::from_expr(ScopeExpr::Compare(comparison.clone()));
    let fields = Arc::clone(fields);
    let predicate = FunctionPredicate::from(move |segment_reader: &tantivy::SegmentReader| {
        let store = segment_reader.get_store_reader(64)?;
        let fields = Arc::clone(&fields);
        let scope = scope.clone();
        Ok(move |doc: DocId| match store.get::<tantivy::TantivyDocument>(doc) {
            Ok(document) => load_alert(&fields, &document).is_ok_and(|alert| scope.matches(&alert)),
            Err(_) => false,
        })
    });
    Box::new(DocPredicateQuery::from(predicate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_regex_meta_characters() {
        assert_eq!(escape_regex("a.b*c"), "a\\.b\\*c");
        assert_eq!(escape_regex("/usr/bin"), "/usr/bin");
    }
}
