//! The input as a tree whose every node knows its place: line and column in YAML text (from
//! serde-saphyr spans), the JSON pointer to it, and its position in document order, so that
//! every layer can name the line of what it found and problems sort in the order of the text.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

/// A scalar as written. Falco reads every scalar as text (yaml-cpp), so `text` is the spelling
/// in the file (`0x10`, `1.10`, `yes`), and `typed` what a typed YAML reader would make of it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scalar {
    pub text: String,
    pub typed: ScalarType,
}

/// What a typed YAML (or JSON) reader makes of a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarType {
    String,
    Number,
    Boolean,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Null,
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// One `key: value` of a mapping; the key is a node too, so problems about a key name its line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Entry {
    /// The key as text (a non-scalar key reads as its kind).
    pub fn key_text(&self) -> &str {
        match &self.key.kind {
            NodeKind::Scalar(scalar) => &scalar.text,
            NodeKind::Null => "~",
            NodeKind::Sequence(_) => "<a sequence>",
            NodeKind::Mapping(_) => "<a mapping>",
        }
    }
}

/// A node of the input with its place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    /// 1-based line in the text (absent for structured input).
    pub line: Option<usize>,
    /// 1-based column in the text.
    pub column: Option<usize>,
    /// JSON pointer from the document root.
    pub pointer: String,
    /// Position in document order (keys before their values).
    pub order: usize,
    /// True when a YAML syntax error cut the text inside this node: keys or items missing from
    /// it may have been written after the error.
    pub truncated: bool,
}

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The entry of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|entry| entry.key_text() == key)
    }

    /// The entries of a mapping (none for other nodes).
    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            NodeKind::Mapping(entries) => entries,
            _ => &[],
        }
    }

    /// Whether this is a mapping.
    pub fn is_mapping(&self) -> bool {
        matches!(self.kind, NodeKind::Mapping(_))
    }

    /// Whether this is null (`~`, an empty value).
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// The items of a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(&scalar.text),
            _ => None,
        }
    }

    /// What kind of node this is, for messages: `a mapping`, `a list`, `null`, `a string`.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Scalar(Scalar { typed: ScalarType::String, .. }) => "a string",
            NodeKind::Scalar(Scalar { typed: ScalarType::Number, .. }) => "a number",
            NodeKind::Scalar(Scalar { typed: ScalarType::Boolean, .. }) => "a boolean",
            NodeKind::Sequence(_) => "a list",
            NodeKind::Mapping(_) => "a mapping",
        }
    }

    /// The node at a JSON pointer below this one (`""` is this node).
    pub fn find(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for segment in pointer.strip_prefix('/')?.split('/') {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            node = match &node.kind {
                NodeKind::Sequence(items) => items.get(segment.parse::<usize>().ok()?)?,
                NodeKind::Mapping(_) => node.get(&segment)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The value as Falco's schema validator sees it: every scalar as text (yaml-cpp has no
    /// scalar types), null as null.
    pub fn weak_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Scalar(scalar) => Value::String(scalar.text.clone()),
            NodeKind::Sequence(items) => Value::Array(items.iter().map(Node::weak_json).collect()),
            NodeKind::Mapping(entries) => {
                let mut object = serde_json::Map::new();
                for entry in entries {
                    object.entry(entry.key_text().to_string()).or_insert_with(|| entry.value.weak_json());
                }
                Value::Object(object)
            }
        }
    }

    /// Marks the nodes a syntax error may have cut: this one and, recursively, its last child.
    pub fn mark_truncated_spine(&mut self) {
        self.truncated = true;
        match &mut self.kind {
            NodeKind::Sequence(items) => {
                if let Some(last) = items.last_mut() {
                    last.mark_truncated_spine();
                }
            }
            NodeKind::Mapping(entries) => {
                if let Some(last) = entries.last_mut() {
                    last.value.mark_truncated_spine();
                }
            }
            _ => {}
        }
    }
}

/// Escapes one JSON pointer segment.
pub(crate) fn pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A YAML syntax error with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlSyntaxError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Parses YAML text into one located tree per document (empty documents are left out).
pub(crate) fn parse_yaml(text: &str) -> Result<Vec<Node>, YamlSyntaxError> {
    let documents: Vec<Option<Spanned<RawNode>>> = crate::yaml::from_multiple(text).map_err(|error| {
        let location = error.location();
        let line = location.map(|location| location.line()).filter(|&line| line > 0);
        let column = location.map(|location| location.column()).filter(|&column| column > 0);
        let message = error.without_snippet().to_string();
        let message = match message.rfind(" at line ") {
            Some(position) if line.is_some() => message[..position].to_string(),
            _ => message,
        };
        YamlSyntaxError {
            line: line.and_then(|line| usize::try_from(line).ok()),
            column: column.and_then(|column| usize::try_from(column).ok()),
            message,
        }
    })?;
    let mut builder = Builder { text, order: 0 };
    Ok(documents.into_iter().flatten().map(|document| builder.build(document, String::new())).collect())
}

/// Builds a located tree from a JSON value (places are pointers only).
pub(crate) fn from_json(value: &Value) -> Node {
    let mut order = 0;
    json_node(value, String::new(), &mut order)
}

fn json_node(value: &Value, pointer: String, order: &mut usize) -> Node {
    let own_order = *order;
    *order += 1;
    let scalar = |text: String, typed: ScalarType| NodeKind::Scalar(Scalar { text, typed });
    let kind = match value {
        Value::Null => NodeKind::Null,
        Value::Bool(flag) => scalar(flag.to_string(), ScalarType::Boolean),
        Value::Number(number) => scalar(number.to_string(), ScalarType::Number),
        Value::String(text) => scalar(text.clone(), ScalarType::String),
        Value::Array(items) => NodeKind::Sequence(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| json_node(item, format!("{pointer}/{index}"), order))
                .collect(),
        ),
        Value::Object(object) => NodeKind::Mapping(
            object
                .iter()
                .map(|(key, item)| {
                    let item_pointer = format!("{pointer}/{}", pointer_segment(key));
                    let key_node = Node {
                        kind: scalar(key.clone(), ScalarType::String),
                        line: None,
                        column: None,
                        pointer: item_pointer.clone(),
                        order: {
                            *order += 1;
                            *order - 1
                        },
                        truncated: false,
                    };
                    Entry { key: key_node, value: json_node(item, item_pointer, order) }
                })
                .collect(),
        ),
    };
    Node { kind, line: None, column: None, pointer, order: own_order, truncated: false }
}

/// A YAML node as serde-saphyr delivers it, with the span of every child.
#[derive(Debug)]
enum RawNode {
    Null,
    Boolean(bool),
    Number(String),
    String(String),
    Sequence(Vec<Spanned<RawNode>>),
    Mapping(Vec<(Spanned<RawNode>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any YAML node")
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawNode, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<RawNode, E> {
        Ok(RawNode::Boolean(value))
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawNode, E> {
        Ok(RawNode::Number(value.to_string()))
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<RawNode, E> {
        Ok(RawNode::Number(value.to_string()))
    }
    fn visit_i128<E: de::Error>(self, value: i128) -> Result<RawNode, E> {
        Ok(RawNode::Number(value.to_string()))
    }
    fn visit_u128<E: de::Error>(self, value: u128) -> Result<RawNode, E> {
        Ok(RawNode::Number(value.to_string()))
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<RawNode, E> {
        Ok(RawNode::Number(value.to_string()))
    }
    fn visit_char<E: de::Error>(self, value: char) -> Result<RawNode, E> {
        Ok(RawNode::String(value.to_string()))
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<RawNode, E> {
        Ok(RawNode::String(value.to_string()))
    }
    fn visit_string<E: de::Error>(self, value: String) -> Result<RawNode, E> {
        Ok(RawNode::String(value))
    }
    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<RawNode, E> {
        Ok(RawNode::String(String::from_utf8_lossy(value).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<Spanned<RawNode>>()? {
            items.push(item);
        }
        Ok(RawNode::Sequence(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = access.next_key::<Spanned<RawNode>>()? {
            let value = access.next_value::<Spanned<RawNode>>()?;
            entries.push((key, value));
        }
        Ok(RawNode::Mapping(entries))
    }
}

struct Builder<'text> {
    text: &'text str,
    order: usize,
}

impl Builder<'_> {
    fn build(&mut self, spanned: Spanned<RawNode>, pointer: String) -> Node {
        let location = spanned.referenced;
        let line = usize::try_from(location.line()).ok().filter(|&line| line > 0);
        let column = usize::try_from(location.column()).ok().filter(|&column| column > 0);
        let own_order = self.order;
        self.order += 1;
        let span = location.span();
        let spelled = || -> Option<String> {
            let start = usize::try_from(span.byte_offset()?).ok()?;
            let length = usize::try_from(span.byte_len()?).ok()?;
            let text = self.text.get(start..start.checked_add(length)?)?.trim();
            (!text.is_empty()).then(|| text.to_string())
        };
        let kind = match spanned.value {
            RawNode::Null => NodeKind::Null,
            RawNode::Boolean(flag) => NodeKind::Scalar(Scalar {
                text: spelled().unwrap_or_else(|| flag.to_string()),
                typed: ScalarType::Boolean,
            }),
            RawNode::Number(number) => {
                NodeKind::Scalar(Scalar { text: spelled().unwrap_or(number), typed: ScalarType::Number })
            }
            RawNode::String(text) => NodeKind::Scalar(Scalar { text, typed: ScalarType::String }),
            RawNode::Sequence(items) => NodeKind::Sequence(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| self.build(item, format!("{pointer}/{index}")))
                    .collect(),
            ),
            RawNode::Mapping(entries) => NodeKind::Mapping(
                entries
                    .into_iter()
                    .map(|(key, value)| {
                        let key_text = match &key.value {
                            RawNode::String(text) | RawNode::Number(text) => text.clone(),
                            RawNode::Boolean(flag) => flag.to_string(),
                            RawNode::Null => "~".to_string(),
                            RawNode::Sequence(_) | RawNode::Mapping(_) => "<complex key>".to_string(),
                        };
                        let item_pointer = format!("{pointer}/{}", pointer_segment(&key_text));
                        let key = self.build(key, item_pointer.clone());
                        let key = match key.kind {
                            NodeKind::Scalar(_) => key,
                            _ => Node {
                                kind: NodeKind::Scalar(Scalar { text: key_text, typed: ScalarType::String }),
                                ..key
                            },
                        };
                        let value = self.build(value, item_pointer);
                        Entry { key, value }
                    })
                    .collect(),
            ),
        };
        Node { kind, line, column, pointer, order: own_order, truncated: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_lines_columns_and_pointers() {
        let text = "- rule: X\n  exceptions:\n    - name: a\n      comps: [=, startswith]\n      values:\n        - [1.10, yes]\n";
        let documents = parse_yaml(text).expect("yaml");
        let root = &documents[0];
        let comp = root.find("/0/exceptions/0/comps/1").expect("comp");
        assert_eq!((comp.line, comp.column, comp.scalar()), (Some(4), Some(18), Some("startswith")));
        let first_comp = root.find("/0/exceptions/0/comps/0").expect("comp");
        assert_eq!(first_comp.scalar(), Some("="));
        let number = root.find("/0/exceptions/0/values/0/0").expect("number");
        let NodeKind::Scalar(scalar) = &number.kind else { panic!("scalar expected") };
        assert_eq!((scalar.text.as_str(), scalar.typed), ("1.10", ScalarType::Number));
        let flag = root.find("/0/exceptions/0/values/0/1").expect("flag");
        assert_eq!(flag.scalar(), Some("yes"));
        let name_entry = root.find("/0/exceptions/0").and_then(|node| node.entry("name")).expect("entry");
        assert_eq!(name_entry.key.line, Some(3));
        assert!(name_entry.key.order < name_entry.value.order);
        assert_eq!(root.weak_json()[0]["exceptions"][0]["values"][0][0], "1.10");
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let error = parse_yaml("- rule: x\n  tags: [a, b\n").expect_err("unclosed");
        assert!(error.line.is_some(), "{error:?}");
        assert!(!error.message.contains(" at line "), "{error:?}");
    }

    #[test]
    fn json_trees_have_pointers_but_no_lines() {
        let node = from_json(&serde_json::json!({"rule": "X", "exceptions": [{"name": "a/b", "values": [[1, true]]}]}));
        let value = node.find("/exceptions/0/values/0/1").expect("value");
        assert_eq!((value.line, value.scalar()), (None, Some("true")));
        assert_eq!(value.pointer, "/exceptions/0/values/0/1");
        assert!(node.find("/exceptions/3").is_none());
    }
}
