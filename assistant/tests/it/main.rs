//! Integration tests of the `saker` binary (run as a real child process) and of its library
//! (the orchestrator over a real index, session database and loopback servers).

mod cli_ingest;
mod cli_query;
mod conversation;
mod crash_recovery;
mod planner_render;
mod support;
