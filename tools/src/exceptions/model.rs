//! The model of a rules-file item that adds exceptions to a rule, as Saker writes it into
//! `falco_rules.local.yaml` and as analysts paste it back:
//!
//! ```yaml
//! - rule: Clear Log Activities
//!   exceptions:
//!     - name: httpd_rm_dpkg_log
//!       fields: [container.image.repository, proc.name, fd.name]
//!       comps: [=, =, =]
//!       values:
//!         - [httpd, rm, /var/log/dpkg.log]
//!   override:
//!     exceptions: append
//! ```
//!
//! The types follow Falco's two forms (see `exceptions.md` in the reference material): the list
//! form (`fields` a list, each value a tuple of as many items, an item a scalar or a nested list
//! for `in`/`pmatch`/`intersects`) and the single-field form (`fields` a scalar, `comps` one of
//! the list operators, `values` a flat list of scalars or list names). Their JSON Schema
//! (schemars) is what a language model fills and what the validator's project-schema layer
//! checks.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One rules-file item adding exceptions to an existing rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleExceptions {
    /// The rule the exceptions belong to, exactly as named in the loaded rules.
    pub rule: String,
    /// The exceptions.
    pub exceptions: Vec<ExceptionDefinition>,
    /// How the exceptions combine with the rule's own (Falco 0.37+): `{exceptions: append}`
    /// adds them (values to an existing exception of the same name), `replace` replaces the
    /// rule's whole list.
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_keys: Option<OverrideKeys>,
    /// The deprecated form of `override: {exceptions: append}`; never together with
    /// `override`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub append: Option<bool>,
}

/// The `override:` mapping of an exceptions item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideKeys {
    /// How the `exceptions` key overrides the rule's.
    pub exceptions: OverrideMode,
}

/// An override operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OverrideMode {
    /// Add to the rule's exceptions (values to an existing exception of the same name).
    Append,
    /// Replace the rule's whole exceptions list.
    Replace,
}

/// One exception of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDefinition {
    /// Its name, unique within the rule; appending to an existing exception uses its name.
    pub name: String,
    /// The fields compared: a list (list form) or one field (single-field form). Absent only
    /// when appending values to an existing exception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<ExceptionFields>,
    /// The comparison operator of each field (list form, default `=` each) or of the one
    /// field (single-field form, default `in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comps: Option<ExceptionComps>,
    /// The values: in list form one tuple per entry with one item per field; in single-field
    /// form one scalar (or list name) per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ExceptionValues>,
}

/// `fields:` in either form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ExceptionFields {
    /// List form: `[proc.name, fd.name]`.
    List(Vec<String>),
    /// Single-field form: `fd.name`.
    Single(String),
}

/// `comps:` in either form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ExceptionComps {
    /// List form: `[=, startswith]`.
    List(Vec<String>),
    /// Single-field form: `in`, `pmatch`, `intersects`.
    Single(String),
}

/// One entry of `values:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ExceptionValues {
    /// List form: one item per field.
    Tuple(Vec<ExceptionValue>),
    /// Single-field form: one value or list name.
    Scalar(ExceptionScalar),
}

/// One item of a list-form tuple.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ExceptionValue {
    /// A nested list, for `in`, `pmatch` and `intersects`: `[python, python2.7]`.
    List(Vec<ExceptionScalar>),
    /// A scalar (or a list name for the list operators).
    Scalar(ExceptionScalar),
}

/// A scalar as YAML writes it: text, a number or a boolean, kept as text (Falco reads every
/// value as a string and converts it by the field's type).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[schemars(transparent)]
pub struct ExceptionScalar(pub String);

impl ExceptionScalar {
    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ExceptionScalar {
    fn from(text: &str) -> Self {
        ExceptionScalar(text.to_string())
    }
}

impl Serialize for ExceptionScalar {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ExceptionScalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl serde::de::Visitor<'_> for ScalarVisitor {
            type Value = ExceptionScalar;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a string, number or boolean")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(ExceptionScalar(value.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Self::Value, E> {
                Ok(ExceptionScalar(value))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(ExceptionScalar(value.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(ExceptionScalar(value.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
                Ok(ExceptionScalar(value.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
                Ok(ExceptionScalar(value.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_read_from_json_and_serialise_back() {
        let item: RuleExceptions = serde_json::from_value(serde_json::json!({
            "rule": "Clear Log Activities",
            "exceptions": [
                {"name": "httpd_rm_dpkg_log", "fields": ["container.image.repository", "proc.name", "fd.name"],
                 "comps": ["=", "=", "="], "values": [["httpd", "rm", "/var/log/dpkg.log"]]},
                {"name": "names", "fields": "proc.name", "comps": "in", "values": ["rm", 0, true]},
                {"name": "nested", "fields": ["proc.name", "user.uid"], "comps": ["in", "="], "values": [[["rm", "unlink"], 0]]}
            ],
            "override": {"exceptions": "append"}
        }))
        .expect("valid");
        assert_eq!(item.exceptions[1].values[1], ExceptionValues::Scalar("0".into()));
        assert_eq!(
            item.exceptions[2].values[0],
            ExceptionValues::Tuple(vec![
                ExceptionValue::List(vec!["rm".into(), "unlink".into()]),
                ExceptionValue::Scalar("0".into())
            ])
        );
        let back = serde_json::to_value(&item).expect("serialises");
        assert_eq!(back["override"]["exceptions"], "append");
        assert_eq!(back["exceptions"][1]["values"][2], "true");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let result: Result<ExceptionDefinition, _> =
            serde_json::from_value(serde_json::json!({"name": "x", "fields": ["proc.name"], "ops": ["="]}));
        assert!(result.is_err());
    }
}
