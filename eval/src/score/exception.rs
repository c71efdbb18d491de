//! Exception turns: the YAML snippet the answer gives the analyst must pass the validator
//! against the loaded rules, and, evaluated by the harness over the dataset's alerts, suppress
//! exactly the intended alerts. The evaluation here is the harness's own (plain comparisons
//! over `output_fields`, as Falco reads them), not Saker's exception evaluator.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use saker_tools::alert::Alert;
use saker_tools::exceptions::validate::{ValidationOptions, validate_yaml};
use saker_tools::rules::RulesCatalog;
use serde_json::Value;

use crate::dataset::Dataset;
use crate::facts::select;
use crate::suite::{AlertSet, ExceptionExpectation};

/// Checks the snippet in `answer`; `Ok` summarises what it suppresses.
pub fn check_exception(
    expectation: &ExceptionExpectation,
    answer: &str,
    rules: &RulesCatalog,
    dataset: &Dataset,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let snippet = yaml_block(answer).ok_or("the answer has no ```yaml block with a rule's exceptions")?;
    let report = validate_yaml(&snippet, rules, &ValidationOptions::default());
    if !report.valid {
        let problems: Vec<String> = report.problems.iter().map(|problem| problem.message_with_allowed()).collect();
        return Err(format!("the snippet does not validate: {}", problems.join("; ")));
    }
    let items: Value =
        serde_saphyr::from_str(&snippet).map_err(|error| format!("the snippet does not parse: {error}"))?;
    let item = items
        .as_array()
        .and_then(|items| items.iter().find(|item| item.get("rule").and_then(Value::as_str) == Some(&expectation.rule)))
        .ok_or_else(|| format!("the snippet has no item for rule {:?}", expectation.rule))?;
    let exceptions: Vec<Exception> = item
        .get("exceptions")
        .and_then(Value::as_array)
        .map(|entries| entries.iter().map(Exception::read).collect::<Result<Vec<_>, String>>())
        .transpose()?
        .unwrap_or_default();

    let rule_scope = format!("rule={}", quote(&expectation.rule));
    let of_rule = select(dataset, &AlertSet { scope: Some(rule_scope.clone()), ..AlertSet::default() }, now)?;
    let intended: BTreeSet<&str> = select(
        dataset,
        &AlertSet { scope: Some(format!("({}) and {rule_scope}", expectation.suppresses)), ..AlertSet::default() },
        now,
    )?
    .into_iter()
    .map(|alert| alert.id.as_str())
    .collect();
    let mut suppressed = BTreeSet::new();
    for alert in &of_rule {
        for exception in &exceptions {
            if exception.suppresses(alert)? {
                suppressed.insert(alert.id.as_str());
                break;
            }
        }
    }
    let missed = intended.difference(&suppressed).count();
    let extra = suppressed.difference(&intended).count();
    let summary = format!(
        "suppresses {} of the rule's {} alerts; intended {}, missed {missed}, beyond the intended {extra}",
        suppressed.len(),
        of_rule.len(),
        intended.len()
    );
    if intended.is_empty() {
        return Err(format!("the intended set is empty: {summary}"));
    }
    if missed == 0 && extra == 0 { Ok(summary) } else { Err(summary) }
}

/// The first fenced YAML block that holds a rule's exceptions.
pub fn yaml_block(answer: &str) -> Option<String> {
    let mut rest = answer;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let (info, body) = after.split_once('\n')?;
        let end = body.find("```")?;
        let block = &body[..end];
        if (info.trim().is_empty() || info.trim().starts_with("yaml") || info.trim() == "yml")
            && block.contains("rule:")
            && block.contains("exceptions")
        {
            return Some(block.to_string());
        }
        rest = &body[end + 3..];
    }
    None
}

fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One exception entry: fields, their comparison operators and the value rows.
struct Exception {
    fields: Vec<String>,
    comps: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Exception {
    fn read(entry: &Value) -> Result<Exception, String> {
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("?");
        let values = entry.get("values").and_then(Value::as_array).cloned().unwrap_or_default();
        match entry.get("fields") {
            Some(Value::String(field)) => {
                let comp = entry.get("comps").and_then(Value::as_str).unwrap_or("in").to_string();
                Ok(Exception { fields: vec![field.clone()], comps: vec![comp], rows: vec![vec![Value::Array(values)]] })
            }
            Some(Value::Array(fields)) => {
                let fields: Vec<String> = fields.iter().filter_map(Value::as_str).map(str::to_string).collect();
                let comps: Vec<String> = match entry.get("comps") {
                    Some(Value::Array(comps)) => comps.iter().map(scalar_text).collect(),
                    None => vec!["=".to_string(); fields.len()],
                    Some(other) => return Err(format!("exception {name}: comps {other} is not a list")),
                };
                if comps.len() != fields.len() {
                    return Err(format!("exception {name}: {} fields but {} comps", fields.len(), comps.len()));
                }
                let rows = values
                    .iter()
                    .map(|row| {
                        row.as_array().cloned().ok_or_else(|| format!("exception {name}: a value row is not a list"))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Exception { fields, comps, rows })
            }
            _ => Err(format!("exception {name} has no fields")),
        }
    }

    /// True when one value row matches the alert on every field; a field the alert lacks
    /// matches nothing (Falco does not suppress on an unknown value).
    fn suppresses(&self, alert: &Alert) -> Result<bool, String> {
        'rows: for row in &self.rows {
            for ((field, comp), value) in self.fields.iter().zip(&self.comps).zip(row) {
                let Some(actual) = alert.field_text(field) else { continue 'rows };
                if !compare(&actual, comp, value)? {
                    continue 'rows;
                }
            }
            return Ok(true);
        }
        Ok(false)
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn compare(actual: &str, comp: &str, value: &Value) -> Result<bool, String> {
    let list: Vec<String> = match value {
        Value::Array(items) => items.iter().map(scalar_text).collect(),
        other => vec![scalar_text(other)],
    };
    let single = list.first().cloned().unwrap_or_default();
    Ok(match comp {
        "=" => actual == single,
        "!=" => actual != single,
        "in" | "intersects" => list.iter().any(|item| item == actual),
        "startswith" => actual.starts_with(&single),
        "endswith" => actual.ends_with(&single),
        "contains" => actual.contains(&single),
        "pmatch" => list.iter().any(|prefix| {
            let prefix = prefix.trim_end_matches('/');
            actual == prefix || actual.starts_with(&format!("{prefix}/"))
        }),
        "glob" => glob(&single, actual),
        other => return Err(format!("the harness does not evaluate the comparison {other:?}")),
    })
}

/// Shell-style `*` and `?` matching.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(star_at) = star {
            p = star_at + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|character| *character == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_yaml_block() {
        let answer = "text\n```bash\nkubectl get pods\n```\n```yaml\n- rule: X\n  exceptions: []\n```\n";
        assert_eq!(yaml_block(answer).as_deref(), Some("- rule: X\n  exceptions: []\n"));
        assert_eq!(yaml_block("no block"), None);
    }

    #[test]
    fn comparisons() {
        assert_eq!(compare("rm", "=", &Value::from("rm")), Ok(true));
        assert_eq!(compare("rm", "in", &serde_json::json!(["cp", "rm"])), Ok(true));
        assert_eq!(compare("/var/log/dpkg.log", "pmatch", &serde_json::json!(["/var/log"])), Ok(true));
        assert_eq!(compare("/var/logs", "pmatch", &serde_json::json!(["/var/log"])), Ok(false));
        assert!(glob("/tmp/*.sh", "/tmp/a.sh") && !glob("/tmp/*.sh", "/tmp/a.py"));
        assert!(compare("x", "regex", &Value::from("x")).is_err());
    }
}
