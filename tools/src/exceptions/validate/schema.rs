//! Layer 2: structure against JSON Schemas, with Falco's weak scalar typing. Falco validates the
//! yaml-cpp node tree with valijson in weak-types mode: every scalar is text and text that reads
//! as a number or boolean satisfies `integer`/`number`/`boolean`. This module mirrors that by
//! turning every scalar of the instance into text and widening each non-string `type` of the
//! schema to also accept text of the right spelling (a `pattern`, which applies to strings
//! only). Findings are mapped back to the node (and so the line) they are about, with what the
//! schema allows there.

use std::path::Path;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::{Map, Value};

use super::node::Node;
use crate::exceptions::RuleExceptions;

const BOOLEAN_TEXT: &str = "^(true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$";
const INTEGER_TEXT: &str = "^[-+]?[0-9]+$";
const NUMBER_TEXT: &str = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$";

/// A compiled schema that validates weakly, as Falco does.
pub(crate) struct WeakSchema {
    schema: Value,
    validator: jsonschema::Validator,
}

/// One mismatch, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaFinding {
    /// Pointer to the instance node it is about.
    pub pointer: String,
    /// The key it is about, when the problem is an unexpected key of a mapping at `pointer`.
    pub unexpected_key: Option<String>,
    /// True for a missing required key (not reported inside text a syntax error cut).
    pub missing_key: bool,
    /// What is wrong.
    pub message: String,
    /// What the schema allows there.
    pub allowed: String,
}

impl WeakSchema {
    /// Compiles `schema` with weak scalar typing.
    pub fn compile(mut schema: Value) -> Result<WeakSchema, String> {
        widen_types(&mut schema);
        let validator =
            jsonschema::validator_for(&schema).map_err(|error| format!("not a valid JSON Schema: {error}"))?;
        Ok(WeakSchema { schema, validator })
    }

    /// The mismatches of `instance` (scalars as text, as [`Node::weak_json`] gives them).
    pub fn check(&self, instance: &Value, tree: &Node) -> Vec<SchemaFinding> {
        let mut findings = Vec::new();
        for error in self.validator.iter_errors(instance) {
            let pointer = error.instance_path().to_string();
            let schema_pointer = error.schema_path().to_string();
            let parent = parent_pointer(&schema_pointer);
            let found = tree.find(&pointer).map_or("nothing", Node::kind_name);
            match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for key in unexpected {
                        findings.push(SchemaFinding {
                            pointer: pointer.clone(),
                            unexpected_key: Some(key.clone()),
                            missing_key: false,
                            message: format!("unexpected key `{key}`"),
                            allowed: format!("keys allowed here: {}", self.keys_at(parent)),
                        });
                    }
                }
                ValidationErrorKind::Required { property } => {
                    let key = property.as_str().unwrap_or_default();
                    findings.push(SchemaFinding {
                        pointer,
                        unexpected_key: None,
                        missing_key: true,
                        message: format!("missing required key `{key}`"),
                        allowed: format!("keys allowed here: {}", self.keys_at(parent)),
                    });
                }
                ValidationErrorKind::Type { kind } => findings.push(SchemaFinding {
                    pointer,
                    unexpected_key: None,
                    missing_key: false,
                    message: format!("expected {}, found {found}", type_names(kind)),
                    allowed: self.description_at(parent),
                }),
                ValidationErrorKind::Enum { options } => findings.push(SchemaFinding {
                    message: format!("{} is not one of the allowed values", quoted(error.instance())),
                    allowed: options
                        .as_array()
                        .map(|values| values.iter().map(plain).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default(),
                    pointer,
                    unexpected_key: None,
                    missing_key: false,
                }),
                ValidationErrorKind::Pattern { pattern } => findings.push(SchemaFinding {
                    message: format!("{} is not {}", quoted(error.instance()), pattern_meaning(pattern)),
                    allowed: self.description_at(parent),
                    pointer,
                    unexpected_key: None,
                    missing_key: false,
                }),
                ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
                    findings.push(SchemaFinding {
                        message: format!("{found} does not match any accepted form"),
                        allowed: self.alternatives_at(&schema_pointer),
                        pointer,
                        unexpected_key: None,
                        missing_key: false,
                    });
                }
                ValidationErrorKind::MinProperties { limit } => findings.push(SchemaFinding {
                    message: format!("the mapping must have at least {limit} key(s)"),
                    allowed: format!("keys allowed here: {}", self.keys_at(parent)),
                    pointer,
                    unexpected_key: None,
                    missing_key: true,
                }),
                _ => {
                    let mut message = error.to_string();
                    if message.len() > 200 {
                        let cut = (0..=200).rev().find(|&position| message.is_char_boundary(position)).unwrap_or(0);
                        message.truncate(cut);
                        message.push_str("...");
                    }
                    findings.push(SchemaFinding {
                        pointer,
                        unexpected_key: None,
                        missing_key: false,
                        message: lowercase_first(&message),
                        allowed: self.description_at(parent),
                    });
                }
            }
        }
        findings
    }

    fn subschema(&self, pointer: &str) -> Option<&Value> {
        let resolved = self.schema.pointer(pointer)?;
        match resolved.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.schema.pointer(reference.strip_prefix('#')?),
            None => Some(resolved),
        }
    }

    /// `name (required), fields, comps, values` for the object schema at `pointer`.
    fn keys_at(&self, pointer: &str) -> String {
        let Some(schema) = self.subschema(pointer) else {
            return String::new();
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .keys()
                    .map(|key| if required.contains(&key.as_str()) { format!("{key} (required)") } else { key.clone() })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }

    fn description_at(&self, pointer: &str) -> String {
        self.subschema(pointer).map(describe_schema).unwrap_or_default()
    }

    fn alternatives_at(&self, pointer: &str) -> String {
        match self.schema.pointer(pointer).and_then(Value::as_array) {
            Some(alternatives) => self.describe_alternatives(alternatives, 0).join("; or "),
            None => self.description_at(parent_pointer(pointer)),
        }
    }

    /// One description per accepted form; `$ref`s to unions are expanded, `null` (an optional
    /// key) left out.
    fn describe_alternatives(&self, alternatives: &[Value], depth: usize) -> Vec<String> {
        let mut described = Vec::new();
        for alternative in alternatives {
            if alternative.get("type").and_then(Value::as_str) == Some("null") {
                continue;
            }
            let target = alternative
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| reference.strip_prefix('#'))
                .and_then(|reference| self.schema.pointer(reference));
            let union = target.and_then(|target| target.get("anyOf").or_else(|| target.get("oneOf")));
            match (alternative.get("description"), union) {
                (None, Some(Value::Array(inner))) if depth < 4 => {
                    described.extend(self.describe_alternatives(inner, depth + 1));
                }
                (Some(_), _) | (None, _) => {
                    let text = describe_schema(if alternative.get("description").is_some() {
                        alternative
                    } else {
                        target.unwrap_or(alternative)
                    });
                    if !text.is_empty() {
                        described.push(text);
                    }
                }
            }
        }
        described
    }
}

/// Saker's exception model (`RuleExceptions`) as a weak schema, compiled once.
pub(crate) fn project_schema() -> Result<&'static WeakSchema, String> {
    static SCHEMA: OnceLock<Result<WeakSchema, String>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let schema = serde_json::to_value(schemars::schema_for!(RuleExceptions))
                .map_err(|error| format!("the project schema does not serialise: {error}"))?;
            WeakSchema::compile(schema)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Why Falco's schema could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FalcoSchemaUnavailable {
    /// No path was given.
    NotConfigured,
    /// The file is not there or not readable.
    Missing(String),
    /// The file is not a JSON Schema.
    Invalid(String),
}

/// Loads Falco's rules schema (`rule_schema.json`) from `path`.
pub(crate) fn falco_schema(path: Option<&Path>) -> Result<WeakSchema, FalcoSchemaUnavailable> {
    let path = path.ok_or(FalcoSchemaUnavailable::NotConfigured)?;
    let text = std::fs::read_to_string(path)
        .map_err(|error| FalcoSchemaUnavailable::Missing(format!("{}: {error}", path.display())))?;
    let schema: Value = serde_json::from_str(&text)
        .map_err(|error| FalcoSchemaUnavailable::Invalid(format!("{}: not JSON: {error}", path.display())))?;
    WeakSchema::compile(schema).map_err(|error| FalcoSchemaUnavailable::Invalid(format!("{}: {error}", path.display())))
}

/// Widens every non-string `type` to also accept text spelled as that type, recursively.
fn widen_types(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            widen_object(object);
            for value in object.values_mut() {
                widen_types(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(widen_types),
        _ => {}
    }
}

fn widen_object(object: &mut Map<String, Value>) {
    let types: Vec<String> = match object.get("type") {
        Some(Value::String(name)) => vec![name.clone()],
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return,
    };
    if types.iter().any(|name| name == "string") || object.contains_key("pattern") {
        return;
    }
    let patterns: Vec<&str> = types
        .iter()
        .filter_map(|name| match name.as_str() {
            "boolean" => Some(BOOLEAN_TEXT),
            "integer" => Some(INTEGER_TEXT),
            "number" => Some(NUMBER_TEXT),
            _ => None,
        })
        .collect();
    if patterns.is_empty() {
        return;
    }
    let pattern = if patterns.len() == 1 {
        patterns[0].to_string()
    } else {
        patterns.iter().map(|pattern| format!("({pattern})")).collect::<Vec<_>>().join("|")
    };
    let mut widened: Vec<Value> = types.iter().cloned().map(Value::String).collect();
    widened.push(Value::String("string".to_string()));
    object.insert("type".to_string(), Value::Array(widened));
    object.insert("pattern".to_string(), Value::String(pattern));
    if let Some(Value::Array(options)) = object.get_mut("enum") {
        let texts: Vec<Value> =
            options.iter().filter(|option| !option.is_string()).map(|option| Value::String(plain(option))).collect();
        options.extend(texts);
    }
}

fn parent_pointer(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn describe_schema(schema: &Value) -> String {
    if let Some(description) = schema.get("description").and_then(Value::as_str) {
        let one_line = description.split_whitespace().collect::<Vec<_>>().join(" ");
        return lowercase_first(one_line.trim_end_matches('.'));
    }
    if let Some(title) = schema.get("title").and_then(Value::as_str) {
        return title.to_string();
    }
    let in_words = |name: &str| match name {
        "array" => "a list".to_string(),
        "object" => "a mapping".to_string(),
        "null" => "null".to_string(),
        "integer" => "an integer".to_string(),
        other => format!("a {other}"),
    };
    match schema.get("type") {
        Some(Value::String(name)) => in_words(name),
        Some(Value::Array(names)) => {
            names.iter().filter_map(Value::as_str).map(in_words).collect::<Vec<_>>().join(" or ")
        }
        _ => String::new(),
    }
}

fn type_names(kind: &TypeKind) -> String {
    let article = |name: String| match name.as_str() {
        "array" => "a list".to_string(),
        "object" => "a mapping".to_string(),
        "integer" => "an integer".to_string(),
        "null" => "null".to_string(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(name) => article(name.to_string()),
        TypeKind::Multiple(names) => {
            names.into_iter().map(|name| article(name.to_string())).collect::<Vec<_>>().join(" or ")
        }
    }
}

fn pattern_meaning(pattern: &str) -> &'static str {
    match pattern {
        BOOLEAN_TEXT => "a boolean (true or false)",
        INTEGER_TEXT => "an integer",
        NUMBER_TEXT => "a number",
        _ => "of the expected form",
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn quoted(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        other => other.to_string(),
    }
}

fn lowercase_first(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// The pointer of a key's own node (for an unexpected key, the key's line).
pub(crate) fn key_node<'tree>(tree: &'tree Node, pointer: &str, key: &str) -> Option<&'tree Node> {
    let parent = tree.find(pointer)?;
    parent.entry(key).map(|entry| &entry.key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exceptions::validate::node::from_json;

    #[test]
    fn weak_typing_accepts_text_spelled_as_the_type() {
        let schema = WeakSchema::compile(serde_json::json!({
            "type": "object",
            "properties": {"enabled": {"type": "boolean"}, "count": {"type": "integer"}, "name": {"type": "string"}},
            "additionalProperties": false
        }))
        .expect("schema");
        let good = serde_json::json!({"enabled": "true", "count": "15", "name": "15"});
        assert!(schema.check(&good, &from_json(&good)).is_empty());
        let bad = serde_json::json!({"enabled": "maybe", "count": "x", "other": "1"});
        let findings = schema.check(&bad, &from_json(&bad));
        let messages: Vec<&str> = findings.iter().map(|finding| finding.message.as_str()).collect();
        assert!(messages.contains(&"'maybe' is not a boolean (true or false)"), "{messages:?}");
        assert!(messages.contains(&"'x' is not an integer"), "{messages:?}");
        assert!(messages.contains(&"unexpected key `other`"), "{messages:?}");
    }

    #[test]
    fn the_project_schema_names_allowed_keys_and_forms() {
        let schema = project_schema().expect("project schema");
        let instance = serde_json::json!({"rule": "x", "exceptions": [{"fields": {"a": "b"}, "ops": "x"}]});
        let findings = schema.check(&instance, &from_json(&instance));
        let missing = findings.iter().find(|finding| finding.missing_key).expect("missing name");
        assert_eq!(missing.pointer, "/exceptions/0");
        assert!(missing.allowed.contains("name (required)"), "{}", missing.allowed);
        let unexpected = findings.iter().find(|finding| finding.unexpected_key.is_some()).expect("ops");
        assert_eq!(unexpected.unexpected_key.as_deref(), Some("ops"));
        let form = findings.iter().find(|finding| finding.pointer == "/exceptions/0/fields").expect("fields form");
        assert!(form.allowed.contains("list form"), "{}", form.allowed);
    }
}
