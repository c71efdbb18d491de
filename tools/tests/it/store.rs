//! The tantivy event store checked against an in-memory reference over real Falco samples.

use std::collections::BTreeMap;
use std::path::PathBuf;

use saker_tools::alert::{Alert, parse_alert};
use saker_tools::ingest::{IngestSettings, Ingestor, open_input};
use saker_tools::scope::Scope;
use saker_tools::store::index::TantivyStore;
use saker_tools::store::{AlertFilter, AlertStore, GroupKey, SearchOrder, TimeBucket, TimeRange};

fn samples_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference/falco/events"))
}

fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("samples directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jsonl"))
        .collect();
    files.sort();
    files
}

/// Every sample line that parses, computed without the store.
fn reference_alerts() -> Vec<Alert> {
    let mut alerts = Vec::new();
    for file in sample_files() {
        let text = std::fs::read_to_string(&file).expect("sample file");
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            if let Ok(alert) = parse_alert(line, None)
                && !alerts.iter().any(|known: &Alert| known.id == alert.id)
            {
                alerts.push(alert);
            }
        }
    }
    alerts
}

fn ingest_samples(store: &TantivyStore) -> saker_tools::ingest::IngestSummary {
    let writer = store.writer().expect("writer");
    let mut ingestor = Ingestor::new(writer, IngestSettings::default());
    for file in sample_files() {
        let mut source = open_input(&file).expect("open sample");
        ingestor.ingest_lines(&mut source, |_| {}).expect("ingest");
    }
    ingestor.finish().expect("commit")
}

#[test]
fn every_sample_ingests_and_reingest_is_a_no_op() {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    let expected = reference_alerts();
    let total_lines: usize = sample_files()
        .iter()
        .map(|file| std::fs::read_to_string(file).expect("read").lines().filter(|line| !line.trim().is_empty()).count())
        .sum();

    let first = ingest_samples(&store);
    assert_eq!(first.accepted as usize, expected.len());
    // Every sample is stored; edge_cases.jsonl line 1 (time "...Z+2") after a reported repair.
    assert_eq!(first.rejected, 0, "{:?}", first.rejections);
    assert_eq!(first.repaired, 1);
    let repair = &first.repairs[0];
    assert!(repair.origin.ends_with("edge_cases.jsonl"));
    assert_eq!(repair.line, 1);
    assert!(repair.reason.starts_with("field \"time\": ignored \"+2\""), "{}", repair.reason);
    assert_eq!((first.accepted + first.duplicates) as usize, total_lines);
    assert_eq!(store.len().expect("len") as usize, expected.len());

    let second = ingest_samples(&store);
    assert_eq!(second.accepted, 0);
    assert_eq!(second.duplicates as usize, total_lines);
    assert_eq!(store.len().expect("len") as usize, expected.len());
}

#[test]
fn scoped_counts_match_the_in_memory_reference() {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    ingest_samples(&store);
    let alerts = reference_alerts();
    let scopes = [
        "",
        "source=k8s_audit",
        "source=internal",
        "rule=\"Terminal shell in container\"",
        "not source=internal and priority in (warning, error)",
        "priority=debug or priority=critical",
        "proc.name=cat",
        "proc.cmdline contains hack",
        "fd.name startswith /bin",
        "container.id exists",
        "not container.id exists",
        "user.name != root",
        "tags in (container, shell)",
        "k8s.ns.name exists and not k8s.ns.name=default",
        "rule startswith Falco and not rule contains metrics",
        "evt.time exists",
    ];
    for text in scopes {
        let scope = Scope::parse(text).expect("valid scope");
        let expected = alerts.iter().filter(|alert| scope.matches(alert)).count() as u64;
        let counted = store.count(&AlertFilter::scoped(scope)).expect("count");
        assert_eq!(counted, expected, "scope {text:?}");
    }
}

#[test]
fn group_counts_and_time_buckets_are_exact() {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    ingest_samples(&store);
    let alerts = reference_alerts();

    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for alert in &alerts {
        *by_rule.entry(alert.rule.clone()).or_default() += 1;
    }
    let counts = store.group_counts(&AlertFilter::all(), GroupKey::parse("rule").expect("rule"), 100).expect("group");
    assert_eq!(counts.total as usize, alerts.len());
    let stored: BTreeMap<String, u64> = counts.groups.iter().cloned().collect();
    assert_eq!(stored, by_rule);
    // Largest first, ties by name.
    for pair in counts.groups.windows(2) {
        assert!(pair[0].1 > pair[1].1 || (pair[0].1 == pair[1].1 && pair[0].0 < pair[1].0));
    }

    let limited = store.group_counts(&AlertFilter::all(), GroupKey::parse("rule").expect("rule"), 2).expect("group");
    assert_eq!(limited.groups.len(), 2);
    assert_eq!(limited.other_groups as usize, by_rule.len() - 2);
    assert_eq!(limited.groups.iter().map(|group| group.1).sum::<u64>() + limited.other_count, alerts.len() as u64);

    let tagged = alerts.iter().filter(|alert| alert.tags.is_empty()).count() as u64;
    let by_tag = store.group_counts(&AlertFilter::all(), GroupKey::parse("tag").expect("tag"), 100).expect("group");
    assert_eq!(by_tag.missing, tagged);

    let range = TimeRange::resolve(Some("2023-03-01"), Some("2023-03-05"), None, chrono::Utc::now()).expect("range");
    let filter = AlertFilter { scope: Scope::all(), time: range };
    let daily = store.group_counts(&filter, GroupKey::Time(TimeBucket::Day), 100).expect("daily");
    assert_eq!(daily.groups.len(), 4, "every day of the range is listed, empty ones too");
    let expected_in_range = alerts.iter().filter(|alert| range.contains(alert.time)).count() as u64;
    assert_eq!(daily.total, expected_in_range);
    let march_third =
        alerts.iter().filter(|alert| alert.time.format("%Y-%m-%d").to_string() == "2023-03-03").count() as u64;
    assert_eq!(daily.groups[2], ("2023-03-03T00:00:00Z".to_string(), march_third));
}

#[test]
fn search_orders_pages_and_fetches_by_id() {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    ingest_samples(&store);
    let mut alerts = reference_alerts();
    alerts.sort_by_key(|alert| std::cmp::Reverse(alert.time));

    let page = store.search(&AlertFilter::all(), None, SearchOrder::NewestFirst, 0, 5).expect("search");
    assert_eq!(page.total as usize, alerts.len());
    assert_eq!(page.alerts.len(), 5);
    for pair in page.alerts.windows(2) {
        assert!(pair[0].time >= pair[1].time);
    }
    let next = store.search(&AlertFilter::all(), None, SearchOrder::NewestFirst, 5, 5).expect("search");
    assert!(next.alerts.iter().all(|alert| page.alerts.iter().all(|seen| seen.id != alert.id)));
    let oldest = store.search(&AlertFilter::all(), None, SearchOrder::OldestFirst, 0, 1).expect("search");
    assert_eq!(oldest.alerts[0].time, alerts.last().expect("some").time);

    let hits = store.search(&AlertFilter::all(), Some("hack"), SearchOrder::Relevance, 0, 10).expect("text");
    let mentions_hack = |alert: &saker_tools::alert::Alert| {
        let process = &alert.dimensions.process;
        [Some(&alert.output), process.cmdline.as_ref(), process.pcmdline.as_ref(), alert.dimensions.file.as_ref()]
            .into_iter()
            .flatten()
            .any(|text| text.contains("hack"))
    };
    let expected = alerts.iter().filter(|alert| mentions_hack(alert)).count();
    assert_eq!(hits.total as usize, expected);
    assert!(hits.alerts.iter().all(mentions_hack));

    let ids: Vec<String> = vec![alerts[3].id.clone(), "no-such-id".to_string(), alerts[0].id.clone()];
    let fetched = store.get(&ids).expect("get");
    assert_eq!(fetched.len(), 2);
    assert_eq!(fetched[0], alerts[3]);
    assert_eq!(fetched[1], alerts[0]);
}

#[test]
fn rollups_match_the_in_memory_reference() {
    use saker_tools::scope::Dimension;
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    ingest_samples(&store);
    let alerts = reference_alerts();
    let key = |alert: &Alert| -> Vec<Option<String>> {
        [Dimension::Source, Dimension::Host]
            .iter()
            .map(|dimension| alert.dimension_values(*dimension).first().map(|value| value.to_string()))
            .collect()
    };
    type Expected = (u64, BTreeMap<String, u64>, u8);
    let mut expected: BTreeMap<Vec<Option<String>>, Expected> = BTreeMap::new();
    for alert in &alerts {
        let entry = expected.entry(key(alert)).or_insert((0, BTreeMap::new(), u8::MAX));
        entry.0 += 1;
        *entry.1.entry(alert.rule.clone()).or_default() += 1;
        entry.2 = entry.2.min(alert.priority.severity());
    }
    let rollups = store
        .rollup(&AlertFilter::all(), &[Dimension::Source, Dimension::Host], &[Dimension::Rule], 100, 100)
        .expect("rollup");
    assert_eq!(rollups.total as usize, alerts.len());
    assert_eq!(rollups.rows.len(), expected.len());
    for row in &rollups.rows {
        let (count, rules, severity) = &expected[&row.key];
        assert_eq!(row.count, *count, "{:?}", row.key);
        let reported: BTreeMap<String, u64> = row.details[0].groups.iter().cloned().collect();
        assert_eq!(&reported, rules, "{:?}", row.key);
        assert_eq!(row.highest_severity, Some(*severity));
        let newest = row.newest.as_ref().expect("newest");
        assert_eq!(key(newest), row.key);
        assert_eq!(newest.time, row.last);
    }
    let counts: Vec<u64> = rollups.rows.iter().map(|row| row.count).collect();
    assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]), "largest first");
    let limited = store.rollup(&AlertFilter::all(), &[Dimension::Source], &[], 1, 1).expect("limited");
    assert_eq!(limited.rows.len(), 1);
    assert_eq!(limited.rows[0].count + limited.other_count, alerts.len() as u64);
}

#[test]
fn lineages_are_the_oldest_alerts_processes() {
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(directory.path()).expect("open");
    ingest_samples(&store);
    let alerts = reference_alerts();
    let (total, lineages) = store.lineages(&AlertFilter::all(), 5).expect("lineages");
    assert_eq!(total as usize, alerts.len());
    let oldest = store.search(&AlertFilter::all(), None, SearchOrder::OldestFirst, 0, 5).expect("search");
    assert_eq!(lineages.len(), 5);
    for (lineage, alert) in lineages.iter().zip(&oldest.alerts) {
        assert_eq!(lineage.id, alert.id);
        assert_eq!(lineage.process, alert.dimensions.process);
        assert_eq!(lineage.container_id, alert.dimensions.container_id);
    }
}

#[test]
fn an_index_built_with_other_fields_is_refused_with_what_to_do() {
    let directory = tempfile::tempdir().expect("tempdir");
    let mut builder = tantivy::schema::Schema::builder();
    builder.add_text_field("something_else", tantivy::schema::STRING);
    tantivy::Index::create_in_dir(directory.path(), builder.build()).expect("an index with other fields");
    let error = match saker_tools::store::index::TantivyStore::open(directory.path()) {
        Ok(_) => panic!("an index with other fields opened"),
        Err(error) => error,
    };
    assert!(matches!(error, saker_tools::store::StoreError::IncompatibleIndex { .. }), "{error}");
    assert!(error.to_string().contains("ingest the alerts again"), "{error}");
}
