//! Integration tests of the `saker` binary, run as a real child process.

mod cli_ingest;
mod crash_recovery;
mod support;
