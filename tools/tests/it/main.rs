//! Integration tests of saker-tools, one binary with a module per area.

mod analytics;
mod assess_false_positive;
mod attack_path;
mod compare_periods;
mod exceptions_generate;
mod exceptions_generate_preview;
mod exceptions_validate;
mod exceptions_validate_cases;
mod exceptions_validate_data;
mod exceptions_validate_fuzz;
mod explain_event;
mod fuzz;
mod postgres_server;
mod postgres_writer;
mod response_actions;
mod root_cause;
mod rules;
mod scope;
mod snapshots_core;
mod state_suite;
mod store;
mod store_suite;
mod suggest_remediation;
mod support;
