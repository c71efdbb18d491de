//! What validation reports: each problem with its layer, place, item, what is wrong and what is
//! allowed; which layers ran; which rules were checked.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::FalcoVersion;

/// The layers of validation, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// 1. The text is YAML.
    YamlSyntax,
    /// 2a. Items carrying exceptions fit Saker's exception model (its JSON Schema).
    ProjectSchema,
    /// 2b. The items fit Falco's official rules schema (Falco only warns on mismatches).
    FalcoSchema,
    /// 3. Falco's rules about exceptions, overrides, operators, fields and values.
    FalcoSemantics,
}

impl Layer {
    /// The layer's name as printed (`yaml syntax`).
    pub fn label(self) -> &'static str {
        match self {
            Layer::YamlSyntax => "yaml syntax",
            Layer::ProjectSchema => "project schema",
            Layer::FalcoSchema => "falco schema",
            Layer::FalcoSemantics => "falco semantics",
        }
    }
}

/// How serious a problem is, as Falco would treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Falco refuses the file (or the exception cannot be used as written).
    Error,
    /// Falco loads it, with a warning or with a meaning the author probably did not intend.
    Warning,
}

/// Which item of the input a problem is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProblemItem {
    /// What the top-level item is: `rule`, `macro`, `list`, `item` (none of those), or absent
    /// for the document as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The rule's (macro's, list's) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The exception's name, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// The exception's position in `exceptions:` (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception_index: Option<usize>,
    /// The position of the field (or of its comp, or of its item in a value tuple), 0-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_index: Option<usize>,
    /// The position of the value entry in `values:` (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_index: Option<usize>,
}

impl fmt::Display for ProblemItem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        match (&self.kind, &self.name) {
            (Some(kind), Some(name)) => parts.push(format!("{kind} {name:?}")),
            (Some(kind), None) => parts.push(kind.clone()),
            (None, _) => parts.push("document".to_string()),
        }
        match (&self.exception, self.exception_index) {
            (Some(name), Some(index)) => parts.push(format!("exception {name:?} (exceptions[{index}])")),
            (None, Some(index)) => parts.push(format!("exceptions[{index}]")),
            (Some(name), None) => parts.push(format!("exception {name:?}")),
            (None, None) => {}
        }
        match (self.value_index, self.field_index) {
            (Some(value), Some(field)) => parts.push(format!("values[{value}][{field}]")),
            (Some(value), None) => parts.push(format!("values[{value}]")),
            (None, Some(field)) => parts.push(format!("field {field}")),
            (None, None) => {}
        }
        formatter.write_str(&parts.join(", "))
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// The layer that found it.
    pub layer: Layer,
    /// Error or warning.
    pub severity: Severity,
    /// The 1-based line in the given text (absent for structured input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The 1-based column, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// JSON pointer to the place in the input (`/0/exceptions/1/comps/0`; for structured input
    /// relative to the object given).
    pub path: String,
    /// The item it is about.
    pub item: ProblemItem,
    /// What is wrong.
    pub message: String,
    /// What is allowed instead (empty when the message says it all).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub allowed: String,
}

impl Problem {
    /// `message (allowed: ...)`.
    pub fn message_with_allowed(&self) -> String {
        if self.allowed.is_empty() {
            self.message.clone()
        } else {
            format!("{} (allowed: {})", self.message, self.allowed)
        }
    }
}

/// Whether a layer ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LayerStatus {
    /// It ran on the whole input.
    Ran,
    /// It ran on part of the input (the text before a YAML syntax error).
    Partial,
    /// It did not run; the note says why and how to enable it.
    Skipped,
}

/// One layer and whether it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LayerRun {
    /// The layer.
    pub layer: Layer,
    /// Ran, partial or skipped.
    pub status: LayerStatus,
    /// Why it was skipped or partial, and how to run it fully.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The result of validating Falco exceptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ValidationReport {
    /// True when no layer found an error (warnings allowed).
    pub valid: bool,
    /// The errors, in the order of the input.
    pub problems: Vec<Problem>,
    /// The warnings, in the order of the input.
    pub warnings: Vec<Problem>,
    /// Every layer, with whether it ran.
    pub layers_run: Vec<LayerRun>,
    /// The rules whose exceptions were checked, in the order of the input.
    pub rules_checked: Vec<String>,
    /// The Falco release validated for.
    pub falco_version: FalcoVersion,
}
