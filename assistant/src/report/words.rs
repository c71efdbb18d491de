//! Each language's words for the report: headings, labels and the phrases figures are set
//! into. No digits here: every figure comes from the tool's output. Tool kinds are translated
//! with the planner's glossary (`prompts/answers/<lang>/glossary.json`), so a chat answer and a
//! report name a tool's purpose the same way.

use std::sync::OnceLock;

use saker_tools::analytics::compare_periods::Trend;
use saker_tools::store::TimeBucket;
use serde_json::{Map, Value};

use crate::conversation::Language;

/// The words of one language.
#[derive(Debug)]
pub struct Words {
    /// The report's title for a period of `{period}` (`7 days`, `7日間`).
    pub title: &'static str,
    /// Weekly title (period of exactly seven days).
    pub title_weekly: &'static str,
    /// Daily title (one day).
    pub title_daily: &'static str,
    /// "Scope".
    pub scope: &'static str,
    /// Shown for an empty scope.
    pub every_alert: &'static str,
    /// "Current period".
    pub current_period: &'static str,
    /// "Previous period".
    pub previous_period: &'static str,
    /// "Summary".
    pub summary: &'static str,
    /// The summary sentence: `{period}`, `{current}`, `{previous}`, `{change}`, `{trend}`.
    pub summary_sentence: &'static str,
    /// `{change}` when a percent is known: `{signed} ({percent})`.
    pub change_with_percent: &'static str,
    /// Trend words.
    pub trend_up: &'static str,
    /// Trend: down.
    pub trend_down: &'static str,
    /// Trend: flat.
    pub trend_flat: &'static str,
    /// A count of alerts: `{count} alerts`.
    pub alerts: &'static str,
    /// "Daily series" heading.
    pub series_day: &'static str,
    /// "Hourly series" heading.
    pub series_hour: &'static str,
    /// Column: day.
    pub column_day: &'static str,
    /// Column: hour.
    pub column_hour: &'static str,
    /// Column: current.
    pub column_current: &'static str,
    /// Column: previous.
    pub column_previous: &'static str,
    /// The chart's legend for the previous period's bucket at the same position.
    pub legend_previous: &'static str,
    /// A note under the series when the period does not start at a bucket boundary.
    pub partial_buckets: &'static str,
    /// "MITRE ATT&CK techniques".
    pub techniques: &'static str,
    /// Column: technique ID.
    pub column_technique: &'static str,
    /// Column: name.
    pub column_name: &'static str,
    /// "Tools".
    pub tools: &'static str,
    /// Column: tool.
    pub column_tool: &'static str,
    /// Column: used for.
    pub column_used_for: &'static str,
    /// "Process names".
    pub processes: &'static str,
    /// Column: process.
    pub column_process: &'static str,
    /// "Top workloads".
    pub workloads: &'static str,
    /// Column: workload.
    pub column_workload: &'static str,
    /// "Rules".
    pub rules: &'static str,
    /// Column: rule.
    pub column_rule: &'static str,
    /// "Recommended follow-ups".
    pub follow_ups: &'static str,
    /// "Evidence" heading (links to the event feed).
    pub evidence: &'static str,
    /// Shown when a table has no rows.
    pub none: &'static str,
    /// The footer: how the figures were computed.
    pub footer: &'static str,
    /// The chart's accessible title: `{period}`.
    pub chart_title: &'static str,
}

const ENGLISH: Words = Words {
    title: "Reconnaissance report: last {period}",
    title_weekly: "Weekly reconnaissance report",
    title_daily: "Daily reconnaissance report",
    scope: "Scope",
    every_alert: "every alert",
    current_period: "Current period",
    previous_period: "Previous period",
    summary: "Summary",
    summary_sentence: "**{current}** reconnaissance alerts in the last {period}, against {previous} in the {period} before: {change}, trend **{trend}**.",
    change_with_percent: "{signed} ({percent})",
    trend_up: "up",
    trend_down: "down",
    trend_flat: "flat",
    alerts: "{count} alerts",
    series_day: "Alerts per day",
    series_hour: "Alerts per hour",
    column_day: "Day (UTC)",
    column_hour: "Hour (UTC)",
    column_current: "Current",
    column_previous: "Previous",
    legend_previous: "same position in the previous period",
    partial_buckets: "The first and last buckets are partial: the period runs from {since} to {until}.",
    techniques: "MITRE ATT&CK techniques",
    column_technique: "Technique",
    column_name: "Name",
    tools: "Tools",
    column_tool: "Tool",
    column_used_for: "Used for",
    processes: "Process names",
    column_process: "Process",
    workloads: "Top workloads",
    column_workload: "Workload",
    rules: "Rules",
    column_rule: "Rule",
    follow_ups: "Recommended follow-ups",
    evidence: "Evidence",
    none: "none",
    footer: "Computed by Saker's compare_periods tool over the stored Falco alerts; every figure links to the alerts behind it.",
    chart_title: "Reconnaissance alerts, last {period}, against the period before",
};

const JAPANESE: Words = Words {
    title: "偵察活動（Reconnaissance）レポート：過去{period}",
    title_weekly: "偵察活動（Reconnaissance）週次レポート",
    title_daily: "偵察活動（Reconnaissance）日次レポート",
    scope: "対象スコープ",
    every_alert: "すべてのアラート",
    current_period: "今回の期間",
    previous_period: "前回の期間",
    summary: "サマリ",
    summary_sentence: "過去{period}のReconnaissance（偵察）関連のアラートは **{current}件** で、その前の{period}（{previous}件）と比べて {change}、**{trend}** です。",
    change_with_percent: "{signed}件（{percent}）",
    trend_up: "増加傾向",
    trend_down: "減少傾向",
    trend_flat: "横ばい",
    alerts: "{count}件",
    series_day: "日次推移",
    series_hour: "時間帯別推移",
    column_day: "日付（UTC）",
    column_hour: "時刻（UTC）",
    column_current: "今回",
    column_previous: "前回",
    legend_previous: "前回の期間の同じ位置",
    partial_buckets: "最初と最後の区間は一部のみです（期間：{since} 〜 {until}）。",
    techniques: "使用された MITRE ATT&CK 技術 ID",
    column_technique: "技術 ID",
    column_name: "名称",
    tools: "攻撃ツール",
    column_tool: "ツール",
    column_used_for: "用途",
    processes: "プロセス名",
    column_process: "プロセス",
    workloads: "上位ワークロード",
    column_workload: "ワークロード",
    rules: "検知ルール",
    column_rule: "ルール",
    follow_ups: "推奨フォローアップ",
    evidence: "根拠（イベントフィード）",
    none: "なし",
    footer: "Saker の compare_periods ツールが保存済みの Falco アラートから算出しました。各数値は元のアラートにリンクしています。",
    chart_title: "過去{period}の偵察関連アラート件数と前回の期間との比較",
};

/// The words of `language`.
pub fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &ENGLISH,
        Language::Ja => &JAPANESE,
    }
}

/// The trend in words.
pub fn trend(language: Language, trend: Trend) -> &'static str {
    let words = words(language);
    match trend {
        Trend::Up => words.trend_up,
        Trend::Down => words.trend_down,
        Trend::Flat => words.trend_flat,
    }
}

/// The period `last` (`7d`, `24h`, `2w`) in words: `7 days`, `7日間`.
pub fn period(language: Language, last: &str) -> String {
    let trimmed = last.trim();
    let split = trimmed.find(|character: char| !character.is_ascii_digit()).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let one = number == "1";
    match (language, unit) {
        (Language::En, "s") => format!("{number} {}", if one { "second" } else { "seconds" }),
        (Language::En, "m") => format!("{number} {}", if one { "minute" } else { "minutes" }),
        (Language::En, "h") => format!("{number} {}", if one { "hour" } else { "hours" }),
        (Language::En, "d") => format!("{number} {}", if one { "day" } else { "days" }),
        (Language::En, "w") => format!("{number} {}", if one { "week" } else { "weeks" }),
        (Language::Ja, "s") => format!("{number}秒間"),
        (Language::Ja, "m") => format!("{number}分間"),
        (Language::Ja, "h") => format!("{number}時間"),
        (Language::Ja, "d") => format!("{number}日間"),
        (Language::Ja, "w") => format!("{number}週間"),
        _ => trimmed.to_string(),
    }
}

/// The report's title for the period `last`.
pub fn title(language: Language, last: &str) -> String {
    let words = words(language);
    match last.trim() {
        "7d" | "1w" | "168h" => words.title_weekly.to_string(),
        "1d" | "24h" => words.title_daily.to_string(),
        other => words.title.replace("{period}", &period(language, other)),
    }
}

/// A count of alerts in words: `68 alerts`, `68件`.
pub fn alerts(language: Language, count: u64) -> String {
    words(language).alerts.replace("{count}", &count.to_string())
}

/// A signed change: `+33`, `-4`, `±0`.
pub fn signed(change: i64) -> String {
    match change {
        0 => "±0".to_string(),
        positive if positive > 0 => format!("+{positive}"),
        negative => negative.to_string(),
    }
}

/// A signed percent: `+94.3%`.
pub fn percent(percent: f64) -> String {
    if percent > 0.0 { format!("+{percent:.1}%") } else { format!("{percent:.1}%") }
}

/// The change with its percent when known, in words.
pub fn change(language: Language, change: i64, change_percent: Option<f64>) -> String {
    match change_percent {
        Some(value) => words(language)
            .change_with_percent
            .replace("{signed}", &signed(change))
            .replace("{percent}", &percent(value)),
        None => match language {
            Language::En => signed(change),
            Language::Ja => format!("{}件", signed(change)),
        },
    }
}

/// A bucket's label: `11-20` for days, `11-20 13:00` for hours (UTC, from RFC 3339 text).
pub fn bucket_label(start: &str, bucket: TimeBucket) -> String {
    match chrono::DateTime::parse_from_rfc3339(start) {
        Ok(time) => match bucket {
            TimeBucket::Day => time.format("%m-%d").to_string(),
            TimeBucket::Hour => time.format("%m-%d %H:00").to_string(),
        },
        Err(_) => start.to_string(),
    }
}

/// A time (RFC 3339 text) as `2026-11-20 12:00 UTC`.
pub fn time(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(time) => time.format("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => text.to_string(),
    }
}

/// What a tool kind (`network scanner`) is called in `language`, from the planner's glossary;
/// the English kind when the glossary has no entry.
pub fn tool_kind(language: Language, kind: &str) -> String {
    static JAPANESE_KINDS: OnceLock<Map<String, Value>> = OnceLock::new();
    match language {
        Language::En => kind.to_string(),
        Language::Ja => {
            let kinds = JAPANESE_KINDS.get_or_init(|| {
                let glossary: Value =
                    serde_json::from_str(include_str!("../../../prompts/answers/ja/glossary.json")).unwrap_or_default();
                glossary.get("tool_kinds").and_then(Value::as_object).cloned().unwrap_or_default()
            });
            kinds.get(kind).and_then(Value::as_str).unwrap_or(kind).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_texts(words: &Words) -> Vec<&'static str> {
        vec![
            words.title,
            words.title_weekly,
            words.title_daily,
            words.summary_sentence,
            words.change_with_percent,
            words.alerts,
            words.partial_buckets,
            words.footer,
            words.chart_title,
            words.techniques,
            words.follow_ups,
        ]
    }

    #[test]
    fn no_figures_live_in_the_words() {
        for language in [Language::En, Language::Ja] {
            for text in all_texts(words(language)) {
                assert!(!text.chars().any(|character| character.is_ascii_digit()), "{text}");
            }
        }
    }

    #[test]
    fn periods_titles_and_changes_read_naturally() {
        assert_eq!(period(Language::En, "7d"), "7 days");
        assert_eq!(period(Language::Ja, "7d"), "7日間");
        assert_eq!(period(Language::En, "1d"), "1 day");
        assert_eq!(title(Language::Ja, "7d"), "偵察活動（Reconnaissance）週次レポート");
        assert_eq!(title(Language::En, "3d"), "Reconnaissance report: last 3 days");
        assert_eq!(change(Language::Ja, 33, Some(94.3)), "+33件（+94.3%）");
        assert_eq!(change(Language::En, -4, None), "-4");
        assert_eq!(bucket_label("2026-11-20T00:00:00Z", TimeBucket::Day), "11-20");
    }

    #[test]
    fn tool_kinds_come_from_the_planner_glossary() {
        assert_eq!(tool_kind(Language::Ja, "network scanner"), "ネットワークスキャナ");
        assert_eq!(tool_kind(Language::En, "network scanner"), "network scanner");
        assert_eq!(tool_kind(Language::Ja, "something new"), "something new");
    }
}
