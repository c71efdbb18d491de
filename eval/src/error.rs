//! The harness's errors: a suite that cannot be read or is inconsistent, a dataset that cannot
//! be built, a backend that cannot be set up. A case whose answer is wrong is not an error: it is
//! a scored failure in the report.

use std::path::PathBuf;

/// Why an eval run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A suite file could not be read.
    #[error("cannot read the suite file {path}: {source}")]
    ReadSuite {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A suite file is not valid YAML or does not match the suite format.
    #[error("suite file {path}: {message}")]
    ParseSuite {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column and the field.
        message: String,
    },
    /// A suite is inconsistent (a duplicate id, an unknown dataset, a paraphrase of a missing
    /// case, a time that does not parse).
    #[error("suite {path}: case {case}: {message}")]
    InvalidCase {
        /// The file.
        path: PathBuf,
        /// The case id.
        case: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A dataset's scenarios could not be ingested into a data directory.
    #[error("dataset {dataset}: {message}")]
    Dataset {
        /// The dataset's name.
        dataset: String,
        /// What failed.
        message: String,
    },
    /// A case's data directory could not be prepared.
    #[error("cannot prepare a data directory: {0}")]
    DataDir(#[from] std::io::Error),
    /// The backend could not be set up (incomplete model settings, a session database that
    /// does not open).
    #[error("backend: {0}")]
    Backend(String),
}
