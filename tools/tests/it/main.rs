//! Integration tests of saker-tools, one binary with a module per area.

mod store;
mod scope;
