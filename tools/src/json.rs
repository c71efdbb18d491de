//! JSON text read strictly: a key repeated in one object is an error naming the key and its
//! place (serde_json alone keeps the last value silently, so two readers of the same text could
//! disagree about what it says).

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `text` into a [`Value`], refusing a key that appears twice in one object. The error
/// is serde_json's, with its line and column; a repeated key is a data error
/// ([`serde_json::error::Category::Data`]) reading `duplicate key "name"`.
pub fn from_slice_unique(text: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<UniqueValue>(text).map(|unique| unique.0)
}

/// Like [`from_slice_unique`] for text.
pub fn from_str_unique(text: &str) -> Result<Value, serde_json::Error> {
    from_slice_unique(text.as_bytes())
}

/// A JSON value whose objects have distinct keys.
struct UniqueValue(Value);

impl<'de> Deserialize<'de> for UniqueValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<UniqueValue, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = UniqueValue;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Number(value.into())))
    }

    fn visit_u64<E>(self, value: u64) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Number(value.into())))
    }

    fn visit_f64<E>(self, value: f64) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Number::from_f64(value).map_or(Value::Null, Value::Number)))
    }

    fn visit_str<E>(self, value: &str) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::String(value.to_string())))
    }

    fn visit_string<E>(self, value: String) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::String(value)))
    }

    fn visit_none<E>(self) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Null))
    }

    fn visit_unit<E>(self) -> Result<UniqueValue, E> {
        Ok(UniqueValue(Value::Null))
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<UniqueValue, D::Error> {
        UniqueValue::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<UniqueValue, A::Error> {
        let mut items = Vec::with_capacity(sequence.size_hint().unwrap_or(0).min(4096));
        while let Some(UniqueValue(item)) = sequence.next_element()? {
            items.push(item);
        }
        Ok(UniqueValue(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueValue, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let UniqueValue(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(UniqueValue(Value::Object(object)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = r#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": "\u00e9"}"#;
        assert_eq!(from_str_unique(text).expect("parses"), serde_json::from_str::<Value>(text).expect("parses"));
    }

    #[test]
    fn a_repeated_key_is_an_error_with_its_place() {
        let error = from_str_unique("{\"rule\": \"a\",\n \"x\": {\"k\": 1, \"k\": 2}}").expect_err("repeated");
        assert_eq!(error.classify(), serde_json::error::Category::Data);
        let message = error.to_string();
        assert!(message.starts_with("duplicate key \"k\" at line 2"), "{message}");
        assert!(from_str_unique("[{\"k\": 1}, {\"k\": 2}]").is_ok(), "the same key in two objects is fine");
        assert!(from_str_unique("{\"a\": ").is_err());
    }
}
