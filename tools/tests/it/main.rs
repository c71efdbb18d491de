//! Integration tests of saker-tools, one binary with a module per area.

mod analytics;
mod compare_periods;
mod explain_event;
mod rules;
mod scope;
mod snapshots_core;
mod store;
mod suggest_remediation;
mod support;
