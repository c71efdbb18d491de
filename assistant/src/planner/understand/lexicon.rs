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
        for (name, entry) in raw {
            let intent = Intent::from_name(&name).ok_or(LexiconError::UnknownIntent(name))?;
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
        self.entries
            .iter()
            .map(|(intent, entry)| {
                let score = entry
                    .cues
                    .iter()
                    .map(|group| {
                        let hits = group.en.iter().chain(&group.ja).filter(|phrase| question.has(phrase)).count();
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
        let vector = self.weights.vector(&question.folded);
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
