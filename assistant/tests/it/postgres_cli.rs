//! `saker ingest` into PostgreSQL through the config's `store:` section, and `saker bench
//! ingest|tools --backend` on both backends, against the throwaway server (`postgres_server`):
//! tiny runs that check the plumbing (which store is loaded, what is reused or refused, that the
//! password is never printed), never the timings.

use std::process::{Command, Output};

use super::postgres_server::postgres_server;
use super::support::{run, saker, stderr, stdout, upstream_rules, write_synthetic_alerts};

/// A password the test server ignores (it trusts loopback logins): it must never be printed.
const PASSWORD: &str = "never-shown-7c1e";

/// A fresh database's URL with [`PASSWORD`] in it, when the server's URL has none.
fn database_url_with_password() -> String {
    let url = postgres_server().fresh_database();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url;
    };
    match rest.split_once('@') {
        Some((user, host)) if !user.contains(':') => format!("{scheme}://{user}:{PASSWORD}@{host}"),
        _ => url,
    }
}

/// One row's single value from `psql`.
fn psql_value(url: &str, sql: &str) -> String {
    let output = Command::new("psql").args([url, "-tA", "-c", sql]).output().expect("psql runs");
    assert!(output.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Neither output stream shows the password.
fn assert_no_password(output: &Output) {
    assert!(!stdout(output).contains(PASSWORD) && !stderr(output).contains(PASSWORD), "the password was printed");
}

#[test]
fn saker_ingest_stores_into_postgres_once_and_records_the_runs() {
    let url = database_url_with_password();
    let work = tempfile::tempdir().expect("tempdir");
    let alerts = work.path().join("alerts.jsonl");
    write_synthetic_alerts(&alerts, 50);
    let config = work.path().join("saker.yaml");
    std::fs::write(&config, "store:\n  backend: postgres\n  url_env: SAKER_TEST_INGEST_URL\n").expect("config");
    let data = work.path().join("data");
    let ingest = || {
        run(saker(&data)
            .arg("ingest")
            .arg("--config")
            .arg(&config)
            .arg(&alerts)
            .env("SAKER_TEST_INGEST_URL", &url)
            .env_remove("SAKER_CONFIG"))
    };

    let first = ingest();
    assert_eq!(first.status.code(), Some(0), "stderr: {}", stderr(&first));
    assert!(stdout(&first).contains("accepted 50, duplicates 0, rejected 0"), "stdout: {}", stdout(&first));
    let again = ingest();
    assert_eq!(again.status.code(), Some(0), "stderr: {}", stderr(&again));
    assert!(stdout(&again).contains("accepted 0, duplicates 50, rejected 0"), "stdout: {}", stdout(&again));
    assert_no_password(&first);

    assert_eq!(psql_value(&url, "SELECT count(*) FROM alerts"), "50");
    assert_eq!(
        psql_value(&url, "SELECT string_agg(accepted || '/' || duplicates, ' ' ORDER BY id) FROM ingest_runs"),
        "50/0 0/50"
    );
    assert!(!data.join("index").exists(), "the embedded index was written too");
}

#[test]
fn bench_measures_both_backends_in_one_run_and_reuses_or_refuses_the_database() {
    let url = database_url_with_password();
    let work = tempfile::tempdir().expect("tempdir");
    let bench = |arguments: &[&str]| {
        let mut command = saker(work.path());
        command
            .arg("bench")
            .args(arguments)
            .args(["--count", "2000", "--json", "--python", "/nonexistent/python3", "--work-dir"])
            .arg(work.path())
            .env("SAKER_DATABASE_URL", &url)
            .env_remove("SAKER_CONFIG");
        run(&mut command)
    };

    let ingest = bench(&["ingest", "--backend", "both"]);
    assert!(ingest.status.success(), "stderr: {}", stderr(&ingest));
    assert_no_password(&ingest);
    let report: serde_json::Value = serde_json::from_str(&stdout(&ingest)).expect("json");
    assert_eq!(report["alerts"], 2000);
    for backend in ["embedded", "postgres"] {
        assert!(report[backend]["alerts_per_second"].as_f64().is_some_and(|rate| rate > 0.0), "{report}");
        assert!(report[backend]["peak_rss_bytes"].as_u64().is_some_and(|bytes| bytes > 0), "{report}");
        assert!(report[backend]["disk_bytes"].as_u64().is_some_and(|bytes| bytes > 0), "{report}");
    }
    let server = &report["postgres_server"];
    assert!(server["version"].as_str().is_some_and(|version| version.starts_with("PostgreSQL")), "{report}");
    assert!(server["settings"].to_string().contains("synchronous_commit"), "{report}");
    assert!(report["duckdb_problem"].is_string(), "{report}");
    assert_eq!(psql_value(&url, "SELECT count(*) FROM alerts"), "2000");
    assert!(work.path().join("saker-data/index").exists(), "the embedded index was not written");

    let refused = bench(&["ingest", "--backend", "postgres"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("already holds 2000 alerts") && stderr(&refused).contains("--reset-database"),
        "stderr: {}",
        stderr(&refused)
    );
    assert_no_password(&refused);

    let mut tools = vec!["tools", "--backend", "both", "--iterations", "1"];
    let rules = upstream_rules();
    let rules: Vec<String> = rules.iter().map(|path| path.display().to_string()).collect();
    for path in &rules {
        tools.extend(["--rules", path.as_str()]);
    }
    let measured = bench(&tools);
    assert!(measured.status.success(), "stderr: {}", stderr(&measured));
    assert!(stderr(&measured).contains("already holds the 2000 generated alerts"), "stderr: {}", stderr(&measured));
    assert_no_password(&measured);
    let report: serde_json::Value = serde_json::from_str(&stdout(&measured)).expect("json");
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 9);
    for case in cases {
        for backend in ["embedded", "postgres"] {
            assert!(case[backend]["p50_ms"].as_f64().is_some(), "{case}");
        }
    }

    let reset = bench(&["ingest", "--backend", "postgres", "--reset-database"]);
    assert!(reset.status.success(), "stderr: {}", stderr(&reset));
    assert_eq!(psql_value(&url, "SELECT count(*) FROM alerts"), "2000");
    assert_eq!(psql_value(&url, "SELECT count(*) FROM alert_ids"), "2000");

    let unnamed = run(saker(work.path())
        .args(["bench", "tools", "--backend", "postgres", "--count", "10", "--work-dir"])
        .arg(work.path())
        .env_remove("SAKER_DATABASE_URL"));
    assert!(!unnamed.status.success());
    assert!(stderr(&unnamed).contains("--database-url or SAKER_DATABASE_URL"), "stderr: {}", stderr(&unnamed));
}
