//! Two real `saker serve` processes (the built binary) on loopback ports sharing one PostgreSQL
//! database (a throwaway server, `postgres_server`), with API tokens: the demo alerts ingested
//! through both at once in overlapping bodies (nothing lost, no duplicate, counts exact), a
//! conversation begun on
//! one replica is continued on the other with the first turn's focus, a response action
//! proposed on one is approved on the other, a second approval of the same version is refused,
//! approvals racing on both replicas let exactly one win, and `/readyz` says ready on both, then
//! not ready (database unreachable) once the database is gone, while `/healthz` stays up.

use std::io::BufRead as _;
use std::process::{Child, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::postgres_server::postgres_server;
use super::support::{done_answer, saker, upstream_rules};

const ANALYST: &str = "analyst-token-for-the-replica-test";
const RESPONDER: &str = "responder-token-for-the-replica-test";
const CLUSTER: &str = "risks-aws-eks-workloads-shield";
const NAMESPACE: &str = "risk-10-aws-bedrock-java";

/// One `saker serve` child process; killed when dropped.
struct Replica {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tokens() -> String {
    let hash = |token: &str| saker::auth::hash_token(token).trim_start_matches("sha256:").to_string();
    format!("alan:analyst:{},rita:responder:{}", hash(ANALYST), hash(RESPONDER))
}

impl Replica {
    /// Starts a replica on the database at `url` (an empty data directory: everything is in
    /// the database) and waits for its `listening on` line.
    fn start(url: &str) -> Replica {
        let data = tempfile::tempdir().expect("tempdir");
        std::fs::write(data.path().join("saker.yaml"), "store:\n  backend: postgres\n  url_env: SAKER_DATABASE_URL\n")
            .expect("config");
        let mut command = saker(data.path());
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("SAKER_DATABASE_URL", url)
            .env("SAKER_API_TOKENS", tokens())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for rules in upstream_rules() {
            command.arg("--rules").arg(rules);
        }
        let mut child = command.spawn().expect("saker serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("listening on ") {
                    let _ = sender.send(address.to_string());
                }
            }
        });
        let base = receiver
            .recv_timeout(std::time::Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the replica did not start listening: {:?}", child.try_wait()));
        Replica { child, base, _data: data }
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response =
            reqwest::Client::new().get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("GET");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ingest(&self, lines: &[&str]) -> (u64, u64) {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/events", self.base))
            .bearer_auth(ANALYST)
            .header("content-type", "application/x-ndjson")
            .body(lines.join("\n"))
            .send()
            .await
            .expect("POST /v1/events");
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["rejected"], 0, "{body}");
        (body["accepted"].as_u64().expect("accepted"), body["duplicates"].as_u64().expect("duplicates"))
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// One chat turn; returns the `done` event's answer.
    async fn chat(&self, request: Value) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/chat", self.base))
            .bearer_auth(ANALYST)
            .json(&request)
            .send()
            .await
            .expect("chat");
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.expect("stream");
        done_answer(&text, "the chat turn")
    }
}

/// Sends `lines` to `replica` in bodies of 50; returns (accepted, duplicates) in all.
async fn ingest_in_bodies(replica: &Replica, lines: &[&str]) -> (u64, u64) {
    let mut counts = (0, 0);
    for body in lines.chunks(50) {
        let (accepted, duplicates) = replica.ingest(body).await;
        counts = (counts.0 + accepted, counts.1 + duplicates);
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_conversations_and_the_action_ledger() {
    let url = postgres_server().fresh_database();
    // Started together: both migrate the fresh database, under PostgreSQL's advisory lock.
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| Replica::start(&url));
        let second = scope.spawn(|| Replica::start(&url));
        (first.join().expect("first replica"), second.join().expect("second replica"))
    });

    for replica in [&first, &second] {
        let (status, ready) = replica.get("/readyz", ANALYST).await;
        assert_eq!((status, ready["ready"].clone()), (StatusCode::OK, json!(true)), "{ready}");
        let (status, health) = replica.get("/healthz", ANALYST).await;
        assert_eq!((status, health["alerts"].clone()), (StatusCode::OK, json!(0)), "{health}");
    }

    // The demo alerts through both replicas at once, in overlapping bodies: each replica sends
    // its half plus a third of the other's, in bodies of 50 lines, concurrently.
    let lines: Vec<&str> = saker_fixtures::scenario_files()
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter(|line| !line.trim().is_empty())
        .collect();
    let total = lines.len();
    assert!(total > 500, "{total}");
    let (half, third) = (total / 2, total / 3);
    let for_first: Vec<&str> = lines[..half + third].to_vec();
    let for_second: Vec<&str> = lines[half - third..].to_vec();
    let sent = (for_first.len() + for_second.len()) as u64;
    let (a, b) = tokio::join!(ingest_in_bodies(&first, &for_first), ingest_in_bodies(&second, &for_second));
    assert_eq!(a.0 + b.0, total as u64, "every alert accepted exactly once across the replicas ({a:?} {b:?})");
    assert_eq!(a.1 + b.1, sent - total as u64, "every overlap counted as a duplicate");
    for replica in [&first, &second] {
        let (_, health) = replica.get("/healthz", ANALYST).await;
        assert_eq!(health["alerts"], json!(total), "both replicas see every alert once: {health}");
    }
    let again = first.ingest(&lines[..10]).await;
    assert_eq!(again, (0, 10), "re-ingesting is a no-op");

    // A conversation begun on one replica continues on the other, with its focus.
    let now = saker_fixtures::DEMO_NOW;
    let opening = first
        .chat(json!({
            "message": format!("Which workloads were impacted in namespace {NAMESPACE}?"),
            "scope": format!("kubernetes.cluster.name={CLUSTER}"),
            "now": now,
        }))
        .await;
    let session = opening["session_id"].as_str().expect("session id").to_string();
    assert_eq!(opening["turn"], 1);
    let follow_up =
        second.chat(json!({"message": "What is the root cause there?", "session_id": session, "now": now})).await;
    assert_eq!(follow_up["turn"], 2, "{follow_up}");
    assert_eq!(follow_up["scope"], opening["scope"], "the session's scope carries over");
    let arguments: Vec<String> =
        follow_up["steps"].as_array().expect("steps").iter().map(|step| step["arguments"].to_string()).collect();
    assert!(arguments.iter().any(|text| text.contains(NAMESPACE)), "the first turn's focus is used: {arguments:?}");
    let (status, stored) = first.get(&format!("/v1/sessions/{session}"), ANALYST).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["turns"].as_array().map(Vec::len), Some(2), "both turns, read through the first replica");

    // A proposal made on one replica is approved on the other; a second approval is refused.
    let (status, proposed) = first
        .post(
            "/v1/actions",
            ANALYST,
            json!({"scope": format!("k8s.ns.name={NAMESPACE}"), "kinds": ["delete_pod"], "now": now}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proposed}");
    let actions = proposed["actions"].as_array().expect("actions").clone();
    assert!(actions.len() >= 2, "two pods, two proposals: {proposed}");
    let (id, digest) =
        (actions[0]["id"].as_str().expect("id"), actions[0]["proposal"]["digest"].as_str().expect("digest"));
    let (status, listed) = second.get(&format!("/v1/actions/{id}"), ANALYST).await;
    assert_eq!(status, StatusCode::OK, "the other replica sees the proposal: {listed}");
    let approve = format!("/v1/actions/{id}/approve");
    let (status, approved) = second.post(&approve, RESPONDER, json!({"digest": digest})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "succeeded", "the dry run ran: {approved}");
    let (status, again) = first.post(&approve, RESPONDER, json!({"digest": digest})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a second approval of the same version is refused: {again}");

    // Approvals racing on both replicas at once: exactly one wins.
    let (id, digest) =
        (actions[1]["id"].as_str().expect("id"), actions[1]["proposal"]["digest"].as_str().expect("digest"));
    let approve = format!("/v1/actions/{id}/approve");
    let ((status_a, _), (status_b, _)) = tokio::join!(
        first.post(&approve, RESPONDER, json!({"digest": digest})),
        second.post(&approve, RESPONDER, json!({"digest": digest}))
    );
    let mut statuses = [status_a, status_b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "exactly one racing approval wins");
    let (_, action) = first.get(&format!("/v1/actions/{id}"), ANALYST).await;
    let approvals =
        action["history"].as_array().expect("history").iter().filter(|event| event["event"] == "approved").count();
    assert_eq!(approvals, 1, "{action}");

    // The database goes away: both replicas say they are not ready, and why; they stay alive.
    let name = url.rsplit('/').next().expect("database name");
    let admin = format!("{}/postgres", postgres_server().base_url());
    let dropped = std::process::Command::new("psql")
        .args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", &format!("DROP DATABASE {name} WITH (FORCE)")])
        .output()
        .expect("psql");
    assert!(dropped.status.success(), "{}", String::from_utf8_lossy(&dropped.stderr));
    let address = postgres_server().base_url().rsplit('@').next().expect("host:port").to_string();
    for replica in [&first, &second] {
        let (status, ready) = replica.get("/readyz", ANALYST).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
        assert_eq!(ready["ready"], false);
        let reason = ready["reason"].as_str().unwrap_or_default();
        assert!(reason.starts_with("database unreachable") && reason.contains(&address), "{reason}");
        let (status, _) = replica.get("/healthz", ANALYST).await;
        assert_eq!(status, StatusCode::OK, "liveness does not depend on the database");
    }
}

#[test]
fn saker_migrate_runs_every_postgresql_migration_once_and_says_the_embedded_backend_needs_none() {
    let data = tempfile::tempdir().expect("tempdir");
    let embedded = super::support::run(saker(data.path()).arg("migrate"));
    assert!(embedded.status.success());
    assert!(super::support::stdout(&embedded).contains("embedded backend needs no migration"));

    std::fs::write(data.path().join("saker.yaml"), "store:\n  backend: postgres\n").expect("config");
    let unset = super::support::run(saker(data.path()).arg("migrate").env_remove("SAKER_DATABASE_URL"));
    assert!(!unset.status.success());
    let message = super::support::stderr(&unset);
    assert!(message.contains("SAKER_DATABASE_URL") && message.contains("store.url_env"), "{message}");

    let url = postgres_server().fresh_database();
    for _twice in 0..2 {
        let migrated = super::support::run(saker(data.path()).arg("migrate").env("SAKER_DATABASE_URL", &url));
        assert!(migrated.status.success(), "{}", super::support::stderr(&migrated));
        assert!(super::support::stdout(&migrated).contains("migrated the PostgreSQL database"));
    }
    let versions = std::process::Command::new("psql")
        .args([
            url.as_str(),
            "-tA",
            "-c",
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM _sqlx_migrations",
        ])
        .output()
        .expect("psql");
    let versions = String::from_utf8_lossy(&versions.stdout).trim().to_string();
    assert!(versions.contains("100,101") && versions.ends_with("200"), "{versions}");
}
