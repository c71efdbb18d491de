//! Running cases: each in a fresh data directory (a copy of its dataset's index and a new
//! session database), through the real orchestrator with the chosen backend, turn after turn in
//! one session; each turn timed and scored.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use saker::conversation::{Backend, ChatRequest, EventSink, Orchestrator, SessionStore, TokenUsage};
use saker::llm::{LlmBackend, LlmSettings};
use saker::planner::Planner;
use saker_tools::analytics::ToolRegistry;
use saker_tools::rules::RulesCatalog;
use saker_tools::store::AlertStore;
use saker_tools::store::index::TantivyStore;
use serde::Serialize;

use crate::EvalError;
use crate::dataset::Datasets;
use crate::facts::{ExpectedFact, resolve};
use crate::score::{Check, TurnContext, score_turn};
use crate::suite::{Case, RunItem, detect_language};

/// Who answers.
#[derive(Debug, Clone)]
pub enum BackendChoice {
    /// The embedded planner.
    Planner,
    /// A model on an OpenAI-compatible endpoint.
    Llm(LlmSettings),
}

impl BackendChoice {
    /// `planner` or `llm`: the key of the suites' thresholds.
    pub fn name(&self) -> &'static str {
        match self {
            BackendChoice::Planner => "planner",
            BackendChoice::Llm(_) => "llm",
        }
    }

    fn build(&self) -> Result<Backend, EvalError> {
        match self {
            BackendChoice::Planner => Ok(Backend::Planner(Planner::new())),
            BackendChoice::Llm(settings) => LlmBackend::new(settings.clone())
                .map(Backend::Llm)
                .map_err(|error| EvalError::Backend(error.to_string())),
        }
    }
}

/// One answered (or failed) turn.
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    /// The question.
    pub question: String,
    /// The expected language.
    pub language: String,
    /// What the turn asks for (the turn's `intent`, or a single-turn case's category).
    pub intent: Option<String>,
    /// The tools called, in order.
    pub tools: Vec<String>,
    /// Every check.
    pub checks: Vec<Check>,
    /// Wall-clock time of the turn.
    pub latency: Duration,
    /// Tokens the model used (LLM backend).
    pub usage: Option<TokenUsage>,
    /// The answer's first line, for the report.
    pub answer_head: String,
}

impl TurnResult {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }
}

/// One case's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The suite (file stem).
    pub suite: String,
    /// The case id (`<original>~<n>` for a paraphrase).
    pub id: String,
    /// The case's category.
    pub category: String,
    /// For a paraphrase, the original case.
    pub paraphrase_of: Option<String>,
    /// The dataset's name.
    pub dataset: String,
    /// True when the dataset holds a holdout incident.
    pub holdout: bool,
    /// Why the case was not run (a tool it needs is not registered).
    pub skipped: Option<String>,
    /// The turns, in order.
    pub turns: Vec<TurnResult>,
}

impl CaseResult {
    /// True when the case ran and every turn passed.
    pub fn passed(&self) -> bool {
        self.skipped.is_none() && self.turns.iter().all(TurnResult::passed)
    }

    /// The language of the case's first question.
    pub fn language(&self) -> &str {
        self.turns.first().map_or("en", |turn| turn.language.as_str())
    }
}

/// Runs cases against one backend.
pub struct Harness {
    rules: Arc<RulesCatalog>,
    datasets: Datasets,
    backend: BackendChoice,
    tools: Vec<String>,
}

/// The facts one turn must show and the facts it must not show, resolved over its dataset.
pub type TurnFacts = (Vec<ExpectedFact>, Vec<ExpectedFact>);

impl Harness {
    /// A harness over `rules` (the Falco rules the fixtures were generated from) with `backend`.
    pub fn new(rules: RulesCatalog, backend: BackendChoice) -> Result<Harness, EvalError> {
        let tools = ToolRegistry::standard().specs().map(|spec| spec.name.to_string()).collect();
        Ok(Harness { rules: Arc::new(rules), datasets: Datasets::new()?, backend, tools })
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The facts every turn of `item` must show and must not show, resolved over its dataset at
    /// its "now": what `saker eval --check` prints, and what a run scores against.
    pub fn expected_facts(&self, item: &RunItem) -> Result<Vec<TurnFacts>, EvalError> {
        let case = &item.case;
        let invalid = |message: String| EvalError::InvalidCase {
            path: std::path::PathBuf::from(format!("{}.yaml", item.suite)),
            case: case.id.clone(),
            message,
        };
        let dataset = self.datasets.get(&case.dataset)?;
        let now = case_now(case).map_err(invalid)?;
        let mut expected = Vec::with_capacity(case.turns.len());
        for (index, turn) in case.turns.iter().enumerate() {
            let mut facts = Vec::new();
            for spec in &turn.facts {
                facts.extend(
                    resolve(spec, &dataset, now).map_err(|error| invalid(format!("turn {}: {error}", index + 1)))?,
                );
            }
            let mut absent = Vec::new();
            for spec in &turn.absent {
                absent.extend(
                    resolve(spec, &dataset, now).map_err(|error| invalid(format!("turn {}: {error}", index + 1)))?,
                );
            }
            expected.push((facts, absent));
        }
        Ok(expected)
    }

    /// Runs every item in order, calling `progress` after each.
    pub async fn run_all(
        &self,
        items: &[RunItem],
        mut progress: impl FnMut(usize, &CaseResult),
    ) -> Result<Vec<CaseResult>, EvalError> {
        let mut results = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let result = self.run_case(item).await?;
            progress(index, &result);
            results.push(result);
        }
        Ok(results)
    }

    /// Runs one case in a fresh data directory.
    pub async fn run_case(&self, item: &RunItem) -> Result<CaseResult, EvalError> {
        let case = &item.case;
        let invalid = |message: String| EvalError::InvalidCase {
            path: std::path::PathBuf::from(format!("{}.yaml", item.suite)),
            case: case.id.clone(),
            message,
        };
        let dataset = self.datasets.get(&case.dataset)?;
        let mut result = CaseResult {
            suite: item.suite.clone(),
            id: case.id.clone(),
            category: case.category.clone(),
            paraphrase_of: item.paraphrase_of.clone(),
            dataset: dataset.name.clone(),
            holdout: dataset.has_holdout(),
            skipped: None,
            turns: Vec::new(),
        };
        if let Some(missing) = case.requires_tools.iter().find(|tool| !self.tools.contains(tool)) {
            result.skipped = Some(format!("the tool {missing} is not registered"));
            return Ok(result);
        }
        let now = case_now(case).map_err(invalid)?;
        let expected = self.expected_facts(item)?;

        let data_dir = self.datasets.fresh_data_dir(&dataset)?;
        let store = TantivyStore::open(&data_dir.path().join("index"))
            .map_err(|error| EvalError::Dataset { dataset: dataset.name.clone(), message: error.to_string() })?;
        let store: Arc<dyn AlertStore> = Arc::new(store);
        let sessions =
            SessionStore::open(data_dir.path()).await.map_err(|error| EvalError::Backend(error.to_string()))?;
        let orchestrator = Orchestrator::new(store, self.rules.clone(), sessions, self.backend.build()?);

        let mut session_id: Option<String> = None;
        for (index, (turn, (facts, absent))) in case.turns.iter().zip(&expected).enumerate() {
            let scope = if index == 0 { turn.scope.clone().or_else(|| case.scope.clone()) } else { turn.scope.clone() };
            let request = ChatRequest {
                session_id: session_id.clone(),
                message: turn.ask.clone(),
                scope,
                since: case.since.clone(),
                until: case.until.clone(),
                now: Some(now),
            };
            let language = turn.lang.clone().unwrap_or_else(|| detect_language(&turn.ask).to_string());
            let started = Instant::now();
            let answer = orchestrator.chat(request, EventSink::discard()).await;
            let latency = started.elapsed();
            let context =
                TurnContext { dataset: &dataset, rules: &self.rules, now, language: &language, facts, absent };
            let error_text = answer.as_ref().err().map(ToString::to_string);
            let checks = match &answer {
                Ok(answer) => score_turn(turn, Ok(answer), &context),
                Err(_) => score_turn(turn, Err(error_text.as_deref().unwrap_or_default()), &context),
            };
            let (tools, usage, answer_head) = match &answer {
                Ok(answer) => {
                    session_id = Some(answer.session_id.clone());
                    (
                        answer.steps.iter().map(|step| step.tool.clone()).collect(),
                        answer.usage,
                        first_line(&answer.answer),
                    )
                }
                Err(error) => (Vec::new(), None, format!("error: {error}")),
            };
            let intent = turn.intent.clone().or_else(|| (case.turns.len() == 1).then(|| case.category.clone()));
            result.turns.push(TurnResult {
                question: turn.ask.clone(),
                language,
                intent,
                tools,
                checks,
                latency,
                usage,
                answer_head,
            });
        }
        drop(orchestrator);
        drop(data_dir);
        Ok(result)
    }
}

/// The case's "now": its own, or the demo's.
fn case_now(case: &Case) -> Result<DateTime<Utc>, String> {
    match &case.now {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|now| now.with_timezone(&Utc))
            .map_err(|error| format!("now: {error}")),
        None => saker_fixtures::demo_now().map_err(|error| error.to_string()),
    }
}

/// The first non-empty line, at most 200 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().find(|line| !line.trim().is_empty()).unwrap_or_default().trim();
    let mut shortened: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        shortened.push('…');
    }
    shortened
}
