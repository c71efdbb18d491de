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
    /// How many earlier turns of the session the model sees (question and answer text,
    /// default 6).
    #[serde(default)]
    pub history_turns: Option<u32>,
}

/// The settings with every default applied, as the backend uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveLlmSettings {
    /// The API base, without a trailing slash.
    pub base_url: String,
    /// The model name.
    pub model: String,
    /// The API key; empty for servers that need none.
    pub api_key: String,
    /// Most model calls with tools per turn.
    pub max_steps: u32,
    /// Stream the model's answers.
    pub stream: bool,
    /// Seconds of silence before a model call is abandoned.
    pub timeout_seconds: u64,
    /// Retries on 429 and 5xx answers.
    pub max_retries: u32,
    /// First retry delay in milliseconds.
    pub retry_delay_ms: u64,
    /// Sampling temperature.
    pub temperature: f32,
    /// Earlier turns shown to the model.
    pub history_turns: u32,
}

impl LlmSettings {
    /// Default for `max_steps`.
    pub const DEFAULT_MAX_STEPS: u32 = 6;
    /// Default for `timeout_seconds`.
    pub const DEFAULT_TIMEOUT_SECONDS: u64 = 120;
    /// Default for `max_retries`.
    pub const DEFAULT_MAX_RETRIES: u32 = 3;
    /// Default for `retry_delay_ms`.
    pub const DEFAULT_RETRY_DELAY_MS: u64 = 500;
    /// Default for `history_turns`.
    pub const DEFAULT_HISTORY_TURNS: u32 = 6;

    /// The settings with defaults applied, or what is wrong with them (the field, its value
    /// and what is allowed).
    pub fn effective(&self) -> Result<EffectiveLlmSettings, String> {
        let base_url = self.base_url.as_deref().map(str::trim).unwrap_or_default();
        if base_url.is_empty() {
            return Err("llm: `base_url` is not set (SAKER_LLM_BASE_URL, e.g. http://127.0.0.1:11434/v1)".into());
        }
        let base_url = base_url.trim_end_matches('/').to_string();
        match reqwest::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {}
            Ok(url) => {
                return Err(format!(
                    "llm: `base_url` {base_url:?} has scheme {:?}: use an http:// or https:// URL ending in /v1",
                    url.scheme()
                ));
            }
            Err(error) => {
                return Err(format!(
                    "llm: `base_url` {base_url:?} is not a URL ({error}): use e.g. http://127.0.0.1:11434/v1"
                ));
            }
        }
        let model = self.model.as_deref().map(str::trim).unwrap_or_default();
        if model.is_empty() {
            return Err("llm: `model` is not set (SAKER_LLM_MODEL, e.g. qwen2.5:14b)".into());
        }
        let api_key = self.api_key.as_deref().map(str::trim).unwrap_or_default().to_string();
        if api_key.chars().any(|character| character.is_control() || !character.is_ascii()) {
            return Err("llm: `api_key` holds control or non-ASCII characters: an API key is printable ASCII".into());
        }
        let max_steps = self.max_steps.unwrap_or(Self::DEFAULT_MAX_STEPS);
        if !(1..=50).contains(&max_steps) {
            return Err(format!("llm: `max_steps` is {max_steps}: allowed 1 to 50"));
        }
        let timeout_seconds = self.timeout_seconds.unwrap_or(Self::DEFAULT_TIMEOUT_SECONDS);
        if !(1..=3600).contains(&timeout_seconds) {
            return Err(format!("llm: `timeout_seconds` is {timeout_seconds}: allowed 1 to 3600"));
        }
        let max_retries = self.max_retries.unwrap_or(Self::DEFAULT_MAX_RETRIES);
        if max_retries > 10 {
            return Err(format!("llm: `max_retries` is {max_retries}: allowed 0 to 10"));
        }
        let retry_delay_ms = self.retry_delay_ms.unwrap_or(Self::DEFAULT_RETRY_DELAY_MS);
        if retry_delay_ms > 60_000 {
            return Err(format!("llm: `retry_delay_ms` is {retry_delay_ms}: allowed 0 to 60000"));
        }
        let temperature = self.temperature.unwrap_or(0.0);
        if !(0.0..=2.0).contains(&temperature) {
            return Err(format!("llm: `temperature` is {temperature}: allowed 0 to 2"));
        }
        let history_turns = self.history_turns.unwrap_or(Self::DEFAULT_HISTORY_TURNS);
        if history_turns > 100 {
            return Err(format!("llm: `history_turns` is {history_turns}: allowed 0 to 100"));
        }
        Ok(EffectiveLlmSettings {
            base_url,
            model: model.to_string(),
            api_key,
            max_steps,
            stream: self.stream.unwrap_or(true),
            timeout_seconds,
            max_retries,
            retry_delay_ms,
            temperature,
            history_turns,
        })
    }

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

    fn configured() -> LlmSettings {
        LlmSettings {
            base_url: Some("http://127.0.0.1:11434/v1/".into()),
            model: Some("m".into()),
            ..LlmSettings::default()
        }
    }

    #[test]
    fn defaults_apply_and_the_trailing_slash_goes() {
        let effective = configured().effective().expect("valid");
        assert_eq!(effective.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!((effective.max_steps, effective.stream, effective.timeout_seconds), (6, true, 120));
        assert_eq!((effective.max_retries, effective.retry_delay_ms, effective.history_turns), (3, 500, 6));
        assert_eq!(effective.temperature, 0.0);
        assert_eq!(effective.api_key, "");
    }

    #[test]
    fn bad_values_name_the_field_and_what_is_allowed() {
        let check = |settings: LlmSettings, expected: &str| {
            let error = settings.effective().expect_err("invalid");
            assert!(error.contains(expected), "{error}");
        };
        check(LlmSettings { base_url: Some("localhost:11434".into()), ..configured() }, "`base_url`");
        check(LlmSettings { base_url: Some("ftp://host/v1".into()), ..configured() }, "http:// or https://");
        check(LlmSettings { model: Some(" ".into()), ..configured() }, "`model` is not set");
        check(LlmSettings { api_key: Some("a\nb".into()), ..configured() }, "`api_key`");
        check(LlmSettings { max_steps: Some(0), ..configured() }, "`max_steps` is 0: allowed 1 to 50");
        check(LlmSettings { temperature: Some(3.0), ..configured() }, "`temperature`");
        check(LlmSettings { timeout_seconds: Some(0), ..configured() }, "`timeout_seconds`");
        check(LlmSettings { max_retries: Some(11), ..configured() }, "`max_retries`");
    }
}
