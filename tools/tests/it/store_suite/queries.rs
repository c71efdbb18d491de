//! Every `AlertStore` query against answers computed from the parsed alerts.

use std::collections::{BTreeMap, HashMap};

use saker_tools::scope::Dimension;
use saker_tools::store::{AlertFilter, GroupKey, SearchOrder, TimeBucket, TimeRange};

use super::backend::{Backend, loaded, reference_alerts};
use super::reference::{
    filter, has_phrase, matching, newest_first, oldest_first, token_positions, tuple_counts, tuple_key, value_counts,
};

/// Scopes over every operator, dimensions single- and multi-valued, raw keys (indexed and
/// not), missing values, and boolean combinations.
pub const SCOPES: &[&str] = &[
    "",
    "source=k8s_audit",
    "not source=internal and priority in (warning, error)",
    "priority=debug or priority=critical",
    "rule=\"Terminal shell in container\"",
    "rule startswith Falco and not rule contains metrics",
    "rule contains \"\"",
    "proc.name=cat",
    "proc.name in (bash, sh, nmap, curl)",
    "proc.name != bash",
    "proc.cmdline contains hack",
    "proc.cmdline startswith \"\"",
    "fd.name startswith /bin",
    "fd.name startswith /etc and not fd.name contains shadow",
    "fd.name exists",
    "container.id exists",
    "not container.id exists",
    "container.image.repository contains nginx",
    "user.name != root",
    "user.name exists and not user.name=root",
    "tags in (container, shell)",
    "tags=mitre_discovery",
    "tags != container",
    "tags contains mitre",
    "tags startswith T1",
    "tags exists",
    "mitre.tactic=TA0007",
    "mitre.technique startswith T10",
    "tool exists",
    "tool in (nmap, nc)",
    "k8s.ns.name exists and not k8s.ns.name=default",
    "k8s.ns.name in (shop, payments, kube-system)",
    "k8s.cluster.name exists",
    "workload startswith checkout",
    "k8s.pod.name contains -",
    "hostname exists",
    "evt.time exists",
    "evt.type=execve",
    "evt.type in (openat, connect)",
    "proc.pid exists",
    "proc.aname[2] exists",
    "proc.aname[2]=containerd-shim",
    "proc.pname != runc",
    "proc.tty=34816",
    "ka.verb exists",
    "ka.verb=get or ka.verb contains c",
    "(proc.name=sh or k8s.ns.name=shop) and tags=container",
    "not (proc.name=sh or k8s.ns.name=other)",
    "id exists",
];

fn ranges() -> Vec<TimeRange> {
    let now = crate::support::demo_now();
    vec![
        TimeRange::default(),
        TimeRange::resolve(None, None, Some("7d"), now).expect("range"),
        TimeRange::resolve(Some("2026-11-19T00:00:00Z"), Some("2026-11-20T00:00:00Z"), None, now).expect("range"),
        TimeRange::resolve(Some("2023-03-01"), Some("2023-03-05"), None, now).expect("range"),
    ]
}

pub fn scoped_counts_match_the_reference(backend: Backend) {
    let test_store = loaded(backend);
    let alerts = reference_alerts();
    for range in ranges() {
        for scope in SCOPES {
            let query = filter(scope, range);
            let expected = matching(&alerts, &query).len() as u64;
            assert_eq!(test_store.store.count(&query).expect("count"), expected, "scope {scope:?} {range:?}");
        }
    }
}

pub fn group_counts_match_the_reference(backend: Backend) {
    let test_store = loaded(backend);
    let alerts = reference_alerts();
    for scope in ["", "not source=internal", "tags exists", "proc.name in (bash, sh)"] {
        let query = filter(scope, TimeRange::default());
        let selected = matching(&alerts, &query);
        for dimension in Dimension::ALL.into_iter().filter(|dimension| *dimension != Dimension::Id) {
            let counts = test_store.store.group_counts(&query, GroupKey::Dimension(dimension), 1_000).expect("group");
            let (expected, missing) = value_counts(&selected, dimension);
            let context = format!("{dimension:?} in {scope:?}");
            assert_eq!(counts.total as usize, selected.len(), "{context}");
            assert_eq!(counts.missing, missing, "{context}");
            assert_eq!(counts.groups.iter().cloned().collect::<BTreeMap<_, _>>(), expected, "{context}");
            let mut ordered: Vec<(String, u64)> = expected.into_iter().collect();
            ordered.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
            assert_eq!(counts.groups, ordered, "largest first, ties by value: {context}");

            let limited = test_store.store.group_counts(&query, GroupKey::Dimension(dimension), 2).expect("group");
            assert_eq!(limited.groups, ordered.iter().take(2).cloned().collect::<Vec<_>>(), "{context}");
            assert_eq!(limited.other_groups as usize, ordered.len().saturating_sub(2), "{context}");
            assert_eq!(limited.other_count, ordered.iter().skip(2).map(|group| group.1).sum::<u64>(), "{context}");
        }
    }
}

pub fn group_counts_of_several_keys_equal_each_alone(backend: Backend) {
    let test_store = loaded(backend);
    let mut keys: Vec<GroupKey> =
        Dimension::ALL.into_iter().filter(|dimension| *dimension != Dimension::Id).map(GroupKey::Dimension).collect();
    // A key asked twice and time buckets among the dimensions.
    keys.extend([GroupKey::Dimension(Dimension::Pod), GroupKey::Time(TimeBucket::Day)]);
    for scope in ["", "not source=internal", "k8s.ns.name exists"] {
        let query = filter(scope, TimeRange::default());
        for limit in [0, 2, 1_000] {
            let together = test_store.store.group_counts_each(&query, &keys, limit).expect("groups");
            assert_eq!(together.len(), keys.len());
            for (key, counts) in keys.iter().zip(&together) {
                let alone = test_store.store.group_counts(&query, *key, limit).expect("group");
                assert_eq!(counts, &alone, "{key:?} in {scope:?}, limit {limit}");
            }
        }
    }
}

pub fn time_buckets_list_every_bucket_of_the_range(backend: Backend) {
    let test_store = loaded(backend);
    let alerts = reference_alerts();
    for range in ranges() {
        for bucket in [TimeBucket::Hour, TimeBucket::Day] {
            let query = AlertFilter { scope: Default::default(), time: range };
            let counts = test_store.store.group_counts(&query, GroupKey::Time(bucket), 100_000).expect("buckets");
            let selected = matching(&alerts, &query);
            assert_eq!(counts.total as usize, selected.len());
            let width = bucket.nanos();
            let mut expected: HashMap<String, u64> = HashMap::new();
            for alert in &selected {
                let nanos = alert.time.timestamp_nanos_opt().expect("in range");
                let start = chrono::DateTime::from_timestamp_nanos(nanos.div_euclid(width) * width);
                *expected.entry(start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).or_insert(0) += 1;
            }
            for (label, count) in &counts.groups {
                assert_eq!(expected.get(label).copied().unwrap_or(0), *count, "{label} {range:?}");
            }
            assert!(counts.groups.windows(2).all(|pair| pair[0].0 < pair[1].0), "in time order");
            if let (Some(since), Some(until)) = (range.since, range.until) {
                let span = until - since;
                let buckets = span.num_nanoseconds().expect("span") / width;
                assert!(counts.groups.len() as i64 >= buckets, "every bucket, empty ones too");
            }
        }
    }
}

pub fn tuple_counts_match_the_reference(backend: Backend) {
    let test_store = loaded(backend);
    let alerts = reference_alerts();
    let groupings: [&[Dimension]; 5] = [
        &[Dimension::Cluster, Dimension::Namespace, Dimension::Workload],
        &[Dimension::Rule],
        &[Dimension::Tag, Dimension::Process],
        &[Dimension::MitreTechnique, Dimension::Host, Dimension::Image],
        &[],
    ];
    for scope in ["", "k8s.ns.name exists", "priority in (warning, error, critical)"] {
        let query = filter(scope, TimeRange::default());
        let selected = matching(&alerts, &query);
        for dimensions in groupings {
            let counts = test_store.store.tuple_counts(&query, dimensions, 1_000).expect("tuples");
            let mut expected: Vec<(Vec<Option<String>>, u64)> =
                tuple_counts(&selected, dimensions).into_iter().collect();
            expected.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
            assert_eq!(counts.total as usize, selected.len(), "{dimensions:?} {scope:?}");
            assert_eq!(counts.rows, expected, "{dimensions:?} {scope:?}");
            let limited = test_store.store.tuple_counts(&query, dimensions, 3).expect("tuples");
            assert_eq!(limited.rows, expected.iter().take(3).cloned().collect::<Vec<_>>());
            assert_eq!(limited.other_rows as usize, expected.len().saturating_sub(3));
        }
    }
}

pub fn rollups_match_the_reference(backend: Backend) {
    let test_store = loaded(backend);
    let alerts = reference_alerts();
    let key = [Dimension::Cluster, Dimension::Namespace, Dimension::Workload];
    let details = [Dimension::Rule, Dimension::Pod, Dimension::Tag, Dimension::Image];
    for scope in ["", "not source=internal", "tags exists"] {
        let query = filter(scope, TimeRange::default());
        let selected = matching(&alerts, &query);
        let rollups = test_store.store.rollup(&query, &key, &details, 1_000, 1_000).expect("rollup");
        assert_eq!(rollups.total as usize, selected.len());
        let by_key = tuple_counts(&selected, &key);
        assert_eq!(rollups.rows.len(), by_key.len());
        for pair in rollups.rows.windows(2) {
            assert!(pair[0].count > pair[1].count || (pair[0].count == pair[1].count && pair[0].key < pair[1].key));
        }
        for row in &rollups.rows {
            let members: Vec<&saker_tools::alert::Alert> =
                selected.iter().copied().filter(|alert| tuple_key(alert, &key) == row.key).collect();
            assert_eq!(row.count as usize, members.len(), "{:?}", row.key);
            assert_eq!(Some(row.first), members.iter().map(|alert| alert.time).min());
            assert_eq!(Some(row.last), members.iter().map(|alert| alert.time).max());
            assert_eq!(row.highest_severity, members.iter().map(|alert| alert.priority.severity()).min());
            let newest = row.newest.as_ref().expect("newest");
            assert_eq!(Some(&newest.id), newest_first(&members).first(), "newest of {:?}", row.key);
            for (detail, counts) in details.iter().zip(&row.details) {
                let (expected, missing) = value_counts(&members, *detail);
                assert_eq!(counts.groups.iter().cloned().collect::<BTreeMap<_, _>>(), expected, "{detail:?}");
                assert_eq!(counts.missing, missing, "{detail:?}");
            }
        }
        let limited = test_store.store.rollup(&query, &key, &[], 1, 2).expect("rollup");
        assert_eq!(limited.rows.len(), by_key.len().min(2));
        assert_eq!(limited.rows.iter().map(|row| row.count).sum::<u64>() + limited.other_count, selected.len() as u64);

        // No key (one row for everything, as event_stats asks), a detail asked twice and a
        // detail that is also a key.
        let overall = [Dimension::Priority, Dimension::Rule, Dimension::Namespace, Dimension::Rule, Dimension::Tag];
        let whole = test_store.store.rollup(&query, &[], &overall, 1_000, 1).expect("rollup");
        assert_eq!(whole.total as usize, selected.len());
        assert_eq!(whole.rows.len(), usize::from(!selected.is_empty()));
        for row in &whole.rows {
            for (detail, counts) in overall.iter().zip(&row.details) {
                let (expected, missing) = value_counts(&selected, *detail);
                assert_eq!(counts.groups.iter().cloned().collect::<BTreeMap<_, _>>(), expected, "{detail:?}");
                assert_eq!(counts.missing, missing, "{detail:?}");
            }
        }
        let in_key = test_store
            .store
            .rollup(&query, &[Dimension::Namespace], &[Dimension::Namespace, Dimension::Pod], 1_000, 1_000)
            .expect("rollup");
        for row in &in_key.rows {
            let members: Vec<&saker_tools::alert::Alert> =
                selected.iter().copied().filter(|alert| tuple_key(alert, &[Dimension::Namespace]) == row.key).collect();
            for (detail, counts) in [Dimension::Namespace, Dimension::Pod].iter().zip(&row.details) {
                let (expected, missing) = value_counts(&members, *detail);
                assert_eq!(
                    counts.groups.iter().cloned().collect::<BTreeMap<_, _>>(),
                    expected,
                    "{detail:?} of {:?}",
                    row.key
                );
                assert_eq!(counts.missing, missing, "{detail:?} of {:?}", row.key);
            }
        }
    }
}

pub fn search_orders_by_time_then_id_hash_and_pages(backend: Backend) {
    let test_store = loaded(backend);
    let alerts = reference_alerts();
    for scope in ["", "k8s.ns.name exists", "tags=container"] {
        let query = filter(scope, TimeRange::default());
        let selected = matching(&alerts, &query);
        let newest = newest_first(&selected);
        let oldest = oldest_first(&selected);
        let ids = |order: SearchOrder, offset: usize, limit: usize| -> Vec<String> {
            let page = test_store.store.search(&query, None, order, offset, limit).expect("search");
            assert_eq!(page.total as usize, selected.len());
            page.alerts.into_iter().map(|alert| alert.id).collect()
        };
        assert_eq!(ids(SearchOrder::NewestFirst, 0, 10_000), newest, "{scope:?}");
        assert_eq!(ids(SearchOrder::OldestFirst, 0, 10_000), oldest, "{scope:?}");
        assert_eq!(ids(SearchOrder::NewestFirst, 5, 7), newest.iter().skip(5).take(7).cloned().collect::<Vec<_>>());
        assert_eq!(ids(SearchOrder::OldestFirst, 3, 4), oldest.iter().skip(3).take(4).cloned().collect::<Vec<_>>());
        assert!(ids(SearchOrder::NewestFirst, 10_000, 5).is_empty());
    }
    // Ties: the scenarios have alerts at the same instant; their order is the id hash's.
    let mut times: HashMap<chrono::DateTime<chrono::Utc>, usize> = HashMap::new();
    for alert in &alerts {
        *times.entry(alert.time).or_insert(0) += 1;
    }
    assert!(times.values().any(|count| *count > 1), "the inputs hold ties to check");
}

pub fn text_search_finds_the_reference_hits(backend: Backend) {
    let test_store = loaded(backend);
    let alerts = reference_alerts();
    let has_word = |alert: &saker_tools::alert::Alert, word: &str| {
        token_positions(alert).iter().any(|token| token.as_deref() == Some(word))
    };
    type Check = Box<dyn Fn(&saker_tools::alert::Alert) -> bool>;
    let cases: Vec<(&str, Check)> = vec![
        ("hack", Box::new(move |alert| has_word(alert, "hack"))),
        ("Shadow", Box::new(move |alert| has_word(alert, "shadow"))),
        ("/etc/shadow", Box::new(|alert| has_phrase(alert, &["etc", "shadow"]))),
        ("\"etc shadow\"", Box::new(|alert| has_phrase(alert, &["etc", "shadow"]))),
        ("\"shadow etc\"", Box::new(|alert| has_phrase(alert, &["shadow", "etc"]))),
        ("nmap 10", Box::new(move |alert| has_word(alert, "nmap") && has_word(alert, "10"))),
        ("shell -bash", Box::new(move |alert| has_word(alert, "shell") && !has_word(alert, "bash"))),
        ("nmap OR curl", Box::new(move |alert| has_word(alert, "nmap") || has_word(alert, "curl"))),
        ("169.254.169.254", Box::new(|alert| has_phrase(alert, &["169", "254", "169", "254"]))),
        ("no-such-word-anywhere", Box::new(|alert| has_phrase(alert, &["no", "such", "word", "anywhere"]))),
    ];
    for (text, check) in &cases {
        for scope in ["", "k8s.ns.name exists"] {
            let query = filter(scope, TimeRange::default());
            let expected: Vec<&saker_tools::alert::Alert> =
                matching(&alerts, &query).into_iter().filter(|alert| check(alert)).collect();
            let page =
                test_store.store.search(&query, Some(text), SearchOrder::NewestFirst, 0, 10_000).expect("search");
            let found: Vec<String> = page.alerts.iter().map(|alert| alert.id.clone()).collect();
            assert_eq!(found, newest_first(&expected), "text {text:?} in {scope:?}");
            assert_eq!(page.total as usize, expected.len());
            let relevance =
                test_store.store.search(&query, Some(text), SearchOrder::Relevance, 0, 10_000).expect("search");
            let mut relevant: Vec<String> = relevance.alerts.into_iter().map(|alert| alert.id).collect();
            relevant.sort();
            let mut sorted = found.clone();
            sorted.sort();
            assert_eq!(relevant, sorted, "relevance finds the same hits: {text:?}");
            let places = test_store
                .store
                .search_tuple_counts(
                    &query,
                    text,
                    &[Dimension::Cluster, Dimension::Namespace, Dimension::Workload],
                    100,
                )
                .expect("places");
            let mut expected_places: Vec<(Vec<Option<String>>, u64)> =
                tuple_counts(&expected, &[Dimension::Cluster, Dimension::Namespace, Dimension::Workload])
                    .into_iter()
                    .collect();
            expected_places.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
            assert_eq!(places.rows, expected_places, "places of {text:?}");
        }
    }
    assert!(cases.iter().any(|(_, check)| alerts.iter().any(check)), "some text is found");
}

pub fn lineages_time_bounds_and_get_match_the_reference(backend: Backend) {
    let test_store = loaded(backend);
    let store = test_store.store.as_ref();
    let alerts = reference_alerts();
    for scope in ["", "container.id exists", "proc.name=no-such-process"] {
        let query = filter(scope, TimeRange::default());
        let selected = matching(&alerts, &query);
        let (total, lineages) = store.lineages(&query, 7).expect("lineages");
        assert_eq!(total as usize, selected.len());
        let oldest = oldest_first(&selected);
        assert_eq!(
            lineages.iter().map(|lineage| lineage.id.clone()).collect::<Vec<_>>(),
            oldest.iter().take(7).cloned().collect::<Vec<_>>()
        );
        for lineage in &lineages {
            let alert = selected.iter().find(|alert| alert.id == lineage.id).expect("selected");
            assert_eq!(lineage.process, alert.dimensions.process);
            assert_eq!(lineage.container_id, alert.dimensions.container_id);
        }
        let bounds = store.time_bounds(&query).expect("bounds");
        let expected = selected.iter().map(|alert| alert.time).min().zip(selected.iter().map(|alert| alert.time).max());
        assert_eq!(bounds, expected, "{scope:?}");
    }
    let ids =
        vec![alerts[3].id.clone(), "no-such-id".to_string(), alerts[0].id.clone(), alerts[alerts.len() - 1].id.clone()];
    let fetched = store.get(&ids).expect("get");
    assert_eq!(fetched, vec![alerts[3].clone(), alerts[0].clone(), alerts[alerts.len() - 1].clone()]);
    assert!(store.get(&[]).expect("get nothing").is_empty());
}
