//! `saker ingest`, `saker stats` and `saker demo` as a user runs them.

use std::io::Write;

use super::support::{run, saker, shared_dir, stderr, stdout, write_synthetic_alerts};

#[test]
fn every_real_sample_ingests_and_the_repaired_one_is_reported() {
    let data = tempfile::tempdir().expect("tempdir");
    let events = shared_dir().join("reference/falco/events");
    let mut files: Vec<_> = std::fs::read_dir(&events)
        .expect("events")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    files.sort();
    let output = run(saker(data.path()).arg("ingest").args(&files));
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let errors = stderr(&output);
    assert!(
        errors.contains("edge_cases.jsonl:1: warning: stored after a repair: field \"time\": ignored \"+2\""),
        "stderr: {errors}"
    );
    assert!(
        stdout(&output).contains("accepted 34 (1 repaired), duplicates 0, rejected 0"),
        "stdout: {}",
        stdout(&output)
    );

    let again = run(saker(data.path()).arg("ingest").args(&files));
    assert_eq!(again.status.code(), Some(0));
    assert!(stdout(&again).contains("accepted 0, duplicates 34, rejected 0"), "stdout: {}", stdout(&again));

    let stats = run(saker(data.path()).args(["stats", "--json", "--by", "source", "--by", "priority"]));
    assert!(stats.status.success(), "stderr: {}", stderr(&stats));
    let report: serde_json::Value = serde_json::from_str(&stdout(&stats)).expect("json");
    assert_eq!(report["total"], 34);
    let by_source = &report["groups"][0];
    assert_eq!(by_source["by"], "source");
    let sources: Vec<(String, u64)> = serde_json::from_value(by_source["groups"].clone()).expect("groups");
    // Counted by hand from the sample files (INDEX.tsv): 6 k8s_audit, 5 internal metrics,
    // and the rest syscall (source absent means syscall; "syscalls" is kept as written).
    assert!(sources.contains(&("k8s_audit".to_string(), 6)), "{sources:?}");
    assert!(sources.contains(&("internal".to_string(), 5)), "{sources:?}");
    assert!(sources.contains(&("syscalls".to_string(), 1)), "{sources:?}");
    assert!(sources.contains(&("syscall".to_string(), 22)), "{sources:?}");
}

#[test]
fn reads_gzip_and_stdin_and_applies_the_cluster_option() {
    let data = tempfile::tempdir().expect("tempdir");
    let plain = data.path().join("alerts.jsonl");
    write_synthetic_alerts(&plain, 50);
    let gzipped = data.path().join("alerts.jsonl.gz");
    {
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&gzipped).expect("create"),
            flate2::Compression::fast(),
        );
        encoder.write_all(&std::fs::read(&plain).expect("read")).expect("compress");
        encoder.finish().expect("finish");
    }
    let output = run(saker(data.path()).args(["ingest", "--cluster", "lab"]).arg(&gzipped));
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(stdout(&output).contains("accepted 50, duplicates 0, rejected 0"));

    let mut child = saker(data.path())
        .args(["ingest", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&std::fs::read(&plain).expect("read")).expect("write");
    stdin.write_all(b"{\"time\": \"2026-11-19T00:00:00Z\", \"rule\": \"x\"}\n").expect("write");
    drop(stdin);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(3));
    assert!(stdout(&output).contains("accepted 0, duplicates 50, rejected 1"), "{}", stdout(&output));
    assert!(stderr(&output).contains("stdin:51: field \"priority\": missing"), "{}", stderr(&output));

    let stats = run(saker(data.path()).args(["stats", "--json", "--by", "cluster", "--scope", "k8s.cluster.name=lab"]));
    let report: serde_json::Value = serde_json::from_str(&stdout(&stats)).expect("json");
    assert_eq!(report["total"], 50);
}

#[test]
fn bad_options_name_the_problem() {
    let data = tempfile::tempdir().expect("tempdir");
    let output = run(saker(data.path()).args(["stats", "--by", "colour"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--by \"colour\" is not a dimension"), "{}", stderr(&output));
    let output = run(saker(data.path()).args(["stats", "--last", "7 days"]));
    assert!(stderr(&output).contains("last: \"7 days\" is not a duration"), "{}", stderr(&output));
    let output = run(saker(data.path()).args(["stats", "--scope", "k8s.ns.name ="]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("invalid --scope"), "{}", stderr(&output));
    let output = run(saker(data.path()).args(["ingest", "/no/such/file.jsonl"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("/no/such/file.jsonl: cannot open"), "{}", stderr(&output));
}
