//! Whether the analyst's own words ask to act ("Kill the miner process in that pod.",
//! 「このコンテナを停止して」), to see the response history, or to escalate; and with which
//! kinds and process. Both backends are held to it: a proposal or an escalation is only made in
//! a turn whose question asks for one, so no alert text can ask for it instead.

use saker_tools::actions::ActionKind;
use serde::{Deserialize, Serialize};

use super::text::Question;

/// What the question asks to do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActionRequest {
    /// The kinds named (empty: containment in general, "contain it now").
    pub kinds: Vec<ActionKind>,
    /// The process named ("miner"), as a word to match.
    pub process: Option<String>,
    /// Whether only an imperative verb asked to isolate ("isolate catalog-api now",
    /// 「そのPod隔離しといて」): the answer is then the isolation guidance with the proposal.
    #[serde(skip)]
    pub isolation_imperative: bool,
}

/// Where an escalation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    /// A Slack incoming webhook.
    Slack,
    /// A Jira issue.
    Jira,
}

/// Questions asking how, not asking to act ("How do I isolate ...", 「分離する方法」).
const GUIDANCE: &[&str] = &[
    "how do i",
    "how can i",
    "how should",
    "how to",
    "guidance",
    "what should",
    "steps to",
    "explain",
    "方法",
    "ガイダンス",
    "どうすれば",
    "どうやって",
    "手順",
    "説明",
];

/// (kind, English phrases, Japanese phrases): each phrase alone asks for the kind.
const KIND_PHRASES: &[(ActionKind, &[&str], &[&str])] = &[
    (
        ActionKind::KillContainer,
        &["kill the container", "kill this container", "kill that container", "kill container", "kill the containers"],
        &["コンテナを強制終了", "コンテナをkill", "コンテナをキル"],
    ),
    (
        ActionKind::StopContainer,
        &["stop the container", "stop this container", "stop that container", "stop container", "stop the containers"],
        &["コンテナを停止", "コンテナを止め", "コンテナの停止"],
    ),
    (
        ActionKind::PauseContainer,
        &[
            "pause the container",
            "pause this container",
            "pause that container",
            "pause container",
            "freeze the container",
        ],
        &["コンテナを一時停止", "コンテナの一時停止"],
    ),
    (
        ActionKind::QuarantineFile,
        &[
            "quarantine the file",
            "quarantine this file",
            "quarantine the binary",
            "quarantine the files",
            "quarantine file",
        ],
        &["ファイルを隔離", "バイナリを隔離", "ファイルの隔離"],
    ),
    (
        ActionKind::DeletePod,
        &["delete the pod", "delete this pod", "delete that pod", "delete pod", "delete the pods"],
        &["podを削除", "ポッドを削除", "pod を削除"],
    ),
    (
        ActionKind::IsolateWorkload,
        &[
            "isolate the workload",
            "isolate this workload",
            "isolate that workload",
            "isolate it now",
            "isolate the deployment",
        ],
        &[
            "ワークロードを隔離して",
            "ワークロードを分離して",
            "ワークロードを隔離してください",
            "ワークロードを分離してください",
        ],
    ),
];

/// Verbs that, with "process" or a process word, ask to kill a process.
const KILL_VERBS: &[&str] = &["kill", "terminate", "stop", "nuke"];
const KILL_VERBS_JA: &[&str] = &["停止", "終了", "強制終了", "kill", "キル"];

/// Japanese words for processes, and the English word matched against process names.
const PROCESS_WORDS_JA: &[(&str, &str)] = &[
    ("マイナー", "miner"),
    ("マイニング", "miner"),
    ("採掘", "miner"),
    ("リバースシェル", "shell"),
    ("シェル", "shell"),
];

/// The action the question asks for, if it asks to act.
pub fn requested_action(question: &Question) -> Option<ActionRequest> {
    if question.has_any(GUIDANCE) {
        return None;
    }
    let mut kinds: Vec<ActionKind> = KIND_PHRASES
        .iter()
        .filter(|(_, english, japanese)| {
            question.has_any(english) || japanese.iter().any(|phrase| question.folded.contains(phrase))
        })
        .map(|(kind, _, _)| *kind)
        .collect();
    // "Quarantine /dev/shm/easyminer" / 「/dev/shm/easyminer を隔離」: a path to quarantine.
    if names_a_file_path(question) && (super::imperative::says_quarantine(question) || question.folded.contains("隔離"))
    {
        kinds.push(ActionKind::QuarantineFile);
    }
    let process = process_word(question);
    let kills_process = process.is_some()
        || (question.has_any(KILL_VERBS) && question.has_any(&["process", "processes"]))
        || (question.folded.contains("プロセス") && KILL_VERBS_JA.iter().any(|verb| question.folded.contains(verb)));
    if kills_process && !kinds.iter().any(|kind| matches!(kind, ActionKind::KillContainer | ActionKind::StopContainer))
    {
        kinds.push(ActionKind::KillProcess);
    }
    // "Contain it now", "propose response actions", 「おすすめの対応アクションを出して」:
    // containment asked for without naming its kind.
    let contain_now = question.has_any(&[
        "contain it now",
        "contain this now",
        "contain the incident now",
        "respond now",
        "propose response actions",
        "propose containment",
        "recommend response actions",
        "recommended response actions",
        "suggest response actions",
        "propose actions",
    ]) || [
        "今すぐ封じ込め",
        "対応アクションを出して",
        "対応アクションを提案",
        "おすすめの対応アクション",
        "推奨の対応アクション",
    ]
    .iter()
    .any(|phrase| question.folded.contains(phrase));
    // "isolate catalog-api now", 「そのPod隔離しといて」: containment in the imperative.
    let mut isolation_imperative = false;
    if kinds.is_empty()
        && !contain_now
        && let Some(kind) = super::imperative::containment(question, process.is_some(), names_a_file_path(question))
    {
        isolation_imperative = kind == ActionKind::IsolateWorkload;
        kinds.push(kind);
    }
    if kinds.is_empty() && !contain_now {
        return None;
    }
    kinds.sort();
    kinds.dedup();
    Some(ActionRequest { kinds, process, isolation_imperative })
}

/// The action the question asks for, or, when it only repeats the previous question for other
/// objects ("same for risk-7", 「risk-7 も同じく」), the action that question asked for: the
/// analyst's own words either way.
pub fn requested_action_or_again(question: &Question, previous: Option<&str>) -> Option<ActionRequest> {
    requested_action(question).or_else(|| {
        let repeats = question.has_any(&super::words::words().follow_up.all)
            || ["も同じ", "も同様", "もお願い", "もよろしく"].iter().any(|phrase| question.folded.contains(phrase));
        if !repeats || question.has_any(GUIDANCE) {
            return None;
        }
        requested_action(&Question::new(previous?))
    })
}

/// Whether the question names an absolute file path (`/dev/shm/easyminer`).
fn names_a_file_path(question: &Question) -> bool {
    question.tokens().iter().any(|token| {
        token.text.starts_with('/') && token.text.matches('/').count() >= 2 && !token.text.starts_with("//")
    })
}

/// The process named: the word before "process" after a kill verb ("kill the miner process"),
/// or a Japanese process word with a kill verb.
fn process_word(question: &Question) -> Option<String> {
    let words: Vec<&str> = question
        .folded
        .split(|character: char| !(character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.' | '/')))
        .map(|word| word.trim_matches(['.', '/', '-', '_']))
        .filter(|word| !word.is_empty())
        .collect();
    if let Some(verb) = words.iter().position(|word| KILL_VERBS.contains(word)) {
        let after: Vec<&str> = words[verb + 1..]
            .iter()
            .copied()
            .filter(|word| !matches!(*word, "the" | "this" | "that" | "a" | "all"))
            .collect();
        if let Some(position) = after.iter().position(|word| *word == "process" || *word == "processes") {
            if position > 0 {
                return Some(after[position - 1].to_string());
            }
        } else if let Some(first) = after.first().filter(|word| word.contains("miner")) {
            return Some((*first).to_string());
        }
    }
    let kill = KILL_VERBS_JA.iter().any(|verb| question.folded.contains(verb));
    PROCESS_WORDS_JA
        .iter()
        .find(|(japanese, _)| kill && question.folded.contains(japanese))
        .map(|(_, english)| english.to_string())
}

/// True when the question asks for the response history or the status of actions.
pub fn requested_history(question: &Question) -> bool {
    question.has_any(&[
        "response history",
        "action history",
        "response actions",
        "approval status",
        "was it approved",
        "has it been approved",
        "is it approved",
        "what was executed",
        "which actions",
        "status of the action",
        "status of the actions",
    ]) || ["対応履歴", "レスポンス履歴", "アクション履歴", "承認状況", "承認され", "実行履歴", "対応の履歴"]
        .iter()
        .any(|phrase| question.folded.contains(phrase))
}

/// Where the question asks to escalate, if it does.
pub fn requested_escalation(question: &Question) -> Option<EscalationTarget> {
    // An alert pasted in quotes ("… remote file copy …") asks for nothing, and text pasted
    // from Slack is not a request to post to it.
    let quoted = question.quoted();
    let question = &question.without_names(quoted.iter());
    let asks = question.has_any(&["escalate", "send", "post", "open", "create", "file", "notify", "share"])
        || ["エスカレ", "送って", "送信", "通知", "起票", "作成して", "共有"]
            .iter()
            .any(|phrase| question.folded.contains(phrase));
    if !asks {
        return None;
    }
    if question.has_any(&["jira", "ticket", "issue"]) || question.folded.contains("チケット") {
        Some(EscalationTarget::Jira)
    } else if question.has("slack") && !question.has_any(&["from slack", "in slack", "on slack"]) {
        Some(EscalationTarget::Slack)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Option<ActionRequest> {
        requested_action(&Question::new(text))
    }

    #[test]
    fn the_analysts_words_name_the_kind_and_process() {
        assert_eq!(
            request("Kill the miner process in that pod."),
            Some(ActionRequest {
                kinds: vec![ActionKind::KillProcess],
                process: Some("miner".into()),
                isolation_imperative: false
            })
        );
        assert_eq!(
            request("このコンテナを停止して"),
            Some(ActionRequest { kinds: vec![ActionKind::StopContainer], process: None, isolation_imperative: false })
        );
        assert_eq!(
            request("そのPodのマイナープロセスを停止してください。"),
            Some(ActionRequest {
                kinds: vec![ActionKind::KillProcess],
                process: Some("miner".into()),
                isolation_imperative: false
            })
        );
        assert_eq!(request("Delete the pod.").map(|request| request.kinds), Some(vec![ActionKind::DeletePod]));
        assert_eq!(
            request("Quarantine the binary").map(|request| request.kinds),
            Some(vec![ActionKind::QuarantineFile])
        );
        assert_eq!(request("Kill the miner.").and_then(|request| request.process), Some("miner".into()));
        assert_eq!(
            request("risk-10-aws-bedrock-java の /dev/shm/easyminer を隔離してください。").map(|request| request.kinds),
            Some(vec![ActionKind::QuarantineFile])
        );
        assert_eq!(
            request("Quarantine /var/tmp/.cache/kworkerd").map(|request| request.kinds),
            Some(vec![ActionKind::QuarantineFile])
        );
        assert_eq!(
            request("影響を受けたリソースを隔離してください").map(|request| request.isolation_imperative),
            Some(true),
            "no file named: the isolation guidance, with the isolation proposed"
        );
    }

    #[test]
    fn the_same_again_for_other_objects_asks_for_the_previous_action() {
        let previous = Some("kill the miner process in the bedrock-java pods");
        for question in ["same for risk-7", "risk-7 も同じく"] {
            let again = requested_action_or_again(&Question::new(question), previous).map(|request| request.kinds);
            assert_eq!(again, Some(vec![ActionKind::KillProcess]), "{question}");
        }
        assert_eq!(requested_action_or_again(&Question::new("what about risk-7?"), Some("root cause?")), None);
        assert_eq!(requested_action_or_again(&Question::new("which pods in risk-7?"), previous), None);
    }

    #[test]
    fn questions_about_how_are_not_requests_to_act() {
        for question in [
            "How do I isolate the affected resources?",
            "Give me detailed guidance to isolate the affected resources.",
            "影響を受けたリソースを分離するための詳細なガイダンスを提供してください。",
            "How do I fix this?",
            "Summarize the events in this cluster.",
            "What was the root cause of the malicious binary?",
            "Show the response history.",
        ] {
            assert_eq!(request(question), None, "{question}");
        }
    }

    #[test]
    fn history_and_escalation() {
        assert!(requested_history(&Question::new("Show the response history.")));
        assert!(requested_history(&Question::new("対応履歴を表示してください。")));
        assert!(!requested_history(&Question::new("Kill the miner process.")));
        assert_eq!(requested_escalation(&Question::new("Escalate this to Slack.")), Some(EscalationTarget::Slack));
        assert_eq!(requested_escalation(&Question::new("Open a Jira ticket for this.")), Some(EscalationTarget::Jira));
        assert_eq!(
            requested_escalation(&Question::new("Slackにエスカレーションしてください")),
            Some(EscalationTarget::Slack)
        );
        assert_eq!(requested_escalation(&Question::new("Jiraチケットを起票して")), Some(EscalationTarget::Jira));
        assert_eq!(requested_escalation(&Question::new("Summarize the events.")), None);
        let pasted = r#"pasting from slack: "Notice Ingress remote file copy tool launched" -- where else?"#;
        assert_eq!(requested_escalation(&Question::new(pasted)), None);
    }
}
