//! Persistent sessions through sqlx: turns, tool calls with arguments and outputs, the active
//! scope and the entities in focus. Embedded in SQLite (`<data-dir>/conversations.sqlite`), or
//! in the PostgreSQL database several replicas share, so a conversation begun on one replica
//! continues on another. Every query is written in both dialects, next to each other.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use super::{Answer, ConversationError, Focus};

/// One answered question of a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnRecord {
    /// The question as asked.
    pub question: String,
    /// When it was answered.
    pub created_at: DateTime<Utc>,
    /// The answer, with its steps.
    pub answer: Answer,
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// Its id.
    pub id: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// The analyst's last scope ('' for everything).
    pub scope: String,
    /// The entities in focus after the last turn.
    pub focus: Focus,
    /// Its turns, in order.
    pub turns: Vec<TurnRecord>,
}

/// A session as read: created at, scope, focus (JSON).
type SessionRow = (String, String, String);
/// A turn as read: question, created at, answer (JSON).
type TurnRow = (String, String, String);

/// The session database: `<data-dir>/conversations.sqlite`, or the shared PostgreSQL database
/// (migrations of `assistant/migrations/postgres/`, versions 200 and up).
#[derive(Debug, Clone)]
pub struct SessionStore {
    pool: SessionPool,
}

#[derive(Debug, Clone)]
enum SessionPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The migrations of `assistant/migrations/postgres/` (versions 200 and up). The tools'
/// migrations in the same database (1–199) are not errors.
pub fn postgres_migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

impl SessionStore {
    /// Opens (creating and migrating) `<data-dir>/conversations.sqlite`.
    pub async fn open(data_dir: &Path) -> Result<SessionStore, ConversationError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|error| ConversationError::Internal(format!("cannot create {}: {error}", data_dir.display())))?;
        let path = data_dir.join("conversations.sqlite");
        let _lock = saker_tools::store::state::open_lock(&path)
            .await
            .map_err(|error| ConversationError::Internal(format!("cannot lock {}: {error}", path.display())))?;
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SessionStore { pool: SessionPool::Sqlite(pool) })
    }

    /// The sessions in a shared PostgreSQL database (the state's pool), migrating its tables.
    pub async fn on_postgres(pool: PgPool) -> Result<SessionStore, ConversationError> {
        postgres_migrator().run(&pool).await?;
        Ok(SessionStore { pool: SessionPool::Postgres(pool) })
    }

    /// Creates a session and returns its id.
    pub async fn create(&self, scope: &str) -> Result<String, ConversationError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_text();
        match &self.pool {
            SessionPool::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO sessions (id, created_at, updated_at, scope, focus) VALUES (?, ?, ?, ?, '{}')",
                )
                .bind(&id)
                .bind(&now)
                .bind(&now)
                .bind(scope)
                .execute(pool)
                .await?;
            }
            SessionPool::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO sessions (id, created_at, updated_at, scope, focus) \
                     VALUES ($1, $2::timestamptz, $3::timestamptz, $4, '{}')",
                )
                .bind(&id)
                .bind(&now)
                .bind(&now)
                .bind(scope)
                .execute(pool)
                .await?;
            }
        }
        Ok(id)
    }

    /// Loads a session with all its turns.
    pub async fn load(&self, id: &str) -> Result<Session, ConversationError> {
        let not_found = || ConversationError::SessionNotFound(id.to_string());
        let (head, rows): (SessionRow, Vec<TurnRow>) = match &self.pool {
            SessionPool::Sqlite(pool) => {
                let head = sqlx::query_as("SELECT created_at, scope, focus FROM sessions WHERE id = ?")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
                    .ok_or_else(not_found)?;
                let rows =
                    sqlx::query_as("SELECT question, created_at, answer FROM turns WHERE session_id = ? ORDER BY turn")
                        .bind(id)
                        .fetch_all(pool)
                        .await?;
                (head, rows)
            }
            SessionPool::Postgres(pool) => {
                let head =
                    sqlx::query_as("SELECT saker_time_text(created_at), scope, focus FROM sessions WHERE id = $1")
                        .bind(id)
                        .fetch_optional(pool)
                        .await?
                        .ok_or_else(not_found)?;
                let rows = sqlx::query_as(
                    "SELECT question, saker_time_text(created_at), answer FROM turns WHERE session_id = $1 ORDER BY turn",
                )
                .bind(id)
                .fetch_all(pool)
                .await?;
                (head, rows)
            }
        };
        let (created_at, scope, focus) = head;
        let focus: Focus = serde_json::from_str(&focus)
            .map_err(|error| ConversationError::Corrupt(format!("session {id} focus: {error}")))?;
        let mut turns = Vec::with_capacity(rows.len());
        for (question, created_at, answer) in rows {
            let answer: Answer = serde_json::from_str(&answer)
                .map_err(|error| ConversationError::Corrupt(format!("session {id} answer: {error}")))?;
            turns.push(TurnRecord { question, created_at: parse_time(created_at), answer });
        }
        Ok(Session { id: id.to_string(), created_at: parse_time(created_at), scope, focus, turns })
    }

    /// Records an answered turn, its tool calls, and the session's new scope and focus, in one
    /// transaction.
    pub async fn record_turn(&self, question: &str, answer: &Answer, focus: &Focus) -> Result<(), ConversationError> {
        let now = now_text();
        let corrupt = |error: serde_json::Error| ConversationError::Corrupt(error.to_string());
        let answer_json = serde_json::to_string(answer).map_err(corrupt)?;
        let focus_json = serde_json::to_string(focus).map_err(corrupt)?;
        let backend = match answer.backend {
            super::BackendKind::Planner => "planner",
            super::BackendKind::Llm => "llm",
        };
        let turn = i64::from(answer.turn);
        let steps: Vec<(i64, &str, String, String)> = answer
            .steps
            .iter()
            .enumerate()
            .map(|(seq, step)| {
                (
                    i64::try_from(seq).unwrap_or(i64::MAX),
                    step.tool.as_str(),
                    step.arguments.to_string(),
                    step.output.to_string(),
                )
            })
            .collect();
        match &self.pool {
            SessionPool::Sqlite(pool) => {
                let mut transaction = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO turns (session_id, turn, created_at, question, language, backend, scope, grounded, answer) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&answer.session_id)
                .bind(turn)
                .bind(&now)
                .bind(question)
                .bind(answer.language.tag())
                .bind(backend)
                .bind(&answer.scope)
                .bind(answer.grounded)
                .bind(&answer_json)
                .execute(&mut *transaction)
                .await?;
                for (seq, tool, arguments, output) in &steps {
                    sqlx::query(
                        "INSERT INTO tool_calls (session_id, turn, seq, tool, arguments, output) VALUES (?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&answer.session_id)
                    .bind(turn)
                    .bind(seq)
                    .bind(tool)
                    .bind(arguments)
                    .bind(output)
                    .execute(&mut *transaction)
                    .await?;
                }
                sqlx::query("UPDATE sessions SET updated_at = ?, scope = ?, focus = ? WHERE id = ?")
                    .bind(&now)
                    .bind(&answer.scope)
                    .bind(&focus_json)
                    .bind(&answer.session_id)
                    .execute(&mut *transaction)
                    .await?;
                transaction.commit().await?;
            }
            SessionPool::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO turns (session_id, turn, created_at, question, language, backend, scope, grounded, answer) \
                     VALUES ($1, $2, $3::timestamptz, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&answer.session_id)
                .bind(turn)
                .bind(&now)
                .bind(question)
                .bind(answer.language.tag())
                .bind(backend)
                .bind(&answer.scope)
                .bind(answer.grounded)
                .bind(&answer_json)
                .execute(&mut *transaction)
                .await?;
                for (seq, tool, arguments, output) in &steps {
                    sqlx::query(
                        "INSERT INTO tool_calls (session_id, turn, seq, tool, arguments, output) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&answer.session_id)
                    .bind(turn)
                    .bind(seq)
                    .bind(tool)
                    .bind(arguments)
                    .bind(output)
                    .execute(&mut *transaction)
                    .await?;
                }
                sqlx::query("UPDATE sessions SET updated_at = $1::timestamptz, scope = $2, focus = $3 WHERE id = $4")
                    .bind(&now)
                    .bind(&answer.scope)
                    .bind(&focus_json)
                    .bind(&answer.session_id)
                    .execute(&mut *transaction)
                    .await?;
                transaction.commit().await?;
            }
        }
        Ok(())
    }

    /// Deletes the sessions last used before `oldest_kept` and all but the `keep` most recently
    /// used, with their turns and tool calls, in one transaction; returns how many sessions.
    /// Several replicas may run it at once on a shared database: each deletes what is left.
    pub async fn prune(&self, oldest_kept: DateTime<Utc>, keep: u32) -> Result<u64, ConversationError> {
        let oldest_kept = oldest_kept.to_rfc3339();
        match &self.pool {
            SessionPool::Sqlite(pool) => {
                const PRUNED: &str = "SELECT id FROM sessions WHERE updated_at < ?1 \
                     OR id NOT IN (SELECT id FROM sessions ORDER BY updated_at DESC, id LIMIT ?2)";
                let mut transaction = pool.begin().await?;
                let mut deleted = 0;
                for statement in [
                    sqlx::AssertSqlSafe(format!("DELETE FROM tool_calls WHERE session_id IN ({PRUNED})")),
                    sqlx::AssertSqlSafe(format!("DELETE FROM turns WHERE session_id IN ({PRUNED})")),
                    sqlx::AssertSqlSafe(format!("DELETE FROM sessions WHERE id IN ({PRUNED})")),
                ] {
                    deleted = sqlx::query(statement)
                        .bind(&oldest_kept)
                        .bind(i64::from(keep))
                        .execute(&mut *transaction)
                        .await?
                        .rows_affected();
                }
                transaction.commit().await?;
                Ok(deleted)
            }
            SessionPool::Postgres(pool) => {
                // Turns and tool calls go with their session (ON DELETE CASCADE).
                let deleted = sqlx::query(
                    "DELETE FROM sessions WHERE updated_at < $1::timestamptz \
                     OR id NOT IN (SELECT id FROM sessions ORDER BY updated_at DESC, id LIMIT $2)",
                )
                .bind(&oldest_kept)
                .bind(i64::from(keep))
                .execute(pool)
                .await?;
                Ok(deleted.rows_affected())
            }
        }
    }

    /// The ids of the most recently used sessions, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<String>, ConversationError> {
        let rows: Vec<(String,)> = match &self.pool {
            SessionPool::Sqlite(pool) => {
                sqlx::query_as("SELECT id FROM sessions ORDER BY updated_at DESC, id LIMIT ?")
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?
            }
            SessionPool::Postgres(pool) => {
                sqlx::query_as("SELECT id FROM sessions ORDER BY updated_at DESC, id LIMIT $1")
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?
            }
        };
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Whether the database answers now (for `/readyz`); always for the embedded one.
    pub async fn ping(&self) -> Result<(), ConversationError> {
        match &self.pool {
            SessionPool::Sqlite(_) => Ok(()),
            SessionPool::Postgres(pool) => Ok(saker_tools::store::database::ping(pool).await?),
        }
    }
}

/// Now, as stored: RFC 3339 in UTC, the text SQLite compares (PostgreSQL reads it into a
/// `timestamptz`).
fn now_text() -> String {
    Utc::now().to_rfc3339()
}

fn parse_time(text: String) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&text).map(|time| time.with_timezone(&Utc)).unwrap_or_default()
}
