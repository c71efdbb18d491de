//! Validation of Falco exceptions, in layers, each problem naming its place:
//!
//! 1. YAML syntax (serde-saphyr; unquoted `=` in flow sequences reads as the string `=`, as in
//!    Falco's own files). After a syntax error the text before it is still checked.
//! 2. Structure against JSON Schemas, with Falco's weak scalar typing: (a) Saker's exception
//!    model (`RuleExceptions`, schemars) for items carrying exceptions; (b) Falco's official rules
//!    schema, loaded at run time from a path (mismatches are warnings, as in Falco).
//! 3. Falco's semantics (`exceptions.md` §2–4): forms, comps, values, operators for the target
//!    Falco, fields of the rule's source, value types, appends and overrides, the rule being
//!    loaded. Other items (lists, macros, rules) are loaded as Falco would, so a snippet may
//!    define what its exceptions use.
//!
//! Entry points: [`validate_yaml`] for text (a rules file or a snippet) and
//! [`validate_exception_value`] / [`validate_rule_exceptions`] for the structured item a language
//! model fills (problems located by JSON pointer).

mod exception_entry;
mod falco_version;
mod node;
mod report;
mod rule_item;
mod schema;
mod semantics;
mod sink;
mod suggest;
mod value_types;

use std::path::PathBuf;

use serde_json::Value;

pub use falco_version::{FalcoVersion, FalcoVersionError};
pub use report::{Layer, LayerRun, LayerStatus, Problem, ProblemItem, Severity, ValidationReport};
pub use suggest::closest_names;

use node::{Node, YamlSyntaxError, from_json, parse_yaml};
use schema::{FalcoSchemaUnavailable, SchemaFinding, WeakSchema, falco_schema, key_node, project_schema};
use semantics::{Reporter, Semantics, carries_exceptions};
use sink::{DocumentView, Place, Sink};

use crate::exceptions::RuleExceptions;
use crate::rules::RulesCatalog;

/// How to validate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The Falco release the exceptions are for (default: the newest Saker knows).
    pub falco_version: FalcoVersion,
    /// Falco's rules schema (`rule_schema.json`, the JSON inside Falco's
    /// `userspace/engine/rule_json_schema.h`); without it layer 2b is skipped.
    pub falco_schema: Option<PathBuf>,
}

/// Validates YAML text (a rules file or a snippet for `falco_rules.local.yaml`) against the
/// user's loaded rules.
pub fn validate_yaml(text: &str, catalog: &RulesCatalog, options: &ValidationOptions) -> ValidationReport {
    let mut sink = Sink::default();
    let mut layers = vec![ran(Layer::YamlSyntax)];
    let mut semantics = Semantics::new(catalog, options);
    match parse_yaml(text) {
        Ok(documents) => {
            check_documents(&mut sink, &mut layers, &mut semantics, &documents, None);
        }
        Err(error) => {
            report_syntax_error(&mut sink, text, &error);
            let prefix_lines = error.line.map_or(0, |line| line.saturating_sub(1));
            let prefix: String = text.lines().take(prefix_lines).collect::<Vec<_>>().join("\n");
            match parse_yaml(&prefix) {
                Ok(mut documents) if prefix_lines > 0 && !documents.is_empty() => {
                    if let Some(last) = documents.last_mut() {
                        last.mark_truncated_spine();
                    }
                    check_documents(&mut sink, &mut layers, &mut semantics, &documents, Some(prefix_lines));
                }
                _ => {
                    let note = "the text is not valid YAML: fix the syntax error first".to_string();
                    for layer in [Layer::ProjectSchema, Layer::FalcoSchema, Layer::FalcoSemantics] {
                        layers.push(LayerRun { layer, status: LayerStatus::Skipped, note: note.clone() });
                    }
                }
            }
        }
    }
    finish(sink, layers, semantics, options)
}

/// Validates the structured item a language model fills (`{"rule", "exceptions", "override"}`),
/// as JSON; problems are located by JSON pointer.
pub fn validate_exception_value(
    value: &Value,
    catalog: &RulesCatalog,
    options: &ValidationOptions,
) -> ValidationReport {
    let mut sink = Sink::default();
    let mut layers = vec![LayerRun {
        layer: Layer::YamlSyntax,
        status: LayerStatus::Skipped,
        note: "structured input: there is no YAML text to parse".to_string(),
    }];
    let tree = from_json(value);
    let view = DocumentView { root: &tree, root_is_item: true, index: 0 };
    match project_schema() {
        Ok(schema) => {
            layers.push(ran(Layer::ProjectSchema));
            for finding in schema.check(&tree.weak_json(), &tree) {
                report_finding(&mut sink, view, &tree, "", Layer::ProjectSchema, Severity::Error, finding);
            }
        }
        Err(problem) => layers.push(skipped(Layer::ProjectSchema, problem)),
    }
    if let Some(schema) = load_falco_schema(options, &mut layers) {
        let wrapped = Value::Array(vec![tree.weak_json()]);
        let wrapped_tree = from_json(&Value::Array(vec![value.clone()]));
        for mut finding in schema.check(&wrapped, &wrapped_tree) {
            finding.pointer = finding.pointer.strip_prefix("/0").unwrap_or(&finding.pointer).to_string();
            report_finding(&mut sink, view, &tree, "", Layer::FalcoSchema, Severity::Warning, finding);
        }
    }
    layers.push(ran(Layer::FalcoSemantics));
    let mut semantics = Semantics::new(catalog, options);
    let mut reporter = Reporter { sink: &mut sink, view };
    semantics.check_structured_item(&mut reporter, &tree);
    finish(sink, layers, semantics, options)
}

/// Validates a typed exceptions item (what generation produces before it is shown).
pub fn validate_rule_exceptions(
    item: &RuleExceptions,
    catalog: &RulesCatalog,
    options: &ValidationOptions,
) -> ValidationReport {
    let value = serde_json::to_value(item).unwrap_or(Value::Null);
    validate_exception_value(&value, catalog, options)
}

fn ran(layer: Layer) -> LayerRun {
    LayerRun { layer, status: LayerStatus::Ran, note: String::new() }
}

fn skipped(layer: Layer, note: String) -> LayerRun {
    LayerRun { layer, status: LayerStatus::Skipped, note }
}

fn check_documents(
    sink: &mut Sink,
    layers: &mut Vec<LayerRun>,
    semantics: &mut Semantics<'_>,
    documents: &[Node],
    partial_lines: Option<usize>,
) {
    let layer_run = |layer: Layer| match partial_lines {
        Some(lines) => LayerRun {
            layer,
            status: LayerStatus::Partial,
            note: format!("ran on lines 1-{lines}, before the YAML syntax error; fix it to check the rest"),
        },
        None => ran(layer),
    };
    match project_schema() {
        Ok(schema) => {
            layers.push(layer_run(Layer::ProjectSchema));
            for (index, document) in documents.iter().enumerate() {
                let view = DocumentView { root: document, root_is_item: false, index };
                for item in items_carrying_exceptions(document) {
                    for finding in schema.check(&project(item), item) {
                        let severity =
                            if finding.unexpected_key.is_some() { Severity::Warning } else { Severity::Error };
                        report_finding(sink, view, item, &item.pointer, Layer::ProjectSchema, severity, finding);
                    }
                }
            }
        }
        Err(problem) => layers.push(skipped(Layer::ProjectSchema, problem)),
    }
    if let Some(schema) = load_falco_schema(semantics.options, layers) {
        if let (Some(run), Some(lines)) = (layers.last_mut(), partial_lines) {
            run.status = LayerStatus::Partial;
            run.note = format!("{}; ran on lines 1-{lines}, before the YAML syntax error", run.note);
        }
        for (index, document) in documents.iter().enumerate() {
            let view = DocumentView { root: document, root_is_item: false, index };
            for finding in schema.check(&document.weak_json(), document) {
                report_finding(sink, view, document, "", Layer::FalcoSchema, Severity::Warning, finding);
            }
        }
    }
    layers.push(layer_run(Layer::FalcoSemantics));
    for (index, document) in documents.iter().enumerate() {
        let view = DocumentView { root: document, root_is_item: false, index };
        let mut reporter = Reporter { sink, view };
        semantics.check_document(&mut reporter, document);
    }
}

/// The items of a document that carry exceptions (a mapping document counts as one item).
fn items_carrying_exceptions(document: &Node) -> Vec<&Node> {
    match document.items() {
        Some(items) => items.iter().filter(|item| item.is_mapping() && carries_exceptions(item)).collect(),
        None if document.is_mapping() && carries_exceptions(document) => vec![document],
        None => Vec::new(),
    }
}

/// The part of an item Saker's model describes: `rule`, `exceptions`, `append`, and the
/// `exceptions` key of `override` (a rule definition's other keys are Falco's to check).
fn project(item: &Node) -> Value {
    let mut object = serde_json::Map::new();
    for key in ["rule", "exceptions", "append"] {
        if let Some(value) = item.get(key) {
            object.insert(key.to_string(), value.weak_json());
        }
    }
    if let Some(overrides) = item.get("override") {
        if overrides.is_mapping() {
            if let Some(exceptions) = overrides.get("exceptions") {
                object.insert("override".to_string(), serde_json::json!({ "exceptions": exceptions.weak_json() }));
            }
        } else {
            object.insert("override".to_string(), overrides.weak_json());
        }
    }
    Value::Object(object)
}

fn load_falco_schema(options: &ValidationOptions, layers: &mut Vec<LayerRun>) -> Option<WeakSchema> {
    let how = "pass --falco-schema PATH (CLI) or falco_schema (tool) naming rule_schema.json, the JSON inside Falco's userspace/engine/rule_json_schema.h";
    match falco_schema(options.falco_schema.as_deref()) {
        Ok(schema) => {
            layers.push(LayerRun {
                layer: Layer::FalcoSchema,
                status: LayerStatus::Ran,
                note: "Falco reports mismatches as schema warnings and still loads the file".to_string(),
            });
            Some(schema)
        }
        Err(FalcoSchemaUnavailable::NotConfigured) => {
            layers.push(skipped(Layer::FalcoSchema, format!("no Falco rules schema was given: {how}")));
            None
        }
        Err(FalcoSchemaUnavailable::Missing(problem)) => {
            layers.push(skipped(
                Layer::FalcoSchema,
                format!("the Falco rules schema could not be read ({problem}): {how}"),
            ));
            None
        }
        Err(FalcoSchemaUnavailable::Invalid(problem)) => {
            layers.push(skipped(Layer::FalcoSchema, format!("the Falco rules schema is unusable ({problem}): {how}")));
            None
        }
    }
}

/// Reports a schema finding about `tree` (whose pointers start at `base_pointer` in the
/// document), at the line of the node (or key) it is about.
fn report_finding(
    sink: &mut Sink,
    view: DocumentView<'_>,
    tree: &Node,
    base_pointer: &str,
    layer: Layer,
    severity: Severity,
    finding: SchemaFinding,
) {
    let relative = finding.pointer.strip_prefix(base_pointer).unwrap_or(&finding.pointer);
    let node = match &finding.unexpected_key {
        Some(key) => key_node(tree, relative, key).or_else(|| tree.find(relative)),
        None => tree.find(relative),
    };
    let node = node.unwrap_or(tree);
    if finding.missing_key && node.truncated {
        return;
    }
    let message = match &finding.unexpected_key {
        Some(_) if layer == Layer::ProjectSchema && severity == Severity::Warning => {
            format!("{} (Falco ignores unknown keys in an exception)", finding.message)
        }
        _ => finding.message,
    };
    sink.report(Some(view), layer, severity, Place::of(node), message, finding.allowed);
}

fn report_syntax_error(sink: &mut Sink, text: &str, error: &YamlSyntaxError) {
    let place = Place { line: error.line, column: error.column, pointer: String::new(), order: 0 };
    let offending = error.line.and_then(|line| text.lines().nth(line.saturating_sub(1))).unwrap_or_default();
    let mut hints = Vec::new();
    let trimmed = offending.trim_start();
    if let Some(rest) = trimmed.strip_prefix('-')
        && rest.chars().next().is_some_and(|next| !next.is_whitespace() && next != '-')
    {
        let word: String =
            trimmed.chars().take_while(|character| !character.is_whitespace() && *character != ':').collect();
        hints.push(format!(
            "`{word}` is not a sequence entry: a dash starts an entry only when a space follows it (`- key: value`)"
        ));
    }
    if error.message.contains("flow") {
        hints.push(
            "inside `[...]` or `{...}`, quote a value that holds brackets, commas or `: `, e.g. \"proc.aname[2]\""
                .to_string(),
        );
    }
    let indentation: String = offending.chars().take_while(|character| character.is_whitespace()).collect();
    if indentation.contains('\t') {
        hints.push("tabs cannot indent YAML: indent with spaces".to_string());
    }
    hints.push(
        "YAML block syntax: nested keys indented with spaces under their parent, each sequence entry starting with `- `"
            .to_string(),
    );
    sink.report(
        None,
        Layer::YamlSyntax,
        Severity::Error,
        place,
        format!("invalid YAML: {}", error.message),
        hints.join("; "),
    );
}

fn finish(
    sink: Sink,
    layers: Vec<LayerRun>,
    semantics: Semantics<'_>,
    options: &ValidationOptions,
) -> ValidationReport {
    let mut sink = sink;
    let semantics_ran =
        layers.iter().any(|run| run.layer == Layer::FalcoSemantics && run.status != LayerStatus::Skipped);
    if semantics_ran && semantics.exception_items == 0 {
        sink.report(
            None,
            Layer::FalcoSemantics,
            Severity::Warning,
            Place { line: None, column: None, pointer: String::new(), order: usize::MAX },
            "no item carries exceptions, so there was no exception to check".to_string(),
            "an item such as `- rule: <name>` with `exceptions:` and `override: {exceptions: append}`".to_string(),
        );
    }
    let (problems, warnings) = sink.finish();
    ValidationReport {
        valid: problems.is_empty(),
        problems,
        warnings,
        layers_run: layers,
        rules_checked: semantics.rules_checked,
        falco_version: options.falco_version,
    }
}
