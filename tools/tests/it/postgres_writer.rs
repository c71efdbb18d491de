//! What only the PostgreSQL writer does: replicas whose batches overlap racing for the same ids
//! at the same moment (each alert stored once, none lost, the counts exact, no deadlock), the
//! raw alert text kept byte for byte through `COPY`, and a failed commit naming the database and
//! what it was doing. The behaviour both backends share is in `store_suite`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Barrier, Mutex};

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::store::postgres::PostgresStore;
use saker_tools::store::{AddOutcome, AlertStore};

use crate::postgres_server::postgres_server;

/// Rounds in which both writers commit at once.
const ROUNDS: usize = 8;
/// Alerts each writer adds per round; the other writer's batch of the round shares half of them.
const BATCH: usize = 1000;

/// Alert `number` as received: a tab between JSON tokens, escaped tabs, newlines, quotes and
/// backslashes inside strings, non-ASCII text; times spread over several days (partitions).
fn raw_alert(number: usize) -> String {
    let minute = number * 3;
    format!(
        "{{\"time\":\t\"2026-11-{day:02}T{hour:02}:{minute:02}:00.{number:09}Z\", \"rule\": \"Race\\tfor ids\", \
         \"priority\": \"Warning\", \"output\": \"alert {number}: tab\\there, line\\nbreak, back\\\\slash, \
         \\\"quoted\\\", 日本語\", \"output_fields\": {{\"proc.name\": \"sh\", \"proc.pid\": {number}, \
         \"k8s.ns.name\": \"race\"}}}}",
        day = 20 + minute / (24 * 60),
        hour = minute / 60 % 24,
        minute = minute % 60,
    )
}

/// The alerts writer `first` (or the other) adds in `round`, in the order it adds them: the
/// second writer's batch starts half a batch later and is added in reverse, so the two take the
/// same ids in opposite orders unless the writer orders them.
fn batch_of(round: usize, first: bool) -> Vec<usize> {
    let start = round * BATCH / 2 + if first { 0 } else { BATCH / 2 };
    let numbers: Vec<usize> = (start..start + BATCH).collect();
    if first { numbers } else { numbers.into_iter().rev().collect() }
}

/// Runs `query` (two text columns) on a connection of its own.
fn text_pairs(url: &str, query: &'static str) -> Vec<(String, String)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(url).await.expect("connect");
        let rows: Vec<(String, String)> = sqlx::query_as(query).fetch_all(&pool).await.expect("query");
        pool.close().await;
        rows
    })
}

fn psql(url: &str, statement: &str) {
    let output = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement])
        .output()
        .expect("psql (the PostgreSQL client) must be installed");
    assert!(output.status.success(), "{statement}: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn two_replicas_racing_on_overlapping_batches_store_each_alert_once() {
    let url = postgres_server().fresh_database();
    let first_replica = PostgresStore::connect(&url).expect("connect");
    first_replica.migrate().expect("migrate");
    let second_replica = PostgresStore::connect(&url).expect("connect as another replica");
    second_replica.migrate().expect("migrate again is a no-op");

    let every_number: BTreeSet<usize> =
        (0..ROUNDS).flat_map(|round| batch_of(round, true).into_iter().chain(batch_of(round, false))).collect();
    let raws: BTreeMap<usize, String> = every_number.iter().map(|&number| (number, raw_alert(number))).collect();
    let alerts: BTreeMap<usize, Alert> =
        raws.iter().map(|(&number, raw)| (number, parse_alert(raw, None).expect("a valid alert"))).collect();
    let ids: BTreeSet<&str> = alerts.values().map(|alert| alert.id.as_str()).collect();
    assert_eq!(ids.len(), every_number.len(), "every generated alert has its own id");

    // Both writers add their round's batch, wait for each other, then commit at the same time.
    let both_ready = Barrier::new(2);
    let failures = Mutex::new(Vec::new());
    let write = |store: &PostgresStore, first: bool| -> (u64, u64) {
        let mut writer = store.writer().expect("writer");
        let (mut added, mut already_stored) = (0, 0);
        for round in 0..ROUNDS {
            for number in batch_of(round, first) {
                assert_eq!(writer.add(&alerts[&number], &raws[&number]).expect("add"), AddOutcome::Accepted);
                added += 1;
            }
            both_ready.wait();
            // A failure (a deadlock, say) is returned after the last round, never a panic here
            // that would leave the other writer waiting at the barrier.
            match writer.commit_counting() {
                Ok(outcome) => already_stored += outcome.already_stored,
                Err(error) => failures.lock().expect("failures").push(format!("round {round}: {error}")),
            }
        }
        (added, already_stored)
    };
    let [(first_added, first_already), (second_added, second_already)] = std::thread::scope(|scope| {
        let first = scope.spawn(|| write(&first_replica, true));
        let second = scope.spawn(|| write(&second_replica, false));
        [first, second].map(|handle| handle.join().expect("writer thread"))
    });
    assert_eq!(failures.into_inner().expect("failures"), Vec::<String>::new(), "every racing commit succeeds");

    let stored = (first_added - first_already) + (second_added - second_already);
    assert_eq!(stored as usize, ids.len(), "each alert counted as new by exactly one writer");
    assert_eq!((first_already + second_already) as usize, 2 * ROUNDS * BATCH - ids.len(), "the rest counted as stored");
    assert_eq!(first_replica.len().expect("len") as usize, ids.len());
    assert_eq!(second_replica.len().expect("len") as usize, ids.len());

    // The alert id is the key of both tables: one row each, the same ids.
    let claimed = text_pairs(&url, "SELECT id, time_ns::text FROM alert_ids ORDER BY id");
    let rows = text_pairs(&url, "SELECT id, raw FROM alerts ORDER BY id");
    assert_eq!(claimed.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ids.iter().copied().collect::<Vec<_>>());
    assert_eq!(rows.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ids.iter().copied().collect::<Vec<_>>());

    // The raw text as received, byte for byte, and the alert read back from it.
    let raw_by_id: BTreeMap<&str, &str> =
        alerts.iter().map(|(number, alert)| (alert.id.as_str(), raws[number].as_str())).collect();
    for (id, raw) in &rows {
        assert_eq!(raw.as_str(), raw_by_id[id.as_str()], "raw text of {id}");
    }
    let every_id: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let mut read_back = first_replica.get(&every_id).expect("get");
    read_back.sort_by(|left, right| left.id.cmp(&right.id));
    let mut expected: Vec<Alert> = alerts.into_values().collect();
    expected.sort_by(|left, right| left.id.cmp(&right.id));
    assert_eq!(read_back, expected);
}

#[test]
fn a_failed_commit_names_the_database_and_what_it_was_doing() {
    let url = postgres_server().fresh_database();
    let store = PostgresStore::connect(&url).expect("connect");
    store.migrate().expect("migrate");
    let raw = raw_alert(1);
    let alert = parse_alert(&raw, None).expect("valid");
    let mut writer = store.writer().expect("writer");
    writer.add(&alert, &raw).expect("add");
    psql(&url, "ALTER TABLE alert_ids RENAME TO alert_ids_elsewhere");
    let error = writer.commit_counting().expect_err("the commit fails");
    let message = error.to_string();
    assert!(
        message.contains(&format!("postgresql at {}", store.target()))
            && message.contains("storing a batch of alerts")
            && message.contains("alert_ids"),
        "{message}"
    );
    drop(writer);
    psql(&url, "ALTER TABLE alert_ids_elsewhere RENAME TO alert_ids");
    assert_eq!(store.len().expect("len"), 0, "a failed commit stores nothing");
}
