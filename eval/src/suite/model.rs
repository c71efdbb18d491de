//! The suite file format: a YAML document with a top-level `cases:` list (or a `paraphrases:`
//! list for a paraphrase set). Every field is checked by serde (`deny_unknown_fields`), so a typo
//! in a suite is an error naming its line, never a silently skipped expectation.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// One suite file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    /// What the suite covers, in a sentence.
    #[serde(default)]
    pub description: String,
    /// The pass rates below which `saker eval` fails, per backend (`planner`, `llm`). A backend
    /// without a threshold is measured but never fails the run.
    #[serde(default)]
    pub threshold: BTreeMap<String, f64>,
    /// What the threshold is a rate of: `cases` (every turn of a case passes; the default) or
    /// `turns` (each turn counted on its own, as the generalisation suites are gated).
    #[serde(default)]
    pub gate: GateUnit,
    /// A sealed suite: no fix may be made against its wordings, so reports give only its rates
    /// (overall, per intent, per language), never its questions or failures.
    #[serde(default)]
    pub sealed: bool,
    /// The cases.
    #[serde(default)]
    pub cases: Vec<Case>,
    /// A paraphrase set: other wordings of single-turn cases of the suites in the same
    /// directory, scored with the original case's expectations.
    #[serde(default)]
    pub paraphrases: Vec<Paraphrase>,
}

/// What a suite's threshold measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateUnit {
    /// The share of cases whose every turn passes.
    #[default]
    Cases,
    /// The share of turns that pass.
    Turns,
}

/// One conversation: a dataset, a fixed "now", an optional starting scope and its turns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique across every suite file of a run.
    pub id: String,
    /// What the case measures (`summary`, `root_cause`, `time`, `clarify`, ...): the report's
    /// per-category rates.
    pub category: String,
    /// The scenarios loaded into the case's fresh data directory: `demo` (every demo scenario),
    /// `all` (demo and holdout incidents) or a list of scenario names.
    #[serde(default)]
    pub dataset: DatasetSpec,
    /// "Now" for every turn (RFC 3339); default the demo's.
    #[serde(default)]
    pub now: Option<String>,
    /// The analyst's scope at the start (the request's `scope`).
    #[serde(default)]
    pub scope: Option<String>,
    /// The analyst's time range (the request's `since` / `until`).
    #[serde(default)]
    pub since: Option<String>,
    /// See [`Case::since`].
    #[serde(default)]
    pub until: Option<String>,
    /// Tools this case needs (skipped when the registry lacks one).
    #[serde(default)]
    pub requires_tools: Vec<String>,
    /// The turns, in order, in one session.
    pub turns: Vec<Turn>,
}

/// Which scenarios a case loads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DatasetSpec {
    /// `demo`, `all` or one scenario name.
    Named(String),
    /// Scenario names.
    Scenarios(Vec<String>),
}

impl Default for DatasetSpec {
    fn default() -> Self {
        DatasetSpec::Named("demo".to_string())
    }
}

/// One question and what its answer must show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// The question.
    pub ask: String,
    /// What the analyst wants from this turn (`root_cause`, `search`, ...), for the per-intent
    /// turn rates; default: the case's category for a single-turn case.
    #[serde(default)]
    pub intent: Option<String>,
    /// A new analyst scope from this turn on (the request's `scope`); otherwise the session's.
    #[serde(default)]
    pub scope: Option<String>,
    /// The answer's language (`en`, `ja`); default: `ja` when the question has kana or kanji.
    #[serde(default)]
    pub lang: Option<String>,
    /// Tools that must be called.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Tools that must not be called.
    #[serde(default)]
    pub not_tools: Vec<String>,
    /// Key arguments: each must hold for at least one call of its tool.
    #[serde(default)]
    pub args: Vec<ArgExpectation>,
    /// Values in a tool's output: each must hold for at least one call of its tool.
    #[serde(default)]
    pub outputs: Vec<OutputExpectation>,
    /// Facts that must appear in the answer.
    #[serde(default)]
    pub facts: Vec<FactSpec>,
    /// Facts that must not appear (names from other scenarios, invented values).
    #[serde(default)]
    pub absent: Vec<FactSpec>,
    /// For an exception turn: the snippet in the answer validates and suppresses exactly the
    /// intended alerts.
    #[serde(default)]
    pub exception: Option<ExceptionExpectation>,
}

/// What one call's arguments must show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgExpectation {
    /// The tool.
    pub tool: String,
    /// Comparisons (`k8s.ns.name=storefront`) that must be top-level conjuncts of the call's
    /// scope (its argument or its evidence, which includes the analyst's scope).
    #[serde(default)]
    pub scope: Vec<String>,
    /// Comparisons of which at least one must be a top-level conjunct (a name the question
    /// gives without its kind, such as a namespace named like its workload).
    #[serde(default)]
    pub scope_any: Vec<String>,
    /// Fields the call's scope must compare (any operator, any value).
    #[serde(default)]
    pub scope_fields: Vec<String>,
    /// Fields the call's own `scope` argument must not compare.
    #[serde(default)]
    pub not_scope_fields: Vec<String>,
    /// The time range the call covered.
    #[serde(default)]
    pub time: Option<TimeExpectation>,
    /// Groupings `group_by` must include.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// JSON pointers into the arguments and the values they must equal.
    #[serde(default)]
    pub equals: BTreeMap<String, Value>,
}

/// The time range a call covered, compared with the one its evidence reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeExpectation {
    /// A rolling window ending at the case's "now" (`24h`, `7d`).
    #[serde(default)]
    pub last: Option<String>,
    /// The start (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// The end (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
    /// True: unbounded (all stored alerts).
    #[serde(default)]
    pub all: bool,
}

/// A value in one call's output.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputExpectation {
    /// The tool.
    pub tool: String,
    /// JSON pointers into the output and the values they must equal.
    pub equals: BTreeMap<String, Value>,
}

/// A fact: a literal from the generator's ground truth, or a query the harness computes over the
/// dataset's alerts (parsed from the fixture files and filtered with the reference scope
/// evaluator, never through Saker's store or tools).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FactSpec {
    /// A number, matched as a whole number in the answer (`1,234` matches 1234).
    Number(u64),
    /// A name or phrase, matched case-insensitively at word boundaries.
    Text(String),
    /// A computed fact.
    Query(Box<FactQuery>),
}

/// A fact computed from the dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactQuery {
    /// The number of alerts in a set.
    #[serde(default)]
    pub count: Option<AlertSet>,
    /// The number of distinct values of a field in a set.
    #[serde(default)]
    pub distinct: Option<Grouped>,
    /// The most frequent value of a field in a set.
    #[serde(default)]
    pub top: Option<Grouped>,
    /// Every value of a field in a set (the `limit` most frequent).
    #[serde(default)]
    pub each: Option<Grouped>,
    /// Any one of these facts.
    #[serde(default)]
    pub any_of: Option<Vec<FactSpec>>,
}

/// A set of alerts of the dataset: a scope and a time range relative to the case's "now".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSet {
    /// Scope expression in Falco field syntax ('' or absent: every alert).
    #[serde(default)]
    pub scope: Option<String>,
    /// A rolling window ending at "now" (`24h`, `7d`).
    #[serde(default)]
    pub last: Option<String>,
    /// The window of this length before the `previous` one ending at "now" (`7d`: the week
    /// before the last 7 days).
    #[serde(default)]
    pub previous: Option<String>,
    /// Start (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// End (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
}

/// A field's values over a set of alerts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grouped {
    /// The field: a scope dimension alias (`namespace`, `mitre.technique`) or an
    /// `output_fields` key.
    pub by: String,
    /// For `each`: how many of the most frequent values (default all).
    #[serde(default)]
    pub limit: Option<usize>,
    /// The set's scope (see [`AlertSet`]).
    #[serde(default)]
    pub scope: Option<String>,
    /// The set's rolling window.
    #[serde(default)]
    pub last: Option<String>,
    /// The set's previous window.
    #[serde(default)]
    pub previous: Option<String>,
    /// The set's start.
    #[serde(default)]
    pub since: Option<String>,
    /// The set's end.
    #[serde(default)]
    pub until: Option<String>,
}

impl Grouped {
    /// The set of alerts the values are read from.
    pub fn set(&self) -> AlertSet {
        AlertSet {
            scope: self.scope.clone(),
            last: self.last.clone(),
            previous: self.previous.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

/// What an exception turn must produce.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionExpectation {
    /// The rule the snippet must name.
    pub rule: String,
    /// The alerts the snippet must suppress, exactly: a scope over the dataset (the rule is
    /// added to it).
    pub suppresses: String,
}

/// Other wordings of one single-turn case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paraphrase {
    /// The id of the original case.
    pub case: String,
    /// The other wordings (at least three).
    pub wordings: Vec<String>,
}
