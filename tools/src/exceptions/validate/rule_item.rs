//! Layer 3 for one item carrying exceptions, at the level of the item: the rule it names and
//! whether that rule is loaded, `append: true` and `override:` (valid keys and operations, every
//! listed key defined, every overridable key listed, never both), how the exceptions combine
//! with the rule's (define, append, replace), the event source whose fields apply, duplicate
//! exception names, and the Falco releases these need. Each exception is then checked by
//! `exception_entry`.

use std::collections::{BTreeMap, HashSet};

use super::exception_entry::{EntryContext, Mode, Shape, check_entry};
use super::falco_version::FalcoVersion;
use super::node::Node;
use super::semantics::{Reporter, Semantics};
use super::suggest::closest_names;
use crate::rules::item::{RULE_APPENDABLE as APPENDABLE, RULE_REPLACEABLE as REPLACEABLE};

/// Keys of an exception entry, misplaced when written at the level of the rule item.
const ENTRY_KEYS: [&str; 4] = ["name", "fields", "comps", "values"];
const OVERRIDE_APPEND_HINT: &str =
    "`override: {exceptions: append}` (Falco 0.37.0 and later) or `append: true` (older Falco)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Append,
    Replace,
}

/// Checks an item carrying exceptions and each of its exceptions.
pub(crate) fn check_rule_item(semantics: &mut Semantics<'_>, reporter: &mut Reporter<'_, '_>, item: &Node) {
    let version = semantics.options.falco_version;
    let rule_name = read_rule_name(reporter, item);
    for kind in ["macro", "list"] {
        if let Some(entry) = item.entry(kind) {
            reporter.error(
                &entry.key,
                format!("exceptions are a key of rules only; a {kind} item cannot carry them"),
                "`- rule: <rule name>` with `exceptions:`",
            );
        }
    }
    for key in ENTRY_KEYS {
        if let Some(entry) = item.entry(key) {
            reporter.error(
                &entry.key,
                format!("`{key}` belongs inside an exception, not at the level of the rule item"),
                "indent it under an entry of `exceptions:`, e.g. `exceptions: [{name: ..., fields: [...], comps: [...], values: [[...]]}]`",
            );
        }
    }
    let append = read_append(reporter, item);
    let overrides = read_overrides(reporter, item);
    let override_node = item.entry("override");
    if let (true, Some(override_entry)) = (append, override_node) {
        reporter.error(
            &override_entry.key,
            "`append: true` and `override` cannot be used together",
            "`override: {exceptions: append}` alone (`append` is deprecated since Falco 0.37.0)",
        );
    }
    if let Some(exceptions) = item.entry("exceptions")
        && version < FalcoVersion::EXCEPTIONS
    {
        reporter.error(
            &exceptions.key,
            format!("rule exceptions need Falco {} or later (validating for {version})", FalcoVersion::EXCEPTIONS),
            "a newer --falco-version, or no exceptions",
        );
    }
    if let Some(override_entry) = override_node
        && version < FalcoVersion::OVERRIDE
    {
        reporter.error(
            &override_entry.key,
            format!("`override` needs Falco {} or later (validating for {version})", FalcoVersion::OVERRIDE),
            "`append: true` for older Falco",
        );
    }
    if let Some(append_entry) = item.entry("append")
        && append
        && version >= FalcoVersion::OVERRIDE
    {
        reporter.warning(
            &append_entry.key,
            "'append' key is deprecated since Falco 0.37.0",
            "`override: {exceptions: append}` (and `override: {condition: append}` for an appended condition)",
        );
    }
    if override_node.is_some() {
        for entry in item.entries() {
            let key = entry.key_text();
            if (APPENDABLE.contains(&key) || REPLACEABLE.contains(&key)) && !overrides.contains_key(key) {
                reporter.error(
                    &entry.key,
                    format!("unexpected key '{key}': no corresponding entry under 'override' is defined"),
                    format!("add `{key}: append` or `{key}: replace` under `override`, or remove `{key}`"),
                );
            }
        }
    }

    let defines = ["condition", "output", "priority"].iter().all(|key| item.get(key).is_some());
    let rule_exists = rule_name.as_deref().is_some_and(|name| semantics.working.rule(name).is_some());
    let mode = match (append, overrides.get("exceptions")) {
        (true, _) | (false, Some(Operation::Append)) => Mode::Append,
        (false, Some(Operation::Replace)) => Mode::Replace,
        (false, None) if override_node.is_none() && defines => Mode::Define,
        (false, None) => {
            if override_node.is_none() && !item.truncated {
                report_undeclared_change(reporter, item, rule_name.as_deref(), rule_exists);
            }
            if rule_exists { Mode::Append } else { Mode::Define }
        }
    };
    if !defines
        && override_node.is_none()
        && !append
        && let Some(condition) = item.entry("condition")
    {
        reporter.error(
            &condition.key,
            "this `condition` is not part of an exception: at the level of a rule item it defines or changes the rule's condition",
            "exceptions match fields against values: `exceptions: - name: ..., fields: [...], comps: [...], values: [[...]]`",
        );
    }
    if let Some(name) = &rule_name
        && !semantics.rules_checked.contains(name)
    {
        semantics.rules_checked.push(name.clone());
    }
    let base = match (mode, rule_name.as_deref()) {
        (Mode::Append | Mode::Replace, Some(name)) => {
            let base = semantics.working.rule(name).cloned();
            if base.is_none() {
                report_missing_rule(semantics, reporter, item, name, mode);
            }
            base
        }
        _ => None,
    };
    let source = match (mode, &base) {
        (Mode::Append | Mode::Replace, Some(base)) => base.source.clone(),
        _ => item.get("source").and_then(Node::scalar).unwrap_or("syscall").to_string(),
    };
    let check_fields = semantics.fields.knows_source(&source);
    let Some(exceptions) = item.get("exceptions").filter(|exceptions| !exceptions.is_null()) else {
        return;
    };
    let Some(entries) = exceptions.items() else {
        reporter.error(
            exceptions,
            format!("rule exceptions must be a sequence, found {}", exceptions.kind_name()),
            "a list of exceptions: `exceptions: - name: ...`",
        );
        return;
    };
    if !check_fields && entries.iter().any(|entry| entry.get("fields").is_some()) {
        reporter.warning(
            exceptions,
            format!(
                "the fields of source '{source}' are not in Saker's field catalog, so field names and value types were not checked"
            ),
            format!("sources with known fields: {}", semantics.fields.sources().join(", ")),
        );
    }

    let context =
        EntryContext { mode, base: base.as_ref(), rule_name: rule_name.as_deref(), source: &source, check_fields };
    let mut earlier: BTreeMap<String, Shape> = BTreeMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        if let Some(name) = entry.get("name").and_then(Node::scalar)
            && !seen.insert(name.to_string())
        {
            let since = if version >= FalcoVersion::STRICTER_EXCEPTIONS { "" } else { " (Falco 0.38.0 and later)" };
            reporter.warning(
                entry.get("name").unwrap_or(entry),
                format!("multiple definitions of exception '{name}' in the same rule{since}"),
                "a name unique within the rule; to add values to an exception, list them under its one entry",
            );
        }
        if let Some((name, shape)) = check_entry(semantics, reporter, &context, entry, index, &earlier) {
            earlier.insert(name, shape);
        }
    }
}

fn read_rule_name(reporter: &mut Reporter<'_, '_>, item: &Node) -> Option<String> {
    let Some(rule) = item.get("rule") else {
        if !item.truncated {
            reporter.error(
                item,
                "item has no mapping for key 'rule': exceptions belong to a rule",
                "`- rule: <the rule's exact name>` with `exceptions:` under it",
            );
        }
        return None;
    };
    match rule.scalar() {
        Some(name) if name.trim().is_empty() => {
            reporter.error(rule, "value must be non-empty: the rule name is empty", "the rule's exact name");
            None
        }
        Some(name) => Some(name.to_string()),
        None => {
            reporter.error(
                rule,
                format!("the rule name must be a string, found {}", rule.kind_name()),
                "the rule's exact name",
            );
            None
        }
    }
}

fn read_append(reporter: &mut Reporter<'_, '_>, item: &Node) -> bool {
    let Some(append) = item.get("append").filter(|append| !append.is_null()) else {
        return false;
    };
    match append.scalar().map(str::to_ascii_lowercase).as_deref() {
        Some("true" | "yes" | "on" | "y") => true,
        Some("false" | "no" | "off" | "n") => false,
        _ => {
            reporter.error(
                append,
                format!("append must be true or false, found {}", describe(append)),
                "true or false",
            );
            false
        }
    }
}

fn read_overrides(reporter: &mut Reporter<'_, '_>, item: &Node) -> BTreeMap<String, Operation> {
    let mut operations = BTreeMap::new();
    let Some(overrides) = item.get("override") else {
        return operations;
    };
    if !overrides.is_mapping() {
        reporter.error(
            overrides,
            format!("override must be a mapping of key to append or replace, found {}", overrides.kind_name()),
            "`override: {exceptions: append}`",
        );
        return operations;
    }
    if overrides.entries().is_empty() {
        reporter.error(overrides, "`override` lists no keys", "`override: {exceptions: append}`");
    }
    for entry in overrides.entries() {
        let key = entry.key_text();
        let operation = match entry.value.scalar() {
            Some("append") => Operation::Append,
            Some("replace") => Operation::Replace,
            _ => {
                reporter.error(
                    &entry.value,
                    format!("invalid override operation for key '{key}': {}", describe(&entry.value)),
                    "append or replace",
                );
                continue;
            }
        };
        let known = APPENDABLE.contains(&key) || REPLACEABLE.contains(&key);
        if !known {
            reporter.error(
                &entry.key,
                format!("key '{key}' of a rule cannot be overridden"),
                format!("append: {}; replace: {}", APPENDABLE.join(", "), REPLACEABLE.join(", ")),
            );
            continue;
        }
        if operation == Operation::Append && !APPENDABLE.contains(&key) {
            reporter.error(
                &entry.value,
                format!("key '{key}' cannot be appended to, use 'replace' instead"),
                format!("append: {}", APPENDABLE.join(", ")),
            );
            continue;
        }
        let operation_name = if operation == Operation::Append { "append" } else { "replace" };
        if item.get(key).is_none() {
            reporter.error(
                &entry.key,
                format!("an {operation_name} override for '{key}' was specified but '{key}' is not defined"),
                format!("`{key}:` at the level of the rule item, next to `override`"),
            );
        }
        operations.insert(key.to_string(), operation);
    }
    operations
}

fn report_undeclared_change(reporter: &mut Reporter<'_, '_>, item: &Node, rule_name: Option<&str>, exists: bool) {
    let place = item.entry("rule").map_or(item, |entry| &entry.key);
    let name = rule_name.map(|name| format!(" {name:?}")).unwrap_or_default();
    let message = if exists {
        format!(
            "this item adds exceptions to the loaded rule{name} without saying how: Falco reads an item without `override` or `append` as a new definition of the rule, which needs condition, output, desc and priority"
        )
    } else {
        format!(
            "this item neither defines rule{name} (condition, output, desc, priority) nor changes a loaded rule with `override` or `append`"
        )
    };
    reporter.error(place, message, OVERRIDE_APPEND_HINT);
}

fn report_missing_rule(
    semantics: &Semantics<'_>,
    reporter: &mut Reporter<'_, '_>,
    item: &Node,
    name: &str,
    mode: Mode,
) {
    let place = item.get("rule").unwrap_or(item);
    let operation = if mode == Mode::Replace { "replace" } else { "append" };
    let candidates = semantics.working.rules().map(|rule| rule.name.as_str());
    let suggestions = closest_names(name, candidates, 3);
    let allowed = if semantics.working.rules().next().is_none() {
        "no rules are loaded: load the rules files your Falco uses (saker: --rules PATH)".to_string()
    } else if suggestions.is_empty() {
        "the exact name of a loaded rule (saker rules list)".to_string()
    } else {
        format!(
            "closest loaded rules: {}",
            suggestions.iter().map(|suggestion| format!("{suggestion:?}")).collect::<Vec<_>>().join(", ")
        )
    };
    reporter.error(
        place,
        format!(
            "rule uses 'append' or 'override.exceptions: {operation}' but no rule by that name already exists: {name:?} is not in the loaded rules"
        ),
        allowed,
    );
}

fn describe(node: &Node) -> String {
    match node.scalar() {
        Some(text) => format!("'{text}'"),
        None => node.kind_name().to_string(),
    }
}
