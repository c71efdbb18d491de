//! The host executor: acts on this machine. `kill_process` sends SIGKILL to the host pid after
//! checking that it still runs the process the alerts named (and is in the container they
//! named); `quarantine_file` moves the file into the quarantine area (container files through
//! `/proc/<pid>/root`); container kinds run the runtime CLI. Targets reported by another host
//! are refused unless `any_host` is set: pids and paths mean nothing on another machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use saker_tools::actions::{ActionKind, ActionTarget, StoredAction};
use serde_json::{Value, json};

use super::container_cli;
use super::quarantine;
use super::{Operation, Outcome};
use crate::actions::settings::HostSettings;

/// `comm` is cut to this many bytes by the kernel.
const COMM_LENGTH: usize = 15;

/// The host executor.
#[derive(Debug, Clone)]
pub struct HostExecutor {
    quarantine_dir: PathBuf,
    container_runtime: Option<String>,
    any_host: bool,
    timeout: Duration,
    proc_root: PathBuf,
}

impl HostExecutor {
    /// From its settings; quarantine under `<data_dir>/quarantine` unless configured.
    pub fn new(settings: &HostSettings, data_dir: &Path) -> Result<HostExecutor, String> {
        let quarantine_dir = settings.quarantine_dir.clone().unwrap_or_else(|| data_dir.join("quarantine"));
        Ok(HostExecutor {
            quarantine_dir,
            container_runtime: settings.container_runtime.clone(),
            any_host: settings.any_host,
            timeout: Duration::from_secs(settings.timeout_seconds.unwrap_or(60).clamp(1, 3600)),
            proc_root: PathBuf::from("/proc"),
        })
    }

    /// Where quarantined files go.
    pub fn quarantine_dir(&self) -> &Path {
        &self.quarantine_dir
    }

    /// Carries out or undoes `action`.
    pub async fn run(&self, action: &StoredAction, operation: Operation) -> Outcome {
        let target = &action.proposal.target;
        if let Err(refusal) = self.check_host(target) {
            return refusal;
        }
        let kind = action.proposal.kind;
        match (kind, operation) {
            (ActionKind::KillProcess, Operation::Execute) => self.kill_process(target),
            (ActionKind::QuarantineFile, Operation::Execute) => self.quarantine(&action.id, target),
            (ActionKind::QuarantineFile, Operation::Revert) => self.restore(&action.id, target),
            (ActionKind::KillContainer | ActionKind::StopContainer | ActionKind::PauseContainer, _) => {
                self.container(action, operation).await
            }
            (ActionKind::IsolateWorkload | ActionKind::DeletePod, _) => Outcome::failed(
                format!(
                    "{kind} needs the Kubernetes API: configure a kubernetes executor for cluster {}",
                    target.cluster.as_deref().unwrap_or("(none)")
                ),
                json!({}),
            ),
            (kind, Operation::Revert) => Outcome::failed(format!("{kind} cannot be undone"), json!({})),
        }
    }

    fn check_host(&self, target: &ActionTarget) -> Result<(), Outcome> {
        let Some(host) = target.host.as_deref() else { return Ok(()) };
        let local = local_hostname();
        if self.any_host || local.as_deref() == Some(host) {
            return Ok(());
        }
        Err(Outcome::failed(
            format!(
                "the target is on host {host}, and this is {}: run Saker's host executor on {host} (or set any_host)",
                local.as_deref().unwrap_or("an unnamed host")
            ),
            json!({"target_host": host, "this_host": local}),
        ))
    }

    fn process_dir(&self, pid: i64) -> PathBuf {
        self.proc_root.join(pid.to_string())
    }

    /// Checks that `pid` runs `expected` (its `comm`) and, for a container target, belongs to
    /// the container; returns what was checked.
    fn check_process(&self, pid: i64, target: &ActionTarget) -> Result<Value, String> {
        let directory = self.process_dir(pid);
        let comm = std::fs::read_to_string(directory.join("comm"))
            .map_err(|_| format!("no process with pid {pid} on this host: it has exited"))?;
        let comm = comm.trim_end_matches('\n').to_string();
        if let Some(expected) = target.process.as_deref() {
            let expected_comm: String = expected.bytes().take(COMM_LENGTH).map(char::from).collect();
            if comm != expected && comm != expected_comm {
                return Err(format!(
                    "pid {pid} now runs {comm:?}, not {expected:?}: the process exited and its pid was reused; nothing \
                     was signalled"
                ));
            }
        }
        if let Some(container) = target.container_id.as_deref().filter(|id| *id != "host") {
            let cgroup = std::fs::read_to_string(directory.join("cgroup")).unwrap_or_default();
            if !cgroup.contains(container) {
                return Err(format!("pid {pid} is not in container {container} (its cgroup does not name it)"));
            }
        }
        Ok(json!({"pid": pid, "comm": comm, "container_checked": target.container_id}))
    }

    fn kill_process(&self, target: &ActionTarget) -> Outcome {
        let Some(pid) = target.pid else {
            return Outcome::failed("the action names no pid", json!({}));
        };
        let checked = match self.check_process(pid, target) {
            Ok(checked) => checked,
            Err(message) => return Outcome::failed(message, json!({"pid": pid})),
        };
        let Some(raw) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
            return Outcome::failed(format!("pid {pid} is not a valid process id"), json!({"pid": pid}));
        };
        match rustix::process::kill_process(raw, rustix::process::Signal::KILL) {
            Ok(()) => Outcome::done(
                format!("SIGKILL sent to pid {pid} ({})", checked["comm"].as_str().unwrap_or_default()),
                json!({"signal": "SIGKILL", "checked": checked}),
            ),
            Err(error) => Outcome::failed(
                format!(
                    "cannot signal pid {pid}: {error} (the host executor needs the right to signal it: run as root)"
                ),
                json!({"signal": "SIGKILL", "checked": checked}),
            ),
        }
    }

    /// The path of the target's file on this machine: through `/proc/<pid>/root` for a file
    /// inside a container (the process must still run there).
    fn resolve_file(&self, target: &ActionTarget) -> Result<PathBuf, String> {
        let file = target.file.as_deref().ok_or("the action names no file")?;
        match target.container_id.as_deref().filter(|id| *id != "host") {
            None => quarantine::resolve_below(Path::new("/"), file),
            Some(container) => {
                let pid = target.pid.ok_or_else(|| {
                    format!(
                        "{file} is inside container {container}, and the alerts name no process to reach it through"
                    )
                })?;
                self.check_process(pid, &ActionTarget { process: None, ..target.clone() }).map_err(|problem| {
                    format!("{file} is inside container {container}, reached through pid {pid}: {problem}")
                })?;
                quarantine::resolve_below(&self.process_dir(pid).join("root"), file)
            }
        }
    }

    fn quarantine(&self, action_id: &str, target: &ActionTarget) -> Outcome {
        let resolved = match self.resolve_file(target) {
            Ok(resolved) => resolved,
            Err(message) => return Outcome::failed(message, json!({})),
        };
        let original = target.file.clone().unwrap_or_default();
        match quarantine::quarantine(&self.quarantine_dir, action_id, &resolved, &original) {
            Ok(manifest) => Outcome::done(
                format!("{original} quarantined (SHA-256 {}) in {}", manifest.sha256, manifest.quarantined_file),
                json!({"manifest": manifest}),
            ),
            Err(message) => Outcome::failed(message, json!({"resolved_path": resolved})),
        }
    }

    fn restore(&self, action_id: &str, target: &ActionTarget) -> Outcome {
        let resolved = match self.resolve_file(target) {
            Ok(resolved) => resolved,
            Err(message) => {
                return Outcome::failed(format!("{message}; the file stays in quarantine"), json!({}));
            }
        };
        match quarantine::restore(&self.quarantine_dir, action_id, &resolved) {
            Ok((manifest, warnings)) => Outcome::done(
                format!("{} restored with its hash checked", manifest.original_path),
                json!({"manifest": manifest, "warnings": warnings}),
            ),
            Err(message) => Outcome::failed(message, json!({})),
        }
    }

    async fn container(&self, action: &StoredAction, operation: Operation) -> Outcome {
        let target = &action.proposal.target;
        let Some(container) = target.container_id.as_deref() else {
            return Outcome::failed("the action names no container", json!({}));
        };
        let path = std::env::var("PATH").ok();
        let cli = match container_cli::find(self.container_runtime.as_deref(), path.as_deref()) {
            Ok(cli) => cli,
            Err(message) => return Outcome::failed(message, json!({})),
        };
        let grace = action.proposal.parameters.grace_period_seconds.unwrap_or(10);
        match container_cli::arguments(cli.flavor, action.proposal.kind, operation, container, grace) {
            Ok(arguments) => container_cli::run(&cli, arguments, self.timeout).await,
            Err(message) => Outcome::failed(message, json!({"runtime": cli.flavor})),
        }
    }
}

/// This machine's host name, as Falco reports it (`/proc/sys/kernel/hostname`).
pub fn local_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
}

/// What the host executor would do (for the dry run).
pub fn plan(action: &StoredAction, operation: Operation) -> Value {
    let target = &action.proposal.target;
    let kind = action.proposal.kind;
    let host = target.host.as_deref().unwrap_or("the host the alerts came from");
    match (kind, operation) {
        (ActionKind::KillProcess, _) => json!({
            "on_host": host,
            "check": format!("/proc/{}/comm is {:?}{}", target.pid.unwrap_or_default(), target.process.as_deref().unwrap_or(""),
                target.container_id.as_deref().map(|id| format!(" and its cgroup names container {id}")).unwrap_or_default()),
            "signal": "SIGKILL",
            "pid": target.pid,
        }),
        (ActionKind::QuarantineFile, Operation::Execute) => json!({
            "on_host": host,
            "move": target.file,
            "through": target.container_id.as_ref().map(|_| format!("/proc/{}/root", target.pid.unwrap_or_default())),
            "into": "<quarantine dir>/<action id>/file (mode 0400) with manifest.json: sha256, size, owner, mode, mtime, original path",
        }),
        (ActionKind::QuarantineFile, Operation::Revert) => json!({
            "on_host": host,
            "restore": target.file,
            "check": "the quarantined copy's SHA-256 equals the manifest's; nothing exists at the path",
        }),
        (_, _) => {
            let grace = action.proposal.parameters.grace_period_seconds.unwrap_or(10);
            let arguments = container_cli::arguments(
                "docker",
                kind,
                operation,
                target.container_id.as_deref().unwrap_or(""),
                grace,
            );
            json!({"on_host": host, "container_runtime_cli": arguments.map(|words| words.join(" ")).unwrap_or_else(|error| error)})
        }
    }
}

/// A test-only executor reading another `/proc`, for tests that must not signal real pids.
#[cfg(test)]
impl HostExecutor {
    fn with_proc_root(mut self, root: PathBuf) -> HostExecutor {
        self.proc_root = root;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executor(data: &Path) -> HostExecutor {
        let settings = HostSettings {
            clusters: vec!["*".into()],
            quarantine_dir: None,
            container_runtime: None,
            any_host: false,
            timeout_seconds: None,
        };
        HostExecutor::new(&settings, data).expect("executor")
    }

    #[test]
    fn a_reused_pid_or_another_container_is_never_signalled() {
        let data = tempfile::tempdir().expect("tempdir");
        let proc_root = data.path().join("proc");
        std::fs::create_dir_all(proc_root.join("4242")).expect("dir");
        std::fs::write(proc_root.join("4242/comm"), "nginx\n").expect("comm");
        std::fs::write(proc_root.join("4242/cgroup"), "0::/kubepods/pod1/cri-containerd-aaaa\n").expect("cgroup");
        let executor = executor(data.path()).with_proc_root(proc_root);
        let target = ActionTarget { pid: Some(4242), process: Some("easyminer".into()), ..ActionTarget::default() };
        let outcome = executor.kill_process(&target);
        assert!(!outcome.succeeded && outcome.message.contains("reused"), "{outcome:?}");
        let target = ActionTarget {
            pid: Some(4242),
            process: Some("nginx".into()),
            container_id: Some("bbbb".into()),
            ..ActionTarget::default()
        };
        let outcome = executor.kill_process(&target);
        assert!(!outcome.succeeded && outcome.message.contains("not in container bbbb"), "{outcome:?}");
        let gone = ActionTarget { pid: Some(1_999_999), process: Some("x".into()), ..ActionTarget::default() };
        assert!(executor.kill_process(&gone).message.contains("exited"));
    }

    #[test]
    fn another_hosts_target_is_refused() {
        let data = tempfile::tempdir().expect("tempdir");
        let target = ActionTarget { host: Some("ip-10-0-1-26.ec2.internal".into()), ..ActionTarget::default() };
        let refusal = executor(data.path()).check_host(&target).expect_err("another host");
        assert!(refusal.message.contains("ip-10-0-1-26.ec2.internal"), "{}", refusal.message);
    }

    #[test]
    fn long_process_names_match_the_kernels_cut() {
        let data = tempfile::tempdir().expect("tempdir");
        let proc_root = data.path().join("proc");
        std::fs::create_dir_all(proc_root.join("7")).expect("dir");
        std::fs::write(proc_root.join("7/comm"), "containerd-shim\n").expect("comm");
        let executor = executor(data.path()).with_proc_root(proc_root);
        let target = ActionTarget { process: Some("containerd-shim-runc-v2".into()), ..ActionTarget::default() };
        assert!(executor.check_process(7, &target).is_ok());
    }
}
