//! The handlebars helpers answer templates use. Each turns one value from a tool output into
//! safe Markdown (see `markdown`); none computes a new figure.
//!
//! | helper | writes |
//! |---|---|
//! | `code v` / `code_cell v` / `short v` | alert text as an inline code span (in a table cell; cut to a prefix) |
//! | `text v` | tool prose with Markdown punctuation escaped |
//! | `sentence v` | the same, capitalised and without a final period (the template adds it) |
//! | `num v` / `signed v` / `percent v` | `1,234` / `+33` / `+94.3%` |
//! | `time v` / `day v` | `2026-11-19 12:17:08 UTC` / `2026-11-19` |
//! | `href v` | a link target into the event feed |
//! | `fence v lang` | a fenced code block holding `v` verbatim |
//! | `indent n` | two spaces per level (nested lists) |
//! | `plural n one many` | `one` when `n` is 1 |
//! | `lower v` | lowercase (a kind as kubectl names it) |
//! | `term section key default` | the glossary's word for `key`, else `default` escaped |
//! | `remedy step` | a remediation step with its objects in code spans, in the language |
//! | `duration_amount v` / `duration_unit v` | `7` / `d` of `7d` |

use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, JsonRender, RenderContext, RenderError, RenderErrorReason, ScopedJson,
};
use serde_json::Value;

use super::glossary::Glossary;
use super::markdown::{
    code_span, escape_text, format_day, format_number, format_percent, format_signed, format_time, link_target,
    short_code_span, table_code_span,
};
use super::remedy::render_step;

/// What a helper computes from its parameters.
type Compute = fn(&[Value], &Glossary) -> Result<Value, String>;

/// A helper of fixed arity whose parameters must all be present.
struct ValueHelper {
    name: &'static str,
    arity: usize,
    compute: Compute,
    glossary: Arc<Glossary>,
}

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        helper: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let mut params = Vec::with_capacity(self.arity);
        for index in 0..self.arity {
            let param = helper.param(index).ok_or(RenderErrorReason::ParamNotFoundForIndex(self.name, index))?;
            if param.is_value_missing() {
                return Err(RenderErrorReason::Other(format!(
                    "helper {}: parameter {} ({}) is missing from the context",
                    self.name,
                    index + 1,
                    param.relative_path().map_or("a value", String::as_str)
                ))
                .into());
            }
            params.push(param.value().clone());
        }
        (self.compute)(&params, &self.glossary)
            .map(ScopedJson::Derived)
            .map_err(|message| RenderErrorReason::Other(format!("helper {}: {message}", self.name)).into())
    }
}

/// Registers every helper on `registry`, with `glossary` for the language's words.
pub fn register_helpers(registry: &mut Handlebars<'static>, glossary: Arc<Glossary>) {
    let helpers: [(&'static str, usize, Compute); 22] = [
        ("code", 1, |p, _| Ok(Value::String(code_span(&plain(&p[0]))))),
        ("code_cell", 1, |p, _| Ok(Value::String(table_code_span(&plain(&p[0]))))),
        ("short", 1, |p, _| Ok(Value::String(short_code_span(&plain(&p[0]))))),
        ("short_cell", 1, |p, _| Ok(Value::String(short_code_span(&plain(&p[0])).replace('|', "\\|")))),
        ("sh", 1, |p, _| Ok(Value::String(shell_word(&plain(&p[0]))))),
        ("yaml", 1, |p, _| Ok(Value::String(yaml_scalar(&plain(&p[0]))))),
        ("text", 1, |p, _| Ok(Value::String(escape_text(&plain(&p[0]))))),
        ("sentence", 1, |p, _| Ok(Value::String(sentence(&plain(&p[0]))))),
        ("num", 1, |p, _| Ok(Value::String(format_number(&p[0])))),
        ("signed", 1, |p, _| Ok(Value::String(format_signed(&p[0])))),
        ("percent", 1, |p, _| Ok(Value::String(format_percent(&p[0])))),
        ("time", 1, |p, _| Ok(Value::String(format_time(&plain(&p[0]))))),
        ("day", 1, |p, _| Ok(Value::String(format_day(&plain(&p[0]))))),
        ("href", 1, |p, _| Ok(Value::String(link_target(&plain(&p[0]))))),
        ("fence", 2, |p, _| Ok(Value::String(fenced_block(&plain(&p[0]), &plain(&p[1]))))),
        ("indent", 1, |p, _| Ok(Value::String("  ".repeat(p[0].as_u64().unwrap_or(0).min(40) as usize)))),
        ("plural", 3, |p, _| Ok(if is_one(&p[0]) { p[1].clone() } else { p[2].clone() })),
        ("lower", 1, |p, _| Ok(Value::String(plain(&p[0]).to_lowercase()))),
        ("term", 3, term),
        ("remedy", 1, remedy),
        ("duration_amount", 1, |p, _| Ok(Value::String(split_duration(&plain(&p[0])).0))),
        ("duration_unit", 1, |p, _| Ok(Value::String(split_duration(&plain(&p[0])).1))),
    ];
    for (name, arity, compute) in helpers {
        registry.register_helper(name, Box::new(ValueHelper { name, arity, compute, glossary: glossary.clone() }));
    }
}

/// A value as plain text: strings as they are, null as nothing, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.render(),
    }
}

/// Whether a count is one (a number, or a string of digits from `duration_amount`).
fn is_one(value: &Value) -> bool {
    value.as_f64() == Some(1.0) || value.as_str() == Some("1")
}

/// `term section key default`: the glossary's word, else the default escaped as prose.
fn term(params: &[Value], glossary: &Glossary) -> Result<Value, String> {
    let (section, key) = (plain(&params[0]), plain(&params[1]));
    Ok(Value::String(match glossary.lookup(&section, &key) {
        Some(word) => word.to_string(),
        None => escape_text(&plain(&params[2])),
    }))
}

/// `remedy step`: a `suggest_remediation` step (`id`, `action`) in the answer's language.
fn remedy(params: &[Value], glossary: &Glossary) -> Result<Value, String> {
    let step = &params[0];
    let (Some(id), Some(action)) = (step.get("id").and_then(Value::as_str), step.get("action").and_then(Value::as_str))
    else {
        return Err("the step has no id or action".to_string());
    };
    Ok(Value::String(render_step(id, action, glossary.lookup("remedies", id), &glossary.list_words())))
}

/// A fenced code block whose fence is longer than any backtick run in `content`.
pub fn fenced_block(content: &str, language: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for character in content.chars() {
        run = if character == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    let info: String = language.chars().filter(|character| character.is_ascii_alphanumeric()).collect();
    format!("{fence}{info}\n{}\n{fence}", content.trim_end_matches('\n'))
}

/// Tool prose as a sentence of the answer: escaped, first letter capitalised, final period
/// dropped (templates end the sentence themselves).
fn sentence(text: &str) -> String {
    let trimmed = text.trim().trim_end_matches('.');
    let mut characters = trimmed.chars();
    let capitalised: String = match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    };
    escape_text(&capitalised)
}

/// A value as one shell word: as it is when it holds only characters the shell does not
/// interpret, else single-quoted (newlines folded into spaces).
pub fn shell_word(value: &str) -> String {
    let flat: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let plain = !flat.is_empty()
        && flat
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/' | '@' | '+' | ',' | '%'));
    if plain { flat } else { format!("'{}'", flat.replace('\'', "'\\''")) }
}

/// A value as a YAML scalar: a plain Kubernetes name as it is, anything else double-quoted
/// (JSON string syntax, which YAML reads the same).
pub fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'));
    if plain { value.to_string() } else { Value::String(value.to_string()).to_string() }
}

/// `7d` → (`7`, `d`); anything else → (the text, empty).
fn split_duration(text: &str) -> (String, String) {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let unit = &text[digits.len()..];
    if digits.is_empty() || unit.is_empty() || !unit.chars().all(|c| c.is_ascii_alphabetic()) {
        return (text.to_string(), String::new());
    }
    (digits, unit.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render(template: &str, data: &Value) -> Result<String, String> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        let glossary = Glossary::parse(r#"{"tactics": {"TA0002": "実行"}}"#).unwrap_or_default();
        register_helpers(&mut registry, Arc::new(glossary));
        registry.render_template(template, data).map_err(|error| error.to_string())
    }

    #[test]
    fn helpers_write_safe_markdown() {
        let data = json!({"cmd": "echo `x` [a](b)", "n": 1234, "p": -3.5, "t": "2026-11-20T10:04:42.5Z", "l": "7d"});
        assert_eq!(
            render("{{code cmd}} {{num n}} {{percent p}} {{time t}} {{duration_amount l}}{{duration_unit l}}", &data),
            Ok("``echo `x` [a](b)`` 1,234 -3.5% 2026-11-20 10:04:42 UTC 7d".to_string())
        );
        assert_eq!(render("{{term \"tactics\" \"TA0002\" \"Execution\"}}", &data), Ok("実行".to_string()));
        assert_eq!(render("{{sentence \"no alerts match (x_y).\"}}", &data), Ok("No alerts match (x\\_y)".to_string()));
        assert_eq!(render("{{term \"tactics\" \"TA0040\" \"Impact*\"}}", &data), Ok("Impact\\*".to_string()));
        assert_eq!(render("{{plural n \"alert\" \"alerts\"}}{{indent 2}}|", &data), Ok("alerts    |".to_string()));
    }

    #[test]
    fn a_missing_value_is_a_template_defect() {
        let error = render("{{code nothing}}", &json!({})).err().unwrap_or_default();
        assert!(error.contains("helper code: parameter 1"), "{error}");
    }

    #[test]
    fn shell_words_and_yaml_scalars_hold_any_value() {
        assert_eq!(shell_word("risk-10-aws-bedrock-java-fvsm52jnp-bddn7"), "risk-10-aws-bedrock-java-fvsm52jnp-bddn7");
        assert_eq!(shell_word("a b;rm -rf /"), "'a b;rm -rf /'");
        assert_eq!(shell_word("it's\n$(x)"), "'it'\\''s $(x)'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(yaml_scalar("risk-10-aws-bedrock-java"), "risk-10-aws-bedrock-java");
        assert_eq!(yaml_scalar("a: b\n- c"), "\"a: b\\n- c\"");
    }

    #[test]
    fn fences_outgrow_the_content() {
        assert_eq!(fenced_block("a", "yaml"), "```yaml\na\n```");
        assert_eq!(fenced_block("x ``` y\n", "bash"), "````bash\nx ``` y\n````");
        assert_eq!(split_duration("24h"), ("24".to_string(), "h".to_string()));
        assert_eq!(split_duration("week"), ("week".to_string(), String::new()));
    }
}
