//! Integration tests of saker-tools, one binary with a module per area.

mod analytics;
mod rules;
mod scope;
mod snapshots_core;
mod store;
mod support;
