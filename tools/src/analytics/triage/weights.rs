//! The reviewed scoring table of `assess_false_positive`: every factor the tool can report, its
//! weight and the reason for it, in one place, and the thresholds that turn a score into a
//! likelihood.
//!
//! A positive weight points to benign activity, a negative one to malicious activity, zero is
//! context for the analyst. The score is the sum of the weights of the facts found, clamped to
//! [-100, 100]. Benign lineage weights apply only when every examined alert shows that lineage
//! (one malicious chain in a set is enough to matter, one benign chain is not); the other
//! factors are computed over the whole set.
//!
//! Changing a weight changes answers: review it like code, with the reason updated beside it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One factor of the assessment (a row of [`TABLE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// An executable on the chain runs from `/tmp`, `/dev/shm`, `/var/tmp` or a hidden directory.
    LineageUnknownBinary,
    /// A web server is an ancestor of the process.
    LineageWebServer,
    /// A shell with a terminal started into the container (`kubectl exec -it`).
    LineageInteractiveShell,
    /// A command started into the container without a terminal (`kubectl exec pod -- cmd`).
    LineageExecCommand,
    /// cron or another scheduler (or a Kubernetes CronJob) started it.
    LineageScheduler,
    /// The container's own program (its entrypoint or what it forks) started it.
    LineageEntrypoint,
    /// The alerts do not carry enough ancestry to tell.
    LineageUnknown,
    /// A web server's service account (`www-data`, ...) runs something other than the server.
    UserServiceAccount,
    /// The users, for context.
    UserNeutral,
    /// The same command line at the same time of day on most days.
    RecurrenceDaily,
    /// The same command line at a fixed interval.
    RecurrenceInterval,
    /// Repeats on several days at varying times.
    RecurrenceIrregular,
    /// One occurrence, or one burst within an hour.
    RecurrenceOneOff,
    /// All alerts in one workload (or one pod).
    SpreadOneWorkload,
    /// Several workloads sharing an image or a namespace.
    SpreadRelatedWorkloads,
    /// Several unrelated workloads in several namespaces.
    SpreadUnrelatedWorkloads,
    /// Every alert in a system or maintenance namespace or image of Saker's list.
    SystemWorkload,
    /// Some or none of the alerts in a system or maintenance namespace or image.
    NotSystemWorkload,
    /// Alerts of attack categories in the same containers within the window.
    NearbyAttackAlerts,
    /// Among those, alerts of higher priority than the assessed ones.
    NearbyHigherPriority,
    /// Alerts of other rules nearby, none of an attack category.
    NearbyOtherAlerts,
    /// No alert of another rule in the same containers within the window.
    NoNearbyAlerts,
    /// The rule detects a miner, reverse shell or command-and-control channel.
    RuleDetectsAttack,
    /// The rule detects drift (new executables in a running container).
    RuleDetectsDrift,
    /// The rule's category, for context.
    RuleOtherCategory,
    /// The rule's known benign cases describe what the lineage shows.
    RuleBenignCaseFits,
    /// The rule's known benign cases, for the analyst to compare.
    RuleBenignCases,
}

/// Which way a fact points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Towards benign activity (a false positive).
    Benign,
    /// Towards malicious activity.
    Malicious,
    /// Context only.
    Neutral,
}

impl Direction {
    /// The direction of a weight.
    pub fn of(weight: i32) -> Direction {
        match weight {
            weight if weight > 0 => Direction::Benign,
            weight if weight < 0 => Direction::Malicious,
            _ => Direction::Neutral,
        }
    }
}

/// How likely it is that the assessed alerts are benign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Likelihood {
    /// Probably not benign: treat as an incident until shown otherwise.
    Low,
    /// The alerts alone do not settle it.
    Medium,
    /// Probably benign: a candidate for an exception.
    High,
}

/// A row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightRow {
    /// The factor.
    pub factor: Factor,
    /// Its weight (positive: benign).
    pub weight: i32,
    /// Why, in one or two sentences.
    pub reason: &'static str,
}

/// The scoring table.
pub const TABLE: &[WeightRow] = &[
    WeightRow {
        factor: Factor::LineageUnknownBinary,
        weight: -40,
        reason: "Packaged software runs from /usr, /bin or /opt; an executable in /tmp, /dev/shm, /var/tmp or a \
                 hidden directory is how droppers and miners run.",
    },
    WeightRow {
        factor: Factor::LineageWebServer,
        weight: -35,
        reason: "Web servers answer requests; a shell or tool started by apache2, nginx, php-fpm or java is the \
                 signature of a web shell or remote code execution.",
    },
    WeightRow {
        factor: Factor::LineageInteractiveShell,
        weight: 0,
        reason: "A person at a terminal: an administrator and an intruder with cluster credentials look the same \
                 in the alerts; the Kubernetes audit log says who ran the exec.",
    },
    WeightRow {
        factor: Factor::LineageExecCommand,
        weight: 0,
        reason: "A command started into the container without a terminal: automation or a person; neutral.",
    },
    WeightRow {
        factor: Factor::LineageScheduler,
        weight: 25,
        reason: "cron and other schedulers run planned, repeating work (log rotation, cleanup, backups) that \
                 someone configured in the image or the cluster.",
    },
    WeightRow {
        factor: Factor::LineageEntrypoint,
        weight: 10,
        reason: "The container's own program raised it: behaviour built into the image rather than something \
                 started from outside.",
    },
    WeightRow {
        factor: Factor::LineageUnknown,
        weight: 0,
        reason: "The alerts lack the ancestry fields (proc.aname, proc.apid) to tell who started the process.",
    },
    WeightRow {
        factor: Factor::UserServiceAccount,
        weight: -10,
        reason: "A web server's account (www-data, nginx, apache) running anything but the server means the \
                 server was made to run it.",
    },
    WeightRow {
        factor: Factor::UserNeutral,
        weight: 0,
        reason: "A user name alone does not separate an administrator from an intruder (root is both).",
    },
    WeightRow {
        factor: Factor::RecurrenceDaily,
        weight: 30,
        reason: "The same command line at the same minute of the day on most days is a scheduled job; intrusions \
                 do not repeat identically for days.",
    },
    WeightRow {
        factor: Factor::RecurrenceInterval,
        weight: 20,
        reason: "The same command line at a fixed interval is a controller or agent loop.",
    },
    WeightRow {
        factor: Factor::RecurrenceIrregular,
        weight: 0,
        reason: "Repeats on several days at varying times: habitual, not scheduled; neutral.",
    },
    WeightRow {
        factor: Factor::RecurrenceOneOff,
        weight: -10,
        reason: "A single occurrence or one burst within an hour with no history in the store: new behaviour, \
                 and nothing shows it is routine.",
    },
    WeightRow {
        factor: Factor::SpreadOneWorkload,
        weight: 10,
        reason: "Confined to one workload: a habit of one image, which a narrow exception can describe.",
    },
    WeightRow {
        factor: Factor::SpreadRelatedWorkloads,
        weight: 0,
        reason: "Several workloads sharing an image (replicas, one image in several places) or one namespace; \
                 neutral.",
    },
    WeightRow {
        factor: Factor::SpreadUnrelatedWorkloads,
        weight: -10,
        reason: "The same behaviour in unrelated workloads across namespaces is what a campaign or a stolen \
                 credential looks like, and too broad for one exception.",
    },
    WeightRow {
        factor: Factor::SystemWorkload,
        weight: 15,
        reason: "Infrastructure, monitoring, logging, backup and CI workloads do maintenance as their job \
                 (Saker's reviewed list in system_workloads).",
    },
    WeightRow {
        factor: Factor::NotSystemWorkload,
        weight: 0,
        reason: "Not (or not only) a system or maintenance workload; neutral.",
    },
    WeightRow {
        factor: Factor::NearbyAttackAlerts,
        weight: -30,
        reason: "Alerts of attack categories (malicious binary, drift, command and control, credential access, \
                 privilege escalation, defense evasion) in the same container within the hour: benign activity \
                 does not come with them.",
    },
    WeightRow {
        factor: Factor::NearbyHigherPriority,
        weight: -10,
        reason: "Among them, alerts the rule authors ranked more severe than the ones assessed.",
    },
    WeightRow {
        factor: Factor::NearbyOtherAlerts,
        weight: -5,
        reason: "Other alerts nearby (reconnaissance tools, package installs, shells): worth a look, weak alone.",
    },
    WeightRow {
        factor: Factor::NoNearbyAlerts,
        weight: 10,
        reason: "Nothing else fired in the same containers within an hour of any assessed alert.",
    },
    WeightRow {
        factor: Factor::RuleDetectsAttack,
        weight: -25,
        reason: "The rule detects a miner, a reverse shell or a command-and-control channel: behaviour with very \
                 few legitimate explanations.",
    },
    WeightRow {
        factor: Factor::RuleDetectsDrift,
        weight: -15,
        reason: "The rule detects new executables in a running container, legitimate only for images that \
                 download or build at run time.",
    },
    WeightRow { factor: Factor::RuleOtherCategory, weight: 0, reason: "The rule's category, for context." },
    WeightRow {
        factor: Factor::RuleBenignCaseFits,
        weight: 10,
        reason: "Saker's notes on the rule (benign_notes, tied to lineages in benign_fit) describe what the \
                 lineage shows, e.g. a cron job clearing a log.",
    },
    WeightRow {
        factor: Factor::RuleBenignCases,
        weight: 0,
        reason: "The rule's documented benign cases, for the analyst to compare.",
    },
];

/// At or above this score (and with no veto) the likelihood is `high`.
pub const HIGH_AT: i32 = 40;
/// At or below this score the likelihood is `low`.
pub const LOW_AT: i32 = -20;
/// A fact weighing this much or less towards malicious rules out `high` whatever the score.
pub const VETO_AT: i32 = -25;
/// The score's bound on both sides.
pub const SCORE_BOUND: i32 = 100;

/// The weight of a factor.
pub fn weight_of(factor: Factor) -> i32 {
    TABLE.iter().find(|row| row.factor == factor).map_or(0, |row| row.weight)
}

/// The verdict from the weights of the facts found: score, likelihood and the factor that
/// vetoed `high`, if any.
pub fn verdict(facts: &[(Factor, i32)]) -> (i32, Likelihood, Option<Factor>) {
    let score = facts.iter().map(|(_, weight)| weight).sum::<i32>().clamp(-SCORE_BOUND, SCORE_BOUND);
    let veto = facts.iter().filter(|(_, weight)| *weight <= VETO_AT).min_by_key(|(_, weight)| *weight).map(|(f, _)| *f);
    let likelihood = if score <= LOW_AT {
        Likelihood::Low
    } else if score >= HIGH_AT && veto.is_none() {
        Likelihood::High
    } else {
        Likelihood::Medium
    };
    let vetoed = (score >= HIGH_AT).then_some(veto).flatten();
    (score, likelihood, vetoed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factor_has_exactly_one_row_and_a_reason() {
        let factors: Vec<Factor> = TABLE.iter().map(|row| row.factor).collect();
        let mut unique = factors.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), factors.len(), "a factor appears twice");
        assert_eq!(factors.len(), 27, "every Factor variant has a row");
        for row in TABLE {
            assert!(row.reason.len() > 20 && row.reason.ends_with('.'), "{:?}", row.factor);
        }
    }

    #[test]
    fn thresholds_and_veto() {
        assert_eq!(verdict(&[(Factor::LineageScheduler, 25), (Factor::RecurrenceDaily, 30)]).1, Likelihood::High);
        assert_eq!(verdict(&[(Factor::LineageScheduler, 25)]).1, Likelihood::Medium);
        let (score, likelihood, vetoed) = verdict(&[
            (Factor::LineageScheduler, 25),
            (Factor::RecurrenceDaily, 30),
            (Factor::SystemWorkload, 15),
            (Factor::RuleDetectsAttack, -25),
        ]);
        assert_eq!((score, likelihood, vetoed), (45, Likelihood::Medium, Some(Factor::RuleDetectsAttack)));
        assert_eq!(verdict(&[(Factor::LineageWebServer, -35)]).1, Likelihood::Low);
        assert_eq!(verdict(&[(Factor::LineageUnknownBinary, -40); 4]).0, -SCORE_BOUND);
        assert_eq!(Direction::of(weight_of(Factor::NoNearbyAlerts)), Direction::Benign);
        assert_eq!(Direction::of(weight_of(Factor::UserNeutral)), Direction::Neutral);
    }
}
