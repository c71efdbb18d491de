//! The comparison operators of Falco conditions as project data
//! (`tools/data/falco/operators.tsv`): the operand each takes, whether an exception's `comps`
//! may use it, the first Falco release that accepts it, and which string operators the
//! `oneof`/`anyof`/`allof` modifiers combine with. [`check_comp`] reads one `comps` entry the
//! way Falco does (whitespace trimmed, `startswith oneof` as operator plus modifier).

use std::sync::OnceLock;

use super::validate::FalcoVersion;

const OPERATORS_TSV: &str = include_str!("../../data/falco/operators.tsv");

/// What an operator takes on its right-hand side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// One value: `proc.name = bash`.
    Value,
    /// A parenthesised list or a list name: `proc.name in (bash, sh)`.
    List,
    /// Nothing: `exists`.
    None,
    /// A modifier of a string operator (`startswith oneof`), taking a list.
    Modifier,
    /// `and`, `or`, `not`.
    Logical,
    /// A field transformer (`tolower(...)`) or a field reference (`val(...)`).
    Transformer,
}

impl Operand {
    fn from_data(text: &str) -> Option<Operand> {
        Some(match text {
            "value" => Operand::Value,
            "list" => Operand::List,
            "none" => Operand::None,
            "modifier" => Operand::Modifier,
            "logical" => Operand::Logical,
            "transformer" => Operand::Transformer,
            _ => return None,
        })
    }
}

/// One operator of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorSpec {
    /// As written: `=`, `startswith`; modifiers as `<op> oneof`.
    pub operator: String,
    /// What it takes on its right-hand side.
    pub operand: Operand,
    /// Whether an exception's `comps` may use it.
    pub in_exception_comps: bool,
    /// The first Falco release that accepts it.
    pub introduced: FalcoVersion,
    /// Whether the `oneof`/`anyof`/`allof` modifiers combine with it.
    pub takes_modifier: bool,
}

impl OperatorSpec {
    /// The modifier's own word (`oneof` for `<op> oneof`), or the operator.
    pub fn word(&self) -> &str {
        self.operator.strip_prefix("<op> ").unwrap_or(&self.operator)
    }
}

/// Every operator, in the table's order.
pub fn operators() -> &'static [OperatorSpec] {
    static TABLE: OnceLock<Vec<OperatorSpec>> = OnceLock::new();
    TABLE.get_or_init(|| parse(OPERATORS_TSV))
}

fn parse(text: &str) -> Vec<OperatorSpec> {
    text.lines()
        .skip(1)
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            let [operator, operand, in_comps, introduced, takes_modifier] = columns[..] else {
                return None;
            };
            Some(OperatorSpec {
                operator: operator.to_string(),
                operand: Operand::from_data(operand)?,
                in_exception_comps: in_comps == "yes",
                introduced: introduced.parse().ok()?,
                takes_modifier: takes_modifier == "yes",
            })
        })
        .collect()
}

/// The newest Falco release the table knows of: the default target of validation.
pub fn newest_known_falco() -> FalcoVersion {
    operators().iter().map(|spec| spec.introduced).max().unwrap_or(FalcoVersion::new(0, 44, 0))
}

/// One `comps` entry, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompOperator {
    /// The operator (`startswith` in `startswith oneof`).
    pub operator: &'static OperatorSpec,
    /// The modifier, if any.
    pub modifier: Option<&'static OperatorSpec>,
}

impl CompOperator {
    /// Whether the right-hand side is a list (`in`, `pmatch`, `intersects`, a modifier): a
    /// scalar value is then a list name or one item, a nested list is rendered `(a, b)`.
    pub fn takes_list(&self) -> bool {
        self.modifier.is_some() || self.operator.operand == Operand::List
    }

    /// The operator's name (`=`, `startswith`).
    pub fn name(&self) -> &str {
        &self.operator.operator
    }

    /// As Falco writes it: `startswith oneof`.
    pub fn display(&self) -> String {
        match self.modifier {
            Some(modifier) => format!("{} {}", self.operator.operator, modifier.word()),
            None => self.operator.operator.clone(),
        }
    }
}

/// Why a `comps` entry is not one Falco accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompProblem {
    /// Not an operator at all.
    Unknown {
        /// What `comps` may hold for the target version.
        allowed: Vec<String>,
    },
    /// An operator that cannot form an exception (`exists`, `and`, `tolower(...)`).
    NotForExceptions {
        /// The operator.
        operator: String,
    },
    /// An operator newer than the target Falco.
    TooNew {
        /// The operator or modifier.
        operator: String,
        /// The release that introduced it.
        introduced: FalcoVersion,
    },
    /// A modifier on an operator it does not combine with.
    ModifierNotAllowed {
        /// The operator.
        operator: String,
        /// The modifier.
        modifier: String,
        /// The operators the modifier combines with.
        allowed: Vec<String>,
    },
}

/// The operators an exception's `comps` may hold for `version`, as written.
pub fn allowed_comps(version: FalcoVersion) -> Vec<String> {
    let mut allowed: Vec<String> = operators()
        .iter()
        .filter(|spec| spec.in_exception_comps && spec.operand != Operand::Modifier && spec.introduced <= version)
        .map(|spec| spec.operator.clone())
        .collect();
    if operators().iter().any(|spec| spec.operand == Operand::Modifier && spec.introduced <= version) {
        allowed.push("<string operator> oneof|anyof|allof".to_string());
    }
    allowed
}

/// Reads one `comps` entry for a target Falco `version`.
pub fn check_comp(written: &str, version: FalcoVersion) -> Result<CompOperator, CompProblem> {
    let words: Vec<&str> = written.split_whitespace().collect();
    let find = |word: &str| operators().iter().find(|spec| spec.operand != Operand::Modifier && spec.operator == word);
    let find_modifier =
        |word: &str| operators().iter().find(|spec| spec.operand == Operand::Modifier && spec.word() == word);
    let unknown = || CompProblem::Unknown { allowed: allowed_comps(version) };
    let (operator, modifier) = match words[..] {
        [word] => (find(word).ok_or_else(unknown)?, None),
        [word, modifier_word] => {
            let operator = find(word).ok_or_else(unknown)?;
            let modifier = find_modifier(modifier_word).ok_or_else(unknown)?;
            (operator, Some(modifier))
        }
        _ => {
            let joined = written.trim();
            return match find(joined) {
                Some(spec) => Err(CompProblem::NotForExceptions { operator: spec.operator.clone() }),
                None => Err(unknown()),
            };
        }
    };
    if !operator.in_exception_comps {
        return Err(CompProblem::NotForExceptions { operator: operator.operator.clone() });
    }
    if operator.introduced > version {
        return Err(CompProblem::TooNew { operator: operator.operator.clone(), introduced: operator.introduced });
    }
    if let Some(modifier) = modifier {
        if modifier.introduced > version {
            return Err(CompProblem::TooNew { operator: modifier.word().to_string(), introduced: modifier.introduced });
        }
        if !operator.takes_modifier {
            return Err(CompProblem::ModifierNotAllowed {
                operator: operator.operator.clone(),
                modifier: modifier.word().to_string(),
                allowed: operators()
                    .iter()
                    .filter(|spec| spec.takes_modifier && spec.introduced <= version)
                    .map(|spec| spec.operator.clone())
                    .collect(),
            });
        }
    }
    Ok(CompOperator { operator, modifier })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> FalcoVersion {
        text.parse().expect("version")
    }

    #[test]
    fn operators_are_accepted_from_the_release_that_introduced_them() {
        let newest = newest_known_falco();
        assert_eq!(newest, version("0.44.0"));
        for operator in ["=", "==", "!=", "<", ">=", "in", "pmatch", "intersects", "startswith", "endswith", "regex"] {
            assert!(check_comp(operator, newest).is_ok(), "{operator}");
        }
        assert_eq!(check_comp(" = ", newest).map(|comp| comp.display()), Ok("=".to_string()));
        assert!(matches!(check_comp("regex", version("0.38.0")), Err(CompProblem::TooNew { .. })));
        assert!(check_comp("iglob", version("0.38.0")).is_ok());
        assert!(matches!(check_comp("endswith", version("0.12.0")), Err(CompProblem::TooNew { .. })));
    }

    #[test]
    fn modifiers_combine_with_string_operators_from_0_44() {
        let comp = check_comp("startswith oneof", version("0.44.0")).expect("modifier");
        assert!(comp.takes_list());
        assert_eq!(comp.display(), "startswith oneof");
        assert!(matches!(check_comp("startswith oneof", version("0.43.0")), Err(CompProblem::TooNew { .. })));
        assert!(matches!(check_comp("in oneof", version("0.44.0")), Err(CompProblem::ModifierNotAllowed { .. })));
        assert!(matches!(check_comp("startswith sometimes", version("0.44.0")), Err(CompProblem::Unknown { .. })));
    }

    #[test]
    fn unusable_and_unknown_operators_are_refused() {
        let newest = newest_known_falco();
        assert!(matches!(check_comp("exists", newest), Err(CompProblem::NotForExceptions { .. })));
        assert!(matches!(check_comp("and", newest), Err(CompProblem::NotForExceptions { .. })));
        let Err(CompProblem::Unknown { allowed }) = check_comp("no-comp", newest) else {
            panic!("unknown expected");
        };
        assert!(allowed.contains(&"startswith".to_string()) && !allowed.contains(&"exists".to_string()));
        assert!(matches!(check_comp("", newest), Err(CompProblem::Unknown { .. })));
        assert!(check_comp("in", newest).expect("in").takes_list());
        assert!(!check_comp("=", newest).expect("=").takes_list());
    }
}
