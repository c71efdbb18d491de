//! Runs tool calls for a turn: confines them to the analyst's scope and time range, runs them
//! off the async threads, reports each as a step event and records it for the answer.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use saker_tools::analytics::{CallBudget, DEFAULT_CALL_DEADLINE, OutputLimits, ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Scope;
use saker_tools::store::AlertStore;
use serde_json::{Value, json};

use super::response::{self, ResponseContext};
use super::{ChatEvent, EventSink, StepEvent, StepPhase, StepRecord};
use crate::metrics::Metrics;

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
    response: Option<Arc<ResponseContext>>,
    metrics: Option<Metrics>,
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
            response: None,
            metrics: None,
        }
    }

    /// The same executor, with what the turn may do in response (who asks, what the question
    /// asks for, where proposals are recorded). Without it, `propose_response_action` is
    /// refused: nothing says the analyst asked to act.
    pub fn with_response(mut self, context: ResponseContext) -> ToolExecutor {
        self.response = Some(Arc::new(context));
        self
    }

    /// The same executor, counting its tool calls (and a model's calls) in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> ToolExecutor {
        self.metrics = Some(metrics);
        self
    }

    /// Where this turn's calls are counted, when anywhere.
    pub fn metrics(&self) -> Option<&Metrics> {
        self.metrics.as_ref()
    }

    /// The assistant's own response tools offered besides the registry's (name, description,
    /// JSON Schema of the arguments).
    pub fn response_tool_specs(&self) -> Vec<(&'static str, &'static str, Value)> {
        self.response.as_deref().map(response::tool_specs).unwrap_or_default()
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
        let guarded = self.guard(tool, arguments.clone());
        let arguments = guarded.as_ref().map_or(arguments, Clone::clone);
        let index = self.steps.lock().map(|steps| steps.len() + 1).unwrap_or(1);
        self.sink.send(ChatEvent::Step(StepEvent {
            index,
            phase: StepPhase::Started,
            tool: tool.to_string(),
            arguments: arguments.clone(),
            summary: None,
        }));
        let started = std::time::Instant::now();
        let result = match guarded {
            Ok(arguments) => self.run(tool, arguments).await,
            Err(refusal) => Err(refusal),
        };
        if let Some(metrics) = &self.metrics {
            metrics.record_tool_call(tool, "chat", result.is_ok(), started.elapsed());
        }
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

    /// Checks a call against what the turn may do (see [`ResponseContext::guard`]).
    fn guard(&self, tool: &str, arguments: Value) -> Result<Value, String> {
        match self.response.as_deref() {
            Some(context) => context.guard(tool, arguments),
            None if tool == response::PROPOSE => {
                Err("not run: response actions are proposed only in a conversation where the analyst asks to act"
                    .into())
            }
            None => Ok(arguments),
        }
    }

    /// Runs a guarded call: the assistant's response tools, or a registry tool (whose proposals
    /// are then recorded).
    async fn run(&self, tool: &str, arguments: Value) -> Result<Value, String> {
        let context = self.response.as_deref();
        match tool {
            response::RESPONSE_HISTORY => match context {
                Some(context) => context.history(&arguments).await,
                None => Err("the response history is not available here".into()),
            },
            response::ESCALATE => match context {
                Some(context) => self.escalate(context, arguments).await,
                None => Err("escalation is not available here".into()),
            },
            response::PROPOSE => {
                let output = self.run_registry(tool, arguments).await?;
                match context {
                    Some(context) => context.record(output).await,
                    None => Ok(output),
                }
            }
            _ => self.run_registry(tool, arguments).await,
        }
    }

    /// Runs a registry tool on the blocking pool.
    async fn run_registry(&self, tool: &str, arguments: Value) -> Result<Value, String> {
        let (store, rules, registry) = (self.store.clone(), self.rules.clone(), self.registry.clone());
        let (now, base_scope, name) = (self.now, self.base_scope.clone(), tool.to_string());
        tokio::task::spawn_blocking(move || {
            let context = ToolContext {
                store: &*store,
                rules: &rules,
                now,
                base_scope,
                limits: OutputLimits::default(),
                // A turn goes on when its client leaves (it is recorded), but no call runs forever.
                budget: CallBudget::with_deadline(DEFAULT_CALL_DEADLINE),
            };
            registry.invoke(&name, arguments, &context).map_err(|error| error.to_string())
        })
        .await
        .unwrap_or_else(|error| Err(format!("the tool did not finish: {error}")))
    }

    /// `escalate`: the scope's key figures, root cause and impacted workloads, sent where the
    /// analyst asked.
    async fn escalate(&self, context: &ResponseContext, arguments: Value) -> Result<Value, String> {
        let mut window = serde_json::Map::new();
        for key in ["scope", "since", "until", "last"] {
            if let Some(value) = arguments.get(key).filter(|value| !value.is_null()) {
                window.insert(key.into(), value.clone());
            }
        }
        let with = |extra: Value| {
            let mut merged = window.clone();
            if let Value::Object(extra) = extra {
                merged.extend(extra);
            }
            Value::Object(merged)
        };
        let stats = self.run_registry("event_stats", with(json!({"group_by": ["rule"], "limit": 5}))).await?;
        let root_cause = self.run_registry("root_cause", with(json!({}))).await.unwrap_or(Value::Null);
        let impacted = self.run_registry("impacted_workloads", with(json!({"limit": 10}))).await.unwrap_or(Value::Null);
        let scope = stats.pointer("/evidence/scope").and_then(Value::as_str).unwrap_or_default();
        let count = stats.pointer("/evidence/count").and_then(Value::as_u64).unwrap_or(0);
        let title = format!("Saker: {count} Falco alerts in {}", if scope.is_empty() { "all clusters" } else { scope });
        let summary = response::summary_of(title, &stats, &root_cause, &impacted);
        let output = context.escalate(&arguments, summary).await?;
        if let (Some(metrics), Some(result)) = (&self.metrics, output.get("result")) {
            let destination = result.get("destination").and_then(Value::as_str).unwrap_or("unknown");
            let delivered = result.get("delivered").and_then(Value::as_bool).unwrap_or(false);
            metrics.record_escalation(destination, delivered);
        }
        Ok(output)
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
