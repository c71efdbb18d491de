//! The columns of the `alerts` table derived from an alert, gathered column by column for a
//! batch and written as rows of `COPY ... FROM STDIN` text, and the alert read back from its
//! raw text.

use std::collections::BTreeMap;

use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use xxhash_rust::xxh3::xxh3_64;

use crate::alert::{Alert, field_value_text, parse_alert_value, parse_stored_alert_value};
use crate::scope::Dimension;
use crate::store::StoreError;
use crate::store::shape::time_to_nanos;

/// The tokenizer of the embedded backend's full-text field (split on non-alphanumeric
/// characters, tokens over 40 bytes dropped, lowercased), so both backends find the same hits.
pub(super) fn full_text_analyzer() -> TextAnalyzer {
    TokenizerManager::default()
        .get("default")
        .unwrap_or_else(|| TextAnalyzer::from(tantivy::tokenizer::RawTokenizer::default()))
}

/// The id hash kept for the deterministic tie-break, mapped so that PostgreSQL's signed
/// `bigint` order is the unsigned order of the embedded backend's hash.
pub(super) fn ordered_id_hash(id: &str) -> i64 {
    i64::from_ne_bytes((xxh3_64(id.as_bytes()) ^ (1 << 63)).to_ne_bytes())
}

/// A batch of alerts, one vector per column (in the column order of `copy_alerts.sql`).
#[derive(Debug, Default)]
pub(super) struct AlertColumns {
    pub ids: Vec<String>,
    pub id_hashes: Vec<i64>,
    pub times: Vec<i64>,
    pub severities: Vec<i16>,
    pub raws: Vec<String>,
    pub ingest_clusters: Vec<Option<String>>,
    pub rules: Vec<String>,
    pub priorities: Vec<String>,
    pub sources: Vec<String>,
    pub hosts: Vec<Option<String>>,
    pub clusters: Vec<Option<String>>,
    pub namespaces: Vec<Option<String>>,
    pub workloads: Vec<Option<String>>,
    pub pods: Vec<Option<String>>,
    pub container_ids: Vec<Option<String>>,
    pub container_names: Vec<Option<String>>,
    pub images: Vec<Option<String>>,
    pub processes: Vec<Option<String>>,
    pub users: Vec<Option<String>>,
    pub files: Vec<Option<String>>,
    /// Array literals of text ([`array_literal`]).
    pub tags: Vec<String>,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub tools: Vec<String>,
    /// JSON objects of text.
    pub output_fields: Vec<String>,
    /// Array literals of the distinct tokens.
    pub tokens: Vec<String>,
    pub token_lines: Vec<String>,
}

/// PostgreSQL text cannot hold NUL characters: derived values carry U+FFFD instead (the raw
/// text never holds one, JSON escapes it).
fn clean(text: &str) -> String {
    if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text.to_string() }
}

fn single(alert: &Alert, dimension: Dimension) -> Option<String> {
    alert.dimension_values(dimension).first().map(|value| clean(value))
}

fn array_of(alert: &Alert, dimension: Dimension) -> String {
    array_literal(alert.dimension_values(dimension).into_iter())
}

/// A PostgreSQL array literal of text values (`{"a","b \"c\""}`): every element quoted, `"` and
/// `\` escaped, NUL replaced as in [`clean`]. `COPY` reads it as a `text[]` value (far faster
/// for the server than a JSON array expanded row by row).
pub(super) fn array_literal<'value>(values: impl Iterator<Item = &'value str>) -> String {
    let mut literal = String::from("{");
    for (position, value) in values.enumerate() {
        if position > 0 {
            literal.push(',');
        }
        literal.push('"');
        for character in value.chars() {
            match character {
                '"' | '\\' => {
                    literal.push('\\');
                    literal.push(character);
                }
                '\0' => literal.push('\u{FFFD}'),
                other => literal.push(other),
            }
        }
        literal.push('"');
    }
    literal.push('}');
    literal
}

/// Appends `value` escaped for `COPY`'s text format: backslash, tab, newline and carriage
/// return as backslash sequences (NUL never occurs: values are [`clean`]ed).
pub(super) fn copy_escaped(out: &mut String, value: &str) {
    let mut rest = value;
    while let Some(at) = rest.find(['\\', '\t', '\n', '\r']) {
        out.push_str(&rest[..at]);
        let escaped = match rest.as_bytes().get(at) {
            Some(b'\t') => "\\t",
            Some(b'\n') => "\\n",
            Some(b'\r') => "\\r",
            _ => "\\\\",
        };
        out.push_str(escaped);
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

impl AlertColumns {
    /// Number of alerts in the batch.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Adds one alert. `raw` is the alert as received.
    pub fn push(&mut self, analyzer: &mut TextAnalyzer, alert: &Alert, raw: &str, ingest_cluster: Option<&str>) {
        self.ids.push(alert.id.clone());
        self.id_hashes.push(ordered_id_hash(&alert.id));
        self.times.push(time_to_nanos(alert.time));
        self.severities.push(i16::from(alert.priority.severity()));
        self.raws.push(clean(raw));
        self.ingest_clusters.push(ingest_cluster.filter(|cluster| !cluster.is_empty()).map(clean));
        self.rules.push(clean(&alert.rule));
        self.priorities.push(alert.priority.as_str().to_string());
        self.sources.push(clean(&alert.source));
        self.hosts.push(single(alert, Dimension::Host));
        self.clusters.push(single(alert, Dimension::Cluster));
        self.namespaces.push(single(alert, Dimension::Namespace));
        self.workloads.push(single(alert, Dimension::Workload));
        self.pods.push(single(alert, Dimension::Pod));
        self.container_ids.push(single(alert, Dimension::ContainerId));
        self.container_names.push(single(alert, Dimension::ContainerName));
        self.images.push(single(alert, Dimension::Image));
        self.processes.push(single(alert, Dimension::Process));
        self.users.push(single(alert, Dimension::User));
        self.files.push(single(alert, Dimension::File));
        self.tags.push(array_of(alert, Dimension::Tag));
        self.tactics.push(array_of(alert, Dimension::MitreTactic));
        self.techniques.push(array_of(alert, Dimension::MitreTechnique));
        self.tools.push(array_of(alert, Dimension::Tool));
        let fields: BTreeMap<String, String> = alert
            .output_fields
            .iter()
            .filter_map(|(key, value)| Some((clean(key), clean(&field_value_text(value)?))))
            .collect();
        self.output_fields.push(serde_json::to_string(&fields).unwrap_or_else(|_| "{}".to_string()));
        let (tokens, line) = tokenize(analyzer, &full_text(alert));
        self.tokens.push(array_literal(tokens.iter().map(String::as_str)));
        self.token_lines.push(line);
    }

    /// Empties the batch, keeping the allocations.
    pub fn clear(&mut self) {
        *self = AlertColumns::default();
    }

    /// Appends the row of the alert at `position` to `out` in `COPY`'s text format, columns in
    /// the order of `copy_alerts.sql`.
    pub fn write_copy_row(&self, position: usize, out: &mut String) {
        use std::fmt::Write as _;
        let text = |out: &mut String, value: &str| {
            copy_escaped(out, value);
            out.push('\t');
        };
        let optional = |out: &mut String, value: Option<&str>| {
            match value {
                Some(value) => copy_escaped(out, value),
                None => out.push_str("\\N"),
            }
            out.push('\t');
        };
        let (Some(id), Some(id_hash), Some(time), Some(severity)) = (
            self.ids.get(position),
            self.id_hashes.get(position),
            self.times.get(position),
            self.severities.get(position),
        ) else {
            return;
        };
        text(out, id);
        let _ = write!(out, "{id_hash}\t{time}\t{severity}\t");
        fn at(values: &[String], position: usize) -> &str {
            values.get(position).map(String::as_str).unwrap_or_default()
        }
        fn optional_at(values: &[Option<String>], position: usize) -> Option<&str> {
            values.get(position).and_then(|value| value.as_deref())
        }
        let column = |values| at(values, position);
        let optional_column = |values| optional_at(values, position);
        text(out, column(&self.raws));
        optional(out, optional_column(&self.ingest_clusters));
        text(out, column(&self.rules));
        text(out, column(&self.priorities));
        text(out, column(&self.sources));
        for values in [
            &self.hosts,
            &self.clusters,
            &self.namespaces,
            &self.workloads,
            &self.pods,
            &self.container_ids,
            &self.container_names,
            &self.images,
            &self.processes,
            &self.users,
            &self.files,
        ] {
            optional(out, optional_column(values));
        }
        for values in [&self.tags, &self.tactics, &self.techniques, &self.tools, &self.output_fields, &self.tokens] {
            text(out, column(values));
        }
        copy_escaped(out, column(&self.token_lines));
        out.push('\n');
    }

    /// The days (since the epoch) the batch's alerts fall on.
    pub fn days(&self) -> Vec<i64> {
        let mut days: Vec<i64> = self.times.iter().map(|time| time.div_euclid(super::writer::DAY_NANOS)).collect();
        days.sort_unstable();
        days.dedup();
        days
    }
}

/// The text full-text queries search, as the embedded backend builds it: output, command
/// line, parent command line and file, one per line.
fn full_text(alert: &Alert) -> String {
    let process = &alert.dimensions.process;
    let parts = [
        Some(alert.output.as_str()),
        process.cmdline.as_deref(),
        process.pcmdline.as_deref(),
        alert.dimensions.file.as_deref(),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join("\n")
}

/// The distinct tokens of `text` (sorted) and the token line: every token in position order
/// between single spaces, an empty slot for each position the tokenizer dropped, with a space
/// at both ends (a phrase `a b` matches exactly where ` a b ` occurs in it).
pub(super) fn tokenize(analyzer: &mut TextAnalyzer, text: &str) -> (Vec<String>, String) {
    let mut slots: Vec<String> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    stream.process(&mut |token| {
        while slots.len() < token.position {
            slots.push(String::new());
        }
        slots.push(clean(&token.text));
    });
    let mut tokens: Vec<String> = slots.iter().filter(|slot| !slot.is_empty()).cloned().collect();
    tokens.sort_unstable();
    tokens.dedup();
    let line = format!(" {} ", slots.join(" "));
    (tokens, line)
}

/// Reads a stored alert back by parsing its raw text again.
pub(super) fn load_alert(id: String, raw: &str, ingest_cluster: Option<&str>) -> Result<Alert, StoreError> {
    let value: serde_json::Value = serde_json::from_str(raw)
        .map_err(|error| StoreError::Corrupt { id: id.clone(), problem: format!("raw alert is not JSON: {error}") })?;
    let corrupt =
        |error: crate::alert::AlertParseError| StoreError::Corrupt { id: id.clone(), problem: error.to_string() };
    if id.is_empty() {
        return parse_alert_value(value, ingest_cluster).map_err(corrupt);
    }
    parse_stored_alert_value(value, ingest_cluster, id.clone()).map_err(corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lines_keep_the_gaps_of_dropped_tokens() {
        let mut analyzer = full_text_analyzer();
        let long = "x".repeat(50);
        let (tokens, line) = tokenize(&mut analyzer, &format!("Read /etc/Shadow {long} now"));
        assert_eq!(tokens, vec!["etc", "now", "read", "shadow"]);
        assert_eq!(line, " read etc shadow  now ");
    }

    #[test]
    fn array_literals_quote_every_element() {
        assert_eq!(array_literal(std::iter::empty()), "{}");
        assert_eq!(array_literal(["a", "b c", "{x,y}", "NULL"].into_iter()), r#"{"a","b c","{x,y}","NULL"}"#);
        assert_eq!(
            array_literal([r#"say "hi"\now"#, "nul\0"].into_iter()),
            "{\"say \\\"hi\\\"\\\\now\",\"nul\u{FFFD}\"}"
        );
    }

    #[test]
    fn copy_text_escapes_the_separators() {
        let mut out = String::new();
        copy_escaped(&mut out, "a\tb\nc\rd\\e {\"x\"}");
        assert_eq!(out, r#"a\tb\nc\rd\\e {"x"}"#);
    }

    #[test]
    fn id_hash_order_is_unsigned_order() {
        assert!(ordered_id_hash("a") != ordered_id_hash("b"));
        let flip = |hash: u64| i64::from_ne_bytes((hash ^ (1 << 63)).to_ne_bytes());
        assert_eq!(flip(0), i64::MIN);
        assert_eq!(flip(u64::MAX), i64::MAX);
        assert!(flip(1 << 62) < flip(1 << 63));
    }
}
