//! The seed investigation (../shared/seeds/002_*) end to end through the planner, in English
//! and in Japanese: the tools called, their scopes, and the facts in every answer, against
//! values computed here from the fixture files themselves.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use saker::conversation::{Answer, ChatRequest, EventSink, Language, Orchestrator};
use saker_tools::analytics::categories::{Category, RuleFacts, categorize};
use serde_json::Value;

use super::support::{demo_now, demo_orchestrator};

const CLUSTER: &str = "risks-aws-eks-workloads-shield";
const NAMESPACE: &str = "risk-10-aws-bedrock-java";
/// The generator's ground truth (fixtures/scenarios/MANIFEST.md).
const ROOT_CAUSE: &str = "bash ./malicious-bin-event-gen.sh";

use saker_fixtures::{SEED_INVESTIGATION as TURNS, WEEKLY_RECONNAISSANCE};

/// Every fixture alert as JSON.
fn fixture_alerts() -> Vec<Value> {
    saker_fixtures::scenario_files()
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("fixture line is JSON"))
        .collect()
}

fn field<'a>(alert: &'a Value, name: &str) -> Option<&'a str> {
    alert.pointer(&format!("/output_fields/{}", name.replace('/', "~1"))).and_then(Value::as_str)
}

fn time(alert: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(alert["time"].as_str().expect("time")).expect("rfc3339").with_timezone(&Utc)
}

fn tags(alert: &Value) -> Vec<String> {
    alert["tags"]
        .as_array()
        .map(|tags| tags.iter().filter_map(|t| t.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn in_cluster(alert: &Value) -> bool {
    field(alert, "k8s.cluster.name") == Some(CLUSTER)
}

fn in_namespace(alert: &Value) -> bool {
    in_cluster(alert) && field(alert, "k8s.ns.name") == Some(NAMESPACE)
}

async fn ask(orchestrator: &Orchestrator, session: Option<&str>, scope: &str, question: &str) -> Answer {
    let request = ChatRequest {
        session_id: session.map(String::from),
        message: question.to_string(),
        scope: Some(scope.to_string()),
        now: Some(demo_now()),
        ..ChatRequest::default()
    };
    let answer = orchestrator.chat(request, EventSink::discard()).await.expect("the turn is answered");
    assert!(answer.grounded, "{question}: ungrounded {:?}\n{}", answer.unsupported, answer.answer);
    assert!(answer.steps.iter().all(|step| step.output.get("error").is_none()), "{question}: a tool failed");
    assert!(answer.links.iter().any(|link| link.href.starts_with("/events?")), "{question}: no event-feed link");
    answer
}

fn tools(answer: &Answer) -> Vec<&str> {
    answer.steps.iter().map(|step| step.tool.as_str()).collect()
}

fn assert_mentions(answer: &Answer, facts: &[String]) {
    for fact in facts {
        assert!(answer.answer.contains(fact.as_str()), "the answer lacks {fact:?}:\n{}", answer.answer);
    }
}

/// Every one of these calls looked at the namespace the conversation established.
fn assert_focused_on_namespace(steps: &[saker::conversation::StepRecord]) {
    for step in steps {
        let scope = step.arguments.get("scope").and_then(Value::as_str).unwrap_or("");
        assert!(scope.contains(NAMESPACE), "{} was not confined to {NAMESPACE}: {scope:?}", step.tool);
    }
}

async fn seed_conversation(language: Language) {
    let alerts = fixture_alerts();
    let cluster_alerts: Vec<&Value> = alerts.iter().filter(|alert| in_cluster(alert)).collect();
    let namespace_alerts: Vec<&Value> = alerts.iter().filter(|alert| in_namespace(alert)).collect();
    let pick = |turn: (&'static str, &'static str)| if language == Language::En { turn.0 } else { turn.1 };
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let scope = format!("kubernetes.cluster.name={CLUSTER}");

    // 1. Summary of the cluster.
    let summary = ask(&orchestrator, None, &scope, pick(TURNS[0])).await;
    assert_eq!(summary.language, language);
    assert_eq!(summary.scope, scope);
    assert!(tools(&summary).contains(&"event_stats"));
    assert_mentions(
        &summary,
        &[cluster_alerts.len().to_string(), NAMESPACE.to_string(), namespace_alerts.len().to_string()],
    );
    let session = summary.session_id.clone();
    let session = Some(session.as_str());

    // 2. Detailed report.
    let report = ask(&orchestrator, session, &scope, pick(TURNS[1])).await;
    for tool in ["root_cause", "mitre_mapping", "impacted_workloads"] {
        assert!(tools(&report).contains(&tool), "the report did not call {tool}: {:?}", tools(&report));
    }
    assert_mentions(&report, &[ROOT_CAUSE.to_string(), cluster_alerts.len().to_string()]);

    // 3. Root cause in the namespace, named in the question.
    let root_cause = ask(&orchestrator, session, &scope, pick(TURNS[2])).await;
    assert_eq!(tools(&root_cause), vec!["root_cause"]);
    assert_focused_on_namespace(&root_cause.steps);
    assert_mentions(&root_cause, &[ROOT_CAUSE.to_string()]);

    // 4. MITRE, no names: the namespace in focus.
    let mitre = ask(&orchestrator, session, &scope, pick(TURNS[3])).await;
    assert_eq!(tools(&mitre), vec!["mitre_mapping"]);
    assert_focused_on_namespace(&mitre.steps);
    let techniques: BTreeSet<String> = namespace_alerts
        .iter()
        .flat_map(|alert| tags(alert))
        .filter(|tag| tag.starts_with('T') && tag[1..].chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    assert!(!techniques.is_empty());
    assert_mentions(&mitre, &techniques.into_iter().collect::<Vec<_>>());

    // 5. Attack path: every rule that fired in the namespace is a stage.
    let path = ask(&orchestrator, session, &scope, pick(TURNS[4])).await;
    assert_eq!(tools(&path), vec!["attack_path"]);
    assert_focused_on_namespace(&path.steps);
    let rules: BTreeSet<String> =
        namespace_alerts.iter().map(|alert| alert["rule"].as_str().expect("rule").to_string()).collect();
    assert_mentions(&path, &rules.into_iter().collect::<Vec<_>>());

    // 6. Impacted workloads: the workload and pods of the namespace, and the blast radius: the
    // workloads of the cluster where the same detections fired.
    let impacted = ask(&orchestrator, session, &scope, pick(TURNS[5])).await;
    assert_eq!(tools(&impacted), vec!["impacted_workloads", "impacted_workloads"]);
    assert_focused_on_namespace(&impacted.steps[..1]);
    let pods: BTreeSet<String> =
        namespace_alerts.iter().filter_map(|alert| field(alert, "k8s.pod.name").map(String::from)).collect();
    assert_eq!(impacted.steps[0].output["totals"]["workloads"].as_u64(), Some(1), "one workload in the namespace");
    assert_eq!(impacted.steps[0].output["totals"]["pods"].as_u64(), Some(pods.len() as u64));
    let incident_rules: BTreeSet<&str> = namespace_alerts.iter().filter_map(|alert| alert["rule"].as_str()).collect();
    let blast_radius: BTreeSet<String> = cluster_alerts
        .iter()
        .filter(|alert| alert["rule"].as_str().is_some_and(|rule| incident_rules.contains(rule)))
        .filter_map(|alert| field(alert, "k8s.ns.name").map(String::from))
        .collect();
    assert_eq!(blast_radius.len(), 4, "the miner ran in four namespaces: {blast_radius:?}");
    let wider_scope = impacted.steps[1].arguments["scope"].as_str().unwrap_or("");
    assert!(!wider_scope.contains("k8s.ns.name") && wider_scope.contains("rule in ("), "{wider_scope}");
    assert_eq!(impacted.steps[1].output["totals"]["workloads"].as_u64(), Some(blast_radius.len() as u64));
    let mut facts: Vec<String> = pods.iter().cloned().collect();
    facts.extend(blast_radius.iter().cloned());
    facts.push(blast_radius.len().to_string());
    assert_mentions(&impacted, &facts);

    // 7. Remediation for the incident in focus.
    let fix = ask(&orchestrator, session, &scope, pick(TURNS[6])).await;
    assert_eq!(tools(&fix), vec!["suggest_remediation"]);
    assert_focused_on_namespace(&fix.steps);
    assert_mentions(&fix, &[NAMESPACE.to_string()]);

    // 8. Isolation guidance names the pods to isolate and a NetworkPolicy, for the namespace
    // and for the other workloads the same detections hit.
    let isolate = ask(&orchestrator, session, &scope, pick(TURNS[7])).await;
    assert_eq!(tools(&isolate), vec!["impacted_workloads", "impacted_workloads", "suggest_remediation"]);
    assert_focused_on_namespace(&isolate.steps[..1]);
    assert_focused_on_namespace(&isolate.steps[2..]);
    let mut facts: Vec<String> = pods.into_iter().collect();
    facts.push("NetworkPolicy".into());
    assert_mentions(&isolate, &facts);

    let stored = orchestrator.sessions().load(&summary.session_id).await.expect("session");
    assert_eq!(stored.turns.len(), 8);
}

#[tokio::test]
async fn the_seed_investigation_in_english() {
    seed_conversation(Language::En).await;
}

#[tokio::test]
async fn the_seed_investigation_in_japanese() {
    seed_conversation(Language::Ja).await;
}

#[tokio::test]
async fn the_weekly_reconnaissance_question() {
    let now = demo_now();
    let (current_start, previous_start) = (now - Duration::days(7), now - Duration::days(14));
    let alerts = fixture_alerts();
    let is_recon = |alert: &&Value| {
        let tags = tags(alert);
        let (tactics, techniques) = saker_tools::mitre::ids_from_tags(&tags);
        let facts = RuleFacts {
            rule: alert["rule"].as_str().unwrap_or(""),
            source: alert["source"].as_str().unwrap_or("syscall"),
            tags: &tags,
            tactics: &tactics,
            techniques: &techniques,
        };
        categorize(&facts) == Category::Reconnaissance
    };
    let recon: Vec<&Value> = alerts.iter().filter(is_recon).collect();
    let current = recon.iter().filter(|alert| time(alert) >= current_start && time(alert) < now).count();
    let previous = recon.iter().filter(|alert| time(alert) >= previous_start && time(alert) < current_start).count();
    assert!(current > 0 && previous > 0);
    let processes: BTreeSet<String> = recon
        .iter()
        .filter(|alert| time(alert) >= current_start && time(alert) < now)
        .filter_map(|alert| field(alert, "proc.name").map(String::from))
        .collect();

    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut facts = vec![current.to_string(), previous.to_string()];
    facts.extend(processes);
    for (question, language) in [(WEEKLY_RECONNAISSANCE.1, Language::Ja), (WEEKLY_RECONNAISSANCE.0, Language::En)] {
        let answer = ask(&orchestrator, None, "", question).await;
        assert_eq!(answer.language, language);
        // The category, then every alert of the scope in the same periods for comparison.
        assert_eq!(tools(&answer), vec!["compare_periods", "event_stats"]);
        assert_eq!(answer.steps[0].arguments["category"], "reconnaissance");
        assert_eq!(answer.steps[0].arguments["last"], "7d");
        assert_mentions(&answer, &facts);
    }
}
