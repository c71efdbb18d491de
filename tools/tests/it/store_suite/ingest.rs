//! Ingest: counts, idempotency, duplicates inside a batch, several writers at once.

use saker_tools::alert::parse_alert;
use saker_tools::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use saker_tools::store::{AddOutcome, AlertFilter, GroupKey, SearchOrder, StoreError};

use super::backend::{Backend, ingest_inputs, input_line_count, reference_alerts};

pub fn every_input_ingests_and_reingest_is_a_no_op(backend: Backend) {
    let test_store = backend.open_empty();
    let store = test_store.store.as_ref();
    let expected = reference_alerts();
    let lines = input_line_count();

    // Small commits: several batches, the duplicates of later batches already committed.
    let first = ingest_inputs(store, 97);
    assert_eq!(first.rejected, 0, "{:?}", first.rejections);
    assert_eq!(first.accepted as usize, expected.len());
    assert_eq!((first.accepted + first.duplicates) as usize, lines);
    assert_eq!(store.len().expect("len") as usize, expected.len());
    assert_eq!(store.count(&AlertFilter::all()).expect("count") as usize, expected.len());

    let second = ingest_inputs(store, 100_000);
    assert_eq!(second.accepted, 0);
    assert_eq!(second.duplicates as usize, lines);
    assert_eq!(store.len().expect("len") as usize, expected.len());

    // A reopened store (another handle, as another process would) sees the same.
    let reopened = backend.reopen(&test_store.location);
    assert_eq!(reopened.len().expect("len") as usize, expected.len());
}

pub fn duplicates_inside_one_batch_count_once(backend: Backend) {
    let test_store = backend.open_empty();
    let store = test_store.store.as_ref();
    let alerts = reference_alerts();
    let raw = serde_json::to_string(&serde_json::json!({
        "time": "2026-11-20T10:00:00.123456789Z", "rule": "Batch duplicate", "priority": "Warning",
        "output": "one alert twice", "output_fields": {"proc.name": "sh"}
    }))
    .expect("json");
    let alert = parse_alert(&raw, None).expect("valid");
    let mut writer = store.writer().expect("writer");
    assert_eq!(writer.add(&alert, &raw).expect("add"), AddOutcome::Accepted);
    assert_eq!(writer.add(&alert, &raw).expect("add"), AddOutcome::Duplicate);
    assert_eq!(writer.pending(), 1);
    let outcome = writer.commit_counting().expect("commit");
    assert_eq!(outcome.already_stored, 0);
    assert_eq!(
        writer.add(&alert, &raw).expect("add after commit").eq(&AddOutcome::Duplicate),
        backend == Backend::Tantivy
    );
    let again = writer.commit_counting().expect("commit");
    // The embedded writer knew at `add`; PostgreSQL finds out at commit and says so.
    assert_eq!(again.already_stored, u64::from(backend == Backend::Postgres));
    drop(writer);
    assert_eq!(store.len().expect("len"), 1);
    assert_eq!(store.get(std::slice::from_ref(&alert.id)).expect("get"), vec![alert]);
    assert!(!alerts.is_empty());
}

pub fn concurrent_writers_store_each_alert_once(backend: Backend) {
    let test_store = backend.open_empty();
    let store = test_store.store.as_ref();
    let expected = reference_alerts();
    let lines = input_line_count();
    if backend == Backend::Tantivy {
        // One writer per index: a second one is refused while the first is open.
        let first = store.writer().expect("writer");
        let refused = store.writer().err().expect("a second writer is refused");
        assert!(matches!(refused, StoreError::Locked { .. }), "{refused}");
        drop(first);
        let summary = ingest_inputs(store, 50);
        assert_eq!(summary.accepted as usize, expected.len());
        return;
    }
    // Two writers on two threads and a third handle (as another replica) ingest everything
    // at once, committing in small batches so that their batches interleave.
    let other = backend.reopen(&test_store.location);
    let summaries = std::thread::scope(|scope| {
        let first = scope.spawn(|| ingest_inputs(store, 23));
        let second = scope.spawn(|| ingest_inputs(store, 31));
        let third = scope.spawn(|| ingest_inputs(other.as_ref(), 17));
        [first, second, third].map(|handle| handle.join().expect("writer thread"))
    });
    let accepted: u64 = summaries.iter().map(|summary| summary.accepted).sum();
    let duplicates: u64 = summaries.iter().map(|summary| summary.duplicates).sum();
    assert_eq!(accepted as usize, expected.len(), "each alert accepted exactly once: {summaries:?}");
    assert_eq!((accepted + duplicates) as usize, 3 * lines);
    assert_eq!(store.len().expect("len") as usize, expected.len());
    let ids: Vec<String> = expected.iter().map(|alert| alert.id.clone()).collect();
    assert_eq!(store.get(&ids).expect("get").len(), expected.len(), "nothing lost");
}

pub fn list_values_with_quotes_braces_and_backslashes_are_stored_exactly(backend: Backend) {
    let test_store = backend.open_empty();
    let store = test_store.store.as_ref();
    let tags = ["plain", "two words", "say \"hi\"", "back\\slash", "{braced,comma}", "NULL", ""];
    let raw = serde_json::to_string(&serde_json::json!({
        "time": "2026-11-20T10:00:00Z", "rule": "Odd tags", "priority": "Notice",
        "output": "quoted \"words\" and back\\slashes", "tags": tags, "output_fields": {"proc.name": "sh"}
    }))
    .expect("json");
    let alert = parse_alert(&raw, None).expect("valid");
    let mut writer = store.writer().expect("writer");
    assert_eq!(writer.add(&alert, &raw).expect("add"), AddOutcome::Accepted);
    writer.commit().expect("commit");
    drop(writer);
    let counts =
        store.group_counts(&AlertFilter::all(), GroupKey::Dimension(Dimension::Tag), 100).expect("group by tag");
    let mut stored: Vec<String> = counts.groups.into_iter().map(|(tag, _)| tag).collect();
    stored.sort();
    let mut expected: Vec<String> = alert.dimension_values(Dimension::Tag).into_iter().map(str::to_string).collect();
    expected.sort();
    assert_eq!(stored, expected);
    for tag in &expected {
        let scope = Scope::from_expr(ScopeExpr::compare(
            FieldRef::Dimension(Dimension::Tag),
            Operator::Equal,
            vec![tag.clone()],
        ));
        assert_eq!(store.count(&AlertFilter { scope, time: Default::default() }).expect("count"), 1, "tag {tag:?}");
    }
    assert_eq!(
        store.search(&AlertFilter::all(), Some("words"), SearchOrder::NewestFirst, 0, 5).expect("search").total,
        1
    );
}
