//! The entities in focus: what the conversation has established so far, so that "it", "this
//! cluster" or 「その名前空間」 in a later turn can be resolved.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A time range the conversation is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TimeFocus {
    /// Start, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// End, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Relative length (`7d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// The entities a session is currently about. Every value was found in the store (or in a
/// tool output) when it was set; none is invented.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Focus {
    /// Kubernetes cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Kubernetes namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Workload (Deployment, DaemonSet, ...) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Container id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Falco rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Process name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// A single alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<String>,
    /// The time range under discussion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeFocus>,
    /// What the last turn was about (an intent name such as `root_cause`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The analyst category the conversation is about (`reconnaissance`), when a turn named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The rules that category resolved to in that turn's comparison: later questions about
    /// "the impacted workloads" or "the attack path" look at these rules' alerts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_rules: Vec<String>,
    /// Objects the analyst left out ("without gitlab-runner", 「ci 以外」), as scope terms
    /// (`workload!=gitlab-runner`): later questions leave them out too, until the cluster
    /// changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded: Vec<String>,
    /// Several objects of one kind the conversation is about ("tcpdump and nc"), as `in` scope
    /// terms (`proc.name in (tcpdump, nc)`): kept for the questions after the one that named
    /// them ("is that a false positive?"), until a question names something else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<String>,
    /// The Falco exception YAML the last turn that wrote one generated: "validate that" checks
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception_yaml: Option<String>,
    /// The one cluster the last search's hits were all in (none when they spread over several):
    /// what "that cluster" (「そのクラスタ」) means in a later question, without narrowing the
    /// questions that do not say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_in_cluster: Option<String>,
}

impl Focus {
    /// The scope expression of the focused Kubernetes objects and rule (empty when none),
    /// e.g. `kubernetes.cluster.name=a and k8s.ns.name=b`.
    pub fn scope_expression(&self) -> String {
        let terms = [
            ("kubernetes.cluster.name", &self.cluster),
            ("k8s.ns.name", &self.namespace),
            ("k8s.workload.name", &self.workload),
            ("k8s.pod.name", &self.pod),
            ("container.id", &self.container),
            ("rule", &self.rule),
            ("proc.name", &self.process),
        ];
        terms
            .iter()
            .filter_map(|(field, value)| value.as_ref().map(|value| format!("{field}={}", quote_value(value))))
            .chain(self.one_of.iter().cloned())
            .chain(self.excluded.iter().cloned())
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// Quotes a scope value when it holds characters the scope lexer would split on.
pub fn quote_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '*'));
    if plain { value.to_string() } else { format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_expression_joins_the_focused_objects() {
        let focus = Focus {
            cluster: Some("prod".into()),
            namespace: Some("risk-10".into()),
            rule: Some("Clear Log Activities".into()),
            ..Focus::default()
        };
        assert_eq!(
            focus.scope_expression(),
            "kubernetes.cluster.name=prod and k8s.ns.name=risk-10 and rule=\"Clear Log Activities\""
        );
        assert_eq!(Focus::default().scope_expression(), "");
    }
}
