//! Field names in scopes: Saker's derived dimensions and any Falco `output_fields` key.

use serde::{Deserialize, Serialize};

/// What a scope field refers to after alias resolution.
///
/// Well-known names map to the indexed dimensions of an alert (so `kubernetes.cluster.name`,
/// `k8s.cluster.name` and `cluster` are one thing); any other name is looked up in the alert's
/// `output_fields` by its exact key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FieldRef {
    /// A derived, indexed dimension.
    Dimension(Dimension),
    /// A raw `output_fields` key, as written (after `kubernetes.` → `k8s.` aliasing).
    OutputField(String),
}

/// Indexed dimensions of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Falco rule name (`rule`, `falco.rule`).
    Rule,
    /// Priority, lowercase canonical name (`priority`, `evt.priority`).
    Priority,
    /// Event source (`source`, `evt.source`).
    Source,
    /// Rule tags (`tags`, `tag`), multi-valued.
    Tag,
    /// Host name (`hostname`, `evt.hostname`, `host`).
    Host,
    /// Cluster (`k8s.cluster.name`, `kubernetes.cluster.name`, `cluster`).
    Cluster,
    /// Namespace (`k8s.ns.name`, `kubernetes.namespace.name`, `namespace`).
    Namespace,
    /// Workload (`workload`, `k8s.workload.name`, `kubernetes.workload.name`).
    Workload,
    /// Pod (`k8s.pod.name`, `kubernetes.pod.name`, `pod`).
    Pod,
    /// Container id (`container.id`).
    ContainerId,
    /// Container name (`container.name`).
    ContainerName,
    /// Image repository (`container.image.repository`, `image`).
    Image,
    /// Process name (`proc.name`, `process`).
    Process,
    /// User (`user.name`, `user`).
    User,
    /// File (`fd.name`, `file`).
    File,
    /// MITRE tactic ID, multi-valued (`mitre.tactic`, `mitre_tactic`).
    MitreTactic,
    /// MITRE technique ID, multi-valued (`mitre.technique`, `mitre_technique`).
    MitreTechnique,
    /// Network or discovery tool recognised in the alert (`nmap`, `nc`, the cloud metadata
    /// service), multi-valued (`tool`, `saker.tool`).
    Tool,
    /// Alert id (`id`, `alert.id`).
    Id,
}

impl Dimension {
    /// Every dimension, in declaration order (the index creates one field per dimension).
    pub const ALL: [Dimension; 19] = [
        Dimension::Rule,
        Dimension::Priority,
        Dimension::Source,
        Dimension::Tag,
        Dimension::Host,
        Dimension::Cluster,
        Dimension::Namespace,
        Dimension::Workload,
        Dimension::Pod,
        Dimension::ContainerId,
        Dimension::ContainerName,
        Dimension::Image,
        Dimension::Process,
        Dimension::User,
        Dimension::File,
        Dimension::MitreTactic,
        Dimension::MitreTechnique,
        Dimension::Tool,
        Dimension::Id,
    ];

    /// The canonical scope field name, used when a scope is printed.
    pub fn name(self) -> &'static str {
        self.aliases()[0]
    }

    /// Every name that resolves to this dimension, the canonical name first.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Dimension::Rule => &["rule", "falco.rule"],
            Dimension::Priority => &["priority", "evt.priority"],
            Dimension::Source => &["source", "evt.source"],
            Dimension::Tag => &["tags", "tag"],
            Dimension::Host => &["hostname", "evt.hostname", "host"],
            Dimension::Cluster => &["k8s.cluster.name", "kubernetes.cluster.name", "cluster"],
            Dimension::Namespace => &["k8s.ns.name", "kubernetes.namespace.name", "namespace"],
            Dimension::Workload => &[
                "workload",
                "k8s.workload.name",
                "kubernetes.workload.name",
                "kubernetes.deployment.name",
                "k8s.deployment.name",
                "k8smeta.deployment.name",
            ],
            Dimension::Pod => &["k8s.pod.name", "kubernetes.pod.name", "pod"],
            Dimension::ContainerId => &["container.id"],
            Dimension::ContainerName => &["container.name"],
            Dimension::Image => &["container.image.repository", "image"],
            Dimension::Process => &["proc.name", "process"],
            Dimension::User => &["user.name", "user"],
            Dimension::File => &["fd.name", "file"],
            Dimension::MitreTactic => &["mitre.tactic", "mitre_tactic"],
            Dimension::MitreTechnique => &["mitre.technique", "mitre_technique"],
            Dimension::Tool => &["tool", "saker.tool"],
            Dimension::Id => &["id", "alert.id"],
        }
    }

    /// The dimension one of whose [`Dimension::aliases`] is `name`, in any ASCII case.
    pub fn by_alias(name: &str) -> Option<Dimension> {
        // No lowered copy: ingest asks this for every `output_fields` key of every alert.
        Dimension::ALL
            .into_iter()
            .find(|dimension| dimension.aliases().iter().any(|alias| alias.eq_ignore_ascii_case(name)))
    }

    /// True for dimensions an alert may have several values of (tags, MITRE IDs, tools).
    pub fn is_multi_valued(self) -> bool {
        matches!(self, Dimension::Tag | Dimension::MitreTactic | Dimension::MitreTechnique | Dimension::Tool)
    }
}

impl FieldRef {
    /// Resolves a field name as written in a scope: a dimension alias (any ASCII case) becomes
    /// that dimension; any other name is an `output_fields` key, kept as written except that a
    /// leading `kubernetes.` becomes `k8s.` (Sysdig and Falco spell the same fields so).
    pub fn resolve(name: &str) -> FieldRef {
        let key = match name.strip_prefix("kubernetes.") {
            Some(rest) => format!("k8s.{rest}"),
            None => name.to_string(),
        };
        match Dimension::by_alias(name).or_else(|| Dimension::by_alias(&key)) {
            Some(dimension) => FieldRef::Dimension(dimension),
            None => FieldRef::OutputField(key),
        }
    }

    /// Whether [`FieldRef::resolve`] makes `name` a dimension, without allocating (ingest asks
    /// this for every `output_fields` key of every alert).
    pub fn names_dimension(name: &str) -> bool {
        Dimension::by_alias(name).is_some()
            || name.strip_prefix("kubernetes.").is_some_and(|rest| {
                Dimension::ALL.iter().any(|dimension| {
                    dimension.aliases().iter().any(|alias| {
                        alias.strip_prefix("k8s.").is_some_and(|alias_rest| alias_rest.eq_ignore_ascii_case(rest))
                    })
                })
            })
    }

    /// The name printed in a canonical scope: the dimension's canonical name or the key.
    pub fn name(&self) -> &str {
        match self {
            FieldRef::Dimension(dimension) => dimension.name(),
            FieldRef::OutputField(key) => key,
        }
    }
}

impl std::fmt::Display for FieldRef {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

impl std::fmt::Display for Dimension {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected: FieldRef) {
        assert_eq!(FieldRef::resolve(name), expected, "field {name}");
    }

    #[test]
    fn resolves_aliases_to_dimensions() {
        check("kubernetes.cluster.name", FieldRef::Dimension(Dimension::Cluster));
        check("k8s.cluster.name", FieldRef::Dimension(Dimension::Cluster));
        check("cluster", FieldRef::Dimension(Dimension::Cluster));
        check("kubernetes.namespace.name", FieldRef::Dimension(Dimension::Namespace));
        check("k8s.ns.name", FieldRef::Dimension(Dimension::Namespace));
        check("kubernetes.ns.name", FieldRef::Dimension(Dimension::Namespace));
        check("kubernetes.deployment.name", FieldRef::Dimension(Dimension::Workload));
        check("k8smeta.deployment.name", FieldRef::Dimension(Dimension::Workload));
        check("image", FieldRef::Dimension(Dimension::Image));
        check("Proc.Name", FieldRef::Dimension(Dimension::Process));
        check("evt.hostname", FieldRef::Dimension(Dimension::Host));
        check("mitre_technique", FieldRef::Dimension(Dimension::MitreTechnique));
        check("alert.id", FieldRef::Dimension(Dimension::Id));
    }

    #[test]
    fn other_names_are_output_fields() {
        check("proc.aname[2]", FieldRef::OutputField("proc.aname[2]".into()));
        check("kubernetes.pod.label[app]", FieldRef::OutputField("k8s.pod.label[app]".into()));
        check("ka.user.name", FieldRef::OutputField("ka.user.name".into()));
        check("Evt.Type", FieldRef::OutputField("Evt.Type".into()));
    }

    #[test]
    fn canonical_names_resolve_back_and_are_unique() {
        let mut names: Vec<&str> = Dimension::ALL.iter().map(|dimension| dimension.name()).collect();
        for dimension in Dimension::ALL {
            assert_eq!(FieldRef::resolve(dimension.name()), FieldRef::Dimension(dimension));
            for alias in dimension.aliases() {
                assert_eq!(FieldRef::resolve(alias), FieldRef::Dimension(dimension), "alias {alias}");
            }
        }
        assert_eq!(Dimension::Namespace.name(), "k8s.ns.name");
        assert_eq!(Dimension::Workload.name(), "workload");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Dimension::ALL.len());
    }

    #[test]
    fn names_dimension_agrees_with_resolve() {
        let names = [
            "k8s.ns.name",
            "KUBERNETES.ns.name",
            "kubernetes.ns.name",
            "kubernetes.NS.Name",
            "Proc.Name",
            "proc.pname",
            "kubernetes.pod.name",
            "kubernetes.k8s.pod.name",
            "kubernetes.",
            "k8s.",
            "fd.name",
            "fd.lport",
            "evt.time",
            "container.image.tag",
            "TAGS",
            "",
            "kubernetes.cluster.name",
            "kubernetes.deployment.name",
        ];
        for name in names {
            let resolved = matches!(FieldRef::resolve(name), FieldRef::Dimension(_));
            assert_eq!(FieldRef::names_dimension(name), resolved, "field {name:?}");
        }
    }
}
