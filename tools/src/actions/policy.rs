//! Auto-approval rules: the balance of automation and manual control. Off by default (no
//! rules); each rule names the kinds it approves, for which Falco rules and in which namespaces
//! (and optionally clusters), all explicitly. A proposal made by a language model is never
//! auto-approved, so no alert text can lead to an action nobody approved.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ledger::ActionOrigin;
use super::model::ActionKind;
use super::proposal::Proposal;

/// One auto-approval rule, as written in `saker.yaml` under `actions.auto_approve`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoApprovalRule {
    /// Its name, recorded as the approver (`policy:<name>`).
    pub name: String,
    /// The kinds it approves (at least one).
    pub kinds: Vec<ActionKind>,
    /// Falco rules: a proposal is covered when one of the rules behind it is listed (at least one).
    pub rules: Vec<String>,
    /// Namespaces the target must be in (at least one; `*` for any, including none).
    pub namespaces: Vec<String>,
    /// Clusters the target must be in (empty: any).
    #[serde(default)]
    pub clusters: Vec<String>,
}

/// The configured rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoApprovalPolicy {
    rules: Vec<AutoApprovalRule>,
}

impl AutoApprovalPolicy {
    /// A policy of `rules`, or what is wrong with one of them (its index, name and field).
    pub fn new(rules: Vec<AutoApprovalRule>) -> Result<AutoApprovalPolicy, String> {
        for (index, rule) in rules.iter().enumerate() {
            let place = format!("actions.auto_approve[{index}] ({:?})", rule.name);
            if rule.name.trim().is_empty() {
                return Err(format!("actions.auto_approve[{index}]: `name` is empty: give the rule a name"));
            }
            for (field, empty) in [
                ("kinds", rule.kinds.is_empty()),
                ("rules", rule.rules.is_empty()),
                ("namespaces", rule.namespaces.is_empty()),
            ] {
                if empty {
                    return Err(format!(
                        "{place}: `{field}` is empty: an auto-approval rule names its {field} explicitly (namespaces \
                         may be [\"*\"])"
                    ));
                }
            }
        }
        Ok(AutoApprovalPolicy { rules })
    }

    /// True when no rule is configured (the default).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule that approves `proposal` from `origin`, if any.
    pub fn approving(&self, proposal: &Proposal, origin: ActionOrigin) -> Option<&AutoApprovalRule> {
        if origin == ActionOrigin::Llm {
            return None;
        }
        let namespace = proposal.target.namespace.as_deref();
        let cluster = proposal.target.cluster.as_deref();
        self.rules.iter().find(|rule| {
            rule.kinds.contains(&proposal.kind)
                && proposal.reason.rules.iter().any(|fired| rule.rules.contains(&fired.name))
                && rule.namespaces.iter().any(|listed| listed == "*" || Some(listed.as_str()) == namespace)
                && (rule.clusters.is_empty() || rule.clusters.iter().any(|listed| Some(listed.as_str()) == cluster))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{ActionParameters, ActionSpec, ActionTarget, Reason};
    use crate::analytics::common::NameCount;

    fn proposal(kind: ActionKind, namespace: &str, rule: &str) -> Proposal {
        let spec = ActionSpec {
            kind,
            target: ActionTarget {
                cluster: Some("prod".into()),
                namespace: Some(namespace.into()),
                ..ActionTarget::default()
            },
            parameters: ActionParameters::default(),
        };
        let reason = Reason {
            rules: vec![NameCount { name: rule.into(), count: 3 }],
            alerts: 3,
            sample_ids: Vec::new(),
            first_seen: String::new(),
            last_seen: String::new(),
            link: String::new(),
        };
        Proposal::new(spec, String::new(), reason, Vec::new())
    }

    fn miners() -> AutoApprovalRule {
        AutoApprovalRule {
            name: "miners".into(),
            kinds: vec![ActionKind::KillProcess],
            rules: vec!["Detect crypto miners using the Stratum protocol".into()],
            namespaces: vec!["risk-10".into()],
            clusters: Vec::new(),
        }
    }

    #[test]
    fn off_by_default_and_only_what_a_rule_names() {
        let miner = proposal(ActionKind::KillProcess, "risk-10", "Detect crypto miners using the Stratum protocol");
        assert!(AutoApprovalPolicy::default().approving(&miner, ActionOrigin::Planner).is_none());
        let policy = AutoApprovalPolicy::new(vec![miners()]).expect("valid");
        assert_eq!(policy.approving(&miner, ActionOrigin::Planner).map(|rule| rule.name.as_str()), Some("miners"));
        assert!(policy.approving(&miner, ActionOrigin::Llm).is_none(), "a model's proposal is never auto-approved");
        let other_kind = proposal(ActionKind::DeletePod, "risk-10", "Detect crypto miners using the Stratum protocol");
        let other_namespace =
            proposal(ActionKind::KillProcess, "web", "Detect crypto miners using the Stratum protocol");
        let other_rule = proposal(ActionKind::KillProcess, "risk-10", "Terminal shell in container");
        for other in [other_kind, other_namespace, other_rule] {
            assert!(policy.approving(&other, ActionOrigin::Api).is_none(), "{other:?}");
        }
    }

    #[test]
    fn rules_must_name_kinds_rules_and_namespaces() {
        let mut broad = miners();
        broad.namespaces.clear();
        let error = AutoApprovalPolicy::new(vec![broad]).expect_err("no namespaces");
        assert!(error.contains("`namespaces` is empty") && error.contains("auto_approve[0]"), "{error}");
        let mut any_namespace = miners();
        any_namespace.namespaces = vec!["*".into()];
        let policy = AutoApprovalPolicy::new(vec![any_namespace]).expect("valid");
        let miner = proposal(ActionKind::KillProcess, "web", "Detect crypto miners using the Stratum protocol");
        assert!(policy.approving(&miner, ActionOrigin::Cli).is_some());
    }
}
