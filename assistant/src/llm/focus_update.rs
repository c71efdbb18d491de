//! The entities in focus after an LLM turn, read from the tool calls the model made.
//!
//! The model names entities only through tool arguments, so the focus follows them: a call's
//! `scope` that is a plain conjunction of `field=value` comparisons (for example
//! `k8s.ns.name=risk-10 and proc.name=curl`) sets the cluster, namespace, workload, pod,
//! container, rule and process it names; an `or`, `not`, `contains` or multi-valued `in`
//! names no single entity and leaves the focus alone. Naming a different cluster, namespace,
//! workload or pod forgets the narrower objects the same scope does not name (a pod of the
//! old namespace is not in the new one). `rule` and `alert_id` arguments set the rule and the
//! alert; `since`/`until`/`last` the time range; the topic is the last tool called.
//!
//! Only calls that succeeded and matched at least one alert count, so every value in the focus
//! was found in the store, as [`Focus`] promises; the analyst's own scope is not part of the
//! model's arguments and never lands in the focus.

use saker_tools::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use serde_json::Value;

use crate::conversation::{Focus, TimeFocus};

/// The Kubernetes objects from the widest to the narrowest.
const HIERARCHY: [Dimension; 5] =
    [Dimension::Cluster, Dimension::Namespace, Dimension::Workload, Dimension::Pod, Dimension::ContainerId];

/// Updates `focus` with one tool call the model made, and its output.
pub fn apply_call(focus: &mut Focus, tool: &str, arguments: &Value, output: &Value) {
    focus.topic = Some(tool.to_string());
    let matched_nothing = output.pointer("/evidence/count").and_then(Value::as_u64) == Some(0);
    if matched_nothing {
        return;
    }
    if let Some(terms) = arguments.get("scope").and_then(Value::as_str).and_then(conjunction_terms) {
        apply_terms(focus, &terms);
    }
    if let Some(rule) = non_empty_string(arguments, "rule") {
        focus.rule = Some(rule);
    }
    if let Some(alert_id) = non_empty_string(arguments, "alert_id") {
        focus.alert_id = Some(alert_id);
    }
    let time = TimeFocus {
        since: non_empty_string(arguments, "since"),
        until: non_empty_string(arguments, "until"),
        last: non_empty_string(arguments, "last"),
    };
    if time != TimeFocus::default() {
        focus.time = Some(time);
    }
}

/// The `(dimension, value)` terms of a scope that is a conjunction of single-valued equality
/// comparisons; `None` for anything else (or a scope that does not parse, or names one
/// dimension twice with different values).
fn conjunction_terms(text: &str) -> Option<Vec<(Dimension, String)>> {
    let scope = Scope::parse(text).ok()?;
    let mut terms = Vec::new();
    collect_terms(scope.expr()?, &mut terms)?;
    for (index, (dimension, value)) in terms.iter().enumerate() {
        if terms[..index].iter().any(|(other, other_value)| other == dimension && other_value != value) {
            return None;
        }
    }
    Some(terms)
}

fn collect_terms(expr: &ScopeExpr, terms: &mut Vec<(Dimension, String)>) -> Option<()> {
    match expr {
        ScopeExpr::And(left, right) => {
            collect_terms(left, terms)?;
            collect_terms(right, terms)
        }
        ScopeExpr::Compare(comparison) => {
            let single_value =
                matches!(comparison.operator, Operator::Equal | Operator::In) && comparison.values.len() == 1;
            if !single_value {
                return None;
            }
            if let FieldRef::Dimension(dimension) = &comparison.field {
                terms.push((*dimension, comparison.values[0].clone()));
            }
            Some(())
        }
        ScopeExpr::Or(..) | ScopeExpr::Not(..) => None,
    }
}

fn apply_terms(focus: &mut Focus, terms: &[(Dimension, String)]) {
    let named = |dimension: Dimension| terms.iter().any(|(other, _)| *other == dimension);
    for (dimension, value) in terms {
        let Some(level) = HIERARCHY.iter().position(|level| level == dimension) else { continue };
        let changed = slot(focus, *dimension).is_some_and(|current| current.as_deref().is_some_and(|old| old != value));
        if changed {
            for narrower in &HIERARCHY[level + 1..] {
                if !named(*narrower)
                    && let Some(narrower_slot) = slot(focus, *narrower)
                {
                    *narrower_slot = None;
                }
            }
        }
    }
    for (dimension, value) in terms {
        if let Some(entity) = slot(focus, *dimension) {
            *entity = Some(value.clone());
        }
    }
}

/// The focus field of a dimension; `None` for dimensions the focus does not keep.
fn slot(focus: &mut Focus, dimension: Dimension) -> Option<&mut Option<String>> {
    match dimension {
        Dimension::Cluster => Some(&mut focus.cluster),
        Dimension::Namespace => Some(&mut focus.namespace),
        Dimension::Workload => Some(&mut focus.workload),
        Dimension::Pod => Some(&mut focus.pod),
        Dimension::ContainerId => Some(&mut focus.container),
        Dimension::Rule => Some(&mut focus.rule),
        Dimension::Process => Some(&mut focus.process),
        _ => None,
    }
}

fn non_empty_string(arguments: &Value, key: &str) -> Option<String> {
    arguments.get(key).and_then(Value::as_str).map(str::trim).filter(|text| !text.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn found(count: u64) -> Value {
        json!({"evidence": {"count": count}})
    }

    #[test]
    fn a_conjunction_sets_the_entities_it_names() {
        let mut focus = Focus::default();
        apply_call(
            &mut focus,
            "event_stats",
            &json!({"scope": "kubernetes.cluster.name=prod and k8s.ns.name in (risk-10) and proc.name=\"curl\" and priority=critical", "last": "7d"}),
            &found(20),
        );
        assert_eq!(focus.cluster.as_deref(), Some("prod"));
        assert_eq!(focus.namespace.as_deref(), Some("risk-10"));
        assert_eq!(focus.process.as_deref(), Some("curl"));
        assert_eq!(focus.topic.as_deref(), Some("event_stats"));
        assert_eq!(focus.time, Some(TimeFocus { last: Some("7d".into()), ..TimeFocus::default() }));
    }

    #[test]
    fn disjunctions_negations_and_patterns_name_no_entity() {
        for scope in [
            "k8s.ns.name=a or k8s.ns.name=b",
            "not k8s.ns.name=a",
            "k8s.ns.name contains risk",
            "k8s.ns.name in (a, b)",
            "k8s.ns.name=a and k8s.ns.name=b",
            "k8s.ns.name in (a",
        ] {
            let mut focus = Focus { namespace: Some("kept".into()), ..Focus::default() };
            apply_call(&mut focus, "search_events", &json!({ "scope": scope }), &found(3));
            assert_eq!(focus.namespace.as_deref(), Some("kept"), "{scope}");
            assert_eq!(focus.topic.as_deref(), Some("search_events"));
        }
    }

    #[test]
    fn a_new_namespace_forgets_the_old_workload_and_pod() {
        let mut focus = Focus {
            cluster: Some("prod".into()),
            namespace: Some("a".into()),
            workload: Some("a-web".into()),
            pod: Some("a-web-1".into()),
            ..Focus::default()
        };
        apply_call(&mut focus, "root_cause", &json!({"scope": "k8s.ns.name=a"}), &found(1));
        assert_eq!(focus.workload.as_deref(), Some("a-web"), "same namespace keeps the workload");
        apply_call(&mut focus, "root_cause", &json!({"scope": "k8s.ns.name=b and workload=b-api"}), &found(1));
        assert_eq!(focus.cluster.as_deref(), Some("prod"));
        assert_eq!(focus.namespace.as_deref(), Some("b"));
        assert_eq!(focus.workload.as_deref(), Some("b-api"));
        assert_eq!(focus.pod, None);
    }

    #[test]
    fn a_call_that_matched_nothing_sets_only_the_topic() {
        let mut focus = Focus::default();
        apply_call(&mut focus, "event_stats", &json!({"scope": "k8s.ns.name=typo", "rule": "x"}), &found(0));
        assert_eq!(focus, Focus { topic: Some("event_stats".into()), ..Focus::default() });
        apply_call(
            &mut focus,
            "explain_event",
            &json!({"rule": "Terminal shell in container", "alert_id": "abc"}),
            &found(2),
        );
        assert_eq!(focus.rule.as_deref(), Some("Terminal shell in container"));
        assert_eq!(focus.alert_id.as_deref(), Some("abc"));
    }
}
