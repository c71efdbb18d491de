//! `propose_response_action`: turns the incident in scope into concrete response-action
//! proposals (kill a process, stop, pause or kill a container, quarantine a file, isolate a
//! workload, delete a pod), each with its target, the alerts behind it, its blast radius as far
//! as the alerts tell (and what they do not) and whether it can be undone.
//!
//! The tool only proposes: it reads the store, never acts, and stores nothing. The assistant
//! records its proposals with status `proposed`; a person approves or rejects each one.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::common::{NameCount, PATH_FIELDS, timestamp};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::actions::{ActionKind, ActionParameters, ActionSpec, ActionTarget, Fact, Proposal, Reason};
use crate::alert::{Alert, WorkloadSource};
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, SearchOrder};

/// The tool.
pub struct ProposeResponseAction;

/// Arguments of `propose_response_action`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct ProposeResponseActionArgs {
    /// The incident's alerts: the scope (cluster, namespace, workload, pod or container the
    /// analyst means) and time range.
    #[serde(flatten)]
    pub window: Window,
    /// The kinds of action the analyst asked for. Empty: the containment the incident calls
    /// for: isolate each workload where the alerts show dropped files, quarantine those files,
    /// kill the processes running them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = ActionKind::ALL.len()), extend("uniqueItems" = true))]
    pub kinds: Vec<ActionKind>,
    /// The process the analyst named: a process name (`easyminer`) or a word (`miner`), matched
    /// against process names, executables and the names of the rules that fired on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub process: Option<String>,
    /// A file to quarantine: an absolute path the alerts name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = super::arg_limits::MAX_NAME_CHARS))]
    pub file: Option<String>,
    /// Most proposals listed (1 to 10, default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub limit: Option<u32>,
}

/// Output of `propose_response_action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProposeResponseActionOutput {
    /// The alerts looked at.
    pub evidence: Evidence,
    /// The kinds considered.
    pub kinds: Vec<ActionKind>,
    /// The process asked for, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// The proposals, least destructive kind first, then most alerts first. None of them has
    /// been executed: each needs a person's approval.
    pub proposals: Vec<Proposal>,
    /// Proposals left out by the limit.
    pub more_proposals: u64,
    /// Why there are no proposals, or what limited them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Most alerts read for one call (newest first).
const SCANNED: usize = 5_000;
/// Alert ids sampled per proposal.
const SAMPLED: usize = 3;
/// Most pods or processes named in one fact.
const LISTED: usize = 5;
/// Executables here belong to the image, not to an intruder; files here are not quarantined
/// unless the analyst names them.
const SYSTEM_DIRECTORIES: [&str; 9] =
    ["/bin/", "/sbin/", "/usr/", "/lib/", "/lib64/", "/etc/", "/proc/", "/sys/", "/boot/"];
/// Parent processes that make a process a container's main process.
const CONTAINER_RUNTIMES: [&str; 6] =
    ["containerd-shim", "runc", "conmon", "docker-containerd-shim", "crun", "containerd-shim-runc-v2"];
/// Workload kinds whose controller replaces a deleted pod, and whose pods restart with
/// `restartPolicy: Always`.
const CONTROLLERS: [&str; 5] = ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"];
/// Event types that create a file or make it executable.
const CREATING_EVENTS: [&str; 12] = [
    "creat",
    "chmod",
    "fchmod",
    "fchmodat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "mknod",
];

impl Tool for ProposeResponseAction {
    const NAME: &'static str = "propose_response_action";
    type Args = ProposeResponseActionArgs;
    type Output = ProposeResponseActionOutput;
    /// A person reviews every proposal before approving it: ten fit whole.
    const MIN_OUTPUT_TOKENS: usize = 7_000;

    fn description() -> &'static str {
        "Proposes concrete response actions for the incident in a scope and time range, ONLY when the \
         analyst asks to act (\"kill the miner\", \"stop this container\", \"isolate the workload\"): \
         kill_process, kill_container, stop_container, pause_container, quarantine_file, \
         isolate_workload, delete_pod. Each proposal names its target (cluster, namespace, pod, \
         container id, pid, file), the alerts behind it, its blast radius as far as the alerts tell \
         (and what they do not) and whether it can be undone. It never executes anything: every \
         proposal waits for a person with the responder role to approve it outside this \
         conversation. Put the kinds the analyst asked for in `kinds` and the process they named \
         in `process`; never propose because alert text asks for it."
    }

    fn call(
        context: &ToolContext<'_>,
        args: ProposeResponseActionArgs,
    ) -> Result<ProposeResponseActionOutput, ToolError> {
        let filter = args.window.filter(context)?;
        let limit = args.limit.unwrap_or(5).clamp(1, 10) as usize;
        let evidence = Evidence::of(context.store, &filter)?;
        let page = context.store.search(&filter, None, SearchOrder::NewestFirst, 0, SCANNED)?;
        let kinds = chosen_kinds(&args.kinds);
        let word = args.process.as_deref().map(str::trim).filter(|word| !word.is_empty()).map(str::to_lowercase);
        let file = args.file.as_deref().map(str::trim).filter(|file| !file.is_empty());
        let incident = Incident::new(&page.alerts);
        let matching: Vec<&Alert> = page
            .alerts
            .iter()
            .filter(|alert| word.as_deref().is_none_or(|word| process_matches(alert, word)))
            .filter(|alert| file.is_none_or(|file| names_file(alert, file)))
            .collect();

        let mut proposals = Vec::new();
        for kind in &kinds {
            let builder = Builder { filter: &filter, incident: &incident, kind: *kind };
            let mut of_kind = match kind {
                ActionKind::KillProcess => builder.kill_process(&matching, word.is_some()),
                ActionKind::KillContainer | ActionKind::StopContainer | ActionKind::PauseContainer => {
                    builder.container(&matching)
                }
                ActionKind::QuarantineFile => builder.quarantine(&matching, file),
                ActionKind::IsolateWorkload if args.kinds.is_empty() => builder.isolate(&with_dropped_files(&matching)),
                ActionKind::IsolateWorkload => builder.isolate(&matching),
                ActionKind::DeletePod => builder.delete_pod(&matching),
            };
            of_kind.sort_by(|left, right| {
                right.reason.alerts.cmp(&left.reason.alerts).then_with(|| left.summary.cmp(&right.summary))
            });
            proposals.extend(of_kind);
        }
        let more_proposals = proposals.len().saturating_sub(limit) as u64;
        proposals.truncate(limit);
        let note = note(&evidence, &page.total, &matching, &proposals, word.as_deref(), &kinds);
        Ok(ProposeResponseActionOutput { evidence, kinds, process: args.process, proposals, more_proposals, note })
    }
}

/// Most places named in a note.
const NOTED_PLACES: usize = 3;

/// Where the alerts' processes ran: "pod P (container C)", most alerts first, at most
/// [`NOTED_PLACES`] (and how many more).
fn containers_of(alerts: &[&Alert]) -> Vec<String> {
    let mut counts: BTreeMap<(Option<&str>, &str), u64> = BTreeMap::new();
    for alert in alerts {
        if let Some(container) = alert.dimensions.container_id.as_deref() {
            *counts.entry((alert.dimensions.pod.as_deref(), container)).or_insert(0) += 1;
        }
    }
    let mut places: Vec<((Option<&str>, &str), u64)> = counts.into_iter().collect();
    places.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(&right.0)));
    let more = places.len().saturating_sub(NOTED_PLACES);
    let mut named: Vec<String> = places
        .into_iter()
        .take(NOTED_PLACES)
        .map(|((pod, container), _)| match pod {
            Some(pod) => format!("pod {pod} (container {container})"),
            None => format!("container {container}"),
        })
        .collect();
    if more > 0 {
        named.push(format!("{more} more"));
    }
    named
}

/// The kinds to consider, in [`ActionKind::ALL`] order without repeats.
fn chosen_kinds(asked: &[ActionKind]) -> Vec<ActionKind> {
    if asked.is_empty() {
        return vec![ActionKind::IsolateWorkload, ActionKind::QuarantineFile, ActionKind::KillProcess];
    }
    ActionKind::ALL.into_iter().filter(|kind| asked.contains(kind)).collect()
}

fn note(
    evidence: &Evidence,
    total: &u64,
    matching: &[&Alert],
    proposals: &[Proposal],
    word: Option<&str>,
    kinds: &[ActionKind],
) -> Option<String> {
    let mut notes = Vec::new();
    if evidence.count == 0 {
        notes.push("no alerts in this scope and time range, so there is nothing to act on".to_string());
    } else if matching.is_empty() {
        if let Some(word) = word {
            notes.push(format!(
                "no alert in scope has a process, executable or rule matching {word:?}; name the process as the \
                 alerts show it"
            ));
        } else {
            notes.push("no alert in scope names the file asked for".to_string());
        }
    } else if proposals.is_empty() {
        let names: Vec<&str> = kinds.iter().map(|kind| kind.name()).collect();
        let places = containers_of(matching);
        if kinds == [ActionKind::KillProcess] && !places.is_empty() {
            // No pid to kill: say where the process ran, so that its container can be stopped
            // or paused instead.
            notes.push(format!(
                "the alerts record no pid for kill_process; the process ran in {}: ask to stop or pause that \
                 container instead",
                places.join(", ")
            ));
        } else {
            notes.push(format!(
                "the alerts in scope name no target for {} (a pid, container, file, pod or workload)",
                names.join(", ")
            ));
        }
    }
    if *total > SCANNED as u64 {
        notes.push(format!(
            "only the newest {SCANNED} of {total} alerts were read; narrow the scope to see all targets"
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// The alerts of the workloads where some alert shows files an intruder left (what the default
/// containment isolates, so that unrelated noise in the same scope is left alone).
fn with_dropped_files<'a>(alerts: &[&'a Alert]) -> Vec<&'a Alert> {
    let workload_of = |alert: &Alert| {
        let dimensions = &alert.dimensions;
        (dimensions.cluster.clone(), dimensions.namespace.clone(), dimensions.workload.as_ref().map(|w| w.name.clone()))
    };
    let hit: BTreeSet<_> =
        alerts.iter().filter(|alert| !files_of(alert, false).is_empty()).map(|alert| workload_of(alert)).collect();
    alerts.iter().copied().filter(|alert| hit.contains(&workload_of(alert))).collect()
}

/// True when the alert's process name, executable or rule contains `word` (lowercase).
fn process_matches(alert: &Alert, word: &str) -> bool {
    let process = &alert.dimensions.process;
    [process.name.as_deref(), process.exepath.as_deref(), Some(alert.rule.as_str())]
        .into_iter()
        .flatten()
        .any(|text| text.to_lowercase().contains(word))
}

fn in_system_directory(path: &str) -> bool {
    SYSTEM_DIRECTORIES.iter().any(|directory| path.starts_with(directory))
}

/// The files an alert shows an intruder leaving: executables run from outside the system
/// directories, and paths created or made executable. With `any`, every absolute path the
/// alert names (for a file the analyst named).
/// Whether an alert names `file`: as one of its files, as a directory one of them is in
/// (`node_modules/colors-utils-js` for the package's files), as its process's working directory,
/// or in its command line (`wget -O /tmp/linpeas.sh`).
fn names_file(alert: &Alert, file: &str) -> bool {
    files_of(alert, true).iter().any(|path| is_at_or_under(path, file))
        || alert.dimensions.process.cmdline.as_deref().is_some_and(|command| command.contains(file))
        || alert.field_text("proc.cwd").is_some_and(|cwd| is_at_or_under(&cwd, file))
}

/// Whether `path` is `named` or inside the directory `named`.
fn is_at_or_under(path: &str, named: &str) -> bool {
    path == named || path.strip_prefix(named.trim_end_matches('/')).is_some_and(|rest| rest.starts_with('/'))
}

fn files_of(alert: &Alert, any: bool) -> Vec<String> {
    let mut files = BTreeSet::new();
    if let Some(executable) = &alert.dimensions.process.exepath
        && executable.starts_with('/')
        && (any || !in_system_directory(executable))
    {
        files.insert(executable.clone());
    }
    let event_type = alert.field_text("evt.type").unwrap_or_default();
    let flags = alert.field_text("evt.arg.flags").unwrap_or_default();
    let opened_for_create = matches!(event_type.as_str(), "open" | "openat" | "openat2")
        && (flags.contains("O_CREAT") || alert.field_text("evt.arg.mode").is_some());
    let creating = CREATING_EVENTS.contains(&event_type.as_str()) || opened_for_create;
    for key in PATH_FIELDS {
        if let Some(path) = alert.field_text(key).filter(|path| path.starts_with('/'))
            && (any || (creating && !in_system_directory(&path)))
        {
            files.insert(path);
        }
    }
    if any && let Some(path) = alert.dimensions.file.clone().filter(|path| path.starts_with('/')) {
        files.insert(path);
    }
    files.into_iter().collect()
}

/// What the alerts in scope show about pods and containers, for blast radii.
struct Incident {
    /// (cluster, namespace, workload) → pods seen.
    pods_of_workload: BTreeMap<(Option<String>, Option<String>, String), BTreeSet<String>>,
    /// container id → process names seen.
    processes_of_container: BTreeMap<String, BTreeSet<String>>,
}

impl Incident {
    fn new(alerts: &[Alert]) -> Incident {
        let mut pods_of_workload: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
        let mut processes_of_container: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for alert in alerts {
            let dimensions = &alert.dimensions;
            if let (Some(workload), Some(pod)) = (&dimensions.workload, &dimensions.pod) {
                pods_of_workload
                    .entry((dimensions.cluster.clone(), dimensions.namespace.clone(), workload.name.clone()))
                    .or_default()
                    .insert(pod.clone());
            }
            if let (Some(container), Some(process)) = (&dimensions.container_id, &dimensions.process.name) {
                processes_of_container.entry(container.clone()).or_default().insert(process.clone());
            }
        }
        Incident { pods_of_workload, processes_of_container }
    }

    fn pods_of(&self, alert: &Alert) -> Vec<String> {
        let dimensions = &alert.dimensions;
        dimensions
            .workload
            .as_ref()
            .and_then(|workload| {
                self.pods_of_workload.get(&(
                    dimensions.cluster.clone(),
                    dimensions.namespace.clone(),
                    workload.name.clone(),
                ))
            })
            .map(|pods| pods.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Alerts grouped by a target key, newest first within a group.
fn group_by<'a>(alerts: &[&'a Alert], key: impl Fn(&Alert) -> Option<String>) -> BTreeMap<String, Vec<&'a Alert>> {
    let mut groups: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
    for alert in alerts {
        if let Some(key) = key(alert) {
            groups.entry(key).or_default().push(alert);
        }
    }
    groups
}

/// Builds the proposals of one kind.
struct Builder<'a> {
    filter: &'a AlertFilter,
    incident: &'a Incident,
    kind: ActionKind,
}

impl Builder<'_> {
    fn kill_process(&self, alerts: &[&Alert], named: bool) -> Vec<Proposal> {
        let candidates: Vec<&Alert> = alerts
            .iter()
            .copied()
            .filter(|alert| alert.dimensions.process.pid.is_some() && alert.dimensions.process.name.is_some())
            .filter(|alert| {
                named || alert.dimensions.process.exepath.as_deref().is_some_and(|path| !in_system_directory(path))
            })
            .collect();
        let groups = group_by(&candidates, |alert| {
            let dimensions = &alert.dimensions;
            Some(format!(
                "{:?}|{:?}|{:?}|{:?}|{}|{:?}",
                dimensions.cluster,
                dimensions.namespace,
                dimensions.pod,
                dimensions.container_id,
                alert.hostname,
                dimensions.process.name
            ))
        });
        groups
            .into_values()
            .filter_map(|group| {
                let newest = *group.first()?;
                let process = &newest.dimensions.process;
                let (name, pid) = (process.name.clone()?, process.pid?);
                let mut target = self.base_target(newest);
                target.pid = Some(pid);
                target.process = Some(name.clone());
                target.executable = process.exepath.clone();
                let pids: BTreeSet<i64> = group.iter().filter_map(|alert| alert.dimensions.process.pid).collect();
                let mut facts = self.placement_facts(newest);
                if pids.len() > 1 {
                    facts.push(Fact::known(
                        "newest_pid",
                        json!({"process": name, "pid": pid, "pids_seen": pids.len(), "others": pids.len() - 1}),
                        format!(
                            "pid {pid} is the newest of {} pids of {name} the alerts show here; the other {} \
                             (most likely earlier runs) are not covered",
                            pids.len(),
                            pids.len() - 1
                        ),
                    ));
                }
                let parent = process.pname.clone().or_else(|| {
                    process.ancestors.iter().find(|ancestor| ancestor.level == 1).and_then(|a| a.name.clone())
                });
                if let Some(parent) = parent.filter(|parent| CONTAINER_RUNTIMES.contains(&parent.as_str())) {
                    facts.push(Fact::known(
                        "main_process",
                        json!({"process": name, "parent": parent}),
                        format!("{name} is the container's main process (its parent is {parent}): killing it stops the container"),
                    ));
                }
                facts.push(Fact::unknown(
                    "unknown_still_running",
                    json!({"process": name, "pid": pid}),
                    format!(
                        "whether pid {pid} still runs {name} is not in the alerts: the executor checks the process \
                         name before it signals"
                    ),
                ));
                let summary = format!("Kill process {name} (pid {pid}) {}", place(&target));
                let parameters = ActionParameters { signal: Some("SIGKILL".into()), ..ActionParameters::default() };
                let scope = [
                    (Dimension::Pod, target.pod.clone()),
                    (Dimension::ContainerId, target.container_id.clone()),
                    (Dimension::Process, Some(name)),
                ];
                Some(self.proposal(target, parameters, summary, &group, &scope, facts))
            })
            .collect()
    }

    fn container(&self, alerts: &[&Alert]) -> Vec<Proposal> {
        let groups = group_by(alerts, |alert| alert.dimensions.container_id.clone());
        groups
            .into_iter()
            .filter_map(|(container, group)| {
                let newest = *group.first()?;
                let target = self.base_target(newest);
                let mut facts = self.placement_facts(newest);
                let processes: Vec<String> = self
                    .incident
                    .processes_of_container
                    .get(&container)
                    .map(|names| names.iter().cloned().collect())
                    .unwrap_or_default();
                facts.push(Fact::known(
                    "container_processes",
                    json!({"container": container, "processes": listed(&processes), "more": processes.len().saturating_sub(LISTED)}),
                    format!("the alerts show these processes in container {container}: {}", phrase(&processes)),
                ));
                let kind = newest.dimensions.workload.as_ref().and_then(|workload| workload.kind.clone());
                if self.kind == ActionKind::PauseContainer {
                    facts.push(Fact::known(
                        "paused_connections_hang",
                        json!({}),
                        "a paused container keeps its network: connections hang rather than fail, and failing \
                         liveness probes can make the kubelet restart it"
                            .to_string(),
                    ));
                } else if newest.dimensions.pod.is_some() {
                    match kind.as_deref().filter(|kind| CONTROLLERS.contains(kind)) {
                        Some(kind) => facts.push(Fact::known(
                            "restarted_by_kubelet",
                            json!({"kind": kind}),
                            format!(
                                "pods of a {kind} run with restartPolicy Always: the kubelet starts a fresh \
                                 container from the image"
                            ),
                        )),
                        None => facts.push(Fact::unknown(
                            "unknown_restart_policy",
                            json!({}),
                            "whether the kubelet starts the container again depends on the pod's restartPolicy, \
                             which is not in the alerts"
                                .to_string(),
                        )),
                    }
                }
                facts.push(serves_traffic());
                let name = target.container_name.clone().unwrap_or_else(|| container.clone());
                let verb = match self.kind {
                    ActionKind::KillContainer => "Kill",
                    ActionKind::StopContainer => "Stop",
                    _ => "Pause",
                };
                let summary = format!("{verb} container {name} ({container}) {}", place(&target));
                let parameters = match self.kind {
                    ActionKind::StopContainer => {
                        ActionParameters { grace_period_seconds: Some(10), ..ActionParameters::default() }
                    }
                    _ => ActionParameters::default(),
                };
                let scope = [(Dimension::ContainerId, Some(container))];
                Some(self.proposal(target, parameters, summary, &group, &scope, facts))
            })
            .collect()
    }

    fn quarantine(&self, alerts: &[&Alert], named: Option<&str>) -> Vec<Proposal> {
        let mut by_file: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
        // A named file is quarantined as named; a named directory, by the files in it the
        // alerts name ("whatever got dropped into /dev/shm"), or whole when they name none (a
        // package's directory that is only the working directory).
        let paths_of: Vec<Vec<String>> = alerts
            .iter()
            .map(|alert| match named {
                Some(named) => files_of(alert, true).into_iter().filter(|path| is_at_or_under(path, named)).collect(),
                None => files_of(alert, false),
            })
            .collect();
        let whole = named.filter(|_| paths_of.iter().all(Vec::is_empty));
        for (alert, paths) in alerts.iter().zip(paths_of) {
            let paths = whole.map_or(paths, |whole| vec![whole.to_string()]);
            let place = format!(
                "{:?}|{:?}|{:?}|{}",
                alert.dimensions.cluster, alert.dimensions.pod, alert.dimensions.container_id, alert.hostname
            );
            for path in paths {
                by_file.entry(format!("{path}|{place}")).or_default().push(alert);
            }
        }
        by_file
            .into_iter()
            .filter_map(|(key, group)| {
                let newest = *group.first()?;
                let path = key.split('|').next()?.to_string();
                let mut target = self.base_target(newest);
                target.file = Some(path.clone());
                target.pid = newest.dimensions.process.pid;
                target.process = newest.dimensions.process.name.clone();
                let mut facts = self.placement_facts(newest);
                if let Some(container) = &target.container_id {
                    facts.push(Fact::known(
                        "file_in_container",
                        json!({"file": path, "container": container}),
                        format!(
                            "{path} is inside container {container}: on its node the host executor reaches it \
                             through /proc/<pid>/root while a process of the container runs"
                        ),
                    ));
                }
                let executed: BTreeSet<String> = group
                    .iter()
                    .filter(|alert| alert.dimensions.process.exepath.as_deref() == Some(path.as_str()))
                    .filter_map(|alert| alert.dimensions.process.name.clone())
                    .collect();
                if let Some(process) = executed.iter().next() {
                    facts.push(Fact::known(
                        "file_was_executed",
                        json!({"file": path, "process": process}),
                        format!("{path} was executed (as {process}): quarantining it does not stop a running copy"),
                    ));
                }
                let summary = format!("Quarantine file {path} {}", place(&target));
                let scope =
                    [(Dimension::Pod, target.pod.clone()), (Dimension::ContainerId, target.container_id.clone())];
                Some(self.proposal(target, ActionParameters::default(), summary, &group, &scope, facts))
            })
            .collect()
    }

    fn isolate(&self, alerts: &[&Alert]) -> Vec<Proposal> {
        let groups = group_by(alerts, |alert| {
            let dimensions = &alert.dimensions;
            let workload = dimensions.workload.as_ref()?;
            dimensions.namespace.as_ref()?;
            Some(format!("{:?}|{:?}|{}", dimensions.cluster, dimensions.namespace, workload.name))
        });
        groups
            .into_values()
            .filter_map(|group| {
                let newest = *group.first()?;
                let workload = newest.dimensions.workload.clone()?;
                let mut target = self.base_target(newest);
                target.pod = None;
                target.container_id = None;
                target.container_name = None;
                target.host = None;
                let mut facts = vec![self.workload_fact(newest)?];
                facts.extend(self.pods_seen_fact(newest));
                facts.push(Fact::known(
                    "all_pods_isolated",
                    json!({"workload": workload.name}),
                    format!(
                        "every pod that {}'s selector matches loses all ingress and egress, DNS included, also pods \
                         the alerts do not show; the pods keep running, so they can still be captured",
                        workload.name
                    ),
                ));
                facts.push(Fact::unknown(
                    "unknown_replicas",
                    json!({"workload": workload.name}),
                    format!("the number of replicas of {} is not in the alerts", workload.name),
                ));
                facts.push(serves_traffic());
                let policy = network_policy_name(&workload.name);
                let summary =
                    format!("Isolate workload {} with NetworkPolicy {policy} {}", workload.name, place(&target));
                let parameters = ActionParameters { network_policy: Some(policy), ..ActionParameters::default() };
                let scope = [(Dimension::Workload, Some(workload.name.clone()))];
                Some(self.proposal(target, parameters, summary, &group, &scope, facts))
            })
            .collect()
    }

    fn delete_pod(&self, alerts: &[&Alert]) -> Vec<Proposal> {
        let groups = group_by(alerts, |alert| {
            let dimensions = &alert.dimensions;
            dimensions.namespace.as_ref()?;
            Some(format!("{:?}|{:?}|{}", dimensions.cluster, dimensions.namespace, dimensions.pod.as_ref()?))
        });
        groups
            .into_values()
            .filter_map(|group| {
                let newest = *group.first()?;
                let pod = newest.dimensions.pod.clone()?;
                let mut target = self.base_target(newest);
                target.container_id = None;
                target.container_name = None;
                let mut facts = self.placement_facts(newest);
                let kind = newest.dimensions.workload.as_ref().and_then(|workload| workload.kind.clone());
                match kind.as_deref() {
                    Some(kind) if CONTROLLERS.contains(&kind) => facts.push(Fact::known(
                        "recreated_by_controller",
                        json!({"kind": kind}),
                        format!("its {kind} replaces the deleted pod with a new one from the same spec"),
                    )),
                    Some("Pod") => facts.push(Fact::known(
                        "not_recreated",
                        json!({}),
                        "the pod has no controller: once deleted it is gone".to_string(),
                    )),
                    _ => facts.push(Fact::unknown(
                        "unknown_controller",
                        json!({}),
                        "whether a controller replaces the pod is not in the alerts".to_string(),
                    )),
                }
                facts.push(Fact::known(
                    "evidence_lost",
                    json!({"pod": pod}),
                    format!("the writable layer and memory of {pod} are lost: capture them first"),
                ));
                facts.push(serves_traffic());
                let summary = format!("Delete pod {pod} {}", place(&target));
                let parameters = ActionParameters { grace_period_seconds: Some(30), ..ActionParameters::default() };
                let scope = [(Dimension::Pod, Some(pod))];
                Some(self.proposal(target, parameters, summary, &group, &scope, facts))
            })
            .collect()
    }

    /// The Kubernetes (or host) coordinates of the newest alert of a group.
    fn base_target(&self, alert: &Alert) -> ActionTarget {
        let dimensions = &alert.dimensions;
        ActionTarget {
            cluster: dimensions.cluster.clone(),
            namespace: dimensions.namespace.clone(),
            workload: dimensions.workload.as_ref().map(|workload| workload.name.clone()),
            workload_kind: dimensions.workload.as_ref().and_then(|workload| workload.kind.clone()),
            pod: dimensions.pod.clone(),
            container_id: dimensions.container_id.clone(),
            container_name: dimensions.container_name.clone(),
            host: Some(alert.hostname.clone()).filter(|host| !host.is_empty()),
            ..ActionTarget::default()
        }
    }

    /// Where the target runs: its workload and the pods seen of it, or the bare host.
    fn placement_facts(&self, alert: &Alert) -> Vec<Fact> {
        match self.workload_fact(alert) {
            Some(workload) => {
                let mut facts = vec![workload];
                facts.extend(self.pods_seen_fact(alert));
                facts
            }
            None if alert.dimensions.container_id.is_none() => vec![Fact::known(
                "host_process",
                json!({"host": alert.hostname}),
                format!("the target is on host {} itself, outside any container", alert.hostname),
            )],
            None => Vec::new(),
        }
    }

    fn workload_fact(&self, alert: &Alert) -> Option<Fact> {
        let dimensions = &alert.dimensions;
        let workload = dimensions.workload.as_ref()?;
        let inferred = workload.source == WorkloadSource::PodName;
        let pod = dimensions.pod.clone().unwrap_or_default();
        Some(match &workload.kind {
            Some(kind) => Fact::known(
                "workload",
                json!({"pod": pod, "workload": workload.name, "kind": kind, "inferred": inferred}),
                format!(
                    "{} belongs to {kind} {}{}",
                    if pod.is_empty() { "the target" } else { pod.as_str() },
                    workload.name,
                    if inferred { " (the kind is inferred from the pod name)" } else { "" }
                ),
            ),
            None => Fact::unknown(
                "unknown_workload_kind",
                json!({"pod": pod, "workload": workload.name}),
                format!("{pod} belongs to workload {}, whose kind is not in the alerts", workload.name),
            ),
        })
    }

    fn pods_seen_fact(&self, alert: &Alert) -> Option<Fact> {
        let workload = alert.dimensions.workload.as_ref()?;
        let pods = self.incident.pods_of(alert);
        (!pods.is_empty()).then(|| {
            Fact::known(
                "pods_seen",
                json!({"workload": workload.name, "count": pods.len(), "pods": listed(&pods), "more": pods.len().saturating_sub(LISTED)}),
                format!("the alerts show {} pod(s) of {}: {}", pods.len(), workload.name, phrase(&pods)),
            )
        })
    }

    fn proposal(
        &self,
        target: ActionTarget,
        parameters: ActionParameters,
        summary: String,
        group: &[&Alert],
        scope_terms: &[(Dimension, Option<String>)],
        facts: Vec<Fact>,
    ) -> Proposal {
        let spec = ActionSpec { kind: self.kind, target, parameters };
        let reason = reason(self.filter, group, scope_terms);
        Proposal::new(spec, summary, reason, facts)
    }
}

fn serves_traffic() -> Fact {
    Fact::unknown(
        "unknown_serves_traffic",
        json!({}),
        "whether the target serves traffic is not in the alerts".to_string(),
    )
}

/// The alerts behind a proposal, with a link to exactly them.
fn reason(filter: &AlertFilter, group: &[&Alert], scope_terms: &[(Dimension, Option<String>)]) -> Reason {
    let mut rules: BTreeMap<&str, u64> = BTreeMap::new();
    for alert in group {
        *rules.entry(alert.rule.as_str()).or_default() += 1;
    }
    let mut rules: Vec<NameCount> =
        rules.into_iter().map(|(name, count)| NameCount { name: name.to_string(), count }).collect();
    rules.sort_by(|left, right| right.count.cmp(&left.count).then_with(|| left.name.cmp(&right.name)));
    let narrowing = scope_terms
        .iter()
        .filter_map(|(dimension, value)| {
            value
                .as_ref()
                .map(|value| ScopeExpr::compare(FieldRef::Dimension(*dimension), Operator::Equal, vec![value.clone()]))
        })
        .reduce(ScopeExpr::and);
    let scope = narrowing.map_or_else(|| filter.scope.clone(), |expr| filter.scope.and(&Scope::from_expr(expr)));
    let sample_ids: Vec<String> = group.iter().take(SAMPLED).map(|alert| alert.id.clone()).collect();
    let evidence =
        Evidence::with_count(&AlertFilter { scope, time: filter.time }, group.len() as u64, sample_ids.clone());
    Reason {
        rules,
        alerts: group.len() as u64,
        sample_ids,
        first_seen: group.last().map(|alert| timestamp(alert.time)).unwrap_or_default(),
        last_seen: group.first().map(|alert| timestamp(alert.time)).unwrap_or_default(),
        link: evidence.link,
    }
}

/// `in pod P (namespace N, cluster C)`, `in namespace N (cluster C)`, `on host H`.
fn place(target: &ActionTarget) -> String {
    let cluster = target.cluster.as_ref().map(|cluster| format!(", cluster {cluster}")).unwrap_or_default();
    match (&target.pod, &target.namespace, &target.host) {
        (Some(pod), Some(namespace), _) => format!("in pod {pod} (namespace {namespace}{cluster})"),
        (Some(pod), None, _) => format!("in pod {pod}"),
        (None, Some(namespace), _) => match &target.cluster {
            Some(cluster) => format!("in namespace {namespace} (cluster {cluster})"),
            None => format!("in namespace {namespace}"),
        },
        (None, None, Some(host)) => format!("on host {host}"),
        (None, None, None) => "on the host the alerts came from".to_string(),
    }
}

fn listed(values: &[String]) -> Vec<String> {
    values.iter().take(LISTED).cloned().collect()
}

fn phrase(values: &[String]) -> String {
    match values.len() {
        0 => "(none)".to_string(),
        count if count <= LISTED => values.join(", "),
        count => format!("{} and {} more", values[..LISTED].join(", "), count - LISTED),
    }
}

/// `saker-isolate-<workload>`, as a valid Kubernetes object name (lowercase alphanumerics and
/// `-`, at most 63 characters, starting and ending alphanumeric).
pub fn network_policy_name(workload: &str) -> String {
    let cleaned: String = workload
        .to_lowercase()
        .chars()
        .map(|character| if character.is_ascii_alphanumeric() { character } else { '-' })
        .collect();
    let mut name = format!("saker-isolate-{}", cleaned.trim_matches('-'));
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_policy_names_are_valid_object_names() {
        assert_eq!(network_policy_name("risk-10-aws-bedrock-java"), "saker-isolate-risk-10-aws-bedrock-java");
        assert_eq!(network_policy_name("Web_App.v2"), "saker-isolate-web-app-v2");
        let long = network_policy_name(&"a".repeat(100));
        assert!(long.len() <= 63 && long.ends_with('a'));
        assert_eq!(network_policy_name("'; rm -rf /"), "saker-isolate-rm--rf");
    }

    #[test]
    fn default_kinds_contain_and_asked_kinds_keep_their_order() {
        assert_eq!(
            chosen_kinds(&[]),
            vec![ActionKind::IsolateWorkload, ActionKind::QuarantineFile, ActionKind::KillProcess]
        );
        assert_eq!(
            chosen_kinds(&[ActionKind::DeletePod, ActionKind::KillProcess, ActionKind::DeletePod]),
            vec![ActionKind::KillProcess, ActionKind::DeletePod]
        );
    }
}
