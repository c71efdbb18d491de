//! Crash safety: a writer process killed with a batch added but not committed. Everything it
//! committed is there, nothing of the uncommitted batch, and the store opens and works.
//!
//! The child is this test binary again, running `crash_child_writes_until_killed` with
//! `SAKER_STORE_CRASH_CHILD` set to `<backend> <location>`; without it that test does nothing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use saker_tools::alert::parse_alert;
use saker_tools::store::AlertFilter;

use super::backend::Backend;

const CHILD_VARIABLE: &str = "SAKER_STORE_CRASH_CHILD";
const COMMITTED: u64 = 300;
const UNCOMMITTED: u64 = 200;

/// A numbered alert line (ids from falcosidekick's `uuid`, so the test knows them).
fn numbered(index: u64) -> (String, String) {
    let id = format!("crash-{index:05}");
    let line = serde_json::json!({
        "uuid": id, "time": format!("2026-11-{:02}T10:00:00.{:09}Z", 18 + index % 3, index),
        "rule": "Crash test", "priority": "Notice", "output": format!("alert {index}"),
        "output_fields": {"proc.name": "sh", "k8s.ns.name": "crash"}
    });
    (id, line.to_string())
}

#[test]
fn crash_child_writes_until_killed() {
    let Ok(spec) = std::env::var(CHILD_VARIABLE) else {
        return;
    };
    let (backend, location) = spec.split_once(' ').expect("backend and location");
    let store = Backend::named(backend).reopen(location);
    let mut writer = store.writer().expect("writer");
    for index in 0..COMMITTED + UNCOMMITTED {
        let (_, line) = numbered(index);
        let alert = parse_alert(&line, None).expect("valid");
        writer.add(&alert, &line).expect("add");
        if index + 1 == COMMITTED {
            writer.commit().expect("commit");
            println!("\nchild: committed");
        }
    }
    println!("\nchild: added");
    std::thread::sleep(std::time::Duration::from_secs(600));
}

pub fn a_killed_writer_loses_only_its_uncommitted_batch(backend: Backend) {
    let test_store = backend.open_empty();
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "store_suite::crash::crash_child_writes_until_killed", "--nocapture", "--test-threads=1"])
        .env(CHILD_VARIABLE, format!("{} {}", backend.name(), test_store.location))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("child writer");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut said = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        said.push(line.clone());
        if line == "child: added" {
            break;
        }
    }
    assert!(said.iter().any(|line| line == "child: committed"), "child said {said:?}");
    child.kill().expect("kill the child");
    child.wait().expect("reap the child");
    // The embedded writer's lock is released by the kill; PostgreSQL aborted nothing (the
    // uncommitted batch never left the child).
    drop(test_store.store);
    let store = backend.reopen(&test_store.location);
    assert_eq!(store.len().expect("len"), COMMITTED);
    let committed: Vec<String> = (0..COMMITTED).map(|index| numbered(index).0).collect();
    assert_eq!(store.get(&committed).expect("get").len() as u64, COMMITTED, "every committed alert is there");
    let uncommitted: Vec<String> = (COMMITTED..COMMITTED + UNCOMMITTED).map(|index| numbered(index).0).collect();
    assert!(store.get(&uncommitted).expect("get").is_empty(), "no uncommitted alert is there");
    // The store works: the lost batch can be written again, the committed one is a duplicate.
    let mut writer = store.writer().expect("writer after the crash");
    for index in 0..COMMITTED + UNCOMMITTED {
        let (_, line) = numbered(index);
        writer.add(&parse_alert(&line, None).expect("valid"), &line).expect("add");
    }
    writer.commit().expect("commit");
    drop(writer);
    assert_eq!(store.count(&AlertFilter::all()).expect("count"), COMMITTED + UNCOMMITTED);
}
