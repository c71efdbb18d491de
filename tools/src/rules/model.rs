//! The loaded form of rules, macros, lists and rule exceptions.

use std::path::PathBuf;

use serde::Serialize;

use crate::alert::Priority;

/// A Falco rule after every `append`/`override` in the loaded files has been applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// The rule's name, as it appears in alerts.
    pub name: String,
    /// The rule's description (the user's Falco text, read at run time).
    pub desc: String,
    /// The condition, with appends applied.
    pub condition: String,
    /// The output template.
    pub output: String,
    /// The priority alerts of this rule carry.
    pub priority: Priority,
    /// Tags, e.g. `maturity_stable`, `mitre_execution`, `T1059`.
    pub tags: Vec<String>,
    /// The event source (`syscall` when the file does not say).
    pub source: String,
    /// Whether Falco evaluates the rule.
    pub enabled: bool,
    /// The rule's exceptions.
    pub exceptions: Vec<RuleException>,
    /// The file that first defined the rule.
    pub file: PathBuf,
    /// The 1-based line of the definition in [`Rule::file`].
    pub line: usize,
}

/// One entry of a rule's `exceptions:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleException {
    /// The exception's name, unique within the rule.
    pub name: String,
    /// The fields compared, e.g. `[proc.name, fd.directory]`.
    pub fields: Vec<String>,
    /// One comparison operator per field (defaults applied: `=` in the list form, `in` in the
    /// single-field form).
    pub comps: Vec<String>,
    /// The value tuples; in the list form each has one item per field, in the single-field form
    /// each has exactly one scalar.
    pub values: Vec<Vec<ExceptionValue>>,
    /// Whether the file wrote `fields` as a scalar (the single-field form), so a rewrite keeps
    /// the same form.
    pub single_field: bool,
}

/// One item of an exception value tuple.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ExceptionValue {
    /// A scalar, e.g. `/usr/bin` or the name of a list.
    Scalar(String),
    /// A nested list, rendered by Falco as `(a, b, ...)`.
    List(Vec<String>),
}

/// A Falco macro: a named condition fragment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Macro {
    /// The macro's name.
    pub name: String,
    /// The condition, with appends applied.
    pub condition: String,
    /// The file that first defined it.
    pub file: PathBuf,
    /// The 1-based line of the definition.
    pub line: usize,
}

/// A Falco list: named values used in conditions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct List {
    /// The list's name.
    pub name: String,
    /// Its items, with appends applied.
    pub items: Vec<String>,
    /// The file that first defined it.
    pub file: PathBuf,
    /// The 1-based line of the definition.
    pub line: usize,
}
