//! Running deliveries: [`deliver`] builds one report and sends it to its targets;
//! [`spawn_scheduler`] is the loop `saker serve` runs, sleeping until the next scheduled
//! report, delivering it with "now" set to its scheduled time, and logging the outcome (a
//! failure is logged and retried at the next run; it never stops the server).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::AlertStore;

use super::settings::Delivery;
use super::targets::{DeliveryOutcome, Target, post_to_slack, write_files};
use crate::report::{ReconRequest, ReportError, build_recon};

/// How long a webhook call may take.
const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Builds `delivery`'s report for the period ending at `now` and sends it to every target.
/// Every target is tried; the first failure is returned after the others ran.
pub async fn deliver(
    store: Arc<dyn AlertStore>,
    rules: Arc<RulesCatalog>,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<DeliveryOutcome, ReportError> {
    let request = ReconRequest {
        scope: Some(delivery.scope.clone()),
        last: delivery.last.clone(),
        now,
        language: delivery.language,
    };
    let report = tokio::task::spawn_blocking(move || build_recon(store.as_ref(), &rules, &request))
        .await
        .map_err(|error| ReportError::Internal(error.to_string()))??;
    let mut outcome = DeliveryOutcome { name: delivery.name.clone(), files: Vec::new(), posted_to_slack: false };
    let mut first_error = None;
    for target in &delivery.targets {
        let result = match target {
            Target::Directory(directory) => {
                let directory = directory.clone();
                let name = delivery.name.clone();
                let formats = delivery.formats.clone();
                let report = report.clone();
                tokio::task::spawn_blocking(move || write_files(&report, &directory, &name, &formats))
                    .await
                    .map_err(|error| ReportError::Internal(error.to_string()))
                    .and_then(|result| result)
                    .map(|files| outcome.files.extend(files))
            }
            Target::Slack { webhook } => {
                let client = reqwest::Client::builder()
                    .timeout(WEBHOOK_TIMEOUT)
                    .build()
                    .map_err(|error| ReportError::Slack(error.without_url().to_string()));
                match client {
                    Ok(client) => {
                        post_to_slack(&client, webhook, &report).await.map(|()| outcome.posted_to_slack = true)
                    }
                    Err(error) => Err(error),
                }
            }
        };
        if let Err(error) = result {
            tracing::warn!(report = %delivery.name, details = %error, "report delivery failed");
            first_error.get_or_insert(error);
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(outcome),
    }
}

/// Starts the delivery loop on the current runtime (nothing when `deliveries` is empty).
pub fn spawn_scheduler(
    deliveries: Vec<Delivery>,
    store: Arc<dyn AlertStore>,
    rules: Arc<RulesCatalog>,
) -> Option<tokio::task::JoinHandle<()>> {
    if deliveries.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut after = Utc::now();
        loop {
            let Some(next) = deliveries.iter().map(|delivery| delivery.schedule.next_after(after)).min() else {
                return;
            };
            let wait = (next - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            for delivery in deliveries.iter().filter(|delivery| delivery.schedule.next_after(after) == next) {
                match deliver(store.clone(), rules.clone(), delivery, next).await {
                    Ok(outcome) => tracing::info!(
                        report = %outcome.name,
                        files = outcome.files.len(),
                        slack = outcome.posted_to_slack,
                        "report delivered"
                    ),
                    Err(error) => tracing::warn!(report = %delivery.name, details = %error, "report delivery failed"),
                }
            }
            after = next;
        }
    }))
}
