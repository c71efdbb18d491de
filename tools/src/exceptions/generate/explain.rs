//! The explanation of a generated exception: why each field, and the warnings (imperfect
//! separation, undecided alerts, the same activity in other workloads, thin history, limited
//! reads).

use std::collections::BTreeSet;

use super::candidates::{Candidate, Role};
use super::search::{self, TruthTable};
use super::{ChosenField, GenerationWarning, GenerationWarningKind, Separation};
use crate::alert::Alert;
use crate::analytics::common::timestamp;

/// Fewer benign alerts than this, or all within [`THIN_SPAN_MINUTES`], show no recurrence.
const THIN_COUNT: usize = 3;

/// See [`THIN_COUNT`].
const THIN_SPAN_MINUTES: i64 = 60;

pub(super) fn chosen_field_reasons(
    usable: &[Candidate],
    indices: &[usize],
    others: &TruthTable,
    appends_to: Option<&str>,
) -> Vec<ChosenField> {
    indices
        .iter()
        .map(|&index| {
            let candidate = &usable[index];
            let without: Vec<usize> = indices.iter().copied().filter(|&other| other != index).collect();
            let (matched_without, _) = others.counts(&without);
            let (matched_with, _) = others.counts(indices);
            let purpose = if matched_without > matched_with {
                format!(
                    "without it {} more of the rule's other alerts would be suppressed",
                    matched_without - matched_with
                )
            } else {
                match candidate.spec.role {
                    Role::Location => "keeps the exception to this place: the same activity elsewhere still alerts",
                    Role::Actor => "names the process: other processes here still alert",
                    Role::Target => "names the target: other files or connections here still alert",
                    Role::Lineage | Role::Generic => "narrows it further",
                }
                .to_string()
            };
            let written = appends_to
                .map(|name| format!("; written for the comparators of the existing exception {name}"))
                .unwrap_or_default();
            let values = candidate.comparison.operand_values().into_iter().map(str::to_string).collect();
            ChosenField {
                field: candidate.spec.field.to_string(),
                comp: candidate.comparison.comparator.to_string(),
                values,
                reason: format!("{}, {}; {purpose}{written}", candidate.spec.what, candidate.evidence),
            }
        })
        .collect()
}

pub(super) fn generation_warnings(
    usable: &[Candidate],
    indices: &[usize],
    benign: &[Alert],
    others: &[Alert],
    others_table: &TruthTable,
    separation: &Separation,
) -> Vec<GenerationWarning> {
    let mut warnings = Vec::new();
    if separation.others_suppressed > 0 {
        warnings.push(GenerationWarning {
            kind: GenerationWarningKind::ImperfectSeparation,
            message: format!(
                "no set of up to {} stable fields separates the {} benign alerts from the rule's others: this one also \
                 suppresses {} of the {} other alerts read",
                search::MAX_FIELDS,
                separation.benign,
                separation.others_suppressed,
                separation.others_read
            ),
        });
    }
    if separation.others_undecided > 0 {
        warnings.push(GenerationWarning {
            kind: GenerationWarningKind::OthersUndecided,
            message: format!(
                "{} of the rule's other alerts lack a field the exception compares: they might be suppressed too",
                separation.others_undecided
            ),
        });
    }
    // The activity: the process name of the benign alerts (or the chosen process fields) and
    // the chosen target; does it fire the rule elsewhere too?
    let chosen_role = |role: Role| indices.iter().copied().filter(move |&index| usable[index].spec.role == role);
    let mut activity: Vec<usize> = match usable.iter().position(|candidate| candidate.spec.field == "proc.name") {
        Some(process) => vec![process],
        None => chosen_role(Role::Actor).collect(),
    };
    activity.extend(chosen_role(Role::Target));
    if !activity.is_empty() && chosen_role(Role::Location).next().is_some() {
        let places: BTreeSet<String> =
            others_table.matching(&activity).into_iter().map(|position| place_of(&others[position])).collect();
        if !places.is_empty() {
            let shown: Vec<&str> = places.iter().take(5).map(String::as_str).collect();
            let more = if places.len() > 5 { format!(" and {} more", places.len() - 5) } else { String::new() };
            let what: Vec<String> =
                activity.iter().map(|&index| crate::exceptions::preview::describe(&usable[index].comparison)).collect();
            warnings.push(GenerationWarning {
                kind: GenerationWarningKind::SameActivityElsewhere,
                message: format!(
                    "the same activity ({}) also fires this rule in {} other {} ({}{more}); this exception leaves those \
                     alerts on, but one activity across several workloads deserves a look before it is excepted in \
                     one of them",
                    what.join(" and "),
                    places.len(),
                    plural(places.len() as u64, "workload", "workloads"),
                    shown.join(", ")
                ),
            });
        }
    }
    let first = benign.iter().map(|alert| alert.time).min();
    let last = benign.iter().map(|alert| alert.time).max();
    if let (Some(first), Some(last)) = (first, last)
        && (benign.len() < THIN_COUNT || (last - first).num_minutes() < THIN_SPAN_MINUTES)
    {
        let when = if first == last {
            format!("at {}", timestamp(first))
        } else {
            format!("between {} and {}", timestamp(first), timestamp(last))
        };
        warnings.push(GenerationWarning {
            kind: GenerationWarningKind::ThinHistory,
            message: format!(
                "made from {} {} {when}: no recurrence shows that these values are stable, and an exception for a \
                 one-off event would also hide its repeat",
                benign.len(),
                plural(benign.len() as u64, "alert", "alerts")
            ),
        });
    }
    if separation.benign > benign.len() as u64 || separation.others > separation.others_read {
        warnings.push(GenerationWarning {
            kind: GenerationWarningKind::ScanLimited,
            message: format!(
                "read {} of {} benign alerts and {} of {} other alerts (newest first); older ones were not considered",
                benign.len(),
                separation.benign,
                separation.others_read,
                separation.others
            ),
        });
    }
    warnings
}

fn plural<'a>(count: u64, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

/// `cluster/namespace/workload` of an alert.
fn place_of(alert: &Alert) -> String {
    let dimensions = &alert.dimensions;
    let part = |value: Option<&String>| value.cloned().unwrap_or_else(|| "(none)".to_string());
    format!(
        "{}/{}/{}",
        part(dimensions.cluster.as_ref()),
        part(dimensions.namespace.as_ref()),
        part(dimensions.workload.as_ref().map(|workload| &workload.name))
    )
}
