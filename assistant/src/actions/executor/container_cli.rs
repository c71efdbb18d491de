//! Container stop, pause and kill through the container runtime's own CLI (`docker`, `podman`,
//! `nerdctl`, `crictl`), the one found on `PATH` or the one configured. Arguments are passed as
//! separate words, never through a shell.

use std::path::{Path, PathBuf};
use std::time::Duration;

use saker_tools::actions::ActionKind;
use serde_json::json;

use super::{Operation, Outcome};

/// The CLIs Saker knows, in the order they are looked for.
const KNOWN: [&str; 4] = ["docker", "podman", "nerdctl", "crictl"];

/// A container runtime CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeCli {
    /// The program.
    pub program: PathBuf,
    /// Which one it is (`docker`, ...).
    pub flavor: &'static str,
}

/// The configured CLI (a name or a path), else the first known one on `PATH`.
pub fn find(configured: Option<&str>, path_variable: Option<&str>) -> Result<RuntimeCli, String> {
    let search = |name: &str| -> Option<PathBuf> {
        if name.contains('/') {
            return Some(PathBuf::from(name)).filter(|path| path.is_file());
        }
        path_variable?.split(':').map(|directory| Path::new(directory).join(name)).find(|path| path.is_file())
    };
    match configured {
        Some(configured) => {
            let base = Path::new(configured).file_name().and_then(|name| name.to_str()).unwrap_or(configured);
            let flavor = KNOWN
                .iter()
                .find(|known| **known == base)
                .copied()
                .ok_or_else(|| format!("container_runtime {configured:?} is not one of {}", KNOWN.join(", ")))?;
            let program =
                search(configured).ok_or_else(|| format!("container runtime CLI {configured:?} not found"))?;
            Ok(RuntimeCli { program, flavor })
        }
        None => {
            KNOWN.iter().find_map(|flavor| search(flavor).map(|program| RuntimeCli { program, flavor })).ok_or_else(
                || format!("no container runtime CLI on this machine (looked for {} on PATH)", KNOWN.join(", ")),
            )
        }
    }
}

/// The arguments that carry out `kind` (or undo it) on `container` with `flavor`.
pub fn arguments(
    flavor: &str,
    kind: ActionKind,
    operation: Operation,
    container: &str,
    grace_seconds: u32,
) -> Result<Vec<String>, String> {
    let grace = grace_seconds.to_string();
    let words: Vec<&str> = match (flavor, kind, operation) {
        ("crictl", ActionKind::StopContainer, Operation::Execute) => vec!["stop", "--timeout", &grace],
        ("crictl", ActionKind::KillContainer, Operation::Execute) => vec!["stop", "--timeout", "0"],
        ("crictl", ActionKind::PauseContainer, _) => {
            return Err("crictl cannot pause a container; use docker, podman or nerdctl".to_string());
        }
        (_, ActionKind::StopContainer, Operation::Execute) => vec!["stop", "--time", &grace],
        (_, ActionKind::KillContainer, Operation::Execute) => vec!["kill", "--signal", "KILL"],
        (_, ActionKind::PauseContainer, Operation::Execute) => vec!["pause"],
        (_, ActionKind::PauseContainer, Operation::Revert) => vec!["unpause"],
        (_, kind, Operation::Revert) => return Err(format!("{kind} cannot be undone")),
        (_, kind, _) => return Err(format!("{kind} is not a container action")),
    };
    let mut arguments: Vec<String> = words.into_iter().map(str::to_string).collect();
    arguments.push(container.to_string());
    Ok(arguments)
}

/// Runs the CLI with `arguments`, within `timeout`.
pub async fn run(cli: &RuntimeCli, arguments: Vec<String>, timeout: Duration) -> Outcome {
    let command_line = format!("{} {}", cli.program.display(), arguments.join(" "));
    let child = tokio::process::Command::new(&cli.program).args(&arguments).kill_on_drop(true).output();
    match tokio::time::timeout(timeout, child).await {
        Err(_) => Outcome::failed(
            format!("{command_line} did not finish within {} s", timeout.as_secs()),
            json!({"command": command_line}),
        ),
        Ok(Err(error)) => {
            Outcome::failed(format!("cannot run {command_line}: {error}"), json!({"command": command_line}))
        }
        Ok(Ok(output)) => {
            let detail = json!({
                "command": command_line,
                "exit_code": output.status.code(),
                "stdout": String::from_utf8_lossy(&output.stdout).chars().take(2048).collect::<String>(),
                "stderr": String::from_utf8_lossy(&output.stderr).chars().take(2048).collect::<String>(),
            });
            if output.status.success() {
                Outcome::done(format!("{command_line}: done"), detail)
            } else {
                Outcome::failed(format!("{command_line} failed ({})", output.status), detail)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_runtime_gets_its_own_words() {
        let docker = arguments("docker", ActionKind::StopContainer, Operation::Execute, "caf498b56761", 10);
        assert_eq!(docker.expect("docker"), ["stop", "--time", "10", "caf498b56761"]);
        let kill = arguments("podman", ActionKind::KillContainer, Operation::Execute, "c1", 10).expect("podman");
        assert_eq!(kill, ["kill", "--signal", "KILL", "c1"]);
        let unpause = arguments("nerdctl", ActionKind::PauseContainer, Operation::Revert, "c1", 10).expect("nerdctl");
        assert_eq!(unpause, ["unpause", "c1"]);
        let crictl = arguments("crictl", ActionKind::KillContainer, Operation::Execute, "c1", 10).expect("crictl");
        assert_eq!(crictl, ["stop", "--timeout", "0", "c1"]);
        assert!(arguments("crictl", ActionKind::PauseContainer, Operation::Execute, "c1", 10).is_err());
        assert!(arguments("docker", ActionKind::KillContainer, Operation::Revert, "c1", 10).is_err());
    }

    #[test]
    fn a_missing_runtime_is_said_and_a_configured_one_must_be_known() {
        let empty = tempfile::tempdir().expect("tempdir");
        let path = empty.path().display().to_string();
        let error = find(None, Some(&path)).expect_err("none on PATH");
        assert!(error.contains("docker, podman, nerdctl, crictl"), "{error}");
        assert!(find(Some("runc"), Some(&path)).expect_err("unknown").contains("not one of"));
        std::fs::write(empty.path().join("podman"), "").expect("file");
        let found = find(None, Some(&path)).expect("found");
        assert_eq!(found.flavor, "podman");
    }

    #[tokio::test]
    async fn the_command_runs_without_a_shell_and_its_failure_is_reported() {
        let cli = RuntimeCli { program: PathBuf::from("/bin/false"), flavor: "docker" };
        let outcome = run(&cli, vec!["stop".into(), "$(reboot)".into()], Duration::from_secs(10)).await;
        assert!(!outcome.succeeded);
        assert_eq!(outcome.detail["command"], "/bin/false stop $(reboot)");
        let cli = RuntimeCli { program: PathBuf::from("/bin/echo"), flavor: "docker" };
        let outcome = run(&cli, vec!["pause".into(), "c1; rm -rf /".into()], Duration::from_secs(10)).await;
        assert!(outcome.succeeded, "{outcome:?}");
        assert_eq!(outcome.detail["stdout"], "pause c1; rm -rf /\n", "one argument, not a shell line");
    }
}
