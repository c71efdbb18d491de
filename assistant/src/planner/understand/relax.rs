//! Names that together match nothing: "someone keeps kubectl exec-ing into catalog-api, what
//! did they run" links the process `kubectl` and the workload `catalog-api`, and no alert has
//! both (the alerts of that workload are what `kubectl exec` led to, not `kubectl` itself).
//! Rather than answer "no alerts matched", the loosest links are left out, the places kept, and
//! the answer says which kind of name it left out.

use saker_tools::scope::Dimension;

use super::Context;
use super::entities::Entities;
use super::focus;
use super::text::Question;
use super::time::TimeSpec;
use crate::conversation::Focus;

/// Kinds of linked value that describe what ran rather than where: a word of the question
/// ("kubectl", "bash") links them loosely, and a place named beside them says more.
const LOOSE_DIMENSIONS: [Dimension; 3] = [Dimension::Process, Dimension::Image, Dimension::User];

/// Kinds of linked value that name a place: what the question is about, never left out.
const PLACES: [Dimension; 5] =
    [Dimension::Cluster, Dimension::Namespace, Dimension::Workload, Dimension::Pod, Dimension::ContainerId];

/// One loose link that can be left out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Loose {
    Linked(Dimension),
    Rules,
}

impl Loose {
    /// The glossary's entity name of this kind (`process`, `rule`).
    fn entity(&self) -> &'static str {
        match self {
            Loose::Linked(Dimension::Process) => "process",
            Loose::Linked(Dimension::Image) => "image",
            Loose::Linked(Dimension::User) => "user",
            Loose::Linked(_) => "entity",
            Loose::Rules => "rule",
        }
    }
}

/// When the names of the question together match no alert (within the analyst's scope and
/// the question's time) but a place is named, leaves out the loosest links until some alerts
/// match: first each single one (processes, images and users linked from words, rules linked
/// by one word of their names), then all of them. Returns the entity kinds left out (empty
/// when nothing was: everything matched, nothing loose was linked, or leaving them out still
/// matches nothing, which the answer then says).
pub fn leave_out_what_matches_nothing(
    entities: &mut Entities,
    question: &Question,
    time: &TimeSpec,
    context: &Context<'_>,
) -> Vec<&'static str> {
    if !entities.notices.is_empty() || !PLACES.iter().any(|place| entities.get(*place).is_some()) {
        return Vec::new();
    }
    let loose = loose_links(entities);
    if loose.is_empty() || matches_any(entities, question, time, context) {
        return Vec::new();
    }
    let mut attempts: Vec<Vec<Loose>> = loose.iter().map(|one| vec![one.clone()]).collect();
    if loose.len() > 1 {
        attempts.push(loose);
    }
    for attempt in attempts {
        let mut relaxed = entities.clone();
        for link in &attempt {
            drop_link(&mut relaxed, link);
        }
        if matches_any(&relaxed, question, time, context) {
            *entities = relaxed;
            return attempt.iter().map(Loose::entity).collect();
        }
    }
    Vec::new()
}

/// The loose links of `entities`, in the order they are tried.
fn loose_links(entities: &Entities) -> Vec<Loose> {
    let mut loose: Vec<Loose> = LOOSE_DIMENSIONS
        .iter()
        .filter(|dimension| entities.get(**dimension).is_some())
        .map(|dimension| Loose::Linked(*dimension))
        .collect();
    // Only when every rule was linked by a word: a rule named in full is what is asked about.
    if !entities.rules.is_empty() && entities.rules.iter().all(|rule| entities.rules_by_word.contains(rule)) {
        loose.push(Loose::Rules);
    }
    loose
}

fn drop_link(entities: &mut Entities, link: &Loose) {
    match link {
        Loose::Linked(dimension) => {
            entities.linked.retain(|(linked, _)| linked != dimension);
            entities.additional.retain(|(linked, _)| linked != dimension);
            let field = dimension.name();
            entities.one_of.retain(|term| !term.starts_with(field));
            entities.pasted_terms.retain(|term| !term.starts_with(field));
        }
        Loose::Rules => {
            entities.rules.clear();
            entities.rules_by_word.clear();
        }
    }
}

/// Whether the scope these entities give (after the focus before the turn, rules included)
/// holds any alert.
fn matches_any(entities: &Entities, question: &Question, time: &TimeSpec, context: &Context<'_>) -> bool {
    let focus: Focus = focus::update(context.focus, question, entities, time);
    let builder = super::calls::CallBuilder::new(question, entities, &focus, context, None);
    !(context.rules_in)(builder.scope(), focus.time.as_ref()).is_empty()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use saker_tools::analytics::categories::Category;

    use super::super::{Vocabulary, understand};
    use super::*;
    use crate::conversation::TimeFocus;
    use crate::planner::plan::Plan;

    /// The plan of `question` over a store where `kubectl` never ran in `catalog-api`.
    fn plan_of(question: &str) -> Plan {
        let mut values = BTreeMap::new();
        values.insert(Dimension::Workload, vec!["catalog-api".to_string(), "checkout-api".to_string()]);
        values.insert(Dimension::Process, vec!["kubectl".to_string(), "nmap".to_string()]);
        let vocabulary = Vocabulary::from_values(values);
        let rules_in = |scope: &str, _: Option<&TimeFocus>| {
            if scope.contains("proc.name=kubectl") && scope.contains("workload=catalog-api") {
                Vec::new()
            } else {
                vec!["Terminal shell in container".to_string()]
            }
        };
        let focus = Focus::default();
        let context = Context {
            focus: &focus,
            analyst_scope: "",
            vocabulary: &vocabulary,
            now: Utc::now(),
            rules_in: &rules_in,
            containers_in: &|_, _| Vec::new(),
            rule_category: &|_| Category::Other,
            text_found: &|_| false,
        };
        understand(question, &context)
    }

    fn scope_of(plan: &Plan) -> &str {
        plan.calls[0].arguments.get("scope").and_then(serde_json::Value::as_str).unwrap_or("")
    }

    #[test]
    fn a_process_never_seen_in_the_named_place_is_left_out_and_said() {
        let plan = plan_of("someone keeps kubectl exec-ing into catalog-api at night, what did they run");
        assert_eq!(scope_of(&plan), "workload=catalog-api", "{plan:?}");
        assert_eq!(plan.left_out, ["process"]);
        assert_eq!(plan.focus.process, None);
    }

    #[test]
    fn names_that_match_together_are_kept() {
        let plan = plan_of("what did nmap do in catalog-api");
        assert!(scope_of(&plan).contains("proc.name=nmap"), "{plan:?}");
        assert!(plan.left_out.is_empty());
    }

    #[test]
    fn a_whether_question_is_answered_by_no_alerts_not_relaxed() {
        let plan = plan_of("did kubectl run in catalog-api?");
        assert!(plan.left_out.is_empty(), "{plan:?}");
        assert!(scope_of(&plan).contains("proc.name=kubectl"), "{plan:?}");
    }
}
