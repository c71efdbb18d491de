//! The Kubernetes executor: plain HTTPS calls to the API server, with a bearer token.
//!
//! | action | calls |
//! |---|---|
//! | `delete_pod` | `DELETE /api/v1/namespaces/{ns}/pods/{pod}` with a `DeleteOptions` body |
//! | `isolate_workload` | `GET` the workload (`/apis/apps/v1/namespaces/{ns}/deployments/{name}`, ...) for its `spec.selector`, then `POST /apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies` with a policy selecting those pods with `policyTypes: [Ingress, Egress]` and no rules (deny all) |
//! | revert `isolate_workload` | `DELETE /apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/{name}` |
//!
//! Every name put into a path is checked as a Kubernetes object name first: alert text is
//! attacker-controlled and must not reach the API as a path.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use saker_tools::actions::{ActionKind, ActionTarget, StoredAction};
use serde_json::{Value, json};

use super::{Operation, Outcome, reply_body};
use crate::actions::settings::KubernetesSettings;

const SERVICE_ACCOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Where the bearer token comes from.
#[derive(Debug, Clone)]
enum TokenSource {
    File(PathBuf),
    Env(String),
    None,
}

/// The Kubernetes executor.
#[derive(Debug, Clone)]
pub struct KubernetesExecutor {
    base: String,
    client: reqwest::Client,
    token: TokenSource,
}

/// One call to the API server.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
}

impl Call {
    fn describe(&self) -> Value {
        json!({"method": self.method.as_str(), "path": self.path, "body": self.body})
    }
}

impl KubernetesExecutor {
    /// From its settings, or what is wrong with them.
    pub fn new(settings: &KubernetesSettings) -> Result<KubernetesExecutor, String> {
        let (base, token, ca_file) = if settings.in_cluster {
            let host = std::env::var("KUBERNETES_SERVICE_HOST")
                .map_err(|_| "in_cluster is set but KUBERNETES_SERVICE_HOST is not: Saker is not running in a pod")?;
            let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".into());
            let host = if host.contains(':') { format!("[{host}]") } else { host };
            (
                format!("https://{host}:{port}"),
                TokenSource::File(PathBuf::from(SERVICE_ACCOUNT).join("token")),
                settings.ca_file.clone().or_else(|| Some(PathBuf::from(SERVICE_ACCOUNT).join("ca.crt"))),
            )
        } else {
            let base = settings.api_server.clone().ok_or("`api_server` is not set (or set `in_cluster: true`)")?;
            let token = match (&settings.token_file, &settings.token_env) {
                (Some(file), _) => TokenSource::File(file.clone()),
                (None, Some(variable)) => TokenSource::Env(variable.clone()),
                (None, None) => TokenSource::None,
            };
            (base, token, settings.ca_file.clone())
        };
        let base = base.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).map_err(|error| format!("`api_server` {base:?} is not a URL: {error}"))?;
        let loopback = url.host_str().is_some_and(|host| {
            host == "localhost"
                || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(format!(
                    "`api_server` {base:?} is plain http to another machine: the bearer token would cross the \
                     network in clear; use https"
                ));
            }
            scheme => return Err(format!("`api_server` {base:?} has scheme {scheme:?}: use https://")),
        }
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_seconds.unwrap_or(30).clamp(1, 600)))
            .tls_danger_accept_invalid_certs(settings.insecure_skip_tls_verify);
        if let Some(ca_file) = &ca_file {
            let pem = std::fs::read(ca_file)
                .map_err(|error| format!("cannot read `ca_file` {}: {error}", ca_file.display()))?;
            let certificate = reqwest::Certificate::from_pem(&pem)
                .map_err(|error| format!("`ca_file` {} is not a PEM certificate: {error}", ca_file.display()))?;
            builder = builder.add_root_certificate(certificate);
        }
        let client = builder.build().map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(KubernetesExecutor { base, client, token })
    }

    /// Carries out or undoes `action`.
    pub async fn run(&self, action: &StoredAction, operation: Operation) -> Outcome {
        let target = &action.proposal.target;
        let checked = check_names(target);
        if let Err(message) = checked {
            return Outcome::failed(message, json!({}));
        }
        match (action.proposal.kind, operation) {
            (ActionKind::DeletePod, Operation::Execute) => match delete_pod_call(action) {
                Ok(call) => self.single(call, "pod deleted").await,
                Err(message) => Outcome::failed(message, json!({})),
            },
            (ActionKind::IsolateWorkload, Operation::Execute) => self.isolate(action).await,
            (ActionKind::IsolateWorkload, Operation::Revert) => match delete_policy_call(action) {
                Ok(call) => self.single(call, "NetworkPolicy deleted: the workload's traffic is restored").await,
                Err(message) => Outcome::failed(message, json!({})),
            },
            (ActionKind::KillProcess, Operation::Execute) => Outcome::failed(
                "kill_process is not done through the Kubernetes API (the alerts carry host pids, not the pid inside \
                 the container that pods/exec would need): run the host executor on the node, or delete_pod",
                json!({}),
            ),
            (kind, Operation::Revert) => Outcome::failed(format!("{kind} cannot be undone"), json!({})),
            (kind, Operation::Execute) => Outcome::failed(
                format!(
                    "{kind} acts on a node, not through the Kubernetes API: configure the host executor on the node"
                ),
                json!({}),
            ),
        }
    }

    async fn token(&self) -> Result<Option<String>, String> {
        match &self.token {
            TokenSource::None => Ok(None),
            TokenSource::Env(variable) => std::env::var(variable)
                .map(|token| Some(token.trim().to_string()))
                .map_err(|_| format!("the token variable {variable} is not set")),
            TokenSource::File(path) => tokio::fs::read_to_string(path)
                .await
                .map(|token| Some(token.trim().to_string()))
                .map_err(|error| format!("cannot read the token file {}: {error}", path.display())),
        }
    }

    /// Sends one call; returns its status and body. The token never appears in the result.
    async fn send(&self, call: &Call) -> Result<(StatusCode, Value), String> {
        let mut request = self.client.request(call.method.clone(), format!("{}{}", self.base, call.path));
        if let Some(token) = self.token().await? {
            request = request.bearer_auth(token);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let response = request
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|error| format!("{} {} failed: {}", call.method, call.path, error.without_url()))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|error| format!("reading the reply: {}", error.without_url()))?;
        Ok((status, reply_body(&bytes)))
    }

    async fn single(&self, call: Call, done: &str) -> Outcome {
        match self.send(&call).await {
            Ok((status, body)) if status.is_success() => {
                Outcome::done(done, json!({"requests": [call.describe()], "status": status.as_u16(), "reply": body}))
            }
            Ok((status, body)) => Outcome::failed(
                format!("{} {} answered {status}: {}", call.method, call.path, status_message(&body)),
                json!({"requests": [call.describe()], "status": status.as_u16(), "reply": body}),
            ),
            Err(message) => Outcome::failed(message, json!({"requests": [call.describe()]})),
        }
    }

    async fn isolate(&self, action: &StoredAction) -> Outcome {
        let read = match selector_call(&action.proposal.target) {
            Ok(call) => call,
            Err(message) => return Outcome::failed(message, json!({})),
        };
        let mut requests = vec![read.describe()];
        let selector = match self.send(&read).await {
            Ok((status, body)) if status.is_success() => match selector_of(&action.proposal.target, &body) {
                Some(selector) => selector,
                None => {
                    return Outcome::failed(
                        "the workload has no pod selector to isolate by",
                        json!({"requests": requests, "reply": body}),
                    );
                }
            },
            Ok((status, body)) => {
                return Outcome::failed(
                    format!("{} {} answered {status}: {}", read.method, read.path, status_message(&body)),
                    json!({"requests": requests, "status": status.as_u16(), "reply": body}),
                );
            }
            Err(message) => return Outcome::failed(message, json!({"requests": requests})),
        };
        let create = match create_policy_call(action, selector.clone()) {
            Ok(call) => call,
            Err(message) => return Outcome::failed(message, json!({"requests": requests})),
        };
        requests.push(create.describe());
        match self.send(&create).await {
            Ok((status, body)) if status.is_success() => Outcome::done(
                format!(
                    "NetworkPolicy created: {} is isolated",
                    action.proposal.target.workload.as_deref().unwrap_or("")
                ),
                json!({"requests": requests, "status": status.as_u16(), "reply": body}),
            ),
            Ok((StatusCode::CONFLICT, _)) => self.already_isolated(action, &selector, requests).await,
            Ok((status, body)) => Outcome::failed(
                format!("{} {} answered {status}: {}", create.method, create.path, status_message(&body)),
                json!({"requests": requests, "status": status.as_u16(), "reply": body}),
            ),
            Err(message) => Outcome::failed(message, json!({"requests": requests})),
        }
    }

    /// A policy of that name exists: fine when it is Saker's and selects the same pods.
    async fn already_isolated(&self, action: &StoredAction, selector: &Value, mut requests: Vec<Value>) -> Outcome {
        let read = match delete_policy_call(action) {
            Ok(call) => Call { method: Method::GET, body: None, ..call },
            Err(message) => return Outcome::failed(message, json!({})),
        };
        requests.push(read.describe());
        match self.send(&read).await {
            Ok((status, body))
                if status.is_success()
                    && body.pointer("/spec/podSelector") == Some(selector)
                    && body.pointer("/metadata/labels/app.kubernetes.io~1managed-by") == Some(&json!("saker")) =>
            {
                Outcome::done(
                    "the isolating NetworkPolicy was already in place",
                    json!({"requests": requests, "reply": body}),
                )
            }
            Ok((_, body)) => Outcome::failed(
                "a NetworkPolicy with this name exists and is not Saker's isolation of these pods; nothing was changed",
                json!({"requests": requests, "reply": body}),
            ),
            Err(message) => Outcome::failed(message, json!({"requests": requests})),
        }
    }
}

/// A Kubernetes object name (DNS-1123 subdomain): lowercase alphanumerics, `-` and `.`, at
/// most 253 characters, starting and ending alphanumeric.
pub fn is_object_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 253
        && bytes.iter().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-' || *byte == b'.')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

fn check_names(target: &ActionTarget) -> Result<(), String> {
    for (field, value) in [("namespace", &target.namespace), ("pod", &target.pod), ("workload", &target.workload)] {
        if let Some(value) = value
            && !is_object_name(value)
        {
            return Err(format!("the {field} {value:?} is not a valid Kubernetes name; nothing was sent"));
        }
    }
    Ok(())
}

fn required<'a>(value: &'a Option<String>, what: &str) -> Result<&'a str, String> {
    value.as_deref().ok_or_else(|| format!("the action names no {what}"))
}

fn delete_pod_call(action: &StoredAction) -> Result<Call, String> {
    let target = &action.proposal.target;
    let (namespace, pod) = (required(&target.namespace, "namespace")?, required(&target.pod, "pod")?);
    let grace = action.proposal.parameters.grace_period_seconds.unwrap_or(30);
    Ok(Call {
        method: Method::DELETE,
        path: format!("/api/v1/namespaces/{namespace}/pods/{pod}"),
        body: Some(json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": grace})),
    })
}

/// The read that gives the workload's pod selector.
fn selector_call(target: &ActionTarget) -> Result<Call, String> {
    let namespace = required(&target.namespace, "namespace")?;
    let workload = required(&target.workload, "workload")?;
    let path = match target.workload_kind.as_deref() {
        Some("Deployment") => format!("/apis/apps/v1/namespaces/{namespace}/deployments/{workload}"),
        Some("StatefulSet") => format!("/apis/apps/v1/namespaces/{namespace}/statefulsets/{workload}"),
        Some("DaemonSet") => format!("/apis/apps/v1/namespaces/{namespace}/daemonsets/{workload}"),
        Some("ReplicaSet") => format!("/apis/apps/v1/namespaces/{namespace}/replicasets/{workload}"),
        Some("ReplicationController") => format!("/api/v1/namespaces/{namespace}/replicationcontrollers/{workload}"),
        Some("Pod") => format!("/api/v1/namespaces/{namespace}/pods/{workload}"),
        Some(kind) => {
            return Err(format!("isolating a {kind}'s pods is not supported: isolate them with delete_pod or by hand"));
        }
        None => {
            return Err(format!(
                "the kind of workload {workload} is not in the alerts, so its pod selector cannot be read"
            ));
        }
    };
    Ok(Call { method: Method::GET, path, body: None })
}

/// The pod selector in a workload (or the labels of a bare pod).
fn selector_of(target: &ActionTarget, object: &Value) -> Option<Value> {
    match target.workload_kind.as_deref() {
        Some("Pod") => {
            let labels = object.pointer("/metadata/labels")?.as_object()?;
            (!labels.is_empty()).then(|| json!({"matchLabels": labels}))
        }
        Some("ReplicationController") => {
            let labels = object.pointer("/spec/selector")?.as_object()?;
            (!labels.is_empty()).then(|| json!({"matchLabels": labels}))
        }
        _ => {
            let selector = object.pointer("/spec/selector")?;
            let empty = |key: &str| {
                selector.get(key).and_then(Value::as_object).is_none_or(|map| map.is_empty())
                    && selector.get(key).and_then(Value::as_array).is_none_or(|list| list.is_empty())
            };
            (!(empty("matchLabels") && empty("matchExpressions"))).then(|| selector.clone())
        }
    }
}

fn policy_name(action: &StoredAction) -> Result<(&str, &str), String> {
    let target = &action.proposal.target;
    let namespace = required(&target.namespace, "namespace")?;
    let name = action.proposal.parameters.network_policy.as_deref().ok_or("the action names no NetworkPolicy")?;
    if !is_object_name(name) {
        return Err(format!("{name:?} is not a valid NetworkPolicy name"));
    }
    Ok((namespace, name))
}

fn create_policy_call(action: &StoredAction, selector: Value) -> Result<Call, String> {
    let (namespace, name) = policy_name(action)?;
    Ok(Call {
        method: Method::POST,
        path: format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies"),
        body: Some(json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "saker"},
                "annotations": {"saker.io/action-id": action.id, "saker.io/digest": action.proposal.digest},
            },
            "spec": {"podSelector": selector, "policyTypes": ["Ingress", "Egress"]},
        })),
    })
}

fn delete_policy_call(action: &StoredAction) -> Result<Call, String> {
    let (namespace, name) = policy_name(action)?;
    Ok(Call {
        method: Method::DELETE,
        path: format!("/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name}"),
        body: None,
    })
}

/// The `message` of a Kubernetes `Status` reply, else the body.
fn status_message(body: &Value) -> String {
    body.get("message").and_then(Value::as_str).map_or_else(|| body.to_string(), str::to_string)
}

/// What the Kubernetes executor would send (for the dry run).
pub fn plan(action: &StoredAction, operation: Operation) -> Value {
    let calls: Result<Vec<Value>, String> = match (action.proposal.kind, operation) {
        (ActionKind::DeletePod, Operation::Execute) => delete_pod_call(action).map(|call| vec![call.describe()]),
        (ActionKind::IsolateWorkload, Operation::Execute) => selector_call(&action.proposal.target).and_then(|read| {
            let selector = json!("<spec.selector of the workload, as read>");
            create_policy_call(action, selector).map(|create| vec![read.describe(), create.describe()])
        }),
        (ActionKind::IsolateWorkload, Operation::Revert) => {
            delete_policy_call(action).map(|call| vec![call.describe()])
        }
        (kind, _) => Err(format!("{kind} is not done through the Kubernetes API")),
    };
    match calls {
        Ok(calls) => json!({"kubernetes_api": calls}),
        Err(problem) => json!({"kubernetes_api": [], "problem": problem}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_reject_paths_and_queries() {
        for good in ["risk-10-aws-bedrock-java", "web-7d9fbb6c5d-x0001", "a.b"] {
            assert!(is_object_name(good), "{good}");
        }
        for bad in ["", "../secrets", "pod?watch=1", "Pod", "-a", "a/b", "a b", &"a".repeat(254)] {
            assert!(!is_object_name(bad), "{bad}");
        }
    }

    #[test]
    fn plain_http_to_another_machine_is_refused() {
        let settings = |server: &str| KubernetesSettings {
            clusters: vec!["*".into()],
            api_server: Some(server.into()),
            in_cluster: false,
            token_file: None,
            token_env: None,
            ca_file: None,
            insecure_skip_tls_verify: false,
            timeout_seconds: None,
        };
        let error = KubernetesExecutor::new(&settings("http://10.0.0.1:6443")).expect_err("clear text");
        assert!(error.contains("in clear"), "{error}");
        assert!(KubernetesExecutor::new(&settings("http://127.0.0.1:8001")).is_ok());
        assert!(KubernetesExecutor::new(&settings("https://10.0.0.1:6443")).is_ok());
    }
}
