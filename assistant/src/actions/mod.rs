//! Response actions, the assistant's side: recording proposals, approval and rejection by a
//! person with a role, execution by the executor configured for the target's cluster, revert,
//! and the response history.
//!
//! Every path that changes an action goes through [`ActionService`], which checks the
//! principal's role (a refusal is recorded in the history), binds approvals to the action's
//! digest, and records every step in the ledger before and after the executor runs. No
//! backend has a tool that approves or executes: only these explicit calls do.

pub mod executor;
pub mod settings;

use std::path::Path;
use std::sync::Arc;

use saker_tools::actions::{
    ActionLedger, ActionOrigin, ActionQuery, ActionStatus, Actor, AutoApprovalPolicy, EventKind, LedgerError,
    NewAction, Proposal, StoredAction, Transition,
};
use serde_json::json;

use self::executor::{ApprovalRecord, Executors, Operation, Outcome};
use self::settings::ActionSettings;
use crate::auth::{Permission, Principal};

/// Why an action call failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The principal's role does not allow it (recorded in the history when the action exists).
    #[error("{0}")]
    Forbidden(String),
    /// The action cannot do this now (its status, its digest, not reversible).
    #[error("{0}")]
    Conflict(String),
    /// No such action.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed (no digest, ...).
    #[error("{0}")]
    Invalid(String),
    /// The ledger failed.
    #[error("{0}")]
    Ledger(LedgerError),
}

impl From<LedgerError> for ActionError {
    fn from(error: LedgerError) -> ActionError {
        match error {
            LedgerError::NotFound(_) => ActionError::NotFound(error.to_string()),
            LedgerError::Conflict { .. } | LedgerError::DigestMismatch { .. } => {
                ActionError::Conflict(error.to_string())
            }
            other => ActionError::Ledger(other),
        }
    }
}

/// How long an action must have been `executing` in a shared database before a starting
/// replica marks it interrupted: longer than any executor's bounded run.
pub const SHARED_STUCK_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// Proposals, approvals, execution and history.
#[derive(Debug, Clone)]
pub struct ActionService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    ledger: ActionLedger,
    executors: Executors,
    policy: AutoApprovalPolicy,
}

impl ActionService {
    /// A service over `ledger` with the executors and auto-approval rules of `settings`
    /// (quarantine under `data_dir` unless configured).
    pub fn new(ledger: ActionLedger, settings: &ActionSettings, data_dir: &Path) -> Result<ActionService, String> {
        let executors = Executors::from_settings(settings, data_dir)?;
        let policy = AutoApprovalPolicy::new(settings.auto_approve.clone())?;
        Ok(ActionService { inner: Arc::new(Inner { ledger, executors, policy }) })
    }

    /// Opens the ledger of `data_dir` and fails the actions a stopped process left running.
    pub async fn open(data_dir: &Path, settings: &ActionSettings) -> Result<ActionService, String> {
        let ledger = ActionLedger::open(data_dir).await.map_err(|error| error.to_string())?;
        ActionService::start(ledger, settings, data_dir).await
    }

    /// A service over `ledger` (embedded or shared) that first fails the actions a stopped
    /// process left running: on an embedded database every `executing` action (this process
    /// is the only one), on a shared one only those executing for longer than
    /// [`SHARED_STUCK_AFTER`] (another replica may be running an executor right now).
    pub async fn start(
        ledger: ActionLedger,
        settings: &ActionSettings,
        data_dir: &Path,
    ) -> Result<ActionService, String> {
        let stuck_for = match ledger.state().pool() {
            saker_tools::store::state::StatePool::Sqlite(_) => chrono::Duration::zero(),
            saker_tools::store::state::StatePool::Postgres(_) => SHARED_STUCK_AFTER,
        };
        let interrupted = ledger.fail_interrupted(stuck_for).await.map_err(|error| error.to_string())?;
        if !interrupted.is_empty() {
            tracing::warn!(actions = ?interrupted, "actions left executing by a stopped process were marked failed");
        }
        ActionService::new(ledger, settings, data_dir)
    }

    /// The ledger.
    pub fn ledger(&self) -> &ActionLedger {
        &self.inner.ledger
    }

    /// The executor name for a target in `cluster`.
    pub fn executor_name(&self, cluster: Option<&str>) -> &'static str {
        self.inner.executors.for_cluster(cluster).name()
    }

    /// Records `proposals` as `proposed` (analyst or above). Those an auto-approval rule covers
    /// (never a model's) are approved as such and executed at once.
    pub async fn propose(
        &self,
        proposals: Vec<Proposal>,
        origin: ActionOrigin,
        principal: &Principal,
        session_id: Option<&str>,
    ) -> Result<Vec<StoredAction>, ActionError> {
        if !principal.may(Permission::Propose) {
            return Err(ActionError::Forbidden(principal.refusal(Permission::Propose)));
        }
        let mut recorded = Vec::with_capacity(proposals.len());
        for proposal in proposals {
            if !proposal.digest_is_intact() {
                return Err(ActionError::Invalid(format!(
                    "the proposal {:?} does not match its digest; propose it again",
                    proposal.summary
                )));
            }
            let executor = self.executor_name(proposal.target.cluster.as_deref()).to_string();
            let rule = self.inner.policy.approving(&proposal, origin).map(|rule| rule.name.clone());
            let stored = self
                .inner
                .ledger
                .propose(NewAction {
                    proposal,
                    origin,
                    actor: principal.actor(),
                    session_id: session_id.map(str::to_string),
                    executor,
                })
                .await?;
            let stored = match rule {
                Some(rule) => {
                    let actor = Actor::new(format!("policy:{rule}"), "policy");
                    let approved = self
                        .inner
                        .ledger
                        .transition(
                            &stored.id,
                            Transition {
                                from: &[ActionStatus::Proposed],
                                to: ActionStatus::Approved,
                                event: EventKind::AutoApproved,
                                actor: &actor,
                                digest: Some(&stored.proposal.digest),
                                detail: json!({"rule": rule}),
                            },
                        )
                        .await?;
                    self.execute(approved, Operation::Execute).await?
                }
                None => stored,
            };
            recorded.push(stored);
        }
        Ok(recorded)
    }

    /// Approves action `id` as `principal` (responder or admin), bound to `digest`, and runs
    /// it. A refused approval (role, digest) is recorded in the history.
    pub async fn approve(&self, id: &str, digest: &str, principal: &Principal) -> Result<StoredAction, ActionError> {
        let action = self.inner.ledger.get(id).await?;
        self.check_role(&action, principal, "approve", Some(digest)).await?;
        if digest.trim().is_empty() {
            return Err(ActionError::Invalid(
                "an approval names the digest of the action it approves (`digest`, as the action shows it)".to_string(),
            ));
        }
        if !action.proposal.digest_is_intact() {
            return Err(ActionError::Ledger(LedgerError::Tampered(id.to_string())));
        }
        let approved = self
            .inner
            .ledger
            .transition(
                id,
                Transition {
                    from: &[ActionStatus::Proposed, ActionStatus::Failed],
                    to: ActionStatus::Approved,
                    event: EventKind::Approved,
                    actor: &principal.actor(),
                    digest: Some(digest.trim()),
                    detail: json!({}),
                },
            )
            .await;
        let approved = match approved {
            Ok(approved) => approved,
            Err(error @ (LedgerError::DigestMismatch { .. } | LedgerError::Conflict { .. })) => {
                let detail = json!({"attempted": "approve", "reason": error.to_string()});
                self.inner
                    .ledger
                    .record(id, EventKind::Refused, &principal.actor(), Some(digest.trim()), &detail)
                    .await?;
                return Err(error.into());
            }
            Err(error) => return Err(error.into()),
        };
        self.execute(approved, Operation::Execute).await
    }

    /// Rejects action `id` as `principal` (responder or admin); when `digest` is given it must
    /// be the action's.
    pub async fn reject(
        &self,
        id: &str,
        digest: Option<&str>,
        reason: Option<&str>,
        principal: &Principal,
    ) -> Result<StoredAction, ActionError> {
        let action = self.inner.ledger.get(id).await?;
        self.check_role(&action, principal, "reject", digest).await?;
        let detail = json!({"reason": reason});
        Ok(self
            .inner
            .ledger
            .transition(
                id,
                Transition {
                    from: &[ActionStatus::Proposed, ActionStatus::Failed],
                    to: ActionStatus::Rejected,
                    event: EventKind::Rejected,
                    actor: &principal.actor(),
                    digest: digest.map(str::trim),
                    detail,
                },
            )
            .await?)
    }

    /// Undoes succeeded action `id` (a quarantined file restored, a NetworkPolicy deleted, a
    /// container unpaused) as `principal` (responder or admin).
    pub async fn revert(&self, id: &str, principal: &Principal) -> Result<StoredAction, ActionError> {
        let action = self.inner.ledger.get(id).await?;
        self.check_role(&action, principal, "revert", None).await?;
        if !action.proposal.reversibility.reversible {
            return Err(ActionError::Conflict(format!(
                "{} cannot be undone: {}",
                action.proposal.kind, action.proposal.reversibility.how
            )));
        }
        if action.status != ActionStatus::Succeeded {
            return Err(ActionError::Conflict(format!(
                "action {id} is {}; only a succeeded action is reverted",
                action.status
            )));
        }
        let executor = self.inner.executors.for_cluster(action.proposal.target.cluster.as_deref());
        let approval = ApprovalRecord {
            by: principal.name.clone(),
            role: principal.role.name().to_string(),
            at: chrono::Utc::now().to_rfc3339(),
            digest: action.proposal.digest.clone(),
        };
        let outcome = executor.run(&action, Operation::Revert, &approval).await;
        let (to, event) = if outcome.succeeded {
            (ActionStatus::Reverted, EventKind::Reverted)
        } else {
            (ActionStatus::Succeeded, EventKind::RevertFailed)
        };
        Ok(self
            .inner
            .ledger
            .transition(
                id,
                Transition {
                    from: &[ActionStatus::Succeeded],
                    to,
                    event,
                    actor: &principal.actor(),
                    digest: None,
                    detail: outcome_detail(executor.name(), &outcome),
                },
            )
            .await?)
    }

    /// One action with its history.
    pub async fn get(&self, id: &str) -> Result<StoredAction, ActionError> {
        Ok(self.inner.ledger.get(id).await?)
    }

    /// Actions, newest first.
    pub async fn list(&self, query: &ActionQuery) -> Result<Vec<StoredAction>, ActionError> {
        Ok(self.inner.ledger.list(query).await?)
    }

    /// Refuses (and records the refusal of) `attempted` by a principal without the respond
    /// permission.
    async fn check_role(
        &self,
        action: &StoredAction,
        principal: &Principal,
        attempted: &str,
        digest: Option<&str>,
    ) -> Result<(), ActionError> {
        if principal.may(Permission::Respond) {
            return Ok(());
        }
        let reason = principal.refusal(Permission::Respond);
        let detail = json!({"attempted": attempted, "reason": reason});
        self.inner.ledger.record(&action.id, EventKind::Refused, &principal.actor(), digest, &detail).await?;
        Err(ActionError::Forbidden(reason))
    }

    /// Runs an approved action: `executing`, then the executor, then `succeeded` or `failed`
    /// with its outcome.
    async fn execute(&self, approved: StoredAction, operation: Operation) -> Result<StoredAction, ActionError> {
        let system = Actor::system();
        let executor = self.inner.executors.for_cluster(approved.proposal.target.cluster.as_deref());
        let executing = self
            .inner
            .ledger
            .transition(
                &approved.id,
                Transition {
                    from: &[ActionStatus::Approved],
                    to: ActionStatus::Executing,
                    event: EventKind::Executing,
                    actor: &system,
                    digest: None,
                    detail: json!({"executor": executor.name()}),
                },
            )
            .await?;
        let Some(approval) = ApprovalRecord::of(&executing) else {
            return Err(ActionError::Conflict(format!("action {} has no approval on record", executing.id)));
        };
        let outcome = if approval.digest == executing.proposal.digest && executing.proposal.digest_is_intact() {
            executor.run(&executing, operation, &approval).await
        } else {
            Outcome::failed("the approved digest is not the action's: nothing was done", json!({}))
        };
        let (to, event) = if outcome.succeeded {
            (ActionStatus::Succeeded, EventKind::Succeeded)
        } else {
            (ActionStatus::Failed, EventKind::Failed)
        };
        tracing::info!(action = %executing.id, kind = %executing.proposal.kind, executor = executor.name(), succeeded = outcome.succeeded, "response action executed");
        Ok(self
            .inner
            .ledger
            .transition(
                &executing.id,
                Transition {
                    from: &[ActionStatus::Executing],
                    to,
                    event,
                    actor: &system,
                    digest: None,
                    detail: outcome_detail(executor.name(), &outcome),
                },
            )
            .await?)
    }
}

fn outcome_detail(executor: &str, outcome: &Outcome) -> serde_json::Value {
    json!({"executor": executor, "message": outcome.message, "result": outcome.detail})
}
