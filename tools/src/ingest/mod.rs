//! Ingest: reads Falco JSON alerts from files, stdin or request bodies and stores them.

mod lines;
mod summary;

pub use lines::{InputError, LineSource, open_input};
pub use summary::{IngestSummary, Rejection};

use crate::alert::parse_alert_with_warnings;
use crate::store::{AddOutcome, AlertWriter, StoreError};

/// How an ingest behaves.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// Cluster assumed for alerts that carry none.
    pub default_cluster: Option<String>,
    /// Commit after this many new alerts: a crash loses at most this many uncommitted ones.
    pub commit_every: usize,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings { default_cluster: None, commit_every: 100_000 }
    }
}

/// Feeds JSON Lines into a store writer, committing in batches.
pub struct Ingestor<'writer> {
    writer: Box<dyn AlertWriter + 'writer>,
    settings: IngestSettings,
    summary: IngestSummary,
}

impl<'writer> Ingestor<'writer> {
    /// Starts an ingest on `writer`.
    pub fn new(writer: Box<dyn AlertWriter + 'writer>, settings: IngestSettings) -> Self {
        Ingestor { writer, settings, summary: IngestSummary::default() }
    }

    /// Ingests every line of `source`; `progress` is told how many bytes were read so far.
    ///
    /// Bad lines are recorded as rejections and the lines around them are still stored; only
    /// store failures stop the ingest.
    pub fn ingest_lines(&mut self, source: &mut LineSource, mut progress: impl FnMut(u64)) -> Result<(), StoreError> {
        let origin = source.origin().to_string();
        loop {
            let line_number = source.line_number() + 1;
            let bytes_read = source.bytes_read();
            let line = match source.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(error) => {
                    self.summary.reject(&origin, line_number, error.to_string());
                    if error.is_fatal() {
                        break;
                    }
                    continue;
                }
            };
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            match parse_alert_with_warnings(text, self.settings.default_cluster.as_deref()) {
                Ok(parsed) => {
                    let outcome = self.add(&parsed.alert, text)?;
                    if outcome == AddOutcome::Accepted && !parsed.warnings.is_empty() {
                        self.summary.repair(&origin, line_number, parsed.warnings);
                    }
                }
                Err(error) => self.summary.reject(&origin, line_number, error.to_string()),
            }
            if line_number.is_multiple_of(4096) {
                progress(bytes_read);
            }
        }
        progress(source.bytes_read());
        Ok(())
    }

    /// Ingests one alert given as JSON text (from an HTTP body, for example).
    pub fn ingest_text(&mut self, origin: &str, position: u64, text: &str) -> Result<(), StoreError> {
        match parse_alert_with_warnings(text, self.settings.default_cluster.as_deref()) {
            Ok(parsed) => {
                let outcome = self.add(&parsed.alert, text)?;
                if outcome == AddOutcome::Accepted && !parsed.warnings.is_empty() {
                    self.summary.repair(origin, position, parsed.warnings);
                }
                Ok(())
            }
            Err(error) => {
                self.summary.reject(origin, position, error.to_string());
                Ok(())
            }
        }
    }

    /// Records an item that could not even be read as text (e.g. a line that is not UTF-8) as
    /// a rejection at `position`.
    pub fn reject(&mut self, origin: &str, position: u64, reason: String) {
        self.summary.reject(origin, position, reason);
    }

    fn add(&mut self, alert: &crate::alert::Alert, raw: &str) -> Result<AddOutcome, StoreError> {
        let outcome = self.writer.add(alert, raw)?;
        match outcome {
            AddOutcome::Accepted => self.summary.accepted += 1,
            AddOutcome::Duplicate => self.summary.duplicates += 1,
        }
        if self.writer.pending() >= self.settings.commit_every.max(1) {
            self.commit()?;
        }
        Ok(outcome)
    }

    /// Commits, moving alerts another writer stored meanwhile from accepted to duplicates.
    fn commit(&mut self) -> Result<(), StoreError> {
        let outcome = self.writer.commit_counting()?;
        let already_stored = outcome.already_stored.min(self.summary.accepted);
        self.summary.accepted -= already_stored;
        self.summary.duplicates += already_stored;
        Ok(())
    }

    /// Commits what is pending and returns the summary. Everything counted as accepted is
    /// durable once this returns `Ok`.
    pub fn finish(mut self) -> Result<IngestSummary, StoreError> {
        self.commit()?;
        Ok(self.summary)
    }

    /// The summary without a final commit: the caller commits the writer itself (the server
    /// lets requests that waited together share one commit) and must not acknowledge anything
    /// before that commit succeeds.
    pub fn into_summary(self) -> IngestSummary {
        self.summary
    }

    /// The summary so far.
    pub fn summary(&self) -> &IngestSummary {
        &self.summary
    }
}
