//! Escalation: a summary of the investigation (scope, key figures, root cause, impacted
//! workloads, links back to Saker) posted to a Slack incoming webhook as Block Kit, or filed as
//! a Jira issue through the REST API (`POST /rest/api/2/issue`).
//!
//! ```yaml
//! escalation:
//!   saker_url: https://saker.example.com      # links in the summary point here
//!   slack:
//!     webhook_url_env: SAKER_SLACK_WEBHOOK_URL  # the URL is a secret: keep it in the environment
//!   jira:
//!     base_url: https://example.atlassian.net
//!     project: SEC
//!     issue_type: Task
//!     email: saker@example.com                  # with api_token_env: basic auth (Jira Cloud)
//!     api_token_env: SAKER_JIRA_API_TOKEN       # or bearer_token_env for a personal access token
//!     labels: [saker, falco]
//!   max_attempts: 3                             # on connection errors, 429 and 5xx
//!   retry_delay_ms: 500                         # doubled each time; Retry-After is honoured
//! ```
//!
//! Failures are returned (and shown in the conversation) after the bounded retries. Secrets
//! (the webhook URL, tokens) are never logged nor put into results: errors are reported
//! without their URL.

use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::planner::understand::action_request::EscalationTarget;

/// The `escalation:` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSettings {
    /// Base URL of this Saker, for links in summaries (default `http://127.0.0.1:7878`).
    #[serde(default)]
    pub saker_url: Option<String>,
    /// Slack.
    #[serde(default)]
    pub slack: Option<SlackSettings>,
    /// Jira.
    #[serde(default)]
    pub jira: Option<JiraSettings>,
    /// Attempts per escalation (default 3, at most 10).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// First retry delay in milliseconds (default 500), doubled each retry.
    #[serde(default)]
    pub retry_delay_ms: Option<u64>,
}

/// `escalation.slack`.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// The incoming webhook URL (a secret: prefer `webhook_url_env`).
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// The environment variable holding the webhook URL.
    #[serde(default)]
    pub webhook_url_env: Option<String>,
}

impl std::fmt::Debug for SlackSettings {
    /// The webhook URL is a secret: never printed.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SlackSettings")
            .field("webhook_url", &self.webhook_url.as_ref().map(|_| "[redacted]"))
            .field("webhook_url_env", &self.webhook_url_env)
            .finish()
    }
}

/// `escalation.jira`.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraSettings {
    /// `https://example.atlassian.net` (or a Data Center base URL).
    pub base_url: String,
    /// Project key.
    pub project: String,
    /// Issue type name (default `Task`).
    #[serde(default)]
    pub issue_type: Option<String>,
    /// Account e-mail for basic auth with `api_token_env`.
    #[serde(default)]
    pub email: Option<String>,
    /// Environment variable with the API token (basic auth with `email`).
    #[serde(default)]
    pub api_token_env: Option<String>,
    /// Environment variable with a personal access token (bearer auth).
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    /// The API token itself (better given through `api_token_env`).
    #[serde(default)]
    pub api_token: Option<String>,
    /// Labels on the issue.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Further fields, as Jira's REST API names them (`priority: {name: High}`).
    #[serde(default)]
    pub fields: Map<String, Value>,
}

impl std::fmt::Debug for JiraSettings {
    /// The API token is a secret: never printed.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("JiraSettings")
            .field("base_url", &self.base_url)
            .field("project", &self.project)
            .field("email", &self.email)
            .field("api_token", &self.api_token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// What is escalated: the investigation's facts, copied from tool outputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EscalationSummary {
    /// One line.
    pub title: String,
    /// The scope expression.
    pub scope: String,
    /// Alerts in scope.
    pub alerts: u64,
    /// First and last alert.
    pub first_seen: Option<String>,
    /// Last alert.
    pub last_seen: Option<String>,
    /// Top rules with counts.
    pub rules: Vec<(String, u64)>,
    /// Root-cause command lines.
    pub root_causes: Vec<String>,
    /// Impacted workloads (`cluster/namespace/workload`).
    pub workloads: Vec<String>,
    /// Workloads, pods and namespaces hit.
    pub totals: Value,
    /// Link to the alerts in Saker's event feed.
    pub link: String,
}

/// What happened to one escalation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationResult {
    /// `slack` or `jira`.
    pub destination: EscalationTarget,
    /// True when the destination accepted it.
    pub delivered: bool,
    /// Attempts made.
    pub attempts: u32,
    /// The last HTTP status, if any answer came.
    pub status: Option<u16>,
    /// The Jira issue key and link, when filed.
    pub reference: Option<String>,
    /// Why it was not delivered.
    pub error: Option<String>,
}

/// Sends escalations.
#[derive(Debug, Clone)]
pub struct Escalator {
    settings: EscalationSettings,
    client: reqwest::Client,
}

impl Escalator {
    /// From the settings, or what is wrong with them.
    pub fn new(settings: EscalationSettings) -> Result<Escalator, String> {
        if let Some(slack) = &settings.slack
            && slack.webhook_url.is_none()
            && slack.webhook_url_env.is_none()
        {
            return Err("escalation.slack: set `webhook_url_env` (or `webhook_url`)".into());
        }
        if let Some(jira) = &settings.jira {
            reqwest::Url::parse(&jira.base_url)
                .map_err(|error| format!("escalation.jira: `base_url` {:?} is not a URL: {error}", jira.base_url))?;
            if jira.project.trim().is_empty() {
                return Err("escalation.jira: `project` is empty".into());
            }
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Escalator { settings, client })
    }

    /// The base URL links point to.
    pub fn saker_url(&self) -> String {
        self.settings
            .saker_url
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:7878".into())
            .trim_end_matches('/')
            .to_string()
    }

    /// Sends `summary` to `target`, retrying on connection errors, 429 and 5xx.
    pub async fn send(&self, target: EscalationTarget, summary: &EscalationSummary) -> EscalationResult {
        let failed = |error: String| EscalationResult {
            destination: target,
            delivered: false,
            attempts: 0,
            status: None,
            reference: None,
            error: Some(error),
        };
        let request = match target {
            EscalationTarget::Slack => self.slack_request(summary),
            EscalationTarget::Jira => self.jira_request(summary),
        };
        let request = match request {
            Ok(request) => request,
            Err(error) => return failed(error),
        };
        let attempts = self.settings.max_attempts.unwrap_or(3).clamp(1, 10);
        let mut delay = Duration::from_millis(self.settings.retry_delay_ms.unwrap_or(500).min(60_000));
        let mut last = failed("not sent".into());
        for attempt in 1..=attempts {
            let Some(try_request) = request.try_clone() else { return failed("the request cannot be retried".into()) };
            match try_request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.trim().parse::<u64>().ok());
                    let body = response.bytes().await.unwrap_or_default();
                    if status.is_success() {
                        let reference = (target == EscalationTarget::Jira)
                            .then(|| serde_json::from_slice::<Value>(&body).ok())
                            .flatten()
                            .and_then(|reply| reply.get("key").and_then(Value::as_str).map(str::to_string));
                        let reference = reference.map(|key| match &self.settings.jira {
                            Some(jira) => format!("{key} {}/browse/{key}", jira.base_url.trim_end_matches('/')),
                            None => key,
                        });
                        return EscalationResult {
                            destination: target,
                            delivered: true,
                            attempts: attempt,
                            status: Some(status.as_u16()),
                            reference,
                            error: None,
                        };
                    }
                    let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
                    last = EscalationResult {
                        destination: target,
                        delivered: false,
                        attempts: attempt,
                        status: Some(status.as_u16()),
                        reference: None,
                        error: Some(format!("answered {status}: {text}")),
                    };
                    if !(status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()) {
                        return last;
                    }
                    if let Some(seconds) = retry_after {
                        delay = delay.max(Duration::from_secs(seconds.min(30)));
                    }
                }
                Err(error) => {
                    last = EscalationResult {
                        destination: target,
                        delivered: false,
                        attempts: attempt,
                        status: None,
                        reference: None,
                        error: Some(format!("could not be reached: {}", error.without_url())),
                    };
                }
            }
            if attempt < attempts {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        tracing::warn!(destination = ?target, attempts = last.attempts, status = ?last.status, "escalation not delivered");
        last
    }

    fn slack_request(&self, summary: &EscalationSummary) -> Result<reqwest::RequestBuilder, String> {
        let slack = self.settings.slack.as_ref().ok_or("Slack is not configured (escalation.slack in saker.yaml)")?;
        let url = match (&slack.webhook_url_env, &slack.webhook_url) {
            (Some(variable), _) => {
                std::env::var(variable).map_err(|_| format!("the Slack webhook variable {variable} is not set"))?
            }
            (None, Some(url)) => url.clone(),
            (None, None) => return Err("Slack has no webhook URL configured".into()),
        };
        Ok(self.client.post(url.trim()).json(&slack_payload(summary, &self.saker_url())))
    }

    fn jira_request(&self, summary: &EscalationSummary) -> Result<reqwest::RequestBuilder, String> {
        let jira = self.settings.jira.as_ref().ok_or("Jira is not configured (escalation.jira in saker.yaml)")?;
        let url = format!("{}/rest/api/2/issue", jira.base_url.trim_end_matches('/'));
        let mut request = self.client.post(url).json(&jira_payload(jira, summary, &self.saker_url()));
        let secret = |variable: &String| {
            std::env::var(variable).map_err(|_| format!("the Jira token variable {variable} is not set"))
        };
        let api_token = match (&jira.api_token_env, &jira.api_token) {
            (Some(variable), _) => Some(secret(variable)?),
            (None, token) => token.clone(),
        };
        request = match (&jira.bearer_token_env, &jira.email, api_token) {
            (Some(variable), _, _) => request.bearer_auth(secret(variable)?),
            (None, Some(email), Some(token)) => request.basic_auth(email, Some(token)),
            _ => return Err("Jira needs `email` with `api_token_env` (or `api_token`), or `bearer_token_env`".into()),
        };
        Ok(request)
    }
}

fn lines(summary: &EscalationSummary, saker_url: &str) -> Vec<String> {
    let mut lines = vec![format!("Scope: {}", if summary.scope.is_empty() { "all alerts" } else { &summary.scope })];
    let period = match (&summary.first_seen, &summary.last_seen) {
        (Some(first), Some(last)) => format!(" from {first} to {last}"),
        _ => String::new(),
    };
    lines.push(format!("Alerts: {}{period}", summary.alerts));
    if !summary.rules.is_empty() {
        let rules: Vec<String> = summary.rules.iter().map(|(rule, count)| format!("{rule} ({count})")).collect();
        lines.push(format!("Top rules: {}", rules.join(", ")));
    }
    if !summary.root_causes.is_empty() {
        lines.push(format!("Root cause: {}", summary.root_causes.join("; ")));
    }
    if !summary.workloads.is_empty() {
        lines.push(format!("Impacted workloads: {}", summary.workloads.join(", ")));
    }
    lines.push(format!("Alerts in Saker: {saker_url}{}", summary.link));
    lines
}

/// The Slack Block Kit message: a header, the facts as a section, a link button.
pub fn slack_payload(summary: &EscalationSummary, saker_url: &str) -> Value {
    let facts: Vec<String> =
        lines(summary, saker_url).into_iter().map(|line| format!("• {}", slack_escape(&line))).collect();
    json!({
        "text": summary.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": summary.title.chars().take(150).collect::<String>()}},
            {"type": "section", "text": {"type": "mrkdwn", "text": facts.join("\n")}},
            {"type": "actions", "elements": [{
                "type": "button",
                "text": {"type": "plain_text", "text": "Open in Saker"},
                "url": format!("{saker_url}{}", summary.link),
            }]},
        ],
    })
}

/// Slack's three control characters, escaped (alert text must not become links or mentions).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The Jira issue body (REST API v2: plain-text description).
pub fn jira_payload(jira: &JiraSettings, summary: &EscalationSummary, saker_url: &str) -> Value {
    let mut fields = Map::new();
    fields.insert("project".into(), json!({"key": jira.project}));
    fields.insert("summary".into(), json!(summary.title.chars().take(250).collect::<String>()));
    fields.insert("description".into(), json!(lines(summary, saker_url).join("\n")));
    fields.insert("issuetype".into(), json!({"name": jira.issue_type.clone().unwrap_or_else(|| "Task".into())}));
    if !jira.labels.is_empty() {
        fields.insert("labels".into(), json!(jira.labels));
    }
    for (key, value) in &jira.fields {
        fields.entry(key.clone()).or_insert_with(|| value.clone());
    }
    json!({"fields": fields})
}
