//! Exact aggregations over fast fields: counts per term, per time bucket, time bounds, and
//! the top documents by time with a deterministic tie-break.
//!
//! tantivy's own terms aggregation can be approximate across segments; these collectors
//! count every matching document, so every figure is exact.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// The strings of many term ordinals of a keyword column, read in one sorted sweep over its
/// dictionary. Resolving ordinals one by one opens (and decompresses) a dictionary block per
/// call, which dominated aggregation time.
pub fn resolve_ordinals(column: &StrColumn, ordinals: impl IntoIterator<Item = u64>) -> HashMap<u64, String> {
    let mut sorted: Vec<u64> = ordinals.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut terms = Vec::with_capacity(sorted.len());
    // On a read error the terms found so far are kept; the rest stay unresolved.
    let _complete = column.dictionary().sorted_ords_to_term_cb(&sorted, |bytes| {
        terms.push(String::from_utf8_lossy(bytes).into_owned());
    });
    sorted.into_iter().zip(terms).collect()
}

/// Counts documents per value of a keyword fast field (multi-valued fields count each value).
pub struct TermCounts {
    /// The fast field's name.
    pub field_name: String,
}

/// What [`TermCounts`] finds: counts per value, and documents without a value.
#[derive(Debug, Default)]
pub struct TermCountsFruit {
    /// Matching documents.
    pub documents: u64,
    /// Documents with no value.
    pub missing: u64,
    /// Count per value.
    pub counts: HashMap<String, u64>,
}

/// Per-segment state of [`TermCounts`].
pub struct TermCountsSegment {
    column: Option<StrColumn>,
    per_ordinal: Vec<u64>,
    documents: u64,
    missing: u64,
}

impl Collector for TermCounts {
    type Fruit = TermCountsFruit;
    type Child = TermCountsSegment;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let column = reader.fast_fields().str(&self.field_name)?;
        let terms = column.as_ref().map_or(0, |column| column.num_terms());
        Ok(TermCountsSegment { column, per_ordinal: vec![0; terms], documents: 0, missing: 0 })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<TermCountsFruit>) -> tantivy::Result<TermCountsFruit> {
        let mut merged = TermCountsFruit::default();
        for fruit in fruits {
            merged.documents += fruit.documents;
            merged.missing += fruit.missing;
            for (value, count) in fruit.counts {
                *merged.counts.entry(value).or_insert(0) += count;
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for TermCountsSegment {
    type Fruit = TermCountsFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.documents += 1;
        let mut seen_any = false;
        if let Some(column) = &self.column {
            for ordinal in column.term_ords(doc) {
                seen_any = true;
                if let Some(slot) = usize::try_from(ordinal).ok().and_then(|index| self.per_ordinal.get_mut(index)) {
                    *slot += 1;
                }
            }
        }
        if !seen_any {
            self.missing += 1;
        }
    }

    fn harvest(self) -> TermCountsFruit {
        let mut counts = HashMap::new();
        if let Some(column) = &self.column {
            let used = self.per_ordinal.iter().enumerate().filter(|(_, count)| **count > 0);
            let mut names = resolve_ordinals(column, used.clone().map(|(ordinal, _)| ordinal as u64));
            for (ordinal, count) in used {
                if let Some(name) = names.remove(&(ordinal as u64)) {
                    counts.insert(name, *count);
                }
            }
        }
        TermCountsFruit { documents: self.documents, missing: self.missing, counts }
    }
}

/// Counts documents per fixed-width bucket of an i64 fast field (time in nanoseconds).
pub struct BucketCounts {
    /// The fast field's name.
    pub field_name: String,
    /// Bucket width, same unit as the field.
    pub width: i64,
}

/// Per-segment state of [`BucketCounts`].
pub struct BucketCountsSegment {
    column: Column<i64>,
    width: i64,
    counts: HashMap<i64, u64>,
}

impl Collector for BucketCounts {
    type Fruit = HashMap<i64, u64>;
    type Child = BucketCountsSegment;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let column = reader.fast_fields().i64(&self.field_name)?;
        Ok(BucketCountsSegment { column, width: self.width.max(1), counts: HashMap::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<HashMap<i64, u64>>) -> tantivy::Result<HashMap<i64, u64>> {
        let mut merged = HashMap::new();
        for fruit in fruits {
            for (bucket, count) in fruit {
                *merged.entry(bucket).or_insert(0) += count;
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for BucketCountsSegment {
    type Fruit = HashMap<i64, u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(value) = self.column.first(doc) {
            *self.counts.entry(value.div_euclid(self.width) * self.width).or_insert(0) += 1;
        }
    }

    fn harvest(self) -> HashMap<i64, u64> {
        self.counts
    }
}

/// Finds the smallest and largest value of an i64 fast field among matching documents.
pub struct MinMax {
    /// The fast field's name.
    pub field_name: String,
}

/// Per-segment state of [`MinMax`].
pub struct MinMaxSegment {
    column: Column<i64>,
    bounds: Option<(i64, i64)>,
}

impl Collector for MinMax {
    type Fruit = Option<(i64, i64)>;
    type Child = MinMaxSegment;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(MinMaxSegment { column: reader.fast_fields().i64(&self.field_name)?, bounds: None })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Option<(i64, i64)>>) -> tantivy::Result<Option<(i64, i64)>> {
        Ok(fruits.into_iter().flatten().reduce(|left, right| (left.0.min(right.0), left.1.max(right.1))))
    }
}

impl SegmentCollector for MinMaxSegment {
    type Fruit = Option<(i64, i64)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(value) = self.column.first(doc) {
            self.bounds = Some(match self.bounds {
                None => (value, value),
                Some((low, high)) => (low.min(value), high.max(value)),
            });
        }
    }

    fn harvest(self) -> Option<(i64, i64)> {
        self.bounds
    }
}

/// The first `limit` documents by time (newest or oldest first), ties broken by the id
/// hash so that the order does not depend on how segments happen to be merged.
pub struct TopByTime {
    /// Keep this many.
    pub limit: usize,
    /// Newest first when true.
    pub newest_first: bool,
}

/// Sort key of one document: (time, id hash), compared in the requested direction.
type TimeKey = (i64, u64);

/// Per-segment state of [`TopByTime`].
pub struct TopByTimeSegment {
    segment: SegmentOrdinal,
    times: Column<i64>,
    hashes: Column<u64>,
    limit: usize,
    newest_first: bool,
    heap: BinaryHeap<(OrderedKey, DocAddress)>,
}

/// A key ordered so that the heap's maximum is the entry to evict first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrderedKey {
    /// Oldest first: evict the largest (time, hash).
    Ascending(TimeKey),
    /// Newest first: evict the smallest time, then the largest hash.
    Descending((Reverse<i64>, u64)),
}

impl Collector for TopByTime {
    type Fruit = Vec<(OrderedKey, DocAddress)>;
    type Child = TopByTimeSegment;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(TopByTimeSegment {
            segment,
            times: reader.fast_fields().i64("time_ns")?,
            hashes: reader.fast_fields().u64("id_hash")?,
            limit: self.limit,
            newest_first: self.newest_first,
            heap: BinaryHeap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(OrderedKey, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort();
        all.truncate(self.limit);
        Ok(all)
    }
}

impl SegmentCollector for TopByTimeSegment {
    type Fruit = Vec<(OrderedKey, DocAddress)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if self.limit == 0 {
            return;
        }
        let time = self.times.first(doc).unwrap_or_default();
        let hash = self.hashes.first(doc).unwrap_or_default();
        let key = if self.newest_first {
            OrderedKey::Descending((Reverse(time), hash))
        } else {
            OrderedKey::Ascending((time, hash))
        };
        let entry = (key, DocAddress::new(self.segment, doc));
        if self.heap.len() < self.limit {
            self.heap.push(entry);
        } else if self.heap.peek().is_some_and(|worst| entry < *worst) {
            self.heap.pop();
            self.heap.push(entry);
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.heap.into_sorted_vec()
    }
}

/// Counts documents per combination of the first values of several keyword fast fields
/// (a missing value is its own member of the combination).
pub struct TupleCounts {
    /// The fast fields' names.
    pub field_names: Vec<String>,
}

/// Per-segment state of [`TupleCounts`].
pub struct TupleCountsSegment {
    columns: Vec<Option<StrColumn>>,
    counts: HashMap<Vec<Option<u64>>, u64>,
}

impl Collector for TupleCounts {
    type Fruit = HashMap<Vec<Option<String>>, u64>;
    type Child = TupleCountsSegment;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        let columns =
            self.field_names.iter().map(|name| reader.fast_fields().str(name)).collect::<tantivy::Result<Vec<_>>>()?;
        Ok(TupleCountsSegment { columns, counts: HashMap::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut merged = HashMap::new();
        for fruit in fruits {
            for (key, count) in fruit {
                *merged.entry(key).or_insert(0) += count;
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for TupleCountsSegment {
    type Fruit = HashMap<Vec<Option<String>>, u64>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let key: Vec<Option<u64>> =
            self.columns.iter().map(|column| column.as_ref().and_then(|column| column.term_ords(doc).next())).collect();
        *self.counts.entry(key).or_insert(0) += 1;
    }

    fn harvest(self) -> Self::Fruit {
        let names: Vec<HashMap<u64, String>> = self
            .columns
            .iter()
            .enumerate()
            .map(|(position, column)| match column {
                Some(column) => resolve_ordinals(column, self.counts.keys().filter_map(|key| key[position])),
                None => HashMap::new(),
            })
            .collect();
        let mut resolved = HashMap::with_capacity(self.counts.len());
        for (key, count) in self.counts {
            let values = key
                .iter()
                .zip(&names)
                .map(|(ordinal, names)| ordinal.and_then(|ordinal| names.get(&ordinal).cloned()))
                .collect();
            *resolved.entry(values).or_insert(0) += count;
        }
        resolved
    }
}
