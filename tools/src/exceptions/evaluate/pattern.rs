//! Falco's two pattern matchers: `glob` (libsinsp calls `fnmatch(pattern, value, 0)`, so `*`
//! and `?` also match `/` and a backslash escapes the next character) and `pmatch` (path
//! prefix match over `/`-separated components, each prefix component compared exactly or as a
//! glob when it holds `*`, `?` or `[`).

/// Case handling of a glob match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobCase {
    /// `glob`: characters compare exactly.
    Sensitive,
    /// `iglob`: ASCII letters compare without case (`FNM_CASEFOLD`).
    Insensitive,
}

/// True when `value` matches the glob `pattern` as POSIX `fnmatch` with no flags does:
/// `*` any run of characters (including `/` and a leading `.`), `?` any one character,
/// `[...]` a bracket expression (`!` or `^` negates, `a-z` ranges, `[:alpha:]` classes, `]`
/// first is literal; an unclosed `[` is a literal `[`), `\x` the character `x`.
pub fn glob_matches(pattern: &str, value: &str, case: GlobCase) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    let (mut pattern_index, mut value_index) = (0usize, 0usize);
    // Where to resume after the last `*`: the pattern position after it and the value
    // position it has consumed up to.
    let mut resume: Option<(usize, usize)> = None;
    while value_index < value.len() {
        let step = match pattern.get(pattern_index) {
            Some('*') => {
                resume = Some((pattern_index + 1, value_index));
                pattern_index += 1;
                continue;
            }
            Some(_) => single_match(&pattern, pattern_index, value[value_index], case),
            None => None,
        };
        match step {
            Some(next_pattern_index) => {
                pattern_index = next_pattern_index;
                value_index += 1;
            }
            None => match resume {
                Some((after_star, consumed)) => {
                    pattern_index = after_star;
                    value_index = consumed + 1;
                    resume = Some((after_star, consumed + 1));
                }
                None => return false,
            },
        }
    }
    pattern[pattern_index..].iter().all(|&character| character == '*')
}

/// Matches one value character against the pattern element at `index` (not `*`); the
/// index after the element when it matches.
fn single_match(pattern: &[char], index: usize, character: char, case: GlobCase) -> Option<usize> {
    match pattern[index] {
        '?' => Some(index + 1),
        '[' => match bracket(pattern, index, character, case) {
            Some((matched, next)) => matched.then_some(next),
            None => same_char('[', character, case).then_some(index + 1),
        },
        '\\' => match pattern.get(index + 1) {
            Some(&escaped) => same_char(escaped, character, case).then_some(index + 2),
            None => same_char('\\', character, case).then_some(index + 1),
        },
        literal => same_char(literal, character, case).then_some(index + 1),
    }
}

fn same_char(left: char, right: char, case: GlobCase) -> bool {
    match case {
        GlobCase::Sensitive => left == right,
        GlobCase::Insensitive => left.eq_ignore_ascii_case(&right),
    }
}

/// Reads the bracket expression starting at `start` (a `[`) and tests `character` against it:
/// whether it matched and the index after the closing `]`; `None` when the bracket is not
/// closed (the `[` is then a literal).
fn bracket(pattern: &[char], start: usize, character: char, case: GlobCase) -> Option<(bool, usize)> {
    let mut index = start + 1;
    let negated = matches!(pattern.get(index), Some('!' | '^'));
    if negated {
        index += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let current = *pattern.get(index)?;
        if current == ']' && !first {
            return Some((matched != negated, index + 1));
        }
        first = false;
        if current == '[' && pattern.get(index + 1) == Some(&':') {
            let close = (index + 2..pattern.len().saturating_sub(1))
                .find(|&position| pattern[position] == ':' && pattern[position + 1] == ']');
            if let Some(close) = close {
                let class: String = pattern[index + 2..close].iter().collect();
                matched |= in_class(&class, character);
                index = close + 2;
                continue;
            }
        }
        let low = if current == '\\' {
            index += 1;
            *pattern.get(index)?
        } else {
            current
        };
        if pattern.get(index + 1) == Some(&'-') && pattern.get(index + 2).is_some_and(|&high| high != ']') {
            let mut high_index = index + 2;
            if pattern[high_index] == '\\' {
                high_index += 1;
            }
            let high = *pattern.get(high_index)?;
            matched |= in_range(low, high, character, case);
            index = high_index + 1;
        } else {
            matched |= same_char(low, character, case);
            index += 1;
        }
    }
}

fn in_range(low: char, high: char, character: char, case: GlobCase) -> bool {
    let within = |candidate: char| low <= candidate && candidate <= high;
    match case {
        GlobCase::Sensitive => within(character),
        GlobCase::Insensitive => {
            within(character) || within(character.to_ascii_lowercase()) || within(character.to_ascii_uppercase())
        }
    }
}

fn in_class(class: &str, character: char) -> bool {
    match class {
        "alpha" => character.is_ascii_alphabetic(),
        "digit" => character.is_ascii_digit(),
        "alnum" => character.is_ascii_alphanumeric(),
        "upper" => character.is_ascii_uppercase(),
        "lower" => character.is_ascii_lowercase(),
        "space" => character.is_ascii_whitespace() || character == '\u{b}',
        "blank" => character == ' ' || character == '\t',
        "punct" => character.is_ascii_punctuation(),
        "xdigit" => character.is_ascii_hexdigit(),
        "cntrl" => character.is_ascii_control(),
        "print" => (' '..='~').contains(&character),
        "graph" => ('!'..='~').contains(&character),
        _ => false,
    }
}

/// True when the path `prefix` is a component-wise prefix of `path`, as Falco's `pmatch`
/// decides: `/var/log` matches `/var/log` and `/var/log/dpkg.log` but not `/var/logs` or
/// `/var`; empty components are ignored (so `/var//log/` is `/var/log`, and `/` matches every
/// path); a prefix component holding `*`, `?` or `[` is a glob for one component.
pub fn path_prefix_matches(prefix: &str, path: &str) -> bool {
    let prefix_components = components(prefix);
    let path_components = components(path);
    prefix_components.len() <= path_components.len()
        && prefix_components.iter().zip(&path_components).all(|(wanted, found)| {
            if wanted.contains(['*', '?', '[']) {
                glob_matches(wanted, found, GlobCase::Sensitive)
            } else {
                wanted == found
            }
        })
}

fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|component| !component.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, value: &str) -> bool {
        glob_matches(pattern, value, GlobCase::Sensitive)
    }

    #[test]
    fn star_matches_any_run_including_slashes() {
        assert!(glob("*", ""));
        assert!(glob("*", "/var/log/dpkg.log"));
        assert!(glob("/var/*", "/var/log/dpkg.log"));
        assert!(glob("/var/*.log", "/var/log/dpkg.log"));
        assert!(glob("*dpkg*", "/var/log/dpkg.log"));
        assert!(glob("a*b*c", "abbbc"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXbY"));
        assert!(glob("**", "x"));
        assert!(!glob("/var/*.log", "/var/log/dpkg.txt"));
        assert!(glob("*.log", ".log"));
    }

    #[test]
    fn question_mark_is_one_character() {
        assert!(glob("r?", "rm"));
        assert!(!glob("r?", "r"));
        assert!(!glob("r?", "rmx"));
        assert!(glob("/tmp?x", "/tmp/x"));
        assert!(glob("??", "日本"));
    }

    #[test]
    fn brackets_sets_ranges_negation_and_classes() {
        assert!(glob("[abc]", "b"));
        assert!(!glob("[abc]", "d"));
        assert!(glob("[a-c]x", "bx"));
        assert!(!glob("[a-c]x", "dx"));
        assert!(glob("[!a-c]", "d"));
        assert!(glob("[^a-c]", "d"));
        assert!(!glob("[!a-c]", "a"));
        assert!(glob("[]]", "]"));
        assert!(glob("[!]]", "a"));
        assert!(glob("[a-]", "-"));
        assert!(glob("[[:digit:]][[:alpha:]]", "1a"));
        assert!(!glob("[[:digit:]]", "a"));
        assert!(glob("python[23]", "python3"));
        // An unclosed bracket is a literal `[`.
        assert!(glob("[abc", "[abc"));
        assert!(!glob("[abc", "a"));
    }

    #[test]
    fn backslash_escapes() {
        assert!(glob("\\*", "*"));
        assert!(!glob("\\*", "x"));
        assert!(glob("a\\?", "a?"));
        assert!(glob("a\\", "a\\"));
        assert!(glob("[\\]]", "]"));
    }

    #[test]
    fn case_folding_only_for_iglob() {
        assert!(!glob("HTTPD*", "httpd-worker"));
        assert!(glob_matches("HTTPD*", "httpd-worker", GlobCase::Insensitive));
        assert!(glob_matches("[A-C]", "b", GlobCase::Insensitive));
        assert!(!glob_matches("[A-C]", "b", GlobCase::Sensitive));
    }

    #[test]
    fn path_prefixes_match_whole_components() {
        assert!(path_prefix_matches("/var/log", "/var/log"));
        assert!(path_prefix_matches("/var/log", "/var/log/dpkg.log"));
        assert!(path_prefix_matches("/var/log/", "/var/log/nginx/access.log"));
        assert!(!path_prefix_matches("/var/log", "/var/logs"));
        assert!(!path_prefix_matches("/var/log", "/var/logs/x"));
        assert!(!path_prefix_matches("/var/log", "/var"));
        assert!(!path_prefix_matches("/var/run", "/var/lib/messages"));
        assert!(path_prefix_matches("/", "/etc/shadow"));
        assert!(path_prefix_matches("/var//log", "/var/log/x"));
        assert!(path_prefix_matches("/home/*/.ssh", "/home/alice/.ssh/id_rsa"));
        assert!(!path_prefix_matches("/home/*/.ssh", "/home/alice/.ssh2"));
        assert!(!path_prefix_matches("/home/*/.ssh", "/root/.ssh"));
        assert!(path_prefix_matches("/usr/lib/python3.?", "/usr/lib/python3.9/site.py"));
    }

    #[test]
    fn arbitrary_patterns_never_panic() {
        const POOL: &[char] = &['a', '/', '*', '?', '[', ']', '!', '^', '-', '\\', ':', 'é'];
        let mut state: u64 = 0x9e37_79b9;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for _ in 0..5_000 {
            let mut text = || -> String { (0..next() % 10).map(|_| POOL[next() % POOL.len()]).collect() };
            let (pattern, value) = (text(), text());
            glob_matches(&pattern, &value, GlobCase::Sensitive);
            glob_matches(&pattern, &value, GlobCase::Insensitive);
            path_prefix_matches(&pattern, &value);
        }
    }
}
