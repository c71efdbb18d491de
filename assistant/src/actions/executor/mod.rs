//! Executors: what carries an approved action out, chosen per cluster in configuration.
//!
//! - [`dry_run`]: the default; records exactly what it would do and does nothing.
//! - [`host`]: this machine: signals to pids (after checking the process name), file
//!   quarantine and restore ([`quarantine`]), containers through the runtime CLI
//!   ([`container_cli`]).
//! - [`kubernetes`]: the API server over HTTPS: delete a pod, create (and delete) an isolating
//!   NetworkPolicy.
//! - [`webhook`]: posts the documented JSON action to the user's own automation and records
//!   its reply.
//!
//! An executor never decides whether to act: it is only called for an approved action, and
//! reports what happened as an [`Outcome`] recorded in the action's history.

pub mod container_cli;
pub mod dry_run;
pub mod host;
pub mod kubernetes;
pub mod quarantine;
pub mod webhook;

use std::path::Path;

use saker_tools::actions::{ActionEvent, StoredAction};
use serde::Serialize;
use serde_json::Value;

use super::settings::{ActionSettings, ExecutorSettings};

/// What an executor is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Carry the action out.
    Execute,
    /// Undo a succeeded reversible action (restore the file, delete the NetworkPolicy,
    /// unpause the container).
    Revert,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// True when the executor did what was asked.
    pub succeeded: bool,
    /// One line for people: what was done, or why not.
    pub message: String,
    /// What was sent and answered (requests, replies, commands, the quarantine manifest).
    pub detail: Value,
}

impl Outcome {
    /// A success.
    pub fn done(message: impl Into<String>, detail: Value) -> Outcome {
        Outcome { succeeded: true, message: message.into(), detail }
    }

    /// A failure.
    pub fn failed(message: impl Into<String>, detail: Value) -> Outcome {
        Outcome { succeeded: false, message: message.into(), detail }
    }
}

/// The approval an execution runs under (the webhook sends it along).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRecord {
    /// Who approved (a person or `policy:<rule>`).
    pub by: String,
    /// In which role.
    pub role: String,
    /// When.
    pub at: String,
    /// The digest approved.
    pub digest: String,
}

impl ApprovalRecord {
    /// The last approval in an action's history.
    pub fn of(action: &StoredAction) -> Option<ApprovalRecord> {
        use saker_tools::actions::EventKind;
        action
            .history
            .iter()
            .rev()
            .find(|event| matches!(event.event, EventKind::Approved | EventKind::AutoApproved))
            .map(|event: &ActionEvent| ApprovalRecord {
                by: event.actor.clone(),
                role: event.role.clone(),
                at: event.at.to_rfc3339(),
                digest: event.digest.clone().unwrap_or_default(),
            })
    }
}

/// One configured executor.
#[derive(Debug)]
pub enum Executor {
    /// Records what it would do.
    DryRun,
    /// This machine.
    Host(host::HostExecutor),
    /// A Kubernetes API server.
    Kubernetes(kubernetes::KubernetesExecutor),
    /// The user's automation endpoint.
    Webhook(webhook::WebhookExecutor),
}

impl Executor {
    /// `dry-run`, `host`, `kubernetes`, `webhook`.
    pub fn name(&self) -> &'static str {
        match self {
            Executor::DryRun => "dry-run",
            Executor::Host(_) => "host",
            Executor::Kubernetes(_) => "kubernetes",
            Executor::Webhook(_) => "webhook",
        }
    }

    /// Carries out (or undoes) `action`, approved as `approval`.
    pub async fn run(&self, action: &StoredAction, operation: Operation, approval: &ApprovalRecord) -> Outcome {
        match self {
            Executor::DryRun => dry_run::run(action, operation),
            Executor::Host(host) => host.run(action, operation).await,
            Executor::Kubernetes(kubernetes) => kubernetes.run(action, operation).await,
            Executor::Webhook(webhook) => webhook.run(action, operation, approval).await,
        }
    }
}

/// The executors of a configuration, by cluster.
#[derive(Debug)]
pub struct Executors {
    entries: Vec<(Vec<String>, Executor)>,
    dry_run: Executor,
}

impl Executors {
    /// Only dry runs (no `actions.executors` configured).
    pub fn dry_run() -> Executors {
        Executors { entries: Vec::new(), dry_run: Executor::DryRun }
    }

    /// The executors configured in `settings` (quarantine under `data_dir` unless configured),
    /// or what is wrong with one, naming its index.
    pub fn from_settings(settings: &ActionSettings, data_dir: &Path) -> Result<Executors, String> {
        let mut entries = Vec::new();
        for (index, entry) in settings.executors.iter().enumerate() {
            let place = format!("actions.executors[{index}]");
            if entry.clusters().is_empty() {
                return Err(format!("{place}: `clusters` is empty: name the clusters it serves, or [\"*\"] for any"));
            }
            let executor = match entry {
                ExecutorSettings::DryRun { .. } => Executor::DryRun,
                ExecutorSettings::Host(host) => Executor::Host(
                    host::HostExecutor::new(host, data_dir).map_err(|problem| format!("{place} (host): {problem}"))?,
                ),
                ExecutorSettings::Kubernetes(kubernetes) => Executor::Kubernetes(
                    kubernetes::KubernetesExecutor::new(kubernetes)
                        .map_err(|problem| format!("{place} (kubernetes): {problem}"))?,
                ),
                ExecutorSettings::Webhook(webhook) => Executor::Webhook(
                    webhook::WebhookExecutor::new(webhook)
                        .map_err(|problem| format!("{place} (webhook): {problem}"))?,
                ),
            };
            entries.push((entry.clusters().to_vec(), executor));
        }
        Ok(Executors { entries, dry_run: Executor::DryRun })
    }

    /// The executor for a target in `cluster`: the first entry that names it (or `*`), else
    /// the dry run.
    pub fn for_cluster(&self, cluster: Option<&str>) -> &Executor {
        self.entries
            .iter()
            .find(|(clusters, _)| clusters.iter().any(|listed| listed == "*" || Some(listed.as_str()) == cluster))
            .map_or(&self.dry_run, |(_, executor)| executor)
    }
}

/// Text of a reply body for the history: JSON as JSON, other text cut to 4 KiB.
pub fn reply_body(bytes: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => value,
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let cut: String = text.chars().take(4096).collect();
            Value::String(cut)
        }
    }
}
