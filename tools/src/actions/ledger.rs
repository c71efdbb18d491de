//! The action ledger: proposals and their append-only history in the state database
//! (`<data-dir>/state.sqlite`, migration `0002_response_actions.sql`).
//!
//! Every change of an action's status is one transaction that updates the action's status only
//! if its version is still the one read, and appends the event: of two concurrent approvals of
//! the same action exactly one succeeds, the other is told the action's new status. Triggers
//! keep the history append-only and a proposal's substance immutable. Commits are synchronous
//! (`synchronous = FULL`), so an acknowledged approval survives a power loss.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use super::model::ActionStatus;
use super::proposal::Proposal;
use crate::store::StoreError;
use crate::store::state::StateDb;

/// Where a proposal came from. Auto-approval never applies to a language model's proposals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionOrigin {
    /// The embedded planner, from the analyst's own words.
    Planner,
    /// A language model's tool call.
    Llm,
    /// `POST /v1/actions`.
    Api,
    /// `saker action propose`.
    Cli,
}

impl ActionOrigin {
    /// The snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            ActionOrigin::Planner => "planner",
            ActionOrigin::Llm => "llm",
            ActionOrigin::Api => "api",
            ActionOrigin::Cli => "cli",
        }
    }

    fn from_name(name: &str) -> Option<ActionOrigin> {
        [ActionOrigin::Planner, ActionOrigin::Llm, ActionOrigin::Api, ActionOrigin::Cli]
            .into_iter()
            .find(|origin| origin.name() == name)
    }
}

/// Who did something: a person (token name or local user) or an auto-approval rule, with the
/// role they acted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Actor {
    /// `alice`, `local:root`, `policy:miners`, `saker` (the executor).
    pub name: String,
    /// `viewer`, `analyst`, `responder`, `admin`, `policy`, `system`.
    pub role: String,
}

impl Actor {
    /// An actor.
    pub fn new(name: impl Into<String>, role: impl Into<String>) -> Actor {
        Actor { name: name.into(), role: role.into() }
    }

    /// Saker itself (the executor reporting a result).
    pub fn system() -> Actor {
        Actor::new("saker", "system")
    }
}

/// What happened to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Proposed.
    Proposed,
    /// Approved by a person.
    Approved,
    /// Approved by an auto-approval rule.
    AutoApproved,
    /// Rejected by a person.
    Rejected,
    /// An approval, rejection or revert that was refused (role, digest, status); nothing changed.
    Refused,
    /// The executor started.
    Executing,
    /// The executor succeeded.
    Succeeded,
    /// The executor failed (or was interrupted).
    Failed,
    /// A succeeded action was undone.
    Reverted,
    /// Undoing failed.
    RevertFailed,
}

impl EventKind {
    const ALL: [EventKind; 10] = [
        EventKind::Proposed,
        EventKind::Approved,
        EventKind::AutoApproved,
        EventKind::Rejected,
        EventKind::Refused,
        EventKind::Executing,
        EventKind::Succeeded,
        EventKind::Failed,
        EventKind::Reverted,
        EventKind::RevertFailed,
    ];

    /// The snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Proposed => "proposed",
            EventKind::Approved => "approved",
            EventKind::AutoApproved => "auto_approved",
            EventKind::Rejected => "rejected",
            EventKind::Refused => "refused",
            EventKind::Executing => "executing",
            EventKind::Succeeded => "succeeded",
            EventKind::Failed => "failed",
            EventKind::Reverted => "reverted",
            EventKind::RevertFailed => "revert_failed",
        }
    }

    fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|event| event.name() == name)
    }
}

/// One entry of an action's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionEvent {
    /// Order in the whole ledger.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub event: EventKind,
    /// Who.
    pub actor: String,
    /// In which role.
    pub role: String,
    /// The digest the actor saw, for approvals and refusals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The status after the event (none when it changed nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ActionStatus>,
    /// The reason, the executor's request and reply, the outcome.
    pub detail: Value,
}

/// An action as recorded, with its history oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StoredAction {
    /// `act-` and twelve hex digits.
    pub id: String,
    /// When it was proposed.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
    /// Current status.
    pub status: ActionStatus,
    /// Bumped by every transition.
    pub version: i64,
    /// Where the proposal came from.
    pub origin: ActionOrigin,
    /// Who proposed it.
    pub proposed_by: String,
    /// The conversation it was proposed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The executor configured for its target when proposed (`dry-run`, `host`, ...).
    pub executor: String,
    /// The proposal (kind, target, parameters, digest, reason, blast radius, reversibility).
    pub proposal: Proposal,
    /// Everything that happened to it, oldest first.
    pub history: Vec<ActionEvent>,
}

/// A proposal to record.
#[derive(Debug, Clone)]
pub struct NewAction {
    /// The proposal.
    pub proposal: Proposal,
    /// Where it came from.
    pub origin: ActionOrigin,
    /// Who proposed it.
    pub actor: Actor,
    /// The conversation, if any.
    pub session_id: Option<String>,
    /// The executor that would run it.
    pub executor: String,
}

/// A change of status.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    /// The statuses it may start from.
    pub from: &'a [ActionStatus],
    /// The status after it.
    pub to: ActionStatus,
    /// The event recorded.
    pub event: EventKind,
    /// Who.
    pub actor: &'a Actor,
    /// The digest the actor approved; must equal the action's.
    pub digest: Option<&'a str>,
    /// Reason, executor reply, outcome.
    pub detail: Value,
}

/// Which actions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionQuery {
    /// Only this conversation's.
    pub session_id: Option<String>,
    /// Only with this status.
    pub status: Option<ActionStatus>,
    /// Only these ids.
    pub ids: Vec<String>,
    /// Most actions, newest first (default 50).
    pub limit: Option<u32>,
}

/// Why a ledger call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// No action has this id.
    #[error("no response action with id {0:?}")]
    NotFound(String),
    /// The action is not in a status the transition may start from (someone else acted first).
    #[error("action {id} is {status}; {wanted} needs it to be {allowed}")]
    Conflict {
        /// The action.
        id: String,
        /// Its status now.
        status: ActionStatus,
        /// What was attempted.
        wanted: &'static str,
        /// The statuses it may start from.
        allowed: String,
    },
    /// The digest given is not the action's: the approver saw another action.
    /// The message does not show the action's digest: an approval must come from reading the
    /// action, never from an error.
    #[error(
        "digest {given} is not the digest of action {id}: the proposal differs from what was approved; read the action again and approve the digest it shows"
    )]
    DigestMismatch {
        /// The action.
        id: String,
        /// The digest given.
        given: String,
        /// The action's digest (for the log, never for the message).
        actual: String,
    },
    /// The stored proposal no longer hashes to its digest.
    #[error("action {0} was altered in the database: its proposal does not match its digest")]
    Tampered(String),
    /// The database failed.
    #[error("state database: {0}")]
    Database(#[from] sqlx::Error),
    /// The state database could not be opened.
    #[error("{0}")]
    Open(#[from] StoreError),
    /// A stored row could not be decoded.
    #[error("stored action {id} is unreadable: {message}")]
    Corrupt {
        /// The action.
        id: String,
        /// What failed.
        message: String,
    },
}

/// The actions of one data directory.
#[derive(Debug, Clone)]
pub struct ActionLedger {
    db: StateDb,
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).unwrap_or_default()
}

impl ActionLedger {
    /// The ledger in an open state database.
    pub fn new(db: StateDb) -> ActionLedger {
        ActionLedger { db }
    }

    /// Opens (creating and migrating) the state database of `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<ActionLedger, LedgerError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io { path: data_dir.to_path_buf(), source })?;
        Ok(ActionLedger::new(StateDb::open(data_dir).await?))
    }

    /// Records a proposal with status `proposed` and its `proposed` event.
    pub async fn propose(&self, new: NewAction) -> Result<StoredAction, LedgerError> {
        let proposal_json = serde_json::to_string(&new.proposal)
            .map_err(|error| LedgerError::Corrupt { id: "(new)".into(), message: error.to_string() })?;
        let now = now_text();
        let mut transaction = self.db.pool().begin().await?;
        let row = sqlx::query(
            "INSERT INTO response_actions (id, created_at, updated_at, kind, digest, proposal, cluster, namespace, \
             origin, proposed_by, session_id, executor, status) \
             VALUES ('act-' || lower(hex(randomblob(6))), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed') RETURNING id",
        )
        .bind(&now)
        .bind(&now)
        .bind(new.proposal.kind.name())
        .bind(&new.proposal.digest)
        .bind(&proposal_json)
        .bind(&new.proposal.target.cluster)
        .bind(&new.proposal.target.namespace)
        .bind(new.origin.name())
        .bind(&new.actor.name)
        .bind(&new.session_id)
        .bind(&new.executor)
        .fetch_one(&mut *transaction)
        .await?;
        let id: String = row.get(0);
        let detail = serde_json::json!({"origin": new.origin.name(), "summary": new.proposal.summary});
        insert_event(
            &mut transaction,
            &id,
            &now,
            EventKind::Proposed,
            &new.actor,
            Some(&new.proposal.digest),
            Some(ActionStatus::Proposed),
            &detail,
        )
        .await?;
        transaction.commit().await?;
        self.get(&id).await
    }

    /// Moves an action from one of `transition.from` to `transition.to` and appends the event,
    /// atomically. Fails with [`LedgerError::DigestMismatch`] when the digest given is not the
    /// action's and [`LedgerError::Conflict`] when its status does not allow the transition
    /// (also when another caller changed it first); nothing is recorded then.
    pub async fn transition(&self, id: &str, transition: Transition<'_>) -> Result<StoredAction, LedgerError> {
        let current = self.get(id).await?;
        if let Some(given) = transition.digest
            && given != current.proposal.digest
        {
            return Err(LedgerError::DigestMismatch {
                id: id.to_string(),
                given: given.to_string(),
                actual: current.proposal.digest.clone(),
            });
        }
        let conflict = |status: ActionStatus| LedgerError::Conflict {
            id: id.to_string(),
            status,
            wanted: transition.event.name(),
            allowed: transition.from.iter().map(|status| status.name()).collect::<Vec<_>>().join(" or "),
        };
        if !transition.from.contains(&current.status) {
            return Err(conflict(current.status));
        }
        let now = now_text();
        let mut transaction = self.db.pool().begin().await?;
        let updated =
            sqlx::query("UPDATE response_actions SET status = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?")
                .bind(transition.to.name())
                .bind(&now)
                .bind(id)
                .bind(current.version)
                .execute(&mut *transaction)
                .await?;
        if updated.rows_affected() != 1 {
            transaction.rollback().await?;
            let now_status = self.get(id).await?.status;
            return Err(conflict(now_status));
        }
        insert_event(
            &mut transaction,
            id,
            &now,
            transition.event,
            transition.actor,
            transition.digest,
            Some(transition.to),
            &transition.detail,
        )
        .await?;
        transaction.commit().await?;
        self.get(id).await
    }

    /// Appends an event that changes nothing (a refused approval).
    pub async fn record(
        &self,
        id: &str,
        event: EventKind,
        actor: &Actor,
        digest: Option<&str>,
        detail: &Value,
    ) -> Result<(), LedgerError> {
        let mut transaction = self.db.pool().begin().await?;
        insert_event(&mut transaction, id, &now_text(), event, actor, digest, None, detail).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// One action with its history.
    pub async fn get(&self, id: &str) -> Result<StoredAction, LedgerError> {
        let row = sqlx::query(
            "SELECT id, created_at, updated_at, status, version, origin, proposed_by, session_id, executor, proposal \
             FROM response_actions WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| LedgerError::NotFound(id.to_string()))?;
        let mut action = decode_action(&row)?;
        action.history = self.history(id).await?;
        Ok(action)
    }

    /// Actions newest first, with their histories.
    pub async fn list(&self, query: &ActionQuery) -> Result<Vec<StoredAction>, LedgerError> {
        let mut builder = sqlx::QueryBuilder::new(
            "SELECT id, created_at, updated_at, status, version, origin, proposed_by, session_id, executor, proposal \
             FROM response_actions WHERE 1 = 1",
        );
        if let Some(session) = &query.session_id {
            builder.push(" AND session_id = ").push_bind(session.clone());
        }
        if let Some(status) = query.status {
            builder.push(" AND status = ").push_bind(status.name());
        }
        if !query.ids.is_empty() {
            builder.push(" AND id IN (");
            let mut separated = builder.separated(", ");
            for id in &query.ids {
                separated.push_bind(id.clone());
            }
            builder.push(")");
        }
        builder.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(i64::from(query.limit.unwrap_or(50)));
        let rows = builder.build().fetch_all(self.db.pool()).await?;
        let mut actions = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut action = decode_action(row)?;
            action.history = self.history(&action.id).await?;
            actions.push(action);
        }
        Ok(actions)
    }

    /// How many actions are in each status, in [`ActionStatus::ALL`]'s order (statuses no
    /// action is in are left out): one aggregate query, for the server's metrics.
    pub async fn count_by_status(&self) -> Result<Vec<(ActionStatus, u64)>, LedgerError> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM response_actions GROUP BY status")
            .fetch_all(self.db.pool())
            .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in &rows {
            let status: String = row.get(0);
            let count: i64 = row.get(1);
            let status = ActionStatus::from_name(&status).ok_or_else(|| LedgerError::Corrupt {
                id: String::from("(count by status)"),
                message: format!("unknown status {status:?}"),
            })?;
            counts.push((status, u64::try_from(count).unwrap_or(0)));
        }
        counts.sort_by_key(|(status, _)| ActionStatus::ALL.iter().position(|listed| listed == status));
        Ok(counts)
    }

    /// Marks actions left `executing` by a process that stopped as `failed` (interrupted), so
    /// that they can be approved again; returns their ids.
    pub async fn fail_interrupted(&self) -> Result<Vec<String>, LedgerError> {
        let stuck = self
            .list(&ActionQuery { status: Some(ActionStatus::Executing), limit: Some(1000), ..Default::default() })
            .await?;
        let mut failed = Vec::new();
        for action in stuck {
            let detail = serde_json::json!({"error": "interrupted: Saker stopped while the executor was running; check the target before approving again"});
            let transition = Transition {
                from: &[ActionStatus::Executing],
                to: ActionStatus::Failed,
                event: EventKind::Failed,
                actor: &Actor::system(),
                digest: None,
                detail,
            };
            if self.transition(&action.id, transition).await.is_ok() {
                failed.push(action.id);
            }
        }
        Ok(failed)
    }

    async fn history(&self, id: &str) -> Result<Vec<ActionEvent>, LedgerError> {
        let rows = sqlx::query(
            "SELECT seq, at, event, actor, role, digest, status, detail FROM response_action_events \
             WHERE action_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let corrupt = |message: String| LedgerError::Corrupt { id: id.to_string(), message };
                let event: String = row.get(2);
                let status: String = row.get(6);
                let detail: String = row.get(7);
                Ok(ActionEvent {
                    seq: row.get(0),
                    at: parse_time(row.get::<&str, _>(1)),
                    event: EventKind::from_name(&event).ok_or_else(|| corrupt(format!("unknown event {event:?}")))?,
                    actor: row.get(3),
                    role: row.get(4),
                    digest: row.get(5),
                    status: ActionStatus::from_name(&status),
                    detail: serde_json::from_str(&detail).map_err(|error| corrupt(error.to_string()))?,
                })
            })
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_event(
    transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &str,
    at: &str,
    event: EventKind,
    actor: &Actor,
    digest: Option<&str>,
    status: Option<ActionStatus>,
    detail: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO response_action_events (action_id, at, event, actor, role, digest, status, detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(at)
    .bind(event.name())
    .bind(&actor.name)
    .bind(&actor.role)
    .bind(digest)
    .bind(status.map_or("", ActionStatus::name))
    .bind(detail.to_string())
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

fn decode_action(row: &sqlx::sqlite::SqliteRow) -> Result<StoredAction, LedgerError> {
    let id: String = row.get(0);
    let corrupt = |message: String| LedgerError::Corrupt { id: id.clone(), message };
    let status: String = row.get(3);
    let origin: String = row.get(5);
    let proposal: Proposal = serde_json::from_str(row.get::<&str, _>(9)).map_err(|error| corrupt(error.to_string()))?;
    Ok(StoredAction {
        created_at: parse_time(row.get::<&str, _>(1)),
        updated_at: parse_time(row.get::<&str, _>(2)),
        status: ActionStatus::from_name(&status).ok_or_else(|| corrupt(format!("unknown status {status:?}")))?,
        version: row.get(4),
        origin: ActionOrigin::from_name(&origin).ok_or_else(|| corrupt(format!("unknown origin {origin:?}")))?,
        proposed_by: row.get(6),
        session_id: row.get(7),
        executor: row.get(8),
        proposal,
        history: Vec::new(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events and origins are stored by name; the names and the enums stay in step.
    #[test]
    fn stored_names_round_trip() {
        for event in EventKind::ALL {
            assert_eq!(EventKind::from_name(event.name()), Some(event));
            assert_eq!(serde_json::to_value(event).ok(), Some(serde_json::json!(event.name())));
        }
        for origin in [ActionOrigin::Planner, ActionOrigin::Llm, ActionOrigin::Api, ActionOrigin::Cli] {
            assert_eq!(ActionOrigin::from_name(origin.name()), Some(origin));
        }
    }
}
