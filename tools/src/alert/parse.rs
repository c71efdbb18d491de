//! Parses one Falco JSON alert (as Falco's `json_output` and falcosidekick write it).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::fmt::Write as _;

use xxhash_rust::xxh3::xxh3_128;

use super::{Alert, Dimensions, Priority};

/// Why one alert was rejected: the field at fault (if any) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertParseError {
    /// The text is not JSON.
    #[error("not valid JSON at {}: {message}", place(*line, *column))]
    Json {
        /// 1-based line of the syntax error within the alert's text (1 for a JSON Lines line).
        line: usize,
        /// 1-based column (in characters) of the syntax error on that line.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A key appears twice in one object (readers disagree on which value counts).
    #[error("{message} at {}: each field may appear only once", place(*line, *column))]
    DuplicateKey {
        /// 1-based line of the repeated key within the alert's text.
        line: usize,
        /// 1-based column (in characters) where the repeated key ends on that line.
        column: usize,
        /// `duplicate key "name"`.
        message: String,
    },
    /// The JSON is not an object.
    #[error("expected a JSON object with Falco alert fields, found {found}")]
    NotAnObject {
        /// The JSON type that was found.
        found: &'static str,
    },
    /// A required field is absent.
    #[error("field {field:?}: missing (a Falco alert needs time, rule, priority)")]
    Missing {
        /// The missing field.
        field: &'static str,
    },
    /// A field is present but unusable.
    #[error("field {field:?}: {problem}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What is wrong and what is allowed.
        problem: String,
    },
}

/// Parses one line of JSON text into an alert.
pub fn parse_alert(text: &str, default_cluster: Option<&str>) -> Result<Alert, AlertParseError> {
    parse_alert_with_warnings(text, default_cluster).map(|parsed| parsed.alert)
}

/// An alert and what was repaired to read it (each warning names the field and what was
/// ignored); the raw text is kept as received, so nothing is lost by a repair.
#[derive(Debug, Clone)]
pub struct ParsedAlert {
    /// The alert.
    pub alert: Alert,
    /// Repairs made, e.g. `field "time": ignored "+2" after the RFC 3339 timestamp`.
    pub warnings: Vec<String>,
}

/// Parses one line of JSON text into an alert, reporting repairs.
pub fn parse_alert_with_warnings(text: &str, default_cluster: Option<&str>) -> Result<ParsedAlert, AlertParseError> {
    let value: Value = crate::json::from_str_unique(text).map_err(|error| {
        let (line, column) = character_place(text, error.line(), error.column());
        let message = strip_position(&error.to_string());
        match error.classify() {
            serde_json::error::Category::Data => AlertParseError::DuplicateKey { line, column, message },
            _ => AlertParseError::Json { line, column, message },
        }
    })?;
    let mut warnings = Vec::new();
    let alert = parse_value(value, default_cluster, None, &mut warnings)?;
    Ok(ParsedAlert { alert, warnings })
}

/// Turns a parsed JSON value into an alert, checking every field Falco defines.
pub fn parse_alert_value(value: Value, default_cluster: Option<&str>) -> Result<Alert, AlertParseError> {
    parse_value(value, default_cluster, None, &mut Vec::new())
}

/// Like [`parse_alert_value`] for an alert whose id is already known (read back from the
/// store), which saves hashing the alert again.
pub fn parse_stored_alert_value(
    value: Value,
    default_cluster: Option<&str>,
    id: String,
) -> Result<Alert, AlertParseError> {
    parse_value(value, default_cluster, Some(id), &mut Vec::new())
}

/// The first and last times the index can hold (nanoseconds since the epoch in an `i64`).
pub const INDEX_TIME_RANGE: (&str, &str) = ("1677-09-21T00:12:43.145224192Z", "2262-04-11T23:47:16.854775807Z");

/// Reads `time`: RFC 3339, or (seen in the wild, e.g. `…046Z+2` in falcosidekick's own
/// examples) an RFC 3339 timestamp ending in `Z` followed by junk, which is read up to the `Z`
/// with a warning. Anything else is an error naming the value and the expected form.
pub(crate) fn parse_time(text: &str, warnings: &mut Vec<String>) -> Result<DateTime<Utc>, AlertParseError> {
    let time = parse_time_text(text, warnings)?;
    if time.timestamp_nanos_opt().is_none() {
        return Err(AlertParseError::Invalid {
            field: "time",
            problem: format!(
                "{text:?} is outside the times the event index holds (allowed: {} to {})",
                INDEX_TIME_RANGE.0, INDEX_TIME_RANGE.1
            ),
        });
    }
    Ok(time)
}

fn parse_time_text(text: &str, warnings: &mut Vec<String>) -> Result<DateTime<Utc>, AlertParseError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let invalid = || AlertParseError::Invalid {
        field: "time",
        problem: format!("not an RFC 3339 timestamp ({text:?}; expected e.g. \"2024-08-06T12:34:56.123456789Z\")"),
    };
    let zulu = text.find('Z').ok_or_else(invalid)?;
    let (timestamp, rest) = text.split_at(zulu + 1);
    let time = DateTime::parse_from_rfc3339(timestamp).map_err(|_| invalid())?;
    warnings.push(format!("field \"time\": ignored {rest:?} after the RFC 3339 timestamp {timestamp:?}"));
    Ok(time.with_timezone(&Utc))
}

fn parse_value(
    value: Value,
    default_cluster: Option<&str>,
    known_id: Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Alert, AlertParseError> {
    let mut object = match value {
        Value::Object(object) => object,
        other => return Err(AlertParseError::NotAnObject { found: json_type(&other) }),
    };

    let time_text = required_string(&object, "time")?;
    let time = parse_time(time_text, warnings)?;
    let rule = required_string(&object, "rule")?.to_string();
    if rule.trim().is_empty() {
        return Err(AlertParseError::Invalid { field: "rule", problem: "empty rule name".into() });
    }
    let priority_text = required_string(&object, "priority")?;
    let priority: Priority = priority_text.parse().map_err(|error: super::UnknownPriority| {
        AlertParseError::Invalid { field: "priority", problem: error.to_string() }
    })?;
    let output = optional_string(&object, "output")?.unwrap_or_default().to_string();
    let source =
        optional_string(&object, "source")?.filter(|source| !source.is_empty()).unwrap_or("syscall").to_string();
    let hostname = optional_string(&object, "hostname")?.unwrap_or_default().to_string();
    let uuid = optional_string(&object, "uuid")?.filter(|uuid| !uuid.is_empty()).map(str::to_string);
    let tags = match object.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(tag) => Ok(tag.clone()),
                other => Err(AlertParseError::Invalid {
                    field: "tags",
                    problem: format!("expected a list of strings, found an item of type {}", json_type(other)),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => {
            return Err(AlertParseError::Invalid {
                field: "tags",
                problem: format!("expected a list of strings, found {}", json_type(other)),
            });
        }
    };
    let output_fields = match object.remove("output_fields") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Err(AlertParseError::Invalid {
                field: "output_fields",
                problem: format!("expected an object of field values, found {}", json_type(&other)),
            });
        }
    };
    if let Some((key, value)) = output_fields.iter().find(|(_, value)| value.is_array() || value.is_object()) {
        return Err(AlertParseError::Invalid {
            field: "output_fields",
            problem: format!(
                "value of {key:?} is {}; Falco field values are strings, numbers, booleans or null",
                json_type(value)
            ),
        });
    }

    let id = known_id
        .or(uuid)
        .unwrap_or_else(|| alert_id_for(&time, &rule, priority, &source, &hostname, &output, &tags, &output_fields));
    let dimensions = Dimensions::derive(&output_fields, &tags, default_cluster);
    Ok(Alert { id, time, rule, priority, source, tags, hostname, output, output_fields, dimensions })
}

/// The stable id of an alert without a `uuid`: an XXH3-128 hash (hex) of its canonical form,
/// i.e. every Falco field, `output_fields` with keys sorted, the time normalised to UTC
/// nanoseconds. Each part is length-prefixed so that no two different alerts share a form.
#[allow(clippy::too_many_arguments)]
pub fn alert_id_for(
    time: &DateTime<Utc>,
    rule: &str,
    priority: Priority,
    source: &str,
    hostname: &str,
    output: &str,
    tags: &[String],
    output_fields: &Map<String, Value>,
) -> String {
    // The canonical form is built in one buffer and hashed once: the same XXH3-128 as
    // streaming it part by part, without the streaming state's cost per part.
    let mut canonical: Vec<u8> = Vec::with_capacity(2 * output.len() + 1024);
    let mut part = |bytes: &[u8]| {
        canonical.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        canonical.extend_from_slice(bytes);
    };
    part(&time.timestamp_nanos_opt().unwrap_or(i64::MAX).to_le_bytes());
    part(rule.as_bytes());
    part(priority.as_str().as_bytes());
    part(source.as_bytes());
    part(hostname.as_bytes());
    part(output.as_bytes());
    part(&(tags.len() as u64).to_le_bytes());
    for tag in tags {
        part(tag.as_bytes());
    }
    let mut keys: Vec<&String> = output_fields.keys().collect();
    if !keys.is_sorted() {
        keys.sort_unstable();
    }
    part(&(keys.len() as u64).to_le_bytes());
    let mut rendered = String::new();
    for key in keys {
        part(key.as_bytes());
        rendered.clear();
        if let Some(value) = output_fields.get(key) {
            match value {
                Value::String(text) => {
                    rendered.push('s');
                    rendered.push_str(text);
                }
                other => {
                    rendered.push('v');
                    // `Value`'s Display is its compact JSON, as `to_string` wrote it.
                    let _ = write!(rendered, "{other}");
                }
            }
        }
        part(rendered.as_bytes());
    }
    format!("{:032x}", xxh3_128(&canonical))
}

fn required_string<'a>(object: &'a Map<String, Value>, field: &'static str) -> Result<&'a str, AlertParseError> {
    optional_string(object, field)?.ok_or(AlertParseError::Missing { field })
}

fn optional_string<'a>(
    object: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, AlertParseError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => {
            Err(AlertParseError::Invalid { field, problem: format!("expected a string, found {}", json_type(other)) })
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json appends " at line L column C"; the caller reports the place itself.
/// `column N` on the first line (all of a JSON Lines alert), else `line L, column N`.
fn place(line: usize, column: usize) -> String {
    if line <= 1 { format!("column {column}") } else { format!("line {line}, column {column}") }
}

/// serde_json's place (1-based line, byte count into the line, 0 when the error is at the line
/// break that ends the previous line) as a 1-based line and a 1-based column in characters.
fn character_place(text: &str, line: usize, byte_column: usize) -> (usize, usize) {
    let lines: Vec<&str> = text.split('\n').collect();
    let line = line.clamp(1, lines.len().max(1));
    if byte_column == 0 {
        return match line.checked_sub(2).and_then(|index| lines.get(index)) {
            Some(previous) => (line - 1, previous.chars().count() + 1),
            None => (line, 1),
        };
    }
    let this_line = lines.get(line - 1).copied().unwrap_or("");
    let mut end = byte_column.min(this_line.len());
    while !this_line.is_char_boundary(end) {
        end += 1;
    }
    (line, this_line[..end].chars().count().max(1))
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod time_range_tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn the_documented_range_is_the_index_range() {
        let format = |nanos| Utc.timestamp_nanos(nanos).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        assert_eq!((format(i64::MIN).as_str(), format(i64::MAX).as_str()), INDEX_TIME_RANGE);
        let year_zero = r#"{"time":"0000-01-01T00:00:00Z","rule":"r","priority":"Error"}"#;
        let error = parse_alert(year_zero, None).expect_err("outside").to_string();
        assert!(error.contains("\"0000-01-01T00:00:00Z\" is outside") && error.contains(INDEX_TIME_RANGE.0), "{error}");
        let repeated = r#"{"time":"2024-01-01T00:00:00Z","rule":"r","rule":"s","priority":"Error"}"#;
        let error = parse_alert(repeated, None).expect_err("repeated").to_string();
        assert_eq!(error, "duplicate key \"rule\" at column 48: each field may appear only once");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root command=touch /bin/hack file=/bin/hack)","hostname":"localhost","priority":"Error","rule":"Write below binary dir","time":"2019-05-17T15:31:56.746609046Z","output_fields":{"evt.time":1507591916746609046,"fd.name":"/bin/hack","proc.cmdline":"touch /bin/hack","user.name":"root"}}"#;

    #[test]
    fn parses_a_falcosidekick_example() {
        let alert = parse_alert(SAMPLE, None).expect("valid alert");
        assert_eq!(alert.rule, "Write below binary dir");
        assert_eq!(alert.priority, Priority::Error);
        assert_eq!(alert.source, "syscall");
        assert_eq!(alert.time.timestamp_subsec_nanos(), 746_609_046);
        assert_eq!(alert.dimensions.file.as_deref(), Some("/bin/hack"));
        assert_eq!(alert.id.len(), 32);
    }

    #[test]
    fn id_is_stable_and_ignores_key_order() {
        let reordered = r#"{"time":"2019-05-17T15:31:56.746609046Z","rule":"Write below binary dir","priority":"ERROR","hostname":"localhost","output":"16:31:56.746609046: Error File below a known binary directory opened for writing (user=root command=touch /bin/hack file=/bin/hack)","output_fields":{"user.name":"root","proc.cmdline":"touch /bin/hack","fd.name":"/bin/hack","evt.time":1507591916746609046}}"#;
        let first = parse_alert(SAMPLE, None).expect("valid");
        let second = parse_alert(reordered, None).expect("valid");
        assert_eq!(first.id, second.id);
    }

    /// Found by the fuzzer (`fuzz::alert`): a line break inside a string of a multi-line alert
    /// (an HTTP body may hold one object over several lines) was reported at column 0 with no
    /// line.
    #[test]
    fn a_syntax_error_names_its_line_and_a_column_counted_from_one_in_characters() {
        let broken = parse_alert("{\"rule\": \"x\ny\"}", None).expect_err("control character");
        assert!(matches!(broken, AlertParseError::Json { line: 1, column: 12, .. }), "{broken:?}");
        assert!(broken.to_string().starts_with("not valid JSON at column 12: control character"), "{broken}");
        let second_line = parse_alert("{\"rule\": \"r\",\n \"x\": oops}", None).expect_err("bad value");
        assert!(second_line.to_string().starts_with("not valid JSON at line 2, column 7: "), "{second_line}");
        let wide = parse_alert("{\"規則\": 日}", None).expect_err("bad value");
        assert!(matches!(wide, AlertParseError::Json { line: 1, column: 8, .. }), "{wide:?}");
        let repeated = parse_alert("{\"rule\": \"a\",\n\"rule\": \"b\"}", None).expect_err("repeated");
        assert_eq!(repeated.to_string(), "duplicate key \"rule\" at line 2, column 6: each field may appear only once");
    }

    #[test]
    fn uses_uuid_when_present() {
        let text = r#"{"uuid":"7f1c","time":"2024-01-01T00:00:00Z","rule":"r","priority":"debug"}"#;
        assert_eq!(parse_alert(text, None).expect("valid").id, "7f1c");
    }

    #[test]
    fn rejects_bad_fields_with_their_name() {
        let bad_time = r#"{"time":"13/04/2021 20:58","rule":"r","priority":"Error"}"#;
        let error = parse_alert(bad_time, None).expect_err("bad time").to_string();
        assert!(error.starts_with("field \"time\": not an RFC 3339 timestamp"), "{error}");
        let trailing = r#"{"time":"2021-04-13T20:58:00.746609046Z+2","rule":"r","priority":"Error"}"#;
        let parsed = parse_alert_with_warnings(trailing, None).expect("repaired");
        assert_eq!(parsed.alert.time.timestamp_subsec_nanos(), 746_609_046);
        assert_eq!(
            parsed.warnings,
            ["field \"time\": ignored \"+2\" after the RFC 3339 timestamp \"2021-04-13T20:58:00.746609046Z\""]
        );

        let bad_priority = r#"{"time":"2024-01-01T00:00:00Z","rule":"r","priority":"severe"}"#;
        let error = parse_alert(bad_priority, None).expect_err("bad priority").to_string();
        assert!(error.contains("field \"priority\""), "{error}");

        let missing_rule = r#"{"time":"2024-01-01T00:00:00Z","priority":"debug"}"#;
        assert_eq!(parse_alert(missing_rule, None), Err(AlertParseError::Missing { field: "rule" }));
        let not_json = parse_alert("{\"time\": ", None).expect_err("truncated");
        assert!(matches!(not_json, AlertParseError::Json { .. }));
        assert!(matches!(parse_alert("[1]", None), Err(AlertParseError::NotAnObject { .. })));
    }
}
