//! The catalog: every rule, macro and list of the loaded files, with Falco's load semantics
//! (definitions in file order, `append: true`, `override: {key: append|replace}`, exceptions
//! merged by name).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::RulesError;
use super::item::{ExceptionItem, Item, OverrideOp, RawTuple, RuleItem, describe, read_item};
use super::model::{List, Macro, Rule, RuleException};
use super::paths::{DEFAULT_RULES_PATHS, expand_paths};
use crate::exceptions::operators::{allowed_comps, check_comp};
use crate::exceptions::validate::FalcoVersion;

/// One file the catalog loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadedFile {
    /// The file's path.
    pub path: PathBuf,
    /// The highest `required_engine_version` the file states, if any.
    pub required_engine_version: Option<String>,
    /// How many rule items (definitions, appends and overrides) the file holds.
    pub rule_items: usize,
    /// How many macro items the file holds.
    pub macro_items: usize,
    /// How many list items the file holds.
    pub list_items: usize,
}

/// The rules, macros and lists of a set of Falco rules files, as Falco would load them.
#[derive(Debug, Clone, Default)]
pub struct RulesCatalog {
    rules: Vec<Rule>,
    rule_index: HashMap<String, usize>,
    macros: Vec<Macro>,
    macro_index: HashMap<String, usize>,
    lists: Vec<List>,
    list_index: HashMap<String, usize>,
    files: Vec<LoadedFile>,
}

impl RulesCatalog {
    /// Loads `paths` in order (files, or directories of `*.yaml`); every path must exist.
    pub fn load(paths: &[PathBuf]) -> Result<RulesCatalog, RulesError> {
        Self::load_files(&expand_paths(paths, false)?)
    }

    /// Loads what a default Falco install loads ([`DEFAULT_RULES_PATHS`]); missing files are
    /// skipped, so a machine without Falco gets an empty catalog.
    pub fn load_default() -> Result<RulesCatalog, RulesError> {
        Self::load_files(&expand_paths(&Self::default_paths(), true)?)
    }

    /// [`DEFAULT_RULES_PATHS`] as paths.
    pub fn default_paths() -> Vec<PathBuf> {
        DEFAULT_RULES_PATHS.iter().map(PathBuf::from).collect()
    }

    /// Loads rules from YAML text, as if it were the file `path` (for tests and uploads).
    pub fn from_yaml(path: &Path, text: &str) -> Result<RulesCatalog, RulesError> {
        let mut catalog = RulesCatalog::default();
        catalog.add_file(path, text)?;
        catalog.validate()?;
        Ok(catalog)
    }

    /// A copy of this catalog with `text` loaded after everything already loaded, as if Falco
    /// read one more rules file `path`: how a snippet (a `falco_rules.local.yaml` being
    /// written, one item of it) is checked against the rules it changes.
    pub fn extended_with_yaml(&self, path: &Path, text: &str) -> Result<RulesCatalog, RulesError> {
        let mut catalog = self.clone();
        catalog.add_file(path, text)?;
        catalog.validate()?;
        Ok(catalog)
    }

    fn load_files(files: &[PathBuf]) -> Result<RulesCatalog, RulesError> {
        let mut catalog = RulesCatalog::default();
        for path in files {
            let text =
                std::fs::read_to_string(path).map_err(|source| RulesError::Read { path: path.clone(), source })?;
            catalog.add_file(path, &text)?;
        }
        catalog.validate()?;
        Ok(catalog)
    }

    /// Every rule, in the order the files defined them.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    /// The rule called `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rule_index.get(name).map(|&index| &self.rules[index])
    }

    /// Every macro, in definition order.
    pub fn macros(&self) -> impl Iterator<Item = &Macro> {
        self.macros.iter()
    }

    /// The macro called `name`.
    pub fn macro_named(&self, name: &str) -> Option<&Macro> {
        self.macro_index.get(name).map(|&index| &self.macros[index])
    }

    /// Every list, in definition order.
    pub fn lists(&self) -> impl Iterator<Item = &List> {
        self.lists.iter()
    }

    /// The list called `name`.
    pub fn list(&self, name: &str) -> Option<&List> {
        self.list_index.get(name).map(|&index| &self.lists[index])
    }

    /// The files loaded, in order.
    pub fn files(&self) -> &[LoadedFile] {
        &self.files
    }

    /// Whether nothing was loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.macros.is_empty() && self.lists.is_empty()
    }

    fn add_file(&mut self, path: &Path, text: &str) -> Result<(), RulesError> {
        let yaml_error = |message: String| RulesError::Yaml { path: path.to_path_buf(), message };
        let documents: Vec<Option<Vec<Spanned<Value>>>> = crate::yaml::from_multiple(text).map_err(|error| {
            let place = match error.location() {
                Some(_) => String::new(),
                None => format!(" in a document root (line {})", crate::yaml::first_content_line(text)),
            };
            yaml_error(format!("{error}{place} (a rules file is a YAML sequence of rule, macro and list items)"))
        })?;
        let mut loaded = LoadedFile {
            path: path.to_path_buf(),
            required_engine_version: None,
            rule_items: 0,
            macro_items: 0,
            list_items: 0,
        };
        for spanned in documents.into_iter().flatten().flatten() {
            let line = usize::try_from(spanned.referenced.line()).unwrap_or(0);
            let item_error = |problem: String| RulesError::Item {
                path: path.to_path_buf(),
                line,
                item: describe(&spanned.value),
                problem,
            };
            let item = read_item(&spanned.value).map_err(item_error)?;
            match item {
                Item::Rule(rule) => {
                    loaded.rule_items += 1;
                    self.apply_rule(rule, path, line).map_err(item_error)?;
                }
                Item::Macro { name, condition, append, overrides } => {
                    loaded.macro_items += 1;
                    self.apply_macro(name, condition, append, overrides, path, line).map_err(item_error)?;
                }
                Item::List { name, items, append, overrides } => {
                    loaded.list_items += 1;
                    self.apply_list(name, items, append, overrides, path, line).map_err(item_error)?;
                }
                Item::RequiredEngineVersion(version) => {
                    let newer = loaded
                        .required_engine_version
                        .as_deref()
                        .is_none_or(|current| version_key(&version) > version_key(current));
                    if newer {
                        loaded.required_engine_version = Some(version);
                    }
                }
                Item::Ignored => {}
            }
        }
        self.files.push(loaded);
        Ok(())
    }

    fn apply_rule(&mut self, item: RuleItem, path: &Path, line: usize) -> Result<(), String> {
        let existing = self.rule_index.get(&item.name).copied();
        if item.append {
            let index = existing.ok_or("uses `append: true` but no rule by that name is defined earlier")?;
            if item.condition.is_none() && item.exceptions.is_none() {
                return Err("an appended rule must have a condition or exceptions".to_string());
            }
            let rule = &mut self.rules[index];
            if let Some(condition) = item.condition {
                rule.condition = format!("{} {}", rule.condition.trim_end(), condition.trim());
            }
            if let Some(exceptions) = item.exceptions {
                append_exceptions(rule, exceptions)?;
            }
            return Ok(());
        }
        if !item.overrides.is_empty() {
            let index = existing.ok_or("uses `override` but no rule by that name is defined earlier")?;
            return apply_rule_overrides(&mut self.rules[index], item);
        }
        let is_definition = item.condition.is_some() || item.output.is_some() || item.priority.is_some();
        if let (false, Some(index)) = (is_definition, existing) {
            if item.exceptions.is_some() || item.tags.is_some() || item.desc.is_some() {
                return Err("redefines an existing rule without condition, output and priority; use `override`".into());
            }
            if let Some(enabled) = item.enabled {
                self.rules[index].enabled = enabled;
            }
            return Ok(());
        }
        let rule = define_rule(item, path, line)?;
        match existing {
            Some(index) => self.rules[index] = rule,
            None => {
                self.rule_index.insert(rule.name.clone(), self.rules.len());
                self.rules.push(rule);
            }
        }
        Ok(())
    }

    fn apply_macro(
        &mut self,
        name: String,
        condition: Option<String>,
        append: bool,
        overrides: std::collections::BTreeMap<String, OverrideOp>,
        path: &Path,
        line: usize,
    ) -> Result<(), String> {
        let condition = condition.ok_or("a macro must have a condition")?;
        let existing = self.macro_index.get(&name).copied();
        let operation = if append { Some(OverrideOp::Append) } else { overrides.get("condition").copied() };
        match (operation, existing) {
            (Some(_), None) => Err("appends to or overrides a macro that is not defined earlier".to_string()),
            (Some(OverrideOp::Append), Some(index)) => {
                let definition = &mut self.macros[index];
                definition.condition = format!("{} {}", definition.condition.trim_end(), condition.trim());
                Ok(())
            }
            (Some(OverrideOp::Replace), Some(index)) => {
                self.macros[index].condition = condition;
                Ok(())
            }
            (None, Some(index)) => {
                self.macros[index] = Macro { name, condition, file: path.to_path_buf(), line };
                Ok(())
            }
            (None, None) => {
                self.macro_index.insert(name.clone(), self.macros.len());
                self.macros.push(Macro { name, condition, file: path.to_path_buf(), line });
                Ok(())
            }
        }
    }

    fn apply_list(
        &mut self,
        name: String,
        items: Option<Vec<String>>,
        append: bool,
        overrides: std::collections::BTreeMap<String, OverrideOp>,
        path: &Path,
        line: usize,
    ) -> Result<(), String> {
        let items = items.ok_or("a list must have items (an empty list is `items: []`)")?;
        let existing = self.list_index.get(&name).copied();
        let operation = if append { Some(OverrideOp::Append) } else { overrides.get("items").copied() };
        match (operation, existing) {
            (Some(_), None) => Err("appends to or overrides a list that is not defined earlier".to_string()),
            (Some(OverrideOp::Append), Some(index)) => {
                self.lists[index].items.extend(items);
                Ok(())
            }
            (Some(OverrideOp::Replace), Some(index)) => {
                self.lists[index].items = items;
                Ok(())
            }
            (None, Some(index)) => {
                self.lists[index] = List { name, items, file: path.to_path_buf(), line };
                Ok(())
            }
            (None, None) => {
                self.list_index.insert(name.clone(), self.lists.len());
                self.lists.push(List { name, items, file: path.to_path_buf(), line });
                Ok(())
            }
        }
    }

    /// Checks what Falco checks once all files are applied: every exception value tuple has one
    /// item per field.
    fn validate(&self) -> Result<(), RulesError> {
        for rule in &self.rules {
            for exception in &rule.exceptions {
                if exception.single_field {
                    continue;
                }
                for (index, tuple) in exception.values.iter().enumerate() {
                    if tuple.len() != exception.fields.len() {
                        return Err(RulesError::Item {
                            path: rule.file.clone(),
                            line: rule.line,
                            item: format!("rule {:?}", rule.name),
                            problem: format!(
                                "exception {:?}: values[{index}] has {} items but there are {} fields; fields and values lists must have equal length",
                                exception.name,
                                tuple.len(),
                                exception.fields.len()
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

fn define_rule(item: RuleItem, path: &Path, line: usize) -> Result<Rule, String> {
    let missing = |key: &str| format!("a rule definition must have {key}");
    let mut exceptions = Vec::new();
    for exception in item.exceptions.unwrap_or_default() {
        if exceptions.iter().any(|known: &RuleException| known.name == exception.name) {
            return Err(format!("exception {:?} is defined twice in the same rule", exception.name));
        }
        exceptions.push(complete_exception(exception)?);
    }
    Ok(Rule {
        condition: item.condition.ok_or_else(|| missing("a condition"))?,
        output: item.output.ok_or_else(|| missing("an output"))?,
        priority: item.priority.ok_or_else(|| missing("a priority"))?,
        desc: item.desc.unwrap_or_default(),
        tags: item.tags.unwrap_or_default(),
        source: item.source.unwrap_or_else(|| "syscall".to_string()),
        enabled: item.enabled.unwrap_or(true),
        exceptions,
        file: path.to_path_buf(),
        line,
        name: item.name,
    })
}

fn apply_rule_overrides(rule: &mut Rule, item: RuleItem) -> Result<(), String> {
    for (key, operation) in &item.overrides {
        let append = *operation == OverrideOp::Append;
        match key.as_str() {
            "condition" => merge_text(&mut rule.condition, item.condition.as_deref(), append),
            "output" => merge_text(&mut rule.output, item.output.as_deref(), append),
            "desc" => merge_text(&mut rule.desc, item.desc.as_deref(), append),
            "priority" => {
                if let Some(priority) = item.priority {
                    rule.priority = priority;
                }
            }
            "enabled" => {
                if let Some(enabled) = item.enabled {
                    rule.enabled = enabled;
                }
            }
            "tags" => {
                let tags = item.tags.clone().unwrap_or_default();
                if append {
                    rule.tags.extend(tags);
                } else {
                    rule.tags = tags;
                }
            }
            "exceptions" => {
                let exceptions = item.exceptions.as_ref().map(|entries| entries.iter().map(clone_item).collect());
                if append {
                    append_exceptions(rule, exceptions.unwrap_or_default())?;
                } else {
                    let mut replaced = Vec::new();
                    for exception in exceptions.unwrap_or_default() {
                        if exception.fields.is_none() {
                            return Err(format!(
                                "exception {:?}: a replacing exception must have fields",
                                exception.name
                            ));
                        }
                        replaced.push(complete_exception(exception)?);
                    }
                    rule.exceptions = replaced;
                }
            }
            _ => {}
        }
    }
    if item.enabled.is_some() && !item.overrides.contains_key("enabled") {
        return Err("unexpected key \"enabled\": no corresponding entry under `override`".to_string());
    }
    Ok(())
}

fn clone_item(item: &ExceptionItem) -> ExceptionItem {
    ExceptionItem {
        name: item.name.clone(),
        fields: item.fields.clone(),
        single_field: item.single_field,
        comps: item.comps.clone(),
        values: item.values.clone(),
    }
}

fn merge_text(target: &mut String, addition: Option<&str>, append: bool) {
    let Some(addition) = addition else { return };
    if append {
        *target = format!("{} {}", target.trim_end(), addition.trim());
    } else {
        *target = addition.to_string();
    }
}

/// Appends exception entries: values go to an existing exception of the same name (which may
/// not be given fields or comps), a new name must be complete.
fn append_exceptions(rule: &mut Rule, entries: Vec<ExceptionItem>) -> Result<(), String> {
    for entry in entries {
        if let Some(existing) = rule.exceptions.iter_mut().find(|known| known.name == entry.name) {
            if entry.fields.is_some() {
                return Err(format!(
                    "exception {:?}: cannot append fields to an existing exception, only values",
                    entry.name
                ));
            }
            if entry.comps.is_some() {
                return Err(format!(
                    "exception {:?}: cannot append comps to an existing exception, only values",
                    entry.name
                ));
            }
            let values = RawTuple::into_tuples(entry.values.unwrap_or_default(), existing.single_field)
                .map_err(|problem| format!("exception {:?}: {problem}", entry.name))?;
            existing.values.extend(values);
        } else {
            if entry.fields.is_none() {
                return Err(format!(
                    "exception {:?}: a new exception must have fields property with a list of fields",
                    entry.name
                ));
            }
            if entry.values.is_none() {
                return Err(format!("exception {:?}: a new appended exception must have values", entry.name));
            }
            rule.exceptions.push(complete_exception(entry)?);
        }
    }
    Ok(())
}

/// Applies the comps defaults and checks lengths and operators of a defined exception.
fn complete_exception(entry: ExceptionItem) -> Result<RuleException, String> {
    let name = entry.name;
    let fields = entry.fields.ok_or_else(|| format!("exception {name:?}: fields is required"))?;
    if fields.is_empty() {
        return Err(format!("exception {name:?}: must have fields property with a list of fields"));
    }
    let comps = match entry.comps {
        Some(comps) => comps.into_iter().map(|comp| comp.trim().to_string()).collect(),
        None if entry.single_field => vec!["in".to_string()],
        None => vec!["=".to_string(); fields.len()],
    };
    if comps.len() != fields.len() {
        return Err(format!(
            "exception {name:?}: fields and comps lists must have equal length ({} fields, {} comps)",
            fields.len(),
            comps.len()
        ));
    }
    // The operators of the newest Falco in Saker's table: a catalog does not refuse syntax a
    // newer Falco loads (the validator checks a target version).
    for comp in &comps {
        let operator = check_comp(comp, FalcoVersion::default()).map_err(|_| {
            format!(
                "exception {name:?}: '{comp}' is not a supported comparison operator (allowed: {})",
                allowed_comps(FalcoVersion::default()).join(" ")
            )
        })?;
        let list_operator = operator.modifier.is_some() || ["in", "pmatch", "intersects"].contains(&comp.trim());
        if entry.single_field && !list_operator {
            return Err(format!(
                "exception {name:?}: when fields is a single value, comps must be one of in, pmatch, intersects or a modifier operator (e.g. startswith oneof), not {comp:?}"
            ));
        }
    }
    let values = RawTuple::into_tuples(entry.values.unwrap_or_default(), entry.single_field)
        .map_err(|problem| format!("exception {name:?}: {problem}"))?;
    Ok(RuleException { name, fields, comps, values, single_field: entry.single_field })
}

/// A sort key for versions like `0.31.0` or `8`: numeric components compared in order.
fn version_key(version: &str) -> Vec<u64> {
    version.split('.').map(|part| part.trim().parse().unwrap_or(0)).collect()
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
