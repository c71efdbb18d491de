//! The tool calls of a plan: the turn's scope (the focus's objects that the analyst's scope
//! does not already fix, plus what this question adds), its time range, and the arguments of
//! each intent's tools.

use saker_tools::analytics::categories::Category;
use saker_tools::scope::{Dimension, FieldRef, Operator, Scope, ScopeExpr};
use serde_json::{Map, Value, json};

use super::Context;
use super::entities::Entities;
use super::options;
use super::text::Question;
use super::words::words;
use crate::conversation::{Focus, TimeFocus};
use crate::planner::plan::{Intent, Notice, PlannedCall};

/// Most rules named in a blast-radius scope.
const INCIDENT_RULES: usize = 20;

/// Builds the calls of one plan.
pub struct CallBuilder<'a> {
    question: &'a Question,
    entities: &'a Entities,
    focus: &'a Focus,
    context: &'a Context<'a>,
    category: Option<Category>,
    analyst_terms: Vec<(FieldRef, String)>,
    scope: String,
}

impl<'a> CallBuilder<'a> {
    /// A builder for the focus after the question.
    pub fn new(
        question: &'a Question,
        entities: &'a Entities,
        focus: &'a Focus,
        context: &'a Context<'a>,
        category: Option<Category>,
    ) -> CallBuilder<'a> {
        let analyst_terms = Scope::parse(context.analyst_scope).map(|scope| equalities(&scope)).unwrap_or_default();
        let mut builder =
            CallBuilder { question, entities, focus, context, category, analyst_terms, scope: String::new() };
        builder.scope = builder.scope_text(&builder.focus_terms(FocusLevel::All), true);
        builder
    }

    /// Whether the analyst's scope fixes a value of `dimension`.
    fn analyst_scope_names(&self, dimension: Dimension) -> bool {
        self.analyst_terms.iter().any(|(field, _)| *field == FieldRef::Dimension(dimension))
    }

    /// The scope of the turn's calls, within the analyst's scope ('' for all of it).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The calls of `intent`.
    pub fn calls(&self, intent: Intent) -> Vec<PlannedCall> {
        let window = self.window(&self.category_scope(intent));
        let call = |tool: &'static str, extra: Value| PlannedCall { tool, arguments: merge(&window, extra) };
        match intent {
            Intent::Summary => {
                // "Across all clusters": the clusters come first when none is in scope.
                let clusters_asked = self.question.has_any(&[
                    "cluster",
                    "clusters",
                    "across everything",
                    "everywhere",
                    "fleet",
                    "クラスタ",
                    "クラスター",
                    "全体",
                    "全環境",
                ]) && self.focus.cluster.is_none()
                    && !self.analyst_scope_names(Dimension::Cluster);
                // The levels below the object in focus, down to the pods and the processes
                // that ran there: a namespace's summary names its pods, not itself again.
                let names = |dimension: Dimension| self.analyst_scope_names(dimension);
                // The processes last: what ran is what an analyst looks for first in a
                // summary (the miner, the scanner), and no other grouping names it.
                let group_by = if clusters_asked {
                    json!(["cluster", "rule", "namespace", "workload", "process"])
                } else if self.focus.pod.is_some() || self.focus.container.is_some() || names(Dimension::Pod) {
                    json!(["rule", "process"])
                } else if self.focus.workload.is_some() || names(Dimension::Workload) {
                    json!(["rule", "pod", "process"])
                } else if self.focus.namespace.is_some() || names(Dimension::Namespace) {
                    json!(["rule", "workload", "pod", "process"])
                } else {
                    json!(["rule", "namespace", "workload", "pod", "process"])
                };
                vec![call("event_stats", json!({"group_by": group_by, "limit": 10}))]
            }
            Intent::Report => vec![
                call("event_stats", json!({"group_by": ["rule", "namespace", "workload"], "limit": 10})),
                call("root_cause", json!({})),
                call("attack_path", json!({})),
                call("mitre_mapping", json!({})),
                call("impacted_workloads", json!({})),
                call("suggest_remediation", json!({})),
            ],
            Intent::RootCause => match &self.entities.alert_id {
                Some(id) => vec![PlannedCall {
                    tool: "root_cause",
                    arguments: merge(&self.time_only(), json!({"alert_id": id})),
                }],
                None => vec![call("root_cause", json!({}))],
            },
            Intent::Mitre => vec![call("mitre_mapping", json!({}))],
            Intent::AttackPath => vec![call("attack_path", json!({}))],
            Intent::ImpactedWorkloads => {
                let mut calls = vec![call("impacted_workloads", json!({}))];
                calls.extend(self.blast_radius());
                calls.extend(self.left_out());
                calls
            }
            Intent::Remediation => vec![call("suggest_remediation", json!({}))],
            Intent::Isolation => {
                let mut calls = vec![call("impacted_workloads", json!({}))];
                let imperative = super::action_request::requested_action(self.question)
                    .is_some_and(|request| request.isolation_imperative);
                // "Isolate that pod, nothing else", "isolate risk-10's pods": the same detections
                // elsewhere are not asked for when the request names what to isolate.
                let names_its_object =
                    [Dimension::Pod, Dimension::Workload, Dimension::Namespace, Dimension::ContainerId]
                        .iter()
                        .any(|dimension| self.entities.get(*dimension).is_some());
                let only_that = self.question.has_any(&words().only_that.all);
                if !(only_that || imperative && names_its_object) {
                    calls.extend(self.blast_radius());
                }
                calls.push(call("suggest_remediation", json!({})));
                // Asked in the imperative ("isolate it now"), the isolation is proposed too.
                if imperative {
                    calls.push(call("propose_response_action", json!({"kinds": ["isolate_workload"]})));
                }
                calls
            }
            Intent::ComparePeriods => {
                let comparison = self.comparison();
                // "Which clusters grew since last week?", 「増えた分はどこのクラスタ?」: the same
                // periods counted per object, each with its change. Only for all the alerts
                // (`event_stats` has no category), and only by what the comparison does not
                // list itself (its rules, workloads, processes, techniques, days).
                let selects =
                    self.category.is_some() || !self.entities.rules.is_empty() || !self.entities.tactics.is_empty();
                let groupings: Vec<&str> = options::group_by(self.question)
                    .into_iter()
                    .filter(|grouping| {
                        !selects
                            && !matches!(
                                *grouping,
                                "day" | "hour" | "rule" | "workload" | "process" | "mitre_technique" | "mitre_tactic"
                            )
                    })
                    .collect();
                let per_object = (!groupings.is_empty()).then(|| PlannedCall {
                    tool: "event_stats",
                    arguments: merge(
                        &compared_window(&comparison.arguments),
                        json!({"group_by": groupings, "limit": 10, "compare_previous": true}),
                    ),
                });
                // A category compared ("weekly recon report for prod-recon-eks") is also set
                // against every alert of the scope in the same two periods: analysts read the
                // report as about the cluster too, and the part is clearer beside the whole.
                let whole_scope = selects.then(|| PlannedCall {
                    tool: "event_stats",
                    arguments: merge(
                        &compared_window(&comparison.arguments),
                        json!({"group_by": ["priority"], "limit": 5, "compare_previous": true}),
                    ),
                });
                std::iter::once(comparison).chain(per_object).chain(whole_scope).collect()
            }
            Intent::Count => {
                let mut group_by = options::group_by(self.question);
                if group_by.is_empty() {
                    group_by.push("rule");
                }
                let bounded = self.focus.time.is_some();
                let compare = bounded && options::compares_with_before(self.question);
                let limit = options::limit(self.question).unwrap_or(10);
                vec![call("event_stats", json!({"group_by": group_by, "limit": limit, "compare_previous": compare}))]
            }
            Intent::Search => {
                let mut extra = json!({"limit": options::limit(self.question).unwrap_or(10)});
                let query = self.search_query();
                if let Some(query) = &query {
                    extra["query"] = json!(query);
                }
                let mut calls = vec![call("search_events", extra)];
                // "Which pods ran nmap?": the pods the scope's alerts hit, listed with them. A
                // full-text query is not a scope, so its pods are the search's own places.
                if query.is_none() && super::asks_which_pods(self.question) {
                    calls.push(call("impacted_workloads", json!({})));
                }
                calls
            }
            Intent::Explain => self.explanation(&window),
            Intent::FalsePositive => vec![self.on_alerts("assess_false_positive", &window)],
            Intent::Exception => vec![self.exception_call(&window)],
            Intent::ValidateException => {
                match super::intent::pasted_yaml(self.question).or_else(|| self.focus.exception_yaml.clone()) {
                    Some(yaml) => vec![PlannedCall { tool: "validate_exception", arguments: json!({"yaml": yaml}) }],
                    None => vec![self.exception_call(&window)],
                }
            }
            Intent::ProposeAction => {
                let request = super::action_request::requested_action(self.question).unwrap_or_default();
                let mut extra = Map::new();
                if !request.kinds.is_empty() {
                    extra.insert("kinds".into(), json!(request.kinds));
                }
                // The request's own word for the process ("kill the miner") is added by the
                // response guard, and only where the scope names no process.
                let process = self.entities.get(Dimension::Process).map(str::to_string);
                if let Some(process) = process.filter(|_| self.focus.process.is_none()) {
                    extra.insert("process".into(), json!(process));
                }
                // "Quarantine /tmp/.k/kubectl": the file named is the one to quarantine, and the
                // alerts that name it say where.
                if let Some(path) =
                    self.entities.values.iter().find(|value| value.kind == super::values::ValueKind::Path)
                {
                    extra.insert("file".into(), json!(path.text));
                }
                vec![call("propose_response_action", Value::Object(extra))]
            }
            Intent::ResponseHistory => {
                let all = self.question.has_any(&["all actions", "every action", "all response"])
                    || self.question.folded.contains("すべて")
                    || self.question.folded.contains("全て");
                vec![PlannedCall { tool: "response_history", arguments: json!({"all": all}) }]
            }
            Intent::Escalate => {
                let destination = super::action_request::requested_escalation(self.question);
                vec![call("escalate", json!({"destination": destination}))]
            }
            // What data there is, over all time: a time the question named belongs to a question
            // that was not understood (or about another product's alerts).
            Intent::Unknown => vec![PlannedCall {
                tool: "event_stats",
                arguments: merge(&scope_only(&self.scope), json!({"group_by": ["namespace"], "limit": 5})),
            }],
        }
    }

    /// The turn's scope, narrowed to the rules of the category the conversation is about
    /// (a reconnaissance comparison, then "which workloads were impacted?") for the intents that
    /// look at an incident; overviews and the comparison itself keep the whole scope.
    fn category_scope(&self, intent: Intent) -> String {
        let narrows = matches!(
            intent,
            Intent::ImpactedWorkloads
                | Intent::AttackPath
                | Intent::Mitre
                | Intent::RootCause
                | Intent::Isolation
                | Intent::Remediation
                | Intent::Search
                | Intent::Count
        );
        // An incident word of this very question narrows its overview and explanation too.
        let narrows = narrows
            || (self.category.is_some()
                && matches!(intent, Intent::Summary | Intent::Explain | Intent::Report | Intent::FalsePositive));
        // A process or value this question names is what it is about, not the category an
        // earlier turn was ("how many nc in the last 7 days?" after the reconnaissance report
        // counts every nc alert).
        let names_its_own = self.category.is_none()
            && (self.entities.get(Dimension::Process).is_some() || !self.entities.values.is_empty());
        let narrows = narrows && !names_its_own;
        // Cleaning up after an incident covers what it left behind (the files the miner's
        // dropper wrote), which the detections of its name alone do not show.
        let follows_an_incident = matches!(
            intent,
            Intent::AttackPath | Intent::RootCause | Intent::Mitre | Intent::Report | Intent::Remediation
        );
        if follows_an_incident
            && self.entities.rules.is_empty()
            && let Some(scope) = self.containers_of_the_rule_in_focus()
        {
            return scope;
        }
        let rules = &self.focus.category_rules;
        if !narrows || rules.is_empty() || self.focus.rule.is_some() || !self.entities.rules.is_empty() {
            return self.scope.clone();
        }
        let by_rules = and_text(&self.scope, &term(Dimension::Rule, operator_for(rules.len()), rules.clone()));
        // How the incident began and went on, and what it used, are read from everything its
        // containers did: the reverse shell's attack path goes on to the download and the
        // metadata access that followed it.
        if follows_an_incident {
            let containers = (self.context.containers_in)(&by_rules, self.focus.time.as_ref());
            if !containers.is_empty() {
                return and_text(
                    &self.scope,
                    &term(Dimension::ContainerId, operator_for(containers.len()), containers),
                );
            }
        }
        by_rules
    }

    /// A rule an earlier turn was about ("what does 'Reverse Shell from Web Server' mean?"),
    /// followed into the containers it fired in: what the attackers did there after it, and the
    /// techniques they used, are the incident's, not only that one detection's. `None` when no
    /// rule is in focus or it fired in more than [`super::INCIDENT_CONTAINERS`] containers.
    fn containers_of_the_rule_in_focus(&self) -> Option<String> {
        let rule = self.focus.rule.as_ref()?;
        let containers = (self.context.containers_in)(&self.scope, self.focus.time.as_ref());
        if containers.is_empty() {
            return None;
        }
        let rule_term = term(Dimension::Rule, Operator::Equal, vec![rule.clone()]);
        let terms: Vec<String> =
            self.focus_terms(FocusLevel::All).into_iter().filter(|kept| *kept != rule_term).collect();
        let without_the_rule = self.scope_text(&terms, true);
        Some(and_text(&without_the_rule, &term(Dimension::ContainerId, operator_for(containers.len()), containers)))
    }

    /// The calls that ground notices: the asked name in the scope (an empty set whose evidence
    /// note lists what exists), then the suggestions or candidates grouped by their dimension.
    pub fn notice_calls(&self, notices: &[Notice]) -> Vec<PlannedCall> {
        let mut calls = Vec::new();
        for notice in notices {
            let (entity, asked, values) = match notice {
                Notice::NotFound { entity, name, suggestions } => (entity, Some(name), suggestions),
                Notice::Ambiguous { entity, candidates, .. } => (entity, None, candidates),
            };
            let Some(dimension) = Dimension::by_alias(entity) else { continue };
            let above = self.scope_text(&self.focus_terms(FocusLevel::Above(dimension)), false);
            let grouping = grouping_of(dimension);
            if let Some(asked) = asked {
                let scope = and_text(&above, &term(dimension, Operator::Equal, vec![asked.clone()]));
                calls.push(PlannedCall {
                    tool: "event_stats",
                    arguments: merge(&self.window(&scope), json!({"group_by": [grouping], "limit": 5})),
                });
            }
            if !values.is_empty() {
                let scope = and_text(&above, &term(dimension, Operator::In, values.clone()));
                calls.push(PlannedCall {
                    tool: "event_stats",
                    arguments: merge(
                        &self.window(&scope),
                        json!({"group_by": [grouping], "limit": values.len().max(1)}),
                    ),
                });
            }
        }
        calls
    }

    /// The second `impacted_workloads` call of a focused incident: the same detections across
    /// the analyst's scope (the blast radius beyond the namespace, workload or pod in focus).
    fn blast_radius(&self) -> Option<PlannedCall> {
        let narrowed = self.focus.namespace.is_some()
            || self.focus.workload.is_some()
            || self.focus.pod.is_some()
            || self.focus.container.is_some();
        if !narrowed {
            return None;
        }
        let rules = (self.context.rules_in)(&self.scope, self.focus.time.as_ref());
        // Generic detections (interactive shells, API-server contact, package managers) fire
        // for other incidents and daily operations too: across the cluster they would list
        // workloads this incident never touched.
        let specific: Vec<String> =
            rules.iter().filter(|rule| !is_generic((self.context.rule_category)(rule))).cloned().collect();
        let rules = if specific.is_empty() { rules } else { specific };
        if rules.is_empty() || rules.len() > INCIDENT_RULES {
            return None;
        }
        let wider = self.scope_text(&self.focus_terms(FocusLevel::Above(Dimension::Namespace)), true);
        let scope = and_text(&wider, &term(Dimension::Rule, Operator::In, rules));
        Some(PlannedCall { tool: "impacted_workloads", arguments: self.window(&scope) })
    }

    /// What the question leaves out ("anything other than ledger-api affected?", 「wordpress
    /// 以外にも」), counted on its own: the answer says what was set aside, so that "nothing
    /// else" is read against it. The turn's scope with each exclusion of this question turned
    /// into the equality it negated.
    fn left_out(&self) -> Option<PlannedCall> {
        if self.entities.excluded.is_empty() {
            return None;
        }
        let mut scope = self.scope.clone();
        for (dimension, value) in &self.entities.excluded {
            let negated = term(*dimension, Operator::NotEqual, vec![value.clone()]);
            let kept = term(*dimension, Operator::Equal, vec![value.clone()]);
            scope = scope.replace(&negated, &kept);
        }
        (scope != self.scope).then(|| PlannedCall {
            tool: "event_stats",
            arguments: merge(&self.window(&scope), json!({"group_by": ["workload", "pod"], "limit": 5})),
        })
    }

    fn comparison(&self) -> PlannedCall {
        let mut arguments = Map::new();
        if !self.scope.is_empty() {
            arguments.insert("scope".into(), json!(self.scope));
        }
        if let Some(category) = self.category {
            arguments.insert("category".into(), json!(category));
        }
        if !self.entities.rules.is_empty() {
            arguments.insert("rules".into(), json!(self.entities.rules));
        }
        if !self.entities.tactics.is_empty() {
            arguments.insert("tactics".into(), json!(self.entities.tactics));
        }
        // Calendar words name the periods compared ("this week vs last week", 「昨日と今日」):
        // the comparison is of whole rolling days or weeks ending now.
        let daily = self.question.has_any(&["today", "yesterday", "day over day", "今日", "昨日", "前日", "本日"]);
        let weekly = self.question.has_any(&["this week", "last week", "今週", "先週", "前週"]);
        match &self.focus.time {
            Some(time) if time.last.is_some() => {
                arguments.insert("last".into(), json!(time.last));
            }
            Some(TimeFocus { since: Some(since), until: Some(until), .. }) if !daily && !weekly => {
                arguments.insert("since".into(), json!(since));
                arguments.insert("until".into(), json!(until));
            }
            _ => {
                arguments.insert("period".into(), json!(if daily && !weekly { "day" } else { "week" }));
            }
        }
        PlannedCall { tool: "compare_periods", arguments: Value::Object(arguments) }
    }

    fn explanation(&self, window: &Value) -> Vec<PlannedCall> {
        if let Some(id) = &self.entities.alert_id {
            return vec![PlannedCall { tool: "explain_event", arguments: json!({"alert_id": id}) }];
        }
        // Values pasted from an alert ("why did falco flag `cat /proc/1/environ`"): the newest
        // alert they find is the one explained (of the rule named with them, if any).
        if !self.entities.values.is_empty() {
            let query: Vec<String> = self.entities.values.iter().map(|value| value.search_term()).collect();
            let mut arguments = json!({"query": query.join(" ")});
            if let (Some(rule), Value::Object(map)) = (self.entities.rules.first(), &mut arguments) {
                map.insert("rule".into(), json!(rule));
            }
            return vec![PlannedCall { tool: "explain_event", arguments: merge(window, arguments) }];
        }
        let rule = self
            .entities
            .rules
            .first()
            .cloned()
            .or_else(|| self.focus.rule.clone())
            .or_else(|| (self.context.rules_in)(&self.scope, self.focus.time.as_ref()).into_iter().next());
        match rule {
            Some(rule) => vec![PlannedCall { tool: "explain_event", arguments: merge(window, json!({"rule": rule})) }],
            None => vec![PlannedCall { tool: "search_events", arguments: merge(window, json!({"limit": 5})) }],
        }
    }

    /// A call about specific alerts: the one named by its id, else those of the window.
    fn on_alerts(&self, tool: &'static str, window: &Value) -> PlannedCall {
        match self.entities.alert_id.as_ref().or(self.focus.alert_id.as_ref()) {
            Some(id) => PlannedCall { tool, arguments: json!({"alert_id": id}) },
            None => PlannedCall { tool, arguments: window.clone() },
        }
    }

    /// `generate_exception` for the alerts in focus; when they span several rules and the
    /// question names none, the rule its words describe (「ネットワークツール」 → Launch Suspicious
    /// Network Tool in Container), so the exception is for one rule as Falco needs.
    fn exception_call(&self, window: &Value) -> PlannedCall {
        let mut call = self.on_alerts("generate_exception", window);
        if call.arguments.get("alert_id").is_none() && self.entities.rules.is_empty() && self.focus.rule.is_none() {
            let rules = (self.context.rules_in)(&self.scope, self.focus.time.as_ref());
            // Else the one detection of the scope that is not a generic one: the network tool
            // launched in netshoot, not the interactive shell it was launched from.
            let chosen = || {
                let mut specific = rules.iter().filter(|rule| !is_generic((self.context.rule_category)(rule)));
                match (specific.next(), specific.next()) {
                    (Some(only), None) => Some(only.clone()),
                    _ => None,
                }
            };
            if rules.len() > 1
                && let Some(rule) = rule_described_by(self.question, &rules).or_else(chosen)
                && let Value::Object(arguments) = &mut call.arguments
            {
                arguments.insert("rule".into(), json!(rule));
            }
        }
        call
    }

    fn search_query(&self) -> Option<String> {
        // Quoted words first, then the values pasted in ("search: nc -e /bin/sh ..."), then the
        // word after a search cue ("search apache2").
        let pasted = || {
            let terms: Vec<String> = self.entities.values.iter().map(|value| value.search_term()).collect();
            (!terms.is_empty()).then(|| terms.join(" "))
        };
        let cue_word = options::search_query(self.question);
        let names_a_value =
            |word: &String| self.entities.values.iter().any(|value| value.text.eq_ignore_ascii_case(word));
        // A whole alert line pasted in quotes is searched for the values in it (its command
        // line, addresses, paths), not as one phrase: the line a chat tool shows is seldom
        // Falco's output word for word.
        let quoted = self.question.quoted();
        let pasted_alert_line = quoted.iter().any(|part| part.split_whitespace().count() > PASTED_LINE_WORDS);
        let query = if (quoted.is_empty() || pasted_alert_line) && !cue_word.as_ref().is_some_and(names_a_value) {
            pasted().or(cue_word)
        } else {
            cue_word.or_else(pasted)
        };
        let query = query.or_else(|| super::values::japanese_search_term(self.question))?;
        // A quoted rule name is already in the scope.
        let unquoted = query.trim_matches('"');
        (!self.entities.rules.iter().any(|rule| rule.eq_ignore_ascii_case(unquoted))).then_some(query)
    }

    /// The scope terms of the focus at or above a level, plus (for `All`) what only this
    /// question adds: images, hosts, further rules, techniques, tactics, severities, pasted
    /// terms.
    fn focus_terms(&self, level: FocusLevel) -> Vec<String> {
        let focus = self.focus;
        let keep = |dimension: Dimension| match level {
            FocusLevel::All => true,
            FocusLevel::Above(limit) => rank(dimension) < rank(limit),
        };
        let mut terms = Vec::new();
        let mut push = |dimension: Dimension, value: &Option<String>| {
            if let Some(value) = value
                && keep(dimension)
            {
                terms.push(term(dimension, Operator::Equal, vec![value.clone()]));
            }
        };
        push(Dimension::Cluster, &focus.cluster);
        push(Dimension::Namespace, &focus.namespace);
        push(Dimension::Workload, &focus.workload);
        push(Dimension::Pod, &focus.pod);
        push(Dimension::ContainerId, &focus.container);
        if matches!(level, FocusLevel::All) {
            push(Dimension::Process, &focus.process);
            let rules = &self.entities.rules;
            if rules.len() > 1 {
                terms.push(term(Dimension::Rule, Operator::In, rules.clone()));
            } else {
                push(Dimension::Rule, &focus.rule);
            }
            for dimension in [Dimension::Image, Dimension::Host] {
                if let Some(value) = self.entities.get(dimension) {
                    terms.push(term(dimension, Operator::Equal, vec![value.to_string()]));
                }
            }
            for (dimension, values) in [
                (Dimension::MitreTechnique, &self.entities.techniques),
                (Dimension::MitreTactic, &self.entities.tactics),
            ] {
                if !values.is_empty() {
                    terms.push(term(dimension, operator_for(values.len()), values.clone()));
                }
            }
            let priorities: Vec<String> = self.entities.priorities.iter().map(|p| p.to_string()).collect();
            if let [only] = priorities.as_slice() {
                terms.push(term(Dimension::Priority, Operator::Equal, vec![only.clone()]));
            } else if !priorities.is_empty() {
                terms.push(term(Dimension::Priority, Operator::In, priorities));
            }
            terms.extend(self.entities.pasted_terms.iter().cloned());
            for kept in &focus.one_of {
                if !terms.contains(kept) {
                    terms.push(kept.clone());
                }
            }
        }
        // What the analyst left out stays out, at every level, and so does what this question
        // alone leaves out ("beyond ledger-api?").
        terms.extend(focus.excluded.iter().cloned());
        for (dimension, value) in &self.entities.excluded {
            let excluded = term(*dimension, Operator::NotEqual, vec![value.clone()]);
            if !terms.contains(&excluded) {
                terms.push(excluded);
            }
        }
        terms
    }

    /// Joins terms, leaving out those the analyst's scope already fixes (when `dedupe`).
    fn scope_text(&self, terms: &[String], dedupe: bool) -> String {
        let kept: Vec<&String> = terms
            .iter()
            .filter(|text| {
                !dedupe
                    || !Scope::parse(text)
                        .map(|scope| {
                            let own = equalities(&scope);
                            !own.is_empty() && own.iter().all(|pair| self.analyst_terms.contains(pair))
                        })
                        .unwrap_or(false)
            })
            .collect();
        kept.iter().map(|text| text.as_str()).collect::<Vec<_>>().join(" and ")
    }

    /// `scope` (when not empty) and the focus's time range as tool arguments.
    fn window(&self, scope: &str) -> Value {
        let mut arguments = match self.time_only() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if !scope.is_empty() {
            arguments.insert("scope".into(), json!(scope));
        }
        Value::Object(arguments)
    }

    fn time_only(&self) -> Value {
        let mut arguments = Map::new();
        if let Some(time) = &self.focus.time {
            for (key, value) in [("since", &time.since), ("until", &time.until), ("last", &time.last)] {
                if let Some(value) = value {
                    arguments.insert(key.into(), json!(value));
                }
            }
        }
        Value::Object(arguments)
    }
}

/// Words of rule names that describe no behaviour.
const RULE_STOP_WORDS: &[&str] = &[
    "container",
    "containers",
    "launch",
    "detect",
    "from",
    "with",
    "into",
    "below",
    "above",
    "non",
    "the",
    "and",
    "for",
    "new",
    "activity",
    "activities",
    "process",
    "untrusted",
];

/// Japanese words for the behaviours rule names describe, with their English words.
const RULE_WORDS_JA: &[(&str, &str)] = &[
    ("ネットワークツール", "network tool"),
    ("ネットワーク", "network"),
    ("ツール", "tool"),
    ("リバースシェル", "reverse shell"),
    ("シェル", "shell"),
    ("パッケージ", "package"),
    ("ログ", "log"),
    ("認証情報", "credentials"),
    ("秘密鍵", "private keys"),
    ("パスワード", "passwords"),
    ("マイナー", "miners"),
    ("メタデータ", "metadata"),
    ("機密ファイル", "sensitive file"),
    ("ドリフト", "drift"),
    ("偵察", "reconnaissance"),
];

/// The one rule among `rules` whose name's words the question uses most (none on a tie).
fn rule_described_by(question: &Question, rules: &[String]) -> Option<String> {
    let mut words = question.folded.clone();
    for (japanese, english) in RULE_WORDS_JA {
        if question.folded.contains(japanese) {
            words.push(' ');
            words.push_str(english);
        }
    }
    let scored: Vec<(usize, &String)> = rules
        .iter()
        .map(|rule| {
            let lower = rule.to_lowercase();
            let hits = lower
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|word| word.len() >= 3 && !RULE_STOP_WORDS.contains(word))
                .filter(|word| super::text::find_phrase(&words, word).is_some())
                .count();
            (hits, rule)
        })
        .collect();
    let best = scored.iter().map(|(hits, _)| *hits).max().filter(|hits| *hits > 0)?;
    match scored.iter().filter(|(hits, _)| *hits == best).collect::<Vec<_>>().as_slice() {
        [(_, rule)] => Some((*rule).clone()),
        _ => None,
    }
}

/// Which focus terms to keep.
#[derive(Debug, Clone, Copy)]
enum FocusLevel {
    /// Everything in focus and added by the question.
    All,
    /// Only the objects above a level (the cluster above a namespace, ...).
    Above(Dimension),
}

/// Containment order of Kubernetes objects (lower contains higher).
/// Categories of detections that are not specific to one incident.
fn is_generic(category: Category) -> bool {
    matches!(category, Category::Execution | Category::KubernetesActivity | Category::Other | Category::FalcoInternal)
}

/// How broad an object is: clusters hold namespaces, which hold workloads, then pods,
/// containers and the rest.
pub(super) fn rank(dimension: Dimension) -> u8 {
    match dimension {
        Dimension::Cluster => 0,
        Dimension::Namespace => 1,
        Dimension::Workload => 2,
        Dimension::Pod => 3,
        Dimension::ContainerId => 4,
        _ => 5,
    }
}

/// The `event_stats` grouping of a dimension.
fn grouping_of(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Cluster => "cluster",
        Dimension::Namespace => "namespace",
        Dimension::Workload => "workload",
        Dimension::Pod => "pod",
        Dimension::ContainerId => "container",
        Dimension::Image => "image",
        Dimension::Process => "process",
        Dimension::Host => "host",
        Dimension::User => "user",
        _ => "rule",
    }
}

fn operator_for(count: usize) -> Operator {
    if count == 1 { Operator::Equal } else { Operator::In }
}

/// One comparison as scope text.
pub(super) fn term(dimension: Dimension, operator: Operator, values: Vec<String>) -> String {
    ScopeExpr::compare(FieldRef::Dimension(dimension), operator, values).to_string()
}

fn and_text(left: &str, right: &str) -> String {
    match (left.is_empty(), right.is_empty()) {
        (true, _) => right.to_string(),
        (_, true) => left.to_string(),
        _ => format!("{left} and {right}"),
    }
}

/// The `field=value` comparisons a scope requires (its top-level conjuncts).
fn equalities(scope: &Scope) -> Vec<(FieldRef, String)> {
    fn walk(expr: &ScopeExpr, out: &mut Vec<(FieldRef, String)>) {
        match expr {
            ScopeExpr::And(left, right) => {
                walk(left, out);
                walk(right, out);
            }
            ScopeExpr::Compare(comparison) if comparison.operator == Operator::Equal => {
                if let Some(value) = comparison.values.first() {
                    out.push((comparison.field.clone(), value.clone()));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(expr) = scope.expr() {
        walk(expr, &mut out);
    }
    out
}

/// Only a scope (when not empty) as tool arguments.
fn scope_only(scope: &str) -> Value {
    if scope.is_empty() { json!({}) } else { json!({ "scope": scope }) }
}

/// `base` with the entries of `extra` added.
fn merge(base: &Value, extra: Value) -> Value {
    let mut merged = base.as_object().cloned().unwrap_or_default();
    if let Value::Object(extra) = extra {
        merged.extend(extra);
    }
    Value::Object(merged)
}

/// More words than this in one quoted part make it a pasted alert line rather than a phrase.
const PASTED_LINE_WORDS: usize = 8;

/// The current period of a `compare_periods` call as an `event_stats` window: its scope, and
/// its `last`, `since`/`until`, or the rolling day or week its `period` names.
fn compared_window(comparison: &Value) -> Value {
    let mut window = Map::new();
    for key in ["scope", "last", "since", "until"] {
        if let Some(value) = comparison.get(key) {
            window.insert(key.into(), value.clone());
        }
    }
    if let Some(period) = comparison.get("period").and_then(Value::as_str) {
        window.insert("last".into(), json!(if period == "day" { "1d" } else { "7d" }));
    }
    Value::Object(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_a_question_describes() {
        let rules = vec![
            "Launch Suspicious Network Tool in Container".to_string(),
            "Terminal shell in container".to_string(),
            "Launch Package Management Process in Container".to_string(),
        ];
        let describe = |text: &str| rule_described_by(&Question::new(text), &rules);
        assert_eq!(
            describe(
                "dev 名前空間の netshoot イメージでのネットワークツール実行は想定内です。検知除外の例外を書いてください。"
            ),
            Some("Launch Suspicious Network Tool in Container".to_string())
        );
        assert_eq!(describe("Silence the package management alerts."), Some(rules[2].clone()));
        assert_eq!(
            describe("Write an exception for these alerts."),
            None,
            "nothing described: the tool lists the rules"
        );
    }
}
