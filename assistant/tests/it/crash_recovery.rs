//! A `saker ingest` killed with SIGKILL loses at most its uncommitted batch, never corrupts
//! the store, and a second run completes the file with no duplicates.

use std::time::{Duration, Instant};

use saker_tools::store::AlertStore;
use saker_tools::store::index::TantivyStore;

use super::support::{run, saker, stderr, stdout, write_synthetic_alerts};

const ALERTS: usize = 200_000;
const BATCH: usize = 10_000;

#[test]
fn killed_ingest_resumes_without_loss_or_duplicates() {
    let data = tempfile::tempdir().expect("tempdir");
    let input = data.path().join("alerts.jsonl");
    write_synthetic_alerts(&input, ALERTS);

    let mut child = saker(data.path())
        .args(["ingest", "--commit-every", &BATCH.to_string()])
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn ingest");

    // Wait until at least one batch is committed, then kill the process mid-ingest.
    let index = data.path().join("index");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut committed_before_kill = 0;
    while Instant::now() < deadline {
        if let Ok(store) = TantivyStore::open(&index) {
            committed_before_kill = store.len().unwrap_or(0);
            if committed_before_kill > 0 {
                break;
            }
        }
        if child.try_wait().expect("poll child").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");

    let store = TantivyStore::open(&index).expect("store opens after a crash");
    let survived = store.len().expect("len");
    assert!(survived >= committed_before_kill);
    assert_eq!(survived % BATCH as u64, 0, "only whole committed batches survive");
    assert!(survived < ALERTS as u64, "the kill happened before the end ({survived} committed)");
    drop(store);

    let output = run(saker(data.path()).args(["ingest", "--json"]).arg(&input));
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json summary");
    assert_eq!(summary["duplicates"], survived);
    assert_eq!(summary["accepted"], ALERTS as u64 - survived);
    assert_eq!(summary["rejected"], 0);

    let store = TantivyStore::open(&index).expect("open");
    assert_eq!(store.len().expect("len"), ALERTS as u64);
}
