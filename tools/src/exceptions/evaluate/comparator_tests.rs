//! One table per operator: the comparator, a field value, the right-hand value(s) and the
//! expected result. Unknown (a field the alert lacks) is decided before a comparator runs and
//! is tested with whole alerts in `mod.rs`.

use super::*;

fn check(comparator: &str, value: &str, operands: &[&str], expected: bool) {
    let parsed = Comparator::parse(comparator).unwrap_or_else(|error| panic!("{error}"));
    let operands: Vec<String> = operands.iter().map(|operand| operand.to_string()).collect();
    assert_eq!(parsed.compare_set(value, &operands), expected, "{value:?} {comparator} {operands:?}");
}

#[test]
fn parses_every_operator_and_prints_it_back() {
    for text in [
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "glob",
        "iglob",
        "regex",
        "in",
        "intersects",
        "pmatch",
        "exists",
        "startswith oneof",
        "contains allof",
        "glob anyof",
        "= oneof",
        "!= allof",
    ] {
        let parsed = Comparator::parse(text).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(parsed.to_string(), text);
    }
    assert_eq!(Comparator::parse("=="), Ok(Comparator::Equal));
    assert_eq!(Comparator::parse("  startswith  "), Ok(Comparator::StartsWith));
    assert_eq!(
        Comparator::parse("startswith   oneof"),
        Ok(Comparator::Modified(StringOperator::StartsWith, Modifier::OneOf))
    );
    for bad in [
        "",
        "equals",
        "in oneof",
        ">= oneof",
        "pmatch anyof",
        "startswith oneof extra",
        "STARTSWITH",
        "startswith someof",
    ] {
        let error = Comparator::parse(bad).expect_err(bad);
        assert!(error.to_string().contains("is not a Falco comparison operator"), "{error}");
    }
}

#[test]
fn list_operators_are_known() {
    for text in ["in", "intersects", "pmatch", "startswith oneof", "endswith allof"] {
        assert!(Comparator::parse(text).expect("valid").takes_list(), "{text}");
    }
    for text in ["=", "startswith", "glob", "exists", "<"] {
        assert!(!Comparator::parse(text).expect("valid").takes_list(), "{text}");
    }
}

#[test]
fn equality() {
    check("=", "rm", &["rm"], true);
    check("=", "rm", &["rmdir"], false);
    check("=", "Rm", &["rm"], false);
    check("==", "/var/log/dpkg.log", &["/var/log/dpkg.log"], true);
    check("=", "0", &["0"], true);
    check("=", "0", &["00"], true);
    check("=", "-1", &["-1"], true);
    check("=", "1.10", &["1.1"], false);
    check("=", "", &[""], true);
    check("=", "httpd", &[""], false);
    check("!=", "rm", &["rm"], false);
    check("!=", "rm", &["sh"], true);
    check("!=", "7", &["007"], false);
}

#[test]
fn ordering_is_numeric_for_numbers_else_bytewise() {
    check("<", "9", &["10"], true);
    check("<", "10", &["9"], false);
    check("<=", "10", &["10"], true);
    check("<=", "10.5", &["10"], false);
    check(">", "1000", &["999"], true);
    check(">", "-5", &["-4"], false);
    check(">=", "2.5", &["2.50"], true);
    check(">=", "1", &["2"], false);
    // Not both numbers: strcmp order, so "10" < "9" and "b" > "a".
    check("<", "10", &["9x"], true);
    check(">", "b", &["a"], true);
    check(">", "a", &["b"], false);
    check("<", "", &["a"], true);
}

#[test]
fn substrings() {
    check("contains", "rm /var/log/dpkg.log", &["dpkg"], true);
    check("contains", "rm /var/log/dpkg.log", &["DPKG"], false);
    check("contains", "anything", &[""], true);
    check("icontains", "rm /var/log/DPKG.log", &["dpkg"], true);
    check("icontains", "rm /var/log/dpkg.log", &["apt"], false);
    check("startswith", "/var/log/dpkg.log", &["/var/log/"], true);
    check("startswith", "/var/logs/x", &["/var/log/"], false);
    check("startswith", "/var/logs/x", &["/var/log"], true);
    check("endswith", "10.0.0.5:34567->203.0.113.7:4444", &["->203.0.113.7:4444"], true);
    check("endswith", "10.0.0.5:34567->203.0.113.7:4445", &["->203.0.113.7:4444"], false);
    check("endswith", "log", &["dpkg.log"], false);
}

#[test]
fn bytes_operators_take_hex() {
    check("bcontains", "GET /index.html", &["696e646578"], true);
    check("bcontains", "GET /index.html", &["69 6e 64 65 78"], true);
    check("bcontains", "GET /home.html", &["696e646578"], false);
    check("bcontains", "GET", &["zz"], false);
    check("bcontains", "GET", &["474"], false);
    check("bstartswith", "\u{7f}ELF", &["7f454c46"], true);
    check("bstartswith", "ELF", &["7f454c46"], false);
    assert_eq!(hex_bytes("CAFEBABE"), Some(vec![0xca, 0xfe, 0xba, 0xbe]));
    assert_eq!(hex_bytes(""), None);
}

#[test]
fn globs() {
    check("glob", "/var/log/dpkg.log", &["/var/log/*.log"], true);
    check("glob", "/var/log/apt/history.log", &["/var/log/*.log"], true);
    check("glob", "/var/log/dpkg.txt", &["/var/log/*.log"], false);
    check("glob", "python3", &["python?"], true);
    check("glob", "python", &["python?"], false);
    check("glob", "python3", &["python[23]"], true);
    check("glob", "python4", &["python[23]"], false);
    check("glob", "HTTPD", &["httpd"], false);
    check("iglob", "HTTPD", &["httpd"], true);
    check("iglob", "nginx", &["httpd*"], false);
}

#[test]
fn sets() {
    check("in", "rm", &["rm", "shred"], true);
    check("in", "unlink", &["rm", "shred"], false);
    check("in", "rm", &[], false);
    check("in", "0", &["00", "1"], true);
    check("intersects", "sh", &["bash", "sh"], true);
    check("intersects", "zsh", &["bash", "sh"], false);
}

#[test]
fn path_prefix_sets() {
    check("pmatch", "/var/log/dpkg.log", &["/var/log"], true);
    check("pmatch", "/var/logs/dpkg.log", &["/var/log"], false);
    check("pmatch", "/var/log", &["/var/log"], true);
    check("pmatch", "/var", &["/var/log"], false);
    check("pmatch", "/etc/shadow", &["/var/log", "/etc"], true);
    check("pmatch", "/home/alice/.ssh/id_rsa", &["/home/*/.ssh"], true);
    check("pmatch", "/anything", &[], false);
}

#[test]
fn exists_ignores_its_value() {
    check("exists", "", &[], true);
    check("exists", "rm", &["ignored"], true);
}

#[test]
fn regex_is_not_evaluated() {
    check("regex", "rm", &["rm"], false);
}

#[test]
fn modifiers_any_and_all() {
    check("startswith oneof", "/var/log/dpkg.log", &["/tmp/", "/var/log/"], true);
    check("startswith oneof", "/etc/passwd", &["/tmp/", "/var/log/"], false);
    check("startswith anyof", "/tmp/x", &["/tmp/", "/var/log/"], true);
    check("contains allof", "rm -rf /var/log", &["rm", "/var/log"], true);
    check("contains allof", "rm -rf /var/tmp", &["rm", "/var/log"], false);
    check("contains allof", "rm", &[], false);
    check("endswith oneof", "dpkg.log", &[".txt", ".log"], true);
    check("= oneof", "sh", &["bash", "sh"], true);
    check("glob oneof", "python3", &["perl*", "python?"], true);
    check("icontains oneof", "CURL", &["wget", "curl"], true);
    check("!= allof", "rm", &["sh", "bash"], true);
    check("!= allof", "sh", &["sh", "bash"], false);
}
