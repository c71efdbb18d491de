//! Derives the Kubernetes workload (owner) of a pod from k8smeta owner fields or the pod name.
//!
//! Falco's `k8smeta` plugin gives the owners directly (`k8smeta.deployment.name`,
//! `k8smeta.rs.name`, `k8smeta.rc.name`); older Falco versions had `k8s.deployment.name` and
//! friends. When neither is present, the workload is derived from the pod name by stripping
//! the suffixes that Kubernetes controllers append. Controllers build those suffixes from the
//! "safe" alphabet `bcdfghjklmnpqrstvwxz2456789`, which lets us tell them from ordinary words:
//!
//! | pod name shape                        | workload            | kind          |
//! |---------------------------------------|---------------------|---------------|
//! | `NAME-<8 digits>-<5 safe>`            | `NAME` (CronJob)    | `CronJob`     |
//! | `NAME-<6..10 safe>-<5 safe>`          | `NAME` (ReplicaSet) | `Deployment`  |
//! | `NAME-<5 safe>`                       | `NAME`              | unknown (DaemonSet or Job) |
//! | `NAME-<digits>`                       | `NAME`              | `StatefulSet` |
//! | anything else                         | the pod name        | `Pod`         |
//!
//! Kinds derived from names are a best guess and are marked as such by [`WorkloadSource`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The alphabet Kubernetes uses for generated name suffixes (`k8s.io/apimachinery` rand.String).
const SAFE_ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";

/// Where a workload name came from, so that answers can say how sure they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadSource {
    /// Read from owner metadata fields (`k8smeta.*` or `k8s.deployment.name` and friends).
    Metadata,
    /// Derived from the pod name by stripping controller suffixes.
    PodName,
}

/// A pod's workload: its name, kind when known, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Workload {
    /// The workload's name (e.g. the Deployment name).
    pub name: String,
    /// The controller kind when known (`Deployment`, `StatefulSet`, `CronJob`, `ReplicaSet`,
    /// `ReplicationController`, `Pod`).
    pub kind: Option<String>,
    /// Whether the name came from metadata or from the pod name.
    pub source: WorkloadSource,
}

/// Finds the workload from owner metadata, looked up through `field`.
pub fn workload_from_metadata<'a>(field: impl Fn(&str) -> Option<&'a str>) -> Option<Workload> {
    let owners = [
        ("k8smeta.deployment.name", "Deployment"),
        ("k8s.deployment.name", "Deployment"),
        ("k8smeta.rc.name", "ReplicationController"),
        ("k8s.rc.name", "ReplicationController"),
    ];
    for (key, kind) in owners {
        if let Some(name) = field(key).filter(|name| is_present(name)) {
            return Some(Workload {
                name: name.to_string(),
                kind: Some(kind.to_string()),
                source: WorkloadSource::Metadata,
            });
        }
    }
    for key in ["k8smeta.rs.name", "k8s.rs.name"] {
        if let Some(replica_set) = field(key).filter(|name| is_present(name)) {
            return Some(match strip_safe_suffix(replica_set, 6..=10) {
                Some(deployment) => Workload {
                    name: deployment.to_string(),
                    kind: Some("Deployment".to_string()),
                    source: WorkloadSource::Metadata,
                },
                None => Workload {
                    name: replica_set.to_string(),
                    kind: Some("ReplicaSet".to_string()),
                    source: WorkloadSource::Metadata,
                },
            });
        }
    }
    None
}

/// Derives the workload from a pod name, following the table in the module documentation.
pub fn workload_from_pod_name(pod: &str) -> Workload {
    let derived = |name: &str, kind: Option<&str>| Workload {
        name: name.to_string(),
        kind: kind.map(str::to_string),
        source: WorkloadSource::PodName,
    };
    if let Some(without_pod_suffix) = strip_safe_suffix(pod, 5..=5) {
        if let Some(cron_job) = strip_suffix_where(without_pod_suffix, |segment| {
            segment.len() == 8 && segment.bytes().all(|byte| byte.is_ascii_digit())
        }) {
            return derived(cron_job, Some("CronJob"));
        }
        if let Some(deployment) = strip_safe_suffix(without_pod_suffix, 6..=10) {
            return derived(deployment, Some("Deployment"));
        }
        return derived(without_pod_suffix, None);
    }
    if let Some(stateful_set) = strip_suffix_where(pod, |segment| {
        !segment.is_empty() && segment.len() <= 5 && segment.bytes().all(|byte| byte.is_ascii_digit())
    }) {
        return derived(stateful_set, Some("StatefulSet"));
    }
    derived(pod, Some("Pod"))
}

/// True when a metadata value carries information (Falco writes `<NA>` or empty for missing).
pub fn is_present(value: &str) -> bool {
    !value.is_empty() && value != "<NA>" && value != "N/A"
}

fn strip_safe_suffix(name: &str, lengths: std::ops::RangeInclusive<usize>) -> Option<&str> {
    strip_suffix_where(name, |segment| {
        lengths.contains(&segment.len()) && segment.chars().all(|letter| SAFE_ALPHABET.contains(letter))
    })
}

fn strip_suffix_where(name: &str, accept: impl Fn(&str) -> bool) -> Option<&str> {
    let (head, segment) = name.rsplit_once('-')?;
    (!head.is_empty() && accept(segment)).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pod: &str, name: &str, kind: Option<&str>) {
        let workload = workload_from_pod_name(pod);
        assert_eq!(workload.name, name, "pod {pod}");
        assert_eq!(workload.kind.as_deref(), kind, "pod {pod}");
    }

    #[test]
    fn derives_workloads_from_pod_names() {
        check("checkout-api-7d9fbb6c5d-x2kq9", "checkout-api", Some("Deployment"));
        check("coredns-5d78c9869d-4xt7p", "coredns", Some("Deployment"));
        check("backup-28391040-7vq2x", "backup", Some("CronJob"));
        check("falco-x7v2k", "falco", None);
        check("postgres-0", "postgres", Some("StatefulSet"));
        check("kafka-broker-12", "kafka-broker", Some("StatefulSet"));
        check("standalone", "standalone", Some("Pod"));
        // "audit" contains vowels: not a generated suffix.
        check("nginx-audit", "nginx-audit", Some("Pod"));
    }

    #[test]
    fn prefers_metadata() {
        let fields = |key: &str| match key {
            "k8smeta.rs.name" => Some("web-6b7f9c8d5"),
            _ => None,
        };
        let workload = workload_from_metadata(fields).expect("workload");
        assert_eq!(workload.name, "web");
        assert_eq!(workload.kind.as_deref(), Some("Deployment"));
        assert_eq!(workload.source, WorkloadSource::Metadata);
        assert!(workload_from_metadata(|_| Some("<NA>")).is_none());
    }
}
