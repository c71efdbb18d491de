//! Saker's quality harness: suites of conversations (YAML in `eval/suites/`) with expected tool
//! calls, arguments and facts, run against a backend (the embedded planner or a model), each case
//! in a fresh data directory, scored turn by turn, summarised in a Markdown report.
//!
//! Expected facts are literals from the fixture generator's ground truth or figures the harness
//! computes itself over the dataset's alerts ([`facts`]); they are never taken from Saker's
//! answers. [`suite`] reads the files, [`dataset`] builds the data, [`run`] drives the
//! orchestrator, [`score`] checks each turn, [`summary`] and [`report`] give the figures.

mod error;

pub mod dataset;
pub mod facts;
pub mod report;
pub mod run;
pub mod score;
pub mod scripted_model;
pub mod suite;
pub mod summary;

use std::path::PathBuf;

pub use error::EvalError;

/// The suites committed with Saker (`eval/suites/`).
pub fn default_suites_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/suites"))
}

/// The upstream Falco rules the fixtures were generated from, beside the repository
/// (`../shared/reference/falco/rules`): the stable, incubating and sandbox files.
pub fn default_rules_files() -> Vec<PathBuf> {
    saker_fixtures::rules_file_paths(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/falco/rules"
    )))
}
