//! The focus after a question: the entities it names replace those of earlier turns at their
//! level (a new namespace clears the workload, pod, container, process and rule under the old
//! one); references ("it", "this cluster", 「その名前空間」, 影響を受けた...) keep the focus;
//! "the whole cluster" / 「クラスタ全体」 widens it back to the cluster.

use saker_tools::scope::{Dimension, Operator};

use super::calls::{rank, term};

use super::entities::Entities;
use super::text::Question;
use super::time::TimeSpec;
use super::words::words;
use crate::conversation::Focus;

/// The focus after `question`, given the focus before it.
pub fn update(before: &Focus, question: &Question, entities: &Entities, time: &TimeSpec) -> Focus {
    let mut focus = before.clone();
    // 「そのクラスタ全体のサマリー」 after a search whose hits were all in one cluster.
    if focus.cluster.is_none()
        && entities.get(Dimension::Cluster).is_none()
        && question.has_any(&words().that_cluster.all)
        && let Some(cluster) = &before.found_in_cluster
    {
        focus.cluster = Some(cluster.clone());
    }
    if question.has_any(&words().widen.all) {
        focus.namespace = None;
        clear_below_namespace(&mut focus);
    }
    if question.has_any(&["all alerts", "every alert", "all rules", "すべてのアラート", "全てのアラート"])
    {
        focus.category = None;
        focus.category_rules.clear();
    }
    let names_namespace = entities.get(Dimension::Namespace).is_some();
    // Broadest first, so that a cluster named after a process ("nmap runs in prod-recon-eks")
    // does not clear the process named in the same question.
    let mut linked: Vec<&(Dimension, String)> = entities.linked.iter().collect();
    linked.sort_by_key(|(dimension, _)| rank(*dimension));
    for (dimension, value) in linked {
        match dimension {
            Dimension::Cluster if focus.cluster.as_deref() != Some(value) => {
                focus.cluster = Some(value.clone());
                if !names_namespace {
                    focus.namespace = None;
                }
                clear_below_namespace(&mut focus);
            }
            Dimension::Namespace if focus.namespace.as_deref() != Some(value) => {
                focus.namespace = Some(value.clone());
                clear_below_namespace(&mut focus);
            }
            Dimension::Workload if focus.workload.as_deref() != Some(value) => {
                if !names_namespace {
                    // The workload's name identifies it; an older namespace may not hold it.
                    focus.namespace = None;
                }
                focus.workload = Some(value.clone());
                focus.pod = None;
                focus.container = None;
            }
            Dimension::Pod if focus.pod.as_deref() != Some(value) => {
                if !names_namespace {
                    focus.namespace = None;
                }
                focus.workload = None;
                focus.pod = Some(value.clone());
                focus.container = None;
            }
            Dimension::ContainerId => focus.container = Some(value.clone()),
            Dimension::Process => focus.process = Some(value.clone()),
            _ => {}
        }
    }
    if entities.get(Dimension::Cluster).is_some_and(|cluster| before.cluster.as_deref() != Some(cluster)) {
        focus.excluded.clear();
    }
    // Several objects named together are the focus until a question names something else.
    if !entities.one_of.is_empty() {
        focus.one_of.clone_from(&entities.one_of);
    } else if entities.names_anything() || question.has_any(&words().widen.all) {
        focus.one_of.clear();
    }
    let lasting = if entities.excluded_for_this_question { &[][..] } else { &entities.excluded[..] };
    for (dimension, value) in lasting {
        let term = term(*dimension, Operator::NotEqual, vec![value.clone()]);
        if !focus.excluded.contains(&term) {
            focus.excluded.push(term);
        }
    }
    // "Just risk-12?", 「risk-12 だけ?」: the same question narrowed to another object keeps
    // the process and rule it was about.
    if question.has_any(&words().narrowing.all) && focus.process.is_none() && focus.rule.is_none() {
        focus.process.clone_from(&before.process);
        focus.rule.clone_from(&before.rule);
    }
    if let [rule] = entities.rules.as_slice() {
        focus.rule = Some(rule.clone());
    }
    let names_an_object = entities.linked.iter().any(|(dimension, _)| {
        matches!(dimension, Dimension::Cluster | Dimension::Namespace | Dimension::Workload | Dimension::Pod)
    });
    if !entities.rules.is_empty() || names_an_object {
        // Named rules replace a category; so does a new object (unless the question names the
        // category again, which sets it afresh).
        focus.category = None;
        focus.category_rules.clear();
    }
    if let Some(id) = &entities.alert_id {
        focus.alert_id = Some(id.clone());
    }
    match time {
        TimeSpec::Range(range) => focus.time = Some(range.clone()),
        TimeSpec::AllTime => focus.time = None,
        TimeSpec::Unspecified => {}
    }
    focus
}

fn clear_below_namespace(focus: &mut Focus) {
    focus.workload = None;
    focus.pod = None;
    focus.container = None;
    focus.process = None;
    focus.rule = None;
    focus.alert_id = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entities(linked: &[(Dimension, &str)]) -> Entities {
        Entities {
            linked: linked.iter().map(|(dimension, value)| (*dimension, value.to_string())).collect(),
            ..Entities::default()
        }
    }

    #[test]
    fn a_narrowing_follow_up_keeps_the_process() {
        let before = Focus { process: Some("easyminer".into()), ..Focus::default() };
        let named = entities(&[(Dimension::Namespace, "risk-12-aws-lambda-exfil-go")]);
        let after = update(&before, &Question::new("just risk-12?"), &named, &TimeSpec::Unspecified);
        assert_eq!(after.process.as_deref(), Some("easyminer"));
        let after = update(&before, &Question::new("summarize risk-12"), &named, &TimeSpec::Unspecified);
        assert_eq!(after.process, None, "a new question about another namespace starts afresh");
    }

    #[test]
    fn objects_named_together_stay_in_focus_until_something_else_is_named() {
        let one_of = "proc.name in (tcpdump, nc)".to_string();
        let named = Entities { one_of: vec![one_of.clone()], ..Entities::default() };
        let after =
            update(&Focus::default(), &Question::new("who runs tcpdump and nc?"), &named, &TimeSpec::Unspecified);
        assert_eq!(after.one_of, vec![one_of.clone()]);
        let kept =
            update(&after, &Question::new("is that a false positive?"), &Entities::default(), &TimeSpec::Unspecified);
        assert_eq!(kept.one_of, vec![one_of]);
        let other = entities(&[(Dimension::Pod, "netshoot")]);
        let cleared = update(&kept, &Question::new("only the netshoot pod"), &other, &TimeSpec::Unspecified);
        assert!(cleared.one_of.is_empty());
    }

    #[test]
    fn an_exclusion_asked_beyond_is_not_kept() {
        let left_out = Entities {
            excluded: vec![(Dimension::Workload, "ledger-api".into())],
            excluded_for_this_question: true,
            ..Entities::default()
        };
        let after = update(&Focus::default(), &Question::new("beyond ledger-api?"), &left_out, &TimeSpec::Unspecified);
        assert!(after.excluded.is_empty());
        let lasting = Entities { excluded_for_this_question: false, ..left_out };
        let after = update(&Focus::default(), &Question::new("without ledger-api"), &lasting, &TimeSpec::Unspecified);
        assert_eq!(after.excluded, vec!["workload!=ledger-api".to_string()]);
    }

    #[test]
    fn a_cluster_named_after_a_process_keeps_the_process() {
        let question = Question::new("nmap runs in prod-recon-eks");
        let named = entities(&[(Dimension::Process, "nmap"), (Dimension::Cluster, "prod-recon-eks")]);
        let after = update(&Focus::default(), &question, &named, &TimeSpec::Unspecified);
        assert_eq!((after.cluster.as_deref(), after.process.as_deref()), (Some("prod-recon-eks"), Some("nmap")));
    }

    #[test]
    fn a_new_namespace_replaces_the_old_one_and_what_was_under_it() {
        let before = Focus {
            cluster: Some("c".into()),
            namespace: Some("a".into()),
            process: Some("nmap".into()),
            ..Focus::default()
        };
        let after = update(
            &before,
            &Question::new("and b?"),
            &entities(&[(Dimension::Namespace, "b")]),
            &TimeSpec::Unspecified,
        );
        assert_eq!(after.cluster.as_deref(), Some("c"));
        assert_eq!(after.namespace.as_deref(), Some("b"));
        assert_eq!(after.process, None);
    }

    #[test]
    fn references_keep_and_widening_clears() {
        let before = Focus { namespace: Some("a".into()), ..Focus::default() };
        let kept =
            update(&before, &Question::new("その名前空間の攻撃経路"), &Entities::default(), &TimeSpec::Unspecified);
        assert_eq!(kept.namespace.as_deref(), Some("a"));
        let widened = update(
            &before,
            &Question::new("and across the whole cluster?"),
            &Entities::default(),
            &TimeSpec::Unspecified,
        );
        assert_eq!(widened.namespace, None);
    }
}
