//! One pass over the matching documents that rolls them up per key tuple (e.g. cluster,
//! namespace, workload): count, time bounds, highest severity, the newest document, and counts
//! of detail dimensions (rules, pods, containers, images) — what would otherwise take a query
//! per key and detail.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};

use super::collectors::resolve_ordinals;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// The rollup collector.
pub struct Rollup {
    /// Keyword fast fields forming the key (first value of each).
    pub key_fields: Vec<String>,
    /// Keyword fast fields counted per key (every value of multi-valued fields).
    pub detail_fields: Vec<String>,
}

/// What one key accumulates.
#[derive(Debug, Clone)]
pub struct RollupEntry {
    /// Matching documents.
    pub count: u64,
    /// Earliest time (ns).
    pub first_ns: i64,
    /// Latest time (ns) and its document, the newest.
    pub last_ns: i64,
    /// The newest document (latest time, then smallest id hash: the first newest-first).
    pub newest: DocAddress,
    /// The id hash of the newest document.
    pub newest_hash: u64,
    /// Lowest severity number seen (0 is the most severe).
    pub min_severity: u64,
    /// Per detail field: counts per value, and documents without a value.
    pub details: Vec<(HashMap<String, u64>, u64)>,
}

/// Per-segment state.
pub struct RollupSegment {
    segment: SegmentOrdinal,
    keys: Vec<Option<StrColumn>>,
    details: Vec<Option<StrColumn>>,
    time: Option<Column<i64>>,
    severity: Option<Column<u64>>,
    hashes: Option<Column<u64>>,
    entries: HashMap<Vec<Option<u64>>, SegmentEntry>,
}

struct SegmentEntry {
    count: u64,
    first_ns: i64,
    last_ns: i64,
    newest: DocId,
    newest_hash: u64,
    min_severity: u64,
    details: Vec<(HashMap<u64, u64>, u64)>,
}

/// True when an alert at `time` with id hash `hash` comes before the current newest in
/// newest-first order (later time, then smaller hash), as the searches order alerts.
fn is_newer(time: i64, hash: u64, newest_time: i64, newest_hash: u64) -> bool {
    time > newest_time || (time == newest_time && hash < newest_hash)
}

impl Collector for Rollup {
    type Fruit = HashMap<Vec<Option<String>>, RollupEntry>;
    type Child = RollupSegment;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let fast = reader.fast_fields();
        let columns = |names: &[String]| names.iter().map(|name| fast.str(name)).collect::<tantivy::Result<Vec<_>>>();
        Ok(RollupSegment {
            segment,
            keys: columns(&self.key_fields)?,
            details: columns(&self.detail_fields)?,
            time: fast.i64("time_ns").ok(),
            severity: fast.u64("severity").ok(),
            hashes: fast.u64("id_hash").ok(),
            entries: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut merged: Self::Fruit = HashMap::new();
        for fruit in fruits {
            for (key, entry) in fruit {
                match merged.get_mut(&key) {
                    None => {
                        merged.insert(key, entry);
                    }
                    Some(known) => {
                        known.count += entry.count;
                        known.first_ns = known.first_ns.min(entry.first_ns);
                        if is_newer(entry.last_ns, entry.newest_hash, known.last_ns, known.newest_hash) {
                            known.last_ns = entry.last_ns;
                            known.newest = entry.newest;
                            known.newest_hash = entry.newest_hash;
                        }
                        known.min_severity = known.min_severity.min(entry.min_severity);
                        for ((counts, missing), (more, more_missing)) in known.details.iter_mut().zip(entry.details) {
                            *missing += more_missing;
                            for (value, count) in more {
                                *counts.entry(value).or_insert(0) += count;
                            }
                        }
                    }
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for RollupSegment {
    type Fruit = HashMap<Vec<Option<String>>, RollupEntry>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let key: Vec<Option<u64>> =
            self.keys.iter().map(|column| column.as_ref().and_then(|column| column.term_ords(doc).next())).collect();
        let time = self.time.as_ref().and_then(|column| column.first(doc)).unwrap_or(0);
        let severity = self.severity.as_ref().and_then(|column| column.first(doc)).unwrap_or(u64::MAX);
        let hash = self.hashes.as_ref().and_then(|column| column.first(doc)).unwrap_or(u64::MAX);
        let detail_count = self.details.len();
        let entry = self.entries.entry(key).or_insert_with(|| SegmentEntry {
            count: 0,
            first_ns: i64::MAX,
            last_ns: i64::MIN,
            newest: doc,
            newest_hash: u64::MAX,
            min_severity: u64::MAX,
            details: vec![(HashMap::new(), 0); detail_count],
        });
        entry.count += 1;
        entry.first_ns = entry.first_ns.min(time);
        if entry.count == 1 || is_newer(time, hash, entry.last_ns, entry.newest_hash) {
            entry.last_ns = time;
            entry.newest = doc;
            entry.newest_hash = hash;
        }
        entry.min_severity = entry.min_severity.min(severity);
        for (column, (counts, missing)) in self.details.iter().zip(entry.details.iter_mut()) {
            let mut seen = false;
            if let Some(column) = column {
                for ordinal in column.term_ords(doc) {
                    seen = true;
                    *counts.entry(ordinal).or_insert(0) += 1;
                }
            }
            if !seen {
                *missing += 1;
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let key_names: Vec<HashMap<u64, String>> = self
            .keys
            .iter()
            .enumerate()
            .map(|(position, column)| match column {
                Some(column) => resolve_ordinals(column, self.entries.keys().filter_map(|key| key[position])),
                None => HashMap::new(),
            })
            .collect();
        let detail_names: Vec<HashMap<u64, String>> = self
            .details
            .iter()
            .enumerate()
            .map(|(position, column)| match column {
                Some(column) => resolve_ordinals(
                    column,
                    self.entries.values().flat_map(|entry| entry.details[position].0.keys().copied()),
                ),
                None => HashMap::new(),
            })
            .collect();
        let mut resolved = HashMap::with_capacity(self.entries.len());
        for (key, entry) in self.entries {
            let key: Vec<Option<String>> = key
                .iter()
                .zip(&key_names)
                .map(|(ordinal, names)| ordinal.and_then(|ordinal| names.get(&ordinal).cloned()))
                .collect();
            let details = entry
                .details
                .into_iter()
                .zip(&detail_names)
                .map(|((counts, missing), names)| {
                    let counts = counts
                        .into_iter()
                        .filter_map(|(ordinal, count)| Some((names.get(&ordinal)?.clone(), count)))
                        .collect();
                    (counts, missing)
                })
                .collect();
            resolved.insert(
                key,
                RollupEntry {
                    count: entry.count,
                    first_ns: entry.first_ns,
                    last_ns: entry.last_ns,
                    newest: DocAddress::new(self.segment, entry.newest),
                    newest_hash: entry.newest_hash,
                    min_severity: entry.min_severity,
                    details,
                },
            );
        }
        resolved
    }
}
