//! `saker eval`: measures answer quality against the eval suites. The harness is the
//! `saker-eval` crate, which depends on this one (it drives the orchestrator), so this binary
//! cannot link it without a package cycle; `saker eval` runs the `saker-eval` binary built
//! beside `saker` (or found on `PATH`) with the same arguments and exits with its status.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use clap::Args;

use super::common::EXIT_FAILURE;

/// Arguments of `saker eval`, handed to `saker-eval` unchanged.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct EvalArgs {
    /// `--backend planner|llm`, `--suite PATH`, `--report FILE`, `--scripted-model`,
    /// `--filter TEXT`, `--rules FILE` (`saker eval --help` lists them all).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    arguments: Vec<OsString>,
}

/// Runs `saker eval`.
pub fn run(arguments: EvalArgs) -> anyhow::Result<ExitCode> {
    let program = harness_binary()?;
    let status = Command::new(&program)
        .args(&arguments.arguments)
        .status()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let code = status.code().and_then(|code| u8::try_from(code).ok()).unwrap_or(EXIT_FAILURE);
    Ok(ExitCode::from(code))
}

/// `saker-eval` beside the running `saker`, else on `PATH`.
fn harness_binary() -> anyhow::Result<PathBuf> {
    let name = format!("saker-eval{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|directory| directory.join(&name)));
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|directory| directory.join(&name)).collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(found) = beside.into_iter().chain(on_path).find(|candidate| candidate.is_file()) {
        return Ok(found);
    }
    bail!(
        "saker eval runs the {name} binary, which is neither beside saker nor on PATH: build it with \
         `cargo build -p saker-eval` (the same profile as saker) or run `cargo run -p saker-eval -- ...`"
    )
}
