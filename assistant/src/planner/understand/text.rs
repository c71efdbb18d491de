//! The question as the understanding steps read it: lowercased, full-width forms folded to
//! ASCII, with phrase and token helpers that respect English word boundaries.

/// A question prepared for matching.
#[derive(Debug, Clone)]
pub struct Question {
    /// The question as asked (trimmed).
    pub original: String,
    /// Lowercased, full-width ASCII folded, whitespace collapsed.
    pub folded: String,
}

impl Question {
    /// Prepares `text` for matching.
    pub fn new(text: &str) -> Question {
        let original = text.trim().to_string();
        let mut folded = String::with_capacity(original.len());
        let mut last_space = false;
        for character in original.chars() {
            let character = fold_width(character);
            if character.is_whitespace() {
                if !last_space && !folded.is_empty() {
                    folded.push(' ');
                }
                last_space = true;
                continue;
            }
            last_space = false;
            folded.extend(character.to_lowercase());
        }
        Question { original, folded: folded.trim_end().to_string() }
    }

    /// Whether the question contains `phrase` (already lowercase). ASCII phrases must stand
    /// as whole words (`fix` does not match `prefix`); phrases with Japanese characters match
    /// anywhere.
    pub fn has(&self, phrase: &str) -> bool {
        find_phrase(&self.folded, phrase).is_some()
    }

    /// Whether the question contains `phrase`, or, for one long English word, that word
    /// misspelt by a letter ("remediaton", "reconnaisance"): cue words analysts type in a
    /// hurry. Names are never matched so; only the words that say what is asked.
    pub fn has_even_misspelt(&self, phrase: &str) -> bool {
        self.has(phrase)
            || (phrase.len() >= MISSPELT_FROM
                && phrase.bytes().all(|byte| byte.is_ascii_lowercase())
                && self
                    .folded
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .any(|word| word.len() + 2 >= phrase.len() && is_misspelling(word, phrase)))
    }

    /// Whether the question contains any of `phrases`.
    pub fn has_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|phrase| self.has(phrase))
    }

    /// The name-like tokens of the question, with their byte offsets in `folded`: maximal runs
    /// of ASCII letters, digits and `- _ . / : [ ]`, trimmed of sentence punctuation.
    pub fn tokens(&self) -> Vec<Token<'_>> {
        let mut tokens = Vec::new();
        let mut start: Option<usize> = None;
        let bytes = self.folded.as_bytes();
        for (index, &byte) in bytes.iter().enumerate().chain(std::iter::once((bytes.len(), &b' '))) {
            let inside = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'/' | b':' | b'[' | b']');
            match (inside, start) {
                (true, None) => start = Some(index),
                (false, Some(begin)) => {
                    push_trimmed(&self.folded, begin, index, &mut tokens);
                    start = None;
                }
                _ => {}
            }
        }
        tokens
    }

    /// Quoted parts of the question: `"..."`, `'...'` (between words), `` `...` ``, `「...」`,
    /// `『...』`, as written (original case).
    pub fn quoted(&self) -> Vec<String> {
        let mut parts = Vec::new();
        for (open, close) in [('"', '"'), ('`', '`'), ('「', '」'), ('『', '』'), ('“', '”')] {
            let mut rest = self.original.as_str();
            while let Some(begin) = rest.find(open) {
                let after = &rest[begin + open.len_utf8()..];
                let Some(end) = after.find(close) else { break };
                let inner = after[..end].trim();
                if !inner.is_empty() {
                    parts.push(inner.to_string());
                }
                rest = &after[end + close.len_utf8()..];
            }
        }
        parts
    }

    /// The question with every occurrence of `names` (object and rule names it was linked to)
    /// blanked out of `folded`, so that phrase matching reads only the wording around them.
    pub fn without_names<'a>(&self, names: impl Iterator<Item = &'a String>) -> Question {
        let mut folded = self.folded.clone();
        for name in names {
            let lower = name.to_lowercase();
            if !lower.chars().any(char::is_alphanumeric) {
                continue;
            }
            while let Some(start) = find_phrase(&folded, &lower) {
                let (start, end) = with_enclosing_quotes(&folded, start, start + lower.len());
                folded.replace_range(start..end, &" ".repeat(end - start));
            }
        }
        Question { original: self.original.clone(), folded }
    }

    /// The question with every run of whitespace in `folded` made one space: where names were
    /// taken out, the words on either side of them are neighbours again ("why was `cat
    /// /etc/shadow` flagged" has the phrase "was flagged").
    pub fn with_single_spaces(&self) -> Question {
        let folded = self.folded.split_whitespace().collect::<Vec<_>>().join(" ");
        Question { original: self.original.clone(), folded }
    }

    /// The text around a byte range of `folded`: `width` characters before and after.
    pub fn around(&self, start: usize, end: usize, width: usize) -> (&str, &str) {
        let before_start =
            self.folded[..start].char_indices().rev().nth(width.saturating_sub(1)).map(|(index, _)| index).unwrap_or(0);
        let after_end =
            self.folded[end..].char_indices().nth(width).map(|(index, _)| end + index).unwrap_or(self.folded.len());
        (&self.folded[before_start..start], &self.folded[end..after_end])
    }
}

/// The byte range `start..end` of `text` widened by the quotes around it (`` `cat /etc/shadow` ``,
/// "'nc'", 「…」), so that a name taken out of a question leaves no stray quote between the words
/// around it ("why was `…` flagged" reads "why was flagged").
fn with_enclosing_quotes(text: &str, start: usize, end: usize) -> (usize, usize) {
    const PAIRS: [(char, char); 5] = [('`', '`'), ('"', '"'), ('\'', '\''), ('「', '」'), ('“', '”')];
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    match (before, after) {
        (Some(open), Some(close)) if PAIRS.contains(&(open, close)) => {
            (start - open.len_utf8(), end + close.len_utf8())
        }
        _ => (start, end),
    }
}

/// A token of the folded question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token text (lowercase).
    pub text: &'a str,
    /// Byte offset of its start in `folded`.
    pub start: usize,
    /// Byte offset of its end.
    pub end: usize,
}

fn push_trimmed<'a>(folded: &'a str, begin: usize, end: usize, tokens: &mut Vec<Token<'a>>) {
    let raw = &folded[begin..end];
    let trimmed_start = raw.len() - raw.trim_start_matches(['.', ':', '-', '[']).len();
    let trimmed = raw.trim_start_matches(['.', ':', '-', '[']).trim_end_matches(['.', ':', '-', '/', ']']);
    // Keep a closing bracket that closes an argument, as in `proc.aname[2]`.
    let trimmed = if raw[trimmed_start..].ends_with(']') && trimmed.contains('[') {
        &raw[trimmed_start..raw.trim_end_matches(['.', ':', '-', '/']).len()]
    } else {
        trimmed
    };
    if !trimmed.is_empty() {
        let start = begin + trimmed_start;
        tokens.push(Token { text: trimmed, start, end: start + trimmed.len() });
    }
}

/// The byte offset of the first whole-word occurrence of `phrase` in `text`.
pub fn find_phrase(text: &str, phrase: &str) -> Option<usize> {
    if phrase.is_empty() {
        return None;
    }
    let ascii = phrase.is_ascii();
    let mut from = 0;
    while let Some(found) = text[from..].find(phrase) {
        let start = from + found;
        let end = start + phrase.len();
        if !ascii {
            return Some(start);
        }
        let before_ok = text[..start].chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric());
        let after_ok = text[end..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric());
        // Plurals and simple inflections of a word phrase still match (`technique` in
        // `techniques`), but only with a trailing `s`/`es`/`d`/`ed`/`ing`.
        let inflected = !after_ok && phrase.bytes().last().is_some_and(|b| b.is_ascii_alphabetic()) && {
            let rest = &text[end..];
            let suffix_len =
                ["ing", "es", "s", "ed", "d"].iter().find(|suffix| rest.starts_with(*suffix)).map(|s| s.len());
            suffix_len.is_some_and(|len| rest[len..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric()))
        };
        if before_ok && (after_ok || inflected) {
            return Some(start);
        }
        from = start + phrase.len().max(1);
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

/// The longest end of `text` whose characters all satisfy `keep` ("7" of "past 7", the name
/// before a particle).
pub fn trailing_run(text: &str, keep: impl Fn(char) -> bool) -> &str {
    let start = text.char_indices().rev().take_while(|(_, c)| keep(*c)).last().map_or(text.len(), |(index, _)| index);
    &text[start..]
}

/// Folds full-width ASCII forms and the ideographic space to ASCII.
fn fold_width(character: char) -> char {
    match character {
        '\u{3000}' => ' ',
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(character as u32 - 0xfee0).unwrap_or(character),
        _ => character,
    }
}

/// Shortest cue word matched with a typo ([`Question::has_even_misspelt`]).
const MISSPELT_FROM: usize = 8;

/// Whether `word` is `phrase` misspelt by one letter, not another form of it (a plural is not a
/// typo: "technique" must not count again for a cue "techniques").
fn is_misspelling(word: &str, phrase: &str) -> bool {
    let plural_of = |a: &str, b: &str| a.strip_suffix('s') == Some(b);
    !plural_of(word, phrase) && !plural_of(phrase, word) && super::vocabulary::edit_distance(word, phrase) <= 1
}

#[cfg(test)]
mod tests {

    #[test]
    fn long_cue_words_match_with_one_typo() {
        let question = Question::new("remediaton for the recon in prod?");
        assert!(question.has_even_misspelt("remediation"));
        assert!(Question::new("the Reconnaisance report").has_even_misspelt("reconnaissance"));
        assert!(!Question::new("remedy for it").has_even_misspelt("remediation"));
        assert!(!Question::new("fix it").has_even_misspelt("fox"), "short words need the exact word");
    }

    use super::*;

    #[test]
    fn a_quoted_name_taken_out_takes_its_quotes() {
        let names = ["cat /etc/shadow".to_string(), "nc".to_string()];
        let question = Question::new("why was `cat /etc/shadow` flagged, and 「nc」 too");
        let without = question.without_names(names.iter());
        let words: Vec<&str> = without.folded.split_whitespace().collect();
        assert_eq!(words, ["why", "was", "flagged,", "and", "too"]);
        let unquoted = Question::new("ran cat /etc/shadow`").without_names(names.iter());
        assert_eq!(unquoted.folded.split_whitespace().collect::<Vec<_>>(), ["ran", "`"], "an unpaired quote stays");
    }

    #[test]
    fn trailing_runs() {
        assert_eq!(trailing_run("past 17", |c| c.is_ascii_digit()), "17");
        assert_eq!(trailing_run("past", |c| c.is_ascii_digit()), "");
        assert_eq!(trailing_run("悪意のあるマイナー", |c| ('\u{30a0}'..='\u{30ff}').contains(&c)), "マイナー");
    }

    #[test]
    fn folds_width_case_and_spaces() {
        let question = Question::new("  Ｒｉｓｋ－１０\u{3000}の  Root Cause？ ");
        assert_eq!(question.folded, "risk-10 の root cause?");
    }

    #[test]
    fn names_are_blanked_as_whole_words_only() {
        let question = Question::new("How many Find AWS Credentials alerts since nc ran in prod-recon-eks?");
        let names = ["Find AWS Credentials".to_string(), "nc".to_string(), "prod-recon-eks".to_string()];
        let phrasing = question.without_names(names.iter());
        assert!(!phrasing.has("find") && !phrasing.has("recon") && !phrasing.has("nc"));
        assert!(phrasing.has("since") && phrasing.has("how many"));
        assert_eq!(phrasing.folded.len(), question.folded.len());
        assert_eq!(question.without_names([" ".to_string()].iter()).folded, question.folded);
    }

    #[test]
    fn phrases_respect_word_boundaries_and_plurals() {
        let question = Question::new("Which techniques were used? Prefix them.");
        assert!(question.has("technique"));
        assert!(question.has("techniques"));
        assert!(!question.has("fix"));
        assert!(Question::new("根本原因は何ですか").has("原因"));
    }

    #[test]
    fn tokens_keep_names_and_field_arguments() {
        let question = Question::new("Root cause in risk-10-aws-bedrock-java, proc.aname[2] and /dev/shm/easyminer.");
        let texts: Vec<&str> = question.tokens().iter().map(|token| token.text).collect();
        assert_eq!(
            texts,
            vec!["root", "cause", "in", "risk-10-aws-bedrock-java", "proc.aname[2]", "and", "/dev/shm/easyminer"]
        );
        let question = Question::new("risk-10-aws-bedrock-java において");
        assert_eq!(question.tokens()[0].text, "risk-10-aws-bedrock-java");
    }

    #[test]
    fn quoted_parts_in_both_languages() {
        let question = Question::new("Explain \"Terminal shell in container\" and 「Clear Log Activities」");
        assert_eq!(question.quoted(), vec!["Terminal shell in container", "Clear Log Activities"]);
    }
}
