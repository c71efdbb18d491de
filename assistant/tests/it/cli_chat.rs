//! `saker ask`, `saker chat` and `saker serve` as a user runs them: the real binary over a data
//! directory filled by `saker demo`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::support::{run, saker, stderr, stdout, upstream_rules};

const SEED_SCOPE: &str = "kubernetes.cluster.name=risks-aws-eks-workloads-shield";

/// A data directory with the demo scenarios, loaded once by `saker demo` and shared (each test
/// makes its own sessions in it).
fn demo_data_dir() -> &'static Path {
    use std::sync::OnceLock;
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = run(saker(dir.path()).args(["demo", "--data-dir"]).arg(dir.path()));
        assert!(output.status.success(), "saker demo failed: {}", stderr(&output));
        dir
    })
    .path()
}

/// `saker` over `data_dir` with no model configured, whatever the environment says.
fn assistant(data_dir: &Path) -> Command {
    let mut command = saker(data_dir);
    for name in ["SAKER_CONFIG", "SAKER_LLM_BASE_URL", "SAKER_LLM_MODEL", "SAKER_LLM_API_KEY", "OPENAI_API_KEY"] {
        command.env_remove(name);
    }
    command
}

fn rules_arguments() -> Vec<String> {
    upstream_rules().iter().flat_map(|path| ["--rules".to_string(), path.display().to_string()]).collect()
}

fn ask_json(data_dir: &Path, extra: &[&str], question: &str) -> Value {
    let output = run(assistant(data_dir)
        .args(["ask", "--json", "--now", saker_fixtures::DEMO_NOW])
        .args(rules_arguments())
        .args(extra)
        .arg(question));
    assert!(output.status.success(), "saker ask failed: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("stdout is exactly one JSON object")
}

#[test]
fn ask_json_prints_the_structured_answer_and_sessions_continue() {
    let data_dir = demo_data_dir();
    let answer = ask_json(data_dir, &["--scope", SEED_SCOPE], "Summarize the events in this cluster.");
    assert!(answer["session_id"].as_str().is_some_and(|id| !id.is_empty()), "{answer}");
    assert_eq!(answer["language"], "en");
    assert!(answer["answer"].as_str().is_some_and(|text| !text.trim().is_empty()));
    assert_eq!(answer["backend"], "planner");
    assert_eq!(answer["scope"], SEED_SCOPE);
    assert!(answer["grounded"].is_boolean());
    let steps = answer["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    for step in steps {
        assert!(step["tool"].is_string() && step["arguments"].is_object() && step["output"].is_object(), "{step}");
    }
    assert!(answer["links"].as_array().is_some_and(|links| {
        links.iter().all(|link| link["href"].as_str().is_some_and(|href| href.starts_with("/events?")))
    }));

    let session_id = answer["session_id"].as_str().expect("id");
    let next = ask_json(data_dir, &["--session", session_id], "このクラスタのイベントを要約してください。");
    assert_eq!(next["session_id"], session_id);
    assert_eq!(next["turn"], 2);
    assert_eq!(next["language"], "ja");
    assert_eq!(next["scope"], SEED_SCOPE, "the session's scope carries over");
}

#[test]
fn ask_streams_the_answer_to_stdout_and_the_rest_to_stderr() {
    let data_dir = demo_data_dir();
    let question = "How many workloads were impacted?";
    let output = run(assistant(data_dir)
        .args(["ask", "--now", saker_fixtures::DEMO_NOW, "--scope", SEED_SCOPE])
        .args(rules_arguments())
        .arg(question));
    assert!(output.status.success(), "{}", stderr(&output));
    let reference = ask_json(data_dir, &["--scope", SEED_SCOPE], question);
    assert_eq!(stdout(&output).trim_end(), reference["answer"].as_str().expect("answer").trim_end());
    let errors = stderr(&output);
    let session_lines: Vec<&str> = errors.lines().filter(|line| line.starts_with("session: ")).collect();
    assert_eq!(session_lines.len(), 1, "{errors}");
    assert!(errors.lines().any(|line| line.starts_with('[')), "a tool step line: {errors}");
    assert!(errors.contains("/events?scope="), "the event-feed links: {errors}");
}

#[test]
fn chat_reads_questions_and_commands_from_a_pipe_on_one_session() {
    let data_dir = demo_data_dir();
    let mut child = assistant(data_dir)
        .args(["chat", "--now", saker_fixtures::DEMO_NOW])
        .args(rules_arguments())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("saker chat starts");
    let script = format!(
        "Summarize the events.\n/scope {SEED_SCOPE}\n/scope k8s.ns.name in (\nHow many workloads were impacted?\n\
         /session\n/bogus\n/quit\nThis is never asked.\n"
    );
    child.stdin.take().expect("stdin").write_all(script.as_bytes()).expect("write the script");
    let output = child.wait_with_output().expect("saker chat ends");
    let errors = stderr(&output);
    assert!(output.status.success(), "{errors}");

    let ids: Vec<&str> = errors.lines().filter_map(|line| line.strip_prefix("session: ")).collect();
    assert_eq!(ids.len(), 2, "announced once, then shown by /session: {errors}");
    assert_eq!(ids[0], ids[1], "both questions on one session");
    assert!(errors.contains(&format!("scope: {SEED_SCOPE}")), "{errors}");
    assert!(errors.contains("saker: error: invalid scope"), "a bad /scope is reported: {errors}");
    assert!(errors.contains("unknown command /bogus"), "{errors}");

    // The session holds exactly the two questions, the second confined to the scope set.
    let next = ask_json(data_dir, &["--session", ids[0]], "List the attack path.");
    assert_eq!(next["turn"], 3, "the quit stopped the third line: {}", stdout(&output));
    assert_eq!(next["scope"], SEED_SCOPE);
}

#[test]
fn serve_prints_its_address_answers_and_stops_on_sigterm() {
    let data_dir = demo_data_dir();
    let mut child = assistant(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(rules_arguments())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("saker serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a first line").expect("readable");
    let address = first.strip_prefix("listening on ").expect("`listening on http://ADDR`").to_string();
    assert!(address.starts_with("http://127.0.0.1:") && !address.ends_with(":0"), "{address}");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let health: Value = runtime.block_on(async {
        reqwest::get(format!("{address}/healthz")).await.expect("GET /healthz").json().await.expect("JSON")
    });
    assert_eq!(health["status"], "ok");
    assert!(health["alerts"].as_u64().unwrap_or(0) > 500, "{health}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("the server exits");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
}

#[test]
fn bad_scope_unknown_session_empty_store_and_bad_config_are_clear_errors() {
    let data_dir = demo_data_dir();
    let output = run(assistant(data_dir).args(["ask", "--scope", "k8s.ns.name in (a", "hi"]));
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(errors.starts_with("saker: error: invalid scope"), "{errors}");
    assert!(errors.contains("k8s.ns.name in (a"), "{errors}");
    assert!(stdout(&output).is_empty());

    let output = run(assistant(data_dir).args(["ask", "--session", "no-such-session", "hi"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no session with id \"no-such-session\""), "{}", stderr(&output));

    let empty = tempfile::tempdir().expect("tempdir");
    let output = run(assistant(empty.path()).args(["ask", "hi"]));
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(errors.contains("holds no alerts") && errors.contains("saker demo"), "{errors}");

    let configured = tempfile::tempdir().expect("tempdir");
    let config: PathBuf = configured.path().join("saker.yaml");
    std::fs::write(&config, "llm:\n  base_url: http://127.0.0.1:9/v1\n  modle: x\n").expect("write config");
    let output = run(assistant(data_dir).args(["ask", "--config"]).arg(&config).arg("hi"));
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(errors.contains("modle") && errors.contains("line 3"), "{errors}");
}
