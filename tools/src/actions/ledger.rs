//! The action ledger: proposals and their append-only history in the state database
//! (`<data-dir>/state.sqlite`, migrations `0002_response_actions.sql` and
//! `0003_version_checked.sql`; or the shared PostgreSQL database, `0101_state_response_actions.sql`).
//!
//! Every change of an action's status is one transaction that updates the action's status only
//! if its version is still the one read, and appends the event: of two concurrent approvals of
//! the same action exactly one succeeds, the other is told the action's new status. Triggers
//! keep the history append-only, a proposal's substance immutable and every status change a
//! bump of the version by one; on PostgreSQL a deferred trigger also checks at commit that an
//! action's status is its last event's. SQLite commits are synchronous (`synchronous = FULL`),
//! so an acknowledged approval survives a power loss.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row as _;

use super::model::ActionStatus;
use super::proposal::Proposal;
use crate::store::StoreError;
use crate::store::state::{StateDb, StatePool};

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

/// The actions of one data directory, or of every replica sharing a PostgreSQL database.
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

/// The columns of an action, in the order [`decode_action`] reads them.
const ACTION_COLUMNS_SQLITE: &str =
    "id, created_at, updated_at, status, version, origin, proposed_by, session_id, executor, proposal";
const ACTION_COLUMNS_POSTGRES: &str = "id, saker_time_text(created_at), saker_time_text(updated_at), status, version, \
     origin, proposed_by, session_id, executor, proposal";

impl ActionLedger {
    /// The ledger in an open state database (SQLite or PostgreSQL).
    pub fn new(db: StateDb) -> ActionLedger {
        ActionLedger { db }
    }

    /// Opens (creating and migrating) the state database of `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<ActionLedger, LedgerError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io { path: data_dir.to_path_buf(), source })?;
        Ok(ActionLedger::new(StateDb::open(data_dir).await?))
    }

    /// The state database it records into.
    pub fn state(&self) -> &StateDb {
        &self.db
    }

    /// Records a proposal with status `proposed` and its `proposed` event.
    pub async fn propose(&self, new: NewAction) -> Result<StoredAction, LedgerError> {
        let proposal_json = serde_json::to_string(&new.proposal)
            .map_err(|error| LedgerError::Corrupt { id: "(new)".into(), message: error.to_string() })?;
        let now = now_text();
        let detail = serde_json::json!({"origin": new.origin.name(), "summary": new.proposal.summary});
        let event = |id: String| NewEvent {
            id,
            at: now.clone(),
            event: EventKind::Proposed,
            actor: new.actor.clone(),
            digest: Some(new.proposal.digest.clone()),
            status: Some(ActionStatus::Proposed),
            detail: detail.to_string(),
        };
        let id = match self.db.pool() {
            StatePool::Sqlite(pool) => {
                let mut transaction = pool.begin().await?;
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
                let id: String = row.try_get(0)?;
                insert_event_sqlite(&mut transaction, &event(id.clone())).await?;
                transaction.commit().await?;
                id
            }
            StatePool::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO response_actions (id, created_at, updated_at, kind, digest, proposal, cluster, namespace, \
                     origin, proposed_by, session_id, executor, status) \
                     VALUES ('act-' || substr(md5(gen_random_uuid()::text), 1, 12), $1::timestamptz, $2::timestamptz, \
                     $3, $4, $5, $6, $7, $8, $9, $10, $11, 'proposed') RETURNING id",
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
                let id: String = row.try_get(0)?;
                insert_event_postgres(&mut transaction, &event(id.clone())).await?;
                transaction.commit().await?;
                id
            }
        };
        self.get(&id).await
    }

    /// Moves an action from one of `transition.from` to `transition.to` and appends the event,
    /// atomically. Fails with [`LedgerError::DigestMismatch`] when the digest given is not the
    /// action's and [`LedgerError::Conflict`] when its status does not allow the transition
    /// (also when another caller, in this process or another replica, changed it first: the
    /// update names the version read, so of two racing transitions exactly one succeeds);
    /// nothing is recorded then.
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
        let event = NewEvent {
            id: id.to_string(),
            at: now.clone(),
            event: transition.event,
            actor: transition.actor.clone(),
            digest: transition.digest.map(str::to_string),
            status: Some(transition.to),
            detail: transition.detail.to_string(),
        };
        let won = match self.db.pool() {
            StatePool::Sqlite(pool) => {
                let mut transaction = pool.begin().await?;
                let updated = sqlx::query(
                    "UPDATE response_actions SET status = ?, updated_at = ?, version = version + 1 \
                     WHERE id = ? AND version = ?",
                )
                .bind(transition.to.name())
                .bind(&now)
                .bind(id)
                .bind(current.version)
                .execute(&mut *transaction)
                .await?;
                let won = updated.rows_affected() == 1;
                if won {
                    insert_event_sqlite(&mut transaction, &event).await?;
                    transaction.commit().await?;
                } else {
                    transaction.rollback().await?;
                }
                won
            }
            StatePool::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                // A racing replica's update holds the row until it commits; this one then
                // re-reads the row, finds a newer version and updates nothing.
                let updated = sqlx::query(
                    "UPDATE response_actions SET status = $1, updated_at = $2::timestamptz, version = version + 1 \
                     WHERE id = $3 AND version = $4",
                )
                .bind(transition.to.name())
                .bind(&now)
                .bind(id)
                .bind(current.version)
                .execute(&mut *transaction)
                .await?;
                let won = updated.rows_affected() == 1;
                if won {
                    insert_event_postgres(&mut transaction, &event).await?;
                    transaction.commit().await?;
                } else {
                    transaction.rollback().await?;
                }
                won
            }
        };
        if !won {
            let now_status = self.get(id).await?.status;
            return Err(conflict(now_status));
        }
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
        let event = NewEvent {
            id: id.to_string(),
            at: now_text(),
            event,
            actor: actor.clone(),
            digest: digest.map(str::to_string),
            status: None,
            detail: detail.to_string(),
        };
        match self.db.pool() {
            StatePool::Sqlite(pool) => {
                let mut transaction = pool.begin().await?;
                insert_event_sqlite(&mut transaction, &event).await?;
                transaction.commit().await?;
            }
            StatePool::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                insert_event_postgres(&mut transaction, &event).await?;
                transaction.commit().await?;
            }
        }
        Ok(())
    }

    /// One action with its history.
    pub async fn get(&self, id: &str) -> Result<StoredAction, LedgerError> {
        let not_found = || LedgerError::NotFound(id.to_string());
        let mut action = match self.db.pool() {
            StatePool::Sqlite(pool) => {
                let row = sqlx::query(
                    "SELECT id, created_at, updated_at, status, version, origin, proposed_by, \
                     session_id, executor, proposal FROM response_actions WHERE id = ?",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or_else(not_found)?;
                decode_action(&row)?
            }
            StatePool::Postgres(pool) => {
                let row = sqlx::query(
                    "SELECT id, saker_time_text(created_at), saker_time_text(updated_at), status, version, origin, \
                     proposed_by, session_id, executor, proposal FROM response_actions WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or_else(not_found)?;
                decode_action(&row)?
            }
        };
        action.history = self.history(id).await?;
        Ok(action)
    }

    /// Actions newest first, with their histories.
    pub async fn list(&self, query: &ActionQuery) -> Result<Vec<StoredAction>, LedgerError> {
        let mut actions = match self.db.pool() {
            StatePool::Sqlite(pool) => {
                let mut builder = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
                    "SELECT {ACTION_COLUMNS_SQLITE} FROM response_actions WHERE 1 = 1"
                ));
                push_list_filters(&mut builder, query);
                let rows = builder.build().fetch_all(pool).await?;
                rows.iter().map(decode_action).collect::<Result<Vec<_>, _>>()?
            }
            StatePool::Postgres(pool) => {
                let mut builder = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
                    "SELECT {ACTION_COLUMNS_POSTGRES} FROM response_actions WHERE 1 = 1"
                ));
                push_list_filters(&mut builder, query);
                let rows = builder.build().fetch_all(pool).await?;
                rows.iter().map(decode_action).collect::<Result<Vec<_>, _>>()?
            }
        };
        for action in &mut actions {
            action.history = self.history(&action.id).await?;
        }
        Ok(actions)
    }

    /// How many actions are in each status, in [`ActionStatus::ALL`]'s order (statuses no
    /// action is in are left out): one aggregate query, for the server's metrics.
    pub async fn count_by_status(&self) -> Result<Vec<(ActionStatus, u64)>, LedgerError> {
        const COUNT: &str = "SELECT status, COUNT(*) FROM response_actions GROUP BY status";
        let rows: Vec<(String, i64)> = match self.db.pool() {
            StatePool::Sqlite(pool) => sqlx::query_as(COUNT).fetch_all(pool).await?,
            StatePool::Postgres(pool) => sqlx::query_as(COUNT).fetch_all(pool).await?,
        };
        let mut counts = Vec::with_capacity(rows.len());
        for (status, count) in rows {
            let status = ActionStatus::from_name(&status).ok_or_else(|| LedgerError::Corrupt {
                id: String::from("(count by status)"),
                message: format!("unknown status {status:?}"),
            })?;
            counts.push((status, u64::try_from(count).unwrap_or(0)));
        }
        counts.sort_by_key(|(status, _)| ActionStatus::ALL.iter().position(|listed| listed == status));
        Ok(counts)
    }

    /// Marks actions left `executing` as `failed` (interrupted), so that they can be approved
    /// again; returns their ids. `stuck_for` says how long an action must have been executing:
    /// zero for an embedded database (one process, which has just started), longer for a
    /// shared one, where another replica may be running the executor right now.
    pub async fn fail_interrupted(&self, stuck_for: chrono::Duration) -> Result<Vec<String>, LedgerError> {
        let stuck = self
            .list(&ActionQuery { status: Some(ActionStatus::Executing), limit: Some(1000), ..Default::default() })
            .await?;
        let cutoff = Utc::now() - stuck_for;
        let mut failed = Vec::new();
        for action in stuck.into_iter().filter(|action| action.updated_at <= cutoff) {
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
        match self.db.pool() {
            StatePool::Sqlite(pool) => {
                let rows = sqlx::query(
                    "SELECT seq, at, event, actor, role, digest, status, detail FROM response_action_events \
                     WHERE action_id = ? ORDER BY seq",
                )
                .bind(id)
                .fetch_all(pool)
                .await?;
                rows.iter().map(|row| decode_event(id, row)).collect()
            }
            StatePool::Postgres(pool) => {
                let rows = sqlx::query(
                    "SELECT seq, saker_time_text(at), event, actor, role, digest, status, detail \
                     FROM response_action_events WHERE action_id = $1 ORDER BY seq",
                )
                .bind(id)
                .fetch_all(pool)
                .await?;
                rows.iter().map(|row| decode_event(id, row)).collect()
            }
        }
    }
}

/// An event to append.
struct NewEvent {
    id: String,
    at: String,
    event: EventKind,
    actor: Actor,
    digest: Option<String>,
    status: Option<ActionStatus>,
    detail: String,
}

async fn insert_event_sqlite(
    transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    event: &NewEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO response_action_events (action_id, at, event, actor, role, digest, status, detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&event.id)
    .bind(&event.at)
    .bind(event.event.name())
    .bind(&event.actor.name)
    .bind(&event.actor.role)
    .bind(&event.digest)
    .bind(event.status.map_or("", ActionStatus::name))
    .bind(&event.detail)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

async fn insert_event_postgres(
    transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    event: &NewEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO response_action_events (action_id, at, event, actor, role, digest, status, detail) \
         VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&event.id)
    .bind(&event.at)
    .bind(event.event.name())
    .bind(&event.actor.name)
    .bind(&event.actor.role)
    .bind(&event.digest)
    .bind(event.status.map_or("", ActionStatus::name))
    .bind(&event.detail)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// The `WHERE` terms, order and limit of [`ActionLedger::list`], in either dialect (the
/// builder writes each dialect's placeholders).
fn push_list_filters<DB>(builder: &mut sqlx::QueryBuilder<DB>, query: &ActionQuery)
where
    DB: sqlx::Database,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if let Some(session) = &query.session_id {
        builder.push(" AND session_id = ").push_bind(session.clone());
    }
    if let Some(status) = query.status {
        builder.push(" AND status = ").push_bind(status.name().to_string());
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
}

/// Reads column `index` of a row of either backend.
fn column<'r, R, T>(row: &'r R, index: usize) -> Result<T, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    row.try_get(index)
}

fn decode_event<R>(id: &str, row: &R) -> Result<ActionEvent, LedgerError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |message: String| LedgerError::Corrupt { id: id.to_string(), message };
    let event: String = column(row, 2)?;
    let status: String = column(row, 6)?;
    let detail: String = column(row, 7)?;
    Ok(ActionEvent {
        seq: column(row, 0)?,
        at: parse_time(&column::<R, String>(row, 1)?),
        event: EventKind::from_name(&event).ok_or_else(|| corrupt(format!("unknown event {event:?}")))?,
        actor: column(row, 3)?,
        role: column(row, 4)?,
        digest: column(row, 5)?,
        status: ActionStatus::from_name(&status),
        detail: serde_json::from_str(&detail).map_err(|error| corrupt(error.to_string()))?,
    })
}

fn decode_action<R>(row: &R) -> Result<StoredAction, LedgerError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = column(row, 0)?;
    let corrupt = |message: String| LedgerError::Corrupt { id: id.clone(), message };
    let status: String = column(row, 3)?;
    let origin: String = column(row, 5)?;
    let proposal: Proposal =
        serde_json::from_str(&column::<R, String>(row, 9)?).map_err(|error| corrupt(error.to_string()))?;
    Ok(StoredAction {
        created_at: parse_time(&column::<R, String>(row, 1)?),
        updated_at: parse_time(&column::<R, String>(row, 2)?),
        status: ActionStatus::from_name(&status).ok_or_else(|| corrupt(format!("unknown status {status:?}")))?,
        version: column(row, 4)?,
        origin: ActionOrigin::from_name(&origin).ok_or_else(|| corrupt(format!("unknown origin {origin:?}")))?,
        proposed_by: column(row, 6)?,
        session_id: column(row, 7)?,
        executor: column(row, 8)?,
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
