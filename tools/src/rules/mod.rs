//! The Falco rules catalog: rules, macros and lists loaded from the rules files Falco runs, with
//! Falco's own `append`/`override` semantics, so explanations and exceptions refer to the rules
//! exactly as the user's Falco sees them.

mod catalog;
mod error;
pub(crate) mod item;
mod model;
mod paths;

pub use catalog::{LoadedFile, RulesCatalog};
pub use error::RulesError;
pub use model::{ExceptionValue, List, Macro, Rule, RuleException};
pub use paths::{DEFAULT_RULES_PATHS, expand_paths};
