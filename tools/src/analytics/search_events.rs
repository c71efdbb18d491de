//! `search_events`: full-text and scope search returning alert summaries.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AlertSummary, dimension_scope, is_zero};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::scope::{Dimension, Scope};
use crate::store::{AlertFilter, SearchOrder};

/// The tool.
pub struct SearchEvents;

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Newest first (default).
    #[default]
    Newest,
    /// Oldest first, for timelines.
    Oldest,
    /// Best text match first (with `query`).
    Relevance,
}

/// Arguments of `search_events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SearchEventsArgs {
    /// Which alerts.
    #[serde(flatten)]
    pub window: Window,
    /// Words to find in the output line, command lines and file names (all must occur;
    /// quotes for phrases).
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_QUERY_CHARS))]
    pub query: Option<String>,
    /// Order of results.
    #[serde(default)]
    pub order: Order,
    /// Alerts to return (1 to 50, default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// Alerts to skip, for paging (at most 10,000).
    #[serde(default)]
    #[schemars(range(max = super::arg_limits::MAX_OFFSET))]
    pub offset: Option<u32>,
}

/// Output of `search_events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchEventsOutput {
    /// The alerts in scope and time range (before the text query).
    pub evidence: Evidence,
    /// Hits of the search (scope, time and text).
    pub total_hits: u64,
    /// This page of hits.
    pub alerts: Vec<AlertSummary>,
    /// Hits after this page.
    pub more: u64,
    /// With a `query`: where all the hits are (cluster, namespace, workload), most hits first,
    /// at most [`PLACES`] rows: "which pod talked to X" is answered by every hit, not a page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found_in: Vec<HitPlace>,
    /// Places beyond those listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_places: u64,
}

/// The alerts of one place of the hits (absent parts are not narrowed).
fn place_scope(place: &HitPlace) -> Scope {
    [
        (Dimension::Cluster, &place.cluster),
        (Dimension::Namespace, &place.namespace),
        (Dimension::Workload, &place.workload),
        (Dimension::Pod, &place.pod),
    ]
    .into_iter()
    .filter_map(|(dimension, value)| value.clone().map(|value| dimension_scope(dimension, vec![value])))
    .fold(Scope::all(), |scope, part| scope.and(&part))
}

/// Rows of [`SearchEventsOutput::found_in`].
pub const PLACES: usize = 10;

/// One place the hits of a search are in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HitPlace {
    /// The cluster (absent when the alerts have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// The pod: containment acts on pods, so "which pod ran X" is answered by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Hits there.
    pub count: u64,
}

impl Tool for SearchEvents {
    const NAME: &'static str = "search_events";
    type Args = SearchEventsArgs;
    type Output = SearchEventsOutput;

    fn description() -> &'static str {
        "Finds individual Falco alerts by scope, time range and optional full-text query over the \
         output line, command lines and file names (e.g. query='easyminer' or '169.254.169.254'). \
         Returns alert summaries (id, time, rule, priority, cluster, namespace, workload, pod, \
         process, command line, file, output excerpt) and the total number of hits. Use it to show \
         examples, to find an alert id for explain_event or root_cause, or to check whether \
         something happened at all."
    }

    fn call(context: &ToolContext<'_>, args: SearchEventsArgs) -> Result<SearchEventsOutput, ToolError> {
        let filter = args.window.filter(context)?;
        let limit = args.limit.unwrap_or(20).clamp(1, 50) as usize;
        let offset = args.offset.unwrap_or(0) as usize;
        let order = match args.order {
            Order::Newest => SearchOrder::NewestFirst,
            Order::Oldest => SearchOrder::OldestFirst,
            Order::Relevance => SearchOrder::Relevance,
        };
        let evidence = Evidence::of(context.store, &filter)?;
        let page = context.store.search(&filter, args.query.as_deref(), order, offset, limit)?;
        let shown = (offset + page.alerts.len()) as u64;
        // Where the hits are, with or without words to search for ("where is tcpdump run?").
        const PLACE_KEY: [Dimension; 4] =
            [Dimension::Cluster, Dimension::Namespace, Dimension::Workload, Dimension::Pod];
        let query = args.query.as_deref().map(str::trim).filter(|query| !query.is_empty());
        let (found_in, other_places) = match query {
            _ if page.total == 0 => (Vec::new(), 0),
            query => {
                let places = match query {
                    Some(query) => context.store.search_tuple_counts(&filter, query, &PLACE_KEY, PLACES)?,
                    None => context.store.tuple_counts(&filter, &PLACE_KEY, PLACES)?,
                };
                let rows = places
                    .rows
                    .into_iter()
                    .map(|(mut key, count)| {
                        let pod = key.pop().flatten();
                        let workload = key.pop().flatten();
                        let namespace = key.pop().flatten();
                        let cluster = key.pop().flatten();
                        HitPlace { cluster, namespace, workload, pod, count }
                    })
                    .collect();
                (rows, places.other_rows)
            }
        };
        // A first page of hits in several places starts with the newest hit of each, so that
        // no place hides behind a busier one ("port 4444": the miner's pool and the reverse
        // shell both show).
        let mut alerts: Vec<AlertSummary> = page.alerts.iter().map(AlertSummary::of).collect();
        if offset == 0 && args.order != Order::Relevance && found_in.len() > 1 {
            let mut leading: Vec<AlertSummary> = Vec::new();
            for place in found_in.iter().take(limit) {
                let narrowed = AlertFilter { scope: filter.scope.and(&place_scope(place)), time: filter.time };
                let first = context.store.search(&narrowed, query, order, 0, 1)?;
                leading.extend(first.alerts.iter().map(AlertSummary::of));
            }
            let newest_first = args.order == Order::Newest;
            leading.sort_by(
                |left, right| if newest_first { right.time.cmp(&left.time) } else { left.time.cmp(&right.time) },
            );
            let led: Vec<String> = leading.iter().map(|lead| lead.id.clone()).collect();
            let rest = alerts.into_iter().filter(|alert| !led.contains(&alert.id));
            alerts = leading.into_iter().chain(rest).take(limit).collect();
        }
        Ok(SearchEventsOutput {
            evidence,
            total_hits: page.total,
            more: page.total.saturating_sub(shown),
            alerts,
            found_in,
            other_places,
        })
    }
}
