//! The dry-run executor (the default): records exactly what the host or Kubernetes executor
//! would do for the action (the checks, signals, commands, API calls and bodies) and does
//! nothing.

use saker_tools::actions::{ActionKind, StoredAction};
use serde_json::json;

use super::{Operation, Outcome, host, kubernetes};

/// The plan of `action`, as a succeeded dry run.
pub fn run(action: &StoredAction, operation: Operation) -> Outcome {
    let proposal = &action.proposal;
    let plan = match proposal.kind {
        ActionKind::IsolateWorkload | ActionKind::DeletePod => kubernetes::plan(action, operation),
        _ => host::plan(action, operation),
    };
    let verb = match operation {
        Operation::Execute => "execute",
        Operation::Revert => "revert",
    };
    Outcome::done(
        format!("dry run: nothing was done; this is what {verb} would do for {}", proposal.summary),
        json!({"dry_run": true, "operation": operation, "would": plan}),
    )
}
