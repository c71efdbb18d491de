//! The impact preview: what an exception would have done to the stored alerts of its rule.
//!
//! [`preview_exception`] reads the rule's alerts in the caller's scope and time range (newest
//! first, in pages, at most [`PREVIEW_SCAN_LIMIT`] by default, saying so when capped),
//! evaluates the exceptions on each ([`crate::exceptions::evaluate`]) and reports how many
//! would have been suppressed, over which workloads, namespaces and time span, how many remain,
//! how many are unknown (and which fields they lack), and warnings when the exceptions are
//! broad: several workloads or namespaces, more than the alerts they were made from, only
//! generic fields. Only the snippet's own exceptions (or appended values) are evaluated: the
//! stored alerts already passed the rule's existing ones.

mod generic;
mod tally;

pub use generic::{COMMON_PROGRAMS, GENERIC_FIELDS, describe, is_generic};

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use self::tally::Tally;
use super::evaluate::CompiledExceptions;
use super::model::{OverrideMode, RuleExceptions};
use crate::analytics::common::{NameCount, dimension_scope};
use crate::analytics::{Evidence, ToolError};
use crate::rules::RulesCatalog;
use crate::scope::Dimension;
use crate::store::{AlertFilter, AlertStore, SearchOrder};

/// Most alerts a preview reads by default.
pub const PREVIEW_SCAN_LIMIT: usize = 20_000;

/// Alerts read per store call.
const PAGE_SIZE: usize = 1_000;

/// What to preview against.
#[derive(Debug, Clone)]
pub struct PreviewRequest<'a> {
    /// The alerts to consider (the caller's scope and time range); the rule is added to it.
    pub filter: AlertFilter,
    /// The ids of the alerts the exception was made from, to flag suppression beyond them.
    pub made_from: Option<&'a HashSet<String>>,
    /// Most alerts read (newest first).
    pub scan_limit: usize,
}

/// What the exceptions would have done to the rule's stored alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImpactPreview {
    /// The rule's alerts in the scope and time range.
    pub evidence: Evidence,
    /// Alerts evaluated (newest first).
    pub scanned: u64,
    /// Older alerts not evaluated because of the scan limit.
    pub not_scanned: u64,
    /// The alerts the exceptions would have suppressed.
    pub suppressed: SuppressedAlerts,
    /// Alerts the exceptions certainly do not match: they would still fire.
    pub remaining: u64,
    /// Alerts that lack a field the exceptions compare: not decidable, never guessed.
    pub unknown: UnknownAlerts,
    /// Alerts suppressed per exception.
    pub by_exception: Vec<NameCount>,
    /// Exceptions left out of the evaluation (Falco would refuse them or Saker cannot
    /// evaluate them), with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<NotEvaluated>,
    /// Why the exceptions may be too broad, or the figures incomplete.
    pub warnings: Vec<PreviewWarning>,
}

/// The alerts that would have been suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressedAlerts {
    /// How many.
    pub count: u64,
    /// The first one's time.
    pub first: Option<String>,
    /// The last one's time.
    pub last: Option<String>,
    /// Their workloads, most alerts first.
    pub workloads: Vec<WorkloadCount>,
    /// Workloads not listed.
    pub other_workloads: u64,
    /// Their namespaces, most alerts first (empty name: no namespace).
    pub namespaces: Vec<NameCount>,
    /// Namespaces not listed.
    pub other_namespaces: u64,
    /// The newest suppressed alerts' ids.
    pub sample_ids: Vec<String>,
    /// How many alerts the exception was made from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_from: Option<u64>,
    /// Suppressed alerts that are not among those it was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_made_from: Option<u64>,
    /// Ids of such alerts (newest first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside_sample_ids: Vec<String>,
}

/// Suppressed alerts of one workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WorkloadCount {
    /// Cluster.
    pub cluster: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Workload (none for host alerts or unknown pods).
    pub workload: Option<String>,
    /// Alerts.
    pub count: u64,
}

/// The alerts that could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UnknownAlerts {
    /// How many.
    pub count: u64,
    /// The fields they lack, with how many alerts lack each.
    pub missing_fields: Vec<NameCount>,
    /// The newest ones' ids.
    pub sample_ids: Vec<String>,
}

/// An exception left out of the evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotEvaluated {
    /// The exception's name.
    pub exception: String,
    /// Why.
    pub problem: String,
}

/// A reason to look twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewWarning {
    /// What kind.
    pub kind: PreviewWarningKind,
    /// The warning, naming the figures.
    pub message: String,
}

/// The kinds of preview warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreviewWarningKind {
    /// Suppresses alerts from more than one workload.
    SeveralWorkloads,
    /// Suppresses alerts from more than one namespace.
    SeveralNamespaces,
    /// Suppresses alerts besides those it was made from.
    BeyondMadeFrom,
    /// A value tuple compares only fields most workloads share (`user.name=root`,
    /// `proc.name=bash`).
    GenericFieldsOnly,
    /// Some alerts lack the fields compared.
    UnknownAlerts,
    /// Matches none of the rule's stored alerts.
    NothingSuppressed,
    /// Not every alert was read.
    ScanLimited,
    /// `override: {exceptions: replace}` drops the rule's other exceptions.
    ReplacesRuleExceptions,
    /// Some exceptions could not be evaluated.
    NotEvaluated,
}

/// Previews `exceptions` against the stored alerts of its rule.
pub fn preview_exception(
    store: &dyn AlertStore,
    catalog: &RulesCatalog,
    exceptions: &RuleExceptions,
    request: &PreviewRequest<'_>,
) -> Result<ImpactPreview, ToolError> {
    let compiled = CompiledExceptions::compile(exceptions, catalog);
    let filter = AlertFilter {
        scope: request.filter.scope.and(&dimension_scope(Dimension::Rule, vec![exceptions.rule.clone()])),
        time: request.filter.time,
    };
    let evidence = Evidence::of(store, &filter)?;
    let mut tally = Tally::default();
    let limit = request.scan_limit.max(1);
    let mut offset = 0;
    while offset < limit {
        let page = store.search(&filter, None, SearchOrder::NewestFirst, offset, PAGE_SIZE.min(limit - offset))?;
        if page.alerts.is_empty() {
            break;
        }
        offset += page.alerts.len();
        for alert in &page.alerts {
            tally.add(&compiled, alert, request.made_from);
        }
        if offset as u64 >= page.total {
            break;
        }
    }
    let not_scanned = evidence.count.saturating_sub(tally.scanned);
    let suppressed = tally.suppressed_alerts(request.made_from);
    let unknown = tally.unknown_alerts();
    let not_evaluated: Vec<NotEvaluated> = compiled
        .problems
        .iter()
        .map(|problem| NotEvaluated { exception: problem.exception.clone(), problem: problem.problem.clone() })
        .collect();
    let replaces = exceptions.override_keys.is_some_and(|keys| keys.exceptions == OverrideMode::Replace);
    let facts =
        Facts { compiled: &compiled, tally: &tally, suppressed: &suppressed, unknown: &unknown, not_scanned, replaces };
    let warnings = warnings(&facts, &not_evaluated);
    Ok(ImpactPreview {
        evidence,
        scanned: tally.scanned,
        not_scanned,
        remaining: tally.remaining,
        by_exception: tally.by_exception(),
        suppressed,
        unknown,
        not_evaluated,
        warnings,
    })
}

/// What the warnings are judged from.
struct Facts<'a> {
    compiled: &'a CompiledExceptions,
    tally: &'a Tally,
    suppressed: &'a SuppressedAlerts,
    unknown: &'a UnknownAlerts,
    not_scanned: u64,
    replaces: bool,
}

fn warnings(facts: &Facts<'_>, not_evaluated: &[NotEvaluated]) -> Vec<PreviewWarning> {
    let mut warnings = Vec::new();
    let mut warn = |kind: PreviewWarningKind, message: String| warnings.push(PreviewWarning { kind, message });
    let suppressed = facts.suppressed;
    if facts.tally.workload_count() > 1 {
        let names: Vec<String> = suppressed.workloads.iter().map(workload_label).collect();
        warn(
            PreviewWarningKind::SeveralWorkloads,
            format!(
                "suppresses alerts from {} workloads ({}{}), not one",
                facts.tally.workload_count(),
                names.join(", "),
                more(suppressed.other_workloads)
            ),
        );
    }
    if facts.tally.namespace_count() > 1 {
        let names: Vec<String> = suppressed.namespaces.iter().map(|namespace| label(&namespace.name)).collect();
        warn(
            PreviewWarningKind::SeveralNamespaces,
            format!(
                "suppresses alerts from {} namespaces ({}{})",
                facts.tally.namespace_count(),
                names.join(", "),
                more(suppressed.other_namespaces)
            ),
        );
    }
    if let (Some(made_from), Some(outside)) = (suppressed.made_from, suppressed.outside_made_from)
        && outside > 0
    {
        warn(
            PreviewWarningKind::BeyondMadeFrom,
            format!(
                "suppresses {} alerts, {outside} of them besides the {made_from} it was made from (e.g. {})",
                suppressed.count,
                suppressed.outside_sample_ids.join(", ")
            ),
        );
    }
    for exception in &facts.compiled.exceptions {
        for tuple in &exception.tuples {
            if !tuple.is_empty() && tuple.iter().all(is_generic) {
                let parts: Vec<String> = tuple.iter().map(describe).collect();
                warn(
                    PreviewWarningKind::GenericFieldsOnly,
                    format!(
                        "exception {} relies only on generic fields ({}): it would suppress the rule in any workload \
                         where they hold",
                        exception.name,
                        parts.join(" and ")
                    ),
                );
            }
        }
    }
    if facts.unknown.count > 0 {
        let fields: Vec<String> =
            facts.unknown.missing_fields.iter().map(|field| format!("{} ({})", field.name, field.count)).collect();
        warn(
            PreviewWarningKind::UnknownAlerts,
            format!(
                "{} alerts lack fields the exceptions compare ({}): whether they would be suppressed is unknown",
                facts.unknown.count,
                fields.join(", ")
            ),
        );
    }
    if suppressed.count == 0 && facts.tally.scanned > 0 && !facts.compiled.exceptions.is_empty() {
        warn(
            PreviewWarningKind::NothingSuppressed,
            format!("matches none of the rule's {} alerts read: check the fields and values", facts.tally.scanned),
        );
    }
    if facts.not_scanned > 0 {
        warn(
            PreviewWarningKind::ScanLimited,
            format!(
                "read the newest {} of {} alerts; the {} older ones are not counted",
                facts.tally.scanned,
                facts.tally.scanned + facts.not_scanned,
                facts.not_scanned
            ),
        );
    }
    if facts.replaces {
        warn(
            PreviewWarningKind::ReplacesRuleExceptions,
            "override exceptions: replace drops the rule's other exceptions; the alerts they suppressed were never \
             stored, so this preview cannot show what would return"
                .to_string(),
        );
    }
    if !not_evaluated.is_empty() {
        let names: Vec<&str> = not_evaluated.iter().map(|entry| entry.exception.as_str()).collect();
        warn(
            PreviewWarningKind::NotEvaluated,
            format!("not evaluated: {} (see not_evaluated); the figures leave them out", names.join(", ")),
        );
    }
    warnings
}

fn label(name: &str) -> String {
    if name.is_empty() { "(none)".to_string() } else { name.to_string() }
}

fn workload_label(workload: &WorkloadCount) -> String {
    let part = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_string());
    format!("{}/{}/{}", part(&workload.cluster), part(&workload.namespace), part(&workload.workload))
}

fn more(other: u64) -> String {
    if other > 0 { format!(" and {other} more") } else { String::new() }
}
