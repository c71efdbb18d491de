//! A bounded mutation fuzzer that runs on stable Rust inside `cargo test`: seeded inputs
//! (real alerts, rules files, scopes) are mutated (bit flips, truncation, structural
//! characters, unicode, huge numbers, nesting, splices) and fed to a target that checks its
//! own invariants; a panic anywhere is reported with the case number and the input.
//!
//! The run is deterministic for a given seed. Its length comes from the environment:
//! `SAKER_FUZZ_SECONDS` (run for that long) or `SAKER_FUZZ_CASES` (run that many cases), else
//! the target's small default so `cargo test` stays fast. `SAKER_FUZZ_SEED` changes the seed.
//! `SAKER_FUZZ_TRACE=1` writes each input to `$TMPDIR/saker-fuzz-<target>-current.bin` before
//! running it, for crashes that abort the process (a stack overflow) instead of panicking.
//!
//! The assistant's test binary includes this file too (`#[path]`), so both crates fuzz with
//! the same engine without a crate of their own for it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// How long a target runs.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Cases to run when no deadline is set.
    cases: u64,
    /// Run until this much time has passed instead of counting cases.
    duration: Option<Duration>,
    /// The generator's seed.
    seed: u64,
    /// Write each input to a file before running it.
    trace: bool,
}

impl Budget {
    /// The budget the environment asks for, else `default_cases` cases.
    pub fn from_env(default_cases: u64) -> Budget {
        let number = |name: &str| std::env::var(name).ok().and_then(|text| text.trim().parse::<u64>().ok());
        Budget {
            cases: number("SAKER_FUZZ_CASES").unwrap_or(default_cases),
            duration: number("SAKER_FUZZ_SECONDS").map(Duration::from_secs),
            seed: number("SAKER_FUZZ_SEED").unwrap_or(0x5a6b_e4f0),
            trace: number("SAKER_FUZZ_TRACE").is_some_and(|flag| flag != 0),
        }
    }
}

/// SplitMix64: a small, fast, deterministic pseudo-random generator.
pub struct Random(u64);

impl Random {
    /// A generator with a fixed seed.
    pub fn new(seed: u64) -> Random {
        Random(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound`; 0 when `bound` is 0.
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 { 0 } else { (self.next_u64() % bound as u64) as usize }
    }

    /// True with probability 1 / `odds`.
    pub fn one_in(&mut self, odds: usize) -> bool {
        self.below(odds) == 0
    }

    /// A number below `usual`, or once in `odds` draws below `rare`.
    pub fn usually_below(&mut self, usual: usize, rare: usize, odds: usize) -> usize {
        let bound = if self.one_in(odds) { rare } else { usual };
        self.below(bound)
    }

    /// One of `choices` (which must not be empty).
    pub fn pick<'a, T>(&mut self, choices: &'a [T]) -> &'a T {
        &choices[self.below(choices.len())]
    }
}

/// Bytes that change the structure of JSON, YAML and scope text.
const STRUCTURAL: &[u8] = b"{}[]\",:\\'\n\r\t -#&*!|>?%@`()=<~\0\x7f\x80\xff";

/// Openers (and closers) that nest JSON, YAML and scope structure.
const NESTING: [(&[u8], &[u8]); 5] = [(b"[", b"]"), (b"{\"a\":", b"}"), (b"(", b")"), (b"- ", b""), (b"not ", b"")];

/// Tokens every target gets besides its own: unicode, escapes, huge and odd numbers.
const GENERIC_TOKENS: &[&str] = &[
    "日本語",
    "\u{feff}",
    "\u{0}",
    "\u{10ffff}",
    "\u{202e}",
    "e\u{301}",
    "\\ud800",
    "\\udc00\\ud800",
    "\\u0000",
    "\\",
    "\"",
    "1e999999",
    "-1e-999999",
    "18446744073709551616",
    "-9223372036854775809",
    "340282366920938463463374607431768211456",
    "0.00000000000000000000000000000000000000000000000001",
    "NaN",
    "Infinity",
    "null",
    "true",
    "~",
    "9999-12-31T23:59:59.999999999Z",
    "0000-01-01T00:00:00Z",
    "2262-04-11T23:47:16.854775808Z",
    "1677-09-21T00:12:43.145224191Z",
    "2024-02-30T25:61:61Z",
];

/// Mutates seed inputs.
pub struct Mutator {
    random: Random,
    tokens: Vec<Vec<u8>>,
}

impl Mutator {
    /// A mutator that also inserts the target's own `tokens` (field names, keywords).
    pub fn new(seed: u64, tokens: &[&str]) -> Mutator {
        let tokens = GENERIC_TOKENS.iter().chain(tokens).map(|token| token.as_bytes().to_vec()).collect();
        Mutator { random: Random::new(seed), tokens }
    }

    /// The generator, for targets that build structured inputs.
    pub fn random(&mut self) -> &mut Random {
        &mut self.random
    }

    /// `input` with one to eight mutations; `other` is spliced in by some of them.
    pub fn mutate(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut bytes = input.to_vec();
        let rounds = 1 + self.random.below(8);
        for _ in 0..rounds {
            self.mutate_once(&mut bytes, other);
        }
        bytes
    }

    fn mutate_once(&mut self, bytes: &mut Vec<u8>, other: &[u8]) {
        let random = &mut self.random;
        let position = random.below(bytes.len() + 1);
        match random.below(14) {
            0 if !bytes.is_empty() => {
                let index = random.below(bytes.len());
                bytes[index] ^= 1 << random.below(8);
            }
            1 if !bytes.is_empty() => {
                let index = random.below(bytes.len());
                bytes[index] = *random.pick(STRUCTURAL);
            }
            2 => bytes.insert(position, *random.pick(STRUCTURAL)),
            3 => bytes.truncate(position),
            4 if !bytes.is_empty() => {
                let end = (position + 1 + random.below(32)).min(bytes.len());
                bytes.drain(position.min(end)..end);
            }
            5 if !bytes.is_empty() => {
                let start = random.below(bytes.len());
                let end = (start + 1 + random.below(64)).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                let times = 1 + random.usually_below(3, 256, 8);
                let at = random.below(bytes.len() + 1);
                bytes.splice(at..at, copy.iter().copied().cycle().take(copy.len() * times));
            }
            6 | 7 => {
                let token = random.pick(&self.tokens).clone();
                bytes.splice(position..position, token);
            }
            8 if !other.is_empty() => {
                let from = random.below(other.len());
                let cut = position.min(bytes.len());
                bytes.truncate(cut);
                bytes.extend_from_slice(&other[from..]);
            }
            9 => {
                let (open, close) = *random.pick(&NESTING);
                let depth = 1 + random.usually_below(40, 4_000, 4);
                let mut nested = open.repeat(depth);
                if random.one_in(2) {
                    nested.extend(close.repeat(depth));
                }
                bytes.splice(position..position, nested);
            }
            10 => self.replace_number(bytes),
            11 if !bytes.is_empty() => {
                let index = random.below(bytes.len());
                let length = (1 + random.below(4)).min(bytes.len() - index);
                let text = String::from_utf8_lossy(&bytes[index..index + length]).to_uppercase();
                bytes.splice(index..index + length, text.into_bytes());
            }
            12 => {
                let length = 1 + random.usually_below(300, 100_000, 8);
                let filler = *random.pick(b"a 0\n\\\"");
                bytes.splice(position..position, std::iter::repeat_n(filler, length));
            }
            _ => {
                if bytes.len() > 1 {
                    let first = random.below(bytes.len());
                    let second = random.below(bytes.len());
                    bytes.swap(first, second);
                }
            }
        }
    }

    /// Replaces a run of digits with a huge, negative, fractional or exponent number.
    fn replace_number(&mut self, bytes: &mut Vec<u8>) {
        let digits: Vec<usize> = (0..bytes.len()).filter(|&index| bytes[index].is_ascii_digit()).collect();
        if digits.is_empty() {
            return;
        }
        let start = *self.random.pick(&digits);
        let end = (start..bytes.len()).find(|&index| !bytes[index].is_ascii_digit()).unwrap_or(bytes.len());
        let replacement = self
            .random
            .pick(&["99999999999999999999999", "-1", "0", "1e400", "1.5", "-0", "4294967296", "9223372036854775807"])
            .as_bytes()
            .to_vec();
        bytes.splice(start..end, replacement);
    }
}

/// What a target did with one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The input was accepted (it is kept as a seed for further mutation).
    Accepted,
    /// The input was refused with a placed error.
    Refused,
}

/// What a run did.
#[derive(Debug, Clone, Copy)]
pub struct RunSummary {
    /// Inputs executed.
    pub executions: u64,
    /// Of which accepted.
    pub accepted: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// The most inputs kept for mutation (seeds first, then accepted mutants).
const POOL_LIMIT: usize = 4_096;

/// Runs `check` on each seed, then on mutants of the seeds and of accepted mutants, until the
/// budget is spent. A panic in `check` fails the run, naming the case and the input.
pub fn run(
    name: &str,
    seeds: Vec<Vec<u8>>,
    tokens: &[&str],
    budget: Budget,
    mut check: impl FnMut(&[u8]) -> Outcome,
) -> RunSummary {
    assert!(!seeds.is_empty(), "fuzz target {name} has no seeds");
    let started = Instant::now();
    let seed_count = seeds.len();
    let mut pool = seeds;
    let mut mutator = Mutator::new(budget.seed ^ fnv(name), tokens);
    let mut executions = 0u64;
    let mut accepted = 0u64;
    let current = std::env::temp_dir().join(format!("saker-fuzz-{name}-current.bin"));
    let mut execute = |input: &[u8], executions: &mut u64| -> Outcome {
        *executions += 1;
        if budget.trace {
            let _ = std::fs::write(&current, input);
        }
        match catch_unwind(AssertUnwindSafe(|| check(input))) {
            Ok(outcome) => outcome,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
                    .unwrap_or_default();
                let saved = std::env::temp_dir().join(format!("saker-fuzz-{name}-{executions}.bin"));
                let _ = std::fs::write(&saved, input);
                let shown = String::from_utf8_lossy(&input[..input.len().min(2_000)]).into_owned();
                panic!(
                    "fuzz target {name}: case {executions} (seed {:#x}) panicked: {message}\ninput ({} bytes, saved to {}): {shown:?}",
                    budget.seed,
                    input.len(),
                    saved.display()
                );
            }
        }
    };
    for seed in &pool {
        if execute(seed, &mut executions) == Outcome::Accepted {
            accepted += 1;
        }
    }
    let deadline = budget.duration.map(|duration| started + duration);
    loop {
        let done = match deadline {
            Some(deadline) => executions.is_multiple_of(64) && Instant::now() >= deadline,
            None => executions >= budget.cases.max(seed_count as u64),
        };
        if done {
            break;
        }
        let base = mutator.random().below(pool.len());
        let other = mutator.random().below(pool.len());
        let input = mutator.mutate(&pool[base], &pool[other]);
        if execute(&input, &mut executions) == Outcome::Accepted {
            accepted += 1;
            if input.len() <= 64 * 1024 {
                if pool.len() < POOL_LIMIT {
                    pool.push(input);
                } else if POOL_LIMIT > seed_count {
                    let slot = seed_count + mutator.random().below(POOL_LIMIT - seed_count);
                    pool[slot] = input;
                }
            }
        }
    }
    let summary = RunSummary { executions, accepted, elapsed: started.elapsed() };
    eprintln!(
        "fuzz target {name}: {} executions ({} accepted) in {:.1} s, seed {:#x}, 0 crashes",
        summary.executions,
        summary.accepted,
        summary.elapsed.as_secs_f64(),
        budget.seed
    );
    summary
}

/// FNV-1a of a name, so each target mutates differently under the same seed.
fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}
