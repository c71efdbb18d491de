//! How long conversations are kept: sessions unused for longer than `max_age_days` and all but
//! the `max_sessions` most recently used are deleted with their turns and tool calls.
//! `saker serve` applies it at start and then every few minutes, so `conversations.sqlite`
//! stops growing (SQLite reuses the freed pages).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{ConversationError, SessionStore};

/// How often a server applies the retention.
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// `server.sessions` in `saker.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRetention {
    /// Sessions not used for this many days are deleted (default 90).
    #[serde(default = "default_max_age_days")]
    pub max_age_days: u32,
    /// At most this many sessions are kept, the most recently used (default 10,000).
    #[serde(default = "default_max_sessions")]
    pub max_sessions: u32,
}

fn default_max_age_days() -> u32 {
    90
}

fn default_max_sessions() -> u32 {
    10_000
}

impl Default for SessionRetention {
    fn default() -> Self {
        SessionRetention { max_age_days: default_max_age_days(), max_sessions: default_max_sessions() }
    }
}

impl SessionRetention {
    /// Checks the values: both at least 1.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_age_days == 0 {
            return Err("server.sessions.max_age_days: 0 would delete every conversation (allowed: 1 or more)".into());
        }
        if self.max_sessions == 0 {
            return Err("server.sessions.max_sessions: 0 would delete every conversation (allowed: 1 or more)".into());
        }
        Ok(())
    }

    /// Deletes what the retention does not keep, as of `now`; returns how many sessions.
    pub async fn apply(&self, sessions: &SessionStore, now: DateTime<Utc>) -> Result<u64, ConversationError> {
        let oldest_kept = now - chrono::Duration::days(i64::from(self.max_age_days));
        sessions.prune(oldest_kept, self.max_sessions).await
    }
}

/// Applies `retention` now and then every [`RETENTION_INTERVAL`], until the runtime stops.
pub fn spawn(retention: SessionRetention, sessions: SessionStore) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(RETENTION_INTERVAL);
        loop {
            ticks.tick().await;
            match retention.apply(&sessions, Utc::now()).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "old conversations deleted"),
                Err(error) => tracing::warn!(details = %error, "cannot apply the conversation retention"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_the_config_keys() {
        let parsed: SessionRetention = serde_saphyr::from_str("max_age_days: 30\n").expect("parses");
        assert_eq!(parsed, SessionRetention { max_age_days: 30, max_sessions: 10_000 });
        assert!(serde_saphyr::from_str::<SessionRetention>("max_age: 30\n").is_err(), "unknown keys are errors");
        assert_eq!(SessionRetention::default().validate(), Ok(()));
    }
}
