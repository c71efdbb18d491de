//! The `actions:` section of `saker.yaml`: which executor acts on which cluster, and the
//! auto-approval rules (none by default).
//!
//! ```yaml
//! actions:
//!   executors:                 # first entry naming the target's cluster wins; "*" is any
//!     - type: kubernetes
//!       clusters: [prod-web-eks]
//!       api_server: https://10.0.0.1:6443
//!       token_file: /etc/saker/prod-web-eks.token
//!       ca_file: /etc/saker/prod-web-eks-ca.crt
//!     - type: webhook
//!       clusters: [staging-ocp]
//!       url: https://soar.example.com/hooks/saker
//!       secret_env: SAKER_WEBHOOK_SECRET
//!     - type: host
//!       clusters: ["*"]
//!   auto_approve:
//!     - name: miners
//!       kinds: [kill_process]
//!       rules: [Detect crypto miners using the Stratum protocol]
//!       namespaces: [risk-10-aws-bedrock-java]
//! ```
//!
//! A cluster no entry names gets the `dry-run` executor, which records what it would do.

use std::path::PathBuf;

use saker_tools::actions::AutoApprovalRule;
use serde::Deserialize;

/// The `actions:` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSettings {
    /// Executors per cluster, first match wins.
    #[serde(default)]
    pub executors: Vec<ExecutorSettings>,
    /// Auto-approval rules (none: every action waits for a person).
    #[serde(default)]
    pub auto_approve: Vec<AutoApprovalRule>,
}

/// One executor and the clusters it serves.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ExecutorSettings {
    /// Records exactly what would be done, does nothing.
    DryRun {
        /// Clusters (`*` for any, and for alerts without a cluster).
        clusters: Vec<String>,
    },
    /// Acts on this machine: signals, file quarantine, the container runtime CLI.
    Host(HostSettings),
    /// Calls the Kubernetes API server.
    Kubernetes(KubernetesSettings),
    /// Posts the action to the user's own automation.
    Webhook(WebhookSettings),
}

/// `type: host`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSettings {
    /// Clusters (`*` for any).
    pub clusters: Vec<String>,
    /// Where quarantined files go (default `<data-dir>/quarantine`).
    #[serde(default)]
    pub quarantine_dir: Option<PathBuf>,
    /// `docker`, `podman`, `nerdctl`, `crictl`, or a path to one of them (default: the first
    /// found on `PATH`).
    #[serde(default)]
    pub container_runtime: Option<String>,
    /// Act even when the alert's host name is not this machine's (default false: an action
    /// for another node is refused, since pids and paths are per machine).
    #[serde(default)]
    pub any_host: bool,
    /// Seconds a container runtime command may take (default 60).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// `type: kubernetes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSettings {
    /// Clusters (`*` for any).
    pub clusters: Vec<String>,
    /// `https://host:port` of the API server; absent with `in_cluster`.
    #[serde(default)]
    pub api_server: Option<String>,
    /// Use the pod's service account (`KUBERNETES_SERVICE_HOST`, the mounted token and CA).
    #[serde(default)]
    pub in_cluster: bool,
    /// File holding the bearer token (read at every call, so a rotated token is picked up).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Environment variable holding the bearer token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// PEM file of the API server's CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Skip TLS verification (test clusters only).
    #[serde(default)]
    pub insecure_skip_tls_verify: bool,
    /// Seconds a call may take (default 30).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// `type: webhook`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Clusters (`*` for any).
    pub clusters: Vec<String>,
    /// The endpoint (`https://...`; `http://` only for loopback).
    pub url: String,
    /// Environment variable with the HMAC-SHA256 key that signs each body
    /// (`X-Saker-Signature: sha256=<hex>`).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// The key itself (better given through `secret_env`).
    #[serde(default)]
    pub secret: Option<String>,
    /// Seconds a call may take (default 30).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

impl ExecutorSettings {
    /// The clusters it serves.
    pub fn clusters(&self) -> &[String] {
        match self {
            ExecutorSettings::DryRun { clusters } => clusters,
            ExecutorSettings::Host(settings) => &settings.clusters,
            ExecutorSettings::Kubernetes(settings) => &settings.clusters,
            ExecutorSettings::Webhook(settings) => &settings.clusters,
        }
    }

    /// True when it serves `cluster` (`None`: alerts without a cluster, served by `*` only).
    pub fn serves(&self, cluster: Option<&str>) -> bool {
        self.clusters().iter().any(|listed| listed == "*" || Some(listed.as_str()) == cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ActionSettings, String> {
        serde_saphyr::from_str(text).map_err(|error| error.to_string())
    }

    #[test]
    fn executors_parse_by_type_and_unknown_keys_are_errors() {
        let settings = parse(
            "executors:\n  - type: kubernetes\n    clusters: [prod]\n    api_server: https://10.0.0.1:6443\n    token_env: K8S_TOKEN\n\
             \x20 - type: webhook\n    clusters: [staging]\n    url: https://soar.example.com/hook\n\
             \x20 - type: host\n    clusters: [\"*\"]\n\
             auto_approve:\n  - name: miners\n    kinds: [kill_process]\n    rules: [Detect crypto miners using the Stratum protocol]\n    namespaces: [risk-10]\n",
        )
        .expect("parses");
        assert_eq!(settings.executors.len(), 3);
        assert!(
            matches!(&settings.executors[0], ExecutorSettings::Kubernetes(k) if k.token_env.as_deref() == Some("K8S_TOKEN"))
        );
        assert!(settings.executors[0].serves(Some("prod")) && !settings.executors[0].serves(Some("staging")));
        assert!(settings.executors[2].serves(None));
        assert_eq!(settings.auto_approve[0].name, "miners");
        let error = parse("executors:\n  - type: host\n    clusters: [a]\n    quarantine: /tmp\n").expect_err("typo");
        assert!(error.contains("quarantine"), "{error}");
        let error = parse("executors:\n  - type: ssh\n    clusters: [a]\n").expect_err("unknown type");
        assert!(error.contains("ssh"), "{error}");
    }
}
