//! Literal values pasted into a question: IPv4 addresses and CIDR blocks, ports, file paths
//! and path prefixes, URLs and domain names. They are what an analyst copies from an alert or
//! a ticket ("which pod talked to 198.51.100.23?", 「/dev/shm/easyminer はどこで実行された?」),
//! and what a full-text search over the stored alerts finds; each becomes a search term.

use super::command_line::{command_lines, inside};
use super::text::{Question, trailing_run};

/// What kind of value a pasted literal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// An IPv4 address, with an optional `:port`.
    Ipv4,
    /// An IPv4 CIDR block (`10.0.0.0/8`).
    Cidr,
    /// A port number named as one ("port 4444", `:4444`, 「ポート4444」).
    Port,
    /// An absolute file path or path prefix (`/dev/shm/easyminer`, `/etc/`).
    Path,
    /// A URL (`http://203.0.113.50/dl/easyminer`).
    Url,
    /// A domain name (`de.minexmr.com`).
    Domain,
    /// A user name introduced as one ("user www-data", 「www-data ユーザー」).
    User,
    /// An opaque identifier copied from an alert (a wallet `49fAKEwALLETeXAMPLEnOTrEAL`, a
    /// token): a long run of letters and digits that is not hexadecimal (ids are linked).
    Identifier,
    /// A command line pasted from an alert (`apt-get install -y vim-tiny`), see
    /// [`super::command_line`].
    Command,
    /// A file name with a script or binary extension, without its directory (`linpeas.sh`).
    FileName,
}

/// One literal value of the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastedValue {
    /// Its kind.
    pub kind: ValueKind,
    /// The value as written (lowercase, sentence punctuation trimmed).
    pub text: String,
}

impl PastedValue {
    /// The full-text query that finds the alerts mentioning this value. The index splits text
    /// at punctuation, so a dotted or slashed value is searched as a phrase of its parts: an
    /// address matches only those four numbers in a row, a path only those directories. A CIDR
    /// block is searched by its whole leading octets (`10.1.0.0/16` → `"10.1"`), which is exact
    /// for the usual /8, /16 and /24 blocks and a superset for the others.
    pub fn search_term(&self) -> String {
        match self.kind {
            ValueKind::Port => self.text.clone(),
            ValueKind::User => phrase(&self.text),
            ValueKind::Identifier => self.text.clone(),
            ValueKind::Cidr => {
                let (address, bits) = self.text.split_once('/').unwrap_or((self.text.as_str(), "32"));
                let bits: usize = bits.parse().unwrap_or(32);
                let octets: Vec<&str> = address.split('.').take((bits / 8).clamp(1, 4)).collect();
                phrase(&octets.join("."))
            }
            ValueKind::Url => {
                let without_scheme = self.text.split_once("://").map_or(self.text.as_str(), |(_, rest)| rest);
                phrase(without_scheme.trim_end_matches('/'))
            }
            ValueKind::Ipv4 | ValueKind::Path | ValueKind::Domain => phrase(self.text.trim_end_matches('/')),
            ValueKind::Command | ValueKind::FileName => phrase(&self.text),
        }
    }
}

/// A quoted phrase for the query parser (quotes inside are dropped).
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', ""))
}

/// Words before a number that make it a port.
const PORT_WORDS: &[&str] = &["port", "ports", "tcp", "udp", "ポート", "番ポート"];

/// File extensions that make a dotted word a file name rather than a domain.
const FILE_EXTENSIONS: &[&str] = &[
    "sh", "py", "js", "go", "rb", "pl", "php", "yaml", "yml", "json", "txt", "log", "conf", "cfg", "so", "exe", "bin",
    "jar", "tar", "gz", "zip", "key", "pem", "crt", "ini", "xml", "html", "md", "service", "d",
];

/// The literal values of `question`, in the order written, each once.
pub fn pasted_values(question: &Question) -> Vec<PastedValue> {
    let mut values: Vec<PastedValue> = Vec::new();
    let mut push = |kind: ValueKind, text: &str| {
        if !values.iter().any(|value| value.text == text) {
            values.push(PastedValue { kind, text: text.to_string() });
        }
    };
    let commands = command_lines(question);
    for command in &commands {
        push(ValueKind::Command, &command.text);
    }
    for token in question.tokens() {
        if inside(&commands, token.start, token.end) {
            continue;
        }
        let text = token.text.trim_end_matches([',', '?', ')']);
        if text.starts_with("http://") || text.starts_with("https://") {
            if text.len() > "https://".len() {
                push(ValueKind::Url, text);
            }
            continue;
        }
        if let Some((address, port)) = address_and_port(text) {
            push(if address.contains('/') { ValueKind::Cidr } else { ValueKind::Ipv4 }, address);
            if let Some(port) = port {
                push(ValueKind::Port, port);
            }
            continue;
        }
        if let Some(port) = text.strip_prefix(':').filter(|port| is_port(port)) {
            push(ValueKind::Port, port);
            continue;
        }
        if is_path(text) {
            push(ValueKind::Path, text);
            continue;
        }
        // ".aws/credentials": the leading dot of a hidden directory was trimmed as punctuation.
        if question.folded[..token.start].ends_with('.') && text.contains('/') {
            let hidden = format!(".{text}");
            if is_path(&hidden) {
                push(ValueKind::Path, &hidden);
                continue;
            }
        }
        // ".bashrc", ".kube": a hidden file named alone, its dot trimmed as punctuation.
        if is_hidden_file_name(&question.folded[..token.start], text) {
            push(ValueKind::FileName, &format!(".{text}"));
            continue;
        }
        if is_domain(text) {
            push(ValueKind::Domain, text);
            continue;
        }
        if is_file_name(text) {
            push(ValueKind::FileName, text);
            continue;
        }
        if is_port(text) && follows_a_port_word(question, token.start) {
            push(ValueKind::Port, text);
            continue;
        }
        if is_user_name(text) && introduced_as_a_user(question, token.start, token.end) {
            push(ValueKind::User, text);
            continue;
        }
        if is_identifier(text) || is_snake_case_name(text) {
            push(ValueKind::Identifier, text);
        }
    }
    values
}

/// A file or key name written in snake case (`authorized_keys`, `id_rsa`, `known_hosts`):
/// nothing Kubernetes names so, and no word of a sentence. Field names (`container_id`,
/// `k8s_pod_name`) are not values.
fn is_snake_case_name(text: &str) -> bool {
    const FIELD_ENDINGS: &[&str] = &["_id", "_name", "_ip", "_port", "_type", "_uid", "_user", "_cmdline"];
    let parts: Vec<&str> = text.split('_').collect();
    parts.len() >= 2
        && text.len() >= 5
        && parts.iter().all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_lowercase()))
        && !FIELD_ENDINGS.iter().any(|ending| text.ends_with(ending))
}

/// A file name with a script, archive or binary extension and no directory: `linpeas.sh`,
/// `payload.tar.gz` (not a field name such as `proc.name`, nor a version such as `1.2`).
fn is_file_name(text: &str) -> bool {
    let Some((stem, extension)) = text.rsplit_once('.') else { return false };
    const RUNNABLE: &[&str] =
        &["sh", "py", "pl", "rb", "php", "js", "jar", "bin", "exe", "so", "elf", "gz", "tar", "zip", "tgz", "xz"];
    stem.len() >= 2
        && stem.bytes().next().is_some_and(|byte| byte.is_ascii_alphabetic())
        && stem.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte))
        && RUNNABLE.contains(&extension)
        && !FIELD_CLASSES.contains(&stem.split('.').next().unwrap_or(""))
}

/// Whether `text`, after `before`, is a hidden file's name whose dot was trimmed: a dot that
/// opens a word (at the start or after a space, not ending a sentence) before a lowercase
/// name of at least three letters (`.bashrc`, `.profile`, `.kube`).
fn is_hidden_file_name(before: &str, text: &str) -> bool {
    let Some(opening) = before.strip_suffix('.') else { return false };
    opening.chars().next_back().is_none_or(char::is_whitespace)
        && text.len() >= 3
        && text.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
        && text.bytes().next().is_some_and(|byte| byte.is_ascii_lowercase())
}

/// Shortest opaque identifier ([`ValueKind::Identifier`]).
const IDENTIFIER_FROM: usize = 16;

/// Whether a token is an opaque identifier: letters and digits only, both, and not hex.
fn is_identifier(text: &str) -> bool {
    text.len() >= IDENTIFIER_FROM
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric())
        && text.bytes().any(|byte| byte.is_ascii_digit())
        && text.bytes().any(|byte| byte.is_ascii_alphabetic() && !byte.is_ascii_hexdigit())
}

/// Whether a token is an address, block, URL, path or domain: a value to search for, never
/// the name of a Kubernetes object to link (a pod "talked to 10.0.0.5", not the pod 10.0.0.5).
pub fn is_literal(text: &str) -> bool {
    text.starts_with("http://")
        || text.starts_with("https://")
        || address_and_port(text).is_some()
        || is_path(text)
        || is_domain(text)
}

/// `a.b.c.d`, `a.b.c.d/n` or `a.b.c.d:port`, split into the address (or block) and the port.
fn address_and_port(text: &str) -> Option<(&str, Option<&str>)> {
    let (address, port) = match text.rsplit_once(':') {
        Some((address, port)) if is_port(port) => (address, Some(port)),
        _ => (text, None),
    };
    let (ip, bits) = match address.split_once('/') {
        Some((ip, bits)) => (ip, Some(bits)),
        None => (address, None),
    };
    let octets: Vec<&str> = ip.split('.').collect();
    let valid_octets = octets.len() == 4
        && octets.iter().all(|octet| !octet.is_empty() && octet.len() <= 3 && octet.parse::<u8>().is_ok());
    let valid_bits = bits.is_none_or(|bits| bits.parse::<u8>().is_ok_and(|bits| bits <= 32));
    (valid_octets && valid_bits).then_some((address, port))
}

/// A port number (1 to 65535, no leading zero).
fn is_port(text: &str) -> bool {
    !text.starts_with('0') && text.len() <= 5 && text.parse::<u32>().is_ok_and(|port| (1..=65535).contains(&port))
}

/// An absolute path with at least one named directory or file (`/etc/shadow`, `/tmp/`), or
/// one under a hidden directory (`.aws/credentials`, `./x.sh`), not a ratio or a lone slash.
fn is_path(text: &str) -> bool {
    let hidden = text.strip_prefix("./").or_else(|| text.strip_prefix('.')).filter(|rest| {
        rest.starts_with(|c: char| c.is_ascii_alphabetic()) && (rest.contains('/') || text.starts_with("./"))
    });
    let Some(rest) = text.strip_prefix('/').or(hidden) else { return false };
    rest.chars().any(|c| c.is_ascii_alphabetic())
        && !rest.starts_with('/')
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"/._-".contains(&byte))
}

/// A dotted name ending in an alphabetic top-level label that is not a file extension
/// (`de.minexmr.com`, `pool.example.org`), not a field name (`proc.name`).
fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    let Some(top) = labels.last() else { return false };
    labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-'))
        && (2..=12).contains(&top.len())
        && top.bytes().all(|byte| byte.is_ascii_alphabetic())
        && !FILE_EXTENSIONS.contains(top)
        && (!FIELD_CLASSES.contains(&labels[0]) || is_service_name(&labels))
}

/// A Kubernetes service's DNS name (`kubernetes.default.svc`, `api.payments.svc.cluster.local`):
/// a domain even where its first label is a field class, since no field ends in `svc` or has
/// `default` for an object kind.
fn is_service_name(labels: &[&str]) -> bool {
    labels.contains(&"svc") || (labels.first() == Some(&"kubernetes") && labels.get(1) == Some(&"default"))
}

/// The classes of Falco's field names (`proc.name`, `fd.sip`, `k8s.ns.name`): a dotted word
/// starting with one is a field, not a domain.
const FIELD_CLASSES: &[&str] = &[
    "proc",
    "fd",
    "evt",
    "k8s",
    "kubernetes",
    "container",
    "user",
    "group",
    "thread",
    "spawned_process",
    "ka",
    "k8smeta",
    "mitre",
    "falco",
    "saker",
    "alert",
    "fs",
    "syscall",
    "span",
    "output_fields",
    "net",
];

/// Accounts every Linux image has, named without the `-`, `_` or digit that sets other user
/// names apart from English words.
const SYSTEM_ACCOUNTS: &[&str] = &[
    "root",
    "nobody",
    "daemon",
    "bin",
    "sys",
    "www",
    "nginx",
    "apache",
    "httpd",
    "postgres",
    "mysql",
    "redis",
    "jenkins",
    "git",
    "ubuntu",
    "admin",
    "node",
    "app",
    "elasticsearch",
    "mongodb",
];

/// A Unix user name: `www-data`, `svc_backup`, `user1000`, or a system account (`root`).
fn is_user_name(text: &str) -> bool {
    let shaped = text.len() >= 2
        && text.bytes().next().is_some_and(|byte| byte.is_ascii_lowercase() || byte == b'_')
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_'));
    shaped
        && (text.bytes().any(|byte| matches!(byte, b'-' | b'_') || byte.is_ascii_digit())
            || SYSTEM_ACCOUNTS.contains(&text))
}

/// Whether a user word stands right before the token ("user www-data", "w/ user root", "where
/// user is www-data", "user: root") or right after it ("www-data user", 「www-data ユーザー」).
fn introduced_as_a_user(question: &Question, start: usize, end: usize) -> bool {
    let before = question.folded[..start].trim_end();
    let after = question.folded[end..].trim_start();
    let copula = [" is", " was", ":"].iter().find_map(|link| before.strip_suffix(link)).map_or(before, str::trim_end);
    let word_before = copula.rsplit(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("");
    matches!(word_before, "user" | "username")
        || ["ユーザー", "ユーザ"].iter().any(|word| before.ends_with(word) || after.starts_with(word))
        || (after.starts_with("user") && !after.starts_with("users") && {
            let rest = &after["user".len()..];
            rest.chars().next().is_none_or(|c| !c.is_ascii_alphanumeric())
        })
}

/// Whether a port word ends right before byte `start` of the folded question.
fn follows_a_port_word(question: &Question, start: usize) -> bool {
    let before = question.folded[..start].trim_end();
    PORT_WORDS.iter().any(|word| before.ends_with(word))
}

/// Particles and verbs after which (in Japanese) or before which (in English) a pasted value is
/// what the question searches for: 「X を含む」, 「X へのアクセス」, "to X", "hitting X".
pub const JAPANESE_SEARCH_CUES: &[&str] = &[
    "を含む",
    "を含んだ",
    "を検索",
    "で検索",
    "を探",
    "を洗い出",
    "を grep",
    "をgrep",
    "で grep",
    "でgrep",
    "で探",
    "が出てくる",
    "が含まれる",
    "へのアクセス",
    "への通信",
    "への接続",
    "に接続",
    "と通信",
    "にアクセス",
];

/// The word right before a Japanese search cue (「easyminer を含むアラート」 → `easyminer`): a run
/// of ASCII name characters, or else of katakana and kanji.
pub fn japanese_search_term(question: &Question) -> Option<String> {
    let folded = question.folded.as_str();
    JAPANESE_SEARCH_CUES.iter().filter_map(|cue| folded.find(cue)).min().and_then(|position| {
        let before = folded[..position].trim_end().trim_end_matches(['」', '"', '`', '』']);
        let ascii = trailing_run(before, |c| c.is_ascii_alphanumeric() || "-_./:".contains(c));
        let term = if ascii.is_empty() { trailing_run(before, is_katakana_or_kanji) } else { ascii };
        let term = term.trim_matches(['.', ':', '-']).to_string();
        (term.chars().count() >= 2).then_some(term)
    })
}

fn is_katakana_or_kanji(c: char) -> bool {
    matches!(c, '\u{30a0}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(ValueKind, String)> {
        pasted_values(&Question::new(text)).into_iter().map(|value| (value.kind, value.text)).collect()
    }

    #[test]
    fn addresses_blocks_and_ports() {
        assert_eq!(values("which pod talked to 198.51.100.23?"), vec![(ValueKind::Ipv4, "198.51.100.23".into())]);
        assert_eq!(
            values("anything to 198.51.100.23:4444 or 10.0.0.0/8"),
            vec![
                (ValueKind::Ipv4, "198.51.100.23".into()),
                (ValueKind::Port, "4444".into()),
                (ValueKind::Cidr, "10.0.0.0/8".into())
            ]
        );
        assert_eq!(values("outbound on port 4444"), vec![(ValueKind::Port, "4444".into())]);
        assert_eq!(values("ポート 4444 への通信"), vec![(ValueKind::Port, "4444".into())]);
        assert!(values("alerts in the last 24 hours, top 5").is_empty());
        assert!(values("version 1.2.3.4.5 and 300.1.1.1").is_empty());
    }

    #[test]
    fn opaque_identifiers_but_not_ids_or_names() {
        assert_eq!(
            values("ウォレットっぽい 49fAKEwALLETeXAMPLEnOTrEAL で引っかかるイベントある?"),
            vec![(ValueKind::Identifier, "49fakewalletexamplenotreal".into())]
        );
        assert!(
            values("explain alert 9ca8860ca8ce93b7500fad8218151b63").is_empty(),
            "hex ids are linked, not searched"
        );
        assert!(values("risk-10-aws-bedrock-java-fvsm52jnp-bddn7 and reconnaissance").is_empty());
        assert_eq!(
            values("authorized_keys いじられてるの探して"),
            vec![(ValueKind::Identifier, "authorized_keys".into())]
        );
        assert!(values("container_id and k8s_pod_name fields").is_empty(), "field names are no values");
        assert_eq!(values(".bashrc いじってるイベントある？"), vec![(ValueKind::FileName, ".bashrc".into())]);
        assert_eq!(values("who touched .profile"), vec![(ValueKind::FileName, ".profile".into())]);
        assert!(values("it ran. then stopped").is_empty(), "a sentence's full stop opens no file name");
        assert_eq!(values("any alerts where user is www-data?"), vec![(ValueKind::User, "www-data".into())]);
    }

    #[test]
    fn paths_urls_and_domains() {
        assert_eq!(
            values("/dev/shm/easyminer どこで実行された?"),
            vec![(ValueKind::Path, "/dev/shm/easyminer".into())]
        );
        assert_eq!(values("anything under /etc/?"), vec![(ValueKind::Path, "/etc".into())]);
        assert_eq!(values("did anyone read .aws/credentials"), vec![(ValueKind::Path, ".aws/credentials".into())]);
        assert_eq!(
            values("who fetched http://203.0.113.50/dl/easyminer"),
            vec![(ValueKind::Url, "http://203.0.113.50/dl/easyminer".into())]
        );
        assert_eq!(values("de.minexmr.com へのアクセス"), vec![(ValueKind::Domain, "de.minexmr.com".into())]);
        // A script's file name is a value; linking drops it when it is a stored process name.
        assert_eq!(
            values("what ran malicious-bin-event-gen.sh and set proc.name"),
            vec![(ValueKind::FileName, "malicious-bin-event-gen.sh".into())]
        );
        assert_eq!(values("who dl'd linpeas.sh"), vec![(ValueKind::FileName, "linpeas.sh".into())]);
        assert!(values("upgrade to 1.2 and check proc.name").is_empty());
        assert!(values("24/7 coverage, and/or").is_empty());
        assert_eq!(values("any alerts w/ user www-data?"), vec![(ValueKind::User, "www-data".into())]);
        assert_eq!(values("www-data ユーザーの操作"), vec![(ValueKind::User, "www-data".into())]);
        assert!(values("which user ran it? the user is unknown").is_empty());
    }

    #[test]
    fn service_names_are_domains_and_field_names_are_not() {
        assert_eq!(
            values("anything with kubernetes.default.svc in it"),
            vec![(ValueKind::Domain, "kubernetes.default.svc".into())]
        );
        assert!(values("group by kubernetes.cluster.name").is_empty());
    }

    #[test]
    fn search_terms_are_phrases_of_the_parts() {
        let term = |text: &str| pasted_values(&Question::new(text)).first().map(PastedValue::search_term);
        assert_eq!(term("198.51.100.23").as_deref(), Some("\"198.51.100.23\""));
        assert_eq!(term("10.1.0.0/16").as_deref(), Some("\"10.1\""));
        assert_eq!(term("http://203.0.113.50/dl/easyminer").as_deref(), Some("\"203.0.113.50/dl/easyminer\""));
        assert_eq!(term("port 4444").as_deref(), Some("4444"));
    }

    #[test]
    fn the_word_before_a_japanese_search_cue() {
        let term = |text: &str| japanese_search_term(&Question::new(text));
        assert_eq!(term("easyminer を含むアラートを洗い出して").as_deref(), Some("easyminer"));
        assert_eq!(term("「kworkerd」を検索").as_deref(), Some("kworkerd"));
        assert_eq!(term("nmapを探して").as_deref(), Some("nmap"));
        assert_eq!(term("を検索"), None);
    }
}
