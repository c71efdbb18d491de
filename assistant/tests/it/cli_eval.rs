//! `saker eval` runs the `saker-eval` harness binary beside it with the same arguments and exits
//! with its status; without the harness it says how to build it. Tested with a copy of `saker`
//! in a directory of its own, beside a stand-in harness script.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use super::support::{run, stderr, stdout};

fn copy_of_saker(directory: &Path) -> std::path::PathBuf {
    let copy = directory.join("saker");
    std::fs::copy(env!("CARGO_BIN_EXE_saker"), &copy).expect("copy saker");
    copy
}

#[test]
fn saker_eval_hands_its_arguments_to_the_harness_and_returns_its_status() {
    let directory = tempfile::tempdir().expect("tempdir");
    let saker = copy_of_saker(directory.path());
    let harness = directory.path().join("saker-eval");
    std::fs::write(&harness, "#!/bin/sh\necho \"harness got: $*\"\nexit 3\n").expect("write harness");
    std::fs::set_permissions(&harness, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let output = run(Command::new(&saker).args(["eval", "--backend", "llm", "--suite", "a b.yaml", "--help"]));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(stdout(&output), "harness got: --backend llm --suite a b.yaml --help\n");
}

#[test]
fn saker_eval_without_the_harness_says_how_to_build_it() {
    let directory = tempfile::tempdir().expect("tempdir");
    let saker = copy_of_saker(directory.path());
    let output = run(Command::new(&saker).arg("eval").env("PATH", directory.path().join("nothing-here")));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("cargo build -p saker-eval"), "{message}");
}
