//! Puts scope values into the form alerts store them, so that comparisons are exact.
//!
//! | field             | `=`, `!=`, `in`                                   | `contains`, `startswith` |
//! |-------------------|---------------------------------------------------|--------------------------|
//! | `priority`        | any Falco spelling → `warning`, `informational`…  | lowercased               |
//! | `mitre.tactic`    | `TA0002`, `execution`, `Privilege Escalation`, `mitre_execution` → `TA0002` | uppercased |
//! | `mitre.technique` | uppercased (`t1059` → `T1059`)                    | uppercased               |
//! | anything else     | as written                                        | as written               |

use std::str::FromStr;

use super::error::{ScopeError, ScopeProblem};
use super::{Dimension, FieldRef, Operator};
use crate::alert::Priority;
use crate::mitre;

/// The canonical form of `value` compared with `field` by `operator`, or why it is invalid.
/// `column` is where the value starts, for the error.
pub(super) fn normalise_value(
    field: &FieldRef,
    operator: Operator,
    value: String,
    column: usize,
) -> Result<String, ScopeError> {
    let exact = matches!(operator, Operator::Equal | Operator::NotEqual | Operator::In);
    let normalised = match field {
        FieldRef::Dimension(Dimension::Priority) if exact => Priority::from_str(&value)
            .map(|priority| priority.as_str().to_string())
            .map_err(|error| ScopeError { column, problem: ScopeProblem::UnknownPriority(error) })?,
        FieldRef::Dimension(Dimension::Priority) => value.to_lowercase(),
        FieldRef::Dimension(Dimension::MitreTactic) if exact => tactic_id(&value)
            .ok_or_else(|| ScopeError { column, problem: ScopeProblem::UnknownTactic { value: value.clone() } })?,
        FieldRef::Dimension(Dimension::MitreTactic | Dimension::MitreTechnique) => value.to_uppercase(),
        _ => value,
    };
    Ok(normalised)
}

/// The tactic ID for an ID, shortname, name or `mitre_` tag; tactic-shaped IDs this table
/// does not know are kept (uppercased), as tags keep them.
fn tactic_id(value: &str) -> Option<String> {
    let trimmed = value.trim();
    let without_tag_prefix = trimmed.strip_prefix("mitre_").unwrap_or(trimmed);
    if let Some(tactic) = mitre::tactic(without_tag_prefix) {
        return Some(tactic.id.clone());
    }
    mitre::is_tactic_id(trimmed).then(|| trimmed.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(field: Dimension, operator: Operator, value: &str, expected: &str) {
        let result = normalise_value(&FieldRef::Dimension(field), operator, value.to_string(), 7)
            .unwrap_or_else(|error| error.to_string());
        assert_eq!(result, expected, "{field:?} {operator:?} {value}");
    }

    #[test]
    fn priorities_become_canonical_names() {
        check(Dimension::Priority, Operator::Equal, "WARN", "warning");
        check(Dimension::Priority, Operator::In, "Info", "informational");
        check(Dimension::Priority, Operator::StartsWith, "WARN", "warn");
        check(
            Dimension::Priority,
            Operator::NotEqual,
            "severe",
            "scope: column 7: unknown priority \"severe\" (allowed: emergency, alert, critical, error, warning, \
             notice, informational or info, debug)",
        );
    }

    #[test]
    fn tactics_become_ids() {
        check(Dimension::MitreTactic, Operator::Equal, "TA0002", "TA0002");
        check(Dimension::MitreTactic, Operator::Equal, "ta0004", "TA0004");
        check(Dimension::MitreTactic, Operator::Equal, "execution", "TA0002");
        check(Dimension::MitreTactic, Operator::In, "privilege_escalation", "TA0004");
        check(Dimension::MitreTactic, Operator::In, "Privilege Escalation", "TA0004");
        check(Dimension::MitreTactic, Operator::In, "mitre_defense_evasion", "TA0005");
        check(Dimension::MitreTactic, Operator::Equal, "TA9999", "TA9999");
        check(Dimension::MitreTactic, Operator::Contains, "ta00", "TA00");
        let error = normalise_value(&FieldRef::Dimension(Dimension::MitreTactic), Operator::Equal, "flying".into(), 3);
        assert!(matches!(error, Err(ScopeError { column: 3, problem: ScopeProblem::UnknownTactic { .. } })));
    }

    #[test]
    fn techniques_are_uppercased_and_others_kept() {
        check(Dimension::MitreTechnique, Operator::Equal, "t1059.004", "T1059.004");
        check(Dimension::Process, Operator::Equal, "Bash", "Bash");
        let output_field = normalise_value(&FieldRef::OutputField("priority2".into()), Operator::Equal, "X".into(), 1);
        assert_eq!(output_field, Ok("X".to_string()));
    }
}
