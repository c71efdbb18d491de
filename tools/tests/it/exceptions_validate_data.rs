//! The project's field and operator tables (`tools/data/falco/`) against the reference material
//! they were derived from, so the two cannot drift apart.

use std::collections::BTreeSet;

use saker_tools::exceptions::FieldCatalog;
use saker_tools::exceptions::fields::ArgumentForm;
use saker_tools::exceptions::operators::{Operand, operators};

use crate::support::shared_dir;

fn reference_rows(file: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(shared_dir().join("reference/falco").join(file)).expect("reference table");
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split('\t').map(str::to_string).collect())
        .collect()
}

/// The argument form the reference's `arg` column describes (`evt.around` leaves it empty; its
/// description gives the syntax `evt.around[T]`, a required argument).
fn argument_form(arg: &str) -> ArgumentForm {
    match arg {
        "None" => ArgumentForm::None,
        "Optional" => ArgumentForm::Optional,
        "Required" | "" => ArgumentForm::Required,
        "Index" => ArgumentForm::Index,
        "Key, Required" => ArgumentForm::Key,
        "Index, Key, Required" => ArgumentForm::IndexOrKey,
        other => panic!("unknown argument form {other:?} in the reference"),
    }
}

#[test]
fn the_field_catalog_holds_exactly_the_reference_fields() {
    let catalog = FieldCatalog::embedded();
    let expected: BTreeSet<(String, String, String, String)> = reference_rows("fields.tsv")
        .into_iter()
        .map(|columns| {
            let source = columns[4].split_whitespace().next().expect("source").to_string();
            let form = format!("{:?}", argument_form(&columns[2]));
            (columns[0].clone(), columns[1].clone(), form, source)
        })
        .collect();
    let actual: BTreeSet<(String, String, String, String)> = catalog
        .fields()
        .iter()
        .map(|field| {
            (field.name.clone(), field.type_name.clone(), format!("{:?}", field.argument), field.source.clone())
        })
        .collect();
    assert_eq!(catalog.fields().len(), expected.len(), "one row per reference field");
    assert_eq!(actual, expected);
}

#[test]
fn the_operator_table_holds_exactly_the_reference_operators() {
    let reference = reference_rows("operators.tsv");
    let modifiable: Vec<String> = reference
        .iter()
        .find(|columns| columns[0] == "<op> allof")
        .and_then(|columns| columns[6].split("combine only with ").nth(1))
        .and_then(|list| list.split(" (").next())
        .map(|list| list.split(", ").map(str::to_string).collect())
        .expect("the modifier evidence lists the operators it combines with");
    assert!(modifiable.len() >= 10, "{modifiable:?}");
    let table = operators();
    assert_eq!(table.len(), reference.len());
    for (spec, columns) in table.iter().zip(&reference) {
        assert_eq!(spec.operator, columns[0]);
        let kind = columns[1].as_str();
        let operand = match kind {
            _ if kind.starts_with("comparison") => Operand::Value,
            _ if kind.starts_with("set") => Operand::List,
            _ if kind.starts_with("unary") => Operand::None,
            _ if kind.starts_with("modifier") => Operand::Modifier,
            _ if kind.starts_with("logical") => Operand::Logical,
            _ => Operand::Transformer,
        };
        assert_eq!(spec.operand, operand, "{}", spec.operator);
        assert_eq!(spec.in_exception_comps, columns[4].starts_with("yes"), "{}", spec.operator);
        let introduced = columns[5].split_whitespace().next().expect("version");
        assert_eq!(spec.introduced.to_string(), introduced, "{}", spec.operator);
        assert_eq!(spec.takes_modifier, modifiable.contains(&spec.operator), "{}", spec.operator);
    }
}
