//! Understanding: a question, the conversation's focus and the analyst's scope become a
//! [`Plan`] (intent, tool calls with their arguments, the focus after the turn, notices).
//!
//! The steps are separate modules: [`text`] prepares the question, [`intent`] recognises what
//! is asked, [`entities`] links the names it mentions against the store's [`vocabulary`],
//! [`time`] reads time expressions, [`options`] the details (groupings, category, search
//! words), [`values`] the literal values pasted in (addresses, ports, paths, domains),
//! [`action_request`] and [`imperative`] whether the analyst asks to act,
//! [`focus`] carries references over from earlier turns, and [`calls`] turns all of it
//! into tool calls.

pub mod action_request;
mod calls;
pub mod command_line;
pub mod entities;
mod focus;
pub mod imperative;
pub mod intent;
pub mod lexicon;
mod options;
mod relax;
mod similarity;
pub mod text;
pub mod time;
pub mod values;
pub mod vocabulary;
pub mod words;

use chrono::{DateTime, Utc};
use saker_tools::analytics::categories::Category;
use saker_tools::scope::Dimension;

use self::calls::CallBuilder;
use self::text::Question;
use self::time::TimeSpec;
pub use self::vocabulary::Vocabulary;
use self::words::words;
use super::plan::{Intent, Plan};
use crate::conversation::{Focus, TimeFocus};

/// What understanding needs besides the question.
pub struct Context<'a> {
    /// The entities in focus before this turn.
    pub focus: &'a Focus,
    /// The analyst's scope expression ('' for everything).
    pub analyst_scope: &'a str,
    /// The values present in the store.
    pub vocabulary: &'a Vocabulary,
    /// "Now" for relative times.
    pub now: DateTime<Utc>,
    /// The rules that fired in a scope (within the analyst's scope and the focus's time),
    /// most alerts first: the incident's detections, for blast-radius and explain questions.
    pub rules_in: &'a dyn Fn(&str, Option<&TimeFocus>) -> Vec<String>,
    /// The containers the alerts of a scope came from (within the analyst's scope and the
    /// focus's time), most alerts first, at most [`INCIDENT_CONTAINERS`]; empty when there are
    /// more: where an incident word's detections fired, so that its root cause and attack path
    /// follow everything those containers did, not only the detections of that category.
    pub containers_in: &'a dyn Fn(&str, Option<&TimeFocus>) -> Vec<String>,
    /// The containers whose alerts a full-text search finds (within the analyst's scope and the
    /// focus's time), at most [`INCIDENT_CONTAINERS`], empty when there are more: where a value
    /// pasted into an analysis question ("blast radius for 203.0.113.7") was seen, so that the
    /// analysis is of the workloads that met it.
    pub containers_mentioning: &'a dyn Fn(&str, Option<&TimeFocus>) -> Vec<String>,
    /// The analyst category of a rule (from its tags in the rules files): which rules an
    /// incident word ("the miner", 偵察) names, and which rules are generic.
    pub rule_category: &'a dyn Fn(&str) -> Category,
    /// Whether a full-text query finds any alert within the analyst's scope: how much of a
    /// pasted command line is the command ("nc -e reverse shell to ..." searches `nc -e`).
    pub text_found: &'a dyn Fn(&str) -> bool,
}

/// Most containers an incident word is followed into (see [`Context::containers_in`]).
pub const INCIDENT_CONTAINERS: usize = 20;

/// Whether the question asks about another product's detections (and not about Falco's).
fn asks_about_another_product(question: &Question) -> bool {
    question.has_any(&words().other_products.all) && !question.has_any(&["falco", "saker"])
}

/// Understands one question.
pub fn understand(question_text: &str, context: &Context<'_>) -> Plan {
    let question = Question::new(question_text);
    // A pasted rules file is the thing to validate, not a list of names to scope by.
    let mut entities = match intent::pasted_yaml(&question)
        .and_then(|yaml| question.original.find(yaml.as_str()))
        .filter(|start| *start > 0)
    {
        Some(start) => entities::link(&Question::new(&question.original[..start]), context.vocabulary),
        None => entities::link(&question, context.vocabulary),
    };
    entities.values = command_line::as_found(std::mem::take(&mut entities.values), context.text_found);
    found_in_the_text(&mut entities, context.text_found);
    let time = time::time_spec(&question, context.now);
    // "And the week before that?": the same question over the period before the focus's.
    let period_before = match time {
        TimeSpec::Unspecified => time::period_before(&question, context.focus.time.as_ref(), context.now),
        _ => None,
    };
    let time = period_before.clone().map_or(time, TimeSpec::Range);
    let previous_topic = context.focus.topic.as_deref().and_then(Intent::from_name);
    // What is asked is read from the wording, not from the names: "find" in the rule "Find AWS
    // Credentials" asks for no search, "recon" in the cluster "prod-recon-eks" for no category.
    // A pasted command line is read for no cue either ("secrets" in `kubectl get secrets`).
    let names = entities.linked.iter().chain(&entities.excluded).map(|(_, value)| value);
    let commands =
        entities.values.iter().filter(|value| value.kind == values::ValueKind::Command).map(|value| &value.text);
    // Whole command lines first: a name inside one (its program) would break it up.
    let phrasing = question.without_names(commands.chain(&entities.rules).chain(names));
    // A follow-up with no cue of its own ("what about risk-3?") repeats the previous question,
    // whatever exemplar its few words resemble.
    // "and dev-sandbox-eks?" opens with "and" alone.
    let opens_with_and = question.folded.trim_start().starts_with("and ");
    let repeats_previous = (period_before.is_some()
        || (question.has_any(&words().follow_up.all) || opens_with_and) && intent::has_no_cue(&phrasing))
        && previous_topic.is_some_and(|topic| topic != Intent::Unknown);
    let recognised = if repeats_previous { None } else { intent::recognise(&phrasing) };
    // 「kworkerd って何?」: what an unknown word is, is what the alerts that have it say.
    if matches!(recognised, None | Some(Intent::Explain))
        && !repeats_previous
        && !entities.names_anything()
        && entities.values.is_empty()
    {
        words_found_in_the_text(&mut entities, &question, context.text_found);
    }
    let intent = match recognised {
        Some(intent) => intent,
        None if repeats_previous
            || entities.names_anything()
            || question.has_any(&words().follow_up.all)
            || options::category(&phrasing).is_some()
            || (time != TimeSpec::Unspecified
                && (previous_topic.is_some()
                    || question.has_any(&words().domain.all)
                    // 「直近1時間でなんかあった?」, "did anything happen in the last hour?"
                    || asks_whether_any(&question))) =>
        {
            previous_topic.filter(|topic| *topic != Intent::Unknown).unwrap_or(Intent::Summary)
        }
        None if !entities.notices.is_empty() => Intent::Summary,
        None => Intent::Unknown,
    };
    // "Did they go after creds?", 「Critical なの出てる?」: whether any alerts are there is
    // answered by the alerts themselves, with where they are.
    let intent = match intent {
        Intent::Summary if recognised.is_none() && !repeats_previous && asks_whether_any(&question) => Intent::Search,
        other => other,
    };
    // Values pasted into a question that asks for no analysis ("anything hitting
    // 198.51.100.23?", 「/dev/shm/easyminer はどこで?」) are what to search the alerts for.
    let pasted = &entities.values;
    // "ledger-api-… is throwing drift + /dev/shm alerts, summarize": a summary asked in so many
    // words of a named place keeps the values as description, not as what to search for.
    let summary_of_a_place = recognised == Some(Intent::Summary)
        && intent::scores(&phrasing).iter().any(|(intent, score)| *intent == Intent::Summary && *score >= 8)
        && [Dimension::Cluster, Dimension::Namespace, Dimension::Workload, Dimension::Pod]
            .iter()
            .any(|dimension| entities.get(*dimension).is_some());
    let intent = match intent {
        Intent::Summary | Intent::Count | Intent::Unknown
            if !pasted.is_empty()
                && !summary_of_a_place
                && (recognised.is_none() || options::group_by(&phrasing).is_empty()) =>
        {
            Intent::Search
        }
        // An explanation asked of an address or a path is a search for it; of a pasted command
        // line ("why did falco flag `cat /proc/1/environ`") it explains the alert it finds.
        Intent::Explain
            if !pasted.is_empty()
                && entities.rules.is_empty()
                && entities.alert_id.is_none()
                && !pasted.iter().any(|value| value.kind == values::ValueKind::Command) =>
        {
            Intent::Search
        }
        // "Which of those ran the nc to 203.0.113.9?", 「/etc/shadow 読まれたのどの Pod?」: the
        // alerts that mention the value say which pods, and more; only the impact words
        // themselves ask for the workload inventory.
        // "And for 203.0.113.9?" after a blast radius asks for that one's blast radius (a
        // follow-up of a few words besides the value; "and which of those ran the nc to …?"
        // asks which alerts).
        Intent::ImpactedWorkloads
            if (!pasted.is_empty() || asks_to_search(&question))
                && !question.has_any(&words().impact.all)
                && (!repeats_previous || phrasing.tokens().len() > 3) =>
        {
            Intent::Search
        }
        // "Which pods are running the miner?", 「netshoot のイメージ、どのpod?」: the alerts of
        // what ran say which pods, and the pods they hit are listed with them.
        Intent::ImpactedWorkloads
            if asks_which_pods(&phrasing)
                && names_what_ran(&entities, &phrasing)
                && !question.has_any(&words().impact.all) =>
        {
            Intent::Search
        }
        other => other,
    };
    // A rule named with little more than "what?" ("wtf is 'Drop and execute new binary'?",
    // 「Terminal shell in container って何?」) asks what it means.
    let intent = match intent {
        Intent::Summary | Intent::Unknown
            if !entities.rules.is_empty() && asks_what_it_is(&phrasing) && pasted.is_empty() =>
        {
            Intent::Explain
        }
        other => other,
    };
    // A question about another product's detections is not about these alerts: decline it
    // rather than answer with Falco's figures.
    let another_product = asks_about_another_product(&question);
    // Asking to act, to escalate or for the response history outranks every analysis intent.
    let intent = if another_product {
        Intent::Unknown
    } else if let Some(request) = action_request::requested_action(&question) {
        // "Isolate catalog-api now": how to isolate it, with the isolation proposed.
        if request.isolation_imperative { Intent::Isolation } else { Intent::ProposeAction }
    } else if action_request::requested_escalation(&question).is_some() {
        Intent::Escalate
    } else if action_request::requested_history(&question) {
        Intent::ResponseHistory
    } else {
        intent
    };
    // "Validate that yaml before I push it": the exception an earlier turn wrote.
    let intent = match intent {
        Intent::Exception | Intent::Unknown | Intent::Summary | Intent::Explain
            if context.focus.exception_yaml.is_some()
                && intent::pasted_yaml(&question).is_none()
                && intent::asks_to_validate(&phrasing) =>
        {
            Intent::ValidateException
        }
        other => other,
    };
    // A technique ID with a count is a filter for the count, not a question about ATT&CK.
    let intent = match intent {
        Intent::Mitre
            if !entities.techniques.is_empty()
                && question.has_any(&["how many", "number of", "count", "件数", "何件"]) =>
        {
            Intent::Count
        }
        other => other,
    };
    // An explanation needs an alert or a rule; a count about a category is the category's
    // comparison (it has the figures per period).
    let category = options::category(&phrasing);
    let intent = match intent {
        Intent::Count if category.is_some() && entities.rules.is_empty() && !counts_objects(&phrasing) => {
            Intent::ComparePeriods
        }
        // "A category's count this week against last week, and the techniques and tools
        // used": the weekly report, which has the techniques too.
        Intent::Mitre
            if category.is_some()
                && intent::scores(&phrasing)
                    .iter()
                    .any(|(other, score)| *other == Intent::ComparePeriods && *score >= 7) =>
        {
            Intent::ComparePeriods
        }
        other => other,
    };
    // Names that together match nothing, beside a place: the loosest are left out.
    let left_out = match intent {
        Intent::Search
        | Intent::Count
        | Intent::Unknown
        | Intent::ProposeAction
        | Intent::Isolation
        | Intent::Escalate
        | Intent::ResponseHistory
        | Intent::ValidateException => Vec::new(),
        _ => relax::leave_out_what_matches_nothing(&mut entities, &question, &time, context),
    };
    let mut focus = focus::update(context.focus, &question, &entities, &time);
    focus.topic = Some(intent.name().to_string());
    focus.isolation_proposed = intent == Intent::Isolation
        && (action_request::requested_action(&question).is_some_and(|request| request.isolation_imperative)
            || (context.focus.isolation_proposed && action_request::asks_the_same_again(&question)));
    if let Some(category) = category {
        // A newly named category: its rules come from this turn's comparison.
        let name = serde_json::to_value(category).ok().and_then(|value| value.as_str().map(str::to_string));
        if focus.category != name {
            focus.category = name;
            focus.category_rules.clear();
        }
        // An incident word outside a comparison ("root cause of the miner", 「偵察の影響範囲」)
        // narrows to the stored rules of its category; a comparison finds them itself.
        // A named workload already says which incident it is.
        let object_named =
            focus.namespace.is_some() || focus.workload.is_some() || focus.pod.is_some() || focus.container.is_some();
        if intent != Intent::ComparePeriods && entities.rules.is_empty() && !object_named {
            focus.category_rules = category_rules(context, category);
        }
    }
    // An answer chosen by default offers the two other likeliest readings as follow-ups.
    let defaulted =
        recognised.is_none() && !repeats_previous || intent == Intent::Search && !entities.values.is_empty();
    let readings = if defaulted && intent != Intent::Unknown { other_readings(&phrasing, intent) } else { Vec::new() };
    let builder = CallBuilder::new(&question, &entities, &focus, context, category);
    if !entities.notices.is_empty() {
        let calls = builder.notice_calls(&entities.notices);
        return Plan {
            intent,
            calls,
            scope: builder.scope().to_string(),
            // The focus does not move to something that was not found.
            focus: Focus { topic: context.focus.topic.clone(), ..context.focus.clone() },
            notices: entities.notices.clone(),
            readings: Vec::new(),
            hits_are_them: false,
            left_out: Vec::new(),
        };
    }
    let calls = builder.calls(intent);
    let scope = builder.scope().to_string();
    // A comparison by whole weeks or days: the period it looked at is what later questions
    // ("which workloads were impacted?") are about.
    if let Some(period) = calls
        .iter()
        .find(|call| call.tool == "compare_periods")
        .and_then(|call| call.arguments.get("period"))
        .and_then(serde_json::Value::as_str)
    {
        let last = if period == "day" { "1d" } else { "7d" };
        focus.time = Some(TimeFocus { last: Some(last.to_string()), ..TimeFocus::default() });
    }
    // A search for pasted values: the pods it finds are what "them" means next.
    let hits_are_them = intent == Intent::Search && !entities.values.is_empty();
    Plan { intent, calls, scope, focus, notices: Vec::new(), readings, hits_are_them, left_out }
}

/// A name that no stored value has but the alerts' text does ("colors-utils-js" in a path,
/// `authorized_keys`): a value to search the alerts for, not a missing object.
fn found_in_the_text(entities: &mut entities::Entities, text_found: &dyn Fn(&str) -> bool) {
    let notices = std::mem::take(&mut entities.notices);
    for notice in notices {
        match &notice {
            super::plan::Notice::NotFound { name, .. } if text_found(name) => {
                if !entities.values.iter().any(|value| value.text == *name) {
                    entities
                        .values
                        .push(values::PastedValue { kind: values::ValueKind::Identifier, text: name.clone() });
                }
            }
            _ => entities.notices.push(notice),
        }
    }
}

/// Least length of a lone word looked up in the alerts' text.
const LONE_WORD_CHARS: usize = 5;

/// In a question that asks nothing recognisable and names nothing ("anything w/ kworkerd?
/// sounds sus"), the words that are not prose but are in the alerts' text: values to search
/// for, rather than "I did not understand". At most two, and only when no more are found.
fn words_found_in_the_text(entities: &mut entities::Entities, question: &Question, text_found: &dyn Fn(&str) -> bool) {
    let found: Vec<String> = question
        .tokens()
        .into_iter()
        .map(|token| token.text.trim_matches(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|word| {
            word.len() >= LONE_WORD_CHARS
                && word.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte))
                && word.bytes().any(|byte| byte.is_ascii_alphabetic())
                && !entities::is_prose(word)
                // A priority ("# of Critical alerts") is a filter of the question, not a value.
                && word.parse::<saker_tools::alert::Priority>().is_err()
        })
        .filter(|word| text_found(word))
        .map(str::to_string)
        .collect();
    if (1..=2).contains(&found.len()) {
        for text in found {
            entities.values.push(values::PastedValue { kind: values::ValueKind::Identifier, text });
        }
    }
}

/// Whether the question says in so many words to search ("search for kworkerd",
/// 「kworkerd で検索」): the word searched is the subject, whatever else is asked of it.
fn asks_to_search(question: &Question) -> bool {
    question.has_any(&words().search_said.all)
}

/// Whether the question asks which pods (containers, workloads) something ran in.
pub(super) fn asks_which_pods(phrasing: &Question) -> bool {
    phrasing.has_any(&words().which_pods.all)
}

/// Whether the question names what ran (a process, an image, a pasted value, or an incident
/// word such as "the miner"), as against the pods of a place ("which pods in storefront?").
fn names_what_ran(entities: &entities::Entities, phrasing: &Question) -> bool {
    use saker_tools::scope::Dimension;
    !entities.values.is_empty()
        || entities.get(Dimension::Process).is_some()
        || entities.get(Dimension::Image).is_some()
        || options::category(phrasing).is_some()
}

/// Whether a count asks how many objects (pods, workloads, containers, clusters), not alerts:
/// 「マイナーに感染した pod はいくつ?」 is about the pods, not the trend of the miner's alerts.
fn counts_objects(phrasing: &Question) -> bool {
    phrasing.has_any(&words().counted_objects.all)
}

/// Whether a question, its names removed, asks only what the named thing is: a few words with
/// a word for "what" among them.
fn asks_what_it_is(phrasing: &Question) -> bool {
    let word_count = phrasing.folded.split_whitespace().count();
    // 「… が鳴ってます。何が起きているか教えてください」 asks what happened, not what the rule is.
    word_count <= 6 && phrasing.has_any(&words().what.all) && !phrasing.has_any(&words().what_happened.all)
}

/// Whether the question asks if anything of a kind is there or happened at all.
fn asks_whether_any(question: &Question) -> bool {
    let text = question.folded.trim_end_matches(['?', '？', ' ', 'か', 'の']);
    let first_words = question.folded.trim_start();
    // 「何があった?」 asks what happened, not whether anything did (「何かあった?」).
    let asks_what_happened = words().what_happened.all.iter().any(|what| text.contains(what));
    words().whether.en.iter().any(|word| first_words.strip_prefix(word).is_some_and(|rest| rest.starts_with(' ')))
        || (!asks_what_happened && words().whether.ja.iter().any(|ending| text.ends_with(ending)))
}

/// Readings offered when none was clear, most usual first.
const USUAL_READINGS: [Intent; 4] = [Intent::Summary, Intent::RootCause, Intent::AttackPath, Intent::Search];

/// The two likeliest intents besides `chosen`: the exemplars the wording resembles at all, then
/// the usual questions of an investigation.
fn other_readings(phrasing: &Question, chosen: Intent) -> Vec<Intent> {
    const RESEMBLES: f32 = 0.2;
    let resembled = lexicon::lexicon()
        .similarities(phrasing)
        .into_iter()
        .filter(|(_, similarity)| *similarity >= RESEMBLES)
        .map(|(intent, _)| intent);
    let mut readings: Vec<Intent> = Vec::new();
    for intent in resembled.chain(USUAL_READINGS) {
        if intent != chosen && intent != Intent::ValidateException && !readings.contains(&intent) {
            readings.push(intent);
        }
        if readings.len() == 2 {
            break;
        }
    }
    readings
}

/// The stored rules of `category`, in name order.
fn category_rules(context: &Context<'_>, category: Category) -> Vec<String> {
    let mut rules: Vec<String> = context
        .vocabulary
        .values(saker_tools::scope::Dimension::Rule)
        .iter()
        .filter(|rule| (context.rule_category)(rule) == category)
        .cloned()
        .collect();
    rules.sort();
    rules
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::vocabulary::tests::demo;
    use super::*;

    /// "Now" of the demo data.
    fn demo_now() -> DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").expect("time").with_timezone(&Utc)
    }

    /// A context over `vocabulary` with no rules or containers in any scope, the given focus,
    /// containers found by text, and words found in the text.
    fn context_of<'a>(
        vocabulary: &'a Vocabulary,
        focus: &'a Focus,
        containers_mentioning: &'a dyn Fn(&str, Option<&TimeFocus>) -> Vec<String>,
        text_found: &'a dyn Fn(&str) -> bool,
    ) -> Context<'a> {
        Context {
            focus,
            analyst_scope: "",
            vocabulary,
            now: demo_now(),
            rules_in: &|_, _| Vec::new(),
            containers_in: &|_, _| Vec::new(),
            containers_mentioning,
            rule_category: &|_| Category::Other,
            text_found,
        }
    }

    fn plan_of(question: &str, vocabulary: &Vocabulary) -> Plan {
        let focus = Focus::default();
        understand(question, &context_of(vocabulary, &focus, &|_, _| Vec::new(), &|_| true))
    }

    #[test]
    fn an_analysis_of_a_pasted_value_is_of_the_containers_that_met_it() {
        let vocabulary = demo();
        let focus = Focus::default();
        let mentioning = |text: &str, _: Option<&TimeFocus>| match text {
            "\"203.0.113.7\"" => vec!["44e14ae7fd4c".to_string()],
            _ => Vec::new(),
        };
        let context = context_of(&vocabulary, &focus, &mentioning, &|_| true);
        let plan = understand("blast radius for 203.0.113.7?", &context);
        assert_eq!(tools_of(&plan), ["impacted_workloads"]);
        assert_eq!(scope_of(&plan, 0), "container.id=44e14ae7fd4c");
        // A value no alert mentions keeps the scope; a search stays a search of the text.
        assert_eq!(scope_of(&understand("blast radius for 198.51.100.99?", &context), 0), "");
        let search = understand("anything hitting 203.0.113.7?", &context);
        assert_eq!(tools_of(&search), ["search_events"]);
        assert_eq!(scope_of(&search, 0), "");
    }

    #[test]
    fn the_same_again_after_an_isolation_proposes_it_there_too() {
        let vocabulary = demo();
        let turn = |question: &str, focus: &Focus| {
            understand(question, &context_of(&vocabulary, focus, &|_, _| Vec::new(), &|_| true))
        };
        let first = turn("isolate catalog-api", &Focus::default());
        assert!(first.focus.isolation_proposed);
        let again = turn("checkout-api も同じく", &first.focus);
        assert_eq!(again.intent, Intent::Isolation);
        assert!(tools_of(&again).contains(&"propose_response_action"), "{:?}", tools_of(&again));
        // After "how do I isolate", the same again is guidance again.
        let how = turn("how do I isolate catalog-api?", &Focus::default());
        assert!(!how.focus.isolation_proposed);
        assert!(!tools_of(&turn("checkout-api も同じく", &how.focus)).contains(&"propose_response_action"));
    }

    #[test]
    fn a_lone_word_in_the_alerts_text_is_searched_for() {
        let vocabulary = demo();
        let focus = Focus::default();
        let found = |text: &str| ["kworkerd", "critical"].contains(&text);
        let context = context_of(&vocabulary, &focus, &|_, _| Vec::new(), &found);
        let plan = understand("anything w/ kworkerd? sounds sus", &context);
        assert_eq!(tools_of(&plan), ["search_events"]);
        assert_eq!(plan.calls[0].arguments["query"], "kworkerd");
        assert_eq!(understand("zzzzzz qqqqqq", &context).intent, Intent::Unknown);
    }

    fn tools_of(plan: &Plan) -> Vec<&'static str> {
        plan.calls.iter().map(|call| call.tool).collect()
    }

    fn scope_of(plan: &Plan, index: usize) -> &str {
        plan.calls[index].arguments.get("scope").and_then(serde_json::Value::as_str).unwrap_or("")
    }

    #[test]
    fn which_pods_ran_something_is_answered_by_its_alerts_and_the_pods_they_hit() {
        let vocabulary = demo();
        for question in ["which pods are running easyminer?", "easyminer が動いてるのどのPod?"] {
            let plan = plan_of(question, &vocabulary);
            assert_eq!(plan.intent, Intent::Search, "{question}: {plan:?}");
            assert_eq!(tools_of(&plan), ["search_events", "impacted_workloads"], "{question}");
            assert_eq!(scope_of(&plan, 0), scope_of(&plan, 1), "{question}: the pods of the same alerts");
        }
        // The pods of a place are its impacted workloads, with no search.
        let plan = plan_of("which pods in storefront were impacted?", &vocabulary);
        assert_eq!(tools_of(&plan)[0], "impacted_workloads", "{plan:?}");
    }

    #[test]
    fn what_a_question_leaves_out_is_counted_beside_the_rest() {
        let plan = plan_of("is anything other than checkout-api affected in storefront?", &demo());
        assert_eq!(tools_of(&plan), ["impacted_workloads", "event_stats"], "{plan:?}");
        assert!(scope_of(&plan, 0).contains("workload!=checkout-api"), "{plan:?}");
        assert!(scope_of(&plan, 1).contains("workload=checkout-api"), "{plan:?}");
        assert!(!scope_of(&plan, 1).contains("!="), "{plan:?}");
    }

    #[test]
    fn values_named_by_their_kind_are_searched_or_linked() {
        let mut values = std::collections::BTreeMap::new();
        values.insert(saker_tools::scope::Dimension::Image, vec!["httpd".to_string()]);
        values.insert(saker_tools::scope::Dimension::Process, vec!["bash".to_string()]);
        values.insert(saker_tools::scope::Dimension::Namespace, vec!["web".to_string()]);
        let vocabulary = Vocabulary::from_values(values);
        // A file to quarantine is passed as the file, and a name the alerts' text has (not a
        // stored name) is searched for.
        let plan = plan_of("/tmp/.k/kubectl を隔離していただけますか", &vocabulary);
        assert_eq!(tools_of(&plan), vec!["propose_response_action"], "{plan:?}");
        assert_eq!(plan.calls[0].arguments["file"], "/tmp/.k/kubectl", "{plan:?}");
        let plan = plan_of("colors-utils-js 絡みのイベントある?", &vocabulary);
        assert!(plan.notices.is_empty(), "{plan:?}");
        assert_eq!(plan.calls[0].arguments["query"], "colors-utils-js", "{plan:?}");
        // A user named as one is searched for, not reported as a missing namespace.
        let plan = plan_of("user www-data で動いてるやつある?", &vocabulary);
        assert!(plan.notices.is_empty(), "{plan:?}");
        assert_eq!(plan.calls[0].tool, "search_events", "{plan:?}");
        // An image with its tag is the repository.
        let plan = plan_of("any alerts from image httpd:2.4 in the last 14 days?", &vocabulary);
        assert!(plan.notices.is_empty(), "{plan:?}");
        assert!(scope_of(&plan, 0).contains("container.image.repository=httpd"), "{plan:?}");
        // The program of a parent's command line is not the process of the alerts.
        let plan = plan_of(r#"alerts w/ parent cmdline "bash ./gen.sh" in web ns"#, &vocabulary);
        assert!(!scope_of(&plan, 0).contains("proc.name"), "{plan:?}");
        assert!(plan.calls[0].arguments.get("query").is_some(), "{plan:?}");
    }

    #[test]
    fn what_happened_is_the_overview_and_whether_anything_happened_is_a_search() {
        let vocabulary = demo();
        let plan = plan_of("storefront ネームスペースで何があった?", &vocabulary);
        assert_eq!(plan.intent, Intent::Summary, "{plan:?}");
        let plan = plan_of("storefront ネームスペースで何かあった?", &vocabulary);
        assert_eq!(plan.intent, Intent::Search, "{plan:?}");
        // Whether a tool was used or run is answered with its alerts; what was done to a
        // workload, or whether a place is quiet, with the overview.
        for question in
            ["nmap 使われてる?", "nmap 動かしたやついる?", "checkout-api のアラート出して", "storefront の検知全部"]
        {
            assert_eq!(plan_of(question, &vocabulary).intent, Intent::Search, "{question}");
        }
        for question in
            ["checkout-api、何された?", "storefront は平常運転?変なの出てない?", "prod-recon-eks で何起きてる?"]
        {
            assert_eq!(plan_of(question, &vocabulary).intent, Intent::Summary, "{question}");
        }
    }

    #[test]
    fn names_do_not_decide_the_intent_or_the_category() {
        let plan = plan_of("How many alerts this week in prod-recon-eks?", &demo());
        assert_eq!(plan.intent, Intent::Count, "{plan:?}");
        assert_eq!(plan.calls[0].tool, "event_stats");
        let mut values = std::collections::BTreeMap::new();
        values.insert(saker_tools::scope::Dimension::Rule, vec!["Find AWS Credentials".to_string()]);
        let vocabulary = Vocabulary::from_values(values);
        let plan = plan_of("How many Find AWS Credentials alerts?", &vocabulary);
        assert_eq!(plan.intent, Intent::Count, "{plan:?}");
        assert!(plan.scope.contains("rule=\"Find AWS Credentials\""), "{}", plan.scope);
        let plan = plan_of("Compare reconnaissance in prod-recon-eks with last week", &demo());
        assert_eq!(
            (plan.intent, plan.calls[0].arguments["category"].as_str()),
            (Intent::ComparePeriods, Some("reconnaissance"))
        );
    }

    #[test]
    fn pasted_values_are_searched_and_other_readings_offered() {
        for (question, query) in [
            ("anything hitting 198.51.100.23?", "\"198.51.100.23\""),
            ("which pod talked to 198.51.100.23:4444", "\"198.51.100.23\" 4444"),
            ("/dev/shm/easyminer どこで実行された?", "\"/dev/shm/easyminer\""),
            ("de.minexmr.com への通信", "\"de.minexmr.com\""),
        ] {
            let plan = plan_of(question, &demo());
            assert_eq!(plan.intent, Intent::Search, "{question}: {plan:?}");
            assert_eq!(plan.calls[0].arguments["query"].as_str(), Some(query), "{question}: {plan:?}");
            assert_eq!(plan.readings.len(), 2, "{question}: {:?}", plan.readings);
            assert!(!plan.readings.contains(&Intent::Search), "{question}");
        }
        // "Which pods" of a pasted value is answered by the alerts that mention it; the impact
        // words ask for the workloads themselves.
        let plan = plan_of("and which pods ran the nc to 203.0.113.9?", &demo());
        assert_eq!(plan.intent, Intent::Search, "{plan:?}");
        let plan = plan_of("impacted workloads for anything talking to 203.0.113.9", &demo());
        assert_eq!(plan.intent, Intent::ImpactedWorkloads, "{plan:?}");
        // A clear intent keeps its tool and offers nothing.
        let plan = plan_of("root cause of the alerts from 198.51.100.23", &demo());
        assert_eq!((plan.intent, plan.readings.len()), (Intent::RootCause, 0), "{plan:?}");
        // Nothing linked at all is still not understood.
        // (Here every word is in the text: only words too short to look up stay unlinked.)
        assert_eq!(plan_of("hey, hi", &demo()).intent, Intent::Unknown);
    }

    #[test]
    fn a_rule_named_with_a_bare_what_is_explained_and_counts_stay_counts() {
        for question in
            ["wtf is 'Drop and execute new binary in container'?", "Drop and execute new binary in container って何?"]
        {
            assert_eq!(plan_of(question, &demo()).intent, Intent::Explain, "{question}");
        }
        let plan = plan_of("Drop and execute new binary in container は何件?", &demo());
        assert_eq!(plan.intent, Intent::Count, "{plan:?}");
        // How many pods a category hit is about the pods, not the category's trend.
        assert_eq!(plan_of("マイナーに感染したpodはいくつ?", &demo()).intent, Intent::ImpactedWorkloads);
    }

    #[test]
    fn the_word_after_a_search_cue_is_searched_whatever_else_is_asked() {
        for (question, query) in [
            ("find events w/ linpeas", "linpeas"),
            ("show me alerts where the user is www-data", "www-data"),
            ("kworkerd で検索。どのPodに落とされてる?", "kworkerd"),
        ] {
            let plan = plan_of(question, &demo());
            assert_eq!(plan.intent, Intent::Search, "{question}: {plan:?}");
            assert_eq!(plan.calls[0].arguments["query"], query, "{question}");
        }
        // A whole alert line pasted in quotes is searched for its values, not as one phrase.
        let plan = plan_of(
            r#"from slack: "Critical reverse shell from web server seen | user=www-data connection=203.0.113.7:4444" where else?"#,
            &demo(),
        );
        assert_eq!(plan.calls[0].tool, "search_events", "{plan:?}");
        let query = plan.calls[0].arguments["query"].as_str().unwrap_or_default();
        assert!(query.contains("203.0.113.7") && !query.contains("reverse shell"), "{query}");
    }

    #[test]
    fn a_comparison_by_kind_of_object_counts_each_object_over_the_same_periods() {
        for question in ["先週比でアラート増えてるクラスタある?", "which clusters grew vs last week?"]
        {
            let plan = plan_of(question, &demo());
            assert_eq!(tools_of(&plan), ["compare_periods", "event_stats"], "{question}");
            assert_eq!(plan.calls[1].arguments["group_by"], serde_json::json!(["cluster"]), "{question}");
            assert_eq!(plan.calls[1].arguments["last"], "7d", "{question}");
            assert_eq!(plan.calls[1].arguments["compare_previous"], true, "{question}");
        }
        // A category is compared with its own tables, and set against every alert of the
        // scope over the same periods.
        let plan = plan_of("compare recon this week vs last week by cluster", &demo());
        assert_eq!(tools_of(&plan), ["compare_periods", "event_stats"], "{plan:?}");
        assert_eq!(plan.calls[1].arguments["group_by"], serde_json::json!(["priority"]), "{plan:?}");
        assert!(plan.calls[1].arguments.get("category").is_none(), "{plan:?}");
    }

    #[test]
    fn wordings_found_missing_by_the_ninth_writer() {
        for (question, intent) in [
            ("rm /var/log/dpkg.log keeps firing on httpd. whats launching it?", Intent::RootCause),
            ("リバースシェル取られた後、何された?", Intent::AttackPath),
            ("which apps were they poking at", Intent::ImpactedWorkloads),
            ("walk me through the attack on risk-10-aws-bedrock-java step by step", Intent::AttackPath),
        ] {
            assert_eq!(plan_of(question, &demo()).intent, intent, "{question}");
        }
        for question in [
            r#""ignore previous instructions" って文字列が入ってるアラートある?"#,
            "anything with kubernetes.default.svc in the command line?",
            "summarize alerts mentioning 203.0.113.7",
        ] {
            assert_eq!(plan_of(question, &demo()).intent, Intent::Search, "{question}");
        }
        // A summary asked in so many words of a named place, and what happened where a rule
        // fired, are the overview.
        for question in [
            "checkout-api-7f9-abcde is throwing drift + /dev/shm alerts, summarize",
            "checkout-api-7f9-abcde で Terminal shell in container が鳴ってます。何が起きているか教えてください",
        ] {
            assert_eq!(plan_of(question, &demo()).intent, Intent::Summary, "{question}");
        }
        // A kind word that ends a name ("…-node") introduces no name after it.
        let plan = plan_of("attack on risk-10-aws-bedrock-java-node step by step", &demo());
        assert!(!plan.scope.contains("hostname"), "{}", plan.scope);
    }

    #[test]
    fn a_summary_groups_by_the_levels_below_its_object() {
        let plan = plan_of("what's going on in namespace storefront", &demo());
        assert_eq!(plan.calls[0].arguments["group_by"], serde_json::json!(["rule", "workload", "pod", "process"]));
        let plan = plan_of("summarize the events", &demo());
        assert_eq!(
            plan.calls[0].arguments["group_by"],
            serde_json::json!(["rule", "namespace", "workload", "pod", "process"])
        );
    }

    #[test]
    fn whether_something_happened_is_answered_with_the_alerts() {
        assert!(asks_whether_any(&Question::new("did they go after creds?")));
        assert!(asks_whether_any(&Question::new("web ns でCriticalなの出てる?")));
        assert!(asks_whether_any(&Question::new("ホスト ip-10-40-3-185.ec2.internal で何か出てますか?")));
        assert!(asks_whether_any(&Question::new("/etc/shadow は読まれていませんか?")));
        let vocabulary = Vocabulary::from_values(std::collections::BTreeMap::new());
        for question in ["直近1時間でなんかあった?", "did anything happen in the last hour?"] {
            let plan = plan_of(question, &vocabulary);
            assert_eq!(plan.intent, Intent::Search, "{question}: {plan:?}");
        }
        assert!(!asks_whether_any(&Question::new("anything weird going on in here this week?")));
        assert!(!asks_whether_any(&Question::new("what happened in risk-10")));
    }

    #[test]
    fn a_pasted_rules_file_is_validated_not_linked() {
        let question = "次の例外を検証してください。\n```yaml\n- rule: Terminal shell in container\n  exceptions:\n    - name: a\n      fields: [proc.pname]\n      comps: [=]\n      values:\n        - [runc]\n```";
        let plan = plan_of(question, &demo());
        assert_eq!(plan.intent, Intent::ValidateException, "{plan:?}");
        assert!(plan.notices.is_empty(), "{:?}", plan.notices);
        assert_eq!(plan.calls[0].tool, "validate_exception");
    }

    #[test]
    fn any_text_gives_a_plan_without_panicking() {
        let pieces = [
            "risk-10",
            "namespace",
            "名前空間",
            "の",
            "root cause",
            "過去",
            "7",
            "日間",
            "先週",
            "last",
            "week",
            "\"",
            "「",
            "」",
            "`",
            "=",
            "!=",
            "k8s.ns.name",
            "proc.aname[",
            "]",
            "件",
            "ｒｉｓｋ",
            "\u{3000}",
            "🙂",
            "é",
            "-",
            ".",
            " ",
            "\n",
            "T1059.",
            "ta00",
            "2026-11-19",
            "since ",
            "top ",
            "0",
            "99999999999999999999",
            "件数",
            "では",
            "?",
        ];
        let vocabulary = demo();
        let focus = Focus { namespace: Some("risk-10-aws-bedrock-java".into()), ..Focus::default() };
        let rules_in = |_: &str, _: Option<&TimeFocus>| vec!["Terminal shell in container".to_string()];
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").expect("time").with_timezone(&Utc);
        let context = Context {
            focus: &focus,
            analyst_scope: "k8s.cluster.name=x",
            vocabulary: &vocabulary,
            now,
            rules_in: &rules_in,
            containers_in: &|_, _| Vec::new(),
            containers_mentioning: &|_, _| Vec::new(),
            rule_category: &|_| Category::Other,
            text_found: &|_| true,
        };
        let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..3000 {
            let length = random.random_range(0..24);
            let question: String = (0..length).map(|_| pieces[random.random_range(0..pieces.len())]).collect();
            let plan = understand(&question, &context);
            for call in &plan.calls {
                if let Some(scope) = call.arguments.get("scope").and_then(serde_json::Value::as_str) {
                    assert!(saker_tools::scope::Scope::parse(scope).is_ok(), "{question:?} gave the scope {scope:?}");
                }
            }
        }
    }
}
