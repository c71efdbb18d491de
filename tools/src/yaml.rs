//! YAML read with Saker's nesting limit: rules files and exception snippets nest a handful of
//! levels, and every level of a deserialised YAML tree is a chain of recursive calls, so a
//! hostile text nested deeply could exhaust a thread's stack (found by the fuzzer at about
//! 40 levels on a 2 MiB test thread in a debug build). Deeper text is a YAML error with its place.

/// How deep sequences and mappings may nest (Falco's own files use at most six levels).
pub const MAX_DEPTH: usize = 16;

/// Reads every YAML document of `text` as serde-saphyr's `from_multiple` does, refusing
/// nesting deeper than [`MAX_DEPTH`].
pub fn from_multiple<'de, T: serde::Deserialize<'de>>(text: &'de str) -> Result<Vec<T>, serde_saphyr::Error> {
    serde_saphyr::from_multiple_with_options(text, options())
}

/// The 1-based line where the first document's content starts (past blank lines, comments and
/// directives): the place of an error serde-saphyr reports without one, which it does for a
/// document root it cannot read (e.g. `!!binary` on the root scalar).
pub fn first_content_line(text: &str) -> usize {
    let lines = text.split(['\n', '\r']).collect::<Vec<_>>();
    lines
        .iter()
        .position(|line| {
            let trimmed = line.trim();
            !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('%') || trimmed == "---")
        })
        .map_or(1, |index| index + 1)
}

/// serde-saphyr's defaults (its budget included) with Saker's nesting limit.
fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    let mut budget = options.budget.take().unwrap_or_default();
    budget.max_depth = MAX_DEPTH;
    options.budget = Some(budget);
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_beyond_the_limit_is_an_error_and_within_it_reads() {
        let nested = |depth: usize| format!("{}x{}", "[".repeat(depth), "]".repeat(depth));
        let within: Vec<serde_json::Value> = from_multiple(&nested(MAX_DEPTH - 1)).expect("within the limit");
        assert_eq!(within.len(), 1);
        let block = (0..MAX_DEPTH + 4).map(|level| format!("{}- a:\n", "  ".repeat(level))).collect::<String>();
        let error = from_multiple::<serde_json::Value>(&block).expect_err("too deep");
        assert!(error.to_string().contains("line"), "placed: {error}");
        assert!(from_multiple::<serde_json::Value>(&nested(MAX_DEPTH + 1)).is_err());
    }
}
