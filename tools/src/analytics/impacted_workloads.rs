//! `impacted_workloads`: the distinct workloads hit in a scope, with what hit them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{NameCount, timestamp};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::Priority;
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, GroupKey, RollupRow};

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
    /// Distinct nodes (hosts) the alerts came from: whether the attack reached past its pods.
    #[serde(default)]
    pub nodes: u64,
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
    /// Nodes (hosts) its pods ran on, most alerts first (at most ten): where the blast radius
    /// would go past the pod.
    #[serde(default)]
    pub nodes: Vec<String>,
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
        let has_workload = Scope::from_expr(ScopeExpr::compare(
            FieldRef::Dimension(Dimension::Workload),
            Operator::Exists,
            Vec::new(),
        ));
        let workload_alerts = AlertFilter { scope: filter.scope.and(&has_workload), time: filter.time };
        let rollups = context.store.rollup(
            &workload_alerts,
            &[Dimension::Cluster, Dimension::Namespace, Dimension::Workload],
            &DETAILS,
            DETAIL_LIMIT,
            limit,
        )?;
        // How many distinct values of each (no group listed: every one is counted in the rest).
        let distinct: Vec<u64> = context
            .store
            .group_counts_each(&filter, &DISTINCT.map(GroupKey::Dimension), 0)?
            .iter()
            .map(|counts| counts.other_groups)
            .collect();
        let distinct = |position: usize| distinct.get(position).copied().unwrap_or(0);
        let totals = Totals {
            workloads: rollups.rows.len() as u64 + rollups.other_rows,
            pods: distinct(0),
            containers: distinct(1),
            namespaces: distinct(2),
            clusters: distinct(3),
            nodes: distinct(4),
            alerts_without_workload: evidence.count.saturating_sub(rollups.total),
        };
        let workloads = rollups.rows.into_iter().map(|row| describe(&filter, row)).collect();
        Ok(ImpactedWorkloadsOutput { evidence, totals, workloads, more_workloads: rollups.other_rows })
    }
}

/// The dimensions whose distinct values the totals count, in the order `call` reads them.
const DISTINCT: [Dimension; 5] =
    [Dimension::Pod, Dimension::ContainerId, Dimension::Namespace, Dimension::Cluster, Dimension::Host];
/// Detail dimensions of a workload, in the order `describe` reads them.
const DETAILS: [Dimension; 5] =
    [Dimension::Rule, Dimension::Pod, Dimension::ContainerId, Dimension::Image, Dimension::Host];
/// Values listed per detail (rules are cut to five in the output).
const DETAIL_LIMIT: usize = 10;
/// Rules listed per workload.
const RULES_LISTED: usize = 5;

fn describe(filter: &AlertFilter, row: RollupRow) -> ImpactedWorkload {
    let [cluster, namespace, workload] = [0, 1, 2].map(|index| row.key.get(index).cloned().flatten());
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
    let kind =
        row.newest.as_ref().and_then(|alert| alert.dimensions.workload.as_ref()).and_then(|found| found.kind.clone());
    let mut details = row.details.into_iter();
    let mut next = || details.next().unwrap_or_default();
    let (rules, pods, containers, images, nodes) = (next(), next(), next(), next(), next());
    ImpactedWorkload {
        cluster,
        namespace,
        workload,
        kind,
        count: row.count,
        highest_priority: row
            .highest_severity
            .and_then(Priority::from_severity)
            .map_or_else(String::new, |priority| priority.as_str().to_string()),
        rules: rules.groups.into_iter().take(RULES_LISTED).map(|(name, count)| NameCount { name, count }).collect(),
        pods: pods.groups.into_iter().map(|(name, _)| name).collect(),
        more_pods: pods.other_groups,
        containers: containers.groups.into_iter().map(|(name, _)| name).collect(),
        images: images.groups.into_iter().map(|(name, _)| name).collect(),
        nodes: nodes.groups.into_iter().map(|(name, _)| name).collect(),
        first_seen: timestamp(row.first),
        last_seen: timestamp(row.last),
        link: Evidence::with_count(&workload_filter, row.count, Vec::new()).link,
    }
}
