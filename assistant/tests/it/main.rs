//! Integration tests of the `saker` binary, run as a real child process.

mod cli_ingest;
mod cli_query;
mod crash_recovery;
mod support;
