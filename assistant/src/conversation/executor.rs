//! Runs tool calls for a turn: confines them to the analyst's scope and time range, runs them
//! off the async threads, reports each as a step event and records it for the answer.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use saker_tools::analytics::{OutputLimits, ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Scope;
use saker_tools::store::AlertStore;
use serde_json::{Value, json};

use super::{ChatEvent, EventSink, StepEvent, StepPhase, StepRecord};

/// The tools of one turn, bound to its store, rules, clock and analyst view.
#[derive(Clone)]
pub struct ToolExecutor {
    store: Arc<dyn AlertStore>,
    rules: Arc<RulesCatalog>,
    registry: Arc<ToolRegistry>,
    now: DateTime<Utc>,
    base_scope: Scope,
    since: Option<String>,
    until: Option<String>,
    sink: EventSink,
    steps: Arc<Mutex<Vec<StepRecord>>>,
}

impl ToolExecutor {
    /// An executor confined to `base_scope` and, for calls that name no time range, to
    /// `since`/`until`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn AlertStore>,
        rules: Arc<RulesCatalog>,
        registry: Arc<ToolRegistry>,
        now: DateTime<Utc>,
        base_scope: Scope,
        since: Option<String>,
        until: Option<String>,
        sink: EventSink,
    ) -> ToolExecutor {
        ToolExecutor {
            store,
            rules,
            registry,
            now,
            base_scope,
            since,
            until,
            sink,
            steps: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// "Now" for this turn.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The store (for entity linking: which values exist).
    pub fn store(&self) -> &Arc<dyn AlertStore> {
        &self.store
    }

    /// The loaded rules.
    pub fn rules(&self) -> &Arc<RulesCatalog> {
        &self.rules
    }

    /// The tool registry.
    pub fn registry(&self) -> &Arc<ToolRegistry> {
        &self.registry
    }

    /// The analyst's scope every call is confined to.
    pub fn base_scope(&self) -> &Scope {
        &self.base_scope
    }

    /// The stream of this turn.
    pub fn sink(&self) -> &EventSink {
        &self.sink
    }

    /// Runs `tool` with `arguments`. Emits `started` then `finished` (or `failed`) step events
    /// and records the call. A failed call returns `Err` with a message fit to show a model or
    /// an analyst; it is recorded with `{"error": message}` as output.
    pub async fn call(&self, tool: &str, arguments: Value) -> Result<Value, String> {
        let arguments = self.with_time_range(arguments);
        let index = self.steps.lock().map(|steps| steps.len() + 1).unwrap_or(1);
        self.sink.send(ChatEvent::Step(StepEvent {
            index,
            phase: StepPhase::Started,
            tool: tool.to_string(),
            arguments: arguments.clone(),
            summary: None,
        }));
        let (store, rules, registry) = (self.store.clone(), self.rules.clone(), self.registry.clone());
        let (now, base_scope, name, call_arguments) =
            (self.now, self.base_scope.clone(), tool.to_string(), arguments.clone());
        let result = tokio::task::spawn_blocking(move || {
            let context =
                ToolContext { store: &*store, rules: &rules, now, base_scope, limits: OutputLimits::default() };
            registry.invoke(&name, call_arguments, &context).map_err(|error| error.to_string())
        })
        .await
        .unwrap_or_else(|error| Err(format!("the tool did not finish: {error}")));
        let (phase, summary, output) = match &result {
            Ok(output) => (StepPhase::Finished, summarize(output), output.clone()),
            Err(message) => (StepPhase::Failed, message.clone(), json!({ "error": message })),
        };
        if let Ok(mut steps) = self.steps.lock() {
            steps.push(StepRecord { tool: tool.to_string(), arguments: arguments.clone(), output });
        }
        self.sink.send(ChatEvent::Step(StepEvent {
            index,
            phase,
            tool: tool.to_string(),
            arguments,
            summary: Some(summary),
        }));
        result
    }

    /// The calls made so far, in order.
    pub fn steps(&self) -> Vec<StepRecord> {
        self.steps.lock().map(|steps| steps.clone()).unwrap_or_default()
    }

    /// Fills the analyst's time range into a call that names none (every tool's window is
    /// flattened into its top-level arguments).
    fn with_time_range(&self, mut arguments: Value) -> Value {
        if self.since.is_none() && self.until.is_none() {
            return arguments;
        }
        if arguments.is_null() {
            arguments = json!({});
        }
        let Some(window) = arguments.as_object_mut() else { return arguments };
        let names_range = ["since", "until", "last"].iter().any(|key| window.get(*key).is_some_and(|v| !v.is_null()));
        if !names_range {
            if let Some(since) = &self.since {
                window.insert("since".into(), json!(since));
            }
            if let Some(until) = &self.until {
                window.insert("until".into(), json!(until));
            }
        }
        arguments
    }
}

/// One line about a tool output: its evidence count, or the size of its main list.
fn summarize(output: &Value) -> String {
    let count = output.pointer("/evidence/count").and_then(Value::as_u64);
    let note = output.get("note").and_then(Value::as_str);
    match (count, note) {
        (Some(count), Some(note)) => format!("{count} alerts; {note}"),
        (Some(count), None) => format!("{count} alerts"),
        (None, Some(note)) => note.to_string(),
        (None, None) => match output.pointer("/current/total").and_then(Value::as_u64) {
            Some(current) => format!("{current} alerts in the current period"),
            None => "done".to_string(),
        },
    }
}
