//! Scoring one turn: every expectation of the suite becomes a [`Check`] with what was expected
//! and what came back. A turn passes when every check passes.

mod arguments;
mod exception;
mod language;

use chrono::{DateTime, Utc};
use saker::conversation::Answer;
use saker_tools::rules::RulesCatalog;
use serde::Serialize;

pub use arguments::conjuncts_of;
pub use exception::yaml_block;

use crate::dataset::Dataset;
use crate::facts::{AnswerText, ExpectedFact};
use crate::suite::Turn;

/// What a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The turn was answered (no error).
    Answered,
    /// The tools that must be called were called.
    Tools,
    /// The tools that must not be called were not.
    NotTools,
    /// Key arguments (scope terms, time range, grouping, values).
    Arguments,
    /// Values in tool outputs.
    Outputs,
    /// Facts that must appear.
    Facts,
    /// Facts that must not appear.
    Absent,
    /// Every figure and name of the answer is in the turn's tool calls.
    Grounded,
    /// The answer's language.
    Language,
    /// The exception snippet validates and suppresses exactly the intended alerts.
    Exception,
}

impl CheckKind {
    /// Every kind, in report order.
    pub const ALL: [CheckKind; 10] = [
        CheckKind::Answered,
        CheckKind::Tools,
        CheckKind::NotTools,
        CheckKind::Arguments,
        CheckKind::Outputs,
        CheckKind::Facts,
        CheckKind::Absent,
        CheckKind::Grounded,
        CheckKind::Language,
        CheckKind::Exception,
    ];

    /// The kind's name in the report.
    pub fn label(self) -> &'static str {
        match self {
            CheckKind::Answered => "answered",
            CheckKind::Tools => "tool choice",
            CheckKind::NotTools => "tools avoided",
            CheckKind::Arguments => "arguments",
            CheckKind::Outputs => "tool outputs",
            CheckKind::Facts => "facts",
            CheckKind::Absent => "no foreign facts",
            CheckKind::Grounded => "grounding",
            CheckKind::Language => "language",
            CheckKind::Exception => "exception",
        }
    }
}

/// One scored expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub kind: CheckKind,
    /// Whether it held.
    pub passed: bool,
    /// What the suite expected.
    pub expected: String,
    /// What came back.
    pub got: String,
}

/// What scoring a turn needs besides the answer.
pub struct TurnContext<'a> {
    /// The case's dataset.
    pub dataset: &'a Dataset,
    /// The rules the run loaded.
    pub rules: &'a RulesCatalog,
    /// The case's "now".
    pub now: DateTime<Utc>,
    /// The expected language (`en`, `ja`).
    pub language: &'a str,
    /// The expected facts, resolved.
    pub facts: &'a [ExpectedFact],
    /// The facts that must not appear, resolved.
    pub absent: &'a [ExpectedFact],
}

/// Scores one turn's answer (or its error).
pub fn score_turn(turn: &Turn, answer: Result<&Answer, &str>, context: &TurnContext<'_>) -> Vec<Check> {
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            return vec![Check {
                kind: CheckKind::Answered,
                passed: false,
                expected: "an answer".into(),
                got: error.into(),
            }];
        }
    };
    let mut checks =
        vec![Check { kind: CheckKind::Answered, passed: true, expected: "an answer".into(), got: "answered".into() }];
    let called: Vec<&str> = answer.steps.iter().map(|step| step.tool.as_str()).collect();
    let shown_calls = if called.is_empty() { "no tool calls".to_string() } else { called.join(", ") };
    for tool in &turn.tools {
        let passed = called.contains(&tool.as_str());
        checks.push(Check {
            kind: CheckKind::Tools,
            passed,
            expected: format!("calls {tool}"),
            got: shown_calls.clone(),
        });
    }
    for tool in &turn.not_tools {
        let passed = !called.contains(&tool.as_str());
        checks.push(Check {
            kind: CheckKind::NotTools,
            passed,
            expected: format!("does not call {tool}"),
            got: shown_calls.clone(),
        });
    }
    for expectation in &turn.args {
        let result = arguments::check_arguments(expectation, &answer.steps, context.now);
        checks.push(Check {
            kind: CheckKind::Arguments,
            passed: result.is_ok(),
            expected: describe_arguments(expectation),
            got: result.unwrap_or_else(|miss| miss),
        });
    }
    for expectation in &turn.outputs {
        let result = arguments::check_outputs(expectation, &answer.steps);
        let expected = expectation
            .equals
            .iter()
            .map(|(pointer, value)| format!("{}{pointer} = {value}", expectation.tool))
            .collect::<Vec<_>>()
            .join(", ");
        checks.push(Check {
            kind: CheckKind::Outputs,
            passed: result.is_ok(),
            expected,
            got: result.err().unwrap_or_else(|| "as expected".into()),
        });
    }
    let text = AnswerText::new(&answer.answer);
    for fact in context.facts {
        let passed = fact.needle.found_in(&text);
        checks.push(Check {
            kind: CheckKind::Facts,
            passed,
            expected: format!("{} ({})", fact.needle.describe(), fact.derivation),
            got: if passed { "found".into() } else { "not in the answer".into() },
        });
    }
    for fact in context.absent {
        let passed = !fact.needle.found_in(&text);
        checks.push(Check {
            kind: CheckKind::Absent,
            passed,
            expected: format!("no {} ({})", fact.needle.describe(), fact.derivation),
            got: if passed { "absent".into() } else { "in the answer".into() },
        });
    }
    checks.push(Check {
        kind: CheckKind::Grounded,
        passed: answer.grounded,
        expected: "every figure and name in the tool calls".into(),
        got: if answer.grounded {
            "grounded".into()
        } else {
            format!("unsupported: {}", answer.unsupported.join(", "))
        },
    });
    let language = if answer.language.tag() != context.language {
        Err(format!("answered as {}", answer.language.tag()))
    } else {
        language::check_language(&answer.answer, context.language)
    };
    checks.push(Check {
        kind: CheckKind::Language,
        passed: language.is_ok(),
        expected: context.language.to_string(),
        got: language.err().unwrap_or_else(|| context.language.to_string()),
    });
    if let Some(expectation) = &turn.exception {
        let result =
            exception::check_exception(expectation, &answer.answer, context.rules, context.dataset, context.now);
        checks.push(Check {
            kind: CheckKind::Exception,
            passed: result.is_ok(),
            expected: format!(
                "a valid exception for {:?} suppressing exactly {}",
                expectation.rule, expectation.suppresses
            ),
            got: result.unwrap_or_else(|miss| miss),
        });
    }
    checks
}

fn describe_arguments(expectation: &crate::suite::ArgExpectation) -> String {
    let mut parts = vec![expectation.tool.clone()];
    if !expectation.scope.is_empty() {
        parts.push(format!("scope has {}", expectation.scope.join(" and ")));
    }
    if !expectation.scope_any.is_empty() {
        parts.push(format!("scope has one of {}", expectation.scope_any.join(", ")));
    }
    if !expectation.scope_fields.is_empty() {
        parts.push(format!("scope compares {}", expectation.scope_fields.join(", ")));
    }
    if !expectation.not_scope_fields.is_empty() {
        parts.push(format!("scope argument does not compare {}", expectation.not_scope_fields.join(", ")));
    }
    if let Some(time) = &expectation.time {
        parts.push(if time.all {
            "all time".to_string()
        } else if let Some(last) = &time.last {
            format!("last {last}")
        } else {
            format!("{}..{}", time.since.as_deref().unwrap_or("-"), time.until.as_deref().unwrap_or("-"))
        });
    }
    if !expectation.group_by.is_empty() {
        parts.push(format!("group_by {}", expectation.group_by.join(", ")));
    }
    for (pointer, value) in &expectation.equals {
        parts.push(format!("{pointer} = {value}"));
    }
    parts.join("; ")
}
