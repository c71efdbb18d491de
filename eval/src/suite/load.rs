//! Reads suite files, checks them as a whole (unique ids, known datasets, valid times and
//! languages, paraphrases of existing single-turn cases) and expands them into the list of
//! cases to run.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::DateTime;

use super::model::{Case, DatasetSpec, SuiteFile};
use crate::EvalError;
use crate::dataset::scenario_names;

/// Fewest wordings a paraphrase entry gives.
pub const MIN_WORDINGS: usize = 3;

/// One suite file as read.
#[derive(Debug, Clone)]
pub struct LoadedSuite {
    /// The file.
    pub path: PathBuf,
    /// Its stem (`summaries` for `summaries.yaml`): the suite's name in the report.
    pub name: String,
    /// Its content.
    pub file: SuiteFile,
    /// True when the file was named for this run (false: loaded only because a paraphrase set
    /// refers to its cases).
    pub selected: bool,
}

/// One case to run: a suite's case, or a paraphrase of one (the original case with the other
/// wording as its only question).
#[derive(Debug, Clone)]
pub struct RunItem {
    /// The suite it belongs to (for a paraphrase, the paraphrase set).
    pub suite: String,
    /// The case; for a paraphrase its id is `<original>~<n>`.
    pub case: Case,
    /// For a paraphrase: the original case's id.
    pub paraphrase_of: Option<String>,
}

/// Reads the suites at `paths` (files, or directories whose `*.yaml` files are read in name
/// order). A paraphrase set's sibling suites are read too, as the source of its cases.
pub fn load_suites(paths: &[PathBuf]) -> Result<Vec<LoadedSuite>, EvalError> {
    let mut suites: Vec<LoadedSuite> = Vec::new();
    let add = |path: &Path, selected: bool, suites: &mut Vec<LoadedSuite>| -> Result<(), EvalError> {
        if let Some(existing) = suites.iter_mut().find(|suite| suite.path == path) {
            existing.selected |= selected;
            return Ok(());
        }
        suites.push(read_suite(path, selected)?);
        Ok(())
    };
    for path in paths {
        if path.is_dir() {
            for file in yaml_files(path)? {
                add(&file, true, &mut suites)?;
            }
        } else {
            add(path, true, &mut suites)?;
        }
    }
    let paraphrase_dirs: Vec<PathBuf> = suites
        .iter()
        .filter(|suite| !suite.file.paraphrases.is_empty())
        .filter_map(|suite| suite.path.parent().map(Path::to_path_buf))
        .collect();
    for directory in paraphrase_dirs {
        for file in yaml_files(&directory)? {
            add(&file, false, &mut suites)?;
        }
    }
    check(&suites)?;
    Ok(suites)
}

/// Every case of the selected suites, then every paraphrase of the selected paraphrase sets,
/// in file order; `filter` keeps the items whose id or category contains it.
pub fn run_items(suites: &[LoadedSuite], filter: Option<&str>) -> Vec<RunItem> {
    let cases: BTreeMap<&str, &Case> =
        suites.iter().flat_map(|suite| suite.file.cases.iter().map(|case| (case.id.as_str(), case))).collect();
    let mut items = Vec::new();
    for suite in suites.iter().filter(|suite| suite.selected) {
        for case in &suite.file.cases {
            items.push(RunItem { suite: suite.name.clone(), case: case.clone(), paraphrase_of: None });
        }
        for paraphrase in &suite.file.paraphrases {
            let Some(original) = cases.get(paraphrase.case.as_str()) else { continue };
            for (index, wording) in paraphrase.wordings.iter().enumerate() {
                let mut case = (*original).clone();
                case.id = format!("{}~{}", original.id, index + 1);
                for turn in &mut case.turns {
                    turn.ask = wording.clone();
                }
                items.push(RunItem { suite: suite.name.clone(), case, paraphrase_of: Some(original.id.clone()) });
            }
        }
    }
    if let Some(filter) = filter {
        items.retain(|item| item.case.id.contains(filter) || item.case.category.contains(filter));
    }
    items
}

/// `en` or `ja`: Japanese when the text has kana, kanji or full-width forms.
pub fn detect_language(text: &str) -> &'static str {
    let japanese = text.chars().any(|character| {
        matches!(character,
            '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff01}'..='\u{ff60}')
    });
    if japanese { "ja" } else { "en" }
}

fn yaml_files(directory: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let entries = std::fs::read_dir(directory)
        .map_err(|source| EvalError::ReadSuite { path: directory.to_path_buf(), source })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml" || extension == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

fn read_suite(path: &Path, selected: bool) -> Result<LoadedSuite, EvalError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| EvalError::ReadSuite { path: path.to_path_buf(), source })?;
    let file: SuiteFile = serde_saphyr::from_str(&text)
        .map_err(|error| EvalError::ParseSuite { path: path.to_path_buf(), message: error.to_string() })?;
    let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(LoadedSuite { path: path.to_path_buf(), name, file, selected })
}

fn check(suites: &[LoadedSuite]) -> Result<(), EvalError> {
    let known_scenarios = scenario_names();
    let mut ids: HashSet<&str> = HashSet::new();
    for suite in suites {
        let invalid = |case: &str, message: String| EvalError::InvalidCase {
            path: suite.path.clone(),
            case: case.to_string(),
            message,
        };
        for (backend, threshold) in &suite.file.threshold {
            if !(0.0..=1.0).contains(threshold) {
                return Err(invalid("-", format!("threshold for {backend} is {threshold}; allowed: 0.0 to 1.0")));
            }
            if backend != "planner" && backend != "llm" {
                return Err(invalid("-", format!("threshold for unknown backend {backend:?}; allowed: planner, llm")));
            }
        }
        for case in &suite.file.cases {
            if case.id.is_empty() || case.id.contains('~') {
                return Err(invalid(&case.id, "an id must be non-empty and must not contain `~`".into()));
            }
            if !ids.insert(case.id.as_str()) {
                return Err(invalid(&case.id, "the id is used twice".into()));
            }
            if case.turns.is_empty() {
                return Err(invalid(&case.id, "a case needs at least one turn".into()));
            }
            if let Some(now) = &case.now {
                DateTime::parse_from_rfc3339(now)
                    .map_err(|error| invalid(&case.id, format!("now {now:?} is not RFC 3339: {error}")))?;
            }
            let names: Vec<&str> = match &case.dataset {
                DatasetSpec::Named(name) if name == "demo" || name == "all" => Vec::new(),
                DatasetSpec::Named(name) => vec![name.as_str()],
                DatasetSpec::Scenarios(names) => names.iter().map(String::as_str).collect(),
            };
            for name in names {
                if !known_scenarios.contains(&name) {
                    return Err(invalid(
                        &case.id,
                        format!("unknown dataset {name:?}; allowed: demo, all, {}", known_scenarios.join(", ")),
                    ));
                }
            }
            for (index, turn) in case.turns.iter().enumerate() {
                if turn.ask.trim().is_empty() {
                    return Err(invalid(&case.id, format!("turn {} has no question", index + 1)));
                }
                if let Some(lang) = &turn.lang
                    && lang != "en"
                    && lang != "ja"
                {
                    return Err(invalid(&case.id, format!("turn {}: lang {lang:?}; allowed: en, ja", index + 1)));
                }
            }
        }
    }
    let cases: BTreeMap<&str, &Case> =
        suites.iter().flat_map(|suite| suite.file.cases.iter().map(|case| (case.id.as_str(), case))).collect();
    for suite in suites {
        for paraphrase in &suite.file.paraphrases {
            let invalid = |message: String| EvalError::InvalidCase {
                path: suite.path.clone(),
                case: paraphrase.case.clone(),
                message,
            };
            let Some(original) = cases.get(paraphrase.case.as_str()) else {
                return Err(invalid("a paraphrase of a case that no suite in this directory has".into()));
            };
            if original.turns.len() != 1 {
                return Err(invalid("only single-turn cases have paraphrases".into()));
            }
            if paraphrase.wordings.len() < MIN_WORDINGS {
                return Err(invalid(format!(
                    "{} wordings; at least {MIN_WORDINGS} are needed",
                    paraphrase.wordings.len()
                )));
            }
            let mut seen: HashSet<&str> = HashSet::from([original.turns[0].ask.trim()]);
            for wording in &paraphrase.wordings {
                if !seen.insert(wording.trim()) {
                    return Err(invalid(format!("the wording {wording:?} repeats the original or another wording")));
                }
            }
        }
    }
    Ok(())
}
