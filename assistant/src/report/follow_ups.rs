//! The recommended follow-ups of a reconnaissance report, from a reviewed table of facts: each
//! follow-up is listed only when the figures call for it and states the figures that do, so a
//! quiet week gets no alarm and a noisy one gets the four actions analysts take (improve the
//! rules, investigate and contain, review network exposure, escalate).

use saker_tools::analytics::compare_periods::{ComparePeriodsOutput, ToolRow, Trend};
use serde::Serialize;

use super::words;
use crate::conversation::Language;

/// Which kind of action a follow-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// Detection rules: notify sooner, tune noise.
    RuleImprovement,
    /// Investigate the processes behind the alerts and contain them.
    Containment,
    /// Review cloud security groups and Kubernetes NetworkPolicies.
    SecurityGroupReview,
    /// Hand the report to the incident process (Slack, Jira).
    Escalation,
    /// Nothing to act on; keep the report running.
    KeepWatching,
}

/// One recommended follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    /// What kind of action.
    pub kind: FollowUpKind,
    /// A short title.
    pub title: String,
    /// What to do and the figures behind it (plain text; renderers escape it).
    pub detail: String,
    /// The event-feed link to the alerts behind it.
    pub link: String,
}

/// Tool kinds that probe or open network connections.
const NETWORK_TOOL_KINDS: [&str; 5] = [
    "network scanner",
    "netcat: port probe or raw connection",
    "raw connection",
    "raw connection relay",
    "packet capture",
];

/// Techniques of credential access that reconnaissance leads to.
const CREDENTIAL_TECHNIQUES: [&str; 3] = ["T1552", "T1555", "T1003"];

/// The rule that watches the cloud metadata service.
const METADATA_RULE: &str = "Contact EC2 Instance Metadata Service From Container";

/// The follow-ups the figures call for, in a fixed order.
pub fn follow_ups(figures: &ComparePeriodsOutput, language: Language) -> Vec<FollowUp> {
    let link = figures.current.evidence.link.clone();
    let mut follow_ups = Vec::new();
    if figures.current.total == 0 {
        follow_ups.push(FollowUp {
            kind: FollowUpKind::KeepWatching,
            title: text(language, "Keep the report running", "定期レポートの継続").to_string(),
            detail: match language {
                Language::En => format!(
                    "No reconnaissance alerts in the current period ({} in the one before): nothing to act on. Check that Falco loads its reconnaissance rules so that a quiet week means a quiet cluster.",
                    figures.previous.total
                ),
                Language::Ja => format!(
                    "今回の期間に偵察関連のアラートはありません（前回の期間は{}件）。対応は不要ですが、静かな週が本当に静かであることを確かめるため、Falco が偵察関連のルールを読み込んでいるか確認してください。",
                    figures.previous.total
                ),
            },
            link,
        });
        return follow_ups;
    }

    let metadata = figures.tools.iter().find(|row| row.name.starts_with("cloud metadata service") && row.current > 0);
    let network_tools: Vec<&ToolRow> =
        figures.tools.iter().filter(|row| row.current > 0 && NETWORK_TOOL_KINDS.contains(&row.kind.as_str())).collect();
    let credential_techniques: Vec<String> = figures
        .techniques
        .iter()
        .filter(|row| row.current > 0 && CREDENTIAL_TECHNIQUES.iter().any(|prefix| row.id.starts_with(prefix)))
        .map(|row| row.id.clone())
        .collect();

    follow_ups.push(rule_improvement(figures, metadata, language, &link));
    let top: Vec<String> = figures
        .workloads
        .iter()
        .filter(|row| row.current > 0)
        .take(3)
        .map(|row| format!("{} ({})", row.name, words::alerts(language, row.current)))
        .collect();
    if !top.is_empty() {
        let list = top.join(list_separator(language));
        follow_ups.push(FollowUp {
            kind: FollowUpKind::Containment,
            title: text(language, "Investigate and contain", "発生プロセスの調査と封じ込め").to_string(),
            detail: match language {
                Language::En => format!(
                    "Find who started the processes in {list} (ask Saker for the root cause) and isolate the pods if the activity is not expected."
                ),
                Language::Ja => format!(
                    "{list} でプロセスを起動した主体を特定し（Saker に根本原因を質問してください）、想定外の活動であれば Pod を隔離してください。"
                ),
            },
            link: link.clone(),
        });
    }
    if metadata.is_some() || !network_tools.is_empty() {
        let mut seen: Vec<String> = network_tools
            .iter()
            .map(|row| format!("{} ({})", row.name, words::alerts(language, row.current)))
            .collect();
        if let Some(row) = metadata {
            seen.push(format!("{} ({})", row.name, words::alerts(language, row.current)));
        }
        let list = seen.join(list_separator(language));
        follow_ups.push(FollowUp {
            kind: FollowUpKind::SecurityGroupReview,
            title: text(language, "Review security groups and network policies", "セキュリティグループの見直し")
                .to_string(),
            detail: match language {
                Language::En => format!(
                    "Seen from the workloads: {list}. Restrict egress of application pods (NetworkPolicies, security groups) to what they need, block the instance metadata service from pods or require IMDSv2 with a minimal hop limit, and close the ports the scans found."
                ),
                Language::Ja => format!(
                    "ワークロードから次の活動が見られました：{list}。アプリケーション Pod の外向き通信を必要なものに限定し（NetworkPolicy・セキュリティグループ）、Pod からのインスタンスメタデータサービスへのアクセスを遮断するか IMDSv2 とホップ数制限を必須にし、スキャンで見つかったポートを閉じてください。"
                ),
            },
            link: link.clone(),
        });
    }
    let rising = figures.trend == Trend::Up;
    if rising || !credential_techniques.is_empty() {
        let change = words::change(language, figures.change, figures.change_percent);
        let techniques = credential_techniques.join(", ");
        let detail = match (language, rising, credential_techniques.is_empty()) {
            (Language::En, true, true) => format!(
                "Reconnaissance rose by {change} against the previous period: raise it in the incident channel (Slack) or open a ticket (Jira) with this report."
            ),
            (Language::En, true, false) => format!(
                "Reconnaissance rose by {change} against the previous period and credential-access techniques followed ({techniques}): open an incident (Slack, Jira) with this report now."
            ),
            (Language::En, false, _) => format!(
                "Credential-access techniques were seen ({techniques}): open an incident (Slack, Jira) with this report."
            ),
            (Language::Ja, true, true) => format!(
                "偵察活動が前回の期間より {change} 増えています。このレポートを添えてインシデントチャネル（Slack）へ共有するか、チケット（Jira）を起票してください。"
            ),
            (Language::Ja, true, false) => format!(
                "偵察活動が前回の期間より {change} 増え、認証情報へのアクセス技術（{techniques}）も続いています。このレポートを添えて直ちにインシデント対応（Slack・Jira）へエスカレーションしてください。"
            ),
            (Language::Ja, false, _) => format!(
                "認証情報へのアクセス技術（{techniques}）が見られます。このレポートを添えてインシデント対応（Slack・Jira）へエスカレーションしてください。"
            ),
        };
        follow_ups.push(FollowUp {
            kind: FollowUpKind::Escalation,
            title: text(language, "Escalate", "自動エスカレーション").to_string(),
            detail,
            link,
        });
    }
    follow_ups
}

fn rule_improvement(
    figures: &ComparePeriodsOutput,
    metadata: Option<&ToolRow>,
    language: Language,
    link: &str,
) -> FollowUp {
    let title = text(language, "Improve the detection rules", "検知ルールの改善").to_string();
    let detail = match (metadata, figures.rules.first()) {
        (Some(row), _) => {
            let rule_named = figures.rules.iter().any(|rule| rule.name == METADATA_RULE);
            let rule = if rule_named { METADATA_RULE } else { "" };
            match (language, rule_named) {
                (Language::En, true) => format!(
                    "{} reached the cloud metadata service: route \"{rule}\" to an immediate notification and raise its priority for workloads that never need instance credentials.",
                    words::alerts(language, row.current)
                ),
                (Language::En, false) => format!(
                    "{} reached the cloud metadata service: add an immediate notification for metadata-service access from containers.",
                    words::alerts(language, row.current)
                ),
                (Language::Ja, true) => format!(
                    "クラウドのメタデータサービスへのアクセスが{}ありました。「{rule}」を即時通知の対象にし、インスタンスの認証情報を必要としないワークロードでは優先度を上げてください。",
                    words::alerts(language, row.current)
                ),
                (Language::Ja, false) => format!(
                    "クラウドのメタデータサービスへのアクセスが{}ありました。コンテナからのメタデータサービスへのアクセスを即時通知するルールを追加してください。",
                    words::alerts(language, row.current)
                ),
            }
        }
        (None, Some(rule)) => match language {
            Language::En => format!(
                "\"{}\" fired most ({}): confirm which alerts are expected and add exceptions for those, so that new reconnaissance stands out.",
                rule.name,
                words::alerts(language, rule.current)
            ),
            Language::Ja => format!(
                "最も多く検知したルールは「{}」（{}）です。想定内のアラートを確認して例外（Exception）を追加し、新しい偵察活動が埋もれないようにしてください。",
                rule.name,
                words::alerts(language, rule.current)
            ),
        },
        (None, None) => text(
            language,
            "Check that Falco's reconnaissance rules are loaded and enabled.",
            "Falco の偵察関連ルールが読み込まれ有効になっているか確認してください。",
        )
        .to_string(),
    };
    FollowUp { kind: FollowUpKind::RuleImprovement, title, detail, link: link.to_string() }
}

fn text(language: Language, english: &'static str, japanese: &'static str) -> &'static str {
    match language {
        Language::En => english,
        Language::Ja => japanese,
    }
}

fn list_separator(language: Language) -> &'static str {
    match language {
        Language::En => ", ",
        Language::Ja => "、",
    }
}
