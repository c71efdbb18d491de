//! The writer's merge policy: tantivy's log merge policy with a hard cap on the merged segment.
//!
//! tantivy's `LogMergePolicy` merges segments of similar size eight at a time and lets the
//! result grow to ten million documents, so a bulk load keeps re-merging ever larger segments:
//! the merge work per alert grows with the index, and a merge reads all its input segments
//! through memory maps whose resident pages count in the process's RSS. `BoundedMergePolicy`
//! keeps the log policy's choice of levels but splits every candidate into merges whose
//! documents add up to at most `max_merged_docs`, so no merge reads more than that many
//! alerts' worth of segments and no merge ever produces a segment over the cap.

use std::collections::HashMap;

use tantivy::index::{SegmentId, SegmentMeta};
use tantivy::merge_policy::{LogMergePolicy, MergeCandidate, MergePolicy};

/// The default cap on the documents of a segment a merge produces.
///
/// A merge maps and reads every byte of its input segments, and those resident pages count in
/// RSS: at about 1.24 KB per alert on disk, a merge of 200,000 alerts maps about 250 MB, which
/// with the writer's own memory (about 230 MB at 3M alerts) stays under the 512 MiB ceiling.
/// Eight of the writer's segments (about 22,000 alerts each with a 64 MiB heap on two threads)
/// still merge into one, as tantivy's default does; the segments that leaves are never merged
/// again. Measured in BENCHMARKS.md (Ingest, issue 15 bounded merges).
pub const DEFAULT_MAX_MERGED_DOCS: u32 = 200_000;

/// Segments merged at once (tantivy's default for the log merge policy).
const MIN_SEGMENTS_IN_MERGE: usize = 8;

/// Log merge policy whose merges never produce a segment of more than `max_merged_docs`
/// documents.
#[derive(Debug, Clone)]
pub struct BoundedMergePolicy {
    max_merged_docs: u32,
    levels: LogMergePolicy,
}

impl BoundedMergePolicy {
    /// A policy whose merged segments hold at most `max_merged_docs` documents (at least 2).
    pub fn new(max_merged_docs: u32) -> Self {
        let max_merged_docs = max_merged_docs.max(2);
        let mut levels = LogMergePolicy::default();
        levels.set_min_num_segments(MIN_SEGMENTS_IN_MERGE);
        // A segment over half the cap can only be merged with smaller ones, which the levels
        // never group with it: leave it alone.
        levels.set_max_docs_before_merge(usize::try_from(max_merged_docs / 2).unwrap_or(usize::MAX));
        BoundedMergePolicy { max_merged_docs, levels }
    }

    /// The cap on the documents of a merged segment.
    pub fn max_merged_docs(&self) -> u32 {
        self.max_merged_docs
    }
}

impl Default for BoundedMergePolicy {
    fn default() -> Self {
        BoundedMergePolicy::new(DEFAULT_MAX_MERGED_DOCS)
    }
}

impl MergePolicy for BoundedMergePolicy {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let docs_of: HashMap<SegmentId, u32> =
            segments.iter().map(|segment| (segment.id(), segment.num_docs())).collect();
        let mut merges = Vec::new();
        for MergeCandidate(level) in self.levels.compute_merge_candidates(segments) {
            let mut merge = Vec::new();
            let mut merge_docs = 0u64;
            for segment in level {
                let docs = u64::from(docs_of.get(&segment).copied().unwrap_or(0));
                if !merge.is_empty() && merge_docs + docs > u64::from(self.max_merged_docs) {
                    push_if_several(&mut merges, std::mem::take(&mut merge));
                    merge_docs = 0;
                }
                merge.push(segment);
                merge_docs += docs;
            }
            push_if_several(&mut merges, merge);
        }
        merges
    }
}

/// A merge of one segment would only rewrite it: kept out.
fn push_if_several(merges: &mut Vec<MergeCandidate>, segments: Vec<SegmentId>) {
    if segments.len() > 1 {
        merges.push(MergeCandidate(segments));
    }
}

#[cfg(test)]
mod tests {
    use tantivy::Index;
    use tantivy::schema::Schema;

    use super::*;

    /// An index only to make segment metadata with (tantivy's inventory is crate-private).
    fn metadata_index() -> Index {
        Index::create_in_ram(Schema::builder().build())
    }

    fn segments(index: &Index, sizes: &[u32]) -> Vec<SegmentMeta> {
        sizes.iter().map(|&docs| index.new_segment_meta(SegmentId::generate_random(), docs)).collect()
    }

    fn merged_sizes(policy: &BoundedMergePolicy, segments: &[SegmentMeta]) -> Vec<Vec<u32>> {
        let docs_of: HashMap<SegmentId, u32> =
            segments.iter().map(|segment| (segment.id(), segment.num_docs())).collect();
        policy
            .compute_merge_candidates(segments)
            .into_iter()
            .map(|MergeCandidate(ids)| ids.iter().map(|id| docs_of[id]).collect())
            .collect()
    }

    #[test]
    fn merges_eight_similar_segments_under_the_cap() {
        let index = metadata_index();
        let metas = segments(&index, &[20_000; 8]);
        assert_eq!(merged_sizes(&BoundedMergePolicy::new(1_000_000), &metas), vec![vec![20_000; 8]]);
    }

    #[test]
    fn fewer_than_eight_similar_segments_are_left_alone() {
        let index = metadata_index();
        let metas = segments(&index, &[20_000; 7]);
        assert!(merged_sizes(&BoundedMergePolicy::new(1_000_000), &metas).is_empty());
    }

    #[test]
    fn a_level_over_the_cap_is_split_into_merges_within_it() {
        let index = metadata_index();
        let metas = segments(&index, &[60_000; 10]);
        let merges = merged_sizes(&BoundedMergePolicy::new(250_000), &metas);
        assert_eq!(merges, vec![vec![60_000; 4], vec![60_000; 4], vec![60_000; 2]]);
        for merge in &merges {
            assert!(merge.iter().sum::<u32>() <= 250_000);
        }
    }

    #[test]
    fn segments_over_half_the_cap_are_never_merged() {
        let index = metadata_index();
        let metas = segments(&index, &[150_000; 9]);
        assert!(merged_sizes(&BoundedMergePolicy::new(250_000), &metas).is_empty());
    }

    #[test]
    fn no_merge_exceeds_the_cap_whatever_the_sizes() {
        let index = metadata_index();
        let sizes: Vec<u32> = (0..200u32).map(|index| 1_000 + (index * 7_919) % 120_000).collect();
        let metas = segments(&index, &sizes);
        let policy = BoundedMergePolicy::new(250_000);
        let merges = merged_sizes(&policy, &metas);
        assert!(!merges.is_empty());
        for merge in merges {
            assert!(merge.len() > 1);
            assert!(merge.iter().sum::<u32>() <= policy.max_merged_docs(), "{merge:?}");
        }
    }
}
