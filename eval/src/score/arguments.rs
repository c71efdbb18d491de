//! Key arguments and output values of a turn's tool calls: scope terms (compared as parsed
//! conjuncts, so `kubernetes.namespace.name = "web"` and `k8s.ns.name=web` are the same term),
//! the time range the call covered (from its evidence), groupings and JSON values.

use chrono::{DateTime, Utc};
use saker::conversation::StepRecord;
use saker_tools::scope::{Comparison, FieldRef, Operator, Scope, ScopeExpr};
use serde_json::Value;

use crate::facts::{TimeBounds, parse_duration};
use crate::suite::{ArgExpectation, OutputExpectation, TimeExpectation};

/// Checks one argument expectation against the calls; `Ok` names the call that satisfied it,
/// `Err` says what the closest call had.
pub fn check_arguments(
    expectation: &ArgExpectation,
    steps: &[StepRecord],
    now: DateTime<Utc>,
) -> Result<String, String> {
    let calls: Vec<&StepRecord> = steps.iter().filter(|step| step.tool == expectation.tool).collect();
    if calls.is_empty() {
        return Err(format!("no {} call", expectation.tool));
    }
    let mut misses = Vec::new();
    for (index, step) in calls.iter().enumerate() {
        match check_call(expectation, step, now) {
            Ok(()) => return Ok(format!("{} call {}", expectation.tool, index + 1)),
            Err(miss) => misses.push(format!("{} call {}: {miss}", expectation.tool, index + 1)),
        }
    }
    Err(misses.join("; "))
}

/// Checks one output expectation: some call of the tool has every value.
pub fn check_outputs(expectation: &OutputExpectation, steps: &[StepRecord]) -> Result<(), String> {
    let calls: Vec<&StepRecord> = steps.iter().filter(|step| step.tool == expectation.tool).collect();
    if calls.is_empty() {
        return Err(format!("no {} call", expectation.tool));
    }
    let mut misses = Vec::new();
    for step in calls {
        let mut problems = Vec::new();
        for (pointer, expected) in &expectation.equals {
            let got = step.output.pointer(pointer);
            if got != Some(expected) {
                problems.push(format!("{pointer} = {}", got.map_or("absent".to_string(), Value::to_string)));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        misses.push(problems.join(", "));
    }
    Err(misses.join("; "))
}

fn check_call(expectation: &ArgExpectation, step: &StepRecord, now: DateTime<Utc>) -> Result<(), String> {
    let mut problems = Vec::new();
    let own_scope = step.arguments.get("scope").and_then(Value::as_str).unwrap_or("");
    let mut scopes = vec![own_scope.to_string()];
    scopes.extend(evidence_scopes(&step.output));
    let conjuncts: Vec<Comparison> = scopes.iter().flat_map(|scope| conjuncts_of(scope)).collect();
    for term in &expectation.scope {
        let Some(expected) = conjuncts_of(term).into_iter().next() else {
            problems.push(format!("the expected term {term:?} does not parse"));
            continue;
        };
        if !conjuncts.iter().any(|actual| same_term(&expected, actual)) {
            problems.push(format!("scope lacks {term} (scopes: {})", shown_scopes(&scopes)));
        }
    }
    if !expectation.scope_any.is_empty() {
        let expected: Vec<Comparison> =
            expectation.scope_any.iter().filter_map(|term| conjuncts_of(term).into_iter().next()).collect();
        if !expected.iter().any(|wanted| conjuncts.iter().any(|actual| same_term(wanted, actual))) {
            problems.push(format!(
                "scope has none of {} (scopes: {})",
                expectation.scope_any.join(", "),
                shown_scopes(&scopes)
            ));
        }
    }
    for field in &expectation.scope_fields {
        let field = FieldRef::resolve(field);
        if !conjuncts.iter().any(|actual| actual.field == field) {
            problems.push(format!("scope compares no {field} (scopes: {})", shown_scopes(&scopes)));
        }
    }
    for field in &expectation.not_scope_fields {
        let field = FieldRef::resolve(field);
        if conjuncts_of(own_scope).iter().any(|actual| actual.field == field) {
            problems.push(format!("scope argument compares {field}: {own_scope:?}"));
        }
    }
    if let Some(time) = &expectation.time
        && let Err(problem) = check_time(time, step, now)
    {
        problems.push(problem);
    }
    if !expectation.group_by.is_empty() {
        let groups: Vec<&str> = step
            .arguments
            .get("group_by")
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for wanted in &expectation.group_by {
            if !groups.contains(&wanted.as_str()) {
                problems.push(format!("group_by {groups:?} lacks {wanted}"));
            }
        }
    }
    for (pointer, expected) in &expectation.equals {
        let got = step.arguments.pointer(pointer);
        if got != Some(expected) {
            problems.push(format!(
                "{pointer} = {} (expected {expected})",
                got.map_or("absent".to_string(), Value::to_string)
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join(", ")) }
}

/// The time range a call covered: its evidence's bounds, else its own arguments resolved at
/// `now`.
fn check_time(expected: &TimeExpectation, step: &StepRecord, now: DateTime<Utc>) -> Result<(), String> {
    let (since, until) = covered_range(step, now)?;
    let (want_since, want_until) = if expected.all {
        (None, None)
    } else if let Some(last) = &expected.last {
        (Some(now - parse_duration(last)?), Some(now))
    } else {
        (parse_time(expected.since.as_deref())?, parse_time(expected.until.as_deref())?)
    };
    if since == want_since && until == want_until {
        return Ok(());
    }
    let show = |time: Option<DateTime<Utc>>| time.map_or("-".to_string(), |time| time.to_rfc3339());
    Err(format!("time {}..{} (expected {}..{})", show(since), show(until), show(want_since), show(want_until)))
}

fn covered_range(step: &StepRecord, now: DateTime<Utc>) -> Result<TimeBounds, String> {
    if let Some(evidence) = step.output.get("evidence").filter(|evidence| evidence.is_object()) {
        let since = parse_time(evidence.get("since").and_then(Value::as_str))?;
        let until = parse_time(evidence.get("until").and_then(Value::as_str))?;
        return Ok((since, until));
    }
    let arguments = &step.arguments;
    if let Some(last) = arguments.get("last").and_then(Value::as_str) {
        return Ok((Some(now - parse_duration(last)?), Some(now)));
    }
    Ok((
        parse_time(arguments.get("since").and_then(Value::as_str))?,
        parse_time(arguments.get("until").and_then(Value::as_str))?,
    ))
}

fn parse_time(text: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(|date| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
            })
            .map_err(|error| format!("time {text:?}: {error}"))
    })
    .transpose()
}

/// The scopes of every evidence block in an output (top level and one level down).
fn evidence_scopes(output: &Value) -> Vec<String> {
    let mut scopes = Vec::new();
    let mut visit = |value: &Value| {
        if let Some(scope) = value.get("evidence").and_then(|evidence| evidence.get("scope")).and_then(Value::as_str) {
            scopes.push(scope.to_string());
        }
    };
    visit(output);
    if let Some(object) = output.as_object() {
        for value in object.values() {
            visit(value);
        }
    }
    scopes
}

fn shown_scopes(scopes: &[String]) -> String {
    let shown: Vec<&str> = scopes.iter().map(String::as_str).filter(|scope| !scope.is_empty()).collect();
    if shown.is_empty() { "none".to_string() } else { shown.join(" | ") }
}

/// The top-level conjuncts of a scope that are plain comparisons.
pub fn conjuncts_of(text: &str) -> Vec<Comparison> {
    fn walk(expr: &ScopeExpr, out: &mut Vec<Comparison>) {
        match expr {
            ScopeExpr::And(left, right) => {
                walk(left, out);
                walk(right, out);
            }
            ScopeExpr::Compare(comparison) => out.push(comparison.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(scope) = Scope::parse(text)
        && let Some(expr) = scope.expr()
    {
        walk(expr, &mut out);
    }
    out
}

/// True when `actual` states `expected`: the same field, operator and values (in any order),
/// or `in` with exactly the one value `=` expects.
fn same_term(expected: &Comparison, actual: &Comparison) -> bool {
    if expected.field != actual.field {
        return false;
    }
    let sorted = |values: &[String]| {
        let mut values = values.to_vec();
        values.sort();
        values
    };
    let same_values = sorted(&expected.values) == sorted(&actual.values);
    match (expected.operator, actual.operator) {
        (left, right) if left == right => same_values,
        (Operator::Equal, Operator::In) | (Operator::In, Operator::Equal) => same_values,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_quotes_and_single_value_lists_are_the_same_term() {
        let expected = conjuncts_of("k8s.ns.name=web").remove(0);
        for actual in ["kubernetes.namespace.name = \"web\"", "namespace in (web)", "cluster=x and k8s.ns.name=web"] {
            assert!(conjuncts_of(actual).iter().any(|term| same_term(&expected, term)), "{actual}");
        }
        for actual in ["k8s.ns.name=webs", "k8s.ns.name in (web, shop)", "not k8s.ns.name=web", "k8s.pod.name=web"] {
            assert!(!conjuncts_of(actual).iter().any(|term| same_term(&expected, term)), "{actual}");
        }
    }
}
