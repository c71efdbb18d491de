//! Response actions: the model (kinds, targets, parameters, digests, statuses), proposals with
//! their reasons and blast radii, the ledger that records them and their append-only history,
//! and the auto-approval policy.
//!
//! Nothing here executes an action: `tools` proposes and records; the assistant's executors act,
//! and only after a person (or an explicit auto-approval rule) approved the action's digest.

mod ledger;
mod model;
mod policy;
mod proposal;

pub use ledger::{
    ActionEvent, ActionLedger, ActionOrigin, ActionQuery, Actor, EventKind, LedgerError, NewAction, StoredAction,
    Transition,
};
pub use model::{
    ActionKind, ActionParameters, ActionSpec, ActionStatus, ActionTarget, DIGEST_PREFIX, Reversibility, hex,
};
pub use policy::{AutoApprovalPolicy, AutoApprovalRule};
pub use proposal::{Fact, Proposal, Reason};
