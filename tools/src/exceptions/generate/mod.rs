//! Generation of the narrowest exception that silences a set of benign alerts of one rule and
//! none of the rule's other stored alerts.
//!
//! The benign set is an alert id (the alert and its exact recurrences: same rule, image,
//! namespace, process, parent, command line, file and user) or a scope. The candidate fields
//! are those every benign alert carries that stay the same when the activity recurs
//! ([`candidates`]); the search tries anchored field sets of one to four fields, smallest
//! first, and keeps the one that suppresses the fewest of the rule's other alerts ([`search`]).
//! When the loaded rule already has an exception with exactly those fields, the values are
//! appended to it under its name ([`existing`]); otherwise a new exception gets a readable name
//! ([`naming`]). The result carries its YAML, the reason for each field, the impact preview
//! against the store, warnings, and the validator's verdict on the YAML.

mod benign;
mod candidates;
mod existing;
mod explain;
mod naming;
mod search;

pub use candidates::{CANDIDATE_FIELDS, FieldSpec, IN_LIMIT, NEVER_USED, Role};

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use self::benign::{read_alerts, resolve_benign};
use self::candidates::{Candidate, candidates};
use self::explain::{chosen_field_reasons, generation_warnings};
use self::search::{TruthTable, search};
use super::evaluate::{CompiledExceptions, Operand, Truth};
use super::model::{
    ExceptionComps, ExceptionDefinition, ExceptionFields, ExceptionScalar, ExceptionValue, ExceptionValues,
    OverrideKeys, OverrideMode, RuleExceptions,
};
use super::preview::{ImpactPreview, PREVIEW_SCAN_LIMIT, PreviewRequest, preview_exception};
use super::render::render_yaml;
use super::validate::{ValidationOptions, ValidationReport, validate_yaml};
use crate::analytics::common::dimension_scope;
use crate::analytics::{Evidence, ToolContext, ToolError};
use crate::scope::{Dimension, Scope};
use crate::store::{AlertFilter, TimeRange};

/// Most benign alerts read.
pub const BENIGN_SCAN_LIMIT: usize = 5_000;

/// Most of the rule's other alerts read.
pub const OTHERS_SCAN_LIMIT: usize = 20_000;

/// Which alerts are benign.
#[derive(Debug, Clone, PartialEq)]
pub enum BenignSelection {
    /// One alert and its exact recurrences.
    AlertId(String),
    /// The alerts in a scope (confined to the context's base scope).
    Scope(Scope),
}

/// What to generate an exception for.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    /// The benign alerts.
    pub benign: BenignSelection,
    /// The rule, required when the scope spans several.
    pub rule: Option<String>,
    /// The time range of the benign alerts and of the rule's alerts they are separated from.
    pub time: TimeRange,
    /// The exception's name (default: made from the values, e.g. `httpd_rm_dpkg_log`).
    pub name: Option<String>,
}

/// A generated exception, explained and previewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GeneratedException {
    /// The rule.
    pub rule: String,
    /// The benign alerts the exception was made from.
    pub benign: Evidence,
    /// How the benign alerts were chosen.
    pub selection: String,
    /// The rules-file item.
    pub exception: RuleExceptions,
    /// The item as YAML for `falco_rules.local.yaml`.
    pub yaml: String,
    /// The name of the rule's existing exception the values are appended to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appends_to: Option<String>,
    /// Each field compared, with why.
    pub fields: Vec<ChosenField>,
    /// Candidate fields not usable for these alerts, with why.
    pub rejected_fields: Vec<RejectedField>,
    /// How well the fields separate the benign alerts from the rule's others.
    pub separation: Separation,
    /// What the exception would have done to the rule's stored alerts.
    pub preview: ImpactPreview,
    /// Reasons to look twice before using it.
    pub warnings: Vec<GenerationWarning>,
    /// The validator's verdict on `yaml` against the loaded rules (syntax, schema, Falco's
    /// semantics). Only a snippet that passed it is shown as valid.
    pub validation: ValidationReport,
}

/// One field of the exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChosenField {
    /// The Falco field.
    pub field: String,
    /// Its comparison operator.
    pub comp: String,
    /// The value(s) compared with.
    pub values: Vec<String>,
    /// Why this field, this comparison and these values.
    pub reason: String,
}

/// A candidate field not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RejectedField {
    /// The Falco field.
    pub field: String,
    /// Why not.
    pub reason: String,
}

/// How the exception separates the benign alerts from the rule's other alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Separation {
    /// Benign alerts (all of them match the exception).
    pub benign: u64,
    /// The rule's other alerts in the scope and time range.
    pub others: u64,
    /// Of those, how many were read.
    pub others_read: u64,
    /// Other alerts the exception would also suppress.
    pub others_suppressed: u64,
    /// Other alerts that lack a compared field (they might be suppressed).
    pub others_undecided: u64,
    /// True when it suppresses every benign alert and none of the others read.
    pub separates: bool,
    /// Field sets tried.
    pub field_sets_tried: u64,
}

/// A reason to look twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GenerationWarning {
    /// What kind.
    pub kind: GenerationWarningKind,
    /// The warning, naming the figures.
    pub message: String,
}

/// The kinds of generation warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GenerationWarningKind {
    /// No field set separates perfectly; the chosen one also suppresses other alerts.
    ImperfectSeparation,
    /// Some of the rule's other alerts lack a compared field.
    OthersUndecided,
    /// The same process/file fires the rule in other workloads; only the location fields keep
    /// those alerts.
    SameActivityElsewhere,
    /// Too few benign alerts, or too close together, to show the values recur.
    ThinHistory,
    /// Not every alert was read.
    ScanLimited,
    /// The rule has an exception with these fields whose comparators cannot take the values.
    ExistingExceptionNotUsed,
}

/// Builds the narrowest exception for the benign alerts of `request`.
pub fn generate_exception(
    context: &ToolContext<'_>,
    request: &GenerateRequest,
) -> Result<GeneratedException, ToolError> {
    let store = context.store;
    let (rule, benign_filter, selection) = resolve_benign(context, request)?;
    let benign_evidence = Evidence::of(store, &benign_filter)?;
    if benign_evidence.count == 0 {
        let note = benign_evidence.note.unwrap_or_default();
        return Err(ToolError::NotFound(format!("benign alerts of rule {rule:?} ({note})")));
    }
    let benign = read_alerts(store, &benign_filter, BENIGN_SCAN_LIMIT, &HashSet::new())?;
    let benign_ids: HashSet<String> = benign.iter().map(|alert| alert.id.clone()).collect();
    let base = AlertFilter { scope: context.base_scope.clone(), time: request.time };
    let rule_filter =
        AlertFilter { scope: base.scope.and(&dimension_scope(Dimension::Rule, vec![rule.clone()])), time: base.time };
    let others_total = store.count(&rule_filter)?.saturating_sub(benign_evidence.count);
    let others = read_alerts(store, &rule_filter, OTHERS_SCAN_LIMIT + benign.len(), &benign_ids)?;

    let (usable, rejected) = candidates(&benign);
    if usable.is_empty() {
        let reasons: Vec<String> = rejected.iter().map(|entry| format!("{}: {}", entry.field, entry.reason)).collect();
        return Err(ToolError::NotFound(format!(
            "a stable field shared by the {} benign alerts to build an exception on ({})",
            benign.len(),
            reasons.join("; ")
        )));
    }
    let rule_exceptions = context.rules.rule(&rule).map(|rule| rule.exceptions.clone()).unwrap_or_default();
    let existing_field_sets: Vec<Vec<String>> =
        rule_exceptions.iter().map(|exception| sorted(&exception.fields)).collect();
    let benign_table = TruthTable::new(&usable, &benign);
    let others_table = TruthTable::new(&usable, &others);
    let result = search(&usable, &benign_table, &others_table, &existing_field_sets)
        .ok_or_else(|| ToolError::NotFound("a field set covering every benign alert".to_string()))?;
    let chosen: Vec<&Candidate> = result.best.indices.iter().map(|&index| &usable[index]).collect();

    let mut warnings = Vec::new();
    let taken: Vec<String> = rule_exceptions.iter().map(|exception| exception.name.clone()).collect();
    let chosen_fields = sorted(&chosen.iter().map(|candidate| candidate.spec.field.to_string()).collect::<Vec<_>>());
    let comparisons: Vec<_> = chosen.iter().map(|candidate| candidate.comparison.clone()).collect();
    let appended = rule_exceptions
        .iter()
        .filter(|exception| sorted(&exception.fields) == chosen_fields)
        .filter(|exception| request.name.as_ref().is_none_or(|name| name == &exception.name))
        .find_map(|exception| {
            let values = existing::values_for_existing(exception, &comparisons).unwrap_or_default();
            let item = append_item(
                &rule,
                ExceptionDefinition { name: exception.name.clone(), fields: None, comps: None, values },
            );
            let compiled = CompiledExceptions::compile(&item, context.rules);
            let covers = item.exceptions.iter().all(|definition| !definition.values.is_empty())
                && compiled.problems.is_empty()
                && benign.iter().all(|alert| compiled.evaluate(alert).truth == Truth::True)
                && others.iter().filter(|alert| compiled.evaluate(alert).truth != Truth::False).count() as u64
                    <= result.best.others_matched + result.best.others_unknown;
            if !covers {
                warnings.push(GenerationWarning {
                    kind: GenerationWarningKind::ExistingExceptionNotUsed,
                    message: format!(
                        "the rule's exception {} has these fields, but its comps [{}] cannot take these values as \
                         narrowly; a new exception is proposed instead",
                        exception.name,
                        exception.comps.join(", ")
                    ),
                });
            }
            covers.then(|| (exception.name.clone(), item))
        });
    let (appends_to, snippet) = match appended {
        Some((name, item)) => (Some(name), item),
        None => {
            if let Some(name) = &request.name
                && let Some(clash) = rule_exceptions.iter().find(|exception| &exception.name == name)
            {
                return Err(ToolError::InvalidArguments {
                    tool: "generate_exception",
                    problems: format!(
                        "name {name:?}: rule {rule:?} already has an exception of that name (fields [{}], comps [{}]) \
                         that cannot take the values chosen here for [{}]; give another name or none",
                        clash.fields.join(", "),
                        clash.comps.join(", "),
                        chosen_fields.join(", ")
                    ),
                });
            }
            let name = request.name.clone().unwrap_or_else(|| naming::exception_name(&chosen, &taken));
            (None, append_item(&rule, new_definition(name, &chosen)))
        }
    };

    let fields = chosen_field_reasons(&usable, &result.best.indices, &others_table, appends_to.as_deref());
    let separation = Separation {
        benign: benign_evidence.count,
        others: others_total,
        others_read: others.len() as u64,
        others_suppressed: result.best.others_matched,
        others_undecided: result.best.others_unknown,
        separates: result.best.separates(),
        field_sets_tried: result.tried,
    };
    warnings.extend(generation_warnings(&usable, &result.best.indices, &benign, &others, &others_table, &separation));
    let preview = preview_exception(
        store,
        context.rules,
        &snippet,
        &PreviewRequest { filter: base, made_from: Some(&benign_ids), scan_limit: PREVIEW_SCAN_LIMIT },
    )?;
    let yaml = render_yaml(&snippet);
    Ok(GeneratedException {
        rule,
        benign: benign_evidence,
        selection,
        exception: snippet,
        appends_to,
        fields,
        rejected_fields: rejected
            .into_iter()
            .map(|entry| RejectedField { field: entry.field, reason: entry.reason })
            .collect(),
        separation,
        preview,
        warnings,
        validation: validate_yaml(&yaml, context.rules, &ValidationOptions::default()),
        yaml,
    })
}

fn sorted(fields: &[String]) -> Vec<String> {
    let mut fields = fields.to_vec();
    fields.sort();
    fields
}

fn append_item(rule: &str, definition: ExceptionDefinition) -> RuleExceptions {
    RuleExceptions {
        rule: rule.to_string(),
        exceptions: vec![definition],
        override_keys: Some(OverrideKeys { exceptions: OverrideMode::Append }),
        append: None,
    }
}

/// A new list-form exception with one value tuple.
fn new_definition(name: String, chosen: &[&Candidate]) -> ExceptionDefinition {
    let tuple = chosen
        .iter()
        .map(|candidate| match &candidate.comparison.operand {
            Operand::One(value) => ExceptionValue::Scalar(ExceptionScalar::from(value.as_str())),
            Operand::Set(values) => {
                ExceptionValue::List(values.iter().map(|value| ExceptionScalar::from(value.as_str())).collect())
            }
            Operand::Nothing => ExceptionValue::Scalar(ExceptionScalar::from("")),
        })
        .collect();
    ExceptionDefinition {
        name,
        fields: Some(ExceptionFields::List(chosen.iter().map(|candidate| candidate.spec.field.to_string()).collect())),
        comps: Some(ExceptionComps::List(
            chosen.iter().map(|candidate| candidate.comparison.comparator.to_string()).collect(),
        )),
        values: vec![ExceptionValues::Tuple(tuple)],
    }
}
