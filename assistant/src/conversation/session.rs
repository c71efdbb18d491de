//! Persistent sessions in SQLite (`<data-dir>/conversations.sqlite`, through sqlx): turns,
//! tool calls with arguments and outputs, the active scope and the entities in focus.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

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

/// The session database.
#[derive(Debug, Clone)]
pub struct SessionStore {
    pool: SqlitePool,
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
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(SessionStore { pool })
    }

    /// Creates a session and returns its id.
    pub async fn create(&self, scope: &str) -> Result<String, ConversationError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = Utc::now().to_rfc3339();
        sqlx::query("INSERT INTO sessions (id, created_at, updated_at, scope, focus) VALUES (?, ?, ?, ?, '{}')")
            .bind(&id)
            .bind(&now)
            .bind(&now)
            .bind(scope)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    /// Loads a session with all its turns.
    pub async fn load(&self, id: &str) -> Result<Session, ConversationError> {
        let row = sqlx::query("SELECT created_at, scope, focus FROM sessions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| ConversationError::SessionNotFound(id.to_string()))?;
        let focus: Focus = serde_json::from_str(row.get::<&str, _>(2))
            .map_err(|error| ConversationError::Corrupt(format!("session {id} focus: {error}")))?;
        let created_at = parse_time(row.get(0));
        let scope: String = row.get(1);
        let rows = sqlx::query("SELECT question, created_at, answer FROM turns WHERE session_id = ? ORDER BY turn")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        let mut turns = Vec::with_capacity(rows.len());
        for row in rows {
            let answer: Answer = serde_json::from_str(row.get::<&str, _>(2))
                .map_err(|error| ConversationError::Corrupt(format!("session {id} answer: {error}")))?;
            turns.push(TurnRecord { question: row.get(0), created_at: parse_time(row.get(1)), answer });
        }
        Ok(Session { id: id.to_string(), created_at, scope, focus, turns })
    }

    /// Records an answered turn, its tool calls, and the session's new scope and focus, in one
    /// transaction.
    pub async fn record_turn(&self, question: &str, answer: &Answer, focus: &Focus) -> Result<(), ConversationError> {
        let now = Utc::now().to_rfc3339();
        let corrupt = |error: serde_json::Error| ConversationError::Corrupt(error.to_string());
        let answer_json = serde_json::to_string(answer).map_err(corrupt)?;
        let focus_json = serde_json::to_string(focus).map_err(corrupt)?;
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO turns (session_id, turn, created_at, question, language, backend, scope, grounded, answer) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&answer.session_id)
        .bind(i64::from(answer.turn))
        .bind(&now)
        .bind(question)
        .bind(answer.language.tag())
        .bind(match answer.backend {
            super::BackendKind::Planner => "planner",
            super::BackendKind::Llm => "llm",
        })
        .bind(&answer.scope)
        .bind(answer.grounded)
        .bind(&answer_json)
        .execute(&mut *transaction)
        .await?;
        for (seq, step) in answer.steps.iter().enumerate() {
            sqlx::query(
                "INSERT INTO tool_calls (session_id, turn, seq, tool, arguments, output) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&answer.session_id)
            .bind(i64::from(answer.turn))
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(&step.tool)
            .bind(step.arguments.to_string())
            .bind(step.output.to_string())
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
        Ok(())
    }

    /// Deletes the sessions last used before `oldest_kept` and all but the `keep` most recently
    /// used, with their turns and tool calls, in one transaction; returns how many sessions.
    pub async fn prune(&self, oldest_kept: DateTime<Utc>, keep: u32) -> Result<u64, ConversationError> {
        const PRUNED: &str = "SELECT id FROM sessions WHERE updated_at < ?1 \
             OR id NOT IN (SELECT id FROM sessions ORDER BY updated_at DESC, id LIMIT ?2)";
        let oldest_kept = oldest_kept.to_rfc3339();
        let mut transaction = self.pool.begin().await?;
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

    /// The ids of the most recently used sessions, newest first.
    pub async fn recent(&self, limit: u32) -> Result<Vec<String>, ConversationError> {
        let rows = sqlx::query("SELECT id FROM sessions ORDER BY updated_at DESC, id LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|row| row.get(0)).collect())
    }
}

fn parse_time(text: String) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&text).map(|time| time.with_timezone(&Utc)).unwrap_or_default()
}
