//! `attack_path`: the incident in scope as time-ordered stages (rule, ATT&CK tactic and
//! technique, process and its place in the process tree, workloads), repeated steps collapsed,
//! plus the merged process tree the stages sit in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{object_acted_on, timestamp};
use super::process_tree::{ProcessNode, ProcessTree, chain_of, is_runtime, judge};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::Alert;
use crate::mitre;
use crate::store::SearchOrder;

/// The tool.
pub struct AttackPath;

/// Arguments of `attack_path`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct AttackPathArgs {
    /// Which alerts.
    #[serde(flatten)]
    pub window: Window,
    /// Stages listed (1 to 40, default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 40))]
    pub limit: Option<u32>,
}

/// Output of `attack_path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttackPathOutput {
    /// The alerts of the incident.
    pub evidence: Evidence,
    /// Alerts read (at most 5,000, oldest first).
    pub alerts_examined: u64,
    /// The stages, in the order they first happened.
    pub stages: Vec<Stage>,
    /// Stages not listed.
    pub more_stages: u64,
    /// The process tree the alerting processes sit in, merged over containers by command line.
    pub process_tree: Vec<TreeNode>,
    /// Tree nodes not listed.
    pub more_tree_nodes: u64,
}

/// One step of the attack: a rule fired by one kind of process, however often it repeated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stage {
    /// 1-based position in time order.
    pub step: usize,
    /// First time it happened.
    pub first_seen: String,
    /// Last time it happened.
    pub last_seen: String,
    /// How many alerts it stands for.
    pub count: u64,
    /// The rule.
    pub rule: String,
    /// The rule's priority.
    pub priority: String,
    /// ATT&CK tactics of the rule's tags.
    pub tactics: Vec<AttackId>,
    /// ATT&CK techniques of the rule's tags.
    pub techniques: Vec<AttackId>,
    /// The process that triggered it.
    pub process: Option<String>,
    /// Its first command line.
    pub cmdline: Option<String>,
    /// Its parent's name.
    pub parent: Option<String>,
    /// Its depth below the root-cause process (0: the root cause itself), when known.
    pub depth_below_root_cause: Option<usize>,
    /// The tree node it belongs to (see `process_tree`).
    pub tree_node: Option<usize>,
    /// Workloads (namespace/workload) where it happened, at most 5.
    pub workloads: Vec<String>,
    /// Workloads not listed.
    pub more_workloads: u64,
    /// Pods where it happened, at most 5.
    pub pods: Vec<String>,
    /// Pods not listed.
    pub more_pods: u64,
    /// What it acted on that its command line does not show: files, and the remote ends of
    /// connections (`198.51.100.23:4444`), at most 3.
    pub objects: Vec<String>,
    /// Objects not listed.
    pub more_objects: u64,
    /// One alert id of the stage.
    pub example_alert_id: String,
}

/// An ATT&CK tactic or technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AttackId {
    /// `TA0002`, `T1059.004`.
    pub id: String,
    /// Name, empty when not in ATT&CK v18.1.
    pub name: String,
}

/// A process of the merged tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TreeNode {
    /// Node number (0-based).
    pub id: usize,
    /// Parent node.
    pub parent: Option<usize>,
    /// Depth (0 for the top).
    pub depth: usize,
    /// Process name.
    pub name: Option<String>,
    /// Command line, when known.
    pub cmdline: Option<String>,
    /// Alerts raised by this process itself.
    pub alerts: u64,
    /// Containers it ran in.
    pub containers: u64,
}

const MAX_ALERTS: usize = 5_000;
const DEFAULT_STAGES: usize = 20;
const MAX_TREE_NODES: usize = 40;
const WORKLOADS_LISTED: usize = 5;
const PODS_LISTED: usize = 5;
const OBJECTS_LISTED: usize = 3;

impl Tool for AttackPath {
    const NAME: &'static str = "attack_path";
    type Args = AttackPathArgs;
    type Output = AttackPathOutput;
    /// The stages are the answer: twenty of them, each with its command line, fit whole beside
    /// the process tree, so a long intrusion is not cut before its last steps.
    const MIN_OUTPUT_TOKENS: usize = 5_000;

    fn description() -> &'static str {
        "Lists the attack path of the incident in a scope and time range: the time-ordered stages, each a rule \
         fired by one kind of process (repeats across pods and runs collapsed into one stage with a count), with \
         its MITRE ATT&CK tactic and technique (ID and name), the process, command line, parent and depth below \
         the root cause, and the workloads; plus the merged process tree. Use it for 'list the attack path', \
         'what happened in order', 'show the kill chain'."
    }

    fn call(context: &ToolContext<'_>, args: AttackPathArgs) -> Result<AttackPathOutput, ToolError> {
        let filter = args.window.filter(context)?;
        let evidence = Evidence::of(context.store, &filter)?;
        let alerts = context.store.search(&filter, None, SearchOrder::OldestFirst, 0, MAX_ALERTS)?.alerts;
        let mut merged = MergedTree::default();
        let mut placements: BTreeMap<&str, Placement> = BTreeMap::new();
        let mut by_container: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
        for alert in &alerts {
            let key = alert.dimensions.container_id.clone().unwrap_or_else(|| format!("host:{}", alert.hostname));
            by_container.entry(key).or_default().push(alert);
        }
        for (container, members) in &by_container {
            let tree = ProcessTree::build(members.iter().copied());
            for alert in members {
                if alert.dimensions.process.pid.is_none() {
                    continue;
                }
                let owned = chain_of(&alert.dimensions.process, Some(&tree));
                let chain: Vec<&ProcessNode> = owned.iter().collect();
                let depth = (chain.len() >= 2).then(|| judge(&chain).root);
                let node = merged.insert(&chain, container);
                placements.insert(alert.id.as_str(), Placement { depth_below_root_cause: depth, node });
            }
        }
        let mut stages: Vec<StageBuilder> = Vec::new();
        let mut index: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
        for alert in &alerts {
            let key = (alert.rule.clone(), alert.dimensions.process.name.clone());
            let position = *index.entry(key).or_insert_with(|| {
                stages.push(StageBuilder::new(alert, placements.get(alert.id.as_str())));
                stages.len() - 1
            });
            stages[position].add(alert);
        }
        // Steps of the same instant (several rules on one event) in rule order, deterministically.
        stages.sort_by(|left, right| {
            (left.first, &left.rule, &left.process).cmp(&(right.first, &right.rule, &right.process))
        });
        let limit = args.limit.map_or(DEFAULT_STAGES, |limit| limit.clamp(1, 40) as usize);
        let more_stages = stages.len().saturating_sub(limit) as u64;
        let (process_tree, more_tree_nodes) = merged.listed();
        Ok(AttackPathOutput {
            evidence,
            alerts_examined: alerts.len() as u64,
            stages: stages.into_iter().take(limit).enumerate().map(|(index, stage)| stage.finish(index + 1)).collect(),
            more_stages,
            process_tree,
            more_tree_nodes,
        })
    }
}

/// Where an alert's process sits.
#[derive(Debug, Clone, Copy)]
struct Placement {
    depth_below_root_cause: Option<usize>,
    node: Option<usize>,
}

struct StageBuilder {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    count: u64,
    rule: String,
    priority: String,
    tags: Vec<String>,
    process: Option<String>,
    cmdline: Option<String>,
    parent: Option<String>,
    depth_below_root_cause: Option<usize>,
    tree_node: Option<usize>,
    workloads: BTreeSet<String>,
    pods: BTreeSet<String>,
    objects: BTreeSet<String>,
    example_alert_id: String,
}

impl StageBuilder {
    fn new(alert: &Alert, placement: Option<&Placement>) -> StageBuilder {
        let process = &alert.dimensions.process;
        StageBuilder {
            first: alert.time,
            last: alert.time,
            count: 0,
            rule: alert.rule.clone(),
            priority: alert.priority.as_str().to_string(),
            tags: alert.tags.clone(),
            process: process.name.clone(),
            cmdline: process.cmdline.clone(),
            parent: process.pname.clone(),
            depth_below_root_cause: placement.and_then(|placement| placement.depth_below_root_cause),
            tree_node: placement.and_then(|placement| placement.node),
            workloads: BTreeSet::new(),
            pods: BTreeSet::new(),
            objects: BTreeSet::new(),
            example_alert_id: alert.id.clone(),
        }
    }

    fn add(&mut self, alert: &Alert) {
        self.count += 1;
        self.first = self.first.min(alert.time);
        self.last = self.last.max(alert.time);
        let dimensions = &alert.dimensions;
        if let Some(workload) = &dimensions.workload {
            self.workloads.insert(format!("{}/{}", dimensions.namespace.as_deref().unwrap_or("-"), workload.name));
        }
        if let Some(pod) = &dimensions.pod {
            self.pods.insert(pod.clone());
        }
        if let Some(object) = object_acted_on(alert) {
            let shown = alert.dimensions.process.cmdline.as_deref().is_some_and(|cmdline| cmdline.contains(&object));
            if !shown {
                self.objects.insert(object);
            }
        }
    }

    fn finish(self, step: usize) -> Stage {
        let (tactic_ids, technique_ids) = mitre::ids_from_tags(&self.tags);
        let tactics = tactic_ids
            .into_iter()
            .map(|id| AttackId { name: mitre::tactic(&id).map(|tactic| tactic.name.clone()).unwrap_or_default(), id })
            .collect();
        let techniques = technique_ids
            .into_iter()
            .map(|id| AttackId { name: mitre::technique(&id).map(mitre::Technique::full_name).unwrap_or_default(), id })
            .collect();
        let more_workloads = self.workloads.len().saturating_sub(WORKLOADS_LISTED) as u64;
        let more_pods = self.pods.len().saturating_sub(PODS_LISTED) as u64;
        let more_objects = self.objects.len().saturating_sub(OBJECTS_LISTED) as u64;
        Stage {
            step,
            first_seen: timestamp(self.first),
            last_seen: timestamp(self.last),
            count: self.count,
            rule: self.rule,
            priority: self.priority,
            tactics,
            techniques,
            process: self.process,
            cmdline: self.cmdline,
            parent: self.parent,
            depth_below_root_cause: self.depth_below_root_cause,
            tree_node: self.tree_node,
            workloads: self.workloads.into_iter().take(WORKLOADS_LISTED).collect(),
            more_workloads,
            pods: self.pods.into_iter().take(PODS_LISTED).collect(),
            more_pods,
            objects: self.objects.into_iter().take(OBJECTS_LISTED).collect(),
            more_objects,
            example_alert_id: self.example_alert_id,
        }
    }
}

/// A merged node's identity: its parent node, name and command line.
type ChildKey = (Option<usize>, Option<String>, Option<String>);

/// Process chains of many containers merged by (name, command line) path, from the runtime
/// down; pid 1 and host init above the runtime are left out.
#[derive(Default)]
struct MergedTree {
    nodes: Vec<MergedNode>,
    children: BTreeMap<ChildKey, usize>,
}

struct MergedNode {
    parent: Option<usize>,
    depth: usize,
    name: Option<String>,
    cmdline: Option<String>,
    alerts: u64,
    containers: BTreeSet<String>,
}

impl MergedTree {
    /// Adds a chain (triggering process first); returns the node of the triggering process.
    fn insert(&mut self, chain: &[&ProcessNode], container: &str) -> Option<usize> {
        let top = chain.iter().rposition(|node| node.name.as_deref().is_some_and(is_runtime) && node.pid != 1);
        let from = top.unwrap_or(chain.len().saturating_sub(1));
        let mut parent = None;
        for (depth, node) in chain[..=from.min(chain.len().saturating_sub(1))].iter().rev().enumerate() {
            let key = (parent, node.name.clone(), node.cmdline.clone());
            let next = self.nodes.len();
            let id = *self.children.entry(key).or_insert(next);
            if id == next {
                self.nodes.push(MergedNode {
                    parent,
                    depth,
                    name: node.name.clone(),
                    cmdline: node.cmdline.clone(),
                    alerts: 0,
                    containers: BTreeSet::new(),
                });
            }
            self.nodes[id].containers.insert(container.to_string());
            parent = Some(id);
        }
        if let Some(id) = parent {
            self.nodes[id].alerts += 1;
        }
        parent
    }

    /// The first nodes in creation order (parents before children), bounded.
    fn listed(self) -> (Vec<TreeNode>, u64) {
        let more = self.nodes.len().saturating_sub(MAX_TREE_NODES) as u64;
        let nodes = self
            .nodes
            .into_iter()
            .take(MAX_TREE_NODES)
            .enumerate()
            .map(|(id, node)| TreeNode {
                id,
                parent: node.parent,
                depth: node.depth,
                name: node.name,
                cmdline: node.cmdline,
                alerts: node.alerts,
                containers: node.containers.len() as u64,
            })
            .collect();
        (nodes, more)
    }
}
