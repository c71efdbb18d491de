//! Suites: the YAML format ([`model`]), loading and checking files ([`load`]), and the run list
//! they expand to (every case, then every paraphrase as a case of its own).

mod load;
pub mod model;

pub use load::{LoadedSuite, RunItem, detect_language, load_suites, run_items};
pub use model::{
    AlertSet, ArgExpectation, Case, DatasetSpec, ExceptionExpectation, FactQuery, FactSpec, GateUnit, Grouped,
    OutputExpectation, Paraphrase, SuiteFile, TimeExpectation, Turn,
};
