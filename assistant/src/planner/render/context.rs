//! The data a template sees: the plan and its tool outputs, arranged so a template can read
//! what it needs without logic. Nothing here computes a figure; every value is copied from an
//! output (or the plan's arguments), only reordered or looked up.

use serde_json::{Map, Value, json};

use super::super::plan::{Notice, Plan};
use crate::conversation::Language;

/// The template context for `plan` and its `outputs` (tool name, output) in call order.
pub fn template_context(language: Language, plan: &Plan, outputs: &[(String, Value)]) -> Value {
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    let mut tools = Map::new();
    let mut arguments = Map::new();
    let mut truncations = Vec::new();
    for (index, (tool, output)) in outputs.iter().enumerate() {
        let call_arguments = plan
            .calls
            .get(index)
            .filter(|call| call.tool == tool)
            .map(|call| call.arguments.clone())
            .unwrap_or(Value::Null);
        let error = output.get("error").map(|error| match error {
            Value::String(message) => message.clone(),
            other => other.to_string(),
        });
        if let Some(message) = &error {
            errors.push(json!({ "tool": tool, "message": message }));
        } else {
            if let Some(Value::Array(cuts)) = output.get("truncated") {
                for cut in cuts {
                    truncations.push(json!({ "tool": tool, "path": cut.get("path"), "omitted": cut.get("omitted") }));
                }
            }
            if !tools.contains_key(tool) {
                tools.insert(tool.clone(), shape(tool, output));
                arguments.insert(tool.clone(), call_arguments.clone());
            }
        }
        calls.push(json!({ "tool": tool, "arguments": call_arguments, "output": output, "error": error }));
    }
    let successful: Vec<&Value> =
        outputs.iter().filter(|(_, output)| output.get("error").is_none()).map(|(_, output)| output).collect();
    let mut context = json!({
        "language": language.tag(),
        "intent": plan.intent.name(),
        "scope": plan.scope,
        "focus": serde_json::to_value(&plan.focus).unwrap_or(Value::Null),
        "calls": calls,
        "errors": errors,
        "tools": tools,
        "args": arguments,
        "truncations": truncations,
        "evidence": primary_evidence(&successful),
        "bounds": time_bounds(&successful),
        "top": top_entities(&tools),
        "notices": plan.notices.iter().map(|notice| notice_context(notice, outputs)).collect::<Vec<_>>(),
        "readings": plan.readings.iter().map(|intent| intent.name()).collect::<Vec<_>>(),
        "left_out": plan.left_out,
    });
    // A second `impacted_workloads` call is the blast radius: the workloads across the
    // analyst's scope where the focus's detections also fired. Isolation covers all of them.
    let blast_radius = outputs
        .iter()
        .filter(|(tool, output)| tool == "impacted_workloads" && output.get("error").is_none())
        .nth(1)
        .map(|(tool, output)| shape(tool, output));
    if let Value::Object(fields) = &mut context {
        let isolated = blast_radius.as_ref().or_else(|| tools.get("impacted_workloads"));
        let isolation = isolated.map_or_else(|| json!([]), isolation_namespaces);
        fields.insert("isolation".into(), isolation);
        fields.insert("blast_radius".into(), blast_radius.unwrap_or(Value::Null));
    }
    context
}

/// The evidence that says which scope and time range the answer used: the first output's.
fn primary_evidence(outputs: &[&Value]) -> Value {
    outputs
        .iter()
        .find_map(|output| output.get("evidence").or_else(|| output.pointer("/current/evidence")))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The first and last alert times, from the first output that states them.
fn time_bounds(outputs: &[&Value]) -> Value {
    outputs
        .iter()
        .find(|output| output.get("first_seen").is_some_and(|value| !value.is_null()))
        .map(|output| json!({ "first_seen": output.get("first_seen"), "last_seen": output.get("last_seen") }))
        .unwrap_or(Value::Null)
}

/// The largest namespace, workload and rule in the outputs (for follow-up questions).
fn top_entities(tools: &Map<String, Value>) -> Value {
    let mut top = Map::new();
    if let Some(Value::Array(groups)) = tools.get("event_stats").and_then(|stats| stats.get("groups")) {
        for group in groups {
            let (Some(by), Some(value)) =
                (group.get("by").and_then(Value::as_str), group.pointer("/rows/0/value").filter(|v| !v.is_null()))
            else {
                continue;
            };
            if matches!(by, "namespace" | "workload" | "rule" | "cluster" | "process") {
                top.entry(by.to_string()).or_insert_with(|| value.clone());
            }
        }
    }
    if let Some(workload) = tools.get("impacted_workloads").and_then(|impacted| impacted.pointer("/workloads/0")) {
        for (key, field) in [("namespace", "namespace"), ("workload", "workload"), ("cluster", "cluster")] {
            if let Some(value) = workload.get(field).filter(|value| !value.is_null()) {
                top.entry(key.to_string()).or_insert_with(|| value.clone());
            }
        }
    }
    Value::Object(top)
}

/// Adds what templates need to a tool's output, leaving its own fields as they are.
fn shape(tool: &str, output: &Value) -> Value {
    let mut output = output.clone();
    match tool {
        "root_cause" => {
            if let Some(Value::Array(findings)) = output.get_mut("root_causes") {
                findings.iter_mut().for_each(shape_root_cause);
            }
        }
        "attack_path" => shape_attack_path(&mut output),
        "event_stats" => {
            if let Some(Value::Array(groups)) = output.get_mut("groups") {
                groups.iter_mut().for_each(shape_group);
            }
        }
        "propose_response_action" => {
            // Each blast-radius fact is rendered in its values' context: never an empty one.
            for proposal in output.get_mut("proposals").and_then(Value::as_array_mut).into_iter().flatten() {
                for fact in proposal.get_mut("blast_radius").and_then(Value::as_array_mut).into_iter().flatten() {
                    let code = fact.get("code").cloned().unwrap_or(Value::Null);
                    if let Some(Value::Object(values)) = fact.get_mut("values") {
                        values.entry("code").or_insert(code);
                    }
                }
            }
        }
        "suggest_remediation" => {
            for phase in ["contain", "eradicate", "recover", "harden"] {
                if let Some(Value::Array(steps)) = output.get_mut(phase) {
                    steps.iter_mut().for_each(shape_step);
                }
            }
        }
        _ => {}
    }
    output
}

/// How a group's values are written: time buckets as times, rule-like names as prose, alert
/// values (pods, processes, images, ...) as code.
fn shape_group(group: &mut Value) {
    let style = match group.get("by").and_then(Value::as_str).unwrap_or("") {
        "hour" | "day" => "time",
        "rule" | "priority" | "source" | "tag" | "mitre_tactic" | "mitre_technique" => "text",
        _ => "code",
    };
    if let Value::Object(fields) = group {
        fields.insert("style".into(), json!(style));
    }
}

/// The kind of reason `process_tree::judge` gave, the names it refers to, and the chain from
/// the top (runtime) down to the triggering process.
fn shape_root_cause(finding: &mut Value) {
    let reason = finding.get("reason").and_then(Value::as_str).unwrap_or("");
    let kind = [
        ("the triggering process is the container runtime itself", "runtime_itself"),
        ("started directly by ", "exec_session"),
        ("the earliest process on the chain below the container's main process", "below_entrypoint"),
        ("the earliest process on the chain below the oldest known ancestor", "below_oldest_ancestor"),
        ("the container's main process", "entrypoint_itself"),
    ]
    .iter()
    .find(|(prefix, _)| reason.starts_with(prefix))
    .map_or("other", |(_, kind)| kind);
    let chain: Vec<Value> = finding.get("chain").and_then(Value::as_array).cloned().unwrap_or_default();
    let named = |role: &str| {
        chain
            .iter()
            .find(|process| process.get("role").and_then(Value::as_str) == Some(role))
            .and_then(|process| process.get("name").cloned())
            .unwrap_or(Value::Null)
    };
    let entrypoint = named("container entrypoint");
    let runtime = named("container runtime");
    let top_down: Vec<Value> = chain.iter().rev().cloned().collect();
    if let Value::Object(fields) = finding {
        fields.insert("reason_kind".into(), json!(kind));
        fields.insert("entrypoint_name".into(), entrypoint);
        fields.insert("runtime_name".into(), runtime);
        fields.insert("chain_top_down".into(), Value::Array(top_down));
    }
}

/// The tactics in the order the stages first show them, and the tree node of the root cause.
fn shape_attack_path(output: &mut Value) {
    let stages = output.get("stages").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut sequence: Vec<Value> = Vec::new();
    for stage in &stages {
        for tactic in stage.get("tactics").and_then(Value::as_array).into_iter().flatten() {
            if !sequence.iter().any(|seen| seen.get("id") == tactic.get("id")) {
                sequence.push(tactic.clone());
            }
        }
    }
    let parents: Vec<(u64, Option<u64>)> = output
        .get("process_tree")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|node| Some((node.get("id")?.as_u64()?, node.get("parent").and_then(Value::as_u64))))
        .collect();
    let root_node = stages.iter().find_map(|stage| {
        let mut node = stage.get("tree_node")?.as_u64()?;
        let depth = stage.get("depth_below_root_cause")?.as_u64()?;
        for _ in 0..depth {
            node = parents.iter().find(|(id, _)| *id == node)?.1?;
        }
        Some(node)
    });
    if let Some(Value::Array(nodes)) = output.get_mut("process_tree") {
        for node in nodes {
            let is_root = root_node.is_some() && node.get("id").and_then(Value::as_u64) == root_node;
            if let Value::Object(fields) = node {
                fields.insert("is_root_cause".into(), json!(is_root));
            }
        }
    }
    if let Value::Object(fields) = output {
        fields.insert("tactic_sequence".into(), Value::Array(sequence));
        fields.insert("first_stage".into(), stages.first().cloned().unwrap_or(Value::Null));
        fields.insert("last_stage".into(), stages.last().cloned().unwrap_or(Value::Null));
    }
}

/// Splits a step's `because` (`rule X`, `tag Y`, `technique Z`) by kind.
fn shape_step(step: &mut Value) {
    let because: Vec<String> = step
        .get("because")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_string))
        .collect();
    let pick = |prefix: &str| -> Vec<Value> {
        because.iter().filter_map(|item| item.strip_prefix(prefix)).map(|rest| json!(rest)).collect()
    };
    let (rules, tags, techniques) = (pick("rule "), pick("tag "), pick("technique "));
    if let Value::Object(fields) = step {
        fields.insert("because_rules".into(), Value::Array(rules));
        fields.insert("because_tags".into(), Value::Array(tags));
        fields.insert("because_techniques".into(), Value::Array(techniques));
    }
}

/// A notice with the alert counts of its suggestions or candidates, read from the
/// `event_stats` calls that ground it, and the note of the empty lookup.
fn notice_context(notice: &Notice, outputs: &[(String, Value)]) -> Value {
    let (kind, entity, name, options) = match notice {
        Notice::NotFound { entity, name, suggestions } => ("not_found", entity, name, suggestions),
        Notice::Ambiguous { entity, name, candidates } => ("ambiguous", entity, name, candidates),
    };
    let stats: Vec<&Value> = outputs
        .iter()
        .filter(|(tool, output)| tool == "event_stats" && output.get("error").is_none())
        .map(|(_, output)| output)
        .collect();
    let count_of = |option: &str| {
        stats.iter().find_map(|output| {
            output.get("groups")?.as_array()?.iter().find_map(|group| {
                group.get("rows")?.as_array()?.iter().find_map(|row| {
                    (row.get("value").and_then(Value::as_str) == Some(option)).then(|| row.get("count").cloned())?
                })
            })
        })
    };
    let options: Vec<Value> =
        options.iter().map(|option| json!({ "name": option, "count": count_of(option) })).collect();
    let empty = stats.iter().find(|output| output.pointer("/evidence/count").and_then(Value::as_u64) == Some(0));
    let listing = stats.iter().find(|output| output.pointer("/evidence/count").and_then(Value::as_u64) != Some(0));
    json!({
        "kind": kind,
        "not_found": kind == "not_found",
        "ambiguous": kind == "ambiguous",
        "entity": entity,
        "name": name,
        "options": options,
        "lookup": empty.and_then(|output| output.get("evidence")).cloned(),
        "listing": listing.and_then(|output| output.get("evidence")).cloned(),
    })
}

/// The impacted workloads grouped by cluster and namespace, in the tool's order, for the
/// isolation guidance (one NetworkPolicy per namespace).
fn isolation_namespaces(impacted: &Value) -> Value {
    let mut namespaces: Vec<(Value, Value, Vec<Value>)> = Vec::new();
    for workload in impacted.get("workloads").and_then(Value::as_array).into_iter().flatten() {
        let cluster = workload.get("cluster").cloned().unwrap_or(Value::Null);
        let namespace = workload.get("namespace").cloned().unwrap_or(Value::Null);
        match namespaces.iter_mut().find(|(c, n, _)| *c == cluster && *n == namespace) {
            Some((_, _, workloads)) => workloads.push(workload.clone()),
            None => namespaces.push((cluster, namespace, vec![workload.clone()])),
        }
    }
    Value::Array(
        namespaces
            .into_iter()
            .map(|(cluster, namespace, workloads)| {
                let has_more_pods = workloads.iter().any(|workload| {
                    workload.get("more_pods").and_then(Value::as_u64).is_some_and(|more| more > 0)
                });
                json!({ "cluster": cluster, "namespace": namespace, "workloads": workloads, "has_more_pods": has_more_pods })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Focus;
    use crate::planner::plan::{Intent, PlannedCall};

    fn plan(intent: Intent, tools: &[&'static str]) -> Plan {
        Plan {
            intent,
            calls: tools.iter().map(|tool| PlannedCall { tool, arguments: json!({"scope": "x"}) }).collect(),
            focus: Focus::default(),
            scope: "x".into(),
            notices: Vec::new(),
            readings: Vec::new(),
            hits_are_them: false,
            left_out: Vec::new(),
        }
    }

    #[test]
    fn errors_are_listed_and_successes_keyed_by_tool() {
        let outputs = vec![
            ("event_stats".to_string(), json!({"evidence": {"count": 3, "scope": "x"}, "total": 3})),
            ("root_cause".to_string(), json!({"error": "invalid scope: x"})),
        ];
        let context = template_context(Language::En, &plan(Intent::Report, &["event_stats", "root_cause"]), &outputs);
        assert_eq!(context["errors"], json!([{"tool": "root_cause", "message": "invalid scope: x"}]));
        assert_eq!(context["tools"]["event_stats"]["total"], json!(3));
        assert!(context["tools"].get("root_cause").is_none());
        assert_eq!(context["evidence"]["count"], json!(3));
        assert_eq!(context["args"]["event_stats"], json!({"scope": "x"}));
    }

    #[test]
    fn notices_get_counts_from_the_grounding_calls() {
        let mut plan = plan(Intent::RootCause, &["event_stats", "event_stats"]);
        plan.notices = vec![Notice::NotFound {
            entity: "namespace".into(),
            name: "risk-99".into(),
            suggestions: vec!["risk-10".into(), "risk-12".into()],
        }];
        let outputs = vec![
            ("event_stats".to_string(), json!({"evidence": {"count": 0, "note": "no alerts match"}})),
            (
                "event_stats".to_string(),
                json!({"evidence": {"count": 9}, "groups": [{"by": "namespace", "rows": [{"value": "risk-10", "count": 7}]}]}),
            ),
        ];
        let context = template_context(Language::Ja, &plan, &outputs);
        let notice = &context["notices"][0];
        assert_eq!(notice["options"], json!([{"name": "risk-10", "count": 7}, {"name": "risk-12", "count": null}]));
        assert_eq!(notice["lookup"]["note"], json!("no alerts match"));
        assert_eq!(notice["listing"]["count"], json!(9));
    }

    /// Every reason `process_tree::judge` gives is recognised, so no answer falls back to the
    /// tool's English sentence.
    #[test]
    fn every_root_cause_reason_is_recognised() {
        use saker_tools::analytics::process_tree::{ProcessNode, judge};
        let node = |name: &str| ProcessNode { pid: 1, name: Some(name.to_string()), ..ProcessNode::default() };
        let cases = [
            (vec!["runc"], "runtime_itself"),
            (vec!["bash", "runc"], "exec_session"),
            (vec!["curl", "bash", "bash", "containerd-shim"], "below_entrypoint"),
            (vec!["curl", "sh", "bash"], "below_oldest_ancestor"),
            (vec!["nginx", "nginx", "containerd-shim"], "entrypoint_itself"),
        ];
        for (names, expected) in cases {
            let nodes: Vec<ProcessNode> = names.iter().map(|name| node(name)).collect();
            let chain: Vec<&ProcessNode> = nodes.iter().collect();
            let mut finding = json!({ "reason": judge(&chain).reason, "chain": [] });
            shape_root_cause(&mut finding);
            assert_eq!(finding["reason_kind"], json!(expected), "{names:?}: {}", finding["reason"]);
        }
    }

    #[test]
    fn the_attack_path_marks_the_root_cause_node() {
        let mut output = json!({
            "stages": [{"tree_node": 2, "depth_below_root_cause": 1, "tactics": [{"id": "TA0002"}, {"id": "TA0040"}]},
                       {"tree_node": 2, "depth_below_root_cause": 1, "tactics": [{"id": "TA0002"}]}],
            "process_tree": [{"id": 0, "parent": null}, {"id": 1, "parent": 0}, {"id": 2, "parent": 1}],
        });
        shape_attack_path(&mut output);
        let roots: Vec<bool> = output["process_tree"]
            .as_array()
            .map(|nodes| nodes.iter().map(|node| node["is_root_cause"] == json!(true)).collect())
            .unwrap_or_default();
        assert_eq!(roots, [false, true, false]);
        assert_eq!(output["tactic_sequence"], json!([{"id": "TA0002"}, {"id": "TA0040"}]));
    }
}
