//! Dimensions derived from an alert's fields: Kubernetes, container, process, user, file, MITRE.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_value_text;
use super::workload::{Workload, is_present, workload_from_metadata, workload_from_pod_name};
use crate::mitre;

/// Everything Saker derives from an alert for grouping, filtering and investigation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Dimensions {
    /// Kubernetes cluster (`k8s.cluster.name` / `kubernetes.cluster.name`, else the ingest's
    /// cluster setting).
    pub cluster: Option<String>,
    /// Kubernetes namespace (`k8s.ns.name`, `k8smeta.ns.name`).
    pub namespace: Option<String>,
    /// Kubernetes pod (`k8s.pod.name`, `k8smeta.pod.name`).
    pub pod: Option<String>,
    /// The pod's owning workload, from metadata or derived from the pod name.
    pub workload: Option<Workload>,
    /// Container id (`container.id`).
    pub container_id: Option<String>,
    /// Container name (`container.name`).
    pub container_name: Option<String>,
    /// Image repository (`container.image.repository`, else `container.image` without tag).
    pub image: Option<String>,
    /// Image tag (`container.image.tag`).
    pub image_tag: Option<String>,
    /// The process that triggered the alert and its ancestry.
    pub process: Process,
    /// User name (`user.name`, or `ka.user.name` for Kubernetes audit events).
    pub user: Option<String>,
    /// File or connection (`fd.name`).
    pub file: Option<String>,
    /// MITRE ATT&CK tactic IDs (`TA0002`), from `mitre_*` and `TA####` tags, in tag order.
    pub mitre_tactics: Vec<String>,
    /// MITRE ATT&CK technique IDs (`T1059`, `T1611.001`), from the tags, in tag order.
    pub mitre_techniques: Vec<String>,
    /// Network and discovery tools the alert shows in use (`nmap`, `nc`, the cloud metadata
    /// service, ...), by [`super::known_tools`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
}

/// The triggering process and what Falco told us of its ancestry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Process {
    /// `proc.name`.
    pub name: Option<String>,
    /// `proc.exepath` (or `proc.exe`).
    pub exepath: Option<String>,
    /// `proc.cmdline`.
    pub cmdline: Option<String>,
    /// `proc.pid`.
    pub pid: Option<i64>,
    /// `proc.ppid`.
    pub ppid: Option<i64>,
    /// `proc.pname`.
    pub pname: Option<String>,
    /// `proc.pcmdline`.
    pub pcmdline: Option<String>,
    /// Ancestors from `proc.aname[N]` / `proc.apid[N]`, nearest first (level 1 is the parent).
    pub ancestors: Vec<Ancestor>,
}

/// One ancestor of the triggering process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Ancestor {
    /// Distance from the process: 1 is the parent, 2 the grandparent.
    pub level: u8,
    /// `proc.aname[level]`.
    pub name: Option<String>,
    /// `proc.apid[level]`.
    pub pid: Option<i64>,
}

/// The most ancestor levels read from `proc.aname[N]`/`proc.apid[N]`.
const MAX_ANCESTOR_LEVEL: u8 = 16;

impl Dimensions {
    /// Derives the dimensions from `output_fields`, the tags and the ingest's default cluster.
    pub fn derive(fields: &Map<String, Value>, tags: &[String], default_cluster: Option<&str>) -> Self {
        let text = |key: &str| fields.get(key).and_then(field_value_text).filter(|value| is_present(value));
        let first = |keys: &[&str]| keys.iter().find_map(|key| text(key));
        let number = |key: &str| fields.get(key).and_then(field_value_number);

        let pod = first(&["k8s.pod.name", "k8smeta.pod.name"]);
        let workload = workload_from_metadata(|key| fields.get(key).and_then(Value::as_str))
            .or_else(|| pod.as_deref().map(workload_from_pod_name));
        let image_full = text("container.image");
        let image = text("container.image.repository").or_else(|| image_full.as_deref().map(image_repository));

        let ancestors = ancestors(fields);

        let (mitre_tactics, mitre_techniques) = mitre::ids_from_tags(tags);
        let process = Process {
            name: text("proc.name"),
            exepath: first(&["proc.exepath", "proc.exe"]),
            cmdline: text("proc.cmdline"),
            pid: number("proc.pid"),
            ppid: number("proc.ppid"),
            pname: text("proc.pname"),
            pcmdline: text("proc.pcmdline"),
            ancestors,
        };
        let file = text("fd.name");
        let tools = super::known_tools::tools_of(&process, file.as_deref())
            .into_iter()
            .map(|tool| tool.name.to_string())
            .collect();
        Dimensions {
            cluster: first(&["k8s.cluster.name", "kubernetes.cluster.name"])
                .or_else(|| default_cluster.filter(|name| !name.is_empty()).map(str::to_string)),
            namespace: first(&["k8s.ns.name", "k8smeta.ns.name", "ka.target.namespace"]),
            pod,
            workload,
            container_id: text("container.id"),
            container_name: text("container.name"),
            image,
            image_tag: text("container.image.tag"),
            process,
            user: first(&["user.name", "ka.user.name"]),
            file,
            mitre_tactics,
            mitre_techniques,
            tools,
        }
    }
}

/// Collects `proc.aname[N]` and `proc.apid[N]` in one pass over the fields, nearest first.
fn ancestors(fields: &Map<String, Value>) -> Vec<Ancestor> {
    let mut ancestors: Vec<Ancestor> = Vec::new();
    for (key, value) in fields {
        let Some(rest) = key.strip_prefix("proc.a") else {
            continue;
        };
        let (is_name, level_text) = if let Some(level) = rest.strip_prefix("name[") {
            (true, level)
        } else if let Some(level) = rest.strip_prefix("pid[") {
            (false, level)
        } else {
            continue;
        };
        let Some(level) = level_text.strip_suffix(']').and_then(|digits| digits.parse::<u8>().ok()) else {
            continue;
        };
        if level == 0 || level > MAX_ANCESTOR_LEVEL {
            continue;
        }
        let index = match ancestors.iter().position(|ancestor| ancestor.level == level) {
            Some(index) => index,
            None => {
                ancestors.push(Ancestor { level, name: None, pid: None });
                ancestors.len() - 1
            }
        };
        if is_name {
            ancestors[index].name = field_value_text(value).filter(|name| is_present(name));
        } else {
            ancestors[index].pid = field_value_number(value);
        }
    }
    ancestors.retain(|ancestor| ancestor.name.is_some() || ancestor.pid.is_some());
    ancestors.sort_by_key(|ancestor| ancestor.level);
    ancestors
}

/// Reads an integer field written either as a JSON number or as a numeric string.
fn field_value_number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// `registry/team/app:1.2@sha256:..` → `registry/team/app`.
fn image_repository(image: &str) -> String {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository.to_string(),
        _ => without_digest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_tag_and_digest_from_image() {
        assert_eq!(image_repository("docker.io/library/nginx:1.25"), "docker.io/library/nginx");
        assert_eq!(image_repository("registry:5000/app"), "registry:5000/app");
        assert_eq!(image_repository("app@sha256:abc"), "app");
    }

    #[test]
    fn derives_kubernetes_and_process_dimensions() {
        let fields = json!({
            "kubernetes.cluster.name": "prod",
            "k8s.ns.name": "shop",
            "k8s.pod.name": "checkout-api-7d9fbb6c5d-x2kq9",
            "proc.pid": "42",
            "proc.aname[2]": "containerd-shim",
            "proc.apid[2]": 7,
            "container.image": "nginx:1.25",
            "user.name": "<NA>",
        });
        let fields = fields.as_object().cloned().unwrap_or_default();
        let tags = vec!["mitre_execution".to_string(), "T1059".to_string()];
        let dimensions = Dimensions::derive(&fields, &tags, Some("fallback"));
        assert_eq!(dimensions.cluster.as_deref(), Some("prod"));
        assert_eq!(dimensions.namespace.as_deref(), Some("shop"));
        assert_eq!(dimensions.workload.map(|workload| workload.name), Some("checkout-api".into()));
        assert_eq!(dimensions.process.pid, Some(42));
        assert_eq!(dimensions.process.ancestors.len(), 1);
        assert_eq!(dimensions.process.ancestors[0].pid, Some(7));
        assert_eq!(dimensions.image.as_deref(), Some("nginx"));
        assert_eq!(dimensions.user, None);
        assert_eq!(dimensions.mitre_tactics, vec!["TA0002"]);
        assert_eq!(dimensions.mitre_techniques, vec!["T1059"]);
    }

    #[test]
    fn falls_back_to_the_ingest_cluster() {
        let dimensions = Dimensions::derive(&Map::new(), &[], Some("from-cli"));
        assert_eq!(dimensions.cluster.as_deref(), Some("from-cli"));
    }
}
