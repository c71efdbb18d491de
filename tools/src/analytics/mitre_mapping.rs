//! `mitre_mapping`: the MITRE ATT&CK tactics and techniques behind the alerts, in kill-chain
//! order.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{NameCount, dimension_scope};
use super::{Evidence, Tool, ToolContext, ToolError, Window};
use crate::mitre;
use crate::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use crate::store::{AlertFilter, GroupKey};

/// The tool.
pub struct MitreMapping;

/// Arguments of `mitre_mapping`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct MitreMappingArgs {
    /// Which alerts.
    #[serde(flatten)]
    pub window: Window,
}

/// Output of `mitre_mapping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MitreMappingOutput {
    /// The alerts looked at.
    pub evidence: Evidence,
    /// Tactics seen, in kill-chain order.
    pub tactics: Vec<TacticUse>,
    /// Every technique seen, most alerts first.
    pub techniques: Vec<TechniqueUse>,
    /// Alerts whose rules carry no MITRE tag.
    pub untagged: u64,
}

/// One tactic and what was seen of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TacticUse {
    /// `TA0002`.
    pub id: String,
    /// `Execution`.
    pub name: String,
    /// ATT&CK page.
    pub url: String,
    /// Alerts tagged with it.
    pub count: u64,
    /// Techniques tagged on the same alerts, most alerts first.
    pub techniques: Vec<TechniqueUse>,
    /// The rules that fired most, at most three.
    pub example_rules: Vec<NameCount>,
    /// Event-feed link for these alerts.
    pub link: String,
}

/// One technique and how many alerts carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TechniqueUse {
    /// `T1059.004`.
    pub id: String,
    /// Name (with the parent's name for sub-techniques); empty if the ID is not in ATT&CK v18.1.
    pub name: String,
    /// ATT&CK page.
    pub url: String,
    /// Alerts tagged with it.
    pub count: u64,
}

impl TechniqueUse {
    fn new(id: String, count: u64) -> TechniqueUse {
        let known = mitre::technique(&id);
        TechniqueUse {
            name: known.map(mitre::Technique::full_name).unwrap_or_default(),
            url: known
                .map_or_else(|| format!("https://attack.mitre.org/techniques/{}", id.replace('.', "/")), |t| t.url()),
            id,
            count,
        }
    }
}

impl Tool for MitreMapping {
    const NAME: &'static str = "mitre_mapping";
    type Args = MitreMappingArgs;
    type Output = MitreMappingOutput;

    fn description() -> &'static str {
        "Maps the Falco alerts in a scope and time range to MITRE ATT&CK: the tactics in kill-chain \
         order, each with its techniques (ID, name, ATT&CK URL), alert counts and example rules, plus \
         every technique seen and how many alerts carry no MITRE tag. Use it for 'which tactics and \
         techniques were used' questions."
    }

    fn call(context: &ToolContext<'_>, args: MitreMappingArgs) -> Result<MitreMappingOutput, ToolError> {
        let filter = args.window.filter(context)?;
        let evidence = Evidence::of(context.store, &filter)?;
        let tactic_counts = context.store.group_counts(&filter, GroupKey::Dimension(Dimension::MitreTactic), 100)?;
        let mut tactics = Vec::new();
        for (id, count) in tactic_counts.groups {
            let tactic_filter = AlertFilter {
                scope: filter.scope.and(&dimension_scope(Dimension::MitreTactic, vec![id.clone()])),
                time: filter.time,
            };
            let techniques =
                context.store.group_counts(&tactic_filter, GroupKey::Dimension(Dimension::MitreTechnique), 20)?;
            let rules = context.store.group_counts(&tactic_filter, GroupKey::Dimension(Dimension::Rule), 3)?;
            let known = mitre::tactic(&id);
            tactics.push(TacticUse {
                name: known.map(|tactic| tactic.name.clone()).unwrap_or_default(),
                url: known.map_or_else(|| format!("https://attack.mitre.org/tactics/{id}"), mitre::Tactic::url),
                count,
                techniques: techniques.groups.into_iter().map(|(id, count)| TechniqueUse::new(id, count)).collect(),
                example_rules: rules.groups.into_iter().map(|(name, count)| NameCount { name, count }).collect(),
                link: Evidence::with_count(&tactic_filter, count, Vec::new()).link,
                id,
            });
        }
        tactics.sort_by_key(|tactic| {
            (mitre::tactic(&tactic.id).map_or(usize::MAX, |known| known.order), tactic.id.clone())
        });
        let technique_counts =
            context.store.group_counts(&filter, GroupKey::Dimension(Dimension::MitreTechnique), 100)?;
        let techniques = technique_counts.groups.into_iter().map(|(id, count)| TechniqueUse::new(id, count)).collect();
        let untagged_scope = Scope::from_expr(ScopeExpr::and(
            ScopeExpr::negate(ScopeExpr::compare(
                FieldRef::Dimension(Dimension::MitreTactic),
                Operator::Exists,
                Vec::new(),
            )),
            ScopeExpr::negate(ScopeExpr::compare(
                FieldRef::Dimension(Dimension::MitreTechnique),
                Operator::Exists,
                Vec::new(),
            )),
        ));
        let untagged =
            context.store.count(&AlertFilter { scope: filter.scope.and(&untagged_scope), time: filter.time })?;
        Ok(MitreMappingOutput { evidence, tactics, techniques, untagged })
    }
}
