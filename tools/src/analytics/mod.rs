//! The investigation tools: typed, grounded analytics over the event store.
//!
//! Each tool is one module with a name, a description written for a model deciding when to
//! call it, typed arguments and output (serde + schemars), and [`ToolError`]. The
//! [`ToolRegistry`] lists them with their JSON Schemas and invokes any of them from JSON.
//! Every output is bounded in size, deterministically ordered, and carries [`Evidence`]: the
//! scope and time range that reproduce its figures.

pub mod arg_limits;
mod benign_notes;
mod bound;
mod budget;
pub mod categories;
pub mod common;
mod condition_refs;
mod context;
mod error;
mod evidence;
mod registry;
pub mod remediation_table;
mod triage;
mod window;

pub mod assess_false_positive;
pub mod attack_path;
pub mod compare_periods;
pub mod event_stats;
pub mod explain_event;
pub mod generate_exception;
pub mod impacted_workloads;
pub mod mitre_mapping;
pub mod process_tree;
pub mod propose_response_action;
pub mod root_cause;
pub mod search_events;
pub mod suggest_remediation;
pub mod validate_exception;

pub use bound::{OutputLimits, bound_output};
pub use budget::{BudgetedStore, CallBudget, CancelOnDrop, DEFAULT_CALL_DEADLINE};
pub use context::ToolContext;
pub use error::ToolError;
pub use evidence::{Evidence, SAMPLE_IDS};
pub use registry::{ToolRegistry, ToolSpec};
pub use window::Window;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One investigation tool.
pub trait Tool {
    /// The name a model calls it by (`event_stats`).
    const NAME: &'static str;
    /// Typed arguments; their JSON Schema is what a model receives.
    type Args: DeserializeOwned + JsonSchema;
    /// Typed output.
    type Output: Serialize + JsonSchema;
    /// The least output budget in tokens this tool gets, above the caller's default when its
    /// output must not be cut (0: the caller's budget).
    const MIN_OUTPUT_TOKENS: usize = 0;
    /// One paragraph for a model deciding when to call this tool.
    fn description() -> &'static str;
    /// Runs the tool.
    fn call(context: &ToolContext<'_>, args: Self::Args) -> Result<Self::Output, ToolError>;
}
