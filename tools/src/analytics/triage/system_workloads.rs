//! Saker's reviewed list of system and maintenance workloads: Kubernetes namespaces and
//! well-known infrastructure images whose job includes the maintenance activity Falco rules
//! flag (log handling, backups, CI builds, cluster add-ons, troubleshooting). Written by the
//! project; an entry makes triage lean benign, so add only what is infrastructure everywhere.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of system workload an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SystemKind {
    /// Kubernetes and distribution components, networking, service mesh, policy.
    ClusterInfrastructure,
    /// Metrics, dashboards, tracing.
    Monitoring,
    /// Log collection and storage.
    Logging,
    /// Backup and restore.
    Backup,
    /// CI/CD runners and GitOps controllers.
    Ci,
    /// Security agents.
    SecurityAgent,
    /// Troubleshooting images used by engineers.
    Troubleshooting,
}

/// Namespaces, matched exactly.
pub const NAMESPACES: &[(&str, SystemKind)] = &[
    ("kube-system", SystemKind::ClusterInfrastructure),
    ("kube-public", SystemKind::ClusterInfrastructure),
    ("kube-node-lease", SystemKind::ClusterInfrastructure),
    ("cert-manager", SystemKind::ClusterInfrastructure),
    ("ingress-nginx", SystemKind::ClusterInfrastructure),
    ("istio-system", SystemKind::ClusterInfrastructure),
    ("linkerd", SystemKind::ClusterInfrastructure),
    ("calico-system", SystemKind::ClusterInfrastructure),
    ("tigera-operator", SystemKind::ClusterInfrastructure),
    ("gatekeeper-system", SystemKind::ClusterInfrastructure),
    ("kyverno", SystemKind::ClusterInfrastructure),
    ("monitoring", SystemKind::Monitoring),
    ("prometheus", SystemKind::Monitoring),
    ("grafana", SystemKind::Monitoring),
    ("observability", SystemKind::Monitoring),
    ("logging", SystemKind::Logging),
    ("loki", SystemKind::Logging),
    ("elastic-system", SystemKind::Logging),
    ("backup", SystemKind::Backup),
    ("velero", SystemKind::Backup),
    ("ci", SystemKind::Ci),
    ("gitlab-runner", SystemKind::Ci),
    ("actions-runner-system", SystemKind::Ci),
    ("arc-runners", SystemKind::Ci),
    ("jenkins", SystemKind::Ci),
    ("tekton-pipelines", SystemKind::Ci),
    ("argocd", SystemKind::Ci),
    ("flux-system", SystemKind::Ci),
    ("falco", SystemKind::SecurityAgent),
    ("sysdig-agent", SystemKind::SecurityAgent),
];

/// Namespace prefixes of distributions' own components.
pub const NAMESPACE_PREFIXES: &[(&str, SystemKind)] =
    &[("openshift-", SystemKind::ClusterInfrastructure), ("kube-", SystemKind::ClusterInfrastructure)];

/// Image repositories, matched against the end of the repository at a `/` boundary
/// (`gitlab/gitlab-runner` matches `docker.io/gitlab/gitlab-runner`).
pub const IMAGES: &[(&str, SystemKind)] = &[
    ("kube-proxy", SystemKind::ClusterInfrastructure),
    ("coredns", SystemKind::ClusterInfrastructure),
    ("calico/node", SystemKind::ClusterInfrastructure),
    ("cilium/cilium", SystemKind::ClusterInfrastructure),
    ("istio/proxyv2", SystemKind::ClusterInfrastructure),
    ("ingress-nginx/controller", SystemKind::ClusterInfrastructure),
    ("jetstack/cert-manager-controller", SystemKind::ClusterInfrastructure),
    ("prometheus/prometheus", SystemKind::Monitoring),
    ("prometheus/node-exporter", SystemKind::Monitoring),
    ("prometheus/alertmanager", SystemKind::Monitoring),
    ("kube-state-metrics", SystemKind::Monitoring),
    ("grafana/grafana", SystemKind::Monitoring),
    ("datadog/agent", SystemKind::Monitoring),
    ("fluentd", SystemKind::Logging),
    ("fluent/fluentd-kubernetes-daemonset", SystemKind::Logging),
    ("fluent/fluent-bit", SystemKind::Logging),
    ("grafana/loki", SystemKind::Logging),
    ("grafana/promtail", SystemKind::Logging),
    ("elastic/filebeat", SystemKind::Logging),
    ("velero/velero", SystemKind::Backup),
    ("gitlab/gitlab-runner", SystemKind::Ci),
    ("gitlab/gitlab-runner-helper", SystemKind::Ci),
    ("actions/actions-runner", SystemKind::Ci),
    ("jenkins/inbound-agent", SystemKind::Ci),
    ("argoproj/argocd", SystemKind::Ci),
    ("falcosecurity/falco", SystemKind::SecurityAgent),
    ("sysdig/agent", SystemKind::SecurityAgent),
    ("nicolaka/netshoot", SystemKind::Troubleshooting),
];

/// The kind of a namespace on the list.
pub fn namespace_kind(namespace: &str) -> Option<SystemKind> {
    NAMESPACES
        .iter()
        .find(|(name, _)| *name == namespace)
        .map(|(_, kind)| *kind)
        .or_else(|| NAMESPACE_PREFIXES.iter().find(|(prefix, _)| namespace.starts_with(prefix)).map(|(_, kind)| *kind))
}

/// The kind of an image repository on the list.
pub fn image_kind(repository: &str) -> Option<SystemKind> {
    IMAGES
        .iter()
        .find(|(name, _)| repository == *name || repository.strip_suffix(name).is_some_and(|head| head.ends_with('/')))
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_namespaces_and_images_at_boundaries() {
        assert_eq!(namespace_kind("kube-system"), Some(SystemKind::ClusterInfrastructure));
        assert_eq!(namespace_kind("openshift-monitoring"), Some(SystemKind::ClusterInfrastructure));
        assert_eq!(namespace_kind("ci"), Some(SystemKind::Ci));
        assert_eq!(namespace_kind("web-staging"), None);
        assert_eq!(image_kind("docker.io/gitlab/gitlab-runner"), Some(SystemKind::Ci));
        assert_eq!(image_kind("docker.io/nicolaka/netshoot"), Some(SystemKind::Troubleshooting));
        assert_eq!(image_kind("registry.k8s.io/kube-proxy"), Some(SystemKind::ClusterInfrastructure));
        assert_eq!(image_kind("httpd"), None);
        assert_eq!(image_kind("example.com/not-fluentd"), None);
    }

    #[test]
    fn entries_are_unique() {
        let mut names: Vec<&str> = NAMESPACES.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMESPACES.len());
        let mut images: Vec<&str> = IMAGES.iter().map(|(name, _)| *name).collect();
        images.sort_unstable();
        images.dedup();
        assert_eq!(images.len(), IMAGES.len());
    }
}
