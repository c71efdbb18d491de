//! [`AlertStore`] over PostgreSQL: every figure counted by the database exactly, every list
//! ordered in Rust by the same rules as the embedded backend (`store::shape`), times tied by
//! the id hash.

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::PostgresStore;
use super::rows::load_alert;
use super::scope_sql::{Column, column, key_expression, push_condition, push_where};
use super::text_sql::{TextCondition, parse_text, push_text_condition};
use super::writer::PostgresAlertWriter;
use crate::alert::{Alert, ProcessLineage, parse_lineage};
use crate::scope::Dimension;
use crate::store::shape::{self, nanos_to_time};
use crate::store::{
    AlertFilter, AlertStore, AlertWriter, GroupCounts, GroupKey, RollupRow, Rollups, SearchOrder, SearchPage,
    StoreError, TimeBounds, TupleCounts,
};

/// A key tuple of a grouping.
type Key = Vec<Option<String>>;

/// Per key: counts per value of a detail dimension, and alerts without a value.
type DetailCounts = HashMap<Key, (HashMap<String, u64>, u64)>;

/// One grouping set's counts: its groups, the alerts without a value, and all alerts.
type SetCounts = (Vec<(String, u64)>, u64, u64);

/// What a rollup accumulates per key before the newest alerts are loaded.
struct RollupStats {
    count: u64,
    first_ns: i64,
    last_ns: i64,
    min_severity: Option<i16>,
}

fn as_count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn as_bind(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl PostgresStore {
    fn fetch_rows(&self, builder: &mut QueryBuilder<Postgres>, action: &'static str) -> Result<Vec<PgRow>, StoreError> {
        let query = builder.build();
        self.block_on(query.fetch_all(&self.pool)).map_err(|source| self.error(action, source))
    }

    fn fetch_count(&self, builder: &mut QueryBuilder<Postgres>, action: &'static str) -> Result<u64, StoreError> {
        let query = builder.build();
        let row = self.block_on(query.fetch_one(&self.pool)).map_err(|source| self.error(action, source))?;
        let count: i64 = row.try_get(0).map_err(|source| self.error(action, source))?;
        Ok(as_count(count))
    }

    fn read<T>(&self, row: &PgRow, index: usize, action: &'static str) -> Result<T, StoreError>
    where
        T: for<'row> sqlx::Decode<'row, Postgres> + sqlx::Type<Postgres>,
    {
        row.try_get(index).map_err(|source| self.error(action, source))
    }

    fn read_key(&self, row: &PgRow, width: usize, action: &'static str) -> Result<Key, StoreError> {
        (0..width).map(|index| self.read::<Option<String>>(row, index, action)).collect()
    }

    /// `filter` and, when given, a full-text condition.
    fn push_filter(builder: &mut QueryBuilder<Postgres>, filter: &AlertFilter, text: Option<&TextCondition>) {
        push_where(builder, filter);
        if let Some(text) = text {
            builder.push(" AND ");
            push_text_condition(builder, text);
        }
    }

    fn count_with(&self, filter: &AlertFilter, text: Option<&TextCondition>) -> Result<u64, StoreError> {
        let mut builder = QueryBuilder::new("SELECT count(*) FROM alerts");
        Self::push_filter(&mut builder, filter, text);
        self.fetch_count(&mut builder, "counting alerts")
    }

    fn tuple_counts_with(
        &self,
        filter: &AlertFilter,
        text: Option<&TextCondition>,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError> {
        const ACTION: &str = "counting alerts per combination of values";
        let mut counts: HashMap<Key, u64> = HashMap::new();
        if dimensions.is_empty() {
            let total = self.count_with(filter, text)?;
            if total > 0 {
                counts.insert(Vec::new(), total);
            }
            return Ok(shape::ranked_tuples(counts, limit));
        }
        let keys: Vec<String> = dimensions.iter().map(|dimension| key_expression(*dimension)).collect();
        let mut builder = QueryBuilder::new(format!("SELECT {}, count(*) FROM alerts", keys.join(", ")));
        Self::push_filter(&mut builder, filter, text);
        builder.push(format!(" GROUP BY {}", group_positions(dimensions.len())));
        for row in self.fetch_rows(&mut builder, ACTION)? {
            let key = self.read_key(&row, dimensions.len(), ACTION)?;
            let count: i64 = self.read(&row, dimensions.len(), ACTION)?;
            counts.insert(key, as_count(count));
        }
        Ok(shape::ranked_tuples(counts, limit))
    }

    /// Alerts in the order of the rows (`id`, `raw`, `ingest_cluster` in columns 0–2).
    fn load_rows(&self, rows: &[PgRow], action: &'static str) -> Result<Vec<Alert>, StoreError> {
        rows.iter()
            .map(|row| {
                let id: String = self.read(row, 0, action)?;
                let raw: String = self.read(row, 1, action)?;
                let ingest_cluster: Option<String> = self.read(row, 2, action)?;
                load_alert(id, &raw, ingest_cluster.as_deref())
            })
            .collect()
    }

    /// Per key, the counts of the values of `detail` among the matching alerts, and how many
    /// had none.
    fn detail_counts(
        &self,
        filter: &AlertFilter,
        key: &[Dimension],
        detail: Dimension,
    ) -> Result<DetailCounts, StoreError> {
        const ACTION: &str = "counting detail values per key";
        let mut selected: Vec<String> = key.iter().map(|dimension| key_expression(*dimension)).collect();
        let from = match column(detail) {
            Column::Single(name) => {
                selected.push(name.to_string());
                "alerts".to_string()
            }
            Column::Multi(name) => {
                selected.push("unnested.value".to_string());
                format!("alerts LEFT JOIN LATERAL unnest(alerts.{name}) AS unnested(value) ON TRUE")
            }
        };
        let mut builder = QueryBuilder::new(format!("SELECT {}, count(*) FROM {from}", selected.join(", ")));
        push_where(&mut builder, filter);
        builder.push(format!(" GROUP BY {}", group_positions(key.len() + 1)));
        let mut details: DetailCounts = HashMap::new();
        for row in self.fetch_rows(&mut builder, ACTION)? {
            let key_values = self.read_key(&row, key.len(), ACTION)?;
            let value: Option<String> = self.read(&row, key.len(), ACTION)?;
            let count = as_count(self.read::<i64>(&row, key.len() + 1, ACTION)?);
            let entry = details.entry(key_values).or_default();
            match value {
                Some(value) => {
                    *entry.0.entry(value).or_insert(0) += count;
                }
                None => entry.1 += count,
            }
        }
        Ok(details)
    }

    /// The id of the newest matching alert (latest time, then smallest id hash, as the
    /// embedded backend orders newest first) of each key.
    fn newest_ids(
        &self,
        filter: &AlertFilter,
        key: &[Dimension],
        rows: &[(Key, RollupStats)],
    ) -> Result<HashMap<usize, String>, StoreError> {
        const ACTION: &str = "finding the newest alert per key";
        if rows.is_empty() {
            return Ok(HashMap::new());
        }
        let mut builder = QueryBuilder::new(
            "SELECT DISTINCT ON (top.top_position) top.top_position, alerts.id FROM alerts JOIN unnest(",
        );
        for position in 0..key.len() {
            let values: Vec<Option<String>> = rows.iter().map(|(values, _)| values[position].clone()).collect();
            builder.push_bind(values).push("::text[], ");
        }
        builder.push_bind(rows.iter().map(|(_, stats)| stats.last_ns).collect::<Vec<i64>>()).push("::bigint[], ");
        builder.push_bind((0..rows.len()).map(as_bind).collect::<Vec<i64>>()).push("::bigint[]) AS top(");
        for position in 0..key.len() {
            builder.push(format!("top_key{position}, "));
        }
        builder.push("top_last, top_position) ON alerts.time_ns = top.top_last");
        for (position, dimension) in key.iter().enumerate() {
            builder.push(format!(" AND {} IS NOT DISTINCT FROM top.top_key{position}", key_expression(*dimension)));
        }
        builder.push(" WHERE ");
        push_condition(&mut builder, filter);
        builder.push(" ORDER BY top.top_position, alerts.id_hash");
        let mut newest = HashMap::new();
        for row in self.fetch_rows(&mut builder, ACTION)? {
            let position: i64 = self.read(&row, 0, ACTION)?;
            let id: String = self.read(&row, 1, ACTION)?;
            newest.insert(usize::try_from(position).unwrap_or(usize::MAX), id);
        }
        Ok(newest)
    }
}

/// The single-valued dimensions of `candidates` that can be counted in one `GROUPING SETS`
/// pass beside `key`, each once and in their first order: not multi-valued (their rows would
/// multiply) and not in `key` (their `GROUPING()` bit would not tell the sets apart).
fn single_valued_apart_from(key: &[Dimension], candidates: &[Dimension]) -> Vec<Dimension> {
    let mut shared: Vec<Dimension> = Vec::new();
    for dimension in candidates {
        if matches!(column(*dimension), Column::Single(_)) && !key.contains(dimension) && !shared.contains(dimension) {
            shared.push(*dimension);
        }
    }
    shared
}

/// The column of a dimension (called for single-valued ones, whose column is their value).
fn single_column(dimension: Dimension) -> &'static str {
    match column(dimension) {
        Column::Single(name) | Column::Multi(name) => name,
    }
}

/// `GROUPING(a, b, ...)` over the columns of the grouping sets, `0` when there are none.
fn grouping_expression(columns: &[&str]) -> String {
    if columns.is_empty() { "0".to_string() } else { format!("GROUPING({})", columns.join(", ")) }
}

/// Which of `width` one-column grouping sets a row's `GROUPING(...)` mask names (the set whose
/// bit is 0, the first column being the highest bit), or `None` for the set of the key alone
/// (every bit 1).
fn grouping_set(mask: i32, width: usize) -> Option<usize> {
    (0..width).find(|&set| mask & (1 << (width - 1 - set)) == 0)
}

/// `1, 2, ..., count` for `GROUP BY`.
fn group_positions(count: usize) -> String {
    (1..=count).map(|position| position.to_string()).collect::<Vec<_>>().join(", ")
}

impl AlertStore for PostgresStore {
    fn writer(&self) -> Result<Box<dyn AlertWriter + '_>, StoreError> {
        let cluster = self.ingest_cluster.lock().map(|cluster| cluster.clone()).unwrap_or_default();
        Ok(Box::new(PostgresAlertWriter::new(self, cluster)))
    }

    fn count(&self, filter: &AlertFilter) -> Result<u64, StoreError> {
        self.count_with(filter, None)
    }

    fn group_counts(&self, filter: &AlertFilter, key: GroupKey, limit: usize) -> Result<GroupCounts, StoreError> {
        const ACTION: &str = "counting alerts per group";
        match key {
            GroupKey::Dimension(dimension) => {
                let (mut builder, total) = match column(dimension) {
                    Column::Single(name) => (QueryBuilder::new(format!("SELECT {name}, count(*) FROM alerts")), None),
                    Column::Multi(name) => (
                        QueryBuilder::new(format!(
                            "SELECT unnested.value, count(*) FROM alerts LEFT JOIN LATERAL unnest(alerts.{name}) AS \
                             unnested(value) ON TRUE"
                        )),
                        Some(self.count(filter)?),
                    ),
                };
                push_where(&mut builder, filter);
                builder.push(" GROUP BY 1");
                let (mut groups, mut missing, mut summed) = (Vec::new(), 0, 0);
                for row in self.fetch_rows(&mut builder, ACTION)? {
                    let value: Option<String> = self.read(&row, 0, ACTION)?;
                    let count = as_count(self.read::<i64>(&row, 1, ACTION)?);
                    summed += count;
                    match value {
                        Some(value) => groups.push((value, count)),
                        None => missing += count,
                    }
                }
                Ok(shape::ranked_groups(total.unwrap_or(summed), groups, limit, missing))
            }
            GroupKey::Time(bucket) => {
                let width = bucket.nanos();
                let mut builder = QueryBuilder::new("SELECT div(time_ns, ");
                builder.push_bind(width).push(")::bigint - CASE WHEN mod(time_ns, ");
                builder.push_bind(width).push(") < 0 THEN 1 ELSE 0 END, count(*) FROM alerts");
                push_where(&mut builder, filter);
                builder.push(" GROUP BY 1");
                let mut counts: HashMap<i64, u64> = HashMap::new();
                for row in self.fetch_rows(&mut builder, ACTION)? {
                    let index: i64 = self.read(&row, 0, ACTION)?;
                    let count = as_count(self.read::<i64>(&row, 1, ACTION)?);
                    *counts.entry(index.saturating_mul(width)).or_insert(0) += count;
                }
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
        self.tuple_counts_with(filter, None, dimensions, limit)
    }

    fn group_counts_each(
        &self,
        filter: &AlertFilter,
        keys: &[GroupKey],
        limit: usize,
    ) -> Result<Vec<GroupCounts>, StoreError> {
        const ACTION: &str = "counting alerts per group of several keys";
        let dimensions: Vec<Dimension> = keys
            .iter()
            .filter_map(|key| if let GroupKey::Dimension(dimension) = key { Some(*dimension) } else { None })
            .collect();
        let shared = single_valued_apart_from(&[], &dimensions);
        if shared.len() < 2 {
            return keys.iter().map(|key| self.group_counts(filter, *key, limit)).collect();
        }
        // One pass over the alerts counting each combination of the values, then one grouping
        // set per dimension over those few rows; `GROUPING(...)` says which set a row belongs
        // to (its bit is 0 for the set's own dimension).
        let columns: Vec<&str> = shared.iter().map(|dimension| single_column(*dimension)).collect();
        let values: Vec<String> = (0..columns.len()).map(|position| format!("value{position}")).collect();
        let inner: Vec<String> =
            columns.iter().zip(&values).map(|(column, value)| format!("{column} AS {value}")).collect();
        let value_refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let mut builder = QueryBuilder::new(format!(
            "SELECT {}, {}, coalesce(sum(alerts), 0)::bigint FROM (SELECT {}, count(*) AS alerts FROM alerts",
            values.join(", "),
            grouping_expression(&value_refs),
            inner.join(", ")
        ));
        push_where(&mut builder, filter);
        let sets: Vec<String> = values.iter().map(|value| format!("({value})")).collect();
        builder.push(format!(
            " GROUP BY {}) AS combinations GROUP BY GROUPING SETS ({})",
            group_positions(values.len()),
            sets.join(", ")
        ));
        let mut per_set: Vec<SetCounts> = vec![(Vec::new(), 0, 0); shared.len()];
        for row in self.fetch_rows(&mut builder, ACTION)? {
            let mask: i32 = self.read(&row, shared.len(), ACTION)?;
            let Some(set) = grouping_set(mask, shared.len()) else {
                continue;
            };
            let value: Option<String> = self.read(&row, set, ACTION)?;
            let count = as_count(self.read::<i64>(&row, shared.len() + 1, ACTION)?);
            let (groups, missing, summed) = &mut per_set[set];
            *summed += count;
            match value {
                Some(value) => groups.push((value, count)),
                None => *missing += count,
            }
        }
        keys.iter()
            .map(|key| match key {
                GroupKey::Dimension(dimension) => match shared.iter().position(|shared| shared == dimension) {
                    Some(set) => {
                        let (groups, missing, summed) = &per_set[set];
                        Ok(shape::ranked_groups(*summed, groups.clone(), limit, *missing))
                    }
                    None => self.group_counts(filter, *key, limit),
                },
                GroupKey::Time(_) => self.group_counts(filter, *key, limit),
            })
            .collect()
    }

    fn rollup(
        &self,
        filter: &AlertFilter,
        key: &[Dimension],
        details: &[Dimension],
        detail_limit: usize,
        limit: usize,
    ) -> Result<Rollups, StoreError> {
        const ACTION: &str = "rolling alerts up per key";
        // The single-valued details are counted in the same pass as the keys: the alerts are
        // counted per combination of key and detail values once, then rolled up over those few
        // rows in one grouping set for the keys and one for each detail beside them. The
        // multi-valued details, which multiply rows, are counted on their own.
        let shared = single_valued_apart_from(key, details);
        let mut builder = if shared.is_empty() {
            let mut selected: Vec<String> = key.iter().map(|dimension| key_expression(*dimension)).collect();
            selected.push("0".to_string());
            selected.extend(["count(*)", "min(time_ns)", "max(time_ns)", "min(severity)"].map(str::to_string));
            let mut builder = QueryBuilder::new(format!("SELECT {} FROM alerts", selected.join(", ")));
            push_where(&mut builder, filter);
            if !key.is_empty() {
                builder.push(format!(" GROUP BY {}", group_positions(key.len())));
            }
            builder
        } else {
            let keys: Vec<String> = (0..key.len()).map(|position| format!("key{position}")).collect();
            let values: Vec<String> = (0..shared.len()).map(|position| format!("value{position}")).collect();
            let mut inner: Vec<String> = key
                .iter()
                .zip(&keys)
                .map(|(dimension, alias)| format!("{} AS {alias}", key_expression(*dimension)))
                .collect();
            inner.extend(
                shared
                    .iter()
                    .zip(&values)
                    .map(|(dimension, alias)| format!("{} AS {alias}", single_column(*dimension))),
            );
            inner.extend(
                [
                    "count(*) AS alerts",
                    "min(time_ns) AS first_ns",
                    "max(time_ns) AS last_ns",
                    "min(severity) AS severity",
                ]
                .map(str::to_string),
            );
            let value_refs: Vec<&str> = values.iter().map(String::as_str).collect();
            let mut outer: Vec<String> = keys.iter().chain(&values).cloned().collect();
            outer.push(grouping_expression(&value_refs));
            outer.extend(
                ["coalesce(sum(alerts), 0)::bigint", "min(first_ns)", "max(last_ns)", "min(severity)"]
                    .map(str::to_string),
            );
            let mut builder =
                QueryBuilder::new(format!("SELECT {} FROM (SELECT {} FROM alerts", outer.join(", "), inner.join(", ")));
            push_where(&mut builder, filter);
            let mut sets = vec![format!("({})", keys.join(", "))];
            for value in &values {
                let set: Vec<&str> = keys.iter().map(String::as_str).chain([value.as_str()]).collect();
                sets.push(format!("({})", set.join(", ")));
            }
            builder.push(format!(
                " GROUP BY {}) AS combinations GROUP BY GROUPING SETS ({})",
                group_positions(keys.len() + values.len()),
                sets.join(", ")
            ));
            builder
        };
        let stats_at = key.len() + shared.len() + 1;
        let mut entries: Vec<(Key, RollupStats)> = Vec::new();
        let mut shared_details: Vec<DetailCounts> = vec![HashMap::new(); shared.len()];
        for row in self.fetch_rows(&mut builder, ACTION)? {
            let count = as_count(self.read::<i64>(&row, stats_at, ACTION)?);
            if count == 0 {
                continue;
            }
            let key_values = self.read_key(&row, key.len(), ACTION)?;
            let mask: i32 = self.read(&row, key.len() + shared.len(), ACTION)?;
            match grouping_set(mask, shared.len()) {
                Some(set) => {
                    let value: Option<String> = self.read(&row, key.len() + set, ACTION)?;
                    let entry = shared_details[set].entry(key_values).or_default();
                    match value {
                        Some(value) => {
                            *entry.0.entry(value).or_insert(0) += count;
                        }
                        None => entry.1 += count,
                    }
                }
                None => {
                    let stats = RollupStats {
                        count,
                        first_ns: self.read::<Option<i64>>(&row, stats_at + 1, ACTION)?.unwrap_or_default(),
                        last_ns: self.read::<Option<i64>>(&row, stats_at + 2, ACTION)?.unwrap_or_default(),
                        min_severity: self.read(&row, stats_at + 3, ACTION)?,
                    };
                    entries.push((key_values, stats));
                }
            }
        }
        let total = entries.iter().map(|(_, stats)| stats.count).sum();
        entries.sort_by(|left, right| right.1.count.cmp(&left.1.count).then_with(|| left.0.cmp(&right.0)));
        let rest = if entries.len() > limit { entries.split_off(limit) } else { Vec::new() };
        let newest_ids = self.newest_ids(filter, key, &entries)?;
        let ids: Vec<String> = (0..entries.len()).filter_map(|position| newest_ids.get(&position).cloned()).collect();
        let mut newest: HashMap<String, Alert> =
            self.get(&ids)?.into_iter().map(|alert| (alert.id.clone(), alert)).collect();
        let mut detail_maps = Vec::with_capacity(details.len());
        for detail in details {
            match shared.iter().position(|dimension| dimension == detail) {
                Some(set) => detail_maps.push(shared_details[set].clone()),
                None => detail_maps.push(self.detail_counts(filter, key, *detail)?),
            }
        }
        let rows = entries
            .into_iter()
            .enumerate()
            .map(|(position, (key_values, stats))| RollupRow {
                details: detail_maps
                    .iter_mut()
                    .map(|per_key| {
                        let (counts, missing) = per_key.remove(&key_values).unwrap_or_default();
                        let total = counts.values().sum();
                        shape::ranked_groups(total, counts.into_iter().collect(), detail_limit, missing)
                    })
                    .collect(),
                newest: newest_ids.get(&position).and_then(|id| newest.remove(id)),
                key: key_values,
                count: stats.count,
                first: nanos_to_time(stats.first_ns),
                last: nanos_to_time(stats.last_ns),
                highest_severity: stats.min_severity.and_then(|severity| u8::try_from(severity).ok()),
            })
            .collect();
        Ok(Rollups {
            total,
            rows,
            other_rows: rest.len() as u64,
            other_count: rest.iter().map(|(_, stats)| stats.count).sum(),
        })
    }

    fn lineages(&self, filter: &AlertFilter, limit: usize) -> Result<(u64, Vec<ProcessLineage>), StoreError> {
        const ACTION: &str = "reading process lineages";
        let total = self.count(filter)?;
        let mut builder = QueryBuilder::new("SELECT id, raw FROM alerts");
        push_where(&mut builder, filter);
        builder.push(" ORDER BY time_ns, id_hash LIMIT ").push_bind(as_bind(limit));
        let lineages = self
            .fetch_rows(&mut builder, ACTION)?
            .iter()
            .map(|row| {
                let id: String = self.read(row, 0, ACTION)?;
                let raw: String = self.read(row, 1, ACTION)?;
                parse_lineage(&raw, id.clone()).map_err(|problem| StoreError::Corrupt { id, problem })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((total, lineages))
    }

    fn time_bounds(&self, filter: &AlertFilter) -> Result<Option<TimeBounds>, StoreError> {
        const ACTION: &str = "finding the time bounds of alerts";
        let mut builder = QueryBuilder::new("SELECT min(time_ns), max(time_ns) FROM alerts");
        push_where(&mut builder, filter);
        let rows = self.fetch_rows(&mut builder, ACTION)?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let low: Option<i64> = self.read(row, 0, ACTION)?;
        let high: Option<i64> = self.read(row, 1, ACTION)?;
        Ok(low.zip(high).map(|(low, high)| (nanos_to_time(low), nanos_to_time(high))))
    }

    fn search(
        &self,
        filter: &AlertFilter,
        text: Option<&str>,
        order: SearchOrder,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, StoreError> {
        const ACTION: &str = "searching alerts";
        let condition = text.map(str::trim).filter(|text| !text.is_empty()).map(parse_text).transpose()?;
        let total = self.count_with(filter, condition.as_ref())?;
        if limit == 0 {
            return Ok(SearchPage { total, alerts: Vec::new() });
        }
        let mut builder = QueryBuilder::new("SELECT id, raw, ingest_cluster FROM alerts");
        Self::push_filter(&mut builder, filter, condition.as_ref());
        // Relevance (tantivy's BM25) has no exact counterpart here: the same hits, newest first.
        builder.push(match order {
            SearchOrder::OldestFirst => " ORDER BY time_ns, id_hash",
            SearchOrder::NewestFirst | SearchOrder::Relevance => " ORDER BY time_ns DESC, id_hash",
        });
        builder.push(" OFFSET ").push_bind(as_bind(offset)).push(" LIMIT ").push_bind(as_bind(limit));
        let rows = self.fetch_rows(&mut builder, ACTION)?;
        Ok(SearchPage { total, alerts: self.load_rows(&rows, ACTION)? })
    }

    fn search_tuple_counts(
        &self,
        filter: &AlertFilter,
        text: &str,
        dimensions: &[Dimension],
        limit: usize,
    ) -> Result<TupleCounts, StoreError> {
        let condition = Some(text.trim()).filter(|text| !text.is_empty()).map(parse_text).transpose()?;
        self.tuple_counts_with(filter, condition.as_ref(), dimensions, limit)
    }

    fn get(&self, ids: &[String]) -> Result<Vec<Alert>, StoreError> {
        const ACTION: &str = "reading alerts by id";
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut builder = QueryBuilder::new(
            "SELECT alerts.id, alerts.raw, alerts.ingest_cluster FROM alert_ids JOIN alerts ON alerts.time_ns = \
             alert_ids.time_ns AND alerts.id = alert_ids.id WHERE alert_ids.id = ANY(",
        );
        builder.push_bind(ids.to_vec()).push("::text[])");
        let rows = self.fetch_rows(&mut builder, ACTION)?;
        let mut found: HashMap<String, Alert> =
            self.load_rows(&rows, ACTION)?.into_iter().map(|alert| (alert.id.clone(), alert)).collect();
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    fn len(&self) -> Result<u64, StoreError> {
        let mut builder = QueryBuilder::new("SELECT count(*) FROM alerts");
        self.fetch_count(&mut builder, "counting alerts")
    }
}
