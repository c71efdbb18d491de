//! Parser tests: accepted inputs with their canonical text, error messages, and a fuzz run
//! over strings built from the scope alphabet.

use super::Scope;
use super::parser::{MAX_DEPTH, MAX_NESTING};
use super::round_trip_tests::Random;

/// Parses `input` and compares the canonical text, or the error message, with `expected`.
fn check(input: &str, expected: &str) {
    let result = Scope::parse(input).map(|scope| scope.to_string()).unwrap_or_else(|error| error.to_string());
    assert_eq!(result, expected, "input {input:?}");
}

#[test]
fn parses_console_scopes() {
    check(
        "kubernetes.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name in (a, b) and not proc.name=bash",
        "k8s.cluster.name=risks-aws-eks-workloads-shield and k8s.ns.name in (a, b) and not proc.name=bash",
    );
    check("container.id exists", "container.id exists");
    check("not container.id exists", "not container.id exists");
    check("proc.aname[2] = sshd", "proc.aname[2]=sshd");
    check("container.label[app.kubernetes.io/name]==web", "container.label[app.kubernetes.io/name]=web");
    check("kubernetes.pod.label[app] != web", "k8s.pod.label[app]!=web");
    check(
        "fd.name startswith /etc/ AND proc.cmdline Contains 'cat /etc'",
        "fd.name startswith /etc/ and proc.cmdline contains \"cat /etc\"",
    );
    check(
        "container.image.repository=docker.io/library/nginx:*",
        "container.image.repository=docker.io/library/nginx:*",
    );
    check("fd.name=[::1]:443", "fd.name=[::1]:443");
    check("proc.cmdline=a=b", "proc.cmdline=a=b");
    check("image in(\"a\",'b',c)", "container.image.repository in (a, b, c)");
    check("user.name=\"\"", "user.name=\"\"");
    check("proc.name=and", "proc.name=and");
}

#[test]
fn normalises_priorities_and_mitre_values() {
    check("evt.priority in (WARN, Error, info)", "priority in (warning, error, informational)");
    check(
        "mitre_tactic in (TA0002, execution, privilege_escalation, 'Privilege Escalation')",
        "mitre.tactic in (TA0002, TA0002, TA0004, TA0004)",
    );
    check("mitre.technique=t1059.004", "mitre.technique=T1059.004");
    check(
        "priority=high",
        "scope: column 10: unknown priority \"high\" (allowed: emergency, alert, critical, error, warning, notice, \
         informational or info, debug)",
    );
}

#[test]
fn applies_precedence_and_associativity() {
    check("a=1 or b=2 and c=3", "a=1 or b=2 and c=3");
    check("(a=1 or b=2) and c=3", "(a=1 or b=2) and c=3");
    check("a=1 and (b=2 and c=3)", "a=1 and (b=2 and c=3)");
    check("((a=1)) and ((b=2))", "a=1 and b=2");
    check("not a=1 and b=2", "not a=1 and b=2");
    check("not (a=1 and b=2)", "not (a=1 and b=2)");
    check("NOT NOT a=1 OR b=2", "not not a=1 or b=2");
    check("not(a=1)or(b=2)", "not a=1 or b=2");
    check("notation=1 and order=2 or android=3", "notation=1 and order=2 or android=3");
}

#[test]
fn reports_errors_with_column_expected_and_found() {
    check("kubernetes.cluster.name =", "scope: column 26: expected a value after \"=\", found end of input");
    check(
        "proc.name ~= bash",
        "scope: column 11: unknown operator \"~=\" (allowed: =, !=, in, contains, startswith, exists)",
    );
    check(
        "proc.name icontains bash",
        "scope: column 11: unknown operator \"icontains\" (allowed: =, !=, in, contains, startswith, exists)",
    );
    check(
        "proc.name",
        "scope: column 10: expected an operator after \"proc.name\" (=, !=, in, contains, startswith, exists), found end of input",
    );
    check("(proc.name=a", "scope: column 1: unbalanced parentheses: this \"(\" is never closed");
    check("proc.name=a)", "scope: column 12: unbalanced parentheses: this \")\" has no matching \"(\"");
    check("k8s.ns.name in ()", "scope: column 16: empty list after \"in\" (give at least one value, e.g. in (a, b))");
    check("k8s.ns.name in (a,)", "scope: column 19: expected a value after \",\", found \")\"");
    check("k8s.ns.name in (a b)", "scope: column 19: expected \",\" or \")\" after a value in the list, found \"b\"");
    check("k8s.ns.name in (a, b", "scope: column 16: unbalanced parentheses: this \"(\" is never closed");
    check("k8s.ns.name in a", "scope: column 16: expected \"(\" after \"in\", found \"a\"");
    check("proc.name=\"bash", "scope: column 11: unterminated quoted value: the \" opened here is never closed");
    check("proc.name=bash sh", "scope: column 16: expected \"and\", \"or\" or end of input, found \"sh\"");
    check("(proc.name=bash sh)", "scope: column 17: expected \"and\", \"or\" or \")\", found \"sh\"");
    check("proc.name=a &&  b=1", "scope: column 13: expected \"and\", \"or\" or end of input, found \"&&\"");
    check("proc.name=a and", "scope: column 16: expected a field name, \"(\" or \"not\", found end of input");
    check("()", "scope: column 2: expected a field name, \"(\" or \"not\", found \")\"");
    check("= bash", "scope: column 1: expected a field name, \"(\" or \"not\", found \"=\"");
    check("proc.name=(bash)", "scope: column 11: expected a value after \"=\", found \"(\"");
    check("proc.aname[]=x", "scope: column 12: expected a field argument followed by \"]\" after \"[\", found \"]=x\"");
    check(
        "mitre.tactic=flying",
        "scope: column 14: unknown MITRE tactic \"flying\" (allowed: a tactic ID such as TA0002 or a name: reconnaissance, resource_development, initial_access, execution, persistence, privilege_escalation, defense_evasion, credential_access, discovery, lateral_movement, collection, command_and_control, exfiltration, impact)",
    );
}

#[test]
fn bounds_nesting_and_depth() {
    let parentheses = format!("{}a=1{}", "(".repeat(100_000), ")".repeat(100_000));
    check(
        &parentheses,
        &format!("scope: column {}: parentheses and \"not\" nested deeper than 64 levels", MAX_NESTING + 1),
    );
    let negations = format!("{}a=1", "not ".repeat(100_000));
    check(
        &negations,
        &format!("scope: column {}: parentheses and \"not\" nested deeper than 64 levels", MAX_NESTING * 4 + 1),
    );
    let long_chain = vec!["a=1"; 100_000].join(" and ");
    let column = (MAX_DEPTH - 1) * 8 + 5;
    check(
        &long_chain,
        &format!("scope: column {column}: expression has more than 512 levels (split it or use \"in (...)\" lists)"),
    );
    let longest_chain = vec!["a=1"; MAX_DEPTH].join(" or ");
    assert_eq!(Scope::parse(&longest_chain).map(|scope| scope.to_string()), Ok(longest_chain));
}

/// Pieces that scopes are made of, including broken ones.
const ALPHABET: &[&str] = &[
    "proc.name",
    "k8s.ns.name",
    "kubernetes.namespace.name",
    "priority",
    "mitre.tactic",
    "mitre.technique",
    "tags",
    "proc.aname[2]",
    "container.label[",
    "]",
    "[",
    "=",
    "==",
    "!=",
    "~=",
    "<",
    "in",
    "IN",
    "contains",
    "startswith",
    "exists",
    "icontains",
    "and",
    "or",
    "not",
    "AND",
    "Not",
    "(",
    ")",
    ",",
    "\"",
    "'",
    "\\",
    "\\\"",
    "a",
    "bash",
    "warning",
    "WARN",
    "TA0002",
    "execution",
    "t1059",
    "x y",
    "日本",
    "=-",
    "<NA>",
    "-",
    ".",
    "_",
    "0",
    " ",
    "  ",
    "\t",
    "\n",
];

#[test]
fn never_panics_and_accepted_inputs_round_trip() {
    let mut random = Random::new(0x5eed_5c09e);
    let mut accepted = 0;
    for _ in 0..5_000 {
        let pieces = random.below(16);
        let mut input = String::new();
        for _ in 0..pieces {
            input.push_str(ALPHABET[random.below(ALPHABET.len())]);
            if random.below(3) == 0 {
                input.push(' ');
            }
        }
        match Scope::parse(&input) {
            Ok(scope) => {
                accepted += 1;
                let canonical = scope.to_string();
                let reparsed =
                    Scope::parse(&canonical).unwrap_or_else(|error| panic!("{input:?} → {canonical:?}: {error}"));
                assert_eq!(reparsed.expr(), scope.expr(), "input {input:?}, canonical {canonical:?}");
                assert_eq!(reparsed.to_string(), canonical);
            }
            Err(error) => assert!(
                (1..=input.chars().count() + 1).contains(&error.column),
                "column {} out of range for {input:?}",
                error.column
            ),
        }
    }
    assert!(accepted > 200, "only {accepted} random inputs parsed; the fuzz run is too weak");
}
