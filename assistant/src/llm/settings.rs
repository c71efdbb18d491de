//! How to reach a language model: the `llm:` section of the config file, overridden by the
//! environment (`SAKER_LLM_BASE_URL`, `SAKER_LLM_MODEL`, `SAKER_LLM_API_KEY` or
//! `OPENAI_API_KEY`).

use serde::{Deserialize, Serialize};

/// The LLM backend's settings. Without a base URL and a model there is no LLM backend and the
/// planner answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmSettings {
    /// OpenAI-compatible API base including `/v1`, e.g. `http://127.0.0.1:11434/v1`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The model name, e.g. `gpt-4.1-mini`, `qwen2.5:14b`.
    #[serde(default)]
    pub model: Option<String>,
    /// The API key (better given through the environment).
    #[serde(default, skip_serializing)]
    pub api_key: Option<String>,
    /// Most model calls per turn before Saker answers with what it has (default 6).
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// Stream the model's answer (default true).
    #[serde(default)]
    pub stream: Option<bool>,
    /// Seconds before a model call times out (default 120).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// Retries on 429 and 5xx answers (default 3).
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// First retry delay in milliseconds, doubled each retry (default 500).
    #[serde(default)]
    pub retry_delay_ms: Option<u64>,
    /// Sampling temperature (default 0).
    #[serde(default)]
    pub temperature: Option<f32>,
}

impl LlmSettings {
    /// The file's settings with the environment's applied on top (`env` reads a variable);
    /// `None` when no model is configured (no base URL or no model).
    pub fn resolve(file: Option<LlmSettings>, env: impl Fn(&str) -> Option<String>) -> Option<LlmSettings> {
        let mut settings = file.unwrap_or_default();
        let non_empty = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        if let Some(base_url) = non_empty("SAKER_LLM_BASE_URL") {
            settings.base_url = Some(base_url);
        }
        if let Some(model) = non_empty("SAKER_LLM_MODEL") {
            settings.model = Some(model);
        }
        if let Some(key) = non_empty("SAKER_LLM_API_KEY").or_else(|| non_empty("OPENAI_API_KEY")) {
            settings.api_key = Some(key);
        }
        (settings.base_url.is_some() && settings.model.is_some()).then_some(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file_and_both_are_needed() {
        let file = LlmSettings { base_url: Some("http://file/v1".into()), ..LlmSettings::default() };
        assert_eq!(LlmSettings::resolve(Some(file.clone()), |_| None), None);
        let env = |name: &str| match name {
            "SAKER_LLM_MODEL" => Some("m".to_string()),
            "OPENAI_API_KEY" => Some("k".to_string()),
            _ => None,
        };
        let resolved = LlmSettings::resolve(Some(file), env).expect("configured");
        assert_eq!(resolved.base_url.as_deref(), Some("http://file/v1"));
        assert_eq!(resolved.model.as_deref(), Some("m"));
        assert_eq!(resolved.api_key.as_deref(), Some("k"));
    }
}
