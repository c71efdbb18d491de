//! Whether an operator applies to a field's type and whether a value fits the field: numbers for
//! integer fields, `true`/`false` for booleans, addresses and networks for IP fields, hex for
//! the byte operators. The operator-per-type table follows falcosecurity/libs
//! (`filter_compare.cpp`, `flt_is_comparable`), which Falco uses when it compiles a condition.

use std::net::IpAddr;

use crate::exceptions::fields::{ArgumentForm, FieldType, ResolvedField};
use crate::exceptions::operators::CompOperator;
use crate::rules::RulesCatalog;

const NUMERIC_OPERATORS: [&str; 9] = ["=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects"];
const BOOLEAN_OPERATORS: [&str; 5] = ["=", "==", "!=", "in", "intersects"];
const ADDRESS_OPERATORS: [&str; 5] = ["=", "==", "!=", "in", "intersects"];
const LIST_OPERATORS: [&str; 2] = ["in", "intersects"];
const BUFFER_OPERATORS: [&str; 10] =
    ["=", "==", "!=", "contains", "in", "startswith", "endswith", "intersects", "bcontains", "bstartswith"];
const BYTE_OPERATORS: [&str; 2] = ["bcontains", "bstartswith"];

/// A problem with what is wrong and what is allowed.
pub(crate) type Finding = (String, String);

/// Whether `comp` can compare the field; the error says which operators can.
pub(crate) fn operator_applies(
    field: &ResolvedField<'_>,
    written_field: &str,
    comp: &CompOperator,
) -> Result<(), Finding> {
    let spec = field.spec;
    let operator = comp.name();
    let list_field =
        spec.field_type == FieldType::TextList && (field.argument.is_none() || spec.argument == ArgumentForm::Optional);
    let allowed: Option<&[&str]> = match spec.field_type {
        _ if list_field => Some(&LIST_OPERATORS),
        field_type if field_type.is_numeric() => Some(&NUMERIC_OPERATORS),
        FieldType::Boolean => Some(&BOOLEAN_OPERATORS),
        FieldType::IpAddress | FieldType::IpNetwork => Some(&ADDRESS_OPERATORS),
        FieldType::Bytes => Some(&BUFFER_OPERATORS),
        FieldType::Text | FieldType::TextList if BYTE_OPERATORS.contains(&operator) => {
            return Err((
                format!(
                    "operator '{operator}' compares raw bytes and does not apply to {written_field} (type {})",
                    spec.type_name
                ),
                "bcontains and bstartswith apply to byte-buffer fields such as evt.buffer; for text use contains or startswith"
                    .to_string(),
            ));
        }
        _ => None,
    };
    match allowed {
        Some(allowed) if !allowed.contains(&operator) => Err((
            format!("operator '{}' does not apply to {written_field} (type {})", comp.display(), spec.type_name),
            allowed.join(", "),
        )),
        _ => Ok(()),
    }
}

/// Whether one scalar value fits the field (a list name is accepted for list operators).
pub(crate) fn value_fits(
    field: &ResolvedField<'_>,
    written_field: &str,
    comp: &CompOperator,
    value: &str,
    catalog: &RulesCatalog,
) -> Result<(), Finding> {
    if comp.takes_list() && catalog.list(value).is_some() {
        return Ok(());
    }
    let spec = field.spec;
    let operator = comp.name();
    if BYTE_OPERATORS.contains(&operator) {
        let hex = value.len().is_multiple_of(2)
            && !value.is_empty()
            && value.chars().all(|character| character.is_ascii_hexdigit());
        return if hex {
            Ok(())
        } else {
            Err((
                format!("'{value}' is not a hex byte string, which {operator} compares"),
                "an even number of hex digits, e.g. CAFEBABE".to_string(),
            ))
        };
    }
    let type_name = &spec.type_name;
    let fits = match spec.field_type {
        FieldType::SignedInteger => value.parse::<i64>().is_ok(),
        FieldType::UnsignedInteger | FieldType::Nanoseconds => value.parse::<u64>().is_ok(),
        FieldType::Port => value.parse::<u16>().is_ok(),
        FieldType::Decimal => value.parse::<f64>().is_ok_and(f64::is_finite),
        FieldType::Boolean => value == "true" || value == "false",
        FieldType::IpAddress => value.parse::<IpAddr>().is_ok(),
        FieldType::IpNetwork => value.parse::<IpAddr>().is_ok() || is_network(value),
        FieldType::Text | FieldType::TextList | FieldType::Bytes | FieldType::Dynamic => true,
    };
    if fits {
        return Ok(());
    }
    let (what, allowed) = match spec.field_type {
        FieldType::SignedInteger => ("a whole number", "a whole number, e.g. 0 or -1"),
        FieldType::UnsignedInteger => ("a whole number of at least 0", "a whole number, e.g. 0 or 1000"),
        FieldType::Nanoseconds => ("a time in nanoseconds", "a whole number of nanoseconds"),
        FieldType::Port => ("a port number", "a whole number from 0 to 65535"),
        FieldType::Decimal => ("a number", "a number, e.g. 0.5"),
        FieldType::Boolean => ("a boolean", "true or false"),
        FieldType::IpAddress => {
            ("an IP address", "an IPv4 or IPv6 address, e.g. 10.0.0.1; for networks use an IPNET field such as fd.net")
        }
        FieldType::IpNetwork => ("an IP network", "a network in CIDR form, e.g. 10.0.0.0/8, or an address"),
        _ => ("a value", ""),
    };
    let list_hint = if comp.takes_list() { " or the name of a loaded list" } else { "" };
    Err((
        format!("'{value}' does not fit {written_field} (type {type_name}): it is not {what}"),
        format!("{allowed}{list_hint}"),
    ))
}

fn is_network(value: &str) -> bool {
    let Some((address, prefix)) = value.split_once('/') else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => prefix <= 32,
        Ok(IpAddr::V6(_)) => prefix <= 128,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exceptions::FieldCatalog;
    use crate::exceptions::operators::check_comp;
    use crate::exceptions::validate::FalcoVersion;

    fn check(field: &str, comp: &str, value: &str) -> Result<(), Finding> {
        let catalog = RulesCatalog::from_yaml(std::path::Path::new("t.yaml"), "- list: shells\n  items: [bash]\n")
            .expect("catalog");
        let resolved = FieldCatalog::embedded().resolve("syscall", field).expect("field");
        let comp = check_comp(comp, FalcoVersion::default()).expect("comp");
        operator_applies(&resolved, field, &comp)?;
        value_fits(&resolved, field, &comp, value, &catalog)
    }

    #[test]
    fn values_must_fit_the_field_type() {
        assert!(check("proc.pid", "=", "1234").is_ok());
        assert!(check("proc.pid", "=", "-1").is_ok());
        let (message, allowed) = check("proc.pid", "=", "bash").expect_err("text for a number");
        assert!(message.contains("'bash' does not fit proc.pid (type INT64): it is not a whole number"), "{message}");
        assert!(allowed.contains("whole number"), "{allowed}");
        assert!(check("user.uid", "=", "-1").is_err());
        assert!(check("fd.sport", "=", "70000").is_err());
        assert!(check("fd.sport", "=", "443").is_ok());
        assert!(check("container.privileged", "=", "true").is_ok());
        assert!(check("container.privileged", "=", "yes").is_err());
        assert!(check("fd.sip", "=", "10.0.0.1").is_ok());
        assert!(check("fd.sip", "=", "::1").is_ok());
        assert!(check("fd.sip", "=", "10.0.0.0/8").is_err());
        assert!(check("fd.net", "=", "10.0.0.0/8").is_ok());
        assert!(check("fd.net", "=", "10.0.0.0/33").is_err());
        assert!(check("proc.name", "=", "anything goes").is_ok());
    }

    #[test]
    fn operators_must_apply_to_the_field_type() {
        let (message, allowed) = check("proc.pid", "startswith", "1").expect_err("string op on a number");
        assert!(message.contains("operator 'startswith' does not apply to proc.pid"), "{message}");
        assert!(allowed.contains("<="), "{allowed}");
        assert!(check("proc.pid", "<", "100").is_ok());
        assert!(check("container.privileged", "<", "true").is_err());
        assert!(check("fd.sip", "contains", "10.").is_err());
        assert!(check("proc.name", "bcontains", "CAFE").is_err());
        assert!(check("evt.buffer", "bcontains", "CAFEBABE").is_ok());
        assert!(check("evt.buffer", "bcontains", "XYZ").is_err());
        assert!(check("fd.types", "=", "file").is_err());
        assert!(check("fd.types", "intersects", "file").is_ok());
        assert!(check("proc.name", "startswith oneof", "shells").is_ok());
    }

    #[test]
    fn list_names_stand_for_their_items_with_list_operators() {
        assert!(check("proc.pid", "in", "shells").is_ok());
        assert!(check("proc.pid", "=", "shells").is_err());
    }
}
