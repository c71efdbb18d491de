//! Both backends loaded with the same alerts answer a broad set of queries identically: the
//! same figures, the same lists in the same order.

use saker_tools::scope::Dimension;
use saker_tools::store::{AlertStore, GroupKey, SearchOrder, TimeBucket, TimeRange};

use super::backend::{Backend, loaded};
use super::queries::SCOPES;
use super::reference::filter;

#[test]
fn both_backends_answer_identically() {
    let tantivy = loaded(Backend::Tantivy);
    let postgres = loaded(Backend::Postgres);
    assert_same_answers(tantivy.store.as_ref(), postgres.store.as_ref());
}

/// Two stores holding the same alerts answer a broad set of queries identically.
pub fn assert_same_answers(left: &dyn AlertStore, right: &dyn AlertStore) {
    let now = crate::support::demo_now();
    let week = TimeRange::resolve(None, None, Some("7d"), now).expect("range");
    let groupings: [&[Dimension]; 4] = [
        &[Dimension::Cluster, Dimension::Namespace, Dimension::Workload],
        &[Dimension::Rule, Dimension::Priority],
        &[Dimension::ContainerId],
        &[Dimension::Tool, Dimension::User],
    ];
    let mut compared = 0;
    for scope in SCOPES {
        for range in [TimeRange::default(), week] {
            let query = filter(scope, range);
            let context = format!("{scope:?} {range:?}");
            assert_eq!(left.count(&query).expect("count"), right.count(&query).expect("count"), "{context}");
            for name in
                ["rule", "priority", "namespace", "workload", "tag", "mitre_technique", "tool", "image", "day", "hour"]
            {
                let key = GroupKey::parse(name).expect("group key");
                assert_eq!(
                    left.group_counts(&query, key, 5).expect("groups"),
                    right.group_counts(&query, key, 5).expect("groups"),
                    "group by {name}: {context}"
                );
            }
            for dimensions in groupings {
                assert_eq!(
                    left.tuple_counts(&query, dimensions, 4).expect("tuples"),
                    right.tuple_counts(&query, dimensions, 4).expect("tuples"),
                    "{dimensions:?}: {context}"
                );
            }
            let key = [Dimension::Cluster, Dimension::Namespace, Dimension::Workload];
            let details =
                [Dimension::Rule, Dimension::Pod, Dimension::ContainerId, Dimension::Image, Dimension::MitreTechnique];
            let (one, other) = (
                left.rollup(&query, &key, &details, 3, 5).expect("rollup"),
                right.rollup(&query, &key, &details, 3, 5).expect("rollup"),
            );
            assert_eq!(
                (one.total, one.other_rows, one.other_count),
                (other.total, other.other_rows, other.other_count)
            );
            assert_eq!(one.rows.len(), other.rows.len(), "rollup: {context}");
            for (mine, theirs) in one.rows.iter().zip(&other.rows) {
                assert_eq!(
                    (&mine.key, mine.count, mine.first, mine.last, mine.highest_severity),
                    (&theirs.key, theirs.count, theirs.first, theirs.last, theirs.highest_severity),
                    "rollup: {context}"
                );
                let id = |row: &saker_tools::store::RollupRow| row.newest.as_ref().map(|alert| alert.id.clone());
                assert_eq!(id(mine), id(theirs), "newest of {:?}: {context}", mine.key);
                assert_eq!(mine.details, theirs.details, "details of {:?}: {context}", mine.key);
            }
            for order in [SearchOrder::NewestFirst, SearchOrder::OldestFirst] {
                assert_eq!(
                    left.search(&query, None, order, 2, 25).expect("search"),
                    right.search(&query, None, order, 2, 25).expect("search"),
                    "search {order:?}: {context}"
                );
            }
            for text in ["shell", "/etc/shadow", "nmap -curl", "\"reverse shell\"", "kubectl OR curl"] {
                assert_eq!(
                    left.search(&query, Some(text), SearchOrder::NewestFirst, 0, 50).expect("text"),
                    right.search(&query, Some(text), SearchOrder::NewestFirst, 0, 50).expect("text"),
                    "text {text:?}: {context}"
                );
            }
            assert_eq!(left.lineages(&query, 20).expect("lineages"), right.lineages(&query, 20).expect("lineages"));
            assert_eq!(left.time_bounds(&query).expect("bounds"), right.time_bounds(&query).expect("bounds"));
            compared += 1;
        }
    }
    let day = filter("", TimeRange::default());
    assert_eq!(
        left.group_counts(&day, GroupKey::Time(TimeBucket::Day), 3).expect("days"),
        right.group_counts(&day, GroupKey::Time(TimeBucket::Day), 3).expect("days")
    );
    assert_eq!(left.len().expect("len"), right.len().expect("len"));
    assert!(compared > 50);
}
