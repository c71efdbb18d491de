//! The committed suites have the shape the eval issue asks for: enough cases, about half in
//! Japanese, every tool and intent covered, multi-turn investigations over different scenarios
//! (the seed's among them, worded exactly as the fixtures define it), every single-turn case
//! paraphrased at least three times, and the holdout incidents asked about.

use std::collections::{BTreeMap, BTreeSet};

use saker_eval::suite::{Case, DatasetSpec, detect_language};
use saker_tools::analytics::ToolRegistry;

use super::committed_suites;

fn main_cases() -> Vec<Case> {
    committed_suites().into_iter().flat_map(|suite| suite.file.cases).collect()
}

#[test]
fn there_are_enough_cases_and_about_half_are_japanese() {
    let cases: Vec<Case> = main_cases().into_iter().filter(|case| case.requires_tools.is_empty()).collect();
    assert!(cases.len() >= 150, "{} cases", cases.len());
    let japanese = cases.iter().filter(|case| detect_language(&case.turns[0].ask) == "ja").count();
    let share = japanese as f64 / cases.len() as f64;
    assert!((0.4..=0.6).contains(&share), "{japanese} of {} cases are in Japanese", cases.len());
}

#[test]
fn every_tool_and_intent_is_covered() {
    let cases = main_cases();
    let expected_tools: BTreeSet<String> =
        cases.iter().flat_map(|case| case.turns.iter().flat_map(|turn| turn.tools.iter().cloned())).collect();
    for spec in ToolRegistry::standard().specs() {
        assert!(expected_tools.contains(spec.name), "no case expects a call of {}", spec.name);
    }
    for tool in ["propose_response_action", "escalate"] {
        assert!(expected_tools.contains(tool), "no case for {tool} (issue 6)");
    }
    let categories: BTreeSet<&str> = cases.iter().map(|case| case.category.as_str()).collect();
    for wanted in [
        "summary",
        "report",
        "count",
        "trend",
        "search",
        "explain",
        "root_cause",
        "attack_path",
        "mitre",
        "impacted",
        "remediation",
        "isolation",
        "false_positive",
        "exception",
        "validate_exception",
        "time",
        "scope",
        "followup",
        "clarify",
        "decline",
        "investigation",
        "response",
        "escalation",
    ] {
        assert!(categories.contains(wanted), "no case of category {wanted}");
    }
}

#[test]
fn ten_investigations_of_four_to_eight_turns_over_different_scenarios_include_the_seed() {
    let cases = main_cases();
    let investigations: Vec<&Case> =
        cases.iter().filter(|case| (4..=8).contains(&case.turns.len()) && case.requires_tools.is_empty()).collect();
    assert!(investigations.len() >= 10, "{} investigations", investigations.len());
    let scopes: BTreeSet<String> = investigations
        .iter()
        .map(|case| format!("{:?} {}", case.dataset, case.scope.clone().unwrap_or_else(|| case.turns[0].ask.clone())))
        .collect();
    assert!(scopes.len() >= 6, "{scopes:?}");
    for language in [0, 1] {
        let seed: Vec<&str> = saker_fixtures::SEED_INVESTIGATION
            .iter()
            .map(|(english, japanese)| if language == 0 { *english } else { *japanese })
            .collect();
        let found = investigations.iter().any(|case| {
            case.scope.as_deref() == Some(saker_fixtures::SEED_SCOPE)
                && case.turns.iter().map(|turn| turn.ask.as_str()).collect::<Vec<_>>() == seed
        });
        assert!(found, "the seed investigation ({}) is not a case", if language == 0 { "en" } else { "ja" });
    }
    let (english, japanese) = saker_fixtures::WEEKLY_RECONNAISSANCE;
    for question in [english, japanese] {
        assert!(
            cases.iter().any(|case| case.turns[0].ask == question),
            "the weekly reconnaissance question {question:?}"
        );
    }
}

#[test]
fn every_single_turn_case_has_three_other_wordings() {
    let suites = committed_suites();
    let wordings: BTreeMap<&str, usize> = suites
        .iter()
        .flat_map(|suite| suite.file.paraphrases.iter().map(|entry| (entry.case.as_str(), entry.wordings.len())))
        .collect();
    for suite in &suites {
        for case in suite.file.cases.iter().filter(|case| case.turns.len() == 1) {
            let count = wordings.get(case.id.as_str()).copied().unwrap_or(0);
            assert!(count >= 3, "{} ({}) has {count} other wordings", case.id, suite.name);
        }
    }
}

#[test]
fn both_holdout_incidents_are_asked_about() {
    let cases = main_cases();
    for incident in saker_fixtures::HOLDOUT_SCENARIO_NAMES {
        let cluster = match incident {
            "notebook_escape" => "ml-research-eks",
            _ => "ci-build-eks",
        };
        let asked = cases
            .iter()
            .filter(|case| {
                let loads = match &case.dataset {
                    DatasetSpec::Named(name) => name == "all" || name == incident,
                    DatasetSpec::Scenarios(names) => names.iter().any(|name| name == incident),
                };
                loads && case.scope.as_deref().is_some_and(|scope| scope.contains(cluster))
            })
            .count();
        assert!(asked >= 5, "{incident}: {asked} cases");
    }
}
