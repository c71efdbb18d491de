//! What a tool call may use: the store, the rules, the clock, the analyst's scope, limits and
//! its time budget.

use chrono::{DateTime, Utc};

use super::{CallBudget, OutputLimits};
use crate::rules::RulesCatalog;
use crate::scope::Scope;
use crate::store::AlertStore;

/// Everything a tool call needs besides its arguments.
pub struct ToolContext<'a> {
    /// The event store.
    pub store: &'a dyn AlertStore,
    /// The loaded Falco rules (possibly empty).
    pub rules: &'a RulesCatalog,
    /// "Now", for relative time ranges; fixed by `--now` for reproducible answers.
    pub now: DateTime<Utc>,
    /// The analyst's current view: every call is confined to it.
    pub base_scope: Scope,
    /// Output size limits.
    pub limits: OutputLimits,
    /// The call's deadline and cancellation.
    pub budget: CallBudget,
}

impl<'a> ToolContext<'a> {
    /// A context with no base scope and default limits.
    pub fn new(store: &'a dyn AlertStore, rules: &'a RulesCatalog, now: DateTime<Utc>) -> Self {
        ToolContext {
            store,
            rules,
            now,
            base_scope: Scope::all(),
            limits: OutputLimits::default(),
            budget: CallBudget::unlimited(),
        }
    }
}
