//! Errors of loading Falco rules files, each naming the file and line it is about.

use std::path::PathBuf;

/// Why a rules file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file or directory could not be read.
    #[error("cannot read rules file {path}: {source}")]
    Read {
        /// The path that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML, or not a YAML sequence of items.
    #[error("{path}: not a valid Falco rules file: {message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The YAML parser's message, with its line and column.
        message: String,
    },
    /// An item is well-formed YAML but not a valid rule, macro or list.
    #[error("{path}:{line}: {item}: {problem}")]
    Item {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the item starts.
        line: usize,
        /// What the item is, e.g. `rule "Terminal shell in container"`.
        item: String,
        /// What is wrong and what is allowed.
        problem: String,
    },
}
