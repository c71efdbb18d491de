//! Reading one top-level YAML item of a rules file into a typed rule, macro or list entry,
//! with errors that name the item and the key.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::ExceptionValue;
use crate::alert::Priority;

/// How an `override:` key changes the base definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OverrideOp {
    Append,
    Replace,
}

/// One item of a rules file, before it is applied to the catalog.
#[derive(Debug)]
pub(super) enum Item {
    Rule(RuleItem),
    Macro {
        name: String,
        condition: Option<String>,
        append: bool,
        overrides: BTreeMap<String, OverrideOp>,
    },
    List {
        name: String,
        items: Option<Vec<String>>,
        append: bool,
        overrides: BTreeMap<String, OverrideOp>,
    },
    RequiredEngineVersion(String),
    /// `required_plugin_versions` and other items Saker does not need.
    Ignored,
}

/// A `- rule:` item as written.
#[derive(Debug)]
pub(super) struct RuleItem {
    pub name: String,
    pub desc: Option<String>,
    pub condition: Option<String>,
    pub output: Option<String>,
    pub priority: Option<Priority>,
    pub tags: Option<Vec<String>>,
    pub source: Option<String>,
    pub enabled: Option<bool>,
    pub exceptions: Option<Vec<ExceptionItem>>,
    pub append: bool,
    pub overrides: BTreeMap<String, OverrideOp>,
}

/// An exception entry as written (fields and comps not yet defaulted).
#[derive(Debug)]
pub(super) struct ExceptionItem {
    pub name: String,
    pub fields: Option<Vec<String>>,
    pub single_field: bool,
    pub comps: Option<Vec<String>>,
    pub values: Option<Vec<RawTuple>>,
}

/// One entry of `values` as written; whether it must be a tuple or a scalar depends on the
/// exception's form, known only once an appended entry is matched to its base exception.
#[derive(Debug, Clone)]
pub(super) enum RawTuple {
    Scalar(String),
    Tuple(Vec<ExceptionValue>),
}

impl RawTuple {
    /// Converts `values` to tuples for an exception of the given form.
    pub(super) fn into_tuples(values: Vec<RawTuple>, single_field: bool) -> Result<Vec<Vec<ExceptionValue>>, String> {
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| match (value, single_field) {
                (RawTuple::Scalar(text), true) => Ok(vec![ExceptionValue::Scalar(text)]),
                (RawTuple::Tuple(_), true) => {
                    Err(format!("values[{index}] must be a scalar when fields is a single field"))
                }
                (RawTuple::Tuple(tuple), false) => Ok(tuple),
                (RawTuple::Scalar(_), false) => Err(format!("values[{index}] must be a list with one item per field")),
            })
            .collect()
    }
}

/// What an item is, for error messages (`rule "X"`, `macro "Y"`).
pub(super) fn describe(value: &Value) -> String {
    for kind in ["rule", "macro", "list"] {
        if let Some(name) = value.get(kind).and_then(Value::as_str) {
            return format!("{kind} {name:?}");
        }
    }
    "item".to_string()
}

/// Reads one top-level item; the error string says which key is wrong and what is allowed.
pub(super) fn read_item(value: &Value) -> Result<Item, String> {
    let Some(map) = value.as_object() else {
        return Err(format!("expected a mapping (rule, macro or list), found {}", kind_of(value)));
    };
    if map.contains_key("rule") {
        return read_rule(map).map(Item::Rule);
    }
    if map.contains_key("macro") {
        let name = required_string(map, "macro")?;
        let condition = optional_string(map, "condition")?;
        let (append, overrides) = read_append_and_overrides(map, &["condition"], &["condition"])?;
        return Ok(Item::Macro { name, condition, append, overrides });
    }
    if map.contains_key("list") {
        let name = required_string(map, "list")?;
        let items = optional_list(map, "items")?;
        let (append, overrides) = read_append_and_overrides(map, &["items"], &["items"])?;
        return Ok(Item::List { name, items, append, overrides });
    }
    if let Some(version) = map.get("required_engine_version") {
        return scalar_text(version)
            .map(Item::RequiredEngineVersion)
            .ok_or_else(|| "required_engine_version must be a version string".to_string());
    }
    if map.contains_key("required_plugin_versions") {
        return Ok(Item::Ignored);
    }
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    Err(format!(
        "unknown item with keys [{}]; allowed items: rule, macro, list, required_engine_version, required_plugin_versions",
        keys.join(", ")
    ))
}

/// Rule keys `override:` may append to (Falco's `decode_overrides`).
pub(crate) const RULE_APPENDABLE: [&str; 5] = ["condition", "output", "desc", "tags", "exceptions"];
/// Rule keys `override:` may replace.
pub(crate) const RULE_REPLACEABLE: [&str; 11] = [
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "exceptions",
    "enabled",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

fn read_rule(map: &Map<String, Value>) -> Result<RuleItem, String> {
    let priority = match optional_string(map, "priority")? {
        Some(text) => Some(text.parse::<Priority>().map_err(|error| format!("priority: {error}"))?),
        None => None,
    };
    let exceptions = match map.get("exceptions") {
        None | Some(Value::Null) => None,
        Some(Value::Array(entries)) => Some(entries.iter().map(read_exception).collect::<Result<Vec<_>, _>>()?),
        Some(other) => return Err(format!("exceptions must be a sequence, found {}", kind_of(other))),
    };
    let (append, overrides) = read_append_and_overrides(map, &RULE_APPENDABLE, &RULE_REPLACEABLE)?;
    Ok(RuleItem {
        name: required_string(map, "rule")?,
        desc: optional_string(map, "desc")?,
        condition: optional_string(map, "condition")?,
        output: optional_string(map, "output")?,
        priority,
        tags: optional_list(map, "tags")?,
        source: optional_string(map, "source")?,
        enabled: optional_bool(map, "enabled")?,
        exceptions,
        append,
        overrides,
    })
}

fn read_exception(value: &Value) -> Result<ExceptionItem, String> {
    let Some(map) = value.as_object() else {
        return Err(format!("each exception must be a mapping, found {}", kind_of(value)));
    };
    let name = required_string(map, "name").map_err(|error| format!("exception: {error}"))?;
    let context = |problem: String| format!("exception {name:?}: {problem}");
    let (fields, single_field) = match map.get("fields") {
        None | Some(Value::Null) => (None, false),
        Some(Value::Array(items)) => (Some(scalars(items, "fields").map_err(context)?), false),
        Some(other) => {
            let field = scalar_text(other).ok_or_else(|| context("fields must be a field name or a list".into()))?;
            (Some(vec![field]), true)
        }
    };
    let comps = match map.get("comps") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(scalars(items, "comps").map_err(context)?),
        Some(other) => {
            Some(vec![scalar_text(other).ok_or_else(|| context("comps must be an operator or a list".into()))?])
        }
    };
    let values = match map.get("values") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(read_values(items).map_err(context)?),
        Some(other) => return Err(context(format!("values must be a sequence, found {}", kind_of(other)))),
    };
    Ok(ExceptionItem { name, fields, single_field, comps, values })
}

fn read_values(items: &[Value]) -> Result<Vec<RawTuple>, String> {
    let mut tuples = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let tuple = match item {
            Value::Array(parts) => RawTuple::Tuple(
                parts
                    .iter()
                    .map(|part| match part {
                        Value::Array(nested) => scalars(nested, "values").map(ExceptionValue::List),
                        other => scalar_text(other).map(ExceptionValue::Scalar).ok_or_else(|| {
                            format!("values[{index}] holds {}, expected a scalar or a list", kind_of(other))
                        }),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            other => RawTuple::Scalar(
                scalar_text(other)
                    .ok_or_else(|| format!("values[{index}] holds {}, expected a scalar or a list", kind_of(other)))?,
            ),
        };
        tuples.push(tuple);
    }
    Ok(tuples)
}

fn read_append_and_overrides(
    map: &Map<String, Value>,
    appendable: &[&str],
    replaceable: &[&str],
) -> Result<(bool, BTreeMap<String, OverrideOp>), String> {
    let append = optional_bool(map, "append")?.unwrap_or(false);
    let mut overrides = BTreeMap::new();
    match map.get("override") {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (key, operation) in entries {
                let operation = match operation.as_str() {
                    Some("append") if appendable.contains(&key.as_str()) => OverrideOp::Append,
                    Some("replace") if replaceable.contains(&key.as_str()) => OverrideOp::Replace,
                    Some("append") => {
                        return Err(format!(
                            "override: key {key:?} cannot be appended to; appendable: {}",
                            appendable.join(", ")
                        ));
                    }
                    Some("replace") => {
                        return Err(format!(
                            "override: key {key:?} cannot be replaced; replaceable: {}",
                            replaceable.join(", ")
                        ));
                    }
                    _ => return Err(format!("override: {key:?} must be `append` or `replace`")),
                };
                if !map.contains_key(key) {
                    return Err(format!("override for {key:?} is given but {key:?} is not defined in the item"));
                }
                overrides.insert(key.clone(), operation);
            }
            if append && !overrides.is_empty() {
                return Err("`append: true` and `override` cannot be used together".to_string());
            }
        }
        Some(other) => {
            return Err(format!("override must be a mapping of key to append|replace, found {}", kind_of(other)));
        }
    }
    Ok((append, overrides))
}

fn required_string(map: &Map<String, Value>, key: &str) -> Result<String, String> {
    match optional_string(map, key)? {
        Some(text) if !text.trim().is_empty() => Ok(text),
        _ => Err(format!("{key} must be a non-empty name")),
    }
}

fn optional_string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            scalar_text(value).map(Some).ok_or_else(|| format!("{key} must be a string, found {}", kind_of(value)))
        }
    }
}

fn optional_bool(map: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(Value::String(text)) if text == "true" || text == "false" => Ok(Some(text == "true")),
        Some(other) => Err(format!("{key} must be true or false, found {other}")),
    }
}

fn optional_list(map: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => scalars(items, key).map(Some),
        Some(other) => Err(format!("{key} must be a list, found {}", kind_of(other))),
    }
}

fn scalars(items: &[Value], key: &str) -> Result<Vec<String>, String> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            scalar_text(item).ok_or_else(|| format!("{key}[{index}] must be a scalar, found {}", kind_of(item)))
        })
        .collect()
}

/// The text of a YAML scalar; numbers and booleans are read weakly, as Falco does.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}
