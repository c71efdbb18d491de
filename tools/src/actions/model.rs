//! The response-action model: what can be done (kinds), to what (targets), how (parameters),
//! the digest an approval binds to, the statuses an action goes through and how reversible it is.
//!
//! An action is identified for approval by its [`ActionSpec`] (kind + target + parameters):
//! the SHA-256 of its canonical JSON is the digest a person approves, so a proposal that
//! changes in any detail is a different action and needs its own approval.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// What a response action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Send SIGKILL to one process (a host pid; the executor checks its name first).
    KillProcess,
    /// Kill a container (SIGKILL to its processes); its pod's restart policy may start it again.
    KillContainer,
    /// Stop a container gracefully (SIGTERM, then SIGKILL after a grace period).
    StopContainer,
    /// Freeze a container's processes (cgroup freezer); undone by unpausing.
    PauseContainer,
    /// Move a file into the quarantine area, keeping its hash, owner, mode and original path,
    /// so that it can be restored.
    QuarantineFile,
    /// A Kubernetes NetworkPolicy denying all ingress and egress to the workload's pods.
    IsolateWorkload,
    /// Delete a Kubernetes pod (its controller, if any, creates a new one).
    DeletePod,
}

impl ActionKind {
    /// Every kind, in the order proposals are listed (least destructive first).
    pub const ALL: [ActionKind; 7] = [
        ActionKind::IsolateWorkload,
        ActionKind::PauseContainer,
        ActionKind::QuarantineFile,
        ActionKind::KillProcess,
        ActionKind::StopContainer,
        ActionKind::KillContainer,
        ActionKind::DeletePod,
    ];

    /// The snake-case name (`kill_process`).
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::KillProcess => "kill_process",
            ActionKind::KillContainer => "kill_container",
            ActionKind::StopContainer => "stop_container",
            ActionKind::PauseContainer => "pause_container",
            ActionKind::QuarantineFile => "quarantine_file",
            ActionKind::IsolateWorkload => "isolate_workload",
            ActionKind::DeletePod => "delete_pod",
        }
    }

    /// The kind with this [`ActionKind::name`].
    pub fn from_name(name: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Whether and how the kind's effect can be undone.
    pub fn reversibility(self) -> Reversibility {
        let (reversible, how) = match self {
            ActionKind::KillProcess => {
                (false, "not reversible: the process and its memory are gone; capture it first if it is evidence")
            }
            ActionKind::KillContainer => (
                false,
                "not reversible: the container's processes are gone; its pod's restart policy may start a fresh \
                 container from the image",
            ),
            ActionKind::StopContainer => (
                false,
                "not reversible as such: the container can be started again, but its processes and memory are gone",
            ),
            ActionKind::PauseContainer => (true, "reversible: unpausing resumes the processes where they were"),
            ActionKind::QuarantineFile => (
                true,
                "reversible: the file is restored to its path with its owner and mode, after its hash is checked",
            ),
            ActionKind::IsolateWorkload => (true, "reversible: deleting the NetworkPolicy restores the traffic"),
            ActionKind::DeletePod => (
                false,
                "not reversible: the pod and its writable layer are gone; a controller replaces it with a new pod",
            ),
        };
        Reversibility { reversible, how: how.to_string() }
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// What an action acts on, as the alerts name it. Only the fields the kind needs are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActionTarget {
    /// Kubernetes cluster (chooses the executor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Kubernetes namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The pod's workload (Deployment, StatefulSet, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// The workload's kind when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_kind: Option<String>,
    /// Pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Container id (Falco's short id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Container name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// The node or host the alerts came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Host pid of the process (`proc.pid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    /// Process name the pid must have when the action runs (`proc.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// The process's executable (`proc.exepath`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable: Option<String>,
    /// A file path (as seen inside the container when `container_id` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// How an action is carried out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActionParameters {
    /// Signal for `kill_process` (`SIGKILL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Grace period for `stop_container` and `delete_pod`, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period_seconds: Option<u32>,
    /// Name of the NetworkPolicy `isolate_workload` creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<String>,
}

/// Exactly what an approval covers: kind, target and parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActionSpec {
    /// What to do.
    pub kind: ActionKind,
    /// To what.
    pub target: ActionTarget,
    /// How.
    pub parameters: ActionParameters,
}

/// Prefix of every digest: the hash function, so that a later change of function is visible.
pub const DIGEST_PREFIX: &str = "sha256:";

/// Domain separation: the digest of an action is never the digest of some other document.
const DIGEST_DOMAIN: &[u8] = b"saker response action v1\n";

impl ActionSpec {
    /// The canonical JSON of the spec: fields in declaration order, absent values left out.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `sha256:<hex>` of the canonical JSON: what an approval is bound to.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(DIGEST_DOMAIN);
        hasher.update(self.canonical_json().as_bytes());
        format!("{DIGEST_PREFIX}{}", hex(&hasher.finalize()))
    }
}

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// Whether an action's effect can be undone, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reversibility {
    /// True when Saker can undo it (`saker action revert`).
    pub reversible: bool,
    /// What undoing means, or why it cannot be undone.
    pub how: String,
}

/// Where an action is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Proposed; waits for a person's approval or rejection. Nothing was done.
    Proposed,
    /// Approved (by a person or an auto-approval rule); about to run.
    Approved,
    /// Rejected by a person; never runs.
    Rejected,
    /// The executor is running it.
    Executing,
    /// The executor reported success.
    Succeeded,
    /// The executor reported failure (or was interrupted); it may be approved again.
    Failed,
    /// A succeeded reversible action that was undone.
    Reverted,
}

impl ActionStatus {
    /// Every status.
    pub const ALL: [ActionStatus; 7] = [
        ActionStatus::Proposed,
        ActionStatus::Approved,
        ActionStatus::Rejected,
        ActionStatus::Executing,
        ActionStatus::Succeeded,
        ActionStatus::Failed,
        ActionStatus::Reverted,
    ];

    /// The snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            ActionStatus::Proposed => "proposed",
            ActionStatus::Approved => "approved",
            ActionStatus::Rejected => "rejected",
            ActionStatus::Executing => "executing",
            ActionStatus::Succeeded => "succeeded",
            ActionStatus::Failed => "failed",
            ActionStatus::Reverted => "reverted",
        }
    }

    /// The status with this [`ActionStatus::name`].
    pub fn from_name(name: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|status| status.name() == name)
    }
}

impl std::fmt::Display for ActionStatus {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ActionSpec {
        ActionSpec {
            kind: ActionKind::KillProcess,
            target: ActionTarget {
                cluster: Some("prod".into()),
                pod: Some("web-1".into()),
                pid: Some(4242),
                process: Some("easyminer".into()),
                ..ActionTarget::default()
            },
            parameters: ActionParameters { signal: Some("SIGKILL".into()), ..ActionParameters::default() },
        }
    }

    #[test]
    fn the_digest_is_stable_and_covers_every_detail() {
        let digest = spec().digest();
        assert!(digest.starts_with("sha256:") && digest.len() == 7 + 64, "{digest}");
        assert_eq!(digest, spec().digest());
        assert_eq!(
            spec().canonical_json(),
            r#"{"kind":"kill_process","target":{"cluster":"prod","pod":"web-1","pid":4242,"process":"easyminer"},"parameters":{"signal":"SIGKILL"}}"#
        );
        let mut other_pid = spec();
        other_pid.target.pid = Some(4243);
        let mut other_kind = spec();
        other_kind.kind = ActionKind::KillContainer;
        let mut other_signal = spec();
        other_signal.parameters.signal = Some("SIGTERM".into());
        for changed in [other_pid, other_kind, other_signal] {
            assert_ne!(changed.digest(), digest);
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in ActionKind::ALL {
            assert_eq!(ActionKind::from_name(kind.name()), Some(kind));
            assert_eq!(serde_json::to_value(kind).ok(), Some(serde_json::json!(kind.name())));
        }
        for status in ActionStatus::ALL {
            assert_eq!(ActionStatus::from_name(status.name()), Some(status));
        }
        assert_eq!(ActionKind::from_name("approve_all"), None);
    }
}
