//! Which alerts are benign: one alert and its exact recurrences (same rule and the same values
//! of the fields that define "the same activity in the same place"), or the alerts of one rule
//! in a scope; and reading them (and the rule's other alerts) from the store, bounded.

use std::collections::HashSet;

use super::{BenignSelection, GenerateRequest};
use crate::alert::Alert;
use crate::analytics::common::{dimension_scope, timestamp};
use crate::analytics::{Evidence, ToolContext, ToolError};
use crate::exceptions::evaluate::{FieldLookup, lookup};
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, AlertStore, GroupKey, SearchOrder};

/// Alerts read per store call.
const PAGE_SIZE: usize = 1_000;

/// How many rules an error about a scope spanning several rules lists.
const RULES_LISTED: usize = 20;

/// The fields that define a recurrence of one alert.
const RECURRENCE_FIELDS: [&str; 7] =
    ["container.image.repository", "k8s.ns.name", "proc.name", "proc.pname", "proc.cmdline", "fd.name", "user.name"];

/// The rule, the filter of the benign alerts, and how they were chosen.
pub(super) fn resolve_benign(
    context: &ToolContext<'_>,
    request: &GenerateRequest,
) -> Result<(String, AlertFilter, String), ToolError> {
    match &request.benign {
        BenignSelection::AlertId(id) => {
            let alert = context
                .store
                .get(std::slice::from_ref(id))?
                .into_iter()
                .find(|alert| context.base_scope.matches(alert))
                .ok_or_else(|| {
                    ToolError::NotFound(format!("alert id {id:?} (not in the store or the current scope)"))
                })?;
            if let Some(rule) = request.rule.as_ref().filter(|rule| **rule != alert.rule) {
                return Err(ToolError::InvalidArguments {
                    tool: "generate_exception",
                    problems: format!("rule {rule:?}: alert {id:?} is of rule {:?}", alert.rule),
                });
            }
            let inside = request.time.since.is_none_or(|since| alert.time >= since)
                && request.time.until.is_none_or(|until| alert.time < until);
            if !inside {
                return Err(ToolError::InvalidArguments {
                    tool: "generate_exception",
                    problems: format!("alert {id:?} at {} is outside the time range given", timestamp(alert.time)),
                });
            }
            let (scope, fields) = recurrence_scope(&alert);
            let filter = AlertFilter { scope: context.base_scope.and(&scope), time: request.time };
            let selection = format!(
                "alert {id} and its recurrences: the alerts of rule {:?} with the same {}",
                alert.rule,
                fields.join(", ")
            );
            Ok((alert.rule, filter, selection))
        }
        BenignSelection::Scope(scope) => {
            let filter = AlertFilter { scope: context.base_scope.and(scope), time: request.time };
            let rules = context.store.group_counts(&filter, GroupKey::Dimension(Dimension::Rule), RULES_LISTED)?;
            let listed = || {
                let mut names: Vec<String> =
                    rules.groups.iter().map(|(rule, count)| format!("{rule} ({count})")).collect();
                if rules.other_groups > 0 {
                    names.push(format!("and {} more", rules.other_groups));
                }
                names.join(", ")
            };
            let rule = match (&request.rule, rules.groups.as_slice()) {
                (_, []) => {
                    let evidence = Evidence::of(context.store, &filter)?;
                    return Err(ToolError::NotFound(format!(
                        "alerts in the scope {:?} ({})",
                        scope.to_string(),
                        evidence.note.unwrap_or_default()
                    )));
                }
                (Some(rule), groups) => {
                    if !groups.iter().any(|(name, _)| name == rule)
                        && context.store.count(&AlertFilter {
                            scope: filter.scope.and(&dimension_scope(Dimension::Rule, vec![rule.clone()])),
                            time: filter.time,
                        })? == 0
                    {
                        return Err(ToolError::NotFound(format!(
                            "alerts of rule {rule:?} in the scope (its alerts are of: {})",
                            listed()
                        )));
                    }
                    rule.clone()
                }
                (None, [(rule, _)]) => rule.clone(),
                (None, _) => {
                    return Err(ToolError::InvalidArguments {
                        tool: "generate_exception",
                        problems: format!(
                            "the scope holds alerts of {} rules: {}; an exception belongs to one rule, so give `rule`",
                            rules.groups.len() as u64 + rules.other_groups,
                            listed()
                        ),
                    });
                }
            };
            let scoped = AlertFilter {
                scope: filter.scope.and(&dimension_scope(Dimension::Rule, vec![rule.clone()])),
                time: filter.time,
            };
            let shown = if scope.is_all() { "everything in view".to_string() } else { scope.to_string() };
            Ok((rule.clone(), scoped, format!("the alerts of rule {rule:?} in the scope {shown}")))
        }
    }
}

/// The scope of an alert's exact recurrences, and the fields it compares.
fn recurrence_scope(alert: &Alert) -> (Scope, Vec<String>) {
    let mut expression =
        ScopeExpr::compare(FieldRef::Dimension(Dimension::Rule), Operator::Equal, vec![alert.rule.clone()]);
    let mut fields = Vec::new();
    for field in RECURRENCE_FIELDS {
        let FieldLookup::Value(value) = lookup(alert, field) else {
            continue;
        };
        if value.is_empty() || (field == "fd.name" && value.contains("->")) {
            continue;
        }
        let comparison = ScopeExpr::compare(FieldRef::resolve(field), Operator::Equal, vec![value]);
        expression = ScopeExpr::and(expression, comparison);
        fields.push(field.to_string());
    }
    (Scope::from_expr(expression), fields)
}

/// Reads up to `limit` alerts of `filter`, newest first, leaving out `skip`.
pub(super) fn read_alerts(
    store: &dyn AlertStore,
    filter: &AlertFilter,
    limit: usize,
    skip: &HashSet<String>,
) -> Result<Vec<Alert>, ToolError> {
    let mut alerts = Vec::new();
    let mut offset = 0;
    while offset < limit {
        let page = store.search(filter, None, SearchOrder::NewestFirst, offset, PAGE_SIZE.min(limit - offset))?;
        if page.alerts.is_empty() {
            break;
        }
        offset += page.alerts.len();
        alerts.extend(page.alerts.into_iter().filter(|alert| !skip.contains(&alert.id)));
        if offset as u64 >= page.total {
            break;
        }
    }
    Ok(alerts)
}
