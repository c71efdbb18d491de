//! Which comparisons say little about where an alert comes from: fields every workload has
//! (`user.name`, `evt.type`, ...), process names every image runs (`bash`, `sh`, `python`...)
//! and patterns that match nearly everything (`startswith /`). An exception made only of
//! these suppresses its rule far beyond the alerts it was written for.

use crate::exceptions::evaluate::{Comparator, FieldComparison, Operand};

/// Fields whose values are shared by most workloads.
pub const GENERIC_FIELDS: &[&str] = &[
    "user.name",
    "user.uid",
    "user.loginuid",
    "user.loginname",
    "user.homedir",
    "user.shell",
    "group.name",
    "group.gid",
    "evt.type",
    "evt.dir",
    "evt.category",
    "evt.is_open_write",
    "proc.tty",
    "proc.is_container_healthcheck",
    "fd.type",
    "fd.typechar",
    "fd.l4proto",
    "container.privileged",
];

/// Process names found in nearly every image or host.
pub const COMMON_PROGRAMS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "ash",
    "zsh",
    "ksh",
    "csh",
    "tcsh",
    "fish",
    "busybox",
    "env",
    "sudo",
    "su",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "node",
    "java",
    "php",
    "runc",
    "containerd-shim",
    "conmon",
    "init",
    "systemd",
    "cron",
    "crond",
    "sleep",
    "cat",
    "ls",
    "ps",
];

/// Process-name fields, whose values are judged against [`COMMON_PROGRAMS`].
fn is_process_name_field(field: &str) -> bool {
    matches!(field, "proc.name" | "proc.pname" | "proc.aname" | "proc.exe") || field.starts_with("proc.aname[")
}

/// True when the comparison alone would hold for alerts of most workloads.
pub fn is_generic(comparison: &FieldComparison) -> bool {
    if GENERIC_FIELDS.contains(&comparison.field.as_str()) || comparison.comparator == Comparator::Exists {
        return true;
    }
    let values = comparison.operand_values();
    if is_process_name_field(&comparison.field)
        && !values.is_empty()
        && values.iter().all(|value| COMMON_PROGRAMS.contains(&base_name(value)))
    {
        return true;
    }
    let broad_pattern = matches!(
        comparison.comparator,
        Comparator::StartsWith
            | Comparator::PathMatch
            | Comparator::Glob
            | Comparator::IGlob
            | Comparator::Contains
            | Comparator::IContains
            | Comparator::EndsWith
            | Comparator::Modified(..)
    );
    broad_pattern && values.iter().any(|value| matches!(value.trim(), "" | "/" | "*" | "/*"))
}

fn base_name(value: &str) -> &str {
    value.rsplit('/').next().unwrap_or(value)
}

/// A comparison as a condition fragment: `user.name=root`, `proc.name in (sh, bash)`.
pub fn describe(comparison: &FieldComparison) -> String {
    match (&comparison.operand, comparison.comparator) {
        (_, Comparator::Exists) => format!("{} exists", comparison.field),
        (Operand::One(value), Comparator::Equal) => format!("{}={value}", comparison.field),
        (Operand::One(value), comparator) => format!("{} {comparator} {value}", comparison.field),
        (Operand::Set(values), comparator) => format!("{} {comparator} ({})", comparison.field, values.join(", ")),
        (Operand::Nothing, comparator) => format!("{} {comparator}", comparison.field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison(field: &str, comparator: &str, operand: Operand) -> FieldComparison {
        FieldComparison { field: field.into(), comparator: Comparator::parse(comparator).expect("valid"), operand }
    }

    #[test]
    fn generic_fields_programs_and_patterns() {
        assert!(is_generic(&comparison("user.name", "=", Operand::One("root".into()))));
        assert!(is_generic(&comparison("proc.name", "=", Operand::One("bash".into()))));
        assert!(is_generic(&comparison("proc.pname", "in", Operand::Set(vec!["sh".into(), "/bin/bash".into()]))));
        assert!(is_generic(&comparison("fd.name", "startswith", Operand::One("/".into()))));
        assert!(!is_generic(&comparison("proc.name", "=", Operand::One("rm".into()))));
        assert!(!is_generic(&comparison("proc.name", "in", Operand::Set(vec!["sh".into(), "rm".into()]))));
        assert!(!is_generic(&comparison("container.image.repository", "=", Operand::One("httpd".into()))));
        assert!(!is_generic(&comparison("fd.name", "pmatch", Operand::Set(vec!["/var/log".into()]))));
    }

    #[test]
    fn describes_comparisons_as_conditions() {
        assert_eq!(describe(&comparison("user.name", "=", Operand::One("root".into()))), "user.name=root");
        assert_eq!(
            describe(&comparison("proc.name", "in", Operand::Set(vec!["sh".into(), "bash".into()]))),
            "proc.name in (sh, bash)"
        );
        assert_eq!(
            describe(&comparison("fd.name", "startswith", Operand::One("/tmp".into()))),
            "fd.name startswith /tmp"
        );
        assert_eq!(describe(&comparison("proc.cmdline", "exists", Operand::Nothing)), "proc.cmdline exists");
    }
}
