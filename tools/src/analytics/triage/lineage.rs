//! Who started a process: classifies an alert's process chain (rebuilt by `process_tree`) as an
//! unknown binary, a web server's child, an exec session, a scheduled job, the container's own
//! program, or unknown. The lists below are Saker's, reviewed like code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::weights::Factor;
use crate::alert::Alert;
use crate::analytics::process_tree::{ProcessNode, is_runtime, judge};

/// What started the process, most suspicious first (the first that applies wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineageClass {
    /// An executable on the chain lives in `/tmp`, `/dev/shm`, `/var/tmp` or a hidden directory.
    UnknownBinary,
    /// A web server is an ancestor.
    WebServer,
    /// A shell with a terminal started into the container (`kubectl exec -it`).
    InteractiveShell,
    /// A command started into the container without a terminal.
    ExecCommand,
    /// cron or another scheduler, or a Kubernetes CronJob.
    Scheduler,
    /// The container's own program.
    Entrypoint,
    /// Not enough ancestry in the alerts.
    Unknown,
}

impl LineageClass {
    /// The scoring factor of the class.
    pub fn factor(self) -> Factor {
        match self {
            LineageClass::UnknownBinary => Factor::LineageUnknownBinary,
            LineageClass::WebServer => Factor::LineageWebServer,
            LineageClass::InteractiveShell => Factor::LineageInteractiveShell,
            LineageClass::ExecCommand => Factor::LineageExecCommand,
            LineageClass::Scheduler => Factor::LineageScheduler,
            LineageClass::Entrypoint => Factor::LineageEntrypoint,
            LineageClass::Unknown => Factor::LineageUnknown,
        }
    }

    /// True for the classes whose weight points to benign activity.
    pub fn is_benign(self) -> bool {
        matches!(self, LineageClass::Scheduler | LineageClass::Entrypoint)
    }
}

/// Web servers and application servers that answer requests and should not start programs.
pub const WEB_SERVERS: &[&str] = &[
    "apache2", "httpd", "nginx", "php-fpm", "php-cgi", "lighttpd", "caddy", "java", "tomcat", "catalina", "gunicorn",
    "uwsgi", "puma", "unicorn", "node",
];

/// Schedulers that run planned jobs.
pub const SCHEDULERS: &[&str] = &["cron", "crond", "anacron", "atd", "supercronic", "fcron", "jobber"];

/// Directories whose executables are not installed software.
pub const UNUSUAL_EXECUTABLE_DIRS: &[&str] = &["/tmp/", "/dev/shm/", "/var/tmp/", "/run/shm/", "/dev/mqueue/"];

/// Runtimes that start processes in a running container (`kubectl exec`).
const EXEC_RUNTIMES: &[&str] = &["runc", "crun"];

/// Shells.
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ash", "ksh", "busybox", "fish", "tcsh", "csh"];

/// Whether a process name is a web server (`php-fpm7.4` counts as `php-fpm`).
pub fn is_web_server(name: &str) -> bool {
    WEB_SERVERS.contains(&name) || name.starts_with("php-fpm")
}

/// Whether an executable path is outside installed software: in a temporary or shared-memory
/// directory, or under a hidden directory (`/var/tmp/.cache/x`).
pub fn is_unusual_executable(path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    let directories = path.rsplit_once('/').map_or("", |(directory, _)| directory);
    UNUSUAL_EXECUTABLE_DIRS.iter().any(|prefix| path.starts_with(prefix))
        || directories.split('/').any(|part| part.len() > 1 && part.starts_with('.') && part != "..")
}

/// The class of one chain and the name or path that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// The class.
    pub class: LineageClass,
    /// What decided it: the executable path, the web server or scheduler, the runtime, the
    /// entrypoint's command line.
    pub marker: Option<String>,
}

/// What the chain of one alert is read with besides its processes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChainContext<'a> {
    /// The process has a controlling terminal (`proc.tty` not 0).
    pub terminal: bool,
    /// The workload kind (`CronJob`, `Deployment`, ...), when known.
    pub workload_kind: Option<&'a str>,
}

/// Classifies a chain (triggering process first, oldest ancestor last).
pub fn classify(chain: &[&ProcessNode], context: ChainContext<'_>) -> Classified {
    let name = |index: usize| chain.get(index).and_then(|node| node.name.as_deref()).unwrap_or("");
    let found = |class: LineageClass, marker: Option<String>| Classified { class, marker };
    if let Some(path) = chain.iter().find_map(|node| executable_of(node).filter(|path| is_unusual_executable(path))) {
        return found(LineageClass::UnknownBinary, Some(path));
    }
    if !is_web_server(name(0))
        && let Some(index) = (1..chain.len()).find(|&index| is_web_server(name(index)))
    {
        return found(LineageClass::WebServer, Some(name(index).to_string()));
    }
    let runtime = (1..chain.len()).find(|&index| is_runtime(name(index)));
    if let Some(index) = runtime {
        if SHELLS.contains(&name(index - 1)) && context.terminal {
            return found(LineageClass::InteractiveShell, Some(name(index).to_string()));
        }
        if EXEC_RUNTIMES.contains(&name(index)) || name(index).starts_with("runc:") {
            return found(LineageClass::ExecCommand, Some(name(index).to_string()));
        }
    }
    if let Some(index) = (1..chain.len()).find(|&index| SCHEDULERS.contains(&name(index))) {
        return found(LineageClass::Scheduler, Some(name(index).to_string()));
    }
    if context.workload_kind == Some("CronJob") {
        return found(LineageClass::Scheduler, Some("CronJob".to_string()));
    }
    match runtime {
        Some(_) => {
            // `judge` walks up to the first runtime; the triggering process itself is never it here.
            let marker = if is_runtime(name(0)) {
                None
            } else {
                let judgement = judge(chain);
                let entry = judgement.entrypoint.and_then(|index| chain.get(index));
                entry.and_then(|node| node.cmdline.clone().or_else(|| node.name.clone()))
            };
            found(LineageClass::Entrypoint, marker)
        }
        None => found(LineageClass::Unknown, None),
    }
}

/// The executable of a node: its `proc.exepath`, else the first word of its command line when
/// that is a path.
fn executable_of(node: &ProcessNode) -> Option<String> {
    node.exepath.clone().or_else(|| {
        let first = node.cmdline.as_deref()?.split_whitespace().next()?;
        first.starts_with('/').then(|| first.to_string())
    })
}

/// Whether the alert's process has a controlling terminal (`proc.tty` present and not 0).
pub fn has_terminal(alert: &Alert) -> bool {
    alert.field_text("proc.tty").is_some_and(|tty| tty != "0" && !tty.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> ProcessNode {
        ProcessNode { name: Some(name.to_string()), ..ProcessNode::default() }
    }

    fn class_of(names: &[&str], terminal: bool) -> LineageClass {
        let nodes: Vec<ProcessNode> = names.iter().map(|name| node(name)).collect();
        let chain: Vec<&ProcessNode> = nodes.iter().collect();
        classify(&chain, ChainContext { terminal, workload_kind: None }).class
    }

    #[test]
    fn recognises_each_class() {
        assert_eq!(class_of(&["rm", "sh", "cron", "sh", "conmon"], false), LineageClass::Scheduler);
        assert_eq!(class_of(&["bash", "sh", "apache2", "apache2", "containerd-shim"], false), LineageClass::WebServer);
        assert_eq!(class_of(&["nmap", "bash", "runc", "containerd-shim"], true), LineageClass::InteractiveShell);
        assert_eq!(class_of(&["sh", "runc", "containerd-shim", "systemd"], true), LineageClass::InteractiveShell);
        assert_eq!(class_of(&["cat", "runc", "containerd-shim"], false), LineageClass::ExecCommand);
        assert_eq!(class_of(&["config-syncer", "containerd-shim", "systemd"], false), LineageClass::Entrypoint);
        assert_eq!(class_of(&["apache2", "apache2", "containerd-shim"], false), LineageClass::Entrypoint);
        assert_eq!(class_of(&["rm", "sh"], false), LineageClass::Unknown);
        assert_eq!(class_of(&["runc", "bash", "bash", "containerd-shim"], false), LineageClass::Entrypoint);
        let mut miner = node("easyminer");
        miner.exepath = Some("/dev/shm/easyminer".to_string());
        let rest = [node("bash"), node("bash"), node("containerd-shim")];
        let mut chain: Vec<&ProcessNode> = vec![&miner];
        chain.extend(rest.iter());
        let classified = classify(&chain, ChainContext::default());
        assert_eq!(classified.class, LineageClass::UnknownBinary);
        assert_eq!(classified.marker.as_deref(), Some("/dev/shm/easyminer"));
        let cron_job = [node("python3"), node("containerd-shim")];
        let chain: Vec<&ProcessNode> = cron_job.iter().collect();
        let context = ChainContext { terminal: false, workload_kind: Some("CronJob") };
        assert_eq!(classify(&chain, context).class, LineageClass::Scheduler);
    }

    #[test]
    fn unusual_executables() {
        assert!(is_unusual_executable("/dev/shm/easyminer"));
        assert!(is_unusual_executable("/var/tmp/.cache/kworkerd"));
        assert!(is_unusual_executable("/home/app/.local/x"));
        assert!(!is_unusual_executable("/usr/bin/rm"));
        assert!(!is_unusual_executable("./run.sh"));
        assert!(!is_unusual_executable("/usr/lib/../bin/x"));
        assert!(is_web_server("php-fpm8.2") && !is_web_server("rm"));
    }
}
