//! `root_cause`: rebuilds the process ancestry of the alerts in scope (or of one alert's
//! container) and names the process the incident started from, with the chain that proves it.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AlertSummary, NameCount, timestamp};
use super::evidence::events_link;
use super::process_tree::{ProcessNode, ProcessTree, chain_of, judge};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::{Alert, ProcessLineage};
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::AlertFilter;

/// The tool.
pub struct RootCause;

/// Arguments of `root_cause`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct RootCauseArgs {
    /// Which alerts (ignored for the scope when `alert_id` is given; the time range still applies).
    #[serde(flatten)]
    pub window: Window,
    /// One alert to explain: its container's alerts are used to rebuild the ancestry.
    #[serde(default)]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub alert_id: Option<String>,
    /// Root causes listed (1 to 20, default 5).
    #[serde(default)]
    #[schemars(range(min = 1, max = 20))]
    pub limit: Option<u32>,
}

/// Output of `root_cause`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RootCauseOutput {
    /// The alerts examined.
    pub evidence: Evidence,
    /// The alert asked about, when `alert_id` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triggering_alert: Option<AlertSummary>,
    /// Alerts read to rebuild the trees (at most 5,000, oldest first).
    pub alerts_examined: u64,
    /// The distinct root causes, most alerts first.
    pub root_causes: Vec<RootCauseFinding>,
    /// Root causes not listed.
    pub more_root_causes: u64,
    /// Alerts without a process id, which no tree can place.
    pub alerts_without_ancestry: u64,
    /// What is missing when the ancestry cannot be rebuilt, and how to get it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<MissingAncestry>,
}

/// One root cause and what descends from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RootCauseFinding {
    /// The process judged the root cause.
    pub process: ChainProcess,
    /// Why it was chosen.
    pub reason: String,
    /// When it first appears in the alerts.
    pub first_seen: Option<String>,
    /// The last alert descending from it.
    pub last_seen: String,
    /// Alerts on chains through it.
    pub alert_count: u64,
    /// Their rules, most alerts first.
    pub rules: Vec<NameCount>,
    /// The containers it ran in (at most 10).
    pub containers: Vec<ContainerRef>,
    /// Containers not listed.
    pub more_containers: u64,
    /// One full chain, from the earliest triggering process up to the runtime.
    pub chain: Vec<ChainProcess>,
    /// The earliest alerts on its chains (at most 5).
    pub alerts: Vec<AlertSummary>,
    /// Alerts not listed.
    pub more_alerts: u64,
    /// Event-feed link to the alerts of its containers.
    pub link: String,
}

/// A process on a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChainProcess {
    /// Process id.
    pub pid: i64,
    /// Name, when known.
    pub name: Option<String>,
    /// Command line, when known.
    pub cmdline: Option<String>,
    /// Its place: `triggering process`, `root cause`, `ancestor`, `container entrypoint`,
    /// `container runtime`.
    pub role: String,
}

/// A container a root cause ran in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct ContainerRef {
    /// Cluster.
    pub cluster: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Workload.
    pub workload: Option<String>,
    /// Pod.
    pub pod: Option<String>,
    /// Container id (or the host name for host processes).
    pub container: String,
}

/// Which ancestry fields the alerts lack and the `append_output` that adds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MissingAncestry {
    /// Fields absent from every examined alert.
    pub missing_fields: Vec<String>,
    /// What to add to `falco.yaml` (`append_output` extra fields).
    pub falco_yaml: String,
    /// One sentence for the analyst.
    pub message: String,
}

const MAX_ALERTS: usize = 5_000;
const DEFAULT_LIMIT: usize = 5;
const LISTED: usize = 10;
const SAMPLE_ALERTS: usize = 5;
const ANCESTRY_FIELDS: [&str; 12] = [
    "proc.pid",
    "proc.ppid",
    "proc.pname",
    "proc.pcmdline",
    "proc.aname[2]",
    "proc.aname[3]",
    "proc.aname[4]",
    "proc.apid[2]",
    "proc.apid[3]",
    "proc.apid[4]",
    "container.id",
    "k8s.pod.name",
];

impl Tool for RootCause {
    const NAME: &'static str = "root_cause";
    type Args = RootCauseArgs;
    type Output = RootCauseOutput;

    fn description() -> &'static str {
        "Finds the root cause of an incident: rebuilds the process trees of the alerts in the scope (or of one \
         alert's container, with alert_id) from pid/ppid and proc.aname/apid ancestry, and returns each distinct \
         root-cause process (e.g. the script an entrypoint ran, or the shell a web server spawned) with its command \
         line, first-seen time, why it was chosen, the full chain up to the container runtime, the containers and \
         workloads it ran in, and the alerts that descend from it. Use it for 'what was the root cause', 'how did \
         this start', 'which process is behind these alerts'. When the alerts carry no ancestry fields it says which \
         falco.yaml append_output fields are missing."
    }

    fn call(context: &ToolContext<'_>, args: RootCauseArgs) -> Result<RootCauseOutput, ToolError> {
        let window_filter = args.window.filter(context)?;
        let (filter, triggering) = match args.alert_id.as_deref() {
            Some(id) => {
                let alert = context
                    .store
                    .get(&[id.to_string()])?
                    .into_iter()
                    .next()
                    .ok_or_else(|| ToolError::NotFound(format!("no alert with id {id:?} in the store")))?;
                let scope = context.base_scope.and(&container_scope(&alert));
                (AlertFilter { scope, time: window_filter.time }, Some(alert))
            }
            None => (window_filter, None),
        };
        let evidence = Evidence::of(context.store, &filter)?;
        let (_, lineages) = context.store.lineages(&filter, MAX_ALERTS)?;
        let places = container_places(context, &filter)?;
        let mut findings = find_root_causes(&lineages, &places);
        if let Some(trigger) = &triggering {
            findings.retain(|finding| finding.alert_ids.contains(&trigger.id));
        }
        let alerts_without_ancestry = lineages.iter().filter(|lineage| lineage.process.pid.is_none()).count() as u64;
        let has_ancestry = lineages.iter().any(|lineage| lineage.process.ppid.is_some());
        let missing =
            (!lineages.is_empty() && (!has_ancestry || findings.is_empty())).then(|| missing_ancestry(&lineages));
        let limit = args.limit.map_or(DEFAULT_LIMIT, |limit| limit.clamp(1, 20) as usize);
        let more_root_causes = findings.len().saturating_sub(limit) as u64;
        findings.truncate(limit);
        let listed: Vec<String> =
            findings.iter().flat_map(|finding| finding.alert_ids.iter().take(SAMPLE_ALERTS).cloned()).collect();
        let listed_alerts = context.store.get(&listed)?;
        let by_id: BTreeMap<&str, &Alert> = listed_alerts.iter().map(|alert| (alert.id.as_str(), alert)).collect();
        let root_causes = findings.into_iter().map(|finding| finding.into_output(&by_id, &filter)).collect();
        Ok(RootCauseOutput {
            evidence,
            triggering_alert: triggering.as_ref().map(AlertSummary::of),
            alerts_examined: lineages.len() as u64,
            root_causes,
            more_root_causes,
            alerts_without_ancestry,
            missing,
        })
    }
}

/// Where each container of the scope runs (cluster, namespace, workload, pod), from one pass
/// over the index.
fn container_places(
    context: &ToolContext<'_>,
    filter: &AlertFilter,
) -> Result<BTreeMap<String, ContainerRef>, ToolError> {
    let dimensions =
        [Dimension::ContainerId, Dimension::Cluster, Dimension::Namespace, Dimension::Workload, Dimension::Pod];
    let tuples = context.store.tuple_counts(filter, &dimensions, usize::MAX)?;
    let mut places = BTreeMap::new();
    for (values, _) in tuples.rows {
        let Some(Some(container)) = values.first() else { continue };
        let value = |index: usize| values.get(index).cloned().flatten();
        places.entry(container.clone()).or_insert_with(|| ContainerRef {
            cluster: value(1),
            namespace: value(2),
            workload: value(3),
            pod: value(4),
            container: container.clone(),
        });
    }
    Ok(places)
}

/// The scope of the alert's container, or of its host when it has no container.
fn container_scope(alert: &Alert) -> Scope {
    let expr = match &alert.dimensions.container_id {
        Some(container) => {
            ScopeExpr::compare(FieldRef::Dimension(Dimension::ContainerId), Operator::Equal, vec![container.clone()])
        }
        None => ScopeExpr::compare(FieldRef::Dimension(Dimension::Host), Operator::Equal, vec![alert.hostname.clone()]),
    };
    Scope::from_expr(expr)
}

fn container_key(lineage: &ProcessLineage) -> String {
    lineage.container_id.clone().unwrap_or_else(|| format!("host:{}", lineage.hostname))
}

/// A root cause being accumulated.
struct Finding {
    process: ChainProcess,
    reason: String,
    first_seen: Option<chrono::DateTime<chrono::Utc>>,
    last_seen: Option<chrono::DateTime<chrono::Utc>>,
    alert_ids: Vec<String>,
    rules: BTreeMap<String, u64>,
    containers: BTreeSet<ContainerRef>,
    chain: Vec<ChainProcess>,
}

fn find_root_causes(lineages: &[ProcessLineage], places: &BTreeMap<String, ContainerRef>) -> Vec<Finding> {
    let mut by_container: BTreeMap<String, Vec<&ProcessLineage>> = BTreeMap::new();
    for lineage in lineages {
        by_container.entry(container_key(lineage)).or_default().push(lineage);
    }
    let mut findings: BTreeMap<(Option<String>, Option<String>), Finding> = BTreeMap::new();
    for (container, members) in &by_container {
        let tree = ProcessTree::from_lineages(members.iter().copied());
        for alert in members {
            if alert.process.pid.is_none() {
                continue;
            }
            // The tree's ancestors only where they agree with the names the alert carries: a
            // reused pid must not lend another process's ancestry.
            let owned = chain_of(&alert.process, Some(&tree));
            let chain: Vec<&ProcessNode> = owned.iter().collect();
            if chain.len() < 2 {
                continue;
            }
            let judgement = judge(&chain);
            let root = chain[judgement.root];
            let key = (root.name.clone(), root.cmdline.clone());
            let finding = findings.entry(key).or_insert_with(|| Finding {
                process: ChainProcess {
                    pid: root.pid,
                    name: root.name.clone(),
                    cmdline: root.cmdline.clone(),
                    role: "root cause".to_string(),
                },
                reason: judgement.reason.clone(),
                first_seen: root.first_seen,
                last_seen: None,
                alert_ids: Vec::new(),
                rules: BTreeMap::new(),
                containers: BTreeSet::new(),
                chain: chain
                    .iter()
                    .enumerate()
                    .map(|(index, node)| ChainProcess {
                        pid: node.pid,
                        name: node.name.clone(),
                        cmdline: node.cmdline.clone(),
                        role: role(index, &judgement).to_string(),
                    })
                    .collect(),
            });
            if root.first_seen.is_some_and(|seen| finding.first_seen.is_none_or(|known| seen < known)) {
                finding.first_seen = root.first_seen;
            }
            finding.alert_ids.push(alert.id.clone());
            finding.last_seen = finding.last_seen.max(Some(alert.time));
            *finding.rules.entry(alert.rule.clone()).or_default() += 1;
            let place = places.get(container).cloned().unwrap_or_else(|| ContainerRef {
                cluster: None,
                namespace: None,
                workload: None,
                pod: alert.pod.clone(),
                container: container.clone(),
            });
            finding.containers.insert(place);
        }
    }
    let mut findings: Vec<Finding> = findings.into_values().collect();
    findings.sort_by(|left, right| {
        right.alert_ids.len().cmp(&left.alert_ids.len()).then_with(|| left.process.cmdline.cmp(&right.process.cmdline))
    });
    findings
}

fn role(index: usize, judgement: &super::process_tree::RootCauseJudgement) -> &'static str {
    if index == judgement.root {
        "root cause"
    } else if Some(index) == judgement.entrypoint {
        "container entrypoint"
    } else if judgement.runtime.is_some_and(|runtime| index >= runtime) {
        "container runtime"
    } else if index == 0 {
        "triggering process"
    } else {
        "ancestor"
    }
}

impl Finding {
    fn into_output(self, by_id: &BTreeMap<&str, &Alert>, filter: &AlertFilter) -> RootCauseFinding {
        let alerts: Vec<&Alert> =
            self.alert_ids.iter().take(SAMPLE_ALERTS).filter_map(|id| by_id.get(id.as_str()).copied()).collect();
        let last_seen = self.last_seen.map(timestamp).unwrap_or_default();
        let mut rules: Vec<NameCount> = self.rules.into_iter().map(|(name, count)| NameCount { name, count }).collect();
        rules.sort_by(|left, right| right.count.cmp(&left.count).then_with(|| left.name.cmp(&right.name)));
        let container_ids: Vec<String> = self
            .containers
            .iter()
            .filter(|container| !container.container.starts_with("host:"))
            .map(|container| container.container.clone())
            .collect();
        let mut scope = filter.scope.clone();
        if !container_ids.is_empty() {
            scope = scope.and(&Scope::from_expr(ScopeExpr::compare(
                FieldRef::Dimension(Dimension::ContainerId),
                Operator::In,
                container_ids,
            )));
        }
        let format = |time: chrono::DateTime<chrono::Utc>| timestamp(time);
        let link = events_link(
            &scope.to_string(),
            filter.time.since.map(format).as_deref(),
            filter.time.until.map(format).as_deref(),
        );
        let more_containers = self.containers.len().saturating_sub(LISTED) as u64;
        RootCauseFinding {
            process: self.process,
            reason: self.reason,
            first_seen: self.first_seen.map(timestamp),
            last_seen,
            alert_count: self.alert_ids.len() as u64,
            rules,
            containers: self.containers.into_iter().take(LISTED).collect(),
            more_containers,
            chain: self.chain,
            alerts: alerts.iter().map(|alert| AlertSummary::of(alert)).collect(),
            more_alerts: self.alert_ids.len().saturating_sub(SAMPLE_ALERTS) as u64,
            link,
        }
    }
}

fn missing_ancestry(lineages: &[ProcessLineage]) -> MissingAncestry {
    let has = |field: &str| {
        lineages.iter().any(|lineage| {
            let process = &lineage.process;
            let ancestor = |level: u8, name: bool| {
                process.ancestors.iter().any(|ancestor| {
                    ancestor.level == level && if name { ancestor.name.is_some() } else { ancestor.pid.is_some() }
                })
            };
            match field {
                "proc.pid" => process.pid.is_some(),
                "proc.ppid" => process.ppid.is_some(),
                "proc.pname" => process.pname.is_some(),
                "proc.pcmdline" => process.pcmdline.is_some(),
                "proc.aname[2]" => ancestor(2, true),
                "proc.aname[3]" => ancestor(3, true),
                "proc.aname[4]" => ancestor(4, true),
                "proc.apid[2]" => ancestor(2, false),
                "proc.apid[3]" => ancestor(3, false),
                "proc.apid[4]" => ancestor(4, false),
                "container.id" => lineage.container_id.is_some(),
                "k8s.pod.name" => lineage.pod.is_some(),
                _ => false,
            }
        })
    };
    let missing_fields: Vec<String> =
        ANCESTRY_FIELDS.iter().filter(|field| !has(field)).map(|field| field.to_string()).collect();
    let mut falco_yaml = String::from("append_output:\n  - match:\n      source: syscall\n    extra_fields:\n");
    for field in &missing_fields {
        falco_yaml.push_str(&format!("      - {field}\n"));
    }
    MissingAncestry {
        message: format!(
            "the process ancestry cannot be rebuilt: the alerts lack {}; add them to every alert with append_output in falco.yaml (Falco 0.39 or newer)",
            missing_fields.join(", ")
        ),
        missing_fields,
        falco_yaml,
    }
}
