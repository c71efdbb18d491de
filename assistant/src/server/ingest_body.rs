//! Splits an ingest request body into alerts, each as the exact text received: one JSON
//! object (Falco's `http_output`, falcosidekick's webhook), a JSON array of objects, or JSON
//! Lines (one object per line).

use serde::Serialize;
use serde_json::value::RawValue;

/// Where an alert was in the body, as the response names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Place {
    /// Position in a JSON array, from 0.
    #[serde(rename = "index")]
    Index(u64),
    /// Line of a JSON Lines body (or where a single object starts), from 1.
    #[serde(rename = "line")]
    Line(u64),
}

impl Place {
    /// The number the ingest summary records for this place.
    pub fn position(self) -> u64 {
        match self {
            Place::Index(index) => index,
            Place::Line(line) => line,
        }
    }
}

/// How the body was laid out; says how a recorded position reads back as a [`Place`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyShape {
    /// One JSON value.
    Single,
    /// A JSON array.
    Array,
    /// JSON Lines.
    Lines,
}

impl BodyShape {
    /// The place of a recorded position.
    pub fn place(self, position: u64) -> Place {
        match self {
            BodyShape::Array => Place::Index(position),
            BodyShape::Single | BodyShape::Lines => Place::Line(position),
        }
    }
}

/// One alert's text and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyItem<'body> {
    /// Where it was.
    pub place: Place,
    /// Its JSON text, exactly as received (trimmed of surrounding whitespace), or why the line
    /// is not text (it is then one rejected line, the others are still stored).
    pub text: Result<&'body str, NotText>,
}

/// A JSON Lines line that is not UTF-8 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the line is not UTF-8 text (invalid byte at column {column}); Falco writes alerts as UTF-8 JSON")]
pub struct NotText {
    /// 1-based byte column of the first invalid byte in the line.
    pub column: usize,
}

/// A body whose items are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitBody<'body> {
    /// The layout.
    pub shape: BodyShape,
    /// The items, in order.
    pub items: Vec<BodyItem<'body>>,
}

/// Why a body holds no JSON at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Nothing but whitespace.
    #[error("the request body is empty: send Falco alerts as a JSON object, a JSON array or JSON Lines")]
    Empty,
    /// Not UTF-8 text.
    #[error("the request body is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Not JSON (no line of it parses).
    #[error("the request body is not JSON ({problem}): send Falco alerts as a JSON object, a JSON array or JSON Lines")]
    NotJson {
        /// The parser's message with its line and column.
        problem: String,
    },
}

/// The UTF-8 byte-order mark some editors write at the start of a file.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Splits `body` into alerts. A body that is one JSON value is one alert (or, for an array,
/// one per element); otherwise each non-blank line is one alert, and lines that are not JSON
/// (or not UTF-8 text) are left for the ingest to reject with their line number, unless no
/// line is JSON at all. A leading byte-order mark is ignored.
pub fn split_body(body: &[u8]) -> Result<SplitBody<'_>, BodyError> {
    let body = body.strip_prefix(BYTE_ORDER_MARK).unwrap_or(body);
    let Ok(text) = std::str::from_utf8(body) else {
        return split_lines(body);
    };
    let content = text.trim_start();
    if content.is_empty() {
        return Err(BodyError::Empty);
    }
    if content.starts_with('[') {
        let elements: Vec<&RawValue> =
            serde_json::from_str(text).map_err(|error| BodyError::NotJson { problem: error.to_string() })?;
        let items = elements
            .into_iter()
            .enumerate()
            .map(|(index, element)| BodyItem { place: Place::Index(index as u64), text: Ok(element.get().trim()) })
            .collect();
        return Ok(SplitBody { shape: BodyShape::Array, items });
    }
    if let Ok(value) = serde_json::from_str::<&RawValue>(text) {
        let leading_lines = text[..text.len() - content.len()].matches('\n').count() as u64;
        let item = BodyItem { place: Place::Line(leading_lines + 1), text: Ok(value.get().trim()) };
        return Ok(SplitBody { shape: BodyShape::Single, items: vec![item] });
    }
    split_lines(body)
}

/// JSON Lines: one item per non-blank line, each line checked for UTF-8 on its own.
fn split_lines(body: &[u8]) -> Result<SplitBody<'_>, BodyError> {
    let mut items: Vec<BodyItem<'_>> = Vec::new();
    let mut first_not_text: Option<usize> = None;
    for (index, line) in body.split(|byte| *byte == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let place = Place::Line(index as u64 + 1);
        let text = std::str::from_utf8(line).map_err(|error| {
            let offset = line.as_ptr() as usize - body.as_ptr() as usize;
            first_not_text.get_or_insert(offset + error.valid_up_to());
            NotText { column: error.valid_up_to() + 1 }
        });
        items.push(BodyItem { place, text });
    }
    let parses =
        |item: &BodyItem<'_>| item.text.is_ok_and(|text| serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok());
    if items.is_empty() {
        return Err(BodyError::Empty);
    }
    if !items.iter().any(parses) {
        if let Some(offset) = first_not_text {
            return Err(BodyError::NotUtf8 { offset });
        }
        let problem = match items.first().map(|item| item.text.map(serde_json::from_str::<serde::de::IgnoredAny>)) {
            Some(Ok(Err(error))) => error.to_string(),
            _ => "no line is a JSON value".to_string(),
        };
        return Err(BodyError::NotJson { problem });
    }
    Ok(SplitBody { shape: BodyShape::Lines, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> (BodyShape, Vec<(Place, String)>) {
        let split = split_body(body.as_bytes()).expect("splits");
        (split.shape, split.items.into_iter().map(|item| (item.place, item.text.expect("text").to_string())).collect())
    }

    #[test]
    fn a_single_object_keeps_its_text_even_across_lines() {
        let body = "\n  {\"rule\": \"r\",\n   \"time\": \"t\"}\n";
        assert_eq!(
            texts(body),
            (BodyShape::Single, vec![(Place::Line(2), "{\"rule\": \"r\",\n   \"time\": \"t\"}".to_string())])
        );
    }

    #[test]
    fn array_elements_are_kept_as_received() {
        let body = "[{\"a\": 1,  \"b\":[1, 2]}, {\"c\":\"x\"} ,7]";
        assert_eq!(
            texts(body),
            (
                BodyShape::Array,
                vec![
                    (Place::Index(0), "{\"a\": 1,  \"b\":[1, 2]}".to_string()),
                    (Place::Index(1), "{\"c\":\"x\"}".to_string()),
                    (Place::Index(2), "7".to_string()),
                ]
            )
        );
    }

    #[test]
    fn json_lines_keep_line_numbers_and_bad_lines() {
        let body = "{\"a\":1}\r\n\nnot json\n{\"b\":2}\n";
        assert_eq!(
            texts(body),
            (
                BodyShape::Lines,
                vec![
                    (Place::Line(1), "{\"a\":1}".to_string()),
                    (Place::Line(3), "not json".to_string()),
                    (Place::Line(4), "{\"b\":2}".to_string()),
                ]
            )
        );
    }

    #[test]
    fn bodies_without_json_are_errors() {
        assert_eq!(split_body(b"  \n "), Err(BodyError::Empty));
        assert!(matches!(split_body(b"hello\nworld"), Err(BodyError::NotJson { .. })));
        assert!(matches!(split_body(b"[{\"a\":1}, oops]"), Err(BodyError::NotJson { .. })));
        assert_eq!(split_body(b"{\"a\":\"\xff\"}"), Err(BodyError::NotUtf8 { offset: 6 }));
        assert_eq!(split_body(b"  \n {\"\xff\"}"), Err(BodyError::NotUtf8 { offset: 6 }));
        let error = split_body(b"<html>").expect_err("not json").to_string();
        assert!(error.contains("line 1 column 1"), "{error}");
    }

    #[test]
    fn a_line_that_is_not_utf8_is_one_bad_line_and_a_byte_order_mark_is_ignored() {
        let split = split_body(b"{\"a\":1}\n{\"b\":\"\xff\"}\n{\"c\":3}\n").expect("splits");
        assert_eq!(split.shape, BodyShape::Lines);
        let texts: Vec<_> = split.items.iter().map(|item| (item.place, item.text)).collect();
        assert_eq!(
            texts,
            vec![
                (Place::Line(1), Ok("{\"a\":1}")),
                (Place::Line(2), Err(NotText { column: 7 })),
                (Place::Line(3), Ok("{\"c\":3}")),
            ]
        );
        assert_eq!(
            texts_of(b"\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n"),
            vec![(Place::Line(1), "{\"a\":1}".to_string()), (Place::Line(2), "{\"b\":2}".to_string())]
        );
    }

    fn texts_of(body: &[u8]) -> Vec<(Place, String)> {
        split_body(body)
            .expect("splits")
            .items
            .into_iter()
            .map(|item| (item.place, item.text.expect("text").to_string()))
            .collect()
    }

    #[test]
    fn places_serialize_as_index_or_line() {
        assert_eq!(serde_json::to_value(Place::Index(3)).expect("json"), serde_json::json!({"index": 3}));
        assert_eq!(serde_json::to_value(Place::Line(2)).expect("json"), serde_json::json!({"line": 2}));
        assert_eq!(BodyShape::Array.place(Place::Index(4).position()), Place::Index(4));
    }
}
