//! Entity linking: the clusters, namespaces, workloads, pods, processes, images, hosts, rules,
//! alert ids, MITRE technique IDs and severities a question names, matched against the values
//! actually present in the store. A name that matches nothing, or several values, becomes a
//! notice instead of a guess.

use saker_tools::scope::{Dimension, FieldRef, Operator};

use super::calls::term;
use super::command_line::{command_lines, inside};
use super::text::{Question, Token};
use super::values::{PastedValue, is_literal, pasted_values};
use super::vocabulary::{LINKED, Vocabulary};
use super::words::words;
use super::{intent, options};
use crate::conversation::quote_value;
use crate::planner::plan::Notice;

/// What the question names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entities {
    /// Linked values per dimension (cluster, namespace, workload, pod, process, image, host,
    /// container id), at most one per dimension, in the order found.
    pub linked: Vec<(Dimension, String)>,
    /// Rules named in the question (as stored).
    pub rules: Vec<String>,
    /// Those of [`Entities::rules`] linked by one distinctive word of their names ("cron"),
    /// not by name: the loosest link, the first left out when the names together match nothing.
    pub rules_by_word: Vec<String>,
    /// An alert id.
    pub alert_id: Option<String>,
    /// MITRE technique IDs (`T1059.004`).
    pub techniques: Vec<String>,
    /// MITRE tactic IDs (`TA0043`).
    pub tactics: Vec<String>,
    /// Priorities asked for ("critical alerts"): canonical lowercase names.
    pub priorities: Vec<&'static str>,
    /// Scope terms pasted into the question (`k8s.ns.name=foo`), in scope syntax.
    pub pasted_terms: Vec<String>,
    /// Further values of a dimension already linked ("tcpdump and nc"): with the first, they
    /// become one `in` term of [`Entities::pasted_terms`] and of [`Entities::one_of`].
    pub additional: Vec<(Dimension, String)>,
    /// The `in` terms of several values of one kind named together (`proc.name in (tcpdump,
    /// nc)`), which the focus keeps.
    pub one_of: Vec<String>,
    /// Linked values the question leaves out ("excluding gitlab-runner", 「ci 以外」).
    pub excluded: Vec<(Dimension, String)>,
    /// Whether the exclusions ask only whether the incident reached beyond them ("has it spread
    /// beyond ledger-api?", 「ledger-api 以外にも広がってる?」): they hold for this question, not
    /// for the turns after it, which are still about the object left out.
    pub excluded_for_this_question: bool,
    /// Names that matched nothing or several values.
    pub notices: Vec<Notice>,
    /// Literal values pasted into the question (addresses, ports, paths, domains, users) that
    /// are neither a linked name nor part of a named rule: what a search looks for.
    pub values: Vec<PastedValue>,
}

impl Entities {
    /// The linked value of `dimension`.
    pub fn get(&self, dimension: Dimension) -> Option<&str> {
        self.linked.iter().find(|(linked, _)| *linked == dimension).map(|(_, value)| value.as_str())
    }

    /// True when the question names any object to scope by.
    pub fn names_anything(&self) -> bool {
        !self.linked.is_empty()
            || !self.excluded.is_empty()
            || !self.rules.is_empty()
            || self.alert_id.is_some()
            || !self.techniques.is_empty()
            || !self.pasted_terms.is_empty()
    }
}

/// Words that may also be process or object names ("find", "top") but, in a question, are
/// almost always English: linked only when quoted or next to a dimension word.
const COMMON_WORDS: &[&str] = &[
    "a", "about", "alert", "alerts", "all", "and", "any", "are", "at", "attack", "by", "can", "cat", "cause", "date",
    "did", "do", "env", "event", "events", "file", "find", "for", "from", "give", "grep", "groups", "head", "how",
    "id", "in", "install", "is", "it", "join", "kill", "last", "less", "link", "list", "make", "me", "more", "most",
    "my", "of", "on", "or", "path", "ps", "root", "script", "show", "sleep", "sort", "tail", "test", "the", "this",
    "time", "to", "top", "true", "users", "w", "wall", "was", "watch", "were", "what", "which", "who", "why", "with",
    "write", "yes",
];

/// Words that tell which kind of object a nearby name is.
const DIMENSION_WORDS: &[(Dimension, &[&str])] = &[
    (Dimension::Namespace, &["namespace", "namespaces", "ns", "名前空間", "ネームスペース"]),
    (
        Dimension::Workload,
        &["workload", "workloads", "deployment", "daemonset", "statefulset", "ワークロード", "デプロイメント"],
    ),
    (Dimension::Pod, &["pod", "pods", "ポッド"]),
    (Dimension::Cluster, &["cluster", "clusters", "クラスタ", "クラスター"]),
    (Dimension::Process, &["process", "processes", "binary", "プロセス", "バイナリ"]),
    (Dimension::Image, &["image", "images", "イメージ"]),
    (Dimension::Host, &["host", "hosts", "node", "nodes", "ホスト", "ノード"]),
    (Dimension::ContainerId, &["container id", "container", "コンテナ"]),
];

/// Links the names in `question` against `vocabulary`.
pub fn link(question: &Question, vocabulary: &Vocabulary) -> Entities {
    let mut entities = Entities {
        pasted_terms: pasted_terms(question),
        rules: vocabulary.rules_in(&question.folded),
        ..Entities::default()
    };
    for quoted in question.quoted() {
        if let Some(rule) = vocabulary.rule(&quoted)
            && !entities.rules.iter().any(|known| known == rule)
        {
            entities.rules.push(rule.to_string());
        }
    }
    if entities.rules.is_empty()
        && let Some(rule) = vocabulary.rule_nearly_named(&question.folded)
    {
        entities.rules.push(rule);
    }
    let quoted: Vec<String> = question.quoted().iter().map(|part| part.to_lowercase()).collect();
    let rule_spans: Vec<(usize, usize)> = entities
        .rules
        .iter()
        .filter_map(|rule| {
            let lower = rule.to_lowercase();
            question.folded.find(&lower).map(|start| (start, start + lower.len()))
        })
        .collect();
    // The fields and values of pasted terms are not linked again.
    let pasted_words: Vec<String> = entities
        .pasted_terms
        .iter()
        .flat_map(|term| term.split(['=', '!', '"']).map(str::to_lowercase).collect::<Vec<_>>())
        .filter(|word| !word.is_empty())
        .collect();

    // The words of a pasted command line are searched for together, not linked one by one.
    let commands = command_lines(question);
    // A user named as one ("user www-data") is a value to search for, not a missing name.
    let users: Vec<String> = pasted_values(question)
        .into_iter()
        .filter(|value| value.kind == super::values::ValueKind::User)
        .map(|value| value.text)
        .collect();
    for token in question.tokens() {
        if rule_spans.iter().any(|(start, end)| token.start >= *start && token.end <= *end) {
            continue;
        }
        if inside(&commands, token.start, token.end) {
            // Its program (one of its first two words: "why did falco flag nc -e ..."), when
            // the alerts know it, is the process the question is about.
            if commands.iter().any(|command| command.leads_with(token.start))
                && entities.get(Dimension::Process).is_none()
                && !names_a_parent_before(question, token.start)
                && let Some((_, program)) =
                    vocabulary.exact(token.text).iter().find(|(dimension, _)| *dimension == Dimension::Process)
            {
                add(&mut entities, Dimension::Process, program.clone());
            }
            continue;
        }
        if pasted_words.iter().any(|word| word == token.text || token.text.starts_with(&format!("{word}."))) {
            continue;
        }
        if users.iter().any(|user| user == token.text) && vocabulary.exact(token.text).is_empty() {
            continue;
        }
        if is_literal(token.text) && !quoted.iter().any(|part| part == token.text) {
            // Addresses, paths and domains are searched for (see `values`), but a stored name
            // that looks like one (a dotted host name) is still linked.
            if !vocabulary.exact(token.text).is_empty() {
                link_token(question, vocabulary, token, false, &mut entities);
            }
            continue;
        }
        if let Some(id) = technique_id(token.text) {
            let list = if id.starts_with("TA") { &mut entities.tactics } else { &mut entities.techniques };
            if !list.contains(&id) {
                list.push(id);
            }
            continue;
        }
        if is_alert_id(token.text) {
            entities.alert_id.get_or_insert_with(|| token.text.to_string());
            continue;
        }
        if let Some(term) = wildcard_term(question, vocabulary, token) {
            if !entities.pasted_terms.contains(&term) {
                entities.pasted_terms.push(term);
            }
            continue;
        }
        link_token(question, vocabulary, token, quoted.iter().any(|part| part == token.text), &mut entities);
    }
    entities.priorities = priorities(question);
    let (excluded, kept): (Vec<_>, Vec<_>) =
        entities.linked.drain(..).partition(|(_, value)| left_out(question, value));
    entities.linked = kept;
    entities.excluded_for_this_question = !excluded.is_empty() && asks_beyond(question);
    entities.excluded = excluded;
    merge_additional(&mut entities);
    let named = |text: &str| {
        entities.linked.iter().any(|(_, value)| value.eq_ignore_ascii_case(text))
            || entities.rules.iter().any(|rule| rule.to_lowercase().contains(text))
    };
    let values = pasted_values(question).into_iter().filter(|value| !named(&value.text)).collect();
    entities.values = values;
    entities
}

/// Words before a pasted command that say it is the parent's ("parent cmdline "bash x.sh"",
/// 「親プロセス」): its program is not the process the alerts are of.
fn names_a_parent_before(question: &Question, start: usize) -> bool {
    let before = &question.folded[..start];
    let near = before.char_indices().rev().nth(40).map_or(before, |(at, _)| &before[at..]);
    ["parent", "pcmdline", "pname", "spawned by", "started by", "親"].iter().any(|word| near.contains(word))
}

/// An image named with its tag ("httpd:2.4", "netshoot:latest"): the repository part, when the
/// tag is a version-like word.
fn without_image_tag(text: &str) -> Option<&str> {
    let (name, tag) = text.rsplit_once(':')?;
    let tag_like = !tag.is_empty()
        && tag.len() <= 32
        && tag.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_'));
    (tag_like && !name.is_empty() && !name.contains("//") && !name.ends_with(':')).then_some(name)
}

fn link_token(question: &Question, vocabulary: &Vocabulary, token: Token<'_>, quoted: bool, entities: &mut Entities) {
    // "image httpd:2.4": the repository is the name; its tag is no part of it.
    if let Some(name) = without_image_tag(token.text)
        && vocabulary.exact(token.text).is_empty()
        && hinted_dimensions(question, token).contains(&Dimension::Image)
    {
        let mut found = vocabulary.exact(name).to_vec();
        found.extend(vocabulary.by_part(name));
        found.dedup();
        let mut holders = found.into_iter().filter(|(found, _)| *found == Dimension::Image);
        if let (Some((_, only)), None) = (holders.next(), holders.next()) {
            add(entities, Dimension::Image, only);
            return;
        }
    }
    let text = token.text;
    let hinted = hinted_dimensions(question, token);
    // A common word ("find", "id", "top") is a name only when quoted or introduced by its
    // kind ("process find", 「id プロセス」).
    let is_common = COMMON_WORDS.contains(&text) || text.chars().count() < 2;
    let introduced_as = adjacent_keyword(question, token);
    if is_common && !quoted && introduced_as.is_none() {
        return;
    }
    let exact = vocabulary.exact(text);
    // A value of one kind right before the word for another ("the data cluster", where `data`
    // is a namespace) describes the one value of that other kind that has it as a part.
    if !exact.is_empty()
        && let Some(kind) = kind_right_after(question, token)
        && !exact.iter().any(|(dimension, _)| *dimension == kind)
    {
        let mut holders = vocabulary.by_part(text).into_iter().filter(|(found, _)| *found == kind);
        if let (Some((dimension, only)), None) = (holders.next(), holders.next()) {
            add(entities, dimension, only);
            return;
        }
    }
    if !exact.is_empty() {
        let hints: Vec<Dimension> = introduced_as.into_iter().chain(hinted.iter().copied()).collect();
        if let Some((dimension, value)) = choose(exact.to_vec(), &hints) {
            if is_common && !quoted && introduced_as != Some(dimension) {
                return;
            }
            add(entities, dimension, value);
        }
        return;
    }
    let plain = !quoted && introduced_as.is_none() && hinted.is_empty() && asks_nothing_by_itself(text);
    // A distinctive word of rule names ("Stratum", "drift") names those rules.
    if plain && text.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        let rules = vocabulary.rules_by_word(text);
        if !rules.is_empty() && !part_of_a_phrase(question, token) {
            for rule in rules {
                if !entities.rules.contains(rule) {
                    entities.rules.push(rule.clone());
                    entities.rules_by_word.push(rule.clone());
                }
            }
            return;
        }
    }
    let name_like = looks_like_a_name(text) || looks_like_a_name_here(question, token);
    // A plain word next to a word for an incident or an application ("the ledger incident",
    // 「ledger のインシデント」) names the one value of its kind that has it as a part.
    if plain
        && !name_like
        && text.chars().count() >= 4
        && next_to_an_object_noun(question, token)
        && !part_of_a_phrase(question, token)
    {
        let mut found = vocabulary.by_prefix(text);
        found.extend(vocabulary.by_part(text));
        let dimension = preferred_dimension(found.iter().map(|(dimension, _)| *dimension), &[]);
        let mut candidates = found.into_iter().filter(|(found, _)| *found == dimension).map(|(_, value)| value);
        if let (Some(only), None) = (candidates.next(), candidates.next()) {
            add(entities, dimension, only);
        }
        return;
    }
    if text.contains('-')
        && vocabulary.by_prefix(text).is_empty()
        && let Some(dimension) = vocabulary.misspelt(text)
    {
        entities.notices.push(Notice::NotFound {
            entity: dimension.name().to_string(),
            name: text.to_string(),
            suggestions: vocabulary.closest(dimension, text, 3),
        });
        return;
    }
    if !(name_like || quoted || !hinted.is_empty()) || text.chars().count() < 3 {
        return;
    }
    let mut by_prefix = vocabulary.by_prefix(text);
    if by_prefix.is_empty() && name_like {
        by_prefix = vocabulary.by_part(text);
    }
    // A part of a name right before its kind ("the shield cluster", 「shieldクラスタ」 for
    // risks-aws-eks-workloads-shield), when one value of that kind has it.
    if by_prefix.is_empty()
        && let Some(kind) = kind_right_after(question, token)
    {
        let parts = vocabulary.by_part(text);
        let holders: Vec<String> =
            parts.iter().filter(|(found, _)| *found == kind).map(|(_, value)| value.clone()).collect();
        match holders.as_slice() {
            [only] => {
                add(entities, kind, only.clone());
                return;
            }
            // "the bedrock-java pods": the pods of the one workload that has the part, or
            // every one of that kind that has it.
            [_, _, ..] if holders.len() <= 8 && means_all_of_them(question) => {
                let mut owners = parts.iter().filter(|(found, _)| *found == Dimension::Workload);
                if matches!(kind, Dimension::Pod | Dimension::ContainerId)
                    && let (Some((_, owner)), None) = (owners.next(), owners.next())
                {
                    add(entities, Dimension::Workload, owner.clone());
                    return;
                }
                let term = term(kind, Operator::In, holders);
                if !entities.pasted_terms.contains(&term) {
                    entities.pasted_terms.push(term);
                }
                return;
            }
            _ => {}
        }
    }
    if !by_prefix.is_empty() {
        let dimension = preferred_dimension(by_prefix.iter().map(|(dimension, _)| *dimension), &hinted);
        let candidates: Vec<String> =
            by_prefix.iter().filter(|(found, _)| *found == dimension).map(|(_, value)| value.clone()).collect();
        if let [only] = candidates.as_slice() {
            add(entities, dimension, only.clone());
        } else if hinted.first() == Some(&dimension)
            && means_all_of_them(question)
            && let Some(prefix) =
                candidates.first().map(|first| first.chars().take(text.chars().count() + 1).collect::<String>())
        {
            // "the prod clusters", 「risk-10 の Pod 両方」: every one of that kind named so.
            let term = term(dimension, Operator::StartsWith, vec![prefix]);
            if !entities.pasted_terms.contains(&term) {
                entities.pasted_terms.push(term);
            }
        } else {
            entities.notices.push(Notice::Ambiguous {
                entity: dimension.name().to_string(),
                name: text.to_string(),
                candidates: candidates.into_iter().take(8).collect(),
            });
        }
        return;
    }
    let named = named_by_keyword(question, token)
        .or_else(|| named_by_following_keyword(question, token))
        .filter(|_| !keyword_closes_a_name(question, vocabulary, token));
    if name_like || named.is_some() {
        if is_vocabulary_word(text) || in_brackets(question, token) {
            return;
        }
        let dimension =
            named.or_else(|| hinted.first().copied()).unwrap_or_else(|| likeliest_dimension(vocabulary, text));
        entities.notices.push(Notice::NotFound {
            entity: dimension.name().to_string(),
            name: text.to_string(),
            suggestions: vocabulary.closest(dimension, text, 3),
        });
    }
}

/// Whether the token stands in square brackets, as a ticket reference does ("[SEC-4412]"):
/// not a name to look up, nor to report missing.
fn in_brackets(question: &Question, token: Token<'_>) -> bool {
    let before = question.folded[..token.start].trim_end();
    let after = question.folded[token.end..].trim_start();
    (before.ends_with('[') && after.starts_with(']')) || (token.text.starts_with('[') && token.text.ends_with(']'))
}

/// The kind of object a word right after the token names ("shield cluster", 「shieldクラスタ」).
fn kind_right_after(question: &Question, token: Token<'_>) -> Option<Dimension> {
    let after = question.folded[token.end..].trim_start();
    DIMENSION_WORDS.iter().find_map(|(dimension, words)| {
        words
            .iter()
            .any(|word| {
                after
                    .strip_prefix(word)
                    .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_ascii_alphanumeric()))
            })
            .then_some(*dimension)
    })
}

/// A name with a wildcard ("the risk-* pods", `ledger*`): every value of its kind that starts
/// so, as a `startswith` term; `None` when the token has no `*` after it or nothing starts so.
fn wildcard_term(question: &Question, vocabulary: &Vocabulary, token: Token<'_>) -> Option<String> {
    let after = &question.folded[token.end..];
    let separators = after.len() - after.trim_start_matches(['-', '_', '.']).len();
    if !after[separators..].starts_with('*') || token.text.chars().count() < 2 {
        return None;
    }
    let prefix = &question.folded[token.start..token.end + separators];
    let stem = token.text.trim_end_matches(['-', '_', '.']);
    let mut found = vocabulary.by_prefix(stem);
    found.extend(vocabulary.exact(stem).iter().cloned());
    let found: Vec<(Dimension, String)> =
        found.into_iter().filter(|(_, value)| value.to_lowercase().starts_with(prefix)).collect();
    if found.is_empty() {
        return None;
    }
    let hinted = hinted_dimensions(question, token);
    let dimension = preferred_dimension(found.iter().map(|(dimension, _)| *dimension), &hinted);
    let stored = found.iter().find(|(candidate, _)| *candidate == dimension).map(|(_, value)| value)?;
    // The prefix as stored (the question is folded to lowercase).
    let stored_prefix: String = stored.chars().take(prefix.chars().count()).collect();
    Some(term(dimension, Operator::StartsWith, vec![stored_prefix]))
}

/// Whether the question leaves the linked `value` out: "without gitlab-runner", 「ci 以外」.
fn left_out(question: &Question, value: &str) -> bool {
    let lower = value.to_lowercase();
    // The value as written, or the part of it the question named it by ("besides the shield
    // one" for risks-aws-eks-workloads-shield).
    let mention = if super::text::find_phrase(&question.folded, &lower).is_some() {
        lower
    } else {
        match question.tokens().into_iter().find(|token| token.text.len() >= 4 && lower.contains(token.text)) {
            Some(token) => token.text.to_string(),
            None => return false,
        }
    };
    let lower = mention;
    let Some(start) = super::text::find_phrase(&question.folded, &lower) else {
        return false;
    };
    let (before, after) = question.around(start, start + lower.len(), 16);
    let before = before.trim_end();
    let before = before.strip_suffix("the").unwrap_or(before).trim_end();
    words().excluding.en.iter().any(|word| {
        before
            .strip_suffix(word)
            .is_some_and(|rest| rest.chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric()))
    }) || words().excluding.ja.iter().any(|word| after.trim_start().starts_with(word))
}

/// Whether the question asks if the incident went past its exclusions (see
/// [`Entities::excluded_for_this_question`]).
fn asks_beyond(question: &Question) -> bool {
    question.has_any(&words().beyond.all)
}

/// Whether a word, on its own, says nothing of what is asked: no cue of an intent, no
/// category ("miner", 偵察) and not a common word; only such words may be names.
fn asks_nothing_by_itself(text: &str) -> bool {
    let alone = Question::new(text);
    !COMMON_WORDS.contains(&text) && intent::has_no_cue(&alone) && options::category(&alone).is_none()
}

/// Whether `token` belongs to a phrase that says what is asked or which category ("reverse"
/// in "the reverse shell"): without it, the cues or the category read differently.
fn part_of_a_phrase(question: &Question, token: Token<'_>) -> bool {
    let without = question.without_names(std::iter::once(&token.text.to_string()));
    let cues = |question: &Question| super::lexicon::lexicon().cue_scores(question);
    cues(question) != cues(&without) || options::category(question) != options::category(&without)
}

/// Whether the word after `token` (past a Japanese の) is one of the `object_nouns` words.
fn next_to_an_object_noun(question: &Question, token: Token<'_>) -> bool {
    let (_, after) = question.around(token.start, token.end, 16);
    let after = after.trim_start();
    let after = after.strip_prefix('の').unwrap_or(after).trim_start();
    words().object_nouns.all.iter().any(|noun| {
        after.strip_prefix(noun).is_some_and(|rest| {
            !noun.is_ascii() || rest.chars().next().is_none_or(|next| !next.is_ascii_alphanumeric())
        })
    })
}

fn add(entities: &mut Entities, dimension: Dimension, value: String) {
    match entities.get(dimension) {
        None => entities.linked.push((dimension, value)),
        Some(first) if first != value && !entities.additional.contains(&(dimension, value.clone())) => {
            entities.additional.push((dimension, value));
        }
        Some(_) => {}
    }
}

/// Whether the question means every object of a kind a name could be.
fn means_all_of_them(question: &Question) -> bool {
    question.has_any(&words().all_of_them.all)
}

/// Several values of one dimension ("tcpdump and nc", "risk-3 and risk-7"): one `in` term
/// instead of the first value alone.
fn merge_additional(entities: &mut Entities) {
    let additional = std::mem::take(&mut entities.additional);
    for dimension in LINKED {
        let more: Vec<String> =
            additional.iter().filter(|(found, _)| *found == dimension).map(|(_, value)| value.clone()).collect();
        if more.is_empty() {
            continue;
        }
        let Some(position) = entities.linked.iter().position(|(found, _)| *found == dimension) else { continue };
        let (_, first) = entities.linked.remove(position);
        let values: Vec<String> = std::iter::once(first).chain(more).collect();
        let one_of = term(dimension, Operator::In, values);
        entities.pasted_terms.push(one_of.clone());
        entities.one_of.push(one_of);
    }
}

/// Picks among matches of one name: a hinted dimension first, else the preference order.
fn choose(matches: Vec<(Dimension, String)>, hinted: &[Dimension]) -> Option<(Dimension, String)> {
    let dimension = preferred_dimension(matches.iter().map(|(dimension, _)| *dimension), hinted);
    matches.into_iter().find(|(found, _)| *found == dimension)
}

fn preferred_dimension(found: impl Iterator<Item = Dimension> + Clone, hinted: &[Dimension]) -> Dimension {
    hinted
        .iter()
        .copied()
        .find(|dimension| found.clone().any(|candidate| candidate == *dimension))
        .or_else(|| LINKED.iter().copied().find(|dimension| found.clone().any(|candidate| candidate == *dimension)))
        .unwrap_or(Dimension::Namespace)
}

/// Dimensions named right before or after the token ("namespace risk-10", 「risk-10 名前空間」),
/// nearest first.
fn hinted_dimensions(question: &Question, token: Token<'_>) -> Vec<Dimension> {
    let (before, after) = question.around(token.start, token.end, 14);
    let mut hinted: Vec<(usize, Dimension)> = Vec::new();
    for (dimension, words) in DIMENSION_WORDS {
        for word in *words {
            let after_distance = super::text::find_phrase(after, word);
            let before_distance = before.rfind(word).filter(|&position| {
                let end = position + word.len();
                !word.is_ascii()
                    || (before[..position].chars().next_back().is_none_or(|c| !c.is_ascii_alphanumeric())
                        && before[end..].chars().next().is_none_or(|c| !c.is_ascii_alphanumeric()))
            });
            let distance =
                [after_distance, before_distance.map(|position| before.len() - position)].into_iter().flatten().min();
            if let Some(distance) = distance {
                hinted.push((distance, *dimension));
            }
        }
    }
    hinted.sort();
    let mut dimensions = Vec::new();
    for (_, dimension) in hinted {
        if !dimensions.contains(&dimension) {
            dimensions.push(dimension);
        }
    }
    dimensions
}

/// Words that follow a dimension keyword in prose ("workloads were", "container alerts"),
/// never names.
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "alert",
    "alerts",
    "an",
    "and",
    "are",
    "be",
    "been",
    "called",
    "detected",
    "event",
    "events",
    "had",
    "has",
    "have",
    "in",
    "is",
    "named",
    "of",
    "on",
    "or",
    "that",
    "the",
    "was",
    "were",
    "where",
    "which",
    "with",
    "will",
    "would",
    "should",
    "could",
    "may",
    "might",
    "must",
    "shall",
    "does",
    "got",
    "gets",
    "looks",
    "seems",
    // Saying when or how ("this cluster over the past 7 days", "the pod since monday").
    "over",
    "during",
    "since",
    "until",
    "till",
    "within",
    "today",
    "yesterday",
    "overnight",
    "tonight",
    "lately",
    "recently",
    "now",
    "again",
    "right",
    "just",
    "too",
    "also",
    "only",
    "before",
    "after",
    "past",
    "then",
    "into",
    "through",
    "across",
    "between",
    "around",
    "via",
    "per",
    "each",
    "ever",
    "still",
    "yet",
];

/// Whether a word is prose (a function word, a common word, or an intent's cue), not a name.
pub fn is_prose(word: &str) -> bool {
    FUNCTION_WORDS.contains(&word) || COMMON_WORDS.contains(&word) || says_how_it_is_asked(word)
}

/// Whether a word after a kind word is prose about the question rather than a name: a word
/// that leaves something out or reaches past it ("any cluster besides the shield one") or
/// an intent's cue on its own ("is this cluster trending up").
fn says_how_it_is_asked(word: &str) -> bool {
    let words = words();
    words.excluding.en.contains(&word) || words.beyond.en.contains(&word) || !intent::has_no_cue(&Question::new(word))
}

/// The dimension a name is introduced by: a singular English keyword right before it
/// ("namespace foo", "pod bar") or a Japanese one right after it (「foo 名前空間」).
fn named_by_keyword(question: &Question, token: Token<'_>) -> Option<Dimension> {
    if FUNCTION_WORDS.contains(&token.text) || COMMON_WORDS.contains(&token.text) || says_how_it_is_asked(token.text) {
        return None;
    }
    // Container ids are hex ("container 3f2a9c1e0b7d"); after "container" any other word is
    // prose ("container escape", "... in container" before a pasted `exceptions:`).
    // Pod names always carry a generated suffix: a plain word after "pod" is prose ("which pod
    // talked to ...").
    let plain_word = token.text.bytes().all(|byte| byte.is_ascii_lowercase());
    adjacent_keyword(question, token)
        .filter(|dimension| *dimension != Dimension::ContainerId || looks_like_a_container_id(token.text))
        .filter(|dimension| !(*dimension == Dimension::Pod && plain_word))
}

/// A container id as Falco prints it: 12 (or 64) hexadecimal digits, at least 6 accepted.
fn looks_like_a_container_id(text: &str) -> bool {
    text.len() >= 6 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// True when the English keyword right before `token` ends a name instead of introducing one:
/// in "the web namespace activity", `web` is the namespace and `activity` is prose.
fn keyword_closes_a_name(question: &Question, vocabulary: &Vocabulary, token: Token<'_>) -> bool {
    let before = question.folded[..token.start].trim_end();
    let mut words = before.rsplit(char::is_whitespace);
    let _keyword = words.next();
    words
        .next()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
        .is_some_and(|word| !word.is_empty() && !vocabulary.exact(word).is_empty())
}

/// The dimension keyword right next to a token, whatever the token is.
fn adjacent_keyword(question: &Question, token: Token<'_>) -> Option<Dimension> {
    let (before, after) = question.around(token.start, token.end, 14);
    let before = before.trim_end();
    let after = after.trim_start();
    DIMENSION_WORDS.iter().find_map(|(dimension, words)| {
        words
            .iter()
            .any(|word| {
                if word.is_ascii() {
                    if word.ends_with('s') || *word == "binary" {
                        return false;
                    }
                    // A keyword that ends a name ("risk-7-aws-iam-privileged-node step")
                    // introduces nothing.
                    before.ends_with(word)
                        && before[..before.len() - word.len()]
                            .chars()
                            .next_back()
                            .is_none_or(|c| !c.is_ascii_alphanumeric() && !matches!(c, '-' | '_' | '.' | '/'))
                } else {
                    after.starts_with(word)
                }
            })
            .then_some(*dimension)
    })
}

/// A token shaped like a Kubernetes object name: letters and digits joined by `-`
/// (`risk-10-aws-bedrock-java`, `web-7d9f`), not an English compound (`week-over-week`).
fn looks_like_a_name(text: &str) -> bool {
    !is_a_measure(text)
        && text.contains('-')
        && text.bytes().any(|byte| byte.is_ascii_digit())
        && text.bytes().any(|byte| byte.is_ascii_alphabetic())
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_'))
}

/// The kind of object an unknown name most resembles: the cluster, namespace or workload whose
/// values share the longest start with it (namespace when none does).
fn likeliest_dimension(vocabulary: &Vocabulary, text: &str) -> Dimension {
    let shared = |dimension: Dimension| {
        vocabulary
            .values(dimension)
            .iter()
            .map(|value| value.chars().zip(text.chars()).take_while(|(a, b)| a == b).count())
            .max()
            .unwrap_or(0)
    };
    let mut best = (Dimension::Namespace, shared(Dimension::Namespace));
    for dimension in [Dimension::Cluster, Dimension::Workload] {
        let length = shared(dimension);
        if length > best.1 {
            best = (dimension, length);
        }
    }
    best.0
}

/// Words that describe an object rather than name it ("the whole cluster", "the affected pod").
const ADJECTIVES: &[&str] = &[
    "whole",
    "entire",
    "same",
    "other",
    "affected",
    "impacted",
    "compromised",
    "given",
    "current",
    "previous",
    "first",
    "next",
    "specific",
    "target",
    "suspicious",
    "infected",
    "attacked",
    "vulnerable",
    "relevant",
    "related",
    "above",
    "following",
    "noisiest",
    "busiest",
    "biggest",
    "largest",
    "main",
    "only",
    "single",
    "one",
    "each",
    "every",
    "that",
    "this",
    "its",
    "their",
    "our",
    "your",
    "my",
];

/// English compounds that look like names but are words.
const ENGLISH_COMPOUNDS: &[&str] = &[
    "week-over-week",
    "day-over-day",
    "month-over-month",
    "root-cause",
    "follow-up",
    "follow-ups",
    "write-up",
    "cluster-wide",
    "real-time",
    "high-severity",
    "high-priority",
    "false-positive",
    "true-positive",
    "kill-chain",
    "allow-list",
    "deny-all",
    "step-by-step",
    "end-to-end",
    "up-to-date",
    "in-depth",
    "built-in",
    "read-only",
    "non-root",
    "re-run",
    "pre-prod",
    "t-shirt",
    "e-mail",
    "x-ray",
    "co-worker",
    "well-known",
    "one-off",
];

/// A hyphenated token that reads as a name where it stands: with two hyphens or more
/// (`prod-eu-gke`), after a preposition (`in payment-api`), or inside a Japanese sentence
/// (「payment-api の影響範囲」), unless it is an English compound (`week-over-week`).
fn looks_like_a_name_here(question: &Question, token: Token<'_>) -> bool {
    let text = token.text;
    if !text.contains('-')
        || !text.bytes().any(|byte| byte.is_ascii_alphabetic())
        || ENGLISH_COMPOUNDS.contains(&text)
        || !text
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'-' | b'.' | b'_'))
        || text.starts_with('-')
        || is_a_measure(text)
    {
        return false;
    }
    let (before, _) = question.around(token.start, token.end, 8);
    let after_preposition =
        ["in ", "on ", "from ", "for ", "of ", "at ", "about "].iter().any(|word| before.ends_with(word));
    let japanese = !question.folded.is_ascii();
    text.matches('-').count() >= 2 || after_preposition || japanese
}

/// A number joined to its unit ("30-second", "24-hour", "5-minute"): English, not a name.
fn is_a_measure(text: &str) -> bool {
    text.split_once('-').is_some_and(|(number, unit)| {
        !number.is_empty()
            && number.bytes().all(|byte| byte.is_ascii_digit())
            && !unit.is_empty()
            && unit.bytes().all(|byte| byte.is_ascii_alphabetic())
    })
}

/// The dimension named right after a token in English ("the billing namespace", "in the
/// payments cluster"): the token is introduced by "the", "in" or "of" before it.
fn named_by_following_keyword(question: &Question, token: Token<'_>) -> Option<Dimension> {
    if FUNCTION_WORDS.contains(&token.text)
        || COMMON_WORDS.contains(&token.text)
        || ADJECTIVES.contains(&token.text)
        || !question.folded.is_ascii()
    {
        return None;
    }
    let (before, after) = question.around(token.start, token.end, 14);
    let introduced = ["the ", "in ", "of ", "for "].iter().any(|word| before.ends_with(word));
    if !introduced {
        return None;
    }
    let next = after.trim_start().split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("");
    // Only the nouns of Kubernetes objects: "the malicious binary" names no object.
    const OBJECT_NOUNS: &[(Dimension, &str)] = &[
        (Dimension::Namespace, "namespace"),
        (Dimension::Cluster, "cluster"),
        (Dimension::Workload, "workload"),
        (Dimension::Workload, "deployment"),
        (Dimension::Pod, "pod"),
        (Dimension::Host, "node"),
        (Dimension::Image, "image"),
    ];
    OBJECT_NOUNS.iter().find(|(_, noun)| *noun == next).map(|(dimension, _)| *dimension)
}

/// Tokens that are part of Saker's and Falco's vocabulary, never object names.
fn is_vocabulary_word(text: &str) -> bool {
    matches!(FieldRef::resolve(text), FieldRef::Dimension(_)) || text.starts_with("k8s") || text.starts_with("mitre")
}

/// `T1059`, `t1059.004`, `TA0043` in canonical upper case.
fn technique_id(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let (prefix, rest) =
        if let Some(rest) = upper.strip_prefix("TA") { ("TA", rest) } else { ("T", upper.strip_prefix('T')?) };
    let (main, sub) = match rest.split_once('.') {
        Some((main, sub)) => (main, Some(sub)),
        None => (rest, None),
    };
    let digits = |part: &str, count: usize| part.len() == count && part.bytes().all(|byte| byte.is_ascii_digit());
    let valid = digits(main, 4) && sub.is_none_or(|sub| prefix == "T" && digits(sub, 3));
    valid.then_some(upper)
}

/// A stored alert id: 32 hex digits (Saker's hash) or a UUID (falcosidekick's).
fn is_alert_id(text: &str) -> bool {
    let hex = |part: &str| part.bytes().all(|byte| byte.is_ascii_hexdigit());
    (text.len() == 32 && hex(text) && text.bytes().any(|byte| byte.is_ascii_digit()))
        || (text.len() == 36 && text.split('-').map(str::len).eq([8, 4, 4, 4, 12]) && hex(&text.replace('-', "")))
}

/// Severities named in the question.
fn priorities(question: &Question) -> Vec<&'static str> {
    if question.has_any(&[
        "high severity",
        "high-severity",
        "high priority",
        "high-priority",
        "severe",
        "serious",
        "重大度の高い",
        "重大度が高い",
        "深刻度の高い",
        "優先度の高い",
        "重大な",
        "深刻な",
    ]) {
        vec!["emergency", "alert", "critical", "error"]
    } else if question.has_any(&["critical", "crit", "crits", "criticals", "クリティカル", "緊急"])
        || (question.has("重大") && !question.has("重大度"))
    {
        // "Critical のアラートだけ", "critical only": that priority itself, not those above it.
        let only = (question.has_any(&["only", "just"])
            || ["だけ", "のみ"].iter().any(|word| question.folded.contains(word)))
            && !question.has_any(&["and above", "or above", "or higher", "and up", "以上"]);
        if only { vec!["critical"] } else { vec!["emergency", "alert", "critical"] }
    } else if question.has_any(&["エラー以上", "error and above", "error or above", "error or higher", "errors and up"])
    {
        vec!["emergency", "alert", "critical", "error"]
    } else if question.tokens().iter().any(|token| matches!(token.text, "warn" | "warns" | "warnings"))
        || question.has("警告")
    {
        vec!["warning"]
    } else if question.has("エラー") && question.has_any(&["アラート", "イベント", "検知", "件"]) {
        vec!["error"]
    } else {
        // One of Falco's lower priorities by name, when the question says it is one ("warning
        // alerts", 「Warning のアラート」, "priority notice"): these names are common words.
        let severity_words = ["priority", "severity", "重要度", "優先度", "重大度", "深刻度"];
        ["error", "warning", "notice", "informational", "debug"]
            .into_iter()
            .filter(|name| {
                question.has(name)
                    && ([" alert", " event", " level", "-level", " priority", " severity"]
                        .iter()
                        .any(|suffix| question.has(&format!("{name}{suffix}")))
                        || ["のアラート", " のアラート", "レベル", " レベル", "のイベント", " のイベント"]
                            .iter()
                            .any(|suffix| question.folded.contains(&format!("{name}{suffix}")))
                        || question.has_any(&severity_words))
            })
            .collect()
    }
}

/// Scope terms pasted into the question: `field=value` and `field!=value` with a known field
/// name (`kubernetes.cluster.name=prod`, `proc.name = nmap`), in canonical scope syntax.
fn pasted_terms(question: &Question) -> Vec<String> {
    let text = question.original.as_str();
    let mut terms = Vec::new();
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find('=') {
        let position = search_from + found;
        search_from = position + 1;
        let negated = text[..position].ends_with('!');
        let field_end = if negated { position - 1 } else { position };
        let field_text = text[..field_end].trim_end();
        let field_start = field_text
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '[' | ']')))
            .map(|(index, c)| index + c.len_utf8())
            .unwrap_or(0);
        let field = &field_text[field_start..];
        let known = matches!(FieldRef::resolve(field), FieldRef::Dimension(_))
            || ["k8s.", "kubernetes.", "proc.", "container.", "fd.", "user.", "evt."]
                .iter()
                .any(|p| field.starts_with(p));
        if field.is_empty() || !known {
            continue;
        }
        let value_text = text[position + 1..].trim_start();
        let value: String = if let Some(quoted) = value_text.strip_prefix('"') {
            quoted.split('"').next().unwrap_or("").to_string()
        } else {
            value_text
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ')' | '?' | '、' | '。' | '」'))
                .collect::<String>()
                .trim_end_matches(['.', ':'])
                .to_string()
        };
        if value.is_empty() {
            continue;
        }
        let operator = if negated { "!=" } else { "=" };
        let term = format!("{field}{operator}{}", quote_value(&value));
        if saker_tools::scope::Scope::parse(&term).is_ok() {
            terms.push(term);
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::super::vocabulary::tests::demo;
    use super::*;

    fn linked(text: &str) -> Entities {
        link(&Question::new(text), &demo())
    }

    #[test]
    fn full_names_link_to_their_preferred_dimension() {
        let entities = linked("What was the root cause of the malicious binary detected in risk-10-aws-bedrock-java?");
        assert_eq!(entities.linked, vec![(Dimension::Namespace, "risk-10-aws-bedrock-java".to_string())]);
        let entities = linked("risk-10-aws-bedrock-java において検出された悪意のあるバイナリの根本原因は何でしたか?");
        assert_eq!(entities.get(Dimension::Namespace), Some("risk-10-aws-bedrock-java"));
        let entities = linked("the workload risk-10-aws-bedrock-java");
        assert_eq!(entities.linked, vec![(Dimension::Workload, "risk-10-aws-bedrock-java".to_string())]);
    }

    #[test]
    fn misspelt_names_are_not_found_with_the_name_they_resemble() {
        for (question, name, suggestion) in [
            ("What happened in prod-recon-ekss?", "prod-recon-ekss", "prod-recon-eks"),
            ("stagng-ocp の状況は?", "stagng-ocp", "staging-ocp"),
        ] {
            let entities = linked(question);
            assert!(
                matches!(&entities.notices[..], [Notice::NotFound { name: found, suggestions, .. }]
                    if found == name && suggestions.first().map(String::as_str) == Some(suggestion)),
                "{question}: {:?}",
                entities.notices
            );
        }
        assert!(linked("Compare week-over-week in prod-recon-eks").notices.is_empty());
    }

    #[test]
    fn lower_priorities_are_named_only_as_priorities() {
        for question in
            ["How many warning alerts?", "Warning のアラートは何件ですか?", "重要度 Warning のアラートはいくつ?"]
        {
            assert_eq!(linked(question).priorities, vec!["warning"], "{question}");
        }
        for question in ["Is this an error?", "Did you notice anything?", "warning: the exception below"] {
            assert!(linked(question).priorities.is_empty(), "{question}");
        }
    }

    #[test]
    fn the_pods_named_by_a_part_are_the_pods_of_its_one_workload() {
        let mut values = std::collections::BTreeMap::new();
        values.insert(
            Dimension::Pod,
            vec![
                "risk-10-aws-bedrock-java-fvsm52jnp-bddn7".to_string(),
                "risk-10-aws-bedrock-java-fvsm52jnp-njbn2".to_string(),
            ],
        );
        values.insert(Dimension::Workload, vec!["risk-10-aws-bedrock-java".to_string()]);
        let vocabulary = Vocabulary::from_values(values.clone());
        let entities = link(&Question::new("kill the miner in the bedrock-java pods"), &vocabulary);
        assert_eq!(entities.get(Dimension::Workload), Some("risk-10-aws-bedrock-java"), "{entities:?}");
        // With no one workload, every pod that has the part.
        values.remove(&Dimension::Workload);
        let vocabulary = Vocabulary::from_values(values);
        let entities = link(&Question::new("kill the miner in the bedrock-java pods"), &vocabulary);
        assert_eq!(
            entities.pasted_terms,
            ["k8s.pod.name in (risk-10-aws-bedrock-java-fvsm52jnp-bddn7, risk-10-aws-bedrock-java-fvsm52jnp-njbn2)"]
        );
    }

    #[test]
    fn a_keyword_after_a_name_introduces_nothing() {
        for question in
            ["Is the storefront namespace activity benign?", "How did the attack in the storefront namespace start?"]
        {
            let entities = linked(question);
            assert!(entities.notices.is_empty(), "{question}: {:?}", entities.notices);
            assert_eq!(entities.get(Dimension::Namespace), Some("storefront"), "{question}");
        }
        let entities = linked("Summarize the namespace payments");
        assert!(
            matches!(&entities.notices[..], [Notice::NotFound { name, .. }] if name == "payments"),
            "{:?}",
            entities.notices
        );
        // A word saying when ("over the past 7 days") is no name of the cluster before it.
        let entities = linked("quick overview of what fired in this cluster over the past 7 days");
        assert!(entities.notices.is_empty(), "{:?}", entities.notices);
    }

    #[test]
    fn only_hex_ids_are_container_names() {
        for question in [
            "What was the root cause of the container escape?",
            "- rule: Terminal shell in container\n  exceptions: []",
        ] {
            let entities = linked(question);
            assert!(entities.notices.is_empty(), "{question}: {:?}", entities.notices);
        }
        let entities = linked("what ran in container 3f2a9c1e0b7d?");
        assert!(
            matches!(&entities.notices[..], [Notice::NotFound { entity, name, .. }] if entity == "container.id" && name == "3f2a9c1e0b7d"),
            "{:?}",
            entities.notices
        );
    }

    #[test]
    fn partial_names_link_when_unique() {
        let entities = linked("What did the miner in risk-10 do?");
        assert_eq!(entities.get(Dimension::Namespace), Some("risk-10-aws-bedrock-java"));
        assert!(entities.notices.is_empty());
        let entities = linked("alerts in checkout");
        assert_eq!(entities.get(Dimension::Workload), None, "common prose words without a hint are not linked");
        let entities = linked("alerts in the checkout workload");
        assert_eq!(entities.get(Dimension::Workload), Some("checkout-api"));
        // A plain word names the one value that has it as a part, next to an incident word.
        assert_eq!(
            linked("techniques in the bedrock incident").get(Dimension::Namespace),
            Some("risk-10-aws-bedrock-java")
        );
        assert_eq!(linked("bedrock のインシデントの原因").get(Dimension::Namespace), Some("risk-10-aws-bedrock-java"));
        assert_eq!(linked("what is bedrock").get(Dimension::Namespace), None, "without an incident word it is prose");
        let entities = linked("the aws incident");
        assert!(
            entities.linked.is_empty() && entities.notices.is_empty(),
            "several values: none, silently: {entities:?}"
        );
    }

    #[test]
    fn a_part_of_a_name_right_before_its_kind_links_the_one_value_that_has_it() {
        for question in ["how many crit alerts in the shield cluster?", "shieldクラスタで何が起きてる?"] {
            let entities = linked(question);
            assert_eq!(entities.get(Dimension::Cluster), Some("risks-aws-eks-workloads-shield"), "{question}");
            assert!(entities.notices.is_empty(), "{question}: {:?}", entities.notices);
        }
        // A value of another kind ("data" is a namespace) describes the cluster it names.
        let mut values = std::collections::BTreeMap::new();
        values.insert(Dimension::Cluster, vec!["prod-data-eks".to_string(), "prod-web-eks".to_string()]);
        values.insert(Dimension::Namespace, vec!["data".to_string(), "web".to_string()]);
        let vocabulary = Vocabulary::from_values(values);
        let entities = link(&Question::new("and the data cluster? prod-data-eks"), &vocabulary);
        assert_eq!(entities.linked, vec![(Dimension::Cluster, "prod-data-eks".to_string())]);
        // Alone, the namespace is the namespace.
        let entities = link(&Question::new("what happened in data?"), &vocabulary);
        assert_eq!(entities.linked, vec![(Dimension::Namespace, "data".to_string())]);
        // Not a word before something else.
        assert!(linked("list the attack tools and process names").linked.is_empty());
    }

    #[test]
    fn a_ticket_reference_in_brackets_is_not_a_missing_name() {
        let entities = linked("[SEC-4412] Critical: reverse shell in web - need RC");
        assert!(entities.notices.is_empty(), "{:?}", entities.notices);
    }

    #[test]
    fn names_left_out_are_excluded_not_linked() {
        let entities = linked("alerts in prod-recon-eks excluding the checkout-api workload");
        assert_eq!(entities.excluded, vec![(Dimension::Workload, "checkout-api".to_string())]);
        assert_eq!(entities.get(Dimension::Cluster), Some("prod-recon-eks"));
        assert_eq!(linked("storefront 以外で何件?").excluded, vec![(Dimension::Namespace, "storefront".to_string())]);
        assert_eq!(linked("storefront 抜きだと?").excluded.len(), 1);
        // "Beyond X?" leaves X out of this question only; "without X" of the turns after it too.
        assert!(linked("has it spread beyond the checkout-api workload?").excluded_for_this_question);
        // Left out by the part of its name the question used.
        let besides = linked("is the easyminer thing in any cluster besides the shield one?");
        assert_eq!(besides.excluded, vec![(Dimension::Cluster, "risks-aws-eks-workloads-shield".to_string())]);
        assert!(linked("影響範囲は?checkout-api以外にも広がってる?").excluded_for_this_question);
        assert!(!linked("alerts in prod-recon-eks excluding the checkout-api workload").excluded_for_this_question);
        assert!(!linked("storefront 以外で何件?").excluded_for_this_question);
        assert!(linked("alerts in storefront").excluded.is_empty());
    }

    #[test]
    fn a_wildcard_names_every_value_that_starts_so() {
        let entities = linked("can I ignore the hits on the risk-* pods?");
        assert_eq!(entities.pasted_terms, vec!["k8s.pod.name startswith risk-".to_string()], "{entities:?}");
        assert!(entities.notices.is_empty());
        assert_eq!(linked("risk-* namespaces").pasted_terms, vec!["k8s.ns.name startswith risk-".to_string()]);
        assert!(linked("nothing-* here").pasted_terms.is_empty());
    }

    #[test]
    fn several_values_of_a_kind_are_one_in_term_and_a_prefix_of_a_named_kind_all_of_them() {
        let entities = linked("who ran nmap or curl in storefront");
        assert_eq!(entities.pasted_terms, vec!["proc.name in (nmap, curl)".to_string()], "{entities:?}");
        assert_eq!(entities.get(Dimension::Process), None);
        assert_eq!(entities.get(Dimension::Namespace), Some("storefront"));
        let entities = linked("summarize all the risk namespaces");
        assert_eq!(entities.pasted_terms, vec!["k8s.ns.name startswith risk-".to_string()], "{entities:?}");
        assert!(entities.notices.is_empty());
    }

    #[test]
    fn numbers_with_units_are_english() {
        let entities = linked("give me the 30-second version of prod-recon-eks");
        assert!(entities.notices.is_empty(), "{:?}", entities.notices);
        assert_eq!(entities.get(Dimension::Cluster), Some("prod-recon-eks"));
    }

    #[test]
    fn distinctive_rule_words_name_their_rules_unless_part_of_a_phrase() {
        assert_eq!(linked("how many stratum hits").rules, ["Detect crypto miners using the Stratum protocol"]);
        assert_eq!(linked("any chmod detections").rules, ["Container Drift Detected (chmod)"]);
        assert!(linked("root cause of the reverse shell").rules.is_empty(), "reverse shell is a category");
        assert!(linked("any container alerts").rules.is_empty());
    }

    #[test]
    fn unknown_and_ambiguous_names_become_notices() {
        let entities = linked("root cause in risk-99-nowhere");
        assert!(matches!(&entities.notices[..], [Notice::NotFound { name, .. }] if name == "risk-99-nowhere"));
        let entities = linked("summarize namespace risk");
        assert!(
            matches!(&entities.notices[..], [Notice::Ambiguous { candidates, .. }] if candidates.len() == 3),
            "{:?}",
            entities.notices
        );
        assert!(linked("week-over-week trend of the root-cause").notices.is_empty());
    }

    #[test]
    fn rules_processes_ids_and_severities() {
        let entities =
            linked("Explain Terminal shell in container for process easyminer, T1059.004 and ta0043, critical only");
        assert_eq!(entities.rules, vec!["Terminal shell in container".to_string()]);
        assert_eq!(entities.get(Dimension::Process), Some("easyminer"));
        assert_eq!(entities.techniques, vec!["T1059.004".to_string()]);
        assert_eq!(entities.tactics, vec!["TA0043".to_string()]);
        assert_eq!(entities.priorities, vec!["critical"], "critical only: that priority itself");
        assert_eq!(linked("Critical のアラートだけ").priorities, vec!["critical"]);
        assert_eq!(linked("any critical alerts?").priorities, vec!["emergency", "alert", "critical"]);
        assert_eq!(linked("only critical and above").priorities, vec!["emergency", "alert", "critical"]);
        let entities = linked("explain alert 417948f032f5d4dce999d33c3bb11d0c");
        assert_eq!(entities.alert_id.as_deref(), Some("417948f032f5d4dce999d33c3bb11d0c"));
        assert!(linked("find the top alerts").linked.is_empty());
        assert!(linked("使用されたMITRE技術ID、攻撃ツール、プロセス名").linked.is_empty());
        assert_eq!(linked("alerts of the process sh").get(Dimension::Process), Some("sh"));
    }

    #[test]
    fn unknown_names_in_context_are_notices() {
        let cases = [
            ("Compare this week with last week in prod-eu-gke.", "prod-eu-gke", "k8s.cluster.name"),
            ("What happened in the billing namespace?", "billing", "k8s.ns.name"),
            ("payment-api の影響範囲は?", "payment-api", "k8s.ns.name"),
        ];
        for (question, name, entity) in cases {
            let entities = linked(question);
            assert!(
                matches!(&entities.notices[..], [Notice::NotFound { name: found, entity: kind, .. }] if found == name && kind == entity),
                "{question}: {:?}",
                entities.notices
            );
        }
        for question in [
            "Show the week-over-week trend in real-time.",
            "Summarize the whole cluster",
            "the root-cause of it",
            "How many alerts since 2026-11-19?",
            "What was the root cause of the malicious binary detected in risk-10-aws-bedrock-java?",
        ] {
            assert!(linked(question).notices.is_empty(), "{question}: {:?}", linked(question).notices);
        }
    }

    #[test]
    fn pasted_scope_terms_are_kept() {
        let entities = linked("summarize kubernetes.cluster.name=prod-recon-eks and proc.name != \"nc\"");
        assert_eq!(entities.pasted_terms, vec!["kubernetes.cluster.name=prod-recon-eks", "proc.name!=nc"]);
        assert!(entities.notices.is_empty(), "{:?}", entities.notices);
    }
}
