//! The intent lexicon, kept as data in `assistant/data/understanding/intents.yaml`: per
//! intent, weighted cue phrases and exemplar questions, each in English and Japanese. Cues say
//! what a question asks for when it uses a known phrase; exemplars, compared by character
//! n-gram similarity, when it uses wording no cue names.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::similarity::{GramVector, GramWeights};
use super::text::Question;
use crate::planner::plan::Intent;

/// The lexicon file, built into the binary.
const LEXICON_YAML: &str = include_str!("../../../data/understanding/intents.yaml");

/// One intent's entry in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentEntry {
    /// Weighted phrase groups.
    pub cues: Vec<CueGroup>,
    /// Example questions.
    #[serde(default)]
    pub exemplars: Vec<Exemplar>,
}

/// Phrases of one weight, in both languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CueGroup {
    /// What each phrase adds to the intent's score.
    pub weight: u32,
    /// English phrases (lowercase).
    pub en: Vec<String>,
    /// Japanese phrases.
    pub ja: Vec<String>,
}

/// One example question in both languages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemplar {
    /// In English.
    pub en: String,
    /// In Japanese.
    pub ja: String,
}

/// The lexicon, ready for scoring.
#[derive(Debug, Default)]
pub struct Lexicon {
    /// Per intent, by name: its cues and its exemplars.
    pub entries: Vec<(Intent, IntentEntry)>,
    weights: GramWeights,
    vectors: Vec<(Intent, GramVector)>,
}

/// Why the lexicon file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// The YAML does not parse or has an unknown field.
    #[error("intents.yaml: {0}")]
    Syntax(String),
    /// An entry names no intent the planner has.
    #[error("intents.yaml: `{0}` is not an intent (allowed: the planner's intent names such as root_cause)")]
    UnknownIntent(String),
}

impl Lexicon {
    /// Parses a lexicon file.
    pub fn parse(yaml: &str) -> Result<Lexicon, LexiconError> {
        let raw: BTreeMap<String, IntentEntry> =
            serde_saphyr::from_str(yaml).map_err(|error| LexiconError::Syntax(error.to_string()))?;
        let mut entries = Vec::new();
        for (name, mut entry) in raw {
            let intent = Intent::from_name(&name).ok_or(LexiconError::UnknownIntent(name))?;
            for group in &mut entry.cues {
                let variants: Vec<String> = group.ja.iter().flat_map(|phrase| casual_variants(phrase)).collect();
                for variant in variants {
                    if !group.ja.contains(&variant) {
                        group.ja.push(variant);
                    }
                }
            }
            entries.push((intent, entry));
        }
        let texts: Vec<String> = entries
            .iter()
            .flat_map(|(_, entry)| entry.exemplars.iter().flat_map(|exemplar| [fold(&exemplar.en), fold(&exemplar.ja)]))
            .collect();
        let weights = GramWeights::from_texts(texts.iter().map(String::as_str));
        let vectors = entries
            .iter()
            .flat_map(|(intent, entry)| {
                entry
                    .exemplars
                    .iter()
                    .flat_map(|exemplar| [fold(&exemplar.en), fold(&exemplar.ja)])
                    .map(|text| (*intent, weights.vector(&text)))
                    .collect::<Vec<_>>()
            })
            .collect();
        Ok(Lexicon { entries, weights, vectors })
    }

    /// The cue score of every intent the question mentions (unsorted, zero scores left out).
    pub fn cue_scores(&self, question: &Question) -> Vec<(Intent, u32)> {
        let question = &question.with_single_spaces();
        self.entries
            .iter()
            .map(|(intent, entry)| {
                let score = entry
                    .cues
                    .iter()
                    .map(|group| {
                        let hits = group
                            .en
                            .iter()
                            .chain(&group.ja)
                            .filter(|phrase| question.has_even_misspelt(phrase))
                            .count();
                        group.weight * hits as u32
                    })
                    .sum();
                (*intent, score)
            })
            .filter(|(_, score)| *score > 0)
            .collect()
    }

    /// The best exemplar similarity of every intent (0 to 1), highest first.
    pub fn similarities(&self, question: &Question) -> Vec<(Intent, f32)> {
        let vector = self.weights.vector(&question.with_single_spaces().folded);
        let mut best: Vec<(Intent, f32)> = Vec::new();
        if vector.is_empty() {
            return best;
        }
        for (intent, exemplar) in &self.vectors {
            let similarity = vector.cosine(exemplar);
            match best.iter_mut().find(|(known, _)| known == intent) {
                Some(entry) => entry.1 = entry.1.max(similarity),
                None => best.push((*intent, similarity)),
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        best
    }
}

/// Particles casual Japanese drops between two words (何を見て → 何見て).
const DROPPED_PARTICLES: [char; 4] = ['を', 'が', 'は', 'に'];

/// The casual forms of a Japanese cue: its particles between two words dropped (「何を見て」 →
/// 「何見て」, 「影響を受けた」 → 「影響受けた」) and its topic は said as って (「このルールは何」 →
/// 「このルールって何」).
fn casual_variants(phrase: &str) -> Vec<String> {
    let characters: Vec<char> = phrase.chars().collect();
    let is_kana = |character: char| matches!(character, '\u{3041}'..='\u{309f}');
    let between_words = |index: usize| {
        index > 0 && index + 1 < characters.len() && !is_kana(characters[index - 1]) && !is_kana(characters[index + 1])
    };
    let mut dropped = String::new();
    let mut topic = String::new();
    for (index, character) in characters.iter().enumerate() {
        let particle = DROPPED_PARTICLES.contains(character) && between_words(index);
        if !particle {
            dropped.push(*character);
        }
        if *character == 'は' && between_words(index) {
            topic.push_str("って");
        } else {
            topic.push(*character);
        }
    }
    [dropped, topic].into_iter().filter(|variant| variant != phrase && variant.chars().count() >= 2).collect()
}

/// An exemplar prepared as a question is.
fn fold(text: &str) -> String {
    Question::new(text).folded
}

/// The lexicon built into the binary. A file that does not load (a test guards against it)
/// leaves the planner with no cues: every question then falls to the defaults.
pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        Lexicon::parse(LEXICON_YAML).unwrap_or_else(|error| {
            tracing::error!(%error, "the built-in intent lexicon does not load");
            Lexicon::default()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_japanese(text: &str) -> bool {
        text.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
    }

    #[test]
    fn japanese_cues_also_match_their_casual_forms() {
        assert_eq!(casual_variants("何を見て"), ["何見て"]);
        assert_eq!(casual_variants("このルールは何"), ["このルール何", "このルールって何"]);
        assert!(casual_variants("どうすれば").is_empty(), "a particle inside a word stays");
        let lexicon = Lexicon::parse(LEXICON_YAML).expect("intents.yaml loads");
        let explain =
            |text: &str| lexicon.cue_scores(&Question::new(text)).iter().any(|(intent, _)| *intent == Intent::Explain);
        assert!(explain("このルール何見てるの?"));
    }

    #[test]
    fn the_built_in_lexicon_loads_and_covers_every_analysis_intent() {
        let lexicon = Lexicon::parse(LEXICON_YAML).expect("intents.yaml loads");
        for intent in [
            Intent::Summary,
            Intent::Report,
            Intent::RootCause,
            Intent::Mitre,
            Intent::AttackPath,
            Intent::ImpactedWorkloads,
            Intent::Remediation,
            Intent::Isolation,
            Intent::ComparePeriods,
            Intent::Count,
            Intent::Search,
            Intent::Explain,
            Intent::FalsePositive,
            Intent::Exception,
            Intent::ValidateException,
        ] {
            let entry = lexicon.entries.iter().find(|(known, _)| *known == intent);
            let (_, entry) = entry.unwrap_or_else(|| panic!("no entry for {intent:?}"));
            assert!(!entry.cues.is_empty(), "{intent:?} has no cues");
            assert!(entry.exemplars.len() >= 4, "{intent:?} has {} exemplars", entry.exemplars.len());
        }
    }

    #[test]
    fn every_cue_and_exemplar_is_given_in_both_languages() {
        let lexicon = Lexicon::parse(LEXICON_YAML).expect("intents.yaml loads");
        for (intent, entry) in &lexicon.entries {
            for group in &entry.cues {
                assert!(
                    !group.en.is_empty() && !group.ja.is_empty(),
                    "{intent:?} weight {}: en {:?}, ja {:?}",
                    group.weight,
                    group.en,
                    group.ja
                );
                for phrase in &group.en {
                    assert!(!has_japanese(phrase) && phrase == &phrase.to_lowercase(), "{intent:?}: en cue {phrase:?}");
                }
                for phrase in &group.ja {
                    assert!(has_japanese(phrase), "{intent:?}: ja cue {phrase:?} has no Japanese");
                }
            }
            for exemplar in &entry.exemplars {
                assert!(!has_japanese(&exemplar.en), "{intent:?}: en exemplar {:?}", exemplar.en);
                assert!(has_japanese(&exemplar.ja), "{intent:?}: ja exemplar {:?}", exemplar.ja);
            }
        }
    }

    #[test]
    fn an_unknown_intent_is_named_in_the_error() {
        let error = Lexicon::parse("root_causes:\n  cues: []\n").expect_err("unknown intent");
        assert!(error.to_string().contains("root_causes"), "{error}");
    }

    #[test]
    fn exemplars_recognise_wordings_no_cue_names() {
        let lexicon = lexicon();
        for (question, expected) in [
            ("what kicked this whole thing off", Intent::RootCause),
            ("そのあと何したの", Intent::AttackPath),
            ("how bad has it gotten compared to last week", Intent::ComparePeriods),
        ] {
            let best = lexicon.similarities(&Question::new(question));
            assert_eq!(best.first().map(|(intent, _)| *intent), Some(expected), "{question}: {best:?}");
        }
    }
}
