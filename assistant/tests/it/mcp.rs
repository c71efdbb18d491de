//! The MCP server with a real MCP client (rmcp's): `saker mcp` as a child process over stdio,
//! and `/mcp` on a real server over streamable HTTP with API tokens. The client lists the
//! tools (the registry's, with the very schemas `/v1/tools` publishes, and `ask`), reads the
//! event feed as resources, and gets the seed's root-cause answer both from the `root_cause`
//! tool and from `ask`; a viewer is refused the write tools, a request without a token or from
//! another site's page the endpoint.

use std::collections::BTreeSet;
use std::sync::Arc;

use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult, ReadResourceRequestParams, ResourceContents};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::TokioChildProcess;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use saker::conversation::{Backend, SessionStore};
use saker::planner::Planner;
use saker::server::{AppParts, AppState, ResponseParts, ServerLimits};
use saker_tools::analytics::ToolRegistry;
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use super::response_actions::{ANALYST, VIEWER, token_table};
use super::support::{demo_index, run, saker, upstream_rules};

const ROOT_CAUSE: &str = "bash ./malicious-bin-event-gen.sh";
const NAMESPACE_SCOPE: &str =
    "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name=risk-10-aws-bedrock-java";
const WRITE_TOOLS: [&str; 2] = ["propose_response_action", "generate_exception"];

type Client = RunningService<RoleClient, ()>;

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tools listed: every registry tool with its schema, and `ask`.
async fn assert_lists_the_tools(client: &Client, expect_write_tools: bool) {
    let tools = client.list_all_tools().await.expect("tools/list");
    let names: BTreeSet<String> = tools.iter().map(|tool| tool.name.to_string()).collect();
    let registry = ToolRegistry::standard();
    for spec in registry.specs() {
        let writes = WRITE_TOOLS.contains(&spec.name);
        assert_eq!(names.contains(spec.name), !writes || expect_write_tools, "{}: {names:?}", spec.name);
        if let Some(tool) = tools.iter().find(|tool| tool.name == spec.name) {
            assert_eq!(Value::Object((*tool.input_schema).clone()), spec.parameters, "{}'s schema", spec.name);
            assert_eq!(tool.description.as_deref(), Some(spec.description));
        }
    }
    assert!(names.contains("ask"), "{names:?}");
    assert!(names.contains("root_cause") && names.contains("event_stats"), "{names:?}");
}

/// `root_cause` and `ask` give the seed's root cause; the feed resource holds the alerts.
async fn assert_root_cause_answer(client: &Client, now: Option<&str>) {
    let result = client
        .call_tool(
            CallToolRequestParams::new("root_cause").with_arguments(arguments(json!({"scope": NAMESPACE_SCOPE}))),
        )
        .await
        .expect("tools/call root_cause");
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    let output = result.structured_content.clone().expect("structured output");
    assert!(output.to_string().contains(ROOT_CAUSE), "{output:#}");
    assert!(output["evidence"]["count"].as_u64().unwrap_or(0) > 0, "{output:#}");

    let mut question = json!({
        "message": "What was the root cause of the malicious binary detected in risk-10-aws-bedrock-java?",
        "scope": "kubernetes.cluster.name=risks-aws-eks-workloads-shield",
    });
    if let Some(now) = now {
        question["now"] = json!(now);
    }
    let answer = client
        .call_tool(CallToolRequestParams::new("ask").with_arguments(arguments(question)))
        .await
        .expect("tools/call ask");
    assert_ne!(answer.is_error, Some(true), "{}", text_of(&answer));
    let text = text_of(&answer);
    assert!(text.contains(ROOT_CAUSE), "{text}");
    let structured = answer.structured_content.clone().expect("the structured answer");
    assert_eq!(structured["grounded"], true, "{structured:#}");
    assert_eq!(structured["steps"][0]["tool"], "root_cause", "{structured:#}");

    let resources = client.list_all_resources().await.expect("resources/list");
    assert!(resources.iter().any(|resource| resource.uri == "saker://events"), "{resources:?}");
    let templates = client.list_all_resource_templates().await.expect("resources/templates/list");
    assert!(
        templates.iter().any(|template| template.uri_template.starts_with("saker://events{?scope")),
        "{templates:?}"
    );
    let link = output["evidence"]["link"].as_str().expect("an evidence link");
    let uri = format!("saker://{}&limit=3", link.trim_start_matches('/'));
    let read = client.read_resource(ReadResourceRequestParams::new(uri.clone())).await.expect("resources/read");
    let Some(ResourceContents::TextResourceContents { text, .. }) = read.contents.first() else {
        panic!("no text contents for {uri}: {read:?}")
    };
    let page: Value = serde_json::from_str(text).expect("a feed page");
    assert_eq!(page["total"], output["evidence"]["count"], "{uri}: {page:#}");
    assert_eq!(page["alerts"].as_array().map(Vec::len), Some(3), "{uri}");
    let missing = client.read_resource(ReadResourceRequestParams::new("saker://nothing")).await;
    assert!(missing.is_err(), "an unknown resource is an error");
}

#[tokio::test]
async fn saker_mcp_over_stdio_answers_the_seed_root_cause() {
    let data = tempfile::tempdir().expect("tempdir");
    let loaded = run(saker(data.path()).arg("demo"));
    assert!(loaded.status.success(), "{loaded:?}");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_saker"));
    command.arg("mcp").arg("--now").arg(saker_fixtures::DEMO_NOW).env("SAKER_DATA_DIR", data.path());
    // The refused read below is logged by the SDK as a warning: keep the test's output clean.
    command.env("SAKER_LOG", "error");
    for rules in upstream_rules() {
        command.arg("--rules").arg(rules);
    }
    let transport = TokioChildProcess::new(command).expect("saker mcp starts");
    let client: Client = ().serve(transport).await.expect("MCP initialize over stdio");
    let info = client.peer_info().and_then(|info| info.server_info.clone()).expect("server info");
    assert_eq!(info.name, "saker");
    assert!(info.version.contains("commit"), "{info:?}");
    // The local user is the admin: the write tools are there.
    assert_lists_the_tools(&client, true).await;
    assert_root_cause_answer(&client, None).await;
    client.cancel().await.expect("the session closes");
}

/// A server with API tokens (viewer, analyst, responder) over the demo index.
async fn token_server() -> (String, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(TantivyStore::open(&demo_index().join("index")).expect("open index"));
    let rules = Arc::new(RulesCatalog::load(&upstream_rules()).expect("rules"));
    let sessions = SessionStore::open(data.path()).await.expect("sessions");
    let state = AppState::with_response(
        AppParts {
            store: store.into(),
            rules,
            sessions,
            backend: Backend::Planner(Planner::new()),
            ingest_log: None,
            limits: ServerLimits::default(),
        },
        ResponseParts { tokens: token_table(), actions: None, escalator: None },
    )
    .expect("state");
    let (address, stop) = super::support::serve_on_loopback(state).await;
    (format!("http://{address}/mcp"), stop, data)
}

async fn http_client(url: &str, token: Option<&str>) -> Result<Client, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    ().serve(StreamableHttpClientTransport::from_config(config)).await.map_err(|error| error.to_string())
}

#[tokio::test]
async fn mcp_over_streamable_http_is_confined_to_the_callers_role() {
    let (url, _stop, _data) = token_server().await;

    let analyst = http_client(&url, Some(ANALYST)).await.expect("MCP initialize over HTTP");
    assert_lists_the_tools(&analyst, true).await;
    assert_root_cause_answer(&analyst, Some(saker_fixtures::DEMO_NOW)).await;
    let proposal = analyst
        .call_tool(CallToolRequestParams::new("propose_response_action").with_arguments(arguments(json!({
            "scope": NAMESPACE_SCOPE, "kinds": ["kill_process"], "process": "miner"
        }))))
        .await
        .expect("tools/call propose_response_action");
    assert_ne!(proposal.is_error, Some(true), "{}", text_of(&proposal));
    assert!(proposal.structured_content.as_ref().is_some_and(|output| output["proposals"][0]["digest"].is_string()));

    let viewer = http_client(&url, Some(VIEWER)).await.expect("MCP initialize as a viewer");
    assert_lists_the_tools(&viewer, false).await;
    for tool in WRITE_TOOLS {
        let refused = viewer
            .call_tool(CallToolRequestParams::new(tool).with_arguments(arguments(json!({"scope": NAMESPACE_SCOPE}))))
            .await
            .expect("a refusal is a tool result");
        assert_eq!(refused.is_error, Some(true), "{tool}: {}", text_of(&refused));
        assert!(text_of(&refused).contains("analyst"), "{tool}: {}", text_of(&refused));
    }
    let read = viewer
        .call_tool(
            CallToolRequestParams::new("event_stats").with_arguments(arguments(json!({"scope": NAMESPACE_SCOPE}))),
        )
        .await
        .expect("tools/call event_stats");
    assert_ne!(read.is_error, Some(true), "{}", text_of(&read));

    for token in [None, Some("saker_not_a_token")] {
        let Err(error) = http_client(&url, token).await else { panic!("{token:?}: no valid token, no MCP") };
        assert!(error.contains("Auth required"), "{token:?}: {error}");
    }
    // A web page elsewhere cannot drive the MCP endpoint through the analyst's browser.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "page", "version": "1"}}});
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(ANALYST)
        .header("origin", "http://evil.example")
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .expect("POST /mcp");
    assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN);
    let body: Value = response.json().await.expect("the API's error body");
    assert_eq!(body["error"]["code"], "cross_site_request", "{body}");
    for client in [analyst, viewer] {
        client.cancel().await.expect("closes");
    }
}

#[tokio::test]
async fn a_tokenless_server_answers_mcp_only_for_loopback_host_names() {
    let server = super::server::TestServer::demo().await;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "rebinding", "version": "1"}}});
    let response = reqwest::Client::new()
        .post(server.url("/mcp"))
        .header("host", "attacker.example:7878")
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .expect("POST /mcp");
    assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN, "DNS rebinding is refused");
    let local = http_client(&server.url("/mcp"), None).await.expect("the local user, on loopback");
    assert_lists_the_tools(&local, true).await;
    local.cancel().await.expect("closes");
}
