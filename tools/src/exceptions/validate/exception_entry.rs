//! Layer 3 for one exception: its keys (`ops` and other strays), `name`, the list form vs the
//! single-field form, `fields` (each a field of the rule's source, arguments as Falco reads
//! them), `comps` (defaults, length, operators for the target Falco, operator vs field type),
//! `values` (a sequence; tuples with one item per field in the list form, scalars in the
//! single-field form; nested lists only for list operators; no empty values; each value fitting
//! its field), and what appending to an existing exception may change (values only).

use std::collections::BTreeMap;

use super::falco_version::FalcoVersion;
use super::node::{Node, NodeKind};
use super::semantics::{Reporter, Semantics};
use super::suggest::closest_names;
use super::value_types::{operator_applies, value_fits};
use crate::exceptions::fields::{FieldProblem, ResolvedField};
use crate::exceptions::operators::{CompOperator, CompProblem, check_comp};
use crate::rules::Rule;

const EXCEPTION_KEYS: [&str; 4] = ["name", "fields", "comps", "values"];
const SINGLE_FIELD_COMPS: [&str; 3] = ["in", "pmatch", "intersects"];
const LIST_OPERATOR_HINT: &str = "a list operator: in, pmatch, intersects, or a string operator with a modifier such as startswith oneof (Falco 0.44.0)";

/// How the item's exceptions combine with the rule's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The item defines the rule and its exceptions.
    Define,
    /// `override: {exceptions: append}` or `append: true`.
    Append,
    /// `override: {exceptions: replace}`.
    Replace,
}

/// What the checks of one item's exceptions share.
pub(crate) struct EntryContext<'item> {
    pub mode: Mode,
    /// The loaded rule the item changes (append and replace modes).
    pub base: Option<&'item Rule>,
    pub rule_name: Option<&'item str>,
    pub source: &'item str,
    /// Whether the field catalog knows the source.
    pub check_fields: bool,
}

/// The form of an exception once read: what later appends to it must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    pub single: bool,
    pub fields: Vec<String>,
    pub comps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum EntryKind {
    Define,
    Replace,
    /// Appending values to an exception the rule already has.
    AppendValues(Shape),
    /// Appending a new exception to the rule.
    AppendNew,
    /// Appending, but there is no telling to what: the entry has no name, or the rule is not
    /// loaded (already reported), so what it must hold is unknown.
    AppendUnknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Single,
    List(usize),
}

/// One field as the comparisons see it: where it is written, and what it resolved to.
struct FieldSlot<'node> {
    text: String,
    node: Option<&'node Node>,
    resolved: Option<ResolvedField<'static>>,
}

/// Checks one entry of `exceptions:`; returns its name and shape when it defines one.
pub(crate) fn check_entry(
    semantics: &Semantics<'_>,
    reporter: &mut Reporter<'_, '_>,
    context: &EntryContext<'_>,
    entry: &Node,
    index: usize,
    earlier: &BTreeMap<String, Shape>,
) -> Option<(String, Shape)> {
    if !entry.is_mapping() {
        reporter.error(
            entry,
            format!("rule exception must be a mapping, but exceptions[{index}] is {}", entry.kind_name()),
            "`- name: ...` with fields, comps and values",
        );
        return None;
    }
    check_keys(reporter, entry);
    let name = read_name(reporter, entry);
    let kind = entry_kind(context, name.as_deref(), earlier);
    let version = semantics.options.falco_version;

    let (form, slots) = read_fields(semantics, reporter, context, entry, &kind, name.as_deref());
    let comps = read_comps(reporter, entry, &kind, form, &slots, version);
    if context.check_fields && !matches!(kind, EntryKind::AppendValues(_)) {
        for (slot, comp) in slots.iter().zip(&comps) {
            if let (Some(resolved), Some((comp, comp_node))) = (&slot.resolved, comp)
                && let Err((message, allowed)) = operator_applies(resolved, &slot.text, comp)
            {
                let place = comp_node.or(slot.node).unwrap_or(entry);
                reporter.error(place, message, allowed);
            }
        }
    }
    read_values(semantics, reporter, entry, &kind, form, &slots, &comps, version);

    let shape_comps: Vec<String> =
        comps.iter().map(|comp| comp.as_ref().map(|(comp, _)| comp.display()).unwrap_or_default()).collect();
    match (name, form, kind) {
        (Some(name), Some(form), EntryKind::Define | EntryKind::Replace | EntryKind::AppendNew) => Some((
            name,
            Shape {
                single: form == Form::Single,
                fields: slots.iter().map(|slot| slot.text.clone()).collect(),
                comps: shape_comps,
            },
        )),
        _ => None,
    }
}

fn check_keys(reporter: &mut Reporter<'_, '_>, entry: &Node) {
    let allowed = "name, fields, comps, values";
    for item in entry.entries() {
        let key = item.key_text();
        if EXCEPTION_KEYS.contains(&key) {
            continue;
        }
        let message = match key {
            "ops" => "`ops` is not an exception key; did you mean `comps`? Falco ignores `ops`, so this exception compares with the default comps (= for each field in the list form, in for a single field)".to_string(),
            "condition" => "`condition` is not an exception key: an exception has no condition, it compares fields with values; Falco ignores this key".to_string(),
            _ => match closest_names(key, EXCEPTION_KEYS, 1).first() {
                Some(close) => format!("`{key}` is not an exception key; did you mean `{close}`? Falco ignores it"),
                None => format!("`{key}` is not an exception key; Falco ignores it"),
            },
        };
        reporter.warning(&item.key, message, allowed);
    }
}

fn read_name(reporter: &mut Reporter<'_, '_>, entry: &Node) -> Option<String> {
    let Some(name) = entry.get("name") else {
        if !entry.truncated {
            reporter.error(
                entry,
                "item has no mapping for key 'name': every exception needs a name",
                "`name: <a name unique within the rule>`",
            );
        }
        return None;
    };
    match name.scalar() {
        Some(text) if text.trim().is_empty() => {
            reporter.error(
                name,
                "value must be non-empty: the exception's name is empty",
                "a name unique within the rule",
            );
            None
        }
        Some(text) => Some(text.to_string()),
        None => {
            reporter.error(
                name,
                format!("the exception's name must be a string, found {}", name.kind_name()),
                "a name unique within the rule",
            );
            None
        }
    }
}

fn entry_kind(context: &EntryContext<'_>, name: Option<&str>, earlier: &BTreeMap<String, Shape>) -> EntryKind {
    match context.mode {
        Mode::Define => EntryKind::Define,
        Mode::Replace => EntryKind::Replace,
        Mode::Append => {
            let Some(name) = name else {
                return EntryKind::AppendUnknown;
            };
            if context.base.is_none() && !earlier.contains_key(name) {
                return EntryKind::AppendUnknown;
            }
            if let Some(shape) = earlier.get(name) {
                return EntryKind::AppendValues(shape.clone());
            }
            let existing =
                context.base.and_then(|rule| rule.exceptions.iter().find(|exception| exception.name == name));
            match existing {
                Some(exception) => EntryKind::AppendValues(Shape {
                    single: exception.single_field,
                    fields: exception.fields.clone(),
                    comps: exception.comps.clone(),
                }),
                None => EntryKind::AppendNew,
            }
        }
    }
}

fn read_fields<'node>(
    semantics: &Semantics<'_>,
    reporter: &mut Reporter<'_, '_>,
    context: &EntryContext<'_>,
    entry: &'node Node,
    kind: &EntryKind,
    name: Option<&str>,
) -> (Option<Form>, Vec<FieldSlot<'node>>) {
    let rule = context.rule_name.map(|rule| format!(" of rule {rule:?}")).unwrap_or_default();
    if let EntryKind::AppendValues(shape) = kind {
        if let Some(fields) = entry.entry("fields") {
            reporter.error(
                &fields.key,
                format!(
                    "can not append exception fields to existing exception, only values: exception {:?}{rule} already compares [{}]",
                    name.unwrap_or_default(),
                    shape.fields.join(", ")
                ),
                "only `values` for an existing exception; to compare other fields, add an exception with a new name",
            );
        }
        let slots = shape
            .fields
            .iter()
            .map(|field| FieldSlot {
                text: field.clone(),
                node: None,
                resolved: semantics.fields.resolve(context.source, field).ok(),
            })
            .collect();
        let form = if shape.single { Form::Single } else { Form::List(shape.fields.len()) };
        return (Some(form), slots);
    }
    let Some(fields) = entry.get("fields").filter(|fields| !fields.is_null()) else {
        if !entry.truncated {
            match kind {
                EntryKind::Define | EntryKind::Replace => reporter.error(
                    entry,
                    "item has no mapping for key 'fields': an exception must say which fields it compares",
                    "`fields: [proc.name, fd.name]` (list form) or `fields: proc.name` (single-field form)",
                ),
                EntryKind::AppendNew => {
                    let existing: Vec<&str> = context
                        .base
                        .map(|rule| rule.exceptions.iter().map(|exception| exception.name.as_str()).collect())
                        .unwrap_or_default();
                    let allowed = if existing.is_empty() {
                        "a new exception needs fields, comps and values".to_string()
                    } else {
                        format!(
                            "a new exception needs fields, comps and values; to add values to an existing exception use its name: {}",
                            existing.join(", ")
                        )
                    };
                    reporter.error(
                        entry,
                        format!(
                            "rule exception must have fields property with a list of fields: {:?} is not an exception{rule}, so it is a new exception",
                            name.unwrap_or_default()
                        ),
                        allowed,
                    );
                }
                EntryKind::AppendValues(_) | EntryKind::AppendUnknown => {}
            }
        }
        return (None, Vec::new());
    };
    let written: Vec<(String, &Node)> = match &fields.kind {
        NodeKind::Scalar(scalar) => {
            if scalar.text.trim().is_empty() {
                reporter.error(fields, "value must be non-empty: fields is empty", "a field name, e.g. proc.name");
                return (None, Vec::new());
            }
            vec![(scalar.text.clone(), fields)]
        }
        NodeKind::Sequence(items) => {
            if items.is_empty() {
                reporter.error(
                    fields,
                    "rule exception item must have fields property with a list of fields: the list is empty",
                    "one or more field names, e.g. [proc.name, fd.name]",
                );
                return (None, Vec::new());
            }
            let mut written = Vec::new();
            for (position, item) in items.iter().enumerate() {
                match item.scalar() {
                    Some(text) if text.trim().is_empty() => reporter.error(
                        item,
                        format!("value must be non-empty: fields[{position}] is empty"),
                        "a field name",
                    ),
                    Some(text) => written.push((text.to_string(), item)),
                    None => reporter.error(
                        item,
                        format!("fields[{position}] must be a field name, found {}", item.kind_name()),
                        "a field name, e.g. proc.name",
                    ),
                }
            }
            if written.len() != items.len() {
                return (None, Vec::new());
            }
            written
        }
        _ => {
            reporter.error(
                fields,
                format!("fields must be a field name or a list of field names, found {}", fields.kind_name()),
                "`fields: [proc.name, fd.name]` (list form) or `fields: proc.name` (single-field form)",
            );
            return (None, Vec::new());
        }
    };
    let form = if matches!(fields.kind, NodeKind::Scalar(_)) { Form::Single } else { Form::List(written.len()) };
    let slots = written
        .into_iter()
        .map(|(text, node)| {
            let resolved = if context.check_fields {
                match semantics.fields.resolve(context.source, &text) {
                    Ok(resolved) => Some(resolved),
                    Err(problem) => {
                        report_field_problem(reporter, node, &text, context, problem);
                        None
                    }
                }
            } else {
                None
            };
            FieldSlot { text, node: Some(node), resolved }
        })
        .collect();
    (Some(form), slots)
}

fn report_field_problem(
    reporter: &mut Reporter<'_, '_>,
    node: &Node,
    text: &str,
    context: &EntryContext<'_>,
    problem: FieldProblem,
) {
    let source = context.source;
    let rule = context.rule_name.map(|rule| format!("rule {rule:?}")).unwrap_or_else(|| "the rule".to_string());
    let unsupported = format!("'{text}' is not a supported filter field");
    let (message, allowed) = match problem {
        FieldProblem::Unknown { suggestions, other_sources } => {
            let message = if other_sources.is_empty() {
                format!("{unsupported} for source {source}")
            } else {
                format!(
                    "{unsupported}: it is a field of source {}, and {rule} has source {source}",
                    other_sources.join(", ")
                )
            };
            let allowed = if suggestions.is_empty() {
                format!("a field of source {source} (falco --list={source})")
            } else {
                format!("closest fields of source {source}: {}", suggestions.join(", "))
            };
            (message, allowed)
        }
        FieldProblem::ArgumentNotAllowed { field } => (format!("{unsupported}: {field} takes no argument"), field),
        FieldProblem::ArgumentRequired { field, example } => {
            (format!("{unsupported}: {field} needs an argument"), example)
        }
        FieldProblem::IndexNotNumeric { field, argument } => {
            (format!("{unsupported}: the index of {field} must be a number, not '{argument}'"), format!("{field}[0]"))
        }
        FieldProblem::Transformer => (
            format!("{unsupported}: exception fields are plain field names, without transformers such as tolower()"),
            "a field name, e.g. proc.name".to_string(),
        ),
    };
    reporter.error(node, message, allowed);
}

type CompSlot<'node> = Option<(CompOperator, Option<&'node Node>)>;

fn read_comps<'node>(
    reporter: &mut Reporter<'_, '_>,
    entry: &'node Node,
    kind: &EntryKind,
    form: Option<Form>,
    slots: &[FieldSlot<'_>],
    version: FalcoVersion,
) -> Vec<CompSlot<'node>> {
    let comps_entry = entry.entry("comps").filter(|comps| !comps.value.is_null());
    if let EntryKind::AppendValues(shape) = kind {
        if let Some(comps) = entry.entry("comps") {
            reporter.error(
                &comps.key,
                "can not append exception comps to existing exception, only values",
                "only `values` for an existing exception; to compare differently, add an exception with a new name",
            );
        }
        return shape.comps.iter().map(|comp| check_comp(comp, version).ok().map(|comp| (comp, None))).collect();
    }
    let Some(comps_entry) = comps_entry else {
        return match form {
            Some(Form::Single) => vec![check_comp("in", version).ok().map(|comp| (comp, None))],
            Some(Form::List(count)) => {
                if *kind == EntryKind::Replace && !entry.truncated {
                    reporter.error(
                        entry,
                        "comps is missing: in replace mode Falco applies no comps default and does not validate the replacing exceptions",
                        format!("write comps explicitly, e.g. comps: [{}]", vec!["="; count].join(", ")),
                    );
                }
                (0..count).map(|_| check_comp("=", version).ok().map(|comp| (comp, None))).collect()
            }
            None => Vec::new(),
        };
    };
    let comps = &comps_entry.value;
    match (&comps.kind, form) {
        (NodeKind::Scalar(scalar), Some(Form::Single)) => {
            let written = scalar.text.trim();
            let single_allowed = SINGLE_FIELD_COMPS.contains(&written)
                || (written.split_whitespace().count() == 2 && check_comp(written, version).is_ok());
            if !single_allowed {
                let (message, allowed) = if version >= FalcoVersion::new(0, 44, 0) {
                    (
                        "when fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)",
                        "in, pmatch, intersects, or a string operator with oneof/anyof/allof; for other operators use the list form: fields: [f], comps: [op], values: [[v]]",
                    )
                } else {
                    (
                        "when fields is a single value, comps must be one of (in, pmatch, intersects)",
                        "in, pmatch, intersects; for other operators use the list form: fields: [f], comps: [op], values: [[v]]",
                    )
                };
                reporter.error(comps, format!("{message}, not '{written}'"), allowed);
                return vec![None];
            }
            vec![read_one_comp(reporter, comps, written, version)]
        }
        (NodeKind::Sequence(_), Some(Form::Single)) => {
            reporter.error(
                comps,
                "fields and comps must both be strings: fields is a single field, so comps is one operator",
                "in, pmatch or intersects (or write fields as a list to use a list of comps)",
            );
            vec![None]
        }
        (NodeKind::Scalar(_), Some(Form::List(count))) => {
            reporter.error(
                comps,
                "fields is a list, so comps must be a list with one operator per field",
                format!("comps: [{}]", vec!["="; count].join(", ")),
            );
            vec![None; count]
        }
        (NodeKind::Scalar(scalar), None) => vec![read_one_comp(reporter, comps, &scalar.text, version)],
        (NodeKind::Sequence(items), form) => {
            if let Some(Form::List(count)) = form
                && items.len() != count
                && !comps.truncated
            {
                reporter.error(
                    comps,
                    format!(
                        "fields and comps lists must have equal length: {count} field(s) [{}], {} comp(s)",
                        slots.iter().map(|slot| slot.text.as_str()).collect::<Vec<_>>().join(", "),
                        items.len()
                    ),
                    "one operator per field, in the same order",
                );
            }
            let mut read: Vec<CompSlot<'node>> = items
                .iter()
                .enumerate()
                .map(|(position, item)| match item.scalar() {
                    Some(text) if text.trim().is_empty() => {
                        reporter.error(
                            item,
                            format!("value must be non-empty: comps[{position}] is empty"),
                            "an operator, e.g. =",
                        );
                        None
                    }
                    Some(text) => read_one_comp(reporter, item, text, version),
                    None => {
                        reporter.error(
                            item,
                            format!("comps[{position}] must be an operator, found {}", item.kind_name()),
                            "an operator, e.g. = or startswith",
                        );
                        None
                    }
                })
                .collect();
            if let Some(Form::List(count)) = form {
                read.resize_with(count, || None);
            }
            read
        }
        _ => {
            reporter.error(
                comps,
                format!("comps must be an operator or a list of operators, found {}", comps.kind_name()),
                "`comps: [=, startswith]` (list form) or `comps: in` (single-field form)",
            );
            Vec::new()
        }
    }
}

fn read_one_comp<'node>(
    reporter: &mut Reporter<'_, '_>,
    node: &'node Node,
    written: &str,
    version: FalcoVersion,
) -> CompSlot<'node> {
    match check_comp(written, version) {
        Ok(comp) => Some((comp, Some(node))),
        Err(problem) => {
            let trimmed = written.trim();
            let (message, allowed) = match problem {
                CompProblem::Unknown { allowed } => {
                    (format!("'{trimmed}' is not a supported comparison operator"), allowed.join(", "))
                }
                CompProblem::NotForExceptions { operator } => (
                    format!(
                        "'{operator}' is not a supported comparison operator for exceptions: an exception always compares a field with a value"
                    ),
                    crate::exceptions::operators::allowed_comps(version).join(", "),
                ),
                CompProblem::TooNew { operator, introduced } => (
                    format!("'{operator}' needs Falco {introduced} or later (validating for {version})"),
                    crate::exceptions::operators::allowed_comps(version).join(", "),
                ),
                CompProblem::ModifierNotAllowed { operator, modifier, allowed } => (
                    format!("the modifier '{modifier}' does not combine with '{operator}'"),
                    format!("{modifier} after one of: {}", allowed.join(", ")),
                ),
            };
            reporter.error(node, message, allowed);
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn read_values(
    semantics: &Semantics<'_>,
    reporter: &mut Reporter<'_, '_>,
    entry: &Node,
    kind: &EntryKind,
    form: Option<Form>,
    slots: &[FieldSlot<'_>],
    comps: &[CompSlot<'_>],
    version: FalcoVersion,
) {
    let Some(values) = entry.get("values").filter(|values| !values.is_null()) else {
        if entry.truncated {
            return;
        }
        match kind {
            EntryKind::AppendNew => reporter.error(
                entry,
                "rule exception must have values property with a list of values: a new exception appended to a rule needs values",
                "values: - [v1, v2, ...] (one item per field)",
            ),
            EntryKind::AppendValues(_) if version >= FalcoVersion::STRICTER_EXCEPTIONS => reporter.warning(
                entry,
                "overriding/appending exception with no values: this entry adds nothing",
                "values: - [v1, v2, ...] (one item per field)",
            ),
            EntryKind::Define | EntryKind::Replace
                if version >= FalcoVersion::RULES_SCHEMA && version < FalcoVersion::VALUES_OPTIONAL_IN_SCHEMA =>
            {
                reporter.warning(
                    entry,
                    format!("Falco {version} gives a schema warning for an exception without values (its schema required values until 0.41.0)"),
                    "values: [] to declare the exception empty",
                )
            }
            _ => {}
        }
        return;
    };
    let Some(entries) = values.items() else {
        reporter.error(
            values,
            format!("rule exception values must be a sequence, found {}", values.kind_name()),
            "values: - [v1, v2, ...] (list form) or values: [v1, v2] (single-field form)",
        );
        return;
    };
    if entries.is_empty() && matches!(kind, EntryKind::AppendNew | EntryKind::AppendValues(_)) {
        reporter.warning(values, "values is empty: this entry adds nothing to the rule", "values: - [v1, v2, ...]");
    }
    for (position, value) in entries.iter().enumerate() {
        match form {
            Some(Form::Single) => {
                if value.scalar().is_none() {
                    reporter.error(
                        value,
                        format!(
                            "expected values array to contain a list of strings: in the single-field form each value is one string or list name, but values[{position}] is {}",
                            value.kind_name()
                        ),
                        "values: [v1, v2, list_name] (or write fields as a list for tuples)",
                    );
                    continue;
                }
                check_value(semantics, reporter, value, slots.first(), comps.first().and_then(Option::as_ref));
            }
            Some(Form::List(count)) => {
                let Some(items) = value.items() else {
                    reporter.error(
                        value,
                        format!(
                            "fields and values lists must have equal length: values[{position}] is {}, but the exception compares {count} field(s), so each value is a list of {count}",
                            value.kind_name()
                        ),
                        format!(
                            "values: - [{}]",
                            slots.iter().map(|slot| format!("<{}>", slot.text)).collect::<Vec<_>>().join(", ")
                        ),
                    );
                    continue;
                };
                if items.len() != count && !value.truncated {
                    reporter.error(
                        value,
                        format!(
                            "fields and values lists must have equal length: values[{position}] has {} item(s), fields has {count} [{}]",
                            items.len(),
                            slots.iter().map(|slot| slot.text.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        "one value per field, in the same order",
                    );
                }
                for (field_position, item) in items.iter().enumerate() {
                    let slot = slots.get(field_position);
                    let comp = comps.get(field_position).and_then(Option::as_ref);
                    match &item.kind {
                        NodeKind::Sequence(nested) => {
                            if let Some((comp, _)) = comp
                                && !comp.takes_list()
                            {
                                reporter.error(
                                    item,
                                    format!(
                                        "values[{position}][{field_position}] is a list, which only a list operator can compare, but its comp is '{}'",
                                        comp.display()
                                    ),
                                    LIST_OPERATOR_HINT,
                                );
                            }
                            for element in nested {
                                if element.scalar().is_none() {
                                    reporter.error(
                                        element,
                                        format!(
                                            "values[{position}][{field_position}] holds {}; a nested list holds strings only",
                                            element.kind_name()
                                        ),
                                        "[a, b, c]",
                                    );
                                    continue;
                                }
                                check_value(semantics, reporter, element, slot, comp);
                            }
                        }
                        NodeKind::Scalar(_) => check_value(semantics, reporter, item, slot, comp),
                        _ => reporter.error(
                            item,
                            format!(
                                "values[{position}][{field_position}] is {}; each item is a string or a list of strings",
                                item.kind_name()
                            ),
                            "a value, e.g. bash, or a list for list operators, e.g. [bash, sh]",
                        ),
                    }
                }
            }
            None => {}
        }
    }
}

fn check_value(
    semantics: &Semantics<'_>,
    reporter: &mut Reporter<'_, '_>,
    value: &Node,
    slot: Option<&FieldSlot<'_>>,
    comp: Option<&(CompOperator, Option<&Node>)>,
) {
    let Some(text) = value.scalar() else {
        return;
    };
    if text.is_empty() {
        reporter.error(
            value,
            "value must be non-empty",
            "a value; to match an empty field use a different operator or leave this exception out",
        );
        return;
    }
    if let (Some(FieldSlot { resolved: Some(resolved), text: field, .. }), Some((comp, _))) = (slot, comp)
        && let Err((message, allowed)) = value_fits(resolved, field, comp, text, &semantics.working)
    {
        reporter.error(value, message, allowed);
    }
}
