//! `saker exception validate` as a user runs it: exit 0 for a valid exception, 3 with the lines
//! named for the seed's broken one, 1 for other failures, and `--json`.

use std::io::Write as _;
use std::process::Stdio;

use super::support::{run, saker, shared_dir, stderr, stdout};

/// The first exception Sysdig Sage wrote in the seed (`shared/seeds/003_*`), byte for byte.
const SEED_BROKEN: &str = "exceptions: \n-\tSyscalls:\n  #'rm'コマンドが特定のログファイルを削除する場合を例外とする\ncondition: >\n  proc.name = rm and fd.name= /var/log/dpkg.log\n# 特定のコンテナに対して例外を指定する場合\n   -condition: container.name = httpd\n   # 特定のユーザに対して例外を指定する場合\n-condition: user.name = root\n";

const CORRECTED: &str = "\
- rule: Clear Log Activities
  exceptions:
    - name: maintenance_rm_commands
      fields: [user.name, proc.pname, proc.name, proc.cmdline]
      comps: [=, =, =, contains]
      values:
        - [root, bash, rm, dpkg.log]
  override:
    exceptions: append
";

fn falco_rules() -> String {
    shared_dir().join("reference/falco/rules/falco_rules.yaml").display().to_string()
}

fn falco_schema() -> String {
    shared_dir().join("reference/falco/rule_schema.json").display().to_string()
}

#[test]
fn a_valid_exception_exits_zero_with_a_summary() {
    let data = tempfile::tempdir().expect("tempdir");
    let file = data.path().join("falco_rules.local.yaml");
    std::fs::write(&file, CORRECTED).expect("write");
    let output = run(saker(data.path()).args(["exception", "validate"]).arg(&file).args([
        "--rules",
        &falco_rules(),
        "--falco-schema",
        &falco_schema(),
    ]));
    assert_eq!(output.status.code(), Some(0), "stdout: {}\nstderr: {}", stdout(&output), stderr(&output));
    let printed = stdout(&output);
    assert!(
        printed.contains("valid for Falco 0.44.0: 0 error(s), 0 warning(s); checked \"Clear Log Activities\""),
        "{printed}"
    );
    assert!(!printed.contains("skipped"), "every layer ran: {printed}");
}

#[test]
fn the_seeds_broken_exception_exits_three_naming_its_lines() {
    let data = tempfile::tempdir().expect("tempdir");
    let file = data.path().join("sage.yaml");
    std::fs::write(&file, SEED_BROKEN).expect("write");
    let output = run(saker(data.path()).args(["exception", "validate"]).arg(&file).args(["--rules", &falco_rules()]));
    assert_eq!(output.status.code(), Some(3), "stderr: {}", stderr(&output));
    let printed = stdout(&output);
    let name = file.display().to_string();
    for expected in [
        format!("{name}:1: document: a rules file is a YAML sequence of items"),
        format!("{name}:2: item, exceptions[0]: item has no mapping for key 'name'"),
        format!("{name}:2: item, exceptions[0]: warning: `Syscalls` is not an exception key"),
        format!("{name}:4: item: this `condition` is not part of an exception"),
        format!("{name}:7: document: invalid YAML"),
        "note: falco schema skipped: no Falco rules schema was given: pass --falco-schema PATH".to_string(),
        format!("{name}: invalid for Falco 0.44.0"),
    ] {
        assert!(printed.contains(&expected), "missing {expected:?} in:\n{printed}");
    }
    assert!(printed.contains("(allowed: "), "{printed}");
}

#[test]
fn json_output_is_the_report_and_stdin_is_read_with_a_dash() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut child = saker(data.path())
        .args(["exception", "validate", "-", "--json", "--falco-version", "0.43", "--rules", &falco_rules()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("saker starts");
    let modifier = CORRECTED.replace("contains]", "contains oneof]").replace("dpkg.log]", "[dpkg.log, apt]]");
    child.stdin.take().expect("stdin").write_all(modifier.as_bytes()).expect("write stdin");
    let output = child.wait_with_output().expect("saker runs");
    assert_eq!(output.status.code(), Some(3), "stderr: {}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json report");
    assert_eq!(report["valid"], false);
    assert_eq!(report["falco_version"], "0.43.0");
    assert_eq!(report["problems"][0]["line"], 5);
    assert_eq!(report["problems"][0]["path"], "/0/exceptions/0/comps/3");
    assert_eq!(report["problems"][0]["item"]["name"], "Clear Log Activities");
    assert!(report["problems"][0]["message"].as_str().is_some_and(|message| message.contains("needs Falco 0.44.0")));
    assert_eq!(report["layers_run"].as_array().map(Vec::len), Some(4));
}

#[test]
fn other_failures_exit_one() {
    let data = tempfile::tempdir().expect("tempdir");
    let missing =
        run(saker(data.path()).args(["exception", "validate", "/nonexistent/snippet.yaml", "--rules", &falco_rules()]));
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read /nonexistent/snippet.yaml"), "{}", stderr(&missing));
    let file = data.path().join("snippet.yaml");
    std::fs::write(&file, CORRECTED).expect("write");
    let version =
        run(saker(data.path()).args(["exception", "validate"]).arg(&file).args(["--falco-version", "newest"]));
    assert_eq!(version.status.code(), Some(1));
    assert!(stderr(&version).contains("invalid --falco-version"), "{}", stderr(&version));
    let rules =
        run(saker(data.path()).args(["exception", "validate"]).arg(&file).args(["--rules", "/nonexistent/rules.yaml"]));
    assert_eq!(rules.status.code(), Some(1));
    assert!(stderr(&rules).contains("cannot load the rules files"), "{}", stderr(&rules));
}
