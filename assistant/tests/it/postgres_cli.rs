//! `saker ingest` into PostgreSQL through the config's `store:` section, against the throwaway
//! server (`postgres_server`): which store is loaded, the runs recorded, the password never
//! printed.

use std::process::{Command, Output};

use super::postgres_server::postgres_server;
use super::support::{run, saker, stderr, stdout, write_synthetic_alerts};

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
