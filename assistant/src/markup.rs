//! Writing untrusted text (alert fields, rule names, scopes) into HTML and Markdown so that it
//! is always shown as text: the reports and the server's pages build every piece of markup
//! through these functions, never by pasting values into tags.

use std::fmt::Write as _;

/// `text` escaped for HTML element content and double- or single-quoted attribute values.
pub fn html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `text` as a Markdown code span: shown verbatim whatever it holds (backticks included),
/// with line breaks folded into spaces so a table row stays one line. A pipe is escaped so
/// that the span can sit in a table cell.
pub fn markdown_code(text: &str) -> String {
    let flat: String = text.chars().map(|character| if character.is_control() { ' ' } else { character }).collect();
    let longest_run = flat.split(|character| character != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let padded =
        if flat.starts_with('`') || flat.ends_with('`') || flat.is_empty() { format!(" {flat} ") } else { flat };
    format!("{fence}{}{fence}", padded.replace('|', "\\|"))
}

/// `text` as plain Markdown text: every character that Markdown or HTML could read as markup
/// is backslash-escaped or written as an entity, line breaks become spaces.
pub fn markdown_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        match character {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' => {
                escaped.push('\\');
                escaped.push(character);
            }
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            control if control.is_control() => escaped.push(' '),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `text` percent-encoded for a URL query value (RFC 3986 unreserved characters kept).
pub fn query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// A query string `?a=1&b=2` of the pairs whose value is not empty ('' when none is).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", query_value(value)))
        .collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_tags_quotes_and_ampersands() {
        assert_eq!(
            html("<img src=x onerror=\"alert('1')\"> & co"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co"
        );
        assert_eq!(html("plain"), "plain");
    }

    #[test]
    fn markdown_code_survives_backticks_pipes_and_newlines() {
        assert_eq!(markdown_code("nc -lvp 4444"), "`nc -lvp 4444`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x`"), "`` `x` ``");
        assert_eq!(markdown_code("a|b\nc"), "`a\\|b c`");
        assert_eq!(markdown_code(""), "`  `");
    }

    #[test]
    fn markdown_text_escapes_markup() {
        assert_eq!(markdown_text("[x](javascript:1) <b>"), "\\[x\\](javascript:1) &lt;b&gt;");
        assert_eq!(markdown_text("**bold** | _it_"), "\\*\\*bold\\*\\* \\| \\_it\\_");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("k8s.ns.name=a b&c"), "k8s.ns.name%3Da%20b%26c");
        assert_eq!(query_string(&[("scope", "a=b"), ("since", ""), ("lang", "ja")]), "?scope=a%3Db&lang=ja");
        assert_eq!(query_string(&[("since", "")]), "");
    }
}
