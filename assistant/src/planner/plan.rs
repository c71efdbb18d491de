//! What the planner decided for one question: the intent, the tool calls, the focus after the
//! turn and anything the analyst must be told (an entity not found, an ambiguous name).
//!
//! Understanding (question → [`Plan`]) and rendering ([`Plan`] + tool outputs → Markdown) are
//! separate so each can be tested alone.

use serde::Serialize;
use serde_json::Value;

use crate::conversation::Focus;

/// What the question asks for. Each intent has a fixed list of tool calls (below, in order;
/// every call carries the plan's `scope` and time arguments) and one answer template per
/// language (`prompts/answers/<lang>/<intent>.hbs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// "Summarize the events in this cluster": `event_stats` grouped by rule, namespace and
    /// workload (its categories say what kinds of activity there were).
    Summary,
    /// "Write a detailed investigation report": `event_stats`, `root_cause`, `attack_path`,
    /// `mitre_mapping`, `impacted_workloads`, `suggest_remediation`.
    Report,
    /// "What was the root cause of ...": `root_cause`.
    RootCause,
    /// "Which MITRE ATT&CK tactics and techniques were used?": `mitre_mapping`.
    Mitre,
    /// "List the attack path": `attack_path`.
    AttackPath,
    /// "How many workloads were impacted?": `impacted_workloads`.
    ImpactedWorkloads,
    /// "How do I fix this?": `suggest_remediation`.
    Remediation,
    /// "Give me guidance to isolate the affected resources": `impacted_workloads`, then
    /// `suggest_remediation` (its containment steps).
    Isolation,
    /// "Compare reconnaissance this week with last week": `compare_periods`.
    ComparePeriods,
    /// "How many alerts ... / which namespaces have the most alerts": `event_stats` with the
    /// grouping asked for (`group_by`), possibly `compare_previous`.
    Count,
    /// "Show me the alerts from ...": `search_events` (with a `query` when the question names
    /// words to find).
    Search,
    /// "Explain this event / what does rule X detect": `explain_event` (by `alert_id` or
    /// `rule`).
    Explain,
    /// "Is this likely a false positive?": `assess_false_positive` on the alerts in focus (or
    /// the alert named by its id).
    FalsePositive,
    /// "Give me a Falco exception for this": `generate_exception` on the alerts in focus (the
    /// benign ones), validated and previewed against the stored alerts of the rule.
    Exception,
    /// "Is this exception valid?" with the YAML in the question: `validate_exception`.
    ValidateException,
    /// "Kill the miner process in that pod." / 「このコンテナを停止して」:
    /// `propose_response_action` with the kinds and process asked for; the proposals are
    /// recorded and wait for a person's approval.
    ProposeAction,
    /// "Show the response history." / 「対応履歴を表示して」: `response_history`.
    ResponseHistory,
    /// "Escalate this to Slack" / "Open a Jira ticket": `escalate`.
    Escalate,
    /// A question the planner cannot map: one `event_stats` call grouped by namespace (what
    /// data there is) and an answer that says so and offers what it can answer.
    Unknown,
}

impl Intent {
    /// Every intent.
    pub const ALL: [Intent; 19] = [
        Intent::Summary,
        Intent::Report,
        Intent::RootCause,
        Intent::Mitre,
        Intent::AttackPath,
        Intent::ImpactedWorkloads,
        Intent::Remediation,
        Intent::Isolation,
        Intent::ComparePeriods,
        Intent::Count,
        Intent::Search,
        Intent::Explain,
        Intent::FalsePositive,
        Intent::Exception,
        Intent::ValidateException,
        Intent::ProposeAction,
        Intent::ResponseHistory,
        Intent::Escalate,
        Intent::Unknown,
    ];

    /// The intent with this [`Intent::name`].
    pub fn from_name(name: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|intent| intent.name() == name)
    }

    /// The template and snake-case name of the intent.
    pub fn name(self) -> &'static str {
        match self {
            Intent::Summary => "summary",
            Intent::Report => "report",
            Intent::RootCause => "root_cause",
            Intent::Mitre => "mitre",
            Intent::AttackPath => "attack_path",
            Intent::ImpactedWorkloads => "impacted_workloads",
            Intent::Remediation => "remediation",
            Intent::Isolation => "isolation",
            Intent::ComparePeriods => "compare_periods",
            Intent::Count => "count",
            Intent::Search => "search",
            Intent::Explain => "explain",
            Intent::FalsePositive => "false_positive",
            Intent::Exception => "exception",
            Intent::ValidateException => "validate_exception",
            Intent::ProposeAction => "propose_action",
            Intent::ResponseHistory => "response_history",
            Intent::Escalate => "escalate",
            Intent::Unknown => "unknown",
        }
    }
}

/// One tool call the planner will make.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedCall {
    /// The tool.
    pub tool: &'static str,
    /// Its arguments (the scope is the focus's, within the analyst's scope).
    pub arguments: Value,
}

/// Something the analyst must be told before (or instead of) the answer.
///
/// A plan with a notice makes no analysis calls; instead it makes the `event_stats` calls that
/// ground what the notice says: first with the asked name in the scope (its output is empty
/// and its `evidence.note` lists values that do exist), then, when there are suggestions or
/// candidates, grouped by the entity's dimension over exactly those values. Every name in a
/// notice therefore appears in the turn's tool calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A name in the question matches nothing in the store.
    NotFound {
        /// What kind of object (`namespace`, `cluster`, `rule`, ...).
        entity: String,
        /// The name as asked.
        name: String,
        /// Close values that do exist (at most a few).
        suggestions: Vec<String>,
    },
    /// A name in the question matches several objects; the planner does not pick one.
    Ambiguous {
        /// What kind of object.
        entity: String,
        /// The name as asked.
        name: String,
        /// The candidates.
        candidates: Vec<String>,
    },
}

/// The planner's decision for one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// What is asked.
    pub intent: Intent,
    /// The tool calls, in order.
    pub calls: Vec<PlannedCall>,
    /// The focus after this turn (entities named in the question, or carried over).
    pub focus: Focus,
    /// The scope expression the calls use within the analyst's scope ('' for all).
    pub scope: String,
    /// Notices for the analyst; with a `NotFound` or `Ambiguous` notice the plan makes no
    /// calls and the answer asks for clarification.
    pub notices: Vec<Notice>,
    /// When the intent was a default (the question named values but asked for nothing the
    /// lexicon knows): the two other likeliest readings, offered as follow-up questions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<Intent>,
    /// A search for values pasted into the question: the pods its hits are in are what "them"
    /// means in the next turn ("cut egress for all of them"), read from its output.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hits_are_them: bool,
    /// Kinds of name the question linked (`process`, `rule`) left out because, with the places
    /// it named, they matched no alert: the answer says so before anything else.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<&'static str>,
}
