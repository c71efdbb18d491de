//! The LLM backend end to end over the demo index, against the scripted OpenAI-compatible
//! server on loopback: the requests Saker sends (tools, delimited results), tool calls confined
//! to the analyst's scope, streaming with split tool-call deltas, retries, errors, the step
//! bound and session persistence.

use saker::conversation::{
    Answer, Backend, BackendKind, ChatEvent, ChatRequest, ConversationError, EventSink, Orchestrator, StepPhase,
    TokenUsage,
};
use saker::llm::tool_result::UNTRUSTED_DATA_WARNING;
use saker::llm::{LlmBackend, LlmSettings};
use saker_tools::analytics::ToolRegistry;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use super::scripted_model::{Reply, ScriptedModel, chunk, status, text_completion, tool_call_completion, usage_chunk};
use super::support::{demo_now, orchestrator_with};

const CLUSTER_SCOPE: &str = "kubernetes.cluster.name=risks-aws-eks-workloads-shield";
const CLUSTER_EVIDENCE_SCOPE: &str = "k8s.cluster.name=risks-aws-eks-workloads-shield";

async fn orchestrator(dir: &std::path::Path, settings: LlmSettings) -> Orchestrator {
    orchestrator_with(dir, Backend::Llm(LlmBackend::new(settings).expect("valid settings"))).await
}

fn question(message: &str) -> ChatRequest {
    ChatRequest {
        message: message.into(),
        scope: Some(CLUSTER_SCOPE.into()),
        now: Some(demo_now()),
        ..ChatRequest::default()
    }
}

fn drain(mut events: UnboundedReceiver<ChatEvent>) -> Vec<ChatEvent> {
    let mut all = Vec::new();
    while let Ok(event) = events.try_recv() {
        all.push(event);
    }
    all
}

fn deltas(events: &[ChatEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            ChatEvent::Delta { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn messages(request: &Value) -> &Vec<Value> {
    request["messages"].as_array().expect("messages")
}

/// The JSON line of a delimited tool result, checked for its delimiters and warning.
fn delimited_json(content: &str, tool: &str) -> Value {
    let lines: Vec<&str> = content.lines().collect();
    assert!(lines[0].starts_with(&format!("<tool_result name=\"{tool}\"")), "{content}");
    assert_eq!(lines[1], UNTRUSTED_DATA_WARNING);
    assert_eq!(lines.last(), Some(&"</tool_result>"));
    assert_eq!(lines.len(), 4, "{content}");
    serde_json::from_str(lines[2]).expect("the result is JSON")
}

async fn ask(orchestrator: &Orchestrator, request: ChatRequest) -> (Result<Answer, ConversationError>, Vec<ChatEvent>) {
    let (sink, events) = EventSink::channel();
    let result = orchestrator.chat(request, sink).await;
    (result, drain(events))
}

#[tokio::test]
async fn non_streaming_tool_call_then_grounded_answer() {
    let answer_text =
        "This cluster has **300** alerts ([events](/events?scope=k8s.cluster.name%3Drisks-aws-eks-workloads-shield)).";
    let model = ScriptedModel::start(vec![
        tool_call_completion(&[("call_1", "event_stats", json!({}))]),
        text_completion(answer_text, 900, 30),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), model.settings()).await;
    let (answer, events) = ask(&orchestrator, question("Summarize the events in this cluster.")).await;
    let answer = answer.expect("answered");

    assert_eq!(answer.backend, BackendKind::Llm);
    assert_eq!(answer.answer, answer_text);
    assert!(answer.grounded, "unsupported: {:?}", answer.unsupported);
    assert_eq!(answer.usage, Some(TokenUsage { prompt: 1000, completion: 40 }));
    assert_eq!(answer.steps.len(), 1);
    let step = &answer.steps[0];
    assert_eq!(step.tool, "event_stats");
    assert_eq!(step.output["evidence"]["scope"], CLUSTER_EVIDENCE_SCOPE, "confined to the analyst's scope");
    assert_eq!(step.output["total"], 300);
    assert!(
        answer.links.iter().any(|link| link.href == "/events?scope=k8s.cluster.name%3Drisks-aws-eks-workloads-shield")
    );
    // Non-streaming: the answer goes out as one delta, after the step.
    assert_eq!(deltas(&events), vec![answer_text.to_string()]);
    assert!(matches!(events.last(), Some(ChatEvent::Done(_))));

    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first["model"], "scripted-model");
    assert_eq!(first["tool_choice"], "auto");
    assert!(first.get("stream").is_none_or(|stream| stream == false));
    let registry = ToolRegistry::standard();
    let sent_tools = first["tools"].as_array().expect("tools");
    assert_eq!(sent_tools.len(), registry.specs().count());
    for spec in registry.specs() {
        let sent = sent_tools
            .iter()
            .find(|tool| tool["function"]["name"] == spec.name)
            .unwrap_or_else(|| panic!("{} was not offered", spec.name));
        assert_eq!(sent["type"], "function");
        assert_eq!(sent["function"]["description"], spec.description);
        let mut expected = spec.parameters.clone();
        let object = expected.as_object_mut().expect("schema object");
        object.remove("$schema");
        object.remove("title");
        assert_eq!(sent["function"]["parameters"], expected, "{}", spec.name);
    }
    let first_messages = messages(first);
    assert_eq!(first_messages[0]["role"], "system");
    let system = first_messages[0]["content"].as_str().expect("system text");
    assert!(system.contains(CLUSTER_SCOPE) && system.contains("already confines every tool call"), "{system}");
    assert!(system.contains("Current time: 2026-11-20T12:00:00Z"), "{system}");
    assert_eq!(first_messages.last().expect("question")["content"], "Summarize the events in this cluster.");

    let second_messages = messages(&requests[1]);
    let assistant = &second_messages[second_messages.len() - 2];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["tool_calls"][0]["id"], "call_1");
    assert_eq!(assistant["tool_calls"][0]["function"]["name"], "event_stats");
    let tool = second_messages.last().expect("tool message");
    assert_eq!(tool["role"], "tool");
    assert_eq!(tool["tool_call_id"], "call_1");
    assert_eq!(delimited_json(tool["content"].as_str().expect("content"), "event_stats"), step.output);
}

#[tokio::test]
async fn an_invented_number_makes_the_answer_ungrounded() {
    let model = ScriptedModel::start(vec![
        tool_call_completion(&[("call_1", "event_stats", json!({}))]),
        text_completion("This cluster has **301** alerts.", 900, 30),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), model.settings()).await;
    let answer = ask(&orchestrator, question("How many alerts are there?")).await.0.expect("answered");
    assert!(!answer.grounded);
    assert_eq!(answer.unsupported, vec!["301"]);
    assert_eq!(answer.backend, BackendKind::Llm);
}

#[tokio::test]
async fn a_tool_error_goes_back_to_the_model_which_fixes_its_arguments() {
    let model = ScriptedModel::start(vec![
        tool_call_completion(&[("call_1", "event_stats", json!({"group_by": ["colour"]}))]),
        tool_call_completion(&[("call_2", "event_stats", json!({"group_by": ["rule"]}))]),
        text_completion("There are **300** alerts.", 10, 5),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), model.settings()).await;
    let (answer, events) = ask(&orchestrator, question("How many alerts per rule?")).await;
    let answer = answer.expect("answered");
    assert_eq!(answer.steps.len(), 2);
    assert!(answer.steps[0].output.get("error").is_some(), "{:?}", answer.steps[0].output);
    assert!(answer.steps[1].output.get("error").is_none());
    assert!(events.iter().any(|event| matches!(event, ChatEvent::Step(step) if step.phase == StepPhase::Failed)));
    let requests = model.requests();
    let tool = messages(&requests[1]).last().expect("tool message").clone();
    let content = tool["content"].as_str().expect("content");
    assert!(content.starts_with("<tool_result name=\"event_stats\" status=\"error\">"), "{content}");
    let error = delimited_json(content, "event_stats");
    assert_eq!(error["error"], answer.steps[0].output["error"]);
    assert!(error["error"].as_str().expect("message").contains("group_by"), "{error}");
}

#[tokio::test]
async fn streaming_reassembles_parallel_tool_calls_and_streams_the_answer() {
    let call = |index: u32, id: Option<&str>, name: Option<&str>, arguments: &str| {
        let mut piece = json!({"index": index, "function": {"arguments": arguments}});
        if let Some(id) = id {
            piece["id"] = json!(id);
            piece["type"] = json!("function");
        }
        if let Some(name) = name {
            piece["function"]["name"] = json!(name);
        }
        chunk(json!({"tool_calls": [piece]}), None)
    };
    let answer_pieces = ["The cluster has ", "**300** alerts", "; `risk-10-aws-bedrock-java` ", "is impacted."];
    let mut answer_chunks: Vec<Value> = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    answer_chunks.extend(answer_pieces.iter().map(|piece| chunk(json!({"content": piece}), None)));
    answer_chunks.push(chunk(json!({}), Some("stop")));
    answer_chunks.push(usage_chunk(1200, 25));
    let model = ScriptedModel::start(vec![
        Reply::Sse(vec![
            chunk(json!({"role": "assistant", "content": null}), None),
            call(0, Some("call_a"), Some("event_stats"), ""),
            call(1, Some("call_b"), Some("impacted_workloads"), ""),
            call(0, None, None, "{\"group_by\": [\"ru"),
            call(1, None, None, "{\"scope\": \"k8s.ns.name=risk-10-"),
            call(0, None, None, "le\"], \"limit\": 3}"),
            call(1, None, None, "aws-bedrock-java\"}"),
            chunk(json!({}), Some("tool_calls")),
            usage_chunk(800, 40),
        ]),
        Reply::Sse(answer_chunks),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let settings = LlmSettings { stream: None, ..model.settings() };
    let orchestrator = orchestrator(sessions.path(), settings).await;
    let (answer, events) = ask(&orchestrator, question("Summarize the events in this cluster.")).await;
    let answer = answer.expect("answered");

    let tools: Vec<&str> = answer.steps.iter().map(|step| step.tool.as_str()).collect();
    assert_eq!(tools, ["event_stats", "impacted_workloads"]);
    assert_eq!(answer.steps[0].arguments, json!({"group_by": ["rule"], "limit": 3}));
    assert_eq!(answer.steps[1].arguments, json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java"}));
    let scope = answer.steps[1].output["evidence"]["scope"].as_str().expect("scope");
    assert!(
        scope.contains(CLUSTER_EVIDENCE_SCOPE) && scope.contains("k8s.ns.name=risk-10-aws-bedrock-java"),
        "{scope}"
    );
    assert!(answer.steps.iter().all(|step| step.output.get("error").is_none()));

    assert_eq!(answer.answer, answer_pieces.concat());
    assert!(answer.grounded, "unsupported: {:?}", answer.unsupported);
    assert_eq!(answer.usage, Some(TokenUsage { prompt: 2000, completion: 65 }));
    // Steps first (started/finished for each call, in order), then one delta per piece, then done.
    let kinds: Vec<String> = events
        .iter()
        .map(|event| match event {
            ChatEvent::Step(step) => format!("{}:{:?}", step.tool, step.phase),
            ChatEvent::Delta { .. } => "delta".into(),
            ChatEvent::Done(_) => "done".into(),
            ChatEvent::Error { .. } => "error".into(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "event_stats:Started",
            "event_stats:Finished",
            "impacted_workloads:Started",
            "impacted_workloads:Finished",
            "delta",
            "delta",
            "delta",
            "delta",
            "done"
        ]
    );
    assert_eq!(deltas(&events).concat(), answer.answer);

    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["stream"], true);
    assert_eq!(requests[0]["stream_options"]["include_usage"], true);
    let second = messages(&requests[1]);
    let tool_messages: Vec<&Value> = second.iter().filter(|message| message["role"] == "tool").collect();
    assert_eq!(tool_messages.len(), 2);
    assert_eq!(tool_messages[0]["tool_call_id"], "call_a");
    assert_eq!(tool_messages[1]["tool_call_id"], "call_b");
    assert_eq!(
        delimited_json(tool_messages[1]["content"].as_str().expect("content"), "impacted_workloads"),
        answer.steps[1].output
    );
    let assistant = second.iter().find(|message| message["role"] == "assistant").expect("assistant");
    assert_eq!(assistant["tool_calls"][0]["function"]["arguments"], "{\"group_by\": [\"rule\"], \"limit\": 3}");
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_within_the_bound() {
    // 429 (with a zero Retry-After) then success, not streaming.
    let model = ScriptedModel::start(vec![
        status(429, "rate limited", vec![("retry-after", "0".into())]),
        text_completion("Ask me about the alerts in this cluster.", 10, 5),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), model.settings()).await;
    let answer = ask(&orchestrator, question("Hello?")).await.0.expect("answered after a retry");
    assert_eq!(answer.answer, "Ask me about the alerts in this cluster.");
    assert_eq!(model.requests().len(), 2);
    assert_eq!(model.requests()[0], model.requests()[1], "the same request is sent again");

    // 503 then success, streaming.
    let model = ScriptedModel::start(vec![
        status(503, "overloaded", vec![]),
        Reply::Sse(vec![chunk(json!({"content": "Ready."}), Some("stop"))]),
    ])
    .await;
    let orchestrator =
        self::orchestrator(sessions.path(), LlmSettings { stream: Some(true), ..model.settings() }).await;
    let answer = ask(&orchestrator, question("Hello?")).await.0.expect("answered after a retry");
    assert_eq!(answer.answer, "Ready.");
    assert_eq!(model.requests().len(), 2);
}

#[tokio::test]
async fn exhausted_retries_and_refusals_are_clear_errors() {
    let model = ScriptedModel::start((0..5).map(|_| status(503, "overloaded", vec![])).collect()).await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), LlmSettings { max_retries: Some(2), ..model.settings() }).await;
    let (result, events) = ask(&orchestrator, question("Hello?")).await;
    let error = result.expect_err("retries exhausted");
    assert_eq!(error.code(), "llm_unreachable");
    let message = error.to_string();
    assert!(message.contains(&model.base_url), "{message}");
    assert!(message.contains("503") && message.contains("overloaded") && message.contains("3 attempts"), "{message}");
    assert_eq!(model.requests().len(), 3, "exactly 1 + max_retries attempts");
    assert!(matches!(events.last(), Some(ChatEvent::Error { code, .. }) if code == "llm_unreachable"));

    // A refused key is not retried and says what to check.
    let model = ScriptedModel::start(vec![status(401, "invalid api key", vec![])]).await;
    let orchestrator = self::orchestrator(sessions.path(), model.settings()).await;
    let error = ask(&orchestrator, question("Hello?")).await.0.expect_err("refused");
    assert_eq!(error.code(), "llm_error");
    let message = error.to_string();
    assert!(
        message.contains("401") && message.contains("invalid api key") && message.contains("SAKER_LLM_API_KEY"),
        "{message}"
    );
    assert_eq!(model.requests().len(), 1);
}

#[tokio::test]
async fn a_malformed_chunk_or_body_is_a_clear_llm_error() {
    let truncated_chunk = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\
        \"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n\
        data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\n\n\
        data: [DONE]\n\n";
    let model =
        ScriptedModel::start(vec![Reply::Raw { content_type: "text/event-stream", body: truncated_chunk.into() }])
            .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), LlmSettings { stream: Some(true), ..model.settings() }).await;
    let (result, events) = ask(&orchestrator, question("Hello?")).await;
    let error = result.expect_err("malformed chunk");
    assert_eq!(error.code(), "llm_error");
    assert!(error.to_string().contains("not a chat completion chunk"), "{error}");
    assert!(matches!(events.last(), Some(ChatEvent::Error { code, .. }) if code == "llm_error"));

    let model = ScriptedModel::start(vec![Reply::Raw {
        content_type: "application/json",
        body: "{\"id\": \"x\", \"choices\": ".into(),
    }])
    .await;
    let orchestrator = self::orchestrator(sessions.path(), model.settings()).await;
    let error = ask(&orchestrator, question("Hello?")).await.0.expect_err("malformed body");
    assert_eq!(error.code(), "llm_error");
    assert!(error.to_string().contains("not a chat completion"), "{error}");

    // A server that ignores `stream: true` and sends one JSON body.
    let Reply::Json(whole) = text_completion("Hello.", 1, 1) else { unreachable!("a JSON reply") };
    let model =
        ScriptedModel::start(vec![Reply::Raw { content_type: "application/json", body: whole.to_string() }]).await;
    let orchestrator =
        self::orchestrator(sessions.path(), LlmSettings { stream: Some(true), ..model.settings() }).await;
    let error = ask(&orchestrator, question("Hello?")).await.0.expect_err("no stream");
    assert_eq!(error.code(), "llm_error");
    assert!(error.to_string().contains("`llm.stream: false`"), "{error}");

    let model =
        ScriptedModel::start(vec![Reply::Raw { content_type: "text/plain", body: "404 page not found".into() }]).await;
    let orchestrator = self::orchestrator(sessions.path(), model.settings()).await;
    let error = ask(&orchestrator, question("Hello?")).await.0.expect_err("not an API");
    assert!(error.to_string().contains("ends in /v1"), "{error}");
}

#[tokio::test]
async fn an_unreachable_endpoint_says_what_to_check() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let base_url = format!("http://127.0.0.1:{port}/v1");
    let settings = LlmSettings { base_url: Some(base_url.clone()), model: Some("m".into()), ..LlmSettings::default() };
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), settings).await;
    let (result, events) = ask(&orchestrator, question("Hello?")).await;
    let error = result.expect_err("unreachable");
    assert_eq!(error.code(), "llm_unreachable");
    let message = error.to_string();
    assert!(message.contains(&base_url), "{message}");
    assert!(message.contains("cannot connect") && message.contains("SAKER_LLM_BASE_URL"), "{message}");
    assert!(matches!(events.last(), Some(ChatEvent::Error { code, .. }) if code == "llm_unreachable"));
}

#[tokio::test]
async fn the_step_bound_ends_with_a_graceful_answer() {
    let always_a_tool = tool_call_completion(&[("call_x", "event_stats", json!({}))]);
    let model = ScriptedModel::start_then_repeat(vec![], always_a_tool).await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), LlmSettings { max_steps: Some(3), ..model.settings() }).await;
    let (answer, events) = ask(&orchestrator, question("Summarize the events in this cluster.")).await;
    let answer = answer.expect("a graceful answer");
    let requests = model.requests();
    assert_eq!(requests.len(), 4, "3 steps with tools, then one call without");
    for request in &requests[..3] {
        assert_eq!(request["tool_choice"], "auto");
    }
    assert_eq!(requests[3]["tool_choice"], "none");
    let last = messages(&requests[3]).last().expect("message").clone();
    assert_eq!(last["role"], "user");
    assert!(last["content"].as_str().expect("text").contains("Do not call any tool"), "{last}");
    assert_eq!(answer.steps.len(), 3);
    assert!(answer.answer.starts_with("I reached the limit of tool calls"), "{}", answer.answer);
    assert!(answer.answer.contains("Tools that ran: event_stats."), "{}", answer.answer);
    assert!(answer.grounded, "unsupported: {:?}", answer.unsupported);
    assert_eq!(deltas(&events).concat(), answer.answer);

    // A model that answers when told to stop gets its answer through.
    let model = ScriptedModel::start(vec![
        tool_call_completion(&[("call_1", "event_stats", json!({}))]),
        tool_call_completion(&[("call_2", "event_stats", json!({"group_by": ["rule"]}))]),
        text_completion("**300** alerts.", 10, 5),
    ])
    .await;
    let orchestrator =
        self::orchestrator(sessions.path(), LlmSettings { max_steps: Some(2), ..model.settings() }).await;
    let answer = ask(&orchestrator, question("Summarize.")).await.0.expect("answered");
    assert_eq!(answer.answer, "**300** alerts.");
    assert_eq!(model.requests()[2]["tool_choice"], "none");
}

#[tokio::test]
async fn the_session_keeps_the_llm_turn_and_the_next_turn_sees_it() {
    let first_text = "**140** alerts in `risk-10-aws-bedrock-java`.";
    let model = ScriptedModel::start(vec![
        tool_call_completion(&[("call_1", "event_stats", json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java"}))]),
        text_completion(first_text, 10, 5),
        tool_call_completion(&[(
            "call_2",
            "impacted_workloads",
            json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java"}),
        )]),
        text_completion("One workload: `risk-10-aws-bedrock-java`.", 10, 5),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), model.settings()).await;
    let first = ask(&orchestrator, question("How many alerts in risk-10-aws-bedrock-java?")).await.0.expect("first");
    assert_eq!(first.answer, first_text);
    assert_eq!(first.steps[0].output["total"], 140);
    drop(orchestrator);

    // A fresh orchestrator on the same database: the stored turn is the answer as returned.
    let orchestrator = self::orchestrator(sessions.path(), model.settings()).await;
    let session = orchestrator.sessions().load(&first.session_id).await.expect("load");
    assert_eq!(session.turns.len(), 1);
    assert_eq!(session.turns[0].answer, first);
    assert_eq!(session.turns[0].answer.backend, BackendKind::Llm);
    assert_eq!(session.focus.namespace.as_deref(), Some("risk-10-aws-bedrock-java"));
    assert_eq!(session.focus.topic.as_deref(), Some("event_stats"));

    let second = ask(
        &orchestrator,
        ChatRequest {
            session_id: Some(first.session_id.clone()),
            message: "How many workloads were impacted?".into(),
            now: Some(demo_now()),
            ..ChatRequest::default()
        },
    )
    .await
    .0
    .expect("second");
    assert_eq!(second.turn, 2);
    assert_eq!(second.scope, CLUSTER_SCOPE, "the session's scope carries over");
    let requests = model.requests();
    let turn_two = messages(&requests[2]);
    let system = turn_two[0]["content"].as_str().expect("system");
    assert!(system.contains("`k8s.ns.name=risk-10-aws-bedrock-java`"), "the focus is in the prompt: {system}");
    let roles: Vec<&str> = turn_two.iter().map(|message| message["role"].as_str().expect("role")).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(turn_two[1]["content"], "How many alerts in risk-10-aws-bedrock-java?");
    assert_eq!(turn_two[2]["content"], first_text);
    assert_eq!(turn_two[3]["content"], "How many workloads were impacted?");
    let session = orchestrator.sessions().load(&first.session_id).await.expect("load");
    assert_eq!(session.turns.len(), 2);
    assert_eq!(session.turns[1].answer.steps[0].tool, "impacted_workloads");
    assert_eq!(session.focus.topic.as_deref(), Some("impacted_workloads"));
}
