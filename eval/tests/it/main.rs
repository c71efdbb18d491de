//! Integration tests of the eval harness: the committed suites (their shape and the planner's
//! pass rate against the committed thresholds, which is the CI gate), the harness's own scoring
//! (it fails what is wrong), and a wire-level run of the LLM path against a scripted model.

mod harness_scoring;
mod llm_scripted;
mod planner_threshold;
mod suite_shape;

use std::path::Path;

use saker_eval::run::{BackendChoice, CaseResult, Harness};
use saker_eval::suite::{LoadedSuite, load_suites, run_items};
use saker_tools::rules::RulesCatalog;

/// The upstream rules the fixtures were generated from.
pub fn upstream_rules() -> RulesCatalog {
    RulesCatalog::load(&saker_eval::default_rules_files()).expect("upstream rules load")
}

/// The committed suites.
pub fn committed_suites() -> Vec<LoadedSuite> {
    load_suites(&[saker_eval::default_suites_dir()]).expect("the committed suites load")
}

/// Writes `yaml` as a suite file in `directory` and loads it.
pub fn suite_from(directory: &Path, yaml: &str) -> Vec<LoadedSuite> {
    let path = directory.join("test.yaml");
    std::fs::write(&path, yaml).expect("write suite");
    load_suites(&[path]).expect("the suite loads")
}

/// Runs every case of `suites` with `backend`.
pub async fn run_suites(suites: &[LoadedSuite], backend: BackendChoice) -> Vec<CaseResult> {
    let harness = Harness::new(upstream_rules(), backend).expect("harness");
    harness.run_all(&run_items(suites, None), |_, _| {}).await.expect("the run completes")
}
