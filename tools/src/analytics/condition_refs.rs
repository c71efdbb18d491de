//! Reads what a Falco condition refers to: fields (`proc.name`, `proc.aname[2]`), names of
//! macros or lists (`spawned_process`, `network_tool_binaries`) and literal values
//! (`/dev/shm`, `execve`).
//!
//! This is a lexical reading, not a parser: enough to say which of an alert's field values a
//! rule looked at, and which allow-list hooks it has.

/// The references of one condition, each once, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionRefs {
    /// Dotted field names.
    pub fields: Vec<String>,
    /// Bare identifiers that are not operators (macro or list names, or bare values).
    pub names: Vec<String>,
    /// Quoted strings and bare values that are not identifiers (`/dev/shm`, `169.254.169.254`).
    pub literals: Vec<String>,
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "intersects",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "pmatch",
    "exists",
    "regex",
    "val",
    "true",
    "false",
];

/// Reads the references of `condition`.
pub fn references(condition: &str) -> ConditionRefs {
    let mut refs = ConditionRefs::default();
    for token in tokens(condition) {
        let (text, quoted) = token;
        if quoted {
            push_unique(&mut refs.literals, text);
        } else if is_field(&text) {
            push_unique(&mut refs.fields, text);
        } else if is_identifier(&text) {
            if !KEYWORDS.contains(&text.as_str()) {
                push_unique(&mut refs.names, text);
            }
        } else if !text.is_empty() && !is_operator(&text) {
            push_unique(&mut refs.literals, text);
        }
    }
    refs
}

fn push_unique(into: &mut Vec<String>, value: String) {
    if !into.contains(&value) {
        into.push(value);
    }
}

/// Splits on whitespace, parentheses and commas; quoted strings are one token (marked true).
fn tokens(condition: &str) -> Vec<(String, bool)> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut characters = condition.chars().peekable();
    let flush = |current: &mut String, tokens: &mut Vec<(String, bool)>| {
        if !current.is_empty() {
            tokens.push((std::mem::take(current), false));
        }
    };
    while let Some(character) = characters.next() {
        match character {
            '"' | '\'' => {
                flush(&mut current, &mut tokens);
                let mut quoted = String::new();
                for next in characters.by_ref() {
                    if next == character {
                        break;
                    }
                    quoted.push(next);
                }
                tokens.push((quoted, true));
            }
            '(' | ')' | ',' => flush(&mut current, &mut tokens),
            '=' | '<' | '>' | '!' => {
                flush(&mut current, &mut tokens);
                while characters.peek().is_some_and(|next| matches!(next, '=' | '<' | '>' | '!')) {
                    characters.next();
                }
            }
            other if other.is_whitespace() => flush(&mut current, &mut tokens),
            other => current.push(other),
        }
    }
    flush(&mut current, &mut tokens);
    tokens
}

/// `class.name[...]`: a letter first, at least one dot, identifier characters, an optional
/// bracketed argument.
fn is_field(text: &str) -> bool {
    let base = text.split('[').next().unwrap_or_default();
    base.contains('.')
        && base.starts_with(|first: char| first.is_ascii_lowercase())
        && base.split('.').all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        && (base.len() == text.len() || text.ends_with(']'))
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|first: char| first.is_ascii_alphabetic() || first == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_operator(text: &str) -> bool {
    text.chars().all(|c| matches!(c, '=' | '<' | '>' | '!'))
}

/// True for macro and list names that, by Falco's naming conventions, hold the cases a rule
/// should not alert on (`user_known_*`, `*_trusted_*`, `known_*`, `allowed_*`, ...).
pub fn is_allow_list_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["user_known_", "known_", "allowed_", "user_expected_", "user_trusted_", "trusted_", "excluded_", "exclude_"]
        .iter()
        .any(|prefix| lower.starts_with(prefix))
        || ["_trusted_", "_allowed_", "_known_", "allowlist", "whitelist", "_exceptions"]
            .iter()
            .any(|part| lower.contains(part))
        || lower.ends_with("_trusted")
        || lower.ends_with("_allowed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_names_and_literals() {
        let refs = references(
            "spawned_process and container and proc.name in (network_tool_binaries) and \
             fd.name startswith /dev/shm and proc.aname[2]=runc and not proc.cmdline contains \"a b\" \
             and evt.dir=<",
        );
        assert_eq!(refs.fields, ["proc.name", "fd.name", "proc.aname[2]", "proc.cmdline", "evt.dir"]);
        assert_eq!(refs.names, ["spawned_process", "container", "network_tool_binaries", "runc"]);
        assert_eq!(refs.literals, ["/dev/shm", "a b"]);
    }

    #[test]
    fn recognises_allow_list_names() {
        for name in ["user_known_network_tool_activities", "known_drop_and_execute_containers", "allowed_k8s_users"] {
            assert!(is_allow_list_name(name), "{name}");
        }
        for name in ["spawned_process", "network_tool_procs", "container"] {
            assert!(!is_allow_list_name(name), "{name}");
        }
    }
}
