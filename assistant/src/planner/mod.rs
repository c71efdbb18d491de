//! The embedded deterministic planner: recognises the intent and the entities of a question
//! in English or Japanese, calls the tools, and renders the answer from `prompts/` templates.
//!
//! [`understand`] turns the question into a [`Plan`] (pure, given the store's vocabulary);
//! this module runs the plan's calls through the turn's [`ToolExecutor`] (confined to the
//! analyst's scope), renders the outputs with [`render`], and streams the text.

pub mod plan;
pub mod render;
pub mod understand;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use saker_tools::analytics::categories::{Category, RuleFacts, categorize};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use saker_tools::store::{AlertFilter, AlertStore, GroupKey, TimeRange};
use serde_json::{Value, json};

use self::plan::Plan;
use self::understand::{Context, Vocabulary};
use crate::conversation::{ConversationError, Focus, TimeFocus, ToolExecutor, TurnInput, TurnOutput};

/// How long a vocabulary is reused after the store has changed, so that a steady stream of
/// ingested alerts does not rebuild it on every question. New names become linkable within
/// this delay; pasted scopes work at once.
const VOCABULARY_STALENESS: Duration = Duration::from_secs(5);

/// Most rules read for an incident's detections.
const INCIDENT_RULES_READ: usize = 21;

/// The planner backend.
#[derive(Debug, Default)]
pub struct Planner {
    vocabulary: Mutex<Option<CachedVocabulary>>,
    /// Held by the one turn that rebuilds the vocabulary: concurrent turns keep using the
    /// cached one instead of each reading the whole store again.
    rebuilding: tokio::sync::Mutex<()>,
}

#[derive(Debug, Clone)]
struct CachedVocabulary {
    alerts: u64,
    built: Instant,
    vocabulary: Arc<Vocabulary>,
}

impl Planner {
    /// A planner.
    pub fn new() -> Planner {
        Planner::default()
    }

    /// Answers one turn: understands the question, runs the plan's calls, renders and streams
    /// the answer.
    pub async fn answer(&self, input: TurnInput<'_>, executor: &ToolExecutor) -> Result<TurnOutput, ConversationError> {
        let plan = self.plan(input.question, input.focus, input.scope, executor).await?;
        let mut outputs = Vec::with_capacity(plan.calls.len());
        for call in &plan.calls {
            let output = match executor.call(call.tool, call.arguments.clone()).await {
                Ok(output) => output,
                Err(message) => json!({ "error": message }),
            };
            outputs.push((call.tool.to_string(), output));
        }
        let text = render::render(input.language, &plan, &outputs)?;
        let mut focus = plan.focus.clone();
        // A comparison by category says which rules the category is here: later turns look
        // at those rules' alerts.
        if let Some((_, output)) = outputs.iter().find(|(tool, _)| tool == "compare_periods")
            && focus.category.is_some()
            && let Some(rules) = output.get("category_rules").and_then(Value::as_array)
        {
            focus.category_rules = rules.iter().filter_map(Value::as_str).map(str::to_string).collect();
        }
        // After a search for pasted values, the pods of its hits are what "them" means, when
        // the output lists every place (at most `search_events::PLACES`).
        if plan.hits_are_them
            && let Some((_, output)) = outputs.iter().find(|(tool, _)| tool == "search_events")
            && output.get("other_places").is_none()
            && let Some(places) = output.get("found_in").and_then(Value::as_array)
        {
            let pods: Vec<String> = places
                .iter()
                .filter_map(|place| place.get("pod").and_then(Value::as_str))
                .map(str::to_string)
                .collect();
            if !pods.is_empty() {
                focus.one_of =
                    vec![ScopeExpr::compare(FieldRef::Dimension(Dimension::Pod), Operator::In, pods).to_string()];
            }
            // Hits all in one cluster: that cluster is what 「そのクラスタ」 means next.
            let mut clusters = places.iter().filter_map(|place| place.get("cluster").and_then(Value::as_str));
            focus.found_in_cluster = match clusters.next() {
                Some(first) if clusters.all(|other| other == first) => Some(first.to_string()),
                _ => None,
            };
        }
        // A generated exception is what "validate that" in a later turn checks.
        if let Some(yaml) = outputs
            .iter()
            .rev()
            .find(|(tool, _)| tool == "generate_exception")
            .and_then(|(_, output)| output.get("yaml"))
            .and_then(Value::as_str)
        {
            focus.exception_yaml = Some(yaml.to_string());
        }
        for piece in text.split_inclusive('\n') {
            executor.sink().delta(piece);
        }
        Ok(TurnOutput { text, focus, usage: None })
    }

    /// The plan for a question (understanding only; nothing is called).
    pub async fn plan(
        &self,
        question: &str,
        focus: &Focus,
        analyst_scope: &str,
        executor: &ToolExecutor,
    ) -> Result<Plan, ConversationError> {
        let vocabulary = self.vocabulary(executor.store()).await?;
        let store = executor.store().clone();
        let base_scope = executor.base_scope().clone();
        let rules = executor.rules().clone();
        let now = executor.now();
        let (question, focus, analyst_scope) = (question.to_string(), focus.clone(), analyst_scope.to_string());
        tokio::task::spawn_blocking(move || {
            let rules_in =
                |scope: &str, time: Option<&TimeFocus>| incident_rules(&*store, &base_scope, scope, time, now);
            let context = Context {
                focus: &focus,
                analyst_scope: &analyst_scope,
                vocabulary: &vocabulary,
                now,
                rules_in: &rules_in,
                containers_in: &|scope: &str, time: Option<&TimeFocus>| {
                    incident_containers(&*store, &base_scope, scope, time, now)
                },
                rule_category: &|rule: &str| rule_category(&rules, rule),
                text_found: &|text: &str| {
                    let filter = saker_tools::store::AlertFilter::scoped(base_scope.clone());
                    store
                        .search(&filter, Some(text), saker_tools::store::SearchOrder::NewestFirst, 0, 1)
                        .is_ok_and(|page| page.total > 0)
                },
            };
            understand::understand(&question, &context)
        })
        .await
        .map_err(|error| ConversationError::Internal(format!("the planner did not finish: {error}")))
    }

    /// The store's vocabulary, rebuilt when the store changed and the cached one is older
    /// than [`VOCABULARY_STALENESS`]. One turn rebuilds it at a time; while it does, the
    /// others answer with the cached one (under load, 50 turns each reading every name of
    /// 1M alerts at once kept both cores busy for seconds).
    async fn vocabulary(&self, store: &Arc<dyn AlertStore>) -> Result<Arc<Vocabulary>, ConversationError> {
        let store = store.clone();
        let stored = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.len())
                .await
                .map_err(|error| ConversationError::Internal(error.to_string()))?
                .map_err(|error| ConversationError::Internal(format!("event store: {error}")))?
        };
        let current = || {
            self.vocabulary
                .lock()
                .ok()
                .and_then(|guard| guard.clone())
                .filter(|cached| cached.alerts == stored || cached.built.elapsed() < VOCABULARY_STALENESS)
        };
        if let Some(cached) = current() {
            return Ok(cached.vocabulary);
        }
        let _rebuilding = match self.rebuilding.try_lock() {
            Ok(guard) => guard,
            Err(_) => match self.vocabulary.lock().ok().and_then(|guard| guard.clone()) {
                Some(stale) => return Ok(stale.vocabulary),
                None => self.rebuilding.lock().await,
            },
        };
        // The turn that held the lock before may have just built it.
        if let Some(cached) = current() {
            return Ok(cached.vocabulary);
        }
        let vocabulary = tokio::task::spawn_blocking(move || Vocabulary::load(&*store))
            .await
            .map_err(|error| ConversationError::Internal(error.to_string()))?
            .map_err(|error| ConversationError::Internal(format!("event store: {error}")))?;
        let vocabulary = Arc::new(vocabulary);
        if let Ok(mut guard) = self.vocabulary.lock() {
            *guard = Some(CachedVocabulary { alerts: stored, built: Instant::now(), vocabulary: vocabulary.clone() });
        }
        Ok(vocabulary)
    }
}

/// The alerts of `scope` within the analyst's scope and `time`; `None` when the scope or the
/// time does not parse.
fn incident_filter(
    base_scope: &Scope,
    scope: &str,
    time: Option<&TimeFocus>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<AlertFilter> {
    let scope = Scope::parse(scope).ok()?;
    let time = match time {
        Some(time) => {
            TimeRange::resolve(time.since.as_deref(), time.until.as_deref(), time.last.as_deref(), now).ok()?
        }
        None => TimeRange::default(),
    };
    Some(AlertFilter { scope: base_scope.and(&scope), time })
}

/// The rules that fired in `scope` (within the analyst's scope and `time`), most alerts
/// first; empty when the scope does not parse or the store fails (the plan then simply has
/// no blast-radius call).
fn incident_rules(
    store: &dyn AlertStore,
    base_scope: &Scope,
    scope: &str,
    time: Option<&TimeFocus>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let Some(filter) = incident_filter(base_scope, scope, time, now) else { return Vec::new() };
    store
        .group_counts(&filter, GroupKey::Dimension(Dimension::Rule), INCIDENT_RULES_READ)
        .map(|counts| counts.groups.into_iter().map(|(rule, _)| rule).collect())
        .unwrap_or_default()
}

/// The containers the alerts of `scope` came from (within the analyst's scope and `time`), most
/// alerts first; empty when there are more than [`understand::INCIDENT_CONTAINERS`] (too broad
/// to be one incident), when the scope does not parse or the store fails.
fn incident_containers(
    store: &dyn AlertStore,
    base_scope: &Scope,
    scope: &str,
    time: Option<&TimeFocus>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let Some(filter) = incident_filter(base_scope, scope, time, now) else { return Vec::new() };
    match store.group_counts(&filter, GroupKey::Dimension(Dimension::ContainerId), understand::INCIDENT_CONTAINERS) {
        Ok(counts) if counts.other_groups == 0 => counts.groups.into_iter().map(|(container, _)| container).collect(),
        _ => Vec::new(),
    }
}

/// The analyst category of a rule from its tags in the loaded rules files (by its name alone
/// when the files do not define it).
fn rule_category(rules: &RulesCatalog, rule: &str) -> Category {
    let tags: &[String] = rules.rule(rule).map_or(&[], |loaded| loaded.tags.as_slice());
    let source = rules.rule(rule).map_or("syscall", |loaded| loaded.source.as_str());
    let (tactics, techniques) = saker_tools::mitre::ids_from_tags(tags);
    categorize(&RuleFacts { rule, source, tags, tactics: &tactics, techniques: &techniques })
}

/// The plan's calls as JSON, for debugging and tests.
pub fn describe(plan: &Plan) -> Value {
    json!(plan)
}
