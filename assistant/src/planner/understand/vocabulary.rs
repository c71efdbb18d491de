//! The names an analyst can mention, as they occur in the store: clusters, namespaces,
//! workloads, pods, rules, processes, images, hosts, container ids. Entity linking matches the
//! question against these, so only names that exist are ever put into a scope.

use std::collections::BTreeMap;

use saker_tools::scope::Dimension;
use saker_tools::store::{AlertFilter, AlertStore, GroupKey, StoreError};

/// The dimensions whose values can be named in a question, in the order a name that exists in
/// several of them is preferred (a namespace and its workload often share a name).
pub const LINKED: [Dimension; 9] = [
    Dimension::Namespace,
    Dimension::Workload,
    Dimension::Cluster,
    Dimension::Pod,
    Dimension::Process,
    Dimension::Image,
    Dimension::Host,
    Dimension::ContainerId,
    Dimension::Rule,
];

/// Most values read per dimension. Beyond it, the least frequent values cannot be linked by
/// name (the analyst can still paste a scope).
pub const VALUES_PER_DIMENSION: usize = 20_000;

/// Every linkable value, per dimension, with a lowercase index for lookups.
#[derive(Debug, Default, Clone)]
pub struct Vocabulary {
    values: BTreeMap<Dimension, Vec<String>>,
    /// Lowercase value → (dimension, value as stored), sorted for prefix lookups.
    index: BTreeMap<String, Vec<(Dimension, String)>>,
    /// Rule names, lowercase and as stored.
    rules: Vec<(String, String)>,
    /// A part of a name (between `-`, `_`, `.`, `/`) → the values that have it, so that a
    /// name is found by a part from its middle ("ledger" in `prod-ledger-eks`).
    parts: BTreeMap<String, Vec<(Dimension, String)>>,
    /// A word of rule names (lowercase, singular) → the stored rules whose name has it.
    rule_words: BTreeMap<String, Vec<String>>,
}

/// What separates the parts of a name.
const NAME_SEPARATORS: [char; 4] = ['-', '_', '.', '/'];

/// Shortest name part and rule word looked up on its own.
const SHORTEST_PART: usize = 4;

/// Words of rule names too generic to say which rule is meant ("container", "shell").
const GENERIC_RULE_WORDS: &[&str] = &[
    "activities",
    "activity",
    "binary",
    "basic",
    "clear",
    "code",
    "common",
    "connection",
    "contact",
    "container",
    "copy",
    "credential",
    "detect",
    "detected",
    "directory",
    "drop",
    "environment",
    "execute",
    "execution",
    "file",
    "from",
    "inbound",
    "instance",
    "interactive",
    "launch",
    "launched",
    "management",
    "network",
    "outbound",
    "password",
    "pool",
    "port",
    // The usual short form of "process" ("kill the easyminer procs"), not the /proc file system.
    "proc",
    "process",
    "program",
    "protocol",
    "read",
    "redirect",
    "remote",
    "search",
    "sensitive",
    "server",
    "service",
    "shell",
    "spawned",
    "suspicious",
    "system",
    "terminal",
    "tool",
    "untrusted",
    "user",
    "using",
    "variable",
    "web",
    "with",
    "write",
];

/// Most rules one word may name and still say which are meant (both "Container Drift
/// Detected" rules for "drift").
const RULES_PER_WORD: usize = 3;

/// A word in its singular form, for matching rule words ("miners" → "miner").
pub fn singular(word: &str) -> std::borrow::Cow<'_, str> {
    if let Some(stem) = word.strip_suffix("ies")
        && stem.len() >= 2
    {
        return format!("{stem}y").into();
    }
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= SHORTEST_PART && !stem.ends_with('s') => stem.into(),
        _ => word.into(),
    }
}

impl Vocabulary {
    /// Reads the values of every linked dimension from the store.
    pub fn load(store: &dyn AlertStore) -> Result<Vocabulary, StoreError> {
        let mut values = BTreeMap::new();
        for dimension in LINKED {
            let groups =
                store.group_counts(&AlertFilter::all(), GroupKey::Dimension(dimension), VALUES_PER_DIMENSION)?;
            values.insert(dimension, groups.groups.into_iter().map(|(value, _)| value).collect());
        }
        Ok(Vocabulary::from_values(values))
    }

    /// A vocabulary from known values (tests, and the loader).
    pub fn from_values(values: BTreeMap<Dimension, Vec<String>>) -> Vocabulary {
        let mut index: BTreeMap<String, Vec<(Dimension, String)>> = BTreeMap::new();
        let mut parts: BTreeMap<String, Vec<(Dimension, String)>> = BTreeMap::new();
        let mut rule_words: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut rules = Vec::new();
        for (dimension, list) in &values {
            for value in list {
                if value.is_empty() {
                    continue;
                }
                if *dimension == Dimension::Rule {
                    rules.push((value.to_lowercase(), value.clone()));
                    for word in value.to_lowercase().split(|c: char| !c.is_alphanumeric()) {
                        let word = singular(word);
                        if word.len() >= SHORTEST_PART && !GENERIC_RULE_WORDS.contains(&word.as_ref()) {
                            let named = rule_words.entry(word.into_owned()).or_default();
                            if !named.contains(value) {
                                named.push(value.clone());
                            }
                        }
                    }
                    continue;
                }
                let lower = value.to_lowercase();
                for part in lower.split(NAME_SEPARATORS).skip(1) {
                    if part.len() >= SHORTEST_PART && part.bytes().any(|byte| byte.is_ascii_alphabetic()) {
                        let holders = parts.entry(part.to_string()).or_default();
                        if !holders.iter().any(|(held, name)| held == dimension && name == value) {
                            holders.push((*dimension, value.clone()));
                        }
                    }
                }
                index.entry(lower).or_default().push((*dimension, value.clone()));
                // An image is also named by its last path segment ("netshoot" for
                // docker.io/nicolaka/netshoot), as analysts say it.
                if *dimension == Dimension::Image
                    && let Some((_, short)) = value.rsplit_once('/')
                    && !short.is_empty()
                {
                    index.entry(short.to_lowercase()).or_default().push((*dimension, value.clone()));
                }
            }
        }
        // Longer rule names first, so "Drop and execute new binary in container" wins over a
        // shorter rule whose name it contains.
        rules.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        rule_words.retain(|_, named| named.len() <= RULES_PER_WORD);
        Vocabulary { values, index, rules, parts, rule_words }
    }

    /// The values of one dimension.
    pub fn values(&self, dimension: Dimension) -> &[String] {
        self.values.get(&dimension).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Values equal to `token` (any case), with their dimensions.
    pub fn exact(&self, token: &str) -> &[(Dimension, String)] {
        self.index.get(token).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Values that start with `token` followed by a separator (`risk-10` → `risk-10-aws-...`),
    /// per dimension.
    pub fn by_prefix(&self, token: &str) -> Vec<(Dimension, String)> {
        let mut found = Vec::new();
        for separator in ['-', '_', '.', '/'] {
            let prefix = format!("{token}{separator}");
            for (key, entries) in self.index.range(prefix.clone()..) {
                if !key.starts_with(&prefix) {
                    break;
                }
                found.extend(entries.iter().cloned());
            }
        }
        found
    }

    /// Values that have `token` as a run of whole parts after their first ("ledger" →
    /// `prod-ledger-eks`, "lambda-exfil" → `risk-12-aws-lambda-exfil-go`); prefixes are
    /// [`Vocabulary::by_prefix`]'s.
    pub fn by_part(&self, token: &str) -> Vec<(Dimension, String)> {
        // Looked up by its longest part: short parts ("s3") are not indexed.
        let Some(first) = token.split(NAME_SEPARATORS).max_by_key(|part| part.len()) else {
            return Vec::new();
        };
        let Some(holders) = self.parts.get(first) else {
            return Vec::new();
        };
        holders.iter().filter(|(_, value)| has_run_of_parts(&value.to_lowercase(), token)).cloned().collect()
    }

    /// The stored rules a distinctive word of their names says ("stratum" → "Detect crypto
    /// miners using the Stratum protocol"): a word of at most [`RULES_PER_WORD`] rule names and
    /// not a generic one; none for other words.
    pub fn rules_by_word(&self, word: &str) -> &[String] {
        let word = singular(word);
        if word.len() < SHORTEST_PART {
            return &[];
        }
        self.rule_words.get(word.as_ref()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Rule names that occur in `folded` (lowercase text), longest first, without rules
    /// contained in an already found one.
    pub fn rules_in(&self, folded: &str) -> Vec<String> {
        let mut found: Vec<(String, String)> = Vec::new();
        for (lower, name) in &self.rules {
            if lower.len() >= 6
                && folded.contains(lower.as_str())
                && !found.iter().any(|(f, _)| f.contains(lower.as_str()))
            {
                found.push((lower.clone(), name.clone()));
            }
        }
        found.into_iter().map(|(_, name)| name).collect()
    }

    /// The one rule whose name the question gives nearly whole, as analysts retype it: every
    /// word that tells rules apart (all but one of five or more), in any order, misspelt by up
    /// to two letters in a long word, or inflected ("Redirect STDOUT/STDIN to Network
    /// Connection" for "... in Container", "Basic Interactive Reconnaisance"). `None` when no
    /// rule or several rules are named so.
    pub fn rule_nearly_named(&self, folded: &str) -> Option<String> {
        let asked: Vec<&str> = words_of(folded).collect();
        let mut best: Option<(usize, &String)> = None;
        let mut tied = false;
        for (lower, name) in &self.rules {
            let telling: Vec<&str> = words_of(lower).filter(|word| !RULE_FILLER_WORDS.contains(word)).collect();
            if telling.len() < 3 {
                continue;
            }
            let matched =
                telling.iter().filter(|word| asked.iter().any(|candidate| same_word(candidate, word))).count();
            let needed = if telling.len() >= 5 { telling.len() - 1 } else { telling.len() };
            if matched < needed {
                continue;
            }
            match best {
                Some((count, _)) if count > matched => {}
                Some((count, _)) if count == matched => tied = true,
                _ => {
                    best = Some((matched, name));
                    tied = false;
                }
            }
        }
        best.filter(|_| !tied).map(|(_, name)| name.clone())
    }

    /// The rule named exactly `name` (any case).
    pub fn rule(&self, name: &str) -> Option<&str> {
        let lower = name.trim().to_lowercase();
        self.rules.iter().find(|(candidate, _)| *candidate == lower).map(|(_, name)| name.as_str())
    }

    /// Values of `dimension` closest to `name`: sharing its longest prefix, then by edit
    /// distance; at most `limit`.
    pub fn closest(&self, dimension: Dimension, name: &str, limit: usize) -> Vec<String> {
        let name = name.to_lowercase();
        let mut scored: Vec<(usize, usize, &String)> = self
            .values(dimension)
            .iter()
            .map(|value| {
                let lower = value.to_lowercase();
                let shared = lower.chars().zip(name.chars()).take_while(|(a, b)| a == b).count();
                (usize::MAX - shared, edit_distance(&lower, &name), value)
            })
            .filter(|(inverse_shared, distance, _)| {
                let shared = usize::MAX - inverse_shared;
                shared >= 3 || *distance <= name.chars().count() / 3 + 1
            })
            .collect();
        scored.sort();
        scored.into_iter().take(limit).map(|(_, _, value)| value.clone()).collect()
    }

    /// The kind of object a hyphenated name is a likely misspelling of ("prod-recon-ekss",
    /// "stagng-ocp"): a cluster, namespace or workload within two edits of it.
    pub fn misspelt(&self, name: &str) -> Option<Dimension> {
        let name = name.to_lowercase();
        [Dimension::Cluster, Dimension::Namespace, Dimension::Workload].into_iter().find(|dimension| {
            self.values(*dimension).iter().any(|value| {
                let distance = edit_distance(&value.to_lowercase(), &name);
                distance > 0 && distance <= 2
            })
        })
    }

    /// True when the store holds no linkable value at all.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty() && self.rules.is_empty()
    }
}

/// Whether `run` occurs in `name` as whole parts, not at its start.
fn has_run_of_parts(name: &str, run: &str) -> bool {
    name.match_indices(run).any(|(start, _)| {
        let end = start + run.len();
        let before = name[..start].chars().next_back();
        let after = name[end..].chars().next();
        start > 0
            && before.is_some_and(|c| NAME_SEPARATORS.contains(&c))
            && after.is_none_or(|c| NAME_SEPARATORS.contains(&c))
    })
}

/// Words of rule names that do not tell one rule from another.
const RULE_FILLER_WORDS: &[&str] =
    &["a", "an", "the", "to", "in", "from", "and", "of", "for", "with", "on", "by", "using", "container", "containers"];

/// The words of a text: runs of letters and digits.
fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty())
}

/// Whether an asked word is a rule's word: the same, inflected ("launched", "tools"), or a
/// long word misspelt by at most two letters.
fn same_word(asked: &str, word: &str) -> bool {
    asked == word
        || singular(asked) == word
        || (word.len() >= 4 && asked.starts_with(word) && asked.len() <= word.len() + 3)
        || (word.chars().count() >= 7 && edit_distance(asked, word) <= 2)
}

/// Levenshtein distance over characters.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A vocabulary like the demo data's.
    pub fn demo() -> Vocabulary {
        let mut values = BTreeMap::new();
        let list = |items: &[&str]| items.iter().map(|item| item.to_string()).collect::<Vec<_>>();
        values.insert(Dimension::Cluster, list(&["risks-aws-eks-workloads-shield", "prod-recon-eks", "staging-ocp"]));
        values.insert(
            Dimension::Namespace,
            list(&[
                "risk-10-aws-bedrock-java",
                "risk-3-aws-s3-exposed-python",
                "risk-12-aws-lambda-exfil-go",
                "storefront",
                "platform-tools",
            ]),
        );
        values.insert(
            Dimension::Workload,
            list(&["risk-10-aws-bedrock-java", "checkout-api", "catalog-api", "debug-toolbox"]),
        );
        values.insert(Dimension::Pod, list(&["risk-10-aws-bedrock-java-fvsm52jnp-bddn7", "checkout-api-7f9-abcde"]));
        values.insert(Dimension::Process, list(&["easyminer", "nmap", "curl", "bash", "sh"]));
        values.insert(
            Dimension::Rule,
            list(&[
                "Terminal shell in container",
                "Drop and execute new binary in container",
                "Clear Log Activities",
                "Detect crypto miners using the Stratum protocol",
                "Reverse Shell from Web Server",
                "Container Drift Detected (chmod)",
                "Container Drift Detected (open+create)",
            ]),
        );
        Vocabulary::from_values(values)
    }

    #[test]
    fn names_are_found_by_their_middle_parts_and_rules_by_their_distinctive_words() {
        let vocabulary = demo();
        assert_eq!(
            vocabulary.by_part("lambda-exfil"),
            vec![(Dimension::Namespace, "risk-12-aws-lambda-exfil-go".to_string())]
        );
        assert_eq!(
            vocabulary.by_part("workloads"),
            vec![(Dimension::Cluster, "risks-aws-eks-workloads-shield".to_string())]
        );
        assert!(vocabulary.by_part("risk").is_empty(), "a first part is a prefix, not a middle part");
        assert!(vocabulary.by_part("lamb").is_empty(), "parts match whole");
        assert_eq!(
            vocabulary.rules_by_word("Stratum".to_lowercase().as_str()),
            ["Detect crypto miners using the Stratum protocol"]
        );
        assert_eq!(vocabulary.rules_by_word("drift").len(), 2);
        assert!(vocabulary.rules_by_word("container").is_empty(), "generic words name no rule");
        assert!(vocabulary.rules_by_word("shell").is_empty());
        assert_eq!(singular("miners"), "miner");
        assert_eq!(singular("activities"), "activity");
        assert_eq!(singular("process"), "process");
    }

    #[test]
    fn exact_prefix_and_rules() {
        let vocabulary = demo();
        assert_eq!(vocabulary.exact("storefront"), &[(Dimension::Namespace, "storefront".to_string())]);
        let risk10: Vec<Dimension> = vocabulary.by_prefix("risk-10").into_iter().map(|(d, _)| d).collect();
        assert_eq!(risk10, vec![Dimension::Namespace, Dimension::Workload, Dimension::Pod]);
        assert!(vocabulary.by_prefix("risk-1").is_empty());
        assert_eq!(
            vocabulary.rules_in("explain terminal shell in container please"),
            vec!["Terminal shell in container".to_string()]
        );
        assert_eq!(vocabulary.rule("clear log activities"), Some("Clear Log Activities"));
    }

    #[test]
    fn misspellings_of_object_names() {
        let vocabulary = demo();
        assert_eq!(vocabulary.misspelt("prod-recon-ekss"), Some(Dimension::Cluster));
        assert_eq!(vocabulary.misspelt("stagng-ocp"), Some(Dimension::Cluster));
        assert_eq!(vocabulary.misspelt("checkout-apl"), Some(Dimension::Workload));
        for prose in ["week-over-week", "kill-chain", "prod-recon-eks", "high-severity"] {
            assert_eq!(vocabulary.misspelt(prose), None, "{prose}");
        }
    }

    #[test]
    fn images_are_named_by_their_last_segment_too() {
        let mut values = BTreeMap::new();
        values.insert(Dimension::Image, vec!["docker.io/nicolaka/netshoot".to_string()]);
        values.insert(Dimension::Workload, vec!["netshoot".to_string()]);
        let vocabulary = Vocabulary::from_values(values);
        let found: Vec<Dimension> = vocabulary.exact("netshoot").iter().map(|(dimension, _)| *dimension).collect();
        assert_eq!(found, vec![Dimension::Workload, Dimension::Image]);
    }

    #[test]
    fn a_rule_retyped_nearly_whole_is_named() {
        let vocabulary = demo();
        for question in [
            "what does drop and execute new binary detect",
            "explain the Drop & Execute New Binaries rule",
            "途中の「drop and execute new binary」って何",
        ] {
            assert_eq!(
                vocabulary.rule_nearly_named(&question.to_lowercase()).as_deref(),
                Some("Drop and execute new binary in container"),
                "{question}"
            );
        }
        assert_eq!(vocabulary.rule_nearly_named("explain the terminal shell rule"), None, "too few words");
        assert_eq!(vocabulary.rule_nearly_named("a new binary was dropped"), None, "not the whole name");
    }

    #[test]
    fn closest_values_share_a_prefix_or_are_near() {
        let vocabulary = demo();
        assert_eq!(
            vocabulary.closest(Dimension::Namespace, "risk-11", 2),
            vec!["risk-10-aws-bedrock-java".to_string(), "risk-12-aws-lambda-exfil-go".to_string()]
        );
        assert_eq!(vocabulary.closest(Dimension::Namespace, "storfront", 3), vec!["storefront".to_string()]);
    }
}
