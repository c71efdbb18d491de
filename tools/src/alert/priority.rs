//! Falco alert priorities as an ordered enum, parsed from any case.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Falco priority, ordered from the most severe (`Emergency`) to the least (`Debug`).
///
/// The order follows syslog severities, which is what Falco uses: `Emergency < Alert < ...`
/// in the derived `Ord`, so "more severe" means "smaller". Use [`Priority::severity`] when a
/// number is clearer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// System is unusable.
    Emergency,
    /// Action must be taken immediately.
    Alert,
    /// Critical conditions.
    Critical,
    /// Error conditions.
    Error,
    /// Warning conditions.
    Warning,
    /// Normal but significant condition.
    Notice,
    /// Informational messages (Falco also accepts `info`).
    Informational,
    /// Debug-level messages.
    Debug,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// The syslog severity number: 0 for `Emergency` up to 7 for `Debug`.
    pub fn severity(self) -> u8 {
        self as u8
    }

    /// The canonical lowercase name, as stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "emergency",
            Priority::Alert => "alert",
            Priority::Critical => "critical",
            Priority::Error => "error",
            Priority::Warning => "warning",
            Priority::Notice => "notice",
            Priority::Informational => "informational",
            Priority::Debug => "debug",
        }
    }

    /// The priority with this syslog severity number, if any.
    pub fn from_severity(severity: u8) -> Option<Priority> {
        Priority::ALL.get(usize::from(severity)).copied()
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The error for a string that names no Falco priority.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown priority {0:?} (allowed: emergency, alert, critical, error, warning, notice, informational or info, debug)"
)]
pub struct UnknownPriority(pub String);

impl FromStr for Priority {
    type Err = UnknownPriority;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lowered = text.trim().to_ascii_lowercase();
        let priority = match lowered.as_str() {
            "emergency" | "emerg" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" | "crit" => Priority::Critical,
            "error" | "err" => Priority::Error,
            "warning" | "warn" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return Err(UnknownPriority(text.to_string())),
        };
        Ok(priority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_aliases() {
        assert_eq!("CRITICAL".parse::<Priority>(), Ok(Priority::Critical));
        assert_eq!("Info".parse::<Priority>(), Ok(Priority::Informational));
        assert_eq!("warning".parse::<Priority>(), Ok(Priority::Warning));
        assert!("severe".parse::<Priority>().is_err());
    }

    #[test]
    fn emergency_is_most_severe() {
        assert!(Priority::Emergency < Priority::Debug);
        assert_eq!(Priority::Debug.severity(), 7);
        assert_eq!(Priority::from_severity(2), Some(Priority::Critical));
    }
}
