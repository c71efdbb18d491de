//! "Did you mean": the names closest to a misspelt one (rules, fields, keys), by shared words
//! and edit distance, ignoring case.

/// Up to `limit` candidates close to `wanted` (a few edits away, containing it, or sharing a
/// word with it), fewest edits first, ties by name so the answer is deterministic.
pub fn closest_names<'name>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'name str>,
    limit: usize,
) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let wanted_words = words(&wanted_lower);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.to_lowercase();
            let distance = edit_distance(&wanted_lower, &lower);
            let shared = words(&lower).iter().filter(|word| wanted_words.contains(word)).count();
            let contains = !wanted_lower.is_empty() && (lower.contains(&wanted_lower) || wanted_lower.contains(&lower));
            let near = distance <= (wanted_lower.chars().count() / 3).max(2);
            (near || contains || shared > 0).then_some((distance, candidate))
        })
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|left, right| left.1 == right.1);
    scored.into_iter().take(limit).map(|(_, name)| name.to_string()).collect()
}

fn words(text: &str) -> Vec<&str> {
    text.split(|character: char| !character.is_alphanumeric()).filter(|word| word.chars().count() >= 3).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (row, left_char) in left.chars().enumerate() {
        let mut current = Vec::with_capacity(right.len() + 1);
        current.push(row + 1);
        for (column, right_char) in right.iter().enumerate() {
            let substitution = previous[column] + usize::from(left_char != *right_char);
            current.push(substitution.min(previous[column + 1] + 1).min(current[column] + 1));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_come_first_and_far_ones_not_at_all() {
        let rules = ["Clear Log Activities", "Terminal shell in container", "Read sensitive file untrusted"];
        assert_eq!(closest_names("Clear Logs Activity", rules, 3), ["Clear Log Activities"]);
        assert_eq!(closest_names("clear log activities", rules, 3), ["Clear Log Activities"]);
        assert!(closest_names("zzz", rules, 3).is_empty());
        assert_eq!(closest_names("feilds", ["name", "fields", "comps", "values"], 1), ["fields"]);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
