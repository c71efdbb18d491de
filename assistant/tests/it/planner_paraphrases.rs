//! Single-turn questions through the planner, in many wordings and both languages: the tools
//! it calls and the arguments that matter (scope terms, time range, grouping, category), and
//! that every answer is grounded, in the question's language and leads to the event feed.

use saker::conversation::{Answer, ChatRequest, EventSink, Language, Orchestrator};
use serde_json::Value;

use super::support::{demo_now, demo_orchestrator};

const SHIELD: &str = "kubernetes.cluster.name=risks-aws-eks-workloads-shield";
const RECON: &str = "kubernetes.cluster.name=prod-recon-eks";

/// What a call's arguments must show.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// The call's `scope` argument contains this text.
    Scope(usize, &'static str),
    /// The call's `scope` argument does not contain this text.
    NotScope(usize, &'static str),
    /// The argument at this JSON pointer equals this JSON value.
    Arg(usize, &'static str, &'static str),
    /// The argument at this JSON pointer is absent.
    NoArg(usize, &'static str),
}

struct Case {
    question: &'static str,
    scope: &'static str,
    tools: &'static [&'static str],
    checks: &'static [Check],
}

const fn case(
    question: &'static str,
    scope: &'static str,
    tools: &'static [&'static str],
    checks: &'static [Check],
) -> Case {
    Case { question, scope, tools, checks }
}

use Check::{Arg, NoArg, NotScope, Scope};

const SUMMARY: &[&str] = &["event_stats"];
const REPORT: &[&str] =
    &["event_stats", "root_cause", "attack_path", "mitre_mapping", "impacted_workloads", "suggest_remediation"];

const CASES: &[Case] = &[
    // Summaries.
    case(
        "Summarize the events in this cluster.",
        SHIELD,
        SUMMARY,
        &[Arg(0, "/group_by/0", "\"rule\""), NoArg(0, "/scope")],
    ),
    case("Give me an overview of what happened.", SHIELD, SUMMARY, &[NoArg(0, "/last")]),
    case("What's going on in prod-recon-eks?", "", SUMMARY, &[Scope(0, "k8s.cluster.name=prod-recon-eks")]),
    case(
        "Brief me on risk-3-aws-s3-exposed-python.",
        SHIELD,
        SUMMARY,
        &[Scope(0, "k8s.ns.name=risk-3-aws-s3-exposed-python")],
    ),
    case("このクラスタのイベントを要約してください。", SHIELD, SUMMARY, &[NoArg(0, "/scope")]),
    case("storefront 名前空間で何が起きていますか?", RECON, SUMMARY, &[Scope(0, "k8s.ns.name=storefront")]),
    case(
        "昨日のアラートの概要を教えて",
        "",
        SUMMARY,
        &[Arg(0, "/since", "\"2026-11-19T00:00:00Z\""), Arg(0, "/until", "\"2026-11-20T00:00:00Z\"")],
    ),
    case("Summarize the last 24 hours.", "", SUMMARY, &[Arg(0, "/last", "\"24h\"")]),
    // Reports.
    case("Write a detailed investigation report.", SHIELD, REPORT, &[]),
    case(
        "Can you put together an incident report for risk-10?",
        SHIELD,
        REPORT,
        &[Scope(0, "k8s.ns.name=risk-10-aws-bedrock-java")],
    ),
    case("詳細な調査報告書を作成してください。", SHIELD, REPORT, &[]),
    case("web 名前空間のインシデントレポートを書いて", "", REPORT, &[Scope(0, "k8s.ns.name=web")]),
    // Root cause.
    case(
        "What was the root cause of the malicious binary detected in risk-10-aws-bedrock-java?",
        SHIELD,
        &["root_cause"],
        &[Scope(0, "k8s.ns.name=risk-10-aws-bedrock-java")],
    ),
    case(
        "What caused the miner in risk-10?",
        SHIELD,
        &["root_cause"],
        &[Scope(0, "k8s.ns.name=risk-10-aws-bedrock-java")],
    ),
    case("How did the attack on wordpress start?", "", &["root_cause"], &[Scope(0, "workload=wordpress")]),
    case("Who launched the reverse shell in the web namespace?", "", &["root_cause"], &[Scope(0, "k8s.ns.name=web")]),
    case(
        "risk-10-aws-bedrock-java において検出された悪意のあるバイナリの根本原因は何でしたか?",
        SHIELD,
        &["root_cause"],
        &[Scope(0, "k8s.ns.name=risk-10-aws-bedrock-java")],
    ),
    case(
        "web-staging の Clear Log Activities の原因は?",
        "",
        &["root_cause"],
        &[Scope(0, "k8s.ns.name=web-staging"), Scope(0, "rule=\"Clear Log Activities\"")],
    ),
    case("httpd で何がきっかけでアラートが出たの?", "", &["root_cause"], &[Scope(0, "httpd")]),
    // MITRE.
    case("Which MITRE ATT&CK tactics and techniques were used?", SHIELD, &["mitre_mapping"], &[]),
    case(
        "Map the alerts in prod-web-eks to ATT&CK.",
        "",
        &["mitre_mapping"],
        &[Scope(0, "k8s.cluster.name=prod-web-eks")],
    ),
    case(
        "What TTPs did the attacker use in storefront?",
        RECON,
        &["mitre_mapping"],
        &[Scope(0, "k8s.ns.name=storefront")],
    ),
    case("どのMITRE ATT&CK戦術と技術が使われましたか?", SHIELD, &["mitre_mapping"], &[]),
    case("過去7日間の攻撃手法をMITREで整理して", RECON, &["mitre_mapping"], &[Arg(0, "/last", "\"7d\"")]),
    // Attack path.
    case("List the attack path.", SHIELD, &["attack_path"], &[]),
    case(
        "Show me the kill chain for the wordpress compromise.",
        "",
        &["attack_path"],
        &[Scope(0, "workload=wordpress")],
    ),
    case(
        "Walk me through the timeline of the attack in risk-7-aws-iam-privileged-node.",
        SHIELD,
        &["attack_path"],
        &[Scope(0, "k8s.ns.name=risk-7-aws-iam-privileged-node")],
    ),
    case("攻撃経路をリストアップしてください。", SHIELD, &["attack_path"], &[]),
    case("web 名前空間での攻撃の流れを時系列で教えて", "", &["attack_path"], &[Scope(0, "k8s.ns.name=web")]),
    // Impacted workloads.
    case("How many workloads were impacted?", SHIELD, &["impacted_workloads"], &[]),
    case(
        "Which pods were affected in prod-recon-eks?",
        "",
        &["impacted_workloads"],
        &[Scope(0, "k8s.cluster.name=prod-recon-eks")],
    ),
    case("What's the blast radius?", SHIELD, &["impacted_workloads"], &[]),
    case("影響を受けたワークロードは、いくつありますか?", SHIELD, &["impacted_workloads"], &[]),
    case("影響範囲を教えて", RECON, &["impacted_workloads"], &[]),
    case(
        "How many workloads were impacted in risk-12-aws-lambda-exfil-go?",
        SHIELD,
        &["impacted_workloads", "impacted_workloads"],
        &[Scope(0, "k8s.ns.name=risk-12-aws-lambda-exfil-go"), NotScope(1, "k8s.ns.name"), Scope(1, "rule in (")],
    ),
    // Remediation.
    case("How do I fix this?", SHIELD, &["suggest_remediation"], &[]),
    case(
        "What should I do about the miner in risk-10?",
        SHIELD,
        &["suggest_remediation"],
        &[Scope(0, "k8s.ns.name=risk-10-aws-bedrock-java")],
    ),
    case(
        "Recommend mitigations for the wordpress incident.",
        "",
        &["suggest_remediation"],
        &[Scope(0, "workload=wordpress")],
    ),
    case("この問題を修正するにはどうすればいいですか?", SHIELD, &["suggest_remediation"], &[]),
    case("web 名前空間の対策を教えてください", "", &["suggest_remediation"], &[Scope(0, "k8s.ns.name=web")]),
    // Isolation.
    case(
        "Give me detailed guidance to isolate the affected resources.",
        SHIELD,
        &["impacted_workloads", "suggest_remediation"],
        &[],
    ),
    case(
        "How do I contain the wordpress pod?",
        "",
        &["impacted_workloads", "impacted_workloads", "suggest_remediation"],
        &[Scope(0, "workload=wordpress")],
    ),
    case(
        // In the imperative: the isolation guidance, with the isolation proposed for approval,
        // of the namespace named only (the same detections elsewhere are not what was asked).
        "Quarantine risk-3-aws-s3-exposed-python.",
        SHIELD,
        &["impacted_workloads", "suggest_remediation", "propose_response_action"],
        &[Scope(0, "k8s.ns.name=risk-3-aws-s3-exposed-python"), Scope(2, "k8s.ns.name=risk-3-aws-s3-exposed-python")],
    ),
    case(
        "影響を受けたリソースを分離するための詳細なガイダンスを提供してください。",
        SHIELD,
        &["impacted_workloads", "suggest_remediation"],
        &[],
    ),
    case(
        "storefront を隔離する手順は?",
        RECON,
        &["impacted_workloads", "impacted_workloads", "suggest_remediation"],
        &[Scope(0, "k8s.ns.name=storefront")],
    ),
    // Period comparison.
    case(
        "過去7日間に検出されたReconnaissance関連のイベント件数と、先週との傾向比較を教えてください。また、使用されたMITRE技術ID、攻撃ツール、プロセス名も一覧で提供してください。",
        "",
        &["compare_periods", "event_stats"],
        &[Arg(0, "/category", "\"reconnaissance\""), Arg(0, "/last", "\"7d\"")],
    ),
    case(
        "Compare reconnaissance activity this week with last week.",
        "",
        &["compare_periods", "event_stats"],
        &[
            Arg(0, "/category", "\"reconnaissance\""),
            Arg(0, "/period", "\"week\""),
            Arg(1, "/group_by/0", "\"priority\""),
        ],
    ),
    case(
        "Is recon trending up in prod-recon-eks?",
        "",
        &["compare_periods", "event_stats"],
        &[Arg(0, "/category", "\"reconnaissance\""), Scope(0, "k8s.cluster.name=prod-recon-eks")],
    ),
    case(
        "How many reconnaissance events in the last 7 days?",
        "",
        &["compare_periods", "event_stats"],
        &[Arg(0, "/category", "\"reconnaissance\""), Arg(0, "/last", "\"7d\"")],
    ),
    case(
        "今週と先週の偵察活動を比較して",
        "",
        &["compare_periods", "event_stats"],
        &[Arg(0, "/category", "\"reconnaissance\""), Arg(0, "/period", "\"week\"")],
    ),
    case(
        "Weekly trend of Terminal shell in container alerts",
        "",
        &["compare_periods", "event_stats"],
        &[Arg(0, "/rules/0", "\"Terminal shell in container\"")],
    ),
    case("昨日と比べて今日のアラートは増えた?", "", &["compare_periods"], &[Arg(0, "/period", "\"day\"")]),
    // Counts.
    case("Which namespaces have the most alerts?", "", &["event_stats"], &[Arg(0, "/group_by/0", "\"namespace\"")]),
    case(
        "How many critical alerts were there in the last 24 hours?",
        "",
        &["event_stats"],
        &[Scope(0, "priority in (emergency, alert, critical)"), Arg(0, "/last", "\"24h\"")],
    ),
    case(
        "Top 5 rules by alert count in prod-web-eks",
        "",
        &["event_stats"],
        &[Arg(0, "/group_by/0", "\"rule\""), Arg(0, "/limit", "5"), Scope(0, "k8s.cluster.name=prod-web-eks")],
    ),
    case("Break down the alerts per day.", RECON, &["event_stats"], &[Arg(0, "/group_by/0", "\"day\"")]),
    case("How many alerts did nmap trigger?", "", &["event_stats"], &[Scope(0, "proc.name=nmap")]),
    case("名前空間ごとのアラート件数は?", "", &["event_stats"], &[Arg(0, "/group_by/0", "\"namespace\"")]),
    case(
        "過去24時間の重大度の高いアラートは何件ですか?",
        "",
        &["event_stats"],
        &[Scope(0, "priority in ("), Arg(0, "/last", "\"24h\"")],
    ),
    case("How many alerts mapped to T1059?", "", &["event_stats"], &[Scope(0, "T1059")]),
    case(
        "Count the alerts from the storefront namespace by workload.",
        "",
        &["event_stats"],
        &[Scope(0, "k8s.ns.name=storefront"), Arg(0, "/group_by/0", "\"workload\"")],
    ),
    // Search.
    case("Show me the alerts mentioning easyminer.", "", &["search_events"], &[Arg(0, "/query", "\"easyminer\"")]),
    case(
        "Find the latest alerts from the checkout-api workload.",
        "",
        &["search_events"],
        &[Scope(0, "workload=checkout-api")],
    ),
    case("Search for \"/etc/shadow\"", "", &["search_events"], &[Arg(0, "/query", "\"\\\"/etc/shadow\\\"\"")]),
    case("web-staging のアラートを一覧で表示して", "", &["search_events"], &[Scope(0, "k8s.ns.name=web-staging")]),
    case("最新のアラートを5件見せて", "", &["search_events"], &[Arg(0, "/limit", "5")]),
    // Explain.
    case(
        "Explain the rule Terminal shell in container.",
        "",
        &["explain_event"],
        &[Arg(0, "/rule", "\"Terminal shell in container\"")],
    ),
    case(
        "What does Clear Log Activities detect?",
        "",
        &["explain_event"],
        &[Arg(0, "/rule", "\"Clear Log Activities\"")],
    ),
    case(
        "「Find AWS Credentials」とはどういうルールですか?",
        "",
        &["explain_event"],
        &[Arg(0, "/rule", "\"Find AWS Credentials\"")],
    ),
    case(
        "Explain the alerts in web-staging.",
        "",
        &["explain_event"],
        &[Arg(0, "/rule", "\"Clear Log Activities\""), Scope(0, "k8s.ns.name=web-staging")],
    ),
    // False-positive triage, exceptions and their validation.
    case(
        "Is this likely a false positive?",
        "kubernetes.cluster.name=staging-ocp",
        &["assess_false_positive"],
        &[NoArg(0, "/scope")],
    ),
    case(
        "Are the Clear Log Activities alerts in web-staging benign?",
        "",
        &["assess_false_positive"],
        &[Scope(0, "k8s.ns.name=web-staging"), Scope(0, "rule=\"Clear Log Activities\"")],
    ),
    case(
        "Is the miner in risk-10 a real threat or just noise?",
        SHIELD,
        &["assess_false_positive"],
        &[Scope(0, "k8s.ns.name=risk-10-aws-bedrock-java")],
    ),
    case(
        "この検知イベントは誤検知である可能性は高いですか?低いですか?",
        "kubernetes.cluster.name=staging-ocp",
        &["assess_false_positive"],
        &[],
    ),
    case(
        "web-staging のアラートは過検知ですか?",
        "",
        &["assess_false_positive"],
        &[Scope(0, "k8s.ns.name=web-staging")],
    ),
    case(
        "It was intended. Give me the exception for the Rules Editor.",
        "kubernetes.cluster.name=staging-ocp",
        &["generate_exception"],
        &[],
    ),
    case(
        "How do I suppress the Clear Log Activities alerts from httpd?",
        "",
        &["generate_exception"],
        &[Scope(0, "rule=\"Clear Log Activities\"")],
    ),
    case(
        "Write a Falco exception for the alerts in web-staging.",
        "",
        &["generate_exception"],
        &[Scope(0, "k8s.ns.name=web-staging")],
    ),
    case(
        "このイベントは意図する操作の結果、発生したものでした。Rules Editorにて検知除外とするException記述を教えてください。",
        "kubernetes.cluster.name=staging-ocp",
        &["generate_exception"],
        &[],
    ),
    case(
        "web-staging の検知を除外する設定を書いて",
        "",
        &["generate_exception"],
        &[Scope(0, "k8s.ns.name=web-staging")],
    ),
    case(
        "Is this exception valid?\n- rule: Clear Log Activities\n  exceptions:\n    - name: x\n      fields: [proc.name]\n      comps: [=]\n      values:\n        - [rm]\n  override:\n    exceptions: append",
        "",
        &["validate_exception"],
        &[],
    ),
    // Not understood, not found, ambiguous.
    case("What's the weather like in Tokyo?", "", &["event_stats"], &[Arg(0, "/group_by/0", "\"namespace\"")]),
    case("今日の晩ご飯は何がいい?", "", &["event_stats"], &[Arg(0, "/group_by/0", "\"namespace\"")]),
    case(
        "What was the root cause in risk-99-nowhere?",
        SHIELD,
        &["event_stats", "event_stats"],
        &[Scope(0, "k8s.ns.name=risk-99-nowhere")],
    ),
    case("Summarize namespace risk", SHIELD, &["event_stats"], &[Scope(0, "k8s.ns.name in (")]),
];

async fn ask(orchestrator: &Orchestrator, scope: &str, question: &str) -> Answer {
    let request = ChatRequest {
        message: question.to_string(),
        scope: Some(scope.to_string()),
        now: Some(demo_now()),
        ..ChatRequest::default()
    };
    orchestrator.chat(request, EventSink::discard()).await.unwrap_or_else(|error| panic!("{question}: {error}"))
}

fn argument<'a>(answer: &'a Answer, index: usize, pointer: &str) -> Option<&'a Value> {
    answer.steps.get(index).and_then(|step| step.arguments.pointer(pointer))
}

#[tokio::test]
async fn single_turn_paraphrases_call_the_right_tools_with_the_right_arguments() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut failures = Vec::new();
    for case in CASES {
        let answer = ask(&orchestrator, case.scope, case.question).await;
        let tools: Vec<&str> = answer.steps.iter().map(|step| step.tool.as_str()).collect();
        let mut problems = Vec::new();
        if tools != case.tools {
            problems.push(format!("tools {tools:?}, expected {:?}", case.tools));
        }
        for check in case.checks {
            let problem = match *check {
                Scope(index, text) => {
                    let scope = argument(&answer, index, "/scope").and_then(Value::as_str).unwrap_or("");
                    (!scope.contains(text)).then(|| format!("call {index} scope {scope:?} lacks {text:?}"))
                }
                NotScope(index, text) => {
                    let scope = argument(&answer, index, "/scope").and_then(Value::as_str).unwrap_or("");
                    scope.contains(text).then(|| format!("call {index} scope {scope:?} has {text:?}"))
                }
                Arg(index, pointer, expected) => {
                    let expected: Value = serde_json::from_str(expected).expect("expected value is JSON");
                    let actual = argument(&answer, index, pointer);
                    (actual != Some(&expected))
                        .then(|| format!("call {index} {pointer} is {actual:?}, expected {expected}"))
                }
                NoArg(index, pointer) => {
                    let actual = argument(&answer, index, pointer);
                    actual.is_some().then(|| format!("call {index} {pointer} is {actual:?}, expected none"))
                }
            };
            problems.extend(problem);
        }
        let expected_language = Language::detect(case.question);
        if answer.language != expected_language {
            problems.push(format!("answered in {:?}", answer.language));
        }
        if !answer.grounded {
            problems.push(format!("ungrounded: {:?}", answer.unsupported));
        }
        if answer.steps.iter().any(|step| step.output.get("error").is_some()) {
            problems.push("a tool failed".to_string());
        }
        let about_alerts = answer.steps.iter().any(|step| step.tool != "validate_exception");
        if about_alerts && !answer.links.iter().any(|link| link.href.starts_with("/events?")) {
            problems.push("no event-feed link".to_string());
        }
        if !problems.is_empty() {
            let arguments: Vec<String> =
                answer.steps.iter().map(|step| format!("{} {}", step.tool, step.arguments)).collect();
            failures.push(format!(
                "{}\n    {}\n    calls: {}",
                case.question,
                problems.join("\n    "),
                arguments.join(" | ")
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}
