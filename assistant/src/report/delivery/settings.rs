//! The `reports:` section of `saker.yaml` as written (`ScheduledReport`) and as checked once at
//! start (`Delivery`): every problem names the entry and the field and says what is allowed.
//!
//! ```yaml
//! reports:
//!   - name: weekly-recon
//!     report: recon
//!     every: weekly          # or daily
//!     at: "08:00"            # UTC
//!     weekday: monday        # weekly reports (default monday)
//!     scope: kubernetes.cluster.name=prod-recon-eks
//!     last: 7d               # default 7d weekly, 1d daily
//!     lang: ja               # default en
//!     formats: [md, html]    # files written to the directory (default md, html)
//!     directory: /var/lib/saker/reports
//!     slack_webhook_env: SAKER_SLACK_WEBHOOK   # or slack_webhook: https://hooks.slack.com/...
//! ```

use std::path::PathBuf;

use chrono::{NaiveTime, Weekday};
use saker_tools::scope::Scope;
use saker_tools::store::parse_duration;
use serde::Deserialize;

use super::schedule::{Every, Schedule, parse_time_of_day, parse_weekday};
use super::targets::Target;
use crate::conversation::Language;
use crate::report::ReportFormat;
use crate::report::recon::parse_language;

/// The reports Saker knows how to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    /// The reconnaissance report.
    Recon,
}

/// One entry of `reports:` as written in the file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledReport {
    /// A name for file names and logs (default `<report>-<every>`).
    #[serde(default)]
    pub name: Option<String>,
    /// Which report (`recon`).
    pub report: ReportKind,
    /// `daily` or `weekly`.
    pub every: Every,
    /// Time of day in UTC, `HH:MM` (default `08:00`).
    #[serde(default)]
    pub at: Option<String>,
    /// Weekday of weekly reports (default `monday`).
    #[serde(default)]
    pub weekday: Option<String>,
    /// Scope expression in Falco field syntax (default: every alert).
    #[serde(default)]
    pub scope: Option<String>,
    /// Period length (default `7d` for weekly, `1d` for daily).
    #[serde(default)]
    pub last: Option<String>,
    /// `en` (default) or `ja`.
    #[serde(default)]
    pub lang: Option<String>,
    /// Formats written to `directory` (default `md`, `html`).
    #[serde(default)]
    pub formats: Option<Vec<String>>,
    /// Directory the report files are written to.
    #[serde(default)]
    pub directory: Option<PathBuf>,
    /// A Slack incoming-webhook URL (better given through `slack_webhook_env`: it is a secret).
    #[serde(default)]
    pub slack_webhook: Option<String>,
    /// The environment variable holding the Slack incoming-webhook URL.
    #[serde(default)]
    pub slack_webhook_env: Option<String>,
}

/// A checked scheduled report.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Its name (file names, logs).
    pub name: String,
    /// Which report.
    pub report: ReportKind,
    /// When it runs.
    pub schedule: Schedule,
    /// Its scope ('' for every alert).
    pub scope: String,
    /// Its period length.
    pub last: String,
    /// Its language.
    pub language: Language,
    /// Formats written to a directory.
    pub formats: Vec<ReportFormat>,
    /// Where it goes.
    pub targets: Vec<Target>,
}

/// Checks the `reports:` entries, reading webhook addresses from the environment through
/// `env` where `slack_webhook_env` names a variable.
pub fn deliveries_from_config(
    entries: &[ScheduledReport],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Delivery>, String> {
    let mut deliveries = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let place = |field: &str| format!("reports[{index}].{field}");
        let at = match entry.at.as_deref() {
            None => NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            Some(text) => parse_time_of_day(text).ok_or_else(|| {
                format!("{}: {text:?} is not a UTC time of day (allowed HH:MM, e.g. \"08:00\")", place("at"))
            })?,
        };
        let weekday = match entry.weekday.as_deref() {
            None => Weekday::Mon,
            Some(text) => parse_weekday(text).ok_or_else(|| {
                format!("{}: {text:?} is not a weekday (allowed monday ... sunday)", place("weekday"))
            })?,
        };
        if entry.weekday.is_some() && entry.every == Every::Daily {
            return Err(format!("{}: only weekly reports have a weekday", place("weekday")));
        }
        let scope = entry.scope.clone().unwrap_or_default();
        Scope::parse(&scope).map_err(|error| format!("{}: {error}", place("scope")))?;
        let last = entry.last.clone().unwrap_or_else(|| match entry.every {
            Every::Daily => "1d".to_string(),
            Every::Weekly => "7d".to_string(),
        });
        parse_duration(&last).map_err(|error| format!("{}: {error}", place("last")))?;
        let language = parse_language(entry.lang.as_deref().unwrap_or("en"))
            .map_err(|error| format!("{}: {error}", place("lang")))?;
        let formats = match &entry.formats {
            None => vec![ReportFormat::Markdown, ReportFormat::Html],
            Some(names) => {
                let mut formats = Vec::new();
                for name in names {
                    formats
                        .push(name.parse::<ReportFormat>().map_err(|error| format!("{}: {error}", place("formats")))?);
                }
                formats
            }
        };
        let mut targets = Vec::new();
        if let Some(directory) = &entry.directory {
            targets.push(Target::Directory(directory.clone()));
        }
        let webhook = match (&entry.slack_webhook, &entry.slack_webhook_env) {
            (Some(_), Some(_)) => {
                return Err(format!("{}: give slack_webhook or slack_webhook_env, not both", place("slack_webhook")));
            }
            (Some(url), None) => Some(url.clone()),
            (None, Some(variable)) => Some(env(variable).filter(|url| !url.trim().is_empty()).ok_or_else(|| {
                format!("{}: the environment variable {variable} is not set", place("slack_webhook_env"))
            })?),
            (None, None) => None,
        };
        if let Some(url) = webhook {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("{}: the webhook must be an http(s) URL", place("slack_webhook")));
            }
            targets.push(Target::Slack { webhook: url });
        }
        if targets.is_empty() {
            return Err(format!(
                "reports[{index}]: say where the report goes (directory, slack_webhook or slack_webhook_env)"
            ));
        }
        let every_name = match entry.every {
            Every::Daily => "daily",
            Every::Weekly => "weekly",
        };
        let name = entry.name.clone().unwrap_or_else(|| format!("recon-{every_name}"));
        if name.is_empty()
            || !name.chars().all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character))
        {
            return Err(format!(
                "{}: {name:?} must be letters, digits, '-', '_' or '.' (it names files)",
                place("name")
            ));
        }
        deliveries.push(Delivery {
            name,
            report: entry.report,
            schedule: Schedule { every: entry.every, at, weekday },
            scope,
            last,
            language,
            formats,
            targets,
        });
    }
    Ok(deliveries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Vec<ScheduledReport> {
        serde_saphyr::from_str(yaml).expect("yaml")
    }

    #[test]
    fn defaults_fill_a_minimal_entry() {
        let entries = parse("- report: recon\n  every: weekly\n  directory: /tmp/reports\n");
        let deliveries = deliveries_from_config(&entries, |_| None).expect("valid");
        let delivery = &deliveries[0];
        assert_eq!(delivery.name, "recon-weekly");
        assert_eq!(delivery.last, "7d");
        assert_eq!(delivery.language, Language::En);
        assert_eq!(delivery.schedule.weekday, Weekday::Mon);
        assert_eq!(delivery.formats, vec![ReportFormat::Markdown, ReportFormat::Html]);
        assert_eq!(delivery.targets, vec![Target::Directory(PathBuf::from("/tmp/reports"))]);
    }

    #[test]
    fn problems_name_the_entry_and_the_field() {
        let check = |yaml: &str, expected: &str| {
            let error = deliveries_from_config(&parse(yaml), |_| None).expect_err(yaml);
            assert!(error.contains(expected), "{error}");
        };
        check("- report: recon\n  every: daily\n  at: 8am\n  directory: d\n", "reports[0].at");
        check("- report: recon\n  every: daily\n  weekday: monday\n  directory: d\n", "reports[0].weekday");
        check("- report: recon\n  every: weekly\n  scope: 'a in ('\n  directory: d\n", "reports[0].scope");
        check("- report: recon\n  every: weekly\n  last: 7 days\n  directory: d\n", "reports[0].last");
        check("- report: recon\n  every: weekly\n  formats: [pdf]\n  directory: d\n", "reports[0].formats");
        check("- report: recon\n  every: weekly\n", "say where the report goes");
        check("- report: recon\n  every: weekly\n  slack_webhook_env: HOOK\n", "HOOK is not set");
        check("- report: recon\n  every: weekly\n  name: ../x\n  directory: d\n", "reports[0].name");
    }

    #[test]
    fn the_webhook_can_come_from_the_environment() {
        let entries = parse("- report: recon\n  every: daily\n  slack_webhook_env: HOOK\n  lang: ja\n");
        let env = |name: &str| (name == "HOOK").then(|| "http://127.0.0.1:9/hook".to_string());
        let deliveries = deliveries_from_config(&entries, env).expect("valid");
        assert_eq!(deliveries[0].targets, vec![Target::Slack { webhook: "http://127.0.0.1:9/hook".to_string() }]);
        assert_eq!(deliveries[0].last, "1d");
        assert_eq!(deliveries[0].language, Language::Ja);
    }
}
