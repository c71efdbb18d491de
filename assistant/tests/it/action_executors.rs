//! The executors with real effects: the host executor kills a child process this test started
//! and quarantines and restores a real file; the webhook and Kubernetes executors talk to
//! loopback servers that check paths, verbs, headers and bodies (the Kubernetes ones as the API
//! defines them), and their answers are recorded in the action's history.

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use hmac::{KeyInit as _, Mac as _};
use saker::actions::ActionService;
use saker::actions::settings::{ActionSettings, ExecutorSettings, HostSettings, KubernetesSettings, WebhookSettings};
use saker::auth::{Principal, Role};
use saker_tools::actions::{ActionLedger, ActionOrigin, ActionStatus, Proposal, StoredAction};
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::AlertStore;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::response_actions::{CLUSTER, NAMESPACE};
use super::support::{demo_index, demo_now};

/// Proposals of `propose_response_action` over `store`.
fn propose(store: &dyn AlertStore, arguments: Value) -> Vec<Proposal> {
    let rules = RulesCatalog::default();
    let context = ToolContext::new(store, &rules, demo_now());
    let output = ToolRegistry::standard().invoke("propose_response_action", arguments, &context).expect("tool");
    serde_json::from_value(output["proposals"].clone()).expect("proposals")
}

async fn service(data: &std::path::Path, executors: Vec<ExecutorSettings>) -> ActionService {
    let ledger = ActionLedger::open(data).await.expect("ledger");
    ActionService::new(ledger, &ActionSettings { executors, auto_approve: Vec::new() }, data).expect("service")
}

async fn approve(service: &ActionService, proposal: Proposal) -> StoredAction {
    let recorded = service
        .propose(vec![proposal], ActionOrigin::Api, &Principal::new("alan", Role::Analyst), None)
        .await
        .expect("proposed");
    let action = &recorded[0];
    service
        .approve(&action.id, &action.proposal.digest, &Principal::new("rita", Role::Responder))
        .await
        .expect("approved")
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname").trim().to_string()
}

/// A store with one alert about a host process and the file it ran.
fn host_store(dir: &std::path::Path, pid: u32, process: &str, file: &std::path::Path) -> TantivyStore {
    let store = TantivyStore::open(&dir.join("index")).expect("index");
    let alert = json!({
        "time": "2026-11-20T11:00:00.000000000Z",
        "rule": "Drop and execute new binary in container",
        "priority": "Critical",
        "source": "syscall",
        "tags": ["mitre_execution"],
        "hostname": hostname(),
        "output": "Executing binary not part of base image",
        "output_fields": {
            "proc.pid": pid, "proc.name": process, "proc.exepath": file.display().to_string(),
            "proc.cmdline": format!("{process} 300"), "evt.type": "execve",
            "evt.arg.filename": file.display().to_string(),
        },
    });
    let parsed = saker_tools::alert::parse_alert(&alert.to_string(), None).expect("alert parses");
    let mut writer = store.writer().expect("writer");
    writer.add(&parsed, &alert.to_string()).expect("add");
    writer.commit().expect("commit");
    drop(writer);
    store
}

fn host_executor(quarantine: &std::path::Path) -> ExecutorSettings {
    ExecutorSettings::Host(HostSettings {
        clusters: vec!["*".into()],
        quarantine_dir: Some(quarantine.to_path_buf()),
        container_runtime: None,
        any_host: false,
        timeout_seconds: None,
    })
}

#[tokio::test]
async fn the_host_executor_kills_a_real_child_process_after_checking_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = std::process::Command::new("sleep").arg("300").spawn().expect("sleep starts");
    let store = host_store(dir.path(), child.id(), "sleep", std::path::Path::new("/usr/bin/sleep"));
    let service = service(dir.path(), vec![host_executor(&dir.path().join("quarantine"))]).await;
    let mut proposals = propose(&store, json!({"kinds": ["kill_process"], "process": "sleep"}));
    assert_eq!(proposals.len(), 1);
    let proposal = proposals.remove(0);
    assert_eq!(proposal.target.pid, Some(i64::from(child.id())));

    // Proposing did nothing: the child still runs.
    let recorded = service
        .propose(vec![proposal.clone()], ActionOrigin::Api, &Principal::new("alan", Role::Analyst), None)
        .await
        .expect("proposed");
    assert!(child.try_wait().expect("poll").is_none(), "a proposal never executes");

    let action = &recorded[0];
    let done = service
        .approve(&action.id, &action.proposal.digest, &Principal::new("rita", Role::Responder))
        .await
        .expect("approved");
    assert_eq!(done.status, ActionStatus::Succeeded, "{:#?}", done.history);
    let status = child.wait().expect("reaped");
    assert_eq!(status.signal(), Some(9), "the child was killed by SIGKILL");
    let result = &done.history.last().expect("result").detail;
    assert_eq!(result["result"]["checked"]["comm"], "sleep");

    // The same pid no longer runs `sleep`: approving again refuses to signal anything.
    let again = service.approve(&done.id, &done.proposal.digest, &Principal::new("rita", Role::Responder)).await;
    assert!(again.is_err(), "a succeeded action is not approved twice");
}

#[tokio::test]
async fn the_host_executor_quarantines_and_restores_a_real_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dropped = dir.path().join("dropped");
    std::fs::create_dir(&dropped).expect("dir");
    let file = dropped.join("kworkerd");
    let content = b"#!/bin/sh\necho mining\n".repeat(100);
    std::fs::write(&file, &content).expect("file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o750)).expect("mode");
    let expected_hash = saker_tools::actions::hex(&sha2::Sha256::digest(&content));
    let store = host_store(dir.path(), 4_000_000, "kworkerd", &file);
    let quarantine = dir.path().join("quarantine");
    let service = service(dir.path(), vec![host_executor(&quarantine)]).await;
    let mut proposals = propose(&store, json!({"kinds": ["quarantine_file"], "file": file.display().to_string()}));
    assert_eq!(proposals.len(), 1);
    let done = approve(&service, proposals.remove(0)).await;
    assert_eq!(done.status, ActionStatus::Succeeded, "{:#?}", done.history);
    assert!(!file.exists(), "the file left its path");
    let stored = quarantine.join(&done.id).join("file");
    assert_eq!(std::fs::read(&stored).expect("quarantined copy"), content);
    assert_eq!(std::fs::metadata(&stored).expect("metadata").permissions().mode() & 0o777, 0o400);
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(quarantine.join(&done.id).join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["sha256"], expected_hash);
    assert_eq!(manifest["original_path"], file.display().to_string());
    assert_eq!(manifest["mode"], 0o750);
    assert_eq!(manifest["size"], content.len());
    assert_eq!(done.history.last().expect("result").detail["result"]["manifest"]["sha256"], expected_hash);

    // A viewer cannot restore it; a responder can, and the file comes back as it was.
    let refused = service.revert(&done.id, &Principal::new("vera", Role::Viewer)).await;
    assert!(refused.is_err());
    let reverted = service.revert(&done.id, &Principal::new("rita", Role::Responder)).await.expect("reverted");
    assert_eq!(reverted.status, ActionStatus::Reverted, "{:#?}", reverted.history);
    assert_eq!(std::fs::read(&file).expect("restored"), content);
    assert_eq!(std::fs::metadata(&file).expect("metadata").permissions().mode() & 0o777, 0o750);
    assert!(!stored.exists(), "the quarantined copy is gone");
    let events: Vec<&str> = reverted.history.iter().map(|event| event.event.name()).collect();
    assert_eq!(events, ["proposed", "approved", "executing", "succeeded", "refused", "reverted"]);
}

/// One request as received: method, path and query, headers, JSON body.
type Received = (Method, String, HeaderMap, Value);
/// How a loopback server answers: from the method, path, body and the request's number.
type Answer = dyn Fn(&Method, &str, &Value, usize) -> (StatusCode, Value) + Send + Sync;

/// A loopback HTTP server that records every request and answers from a function.
#[derive(Clone)]
struct Recorder {
    requests: Arc<Mutex<Vec<Received>>>,
    answer: Arc<Answer>,
}

async fn record(
    State(recorder): State<Recorder>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::String(String::from_utf8_lossy(&body).into()));
    let path = uri.path_and_query().map(|path| path.to_string()).unwrap_or_default();
    let count = {
        let mut requests = recorder.requests.lock().expect("lock");
        requests.push((method.clone(), path.clone(), headers, body.clone()));
        requests.len()
    };
    let (status, reply) = (recorder.answer)(&method, &path, &body, count);
    (status, axum::Json(reply))
}

async fn loopback(
    answer: impl Fn(&Method, &str, &Value, usize) -> (StatusCode, Value) + Send + Sync + 'static,
) -> (String, Recorder) {
    let recorder = Recorder { requests: Arc::new(Mutex::new(Vec::new())), answer: Arc::new(answer) };
    let router = Router::new().fallback(record).with_state(recorder.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{address}"), recorder)
}

fn demo_store() -> TantivyStore {
    TantivyStore::open(&demo_index().join("index")).expect("demo index")
}

#[tokio::test]
async fn the_webhook_executor_posts_the_signed_documented_action_and_records_the_reply() {
    let (base, recorder) = loopback(|_, _, _, count| {
        if count == 1 {
            (StatusCode::INTERNAL_SERVER_ERROR, json!({"status": "failed", "message": "SOAR is down"}))
        } else {
            (StatusCode::ACCEPTED, json!({"status": "accepted", "message": "queued as SOAR-42"}))
        }
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let webhook = ExecutorSettings::Webhook(WebhookSettings {
        clusters: vec![CLUSTER.into()],
        url: format!("{base}/hooks/saker"),
        secret_env: None,
        secret: Some("whsec-test".into()),
        timeout_seconds: Some(10),
    });
    let service = service(dir.path(), vec![webhook]).await;
    let mut proposals = propose(
        &demo_store(),
        json!({"scope": format!("k8s.ns.name={NAMESPACE}"), "kinds": ["kill_process"], "process": "miner", "limit": 1}),
    );
    let first = approve(&service, proposals.remove(0)).await;
    assert_eq!(first.status, ActionStatus::Failed, "a 500 is a failure");
    assert!(first.history.last().expect("result").detail["message"].as_str().unwrap_or("").contains("SOAR is down"));
    // A failed action may be approved again: the retry reaches the endpoint and succeeds.
    let retried = service
        .approve(&first.id, &first.proposal.digest, &Principal::new("rita", Role::Responder))
        .await
        .expect("retried");
    assert_eq!(retried.status, ActionStatus::Succeeded);
    let result = &retried.history.last().expect("result").detail;
    assert_eq!(result["message"], "queued as SOAR-42");
    assert_eq!(result["result"]["status"], 202);
    assert_eq!(result["result"]["reply"]["status"], "accepted");

    let requests = recorder.requests.lock().expect("lock").clone();
    assert_eq!(requests.len(), 2);
    let (method, path, headers, body) = &requests[1];
    assert_eq!((method, path.as_str()), (&Method::POST, "/hooks/saker"));
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-saker-action-id"], retried.id.as_str());
    assert!(headers["idempotency-key"].to_str().unwrap_or("").starts_with(&format!("{}:execute:", retried.id)));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"whsec-test").expect("key");
    mac.update(body.to_string().as_bytes());
    let expected = format!("sha256={}", saker_tools::actions::hex(&mac.finalize().into_bytes()));
    assert_eq!(headers["x-saker-signature"], expected.as_str());
    assert_eq!(body["schema"], "saker.response_action.v1");
    assert_eq!(body["operation"], "execute");
    assert_eq!(body["action"]["id"], retried.id.as_str());
    assert_eq!(body["action"]["kind"], "kill_process");
    assert_eq!(body["action"]["target"]["process"], "easyminer");
    assert_eq!(body["action"]["target"]["pid"], retried.proposal.target.pid.expect("pid"));
    assert_eq!(body["action"]["digest"], retried.proposal.digest.as_str());
    assert_eq!(body["approval"]["by"], "rita");
    assert_eq!(body["approval"]["role"], "responder");
    assert_eq!(body["approval"]["digest"], retried.proposal.digest.as_str());
}

#[tokio::test]
async fn the_kubernetes_executor_isolates_reverts_and_deletes_as_the_api_defines() {
    let (base, recorder) = loopback(|method, path, body, _| match (method.as_str(), path) {
        ("GET", path) if path.starts_with("/apis/apps/v1/namespaces/") && path.contains("/deployments/") => (
            StatusCode::OK,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": NAMESPACE, "namespace": NAMESPACE},
                   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "bedrock-java"}}}}),
        ),
        ("POST", path) if path.ends_with("/networkpolicies") => (StatusCode::CREATED, body.clone()),
        ("DELETE", path) if path.contains("/networkpolicies/") || path.contains("/pods/") => (
            StatusCode::OK,
            json!({"apiVersion": "v1", "kind": "Status", "status": "Success"}),
        ),
        _ => (StatusCode::NOT_FOUND, json!({"kind": "Status", "status": "Failure", "message": "not found", "code": 404})),
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "k8s-test-token\n").expect("token");
    let kubernetes = ExecutorSettings::Kubernetes(KubernetesSettings {
        clusters: vec![CLUSTER.into()],
        api_server: Some(base),
        in_cluster: false,
        token_file: Some(token_file),
        token_env: None,
        ca_file: None,
        insecure_skip_tls_verify: false,
        timeout_seconds: Some(10),
    });
    let service = service(dir.path(), vec![kubernetes]).await;
    let scope = format!("kubernetes.cluster.name={CLUSTER} and k8s.ns.name={NAMESPACE}");
    let mut isolate = propose(&demo_store(), json!({"scope": scope, "kinds": ["isolate_workload"]}));
    let isolated = approve(&service, isolate.remove(0)).await;
    assert_eq!(isolated.status, ActionStatus::Succeeded, "{:#?}", isolated.history);
    let reverted = service.revert(&isolated.id, &Principal::new("rita", Role::Responder)).await.expect("revert");
    assert_eq!(reverted.status, ActionStatus::Reverted, "{:#?}", reverted.history);
    let mut delete = propose(&demo_store(), json!({"scope": scope, "kinds": ["delete_pod"], "limit": 1}));
    let pod = delete[0].target.pod.clone().expect("pod");
    let deleted = approve(&service, delete.remove(0)).await;
    assert_eq!(deleted.status, ActionStatus::Succeeded, "{:#?}", deleted.history);
    // A kill_process through the API is refused with the reason, and recorded as failed.
    let mut kill =
        propose(&demo_store(), json!({"scope": scope, "kinds": ["kill_process"], "process": "miner", "limit": 1}));
    let killed = approve(&service, kill.remove(0)).await;
    assert_eq!(killed.status, ActionStatus::Failed);

    let requests = recorder.requests.lock().expect("lock").clone();
    let calls: Vec<(String, String)> =
        requests.iter().map(|(method, path, _, _)| (method.to_string(), path.clone())).collect();
    let policy = "saker-isolate-risk-10-aws-bedrock-java";
    assert_eq!(
        calls,
        vec![
            ("GET".into(), format!("/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{NAMESPACE}")),
            ("POST".into(), format!("/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/networkpolicies")),
            ("DELETE".into(), format!("/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/networkpolicies/{policy}")),
            ("DELETE".into(), format!("/api/v1/namespaces/{NAMESPACE}/pods/{pod}")),
        ]
    );
    for (_, _, headers, _) in &requests {
        assert_eq!(headers["authorization"], "Bearer k8s-test-token");
    }
    let created = &requests[1].3;
    assert_eq!(created["apiVersion"], "networking.k8s.io/v1");
    assert_eq!(created["kind"], "NetworkPolicy");
    assert_eq!(created["metadata"]["name"], policy);
    assert_eq!(created["metadata"]["namespace"], NAMESPACE);
    assert_eq!(created["metadata"]["labels"]["app.kubernetes.io/managed-by"], "saker");
    assert_eq!(created["metadata"]["annotations"]["saker.io/action-id"], isolated.id.as_str());
    assert_eq!(created["spec"]["podSelector"], json!({"matchLabels": {"app": "bedrock-java"}}));
    assert_eq!(created["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert!(created["spec"].get("ingress").is_none() && created["spec"].get("egress").is_none(), "deny all: no rules");
    assert_eq!(requests[3].3, json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 30}));
}
