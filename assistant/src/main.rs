//! The `saker` binary: parses the command line and runs the chosen command.

mod cli;

use saker as _;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: ingest allocates many short-lived strings; the system allocator spent a third of
/// the parse time in malloc/free (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let arguments = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("SAKER_LOG").unwrap_or_else(|_| "warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match arguments.log_format {
        cli::LogFormat::Text => logs.init(),
        // Each line one object: time, level, target, fields, and the spans (a server request's
        // carries its request id).
        cli::LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
    }
    match cli::run(arguments) {
        Ok(code) => code,
        Err(error) if is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("saker: error: {error:#}");
            ExitCode::from(cli::EXIT_FAILURE)
        }
    }
}

/// Whether the command failed only because its reader went away (`saker stats | head`).
fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
