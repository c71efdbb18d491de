//! The false-positive conversation of ../shared/seeds/003_* through the planner, in English and
//! Japanese: triage of the nightly `rm /var/log/dpkg.log` in the httpd pod, then the exception
//! for it; and triage of the true positives, which must not come out benign.

use saker::conversation::{Answer, ChatRequest, EventSink, Language, Orchestrator};
use serde_json::Value;

use super::support::{demo_now, demo_orchestrator};

/// The analyst's view: the cluster of the false positive.
const STAGING: &str = "kubernetes.cluster.name=staging-ocp";

async fn ask(orchestrator: &Orchestrator, session: Option<&str>, scope: &str, question: &str) -> Answer {
    let request = ChatRequest {
        session_id: session.map(String::from),
        message: question.to_string(),
        scope: Some(scope.to_string()),
        now: Some(demo_now()),
        ..ChatRequest::default()
    };
    let answer = orchestrator.chat(request, EventSink::discard()).await.expect("the turn is answered");
    assert!(answer.grounded, "{question}: ungrounded {:?}\n{}", answer.unsupported, answer.answer);
    assert!(
        answer.steps.iter().all(|step| step.output.get("error").is_none()),
        "{question}: a tool failed\n{}",
        answer.answer
    );
    answer
}

/// The fixture's false-positive alerts, straight from the scenario file.
fn false_positive_alerts() -> Vec<Value> {
    saker_fixtures::scenario_files()
        .iter()
        .filter(|(name, _)| *name == "false_positive")
        .flat_map(|(_, text)| text.lines())
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("fixture line is JSON"))
        .collect()
}

async fn triage_then_exception(language: Language) {
    let alerts = false_positive_alerts();
    let command = alerts[0]["output_fields"]["proc.cmdline"].as_str().expect("cmdline").to_string();
    let (triage_question, exception_question) = match language {
        Language::En => {
            ("Is this likely a false positive?", "It was intended. Give me the exception for the Rules Editor.")
        }
        Language::Ja => (
            "この検知イベントは誤検知である可能性は高いですか?低いですか?",
            "このイベントは意図する操作の結果、発生したものでした。Rules Editorにて検知除外とするException記述を教えてください。",
        ),
    };
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;

    let triage = ask(&orchestrator, None, STAGING, triage_question).await;
    assert_eq!(triage.language, language);
    let tools: Vec<&str> = triage.steps.iter().map(|step| step.tool.as_str()).collect();
    assert_eq!(tools, vec!["assess_false_positive"]);
    let output = &triage.steps[0].output;
    assert_eq!(output["likelihood"], "high");
    assert_eq!(output["evidence"]["count"].as_u64(), Some(alerts.len() as u64));
    for fact in [alerts.len().to_string(), "03:15".to_string(), command] {
        assert!(triage.answer.contains(&fact), "the triage lacks {fact:?}:\n{}", triage.answer);
    }
    let decision = if language == Language::En { "a human decides" } else { "人が判断してください" };
    assert!(triage.answer.contains(decision), "{}", triage.answer);

    // The exception for the same alerts: no names in the question, the focus carries over.
    let session = Some(triage.session_id.as_str());
    let exception = ask(&orchestrator, session, STAGING, exception_question).await;
    let tools: Vec<&str> = exception.steps.iter().map(|step| step.tool.as_str()).collect();
    assert_eq!(tools, vec!["generate_exception"]);
    let output = &exception.steps[0].output;
    assert_eq!(output["rule"], "Clear Log Activities");
    assert_eq!(output["validation"]["valid"], true, "{}", exception.answer);
    assert_eq!(output["preview"]["suppressed"]["count"].as_u64(), Some(alerts.len() as u64));
    assert_eq!(output["preview"]["remaining"].as_u64(), Some(0));
    // The ground truth's fields, from the fixture alerts themselves.
    let first = &alerts[0]["output_fields"];
    for (field, value) in [("proc.name", "rm"), ("fd.name", "/var/log/dpkg.log")] {
        assert_eq!(first[field], value);
        assert!(exception.answer.contains(value), "the exception lacks {value}:\n{}", exception.answer);
    }
    assert!(exception.answer.contains("- rule: Clear Log Activities"), "{}", exception.answer);
    assert!(exception.answer.contains("override:"), "{}", exception.answer);
    assert!(exception.answer.contains("falco_rules.local.yaml"), "{}", exception.answer);
}

#[tokio::test]
async fn the_false_positive_conversation_in_english() {
    triage_then_exception(Language::En).await;
}

#[tokio::test]
async fn the_false_positive_conversation_in_japanese() {
    triage_then_exception(Language::Ja).await;
}

#[tokio::test]
async fn true_positives_are_not_called_benign() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    for (scope, question) in [
        ("kubernetes.cluster.name=risks-aws-eks-workloads-shield", "Is the miner in risk-10 a false positive?"),
        ("kubernetes.cluster.name=prod-web-eks", "web 名前空間のアラートは誤検知ですか?"),
    ] {
        let answer = ask(&orchestrator, None, scope, question).await;
        assert_eq!(answer.steps[0].tool, "assess_false_positive");
        assert_eq!(answer.steps[0].output["likelihood"], "low", "{question}\n{}", answer.answer);
    }
}

/// The first exception Sysdig Sage wrote in the seed (`shared/seeds/003_*`), as pasted by an
/// analyst, and its corrected form.
const SEED_BROKEN: &str = "exceptions: \n-\tSyscalls:\n  #'rm'コマンドが特定のログファイルを削除する場合を例外とする\ncondition: >\n  proc.name = rm and fd.name= /var/log/dpkg.log\n# 特定のコンテナに対して例外を指定する場合\n   -condition: container.name = httpd\n   # 特定のユーザに対して例外を指定する場合\n-condition: user.name = root\n";
const SEED_CORRECTED: &str = "- rule: Clear Log Activities\n  exceptions:\n    - name: maintenance_rm_commands\n      fields: [user.name, proc.pname, proc.name, proc.cmdline]\n      comps: [=, =, =, contains]\n      values:\n        - [root, bash, rm, dpkg.log]\n  override:\n    exceptions: append\n";

#[tokio::test]
async fn a_pasted_exception_is_validated_with_the_lines_named() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    for (question, valid) in [
        (format!("Is this exception valid?\n```yaml\n{SEED_BROKEN}```"), false),
        (format!("この例外記述は正しいですか?検証してください。\n```yaml\n{SEED_BROKEN}```"), false),
        (format!("Check this exception:\n{SEED_CORRECTED}"), true),
    ] {
        let answer = ask(&orchestrator, None, "", &question).await;
        assert_eq!(answer.steps.len(), 1, "{question}");
        assert_eq!(answer.steps[0].tool, "validate_exception");
        assert_eq!(answer.steps[0].output["valid"], valid, "{}", answer.answer);
        if !valid {
            // The YAML error on line 7 and the missing exception name on line 2 are named.
            for line in ["7", "2"] {
                assert!(
                    answer.answer.contains(&format!("line {line}**")) || answer.answer.contains(&format!("{line}行目")),
                    "line {line} is not named:\n{}",
                    answer.answer
                );
            }
        }
    }
}
