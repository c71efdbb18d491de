//! The false-positive conversation of ../shared/seeds/003_* through the LLM backend, against the
//! scripted OpenAI-compatible server: triage, then an exception the model fills as the
//! `validate_exception` schema's structured object, refused, repaired within the bound, and
//! shown only once valid; a model that cannot repair within two attempts is stopped, and a
//! snippet that never passed is flagged in the answer.

use saker::conversation::{Answer, Backend, ChatRequest, EventSink, Language, Orchestrator};
use saker::llm::{LlmBackend, LlmSettings};
use serde_json::{Value, json};

use super::scripted_model::{ScriptedModel, text_completion, tool_call_completion};
use super::support::{demo_now, orchestrator_with};

const STAGING: &str = "kubernetes.cluster.name=staging-ocp";

async fn orchestrator(dir: &std::path::Path, settings: LlmSettings) -> Orchestrator {
    orchestrator_with(dir, Backend::Llm(LlmBackend::new(settings).expect("valid settings"))).await
}

async fn ask(orchestrator: &Orchestrator, session: Option<&str>, message: &str) -> Answer {
    let request = ChatRequest {
        session_id: session.map(String::from),
        message: message.into(),
        scope: Some(STAGING.into()),
        now: Some(demo_now()),
        ..ChatRequest::default()
    };
    orchestrator.chat(request, EventSink::discard()).await.expect("the turn is answered")
}

/// The exception the model fills, with `comps` as given.
fn exception(comps: Value) -> Value {
    json!({"exception": {
        "rule": "Clear Log Activities",
        "exceptions": [{
            "name": "httpd_rm_dpkg_log",
            "fields": ["container.image.repository", "proc.name", "fd.name"],
            "comps": comps,
            "values": [["httpd", "rm", "/var/log/dpkg.log"]]
        }],
        "override": {"exceptions": "append"}
    }})
}

const VALID_YAML: &str = "- rule: Clear Log Activities\n  exceptions:\n    - name: httpd_rm_dpkg_log\n      fields: [container.image.repository, proc.name, fd.name]\n      comps: [=, =, =]\n      values:\n        - [httpd, rm, /var/log/dpkg.log]\n  override:\n    exceptions: append";

/// The tool results the model received in a request, by tool.
fn results_of(request: &Value, tool: &str) -> Vec<Value> {
    request["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|message| message["role"] == "tool")
        .filter_map(|message| message["content"].as_str())
        .filter(|content| content.starts_with(&format!("<tool_result name=\"{tool}\"")))
        .map(|content| serde_json::from_str(content.lines().nth(2).expect("json line")).expect("json"))
        .collect()
}

#[tokio::test]
async fn triage_then_a_repaired_exception_shown_only_once_valid() {
    for language in [Language::En, Language::Ja] {
        triage_then_exception(language).await;
    }
}

async fn triage_then_exception(language: Language) {
    let (triage_question, exception_question) = match language {
        Language::En => {
            ("Is this likely a false positive?", "It was intended. Give me the exception for the Rules Editor.")
        }
        Language::Ja => (
            "この検知イベントは誤検知である可能性は高いですか?低いですか?",
            "このイベントは意図する操作の結果、発生したものでした。Rules Editorにて検知除外とするException記述を教えてください。",
        ),
    };
    let model = ScriptedModel::start(vec![
        // Turn 1: triage.
        tool_call_completion(&[("call_1", "assess_false_positive", json!({}))]),
        text_completion("The likelihood that these alerts are benign is **high**: `rm /var/log/dpkg.log` ran at 03:15 UTC every day. A human decides.", 1000, 40),
        // Turn 2: a first attempt with an operator Falco does not know, then the repair.
        tool_call_completion(&[("call_2", "validate_exception", exception(json!(["=", "no-comp", "="])))]),
        tool_call_completion(&[("call_3", "validate_exception", exception(json!(["=", "=", "="])))]),
        text_completion(&format!("Here is the exception for `falco_rules.local.yaml`:\n\n```yaml\n{VALID_YAML}\n```"), 1500, 90),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), model.settings()).await;

    let triage = ask(&orchestrator, None, triage_question).await;
    assert_eq!(triage.language, language);
    assert_eq!(triage.steps[0].tool, "assess_false_positive");
    assert_eq!(triage.steps[0].output["likelihood"], "high");
    assert_eq!(triage.steps[0].output["evidence"]["scope"], "k8s.cluster.name=staging-ocp");
    assert!(triage.grounded, "{:?}", triage.unsupported);

    let answer = ask(&orchestrator, Some(&triage.session_id), exception_question).await;
    assert_eq!(answer.language, language);
    let tools: Vec<&str> = answer.steps.iter().map(|step| step.tool.as_str()).collect();
    // The two validations the model asked for, then Saker's own check of the snippet it shows.
    assert_eq!(tools, vec!["validate_exception", "validate_exception", "validate_exception"]);
    assert_eq!(answer.steps[0].output["valid"], false);
    assert_eq!(answer.steps[1].output["valid"], true);
    assert_eq!(answer.steps[2].output["valid"], true);
    assert_eq!(answer.steps[2].arguments["yaml"], VALID_YAML);
    assert!(!answer.answer.contains("did not pass"), "{}", answer.answer);

    // The model was told the answer's language and exactly what was wrong, with the place.
    let requests = model.requests();
    let system = requests[2]["messages"][0]["content"].as_str().unwrap_or_default();
    let language_name = if language == Language::En { "Answer in English" } else { "Answer in Japanese" };
    assert!(system.contains(language_name), "{system}");
    let repair_request = &requests[3];
    let first = &results_of(repair_request, "validate_exception")[0];
    let problem = &first["problems"][0];
    assert!(problem["message"].as_str().is_some_and(|message| message.contains("no-comp")), "{first}");
    assert_eq!(problem["path"], "/exceptions/0/comps/1");
    // The structured object's schema is the project's own type, offered as the tool's parameters.
    let tools = requests[2]["tools"].as_array().expect("tools");
    let validate = tools.iter().find(|tool| tool["function"]["name"] == "validate_exception").expect("offered");
    assert!(validate["function"]["parameters"].to_string().contains("RuleExceptions"), "{validate}");
}

#[tokio::test]
async fn repairs_are_bounded_and_an_unvalidated_snippet_is_flagged() {
    let broken = || tool_call_completion(&[("call", "validate_exception", exception(json!(["=", "no-comp", "="])))]);
    let shown = "- rule: Clear Log Activities\n  exceptions:\n    - name: httpd_rm_dpkg_log\n      fields: [container.image.repository, proc.name, fd.name]\n      comps: [=, no-comp, =]\n      values:\n        - [httpd, rm, /var/log/dpkg.log]";
    let model = ScriptedModel::start(vec![
        broken(),
        broken(),
        broken(),
        // After the third failure Saker asks for an answer without tools; the model shows the
        // broken snippet anyway.
        text_completion(&format!("Try this:\n\n```yaml\n{shown}\n```"), 2000, 60),
    ])
    .await;
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = orchestrator(sessions.path(), model.settings()).await;
    let answer = ask(&orchestrator, None, "Write a Falco exception for these alerts.").await;
    let requests = model.requests();
    assert_eq!(requests.len(), 4, "three attempts, then one call without tools");
    assert_eq!(requests[3]["tool_choice"], "none");
    let last_message = requests[3]["messages"].as_array().and_then(|messages| messages.last()).expect("message");
    assert!(last_message["content"].as_str().is_some_and(|text| text.contains("no more repairs")), "{last_message}");
    let validations = answer.steps.iter().filter(|step| step.tool == "validate_exception").count();
    assert_eq!(validations, 4, "three by the model, one by Saker on the answer");
    assert!(answer.answer.contains("did not pass Saker's validation"), "{}", answer.answer);
    assert!(answer.answer.contains("no-comp"), "{}", answer.answer);
}
