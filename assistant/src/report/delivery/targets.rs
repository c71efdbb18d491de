//! Where a report goes: files in a directory (written whole, then renamed into place, so a
//! reader never sees half a report) or a Slack incoming webhook.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::slack;
use crate::report::{ReconReport, ReportError, ReportFormat, render};

/// A destination of a scheduled report.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// Files `<name>-<YYYYMMDDTHHMMZ>.<ext>` in this directory (created when missing).
    Directory(PathBuf),
    /// A Slack incoming webhook.
    Slack {
        /// The webhook URL (a secret: never printed).
        webhook: String,
    },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Directory(path) => formatter.debug_tuple("Directory").field(path).finish(),
            Target::Slack { .. } => formatter.write_str("Slack { webhook: <hidden> }"),
        }
    }
}

/// What one delivery did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryOutcome {
    /// The delivery's name.
    pub name: String,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Whether the report was posted to Slack.
    pub posted_to_slack: bool,
}

/// Writes `report` in each of `formats` into `directory` as `<name>-<stamp>.<ext>`.
pub fn write_files(
    report: &ReconReport,
    directory: &Path,
    name: &str,
    formats: &[ReportFormat],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(directory)
        .map_err(|source| ReportError::Write { path: directory.to_path_buf(), source })?;
    let stamp = chrono::DateTime::parse_from_rfc3339(&report.now)
        .map(|time| time.format("%Y%m%dT%H%MZ").to_string())
        .unwrap_or_else(|_| "report".to_string());
    let mut written = Vec::with_capacity(formats.len());
    for format in formats {
        let path = directory.join(format!("{name}-{stamp}.{}", format.extension()));
        let partial = directory.join(format!(".{name}-{stamp}.{}.partial", format.extension()));
        std::fs::write(&partial, render(report, *format))
            .map_err(|source| ReportError::Write { path: partial.clone(), source })?;
        std::fs::rename(&partial, &path).map_err(|source| ReportError::Write { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}

/// Posts `report` to a Slack incoming webhook.
pub async fn post_to_slack(client: &reqwest::Client, webhook: &str, report: &ReconReport) -> Result<(), ReportError> {
    let payload = slack::payload(report);
    let response = client
        .post(webhook)
        .json(&payload)
        .send()
        .await
        .map_err(|error| ReportError::Slack(error.without_url().to_string()))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        return Err(ReportError::Slack(format!("the webhook answered HTTP {status}: {body}")));
    }
    Ok(())
}
