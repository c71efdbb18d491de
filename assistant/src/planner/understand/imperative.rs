//! Containment asked for in the imperative, however it is worded: an English sentence that
//! begins with a containment verb ("isolate catalog-api now", "fine, contain the pod", "nah.
//! quarantine it") or a Japanese one that ends in the verb's te-form (「そのPod隔離しといて」,
//! 「じゃあ止めて」, 「nc、kill して」). The verb says the kind, the object it acts on refines it
//! (a process is killed, a container stopped, a file quarantined). A question about how, or
//! whether, to act is not an imperative.

use saker_tools::actions::ActionKind;

use super::text::Question;

/// Words an English imperative may start with before its verb.
const FILLERS: &[&str] = &[
    "ok",
    "okay",
    "fine",
    "nah",
    "then",
    "so",
    "please",
    "pls",
    "just",
    "now",
    "and",
    "yes",
    "yeah",
    "right",
    "alright",
    "go ahead and",
    "let's",
    "lets",
    "also",
    "then also",
    "and also",
    // "Can we pause jupyter-lab-0?": asking whether it can be done asks for the proposal,
    // which is what shows what doing it would touch, and waits for approval anyway.
    "can we",
    "could we",
    "can you",
    "could you",
];

/// English containment verbs and the kind each asks for before its object refines it.
const VERBS: &[(&str, ActionKind)] = &[
    ("isolate", ActionKind::IsolateWorkload),
    ("contain", ActionKind::IsolateWorkload),
    ("quarantine", ActionKind::IsolateWorkload),
    ("cut off", ActionKind::IsolateWorkload),
    ("lock down", ActionKind::IsolateWorkload),
    ("block", ActionKind::IsolateWorkload),
    ("pause", ActionKind::PauseContainer),
    ("freeze", ActionKind::PauseContainer),
    ("suspend", ActionKind::PauseContainer),
    ("stop", ActionKind::StopContainer),
    ("shut down", ActionKind::StopContainer),
    ("kill", ActionKind::KillProcess),
    ("terminate", ActionKind::KillProcess),
    ("delete", ActionKind::DeletePod),
    ("nuke", ActionKind::DeletePod),
    ("take down", ActionKind::StopContainer),
    ("bring down", ActionKind::StopContainer),
    ("deny", ActionKind::IsolateWorkload),
];

/// What a network cut acts on ("cut egress", "cut its network"): the verb "cut" isolates.
const NETWORK_WORDS: &[&str] = &[
    "egress",
    "ingress",
    "network",
    "traffic",
    "outbound",
    "inbound",
    "connectivity",
    "its network",
    "their network",
    "the network",
    "all traffic",
];

/// English words that open a question, not a request ("do we need it isolated?").
const QUESTION_OPENERS: &[&str] = &[
    "do", "does", "should", "would", "is", "are", "can", "could", "how", "why", "what", "when", "who", "which", "if",
    "whether", "have", "has", "did", "was", "were", "will",
];

/// Words that make a sentence about wanting a deed a question about it ("i need the steps to
/// get it isolated").
const ABOUT_ACTING: &[&str] = &["how to", "how do", "steps", "should", "whether", "plan", "runbook"];

/// Wanting something done is asking for it: "i want X network isolated", "we need the pod
/// killed". The words of wanting, then the past participles with the kind each asks for.
const WANTING: &[&str] =
    &["i want", "we want", "i need", "we need", "i'd like", "we'd like", "i would like", "want", "need", "get", "have"];
const PARTICIPLES: &[(&str, ActionKind)] = &[
    ("isolated", ActionKind::IsolateWorkload),
    ("contained", ActionKind::IsolateWorkload),
    ("quarantined", ActionKind::IsolateWorkload),
    ("cut off", ActionKind::IsolateWorkload),
    ("locked down", ActionKind::IsolateWorkload),
    ("blocked", ActionKind::IsolateWorkload),
    ("paused", ActionKind::PauseContainer),
    ("frozen", ActionKind::PauseContainer),
    ("suspended", ActionKind::PauseContainer),
    ("stopped", ActionKind::StopContainer),
    ("shut down", ActionKind::StopContainer),
    ("taken down", ActionKind::StopContainer),
    ("killed", ActionKind::KillProcess),
    ("terminated", ActionKind::KillProcess),
    ("deleted", ActionKind::DeletePod),
    ("nuked", ActionKind::DeletePod),
];

/// Nouns after which a verb word is a noun phrase ("kill chain for the wordpress compromise").
/// Words that propose an action named next in its -ing form ("propose killing ...").
const PROPOSING: &[&str] = &["propose ", "suggest ", "recommend ", "go ahead with ", "start "];

/// The -ing forms of the verbs, with the verb they are read as.
const GERUNDS: &[(&str, &str)] = &[
    ("killing", "kill"),
    ("terminating", "terminate"),
    ("stopping", "stop"),
    ("pausing", "pause"),
    ("freezing", "freeze"),
    ("isolating", "isolate"),
    ("containing", "contain"),
    ("quarantining", "quarantine"),
    ("deleting", "delete"),
    ("blocking", "block"),
];

const NOT_OBJECTS: &[&str] = &["chain", "switch", "list", "path"];

/// Japanese containment verbs in their te-form (the request form and its casual endings follow
/// it: して, しといて, してください), with their kinds.
const VERBS_JA: &[(&str, ActionKind)] = &[
    ("隔離して", ActionKind::IsolateWorkload),
    ("隔離しと", ActionKind::IsolateWorkload),
    ("切り離して", ActionKind::IsolateWorkload),
    ("切り離しと", ActionKind::IsolateWorkload),
    ("封じ込めて", ActionKind::IsolateWorkload),
    ("遮断して", ActionKind::IsolateWorkload),
    ("遮断しと", ActionKind::IsolateWorkload),
    ("一時停止して", ActionKind::PauseContainer),
    ("一時停止しと", ActionKind::PauseContainer),
    ("pauseして", ActionKind::PauseContainer),
    ("pauseしと", ActionKind::PauseContainer),
    ("止めて", ActionKind::StopContainer),
    ("止めと", ActionKind::StopContainer),
    ("停止して", ActionKind::StopContainer),
    ("停止しと", ActionKind::StopContainer),
    ("stopして", ActionKind::StopContainer),
    ("killして", ActionKind::KillProcess),
    ("killしと", ActionKind::KillProcess),
    ("キルして", ActionKind::KillProcess),
    ("殺して", ActionKind::KillProcess),
    ("削除して", ActionKind::DeletePod),
    ("消して", ActionKind::DeletePod),
    ("消しと", ActionKind::DeletePod),
    ("消しちゃ", ActionKind::DeletePod),
    // Wanting to act is asking for it (「その3つのpod止めたい」).
    ("隔離したい", ActionKind::IsolateWorkload),
    ("封じ込めたい", ActionKind::IsolateWorkload),
    ("切り離したい", ActionKind::IsolateWorkload),
    ("遮断したい", ActionKind::IsolateWorkload),
    ("一時停止したい", ActionKind::PauseContainer),
    ("止めたい", ActionKind::StopContainer),
    ("停止したい", ActionKind::StopContainer),
    ("killしたい", ActionKind::KillProcess),
];

/// Japanese containment nouns (and verb stems that take する) with their kinds: a request is
/// the noun followed by one of [`REQUEST_ENDINGS_JA`] (「NW遮断お願いします」, 「全部隔離で」).
const NOUNS_JA: &[(&str, ActionKind)] = &[
    ("隔離", ActionKind::IsolateWorkload),
    ("遮断", ActionKind::IsolateWorkload),
    ("封じ込め", ActionKind::IsolateWorkload),
    ("切り離し", ActionKind::IsolateWorkload),
    ("一時停止", ActionKind::PauseContainer),
    ("pause", ActionKind::PauseContainer),
    ("停止", ActionKind::StopContainer),
    ("stop", ActionKind::StopContainer),
    ("kill", ActionKind::KillProcess),
    ("キル", ActionKind::KillProcess),
    ("削除", ActionKind::DeletePod),
    ("delete", ActionKind::DeletePod),
    ("クアランティン", ActionKind::IsolateWorkload),
    ("クワランティン", ActionKind::IsolateWorkload),
];

/// Endings after a containment noun that make it a request.
const REQUEST_ENDINGS_JA: &[&str] = &[
    // 「一時停止にしといて」: the noun made what is done.
    "にしといて",
    "にしておいて",
    "にして",
    "にしちゃって",
    "しちゃって",
    "しちゃお",
    "しておいて",
    "してほしい",
    "して欲しい",
    "してくれ",
    "をお願い",
    "お願い",
    "おねがい",
    "を頼",
    "頼む",
    "頼み",
    "よろしく",
    "でお願い",
    "でよろしく",
    "で頼",
    "でいいよ",
    "でいいです",
    "でいいから",
    "できる",
    "できます",
    "できない",
    "可能",
];

/// Japanese verbs in the te-form or wanting form, beyond those of [`VERBS_JA`]: 落とす (bring
/// down) and 切る (cut, of a network).
const VERB_FORMS_JA: &[(&str, ActionKind)] = &[
    ("落として", ActionKind::StopContainer),
    ("落としと", ActionKind::StopContainer),
    ("落としちゃ", ActionKind::StopContainer),
    ("落としたい", ActionKind::StopContainer),
    ("止めちゃ", ActionKind::StopContainer),
    ("殺しちゃ", ActionKind::KillProcess),
    ("殺しと", ActionKind::KillProcess),
    ("殺したい", ActionKind::KillProcess),
    ("切って", ActionKind::IsolateWorkload),
    ("切っと", ActionKind::IsolateWorkload),
    ("切っちゃ", ActionKind::IsolateWorkload),
];

/// Japanese markers of an alternative turned down (「X じゃなくて Y」): the request is Y.
const REJECTED_JA: &[&str] = &["じゃなくて", "じゃなく", "ではなくて", "ではなく", "でなく"];

/// Words in a Japanese request that make it a question about acting, not a request.
const NOT_A_REQUEST_JA: &[&str] = &["べき", "方法", "どうやって", "どうすれば", "いい?", "いいか", "か?", "かな"];

/// The kind of containment an imperative asks for, refined by its object; `None` when the
/// question has no containment imperative.
pub fn containment(question: &Question, names_a_process: bool, names_a_file: bool) -> Option<ActionKind> {
    // An English verb turned down in a Japanese request (「kill じゃなくて pause で」) is not it.
    let turned_down = REJECTED_JA.iter().any(|marker| question.folded.contains(marker));
    let verb = if turned_down {
        japanese_verb(question).or_else(|| english_verb(question))?
    } else {
        english_verb(question).or_else(|| japanese_verb(question))?
    };
    let text = question.folded.as_str();
    let container = question.has_any(&["container", "containers"]) || text.contains("コンテナ");
    let process =
        names_a_process || question.has_any(&["process", "processes", "proc", "procs"]) || text.contains("プロセス");
    let file = names_a_file
        || question.has_any(&["file", "files", "binary"])
        || text.contains("ファイル")
        || text.contains("バイナリ");
    Some(match verb {
        ActionKind::IsolateWorkload if file && says_quarantine(question) => ActionKind::QuarantineFile,
        // "isolate /tmp/linpeas.sh on the wordpress pod": the object isolated is the file.
        ActionKind::IsolateWorkload
            if names_a_file && ["isolate /", "contain /"].iter().any(|verb| text.contains(verb)) =>
        {
            ActionKind::QuarantineFile
        }
        ActionKind::IsolateWorkload if file && text.contains("隔離") && !question.has_any(&["pod", "pods"]) => {
            ActionKind::QuarantineFile
        }
        ActionKind::KillProcess if container && !process => ActionKind::KillContainer,
        ActionKind::StopContainer if process && !container => ActionKind::KillProcess,
        ActionKind::DeletePod if file => ActionKind::QuarantineFile,
        other => other,
    })
}

/// Whether the question says "quarantine", in English or in katakana (クアランティン).
pub fn says_quarantine(question: &Question) -> bool {
    question.has("quarantine") || ["クアランティン", "クワランティン"].iter().any(|word| question.folded.contains(word))
}

/// The verb that begins an English sentence of the question, past its fillers.
fn english_verb(question: &Question) -> Option<ActionKind> {
    let text = question.folded.replace(" - ", ". ");
    text.split(['.', '!', ';', ',', '\n', '?']).filter(|sentence| !sentence.trim_end().is_empty()).find_map(
        |sentence| {
            let mut rest = sentence.trim_start();
            loop {
                let before = rest;
                for filler in FILLERS {
                    if let Some(after) = rest.strip_prefix(filler)
                        && after.starts_with(' ')
                    {
                        rest = after.trim_start();
                    }
                }
                if rest == before {
                    break;
                }
            }
            // "Cut every pod that talked to the pool off the network", "cut egress for all of them".
            if let Some(object) = rest.strip_prefix("cut ")
                && (sentence.contains(" off") || NETWORK_WORDS.iter().any(|word| object.starts_with(word)))
            {
                return Some(ActionKind::IsolateWorkload);
            }
            if let Some(kind) = wanted_done(rest) {
                return Some(kind);
            }
            // "propose killing the ledger-api container": the action proposed, in its verb form.
            let proposed = PROPOSING.iter().find_map(|lead| rest.strip_prefix(lead)).and_then(|object| {
                GERUNDS.iter().find_map(|(gerund, verb)| {
                    object
                        .strip_prefix(gerund)
                        .filter(|tail| tail.is_empty() || tail.starts_with(' '))
                        .map(|tail| (*verb, tail))
                })
            });
            let gerund_as_verb;
            let rest = match proposed {
                Some((verb, tail)) => {
                    gerund_as_verb = format!("{verb}{tail}");
                    gerund_as_verb.as_str()
                }
                None => rest,
            };
            // "netpol-isolate the build-agent pods", "net-isolate it": the verb after a
            // hyphenated prefix that says how.
            let rest = match rest.split_once(' ').map_or(rest, |(first, _)| first).rsplit_once('-') {
                Some((prefix, verb)) if !prefix.is_empty() && VERBS.iter().any(|(known, _)| verb == *known) => {
                    &rest[prefix.len() + 1..]
                }
                _ => rest,
            };
            VERBS.iter().find_map(|(verb, kind)| {
                let after = rest.strip_prefix(verb)?;
                let object = after.trim_start();
                let not_a_verb = NOT_OBJECTS.iter().any(|noun| {
                    object.strip_prefix(noun).is_some_and(|tail| !tail.starts_with(|c: char| c.is_ascii_alphanumeric()))
                });
                ((after.is_empty() || after.starts_with(' ')) && !not_a_verb).then_some(*kind)
            })
        },
    )
}

/// The te-form verb of a Japanese request.
fn japanese_verb(question: &Question) -> Option<ActionKind> {
    // An aside in parentheses (「一時停止(pause)できますか」) is passed over.
    let text: String =
        without_asides(&question.folded).chars().filter(|character| !character.is_whitespace()).collect();
    // 「kill じゃなくて pause で」, 「止めるんじゃなくて一時停止に」: what is asked follows the
    // alternative turned down.
    let text = match REJECTED_JA.iter().filter_map(|marker| text.rfind(marker).map(|at| at + marker.len())).max() {
        Some(after) => text[after..].to_string(),
        None => text,
    };
    // 「pause で止めといて」: a kind named with the verb says which stop.
    let paused = ["pause", "一時停止"].iter().any(|word| text.contains(word));
    if NOT_A_REQUEST_JA.iter().any(|phrase| text.contains(phrase)) {
        return None;
    }
    // 落として also means "downloading" (「何か落としてる」, 「落としてきてる」): a request ends
    // there, it does not go on into a progressive or past form.
    let requested = |verb: &str| {
        text.match_indices(verb).any(|(at, _)| {
            !verb.ends_with('て') || !text[at + verb.len()..].starts_with(['る', 'き', 'た', 'な', 'い', 'ま'])
        })
    };
    if let Some((_, kind)) = VERBS_JA
        .iter()
        .find(|(verb, _)| text.contains(verb))
        .or_else(|| VERB_FORMS_JA.iter().find(|(verb, _)| requested(verb)))
    {
        // 切って cuts a network only ("NW切って"), not "a cut" of anything else.
        let cuts = VERB_FORMS_JA.iter().any(|(verb, _)| verb.starts_with('切') && requested(verb));
        if !cuts || ["ネットワーク", "nw", "通信", "egress", "ネット"].iter().any(|word| text.contains(word))
        {
            return Some(if *kind == ActionKind::StopContainer && paused { ActionKind::PauseContainer } else { *kind });
        }
    }
    NOUNS_JA.iter().find_map(|(noun, kind)| {
        let asked = text.match_indices(noun).any(|(at, _)| {
            let after = &text[at + noun.len()..];
            REQUEST_ENDINGS_JA.iter().any(|ending| after.starts_with(ending))
                || after
                    .strip_prefix('で')
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['。', '!', '！', '、', '.']))
                // A Japanese request that ends on its noun (「一旦kill」, 「全部隔離。急ぎで」),
                // not an English sentence that ends on one ("why did the miner stop").
                || (after.is_empty() || after.starts_with(['。', '!', '！']))
                    && text[..at].chars().next_back().is_some_and(|before| !before.is_ascii())
        });
        asked.then_some(*kind)
    })
}

/// "I want X network isolated", "get the pod killed": wanting the deed done, said with its
/// past participle, in a sentence that is not a question.
/// The text without what is in parentheses, ASCII or full-width.
fn without_asides(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut depth = 0usize;
    for character in text.chars() {
        match character {
            '(' | '（' => depth += 1,
            ')' | '）' if depth > 0 => depth -= 1,
            _ if depth == 0 => kept.push(character),
            _ => {}
        }
    }
    kept
}

fn wanted_done(sentence: &str) -> Option<ActionKind> {
    let first = sentence.split_whitespace().next()?;
    if QUESTION_OPENERS.contains(&first)
        || ABOUT_ACTING.iter().any(|phrase| super::text::find_phrase(sentence, phrase).is_some())
    {
        return None;
    }
    let at = WANTING.iter().find_map(|want| super::text::find_phrase(sentence, want))?;
    let after = &sentence[at..];
    PARTICIPLES
        .iter()
        .find(|(participle, _)| super::text::find_phrase(after, participle).is_some())
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<ActionKind> {
        containment(&Question::new(text), false, false)
    }

    #[test]
    fn imperatives_in_either_language_ask_for_containment() {
        assert_eq!(kind("isolate catalog-api-7lrmtmcgc-6hwz2 now"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("fine, contain the pod. my call"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("nah. quarantine it"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("stop the ledger-api container"), Some(ActionKind::StopContainer));
        assert_eq!(kind("kill the container"), Some(ActionKind::KillContainer));
        assert_eq!(kind("ok then pause it"), Some(ActionKind::PauseContainer));
        assert_eq!(kind("そのPod隔離しといて"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("can we pause jupyter-lab-0?"), Some(ActionKind::PauseContainer));
        assert_eq!(kind("jupyter-lab-0 ってpauseできる?"), Some(ActionKind::PauseContainer));
        assert_eq!(kind("tcpdump は一旦kill"), Some(ActionKind::KillProcess));
        assert_eq!(kind("マイナー入ってるpod全部隔離。急ぎで"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("じゃあ止めて"), Some(ActionKind::StopContainer));
        assert_eq!(kind("wordpress のPod、ネットワーク切り離して"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("一旦 pause しといて"), Some(ActionKind::PauseContainer));
        assert_eq!(containment(&Question::new("nc、kill して"), true, false), Some(ActionKind::KillProcess));
        assert_eq!(containment(&Question::new("quarantine /dev/shm/x"), false, true), Some(ActionKind::QuarantineFile));
        assert_eq!(kind("その3つのpod止めたい"), Some(ActionKind::StopContainer));
        assert_eq!(
            kind("propose killing the ledger-api container, its clearly compromized"),
            Some(ActionKind::KillContainer)
        );
        assert_eq!(kind("checkout-api のPod、いったん一時停止(pause)できますか"), Some(ActionKind::PauseContainer));
        assert_eq!(
            containment(&Question::new("isolate /tmp/linpeas.sh on the wordpress pod"), false, true),
            Some(ActionKind::QuarantineFile)
        );
        assert_eq!(kind("cut every pod that talked to the pool off the network"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("cut egress for all of them"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("ok i want ledger-api network isolated, my call"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("we need that container stopped asap"), Some(ActionKind::StopContainer));
        assert_eq!(kind("nuke the pod"), Some(ActionKind::DeletePod));
        assert_eq!(kind("そのプロセス落として"), Some(ActionKind::KillProcess));
        assert_eq!(kind("risk-7 のpod落としちゃって。マイナー動いてるし"), Some(ActionKind::StopContainer));
        assert_eq!(kind("risk-10のpod2つともNW遮断お願いします"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("そのpodたち全部隔離で"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("ネットワーク切っといて"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("netpol-isolate the build-agent pods on ci-build-eks"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("also quarantine the dropped binary"), Some(ActionKind::QuarantineFile));
        assert_eq!(
            kind("risk-12-aws-lambda-exfil-go-6dqxpv5wb-kq8ct はpodごと削除でいいよ"),
            Some(ActionKind::DeletePod)
        );
        assert_eq!(kind("このインシデント封じ込めたい"), Some(ActionKind::IsolateWorkload));
        assert_eq!(kind("このバイナリ隔離しといて"), Some(ActionKind::QuarantineFile));
        assert_eq!(
            containment(&Question::new("easyminerのプロセス殺しといて"), true, false),
            Some(ActionKind::KillProcess)
        );
    }

    #[test]
    fn the_alternative_turned_down_is_not_what_is_asked() {
        assert_eq!(kind("kill じゃなくて pause で止めといてもらえる？"), Some(ActionKind::PauseContainer));
        assert_eq!(kind("やっぱ止めるんじゃなくて一時停止にしといて"), Some(ActionKind::PauseContainer));
        assert_eq!(kind("隔離ではなく停止して"), Some(ActionKind::StopContainer));
        assert_eq!(kind("もうPodごと消しちゃって"), Some(ActionKind::DeletePod));
        assert_eq!(
            containment(&Question::new("/tmp/linpeas.sh もクアランティンお願い"), false, true),
            Some(ActionKind::QuarantineFile)
        );
    }

    #[test]
    fn questions_about_acting_are_not_imperatives() {
        for text in [
            "how do I isolate the pod?",
            "should we stop it?",
            "what does contain mean",
            "封じ込めどうする?podごと止めるべき?",
            "止めていい?",
            "why did the miner stop",
            "isolation steps please",
            "the stop was clean",
            "kill chain for the wordpress compromise pls",
            "do we need it isolated?",
            "should i want it stopped",
            "隔離でいいかな",
            "隔離手順を教えて",
            "ログを切って",
            "i need the steps to get it isolated",
            "wgetで何か落としてるアラートある?",
            "これの根本原因なに?どこから落としてきてる?",
            "build-agent pods, what happened?",
        ] {
            assert_eq!(kind(text), None, "{text}");
        }
    }
}
