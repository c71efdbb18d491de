//! A language's words for values the tools write in English (categories, ATT&CK tactics, tool
//! kinds, process roles, remediation steps), read from `prompts/answers/<lang>/glossary.json`.
//! A missing entry falls back to the tool's own English text.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::remedy::ListWords;

/// The glossary of one language.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    sections: Map<String, Value>,
    list_words: Option<ListWords>,
}

#[derive(Deserialize)]
struct ListWordsFile {
    separator: String,
    last_separator: String,
    more: String,
    none: String,
}

impl Glossary {
    /// Parses a glossary file: an object of sections, each an object of strings, plus an
    /// optional `list_words` section (how lists of objects are joined).
    pub fn parse(text: &str) -> Result<Glossary, String> {
        let value: Value = serde_json::from_str(text).map_err(|error| format!("invalid JSON: {error}"))?;
        let Value::Object(sections) = value else {
            return Err("the glossary must be a JSON object of sections".to_string());
        };
        for (name, section) in &sections {
            let Value::Object(entries) = section else {
                return Err(format!("section {name:?} must be an object of strings"));
            };
            if let Some((key, _)) = entries.iter().find(|(_, entry)| !entry.is_string()) {
                return Err(format!("entry {name}.{key} must be a string"));
            }
        }
        let list_words = match sections.get("list_words") {
            Some(section) => {
                let words: ListWordsFile = serde_json::from_value(section.clone())
                    .map_err(|error| format!("section \"list_words\": {error}"))?;
                Some(ListWords {
                    separator: words.separator,
                    last_separator: words.last_separator,
                    more: words.more,
                    none: words.none,
                })
            }
            None => None,
        };
        Ok(Glossary { sections, list_words })
    }

    /// The entry `key` of `section`, if the glossary has it.
    pub fn lookup(&self, section: &str, key: &str) -> Option<&str> {
        self.sections.get(section)?.get(key)?.as_str()
    }

    /// Every entry of a section.
    #[cfg(test)]
    pub fn section(&self, section: &str) -> impl Iterator<Item = (&String, &str)> {
        self.sections
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(key, value)| value.as_str().map(|text| (key, text)))
    }

    /// How lists of objects are joined (English when the glossary does not say).
    pub fn list_words(&self) -> ListWords {
        self.list_words.clone().unwrap_or_else(ListWords::english)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_looked_up_and_defects_named() {
        let glossary = Glossary::parse(r#"{"tactics": {"TA0002": "実行"}}"#).unwrap_or_default();
        assert_eq!(glossary.lookup("tactics", "TA0002"), Some("実行"));
        assert_eq!(glossary.lookup("tactics", "TA0003"), None);
        assert_eq!(glossary.list_words(), ListWords::english());
        assert_eq!(
            Glossary::parse(r#"{"tactics": {"TA0002": 1}}"#).err().as_deref(),
            Some("entry tactics.TA0002 must be a string")
        );
        assert!(Glossary::parse("[").is_err());
    }
}
