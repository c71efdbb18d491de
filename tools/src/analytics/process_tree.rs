//! Process trees rebuilt from alerts: every alert of one container (or host) contributes its
//! process, its parent (`proc.ppid`, `proc.pname`, `proc.pcmdline`) and its ancestors
//! (`proc.apid[N]`, `proc.aname[N]`), so a tree emerges even though no single alert holds it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::alert::{Alert, Process, ProcessLineage};

/// Container runtimes, init systems and exec helpers: the boundary above a container's own
/// processes.
const RUNTIME_PROCESSES: [&str; 14] = [
    "containerd-shim",
    "containerd-shim-runc-v2",
    "containerd",
    "dockerd",
    "docker-containerd-shim",
    "conmon",
    "crio",
    "runc",
    "crun",
    "systemd",
    "init",
    "kubelet",
    "tini",
    "dumb-init",
];

/// Runtimes that start processes in a running container (`kubectl exec`, `docker exec`).
const EXEC_RUNTIMES: [&str; 2] = ["runc", "crun"];

/// Shells and interpreters: a shell below a shell is a new script or session, never a forked
/// worker of the same server.
const SHELLS: [&str; 9] = ["sh", "bash", "dash", "zsh", "ash", "ksh", "busybox", "python3", "python"];

/// Whether a process name is a container runtime, init or exec helper.
pub fn is_runtime(name: &str) -> bool {
    RUNTIME_PROCESSES.contains(&name) || name.starts_with("runc:") || name.starts_with("containerd-shim")
}

/// One process of a container, as far as the alerts reveal it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessNode {
    /// Process id (host pid namespace as Falco reports it).
    pub pid: i64,
    /// `proc.name`.
    pub name: Option<String>,
    /// `proc.cmdline`, or the `proc.pcmdline` of a child.
    pub cmdline: Option<String>,
    /// `proc.exepath`.
    pub exepath: Option<String>,
    /// Parent pid, when some alert says.
    pub parent: Option<i64>,
    /// Earliest time the process appears in an alert (itself or as an ancestor).
    pub first_seen: Option<DateTime<Utc>>,
    /// Ids of the alerts this process raised itself.
    pub alert_ids: Vec<String>,
}

/// The process tree of one container or host.
#[derive(Debug, Clone, Default)]
pub struct ProcessTree {
    nodes: BTreeMap<i64, ProcessNode>,
}

impl ProcessTree {
    /// Builds the tree from the alerts of one container (or host).
    pub fn build<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> ProcessTree {
        let mut tree = ProcessTree::default();
        for alert in alerts {
            tree.add(&alert.id, alert.time, &alert.dimensions.process);
        }
        tree
    }

    /// Builds the tree from the lineages of one container's alerts (see
    /// [`crate::store::AlertStore::lineages`]).
    pub fn from_lineages<'a>(lineages: impl IntoIterator<Item = &'a ProcessLineage>) -> ProcessTree {
        let mut tree = ProcessTree::default();
        for lineage in lineages {
            tree.add(&lineage.id, lineage.time, &lineage.process);
        }
        tree
    }

    fn node(&mut self, pid: i64, time: DateTime<Utc>) -> &mut ProcessNode {
        let node = self.nodes.entry(pid).or_insert_with(|| ProcessNode { pid, ..ProcessNode::default() });
        if node.first_seen.is_none_or(|seen| time < seen) {
            node.first_seen = Some(time);
        }
        node
    }

    fn add(&mut self, id: &str, time: DateTime<Utc>, process: &Process) {
        let Some(pid) = process.pid else {
            return;
        };
        let node = self.node(pid, time);
        fill(&mut node.name, process.name.as_deref());
        if process.cmdline.is_some() {
            node.cmdline.clone_from(&process.cmdline);
        }
        fill(&mut node.exepath, process.exepath.as_deref());
        node.alert_ids.push(id.to_string());
        if process.ppid.is_some() {
            node.parent = process.ppid;
        }
        let Some(ppid) = process.ppid else {
            return;
        };
        let parent = self.node(ppid, time);
        fill(&mut parent.name, process.pname.as_deref());
        fill(&mut parent.cmdline, process.pcmdline.as_deref());
        // proc.aname[2] is the grandparent: the parent of ppid.
        let mut child = ppid;
        for ancestor in process.ancestors.iter().filter(|ancestor| ancestor.level >= 2) {
            let Some(ancestor_pid) = ancestor.pid else {
                break;
            };
            if let Some(child_node) = self.nodes.get_mut(&child) {
                child_node.parent.get_or_insert(ancestor_pid);
            }
            let node = self.node(ancestor_pid, time);
            fill(&mut node.name, ancestor.name.as_deref());
            child = ancestor_pid;
        }
    }

    /// The process with this pid.
    pub fn get(&self, pid: i64) -> Option<&ProcessNode> {
        self.nodes.get(&pid)
    }

    /// The chain from `pid` up to the oldest known ancestor (cycles cut).
    pub fn chain(&self, pid: i64) -> Vec<&ProcessNode> {
        let mut chain = Vec::new();
        let mut seen = BTreeSet::new();
        let mut current = Some(pid);
        while let Some(pid) = current {
            if !seen.insert(pid) {
                break;
            }
            let Some(node) = self.nodes.get(&pid) else {
                break;
            };
            chain.push(node);
            current = node.parent;
        }
        chain
    }

    /// The children of `pid`, by pid.
    pub fn children(&self, pid: i64) -> Vec<&ProcessNode> {
        self.nodes.values().filter(|node| node.parent == Some(pid)).collect()
    }

    /// Processes with no known parent in the tree.
    pub fn roots(&self) -> Vec<&ProcessNode> {
        self.nodes.values().filter(|node| node.parent.is_none_or(|parent| !self.nodes.contains_key(&parent))).collect()
    }

    /// Number of processes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

fn fill(slot: &mut Option<String>, value: Option<&str>) {
    if let (None, Some(value)) = (slot.as_ref(), value.filter(|value| !value.is_empty() && *value != "<NA>")) {
        *slot = Some(value.to_string());
    }
}

/// What the walk up a chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootCauseJudgement {
    /// Index in the chain of the process judged the root cause.
    pub root: usize,
    /// Index of the container's main process (entrypoint), if identified.
    pub entrypoint: Option<usize>,
    /// Index of the runtime boundary (containerd-shim, runc, ...), if seen.
    pub runtime: Option<usize>,
    /// Why this process was chosen, in one sentence.
    pub reason: String,
}

/// Job schedulers whose children are the jobs they run.
const SCHEDULERS: [&str; 6] = ["cron", "crond", "anacron", "atd", "busybox-crond", "supercronic"];

/// Picks the root cause on a chain (triggering process first, oldest ancestor last).
///
/// The walk goes up to the container runtime. When the runtime is an exec helper (`runc`), the
/// process below it was started into a running container (`kubectl exec`): that session is the
/// root cause. Otherwise the process below the runtime is the container's main process
/// (entrypoint); the root cause is the highest process below it that is not a forked worker of
/// it (same name, and not a shell): e.g. the script an entrypoint shell ran, or the shell a web
/// server worker spawned; when that process is a job scheduler (`cron`), the job it started. If nothing is below the entrypoint, the entrypoint itself is the
/// root cause (the workload's own program misbehaved or was replaced).
pub fn judge(chain: &[&ProcessNode]) -> RootCauseJudgement {
    let name = |index: usize| chain[index].name.as_deref().unwrap_or("");
    let runtime = (0..chain.len()).find(|&index| is_runtime(name(index)));
    let top = runtime.map_or(chain.len().saturating_sub(1), |index| index.saturating_sub(1));
    if runtime.is_some_and(|index| index == 0) || chain.is_empty() {
        return RootCauseJudgement {
            root: 0,
            entrypoint: None,
            runtime,
            reason: "the triggering process is the container runtime itself".to_string(),
        };
    }
    if let Some(index) = runtime.filter(|&index| EXEC_RUNTIMES.contains(&name(index))) {
        return RootCauseJudgement {
            root: top,
            entrypoint: None,
            runtime: Some(index),
            reason: format!(
                "started directly by {} into the running container (an exec session such as `kubectl exec`), and every other process on the chain descends from it",
                name(index)
            ),
        };
    }
    let entry_name = name(top).to_string();
    let is_worker = |index: usize| name(index) == entry_name && !SHELLS.contains(&entry_name.as_str());
    let below_entry = (0..top).rev().find(|&index| !is_worker(index));
    // A scheduler daemon is infrastructure, like the runtime: what it started (the job) is the
    // cause, and it recurs on the schedule until the job is removed.
    if let Some(scheduler) = below_entry.filter(|&index| index > 0 && SCHEDULERS.contains(&name(index))) {
        return RootCauseJudgement {
            root: scheduler - 1,
            entrypoint: Some(top),
            runtime,
            reason: format!(
                "the job that the scheduler {} started below the container's main process ({entry_name}); it runs on the scheduler's timetable, so it recurs until the job is removed",
                name(scheduler)
            ),
        };
    }
    match below_entry {
        Some(root) => RootCauseJudgement {
            root,
            entrypoint: Some(top),
            runtime,
            reason: if runtime.is_some() {
                format!(
                    "the earliest process on the chain below the container's main process ({entry_name}), which the runtime started; everything that raised alerts descends from it"
                )
            } else {
                format!(
                    "the earliest process on the chain below the oldest known ancestor ({entry_name}); the runtime boundary is not in the alerts, so the chain may go further up"
                )
            },
        },
        None => RootCauseJudgement {
            root: top,
            entrypoint: Some(top),
            runtime,
            reason: format!(
                "the container's main process ({entry_name}) raised the alerts itself or through forked workers: the workload's own program misbehaved or was replaced"
            ),
        },
    }
}

/// The chain an alert shows by itself (process, parent, `proc.aname[N]`), for alerts whose
/// process id is missing or not in a tree. Pids are placeholders when absent.
pub fn own_chain(process: &Process) -> Vec<ProcessNode> {
    let mut nodes = vec![ProcessNode {
        pid: process.pid.unwrap_or(-1),
        name: process.name.clone(),
        cmdline: process.cmdline.clone(),
        exepath: process.exepath.clone(),
        ..ProcessNode::default()
    }];
    if process.pname.is_some() || process.ppid.is_some() {
        nodes.push(ProcessNode {
            pid: process.ppid.unwrap_or(-2),
            name: process.pname.clone(),
            cmdline: process.pcmdline.clone(),
            ..ProcessNode::default()
        });
    }
    for ancestor in process.ancestors.iter().filter(|ancestor| ancestor.level >= 2) {
        if ancestor.name.is_none() && ancestor.pid.is_none() {
            break;
        }
        nodes.push(ProcessNode {
            pid: ancestor.pid.unwrap_or(-i64::from(ancestor.level) - 1),
            name: ancestor.name.clone(),
            ..ProcessNode::default()
        });
    }
    nodes
}

/// The chain of an alert's process: the alert's own process, then its ancestors from the
/// container's process tree when the tree agrees with the names the alert carries (parent and
/// `proc.aname[N]`), else the alert's own ancestry. The check keeps a reused pid (a different
/// process days later) from lending its ancestors to the alert.
pub fn chain_of(process: &Process, tree: Option<&ProcessTree>) -> Vec<ProcessNode> {
    let own = own_chain(process);
    let (Some(tree), Some(ppid)) = (tree, process.ppid) else {
        return own;
    };
    let ancestors = tree.chain(ppid);
    let agrees = own.iter().skip(1).zip(&ancestors).all(|(mine, theirs)| match (&mine.name, &theirs.name) {
        (Some(mine), Some(theirs)) => mine == theirs,
        _ => true,
    });
    if !agrees || ancestors.len() + 1 < own.len() {
        return own;
    }
    // The alert's own process as the tree knows it (times, alert ids) when the tree's node is
    // that process, else as the alert shows it.
    let first = match (process.pid.and_then(|pid| tree.get(pid)), own.into_iter().next()) {
        (Some(node), Some(mine)) if node.name == mine.name || mine.name.is_none() => node.clone(),
        (_, Some(mine)) => mine,
        (Some(node), None) => node.clone(),
        (None, None) => return Vec::new(),
    };
    let mut chain = Vec::with_capacity(ancestors.len() + 1);
    chain.push(first);
    chain.extend(ancestors.into_iter().cloned());
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: over days, a pid is reused by an unrelated process; an alert whose parent
    /// has that pid must not inherit the earlier process's ancestry (on 1M alerts this turned
    /// an ordinary shell into a miner's descendant).
    #[test]
    fn a_reused_pid_does_not_lend_its_ancestry() {
        let alert = |time: &str, fields: serde_json::Value| {
            let line = serde_json::json!({"time": time, "rule": "r", "priority": "Notice", "output": "x",
                "output_fields": fields});
            crate::alert::parse_alert(&line.to_string(), None).expect("valid alert")
        };
        let miner = alert(
            "2026-11-01T00:00:00Z",
            serde_json::json!({
                "container.id": "c1", "proc.name": "easyminer", "proc.pid": 300, "proc.ppid": 200,
                "proc.pname": "bash", "proc.pcmdline": "bash ./malicious.sh",
                "proc.aname[2]": "bash", "proc.apid[2]": 100, "proc.aname[3]": "containerd-shim", "proc.apid[3]": 50,
            }),
        );
        let later = alert(
            "2026-11-09T00:00:00Z",
            serde_json::json!({
                "container.id": "c1", "proc.name": "ls", "proc.pid": 400, "proc.ppid": 200,
                "proc.pname": "sh", "proc.pcmdline": "sh -c ls /backup",
                "proc.aname[2]": "cron", "proc.apid[2]": 150,
            }),
        );
        let tree = ProcessTree::build([&miner, &later]);
        let names =
            |chain: &[ProcessNode]| chain.iter().map(|node| node.name.clone().unwrap_or_default()).collect::<Vec<_>>();
        assert_eq!(names(&chain_of(&later.dimensions.process, Some(&tree))), ["ls", "sh", "cron"]);
        assert_eq!(
            names(&chain_of(&miner.dimensions.process, Some(&tree))),
            ["easyminer", "bash", "bash", "containerd-shim"]
        );
    }

    fn node(pid: i64, name: &str, parent: Option<i64>) -> ProcessNode {
        ProcessNode { pid, name: Some(name.to_string()), parent, ..ProcessNode::default() }
    }

    #[test]
    fn a_script_run_by_an_entrypoint_shell_is_the_root_cause() {
        let nodes = [
            node(5, "curl", Some(4)),
            node(4, "bash", Some(3)),
            node(3, "bash", Some(2)),
            node(2, "containerd-shim", Some(1)),
            node(1, "systemd", None),
        ];
        let chain: Vec<&ProcessNode> = nodes.iter().collect();
        let judgement = judge(&chain);
        assert_eq!((judgement.root, judgement.entrypoint, judgement.runtime), (1, Some(2), Some(3)));
    }

    #[test]
    fn web_server_workers_are_skipped_and_exec_sessions_are_roots() {
        let nodes = [
            node(9, "bash", Some(8)),
            node(8, "sh", Some(7)),
            node(7, "apache2", Some(6)),
            node(6, "apache2", Some(2)),
            node(2, "containerd-shim", None),
        ];
        let chain: Vec<&ProcessNode> = nodes.iter().collect();
        assert_eq!(judge(&chain).root, 1);
        let exec = [node(4, "cat", Some(3)), node(3, "bash", Some(2)), node(2, "runc", None)];
        let chain: Vec<&ProcessNode> = exec.iter().collect();
        let judgement = judge(&chain);
        assert_eq!(judgement.root, 1);
        assert!(judgement.reason.contains("exec"));
        let own = [node(7, "apache2", Some(6)), node(6, "apache2", Some(2)), node(2, "containerd-shim", None)];
        let chain: Vec<&ProcessNode> = own.iter().collect();
        assert_eq!(judge(&chain).root, 1);
    }
}
