//! Helpers for running the `saker` binary in tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The reference material beside the repository.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"))
}

/// A `saker` command with its data directory set.
pub fn saker(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_saker"));
    command.env("SAKER_DATA_DIR", data_dir).env_remove("SAKER_LOG");
    command
}

/// Runs a command and returns its output, failing the test if it cannot start.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("saker runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `count` distinct synthetic Falco alerts as JSON Lines.
pub fn write_synthetic_alerts(path: &Path, count: usize) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("create");
    let mut writer = std::io::BufWriter::new(file);
    for index in 0..count {
        let seconds = index % 86_400;
        let line = serde_json::json!({
            "time": format!("2026-11-19T{:02}:{:02}:{:02}.{:09}Z", seconds / 3600, (seconds / 60) % 60, seconds % 60, index),
            "rule": "Terminal shell in container",
            "priority": "Notice",
            "source": "syscall",
            "tags": ["container", "shell", "mitre_execution", "T1059"],
            "hostname": format!("node-{}", index % 7),
            "output": format!("A shell was spawned in a container (user=root pid={index})"),
            "output_fields": {
                "k8s.ns.name": format!("ns-{}", index % 13),
                "k8s.pod.name": format!("web-7d9fbb6c5d-x{:04}", index % 1000),
                "proc.pid": index,
                "proc.name": "bash",
            },
        });
        writeln!(writer, "{line}").expect("write");
    }
    writer.flush().expect("flush");
}
