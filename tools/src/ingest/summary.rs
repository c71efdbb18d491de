//! What an ingest did: accepted, duplicates, rejected, with the place and reason of each
//! rejection.

use serde::Serialize;

/// The most rejections kept in detail; further ones are only counted.
pub const MAX_REJECTIONS_KEPT: usize = 1_000;

/// Outcome of an ingest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    /// Alerts newly stored.
    pub accepted: u64,
    /// Alerts that were already stored (same id).
    pub duplicates: u64,
    /// Lines that are not valid Falco alerts.
    pub rejected: u64,
    /// The first rejections, in input order.
    pub rejections: Vec<Rejection>,
    /// Alerts stored after a repair (e.g. junk after the timestamp ignored).
    pub repaired: u64,
    /// The first repairs, in input order, each naming the line and what was ignored.
    pub repairs: Vec<Rejection>,
}

/// One rejected line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// File name, `stdin` or `request`.
    pub origin: String,
    /// 1-based line (or item) number.
    pub line: u64,
    /// What is wrong, naming the field and what is allowed.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}: {}", self.origin, self.line, self.reason)
    }
}

impl IngestSummary {
    /// Records a rejected line.
    pub fn reject(&mut self, origin: &str, line: u64, reason: String) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REJECTIONS_KEPT {
            self.rejections.push(Rejection { origin: origin.to_string(), line, reason });
        }
    }

    /// Records an alert that was stored after a repair.
    pub fn repair(&mut self, origin: &str, line: u64, warnings: Vec<String>) {
        self.repaired += 1;
        if self.repairs.len() < MAX_REJECTIONS_KEPT {
            self.repairs.push(Rejection { origin: origin.to_string(), line, reason: warnings.join("; ") });
        }
    }

    /// Adds another summary's counts and rejections to this one.
    pub fn absorb(&mut self, other: IngestSummary) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.rejected += other.rejected;
        let room = MAX_REJECTIONS_KEPT.saturating_sub(self.rejections.len());
        self.rejections.extend(other.rejections.into_iter().take(room));
        self.repaired += other.repaired;
        let room = MAX_REJECTIONS_KEPT.saturating_sub(self.repairs.len());
        self.repairs.extend(other.repairs.into_iter().take(room));
    }
}
