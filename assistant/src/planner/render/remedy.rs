//! Remediation steps rendered safely and in the answer's language.
//!
//! `suggest_remediation` returns each step as English prose with the incident's objects (pods,
//! command lines, files, addresses) filled into the reviewed text of `remediation_table`. The
//! objects are alert text, so they must not reach the answer as Markdown. This module matches a
//! step against its entry's text to recover the objects, then writes the step again: the
//! English text with each object in a code span, or the answer language's own sentence for the
//! entry (from the glossary in `prompts/answers/<lang>/glossary.json`) with the same objects.
//! A step that does not match its entry is shown as escaped prose.

use saker_tools::analytics::remediation_table::{REMEDIES, Target};

use super::markdown::{code_span, escape_text};

/// The objects one placeholder was filled with: `a, b and c`, `a, b, c and 3 more`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilledObjects {
    /// The values, in the tool's order.
    pub values: Vec<String>,
    /// `K` of "and K more", as the tool wrote it.
    pub more: Option<String>,
}

/// A piece of an entry's text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Placeholder(Target),
}

/// Words that join objects in a language: `, ` and ` and ` in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListWords {
    /// Between items but the last.
    pub separator: String,
    /// Before the last item.
    pub last_separator: String,
    /// `{count}` stands for K in "and K more".
    pub more: String,
    /// When the alerts recorded no object of the kind.
    pub none: String,
}

impl ListWords {
    /// English, as the tool writes it.
    pub fn english() -> ListWords {
        ListWords {
            separator: ", ".into(),
            last_separator: " and ".into(),
            more: " and {count} more".into(),
            none: "(none recorded in the alerts)".into(),
        }
    }
}

/// The text of the reviewed entry `id`, with whitespace collapsed as the tool does.
fn entry_text(id: &str) -> Option<(String, &'static [Target])> {
    REMEDIES
        .iter()
        .find(|remedy| remedy.id == id)
        .map(|remedy| (remedy.action.split_whitespace().collect::<Vec<_>>().join(" "), remedy.targets))
}

/// Splits an entry's text into literals and placeholders.
fn pieces(text: &str, targets: &[Target]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = text;
    loop {
        let next = targets
            .iter()
            .filter_map(|target| rest.find(target.placeholder()).map(|position| (position, *target)))
            .min_by_key(|(position, _)| *position);
        match next {
            Some((position, target)) => {
                if position > 0 {
                    pieces.push(Piece::Literal(rest[..position].to_string()));
                }
                pieces.push(Piece::Placeholder(target));
                rest = &rest[position + target.placeholder().len()..];
            }
            None => {
                if !rest.is_empty() {
                    pieces.push(Piece::Literal(rest.to_string()));
                }
                return pieces;
            }
        }
    }
}

/// A filled step matched against its entry: the literal text and the objects, in order.
/// `None` when the entry is unknown or the text does not match it.
fn match_step(id: &str, action: &str) -> Option<Vec<(Option<Target>, String)>> {
    let (text, targets) = entry_text(id)?;
    let pieces = pieces(&text, targets);
    let mut matched = Vec::new();
    let mut rest = action;
    let mut index = 0;
    while index < pieces.len() {
        match &pieces[index] {
            Piece::Literal(literal) => {
                rest = rest.strip_prefix(literal.as_str())?;
                matched.push((None, literal.clone()));
            }
            Piece::Placeholder(target) => {
                let value = match pieces.get(index + 1) {
                    Some(Piece::Literal(next)) if index + 2 == pieces.len() => rest.strip_suffix(next.as_str())?,
                    Some(Piece::Literal(next)) => &rest[..rest.find(next.as_str())?],
                    Some(Piece::Placeholder(_)) => return None,
                    None => rest,
                };
                if value.is_empty() {
                    return None;
                }
                rest = &rest[value.len()..];
                matched.push((Some(*target), value.to_string()));
            }
        }
        index += 1;
    }
    rest.is_empty().then_some(matched)
}

/// Reads back the tool's phrase for a list of objects (see `suggest_remediation::phrase`).
/// A value that itself contains `, ` or ` and ` may be split; every piece is still verbatim.
pub fn parse_objects(phrase: &str) -> FilledObjects {
    let english = ListWords::english();
    if phrase == english.none {
        return FilledObjects { values: Vec::new(), more: None };
    }
    if let Some((listed, tail)) = phrase.rsplit_once(" and ")
        && let Some(count) = tail.strip_suffix(" more")
        && !count.is_empty()
        && count.bytes().all(|byte| byte.is_ascii_digit())
    {
        let values = listed.split(", ").map(str::to_string).collect();
        return FilledObjects { values, more: Some(count.to_string()) };
    }
    match phrase.rsplit_once(" and ") {
        Some((listed, last)) if listed.split(", ").count() <= 2 => {
            let mut values: Vec<String> = listed.split(", ").map(str::to_string).collect();
            values.push(last.to_string());
            FilledObjects { values, more: None }
        }
        _ => FilledObjects { values: vec![phrase.to_string()], more: None },
    }
}

/// The objects as Markdown: code spans joined by the language's words.
pub fn objects_markdown(objects: &FilledObjects, words: &ListWords) -> String {
    let spans: Vec<String> = objects.values.iter().map(|value| code_span(value)).collect();
    let mut text = match spans.split_last() {
        None => return words.none.clone(),
        Some((only, [])) => only.clone(),
        Some((last, rest)) if objects.more.is_none() => {
            format!("{}{}{last}", rest.join(&words.separator), words.last_separator)
        }
        Some(_) => spans.join(&words.separator),
    };
    if let Some(count) = &objects.more {
        text.push_str(&words.more.replace("{count}", count));
    }
    text
}

/// The step `id` with `action` (the tool's filled English text), rendered with its objects in
/// code spans: from `sentence` (the language's text for the entry, with the entry's
/// placeholders) when given, else from the English text. Falls back to the escaped action.
pub fn render_step(id: &str, action: &str, sentence: Option<&str>, words: &ListWords) -> String {
    let Some(matched) = match_step(id, action) else {
        return escape_text(action);
    };
    match sentence {
        Some(sentence) => {
            let mut text = sentence.to_string();
            for (target, value) in &matched {
                if let Some(target) = target {
                    text = text.replace(target.placeholder(), &objects_markdown(&parse_objects(value), words));
                }
            }
            text
        }
        None => matched
            .iter()
            .map(|(target, value)| match target {
                Some(_) => objects_markdown(&parse_objects(value), words),
                None => escape_text(value),
            })
            .collect(),
    }
}

#[cfg(test)]
/// The placeholders an entry's text uses, for checking a language's sentence against it.
pub fn entry_placeholders(id: &str) -> Option<Vec<&'static str>> {
    entry_text(id).map(|(_, targets)| targets.iter().map(|target| target.placeholder()).collect())
}

#[cfg(test)]
/// The ids of every reviewed entry.
pub fn entry_ids() -> impl Iterator<Item = &'static str> {
    REMEDIES.iter().map(|remedy| remedy.id)
}

#[cfg(test)]
/// The text of an entry with whitespace collapsed (its tokens are in every filled step).
pub fn entry_english(id: &str) -> Option<String> {
    entry_text(id).map(|(text, _)| text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISOLATE: &str = "Isolate the pods risk-10-aws-bedrock-java-fvsm52jnp-bddn7 and risk-10-aws-bedrock-java-fvsm52jnp-njbn2 (workloads risk-10-aws-bedrock-java/risk-10-aws-bedrock-java): apply a deny-all ingress and egress NetworkPolicy that selects them, and keep them running until their processes and writable layer are captured; deleting them first destroys the evidence.";

    #[test]
    fn objects_are_recovered_and_put_in_code_spans() {
        let english = render_step("isolate-pods", ISOLATE, None, &ListWords::english());
        assert!(english.starts_with(
            "Isolate the pods `risk-10-aws-bedrock-java-fvsm52jnp-bddn7` and `risk-10-aws-bedrock-java-fvsm52jnp-njbn2` (workloads `risk-10-aws-bedrock-java/risk-10-aws-bedrock-java`): apply"
        ));
        let words = ListWords {
            separator: "、".into(),
            last_separator: "、".into(),
            more: " ほか{count}件".into(),
            none: "なし".into(),
        };
        let japanese = render_step("isolate-pods", ISOLATE, Some("Pod {pods}（{workloads}）を隔離"), &words);
        assert_eq!(
            japanese,
            "Pod `risk-10-aws-bedrock-java-fvsm52jnp-bddn7`、`risk-10-aws-bedrock-java-fvsm52jnp-njbn2`（`risk-10-aws-bedrock-java/risk-10-aws-bedrock-java`）を隔離"
        );
    }

    #[test]
    fn hostile_objects_stay_inert() {
        let action = "Block the remote ends [x](http://evil) <img src=x> at the cloud firewall or security group and the egress proxy, then search flow logs for any other workload that reached them.";
        let text = render_step("block-remote-ends", action, None, &ListWords::english());
        assert!(
            text.starts_with("Block the remote ends `[x](http://evil) <img src=x>` at the cloud firewall"),
            "{text}"
        );
        // An action that does not match its entry is escaped prose.
        let text = render_step("block-remote-ends", "Something [else](http://evil)", None, &ListWords::english());
        assert_eq!(text, "Something \\[else\\](http\\://evil)");
        assert_eq!(render_step("no-such-entry", "a *b*", None, &ListWords::english()), "a \\*b\\*");
    }

    #[test]
    fn object_phrases_are_read_back() {
        assert_eq!(parse_objects("a").values, ["a"]);
        assert_eq!(parse_objects("a and b").values, ["a", "b"]);
        assert_eq!(parse_objects("a, b and c").values, ["a", "b", "c"]);
        let many = parse_objects("a, b, c and 3 more");
        assert_eq!((many.values, many.more), (vec!["a".to_string(), "b".into(), "c".into()], Some("3".to_string())));
        assert!(parse_objects("(none recorded in the alerts)").values.is_empty());
        let words = ListWords::english();
        assert_eq!(objects_markdown(&parse_objects("a, b, c and 3 more"), &words), "`a`, `b`, `c` and 3 more");
        assert_eq!(objects_markdown(&parse_objects("a, b and c"), &words), "`a`, `b` and `c`");
    }

    #[test]
    fn every_entry_matches_its_own_text_filled_with_values() {
        for id in entry_ids() {
            let text = entry_english(id).unwrap_or_default();
            let mut filled = text.clone();
            for placeholder in entry_placeholders(id).unwrap_or_default() {
                filled = filled.replace(placeholder, "x-1 and y-2");
            }
            let rendered = render_step(id, &filled, None, &ListWords::english());
            assert!(rendered.contains("`x-1` and `y-2`"), "{id}: {rendered}");
        }
    }
}
