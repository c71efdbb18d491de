//! The tool registry: lists every tool with its JSON Schema and invokes tools by name.

use serde::Serialize;
use serde_json::Value;

use super::assess_false_positive::AssessFalsePositive;
use super::attack_path::AttackPath;
use super::compare_periods::ComparePeriods;
use super::event_stats::EventStats;
use super::explain_event::ExplainEvent;
use super::generate_exception::GenerateException;
use super::impacted_workloads::ImpactedWorkloads;
use super::mitre_mapping::MitreMapping;
use super::propose_response_action::ProposeResponseAction;
use super::root_cause::RootCause;
use super::search_events::SearchEvents;
use super::suggest_remediation::SuggestRemediation;
use super::validate_exception::ValidateException;
use super::{BudgetedStore, OutputLimits, Tool, ToolContext, ToolError, bound_output};

/// A tool as a model sees it: name, description and the JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: &'static str,
    /// When to call it.
    pub description: &'static str,
    /// JSON Schema (2020-12) of the arguments.
    pub parameters: Value,
}

type Invoke = fn(&ToolContext<'_>, Value) -> Result<Value, ToolError>;

struct Entry {
    spec: ToolSpec,
    min_output_tokens: usize,
    validator: Option<jsonschema::Validator>,
    invoke: Invoke,
}

/// Every investigation tool, invocable from JSON.
pub struct ToolRegistry {
    entries: Vec<Entry>,
}

impl Default for ToolRegistry {
    fn default() -> Self {
        ToolRegistry::standard()
    }
}

impl ToolRegistry {
    /// The registry of all of Saker's tools.
    pub fn standard() -> ToolRegistry {
        let mut registry = ToolRegistry { entries: Vec::new() };
        registry.register::<EventStats>();
        registry.register::<SearchEvents>();
        registry.register::<ExplainEvent>();
        registry.register::<RootCause>();
        registry.register::<AttackPath>();
        registry.register::<MitreMapping>();
        registry.register::<ImpactedWorkloads>();
        registry.register::<ComparePeriods>();
        registry.register::<SuggestRemediation>();
        registry.register::<AssessFalsePositive>();
        registry.register::<GenerateException>();
        registry.register::<ValidateException>();
        registry.register::<ProposeResponseAction>();
        registry
    }

    fn register<T: Tool + 'static>(&mut self) {
        let parameters = serde_json::to_value(schemars::schema_for!(T::Args)).unwrap_or(Value::Null);
        let validator = jsonschema::validator_for(&parameters).ok();
        self.entries.push(Entry {
            spec: ToolSpec { name: T::NAME, description: T::description(), parameters },
            min_output_tokens: T::MIN_OUTPUT_TOKENS,
            validator,
            invoke: invoke_typed::<T>,
        });
    }

    /// The tools, in registration order.
    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.entries.iter().map(|entry| &entry.spec)
    }

    /// Validates `arguments` against the tool's schema, runs it within the context's budget
    /// (every store read checks it) and returns its bounded JSON output.
    pub fn invoke(&self, name: &str, arguments: Value, context: &ToolContext<'_>) -> Result<Value, ToolError> {
        let entry =
            self.entries.iter().find(|entry| entry.spec.name == name).ok_or_else(|| ToolError::UnknownTool {
                name: name.to_string(),
                available: self.entries.iter().map(|entry| entry.spec.name).collect::<Vec<_>>().join(", "),
            })?;
        let arguments = if arguments.is_null() { Value::Object(Default::default()) } else { arguments };
        if let Some(validator) = &entry.validator {
            let problems: Vec<String> = validator
                .iter_errors(&arguments)
                .map(|error| {
                    let place = error.instance_path().to_string();
                    let place = if place.is_empty() { "arguments".to_string() } else { format!("field {place}") };
                    format!("{place}: {error}")
                })
                .collect();
            if !problems.is_empty() {
                return Err(ToolError::InvalidArguments { tool: entry.spec.name, problems: problems.join("; ") });
            }
        }
        context.budget.check()?;
        let store = BudgetedStore::new(context.store, &context.budget);
        let budgeted = ToolContext {
            store: &store,
            rules: context.rules,
            now: context.now,
            base_scope: context.base_scope.clone(),
            limits: context.limits,
            budget: context.budget.clone(),
        };
        let output = (entry.invoke)(&budgeted, arguments)?;
        context.budget.check()?;
        let limits = OutputLimits { max_tokens: context.limits.max_tokens.max(entry.min_output_tokens) };
        Ok(bound_output(output, limits))
    }
}

fn invoke_typed<T: Tool>(context: &ToolContext<'_>, arguments: Value) -> Result<Value, ToolError> {
    let typed: T::Args = serde_json::from_value(arguments)
        .map_err(|error| ToolError::InvalidArguments { tool: T::NAME, problems: error.to_string() })?;
    let output = T::call(context, typed)?;
    serde_json::to_value(output).map_err(|error| ToolError::InvalidArguments {
        tool: T::NAME,
        problems: format!("output not serialisable: {error}"),
    })
}
