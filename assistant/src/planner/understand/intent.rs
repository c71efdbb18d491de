//! Intent recognition: which kind of answer the question asks for, from the lexicon's weighted
//! cue phrases and exemplar questions in English and Japanese. The highest score wins; ties go
//! to the more specific intent.

use super::lexicon::lexicon;
use super::text::Question;
use crate::planner::plan::Intent;

/// Least exemplar similarity (cosine, 0 to 1) that counts towards an intent's score when no
/// cue phrase speaks clearly.
const SIMILARITY_FLOOR: f32 = 0.5;

/// Least exemplar similarity that adds to the score when a cue phrase already scores
/// [`CLEAR_CUE`] or more: a close resemblance only, so that a clear cue is not outvoted by a
/// loose likeness.
const SIMILARITY_FLOOR_WITH_CUES: f32 = 0.7;

/// A cue score that says by itself what is asked.
const CLEAR_CUE: u32 = 6;

/// Exemplar similarities within this distance of the best one count too.
const SIMILARITY_MARGIN: f32 = 0.05;

/// What an exemplar similarity adds to the cue score: a close wording (0.9) weighs like a
/// strong cue, a loose one (0.4) like a hint.
fn similarity_bonus(similarity: f32) -> u32 {
    ((similarity - 0.2).max(0.0) * 14.0).round() as u32
}

/// The analyses an investigation report is made of.
const REPORT_PARTS: [Intent; 5] =
    [Intent::RootCause, Intent::AttackPath, Intent::Mitre, Intent::ImpactedWorkloads, Intent::Remediation];

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

/// The score of every intent the question suggests, highest first: the weights of the cue
/// phrases it contains ([`lexicon`]) plus a bonus for the exemplars it resembles.
pub fn scores(question: &Question) -> Vec<(Intent, u32)> {
    let lexicon = lexicon();
    let mut scored = lexicon.cue_scores(question);
    let similarities = lexicon.similarities(question);
    let best = similarities.first().map_or(0.0, |(_, similarity)| *similarity);
    let clear_cue = scored.iter().any(|(_, score)| *score >= CLEAR_CUE);
    let floor = if clear_cue { SIMILARITY_FLOOR_WITH_CUES } else { SIMILARITY_FLOOR };
    for (intent, similarity) in similarities {
        if similarity < floor || similarity + SIMILARITY_MARGIN < best {
            continue;
        }
        let bonus = similarity_bonus(similarity);
        match scored.iter_mut().find(|(known, _)| *known == intent) {
            Some(entry) => entry.1 += bonus,
            None if bonus > 0 => scored.push((intent, bonus)),
            None => {}
        }
    }
    scored.sort_by_key(|(intent, score)| {
        (std::cmp::Reverse(*score), TIE_ORDER.iter().position(|candidate| candidate == intent).unwrap_or(usize::MAX))
    });
    scored
}

/// True when no cue phrase of any intent occurs in the question (whatever exemplars it
/// resembles): a bare "what about X?" then repeats the previous question.
pub fn has_no_cue(question: &Question) -> bool {
    lexicon().cue_scores(question).is_empty()
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
    // Asking for several parts of an investigation at once ("root cause, timeline, ttps,
    // impact, fixes") asks for the report that has them all.
    let parts_asked =
        REPORT_PARTS.iter().filter(|part| score_of(**part).is_some_and(|score| score >= CLEAR_CUE)).count();
    if parts_asked >= 3 || (parts_asked >= 2 && score_of(Intent::Report).is_some()) {
        return Some(Intent::Report);
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

/// Whether the question asks to check an exception (a cue of `validate_exception`), pasted or
/// not.
pub fn asks_to_validate(question: &Question) -> bool {
    lexicon().cue_scores(question).iter().any(|(intent, _)| *intent == Intent::ValidateException)
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
            ("その中身は?", Intent::Summary),
            ("what's in that cluster?", Intent::Summary),
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
            ("why was this flagged in payments", Intent::Explain),
            ("anything from that image? show em", Intent::Search),
            ("そのホストで出てるアラートを見たいです", Intent::Search),
            ("payments の ledger-api、クリーンアップするには何をすべきでしょうか", Intent::Remediation),
            ("その侵害、ステップごとに並べて説明して", Intent::AttackPath),
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
