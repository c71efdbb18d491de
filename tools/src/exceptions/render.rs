//! Writes a [`RuleExceptions`] as YAML in Falco's own style, ready to paste into
//! `falco_rules.local.yaml`: flow sequences for `fields`, `comps` and each value tuple
//! (`comps: [=, =, =]`, unquoted as Falco's files write them), block lists otherwise, and
//! double quotes only where YAML or Falco needs them (spaces and YAML indicators inside flow
//! sequences, a leading `!`/`*`/`&`/`>`..., `:` and `#`, text YAML would read as a number,
//! boolean or null, control characters).

use std::fmt::Write as _;

use super::model::{
    ExceptionComps, ExceptionDefinition, ExceptionFields, ExceptionScalar, ExceptionValue, ExceptionValues,
    OverrideMode, RuleExceptions,
};

impl RuleExceptions {
    /// The item as Falco rules YAML (one `- rule:` item, ending with a newline).
    pub fn to_falco_yaml(&self) -> String {
        render_yaml(self)
    }
}

/// The item as Falco rules YAML (one `- rule:` item, ending with a newline).
pub fn render_yaml(item: &RuleExceptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "- rule: {}", scalar(&item.rule, Context::Block));
    if item.exceptions.is_empty() {
        out.push_str("  exceptions: []\n");
    } else {
        out.push_str("  exceptions:\n");
        for exception in &item.exceptions {
            render_exception(&mut out, exception);
        }
    }
    if let Some(keys) = item.override_keys {
        let mode = match keys.exceptions {
            OverrideMode::Append => "append",
            OverrideMode::Replace => "replace",
        };
        let _ = write!(out, "  override:\n    exceptions: {mode}\n");
    }
    if let Some(append) = item.append {
        let _ = writeln!(out, "  append: {append}");
    }
    out
}

fn render_exception(out: &mut String, exception: &ExceptionDefinition) {
    let _ = writeln!(out, "    - name: {}", scalar(&exception.name, Context::Block));
    match &exception.fields {
        Some(ExceptionFields::List(fields)) => {
            let _ = writeln!(out, "      fields: {}", flow(fields.iter().map(String::as_str), Context::Flow));
        }
        Some(ExceptionFields::Single(field)) => {
            let _ = writeln!(out, "      fields: {}", scalar(field, Context::Block));
        }
        None => {}
    }
    match &exception.comps {
        Some(ExceptionComps::List(comps)) => {
            let _ = writeln!(out, "      comps: {}", flow(comps.iter().map(String::as_str), Context::Flow));
        }
        Some(ExceptionComps::Single(comp)) => {
            let _ = writeln!(out, "      comps: {}", scalar(comp, Context::Block));
        }
        None => {}
    }
    if exception.values.is_empty() {
        return;
    }
    out.push_str("      values:\n");
    for entry in &exception.values {
        match entry {
            ExceptionValues::Tuple(items) => {
                let rendered: Vec<String> = items.iter().map(tuple_item).collect();
                let _ = writeln!(out, "        - [{}]", rendered.join(", "));
            }
            ExceptionValues::Scalar(value) => {
                let _ = writeln!(out, "        - {}", scalar(value.as_str(), Context::BlockValue));
            }
        }
    }
}

fn tuple_item(item: &ExceptionValue) -> String {
    match item {
        ExceptionValue::Scalar(value) => scalar(value.as_str(), Context::FlowValue),
        ExceptionValue::List(items) => flow(items.iter().map(ExceptionScalar::as_str), Context::FlowValue),
    }
}

fn flow<'a>(items: impl Iterator<Item = &'a str>, context: Context) -> String {
    let rendered: Vec<String> = items.map(|item| scalar(item, context)).collect();
    format!("[{}]", rendered.join(", "))
}

/// Where a scalar is written and what reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// After `key: ` on its own line, read as text (rule, name, one field, one comp).
    Block,
    /// Inside `[...]`, read as text (fields, comps).
    Flow,
    /// A value after `- ` on its own line: text, number or boolean (an [`ExceptionScalar`]).
    BlockValue,
    /// A value inside `[...]`.
    FlowValue,
}

impl Context {
    fn in_flow(self) -> bool {
        matches!(self, Context::Flow | Context::FlowValue)
    }

    fn reads_numbers(self) -> bool {
        matches!(self, Context::BlockValue | Context::FlowValue)
    }
}

/// The scalar as written: plain when that reads back as the same text, else double-quoted.
fn scalar(text: &str, context: Context) -> String {
    if plain_is_safe(text, context) { text.to_string() } else { double_quoted(text) }
}

/// Characters that may not start a plain scalar (YAML indicators).
const LEADING_INDICATORS: &[char] =
    &['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`'];

fn plain_is_safe(text: &str, context: Context) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.trim() != text || text.chars().any(|character| character.is_control() || character == '\u{feff}') {
        return false;
    }
    if text.contains([':', '#']) {
        return false;
    }
    if context.in_flow() && text.contains([',', '[', ']', '{', '}', ' ']) {
        return false;
    }
    if is_canonical_integer(text) {
        return context.reads_numbers();
    }
    if LEADING_INDICATORS.contains(&first) {
        return false;
    }
    !reads_as_non_string(text)
}

/// `0`, `42`, `-1`: YAML reads them as integers that print back identically, so they stay
/// plain where a number is welcome (values), as Falco's files write `user.uid` values.
fn is_canonical_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0"
}

/// Text a YAML 1.1 or 1.2 reader would take for a boolean, null or number.
fn reads_as_non_string(text: &str) -> bool {
    let lowered = text.to_ascii_lowercase();
    const WORDS: &[&str] =
        &["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan"];
    if WORDS.contains(&lowered.as_str()) {
        return true;
    }
    let unsigned = lowered.trim_start_matches(['-', '+']);
    if ["0x", "0o", "0b"].iter().any(|prefix| unsigned.starts_with(prefix)) {
        return true;
    }
    let without_separators = lowered.replace('_', "");
    without_separators.parse::<f64>().is_ok()
        || (without_separators.starts_with(|character: char| character.is_ascii_digit() || character == '.')
            && without_separators.parse::<i128>().is_ok())
}

fn double_quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            character if character.is_control() || character == '\u{feff}' => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(character));
            }
            character => quoted.push(character),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
