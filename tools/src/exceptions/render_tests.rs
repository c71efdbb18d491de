//! The rendered YAML, and its round trip through serde-saphyr back into the model.

use super::*;
use crate::exceptions::model::OverrideKeys;

fn parse_back(yaml: &str) -> RuleExceptions {
    let mut items: Vec<RuleExceptions> =
        serde_saphyr::from_str(yaml).unwrap_or_else(|error| panic!("rendered YAML reads back: {error}\n{yaml}"));
    assert_eq!(items.len(), 1, "{yaml}");
    items.remove(0)
}

fn round_trip(item: &RuleExceptions) -> String {
    let yaml = item.to_falco_yaml();
    assert_eq!(&parse_back(&yaml), item, "round trip of\n{yaml}");
    yaml
}

fn tuple(items: &[&str]) -> ExceptionValues {
    ExceptionValues::Tuple(items.iter().map(|item| ExceptionValue::Scalar((*item).into())).collect())
}

fn append_item(exception: ExceptionDefinition) -> RuleExceptions {
    RuleExceptions {
        rule: "Clear Log Activities".into(),
        exceptions: vec![exception],
        override_keys: Some(OverrideKeys { exceptions: OverrideMode::Append }),
        append: None,
    }
}

#[test]
fn the_issue_example_is_written_as_falco_writes_it() {
    let item = append_item(ExceptionDefinition {
        name: "httpd_rm_dpkg_log".into(),
        fields: Some(ExceptionFields::List(vec![
            "container.image.repository".into(),
            "proc.name".into(),
            "fd.name".into(),
        ])),
        comps: Some(ExceptionComps::List(vec!["=".into(), "=".into(), "=".into()])),
        values: vec![tuple(&["httpd", "rm", "/var/log/dpkg.log"])],
    });
    let yaml = round_trip(&item);
    assert_eq!(
        yaml,
        "- rule: Clear Log Activities
  exceptions:
    - name: httpd_rm_dpkg_log
      fields: [container.image.repository, proc.name, fd.name]
      comps: [=, =, =]
      values:
        - [httpd, rm, /var/log/dpkg.log]
  override:
    exceptions: append
"
    );
}

#[test]
fn nested_lists_single_field_form_and_value_only_appends() {
    let item = RuleExceptions {
        rule: "Change thread namespace".into(),
        exceptions: vec![
            ExceptionDefinition {
                name: "proc_names".into(),
                fields: Some(ExceptionFields::Single("proc.name".into())),
                comps: Some(ExceptionComps::Single("in".into())),
                values: vec![ExceptionValues::Scalar("sysdig".into()), ExceptionValues::Scalar("calico".into())],
            },
            ExceptionDefinition {
                name: "proc_cmdline".into(),
                fields: Some(ExceptionFields::List(vec!["proc.name".into(), "proc.cmdline".into()])),
                comps: Some(ExceptionComps::List(vec!["in".into(), "contains".into()])),
                values: vec![ExceptionValues::Tuple(vec![
                    ExceptionValue::List(vec!["python".into(), "python2.7".into()]),
                    ExceptionValue::Scalar("/opt/draios/bin/sdchecks".into()),
                ])],
            },
            ExceptionDefinition {
                name: "existing".into(),
                fields: None,
                comps: None,
                values: vec![tuple(&["rancher/agent", "0"])],
            },
        ],
        override_keys: None,
        append: Some(true),
    };
    let yaml = round_trip(&item);
    assert_eq!(
        yaml,
        "- rule: Change thread namespace
  exceptions:
    - name: proc_names
      fields: proc.name
      comps: in
      values:
        - sysdig
        - calico
    - name: proc_cmdline
      fields: [proc.name, proc.cmdline]
      comps: [in, contains]
      values:
        - [[python, python2.7], /opt/draios/bin/sdchecks]
    - name: existing
      values:
        - [rancher/agent, 0]
  append: true
"
    );
}

#[test]
fn quotes_only_where_yaml_or_falco_needs_them() {
    let cases = [
        ("httpd", "httpd"),
        ("/var/log/dpkg.log", "/var/log/dpkg.log"),
        ("=", "="),
        ("<=", "<="),
        ("0", "0"),
        ("-1", "-1"),
        ("python2.7", "python2.7"),
        ("rm /var/log/dpkg.log", "\"rm /var/log/dpkg.log\""),
        ("!=", "\"!=\""),
        (">", "\">\""),
        (">=", "\">=\""),
        ("*.log", "\"*.log\""),
        ("&anchor", "\"&anchor\""),
        ("[x]", "\"[x]\""),
        ("a,b", "\"a,b\""),
        ("10.0.0.5:34567->203.0.113.7:4444", "\"10.0.0.5:34567->203.0.113.7:4444\""),
        ("a#b", "\"a#b\""),
        ("-rf", "\"-rf\""),
        ("true", "\"true\""),
        ("No", "\"No\""),
        ("null", "\"null\""),
        ("~", "\"~\""),
        ("1.10", "\"1.10\""),
        ("007", "\"007\""),
        ("1e3", "\"1e3\""),
        ("0x1F", "\"0x1F\""),
        (".inf", "\".inf\""),
        ("", "\"\""),
        (" padded", "\" padded\""),
        ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ("back\\slash", "back\\slash"),
        ("line\nbreak", "\"line\\nbreak\""),
        ("startswith oneof", "\"startswith oneof\""),
        ("日本語", "日本語"),
    ];
    for (text, expected) in cases {
        assert_eq!(scalar(text, Context::FlowValue), expected, "{text:?}");
    }
    assert_eq!(scalar("Clear Log Activities", Context::Block), "Clear Log Activities");
    assert_eq!(scalar("Container Drift Detected (chmod)", Context::Block), "Container Drift Detected (chmod)");
    assert_eq!(
        scalar("Redirect STDOUT/STDIN to Network Connection in Container", Context::Block),
        "Redirect STDOUT/STDIN to Network Connection in Container"
    );
    assert_eq!(scalar("a: b", Context::Block), "\"a: b\"");
    assert_eq!(scalar("0", Context::Flow), "\"0\"");
    assert_eq!(scalar("0", Context::BlockValue), "0");
}

#[test]
fn tricky_values_round_trip() {
    let tricky = [
        "=",
        "!=",
        "<",
        ">=",
        "==",
        "in",
        "startswith oneof",
        "rm",
        "",
        " ",
        "a b",
        "a, b",
        "[a]",
        "{a}",
        "a: b",
        "a:b",
        "#x",
        "x #y",
        "- x",
        "-",
        "?",
        "? x",
        "|",
        ">",
        "'q'",
        "\"q\"",
        "%x",
        "@x",
        "`x`",
        "*x",
        "&x",
        "!x",
        "true",
        "False",
        "YES",
        "off",
        "null",
        "NULL",
        "~",
        "0",
        "-0",
        "00",
        "0.5",
        ".5",
        "1_000",
        "1e5",
        "+1",
        "0o17",
        "0x1f",
        ".NaN",
        "-.inf",
        "123456789012345678901234567890",
        "tab\there",
        "cr\rhere",
        "nl\nhere",
        "bell\u{7}",
        "back\\slash",
        "quote\"in",
        "日本語 テキスト",
        "2026-11-20",
        "1:30",
        "a\u{feff}b",
    ];
    let values: Vec<ExceptionValues> = tricky.iter().map(|text| tuple(&[text, text])).collect();
    let item = append_item(ExceptionDefinition {
        name: "tricky".into(),
        fields: Some(ExceptionFields::List(vec!["proc.name".into(), "fd.name".into()])),
        comps: Some(ExceptionComps::List(vec!["=".into(), "startswith".into()])),
        values,
    });
    round_trip(&item);
    for text in tricky {
        let single = RuleExceptions {
            rule: text.into(),
            exceptions: vec![ExceptionDefinition {
                name: text.into(),
                fields: Some(ExceptionFields::Single(text.into())),
                comps: Some(ExceptionComps::Single(text.into())),
                values: vec![ExceptionValues::Scalar(text.into())],
            }],
            override_keys: Some(OverrideKeys { exceptions: OverrideMode::Replace }),
            append: None,
        };
        round_trip(&single);
    }
}

#[test]
fn generated_strings_round_trip() {
    const POOL: &[char] = &[
        'a', 'Z', '0', '9', ' ', '-', '_', '.', '/', ':', ',', '#', '[', ']', '{', '}', '"', '\'', '\\', '!', '&', '*',
        '?', '|', '>', '<', '=', '%', '@', '`', '~', '\t', '\n', 'é', '日',
    ];
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let values: Vec<ExceptionValues> = (0..400)
        .map(|_| {
            let length = next() % 8;
            let text: String = (0..length).map(|_| POOL[next() % POOL.len()]).collect();
            tuple(&[&text])
        })
        .collect();
    round_trip(&append_item(ExceptionDefinition {
        name: "generated".into(),
        fields: Some(ExceptionFields::List(vec!["proc.cmdline".into()])),
        comps: None,
        values,
    }));
}
