//! When an observed lineage is the situation a rule's documented benign case describes: a
//! reviewed table tying Saker's benign notes (`benign_notes`) to the lineage classes that
//! match them, so triage can say "this is the known benign case" from facts, not from text.
//! The unit test checks that every entry names an upstream rule that has a note.

use super::lineage::LineageClass;

/// A rule whose benign case a lineage class matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenignFit {
    /// Rule names.
    pub rules: &'static [&'static str],
    /// Lineage classes that are the benign case.
    pub classes: &'static [LineageClass],
}

/// The table.
pub const FITS: &[BenignFit] = &[
    // Log rotation or cron jobs clearing a log on a schedule, or the image's own start-up script.
    BenignFit { rules: &["Clear Log Activities"], classes: &[LineageClass::Scheduler, LineageClass::Entrypoint] },
    // An engineer debugging with `kubectl exec -it`.
    BenignFit { rules: &["Terminal shell in container"], classes: &[LineageClass::InteractiveShell] },
    // Operators and controllers calling the API server with their service account.
    BenignFit { rules: &["Contact K8S API Server From Container"], classes: &[LineageClass::Entrypoint] },
    // An administrator adding tools by hand, or an image installing packages at start-up.
    BenignFit {
        rules: &["Launch Package Management Process in Container"],
        classes: &[LineageClass::InteractiveShell, LineageClass::Entrypoint],
    },
    // Engineers troubleshooting with dig, nc or tcpdump.
    BenignFit { rules: &["Launch Suspicious Network Tool in Container"], classes: &[LineageClass::InteractiveShell] },
    // An administrator checking identity and host details while troubleshooting.
    BenignFit { rules: &["Basic Interactive Reconnaissance"], classes: &[LineageClass::InteractiveShell] },
    // Cloud SDKs in the application reading the instance region or role.
    BenignFit {
        rules: &[
            "Contact EC2 Instance Metadata Service From Container",
            "Contact cloud metadata service from container",
        ],
        classes: &[LineageClass::Entrypoint],
    },
    // Monitoring agents and supervisors inspecting other processes.
    BenignFit { rules: &["Read environment variable from /proc files"], classes: &[LineageClass::Entrypoint] },
];

/// Whether every alert of `rule` having one of `classes` is the rule's documented benign case.
pub fn fits(rule: &str, classes: &[LineageClass]) -> bool {
    !classes.is_empty()
        && FITS
            .iter()
            .find(|fit| fit.rules.contains(&rule))
            .is_some_and(|fit| classes.iter().all(|class| fit.classes.contains(class)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::benign_notes::notes_for;
    use crate::rules::RulesCatalog;

    #[test]
    fn every_entry_names_an_upstream_rule_with_a_benign_note() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/falco/rules");
        let catalog = RulesCatalog::load(&[
            directory.join("falco_rules.yaml"),
            directory.join("falco-incubating_rules.yaml"),
            directory.join("falco-sandbox_rules.yaml"),
        ])
        .expect("upstream rules");
        for fit in FITS {
            for rule in fit.rules {
                let found = catalog.rule(rule).unwrap_or_else(|| panic!("unknown rule {rule:?}"));
                assert!(notes_for(rule, &found.tags).next().is_some(), "no benign note for {rule:?}");
            }
        }
    }

    #[test]
    fn all_classes_must_fit() {
        assert!(fits("Clear Log Activities", &[LineageClass::Scheduler]));
        assert!(!fits("Clear Log Activities", &[LineageClass::Scheduler, LineageClass::WebServer]));
        assert!(!fits("Clear Log Activities", &[]));
        assert!(!fits("Reverse Shell from Web Server", &[LineageClass::Entrypoint]));
    }
}
