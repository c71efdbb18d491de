//! The question-shape words, kept as data in `assistant/data/understanding/words.yaml`:
//! follow-ups, exclusions, "only that", "what is", "whether" and the like, each list in English
//! and Japanese (or, for names that are the same in every language, in neither). The intent
//! cues are in `intents.yaml` ([`super::lexicon`]); these say how a question is shaped.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The words file, built into the binary.
const WORDS_YAML: &str = include_str!("../../../data/understanding/words.yaml");

/// One list as written in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    ja: Vec<String>,
    #[serde(default)]
    any: Vec<String>,
}

/// One list of words, by language and all together.
#[derive(Debug, Default)]
pub struct WordList {
    /// The English words (lowercase).
    pub en: Vec<&'static str>,
    /// The Japanese words.
    pub ja: Vec<&'static str>,
    /// Every word of the list, English, Japanese and language-neutral names.
    pub all: Vec<&'static str>,
}

/// Every list the planner reads, by what it is for.
#[derive(Debug, Default)]
pub struct Words {
    /// Asks for every object a name could mean ("the prod clusters", 「両方」).
    pub all_of_them: WordList,
    /// Asks whether something reached past what the question leaves out.
    pub beyond: WordList,
    /// Kinds of objects a count can be of: a count of them is the impacted workloads.
    pub counted_objects: WordList,
    /// Makes a question about the alerts at all.
    pub domain: WordList,
    /// Leaves a name out: English before it, Japanese after it.
    pub excluding: WordList,
    /// A follow-up that repeats the previous question for other objects.
    pub follow_up: WordList,
    /// Asks for the impacted workloads as such.
    pub impact: WordList,
    /// A follow-up that narrows the previous question to another object.
    pub narrowing: WordList,
    /// After a name: it is an incident, an application or a place.
    pub object_nouns: WordList,
    /// Confines a request to the object named.
    pub only_that: WordList,
    /// Other security products whose alerts Saker does not hold.
    pub other_products: WordList,
    /// Asks what something is or means.
    pub what: WordList,
    /// English: opens a yes-or-no question; Japanese: ends one.
    pub whether: WordList,
    /// Says in so many words to search the alerts for a word.
    pub search_said: WordList,
    /// Asks what happened, not whether anything did (「何があった?」, 「何された?」).
    pub what_happened: WordList,
    /// Asks which pods (containers, workloads) something ran in.
    pub which_pods: WordList,
    /// Widens the focus to the analyst's scope or cluster.
    pub widen: WordList,
    /// Refers to the one cluster the conversation found its alerts in (「そのクラスタ」).
    pub that_cluster: WordList,
}

/// Why the words file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WordsError {
    /// The YAML does not parse or has an unknown field.
    #[error("words.yaml: {0}")]
    Syntax(String),
    /// A list the planner reads is missing, or one it does not read is there.
    #[error("words.yaml: list `{0}` {1}")]
    List(String, &'static str),
}

/// Makes a word live as long as the program (the lists are read once).
fn forever(words: Vec<String>) -> Vec<&'static str> {
    words.into_iter().map(|word| &*Box::leak(word.into_boxed_str())).collect()
}

impl WordList {
    fn from_raw(raw: RawList) -> WordList {
        let en = forever(raw.en);
        let ja = forever(raw.ja);
        let any = forever(raw.any);
        let all = en.iter().chain(&ja).chain(&any).copied().collect();
        WordList { en, ja, all }
    }
}

impl Words {
    /// Parses a words file: every list named exactly once, none unknown.
    pub fn parse(yaml: &str) -> Result<Words, WordsError> {
        let mut raw: BTreeMap<String, RawList> =
            serde_saphyr::from_str(yaml).map_err(|error| WordsError::Syntax(error.to_string()))?;
        let mut take = |name: &str| {
            raw.remove(name).map(WordList::from_raw).ok_or_else(|| WordsError::List(name.to_string(), "is missing"))
        };
        let words = Words {
            all_of_them: take("all_of_them")?,
            beyond: take("beyond")?,
            counted_objects: take("counted_objects")?,
            domain: take("domain")?,
            excluding: take("excluding")?,
            follow_up: take("follow_up")?,
            impact: take("impact")?,
            narrowing: take("narrowing")?,
            object_nouns: take("object_nouns")?,
            only_that: take("only_that")?,
            other_products: take("other_products")?,
            what: take("what")?,
            whether: take("whether")?,
            what_happened: take("what_happened")?,
            search_said: take("search_said")?,
            which_pods: take("which_pods")?,
            that_cluster: take("that_cluster")?,
            widen: take("widen")?,
        };
        match raw.into_keys().next() {
            Some(unknown) => Err(WordsError::List(unknown, "is not read by the planner")),
            None => Ok(words),
        }
    }
}

/// The built-in words, parsed once.
pub fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        Words::parse(WORDS_YAML).unwrap_or_else(|error| {
            tracing::error!(%error, "the built-in question words do not load");
            Words::default()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_lists() -> BTreeMap<String, RawList> {
        serde_saphyr::from_str(WORDS_YAML).expect("words.yaml parses")
    }

    #[test]
    fn the_built_in_words_load() {
        let words = Words::parse(WORDS_YAML).expect("words.yaml loads");
        assert!(words.what.all.contains(&"wtf"));
        assert!(words.excluding.ja.contains(&"以外"));
        assert!(words.other_products.all.contains(&"guardduty"));
    }

    #[test]
    fn every_list_is_given_in_both_languages_or_as_names() {
        for (name, list) in raw_lists() {
            if list.any.is_empty() {
                assert!(!list.en.is_empty() && !list.ja.is_empty(), "`{name}` needs both en and ja words");
                assert!(
                    list.en.iter().all(|word| word.is_ascii() && word.to_lowercase() == *word),
                    "`{name}`: en is ASCII lowercase"
                );
                assert!(list.ja.iter().all(|word| !word.is_ascii()), "`{name}`: ja words are Japanese");
            } else {
                assert!(list.en.is_empty() && list.ja.is_empty(), "`{name}`: names (`any`) stand alone");
            }
        }
    }

    #[test]
    fn a_missing_or_unknown_list_is_named() {
        let missing = Words::parse("what: {en: [what], ja: [何]}").expect_err("lists are missing");
        assert!(missing.to_string().contains("all_of_them"), "{missing}");
        let mut text = WORDS_YAML.to_string();
        text.push_str("\nsurprise:\n  en: [x]\n  ja: [エックス]\n");
        let unknown = Words::parse(&text).expect_err("an unknown list");
        assert!(unknown.to_string().contains("surprise"), "{unknown}");
    }
}
