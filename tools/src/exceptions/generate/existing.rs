//! Appending to an exception the rule already defines with the same fields: the values are
//! written for that exception's field order and comparators (Falco lets an append give values
//! only), split into several tuples where its comparator takes one value and Saker's choice
//! has several.

use crate::exceptions::evaluate::{Comparator, FieldComparison, Modifier, Operand, StringOperator};
use crate::exceptions::model::{ExceptionScalar, ExceptionValue, ExceptionValues};
use crate::rules::RuleException;

/// Most value tuples one append may add.
const MAX_TUPLES: usize = 16;

/// The values to append to `existing` so that its comparators cover what `chosen` (one
/// comparison per field, any order) covers; `None` when a comparator cannot express it.
pub fn values_for_existing(existing: &RuleException, chosen: &[FieldComparison]) -> Option<Vec<ExceptionValues>> {
    let mut per_field: Vec<Vec<ExceptionValue>> = Vec::new();
    for (field, comp) in existing.fields.iter().zip(&existing.comps) {
        let ours = chosen.iter().find(|comparison| &comparison.field == field)?;
        let theirs = Comparator::parse(comp).ok()?;
        per_field.push(items_for(theirs, ours)?);
    }
    if existing.single_field {
        let [items] = per_field.as_slice() else {
            return None;
        };
        let mut scalars = Vec::new();
        for item in items {
            match item {
                ExceptionValue::Scalar(value) => scalars.push(ExceptionValues::Scalar(value.clone())),
                ExceptionValue::List(values) => {
                    scalars.extend(values.iter().cloned().map(ExceptionValues::Scalar));
                }
            }
        }
        return Some(scalars);
    }
    let mut tuples: Vec<Vec<ExceptionValue>> = vec![Vec::new()];
    for items in per_field {
        let mut next = Vec::new();
        for tuple in &tuples {
            for item in &items {
                let mut extended = tuple.clone();
                extended.push(item.clone());
                next.push(extended);
            }
        }
        if next.len() > MAX_TUPLES {
            return None;
        }
        tuples = next;
    }
    Some(tuples.into_iter().map(ExceptionValues::Tuple).collect())
}

/// The tuple items (alternatives) that make `theirs` cover what `ours` covers.
fn items_for(theirs: Comparator, ours: &FieldComparison) -> Option<Vec<ExceptionValue>> {
    let values: Vec<ExceptionScalar> = ours.operand_values().into_iter().map(ExceptionScalar::from).collect();
    let one_each = || values.iter().cloned().map(ExceptionValue::Scalar).collect::<Vec<_>>();
    let as_list = || vec![ExceptionValue::List(values.clone())];
    let exact = matches!(ours.comparator, Comparator::Equal | Comparator::In);
    let no_glob = || values.iter().all(|value| !value.as_str().contains(['*', '?', '[', '\\']));
    match theirs {
        Comparator::Equal => exact.then(one_each),
        Comparator::In | Comparator::Intersects => exact.then(as_list),
        Comparator::PathMatch => ((exact || ours.comparator == Comparator::PathMatch) && no_glob()).then(as_list),
        Comparator::StartsWith => (exact || ours.comparator == Comparator::StartsWith).then(one_each),
        Comparator::EndsWith => (exact || ours.comparator == Comparator::EndsWith).then(one_each),
        Comparator::Contains => exact.then(one_each),
        Comparator::Glob => (exact && no_glob()).then(one_each),
        Comparator::Modified(StringOperator::Equal, Modifier::OneOf | Modifier::AnyOf) => exact.then(as_list),
        Comparator::Modified(StringOperator::StartsWith, Modifier::OneOf | Modifier::AnyOf) => {
            (exact || ours.comparator == Comparator::StartsWith).then(as_list)
        }
        Comparator::Modified(StringOperator::EndsWith, Modifier::OneOf | Modifier::AnyOf) => {
            (exact || ours.comparator == Comparator::EndsWith).then(as_list)
        }
        _ => None,
    }
    .filter(|_| matches!(ours.operand, Operand::One(_) | Operand::Set(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing(fields: &[&str], comps: &[&str], single_field: bool) -> RuleException {
        RuleException {
            name: "known".into(),
            fields: fields.iter().map(|field| field.to_string()).collect(),
            comps: comps.iter().map(|comp| comp.to_string()).collect(),
            values: Vec::new(),
            single_field,
        }
    }

    fn ours(field: &str, comparator: Comparator, operand: Operand) -> FieldComparison {
        FieldComparison { field: field.into(), comparator, operand }
    }

    fn scalar(value: &str) -> ExceptionValue {
        ExceptionValue::Scalar(value.into())
    }

    #[test]
    fn follows_the_existing_field_order_and_comparators() {
        let chosen = [
            ours("fd.name", Comparator::Equal, Operand::One("/var/log/dpkg.log".into())),
            ours("proc.name", Comparator::In, Operand::Set(vec!["rm".into(), "shred".into()])),
        ];
        let values = values_for_existing(&existing(&["proc.name", "fd.name"], &["in", "pmatch"], false), &chosen);
        assert_eq!(
            values,
            Some(vec![ExceptionValues::Tuple(vec![
                ExceptionValue::List(vec!["rm".into(), "shred".into()]),
                ExceptionValue::List(vec!["/var/log/dpkg.log".into()]),
            ])])
        );
        // `=` takes one value: one tuple per alternative.
        let values = values_for_existing(&existing(&["proc.name", "fd.name"], &["=", "="], false), &chosen);
        assert_eq!(
            values,
            Some(vec![
                ExceptionValues::Tuple(vec![scalar("rm"), scalar("/var/log/dpkg.log")]),
                ExceptionValues::Tuple(vec![scalar("shred"), scalar("/var/log/dpkg.log")]),
            ])
        );
    }

    #[test]
    fn single_field_exceptions_take_scalars() {
        let chosen = [ours("proc.name", Comparator::In, Operand::Set(vec!["rm".into(), "shred".into()]))];
        let values = values_for_existing(&existing(&["proc.name"], &["in"], true), &chosen);
        assert_eq!(values, Some(vec![ExceptionValues::Scalar("rm".into()), ExceptionValues::Scalar("shred".into())]));
    }

    #[test]
    fn comparators_that_cannot_express_the_choice_refuse() {
        let prefix = [ours("fd.name", Comparator::PathMatch, Operand::Set(vec!["/var/log".into()]))];
        assert_eq!(values_for_existing(&existing(&["fd.name"], &["="], false), &prefix), None);
        assert_eq!(values_for_existing(&existing(&["fd.name"], &["startswith"], false), &prefix), None);
        let equal = [ours("user.uid", Comparator::Equal, Operand::One("0".into()))];
        assert_eq!(values_for_existing(&existing(&["user.uid"], &["<"], false), &equal), None);
        assert_eq!(values_for_existing(&existing(&["proc.name"], &["="], false), &equal), None);
    }
}
