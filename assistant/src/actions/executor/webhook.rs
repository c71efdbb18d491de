//! The webhook executor: POSTs the approved action as JSON to the user's own automation (a
//! SOAR, a falco-talon-style responder) and records its answer.
//!
//! The body (`schema: saker.response_action.v1`):
//!
//! ```json
//! {
//!   "schema": "saker.response_action.v1",
//!   "operation": "execute",
//!   "action": {"id": "act-3f9a1c0b7d2e", "kind": "kill_process",
//!              "target": {"cluster": "…", "namespace": "…", "pod": "…", "container_id": "…", "pid": 18797, "process": "easyminer"},
//!              "parameters": {"signal": "SIGKILL"}, "digest": "sha256:…", "summary": "…",
//!              "reason": {"rules": [{"name": "…", "count": 20}], "alerts": 20, "sample_ids": […], "link": "/events?…"},
//!              "reversibility": {"reversible": false, "how": "…"}},
//!   "approval": {"by": "alice", "role": "responder", "at": "2026-11-20T12:01:00+00:00", "digest": "sha256:…"}
//! }
//! ```
//!
//! Headers: `X-Saker-Action-Id`, `Idempotency-Key` (action id, operation and approval time: a
//! retried delivery of the same approval has the same key) and, with a secret configured,
//! `X-Saker-Signature: sha256=<HMAC-SHA256 of the body>`. A 2xx answer is success unless its
//! JSON says `{"status": "failed"}`; anything else is failure. The answer is recorded.

use std::time::Duration;

use hmac::{KeyInit as _, Mac as _};
use saker_tools::actions::{StoredAction, hex};
use serde_json::{Value, json};

use super::{ApprovalRecord, Operation, Outcome, reply_body};
use crate::actions::settings::WebhookSettings;

/// The schema name in every body.
pub const SCHEMA: &str = "saker.response_action.v1";

/// The webhook executor.
#[derive(Clone)]
pub struct WebhookExecutor {
    url: String,
    secret_env: Option<String>,
    secret: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for WebhookExecutor {
    /// The key is a secret: never printed.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WebhookExecutor")
            .field("url", &self.url)
            .field("secret_env", &self.secret_env)
            .finish_non_exhaustive()
    }
}

impl WebhookExecutor {
    /// From its settings, or what is wrong with them.
    pub fn new(settings: &WebhookSettings) -> Result<WebhookExecutor, String> {
        let url = reqwest::Url::parse(settings.url.trim())
            .map_err(|error| format!("`url` {:?} is not a URL: {error}", settings.url))?;
        let loopback = url.host_str().is_some_and(|host| {
            host == "localhost"
                || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(format!("`url` must be https:// (http:// only on loopback), not {}", url.scheme()));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_seconds.unwrap_or(30).clamp(1, 600)))
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(WebhookExecutor {
            url: url.to_string(),
            secret_env: settings.secret_env.clone(),
            secret: settings.secret.clone(),
            client,
        })
    }

    /// Posts the action and records the answer.
    pub async fn run(&self, action: &StoredAction, operation: Operation, approval: &ApprovalRecord) -> Outcome {
        let body = body(action, operation, approval);
        let text = body.to_string();
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-saker-action-id", &action.id)
            .header("idempotency-key", format!("{}:{}:{}", action.id, operation_name(operation), approval.at));
        let secret = match (&self.secret_env, &self.secret) {
            (Some(variable), _) => match std::env::var(variable).ok().filter(|secret| !secret.is_empty()) {
                Some(secret) => Some(secret),
                None => {
                    return Outcome::failed(
                        format!("the webhook secret variable {variable} is not set; nothing was sent"),
                        json!({}),
                    );
                }
            },
            (None, secret) => secret.clone(),
        };
        if let Some(secret) = secret {
            request =
                request.header("x-saker-signature", format!("sha256={}", sign(secret.as_bytes(), text.as_bytes())));
        }
        let sent = json!({"url": self.url, "body": body});
        let response = match request.body(text).send().await {
            Ok(response) => response,
            Err(error) => {
                return Outcome::failed(
                    format!("the webhook could not be reached: {}", error.without_url()),
                    json!({"sent": sent}),
                );
            }
        };
        let status = response.status();
        let reply = match response.bytes().await {
            Ok(bytes) => reply_body(&bytes),
            Err(error) => Value::String(format!("(the reply could not be read: {})", error.without_url())),
        };
        let detail = json!({"sent": sent, "status": status.as_u16(), "reply": reply});
        let declared_failure = reply.get("status").and_then(Value::as_str) == Some("failed");
        let message = reply.get("message").and_then(Value::as_str).map(str::to_string);
        if status.is_success() && !declared_failure {
            Outcome::done(message.unwrap_or_else(|| format!("the webhook accepted it ({status})")), detail)
        } else {
            Outcome::failed(
                format!("the webhook answered {status}{}", message.map(|text| format!(": {text}")).unwrap_or_default()),
                detail,
            )
        }
    }
}

fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::Execute => "execute",
        Operation::Revert => "revert",
    }
}

/// The documented body.
pub fn body(action: &StoredAction, operation: Operation, approval: &ApprovalRecord) -> Value {
    let proposal = &action.proposal;
    json!({
        "schema": SCHEMA,
        "operation": operation_name(operation),
        "action": {
            "id": action.id,
            "kind": proposal.kind,
            "target": proposal.target,
            "parameters": proposal.parameters,
            "digest": proposal.digest,
            "summary": proposal.summary,
            "reason": proposal.reason,
            "reversibility": proposal.reversibility,
        },
        "approval": approval,
    })
}

/// HMAC-SHA256 of `body` with `key`, hex.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(body);
            hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_https_or_loopback_http() {
        let settings = |url: &str| WebhookSettings {
            clusters: vec!["*".into()],
            url: url.into(),
            secret_env: None,
            secret: None,
            timeout_seconds: None,
        };
        assert!(WebhookExecutor::new(&settings("http://soar.example.com/hook")).is_err());
        assert!(WebhookExecutor::new(&settings("http://127.0.0.1:9000/hook")).is_ok());
        assert!(WebhookExecutor::new(&settings("https://soar.example.com/hook")).is_ok());
    }
}
