//! A scope serialises as its canonical text and deserialises by parsing, so that scopes in
//! reports, tool calls and saved evidence are plain strings.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Scope;

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Scope::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Scope {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Scope".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "Scope expression in Falco field syntax; empty means every alert. Fields: \
                k8s.cluster.name, k8s.ns.name, workload, k8s.pod.name, container.id, container.name, \
                container.image.repository, proc.name, user.name, fd.name, rule, priority, source, tags, \
                hostname, mitre.tactic, mitre.technique, id, or any Falco output field. Operators: =, !=, \
                in (a, b), contains, startswith, exists; combine with and, or, not and parentheses. \
                Example: k8s.ns.name in (shop, payments) and priority in (critical, error) and not proc.name=bash"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_canonical_text() {
        let scope = Scope::parse("kubernetes.namespace.name in (a,'b c') AND NOT priority=WARN").expect("parses");
        let json = serde_json::to_string(&scope).expect("serialises");
        assert_eq!(json, r#""k8s.ns.name in (a, \"b c\") and not priority=warning""#);
        let back: Scope = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, scope);
        let all: Scope = serde_json::from_str(r#""""#).expect("empty deserialises");
        assert!(all.is_all());
        assert_eq!(serde_json::to_string(&all).expect("serialises"), r#""""#);
    }

    #[test]
    fn rejects_invalid_text_with_the_parse_error() {
        let error =
            serde_json::from_str::<Scope>(r#""proc.name ~= bash""#).map(|_| ()).map_err(|error| error.to_string());
        assert_eq!(
            error,
            Err("scope: column 11: unknown operator \"~=\" (allowed: =, !=, in, contains, startswith, exists)".into())
        );
    }

    #[test]
    fn schema_is_a_string() {
        let schema = schemars::schema_for!(Scope);
        assert_eq!(schema.get("type").and_then(|value| value.as_str()), Some("string"));
    }
}
