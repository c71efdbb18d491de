//! The `saker` binary configured for a model through the environment and through the config
//! file: the same `ask` answers through the LLM backend against a scripted OpenAI-compatible
//! server on loopback.

use std::path::Path;

use serde_json::{Value, json};

use super::scripted_model::{Reply, ScriptedModel, chunk, text_completion, tool_call_completion, usage_chunk};
use super::support::{saker, stderr, stdout, upstream_rules};

const SEED_SCOPE: &str = "kubernetes.cluster.name=risks-aws-eks-workloads-shield";

/// A model that counts the alerts in scope, then answers with the count.
async fn counting_model() -> ScriptedModel {
    ScriptedModel::start(vec![
        tool_call_completion(&[("call_1", "event_stats", json!({"group_by": ["namespace"]}))]),
        text_completion("There are **300** alerts in this cluster, most in `risk-10-aws-bedrock-java` (140).", 900, 40),
    ])
    .await
}

/// The same model, streaming: the tool call's arguments and the answer split across chunks.
async fn streaming_counting_model() -> ScriptedModel {
    ScriptedModel::start(vec![
        Reply::Sse(vec![
            chunk(
                json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                "function": {"name": "event_stats", "arguments": "{\"group_by\": "}}]}),
                None,
            ),
            chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "[\"namespace\"]}"}}]}), None),
            chunk(json!({}), Some("tool_calls")),
            usage_chunk(900, 12),
        ]),
        Reply::Sse(vec![
            chunk(json!({"role": "assistant", "content": "There are **300** alerts "}), None),
            chunk(json!({"content": "in this cluster, most in `risk-10-aws-bedrock-java` (140)."}), None),
            chunk(json!({}), Some("stop")),
            usage_chunk(1200, 30),
        ]),
    ])
    .await
}

/// Runs `saker ask --json` off the async threads (the scripted model serves on them).
async fn ask(data_dir: &Path, environment: Vec<(&'static str, String)>, extra: Vec<String>) -> Value {
    let data_dir = data_dir.to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = saker(&data_dir);
        for name in ["SAKER_CONFIG", "SAKER_LLM_BASE_URL", "SAKER_LLM_MODEL", "SAKER_LLM_API_KEY", "OPENAI_API_KEY"] {
            command.env_remove(name);
        }
        command.envs(environment);
        command.args(["ask", "--json", "--now", saker_fixtures::DEMO_NOW, "--scope", SEED_SCOPE]);
        for rules in upstream_rules() {
            command.arg("--rules").arg(rules);
        }
        command.args(extra).arg("Summarize the events in this cluster.");
        command.output().expect("saker runs")
    })
    .await
    .expect("the command finishes");
    assert!(output.status.success(), "saker ask failed: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("one JSON object")
}

fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = saker(dir.path()).args(["demo", "--data-dir"]).arg(dir.path()).output().expect("saker runs");
    assert!(output.status.success(), "saker demo failed: {}", stderr(&output));
    dir
}

fn assert_answered_by_the_model(answer: &Value, model: &ScriptedModel) {
    assert_eq!(answer["backend"], "llm");
    assert_eq!(answer["grounded"], true, "{answer}");
    assert_eq!(answer["steps"][0]["tool"], "event_stats");
    assert_eq!(answer["steps"][0]["output"]["evidence"]["scope"], "k8s.cluster.name=risks-aws-eks-workloads-shield");
    assert!(answer["answer"].as_str().is_some_and(|text| text.contains("300")));
    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["model"], "scripted-model");
    assert!(requests[0]["tools"].as_array().is_some_and(|tools| tools.len() >= 9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_through_a_model_named_in_the_environment() {
    let dir = demo_dir();
    let model = streaming_counting_model().await;
    let environment = vec![
        ("SAKER_LLM_BASE_URL", model.base_url.clone()),
        ("SAKER_LLM_MODEL", "scripted-model".to_string()),
        ("SAKER_LLM_API_KEY", "test-key".to_string()),
    ];
    let answer = ask(dir.path(), environment, Vec::new()).await;
    assert_answered_by_the_model(&answer, &model);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_through_a_model_named_in_the_config_file() {
    let dir = demo_dir();
    let model = counting_model().await;
    let config = dir.path().join("saker.yaml");
    std::fs::write(
        &config,
        format!("llm:\n  base_url: {}\n  model: scripted-model\n  stream: false\n", model.base_url),
    )
    .expect("write config");
    let answer = ask(dir.path(), Vec::new(), vec!["--config".into(), config.display().to_string()]).await;
    assert_answered_by_the_model(&answer, &model);
}
