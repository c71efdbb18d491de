//! Keeps a model's Falco exceptions honest: counts failed validations so that a model gets at
//! most two repairs, and checks every exception snippet in the final answer with the
//! `validate_exception` tool, so that a snippet that did not pass is never shown as valid.

use serde_json::{Value, json};

use crate::conversation::ToolExecutor;

/// The tool that validates exceptions.
pub const VALIDATE_TOOL: &str = "validate_exception";

/// Failed validations allowed in a turn: the first attempt and two repairs.
pub const MAX_FAILED_VALIDATIONS: u32 = 3;

/// Whether a tool result is a validation that failed.
pub fn is_failed_validation(tool: &str, output: &Value) -> bool {
    tool == VALIDATE_TOOL && output.get("valid").and_then(Value::as_bool) == Some(false)
}

/// The fenced blocks of an answer that hold a Falco exception (an `exceptions:` key).
pub fn exception_snippets(answer: &str) -> Vec<String> {
    let mut snippets = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in answer.lines() {
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some(lines) => {
                    let block = lines.join("\n");
                    if block.lines().any(|line| line.trim_start().trim_start_matches("- ").starts_with("exceptions:")) {
                        snippets.push(block);
                    }
                }
                None => current = Some(Vec::new()),
            }
            continue;
        }
        if let Some(lines) = current.as_mut() {
            lines.push(line);
        }
    }
    snippets
}

/// Validates each exception snippet of the answer through the tool (recorded as steps of the
/// turn); returns the problems of those that failed, one line each.
pub async fn unvalidated_problems(answer: &str, executor: &ToolExecutor) -> Vec<String> {
    let mut problems = Vec::new();
    for snippet in exception_snippets(answer) {
        match executor.call(VALIDATE_TOOL, json!({ "yaml": snippet })).await {
            Ok(report) if report.get("valid").and_then(Value::as_bool) == Some(true) => {}
            Ok(report) => problems.extend(problem_lines(&report)),
            Err(message) => problems.push(format!("the snippet could not be validated: {message}")),
        }
    }
    problems
}

/// The problems of a validation report, one line each: `line N: item: message`.
fn problem_lines(report: &Value) -> Vec<String> {
    let lines: Vec<String> = report
        .get("problems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|problem| problem.get("severity").and_then(Value::as_str) != Some("warning"))
        .map(|problem| {
            let message = problem.get("message").and_then(Value::as_str).unwrap_or("invalid");
            let line =
                problem.get("line").and_then(Value::as_u64).map(|line| format!("line {line}: ")).unwrap_or_default();
            let item = problem.get("item").and_then(Value::as_str).map(|item| format!("{item}: ")).unwrap_or_default();
            format!("{line}{item}{message}")
        })
        .collect();
    if lines.is_empty() { vec!["the validator rejected the snippet".to_string()] } else { lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exception_blocks_only() {
        let answer = "Here:\n```yaml\n- rule: Clear Log Activities\n  exceptions:\n    - name: x\n```\nand\n```bash\nkubectl get pods\n```\n";
        assert_eq!(exception_snippets(answer), vec!["- rule: Clear Log Activities\n  exceptions:\n    - name: x"]);
        assert!(exception_snippets("no code").is_empty());
    }

    #[test]
    fn failed_validations_are_counted_by_the_valid_flag() {
        assert!(is_failed_validation(VALIDATE_TOOL, &json!({"valid": false})));
        assert!(!is_failed_validation(VALIDATE_TOOL, &json!({"valid": true})));
        assert!(!is_failed_validation("event_stats", &json!({"valid": false})));
    }

    #[test]
    fn problems_read_as_lines_without_warnings() {
        let report = json!({"valid": false, "problems": [
            {"line": 3, "item": "exception x", "message": "'no-comp' is not a supported comparison operator", "severity": "error"},
            {"message": "schema layer skipped", "severity": "warning"}
        ]});
        assert_eq!(
            problem_lines(&report),
            vec!["line 3: exception x: 'no-comp' is not a supported comparison operator"]
        );
    }
}
