//! The search for the narrowest field set: every anchored subset of the candidates, smallest
//! first (one to four fields), scored by how many of the rule's other alerts it would also
//! suppress. Anchored means it names where the activity runs (image or namespace), who acts
//! (process) and, when the alerts have one, what is acted on (file or connection), whenever
//! the benign alerts carry such fields: an exception without a location silences the activity
//! everywhere, one without a process or target silences every alert of the rule there.

use crate::alert::Alert;
use crate::exceptions::evaluate::Truth;

use super::candidates::{Candidate, Role};

/// Most fields in one exception.
pub const MAX_FIELDS: usize = 4;

/// Each candidate's verdict on each alert, computed once.
pub struct TruthTable {
    /// `[candidate][alert]`.
    rows: Vec<Vec<Truth>>,
}

impl TruthTable {
    /// Evaluates every candidate comparison on every alert.
    pub fn new(candidates: &[Candidate], alerts: &[Alert]) -> TruthTable {
        TruthTable {
            rows: candidates
                .iter()
                .map(|candidate| alerts.iter().map(|alert| candidate.comparison.evaluate(alert)).collect())
                .collect(),
        }
    }

    /// The positions of the alerts the tuple of `indices` matches for certain.
    pub fn matching(&self, indices: &[usize]) -> Vec<usize> {
        let alerts = self.rows.first().map_or(0, Vec::len);
        (0..alerts).filter(|&alert| indices.iter().all(|&index| self.rows[index][alert] == Truth::True)).collect()
    }

    /// How many alerts the tuple of `indices` matches for certain, and how many it may match
    /// (undecided).
    pub fn counts(&self, indices: &[usize]) -> (u64, u64) {
        let alerts = self.rows.first().map_or(0, Vec::len);
        let (mut matched, mut unknown) = (0, 0);
        for alert in 0..alerts {
            let mut truth = Truth::True;
            for &index in indices {
                match self.rows[index][alert] {
                    Truth::False => {
                        truth = Truth::False;
                        break;
                    }
                    Truth::Unknown => truth = Truth::Unknown,
                    Truth::True => {}
                }
            }
            match truth {
                Truth::True => matched += 1,
                Truth::Unknown => unknown += 1,
                Truth::False => {}
            }
        }
        (matched, unknown)
    }
}

/// One field set tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    /// Indices into the candidates, in candidate order.
    pub indices: Vec<usize>,
    /// Benign alerts it fails to match (zero by construction; checked).
    pub benign_missed: u64,
    /// Other alerts of the rule it matches.
    pub others_matched: u64,
    /// Other alerts it may match (they lack a field).
    pub others_unknown: u64,
    /// Whether it has exactly the fields of an exception the rule already defines.
    pub reuses_existing: bool,
    /// Sum of the fields' weights.
    pub weight: u32,
}

impl Trial {
    /// Lower is better: every benign alert, fewest other alerts (certain, then possible),
    /// fewest fields, an existing exception's fields, the most specific fields, candidate order.
    fn rank(&self) -> (u64, u64, u64, usize, bool, std::cmp::Reverse<u32>, &[usize]) {
        (
            self.benign_missed,
            self.others_matched,
            self.others_unknown,
            self.indices.len(),
            !self.reuses_existing,
            std::cmp::Reverse(self.weight),
            &self.indices,
        )
    }

    /// True when it matches every benign alert and no other alert (not even possibly).
    pub fn separates(&self) -> bool {
        self.benign_missed == 0 && self.others_matched == 0 && self.others_unknown == 0
    }
}

/// The outcome of the search.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// The best field set.
    pub best: Trial,
    /// How many anchored field sets were tried.
    pub tried: u64,
}

/// Finds the best anchored field set of at most [`MAX_FIELDS`] fields.
/// `existing_field_sets` are the field sets of the rule's exceptions (sorted names).
pub fn search(
    candidates: &[Candidate],
    benign: &TruthTable,
    others: &TruthTable,
    existing_field_sets: &[Vec<String>],
) -> Option<SearchResult> {
    let required: Vec<Role> = [Role::Location, Role::Actor, Role::Target]
        .into_iter()
        .filter(|role| candidates.iter().any(|candidate| candidate.spec.role == *role))
        .collect();
    let mut best: Option<Trial> = None;
    let mut tried = 0;
    for size in 1..=MAX_FIELDS.min(candidates.len()) {
        for indices in combinations(candidates.len(), size) {
            let anchored =
                required.iter().all(|role| indices.iter().any(|&index| candidates[index].spec.role == *role));
            if !anchored {
                continue;
            }
            tried += 1;
            let trial = trial(candidates, benign, others, existing_field_sets, indices);
            if best.as_ref().is_none_or(|current| trial.rank() < current.rank()) {
                best = Some(trial);
            }
        }
        if best.as_ref().is_some_and(Trial::separates) {
            break;
        }
    }
    best.map(|best| SearchResult { best, tried })
}

fn trial(
    candidates: &[Candidate],
    benign: &TruthTable,
    others: &TruthTable,
    existing_field_sets: &[Vec<String>],
    indices: Vec<usize>,
) -> Trial {
    let (benign_matched, _) = benign.counts(&indices);
    let benign_total = benign.rows.first().map_or(0, Vec::len) as u64;
    let (others_matched, others_unknown) = others.counts(&indices);
    let mut fields: Vec<String> = indices.iter().map(|&index| candidates[index].spec.field.to_string()).collect();
    fields.sort();
    Trial {
        benign_missed: benign_total.saturating_sub(benign_matched),
        others_matched,
        others_unknown,
        reuses_existing: existing_field_sets.contains(&fields),
        weight: indices.iter().map(|&index| candidates[index].spec.weight).sum(),
        indices,
    }
}

/// Every `size`-element subset of `0..count`, in lexicographic order.
pub fn combinations(count: usize, size: usize) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    if size == 0 || size > count {
        return all;
    }
    let mut current: Vec<usize> = (0..size).collect();
    loop {
        all.push(current.clone());
        let Some(position) = (0..size).rev().find(|&position| current[position] < count - size + position) else {
            return all;
        };
        current[position] += 1;
        for next in position + 1..size {
            current[next] = current[next - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_are_complete_and_ordered() {
        assert_eq!(combinations(4, 2), vec![vec![0, 1], vec![0, 2], vec![0, 3], vec![1, 2], vec![1, 3], vec![2, 3]]);
        assert_eq!(combinations(3, 3), vec![vec![0, 1, 2]]);
        assert!(combinations(2, 3).is_empty());
        assert_eq!(combinations(8, 4).len(), 70);
    }

    #[test]
    fn counts_combine_truths_per_alert() {
        let table = TruthTable {
            rows: vec![
                vec![Truth::True, Truth::True, Truth::False, Truth::Unknown],
                vec![Truth::True, Truth::Unknown, Truth::True, Truth::True],
            ],
        };
        assert_eq!(table.counts(&[0]), (2, 1));
        assert_eq!(table.counts(&[0, 1]), (1, 2));
        assert_eq!(table.counts(&[1]), (3, 1));
    }
}
