//! Evaluates a scope expression against one alert in memory.
//!
//! This is the reference semantics; the indexed store must select exactly the alerts for
//! which this returns true.
//!
//! - A dimension's values are [`Alert::dimension_values`]: `workload` is the workload name,
//!   `priority` the lowercase canonical name, `hostname` the alert's host (none when empty);
//!   `tags`, `mitre.tactic` and `mitre.technique` are multi-valued and a comparison holds when
//!   it holds for any one of the values.
//! - Any other field is the alert's `output_fields` entry with exactly that key, as text
//!   ([`field_value_text`]: numbers and booleans printed); null or absent means no value.
//!   Raw values are compared as written, so Falco's `<NA>` is a value like any other.
//! - `=` is exact and case-sensitive (priority and MITRE values were normalised when parsed);
//!   `in` holds when any value is equal; `contains` is a substring test; `startswith` a prefix
//!   test; `exists` holds when there is a non-empty value.
//! - `!=` is exactly `not (=)`: it holds when the field has no value.
//! - No value never satisfies `=`, `in`, `contains`, `startswith` or `exists`.

use std::borrow::Cow;

use super::{Comparison, FieldRef, Operator, ScopeExpr};
use crate::alert::{Alert, field_value_text};

/// True when `alert` satisfies `expression`.
pub(super) fn expression_matches(expression: &ScopeExpr, alert: &Alert) -> bool {
    match expression {
        ScopeExpr::And(left, right) => expression_matches(left, alert) && expression_matches(right, alert),
        ScopeExpr::Or(left, right) => expression_matches(left, alert) || expression_matches(right, alert),
        ScopeExpr::Not(inner) => !expression_matches(inner, alert),
        ScopeExpr::Compare(comparison) => comparison_matches(comparison, alert),
    }
}

/// True when `alert` satisfies one comparison.
fn comparison_matches(comparison: &Comparison, alert: &Alert) -> bool {
    let field_values = field_values(&comparison.field, alert);
    let any_value = |test: &dyn Fn(&str, &str) -> bool| {
        field_values.iter().any(|field_value| comparison.values.iter().any(|wanted| test(field_value, wanted)))
    };
    match comparison.operator {
        Operator::Equal | Operator::In => any_value(&|field_value, wanted| field_value == wanted),
        Operator::NotEqual => !any_value(&|field_value, wanted| field_value == wanted),
        Operator::Contains => any_value(&|field_value, wanted| field_value.contains(wanted)),
        Operator::StartsWith => any_value(&|field_value, wanted| field_value.starts_with(wanted)),
        Operator::Exists => field_values.iter().any(|field_value| !field_value.is_empty()),
    }
}

/// The values of a field in an alert: none, one, or several for multi-valued dimensions.
fn field_values<'alert>(field: &FieldRef, alert: &'alert Alert) -> Vec<Cow<'alert, str>> {
    match field {
        FieldRef::Dimension(dimension) => alert.dimension_values(*dimension).into_iter().map(Cow::Borrowed).collect(),
        FieldRef::OutputField(key) => {
            alert.output_fields.get(key).and_then(field_value_text).map(Cow::Owned).into_iter().collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::alert::{Alert, parse_alert};
    use crate::scope::Scope;

    fn sample_alert() -> Alert {
        let text = r#"{"time":"2024-05-01T10:00:00Z","rule":"Terminal shell in container","priority":"Warning",
            "source":"syscall","hostname":"node-1","tags":["container","mitre_execution","T1059","shell"],
            "output":"shell","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"checkout-api-7d9fbb6c5d-x2kq9",
            "proc.name":"bash","proc.cmdline":"bash -il","proc.pname":null,"proc.tty":34816,"fd.name":"","proc.exe":"",
            "container.id":"ee97d9c4186f","proc.aname[2]":"containerd-shim"}}"#;
        parse_alert(&text.replace('\n', " "), Some("prod")).expect("sample alert parses")
    }

    fn check(scope: &str, expected: bool) {
        let parsed = Scope::parse(scope).unwrap_or_else(|error| panic!("{scope}: {error}"));
        assert_eq!(parsed.matches(&sample_alert()), expected, "scope {scope}");
    }

    #[test]
    fn compares_dimensions() {
        check("kubernetes.cluster.name=prod", true);
        check("cluster=Prod", false);
        check("workload=checkout-api and namespace=shop", true);
        check("priority=WARN", true);
        check("priority in (error, critical)", false);
        check("hostname=node-1 and source=syscall", true);
        check("rule startswith Terminal and rule contains \"in container\"", true);
        check("id exists and user exists", false);
    }

    #[test]
    fn multi_valued_dimensions_match_any_value() {
        check("tags=shell", true);
        check("tags!=shell", false);
        check("tags in (k8s, container)", true);
        check("mitre.tactic=execution", true);
        check("mitre.tactic!=TA0004", true);
        check("mitre.technique=t1059", true);
        check("mitre.technique startswith t10", true);
    }

    #[test]
    fn compares_output_fields_as_text() {
        check("proc.tty=34816", true);
        check("proc.aname[2]=containerd-shim", true);
        check("proc.cmdline contains \"-il\"", true);
        check("ka.verb=get", false);
    }

    #[test]
    fn absent_null_and_empty_values() {
        // proc.pname is null, ka.verb absent, proc.exe empty, fd.name (a dimension) empty.
        for field in ["proc.pname", "ka.verb", "proc.exe", "fd.name"] {
            check(&format!("{field} exists"), false);
            check(&format!("{field}=runc"), false);
            check(&format!("{field} in (runc)"), false);
            check(&format!("{field} contains r"), false);
            check(&format!("{field} startswith r"), false);
            check(&format!("{field}!=runc"), true);
            check(&format!("not {field}=runc"), true);
        }
        check("proc.exe=\"\"", true);
        check("fd.name=\"\"", false);
        check("file startswith \"\"", false);
        check("proc.cmdline startswith \"\"", true);
    }

    #[test]
    fn combines_with_boolean_operators() {
        check("proc.name=bash and not proc.name=sh", true);
        check("proc.name=sh or namespace=shop and tags=shell", true);
        check("(proc.name=sh or namespace=shop) and tags=k8s", false);
        check("not (proc.name=sh or namespace=other)", true);
        check("", true);
    }
}
