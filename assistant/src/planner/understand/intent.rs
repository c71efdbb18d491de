//! Intent recognition: which kind of answer the question asks for, from weighted phrases in
//! English and Japanese. The highest score wins; ties go to the more specific intent.

use super::text::Question;
use crate::planner::plan::Intent;

/// Phrases and their weights, per intent. Phrases are lowercase; ASCII phrases match whole
/// words (and simple plurals), Japanese phrases anywhere.
const PHRASES: &[(Intent, &[(&str, u32)])] = &[
    (
        Intent::AttackPath,
        &[
            ("attack path", 8),
            ("attack chain", 8),
            ("kill chain", 8),
            ("killchain", 8),
            ("attack flow", 8),
            ("attack timeline", 8),
            ("timeline", 5),
            ("sequence of events", 7),
            ("process tree", 7),
            ("how did the attack", 5),
            ("how the attack", 5),
            ("progress", 3),
            ("attack steps", 7),
            ("walk me through the attack", 8),
            ("steps of the attack", 7),
            ("stages of the attack", 7),
            ("attack stages", 7),
            ("what did the attacker do", 7),
            ("chain of events", 7),
            ("攻撃経路", 9),
            ("攻撃パス", 9),
            ("攻撃の流れ", 9),
            ("攻撃の経路", 9),
            ("攻撃チェーン", 9),
            ("キルチェーン", 9),
            ("時系列", 6),
            ("プロセスツリー", 8),
            ("侵入経路", 8),
            ("攻撃の段階", 8),
            ("攻撃者は何を", 7),
        ],
    ),
    (
        Intent::RootCause,
        &[
            ("root cause", 9),
            ("root-cause", 9),
            ("rootcause", 9),
            ("what caused", 8),
            ("cause of", 7),
            ("caused by", 7),
            ("what started", 7),
            ("start", 6),
            ("how did it start", 7),
            ("how did this start", 7),
            ("origin", 5),
            ("where did it come from", 7),
            ("come from", 6),
            ("who launched", 7),
            ("who started", 7),
            ("what launched", 7),
            ("what spawned", 7),
            ("parent process", 6),
            ("initial access", 5),
            ("why", 2),
            ("根本原因", 10),
            ("原因", 7),
            ("発端", 7),
            ("きっかけ", 7),
            ("起点", 7),
            ("起因", 6),
            ("なぜ", 2),
        ],
    ),
    (
        Intent::Isolation,
        &[
            ("isolate", 9),
            ("isolation", 9),
            ("quarantine", 8),
            ("contain", 6),
            ("contain the", 4),
            ("steps to contain", 4),
            ("containment", 8),
            ("cut off", 7),
            ("network policy", 7),
            ("networkpolicy", 7),
            ("block traffic", 7),
            ("cordon", 7),
            ("segregate", 7),
            ("分離", 12),
            ("隔離", 12),
            ("封じ込め", 12),
            ("遮断", 8),
            ("切り離", 9),
        ],
    ),
    (
        Intent::Mitre,
        &[
            ("mitre", 8),
            ("att&ck", 8),
            ("attack technique", 8),
            ("technique", 6),
            ("tactic", 6),
            ("ttp", 7),
            ("adversary behavior", 5),
            ("戦術", 8),
            ("技術", 6),
            ("テクニック", 7),
            ("タクティクス", 7),
            ("手法", 5),
        ],
    ),
    (
        Intent::ComparePeriods,
        &[
            ("compare", 8),
            ("comparison", 8),
            ("compared", 8),
            ("trend", 7),
            ("week over week", 8),
            ("week-over-week", 8),
            ("vs last", 8),
            ("versus last", 8),
            ("than last week", 8),
            ("previous week", 5),
            ("week before", 6),
            ("previous period", 7),
            ("increase", 4),
            ("decrease", 4),
            ("weekly", 5),
            ("比較", 9),
            ("比べ", 9),
            ("増えた", 5),
            ("減った", 5),
            ("傾向", 8),
            ("推移", 7),
            ("先週と", 8),
            ("前週と", 8),
            ("前週比", 9),
            ("前日比", 9),
            ("増減", 7),
            ("増加", 4),
            ("減少", 4),
            ("週次", 6),
        ],
    ),
    (
        Intent::Report,
        &[
            ("report", 7),
            ("write-up", 7),
            ("writeup", 7),
            ("investigation", 5),
            ("detailed analysis", 7),
            ("full analysis", 7),
            ("incident summary", 6),
            ("in depth", 4),
            ("in-depth", 4),
            ("報告書", 9),
            ("レポート", 8),
            ("調査報告", 9),
            ("報告", 6),
            ("詳細な分析", 7),
        ],
    ),
    (
        Intent::Remediation,
        &[
            ("fix", 8),
            ("remediate", 8),
            ("remediation", 8),
            ("mitigate", 8),
            ("mitigation", 8),
            ("what should i do", 8),
            ("what do i do", 7),
            ("what should we do", 8),
            ("how do i respond", 7),
            ("how should i respond", 7),
            ("respond to", 6),
            ("recommend", 6),
            ("recommendation", 6),
            ("next steps", 6),
            ("resolve", 6),
            ("harden", 6),
            ("prevent", 6),
            ("clean up", 6),
            ("eradicate", 7),
            ("recover", 5),
            ("修正", 9),
            ("修復", 9),
            ("対策", 8),
            ("対処", 8),
            ("緩和", 8),
            ("どうすれば", 6),
            ("推奨", 6),
            ("是正", 8),
            ("改善", 5),
            ("対応方法", 8),
            ("対応策", 8),
            ("対応すべき", 8),
            ("どう対応", 8),
            ("駆除", 8),
        ],
    ),
    (
        Intent::ImpactedWorkloads,
        &[
            ("impacted", 7),
            ("affected", 6),
            ("blast radius", 8),
            ("compromised", 6),
            ("which workloads", 7),
            ("how many workloads", 8),
            ("what workloads", 7),
            ("which pods", 6),
            ("how many pods", 7),
            ("scope of impact", 7),
            ("impact", 4),
            ("workload", 2),
            ("影響を受け", 8),
            ("影響範囲", 9),
            ("影響", 3),
            ("被害", 6),
            ("侵害された", 6),
            ("ワークロード", 2),
        ],
    ),
    (
        Intent::Summary,
        &[
            ("summarize", 8),
            ("summarise", 8),
            ("summary", 7),
            ("overview", 7),
            ("what happened", 7),
            ("what is going on", 7),
            ("what's going on", 7),
            ("been going on", 7),
            ("whats going on", 7),
            ("recap", 7),
            ("brief me", 7),
            ("tl;dr", 7),
            ("tldr", 7),
            ("at a glance", 6),
            ("status", 3),
            ("要約", 9),
            ("概要", 8),
            ("まとめ", 8),
            ("サマリ", 8),
            ("何が起き", 7),
            ("何が起こ", 7),
            ("状況", 5),
        ],
    ),
    (
        Intent::Explain,
        &[
            ("explain", 8),
            ("what does", 5),
            ("what is the rule", 7),
            ("meaning of", 6),
            ("describe the rule", 7),
            ("tell me about the rule", 7),
            ("why did this alert", 7),
            ("why did it fire", 7),
            ("what is this alert", 7),
            ("what is alert", 7),
            ("describe", 4),
            ("looks for", 4),
            ("what does this rule", 8),
            ("detect", 2),
            ("説明", 8),
            ("解説", 8),
            ("とは", 5),
            ("意味", 6),
            ("どういう", 5),
        ],
    ),
    (
        Intent::FalsePositive,
        &[
            ("false positive", 10),
            ("false-positive", 10),
            ("benign", 8),
            ("expected behavior", 7),
            ("expected behaviour", 7),
            ("legitimate", 6),
            ("harmless", 7),
            ("safe to ignore", 8),
            ("just noise", 7),
            ("noise", 4),
            ("true positive", 8),
            ("real threat", 7),
            ("real attack", 7),
            ("should i worry", 6),
            ("is this malicious", 7),
            ("is it malicious", 7),
            ("誤検知", 10),
            ("過検知", 10),
            ("正常な動作", 8),
            ("正規の操作", 8),
            ("無害", 7),
            ("問題ない", 5),
            ("本当の脅威", 7),
            ("本物の攻撃", 7),
        ],
    ),
    (
        Intent::Exception,
        &[
            ("exception", 9),
            ("suppress", 8),
            ("silence", 7),
            ("whitelist", 8),
            ("allowlist", 8),
            ("allow-list", 8),
            ("allow list", 8),
            ("tune the rule", 8),
            ("tune this rule", 8),
            ("exclude", 7),
            ("stop alerting", 8),
            ("mute", 6),
            ("rules editor", 5),
            ("falco_rules.local.yaml", 8),
            ("例外", 10),
            ("除外", 10),
            ("抑制", 8),
            ("チューニング", 7),
            ("ホワイトリスト", 8),
            ("許可リスト", 8),
        ],
    ),
    (
        Intent::ValidateException,
        &[
            ("validate", 8),
            ("is this exception valid", 12),
            ("is it valid", 8),
            ("check this exception", 12),
            ("lint", 6),
            ("検証", 9),
            ("正しいですか", 6),
            ("妥当", 6),
            ("チェックして", 6),
        ],
    ),
    (
        Intent::Count,
        &[
            ("how many", 5),
            ("count", 5),
            ("number of", 5),
            ("most alerts", 6),
            ("most events", 6),
            ("top", 4),
            ("breakdown", 6),
            ("break down", 6),
            ("per", 3),
            ("by namespace", 5),
            ("by rule", 5),
            ("which namespace", 4),
            ("which rule", 4),
            ("noisiest", 6),
            ("fired the most", 6),
            ("most often", 5),
            ("volume", 4),
            ("statistics", 6),
            ("stats", 6),
            ("件数", 6),
            ("何件", 7),
            ("何回", 7),
            ("最も多", 6),
            ("一番多", 6),
            ("数えて", 6),
            ("いくつ", 5),
            ("多い", 5),
            ("内訳", 7),
            ("ごと", 4),
            ("別の", 3),
            ("統計", 6),
        ],
    ),
    (
        Intent::Search,
        &[
            ("show me", 5),
            ("show the", 4),
            ("list the alerts", 6),
            ("list alerts", 6),
            ("list the events", 6),
            ("list events", 6),
            ("find", 4),
            ("search", 6),
            ("look for", 5),
            ("mentioning", 6),
            ("containing", 5),
            ("alerts contain", 8),
            ("events contain", 8),
            ("grep", 6),
            ("display", 4),
            ("latest", 4),
            ("newest", 4),
            ("recent alerts", 5),
            ("give me the alerts", 6),
            ("表示", 5),
            ("検索", 6),
            ("一覧", 4),
            ("見せて", 5),
            ("探して", 6),
            ("リストアップ", 3),
            ("最新", 4),
        ],
    ),
];

/// Order for breaking ties: the more specific intent first.
const TIE_ORDER: [Intent; 15] = [
    Intent::ValidateException,
    Intent::Exception,
    Intent::FalsePositive,
    Intent::AttackPath,
    Intent::RootCause,
    Intent::Isolation,
    Intent::Mitre,
    Intent::ComparePeriods,
    Intent::Report,
    Intent::Remediation,
    Intent::ImpactedWorkloads,
    Intent::Summary,
    Intent::Explain,
    Intent::Count,
    Intent::Search,
];

/// The score of every intent the question mentions, highest first.
pub fn scores(question: &Question) -> Vec<(Intent, u32)> {
    let mut scored: Vec<(Intent, u32)> = PHRASES
        .iter()
        .map(|(intent, phrases)| {
            let score = phrases.iter().filter(|(phrase, _)| question.has(phrase)).map(|(_, weight)| weight).sum();
            (*intent, score)
        })
        .filter(|(_, score)| *score > 0)
        .collect();
    scored.sort_by_key(|(intent, score)| {
        (std::cmp::Reverse(*score), TIE_ORDER.iter().position(|candidate| candidate == intent).unwrap_or(usize::MAX))
    });
    scored
}

/// The intent of the question, or `None` when no phrase of any intent occurs.
pub fn recognise(question: &Question) -> Option<Intent> {
    let scored = scores(question);
    let (best, _) = *scored.first()?;
    let score_of = |wanted: Intent| scored.iter().find(|(intent, _)| *intent == wanted).map(|(_, score)| *score);
    // A report about reconnaissance over weeks is the weekly comparison.
    if best == Intent::Report && score_of(Intent::ComparePeriods).is_some() {
        return Some(Intent::ComparePeriods);
    }
    // Validation needs an exception to validate: one pasted into the question.
    if best == Intent::ValidateException && pasted_yaml(question).is_none() {
        return scored.iter().map(|(intent, _)| *intent).find(|intent| *intent != Intent::ValidateException);
    }
    if pasted_yaml(question).is_some() && matches!(best, Intent::Exception | Intent::Explain | Intent::Search) {
        return Some(Intent::ValidateException);
    }
    Some(best)
}

/// The rules YAML pasted into a question: a fenced block, or the text from the first `- rule:`
/// or `exceptions:` line on.
pub fn pasted_yaml(question: &Question) -> Option<String> {
    let text = question.original.as_str();
    if let Some(start) = text.find("```") {
        let body = &text[start + 3..];
        let body = body.split_once('\n').map(|(_, rest)| rest).unwrap_or(body);
        let end = body.find("```").unwrap_or(body.len());
        let block = body[..end].trim_matches('\n');
        if block.contains("exceptions") || block.contains("rule:") {
            return Some(block.to_string());
        }
    }
    let start = ["- rule:", "exceptions:"].iter().filter_map(|marker| text.find(marker)).min()?;
    let line_start = text[..start].rfind('\n').map(|index| index + 1).unwrap_or(start);
    Some(text[line_start..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(text: &str) -> Option<Intent> {
        recognise(&Question::new(text))
    }

    #[test]
    fn the_seed_questions() {
        let cases = [
            ("Summarize the events in this cluster.", Intent::Summary),
            ("このクラスタのイベントを要約してください。", Intent::Summary),
            ("Write a detailed investigation report.", Intent::Report),
            ("詳細な調査報告書を作成してください。", Intent::Report),
            (
                "What was the root cause of the malicious binary detected in risk-10-aws-bedrock-java?",
                Intent::RootCause,
            ),
            ("risk-10-aws-bedrock-java において検出された悪意のあるバイナリの根本原因は何でしたか?", Intent::RootCause),
            ("Which MITRE ATT&CK tactics and techniques were used?", Intent::Mitre),
            ("どのMITRE ATT&CK戦術と技術が使われましたか?", Intent::Mitre),
            ("List the attack path.", Intent::AttackPath),
            ("攻撃経路をリストアップしてください。", Intent::AttackPath),
            ("How many workloads were impacted?", Intent::ImpactedWorkloads),
            ("影響を受けたワークロードは、いくつありますか?", Intent::ImpactedWorkloads),
            ("How do I fix this?", Intent::Remediation),
            ("この問題を修正するにはどうすればいいですか?", Intent::Remediation),
            ("Give me detailed guidance to isolate the affected resources.", Intent::Isolation),
            ("影響を受けたリソースを分離するための詳細なガイダンスを提供してください。", Intent::Isolation),
            (
                "過去7日間に検出されたReconnaissance関連のイベント件数と、先週との傾向比較を教えてください。また、使用されたMITRE技術ID、攻撃ツール、プロセス名も一覧で提供してください。",
                Intent::ComparePeriods,
            ),
        ];
        for (question, expected) in cases {
            assert_eq!(intent(question), Some(expected), "{question}: {:?}", scores(&Question::new(question)));
        }
    }

    #[test]
    fn triage_exceptions_and_validation() {
        let cases = [
            ("Is this likely a false positive?", Intent::FalsePositive),
            ("この検知イベントは誤検知である可能性は高いですか?低いですか?", Intent::FalsePositive),
            ("It was intended. Give me the exception for the Rules Editor.", Intent::Exception),
            (
                "このイベントは意図する操作の結果、発生したものでした。Rules Editorにて検知除外とするException記述を教えてください。",
                Intent::Exception,
            ),
            ("How do I suppress these alerts?", Intent::Exception),
            ("Is this exception valid?\n- rule: Clear Log Activities\n  exceptions: []", Intent::ValidateException),
            ("Validate the exception please", Intent::Exception),
        ];
        for (question, expected) in cases {
            assert_eq!(intent(question), Some(expected), "{question}: {:?}", scores(&Question::new(question)));
        }
        let pasted = pasted_yaml(&Question::new("check this:\n```yaml\n- rule: X\n  exceptions: []\n```\nthanks"));
        assert_eq!(pasted.as_deref(), Some("- rule: X\n  exceptions: []"));
    }

    #[test]
    fn phrases_found_missing_by_the_eval() {
        let cases = [
            ("Where did the malicious binary in risk-10 come from?", Intent::RootCause),
            ("Walk me through the attack on checkout-api.", Intent::AttackPath),
            ("What's been going on in this cluster?", Intent::Summary),
            ("What is alert dbedd23d4ed2a54c1a8de71b3d9e251e?", Intent::Explain),
            ("Describe what Detect crypto miners using the Stratum protocol looks for.", Intent::Explain),
            ("このクラスタでどう対応すべきですか?", Intent::Remediation),
            ("前日比でアラートは増えていますか?", Intent::ComparePeriods),
            ("Break down the alerts by cluster.", Intent::Count),
            ("Find AWS Credentials は何回発生しましたか?", Intent::Count),
            ("過去24時間で最も多く発生したルールは?", Intent::Count),
            ("どのプロセスが一番多くアラートを出しましたか?", Intent::Count),
            ("ルール別にアラートを数えてください。", Intent::Count),
            ("Which alerts contain /etc/shadow?", Intent::Search),
        ];
        for (question, expected) in cases {
            assert_eq!(intent(question), Some(expected), "{question}: {:?}", scores(&Question::new(question)));
        }
    }

    #[test]
    fn nothing_recognisable_is_none() {
        assert_eq!(intent("hello there"), None);
        assert_eq!(intent("こんにちは"), None);
    }
}
