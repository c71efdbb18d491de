//! The HTTP API over loopback: a real server on 127.0.0.1 port 0 over a real index and session
//! database, spoken to with a real HTTP client. Ingest (every body shape Falco and
//! falcosidekick send), chat over Server-Sent Events, sessions, tools, the event feed, health
//! and the error answers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use saker::conversation::{Backend, SessionStore};
use saker::planner::Planner;
use saker::server::{AppParts, AppState, ServerLimits};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use super::support::{demo_index, demo_now, upstream_rules};

const SEED_SCOPE: &str = "kubernetes.cluster.name=risks-aws-eks-workloads-shield";

/// A server on a loopback port; stops when dropped.
pub struct TestServer {
    base: String,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dirs: Vec<tempfile::TempDir>,
}

impl TestServer {
    /// A server over the index in `index_dir`, with a fresh session database.
    pub async fn start(index_dir: &Path, limits: ServerLimits, mut dirs: Vec<tempfile::TempDir>) -> TestServer {
        let sessions_dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(TantivyStore::open(index_dir).expect("open index"));
        let rules = Arc::new(RulesCatalog::load(&upstream_rules()).expect("rules"));
        let sessions = SessionStore::open(sessions_dir.path()).await.expect("sessions");
        let state = AppState::new(AppParts {
            store: store.into(),
            rules,
            sessions,
            backend: Backend::Planner(Planner::new()),
            ingest_log: None,
            limits,
        })
        .expect("state");
        let (address, stop) = super::support::serve_on_loopback(state).await;
        dirs.push(sessions_dir);
        TestServer { base: format!("http://{address}"), client: reqwest::Client::new(), _stop: stop, _dirs: dirs }
    }

    /// Over the shared demo index.
    pub async fn demo() -> TestServer {
        TestServer::start(&demo_index().join("index"), ServerLimits::default(), Vec::new()).await
    }

    /// Over a fresh, empty data directory.
    pub async fn empty(limits: ServerLimits) -> TestServer {
        let data = tempfile::tempdir().expect("tempdir");
        let index = data.path().join("index");
        TestServer::start(&index, limits, vec![data]).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(self.url(path)).send().await.expect("GET");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        self.post_as(path, "application/json", body).await
    }

    pub async fn post_as(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    /// Posts a chat request and reads the whole event stream.
    pub async fn chat(&self, request: Value) -> Vec<SseEvent> {
        let response = self.client.post(self.url("/v1/chat")).json(&request).send().await.expect("POST /v1/chat");
        assert_eq!(response.status(), StatusCode::OK, "chat answered {}", response.status());
        let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok());
        assert_eq!(content_type, Some("text/event-stream"));
        parse_sse(&response.text().await.expect("stream"))
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub data: Value,
}

/// Parses an event stream: blocks separated by a blank line, `event:` and `data:` fields
/// (several `data:` lines join with newlines), `:` comments ignored.
pub fn parse_sse(text: &str) -> Vec<SseEvent> {
    let mut events = Vec::new();
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let mut event = String::from("message");
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event = value.to_string(),
                "data" => data.push(value),
                _ => {}
            }
        }
        if data.is_empty() {
            continue;
        }
        let data = serde_json::from_str(&data.join("\n")).expect("event data is JSON");
        events.push(SseEvent { event, data });
    }
    events
}

pub fn alert(rule: &str, second: u32, fields: Value) -> Value {
    json!({
        "time": format!("2026-11-20T10:00:{second:02}.000000000Z"),
        "rule": rule,
        "priority": "Warning",
        "source": "syscall",
        "tags": ["container", "T1059"],
        "hostname": "node-1",
        "output": format!("{rule} (proc.name=sh second={second})"),
        "output_fields": fields,
    })
}

fn error_code(body: &Value) -> &str {
    body.pointer("/error/code").and_then(Value::as_str).unwrap_or("")
}

fn error_message(body: &Value) -> &str {
    body.pointer("/error/message").and_then(Value::as_str).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_tools_and_unknown_routes() {
    let server = TestServer::demo().await;
    let (status, health) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], "planner");
    assert!(health["alerts"].as_u64().unwrap_or(0) > 500, "{health}");

    let (status, tools) = server.get("/v1/tools").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> =
        tools["tools"].as_array().expect("tools").iter().filter_map(|tool| tool["name"].as_str()).collect();
    for expected in ["event_stats", "search_events", "root_cause", "attack_path", "suggest_remediation"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    assert!(tools["tools"][0]["parameters"].is_object());

    let path = format!("/v1/tools/event_stats?now={}", saker_fixtures::DEMO_NOW);
    let (status, output) = server.post(&path, json!({ "scope": SEED_SCOPE, "last": "30d" }).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{output}");
    let count = output.pointer("/evidence/count").and_then(Value::as_u64).expect("evidence count");
    assert!(count > 0);
    assert!(output.pointer("/evidence/link").and_then(Value::as_str).is_some_and(|link| link.starts_with("/events?")));

    let (status, body) = server.post("/v1/tools/event_stats", json!({ "limit": "many" }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_arguments");
    assert!(error_message(&body).contains("limit"), "{body}");

    let (status, body) = server.post("/v1/tools/event_stats", json!({ "scope": "k8s.ns.name in (" }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "invalid_scope");

    let (status, body) = server.post("/v1/tools/event_stats?now=yesterday", "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("now"), "{body}");

    let (status, body) = server.post("/v1/tools/guess_everything", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "unknown_tool");
    assert!(error_message(&body).contains("event_stats"), "lists the available tools: {body}");

    let (status, body) = server.get("/v2/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "no_route");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_accepts_every_body_shape_and_a_question_sees_the_alerts() {
    let server = TestServer::empty(ServerLimits::default()).await;

    // One object, as Falco's http_output posts it.
    let single = alert("Terminal shell in container", 1, json!({ "proc.name": "sh", "k8s.ns.name": "shop" }));
    let (status, body) = server.post("/v1/events?cluster=prod-eu", single.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "accepted": 1, "duplicates": 0, "rejected": 0, "rejections": [] }));

    // The same again: a duplicate, still 200.
    let (status, body) = server.post("/v1/events?cluster=prod-eu", single.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((body["accepted"].as_u64(), body["duplicates"].as_u64()), (Some(0), Some(1)));

    // A JSON array.
    let array = json!([
        alert("Read sensitive file untrusted", 2, json!({ "proc.name": "cat", "k8s.ns.name": "shop" })),
        alert("Read sensitive file untrusted", 3, json!({ "proc.name": "cat", "k8s.ns.name": "shop" })),
        alert("Drop and execute new binary in container", 4, json!({ "proc.name": "xmrig", "k8s.ns.name": "shop" })),
    ]);
    let (status, body) = server.post("/v1/events?cluster=prod-eu", array.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 3);

    // JSON Lines with a bad line: the valid lines are kept, the bad one named by its line.
    let lines = format!(
        "{}\n{{\"rule\": \"no time\", \"priority\": \"Warning\"}}\n\n{}\n",
        alert("Clear Log Activities", 5, json!({ "proc.name": "shred", "k8s.ns.name": "shop" })),
        alert("Clear Log Activities", 6, json!({ "proc.name": "shred", "k8s.ns.name": "shop" })),
    );
    let (status, body) = server.post("/v1/events?cluster=prod-eu", lines).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["accepted"].as_u64(), body["rejected"].as_u64()), (Some(2), Some(1)));
    assert_eq!(body["rejections"][0]["line"], 2);
    assert!(body["rejections"][0]["reason"].as_str().unwrap_or("").contains("time"), "{body}");

    // The alerts are committed and searchable: the feed shows them under the cluster given.
    let (status, feed) = server.get("/v1/events?scope=kubernetes.cluster.name%3Dprod-eu").await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert_eq!(feed["total"], 6);
    assert_eq!(feed["alerts"][0]["rule"], "Clear Log Activities", "newest first");

    // A question confined to the cluster counts them.
    let events = server
        .chat(json!({ "message": "How many alerts are there?", "scope": "kubernetes.cluster.name=prod-eu",
                      "now": "2026-11-20T12:00:00Z" }))
        .await;
    let done = events.iter().find(|event| event.event == "done").expect("done event");
    let counts: Vec<u64> = done.data["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step["output"].pointer("/evidence/count").and_then(Value::as_u64))
        .collect();
    assert!(counts.contains(&6), "a step counts the 6 new alerts: {counts:?}");
    let (_, health) = server.get("/healthz").await;
    assert_eq!(health["alerts"], 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn falcosidekick_payloads_keep_their_uuid_and_custom_fields() {
    let server = TestServer::empty(ServerLimits::default()).await;
    // falcosidekick's webhook posts its FalcoPayload: Falco's fields plus `uuid`, with its
    // `customfields` merged into output_fields (and here a field Saker does not know).
    let payload = json!({
        "uuid": "5a3a1f7e-2b47-4c8e-9a4e-0d1c2b3a4f5e",
        "output": "16:31:56.746609046: Warning Sensitive file opened for reading by non-trusted program (user=root file=/etc/shadow)",
        "priority": "Warning",
        "rule": "Read sensitive file untrusted",
        "time": "2026-11-20T09:31:56.746609046Z",
        "source": "syscall",
        "tags": ["filesystem", "mitre_credential_access", "T1555"],
        "hostname": "ip-10-0-1-12",
        "output_fields": {
            "evt.time": 1_795_167_116_746_609_046_u64,
            "fd.name": "/etc/shadow",
            "proc.name": "cat",
            "user.name": "root",
            "k8s.ns.name": "payments",
            "k8s.pod.name": "api-6d8f7c9b5d-x2x7q",
            "environment": "production",
            "team": "payments"
        },
        "output_fields_extra": null
    });
    let (status, body) = server.post("/v1/events?cluster=eks-prod", payload.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 1);

    let (_, feed) = server.get("/v1/events?scope=environment%3Dproduction%20and%20k8s.ns.name%3Dpayments").await;
    assert_eq!(feed["total"], 1, "{feed}");
    let stored = &feed["alerts"][0];
    assert_eq!(stored["id"], "5a3a1f7e-2b47-4c8e-9a4e-0d1c2b3a4f5e", "falcosidekick's uuid is the id");
    assert_eq!(stored["output_fields"]["team"], "payments");
    assert_eq!(stored["dimensions"]["cluster"], "eks-prod");

    // A resend of the same uuid is a duplicate.
    let (status, body) = server.post("/v1/events", payload.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicates"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ingest_bodies_are_400_and_oversized_ones_413() {
    let server = TestServer::empty(ServerLimits { max_body_bytes: 4096, ..ServerLimits::default() }).await;

    let (status, body) = server.post("/v1/events", "this is not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_json");
    assert!(error_message(&body).contains("line 1 column"), "{body}");

    let (status, body) = server.post("/v1/events", "  \n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "empty_body");

    // Every item rejected: 400, still listing each with its place.
    let (status, body) = server.post("/v1/events", json!([{ "rule": "r" }, 7]).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "all_rejected");
    assert_eq!(body["rejected"], 2);
    assert_eq!(body["rejections"][0]["index"], 0);
    assert_eq!(body["rejections"][1]["index"], 1);

    let (status, body) = server.post("/v1/events?clustr=x", alert("r", 1, json!({})).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("clustr"), "{body}");

    let big: Vec<Value> =
        (0..100).map(|second| alert("Terminal shell in container", second % 60, json!({ "n": second }))).collect();
    let (status, body) = server.post("/v1/events", Value::Array(big).to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&body), "body_too_large");
    assert!(error_message(&body).contains("4096 bytes"), "{body}");
    let (_, health) = server.get("/healthz").await;
    assert_eq!(health["alerts"], 0, "nothing from refused bodies was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streams_steps_then_deltas_then_the_answer() {
    let server = TestServer::demo().await;
    let events = server
        .chat(json!({ "message": "Summarize the events in this cluster.", "scope": SEED_SCOPE,
                      "now": demo_now().to_rfc3339() }))
        .await;
    let kinds: Vec<&str> = events.iter().map(|event| event.event.as_str()).collect();
    let first_delta = kinds.iter().position(|kind| *kind == "delta").expect("a delta");
    let first_step = kinds.iter().position(|kind| *kind == "step").expect("a step");
    assert!(first_step < first_delta, "steps come before deltas: {kinds:?}");
    assert_eq!(kinds.last(), Some(&"done"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|kind| **kind == "done").count(), 1);
    assert!(!kinds.contains(&"error"), "{kinds:?}");

    let step = &events[first_step].data;
    assert_eq!(step["phase"], "started");
    assert!(step["tool"].is_string() && step["arguments"].is_object(), "{step}");
    let finished = events.iter().find(|event| event.event == "step" && event.data["phase"] == "finished");
    assert!(finished.is_some_and(|event| event.data["summary"].is_string()), "a finished step has a summary");

    let text: String = events
        .iter()
        .filter(|event| event.event == "delta")
        .map(|event| event.data["text"].as_str().expect("delta text"))
        .collect();
    let done = &events.last().expect("done").data;
    assert_eq!(done["answer"].as_str(), Some(text.as_str()), "deltas concatenate to the answer");
    for field in ["session_id", "language", "answer", "steps", "links", "grounded", "backend"] {
        assert!(done.get(field).is_some(), "done lacks {field}: {done}");
    }
    assert_eq!(done["language"], "en");
    assert_eq!(done["backend"], "planner");
    assert_eq!(done["scope"], SEED_SCOPE);
    assert_eq!(done["turn"], 1);
    let steps = done["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    assert!(steps.iter().all(|step| step["tool"].is_string() && step["arguments"].is_object()));
    assert!(steps.iter().all(|step| step["output"].is_object()));

    // A second turn on the same session.
    let session_id = done["session_id"].as_str().expect("session id").to_string();
    let events = server
        .chat(json!({ "session_id": session_id, "message": "How many workloads were impacted?",
                      "now": demo_now().to_rfc3339() }))
        .await;
    let second = &events.last().expect("done").data;
    assert_eq!(second["turn"], 2);
    assert_eq!(second["session_id"].as_str(), Some(session_id.as_str()));
    assert_eq!(second["scope"], SEED_SCOPE, "the session's scope carries over");

    let (status, session) = server.get(&format!("/v1/sessions/{session_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["turns"].as_array().map(Vec::len), Some(2));
    assert_eq!(session["turns"][0]["question"], "Summarize the events in this cluster.");
    let (status, recent) = server.get("/v1/sessions?limit=5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(recent["sessions"][0].as_str(), Some(session_id.as_str()));

    // Japanese questions are answered in Japanese.
    let events = server
        .chat(json!({ "message": "このクラスタのイベントを要約してください。", "scope": SEED_SCOPE,
                      "now": demo_now().to_rfc3339() }))
        .await;
    assert_eq!(events.last().expect("done").data["language"], "ja");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_requests_are_validated_before_streaming() {
    let server = TestServer::demo().await;
    let (status, body) =
        server.post("/v1/chat", json!({ "message": "hi", "scope": "k8s.ns.name in (a" }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_scope");
    assert!(error_message(&body).contains("k8s.ns.name in (a"), "{body}");

    let (status, body) =
        server.post("/v1/chat", json!({ "session_id": "no-such-session", "message": "hi" }).to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "session_not_found");

    let (status, body) = server.post("/v1/chat", json!({ "message": "hi", "scop": "x" }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_request");
    assert!(error_message(&body).contains("scop"), "names the unknown field: {body}");

    let (status, body) = server.post("/v1/chat", json!({ "message": "   " }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_request");

    let (status, body) = server.post("/v1/chat", json!({ "message": "hi", "since": "last tuesday" }).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_time");

    let (status, body) = server.post("/v1/chat", "{\"message\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_json");

    let (status, body) = server.get("/v1/sessions/no-such-session").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "session_not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_whose_client_disconnects_is_still_recorded() {
    let server = TestServer::demo().await;
    let events = server
        .chat(json!({ "message": "Summarize the events in this cluster.", "scope": SEED_SCOPE,
                      "now": demo_now().to_rfc3339() }))
        .await;
    let session_id = events.last().expect("done").data["session_id"].as_str().expect("id").to_string();

    // The second turn's client reads the headers and goes away without reading the stream.
    let response = server
        .client
        .post(server.url("/v1/chat"))
        .json(&json!({ "session_id": session_id, "message": "List the attack path.", "now": demo_now().to_rfc3339() }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::OK);
    drop(response);

    let mut turns = 0;
    for _ in 0..200 {
        let (status, session) = server.get(&format!("/v1/sessions/{session_id}")).await;
        assert_eq!(status, StatusCode::OK);
        turns = session["turns"].as_array().map_or(0, Vec::len);
        if turns == 2 {
            assert_eq!(session["turns"][1]["question"], "List the attack path.");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(turns, 2, "the abandoned turn was recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_links_lead_to_the_alerts_behind_their_figures() {
    let server = TestServer::demo().await;
    let events = server
        .chat(json!({ "message": "Summarize the events in this cluster.", "scope": SEED_SCOPE,
                      "now": demo_now().to_rfc3339() }))
        .await;
    let done = &events.last().expect("done").data;
    let links = done["links"].as_array().expect("links");
    assert!(!links.is_empty(), "{done}");
    let mut checked = 0;
    for link in links {
        let href = link["href"].as_str().expect("href");
        assert!(href.starts_with("/events?"), "{href}");
        let evidence = done["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find_map(|step| step["output"].get("evidence").filter(|evidence| evidence["link"] == href))
            .expect("a step's evidence has this link");
        let (status, page) = server.get(href).await;
        assert_eq!(status, StatusCode::OK, "{href}: {page}");
        assert_eq!(page["total"], evidence["count"], "{href}");
        let (_, same) = server.get(&format!("/v1{href}")).await;
        assert_eq!(same["total"], page["total"], "/events and /v1/events agree");
        let sample = evidence["sample_ids"].as_array().expect("sample ids");
        let listed: Vec<&Value> = page["alerts"].as_array().expect("alerts").iter().map(|alert| &alert["id"]).collect();
        assert!(sample.iter().all(|id| listed.contains(&id)), "the sampled alerts are on the first page");
        checked += 1;
    }
    assert!(checked > 0);

    let (status, page) = server.get("/v1/events?scope=k8s.ns.name%3Drisk-10-aws-bedrock-java&limit=2&offset=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["more"].as_u64(), page["total"].as_u64().map(|total| total - 3));
    let (status, body) = server.get("/v1/events?limit=100000").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_message(&body).contains("limit"), "{body}");
    let (status, body) = server.get("/v1/events?scope=a%20in%20(").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_scope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_validate_answers_a_report_for_yaml_and_structured_bodies() {
    let server = TestServer::empty(ServerLimits::default()).await;
    let snippet = "- rule: Clear Log Activities\n  exceptions:\n    - name: httpd_rm_dpkg_log\n      fields: [container.image.repository, proc.name, fd.name]\n      comps: [=, =, =]\n      values:\n        - [httpd, rm, /var/log/dpkg.log]\n  override:\n    exceptions: append\n";
    let (status, report) = server.post_as("/v1/exceptions/validate", "application/yaml", snippet).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["rules_checked"], json!(["Clear Log Activities"]));

    let broken = snippet.replace("[=, =, =]", "[=, =]").replace("Clear Log Activities", "Clear Log Activity");
    let (status, report) =
        server.post_as("/v1/exceptions/validate?falco_version=0.43.0", "application/yaml", broken).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["valid"], false);
    assert_eq!(report["falco_version"], "0.43.0");
    let problems = report["problems"].as_array().expect("problems");
    assert!(
        problems.iter().any(|problem| problem["line"] == 1
            && problem["allowed"].as_str().is_some_and(|allowed| allowed.contains("Clear Log Activities"))),
        "{report}"
    );
    assert!(
        problems.iter().any(|problem| problem["line"] == 5
            && problem["message"]
                .as_str()
                .is_some_and(|message| message.contains("fields and comps lists must have equal length"))),
        "{report}"
    );

    let structured = json!({"exception": {
        "rule": "Clear Log Activities",
        "exceptions": [{"name": "pids", "fields": ["proc.pid"], "comps": ["startswith"], "values": [["1"]]}],
        "override": {"exceptions": "append"}
    }});
    let response = server
        .client
        .post(server.url("/v1/exceptions/validate"))
        .header("content-type", "application/json")
        .body(structured.to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.expect("report");
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["path"], "/exceptions/0/comps/0");
    assert!(report["problems"][0].get("line").is_none(), "{report}");

    let (status, report) = server.post("/v1/exceptions/validate", json!({"yaml": snippet}).to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["valid"], true, "{report}");

    let (status, body) =
        server.post("/v1/exceptions/validate", json!({"yaml": snippet, "exception": {}}).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_request");
    assert!(error_message(&body).contains("exactly one of"), "{body}");
    let (status, body) =
        server.post_as("/v1/exceptions/validate?falco_version=latest", "application/yaml", snippet).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_falco_version");
    let (status, body) = server.post_as("/v1/exceptions/validate", "application/yaml", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ingest_requests_get_their_own_counts_and_are_all_committed() {
    let server = Arc::new(TestServer::empty(ServerLimits::default()).await);
    // Eight senders at once (the worker commits the requests that wait together once), each
    // with 50 alerts of its own and one alert every sender posts.
    let shared = alert("Clear Log Activities", 7, json!({ "proc.name": "shred", "k8s.ns.name": "shop" }));
    let body = |sender: usize| -> String {
        let mut lines: String = (0..50u32)
            .map(|n| {
                let mut line = alert("Terminal shell in container", n % 60, json!({ "proc.name": "sh" }));
                line["uuid"] = json!(format!("sender-{sender}-{n}"));
                format!("{line}\n")
            })
            .collect();
        lines.push_str(&format!("{shared}\n"));
        lines
    };
    let senders: Vec<_> = (0..8)
        .map(|sender| {
            let (server, body) = (Arc::clone(&server), body(sender));
            tokio::spawn(
                async move { server.post_as("/v1/events?cluster=prod-eu", "application/x-ndjson", body).await },
            )
        })
        .collect();
    let bad = {
        let server = Arc::clone(&server);
        tokio::spawn(async move { server.post("/v1/events?cluster=prod-eu", "{not json").await })
    };
    let other = {
        let server = Arc::clone(&server);
        let mut line = alert("Terminal shell in container", 9, json!({ "proc.name": "bash" }));
        line["uuid"] = json!("other-cluster-1");
        tokio::spawn(async move { server.post("/v1/events?cluster=prod-us", line.to_string()).await })
    };
    let (mut accepted, mut duplicates) = (0, 0);
    for sender in senders {
        let (status, body) = sender.await.expect("sender task");
        assert_eq!(status, StatusCode::OK, "{body}");
        let (sent_accepted, sent_duplicates) =
            (body["accepted"].as_u64().unwrap_or(0), body["duplicates"].as_u64().unwrap_or(0));
        assert_eq!(sent_accepted + sent_duplicates, 51, "{body}");
        assert!(sent_accepted >= 50, "a sender's own alerts are new: {body}");
        accepted += sent_accepted;
        duplicates += sent_duplicates;
    }
    assert_eq!((accepted, duplicates), (8 * 50 + 1, 7), "the shared alert is stored once");
    let (status, body) = bad.await.expect("bad task");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = other.await.expect("other task");
    assert_eq!((status, body["accepted"].as_u64()), (StatusCode::OK, Some(1)), "{body}");

    // Every acknowledged alert is committed and visible, under the cluster its request named.
    let (_, feed) = server.get("/v1/events?scope=kubernetes.cluster.name%3Dprod-eu&limit=1").await;
    assert_eq!(feed["total"], 8 * 50 + 1, "{feed}");
    let (_, feed) = server.get("/v1/events?scope=kubernetes.cluster.name%3Dprod-us&limit=1").await;
    assert_eq!(feed["total"], 1, "{feed}");
}
