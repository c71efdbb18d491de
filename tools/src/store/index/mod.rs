//! The embedded event store: a tantivy index under `<data-dir>/index`.
//!
//! The stored `raw` field (the alert as received, compressed in tantivy's doc store) is the
//! source of truth; every indexed field is derived from it and can be rebuilt by re-ingesting.

mod collectors;
mod document;
mod merge;
mod query;
mod rollup;
mod schema;
mod writer;

pub use merge::{BoundedMergePolicy, DEFAULT_MAX_MERGED_DOCS};
pub use schema::AlertFields;
pub use writer::{TantivyAlertWriter, WriterSettings};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermSetQuery};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Index, IndexReader, IndexSettings, ReloadPolicy, TantivyDocument, Term};

use self::collectors::{BucketCounts, MinMax, TermCounts, TopByTime, TupleCounts as TupleCollector};
use self::document::load_alert;
use self::query::filter_query;
use self::schema::dimension_field_name;
use crate::alert::{Alert, ProcessLineage, parse_lineage};
use crate::scope::Dimension;
use crate::store::shape::{self, nanos_to_time};
use crate::store::{
    AlertFilter, AlertStore, AlertWriter, GroupCounts, GroupKey, RollupRow, Rollups, SearchOrder, SearchPage,
    StoreError, TimeBounds, TupleCounts,
};

/// Doc-store block size of new indexes (tantivy's default is 16 KiB).
const DOCSTORE_BLOCK_BYTES: usize = 4_096;

/// Batches at least this large are loaded on several threads.
const PARALLEL_LOAD_MIN: usize = 512;

/// The tantivy-backed alert store.
pub struct TantivyStore {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Arc<AlertFields>,
    writer_settings: Mutex<WriterSettings>,
}

impl TantivyStore {
    /// Opens the index in `directory`, creating it (and the directory) when absent.
    pub fn open(directory: &Path) -> Result<TantivyStore, StoreError> {
        std::fs::create_dir_all(directory)
            .map_err(|source| StoreError::Io { path: directory.to_path_buf(), source })?;
        let index_error = |source| StoreError::Index { path: directory.to_path_buf(), source };
        let fields = Arc::new(AlertFields::new());
        let mmap = MmapDirectory::open(directory).map_err(|error| index_error(error.into()))?;
        // Small doc-store blocks: tools read scattered alerts (one namespace among many), and
        // every read decompresses a whole block. Existing indexes keep their own setting.
        let settings = IndexSettings { docstore_blocksize: DOCSTORE_BLOCK_BYTES, ..IndexSettings::default() };
        let index = Index::builder().schema(fields.schema.clone()).settings(settings).open_or_create(mmap).map_err(
            |source| match source {
                tantivy::TantivyError::SchemaError(_) => {
                    StoreError::IncompatibleIndex { path: directory.to_path_buf() }
                }
                other => index_error(other),
            },
        )?;
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into().map_err(index_error)?;
        Ok(TantivyStore {
            path: directory.to_path_buf(),
            index,
            reader,
            fields,
            writer_settings: Mutex::new(WriterSettings::default()),
        })
    }

    /// Sets how the next writer is configured (threads, memory, default cluster).
    pub fn set_writer_settings(&self, settings: WriterSettings) {
        if let Ok(mut current) = self.writer_settings.lock() {
            *current = settings;
        }
    }

    /// Picks up commits made by other writers (other processes) right away.
    pub fn refresh(&self) -> Result<(), StoreError> {
        self.reader.reload().map_err(|source| self.index_error(source))
    }

    /// The alerts of each committed segment, largest first: what the merge policy left (see
    /// [`BoundedMergePolicy`]). Reads the index's metadata, not the segments.
    pub fn segment_sizes(&self) -> Result<Vec<u32>, StoreError> {
        let metas = self.index.searchable_segment_metas().map_err(|source| self.index_error(source))?;
        let mut sizes: Vec<u32> = metas.iter().map(|meta| meta.num_docs()).collect();
        sizes.sort_unstable_by(|left, right| right.cmp(left));
        Ok(sizes)
    }

    /// The index directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn index_error(&self, source: tantivy::TantivyError) -> StoreError {
        StoreError::Index { path: self.path.clone(), source }
    }

    /// Loads documents in index order (each compressed doc-store block is then read once and
    /// served from the cache), returning them in the order asked for. Large batches are split
    /// over the cores: parsing the stored alerts is the cost.
    fn load_many(&self, searcher: &tantivy::Searcher, addresses: &[DocAddress]) -> Result<Vec<Alert>, StoreError> {
        self.load_many_with(searcher, addresses, |document| load_alert(&self.fields, document))
    }

    /// [`Self::load_many`] with any reader of the stored document.
    fn load_many_with<T: Send>(
        &self,
        searcher: &tantivy::Searcher,
        addresses: &[DocAddress],
        read: impl Fn(&TantivyDocument) -> Result<T, StoreError> + Sync,
    ) -> Result<Vec<T>, StoreError> {
        let mut order: Vec<usize> = (0..addresses.len()).collect();
        order.sort_by_key(|&position| addresses[position]);
        let threads = std::thread::available_parallelism().map_or(1, |count| count.get()).min(4);
        let chunk = if addresses.len() >= PARALLEL_LOAD_MIN && threads > 1 {
            addresses.len().div_ceil(threads)
        } else {
            addresses.len().max(1)
        };
        let load_chunk = |positions: &[usize]| -> Result<Vec<(usize, T)>, StoreError> {
            positions
                .iter()
                .map(|&position| {
                    let document: TantivyDocument =
                        searcher.doc(addresses[position]).map_err(|source| self.index_error(source))?;
                    Ok((position, read(&document)?))
                })
                .collect()
        };
        let batches: Vec<Result<Vec<(usize, T)>, StoreError>> = if order.len() > chunk {
            std::thread::scope(|scope| {
                let load_chunk = &load_chunk;
                let handles: Vec<_> =
                    order.chunks(chunk).map(|positions| scope.spawn(move || load_chunk(positions))).collect();
                handles
                    .into_iter()
                    .map(|handle| {
                        handle.join().unwrap_or_else(|_| {
                            Err(StoreError::Corrupt { id: String::new(), problem: "a loader thread panicked".into() })
                        })
                    })
                    .collect()
            })
        } else {
            vec![load_chunk(&order)]
        };
        let mut loaded: Vec<Option<T>> = (0..addresses.len()).map(|_| None).collect();
        for batch in batches {
            for (position, item) in batch? {
                loaded[position] = Some(item);
            }
        }
        Ok(loaded.into_iter().flatten().collect())
    }

    fn load(&self, searcher: &tantivy::Searcher, address: DocAddress) -> Result<Alert, StoreError> {
        let document: TantivyDocument = searcher.doc(address).map_err(|source| self.index_error(source))?;
        load_alert(&self.fields, &document)
    }

    /// Counts per combination of `dimensions` over the alerts `query` matches, largest first.
    fn tuple_counts_of(
        &self,
        query: Box<dyn Query>,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError> {
        let searcher = self.reader.searcher();
        let collector = TupleCollector {
            field_names: dimensions.iter().map(|dimension| dimension_field_name(*dimension).to_string()).collect(),
        };
        let counts = searcher.search(&query, &collector).map_err(|source| self.index_error(source))?;
        Ok(shape::ranked_tuples(counts, limit))
    }

    fn text_query(&self, text: &str) -> Result<Box<dyn Query>, StoreError> {
        let mut parser = QueryParser::for_index(&self.index, vec![self.fields.text]);
        parser.set_conjunction_by_default();
        parser
            .parse_query(text)
            .map_err(|error| StoreError::TextQuery { query: text.to_string(), problem: error.to_string() })
    }
}

impl AlertStore for TantivyStore {
    fn writer(&self) -> Result<Box<dyn AlertWriter + '_>, StoreError> {
        let settings = self.writer_settings.lock().map(|settings| settings.clone()).unwrap_or_default();
        let writer = TantivyAlertWriter::open(
            self.path.clone(),
            &self.index,
            self.reader.clone(),
            Arc::clone(&self.fields),
            settings,
        )?;
        Ok(Box::new(writer))
    }

    fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        let searcher = self.reader.searcher();
        let query = filter_query(&self.fields, filter);
        let count = searcher.search(&query, &Count).map_err(|source| self.index_error(source))?;
        Ok(count as u64)
    }

    fn group_counts(&self, filter: &AlertFilter, key: GroupKey, limit: usize) -> Result<GroupCounts, StoreError> {
        let searcher = self.reader.searcher();
        let query = filter_query(&self.fields, filter);
        match key {
            GroupKey::Dimension(dimension) => {
                let collector = TermCounts { field_name: dimension_field_name(dimension).to_string() };
                let fruit = searcher.search(&query, &collector).map_err(|source| self.index_error(source))?;
                let groups: Vec<(String, u64)> = fruit.counts.into_iter().collect();
                Ok(shape::ranked_groups(fruit.documents, groups, limit, fruit.missing))
            }
            GroupKey::Time(bucket) => {
                let width = bucket.nanos();
                let collector = BucketCounts { field_name: "time_ns".to_string(), width };
                let counts = searcher.search(&query, &collector).map_err(|source| self.index_error(source))?;
                Ok(shape::time_bucket_groups(&filter.time, width, &counts, limit))
            }
        }
    }

    fn tuple_counts(
        &self,
        filter: &AlertFilter,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError> {
        self.tuple_counts_of(filter_query(&self.fields, filter), dimensions, limit)
    }

    fn search_tuple_counts(
        &self,
        filter: &AlertFilter,
        text: &str,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError> {
        let mut query = filter_query(&self.fields, filter);
        if !text.trim().is_empty() {
            query = Box::new(BooleanQuery::new(vec![(Occur::Must, query), (Occur::Must, self.text_query(text)?)]));
        }
        self.tuple_counts_of(query, dimensions, limit)
    }

    fn rollup(
        &self,
        filter: &AlertFilter,
        key: &[Dimension],
        details: &[Dimension],
        detail_limit: usize,
        limit: usize,
    ) -> Result<Rollups, StoreError> {
        let searcher = self.reader.searcher();
        let query = filter_query(&self.fields, filter);
        let names = |dimensions: &[Dimension]| -> Vec<String> {
            dimensions.iter().map(|dimension| dimension_field_name(*dimension).to_string()).collect()
        };
        let collector = rollup::Rollup { key_fields: names(key), detail_fields: names(details) };
        let entries = searcher.search(&query, &collector).map_err(|source| self.index_error(source))?;
        let total = entries.values().map(|entry| entry.count).sum();
        let mut entries: Vec<(Vec<Option<String>>, rollup::RollupEntry)> = entries.into_iter().collect();
        entries.sort_by(|left, right| right.1.count.cmp(&left.1.count).then_with(|| left.0.cmp(&right.0)));
        let rest = if entries.len() > limit { entries.split_off(limit) } else { Vec::new() };
        let addresses: Vec<DocAddress> = entries.iter().map(|(_, entry)| entry.newest).collect();
        let newest = self.load_many(&searcher, &addresses)?;
        let rows = entries
            .into_iter()
            .zip(newest)
            .map(|((key, entry), newest)| RollupRow {
                key,
                count: entry.count,
                first: nanos_to_time(entry.first_ns),
                last: nanos_to_time(entry.last_ns),
                highest_severity: u8::try_from(entry.min_severity).ok(),
                newest: Some(newest),
                details: entry
                    .details
                    .into_iter()
                    .map(|(counts, missing)| {
                        let total = counts.values().sum();
                        shape::ranked_groups(total, counts.into_iter().collect(), detail_limit, missing)
                    })
                    .collect(),
            })
            .collect();
        Ok(Rollups {
            total,
            rows,
            other_rows: rest.len() as u64,
            other_count: rest.iter().map(|(_, entry)| entry.count).sum(),
        })
    }

    fn lineages(&self, filter: &AlertFilter, limit: usize) -> Result<(u64, Vec<ProcessLineage>), StoreError> {
        let searcher = self.reader.searcher();
        let query = filter_query(&self.fields, filter);
        let top = TopByTime { limit, newest_first: false };
        let (total, hits) = searcher.search(&query, &(Count, top)).map_err(|source| self.index_error(source))?;
        let addresses: Vec<DocAddress> = hits.into_iter().map(|(_, address)| address).collect();
        let lineages = self.load_many_with(&searcher, &addresses, |document| {
            let text_of = |field| document.get_first(field).and_then(|value| value.as_str());
            let id = text_of(self.fields.id).unwrap_or_default().to_string();
            let raw = text_of(self.fields.raw)
                .ok_or_else(|| StoreError::Corrupt { id: id.clone(), problem: "the raw alert is not stored".into() })?;
            parse_lineage(raw, id.clone()).map_err(|problem| StoreError::Corrupt { id, problem })
        })?;
        Ok((total as u64, lineages))
    }

    fn time_bounds(&self, filter: &AlertFilter) -> Result<Option<TimeBounds>, StoreError> {
        let searcher = self.reader.searcher();
        let query = filter_query(&self.fields, filter);
        let bounds = searcher
            .search(&query, &MinMax { field_name: "time_ns".to_string() })
            .map_err(|source| self.index_error(source))?;
        Ok(bounds.map(|(low, high)| (nanos_to_time(low), nanos_to_time(high))))
    }

    fn search(
        &self,
        filter: &AlertFilter,
        text: Option<&str>,
        order: SearchOrder,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StoreError> {
        let searcher = self.reader.searcher();
        let mut query = filter_query(&self.fields, filter);
        if let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) {
            query = Box::new(BooleanQuery::new(vec![(Occur::Must, query), (Occur::Must, self.text_query(text)?)]));
        }
        let wanted = offset.saturating_add(limit);
        let (total, addresses): (usize, Vec<DocAddress>) = match order {
            SearchOrder::Relevance if text.is_some_and(|text| !text.trim().is_empty()) => {
                let top = TopDocs::with_limit(wanted.max(1)).order_by_score();
                let (total, hits) =
                    searcher.search(&query, &(Count, top)).map_err(|source| self.index_error(source))?;
                (total, hits.into_iter().map(|(_, address)| address).collect())
            }
            SearchOrder::OldestFirst => {
                let top = TopByTime { limit: wanted, newest_first: false };
                let (total, hits) =
                    searcher.search(&query, &(Count, top)).map_err(|source| self.index_error(source))?;
                (total, hits.into_iter().map(|(_, address)| address).collect())
            }
            SearchOrder::NewestFirst | SearchOrder::Relevance => {
                let top = TopByTime { limit: wanted, newest_first: true };
                let (total, hits) =
                    searcher.search(&query, &(Count, top)).map_err(|source| self.index_error(source))?;
                (total, hits.into_iter().map(|(_, address)| address).collect())
            }
        };
        let page: Vec<DocAddress> = addresses.into_iter().skip(offset).take(limit).collect();
        let alerts = self.load_many(&searcher, &page)?;
        Ok(SearchPage { total: total as u64, alerts })
    }

    fn get(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let terms = ids.iter().map(|id| Term::from_field_text(self.fields.id, id));
        let query = TermSetQuery::new(terms);
        let hits = searcher
            .search(&query, &TopDocs::with_limit(ids.len()).order_by_score())
            .map_err(|source| self.index_error(source))?;
        let mut found: std::collections::HashMap<String, Alert> = std::collections::HashMap::new();
        for (_, address) in hits {
            let alert = self.load(&searcher, address)?;
            found.insert(alert.id.clone(), alert);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    fn len(&self) -> Result<u64, StoreError> {
        Ok(self.reader.searcher().num_docs())
    }
}
