//! The details of a question beyond its intent and entities: what to group counts by, which
//! analyst category it is about, the words to search for, whether to compare with before.

use saker_tools::analytics::categories::Category;

use super::text::Question;

/// `event_stats` groupings a question can ask for, with the words that ask for them.
const GROUPINGS: &[(&str, &[&str])] = &[
    ("namespace", &["namespace", "ns", "名前空間", "ネームスペース"]),
    ("workload", &["workload", "deployment", "ワークロード", "デプロイメント"]),
    ("pod", &["pod", "ポッド"]),
    ("cluster", &["cluster", "クラスタ", "クラスター"]),
    ("rule", &["rule", "ルール", "検知ルール"]),
    ("process", &["process", "binary", "プロセス", "バイナリ"]),
    ("image", &["image", "イメージ"]),
    ("user", &["user", "ユーザー", "ユーザ"]),
    ("host", &["host", "node", "ホスト", "ノード"]),
    (
        "priority",
        &["priority", "severity", "sev", "優先度", "重大度", "深刻度", "重要度", "プライオリティ", "シビアリティ"],
    ),
    ("mitre_technique", &["technique", "テクニック", "技術"]),
    ("mitre_tactic", &["tactic", "戦術"]),
    ("tag", &["tag", "タグ"]),
    ("day", &["per day", "by day", "daily", "each day", "日別", "日ごと", "毎日", "日毎"]),
    ("hour", &["per hour", "by hour", "hourly", "each hour", "時間ごと", "時間別", "毎時"]),
];

/// Phrases that ask for a grouping (rather than mention a dimension in passing).
const GROUPING_CUES: &[&str] = &[
    "by",
    "per",
    "each",
    "which",
    "what",
    "top",
    "most",
    "breakdown",
    "group",
    "ごと",
    "別",
    "毎",
    "どの",
    "どこの",
    "内訳",
    // A trend said of a kind of object: the objects it is said of ("which clusters grew").
    "grew",
    "increased",
    "went up",
    "spiked",
    "増えてる",
    "急増",
    "激増",
    "増えた",
    "増加した",
    "減った",
    "減ってる",
    "多い",
    "ランキング",
];

/// The groupings asked for, in the order of the question's words; empty when none.
pub fn group_by(question: &Question) -> Vec<&'static str> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for (grouping, words) in GROUPINGS {
        let position = words.iter().filter_map(|word| super::text::find_phrase(&question.folded, word)).min();
        if let Some(position) = position {
            found.push((position, grouping));
        }
    }
    let time_grouping = found.iter().any(|(_, grouping)| matches!(*grouping, "day" | "hour"));
    if found.is_empty() || !(question.has_any(GROUPING_CUES) || time_grouping) {
        return Vec::new();
    }
    found.sort();
    // Groupings asked for explicitly ("by workload", 「ワークロードごと」) win over dimensions
    // merely mentioned ("the storefront namespace").
    let explicit: Vec<(usize, &'static str)> = found
        .iter()
        .copied()
        .filter(|(position, grouping)| {
            let before = &question.folded[..*position];
            let words = GROUPINGS.iter().find(|(name, _)| name == grouping).map(|(_, words)| *words).unwrap_or(&[]);
            let after_word = words
                .iter()
                .filter_map(|word| question.folded[*position..].strip_prefix(word))
                .map(|rest| rest.trim_start_matches('s').trim_start())
                .next()
                .unwrap_or("");
            ["by ", "per ", "each ", "by the ", "which ", "what "].iter().any(|cue| before.ends_with(cue))
                || ["ごと", "別", "毎"].iter().any(|cue| after_word.starts_with(cue))
                || matches!(*grouping, "day" | "hour")
        })
        .collect();
    let found = if explicit.is_empty() { found } else { explicit };
    let mut groupings: Vec<&'static str> = found.into_iter().map(|(_, grouping)| grouping).collect();
    groupings.dedup();
    groupings.truncate(3);
    groupings
}

/// The analyst category the question is about.
pub fn category(question: &Question) -> Option<Category> {
    let table: &[(Category, &[&str])] = &[
        (
            Category::Reconnaissance,
            &[
                "reconnaissance",
                "recon",
                "discovery",
                "scanning",
                "port scan",
                "enumeration",
                "偵察",
                "探索",
                "スキャン",
                "列挙",
            ],
        ),
        (
            Category::MaliciousBinary,
            &[
                "crypto miner",
                "cryptominer",
                "coinminer",
                "miner",
                "mining",
                "malware",
                "マイナー",
                "マイニング",
                "マルウェア",
                "採掘",
            ],
        ),
        (Category::DriftDetection, &["drift", "ドリフト"]),
        (
            Category::CommandAndControl,
            &[
                "command and control",
                "c2",
                "reverse shell",
                "revshell",
                "rev shell",
                "リバースシェル",
                "リバシェ",
                "c&c",
            ],
        ),
        (
            Category::CredentialAccess,
            &[
                "credential",
                "credentials",
                "creds",
                "secret",
                "passwords",
                "private keys",
                "認証情報",
                "資格情報",
                "クレデンシャル",
                "パスワード",
                "秘密鍵",
                "シークレット",
            ],
        ),
        (
            Category::PrivilegeEscalation,
            &["privilege escalation", "container escape", "権限昇格", "コンテナエスケープ"],
        ),
        (Category::DefenseEvasion, &["defense evasion", "log clearing", "clear log", "防御回避", "ログ削除"]),
        (Category::Persistence, &["persistence", "永続化"]),
    ];
    table
        .iter()
        .find(|(_, words)| words.iter().any(|word| question.has_even_misspelt(word)))
        .map(|(category, _)| *category)
}

/// A number followed, within three words, by a grouping noun: "5 noisiest rules", "3 namespaces".
fn count_before_a_grouping(question: &Question) -> Option<u32> {
    let words: Vec<&str> =
        question.folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()).collect();
    let nouns: Vec<&str> =
        GROUPINGS.iter().flat_map(|(_, words)| words.iter().copied()).filter(|word| word.is_ascii()).collect();
    let is_noun = |word: &str| nouns.iter().any(|noun| word == *noun || word.strip_suffix('s') == Some(*noun));
    words.iter().enumerate().find_map(|(index, word)| {
        let count: u32 = word.parse().ok()?;
        let follows = words.iter().skip(index + 1).take(3).any(|next| is_noun(next));
        ((1..=50).contains(&count) && follows).then_some(count)
    })
}

/// Whether the question asks for a comparison with the period before.
pub fn compares_with_before(question: &Question) -> bool {
    question.has_any(&[
        "compare",
        "compared",
        "comparison",
        "change",
        "than before",
        "previous",
        "trend",
        "increase",
        "decrease",
        "比較",
        "前回",
        "前の期間",
        "変化",
        "傾向",
        "増減",
    ])
}

/// Words after a search cue that belong to the question, not to what is searched for.
const NOT_SEARCH_TERMS: &[&str] = &[
    "the",
    "a",
    "an",
    "all",
    "any",
    "for",
    "me",
    "alerts",
    "alert",
    "events",
    "event",
    "logs",
    "them",
    "it",
    "this",
    "that",
    "these",
    "those",
    "everything",
    "anything",
    "every",
    "root",
    "cause",
    "attack",
    "rule",
    "rules",
];

/// Words to search for: quoted phrases, or the word after "mentioning", "containing",
/// "search", "look up", "find the" and the like.
pub fn search_query(question: &Question) -> Option<String> {
    let quoted = question.quoted();
    if !quoted.is_empty() {
        return Some(quoted.iter().map(|part| format!("\"{part}\"")).collect::<Vec<_>>().join(" "));
    }
    for cue in [
        "mentioning ",
        "containing ",
        "contain ",
        "that mention ",
        "with the word ",
        "with the string ",
        "matching ",
        "search for ",
        "grep for ",
        "grep the alerts for ",
        "look for ",
        "that read ",
        "reading ",
        "mention ",
        "mentions ",
        "search ",
        "look up ",
        "lookup ",
        "find the ",
        "w/ ",
        "anything with ",
        "user is ",
    ] {
        if let Some(position) = super::text::find_phrase(&question.folded, cue.trim_end()) {
            let rest = &question.folded[position + cue.trim_end().len()..];
            // "search the alerts for 4444": the question's own words are passed over.
            let word = rest
                .split(|c: char| c.is_whitespace() || matches!(c, '?' | ',' | '。' | '、'))
                .map(|word| word.trim_end_matches(['.', '!']))
                .filter(|word| !word.is_empty())
                .take(4)
                .find(|word| !NOT_SEARCH_TERMS.contains(word));
            if let Some(word) = word {
                return Some(word.to_string());
            }
        }
    }
    None
}

/// How many items the question asks for ("top 5", "the 5 noisiest rules", "which 5 rules",
/// 「上位3件」, 「5件」), within 1..=50.
pub fn limit(question: &Question) -> Option<u32> {
    if let Some(count) = count_before_a_grouping(question) {
        return Some(count);
    }
    if let Some(position) = question.folded.find('件') {
        let digits = super::text::trailing_run(&question.folded[..position], |c| c.is_ascii_digit());
        if let Ok(count) = digits.parse::<u32>()
            && (1..=50).contains(&count)
        {
            return Some(count);
        }
    }
    for cue in ["top ", "first ", "last ", "latest ", "上位", "最新"] {
        if let Some(position) = question.folded.find(cue) {
            let digits: String =
                question.folded[position + cue.len()..].chars().take_while(char::is_ascii_digit).collect();
            if let Ok(count) = digits.parse::<u32>()
                && (1..=50).contains(&count)
            {
                return Some(count);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groupings_need_a_cue() {
        assert_eq!(group_by(&Question::new("Which namespaces have the most alerts?")), vec!["namespace"]);
        assert_eq!(group_by(&Question::new("alerts per rule and per workload")), vec!["rule", "workload"]);
        assert_eq!(group_by(&Question::new("名前空間ごとのアラート件数")), vec!["namespace"]);
        assert_eq!(group_by(&Question::new("daily alert counts")), vec!["day"]);
        assert!(group_by(&Question::new("how many alerts in this namespace")).is_empty());
    }

    #[test]
    fn categories_queries_and_limits() {
        assert_eq!(category(&Question::new("Reconnaissance関連のイベント件数")), Some(Category::Reconnaissance));
        assert_eq!(category(&Question::new("any crypto miner activity?")), Some(Category::MaliciousBinary));
        assert_eq!(search_query(&Question::new("show alerts mentioning easyminer.")), Some("easyminer".to_string()));
        for (question, word) in [
            ("which alerts mention kworkerd", "kworkerd"),
            ("search apache2", "apache2"),
            ("look up minexmr", "minexmr"),
            ("search the alerts for 4444", "4444"),
            ("find the base64 stuff", "base64"),
        ] {
            assert_eq!(search_query(&Question::new(question)).as_deref(), Some(word), "{question}");
        }
        assert_eq!(search_query(&Question::new("search the alerts")), None, "the question's own words");
        assert_eq!(search_query(&Question::new("find \"/etc/shadow\" reads")), Some("\"/etc/shadow\"".to_string()));
        for question in
            ["Search for /etc/shadow.", "Find the alerts that read /etc/shadow.", "Which alerts contain /etc/shadow?"]
        {
            assert_eq!(search_query(&Question::new(question)), Some("/etc/shadow".to_string()), "{question}");
        }
        assert_eq!(limit(&Question::new("top 5 rules")), Some(5));
        assert_eq!(limit(&Question::new("上位3件")), Some(3));
        assert_eq!(limit(&Question::new("最新のアラートを5件見せて")), Some(5));
        assert_eq!(limit(&Question::new("Show the 5 noisiest rules in prod-web-eks.")), Some(5));
        assert_eq!(limit(&Question::new("Which 5 rules fired the most?")), Some(5));
        assert_eq!(limit(&Question::new("alerts in risk-10 over 7 days")), None);
        assert_eq!(
            group_by(&Question::new("Count the alerts from the storefront namespace by workload.")),
            vec!["workload"]
        );
    }
}
