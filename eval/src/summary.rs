//! Pass rates of a run: overall, per suite (against the suite's threshold for the backend),
//! per category and language, per check, for paraphrases against their originals, and for the
//! holdout incidents; latency and token figures.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::run::CaseResult;
use crate::score::CheckKind;
use crate::suite::{GateUnit, LoadedSuite};

/// Passed out of run (skipped cases are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases (or turns, or checks) that ran.
    pub total: usize,
    /// Of which passed.
    pub passed: usize,
}

impl Tally {
    /// Adds one outcome.
    pub fn add(&mut self, passed: bool) {
        self.total += 1;
        self.passed += usize::from(passed);
    }

    /// The pass rate, 0 to 1 (1 when nothing ran).
    pub fn rate(&self) -> f64 {
        if self.total == 0 { 1.0 } else { self.passed as f64 / self.total as f64 }
    }

    /// `passed/total (rate%)`.
    pub fn show(&self) -> String {
        format!("{}/{} ({})", self.passed, self.total, percent(self.rate()))
    }
}

/// A rate as a percentage with one decimal.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// One suite's rate and its threshold for the run's backend.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteRate {
    /// The suite's name.
    pub suite: String,
    /// Its cases (a paraphrase set: its paraphrases).
    pub tally: Tally,
    /// The turns of its cases.
    pub turns: Tally,
    /// What its threshold is a rate of.
    pub gate: GateUnit,
    /// True for a sealed suite: the report shows its rates, never its questions.
    pub sealed: bool,
    /// Skipped cases.
    pub skipped: usize,
    /// The threshold for the backend, if the suite sets one.
    pub threshold: Option<f64>,
}

impl SuiteRate {
    /// True when the suite has a threshold and its rate is below it.
    pub fn below_threshold(&self) -> bool {
        let gated = self.gated();
        self.threshold.is_some_and(|threshold| gated.total > 0 && gated.rate() < threshold)
    }

    /// The tally its threshold applies to: its cases or its turns.
    pub fn gated(&self) -> Tally {
        match self.gate {
            GateUnit::Cases => self.tally,
            GateUnit::Turns => self.turns,
        }
    }
}

/// Everything the report prints.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The backend's name.
    pub backend: String,
    /// Suite cases (not paraphrases).
    pub cases: Tally,
    /// Paraphrase cases.
    pub paraphrases: Tally,
    /// The originals of the paraphrases (each counted once).
    pub originals: Tally,
    /// Originals whose every wording passed as the original did (all pass or all fail).
    pub consistent: Tally,
    /// Turns of suite cases.
    pub turns: Tally,
    /// Per suite.
    pub suites: Vec<SuiteRate>,
    /// Suite cases per category, with per-language tallies.
    pub categories: BTreeMap<String, (Tally, Tally, Tally)>,
    /// Suite cases per language.
    pub languages: BTreeMap<String, Tally>,
    /// Turns of suite cases per intent (the turn's label), with per-language tallies.
    pub intents: BTreeMap<String, (Tally, Tally, Tally)>,
    /// Turns of suite cases per language.
    pub turn_languages: BTreeMap<String, Tally>,
    /// Checks per kind, over every turn of every case (paraphrases included).
    pub checks: BTreeMap<CheckKind, Tally>,
    /// Holdout cases: suite cases and paraphrases.
    pub holdout: (Tally, Tally),
    /// Multi-turn cases.
    pub multi_turn: Tally,
    /// Skipped cases.
    pub skipped: usize,
    /// Turn latencies, sorted.
    pub latencies: Vec<Duration>,
    /// Token totals (prompt, completion) and the turns that reported usage.
    pub tokens: (u64, u64, usize),
}

impl Summary {
    /// Computes the figures of `results` for the run's `suites`.
    pub fn of(backend: &str, suites: &[LoadedSuite], results: &[CaseResult]) -> Summary {
        let mut summary = Summary { backend: backend.to_string(), ..Summary::default() };
        let mut per_suite: BTreeMap<&str, (Tally, usize, Tally)> = BTreeMap::new();
        let mut by_original: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
        let outcome: BTreeMap<&str, bool> = results
            .iter()
            .filter(|result| result.paraphrase_of.is_none())
            .map(|result| (result.id.as_str(), result.passed()))
            .collect();
        for result in results {
            let entry = per_suite.entry(result.suite.as_str()).or_default();
            if result.skipped.is_some() {
                entry.1 += 1;
                summary.skipped += 1;
                continue;
            }
            let passed = result.passed();
            entry.0.add(passed);
            for turn in &result.turns {
                for check in &turn.checks {
                    summary.checks.entry(check.kind).or_default().add(check.passed);
                }
                summary.latencies.push(turn.latency);
                if let Some(usage) = turn.usage {
                    summary.tokens.0 += usage.prompt;
                    summary.tokens.1 += usage.completion;
                    summary.tokens.2 += 1;
                }
            }
            match &result.paraphrase_of {
                Some(original) => {
                    summary.paraphrases.add(passed);
                    by_original.entry(original.as_str()).or_default().push(passed);
                    if result.holdout {
                        summary.holdout.1.add(passed);
                    }
                }
                None => {
                    summary.cases.add(passed);
                    for turn in &result.turns {
                        summary.turns.add(turn.passed());
                        entry.2.add(turn.passed());
                        summary.turn_languages.entry(turn.language.clone()).or_default().add(turn.passed());
                        if let Some(intent) = &turn.intent {
                            let (all, english, japanese) = summary.intents.entry(intent.clone()).or_default();
                            all.add(turn.passed());
                            if turn.language == "ja" { japanese } else { english }.add(turn.passed());
                        }
                    }
                    let (all, english, japanese) = summary.categories.entry(result.category.clone()).or_default();
                    all.add(passed);
                    if result.language() == "ja" {
                        japanese.add(passed)
                    } else {
                        english.add(passed)
                    }
                    summary.languages.entry(result.language().to_string()).or_default().add(passed);
                    if result.holdout {
                        summary.holdout.0.add(passed);
                    }
                    if result.turns.len() > 1 {
                        summary.multi_turn.add(passed);
                    }
                }
            }
        }
        for (original, wordings) in &by_original {
            let Some(original_passed) = outcome.get(original) else { continue };
            summary.originals.add(*original_passed);
            summary.consistent.add(wordings.iter().all(|passed| passed == original_passed));
        }
        for suite in suites.iter().filter(|suite| suite.selected) {
            let (tally, skipped, turns) = per_suite.get(suite.name.as_str()).copied().unwrap_or_default();
            summary.suites.push(SuiteRate {
                suite: suite.name.clone(),
                tally,
                turns,
                gate: suite.file.gate,
                sealed: suite.file.sealed,
                skipped,
                threshold: suite.file.threshold.get(backend).copied(),
            });
        }
        summary.latencies.sort();
        summary
    }

    /// The suites whose rate is below their threshold.
    pub fn failing_suites(&self) -> Vec<&SuiteRate> {
        self.suites.iter().filter(|suite| suite.below_threshold()).collect()
    }

    /// The latency at a quantile (0 to 1) of the turns.
    pub fn latency_at(&self, quantile: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let position = ((self.latencies.len() - 1) as f64 * quantile).round() as usize;
        self.latencies[position.min(self.latencies.len() - 1)]
    }
}
