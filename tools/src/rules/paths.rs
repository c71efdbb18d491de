//! Which files a catalog loads: Falco's default locations and directory expansion.

use std::path::{Path, PathBuf};

use super::RulesError;

/// The rules files and directory a default Falco install loads, in Falco's order.
pub const DEFAULT_RULES_PATHS: [&str; 3] =
    ["/etc/falco/falco_rules.yaml", "/etc/falco/falco_rules.local.yaml", "/etc/falco/rules.d"];

/// Expands `paths` into the files to load, in order: a file stays as it is, a directory becomes
/// its `*.yaml`/`*.yml` files sorted by name (as Falco does). With `skip_missing`, a path that
/// does not exist is left out instead of being an error (Falco's defaults may be absent).
pub fn expand_paths(paths: &[PathBuf], skip_missing: bool) -> Result<Vec<PathBuf>, RulesError> {
    let mut files = Vec::new();
    for path in paths {
        if skip_missing && !path.exists() {
            continue;
        }
        if path.is_dir() {
            files.extend(yaml_files_in(path)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn yaml_files_in(directory: &Path) -> Result<Vec<PathBuf>, RulesError> {
    let entries =
        std::fs::read_dir(directory).map_err(|source| RulesError::Read { path: directory.to_path_buf(), source })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| RulesError::Read { path: directory.to_path_buf(), source })?;
        let path = entry.path();
        let is_yaml = path.extension().is_some_and(|extension| extension == "yaml" || extension == "yml");
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_expand_to_sorted_yaml_files_and_missing_defaults_are_skipped() {
        let directory = tempfile::tempdir().expect("tempdir");
        for name in ["b.yaml", "a.yml", "notes.txt"] {
            std::fs::write(directory.path().join(name), "[]").expect("write");
        }
        let missing = directory.path().join("absent.yaml");
        let files = expand_paths(&[missing.clone(), directory.path().to_path_buf()], true).expect("expand");
        let names: Vec<_> = files.iter().filter_map(|file| file.file_name()?.to_str()).collect();
        assert_eq!(names, ["a.yml", "b.yaml"]);
        let kept = expand_paths(std::slice::from_ref(&missing), false).expect("expand");
        assert_eq!(kept, [missing]);
    }
}
