//! The categories an analyst thinks in ("drift detection", "reconnaissance", ...), derived
//! from a rule's name, tags and MITRE tactics by a reviewed table in this file.
//!
//! The first matching entry wins, so specific categories come before general ones.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An analyst-facing category of alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Crypto miners and other malicious binaries.
    MaliciousBinary,
    /// New or modified executables in running containers.
    DriftDetection,
    /// Reverse shells and command-and-control channels.
    CommandAndControl,
    /// Reconnaissance and discovery: network tools, metadata services, environment reads.
    Reconnaissance,
    /// Reading credentials, keys, secrets.
    CredentialAccess,
    /// Privilege escalation and container escape.
    PrivilegeEscalation,
    /// Hiding tracks: clearing logs, disabling defences.
    DefenseEvasion,
    /// Persistence mechanisms.
    Persistence,
    /// Interactive shells and command execution.
    Execution,
    /// Kubernetes API activity (audit events, API-server contact).
    KubernetesActivity,
    /// Falco's own health events (drops, metrics).
    FalcoInternal,
    /// Everything else.
    Other,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 12] = [
        Category::MaliciousBinary,
        Category::DriftDetection,
        Category::CommandAndControl,
        Category::Reconnaissance,
        Category::CredentialAccess,
        Category::PrivilegeEscalation,
        Category::DefenseEvasion,
        Category::Persistence,
        Category::Execution,
        Category::KubernetesActivity,
        Category::FalcoInternal,
        Category::Other,
    ];

    /// The English label.
    pub fn label(self) -> &'static str {
        match self {
            Category::MaliciousBinary => "malicious binary",
            Category::DriftDetection => "drift detection",
            Category::CommandAndControl => "command and control",
            Category::Reconnaissance => "reconnaissance",
            Category::CredentialAccess => "credential access",
            Category::PrivilegeEscalation => "privilege escalation",
            Category::DefenseEvasion => "defense evasion",
            Category::Persistence => "persistence",
            Category::Execution => "execution",
            Category::KubernetesActivity => "kubernetes activity",
            Category::FalcoInternal => "falco internal",
            Category::Other => "other",
        }
    }

    /// Parses a label or snake_case name (`reconnaissance`, `drift_detection`, `drift detection`).
    pub fn parse(text: &str) -> Option<Category> {
        let wanted = text.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        Category::ALL.into_iter().find(|category| category.label() == wanted)
    }
}

/// What is known of a rule for classification.
pub struct RuleFacts<'a> {
    /// Rule name.
    pub rule: &'a str,
    /// Event source.
    pub source: &'a str,
    /// Tags.
    pub tags: &'a [String],
    /// MITRE tactic IDs.
    pub tactics: &'a [String],
    /// MITRE technique IDs.
    pub techniques: &'a [String],
}

/// Classifies a rule.
pub fn categorize(facts: &RuleFacts<'_>) -> Category {
    let name = facts.rule.to_ascii_lowercase();
    let has_tactic = |id: &str| facts.tactics.iter().any(|tactic| tactic == id);
    let has_technique = |prefix: &str| facts.techniques.iter().any(|technique| technique.starts_with(prefix));
    let name_has = |words: &[&str]| words.iter().any(|word| name.contains(word));

    if facts.source == "internal" || name.starts_with("falco internal") {
        return Category::FalcoInternal;
    }
    if name_has(&["miner", "crypto", "stratum", "malicious binary", "malware"]) || has_technique("T1496") {
        return Category::MaliciousBinary;
    }
    if name_has(&["drift", "new binary", "binary dir", "/dev/shm", "executable"]) {
        return Category::DriftDetection;
    }
    if name_has(&["reverse shell", "redirect stdout", "netcat remote", "c2 server"]) || has_tactic("TA0011") {
        return Category::CommandAndControl;
    }
    if facts.source == "k8s_audit" || name_has(&["k8s api server", "kubernetes api"]) {
        return Category::KubernetesActivity;
    }
    if name_has(&["network tool", "metadata", "environment variable", "recon", "discovery", "scan"])
        || has_tactic("TA0043")
        || has_tactic("TA0007")
    {
        return Category::Reconnaissance;
    }
    if has_tactic("TA0006") || name_has(&["credential", "private key", "password", "sensitive file", "shadow"]) {
        return Category::CredentialAccess;
    }
    if has_tactic("TA0004") {
        return Category::PrivilegeEscalation;
    }
    if has_tactic("TA0005") || name_has(&["clear log", "delete", "remove bulk"]) {
        return Category::DefenseEvasion;
    }
    if facts.source == "k8s_audit" || name_has(&["k8s", "kubernetes"]) {
        return Category::KubernetesActivity;
    }
    if has_tactic("TA0003") {
        return Category::Persistence;
    }
    if has_tactic("TA0002") || name_has(&["shell", "exec"]) {
        return Category::Execution;
    }
    Category::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rule: &str, tags: &[&str], expected: Category) {
        let tags: Vec<String> = tags.iter().map(|tag| tag.to_string()).collect();
        let (tactics, techniques) = crate::mitre::ids_from_tags(&tags);
        let facts = RuleFacts { rule, source: "syscall", tags: &tags, tactics: &tactics, techniques: &techniques };
        assert_eq!(categorize(&facts), expected, "{rule}");
    }

    #[test]
    fn classifies_well_known_rules() {
        check(
            "Detect outbound connections to common miner pool ports",
            &["mitre_impact", "T1496"],
            Category::MaliciousBinary,
        );
        check("Drop and execute new binary in container", &["mitre_persistence", "TA0003"], Category::DriftDetection);
        check(
            "Redirect STDOUT/STDIN to Network Connection in Container",
            &["mitre_execution", "T1059"],
            Category::CommandAndControl,
        );
        check("Launch Suspicious Network Tool in Container", &["mitre_discovery", "TA0007"], Category::Reconnaissance);
        check("Read sensitive file untrusted", &["mitre_credential_access", "T1555"], Category::CredentialAccess);
        check("Clear Log Activities", &["mitre_defense_evasion", "T1070"], Category::DefenseEvasion);
        check("Terminal shell in container", &["container", "shell", "mitre_execution", "T1059"], Category::Execution);
        check(
            "Contact K8S API Server From Container",
            &["k8s", "mitre_discovery", "T1565"],
            Category::KubernetesActivity,
        );
        assert_eq!(Category::parse("Drift_Detection"), Some(Category::DriftDetection));
    }
}
