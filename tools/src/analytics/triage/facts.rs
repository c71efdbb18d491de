//! The facts `assess_false_positive` reports: each with its factor, direction, weight, an
//! English statement and the typed values it rests on, so an answer can be rendered in any
//! language from the values alone.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lineage::LineageClass;
use super::nearby::NearbyRule;
use super::recurrence::RecurrencePattern;
use super::system_workloads::SystemKind;
use super::weights::{Direction, Factor, weight_of};
use crate::analytics::categories::Category;
use crate::analytics::common::NameCount;
use crate::analytics::explain_event::BenignCase;

/// One fact behind the likelihood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TriageFact {
    /// The row of the scoring table it comes from.
    pub factor: Factor,
    /// Which way it points.
    pub direction: Direction,
    /// Its weight in the score (positive: benign; 0: context).
    pub weight: i32,
    /// The fact in one English sentence.
    pub statement: String,
    /// The values it rests on.
    pub values: FactValues,
}

impl TriageFact {
    /// A fact with the table's weight for its factor.
    pub fn weighed(factor: Factor, statement: String, values: FactValues) -> TriageFact {
        TriageFact::with_weight(factor, weight_of(factor), statement, values)
    }

    /// A fact whose table weight does not apply (a benign lineage shown by only part of the
    /// set): weight 0, neutral.
    pub fn unweighed(factor: Factor, statement: String, values: FactValues) -> TriageFact {
        TriageFact::with_weight(factor, 0, statement, values)
    }

    fn with_weight(factor: Factor, weight: i32, statement: String, values: FactValues) -> TriageFact {
        TriageFact { factor, direction: Direction::of(weight), weight, statement, values }
    }
}

/// The values of a fact, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FactValues {
    /// Process lineage.
    Lineage(LineageValues),
    /// Users.
    User(UserValues),
    /// Recurrence in time.
    Recurrence(RecurrenceValues),
    /// Spread over workloads and namespaces.
    Spread(SpreadValues),
    /// System or maintenance workloads.
    SystemWorkload(SystemWorkloadValues),
    /// Other alerts around the assessed ones.
    Nearby(NearbyValues),
    /// The categories of the assessed rules.
    RuleCategory(RuleCategoryValues),
    /// The rules' documented benign cases.
    RuleBenignCases(RuleBenignCaseValues),
}

/// One lineage class among the examined alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineageValues {
    /// The class.
    pub class: LineageClass,
    /// Examined alerts with this class.
    pub alerts: u64,
    /// Alerts examined.
    pub of_alerts: u64,
    /// The most common chain of the class: process names from the triggering process up to
    /// the container runtime (`?` where a name is unknown).
    pub chain: Vec<String>,
    /// The triggering process's command line on that chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its parent's command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_command: Option<String>,
    /// What decided the class: the executable path, the web server, the runtime, the
    /// scheduler, the entrypoint's command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// Whether the process had a terminal (`proc.tty` not 0).
    pub terminal: bool,
    /// An alert with this chain.
    pub example_alert_id: String,
}

/// The users of the assessed alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserValues {
    /// Users, most alerts first (all assessed alerts).
    pub users: Vec<NameCount>,
    /// Users not listed.
    pub more_users: u64,
    /// A web server's service account running something other than the server, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Examined alerts where it does.
    pub service_account_alerts: u64,
}

/// How the most common command line recurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RecurrenceValues {
    /// The pattern.
    pub pattern: RecurrencePattern,
    /// The command line (or process name) whose times were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Examined alerts with it.
    pub alerts: u64,
    /// Alerts examined.
    pub of_alerts: u64,
    /// Distinct command lines among the examined alerts.
    pub commands: u64,
    /// Distinct UTC days with an occurrence.
    pub days: u64,
    /// Days from the first to the last occurrence, both included.
    pub span_days: u64,
    /// Daily: the time of day, UTC `HH:MM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_of_day_utc: Option<String>,
    /// Daily: days with an occurrence at that time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_at_time: Option<u64>,
    /// Interval: the typical interval in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_seconds: Option<i64>,
    /// First occurrence (RFC 3339).
    pub first: String,
    /// Last occurrence (RFC 3339).
    pub last: String,
}

/// Distinct places of the assessed alerts (exact, over all of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SpreadValues {
    /// Distinct pods.
    pub pods: u64,
    /// Distinct workloads (cluster, namespace, workload).
    pub workloads: u64,
    /// Distinct namespaces.
    pub namespaces: u64,
    /// Distinct clusters.
    pub clusters: u64,
    /// Distinct image repositories.
    pub images: u64,
    /// The largest workloads as `cluster/namespace/workload`.
    pub top_workloads: Vec<NameCount>,
    /// The largest image repositories.
    pub top_images: Vec<NameCount>,
}

/// A namespace or image and whether Saker's list knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ListedValue {
    /// The namespace or image repository.
    pub value: String,
    /// Its kind on the list, if listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<SystemKind>,
}

/// Whether the alerts come from system or maintenance workloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SystemWorkloadValues {
    /// Examined alerts whose namespace or image is on the list.
    pub alerts: u64,
    /// Alerts examined.
    pub of_alerts: u64,
    /// The namespaces seen (at most five).
    pub namespaces: Vec<ListedValue>,
    /// The image repositories seen (at most five).
    pub images: Vec<ListedValue>,
}

/// Other alerts around the assessed ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NearbyValues {
    /// Minutes before and after each assessed alert.
    pub window_minutes: i64,
    /// Alerts of other rules in that window, in the same containers.
    pub alerts: u64,
    /// The rules, attack stages first (at most eight).
    pub rules: Vec<NearbyRule>,
    /// Rules not listed.
    pub more_rules: u64,
    /// The assessed alerts' highest priority, for comparison.
    pub assessed_priority: String,
    /// Alerts read from the containers around the assessed ones.
    pub context_alerts_read: u64,
    /// True when more alerts were there than read.
    pub context_truncated: bool,
}

/// One assessed rule and its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleCategoryEntry {
    /// The rule.
    pub rule: String,
    /// Its analyst category.
    pub category: Category,
    /// Its priority.
    pub priority: String,
    /// Examined alerts of it.
    pub alerts: u64,
}

/// The categories of the assessed rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleCategoryValues {
    /// The rules, most alerts first.
    pub rules: Vec<RuleCategoryEntry>,
}

/// One rule's documented benign cases and whether the lineage fits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleBenignCaseEntry {
    /// The rule.
    pub rule: String,
    /// Whether the rule is in the loaded rules files.
    pub rule_loaded: bool,
    /// Its benign cases (from allow-list macros, lists, exceptions, and Saker's notes).
    pub cases: Vec<BenignCase>,
    /// Cases not listed.
    pub more_cases: u64,
    /// The lineage classes of the rule's examined alerts.
    pub lineages: Vec<LineageClass>,
    /// Whether those lineages are the rule's documented benign case.
    pub fits: bool,
}

/// The rules' documented benign cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleBenignCaseValues {
    /// The assessed rules (at most three), most alerts first.
    pub rules: Vec<RuleBenignCaseEntry>,
}
