//! `saker migrate`: runs every PostgreSQL migration (alert store, state, sessions) on the
//! database `store:` names, waiting for it with bounded retries; for the embedded backend it
//! says that none is needed (the files of the data directory are migrated when opened).

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use saker::config::StoreBackend;
use saker_tools::store::database::ConnectRetry;

use super::ask::AssistantArgs;

/// Arguments of `saker migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    assistant: AssistantArgs,
}

/// Runs `saker migrate`.
pub fn run(arguments: MigrateArgs) -> anyhow::Result<ExitCode> {
    let config = arguments.assistant.config()?;
    match config.store_backend(|name| std::env::var(name).ok())? {
        StoreBackend::Embedded => {
            out!(
                "the embedded backend needs no migration: Saker creates and migrates the files of the data directory \
                 when it opens them"
            );
        }
        StoreBackend::Postgres { url, url_env } => {
            let runtime = super::common::runtime()?;
            runtime
                .block_on(saker::storage::migrate_postgres(&url, ConnectRetry::default()))
                .with_context(|| format!("cannot migrate the PostgreSQL database {url} ({url_env})"))?;
            out!("migrated the PostgreSQL database {url}: alert store, state and sessions are up to date");
        }
    }
    Ok(ExitCode::SUCCESS)
}
