//! `GET /metrics` after a demo conversation over loopback: alerts ingested through
//! `POST /v1/events` (new, duplicate and rejected), the seed's root-cause question, a response
//! action proposed and an escalation to Slack (a loopback webhook), a direct tool call and a
//! model call that fails, all through a real server whose backend is the LLM backend talking to
//! the scripted OpenAI-compatible model; then the same conversation with the embedded planner.
//! Every family the issue names shows a non-zero count in one scrape, with the right labels.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;
use reqwest::StatusCode;
use saker::actions::ActionService;
use saker::actions::settings::ActionSettings;
use saker::conversation::{Backend, SessionStore};
use saker::escalation::{EscalationSettings, Escalator, SlackSettings};
use saker::llm::LlmBackend;
use saker::planner::Planner;
use saker::server::{AppParts, AppState, ResponseParts, ServerLimits};
use saker_tools::actions::ActionLedger;
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use super::scripted_model::{ScriptedModel, status, text_completion, tool_call_completion};
use super::support::upstream_rules;

const NAMESPACE_SCOPE: &str =
    "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name=risk-10-aws-bedrock-java";
const NOW: &str = "2026-11-20T12:00:00Z";
const ROOT_CAUSE_QUESTION: &str =
    "What was the root cause of the malicious binary detected in risk-10-aws-bedrock-java?";

/// A loopback Slack webhook that accepts every post and counts them.
async fn slack_webhook() -> (String, Arc<Mutex<usize>>) {
    let posts = Arc::new(Mutex::new(0usize));
    let seen = posts.clone();
    let app = Router::new().route(
        "/hook",
        post(move || {
            let seen = seen.clone();
            async move {
                *seen.lock().expect("lock") += 1;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("webhook serves") });
    (format!("http://{address}/hook"), posts)
}

/// A server over a fresh, empty data directory with actions and Slack escalation.
struct Server {
    base: String,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _data: tempfile::TempDir,
}

impl Server {
    async fn start(backend: Backend, slack_url: String) -> Server {
        let data = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(TantivyStore::open(&data.path().join("index")).expect("open index"));
        let rules = Arc::new(RulesCatalog::load(&upstream_rules()).expect("rules"));
        let sessions = SessionStore::open(data.path()).await.expect("sessions");
        let ledger = ActionLedger::open(data.path()).await.expect("ledger");
        let actions = ActionService::new(ledger, &ActionSettings::default(), data.path()).expect("actions");
        let escalator = Escalator::new(EscalationSettings {
            saker_url: Some("https://saker.example.com".into()),
            slack: Some(SlackSettings { webhook_url: Some(slack_url), webhook_url_env: None }),
            jira: None,
            max_attempts: Some(1),
            retry_delay_ms: Some(1),
        })
        .expect("escalator");
        let state = AppState::with_response(
            AppParts {
                store: store.into(),
                rules,
                sessions,
                backend,
                ingest_log: None,
                limits: ServerLimits::default(),
            },
            ResponseParts { tokens: Default::default(), actions: Some(actions), escalator: Some(escalator) },
        )
        .expect("state");
        let (address, stop) = super::support::serve_on_loopback(state).await;
        Server { base: format!("http://{address}"), client: reqwest::Client::new(), _stop: stop, _data: data }
    }

    /// Ingests the malicious-binary scenario plus one line that is no alert, then its first
    /// alert again: accepted, rejected and duplicate counts from `source="http"`.
    async fn ingest_scenario(&self) -> (u64, u64, u64) {
        let scenario = saker_fixtures::scenario_files()
            .iter()
            .find(|(name, _)| *name == "malicious_binary")
            .map(|(_, text)| text)
            .expect("the malicious_binary scenario");
        let body = format!("{scenario}\n{{\"rule\": \"no time, no priority\"}}\n");
        let first: Value = self.post_ndjson(body).await;
        let again: Value = self.post_ndjson(scenario.lines().next().expect("a line").to_string()).await;
        let count = |value: &Value, key: &str| value[key].as_u64().expect("a count");
        assert_eq!(count(&again, "duplicates"), 1, "{again}");
        (count(&first, "accepted"), count(&again, "duplicates"), count(&first, "rejected"))
    }

    async fn post_ndjson(&self, body: String) -> Value {
        let response = self
            .client
            .post(format!("{}/v1/events", self.base))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .expect("POST /v1/events");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("ingest answer")
    }

    /// One chat turn; the `done` answer, or `None` when the stream ended with `error`.
    async fn chat(&self, session: Option<&str>, message: &str) -> Option<Value> {
        let mut request = json!({"message": message, "scope": NAMESPACE_SCOPE, "now": NOW});
        if let Some(session) = session {
            request["session_id"] = json!(session);
        }
        let response =
            self.client.post(format!("{}/v1/chat", self.base)).json(&request).send().await.expect("POST /v1/chat");
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.text().await.expect("the stream");
        let done = text.split("\n\n").find_map(|event| {
            let mut lines = event.lines();
            (lines.next() == Some("event: done"))
                .then(|| lines.next().and_then(|data| data.strip_prefix("data: ")).map(str::to_string))
                .flatten()
        });
        done.map(|data| serde_json::from_str(&data).expect("the done answer is JSON"))
    }

    async fn tool(&self, name: &str, arguments: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/v1/tools/{name}?now={NOW}", self.base))
            .json(&arguments)
            .send()
            .await
            .expect("POST /v1/tools");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("tool output")
    }

    async fn scrape(&self) -> String {
        let response = self.client.get(format!("{}/metrics", self.base)).send().await.expect("GET /metrics");
        assert_eq!(response.status(), StatusCode::OK);
        let kind = response.headers()["content-type"].to_str().expect("content type").to_string();
        assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
        response.text().await.expect("the exposition")
    }
}

/// The sum of the samples named `name` whose labels include every one of `labels`.
fn total(exposition: &str, name: &str, labels: &[&str]) -> f64 {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (sample, label_text) = series.split_once('{').map_or((series, ""), |(name, rest)| (name, rest));
            (sample == name && labels.iter().all(|label| label_text.contains(label)))
                .then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

fn assert_positive(exposition: &str, name: &str, labels: &[&str]) -> f64 {
    let value = total(exposition, name, labels);
    assert!(value > 0.0, "{name}{labels:?} is {value} in\n{exposition}");
    value
}

#[tokio::test]
async fn a_scrape_after_a_demo_conversation_counts_every_family() {
    let (slack, posts) = slack_webhook().await;
    let namespace = json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java"});
    let model = ScriptedModel::start(vec![
        // The seed's root-cause question: one tool call, then the answer.
        tool_call_completion(&[("call-1", "root_cause", namespace.clone())]),
        text_completion("The root cause was `bash ./malicious-bin-event-gen.sh`.", 900, 40),
        // "Kill the miner process in that pod.": a proposal, recorded, waiting for a person.
        tool_call_completion(&[(
            "call-2",
            "propose_response_action",
            json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java", "kinds": ["kill_process"], "process": "miner"}),
        )]),
        text_completion("I proposed killing the miner; a responder approves it.", 700, 20),
        // "Escalate this to Slack.": the summary goes to the webhook.
        tool_call_completion(&[(
            "call-3",
            "escalate",
            json!({"destination": "slack", "scope": "k8s.ns.name=risk-10-aws-bedrock-java"}),
        )]),
        text_completion("Escalated to Slack.", 500, 10),
        // A model call that fails (400 is not retried): the turn ends with an error.
        status(400, "the model rejected the request", Vec::new()),
    ])
    .await;
    let backend = Backend::Llm(LlmBackend::new(model.settings()).expect("LLM backend"));
    let server = Server::start(backend, slack).await;

    let (accepted, duplicates, rejected) = server.ingest_scenario().await;
    assert!(accepted > 0 && rejected == 1, "accepted {accepted}, rejected {rejected}");
    let answer = server.chat(None, ROOT_CAUSE_QUESTION).await.expect("answered");
    let session = answer["session_id"].as_str().expect("session").to_string();
    let proposal = server.chat(Some(&session), "Kill the miner process in that pod.").await.expect("answered");
    let step = proposal["steps"].as_array().and_then(|steps| steps.first()).expect("a step");
    assert_eq!(step["tool"], "propose_response_action");
    assert!(step["output"]["proposals"][0]["action_id"].is_string(), "recorded: {step}");
    let escalation = server.chat(Some(&session), "Escalate this to Slack.").await.expect("answered");
    assert_eq!(escalation["steps"][0]["output"]["result"]["delivered"], true, "{escalation}");
    assert_eq!(*posts.lock().expect("lock"), 1);
    assert!(server.chat(Some(&session), "Summarize the events.").await.is_none(), "the model call failed");
    server.tool("event_stats", json!({"scope": NAMESPACE_SCOPE})).await;

    let scrape = server.scrape().await;
    assert_eq!(total(&scrape, "saker_alerts_ingested_total", &["source=\"http\""]), accepted as f64);
    assert_eq!(total(&scrape, "saker_alerts_duplicate_total", &["source=\"http\""]), duplicates as f64);
    assert_eq!(total(&scrape, "saker_alerts_rejected_total", &["source=\"http\""]), 1.0);
    assert_eq!(total(&scrape, "saker_store_alerts", &[]), accepted as f64);
    assert_eq!(assert_positive(&scrape, "saker_chat_turns_total", &["backend=\"llm\"", "outcome=\"answered\""]), 3.0);
    assert_positive(&scrape, "saker_chat_turns_total", &["backend=\"llm\"", "outcome=\"failed\""]);
    assert_positive(&scrape, "saker_chat_turn_duration_seconds_count", &["backend=\"llm\""]);
    assert_positive(&scrape, "saker_chat_turn_duration_seconds_bucket", &["le=\"+Inf\""]);
    assert_positive(&scrape, "saker_tool_call_duration_seconds_count", &["tool=\"root_cause\"", "caller=\"chat\""]);
    assert_positive(&scrape, "saker_tool_call_duration_seconds_count", &["tool=\"event_stats\"", "caller=\"api\""]);
    // Seven model calls: six answered, one refused.
    assert_eq!(total(&scrape, "saker_model_calls_total", &["model=\"scripted-model\""]), 7.0);
    assert_eq!(total(&scrape, "saker_model_tokens_total", &["kind=\"prompt\""]), 100.0 * 3.0 + 900.0 + 700.0 + 500.0);
    assert_eq!(total(&scrape, "saker_model_tokens_total", &["kind=\"completion\""]), 10.0 * 3.0 + 40.0 + 20.0 + 10.0);
    assert_eq!(total(&scrape, "saker_model_errors_total", &["model=\"scripted-model\""]), 1.0);
    assert_positive(&scrape, "saker_model_call_duration_seconds_count", &[]);
    assert!(total(&scrape, "saker_actions", &["status=\"proposed\""]) >= 1.0, "{scrape}");
    assert_eq!(total(&scrape, "saker_escalations_total", &["destination=\"slack\"", "outcome=\"delivered\""]), 1.0);
    assert!(scrape.contains("saker_build_info{version=\"0.1.0 (commit "), "{scrape}");
}

#[tokio::test]
async fn the_planners_turns_are_counted_by_intent() {
    let (slack, _posts) = slack_webhook().await;
    let server = Server::start(Backend::Planner(Planner::new()), slack).await;
    server.ingest_scenario().await;
    let answer = server.chat(None, ROOT_CAUSE_QUESTION).await.expect("answered");
    assert!(answer["answer"].as_str().unwrap_or("").contains("bash ./malicious-bin-event-gen.sh"), "{answer}");
    let session = answer["session_id"].as_str().expect("session").to_string();
    server.chat(Some(&session), "Kill the miner process in that pod.").await.expect("answered");
    server.chat(Some(&session), "Escalate this to Slack.").await.expect("answered");
    let scrape = server.scrape().await;
    assert_eq!(
        total(
            &scrape,
            "saker_chat_turns_total",
            &["backend=\"planner\"", "intent=\"root_cause\"", "outcome=\"answered\""]
        ),
        1.0,
        "{scrape}"
    );
    assert_eq!(total(&scrape, "saker_chat_turn_duration_seconds_count", &["backend=\"planner\""]), 3.0);
    assert_positive(&scrape, "saker_tool_call_duration_seconds_count", &["tool=\"root_cause\"", "caller=\"chat\""]);
    assert!(total(&scrape, "saker_actions", &["status=\"proposed\""]) >= 1.0, "{scrape}");
    assert_eq!(total(&scrape, "saker_escalations_total", &["destination=\"slack\""]), 1.0);
    assert_eq!(total(&scrape, "saker_model_calls_total", &[]), 0.0, "the planner calls no model");
}
