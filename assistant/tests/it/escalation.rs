//! "Escalate this to Slack" / "Open a Jira ticket" in a conversation: the Block Kit message and
//! the Jira issue are checked against loopback servers; a failing endpoint is retried, the
//! failure is reported in the answer, and the webhook URL (a secret) appears nowhere.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use saker::conversation::{Answer, ChatRequest, EventSink, Orchestrator};
use saker::escalation::{EscalationSettings, Escalator, JiraSettings, SlackSettings};
use serde_json::{Value, json};

use super::support::{demo_now, demo_orchestrator};

const SCOPE: &str = "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name=risk-10-aws-bedrock-java";
const ROOT_CAUSE: &str = "bash ./malicious-bin-event-gen.sh";
const SECRET_PATH: &str = "/services/T000/B000/SECRETXYZ";

type Seen = Arc<Mutex<Vec<(String, HeaderMap, Value)>>>;

#[derive(Clone)]
struct Endpoint {
    seen: Seen,
    failures_first: usize,
    reply: Value,
    status: StatusCode,
}

async fn endpoint(State(endpoint): State<Endpoint>, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let count = {
        let mut seen = endpoint.seen.lock().expect("lock");
        seen.push((uri.path().to_string(), headers, serde_json::from_slice(&body).unwrap_or(Value::Null)));
        seen.len()
    };
    if count <= endpoint.failures_first {
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({"error": "try later"})));
    }
    (endpoint.status, axum::Json(endpoint.reply.clone()))
}

async fn serve(failures_first: usize, status: StatusCode, reply: Value) -> (String, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let state = Endpoint { seen: seen.clone(), failures_first, reply, status };
    let router = Router::new().fallback(endpoint).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{address}"), seen)
}

async fn ask(orchestrator: &Orchestrator, message: &str) -> Answer {
    let request = ChatRequest {
        message: message.into(),
        scope: Some(SCOPE.into()),
        now: Some(demo_now()),
        ..ChatRequest::default()
    };
    orchestrator.chat(request, EventSink::discard()).await.expect("answered")
}

fn settings(slack: Option<String>, jira: Option<JiraSettings>) -> EscalationSettings {
    EscalationSettings {
        saker_url: Some("https://saker.example.com".into()),
        slack: slack.map(|url| SlackSettings { webhook_url: Some(url), webhook_url_env: None }),
        jira,
        max_attempts: Some(3),
        retry_delay_ms: Some(1),
    }
}

#[tokio::test]
async fn escalating_to_slack_posts_block_kit_after_a_retry_and_keeps_the_url_secret() {
    let (base, seen) = serve(1, StatusCode::OK, json!("ok")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let escalator = Escalator::new(settings(Some(format!("{base}{SECRET_PATH}")), None)).expect("escalator");
    let orchestrator = demo_orchestrator(dir.path()).await.with_escalator(escalator);
    for question in ["Escalate this to Slack.", "Slackにエスカレーションしてください。"] {
        seen.lock().expect("lock").clear();
        let answer = ask(&orchestrator, question).await;
        let step = answer.steps.iter().find(|step| step.tool == "escalate").expect("escalated");
        assert_eq!(step.output["result"]["delivered"], true, "{}", step.output);
        let requests = seen.lock().expect("lock").clone();
        let expected_attempts = if requests.len() == 2 { 2 } else { 1 };
        assert_eq!(step.output["result"]["attempts"], expected_attempts);
        let (path, headers, body) = requests.last().expect("posted").clone();
        assert_eq!(path, SECRET_PATH);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body["blocks"][0]["type"], "header");
        assert_eq!(body["blocks"][1]["type"], "section");
        assert_eq!(body["blocks"][1]["text"]["type"], "mrkdwn");
        let facts = body["blocks"][1]["text"]["text"].as_str().unwrap_or("");
        assert!(facts.contains(ROOT_CAUSE) && facts.contains("risk-10-aws-bedrock-java"), "{facts}");
        assert!(facts.contains("https://saker.example.com/events?scope="), "{facts}");
        assert_eq!(body["blocks"][2]["elements"][0]["type"], "button");
        assert!(answer.grounded, "{:?}", answer.unsupported);
        let everything = format!("{} {}", answer.answer, serde_json::to_string(&answer.steps).unwrap_or_default());
        assert!(!everything.contains("SECRETXYZ"), "the webhook URL is a secret");
    }
    let answer = ask(&orchestrator, "Escalate this to Slack.").await;
    assert!(answer.answer.contains("Escalated to Slack"), "{}", answer.answer);
}

#[tokio::test]
async fn a_jira_issue_is_filed_with_the_configured_fields_and_a_failure_is_reported() {
    let (base, seen) = serve(0, StatusCode::CREATED, json!({"id": "10042", "key": "SEC-42", "self": "x"})).await;
    let jira = JiraSettings {
        base_url: base.clone(),
        project: "SEC".into(),
        issue_type: Some("Incident".into()),
        email: Some("saker@example.com".into()),
        api_token: Some("jira-token".into()),
        labels: vec!["saker".into(), "falco".into()],
        fields: serde_json::from_value(json!({"priority": {"name": "High"}})).expect("fields"),
        ..JiraSettings::default()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(dir.path())
        .await
        .with_escalator(Escalator::new(settings(None, Some(jira))).expect("escalator"));
    let answer = ask(&orchestrator, "Open a Jira ticket for this.").await;
    let step = answer.steps.iter().find(|step| step.tool == "escalate").expect("escalated");
    assert_eq!(step.output["result"]["delivered"], true, "{}", step.output);
    assert!(answer.answer.contains("SEC-42"), "{}", answer.answer);
    let (path, headers, body) = seen.lock().expect("lock")[0].clone();
    assert_eq!(path, "/rest/api/2/issue");
    // Basic auth of saker@example.com:jira-token.
    assert_eq!(headers["authorization"], "Basic c2FrZXJAZXhhbXBsZS5jb206amlyYS10b2tlbg==");
    let fields = &body["fields"];
    assert_eq!(fields["project"], json!({"key": "SEC"}));
    assert_eq!(fields["issuetype"], json!({"name": "Incident"}));
    assert_eq!(fields["labels"], json!(["saker", "falco"]));
    assert_eq!(fields["priority"], json!({"name": "High"}));
    assert!(fields["summary"].as_str().unwrap_or("").contains("risk-10-aws-bedrock-java"));
    let description = fields["description"].as_str().unwrap_or("");
    assert!(description.contains(ROOT_CAUSE) && description.contains("Impacted workloads:"), "{description}");
    assert!(!serde_json::to_string(&answer.steps).unwrap_or_default().contains("jira-token"));

    // An endpoint that keeps failing: retried, then reported in the conversation.
    let (failing, attempts) = serve(usize::MAX, StatusCode::OK, json!({})).await;
    let jira = JiraSettings {
        base_url: failing,
        project: "SEC".into(),
        email: Some("saker@example.com".into()),
        api_token: Some("jira-token".into()),
        ..JiraSettings::default()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(dir.path())
        .await
        .with_escalator(Escalator::new(settings(None, Some(jira))).expect("escalator"));
    let answer = ask(&orchestrator, "Open a Jira ticket for this.").await;
    assert_eq!(attempts.lock().expect("lock").len(), 3, "bounded retries");
    assert!(answer.answer.contains("failed") && answer.answer.contains("503"), "{}", answer.answer);
    let unconfigured = ask(&demo_orchestrator(dir.path()).await, "Escalate this to Slack.").await;
    assert!(unconfigured.answer.contains("not configured"), "{}", unconfigured.answer);
}
