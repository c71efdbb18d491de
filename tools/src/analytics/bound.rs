//! Keeps tool outputs within a size budget, whatever the store holds.
//!
//! Tools already return top-N lists with "and K more" counts; this is the safety net applied
//! to every output: while the JSON is over budget, the longest list is halved and the cut is
//! recorded under `truncated` (JSON pointer and number of items left out), so a reader knows
//! exactly what is missing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Size limits of tool outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLimits {
    /// Approximate budget in tokens (4 bytes of JSON per token).
    pub max_tokens: usize,
}

impl Default for OutputLimits {
    fn default() -> Self {
        OutputLimits { max_tokens: 2_000 }
    }
}

impl OutputLimits {
    fn max_bytes(self) -> usize {
        self.max_tokens.saturating_mul(4).max(256)
    }
}

/// Shrinks `output` until its JSON fits the budget.
pub fn bound_output(mut output: Value, limits: OutputLimits) -> Value {
    let mut cuts: Vec<(String, usize)> = Vec::new();
    while serialized_len(&output) > limits.max_bytes() {
        let Some((pointer, length)) = longest_list(&output, "") else {
            break;
        };
        if length <= 1 {
            break;
        }
        let keep = length / 2;
        if let Some(Value::Array(items)) = output.pointer_mut(&pointer) {
            items.truncate(keep);
        }
        match cuts.iter_mut().find(|(path, _)| *path == pointer) {
            Some((_, omitted)) => *omitted += length - keep,
            None => cuts.push((pointer, length - keep)),
        }
    }
    if !cuts.is_empty()
        && let Value::Object(object) = &mut output
    {
        let notes: Vec<Value> =
            cuts.into_iter().map(|(path, omitted)| serde_json::json!({ "path": path, "omitted": omitted })).collect();
        object.insert("truncated".to_string(), Value::Array(notes));
    }
    output
}

fn serialized_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
}

/// The longest array in the value (ties: the first found), skipping evidence samples.
fn longest_list(value: &Value, pointer: &str) -> Option<(String, usize)> {
    let mut best: Option<(String, usize)> = None;
    let mut consider = |candidate: Option<(String, usize)>| {
        if let Some((path, length)) = candidate
            && best.as_ref().is_none_or(|(_, best_length)| length > *best_length)
        {
            best = Some((path, length));
        }
    };
    match value {
        Value::Array(items) => {
            consider(Some((pointer.to_string(), items.len())));
            for (index, item) in items.iter().enumerate() {
                consider(longest_list(item, &format!("{pointer}/{index}")));
            }
        }
        Value::Object(object) => {
            for (key, item) in object {
                if key == "sample_ids" {
                    continue;
                }
                let escaped = key.replace('~', "~0").replace('/', "~1");
                consider(longest_list(item, &format!("{pointer}/{escaped}")));
            }
        }
        _ => {}
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_the_longest_list_and_says_so() {
        let output = serde_json::json!({
            "total": 5000,
            "groups": (0..5000).map(|index| serde_json::json!([format!("group-{index}"), index])).collect::<Vec<_>>(),
            "evidence": { "sample_ids": ["a", "b"] },
        });
        let bounded = bound_output(output, OutputLimits { max_tokens: 500 });
        assert!(serialized_len(&bounded) <= 2_000 + 200);
        let kept = bounded["groups"].as_array().map_or(0, Vec::len);
        assert!(kept > 0 && kept < 5000);
        assert_eq!(bounded["truncated"][0]["path"], "/groups");
        assert_eq!(bounded["truncated"][0]["omitted"], 5000 - kept);
        assert_eq!(bounded["evidence"]["sample_ids"].as_array().map_or(0, Vec::len), 2);
    }

    #[test]
    fn small_outputs_are_untouched() {
        let output = serde_json::json!({ "total": 3, "groups": [["a", 1]] });
        assert_eq!(bound_output(output.clone(), OutputLimits::default()), output);
    }
}
