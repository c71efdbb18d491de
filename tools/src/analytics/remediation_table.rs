//! The reviewed remediation knowledge `suggest_remediation` draws on: steps written by the
//! project in its own words, each citing the rules, tags and MITRE techniques it applies to and
//! the objects it names. The tool never invents steps; it picks the entries whose keys occur in
//! the incident and fills in the objects from the store (`{pods}`, `{files}`, ...).
//!
//! The unit test checks every key against the upstream Falco rules and the MITRE table, and
//! every placeholder against the entry's targets.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Incident-response phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Stop the damage spreading.
    Contain,
    /// Remove what the intruder left.
    Eradicate,
    /// Return to a known-good state and check for after-effects.
    Recover,
    /// Prevent a repeat.
    Harden,
}

/// Objects a step names, filled in from the incident's alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Pods (`k8s.pod.name`).
    Pods,
    /// Workloads as `namespace/workload`.
    Workloads,
    /// Namespaces.
    Namespaces,
    /// Images as `repository:tag`.
    Images,
    /// Process names.
    Processes,
    /// Executable paths (`proc.exepath`).
    Executables,
    /// File paths written, read or changed (`fd.name`, `evt.arg.filename`, `evt.arg.name`).
    Files,
    /// Remote ends of connections (`fd.name` after `->`).
    RemoteEndpoints,
    /// Command lines of the parent processes (`proc.pcmdline`).
    ParentCommands,
    /// User names.
    Users,
}

impl Target {
    /// The placeholder in step texts: `{pods}`.
    pub fn placeholder(self) -> &'static str {
        match self {
            Target::Pods => "{pods}",
            Target::Workloads => "{workloads}",
            Target::Namespaces => "{namespaces}",
            Target::Images => "{images}",
            Target::Processes => "{processes}",
            Target::Executables => "{executables}",
            Target::Files => "{files}",
            Target::RemoteEndpoints => "{remote_endpoints}",
            Target::ParentCommands => "{parent_commands}",
            Target::Users => "{users}",
        }
    }
}

/// One reviewed remediation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remedy {
    /// Stable identifier.
    pub id: &'static str,
    /// Phase.
    pub phase: Phase,
    /// Rules it applies to.
    pub rules: &'static [&'static str],
    /// Tags it applies to.
    pub tags: &'static [&'static str],
    /// MITRE technique IDs it applies to.
    pub techniques: &'static [&'static str],
    /// The objects the text names.
    pub targets: &'static [Target],
    /// The step, with placeholders for the targets.
    pub action: &'static str,
}

const DROP_RULES: &[&str] = &[
    "Drop and execute new binary in container",
    "Execution from /dev/shm",
    "Container Drift Detected (chmod)",
    "Container Drift Detected (open+create)",
];
const CREDENTIAL_RULES: &[&str] = &[
    "Contact EC2 Instance Metadata Service From Container",
    "Contact cloud metadata service from container",
    "Find AWS Credentials",
    "Search Private Keys or Passwords",
    "Read sensitive file untrusted",
    "Read environment variable from /proc files",
];
const METADATA_RULES: &[&str] =
    &["Contact EC2 Instance Metadata Service From Container", "Contact cloud metadata service from container"];

/// The table, in the order steps are listed within a phase.
pub const REMEDIES: &[Remedy] = &[
    Remedy {
        id: "isolate-pods",
        phase: Phase::Contain,
        rules: &[
            "Detect crypto miners using the Stratum protocol",
            "Detect outbound connections to common miner pool ports",
            "Drop and execute new binary in container",
            "Execution from /dev/shm",
            "Reverse Shell from Web Server",
            "Redirect STDOUT/STDIN to Network Connection in Container",
            "Netcat Remote Code Execution in Container",
        ],
        tags: &[],
        techniques: &["T1496"],
        targets: &[Target::Pods, Target::Workloads],
        action: "Isolate the pods {pods} (workloads {workloads}): apply a deny-all ingress and egress NetworkPolicy \
                 that selects them, and keep them running until their processes and writable layer are captured; \
                 deleting them first destroys the evidence.",
    },
    Remedy {
        id: "stop-processes",
        phase: Phase::Contain,
        rules: &[
            "Detect crypto miners using the Stratum protocol",
            "Detect outbound connections to common miner pool ports",
            "Drop and execute new binary in container",
            "Execution from /dev/shm",
        ],
        tags: &[],
        techniques: &["T1496"],
        targets: &[Target::Processes, Target::ParentCommands, Target::Pods],
        action: "After capturing them, stop the processes {processes} and the process tree that launched them \
                 ({parent_commands}) in {pods}; if the launcher is the container's entrypoint, scale the workload \
                 to zero instead, or it will start again.",
    },
    Remedy {
        id: "block-remote-ends",
        phase: Phase::Contain,
        rules: &[
            "Detect crypto miners using the Stratum protocol",
            "Detect outbound connections to common miner pool ports",
            "Reverse Shell from Web Server",
            "Redirect STDOUT/STDIN to Network Connection in Container",
            "Netcat Remote Code Execution in Container",
        ],
        tags: &[],
        techniques: &[],
        targets: &[Target::RemoteEndpoints],
        action: "Block the remote ends {remote_endpoints} at the cloud firewall or security group and the egress \
                 proxy, then search flow logs for any other workload that reached them.",
    },
    Remedy {
        id: "identify-exec-sessions",
        phase: Phase::Contain,
        rules: &["Terminal shell in container", "Basic Interactive Reconnaissance"],
        tags: &[],
        techniques: &[],
        targets: &[Target::Pods, Target::Users],
        action: "Find who opened the interactive sessions in {pods} (users {users}) from the Kubernetes audit log \
                 (pods/exec requests); if the identity is not a known engineer on duty, revoke its tokens and \
                 kubeconfig credentials now.",
    },
    Remedy {
        id: "rotate-exposed-credentials",
        phase: Phase::Contain,
        rules: CREDENTIAL_RULES,
        tags: &[],
        techniques: &["T1552", "T1552.001", "T1552.005"],
        targets: &[Target::Workloads, Target::Files],
        action: "Treat every credential reachable from {workloads} as exposed: rotate the node and pod cloud-role \
                 sessions, service-account tokens, keys and the secrets held in their environment; files read: \
                 {files}.",
    },
    Remedy {
        id: "remove-dropped-files",
        phase: Phase::Eradicate,
        rules: DROP_RULES,
        tags: &[],
        techniques: &[],
        targets: &[Target::Files, Target::Executables, Target::Pods],
        action: "Hash and keep copies of the dropped files {files} and executables {executables} as evidence, then \
                 replace the pods {pods} rather than cleaning them in place: the files live in the container's \
                 writable layer and /dev/shm and vanish with the pod.",
    },
    Remedy {
        id: "find-the-launcher",
        phase: Phase::Eradicate,
        rules: &[
            "Drop and execute new binary in container",
            "Detect crypto miners using the Stratum protocol",
            "Launch Ingress Remote File Copy Tools in Container",
        ],
        tags: &[],
        techniques: &["T1496"],
        targets: &[Target::ParentCommands, Target::Images],
        action: "Find where {parent_commands} comes from: if it is part of the images {images}, remove it and \
                 rebuild them; if it arrived at run time, find the entry point (exposed service, leaked \
                 credentials) before redeploying.",
    },
    Remedy {
        id: "patch-web-entry-point",
        phase: Phase::Eradicate,
        rules: &["Reverse Shell from Web Server", "Web Server Spawned Shell"],
        tags: &[],
        techniques: &["T1505.003"],
        targets: &[Target::Workloads, Target::Images],
        action: "The web server of {workloads} started a shell: look for an exploited plugin, upload or \
                 deserialisation flaw and for web shells in the document root, and patch the images {images} \
                 before redeploying.",
    },
    Remedy {
        id: "redeploy-clean",
        phase: Phase::Recover,
        rules: &[
            "Drop and execute new binary in container",
            "Execution from /dev/shm",
            "Detect crypto miners using the Stratum protocol",
            "Reverse Shell from Web Server",
        ],
        tags: &[],
        techniques: &["T1496"],
        targets: &[Target::Workloads, Target::Images],
        action: "Redeploy {workloads} from rebuilt, scanned images pinned by digest (not the current {images}), \
                 and watch the same rules for a day to confirm nothing returns.",
    },
    Remedy {
        id: "check-credential-use",
        phase: Phase::Recover,
        rules: CREDENTIAL_RULES,
        tags: &[],
        techniques: &["T1552.005"],
        targets: &[Target::Workloads],
        action: "Review the cloud audit trail for calls made with the roles of {workloads} and their nodes since \
                 the first alert, especially from addresses outside the cluster, and undo anything unexpected.",
    },
    Remedy {
        id: "restore-deleted-logs",
        phase: Phase::Recover,
        rules: &["Clear Log Activities"],
        tags: &[],
        techniques: &["T1070"],
        targets: &[Target::Files, Target::ParentCommands],
        action: "If deleting {files} (by {parent_commands}) is not a known rotation job, restore those logs from \
                 the central log store and investigate the period they covered; if it is, silence it with a rule \
                 exception instead.",
    },
    Remedy {
        id: "read-only-root",
        phase: Phase::Harden,
        rules: DROP_RULES,
        tags: &[],
        techniques: &[],
        targets: &[Target::Workloads],
        action: "Set readOnlyRootFilesystem: true, runAsNonRoot and drop all capabilities in the pod specs of \
                 {workloads}, so a downloaded binary has nowhere to be written except the few volumes you mount.",
    },
    Remedy {
        id: "image-admission-policy",
        phase: Phase::Harden,
        rules: DROP_RULES,
        tags: &[],
        techniques: &["T1496"],
        targets: &[Target::Namespaces, Target::Images],
        action: "Enforce an admission policy in {namespaces} that admits only signed images from your own \
                 registry, pinned by digest; {images} should not pass it until rebuilt and signed.",
    },
    Remedy {
        id: "egress-network-policy",
        phase: Phase::Harden,
        rules: &[
            "Detect crypto miners using the Stratum protocol",
            "Detect outbound connections to common miner pool ports",
            "Reverse Shell from Web Server",
            "Netcat Remote Code Execution in Container",
            "Launch Suspicious Network Tool in Container",
        ],
        tags: &[],
        techniques: &[],
        targets: &[Target::Namespaces, Target::Workloads],
        action: "Give {namespaces} a default-deny egress NetworkPolicy and allow only the destinations {workloads} \
                 need, so mining pools, reverse shells and internal scans are refused at the pod.",
    },
    Remedy {
        id: "limit-metadata-service",
        phase: Phase::Harden,
        rules: METADATA_RULES,
        tags: &[],
        techniques: &["T1552.005"],
        targets: &[Target::Workloads, Target::Namespaces],
        action: "Keep pods away from 169.254.169.254: require IMDSv2 with a hop limit of 1 on the nodes, give \
                 {workloads} their own workload identity (e.g. IRSA or EKS Pod Identity), and deny \
                 169.254.169.254/32 in the egress NetworkPolicy of {namespaces}.",
    },
    Remedy {
        id: "falco-metadata-notification",
        phase: Phase::Harden,
        rules: METADATA_RULES,
        tags: &[],
        techniques: &[],
        targets: &[Target::Workloads],
        action: "Falco: route the metadata-service rules to immediate notification (raise their priority, or \
                 lower the alert output's minimum priority), since application pods such as {workloads} have no \
                 reason to reach it.",
    },
    Remedy {
        id: "restrict-pod-exec",
        phase: Phase::Harden,
        rules: &["Terminal shell in container", "Basic Interactive Reconnaissance"],
        tags: &[],
        techniques: &[],
        targets: &[Target::Namespaces],
        action: "Limit the pods/exec permission in {namespaces} to a small break-glass group with short-lived \
                 credentials. Falco: keep 'Terminal shell in container' enabled and list approved admin tooling in \
                 its allow-list macro rather than disabling the rule.",
    },
    Remedy {
        id: "remove-poisoned-package",
        phase: Phase::Eradicate,
        rules: &["Network Tool Executed During NPM Package Install"],
        tags: &[],
        techniques: &["T1195", "T1195.001", "T1195.002"],
        targets: &[Target::Pods, Target::Processes, Target::Images],
        action: "Find the dependency whose install script ran {processes} in {pods}: remove or pin it to a known-good \
                 version in the lockfile, clear the build cache, rebuild {images} from clean sources, and rotate every \
                 token the build could read (package registry, source control, cloud).",
    },
    Remedy {
        id: "install-scripts-off",
        phase: Phase::Harden,
        rules: &["Network Tool Executed During NPM Package Install"],
        tags: &[],
        techniques: &["T1195", "T1195.001", "T1195.002"],
        targets: &[Target::Namespaces],
        action: "Build in {namespaces} with install scripts disabled where packages need none (npm ci \
                 --ignore-scripts), fetch packages through a registry mirror that only serves reviewed versions, and \
                 keep 'Network Tool Executed During NPM Package Install' enabled for the build namespaces.",
    },
    Remedy {
        id: "slim-images",
        phase: Phase::Harden,
        rules: &[
            "Launch Suspicious Network Tool in Container",
            "Launch Ingress Remote File Copy Tools in Container",
            "Launch Package Management Process in Container",
        ],
        tags: &["software_mgmt"],
        techniques: &[],
        targets: &[Target::Processes, Target::Images],
        action: "Remove tools the application does not need ({processes}) from the images {images}; minimal or \
                 distroless bases leave an intruder nothing to scan, download or install with.",
    },
    Remedy {
        id: "falco-drift-rules",
        phase: Phase::Harden,
        rules: &[
            "Container Drift Detected (chmod)",
            "Container Drift Detected (open+create)",
            "Detect outbound connections to common miner pool ports",
        ],
        tags: &[],
        techniques: &[],
        targets: &[Target::Namespaces],
        action: "Falco: these rules ship disabled upstream and caught this incident; keep them enabled for \
                 {namespaces}, and put known build or init images in their allow-lists instead of switching them off.",
    },
    Remedy {
        id: "ship-logs-off-host",
        phase: Phase::Harden,
        rules: &["Clear Log Activities"],
        tags: &[],
        techniques: &["T1070"],
        targets: &[Target::Files],
        action: "Stream logs such as {files} to a central store as they are written, so a local deletion no longer \
                 erases the record.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RulesCatalog;

    const ALL_TARGETS: [Target; 10] = [
        Target::Pods,
        Target::Workloads,
        Target::Namespaces,
        Target::Images,
        Target::Processes,
        Target::Executables,
        Target::Files,
        Target::RemoteEndpoints,
        Target::ParentCommands,
        Target::Users,
    ];

    #[test]
    fn every_key_names_an_upstream_rule_tag_or_technique() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/falco/rules");
        let catalog = RulesCatalog::load(&[
            directory.join("falco_rules.yaml"),
            directory.join("falco-incubating_rules.yaml"),
            directory.join("falco-sandbox_rules.yaml"),
        ])
        .expect("upstream rules");
        for remedy in REMEDIES {
            assert!(
                !(remedy.rules.is_empty() && remedy.tags.is_empty() && remedy.techniques.is_empty()),
                "{}",
                remedy.id
            );
            for rule in remedy.rules {
                assert!(catalog.rule(rule).is_some(), "{}: unknown rule {rule:?}", remedy.id);
            }
            for tag in remedy.tags {
                assert!(
                    catalog.rules().any(|rule| rule.tags.iter().any(|have| have == tag)),
                    "{}: unknown tag {tag:?}",
                    remedy.id
                );
            }
            for technique in remedy.techniques {
                assert!(crate::mitre::technique(technique).is_some(), "{}: unknown technique {technique}", remedy.id);
            }
        }
    }

    #[test]
    fn placeholders_and_targets_agree_and_ids_are_unique() {
        for remedy in REMEDIES {
            for target in ALL_TARGETS {
                assert_eq!(
                    remedy.action.contains(target.placeholder()),
                    remedy.targets.contains(&target),
                    "{}: {}",
                    remedy.id,
                    target.placeholder()
                );
            }
            assert_eq!(REMEDIES.iter().filter(|other| other.id == remedy.id).count(), 1, "{}", remedy.id);
        }
    }
}
