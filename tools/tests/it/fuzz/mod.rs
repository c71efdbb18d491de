//! Fuzz targets for every parser of outside input in saker-tools (alerts and strict JSON,
//! scopes, Falco rules files, exception YAML), on the stable engine in [`engine`]. Each test
//! runs a few seconds by default; `SAKER_FUZZ_SECONDS=600 cargo test -p saker-tools --test it
//! fuzz::alert -- --nocapture` runs one target for ten minutes (see FUZZING.md).

pub mod engine;

mod alert;
mod exceptions;
mod rules;
mod scope;

use std::path::Path;

/// Splits a Falco rules file into its top-level items (each `- ` at column 0 and the
/// indented lines after it), as text.
pub fn rules_items(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("- ") || items.is_empty() {
            items.push(String::new());
        }
        if let Some(item) = items.last_mut() {
            item.push_str(line);
            item.push('\n');
        }
    }
    items
}

/// The reference Falco rules files beside the repository (current, historical, plugins), as text.
pub fn reference_rules_texts() -> Vec<String> {
    let base = crate::support::shared_dir().join("reference/falco/rules");
    let mut paths = Vec::new();
    for directory in [base.clone(), base.join("historical"), base.join("plugins")] {
        let entries = std::fs::read_dir(&directory).unwrap_or_else(|error| panic!("{}: {error}", directory.display()));
        paths.extend(
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|extension| extension == "yaml")),
        );
    }
    paths.sort();
    assert!(paths.len() >= 5, "reference rules files missing under {}", base.display());
    paths.iter().map(|path| read(path)).collect()
}

/// Lines as YAML counts them: `\r\n`, `\r` and `\n` each end one.
pub fn yaml_lines(text: &str) -> usize {
    text.replace("\r\n", "\n").replace('\r', "\n").lines().count()
}

/// A file's text; a missing seed file is a broken checkout, so the test fails.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
