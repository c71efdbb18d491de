//! Response actions end to end over loopback: the conversation "How do I isolate the affected
//! resources?" → "Kill the miner process in that pod." → approval as a responder → "Show the
//! response history." in English and Japanese, through a real server with API tokens (viewer
//! and analyst approvals refused with 403 and recorded); the server refusing a public address
//! without tokens; and the CLI acting as the configured local role.

use std::sync::Arc;

use reqwest::StatusCode;
use saker::actions::ActionService;
use saker::actions::settings::ActionSettings;
use saker::auth::{AuthSettings, Role, TokenSettings, TokenTable, hash_token};
use saker::conversation::{Backend, SessionStore};
use saker::planner::Planner;
use saker::server::{AppParts, AppState, ResponseParts, ServerLimits};
use saker_tools::actions::ActionLedger;
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use super::support::{demo_index, done_answer, run, saker, stderr, upstream_rules};

pub const CLUSTER: &str = "risks-aws-eks-workloads-shield";
pub const NAMESPACE: &str = "risk-10-aws-bedrock-java";
const NOW: &str = "2026-11-20T12:00:00Z";

/// The tokens of the test: one per role.
pub const VIEWER: &str = "saker_test_viewer_token";
pub const ANALYST: &str = "saker_test_analyst_token";
pub const RESPONDER: &str = "saker_test_responder_token";

pub fn token_table() -> TokenTable {
    let token =
        |name: &str, role: Role, secret: &str| TokenSettings { name: name.into(), role, sha256: hash_token(secret) };
    let settings = AuthSettings {
        tokens: vec![
            token("vera", Role::Viewer, VIEWER),
            token("alan", Role::Analyst, ANALYST),
            token("rita", Role::Responder, RESPONDER),
        ],
        local_role: None,
    };
    TokenTable::from_settings(Some(&settings), |_| None).expect("valid tokens")
}

/// A server over the demo index with tokens and an action service; stops when dropped.
pub struct ActionsServer {
    pub base: String,
    pub client: reqwest::Client,
    _actions: ActionService,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dirs: Vec<tempfile::TempDir>,
}

impl ActionsServer {
    pub async fn start(settings: ActionSettings, tokens: TokenTable) -> ActionsServer {
        let data = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(TantivyStore::open(&demo_index().join("index")).expect("open index"));
        let rules = Arc::new(RulesCatalog::load(&upstream_rules()).expect("rules"));
        let sessions = SessionStore::open(data.path()).await.expect("sessions");
        let ledger = ActionLedger::open(data.path()).await.expect("ledger");
        let actions = ActionService::new(ledger, &settings, data.path()).expect("action service");
        let state = AppState::with_response(
            AppParts {
                store: store.into(),
                rules,
                sessions,
                backend: Backend::Planner(Planner::new()),
                ingest_log: None,
                limits: ServerLimits::default(),
            },
            ResponseParts { tokens, actions: Some(actions.clone()), escalator: None },
        )
        .expect("state");
        let (address, stop) = super::support::serve_on_loopback(state).await;
        ActionsServer {
            base: format!("http://{address}"),
            client: reqwest::Client::new(),
            _actions: actions,
            _stop: stop,
            _dirs: vec![data],
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self.client.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("GET");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let response =
            self.client.post(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().await.expect("POST");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Asks through `POST /v1/chat` and returns the `done` answer.
    pub async fn ask(&self, token: &str, session: Option<&str>, message: &str) -> Value {
        let mut request = json!({
            "message": message,
            "scope": format!("kubernetes.cluster.name={CLUSTER} and k8s.ns.name={NAMESPACE}"),
            "now": NOW,
        });
        if let Some(session) = session {
            request["session_id"] = json!(session);
        }
        let response = self
            .client
            .post(format!("{}/v1/chat", self.base))
            .bearer_auth(token)
            .json(&request)
            .send()
            .await
            .expect("chat");
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.expect("stream");
        done_answer(&text, &format!("{message:?}"))
    }
}

fn events_of(action: &Value) -> Vec<(String, String)> {
    action["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|event| {
            (event["event"].as_str().unwrap_or("").to_string(), event["actor"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

#[tokio::test]
async fn isolate_kill_approve_and_show_the_history_in_english_and_japanese() {
    let turns = [
        (
            "How do I isolate the affected resources?",
            "Kill the miner process in that pod.",
            "Show the response history.",
            ["Response history of this conversation", "approved", "refused", "rita", "vera", "alan", "succeeded"],
        ),
        (
            "影響を受けたリソースを分離するにはどうすればいいですか?",
            "そのPodのマイナープロセスを停止してください。",
            "対応履歴を表示してください。",
            ["この会話の対応履歴", "承認", "拒否", "rita", "vera", "alan", "成功"],
        ),
    ];
    for (isolate, kill, history, expected) in turns {
        let server = ActionsServer::start(ActionSettings::default(), token_table()).await;

        let (status, _) = server.get("/v1/actions", "not-a-token").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let guidance = server.ask(ANALYST, None, isolate).await;
        let tools: Vec<&str> =
            guidance["steps"].as_array().expect("steps").iter().filter_map(|step| step["tool"].as_str()).collect();
        assert!(tools.contains(&"impacted_workloads") && !tools.contains(&"propose_response_action"), "{tools:?}");
        let session = guidance["session_id"].as_str().expect("session").to_string();

        let proposed = server.ask(ANALYST, Some(&session), kill).await;
        assert!(proposed["grounded"].as_bool().unwrap_or(false), "{}", proposed["unsupported"]);
        let step = &proposed["steps"][0];
        assert_eq!(step["tool"], "propose_response_action");
        assert_eq!(step["arguments"]["kinds"], json!(["kill_process"]));
        assert_eq!(step["arguments"]["process"], "miner");
        let proposals = step["output"]["proposals"].as_array().expect("proposals");
        assert_eq!(proposals.len(), 2, "one per pod of the namespace");
        for proposal in proposals {
            assert_eq!(proposal["target"]["process"], "easyminer");
            assert_eq!(proposal["status"], "proposed");
            let id = proposal["action_id"].as_str().expect("recorded");
            assert!(proposed["answer"].as_str().unwrap_or("").contains(id));
        }
        let (status, listed) = server.get(&format!("/v1/actions?session_id={session}"), VIEWER).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed["actions"].as_array().map(Vec::len), Some(2));
        assert!(listed["actions"].as_array().expect("actions").iter().all(|action| action["status"] == "proposed"));

        let id = proposals[0]["action_id"].as_str().expect("id");
        let digest = proposals[0]["digest"].as_str().expect("digest");
        let path = format!("/v1/actions/{id}/approve");
        for token in [VIEWER, ANALYST] {
            let (status, body) = server.post(&path, token, json!({"digest": digest})).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert!(body["error"]["message"].as_str().unwrap_or("").contains("responder or admin"), "{body}");
        }
        let (status, body) = server.post(&path, RESPONDER, json!({"digest": "sha256:another"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "a changed proposal needs a new approval: {body}");
        let (status, approved) = server.post(&path, RESPONDER, json!({"digest": digest})).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["status"], "succeeded", "the dry run records what it would do");
        let events = events_of(&approved);
        let names: Vec<(&str, &str)> = events.iter().map(|(event, actor)| (event.as_str(), actor.as_str())).collect();
        assert_eq!(
            names,
            vec![
                ("proposed", "alan"),
                ("refused", "vera"),
                ("refused", "alan"),
                ("refused", "rita"),
                ("approved", "rita"),
                ("executing", "saker"),
                ("succeeded", "saker"),
            ]
        );
        let done = &approved["history"][6]["detail"];
        assert_eq!(done["executor"], "dry-run");
        assert_eq!(done["result"]["would"]["signal"], "SIGKILL");
        let (status, again) = server.post(&path, RESPONDER, json!({"digest": digest})).await;
        assert_eq!(status, StatusCode::CONFLICT, "approved once only: {again}");

        let shown = server.ask(VIEWER, Some(&session), history).await;
        assert_eq!(shown["steps"][0]["tool"], "response_history");
        let answer = shown["answer"].as_str().unwrap_or("");
        for fact in expected.iter().chain([&id]) {
            assert!(answer.contains(fact), "the history lacks {fact:?}:\n{answer}");
        }
        assert!(shown["grounded"].as_bool().unwrap_or(false), "{}", shown["unsupported"]);
    }
}

#[tokio::test]
async fn a_viewer_cannot_propose_and_an_analyst_cannot_approve_from_a_conversation() {
    let server = ActionsServer::start(ActionSettings::default(), token_table()).await;
    let answer = server.ask(VIEWER, None, "Kill the miner process in that pod.").await;
    let step = &answer["steps"][0];
    assert_eq!(step["tool"], "propose_response_action");
    assert!(step["output"]["error"].as_str().unwrap_or("").contains("viewer"), "{step}");
    let (_, listed) = server.get("/v1/actions", VIEWER).await;
    assert_eq!(listed["actions"], json!([]), "nothing recorded for a viewer");
    let (status, body) = server
        .post(
            "/v1/actions",
            VIEWER,
            json!({"scope": format!("k8s.ns.name={NAMESPACE}"), "kinds": ["delete_pod"], "now": NOW}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server
        .post(
            "/v1/actions",
            ANALYST,
            json!({"scope": format!("k8s.ns.name={NAMESPACE}"), "kinds": ["delete_pod"], "now": NOW}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["actions"].as_array().map(Vec::len), Some(2));
    assert!(body["actions"].as_array().expect("actions").iter().all(|action| action["status"] == "proposed"));
    // A form post (what another web site could send) is not an approval.
    let id = body["actions"][0]["id"].as_str().expect("id");
    let response = server
        .client
        .post(format!("{}/v1/actions/{id}/approve", server.base))
        .bearer_auth(RESPONDER)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("digest=x")
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, rejected) =
        server.post(&format!("/v1/actions/{id}/reject"), RESPONDER, json!({"reason": "the miner is a test"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rejected["status"], "rejected");
}

#[test]
fn the_server_refuses_a_public_address_without_tokens() {
    let data = tempfile::tempdir().expect("tempdir");
    let output = run(saker(data.path()).args(["serve", "--listen", "0.0.0.0:0"]));
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("refusing to listen on 0.0.0.0:0 without API tokens"), "{message}");
}

#[test]
fn the_cli_acts_as_its_configured_role_and_a_refusal_is_recorded() {
    let data = tempfile::tempdir().expect("tempdir");
    assert!(run(saker(data.path()).args(["demo"])).status.success());
    let scope = format!("kubernetes.cluster.name={CLUSTER} and k8s.ns.name={NAMESPACE}");
    let asked = run(saker(data.path()).args(["ask", "--json", "--now", NOW, "--scope", &scope]).arg("Delete the pod."));
    assert!(asked.status.success(), "{}", stderr(&asked));
    let answer: Value = serde_json::from_slice(&asked.stdout).expect("json");
    let id = answer["steps"][0]["output"]["proposals"][0]["action_id"].as_str().expect("recorded").to_string();

    std::fs::write(data.path().join("saker.yaml"), "auth:\n  local_role: analyst\n").expect("config");
    let refused = run(saker(data.path()).args(["action", "approve", &id]));
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("responder or admin"), "{}", stderr(&refused));

    std::fs::write(data.path().join("saker.yaml"), "auth:\n  local_role: responder\n").expect("config");
    let approved = run(saker(data.path()).args(["action", "approve", &id]));
    assert!(approved.status.success(), "{}", stderr(&approved));
    let shown = run(saker(data.path()).args(["action", "show", &id, "--json"]));
    let action: Value = serde_json::from_slice(&shown.stdout).expect("json");
    let events: Vec<&str> =
        action["history"].as_array().expect("history").iter().filter_map(|event| event["event"].as_str()).collect();
    assert_eq!(events, ["proposed", "refused", "approved", "executing", "succeeded"]);
    assert_eq!(action["history"][1]["role"], "analyst");
    let list = run(saker(data.path()).args(["action", "list", "--status", "succeeded"]));
    assert!(super::support::stdout(&list).contains(&id));
}

/// Every route that returns alert data needs a token once tokens are configured: the API, the
/// event feed and alert pages, and the reports; a page load may present it as the cookie the web
/// page sets, but nothing that writes accepts the cookie; `/v1/me` says who the caller is.
#[tokio::test]
async fn data_pages_need_a_token_and_accept_the_page_cookie_only_for_reading() {
    let server = ActionsServer::start(ActionSettings::default(), token_table()).await;
    let plain = reqwest::Client::new();
    let alert_id = {
        let (status, feed) = server.get("/v1/events?limit=1", VIEWER).await;
        assert_eq!(status, StatusCode::OK);
        feed["alerts"][0]["id"].as_str().expect("an alert id").to_string()
    };
    for path in ["/v1/events?limit=1", "/events", &format!("/events/{alert_id}"), "/reports/recon", "/v1/reports/recon"]
    {
        let anonymous = plain.get(format!("{}{path}", server.base)).send().await.expect("GET");
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path} without a token");
        let with_cookie = plain
            .get(format!("{}{path}", server.base))
            .header("cookie", format!("theme=dark; saker_token={VIEWER}"))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        assert_eq!(with_cookie.status(), StatusCode::OK, "{path} with the page's cookie");
    }
    // The chat page and its assets hold no data.
    let page = plain.get(format!("{}/", server.base)).send().await.expect("GET /");
    assert_eq!(page.status(), StatusCode::OK);
    // A write with only the cookie (what a cross-site form could send) is refused.
    let forged = plain
        .post(format!("{}/v1/chat", server.base))
        .header("cookie", format!("saker_token={RESPONDER}"))
        .json(&json!({"message": "Kill the miner process in that pod."}))
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let (status, me) = server.get("/v1/me", RESPONDER).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me, json!({"name": "rita", "role": "responder", "tokens_required": true}));
}
