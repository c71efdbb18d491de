//! Saker's Prometheus metrics, served at `GET /metrics` in the OpenMetrics text format (which
//! Prometheus scrapes natively): what was ingested, how chat turns, tool calls and model calls
//! went, and what the store and the action ledger hold.
//!
//! One [`Metrics`] per server (the orchestrator owns it and hands it to each turn's tool
//! executor), so two servers in one process count apart. Counters are recorded where things
//! happen; the store's size and the actions by status are read from the store and the ledger at
//! each scrape ([`Metrics::render`]), so they are true after a restart too.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use saker_tools::actions::ActionStatus;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Where alerts came from: `http` (`POST /v1/events`) or `demo` (`serve --demo`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

/// A chat turn: which backend answered, what the question was about, and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TurnLabels {
    backend: String,
    intent: String,
    outcome: String,
}

/// A tool call: the tool, where it was called from (`chat`, `api`, `mcp`) and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
    caller: String,
    outcome: String,
}

/// A model call: the model and whether it was streamed.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
    mode: String,
}

/// Model tokens: the model and `prompt` or `completion`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    model: String,
    kind: String,
}

/// A failed model call: the model and the error's stable code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelErrorLabels {
    model: String,
    code: String,
}

/// Response actions in one status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// An escalation: where to and whether it was delivered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EscalationLabels {
    destination: String,
    outcome: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets from 1 ms to about 65 s (doubling): a planner turn takes milliseconds, a
/// model's turn seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// The metric families of one server (cheap to clone).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    alerts_ingested: Family<SourceLabels, Counter>,
    alerts_duplicate: Family<SourceLabels, Counter>,
    alerts_rejected: Family<SourceLabels, Counter>,
    store_alerts: Gauge,
    chat_turns: Family<TurnLabels, Counter>,
    chat_turn_seconds: Histograms<TurnLabels>,
    tool_call_seconds: Histograms<ToolLabels>,
    model_calls: Family<ModelLabels, Counter>,
    model_call_seconds: Histograms<ModelLabels>,
    model_tokens: Family<TokenLabels, Counter>,
    model_errors: Family<ModelErrorLabels, Counter>,
    actions: Family<StatusLabels, Gauge>,
    escalations: Family<EscalationLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every family, registered under the `saker_` prefix, all at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("saker");
        let alerts_ingested = Family::<SourceLabels, Counter>::default();
        let alerts_duplicate = Family::<SourceLabels, Counter>::default();
        let alerts_rejected = Family::<SourceLabels, Counter>::default();
        let store_alerts = Gauge::default();
        let chat_turns = Family::<TurnLabels, Counter>::default();
        let chat_turn_seconds: Histograms<TurnLabels> = Family::new_with_constructor(latency_histogram);
        let tool_call_seconds: Histograms<ToolLabels> = Family::new_with_constructor(latency_histogram);
        let model_calls = Family::<ModelLabels, Counter>::default();
        let model_call_seconds: Histograms<ModelLabels> = Family::new_with_constructor(latency_histogram);
        let model_tokens = Family::<TokenLabels, Counter>::default();
        let model_errors = Family::<ModelErrorLabels, Counter>::default();
        let actions = Family::<StatusLabels, Gauge>::default();
        let escalations = Family::<EscalationLabels, Counter>::default();
        registry.register(
            "build",
            "The version and git commit of this binary",
            Info::new(vec![("version", crate::VERSION.to_string())]),
        );
        registry.register("alerts_ingested", "Alerts newly stored, by source", alerts_ingested.clone());
        registry.register(
            "alerts_duplicate",
            "Alerts received that were already stored, by source",
            alerts_duplicate.clone(),
        );
        registry.register(
            "alerts_rejected",
            "Items received that are not valid Falco alerts, by source",
            alerts_rejected.clone(),
        );
        registry.register("store_alerts", "Alerts in the event store", store_alerts.clone());
        registry.register("chat_turns", "Chat turns, by backend, intent and outcome", chat_turns.clone());
        registry.register(
            "chat_turn_duration_seconds",
            "Time to answer a chat turn, by backend, intent and outcome",
            chat_turn_seconds.clone(),
        );
        registry.register(
            "tool_call_duration_seconds",
            "Time of an investigation tool call, by tool, caller and outcome",
            tool_call_seconds.clone(),
        );
        registry.register("model_calls", "Language-model calls, by model and mode", model_calls.clone());
        registry.register(
            "model_call_duration_seconds",
            "Time of a language-model call, by model and mode",
            model_call_seconds.clone(),
        );
        registry.register("model_tokens", "Language-model tokens, by model and kind", model_tokens.clone());
        registry.register("model_errors", "Failed language-model calls, by model and error code", model_errors.clone());
        registry.register("actions", "Response actions in the ledger, by status", actions.clone());
        registry.register("escalations", "Escalations sent, by destination and outcome", escalations.clone());
        Metrics {
            inner: Arc::new(Inner {
                registry,
                alerts_ingested,
                alerts_duplicate,
                alerts_rejected,
                store_alerts,
                chat_turns,
                chat_turn_seconds,
                tool_call_seconds,
                model_calls,
                model_call_seconds,
                model_tokens,
                model_errors,
                actions,
                escalations,
            }),
        }
    }

    /// Counts one ingest from `source` (`http`, `demo`).
    pub fn record_ingest(&self, source: &str, accepted: u64, duplicates: u64, rejected: u64) {
        let labels = SourceLabels { source: source.to_string() };
        self.inner.alerts_ingested.get_or_create(&labels).inc_by(accepted);
        self.inner.alerts_duplicate.get_or_create(&labels).inc_by(duplicates);
        self.inner.alerts_rejected.get_or_create(&labels).inc_by(rejected);
    }

    /// Counts one chat turn and its time. `intent` is what the turn was about (the planner's
    /// intent, or the topic a model's tool calls established); `none` when nothing was found.
    pub fn record_turn(&self, backend: &str, intent: &str, answered: bool, elapsed: Duration) {
        let labels = TurnLabels {
            backend: backend.to_string(),
            intent: intent.to_string(),
            outcome: if answered { "answered" } else { "failed" }.to_string(),
        };
        self.inner.chat_turns.get_or_create(&labels).inc();
        self.inner.chat_turn_seconds.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// Records one tool call from `caller` (`chat`, `api`, `mcp`).
    pub fn record_tool_call(&self, tool: &str, caller: &str, succeeded: bool, elapsed: Duration) {
        let labels = ToolLabels {
            tool: tool.to_string(),
            caller: caller.to_string(),
            outcome: if succeeded { "ok" } else { "error" }.to_string(),
        };
        self.inner.tool_call_seconds.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// Records one model call: its time, its tokens when the server reported them, and its
    /// error code when it failed.
    pub fn record_model_call(
        &self,
        model: &str,
        streamed: bool,
        elapsed: Duration,
        tokens: Option<(u64, u64)>,
        error_code: Option<&str>,
    ) {
        let labels =
            ModelLabels { model: model.to_string(), mode: if streamed { "stream" } else { "complete" }.to_string() };
        self.inner.model_calls.get_or_create(&labels).inc();
        self.inner.model_call_seconds.get_or_create(&labels).observe(elapsed.as_secs_f64());
        if let Some((prompt, completion)) = tokens {
            for (kind, count) in [("prompt", prompt), ("completion", completion)] {
                let labels = TokenLabels { model: model.to_string(), kind: kind.to_string() };
                self.inner.model_tokens.get_or_create(&labels).inc_by(count);
            }
        }
        if let Some(code) = error_code {
            let labels = ModelErrorLabels { model: model.to_string(), code: code.to_string() };
            self.inner.model_errors.get_or_create(&labels).inc();
        }
    }

    /// Counts one escalation to `destination` (`slack`, `jira`).
    pub fn record_escalation(&self, destination: &str, delivered: bool) {
        let labels = EscalationLabels {
            destination: destination.to_string(),
            outcome: if delivered { "delivered" } else { "failed" }.to_string(),
        };
        self.inner.escalations.get_or_create(&labels).inc();
    }

    /// The exposition: every family, with the store's size and the actions by status (every
    /// status, zero included, when the ledger was read) as of now.
    pub fn render(&self, store_alerts: u64, actions: Option<&[(ActionStatus, u64)]>) -> String {
        self.inner.store_alerts.set(i64::try_from(store_alerts).unwrap_or(i64::MAX));
        if let Some(actions) = actions {
            for status in ActionStatus::ALL {
                let count = actions.iter().find(|(listed, _)| *listed == status).map_or(0, |(_, count)| *count);
                let labels = StatusLabels { status: status.name().to_string() };
                self.inner.actions.get_or_create(&labels).set(i64::try_from(count).unwrap_or(i64::MAX));
            }
        }
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry) {
            tracing::warn!(details = %error, "cannot encode the metrics");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_exposed_with_its_labels() {
        let metrics = Metrics::new();
        metrics.record_ingest("http", 3, 1, 2);
        metrics.record_turn("planner", "root_cause", true, Duration::from_millis(40));
        metrics.record_tool_call("root_cause", "chat", true, Duration::from_millis(5));
        metrics.record_model_call("m", true, Duration::from_millis(200), Some((100, 20)), Some("llm_unreachable"));
        metrics.record_escalation("slack", true);
        let text = metrics.render(42, Some(&[(ActionStatus::Proposed, 2)]));
        for line in [
            "saker_alerts_ingested_total{source=\"http\"} 3",
            "saker_alerts_duplicate_total{source=\"http\"} 1",
            "saker_alerts_rejected_total{source=\"http\"} 2",
            "saker_store_alerts 42",
            "saker_chat_turns_total{backend=\"planner\",intent=\"root_cause\",outcome=\"answered\"} 1",
            "saker_chat_turn_duration_seconds_count{backend=\"planner\",intent=\"root_cause\",outcome=\"answered\"} 1",
            "saker_tool_call_duration_seconds_count{tool=\"root_cause\",caller=\"chat\",outcome=\"ok\"} 1",
            "saker_model_calls_total{model=\"m\",mode=\"stream\"} 1",
            "saker_model_tokens_total{model=\"m\",kind=\"prompt\"} 100",
            "saker_model_tokens_total{model=\"m\",kind=\"completion\"} 20",
            "saker_model_errors_total{model=\"m\",code=\"llm_unreachable\"} 1",
            "saker_actions{status=\"proposed\"} 2",
            "saker_actions{status=\"reverted\"} 0",
            "saker_escalations_total{destination=\"slack\",outcome=\"delivered\"} 1",
        ] {
            assert!(text.lines().any(|candidate| candidate == line), "missing {line:?} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
