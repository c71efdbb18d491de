//! `explain_event`: what a rule looks for and why an alert fired: the loaded rule's
//! description, condition and output, the alert's field values the condition (and the macros
//! it uses) looked at, priority, tags, MITRE names, and the legitimate situations that
//! commonly trigger it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::benign_notes::notes_for;
use super::common::{AlertSummary, dimension_scope, excerpt};
use super::condition_refs::{is_allow_list_name, references};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::{Alert, field_value_text};
use crate::mitre;
use crate::rules::{ExceptionValue, Rule, RulesCatalog};
use crate::scope::Dimension;
use crate::store::{AlertFilter, SearchOrder};

/// The tool.
pub struct ExplainEvent;

/// Arguments of `explain_event`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct ExplainEventArgs {
    /// The alert to explain (an id from `search_events`).
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub alert_id: Option<String>,
    /// Or a rule name, explained with its newest alert in the window as the example.
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub rule: Option<String>,
    /// Or words pasted from an alert (a command line, a path, an address): the newest alert in
    /// the window that they find (full text, as `search_events` searches) is explained, so "why
    /// did Falco flag `cat /proc/1/environ`" needs no id. With `rule`, only that rule's alerts.
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_QUERY_CHARS))]
    pub query: Option<String>,
    /// With `rule` or `query`: which alerts to count and take the example from.
    #[serde(flatten)]
    pub window: Window,
}

/// Output of `explain_event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExplainEventOutput {
    /// The alert (by id), or the rule's alerts in the window.
    pub evidence: Evidence,
    /// The rule.
    pub rule: String,
    /// The alert explained: the one asked for, or the rule's newest in the window.
    pub alert: Option<AlertSummary>,
    /// Whether the rule is in the loaded rules files.
    pub rule_loaded: bool,
    /// Why something is missing (rule not loaded, no example alert).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The rule's description, from the loaded rules files.
    pub description: Option<String>,
    /// The rule's condition, from the loaded rules files.
    pub condition: Option<String>,
    /// The rule's output template, from the loaded rules files.
    pub output: Option<String>,
    /// Where the rule is defined (`file:line`).
    pub defined_at: Option<String>,
    /// Whether Falco evaluates the rule (false: it fires only where someone enabled it).
    pub enabled: Option<bool>,
    /// Priority (the alert's, else the rule's).
    pub priority: String,
    /// Tags (the alert's, else the rule's).
    pub tags: Vec<String>,
    /// MITRE tactics from the tags, with names.
    pub tactics: Vec<MitreName>,
    /// MITRE techniques from the tags, with names.
    pub techniques: Vec<MitreName>,
    /// The alert's values of the fields the condition and its macros refer to.
    pub matched_fields: Vec<MatchedField>,
    /// The macros the condition uses (expanded two levels), with their conditions shortened.
    pub macros: Vec<MacroUse>,
    /// Legitimate situations that commonly trigger the rule: from the rule's allow-list macros,
    /// lists and exceptions, and from Saker's own notes.
    pub benign_cases: Vec<BenignCase>,
    /// For a rule's alerts: the other command lines among its newest
    /// [`COMMAND_LINES_READ`] alerts in the window, newest first, at most
    /// [`COMMAND_LINES_LISTED`]: what else the rule caught besides the alert explained.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_command_lines: Vec<String>,
}

/// Newest alerts of a rule read for its other command lines.
pub const COMMAND_LINES_READ: usize = 50;
/// Other command lines listed.
pub const COMMAND_LINES_LISTED: usize = 5;

/// A MITRE ID and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MitreName {
    /// `TA0007`, `T1059.004`.
    pub id: String,
    /// Its ATT&CK name (empty when unknown).
    pub name: String,
}

/// One field value the rule looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MatchedField {
    /// `proc.name`.
    pub field: String,
    /// The alert's value, e.g. `nmap`.
    pub value: String,
    /// Where the field is referenced: `condition` or `macro NAME`.
    pub referenced_in: Vec<String>,
    /// Why the value matched, when visible: `in list network_tool_binaries`, `matches /dev/shm`.
    /// Absent: the condition looks at the field but no literal or list of it matches (often a
    /// negated or alternative branch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
    /// True when only allow-list macros refer to it: checked, and not excluded.
    pub allow_list_only: bool,
}

/// A macro the rule uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MacroUse {
    /// Its name.
    pub name: String,
    /// 1: used by the rule; 2: used by such a macro.
    pub depth: u8,
    /// Its condition (shortened).
    pub condition: String,
}

/// A legitimate situation that commonly triggers the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BenignCase {
    /// Where it comes from: `macro NAME`, `list NAME`, `exception NAME` or `saker notes`.
    pub source: String,
    /// The situation.
    pub text: String,
}

const MACRO_DEPTH: u8 = 2;
const CONDITION_CHARS: usize = 240;
const LIST_ITEMS_SHOWN: usize = 8;

impl Tool for ExplainEvent {
    const NAME: &'static str = "explain_event";
    type Args = ExplainEventArgs;
    type Output = ExplainEventOutput;

    fn description() -> &'static str {
        "Explains one Falco alert (alert_id, or the newest alert a full-text query such as a pasted \
         command line finds) or one rule (rule): the rule's description, condition and \
         output template from the loaded rules files, which of the alert's field values the condition \
         and its macros looked at (e.g. proc.name=nmap in list network_tool_binaries, fd.name=/dev/shm/x \
         matching /dev/shm), priority, tags, MITRE tactics and techniques with names, and the \
         legitimate situations that commonly trigger it (from the rule's allow-list macros, lists and \
         exceptions, and Saker's notes). Use it for 'what does this alert mean' and 'is this a false \
         positive'."
    }

    fn call(context: &ToolContext<'_>, args: ExplainEventArgs) -> Result<ExplainEventOutput, ToolError> {
        let query = args.query.as_deref().map(str::trim).filter(|query| !query.is_empty());
        if let (None, Some(query)) = (&args.alert_id, query) {
            return explain_found(context, &args, query);
        }
        let (alert, rule_name, evidence) = match (&args.alert_id, &args.rule) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ToolError::InvalidArguments {
                    tool: Self::NAME,
                    problems: "give exactly one of alert_id, rule or query (query may go with rule)".to_string(),
                });
            }
            (Some(_), None) if query.is_some() => {
                return Err(ToolError::InvalidArguments {
                    tool: Self::NAME,
                    problems: "give alert_id alone: an alert id names one alert, a query would not narrow it"
                        .to_string(),
                });
            }
            (Some(id), None) => {
                let alert = context
                    .store
                    .get(std::slice::from_ref(id))?
                    .into_iter()
                    .find(|alert| context.base_scope.matches(alert))
                    .ok_or_else(|| {
                        ToolError::NotFound(format!("alert id {id:?} (not in the store or the current scope)"))
                    })?;
                let evidence = one_alert_evidence(context, id);
                let rule = alert.rule.clone();
                (Some(alert), rule, evidence)
            }
            (None, Some(rule)) => {
                let window = args.window.filter(context)?;
                let filter = AlertFilter {
                    scope: window.scope.and(&dimension_scope(Dimension::Rule, vec![rule.clone()])),
                    time: window.time,
                };
                let evidence = Evidence::of(context.store, &filter)?;
                if evidence.count == 0 && context.rules.rule(rule).is_none() {
                    return Err(ToolError::NotFound(format!(
                        "rule {rule:?}: not in the loaded rules files and no alert in scope has it"
                    )));
                }
                let newest = context.store.search(&filter, None, SearchOrder::NewestFirst, 0, COMMAND_LINES_READ)?;
                let others = other_command_lines(&newest.alerts);
                let mut explained = explain(context.rules, newest.alerts.first(), rule.clone(), evidence);
                explained.other_command_lines = others;
                return Ok(explained);
            }
        };
        Ok(explain(context.rules, alert.as_ref(), rule_name, evidence))
    }
}

/// The distinct command lines of `alerts` (newest first) after the first alert's own.
fn other_command_lines(alerts: &[Alert]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let first = alerts.first().and_then(|alert| alert.dimensions.process.cmdline.clone());
    for alert in alerts {
        let Some(cmdline) = &alert.dimensions.process.cmdline else { continue };
        if Some(cmdline) != first.as_ref() && !seen.contains(cmdline) {
            seen.push(cmdline.clone());
            if seen.len() == COMMAND_LINES_LISTED {
                break;
            }
        }
    }
    seen
}

/// The evidence of one alert: its id within the analyst's scope.
fn one_alert_evidence(context: &ToolContext<'_>, id: &str) -> Evidence {
    let filter = AlertFilter {
        scope: context.base_scope.and(&dimension_scope(Dimension::Id, vec![id.to_string()])),
        ..Default::default()
    };
    Evidence::with_count(&filter, 1, vec![id.to_string()])
}

/// Explains the newest alert in the window (of `args.rule` when given) that `query` finds.
fn explain_found(
    context: &ToolContext<'_>,
    args: &ExplainEventArgs,
    query: &str,
) -> Result<ExplainEventOutput, ToolError> {
    let window = args.window.filter(context)?;
    let scope = match &args.rule {
        Some(rule) => window.scope.and(&dimension_scope(Dimension::Rule, vec![rule.clone()])),
        None => window.scope,
    };
    let filter = AlertFilter { scope, time: window.time };
    let newest = context.store.search(&filter, Some(query), SearchOrder::NewestFirst, 0, 1)?;
    let Some(alert) = newest.alerts.into_iter().next() else {
        return Err(ToolError::NotFound(format!("an alert matching {query:?} (none in the current scope and time)")));
    };
    let evidence = one_alert_evidence(context, &alert.id);
    let rule = alert.rule.clone();
    Ok(explain(context.rules, Some(&alert), rule, evidence))
}

fn explain(catalog: &RulesCatalog, alert: Option<&Alert>, rule_name: String, evidence: Evidence) -> ExplainEventOutput {
    let rule = catalog.rule(&rule_name);
    let tags: Vec<String> =
        alert.map(|alert| alert.tags.clone()).or_else(|| rule.map(|rule| rule.tags.clone())).unwrap_or_default();
    let priority = alert
        .map(|alert| alert.priority.as_str().to_string())
        .or_else(|| rule.map(|rule| rule.priority.as_str().to_string()))
        .unwrap_or_default();
    let (tactic_ids, technique_ids) = mitre::ids_from_tags(&tags);
    let tactics = tactic_ids
        .into_iter()
        .map(|id| MitreName { name: mitre::tactic(&id).map(|tactic| tactic.name.clone()).unwrap_or_default(), id })
        .collect();
    let techniques = technique_ids
        .into_iter()
        .map(|id| MitreName { name: mitre::technique(&id).map(mitre::Technique::full_name).unwrap_or_default(), id })
        .collect();
    let texts = rule.map(|rule| condition_texts(catalog, rule)).unwrap_or_default();
    let matched_fields = alert.map(|alert| matched_fields(catalog, alert, &texts)).unwrap_or_default();
    let macros = texts
        .iter()
        .filter_map(|text| {
            let name = text.macro_name.clone()?;
            Some(MacroUse { name, depth: text.depth, condition: excerpt(&text.condition, CONDITION_CHARS) })
        })
        .collect();
    let mut benign_cases = rule.map(|rule| derived_benign_cases(catalog, rule, &texts)).unwrap_or_default();
    benign_cases.extend(
        notes_for(&rule_name, &tags)
            .map(|note| BenignCase { source: "saker notes".to_string(), text: note.text.to_string() }),
    );
    let note = match (rule, alert) {
        (None, _) => Some(format!(
            "Rule {rule_name:?} is not in the loaded rules files, so its description and condition are not known here."
        )),
        (Some(_), None) => Some("No alert of this rule in the window, so no field values are shown.".to_string()),
        _ => None,
    };
    ExplainEventOutput {
        evidence,
        alert: alert.map(AlertSummary::of),
        rule_loaded: rule.is_some(),
        note,
        description: rule.map(|rule| rule.desc.trim().to_string()),
        condition: rule.map(|rule| rule.condition.trim().to_string()),
        output: rule.map(|rule| rule.output.trim().to_string()),
        defined_at: rule.map(|rule| format!("{}:{}", rule.file.display(), rule.line)),
        enabled: rule.map(|rule| rule.enabled),
        rule: rule_name,
        priority,
        tags,
        tactics,
        techniques,
        matched_fields,
        macros,
        benign_cases,
        other_command_lines: Vec::new(),
    }
}

/// A condition text: the rule's own (no macro name) or a macro's, with its depth.
#[derive(Debug, Clone)]
struct ConditionText {
    macro_name: Option<String>,
    depth: u8,
    condition: String,
}

/// The rule's condition and the macros it uses, breadth first, each macro once.
fn condition_texts(catalog: &RulesCatalog, rule: &Rule) -> Vec<ConditionText> {
    let mut texts = vec![ConditionText { macro_name: None, depth: 0, condition: rule.condition.clone() }];
    let mut index = 0;
    while index < texts.len() {
        let (depth, condition) = (texts[index].depth, texts[index].condition.clone());
        index += 1;
        if depth >= MACRO_DEPTH {
            continue;
        }
        for name in references(&condition).names {
            let seen = texts.iter().any(|text| text.macro_name.as_deref() == Some(name.as_str()));
            if let (false, Some(found)) = (seen, catalog.macro_named(&name)) {
                texts.push(ConditionText {
                    macro_name: Some(name),
                    depth: depth + 1,
                    condition: found.condition.clone(),
                });
            }
        }
    }
    texts
}

fn place(text: &ConditionText) -> String {
    text.macro_name.as_ref().map_or_else(|| "condition".to_string(), |name| format!("macro {name}"))
}

fn matched_fields(catalog: &RulesCatalog, alert: &Alert, texts: &[ConditionText]) -> Vec<MatchedField> {
    let mut matched: Vec<MatchedField> = Vec::new();
    let mut allow_only: Vec<bool> = Vec::new();
    for text in texts {
        let refs = references(&text.condition);
        let in_allow_list = text.macro_name.as_deref().is_some_and(is_allow_list_name);
        for field in &refs.fields {
            let Some(value) = field_value(alert, field) else {
                continue;
            };
            let matched_by = match_reason(catalog, &value, &refs.names, &refs.literals);
            match matched.iter().position(|entry| &entry.field == field) {
                Some(position) => {
                    matched[position].referenced_in.push(place(text));
                    allow_only[position] &= in_allow_list;
                    if matched[position].matched_by.is_none() {
                        matched[position].matched_by = matched_by;
                    }
                }
                None => {
                    matched.push(MatchedField {
                        field: field.clone(),
                        value,
                        referenced_in: vec![place(text)],
                        matched_by,
                        allow_list_only: false,
                    });
                    allow_only.push(in_allow_list);
                }
            }
        }
    }
    for (entry, only) in matched.iter_mut().zip(allow_only) {
        entry.allow_list_only = only;
    }
    // Values with a visible reason first; the rest were looked at without a visible match.
    matched.sort_by_key(|entry| (entry.matched_by.is_none(), entry.allow_list_only));
    matched
}

/// The alert's value of a condition field. Falco's `proc.exe` (the program as invoked) is
/// read from `proc.exepath` and `proc.args` from the command line when the alert lacks them.
fn field_value(alert: &Alert, field: &str) -> Option<String> {
    if let Some(value) = alert.output_fields.get(field).and_then(field_value_text) {
        return Some(value);
    }
    match field {
        "proc.exe" => alert.field_text("proc.exepath"),
        "proc.args" => {
            let cmdline = alert.field_text("proc.cmdline")?;
            cmdline.split_once(' ').map(|(_, args)| args.to_string())
        }
        _ => None,
    }
}

/// A visible reason a value matched: an item of a list the same text uses, or a literal of it.
fn match_reason(catalog: &RulesCatalog, value: &str, names: &[String], literals: &[String]) -> Option<String> {
    for name in names {
        if let Some(list) = catalog.list(name)
            && list_contains(catalog, &list.items, value)
        {
            return Some(format!("in list {name}"));
        }
    }
    let base = value.rsplit('/').next().unwrap_or(value);
    literals
        .iter()
        .chain(names)
        .find(|literal| {
            literal.as_str() == value
                || literal.as_str() == base
                || (literal.len() >= 3 && (value.starts_with(literal.as_str()) || value.ends_with(literal.as_str())))
        })
        .map(|literal| format!("matches {literal}"))
}

fn list_contains(catalog: &RulesCatalog, items: &[String], value: &str) -> bool {
    items.iter().any(|item| {
        let item = item.trim_matches('"');
        item == value
            || catalog
                .list(item)
                .is_some_and(|nested| nested.items.iter().any(|inner| inner.trim_matches('"') == value))
    })
}

/// Benign cases from the rule's allow-list macros and lists and its exceptions.
fn derived_benign_cases(catalog: &RulesCatalog, rule: &Rule, texts: &[ConditionText]) -> Vec<BenignCase> {
    let mut cases = Vec::new();
    let mut seen_lists: Vec<String> = Vec::new();
    for text in texts {
        if let Some(name) = text.macro_name.as_deref().filter(|name| is_allow_list_name(name)) {
            let condition = text.condition.trim();
            let body = if condition.contains("never_true") && condition.len() < 40 {
                "an allow-list hook for known legitimate use; empty in the loaded rules (never_true), so nothing is \
                 excluded yet"
                    .to_string()
            } else {
                format!("alerts are not raised when `{}`", excerpt(condition, CONDITION_CHARS))
            };
            cases.push(BenignCase {
                source: format!("macro {name}"),
                text: format!("Derived from the rule's macro {name}: {body}."),
            });
        }
        for name in references(&text.condition).names {
            if !is_allow_list_name(&name) || seen_lists.contains(&name) {
                continue;
            }
            if let Some(list) = catalog.list(&name) {
                seen_lists.push(name.clone());
                let shown: Vec<&str> = list.items.iter().take(LIST_ITEMS_SHOWN).map(String::as_str).collect();
                let more = list.items.len().saturating_sub(LIST_ITEMS_SHOWN);
                let items = if list.items.is_empty() {
                    "empty in the loaded rules".to_string()
                } else if more > 0 {
                    format!("{} and {more} more", shown.join(", "))
                } else {
                    shown.join(", ")
                };
                cases.push(BenignCase {
                    source: format!("list {name}"),
                    text: format!(
                        "Derived from the rule's list {name}, whose entries are treated as expected: {items}."
                    ),
                });
            }
        }
    }
    for exception in &rule.exceptions {
        let tuples: Vec<String> = exception
            .values
            .iter()
            .take(LIST_ITEMS_SHOWN)
            .map(|tuple| tuple.iter().map(exception_value).collect::<Vec<_>>().join(", "))
            .collect();
        let values = if tuples.is_empty() { "no values yet".to_string() } else { format!("[{}]", tuples.join("; ")) };
        cases.push(BenignCase {
            source: format!("exception {}", exception.name),
            text: format!(
                "Derived from the rule's exception {}: alerts are not raised when ({}) match {values}.",
                exception.name,
                exception.fields.join(", ")
            ),
        });
    }
    cases
}

fn exception_value(value: &ExceptionValue) -> String {
    match value {
        ExceptionValue::Scalar(text) => text.clone(),
        ExceptionValue::List(items) => format!("({})", items.join(", ")),
    }
}
