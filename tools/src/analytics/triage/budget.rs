//! Keeps an assessment within the output budget by shortening the facts' detail lists first
//! (benign case texts, nearby rules, top lists, parent command lines) and dropping neutral facts
//! last, so every weighed fact survives; the generic `bound_output` stays the safety net.

use super::facts::{FactValues, TriageFact};

/// One shortening step, applied to every fact.
type Step = fn(&mut TriageFact);

const STEPS: &[Step] = &[
    |fact| {
        if let FactValues::RuleBenignCases(values) = &mut fact.values {
            for rule in &mut values.rules {
                rule.more_cases += rule.cases.len().saturating_sub(1) as u64;
                rule.cases.truncate(1);
            }
        }
    },
    |fact| {
        if let FactValues::Nearby(values) = &mut fact.values {
            values.more_rules += values.rules.len().saturating_sub(3) as u64;
            values.rules.truncate(3);
        }
    },
    |fact| match &mut fact.values {
        FactValues::RuleCategory(values) => values.rules.truncate(2),
        FactValues::Spread(values) => {
            values.top_workloads.truncate(2);
            values.top_images.truncate(2);
        }
        FactValues::SystemWorkload(values) => {
            values.namespaces.truncate(2);
            values.images.truncate(2);
        }
        FactValues::User(values) => {
            values.more_users += values.users.len().saturating_sub(2) as u64;
            values.users.truncate(2);
        }
        _ => {}
    },
    |fact| {
        if let FactValues::Lineage(values) = &mut fact.values {
            values.parent_command = None;
            if fact.weight == 0 {
                values.command = None;
            }
        }
    },
    |fact| {
        if let FactValues::RuleBenignCases(values) = &mut fact.values {
            for rule in &mut values.rules {
                rule.more_cases += rule.cases.len() as u64;
                rule.cases.clear();
            }
        }
    },
];

/// Shortens `facts` (sorted heaviest first) until `fits` accepts them; returns how many neutral
/// facts had to be left out.
pub fn shrink(facts: &mut Vec<TriageFact>, fits: impl Fn(&[TriageFact]) -> bool) -> u64 {
    for step in STEPS {
        if fits(facts) {
            return 0;
        }
        facts.iter_mut().for_each(step);
    }
    let mut omitted = 0;
    while !fits(facts) && facts.last().is_some_and(|fact| fact.weight == 0) {
        facts.pop();
        omitted += 1;
    }
    omitted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::triage::facts::UserValues;
    use crate::analytics::triage::weights::Factor;

    fn user_fact(weight_factor: Factor, users: usize) -> TriageFact {
        let users = (0..users)
            .map(|index| crate::analytics::common::NameCount { name: format!("user{index}"), count: 1 })
            .collect();
        let values = UserValues { users, more_users: 0, service_account: None, service_account_alerts: 0 };
        TriageFact::weighed(weight_factor, "users".to_string(), FactValues::User(values))
    }

    #[test]
    fn shortens_lists_before_dropping_neutral_facts_and_keeps_weighed_ones() {
        let size = |facts: &[TriageFact]| serde_json::to_vec(facts).map_or(usize::MAX, |bytes| bytes.len());
        let mut facts = vec![user_fact(Factor::UserServiceAccount, 9), user_fact(Factor::UserNeutral, 9)];
        let full = size(&facts);
        let omitted = shrink(&mut facts, |facts| size(facts) < full);
        assert_eq!(omitted, 0);
        assert_eq!(facts.len(), 2);
        let FactValues::User(values) = &facts[0].values else { panic!("user values") };
        assert_eq!((values.users.len(), values.more_users), (2, 7));
        let omitted = shrink(&mut facts, |_| false);
        assert_eq!(omitted, 1);
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].factor, Factor::UserServiceAccount);
    }
}
