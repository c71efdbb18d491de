//! Layer 3, the walk: every top-level item in order. Items carrying exceptions are checked
//! against Falco's rules (`rule_item` and `exception_entry`); every item (lists, macros, rules,
//! and the exception items that passed) is then loaded on top of the user's rules with the
//! rules catalog, as Falco loads one more file, so a snippet may define a list its exception
//! uses and later items see earlier appends.

use std::path::Path;

use super::ValidationOptions;
use super::node::{Node, NodeKind};
use super::report::{Layer, Severity};
use super::rule_item::check_rule_item;
use super::sink::{DocumentView, Place, Sink};
use crate::exceptions::FieldCatalog;
use crate::rules::{RulesCatalog, RulesError};

/// The name the snippet's items are loaded under in the working catalog.
const SNIPPET_PATH: &str = "<validated text>";

/// Reports problems of Falco semantics about nodes of one document.
pub(crate) struct Reporter<'sink, 'tree> {
    pub sink: &'sink mut Sink,
    pub view: DocumentView<'tree>,
}

impl Reporter<'_, '_> {
    /// An error Falco would refuse the file for.
    pub fn error(&mut self, node: &Node, message: impl Into<String>, allowed: impl Into<String>) {
        self.sink.report(
            Some(self.view),
            Layer::FalcoSemantics,
            Severity::Error,
            Place::of(node),
            message.into(),
            allowed.into(),
        );
    }

    /// A warning: Falco loads it, but warns or does something the author likely did not mean.
    pub fn warning(&mut self, node: &Node, message: impl Into<String>, allowed: impl Into<String>) {
        self.sink.report(
            Some(self.view),
            Layer::FalcoSemantics,
            Severity::Warning,
            Place::of(node),
            message.into(),
            allowed.into(),
        );
    }

    /// How many semantic errors have been reported so far (for "did this item pass").
    pub fn error_count(&self) -> usize {
        self.sink.errors_in(Layer::FalcoSemantics)
    }
}

/// What the walk carries from item to item.
pub(crate) struct Semantics<'run> {
    pub options: &'run ValidationOptions,
    pub fields: &'static FieldCatalog,
    /// The user's rules with every item loaded so far.
    pub working: RulesCatalog,
    /// Rules whose exceptions were checked, in order.
    pub rules_checked: Vec<String>,
    /// How many items carrying exceptions were seen.
    pub exception_items: usize,
}

impl<'run> Semantics<'run> {
    /// Starts from the user's rules.
    pub fn new(catalog: &RulesCatalog, options: &'run ValidationOptions) -> Semantics<'run> {
        Semantics {
            options,
            fields: FieldCatalog::embedded(),
            working: catalog.clone(),
            rules_checked: Vec::new(),
            exception_items: 0,
        }
    }

    /// Checks one document of a rules file (a sequence of items).
    pub fn check_document(&mut self, reporter: &mut Reporter<'_, '_>, root: &Node) {
        match &root.kind {
            NodeKind::Sequence(items) => {
                for item in items {
                    self.check_item(reporter, item);
                }
            }
            NodeKind::Mapping(_) => {
                let keys: Vec<&str> = root.entries().iter().map(|entry| entry.key_text()).collect();
                let hint = if root.get("exceptions").is_some() {
                    "a sequence of items; exceptions go under a rule item: `- rule: <rule name>`, then `exceptions:` indented under it, then `override: {exceptions: append}`"
                } else {
                    "a sequence of items, each `- rule: ...`, `- macro: ...` or `- list: ...`"
                };
                reporter.error(
                    root,
                    format!(
                        "a rules file is a YAML sequence of items, but this document is a mapping with keys {}",
                        keys.join(", ")
                    ),
                    hint,
                );
                self.check_item(reporter, root);
            }
            NodeKind::Null => {}
            NodeKind::Scalar(_) => reporter.error(
                root,
                format!("a rules file is a YAML sequence of items, but this document is {}", root.kind_name()),
                "a sequence of items, each `- rule: ...`, `- macro: ...` or `- list: ...`",
            ),
        }
    }

    /// Checks one structured item (the object a model fills): always an exceptions item.
    pub fn check_structured_item(&mut self, reporter: &mut Reporter<'_, '_>, item: &Node) {
        if !item.is_mapping() {
            reporter.error(
                item,
                format!("the exceptions item must be an object, found {}", item.kind_name()),
                "{\"rule\": ..., \"exceptions\": [...], \"override\": {\"exceptions\": \"append\"}}",
            );
            return;
        }
        self.exception_items += 1;
        check_rule_item(self, reporter, item);
    }

    fn check_item(&mut self, reporter: &mut Reporter<'_, '_>, item: &Node) {
        if !item.is_mapping() {
            reporter.error(
                item,
                format!("each item of a rules file must be a mapping, found {}", item.kind_name()),
                "`- rule: ...`, `- macro: ...`, `- list: ...`, `- required_engine_version: ...`",
            );
            return;
        }
        let errors_before = reporter.error_count();
        if carries_exceptions(item) {
            self.exception_items += 1;
            check_rule_item(self, reporter, item);
        }
        if reporter.error_count() == errors_before {
            self.load(reporter, item);
        }
    }

    /// Loads `item` on top of the working catalog; a refusal is a problem of the item.
    fn load(&mut self, reporter: &mut Reporter<'_, '_>, item: &Node) {
        let text = match serde_json::to_string(&serde_json::Value::Array(vec![item.weak_json()])) {
            Ok(text) => text,
            Err(_) => return,
        };
        match self.working.extended_with_yaml(Path::new(SNIPPET_PATH), &text) {
            Ok(extended) => self.working = extended,
            Err(_) if item.truncated => {}
            Err(RulesError::Item { problem, .. }) => reporter.error(item, problem, ""),
            Err(other) => reporter.error(item, other.to_string(), ""),
        }
    }
}

/// Whether an item adds or defines exceptions: a non-null `exceptions:` or an `override:` of
/// `exceptions`.
pub(crate) fn carries_exceptions(item: &Node) -> bool {
    item.get("exceptions").is_some_and(|exceptions| !exceptions.is_null())
        || item.get("override").and_then(|overrides| overrides.get("exceptions")).is_some()
}
