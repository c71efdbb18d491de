//! Saker's own notes on legitimate activity that commonly triggers a rule, keyed by rule name
//! or tag. Written by the project (not taken from any rules file) and reviewed like code; the
//! unit test checks that every key names a rule or tag of the upstream Falco rules.

/// One note and what it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenignNote {
    /// Rule names it applies to.
    pub rules: &'static [&'static str],
    /// Tags it applies to (any of them).
    pub tags: &'static [&'static str],
    /// The legitimate situations, and what tells them apart.
    pub text: &'static str,
}

/// The table.
pub const NOTES: &[BenignNote] = &[
    BenignNote {
        rules: &["Terminal shell in container"],
        tags: &[],
        text: "An administrator or on-call engineer debugging with `kubectl exec -it`, or a CI job that \
               opens a shell in a pod. Tell it apart by who ran the exec (Kubernetes audit log), whether the \
               session matches a ticket or change window, and what the shell ran afterwards.",
    },
    BenignNote {
        rules: &["Launch Suspicious Network Tool in Container", "Launch Suspicious Network Tool on Host"],
        tags: &[],
        text: "Troubleshooting images (netshoot, toolbox or debug sidecars) where engineers run dig, nc or \
               tcpdump, and start-up scripts that wait for a port with nc. Scans of whole subnets (nmap) or \
               connections to unknown external addresses are not routine.",
    },
    BenignNote {
        rules: &["Contact K8S API Server From Container"],
        tags: &[],
        text: "Operators, controllers, CI runners and backup agents that call the Kubernetes API with their \
               service account on a schedule. Unexpected when the workload is an ordinary application.",
    },
    BenignNote {
        rules: &["Launch Package Management Process in Container"],
        tags: &["software_mgmt"],
        text: "Images that install packages at start-up, or an administrator adding debugging tools by hand. \
               Production images should not need it; repeated installs point to an image that should be rebuilt.",
    },
    BenignNote {
        rules: &["Clear Log Activities"],
        tags: &[],
        text: "Log rotation or cron jobs that truncate or recreate log files on a fixed schedule, always with \
               the same command, parent and file: a candidate for a rule exception.",
    },
    BenignNote {
        rules: &[
            "Contact EC2 Instance Metadata Service From Container",
            "Contact cloud metadata service from container",
        ],
        tags: &[],
        text: "Cloud SDKs and node agents that read the instance region or role credentials when no pod-level \
               identity (IRSA, workload identity) is set up. Interactive tools such as curl reaching the \
               metadata address from an application pod are not routine.",
    },
    BenignNote {
        rules: &["Read environment variable from /proc files"],
        tags: &[],
        text: "Monitoring agents, process supervisors and debuggers that inspect other processes. A shell user \
               reading `/proc/<pid>/environ` of the main process is looking for secrets.",
    },
    BenignNote {
        rules: &["Basic Interactive Reconnaissance"],
        tags: &[],
        text: "An administrator checking identity and host details while troubleshooting. Look at the session \
               that ran it: a known engineer in a change window, or a shell opened at night.",
    },
    BenignNote {
        rules: &["Read sensitive file untrusted", "Search Private Keys or Passwords", "Find AWS Credentials"],
        tags: &[],
        text: "Authentication helpers, configuration-management agents, backup jobs and secret scanners not \
               yet in the rule's trusted lists, or a developer locating their own configuration.",
    },
    BenignNote {
        rules: &["Drop and execute new binary in container", "Execution from /dev/shm"],
        tags: &[],
        text: "Images that download or build helpers at run time (plugin installers, some language runtimes \
               and test harnesses). A file fetched from the internet into /dev/shm or /tmp and run at once is \
               rarely legitimate.",
    },
];

/// The notes that apply to a rule with these tags.
pub fn notes_for<'a>(rule: &'a str, tags: &'a [String]) -> impl Iterator<Item = &'static BenignNote> + 'a {
    NOTES.iter().filter(move |note| {
        note.rules.contains(&rule) || note.tags.iter().any(|tag| tags.iter().any(|have| have == tag))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RulesCatalog;

    #[test]
    fn every_key_names_an_upstream_rule_or_tag() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/falco/rules");
        let catalog = RulesCatalog::load(&[
            directory.join("falco_rules.yaml"),
            directory.join("falco-incubating_rules.yaml"),
            directory.join("falco-sandbox_rules.yaml"),
        ])
        .expect("upstream rules");
        for note in NOTES {
            for rule in note.rules {
                assert!(catalog.rule(rule).is_some(), "unknown rule {rule:?}");
            }
            for tag in note.tags {
                assert!(catalog.rules().any(|rule| rule.tags.iter().any(|have| have == tag)), "unknown tag {tag:?}");
            }
        }
    }
}
