//! Result types of store queries.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::scope::Dimension;

/// What to group counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupKey {
    /// A dimension such as rule, namespace or workload.
    Dimension(#[schemars(with = "String")] Dimension),
    /// Fixed time buckets (UTC).
    Time(TimeBucket),
}

/// Width of a time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeBucket {
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
}

impl TimeBucket {
    /// Bucket width in nanoseconds.
    pub fn nanos(self) -> i64 {
        match self {
            TimeBucket::Hour => 3_600 * 1_000_000_000,
            TimeBucket::Day => 86_400 * 1_000_000_000,
        }
    }
}

/// Counts per group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupCounts {
    /// Alerts matching the filter.
    pub total: u64,
    /// The largest groups (time buckets: in time order, all of them up to the limit).
    pub groups: Vec<(String, u64)>,
    /// How many groups are not listed.
    pub other_groups: u64,
    /// Alerts counted in groups that are not listed.
    pub other_count: u64,
    /// Alerts with no value for the dimension.
    pub missing: u64,
}

/// Counts per combination of dimension values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TupleCounts {
    /// Alerts matching the filter.
    pub total: u64,
    /// The largest combinations: values (None where the alert has none) and count.
    pub rows: Vec<(Vec<Option<String>>, u64)>,
    /// Combinations not listed.
    pub other_rows: u64,
    /// Alerts in combinations not listed.
    pub other_count: u64,
}

/// Alerts rolled up per key tuple (see [`crate::store::AlertStore::rollup`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Rollups {
    /// Alerts matching the filter.
    pub total: u64,
    /// The largest keys, most alerts first (ties by key).
    pub rows: Vec<RollupRow>,
    /// Keys not listed.
    pub other_rows: u64,
    /// Alerts under keys not listed.
    pub other_count: u64,
}

/// One key of a rollup.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupRow {
    /// The key values (None where the alerts have none).
    pub key: Vec<Option<String>>,
    /// Alerts under the key.
    pub count: u64,
    /// Earliest alert.
    pub first: DateTime<Utc>,
    /// Latest alert.
    pub last: DateTime<Utc>,
    /// Lowest severity number (0 = emergency) among them.
    pub highest_severity: Option<u8>,
    /// The newest alert under the key.
    pub newest: Option<Alert>,
    /// Per requested detail dimension: the largest values (up to the detail limit).
    pub details: Vec<GroupCounts>,
}

/// One time bucket and its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TimeBucketCount {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Alerts in the bucket.
    pub count: u64,
}

/// Order of search results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchOrder {
    /// Newest first (ties by id).
    #[default]
    NewestFirst,
    /// Oldest first (ties by id): timelines, process ancestry.
    OldestFirst,
    /// Most relevant first for text queries (ties by time, newest first).
    Relevance,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// All hits, not only this page.
    pub total: u64,
    /// The alerts of this page.
    pub alerts: Vec<Alert>,
}

/// The names `group_by` accepts, for error messages and help.
pub const GROUP_KEY_NAMES: &str = "rule, priority, source, tag, mitre_tactic, mitre_technique, cluster, namespace, workload, pod, container, \
     container_name, image, process, user, file, tool, host, hour, day";

impl GroupKey {
    /// Parses a group-by name such as `namespace`, `mitre_technique` or `day`.
    pub fn parse(name: &str) -> Option<GroupKey> {
        let dimension = match name.trim().to_ascii_lowercase().replace(['-', '.'], "_").as_str() {
            "hour" => return Some(GroupKey::Time(TimeBucket::Hour)),
            "day" => return Some(GroupKey::Time(TimeBucket::Day)),
            "rule" => Dimension::Rule,
            "priority" | "severity" => Dimension::Priority,
            "source" => Dimension::Source,
            "tag" | "tags" => Dimension::Tag,
            "mitre_tactic" | "tactic" => Dimension::MitreTactic,
            "mitre_technique" | "technique" => Dimension::MitreTechnique,
            "cluster" => Dimension::Cluster,
            "namespace" => Dimension::Namespace,
            "workload" => Dimension::Workload,
            "pod" => Dimension::Pod,
            "container" | "container_id" => Dimension::ContainerId,
            "container_name" => Dimension::ContainerName,
            "image" => Dimension::Image,
            "process" => Dimension::Process,
            "user" => Dimension::User,
            "file" => Dimension::File,
            "tool" | "tools" => Dimension::Tool,
            "host" | "hostname" => Dimension::Host,
            _ => return None,
        };
        Some(GroupKey::Dimension(dimension))
    }

    /// The canonical group-by name.
    pub fn name(self) -> &'static str {
        match self {
            GroupKey::Time(TimeBucket::Hour) => "hour",
            GroupKey::Time(TimeBucket::Day) => "day",
            GroupKey::Dimension(dimension) => match dimension {
                Dimension::Rule => "rule",
                Dimension::Priority => "priority",
                Dimension::Source => "source",
                Dimension::Tag => "tag",
                Dimension::MitreTactic => "mitre_tactic",
                Dimension::MitreTechnique => "mitre_technique",
                Dimension::Cluster => "cluster",
                Dimension::Namespace => "namespace",
                Dimension::Workload => "workload",
                Dimension::Pod => "pod",
                Dimension::ContainerId => "container",
                Dimension::ContainerName => "container_name",
                Dimension::Image => "image",
                Dimension::Process => "process",
                Dimension::User => "user",
                Dimension::File => "file",
                Dimension::Tool => "tool",
                Dimension::Host => "host",
                Dimension::Id => "id",
            },
        }
    }
}
