//! A proposal: one concrete action with the alerts behind it, what it would touch (its blast
//! radius, including what the alerts do not say) and whether it can be undone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::{ActionKind, ActionParameters, ActionSpec, ActionTarget, Reversibility};
use crate::analytics::common::NameCount;

/// One proposed action. Proposing never executes anything: a person with a role allowed to
/// respond approves it by its digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Proposal {
    /// What to do.
    pub kind: ActionKind,
    /// To what.
    pub target: ActionTarget,
    /// How.
    pub parameters: ActionParameters,
    /// `sha256:` digest of kind + target + parameters: an approval is bound to it.
    pub digest: String,
    /// One line saying what the action does, naming its target.
    pub summary: String,
    /// The alerts behind it.
    pub reason: Reason,
    /// What it would touch, and what the alerts cannot tell.
    pub blast_radius: Vec<Fact>,
    /// Whether it can be undone.
    pub reversibility: Reversibility,
}

impl Proposal {
    /// A proposal for `spec`, its digest computed.
    pub fn new(spec: ActionSpec, summary: String, reason: Reason, blast_radius: Vec<Fact>) -> Proposal {
        let digest = spec.digest();
        let reversibility = spec.kind.reversibility();
        Proposal {
            kind: spec.kind,
            target: spec.target,
            parameters: spec.parameters,
            digest,
            summary,
            reason,
            blast_radius,
            reversibility,
        }
    }

    /// The part an approval covers.
    pub fn spec(&self) -> ActionSpec {
        ActionSpec { kind: self.kind, target: self.target.clone(), parameters: self.parameters.clone() }
    }

    /// True when the stored digest is the digest of the stored spec (nothing was altered).
    pub fn digest_is_intact(&self) -> bool {
        self.spec().digest() == self.digest
    }
}

/// The alerts an action is proposed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    /// The rules that fired on the target, most alerts first.
    pub rules: Vec<NameCount>,
    /// Alerts on the target in the scope and time range.
    pub alerts: u64,
    /// Newest alert ids.
    pub sample_ids: Vec<String>,
    /// First alert on the target.
    pub first_seen: String,
    /// Last alert on the target.
    pub last_seen: String,
    /// Event-feed link to those alerts.
    pub link: String,
}

/// One statement about an action's blast radius: a stable code (what kind of fact, for
/// rendering in any language), the values it is about, and the English sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fact {
    /// What kind of statement (`main_process`, `recreated_by_controller`, `unknown_replicas`).
    pub code: String,
    /// True when the statement says what the alerts do not show (not a guess: an unknown).
    pub unknown: bool,
    /// The values the statement is about.
    pub values: Map<String, Value>,
    /// The statement in English.
    pub statement: String,
}

impl Fact {
    /// A known fact.
    pub fn known(code: &str, values: Value, statement: String) -> Fact {
        Fact::new(code, false, values, statement)
    }

    /// Something the alerts do not tell.
    pub fn unknown(code: &str, values: Value, statement: String) -> Fact {
        Fact::new(code, true, values, statement)
    }

    fn new(code: &str, unknown: bool, values: Value, statement: String) -> Fact {
        let values = match values {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Fact { code: code.to_string(), unknown, values, statement }
    }
}
