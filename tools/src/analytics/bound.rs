//! Keeps tool outputs within a size budget, whatever the store holds.
//!
//! Tools already return top-N lists with "and K more" counts; this is the safety net applied
//! to every output: while the JSON is over budget, the longest list is halved and the cut is
//! recorded under `truncated` (JSON pointer and number of items left out), so a reader knows
//! exactly what is missing.

use serde::{Deserialize, Serialize};
use std::collections::BinaryHeap;

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
///
/// Linear in the size of the output: it is serialised once, every list is found once (a heap
/// keyed by length gives the longest, ties to the first found), and each cut subtracts the
/// serialised size of the items it removes, so no item is serialised more than once per list
/// it is nested in.
pub fn bound_output(mut output: Value, limits: OutputLimits) -> Value {
    let mut size = serialized_len(&output);
    if size <= limits.max_bytes() {
        return output;
    }
    let mut lists = BinaryHeap::new();
    collect_lists(&output, &mut String::new(), &mut lists);
    let mut cuts: Vec<(String, usize)> = Vec::new();
    while size > limits.max_bytes() {
        let Some(List { length, order, pointer }) = lists.pop() else {
            break;
        };
        // A list inside items cut earlier is gone; its entry is stale.
        let Some(Value::Array(items)) = output.pointer_mut(&pointer) else {
            continue;
        };
        if items.len() != length {
            continue;
        }
        if length <= 1 {
            break;
        }
        let keep = length / 2;
        let removed: usize = items.drain(keep..).map(|item| serialized_len(&item) + 1).sum();
        size = size.saturating_sub(removed);
        match cuts.iter_mut().find(|(path, _)| *path == pointer) {
            Some((_, omitted)) => *omitted += length - keep,
            None => cuts.push((pointer.clone(), length - keep)),
        }
        lists.push(List { length: keep, order, pointer });
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

/// A list of the output: its length, the order it was found in and its JSON pointer.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct List {
    length: usize,
    order: std::cmp::Reverse<usize>,
    pointer: String,
}

fn serialized_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
}

/// Every array in the value, in the order a depth-first walk meets them, skipping evidence
/// samples.
fn collect_lists(value: &Value, pointer: &mut String, lists: &mut BinaryHeap<List>) {
    match value {
        Value::Array(items) => {
            let order = std::cmp::Reverse(lists.len());
            lists.push(List { length: items.len(), order, pointer: pointer.clone() });
            for (index, item) in items.iter().enumerate() {
                let before = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                collect_lists(item, pointer, lists);
                pointer.truncate(before);
            }
        }
        Value::Object(object) => {
            for (key, item) in object {
                if key == "sample_ids" {
                    continue;
                }
                let before = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                collect_lists(item, pointer, lists);
                pointer.truncate(before);
            }
        }
        _ => {}
    }
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
    fn many_long_nested_lists_are_cut_in_one_pass_and_the_size_kept_is_exact() {
        let tables: Vec<Value> = (0..300)
            .map(|table| {
                serde_json::json!({
                    "by": format!("grouping-{table}"),
                    "rows": (0..2_000).map(|row| serde_json::json!([format!("value-{row}"), row])).collect::<Vec<_>>(),
                })
            })
            .collect();
        let output = serde_json::json!({ "total": 1, "groups": tables });
        let started = std::time::Instant::now();
        let bounded = bound_output(output, OutputLimits::default());
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
        let mut without_notes = bounded.clone();
        if let Value::Object(object) = &mut without_notes {
            object.remove("truncated");
        }
        assert!(serialized_len(&without_notes) <= OutputLimits::default().max_bytes());
        assert!(bounded["truncated"].as_array().is_some_and(|notes| !notes.is_empty()));
    }

    #[test]
    fn small_outputs_are_untouched() {
        let output = serde_json::json!({ "total": 3, "groups": [["a", 1]] });
        assert_eq!(bound_output(output.clone(), OutputLimits::default()), output);
    }
}
