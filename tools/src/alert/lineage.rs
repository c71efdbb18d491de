//! A partial, allocation-light read of a stored alert: only what process trees need (id, time,
//! rule, host, container, pod and the process with its ancestry). Reading thousands of alerts
//! for a root cause this way skips building the full alert and its dimensions.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

use super::dimensions::{Ancestor, Process};
use super::workload::is_present;

/// The process part of an alert, as read by [`parse_lineage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessLineage {
    /// Alert id.
    pub id: String,
    /// Event time.
    pub time: DateTime<Utc>,
    /// Rule name.
    pub rule: String,
    /// Host name.
    pub hostname: String,
    /// `container.id`.
    pub container_id: Option<String>,
    /// `k8s.pod.name` (or `k8smeta.pod.name`).
    pub pod: Option<String>,
    /// The process and its ancestry, as [`super::Dimensions`] derives it.
    pub process: Process,
}

/// Reads the lineage of a raw alert (JSON text as stored) whose id is already known.
pub fn parse_lineage(raw: &str, id: String) -> Result<ProcessLineage, String> {
    let partial: PartialAlert<'_> = serde_json::from_str(raw).map_err(|error| error.to_string())?;
    let time = super::parse::parse_time(&partial.time, &mut Vec::new()).map_err(|error| error.to_string())?;
    let fields = partial.output_fields;
    Ok(ProcessLineage {
        id,
        time,
        rule: partial.rule.into_owned(),
        hostname: partial.hostname.map(Cow::into_owned).unwrap_or_default(),
        container_id: fields.container_id,
        pod: fields.pod,
        process: fields.process,
    })
}

#[derive(Deserialize)]
struct PartialAlert<'a> {
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow)]
    rule: Cow<'a, str>,
    #[serde(default, borrow)]
    hostname: Option<Cow<'a, str>>,
    #[serde(default)]
    output_fields: LineageFields,
}

/// The `output_fields` keys the lineage needs; every other key is skipped without allocating.
#[derive(Default)]
struct LineageFields {
    container_id: Option<String>,
    pod: Option<String>,
    process: Process,
}

impl<'de> Deserialize<'de> for LineageFields {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = LineageFields;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("the output_fields object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(LineageFields::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = LineageFields::default();
        let mut exe: Option<String> = None;
        let process = &mut fields.process;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key = key.as_ref();
            let wanted = matches!(
                key,
                "container.id"
                    | "k8s.pod.name"
                    | "k8smeta.pod.name"
                    | "proc.name"
                    | "proc.exepath"
                    | "proc.exe"
                    | "proc.cmdline"
                    | "proc.pid"
                    | "proc.ppid"
                    | "proc.pname"
                    | "proc.pcmdline"
            ) || key.starts_with("proc.aname[")
                || key.starts_with("proc.apid[");
            if !wanted {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = map.next_value::<Scalar>()?;
            match key {
                "container.id" => fields.container_id = value.text(),
                "k8s.pod.name" => fields.pod = value.text().or(fields.pod.take()),
                "k8smeta.pod.name" => fields.pod = fields.pod.take().or(value.text()),
                "proc.name" => process.name = value.text(),
                "proc.exepath" => process.exepath = value.text(),
                "proc.exe" => exe = value.text(),
                "proc.cmdline" => process.cmdline = value.text(),
                "proc.pid" => process.pid = value.number(),
                "proc.ppid" => process.ppid = value.number(),
                "proc.pname" => process.pname = value.text(),
                "proc.pcmdline" => process.pcmdline = value.text(),
                _ => ancestor(&mut process.ancestors, key, value),
            }
        }
        if process.exepath.is_none() {
            process.exepath = exe;
        }
        process.ancestors.retain(|ancestor| ancestor.name.is_some() || ancestor.pid.is_some());
        process.ancestors.sort_by_key(|ancestor| ancestor.level);
        Ok(fields)
    }
}

/// Records `proc.aname[N]` / `proc.apid[N]` (levels 1 to 16).
fn ancestor(ancestors: &mut Vec<Ancestor>, key: &str, value: Scalar) {
    let (is_name, rest) = match (key.strip_prefix("proc.aname["), key.strip_prefix("proc.apid[")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return,
    };
    let Some(level) = rest.strip_suffix(']').and_then(|digits| digits.parse::<u8>().ok()) else {
        return;
    };
    if level == 0 || level > 16 {
        return;
    }
    let index = match ancestors.iter().position(|ancestor| ancestor.level == level) {
        Some(index) => index,
        None => {
            ancestors.push(Ancestor { level, name: None, pid: None });
            ancestors.len() - 1
        }
    };
    if is_name {
        ancestors[index].name = value.text();
    } else {
        ancestors[index].pid = value.number();
    }
}

/// A JSON scalar read without building a `serde_json::Value`.
enum Scalar {
    Text(String),
    Number(i64),
    Nothing,
}

impl Scalar {
    fn text(self) -> Option<String> {
        match self {
            Scalar::Text(text) => Some(text).filter(|text| is_present(text)),
            Scalar::Number(number) => Some(number.to_string()),
            Scalar::Nothing => None,
        }
    }

    fn number(self) -> Option<i64> {
        match self {
            Scalar::Number(number) => Some(number),
            Scalar::Text(text) => text.trim().parse().ok(),
            Scalar::Nothing => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(value).map_or(Scalar::Text(value.to_string()), Scalar::Number))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Scalar, E> {
        Ok(Scalar::Text(value.to_string()))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Scalar, E> {
        Ok(Scalar::Text(value.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Nothing)
    }

    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Nothing)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nothing)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Nothing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::parse_alert;

    #[test]
    fn reads_the_same_process_as_the_full_parse() {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/scenarios");
        for name in ["malicious_binary.jsonl", "reverse_shell.jsonl", "false_positive.jsonl"] {
            let text = std::fs::read_to_string(format!("{directory}/{name}")).expect("scenario");
            for line in text.lines().filter(|line| !line.trim().is_empty()) {
                let full = parse_alert(line, None).expect("alert");
                let lineage = parse_lineage(line, full.id.clone()).expect("lineage");
                assert_eq!(lineage.process, full.dimensions.process, "{line}");
                assert_eq!(lineage.container_id, full.dimensions.container_id);
                assert_eq!(lineage.pod, full.dimensions.pod);
                assert_eq!((lineage.time, lineage.rule.as_str()), (full.time, full.rule.as_str()));
            }
        }
    }

    #[test]
    fn odd_values_do_not_break_the_read() {
        let raw = r#"{"time":"2024-01-01T00:00:00Z","rule":"r","output_fields":{"proc.pid":"42","proc.aname[2]":null,"proc.apid[2]":[1],"proc.name":{"x":1},"other":[1,2]}}"#;
        let lineage = parse_lineage(raw, "id".into()).expect("lineage");
        assert_eq!(lineage.process.pid, Some(42));
        assert_eq!(lineage.process.name, None);
        assert!(lineage.process.ancestors.is_empty());
        assert!(parse_lineage("{", "id".into()).is_err());
    }
}
