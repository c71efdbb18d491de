//! `impacted_workloads`: the distinct workloads hit in a scope, with what hit them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{NameCount, timestamp};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, GroupKey, SearchOrder};

/// The tool.
pub struct ImpactedWorkloads;

/// Arguments of `impacted_workloads`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct ImpactedWorkloadsArgs {
    /// Which alerts.
    #[serde(flatten)]
    pub window: Window,
    /// Workloads listed in detail (1 to 50, default 20); totals always count all.
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
}

/// Output of `impacted_workloads`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImpactedWorkloadsOutput {
    /// The alerts looked at.
    pub evidence: Evidence,
    /// Distinct counts over all alerts in scope.
    pub totals: Totals,
    /// The workloads, most alerts first.
    pub workloads: Vec<ImpactedWorkload>,
    /// Workloads not listed.
    pub more_workloads: u64,
}

/// Distinct objects hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    /// Distinct (cluster, namespace, workload) triples.
    pub workloads: u64,
    /// Distinct pods.
    pub pods: u64,
    /// Distinct containers.
    pub containers: u64,
    /// Distinct namespaces.
    pub namespaces: u64,
    /// Distinct clusters.
    pub clusters: u64,
    /// Alerts with no Kubernetes workload (host processes, audit events).
    pub alerts_without_workload: u64,
}

/// One workload and what hit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImpactedWorkload {
    /// Cluster.
    pub cluster: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Workload name.
    pub workload: String,
    /// Controller kind when known (from metadata, or inferred from pod names).
    pub kind: Option<String>,
    /// Alerts.
    pub count: u64,
    /// The most severe priority seen.
    pub highest_priority: String,
    /// Rules, most alerts first (at most five).
    pub rules: Vec<NameCount>,
    /// Pods (at most ten) and how many more.
    pub pods: Vec<String>,
    /// Pods not listed.
    pub more_pods: u64,
    /// Container ids (at most ten).
    pub containers: Vec<String>,
    /// Images.
    pub images: Vec<String>,
    /// First alert.
    pub first_seen: String,
    /// Last alert.
    pub last_seen: String,
    /// Event-feed link.
    pub link: String,
}

impl Tool for ImpactedWorkloads {
    const NAME: &'static str = "impacted_workloads";
    type Args = ImpactedWorkloadsArgs;
    type Output = ImpactedWorkloadsOutput;

    fn description() -> &'static str {
        "Lists the distinct Kubernetes workloads hit by Falco alerts in a scope and time range: \
         cluster, namespace, workload, kind, pods, containers and images, with alert count, highest \
         priority, rules, first and last seen; plus totals of workloads, pods, containers and \
         namespaces. Use it for 'how many workloads were impacted' and 'which resources are \
         affected'."
    }

    fn call(context: &ToolContext<'_>, args: ImpactedWorkloadsArgs) -> Result<ImpactedWorkloadsOutput, ToolError> {
        let filter = args.window.filter(context)?;
        let limit = args.limit.unwrap_or(20).clamp(1, 50) as usize;
        let evidence = Evidence::of(context.store, &filter)?;
        let dimensions = [Dimension::Cluster, Dimension::Namespace, Dimension::Workload];
        let tuples = context.store.tuple_counts(&filter, &dimensions, usize::MAX)?;
        let mut with_workload: Vec<(Vec<Option<String>>, u64)> =
            tuples.rows.into_iter().filter(|(values, _)| values.get(2).is_some_and(Option::is_some)).collect();
        let alerts_without_workload = evidence.count - with_workload.iter().map(|(_, count)| count).sum::<u64>();
        let distinct = |dimension| -> Result<u64, ToolError> {
            let counts = context.store.group_counts(&filter, GroupKey::Dimension(dimension), 0)?;
            Ok(counts.other_groups)
        };
        let totals = Totals {
            workloads: with_workload.len() as u64,
            pods: distinct(Dimension::Pod)?,
            containers: distinct(Dimension::ContainerId)?,
            namespaces: distinct(Dimension::Namespace)?,
            clusters: distinct(Dimension::Cluster)?,
            alerts_without_workload,
        };
        let more_workloads = with_workload.len().saturating_sub(limit) as u64;
        with_workload.truncate(limit);
        let mut workloads = Vec::with_capacity(with_workload.len());
        for (values, count) in with_workload {
            workloads.push(describe(context, &filter, &values, count)?);
        }
        Ok(ImpactedWorkloadsOutput { evidence, totals, workloads, more_workloads })
    }
}

fn describe(
    context: &ToolContext<'_>,
    filter: &AlertFilter,
    values: &[Option<String>],
    count: u64,
) -> Result<ImpactedWorkload, ToolError> {
    let [cluster, namespace, workload] = [0, 1, 2].map(|index| values.get(index).cloned().flatten());
    let workload = workload.unwrap_or_default();
    let mut expr =
        ScopeExpr::compare(FieldRef::Dimension(Dimension::Workload), Operator::Equal, vec![workload.clone()]);
    for (dimension, value) in [(Dimension::Cluster, &cluster), (Dimension::Namespace, &namespace)] {
        let part = match value {
            Some(value) => ScopeExpr::compare(FieldRef::Dimension(dimension), Operator::Equal, vec![value.clone()]),
            None => ScopeExpr::negate(ScopeExpr::compare(FieldRef::Dimension(dimension), Operator::Exists, Vec::new())),
        };
        expr = ScopeExpr::and(part, expr);
    }
    let workload_filter = AlertFilter { scope: filter.scope.and(&Scope::from_expr(expr)), time: filter.time };
    let store = context.store;
    let group = |dimension, limit| store.group_counts(&workload_filter, GroupKey::Dimension(dimension), limit);
    let severities = group(Dimension::Priority, 8)?;
    let highest_priority = severities
        .groups
        .iter()
        .filter_map(|(name, _)| name.parse::<crate::alert::Priority>().ok())
        .min()
        .map_or_else(String::new, |priority| priority.as_str().to_string());
    let rules = group(Dimension::Rule, 5)?;
    let pods = group(Dimension::Pod, 10)?;
    let containers = group(Dimension::ContainerId, 10)?;
    let images = group(Dimension::Image, 10)?;
    let bounds = store.time_bounds(&workload_filter)?;
    let newest = store.search(&workload_filter, None, SearchOrder::NewestFirst, 0, 1)?;
    let kind =
        newest.alerts.first().and_then(|alert| alert.dimensions.workload.as_ref()).and_then(|found| found.kind.clone());
    Ok(ImpactedWorkload {
        cluster,
        namespace,
        workload,
        kind,
        count,
        highest_priority,
        rules: rules.groups.into_iter().map(|(name, count)| NameCount { name, count }).collect(),
        pods: pods.groups.into_iter().map(|(name, _)| name).collect(),
        more_pods: pods.other_groups,
        containers: containers.groups.into_iter().map(|(name, _)| name).collect(),
        images: images.groups.into_iter().map(|(name, _)| name).collect(),
        first_seen: bounds.map(|(first, _)| timestamp(first)).unwrap_or_default(),
        last_seen: bounds.map(|(_, last)| timestamp(last)).unwrap_or_default(),
        link: Evidence::with_count(&workload_filter, count, Vec::new()).link,
    })
}
