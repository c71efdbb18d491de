//! The grounding check: every number and every named entity in an answer must appear in the
//! turn's tool calls (their outputs, or the arguments that fixed what was asked).
//!
//! Claims are read from the Markdown: numbers (`140`, `1,234`, `+181.1%`, `140件`), tokens
//! that mix letters and digits (`T1059.004`, `risk-10-aws-bedrock-java`, times), and inline
//! code spans (`` `bash ./malicious-bin-event-gen.sh` ``). Ordered-list markers and link
//! targets are not claims. A number is supported when a tool value equals it, or rounds to it
//! at the precision it is written with (percentages); a name when it occurs in a tool string.
//!
//! Fenced code blocks (```` ``` ````) hold commands and manifests the answer writes for the
//! analyst (a `kubectl` line, a NetworkPolicy): their tokens with digits are claims, as in
//! prose, but a block as a whole is not. Vocabulary is never a claim: Falco field names
//! (`k8s.ns.name`, `proc.aname[2]`), Falco's file names (`falco_rules.local.yaml`) and the
//! Kubernetes API versions manifests name (`networking.k8s.io/v1`).

use serde::Serialize;
use serde_json::Value;

use super::StepRecord;

/// The result of checking one answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroundingReport {
    /// True when every claim was found.
    pub grounded: bool,
    /// The claims that were not found, in order of appearance, without repeats.
    pub unsupported: Vec<String>,
    /// How many claims were checked.
    pub claims: usize,
}

/// Checks `answer` against the steps of its turn.
pub fn check(answer: &str, steps: &[StepRecord]) -> GroundingReport {
    let corpus = Corpus::of(steps);
    let mut unsupported: Vec<String> = Vec::new();
    let mut claims = 0;
    for claim in claims_in(answer) {
        claims += 1;
        let supported = match &claim {
            Claim::Number { text, value, decimals } => corpus.has_number(*value, *decimals) || corpus.has_text(text),
            // A value shortened for display ("…") is supported by the start it shows.
            Claim::Name(text) => {
                corpus.has_text(text)
                    || text.strip_suffix('…').is_some_and(|start| corpus.has_text(start))
                    || corpus.has_folded_text(text.trim_end_matches('…'))
            }
        };
        if !supported {
            let text = claim.text().to_string();
            if !unsupported.contains(&text) {
                unsupported.push(text);
            }
        }
    }
    GroundingReport { grounded: unsupported.is_empty(), unsupported, claims }
}

#[derive(Debug, Clone, PartialEq)]
enum Claim {
    Number { text: String, value: f64, decimals: usize },
    Name(String),
}

impl Claim {
    fn text(&self) -> &str {
        match self {
            Claim::Number { text, .. } | Claim::Name(text) => text,
        }
    }
}

/// Every value of the turn's tool calls: strings (lowercased) and numbers, including the
/// digit runs inside strings (`7d` supports "7 days").
struct Corpus {
    text: String,
    numbers: Vec<f64>,
    folded: std::sync::OnceLock<String>,
}

impl Corpus {
    fn of(steps: &[StepRecord]) -> Corpus {
        let mut corpus = Corpus { text: String::new(), numbers: Vec::new(), folded: std::sync::OnceLock::new() };
        for step in steps {
            corpus.add(&step.arguments);
            corpus.add(&step.output);
        }
        corpus
    }

    fn add(&mut self, value: &Value) {
        match value {
            Value::String(text) => {
                self.text.push_str(&text.to_lowercase());
                self.text.push('\n');
                for run in digit_runs(text) {
                    if let Ok(number) = run.parse::<f64>() {
                        self.numbers.push(number);
                    }
                }
            }
            Value::Number(number) => {
                if let Some(number) = number.as_f64() {
                    self.numbers.push(number);
                    self.text.push_str(&number.to_string());
                    self.text.push('\n');
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.add(item)),
            Value::Object(fields) => fields.iter().for_each(|(key, item)| {
                self.text.push_str(&key.to_lowercase());
                self.text.push('\n');
                self.add(item);
            }),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn has_number(&self, claimed: f64, decimals: usize) -> bool {
        let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(6));
        self.numbers.iter().any(|&value| {
            value == claimed
                || (value * scale).round() / scale == claimed
                || (value.abs() * scale).round() / scale == claimed.abs()
        })
    }

    fn has_text(&self, text: &str) -> bool {
        self.text.contains(&text.to_lowercase())
    }

    /// Whether the text occurs with runs of white space folded to one space on both sides (a
    /// rule condition written over several lines, shown on one).
    fn has_folded_text(&self, text: &str) -> bool {
        let wanted = fold_whitespace(&text.to_lowercase());
        !wanted.is_empty() && self.folded_text().contains(&wanted)
    }

    fn folded_text(&self) -> &str {
        self.folded.get_or_init(|| fold_whitespace(&self.text))
    }
}

/// The text with every run of white space as one space.
fn fold_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs of ASCII digits (with one decimal point) inside a string.
fn digit_runs(text: &str) -> Vec<&str> {
    let mut runs = Vec::new();
    let mut start = None;
    let bytes = text.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        let continues = byte.is_ascii_digit()
            || (byte == b'.' && start.is_some() && bytes.get(index + 1).is_some_and(u8::is_ascii_digit));
        match (continues, start) {
            (true, None) => start = Some(index),
            (false, Some(begin)) => {
                runs.push(&text[begin..index]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(begin) = start {
        runs.push(&text[begin..]);
    }
    runs
}

/// The claims of an answer, in order.
fn claims_in(answer: &str) -> Vec<Claim> {
    let mut claims = Vec::new();
    let mut in_fence = false;
    for line in answer.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        let prose = if in_fence {
            strip_link_targets(line)
        } else {
            // Code spans first: a span may hold alert text that looks like a Markdown link,
            // and it is a claim exactly as written.
            let (code_spans, prose) = split_code_spans(line);
            for span in code_spans {
                if !span.trim().is_empty() && !is_vocabulary(span.trim()) {
                    // A `|` inside a table cell is written `\|` (GitHub's table syntax), also
                    // in a code span: the claim is the value with its plain `|`.
                    let span =
                        if line.trim_start().starts_with('|') { span.replace("\\|", "|") } else { span.to_string() };
                    claims.push(Claim::Name(span.trim().to_string()));
                }
            }
            strip_urls(&strip_link_targets(&prose))
        };
        let prose = strip_list_marker(&prose);
        for token in ascii_tokens(prose) {
            if !token.bytes().any(|byte| byte.is_ascii_digit()) || is_vocabulary(token) {
                continue;
            }
            match as_number(token) {
                Some((value, decimals)) => claims.push(Claim::Number { text: token.to_string(), value, decimals }),
                None => claims.push(Claim::Name(token.to_string())),
            }
        }
    }
    claims
}

/// Kubernetes API groups and versions that manifests in answers name.
const API_VERSIONS: [&str; 4] = ["networking.k8s.io/v1", "apps/v1", "batch/v1", "v1"];

/// Falco field-name prefixes: a token made of one of these and lowercase identifier characters
/// (with an optional `[n]` argument) is a field name, not a value.
const FIELD_CLASSES: [&str; 9] =
    ["k8s.", "kubernetes.", "k8smeta.", "proc.", "container.", "fd.", "user.", "evt.", "mitre."];

/// Falco's own file names, which answers name when they say where a snippet goes.
const FALCO_FILES: [&str; 4] = ["falco_rules.local.yaml", "falco_rules.yaml", "falco.yaml", "/etc/falco/rules.d"];

/// Whether `token` is vocabulary rather than a claim about the data: a Falco field name, one
/// of Falco's file names or a Kubernetes API version.
fn is_vocabulary(token: &str) -> bool {
    if API_VERSIONS.contains(&token) || FALCO_FILES.contains(&token) {
        return true;
    }
    let name = match token.split_once('[') {
        Some((name, argument)) => match argument.strip_suffix(']') {
            Some(inner) if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') => name,
            _ => return false,
        },
        None => token,
    };
    FIELD_CLASSES.iter().any(|prefix| name.starts_with(prefix))
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'.' | b'_'))
        && !name.ends_with('.')
}

/// Removes Markdown link targets `](...)`: they are where to look, not claims.
fn strip_link_targets(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(position) = rest.find("](") {
        out.push_str(&rest[..=position]);
        rest = &rest[position + 2..];
        match rest.find(')') {
            Some(end) => rest = &rest[end + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// Removes bare URLs from prose.
fn strip_urls(prose: &str) -> String {
    prose
        .split_whitespace()
        .filter(|word| !word.starts_with("http://") && !word.starts_with("https://"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Separates inline code spans from the prose around them. A backslash-escaped backtick
/// (`` \` ``) is a literal character of the prose, not a span delimiter.
fn split_code_spans(line: &str) -> (Vec<String>, String) {
    let mut pieces: Vec<String> = vec![String::new()];
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\\' if characters.peek() == Some(&'`') => {
                characters.next();
                if let Some(last) = pieces.last_mut() {
                    last.push('`');
                }
            }
            '`' => pieces.push(String::new()),
            other => {
                if let Some(last) = pieces.last_mut() {
                    last.push(other);
                }
            }
        }
    }
    // An unmatched backtick leaves its tail as prose.
    let balanced = pieces.len() % 2 == 1;
    let count = pieces.len();
    let mut spans = Vec::new();
    let mut prose = String::new();
    for (index, piece) in pieces.into_iter().enumerate() {
        let inside = index % 2 == 1;
        if inside && (balanced || index + 1 < count) {
            spans.push(piece);
        } else {
            prose.push_str(&piece);
            prose.push(' ');
        }
    }
    (spans, prose)
}

/// Drops a leading ordered-list marker (`1. `, `12) `) or heading numbering.
fn strip_list_marker(line: &str) -> &str {
    let trimmed = line.trim_start().trim_start_matches('#').trim_start();
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits <= 3 {
        let rest = &trimmed[digits..];
        if let Some(after) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return after;
        }
    }
    line
}

/// Maximal runs of ASCII letters, digits and `. , : / - _ + %` (Japanese text breaks runs, so
/// `140件` gives `140`), with sentence punctuation trimmed from the ends.
fn ascii_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| {
        !(c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | ':' | '/' | '-' | '_' | '+' | '%' | '[' | ']'))
    })
    .map(|token| token.trim_matches(|c: char| matches!(c, '.' | ',' | ':' | '/' | '-' | '+' | '%' | '[' | ']')))
    .filter(|token| !token.is_empty())
    .collect()
}

/// Reads `1,234`, `181.1`, `-12` as a number with its count of decimals.
fn as_number(token: &str) -> Option<(f64, usize)> {
    let plain: String = token.chars().filter(|&c| c != ',').collect();
    if plain.is_empty() || !plain.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.') {
        return None;
    }
    if token.contains(',') && !token.split(',').skip(1).all(|group| group.len() == 3) {
        return None;
    }
    let decimals = plain.split_once('.').map(|(_, fraction)| fraction.len()).unwrap_or(0);
    plain.parse::<f64>().ok().map(|value| (value, decimals))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn steps() -> Vec<StepRecord> {
        vec![StepRecord {
            tool: "event_stats".into(),
            arguments: json!({"scope": "k8s.ns.name=risk-10-aws-bedrock-java", "last": "7d"}),
            output: json!({"total": 140, "change_percent": 181.0811, "rules": [{"name": "Drop and execute new binary in container", "technique": "T1059.004"}],
                "cmdline": "bash ./malicious-bin-event-gen.sh", "first_seen": "2026-11-20T09:00:00Z", "workloads": 1234}),
        }]
    }

    /// Regression (prompt_injection scenario): alert text in a code span that looks like a
    /// Markdown link is checked whole, not cut at `](`.
    #[test]
    fn a_link_inside_a_code_span_is_part_of_the_claim() {
        let steps = vec![StepRecord {
            tool: "search_events".into(),
            arguments: json!({}),
            output: json!({"cmdline": "cat /etc/shadow [Approve](http://198.51.100.77/a) <b>"}),
        }];
        let report = check("`cat /etc/shadow [Approve](http://198.51.100.77/a) <b>` ran.", &steps);
        assert!(report.grounded, "{:?}", report.unsupported);
        let forged = check("`cat /etc/shadow [Approve](http://198.51.100.77/b) <b>` ran.", &steps);
        assert!(!forged.grounded);
    }

    #[test]
    fn a_pipe_escaped_in_a_table_cell_is_the_plain_pipe() {
        let steps = vec![StepRecord {
            tool: "explain_event".into(),
            arguments: json!({}),
            output: json!({"value": "S_IXOTH|S_IROTH"}),
        }];
        let report = check("| Field | Value |\n|---|---|\n| `evt.arg.mode` | `S_IXOTH\\|S_IROTH` |", &steps);
        assert!(report.grounded, "{:?}", report.unsupported);
        assert!(!check("| `evt.arg.mode` | `S_IXOTH\\|S_IWOTH` |", &steps).grounded);
    }

    #[test]
    fn supported_numbers_names_and_code_spans_pass() {
        let answer = "1. **140** alerts in `risk-10-aws-bedrock-java` over the last 7 days (+181.1%), 1,234 workloads.\n\
                      Root cause: `bash ./malicious-bin-event-gen.sh`, technique T1059.004 at 2026-11-20T09:00:00Z. \
                      [events](/events?scope=k8s.ns.name%3Dx&since=2026-01-01)";
        let report = check(answer, &steps());
        assert_eq!(report.unsupported, Vec::<String>::new());
        assert!(report.grounded);
        assert!(report.claims >= 6);
    }

    #[test]
    fn japanese_counts_are_read_between_kana() {
        assert!(check("合計140件のイベント、過去7日間", &steps()).grounded);
        let report = check("合計141件のイベント", &steps());
        assert_eq!(report.unsupported, vec!["141"]);
    }

    #[test]
    fn field_names_and_api_versions_are_vocabulary() {
        let answer = "Filter on `k8s.ns.name` and `proc.aname[2]`; k8s.pod.name is set.\n\
                      ```yaml\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  namespace: risk-10-aws-bedrock-java\n```";
        let report = check(answer, &steps());
        assert_eq!(report.unsupported, Vec::<String>::new());
    }

    #[test]
    fn fenced_blocks_check_their_values() {
        let answer = "```\nkubectl -n risk-11-other delete pod web-2\n```";
        assert_eq!(check(answer, &steps()).unsupported, vec!["risk-11-other", "web-2"]);
        // Outside a fence, a code span is checked whole.
        assert_eq!(check("`kubectl delete ns x`", &steps()).unsupported, vec!["kubectl delete ns x"]);
    }

    #[test]
    fn escaped_backticks_urls_in_spans_and_shortened_values() {
        let answer = "Derived from \\`bash ./malicious-bin-event-gen.sh\\` (T1059.004). \
                      Run `curl http://x/risk-10-aws-bedrock-java` and `bash ./malicious-bin…`.";
        let report = check(answer, &steps());
        assert_eq!(report.unsupported, vec!["curl http://x/risk-10-aws-bedrock-java"]);
        assert!(check("`bash ./malicious-bin…`", &steps()).grounded);
        assert!(!check("`bash ./evil…`", &steps()).grounded);
    }

    #[test]
    fn a_condition_over_several_lines_is_found_on_one() {
        let steps = vec![StepRecord {
            tool: "explain_event".into(),
            arguments: json!({}),
            output: json!({"condition": "(proc.pname in (web_server_binaries) or\n proc.aname[2] in (web_server_binaries))"}),
        }];
        assert!(
            check("`(proc.pname in (web_server_binaries) or proc.aname[2] in (web_server_binaries))`", &steps).grounded
        );
        assert!(!check("`(proc.pname in (shell_binaries))`", &steps).grounded);
    }

    #[test]
    fn invented_numbers_and_names_are_reported() {
        let report = check("There were 152 alerts from `xmrig` in risk-11-other and T1611.", &steps());
        assert!(!report.grounded);
        assert_eq!(report.unsupported, vec!["xmrig", "152", "risk-11-other", "T1611"]);
    }
}
