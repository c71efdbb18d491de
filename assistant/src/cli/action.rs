//! `saker action list|show|approve|reject|revert`: the response actions of a data directory.
//! The CLI acts as the local user in the config's `auth.local_role` (admin by default); an
//! approval is bound to the digest shown (`--digest` to insist on one seen elsewhere).

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use saker::actions::ActionService;
use saker::auth::Principal;
use saker_tools::actions::{ActionQuery, ActionStatus, StoredAction};

use super::ask::AssistantArgs;
use super::common::runtime;

/// Arguments of `saker action`.
#[derive(Debug, Args)]
pub struct ActionArgs {
    #[command(subcommand)]
    command: ActionCommand,
}

#[derive(Debug, Subcommand)]
enum ActionCommand {
    /// The response actions, newest first, with their status.
    List {
        #[command(flatten)]
        assistant: AssistantArgs,
        /// Only this status (proposed, approved, rejected, executing, succeeded, failed, reverted).
        #[arg(long)]
        status: Option<String>,
        /// Only this conversation's.
        #[arg(long)]
        session: Option<String>,
        /// How many (default 50).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON (each action with its history).
        #[arg(long)]
        json: bool,
    },
    /// One action: target, reason, blast radius, digest and its whole history.
    Show {
        #[command(flatten)]
        assistant: AssistantArgs,
        /// The action id (`act-...`).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve an action (responder or admin) and run it with the executor of its cluster.
    Approve {
        #[command(flatten)]
        assistant: AssistantArgs,
        /// The action id.
        id: String,
        /// The digest approved; default the action's digest as shown before approving.
        #[arg(long)]
        digest: Option<String>,
    },
    /// Reject an action (responder or admin).
    Reject {
        #[command(flatten)]
        assistant: AssistantArgs,
        /// The action id.
        id: String,
        /// The digest rejected, if it must match.
        #[arg(long)]
        digest: Option<String>,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Undo a succeeded reversible action: restore a quarantined file, delete the isolating
    /// NetworkPolicy, unpause a container (responder or admin).
    Revert {
        #[command(flatten)]
        assistant: AssistantArgs,
        /// The action id.
        id: String,
    },
}

/// Runs `saker action`.
pub fn run(arguments: ActionArgs) -> anyhow::Result<ExitCode> {
    let assistant = match &arguments.command {
        ActionCommand::List { assistant, .. }
        | ActionCommand::Show { assistant, .. }
        | ActionCommand::Approve { assistant, .. }
        | ActionCommand::Reject { assistant, .. }
        | ActionCommand::Revert { assistant, .. } => assistant,
    };
    let config = assistant.config()?;
    let data_dir = assistant.data.data_dir.clone();
    let runtime = runtime()?;
    let service: ActionService = match config.store_backend(|name| std::env::var(name).ok())? {
        saker::config::StoreBackend::Embedded => runtime
            .block_on(config.action_service(&data_dir))
            .with_context(|| format!("cannot open the response actions in {}", data_dir.display()))?,
        saker::config::StoreBackend::Postgres { url, url_env } => runtime
            .block_on(async {
                let state = saker_tools::store::state::StateDb::connect_postgres(
                    &url,
                    saker_tools::store::database::ConnectRetry::default(),
                )
                .await?;
                anyhow::Ok(config.action_service_on(&state, &data_dir).await?)
            })
            .with_context(|| {
                format!("cannot open the response actions in the PostgreSQL database {url} ({url_env})")
            })?,
    };
    let principal = Principal::local(config.tokens(|name| std::env::var(name).ok())?.local_role());
    match arguments.command {
        ActionCommand::List { status, session, limit, json, .. } => {
            let status = match status.as_deref() {
                Some(name) => Some(ActionStatus::from_name(name).with_context(|| format!("unknown status {name:?}"))?),
                None => None,
            };
            let query = ActionQuery { session_id: session, status, limit: Some(limit), ..ActionQuery::default() };
            let actions = runtime.block_on(service.list(&query))?;
            if json {
                out!("{}", serde_json::to_string_pretty(&actions)?);
            } else if actions.is_empty() {
                eprintln!("no response actions");
            } else {
                for action in &actions {
                    out!(
                        "{}  {:<16} {:<10} {}",
                        action.id,
                        action.proposal.kind.name(),
                        action.status.name(),
                        action.proposal.summary
                    );
                }
            }
        }
        ActionCommand::Show { id, json, .. } => {
            let action = runtime.block_on(service.get(&id))?;
            if json {
                out!("{}", serde_json::to_string_pretty(&action)?);
            } else {
                print_action(&action)?;
            }
        }
        ActionCommand::Approve { id, digest, .. } => {
            let action = runtime.block_on(service.get(&id))?;
            let digest = digest.unwrap_or_else(|| action.proposal.digest.clone());
            eprintln!("approving {id} as {} ({}): {}", principal.name, principal.role.name(), action.proposal.summary);
            eprintln!("digest {digest}");
            let done = runtime.block_on(service.approve(&id, &digest, &principal))?;
            print_action(&done)?;
            if done.status != ActionStatus::Succeeded {
                bail!("action {id} is {}", done.status);
            }
        }
        ActionCommand::Reject { id, digest, reason, .. } => {
            let done = runtime.block_on(service.reject(&id, digest.as_deref(), reason.as_deref(), &principal))?;
            print_action(&done)?;
        }
        ActionCommand::Revert { id, .. } => {
            let done = runtime.block_on(service.revert(&id, &principal))?;
            print_action(&done)?;
            if done.status != ActionStatus::Reverted {
                bail!("action {id} was not reverted");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_action(action: &StoredAction) -> anyhow::Result<()> {
    let proposal = &action.proposal;
    out!("{} {} [{}] {}", action.id, proposal.kind.name(), action.status.name(), proposal.summary);
    out!("  target: {}", serde_json::to_string(&proposal.target)?);
    out!("  digest: {}", proposal.digest);
    out!(
        "  executor: {} · reversible: {}",
        action.executor,
        if proposal.reversibility.reversible { "yes" } else { "no" }
    );
    for fact in &proposal.blast_radius {
        out!("  {} {}", if fact.unknown { "unknown:" } else { "-" }, fact.statement);
    }
    out!("  history:");
    for event in &action.history {
        let note = ["message", "reason", "rule"]
            .iter()
            .find_map(|key| event.detail.get(*key).and_then(|value| value.as_str()));
        out!(
            "    {} {} by {} ({}){}",
            event.at.to_rfc3339(),
            event.event.name(),
            event.actor,
            event.role,
            note.map(|note| format!(": {note}")).unwrap_or_default()
        );
    }
    Ok(())
}
