//! Property test: the canonical text of any tree the parser can produce parses back to the
//! same tree. Trees come from a small deterministic generator (no extra crates).

use super::{Dimension, FieldRef, Operator, Scope, ScopeExpr};

/// SplitMix64: a tiny deterministic pseudo-random generator for tests.
pub(super) struct Random(u64);

impl Random {
    /// A generator with a fixed seed.
    pub fn new(seed: u64) -> Self {
        Random(seed)
    }

    /// A pseudo-random number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^= mixed >> 31;
        (mixed % bound as u64) as usize
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.below(choices.len())]
    }
}

/// Values that are awkward to print: keywords, punctuation, quotes, escapes, blanks, unicode.
const TRICKY_VALUES: &[&str] = &[
    "bash",
    "and",
    "or",
    "not",
    "in",
    "exists",
    "(",
    ")",
    ",",
    "a b",
    "\"q\"",
    "'q'",
    "it's",
    "a\\b",
    "\\",
    "\\\"",
    "",
    " ",
    "=x",
    "==",
    "!=",
    "x=y",
    "日本語",
    "/etc/shadow",
    "[::1]:443",
    "a,b",
    "tab\there",
    "new\nline",
    "<NA>",
    "*",
    "-1",
    "0",
];

/// Output field names the lexer accepts.
const OUTPUT_FIELDS: &[&str] = &[
    "evt.type",
    "proc.aname[2]",
    "container.label[app.kubernetes.io/name]",
    "k8s.pod.label[x=y]",
    "ka.verb",
    "_x-1.y",
];

fn random_field(random: &mut Random) -> FieldRef {
    if random.below(3) == 0 {
        return FieldRef::OutputField(random.pick(OUTPUT_FIELDS).to_string());
    }
    FieldRef::Dimension(Dimension::ALL[random.below(Dimension::ALL.len())])
}

/// A value in the form the parser stores for `field` compared by `operator`.
fn random_value(random: &mut Random, field: &FieldRef, operator: Operator) -> String {
    let exact = matches!(operator, Operator::Equal | Operator::NotEqual | Operator::In);
    match field {
        FieldRef::Dimension(Dimension::Priority) if exact => {
            random.pick(&["warning", "informational", "emergency"]).into()
        }
        FieldRef::Dimension(Dimension::Priority) => random.pick(&["warn", "", "x y"]).into(),
        FieldRef::Dimension(Dimension::MitreTactic) if exact => random.pick(&["TA0002", "TA0004", "TA9999"]).into(),
        FieldRef::Dimension(Dimension::MitreTactic | Dimension::MitreTechnique) => {
            random.pick(&["TA00", "T1059.004", "", "A B"]).into()
        }
        _ => random.pick(TRICKY_VALUES).to_string(),
    }
}

fn random_expression(random: &mut Random, depth: usize) -> ScopeExpr {
    let choice = if depth == 0 { 3 } else { random.below(4) };
    match choice {
        0 => ScopeExpr::and(random_expression(random, depth - 1), random_expression(random, depth - 1)),
        1 => ScopeExpr::or(random_expression(random, depth - 1), random_expression(random, depth - 1)),
        2 => ScopeExpr::negate(random_expression(random, depth - 1)),
        _ => {
            let field = random_field(random);
            let operator = Operator::ALL[random.below(Operator::ALL.len())];
            let count = match operator {
                Operator::Exists => 0,
                Operator::In => 1 + random.below(4),
                _ => 1,
            };
            let values = (0..count).map(|_| random_value(random, &field, operator)).collect();
            ScopeExpr::compare(field, operator, values)
        }
    }
}

#[test]
fn canonical_text_parses_back_to_the_same_tree() {
    let mut random = Random::new(20_240_501);
    for _ in 0..3_000 {
        let depth = random.below(6);
        let expression = random_expression(&mut random, depth);
        let canonical = Scope::from_expr(expression.clone()).to_string();
        let reparsed = Scope::parse(&canonical).unwrap_or_else(|error| panic!("{canonical:?}: {error}"));
        assert_eq!(reparsed.expr(), Some(&expression), "canonical {canonical:?}");
        assert_eq!(reparsed.to_string(), canonical);
    }
}

#[test]
fn generator_is_deterministic_and_spread() {
    let mut first = Random::new(7);
    let mut second = Random::new(7);
    let draws: Vec<usize> = (0..100).map(|_| first.below(10)).collect();
    assert_eq!(draws, (0..100).map(|_| second.below(10)).collect::<Vec<_>>());
    for digit in 0..10 {
        assert!(draws.contains(&digit), "digit {digit} never drawn");
    }
}
