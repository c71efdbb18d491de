//! Regression tests of issue 14 (found by probing a release build over loopback): each test is
//! named after the defect it guards against and speaks to a real server over loopback HTTP.

use reqwest::StatusCode;
use saker::actions::settings::ActionSettings;
use saker::auth::TokenTable;
use saker::server::ServerLimits;
use serde_json::{Value, json};

use super::response_actions::{ANALYST, ActionsServer, CLUSTER, NAMESPACE, RESPONDER, VIEWER, token_table};
use super::server::{TestServer, alert};
use super::support::{run, saker, stderr, stdout};

const NOW: &str = "2026-11-20T12:00:00Z";

/// The tools that write (or propose writes): a viewer may call none of them, however the name
/// in the path is spelt.
const WRITE_TOOLS: [&str; 2] = ["propose_response_action", "generate_exception"];

/// Spellings of `name` in a path that the router decodes back to `name`.
fn encodings(name: &str) -> Vec<String> {
    let underscore_lower = name.replace('_', "%5f");
    let underscore_upper = name.replace('_', "%5F");
    let first = name.chars().next().map(|letter| format!("%{:02X}{}", letter as u32, &name[1..])).unwrap_or_default();
    let every: String = name.bytes().map(|byte| format!("%{byte:02X}")).collect();
    vec![name.to_string(), underscore_lower, underscore_upper, first, every]
}

#[tokio::test]
async fn role_bypass_through_a_percent_encoded_tool_name() {
    let server = ActionsServer::start(ActionSettings::default(), token_table()).await;
    for tool in WRITE_TOOLS {
        for spelling in encodings(tool) {
            let path = format!("/v1/tools/{spelling}?now=2026-11-20T12:00:00Z");
            let (status, body) = server.post(&path, VIEWER, json!({})).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "a viewer called {path}: {body}");
            assert_eq!(body["error"]["code"], "forbidden", "{body}");
        }
        // The analyst still reaches it, by any spelling.
        let path = format!("/v1/tools/{}?now=2026-11-20T12:00:00Z", encodings(tool)[2]);
        let (status, body) =
            server.post(&path, ANALYST, json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java"})).await;
        assert_ne!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_ne!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
}

/// A server without API tokens (the local admin) with the README's `auto_approve` example.
async fn tokenless_server_with_auto_approval() -> ActionsServer {
    let settings: ActionSettings = serde_saphyr::from_str(&format!(
        "auto_approve:\n  - {{name: miners, kinds: [kill_process], rules: [Detect crypto miners using the Stratum protocol], namespaces: [{NAMESPACE}]}}\n"
    ))
    .expect("settings");
    ActionsServer::start(settings, TokenTable::default()).await
}

/// Posts `body` as `content_type` with extra headers (what a browser on another site sends).
async fn post_raw(
    server: &ActionsServer,
    path: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (StatusCode, Value) {
    let mut request = server.client.post(format!("{}{path}", server.base)).header("content-type", content_type);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body).send().await.expect("POST");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn csrf_on_a_server_without_tokens() {
    let server = tokenless_server_with_auto_approval().await;
    let kill = json!({
        "message": "Kill the miner process in risk-10-aws-bedrock-java.",
        "scope": format!("kubernetes.cluster.name={CLUSTER}"),
        "now": NOW,
    })
    .to_string();
    let (_, health) = server.get("/healthz", "").await;
    let alerts_before = health["alerts"].clone();
    assert!(alerts_before.as_u64().is_some_and(|count| count > 0), "{health}");
    let foreign = [("origin", "http://evil.example")];
    let other_loopback_port = [("origin", "http://127.0.0.1:1")];
    let cross_site = [("sec-fetch-site", "cross-site")];
    let same_site = [("sec-fetch-site", "same-site")];
    // What a page elsewhere can send without asking the server first: text/plain, a form.
    for (content_type, headers, status, code) in [
        ("text/plain", &foreign[..], StatusCode::FORBIDDEN, "cross_site_request"),
        ("text/plain", &[][..], StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("application/x-www-form-urlencoded", &[][..], StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("application/json", &foreign[..], StatusCode::FORBIDDEN, "cross_site_request"),
        ("application/json", &other_loopback_port[..], StatusCode::FORBIDDEN, "cross_site_request"),
        ("application/json", &cross_site[..], StatusCode::FORBIDDEN, "cross_site_request"),
        ("application/json", &same_site[..], StatusCode::FORBIDDEN, "cross_site_request"),
    ] {
        for path in ["/v1/chat", "/v1/events", "/v1/tools/propose_response_action", "/v1/actions"] {
            let body = if path == "/v1/events" { alert_line() } else { kill.clone() };
            let (answered, body) = post_raw(&server, path, content_type, headers, body).await;
            assert_eq!(answered, status, "{path} as {content_type} with {headers:?}: {body}");
            assert_eq!(body["error"]["code"], code, "{path}: {body}");
        }
    }
    let (_, listed) = server.get("/v1/actions", "").await;
    assert_eq!(listed["actions"], json!([]), "nothing proposed, nothing approved");
    let (_, health) = server.get("/healthz", "").await;
    assert_eq!(health["alerts"], alerts_before, "nothing ingested");

    // The server's own page (same origin, JSON) still proposes, and the rule auto-approves.
    let own = server.base.clone();
    let page = [("origin", own.as_str()), ("sec-fetch-site", "same-origin")];
    let (status, _) = post_raw(&server, "/v1/chat", "application/json", &page, kill).await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = server.get("/v1/actions", "").await;
    let actions = listed["actions"].as_array().expect("actions");
    assert!(!actions.is_empty(), "the page's own request proposes: {listed}");
}

fn alert_line() -> String {
    json!({
        "time": "2026-11-20T10:00:00.000000000Z",
        "rule": "Terminal shell in container",
        "priority": "Notice",
        "source": "syscall",
        "output": "a shell (proc.name=sh)",
        "output_fields": {"k8s.ns.name": "csrf", "proc.name": "sh"},
    })
    .to_string()
}

#[tokio::test]
async fn one_line_that_is_not_utf8_fails_the_whole_ingest() {
    let server = TestServer::empty(ServerLimits::default()).await;
    let mut body = Vec::new();
    for second in 0..41 {
        body.extend_from_slice(
            alert("Terminal shell in container", second, json!({"k8s.ns.name": "utf8"})).to_string().as_bytes(),
        );
        body.push(b'\n');
        if second == 20 {
            body.extend_from_slice(b"{\"rule\": \"Latin-1 \xe9t\xe9\", \"time\": \"2026-11-20T10:00:00Z\"}\n");
        }
    }
    let (status, report) = server.post_as("/v1/events", "application/x-ndjson", body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["accepted"].as_u64(), report["rejected"].as_u64()), (Some(41), Some(1)), "{report}");
    assert_eq!(report["rejections"][0]["line"], 22, "{report}");
    let reason = report["rejections"][0]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("not UTF-8") && reason.contains("column 19"), "{reason}");
    let (_, health) = server.get("/healthz").await;
    assert_eq!(health["alerts"], 41);
}

#[tokio::test]
async fn a_year_0000_alert_is_stored_and_shown_as_two_different_times() {
    let server = TestServer::empty(ServerLimits::default()).await;
    let mut year_zero = alert("Terminal shell in container", 1, json!({"k8s.ns.name": "time"}));
    year_zero["time"] = json!("0000-01-01T00:00:00Z");
    let valid = alert("Terminal shell in container", 2, json!({"k8s.ns.name": "time"}));
    let body = format!("{valid}\n{year_zero}\n");
    let (status, report) = server.post_as("/v1/events", "application/x-ndjson", body).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["accepted"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(report["rejections"][0]["line"], 2);
    let reason = report["rejections"][0]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("field \"time\"")
            && reason.contains("\"0000-01-01T00:00:00Z\" is outside")
            && reason.contains("1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z"),
        "{reason}"
    );
}

#[test]
fn a_byte_order_mark_rejects_line_1() {
    let data = tempfile::tempdir().expect("tempdir");
    let file = data.path().join("alerts.jsonl");
    let mut text = b"\xEF\xBB\xBF".to_vec();
    for second in 0..2 {
        text.extend_from_slice(alert("Terminal shell in container", second, json!({})).to_string().as_bytes());
        text.push(b'\n');
    }
    std::fs::write(&file, text).expect("write");
    let output = run(saker(data.path()).arg("ingest").arg(&file));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("accepted 2, duplicates 0, rejected 0"), "{}", stdout(&output));
}

#[tokio::test]
async fn a_bom_prefixed_body_is_ingested_over_http() {
    let server = TestServer::empty(ServerLimits::default()).await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(format!("{}\n", alert("Terminal shell in container", 3, json!({}))).as_bytes());
    let (status, report) = server.post_as("/v1/events", "application/x-ndjson", body).await;
    assert_eq!((status, report["accepted"].as_u64()), (StatusCode::OK, Some(1)), "{report}");
}

#[tokio::test]
async fn a_chat_message_over_16_kb_gets_200_and_an_sse_error() {
    let server = TestServer::demo().await;
    let message = "How many alerts? ".repeat(1_000);
    let (status, body) = server.post("/v1/chat", json!({"message": message}).to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "refused before any stream: {body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    let text = body["error"]["message"].as_str().unwrap_or("");
    assert!(text.contains("16999 bytes long; at most 16384"), "{text}");
}

#[tokio::test]
async fn a_wrong_digest_error_shows_the_correct_digest() {
    let server = ActionsServer::start(ActionSettings::default(), token_table()).await;
    let (status, proposed) = server
        .post(
            "/v1/actions",
            ANALYST,
            json!({"scope": format!("k8s.ns.name={NAMESPACE}"), "kinds": ["delete_pod"], "now": NOW}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proposed}");
    let id = proposed["actions"][0]["id"].as_str().expect("id");
    let digest = proposed["actions"][0]["proposal"]["digest"]
        .as_str()
        .or_else(|| proposed["actions"][0]["digest"].as_str())
        .expect("digest")
        .to_string();
    let path = format!("/v1/actions/{id}/approve");
    for attempt in [json!({"digest": "sha256:0000"}), json!({})] {
        let (status, body) = server.post(&path, RESPONDER, attempt.clone()).await;
        assert!(status.is_client_error(), "{attempt}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(!message.contains(digest.trim_start_matches("sha256:")), "{attempt} shows the digest: {message}");
    }
}

#[tokio::test]
async fn healthz_on_a_tokenless_server_answers_any_host() {
    let server = TestServer::demo().await;
    let client = reqwest::Client::new();
    for path in ["/healthz", "/", "/v1/tools"] {
        let response = client.get(server.url(path)).header("host", "rebound.evil.example").send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn duplicate_json_keys_are_silently_last_wins() {
    let server = TestServer::empty(ServerLimits::default()).await;
    let chat = r#"{"message": "How many alerts?", "scope": "k8s.ns.name=a", "scope": "k8s.ns.name=b"}"#;
    let (status, body) = server.post("/v1/chat", chat).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("duplicate key \"scope\" at line 1"), "{body}");
    let (status, body) = server.post("/v1/tools/event_stats", r#"{"last": "7d", "last": "30d"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let valid = alert("Terminal shell in container", 4, json!({}));
    let repeated =
        r#"{"time":"2026-11-20T10:00:05Z","rule":"Benign","priority":"Notice","rule":"Terminal shell in container"}"#;
    let (status, report) = server.post_as("/v1/events", "application/x-ndjson", format!("{valid}\n{repeated}\n")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    let reason = report["rejections"][0]["reason"].as_str().unwrap_or("");
    assert!(reason.starts_with("duplicate key \"rule\" at column"), "{reason}");
}

#[tokio::test]
async fn one_event_stats_request_takes_minutes_and_gigabytes() {
    let server = TestServer::demo().await;
    let wide = json!({"since": "1700-01-01T00:00:00Z", "until": "2200-01-01T00:00:00Z"});
    for (group_by, field) in [
        (json!(vec!["hour"; 50]), "group_by"),
        (json!(vec!["hour"; 1000]), "group_by"),
        (json!(["rule", "rule"]), "group_by"),
    ] {
        let mut arguments = wide.clone();
        arguments["group_by"] = group_by;
        let (status, body) = server.post("/v1/tools/event_stats", arguments.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "invalid_arguments");
        assert!(body["error"]["message"].as_str().unwrap_or("").contains(field), "{body}");
    }
    // The most a call may ask for answers promptly and within the output budget.
    let mut arguments = wide.clone();
    arguments["group_by"] = json!(["hour", "day", "rule", "namespace", "workload", "pod", "process", "tag"]);
    arguments["limit"] = json!(50);
    let started = std::time::Instant::now();
    let (status, body) = server.post("/v1/tools/event_stats", arguments.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "{:?}", started.elapsed());
    assert!(body.to_string().len() < 64 * 1024, "bounded: {} bytes", body.to_string().len());
    // Every other list and text argument is capped too.
    for (tool, arguments, field) in [
        ("search_events", json!({"offset": 4_000_000_000_u64}), "offset"),
        ("search_events", json!({"query": "a ".repeat(2_000)}), "query"),
        ("compare_periods", json!({"rules": vec!["r"; 51]}), "rules"),
        ("event_stats", json!({"scope": format!("k8s.ns.name in ({})", "a, ".repeat(5_000))}), "scope"),
        ("propose_response_action", json!({"kinds": ["delete_pod", "delete_pod"]}), "kinds"),
    ] {
        let (status, body) = server.post(&format!("/v1/tools/{tool}"), arguments.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tool} {field}: {body}");
        assert!(body["error"]["message"].as_str().unwrap_or("").contains(field), "{body}");
    }
}

#[tokio::test]
async fn a_tool_call_has_no_deadline() {
    let limits = ServerLimits { tool_deadline: std::time::Duration::ZERO, ..ServerLimits::default() };
    let server = TestServer::start(&super::support::demo_index().join("index"), limits, Vec::new()).await;
    let (status, body) = server.post("/v1/tools/event_stats", json!({"last": "30d"}).to_string()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "deadline_exceeded");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("deadline of 0 s"), "{body}");
}

#[tokio::test]
async fn conversations_sqlite_grows_without_bound() {
    use saker::conversation::retention::SessionRetention;
    use saker::conversation::{ChatRequest, EventSink, SessionStore};
    let dir = tempfile::tempdir().expect("tempdir");
    let orchestrator = super::support::demo_orchestrator(dir.path()).await;
    let mut ids = Vec::new();
    for question in ["How many alerts?", "Summarize the events.", "Which workloads were impacted?"] {
        let request: ChatRequest = serde_json::from_value(json!({"message": question, "now": NOW})).expect("request");
        let answer = orchestrator.chat(request, EventSink::discard()).await.expect("answered");
        assert!(!answer.steps.is_empty(), "tool calls are recorded");
        ids.push(answer.session_id);
    }
    let sessions = SessionStore::open(dir.path()).await.expect("sessions");
    assert_eq!(sessions.recent(100).await.expect("recent").len(), 3);
    // The count: only the newest is kept, with its turns; the others are gone with theirs.
    let retention = SessionRetention { max_age_days: 90, max_sessions: 1 };
    assert_eq!(retention.apply(&sessions, chrono::Utc::now()).await.expect("pruned"), 2);
    let kept = sessions.recent(100).await.expect("recent");
    assert_eq!(kept, vec![ids[2].clone()]);
    assert_eq!(sessions.load(&ids[2]).await.expect("kept").turns.len(), 1);
    assert!(sessions.load(&ids[0]).await.is_err(), "deleted");
    // The age: 91 days later nothing is kept.
    let later = chrono::Utc::now() + chrono::Duration::days(91);
    assert_eq!(SessionRetention::default().apply(&sessions, later).await.expect("pruned"), 1);
    assert!(sessions.recent(100).await.expect("recent").is_empty());
    assert!(SessionRetention { max_age_days: 0, max_sessions: 1 }.validate().is_err());
}
