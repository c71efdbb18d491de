//! The answer templates, embedded from `prompts/answers/<lang>/` and compiled once.
//!
//! Each language has its own handlebars registry (same template and partial names, its own
//! glossary), in strict mode (a template reading a field the context lacks is a defect, not an
//! empty string) and without HTML escaping (answers are Markdown; the helpers make alert text
//! safe). Partials are registered with a leading underscore (`{{> _scope evidence}}`):
//! templates and partials share one namespace, and several partials are named like the intent
//! template that uses them.

use std::sync::{Arc, OnceLock};

use handlebars::Handlebars;

use super::glossary::Glossary;
use super::helpers::register_helpers;
use crate::conversation::{ConversationError, Language};

macro_rules! answer_files {
    ($lang:literal, $folder:literal, [$($name:literal),* $(,)?]) => {
        [$(($name, include_str!(concat!("../../../../prompts/answers/", $lang, "/", $folder, $name, ".hbs")))),*]
    };
}

/// The embedded sources of one language.
pub struct LanguageSources {
    /// (name, source) of each answer template.
    pub templates: [(&'static str, &'static str); 21],
    /// (name, source) of each partial, registered as `_name`.
    pub partials: [(&'static str, &'static str); 18],
    /// The glossary (JSON).
    pub glossary: &'static str,
}

macro_rules! language_sources {
    ($lang:literal) => {
        LanguageSources {
            templates: answer_files!(
                $lang,
                "",
                [
                    "summary",
                    "report",
                    "root_cause",
                    "mitre",
                    "attack_path",
                    "impacted_workloads",
                    "remediation",
                    "isolation",
                    "compare_periods",
                    "count",
                    "search",
                    "explain",
                    "unknown",
                    "clarify",
                    "false_positive",
                    "exception",
                    "validate_exception",
                    "propose_action",
                    "response_history",
                    "escalate",
                    "left_out",
                ]
            ),
            partials: answer_files!(
                $lang,
                "partials/",
                [
                    "scope",
                    "errors",
                    "empty",
                    "truncated",
                    "categories",
                    "groups",
                    "root_causes",
                    "attack_path",
                    "mitre",
                    "workloads",
                    "remediation",
                    "duration",
                    "because",
                    "fact",
                    "action_target",
                    "action_fact",
                    "readings",
                    "proposals",
                ]
            ),
            glossary: include_str!(concat!("../../../../prompts/answers/", $lang, "/glossary.json")),
        }
    };
}

static ENGLISH: LanguageSources = language_sources!("en");
static JAPANESE: LanguageSources = language_sources!("ja");

/// The embedded sources of a language.
pub fn sources(language: Language) -> &'static LanguageSources {
    match language {
        Language::En => &ENGLISH,
        Language::Ja => &JAPANESE,
    }
}

/// The compiled registries, one per language.
struct Registries {
    english: Handlebars<'static>,
    japanese: Handlebars<'static>,
}

/// A defect found while compiling: the template and what is wrong.
#[derive(Debug, Clone)]
struct Defect {
    template: String,
    message: String,
}

fn build(language: Language) -> Result<Handlebars<'static>, Defect> {
    let LanguageSources { templates, partials, glossary: glossary_text } = sources(language);
    let defect =
        |template: &str, message: String| Defect { template: format!("{}/{template}", language.tag()), message };
    let glossary = Glossary::parse(glossary_text).map_err(|message| defect("glossary.json", message))?;
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    register_helpers(&mut registry, Arc::new(glossary));
    for (name, source) in partials.iter() {
        registry
            .register_partial(&format!("_{name}"), *source)
            .map_err(|error| defect(&format!("partials/{name}"), error.to_string()))?;
    }
    for (name, source) in templates.iter() {
        registry.register_template_string(name, *source).map_err(|error| defect(name, error.to_string()))?;
    }
    Ok(registry)
}

fn registries() -> Result<&'static Registries, ConversationError> {
    static REGISTRIES: OnceLock<Result<Registries, Defect>> = OnceLock::new();
    REGISTRIES
        .get_or_init(|| Ok(Registries { english: build(Language::En)?, japanese: build(Language::Ja)? }))
        .as_ref()
        .map_err(|defect| ConversationError::Template {
            template: defect.template.clone(),
            message: defect.message.clone(),
        })
}

/// Renders the template `name` of `language` with `context`.
pub fn render_template(
    language: Language,
    name: &str,
    context: &serde_json::Value,
) -> Result<String, ConversationError> {
    let registries = registries()?;
    let registry = match language {
        Language::En => &registries.english,
        Language::Ja => &registries.japanese,
    };
    registry.render(name, context).map_err(|error| ConversationError::Template {
        template: format!("{}/{name}", language.tag()),
        message: error.to_string(),
    })
}
