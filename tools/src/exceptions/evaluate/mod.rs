//! Evaluates Falco rule exceptions against stored alerts, three-valued: an alert is
//! suppressed (some tuple's comparisons all hold), not suppressed (every tuple has a
//! comparison that fails), or unknown (no tuple fails for certain, but one needs a field the
//! alert does not carry). Nothing is guessed: a missing field is unknown, never a match.
//!
//! [`CompiledExceptions::compile`] resolves a snippet the way Falco loads it: comps defaults,
//! both forms, values appended to an exception the rule already has (its fields and comps come
//! from the loaded rules), list names expanded from the catalog for the list operators.
//! Whatever Falco would refuse is reported as an [`ExceptionProblem`] and that exception is
//! left out, so the caller can say what was not evaluated.

mod comparator;
mod field;
mod pattern;

pub use comparator::{ALLOWED_COMPARATORS, Comparator, Modifier, StringOperator, UnknownComparator, hex_bytes};
pub use field::{FieldLookup, file_name, lookup, parent_directory};
pub use pattern::{GlobCase, glob_matches, path_prefix_matches};

use super::model::{
    ExceptionComps, ExceptionDefinition, ExceptionFields, ExceptionValue, ExceptionValues, OverrideMode, RuleExceptions,
};
use crate::alert::Alert;
use crate::rules::RulesCatalog;

/// A three-valued result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided from what the alert carries.
    Unknown,
}

impl Truth {
    fn from_bool(value: bool) -> Truth {
        if value { Truth::True } else { Truth::False }
    }
}

/// The right-hand side of one comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// One value (`=`, `startswith`, ...).
    One(String),
    /// A set, list names expanded (`in`, `pmatch`, `intersects`, modifiers).
    Set(Vec<String>),
    /// No value (`exists`).
    Nothing,
}

/// `field comparator operand`, one item of an exception tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldComparison {
    /// The Falco field, e.g. `fd.name`.
    pub field: String,
    /// The operator.
    pub comparator: Comparator,
    /// The value(s).
    pub operand: Operand,
}

impl FieldComparison {
    /// Evaluates the comparison on an alert: unknown when the alert lacks the field, false
    /// when Falco could not extract it (as Falco compares it).
    pub fn evaluate(&self, alert: &Alert) -> Truth {
        let compare = |value: &str| match &self.operand {
            Operand::One(operand) => self.comparator.compare_one(value, operand),
            Operand::Set(operands) => self.comparator.compare_set(value, operands),
            Operand::Nothing => self.comparator.compare_set(value, &[]),
        };
        match lookup(alert, &self.field) {
            FieldLookup::Value(value) => Truth::from_bool(compare(&value)),
            FieldLookup::NotExtracted => Truth::False,
            FieldLookup::Missing => Truth::Unknown,
            FieldLookup::SomeAncestors(values) => {
                if values.iter().any(|value| compare(value)) {
                    Truth::True
                } else {
                    Truth::Unknown
                }
            }
        }
    }

    /// The right-hand values (empty for `exists`).
    pub fn operand_values(&self) -> Vec<&str> {
        match &self.operand {
            Operand::One(value) => vec![value.as_str()],
            Operand::Set(values) => values.iter().map(String::as_str).collect(),
            Operand::Nothing => Vec::new(),
        }
    }
}

/// One exception, ready to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledException {
    /// Its name.
    pub name: String,
    /// Its fields (from the loaded rules when values are appended to an existing exception).
    pub fields: Vec<String>,
    /// One comparator per field.
    pub comparators: Vec<Comparator>,
    /// One entry per value tuple (single-field form: one comparison against all values).
    pub tuples: Vec<Vec<FieldComparison>>,
    /// True when the values are appended to an exception the loaded rule already has.
    pub appends_to_existing: bool,
}

/// Something in a snippet Falco would refuse or Saker cannot evaluate; the exception it names
/// is left out of the evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionProblem {
    /// The exception's name.
    pub exception: String,
    /// What is wrong and what is allowed.
    pub problem: String,
}

/// The exceptions of one snippet, ready to evaluate against alerts of its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledExceptions {
    /// The rule.
    pub rule: String,
    /// The exceptions that could be compiled.
    pub exceptions: Vec<CompiledException>,
    /// The exceptions that could not, and why.
    pub problems: Vec<ExceptionProblem>,
}

/// What the exceptions decide for one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvaluation {
    /// Suppressed, not suppressed, or unknown.
    pub truth: Truth,
    /// The first exception that suppresses it.
    pub matched_exception: Option<String>,
    /// When unknown: the fields the alert lacks that a deciding comparison needed.
    pub missing_fields: Vec<String>,
}

/// How deep list names may nest inside lists.
const LIST_DEPTH: usize = 16;

impl CompiledExceptions {
    /// Resolves a snippet against the loaded rules, as Falco would load it.
    pub fn compile(item: &RuleExceptions, catalog: &RulesCatalog) -> CompiledExceptions {
        let appending =
            item.append == Some(true) || item.override_keys.is_some_and(|keys| keys.exceptions == OverrideMode::Append);
        let rule = catalog.rule(&item.rule);
        let mut compiled = CompiledExceptions { rule: item.rule.clone(), exceptions: Vec::new(), problems: Vec::new() };
        for definition in &item.exceptions {
            let existing = rule
                .filter(|_| appending)
                .and_then(|rule| rule.exceptions.iter().find(|exception| exception.name == definition.name));
            let result = match existing {
                Some(existing) => compile_appended(definition, existing, catalog),
                None => compile_definition(definition, catalog),
            };
            match result {
                Ok(exception) => compiled.exceptions.push(exception),
                Err(problem) => {
                    compiled.problems.push(ExceptionProblem { exception: definition.name.clone(), problem })
                }
            }
        }
        compiled
    }

    /// Evaluates every exception on one alert: suppressed when any tuple of any exception
    /// holds; unknown when none holds and at least one could not be decided.
    pub fn evaluate(&self, alert: &Alert) -> AlertEvaluation {
        let mut missing_fields: Vec<String> = Vec::new();
        let mut unknown = false;
        for exception in &self.exceptions {
            match evaluate_exception(exception, alert, &mut missing_fields) {
                Truth::True => {
                    return AlertEvaluation {
                        truth: Truth::True,
                        matched_exception: Some(exception.name.clone()),
                        missing_fields: Vec::new(),
                    };
                }
                Truth::Unknown => unknown = true,
                Truth::False => {}
            }
        }
        if unknown {
            AlertEvaluation { truth: Truth::Unknown, matched_exception: None, missing_fields }
        } else {
            AlertEvaluation { truth: Truth::False, matched_exception: None, missing_fields: Vec::new() }
        }
    }
}

/// One exception on one alert: true when a tuple holds, unknown when none holds and one is
/// undecided (its missing fields are added to `missing_fields`).
pub fn evaluate_exception(exception: &CompiledException, alert: &Alert, missing_fields: &mut Vec<String>) -> Truth {
    let mut result = Truth::False;
    for tuple in &exception.tuples {
        match evaluate_tuple(tuple, alert, missing_fields) {
            Truth::True => return Truth::True,
            Truth::Unknown => result = Truth::Unknown,
            Truth::False => {}
        }
    }
    result
}

/// One tuple on one alert: false as soon as a comparison fails, true when all hold, else
/// unknown (the missing fields are added to `missing_fields`).
pub fn evaluate_tuple(tuple: &[FieldComparison], alert: &Alert, missing_fields: &mut Vec<String>) -> Truth {
    let mut undecided: Vec<&str> = Vec::new();
    for comparison in tuple {
        match comparison.evaluate(alert) {
            Truth::False => return Truth::False,
            Truth::Unknown => undecided.push(&comparison.field),
            Truth::True => {}
        }
    }
    if undecided.is_empty() {
        return Truth::True;
    }
    for field in undecided {
        if !missing_fields.iter().any(|known| known == field) {
            missing_fields.push(field.to_string());
        }
    }
    Truth::Unknown
}

fn compile_appended(
    definition: &ExceptionDefinition,
    existing: &crate::rules::RuleException,
    catalog: &RulesCatalog,
) -> Result<CompiledException, String> {
    if definition.fields.is_some() {
        return Err(format!(
            "exception {:?} already exists in the rule: appending may give values only, not fields",
            definition.name
        ));
    }
    if definition.comps.is_some() {
        return Err(format!(
            "exception {:?} already exists in the rule: appending may give values only, not comps",
            definition.name
        ));
    }
    let comparators = parse_comparators(&existing.comps)?;
    let mut exception = CompiledException {
        name: definition.name.clone(),
        fields: existing.fields.clone(),
        comparators,
        tuples: Vec::new(),
        appends_to_existing: true,
    };
    exception.tuples = if existing.single_field {
        single_field_tuples(&exception, &definition.values, catalog)?
    } else {
        list_form_tuples(&exception, &definition.values, catalog)?
    };
    Ok(exception)
}

fn compile_definition(definition: &ExceptionDefinition, catalog: &RulesCatalog) -> Result<CompiledException, String> {
    let name = &definition.name;
    match &definition.fields {
        None => Err(format!(
            "exception {name:?} has no fields (only appending values to an exception the loaded rule already has may \
             omit them)"
        )),
        Some(ExceptionFields::Single(field)) => {
            let comp = match &definition.comps {
                None => "in".to_string(),
                Some(ExceptionComps::Single(comp)) => comp.clone(),
                Some(ExceptionComps::List(_)) => {
                    return Err(format!(
                        "exception {name:?}: fields is one field, so comps must be one operator too, not a list"
                    ));
                }
            };
            let exception = CompiledException {
                name: name.clone(),
                fields: vec![field.clone()],
                comparators: parse_comparators(std::slice::from_ref(&comp))?,
                tuples: Vec::new(),
                appends_to_existing: false,
            };
            let tuples = single_field_tuples(&exception, &definition.values, catalog)?;
            Ok(CompiledException { tuples, ..exception })
        }
        Some(ExceptionFields::List(fields)) => {
            if fields.is_empty() {
                return Err(format!("exception {name:?}: fields is an empty list"));
            }
            let comps = match &definition.comps {
                None => vec!["=".to_string(); fields.len()],
                Some(ExceptionComps::List(comps)) => comps.clone(),
                Some(ExceptionComps::Single(_)) => {
                    return Err(format!("exception {name:?}: fields is a list, so comps must be a list too"));
                }
            };
            if comps.len() != fields.len() {
                return Err(format!(
                    "exception {name:?}: {} fields but {} comps (they must have equal length)",
                    fields.len(),
                    comps.len()
                ));
            }
            let exception = CompiledException {
                name: name.clone(),
                fields: fields.clone(),
                comparators: parse_comparators(&comps)?,
                tuples: Vec::new(),
                appends_to_existing: false,
            };
            let tuples = list_form_tuples(&exception, &definition.values, catalog)?;
            Ok(CompiledException { tuples, ..exception })
        }
    }
}

fn parse_comparators(comps: &[String]) -> Result<Vec<Comparator>, String> {
    comps
        .iter()
        .map(|comp| {
            let comparator = Comparator::parse(comp).map_err(|error| error.to_string())?;
            if comparator == Comparator::Regex || matches!(comparator, Comparator::Modified(StringOperator::Regex, _)) {
                return Err(format!("comp {comp:?}: regex comparisons are not evaluated by Saker (no RE2 engine)"));
            }
            Ok(comparator)
        })
        .collect()
}

/// The single-field form: one comparison of the field against every value, as Falco renders
/// `field comp (v1, v2, ...)`.
fn single_field_tuples(
    exception: &CompiledException,
    values: &[ExceptionValues],
    catalog: &RulesCatalog,
) -> Result<Vec<Vec<FieldComparison>>, String> {
    let (Some(&comparator), Some(field)) = (exception.comparators.first(), exception.fields.first()) else {
        return Err(format!("exception {:?}: no field or comp to compare", exception.name));
    };
    if !comparator.takes_list() {
        return Err(format!(
            "exception {:?}: with one field, comps must be in, pmatch, intersects or a modifier operator, not {comparator}",
            exception.name
        ));
    }
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut set = Vec::new();
    for (index, entry) in values.iter().enumerate() {
        match entry {
            ExceptionValues::Scalar(scalar) => expand_into(catalog, scalar.as_str(), &mut set, 0),
            ExceptionValues::Tuple(_) => {
                return Err(format!(
                    "exception {:?}: values entry {} is a list; with one field every value is a scalar",
                    exception.name,
                    index + 1
                ));
            }
        }
    }
    Ok(vec![vec![FieldComparison { field: field.clone(), comparator, operand: Operand::Set(set) }]])
}

fn list_form_tuples(
    exception: &CompiledException,
    values: &[ExceptionValues],
    catalog: &RulesCatalog,
) -> Result<Vec<Vec<FieldComparison>>, String> {
    let name = &exception.name;
    values
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let ExceptionValues::Tuple(items) = entry else {
                return Err(format!(
                    "exception {name:?}: values entry {} is a scalar; with a list of fields each entry is a list of {} \
                     values",
                    index + 1,
                    exception.fields.len()
                ));
            };
            if items.len() != exception.fields.len() {
                return Err(format!(
                    "exception {name:?}: values entry {} has {} items for {} fields (they must have equal length)",
                    index + 1,
                    items.len(),
                    exception.fields.len()
                ));
            }
            exception
                .fields
                .iter()
                .zip(&exception.comparators)
                .zip(items)
                .map(|((field, &comparator), item)| {
                    let operand = operand_for(comparator, item, catalog).map_err(|problem| {
                        format!("exception {name:?}: values entry {}, field {field}: {problem}", index + 1)
                    })?;
                    Ok(FieldComparison { field: field.clone(), comparator, operand })
                })
                .collect()
        })
        .collect()
}

fn operand_for(comparator: Comparator, item: &ExceptionValue, catalog: &RulesCatalog) -> Result<Operand, String> {
    if comparator == Comparator::Exists {
        return Ok(Operand::Nothing);
    }
    if comparator.takes_list() {
        let mut set = Vec::new();
        match item {
            ExceptionValue::Scalar(scalar) => expand_into(catalog, scalar.as_str(), &mut set, 0),
            ExceptionValue::List(items) => {
                for scalar in items {
                    expand_into(catalog, scalar.as_str(), &mut set, 0);
                }
            }
        }
        return Ok(Operand::Set(set));
    }
    match item {
        ExceptionValue::Scalar(scalar) => {
            let value = unquote(scalar.as_str()).to_string();
            if matches!(comparator, Comparator::BContains | Comparator::BStartsWith) && hex_bytes(&value).is_none() {
                return Err(format!("{comparator} takes bytes written in hex (like CAFEBABE), not {value:?}"));
            }
            Ok(Operand::One(value))
        }
        ExceptionValue::List(_) => {
            Err(format!("{comparator} compares with one value, not a list (lists go with in, pmatch, intersects)"))
        }
    }
}

/// Adds `value` to `set`, or the items of the list it names (recursively), as Falco expands
/// list names inside parentheses.
fn expand_into(catalog: &RulesCatalog, value: &str, set: &mut Vec<String>, depth: usize) {
    let text = unquote(value);
    match catalog.list(text) {
        Some(list) if depth < LIST_DEPTH => {
            for item in &list.items {
                expand_into(catalog, item, set, depth + 1);
            }
        }
        _ => set.push(text.to_string()),
    }
}

/// A value without one pair of surrounding double quotes (Falco writes values with spaces as
/// `"a b"` inside conditions, so a value already quoted compares without its quotes).
fn unquote(value: &str) -> &str {
    value.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).filter(|_| value.len() >= 2).unwrap_or(value)
}

#[cfg(test)]
#[path = "evaluate_tests.rs"]
mod tests;
