//! Deterministic text similarity for intent recognition: a text becomes a sparse vector of
//! character n-grams (padded trigrams of each Latin word, bigrams of each run of Japanese
//! characters), weighted by how rare each n-gram is among the exemplars, and two texts compare
//! by cosine. Character n-grams need no tokenizer for Japanese and tolerate inflections,
//! abbreviations and small typos in English.

use std::collections::BTreeMap;

/// A sparse, L2-normalised vector of n-gram weights, sorted by n-gram.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GramVector {
    entries: Vec<(String, f32)>,
}

/// The n-grams of `text` (already folded to lowercase), with their counts.
pub fn grams(text: &str) -> BTreeMap<String, u32> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut add = |gram: String| *counts.entry(gram).or_default() += 1;
    let characters: Vec<char> = text.chars().collect();
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index];
        if character.is_ascii_alphanumeric() || character == '&' {
            let start = index;
            while index < characters.len() && (characters[index].is_ascii_alphanumeric() || characters[index] == '&') {
                index += 1;
            }
            let word: Vec<char> = std::iter::once(' ')
                .chain(characters[start..index].iter().copied())
                .chain(std::iter::once(' '))
                .collect();
            for window in word.windows(3) {
                add(window.iter().collect());
            }
            // The whole word as well, so that equal words weigh more than shared fragments.
            add(characters[start..index].iter().collect());
        } else if is_japanese(character) {
            let start = index;
            while index < characters.len() && is_japanese(characters[index]) {
                index += 1;
            }
            let run = &characters[start..index];
            if run.len() == 1 {
                add(run[0].to_string());
            }
            for window in run.windows(2) {
                add(window.iter().collect());
            }
        } else {
            index += 1;
        }
    }
    counts
}

/// Kana, kanji and the prolonged sound mark.
fn is_japanese(character: char) -> bool {
    matches!(character, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff66}'..='\u{ff9f}')
}

/// How much each n-gram says: the inverse document frequency over a set of texts.
#[derive(Debug, Clone, Default)]
pub struct GramWeights {
    idf: BTreeMap<String, f32>,
    unseen: f32,
}

impl GramWeights {
    /// Weights from `texts` (the exemplars).
    pub fn from_texts<'a>(texts: impl Iterator<Item = &'a str>) -> GramWeights {
        let mut document_frequency: BTreeMap<String, u32> = BTreeMap::new();
        let mut documents = 0u32;
        for text in texts {
            documents += 1;
            for gram in grams(text).into_keys() {
                *document_frequency.entry(gram).or_default() += 1;
            }
        }
        let total = documents.max(1) as f32;
        let idf = document_frequency
            .into_iter()
            .map(|(gram, frequency)| (gram, (1.0 + total / frequency as f32).ln()))
            .collect();
        GramWeights { idf, unseen: (1.0 + total).ln() }
    }

    /// The weighted, normalised vector of `text`.
    pub fn vector(&self, text: &str) -> GramVector {
        let mut entries: Vec<(String, f32)> = grams(text)
            .into_iter()
            .map(|(gram, count)| {
                let weight = self.idf.get(&gram).copied().unwrap_or(self.unseen);
                (gram, (1.0 + (count as f32).ln()) * weight)
            })
            .collect();
        let norm = entries.iter().map(|(_, weight)| weight * weight).sum::<f32>().sqrt();
        if norm > 0.0 {
            for entry in &mut entries {
                entry.1 /= norm;
            }
        }
        GramVector { entries }
    }
}

impl GramVector {
    /// The cosine similarity with `other`, 0 to 1.
    pub fn cosine(&self, other: &GramVector) -> f32 {
        let (mut left, mut right) = (self.entries.iter().peekable(), other.entries.iter().peekable());
        let mut dot = 0.0;
        while let (Some((a, x)), Some((b, y))) = (left.peek(), right.peek()) {
            match a.cmp(b) {
                std::cmp::Ordering::Less => {
                    left.next();
                }
                std::cmp::Ordering::Greater => {
                    right.next();
                }
                std::cmp::Ordering::Equal => {
                    dot += x * y;
                    left.next();
                    right.next();
                }
            }
        }
        dot.clamp(0.0, 1.0)
    }

    /// True when the text had no n-gram at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn similarity(a: &str, b: &str) -> f32 {
        let weights = GramWeights::from_texts([a, b].into_iter());
        weights.vector(a).cosine(&weights.vector(b))
    }

    #[test]
    fn latin_words_give_padded_trigrams_and_japanese_runs_bigrams() {
        let found = grams("fix 直し方");
        for gram in [" fi", "fix", "ix ", "直し", "し方"] {
            assert!(found.contains_key(gram), "{gram} in {found:?}");
        }
    }

    #[test]
    fn similar_wordings_are_closer_than_unrelated_ones() {
        assert!(
            similarity("what kicked this off", "what kicked it off")
                > similarity("what kicked this off", "how many alerts")
        );
        assert!(similarity("復旧手順は", "復旧の手順を教えて") > similarity("復旧手順は", "アラート何件"));
        assert!(similarity("blast radius", "blast radius?") > 0.9);
    }

    #[test]
    fn empty_and_symbol_only_texts_compare_as_zero() {
        assert_eq!(similarity("", "anything"), 0.0);
        assert_eq!(similarity("?!", "?!"), 0.0);
    }
}
