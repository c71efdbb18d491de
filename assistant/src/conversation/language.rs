//! The language of a question: Japanese when it contains kana or kanji, English otherwise.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The language an answer is written in; it follows the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Japanese.
    Ja,
}

impl Language {
    /// Detects the language of `text`: any hiragana, katakana, CJK ideograph or full-width
    /// form makes it Japanese (questions mix English names into Japanese sentences, never the
    /// reverse).
    pub fn detect(text: &str) -> Language {
        if text.chars().any(is_japanese) { Language::Ja } else { Language::En }
    }

    /// The BCP 47 tag: `en` or `ja`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ja => "ja",
        }
    }
}

fn is_japanese(character: char) -> bool {
    matches!(character,
        '\u{3040}'..='\u{30ff}'   // hiragana, katakana
        | '\u{3400}'..='\u{4dbf}' // CJK extension A
        | '\u{4e00}'..='\u{9fff}' // CJK unified ideographs
        | '\u{ff01}'..='\u{ff60}' // full-width forms
        | '\u{3000}'..='\u{303f}') // CJK punctuation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_with_english_names_is_japanese() {
        assert_eq!(Language::detect("risk-10-aws-bedrock-java において検出された"), Language::Ja);
        assert_eq!(Language::detect("過去7日間"), Language::Ja);
    }

    #[test]
    fn plain_english_is_english() {
        assert_eq!(Language::detect("List the attack path."), Language::En);
        assert_eq!(Language::detect(""), Language::En);
    }
}
