//! The configuration file (`saker.yaml`): where alerts and state are kept (`store:`), how to
//! reach a language model, which Falco rules to read and where the server listens. Parsed once at start into typed settings, then passed
//! down; nothing reads the file or the environment later.
//!
//! The file is found at `--config PATH` (or `SAKER_CONFIG`), else at `<data-dir>/saker.yaml`
//! when that exists; without a file every setting has its default.

use std::path::{Path, PathBuf};

use saker_tools::rules::{RulesCatalog, RulesError};
use serde::Deserialize;

use crate::conversation::{Backend, ConversationError};
use crate::llm::{LlmBackend, LlmSettings};
use crate::planner::Planner;

/// The file name looked for in the data directory.
pub const CONFIG_FILE_NAME: &str = "saker.yaml";

/// The address `saker serve` listens on by default (loopback only: the API has no
/// authentication).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";

/// Everything `saker.yaml` can say. Every section is optional; unknown keys are errors so a
/// typo never silently falls back to a default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SakerConfig {
    /// The language model (the embedded planner answers when none is configured here or in
    /// the environment).
    #[serde(default)]
    pub llm: Option<LlmSettings>,
    /// Falco rules files or directories, in Falco's load order (default: Falco's own paths,
    /// `/etc/falco/falco_rules.yaml`, `falco_rules.local.yaml`, `rules.d/`).
    #[serde(default)]
    pub rules: Option<Vec<PathBuf>>,
    /// The HTTP server.
    #[serde(default)]
    pub server: Option<ServerSettings>,
    /// Reports delivered on a schedule by `saker serve` (see [`crate::report::delivery`]).
    #[serde(default)]
    pub reports: Option<Vec<crate::report::delivery::ScheduledReport>>,
    /// API tokens (hashed) and the CLI's role.
    #[serde(default)]
    pub auth: Option<crate::auth::AuthSettings>,
    /// Response-action executors per cluster and auto-approval rules.
    #[serde(default)]
    pub actions: Option<crate::actions::settings::ActionSettings>,
    /// Escalation to Slack and Jira.
    #[serde(default)]
    pub escalation: Option<crate::escalation::EscalationSettings>,
    /// Where alerts, state and sessions are kept (default: the embedded files of the data
    /// directory).
    #[serde(default)]
    pub store: Option<StoreSettings>,
}

/// The `store:` section: `backend: embedded` (the default: tantivy and SQLite in the data
/// directory) or `backend: postgres`, one PostgreSQL database several replicas share, whose
/// URL is read from the environment variable `url_env` (default `SAKER_DATABASE_URL`) so that
/// the password stays out of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `embedded` or `postgres` (read as text so that an unknown name is an error naming what
    /// is allowed).
    #[serde(default)]
    pub backend: Option<String>,
    /// The environment variable holding the PostgreSQL URL (`postgres` only).
    #[serde(default)]
    pub url_env: Option<String>,
}

/// The environment variable the PostgreSQL URL is read from by default.
pub const DEFAULT_DATABASE_URL_ENV: &str = "SAKER_DATABASE_URL";

/// Which store backend the configuration picks.
#[derive(Debug, Clone)]
pub enum StoreBackend {
    /// The data directory's tantivy index and SQLite files.
    Embedded,
    /// One PostgreSQL database shared by every replica.
    Postgres {
        /// Its URL (displayed without the password).
        url: saker_tools::store::database::DatabaseUrl,
        /// The environment variable it came from, for messages.
        url_env: String,
    },
}

/// The `server:` section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on, e.g. `127.0.0.1:7878` (`--listen` overrides it).
    #[serde(default)]
    pub listen: Option<String>,
    /// How long conversations are kept (default 90 days, 10,000 sessions).
    #[serde(default)]
    pub sessions: Option<crate::conversation::retention::SessionRetention>,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` / `SAKER_CONFIG` (or found in the data directory) could
    /// not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML or does not match the expected keys and types.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column and the field.
        message: String,
    },
    /// The rules the configuration (or the command line) names could not be loaded.
    #[error("cannot load the Falco rules: {0}")]
    Rules(#[from] RulesError),
    /// The language-model settings are incomplete or invalid.
    #[error("{0}")]
    Backend(#[from] ConversationError),
    /// A section's values are invalid (a token that is not a hash, an executor without
    /// clusters, ...).
    #[error("config section {section}: {message}")]
    Invalid {
        /// The section.
        section: &'static str,
        /// What is wrong, naming the entry and what is allowed.
        message: String,
    },
}

impl SakerConfig {
    /// Parses the YAML text of the file `path` (named in errors). An empty file is the
    /// default configuration.
    pub fn from_yaml(path: &Path, text: &str) -> Result<SakerConfig, ConfigError> {
        if text.trim().is_empty() {
            return Ok(SakerConfig::default());
        }
        let parsed: Option<SakerConfig> = serde_saphyr::from_str(text)
            .map_err(|error| ConfigError::Parse { path: path.to_path_buf(), message: error.to_string() })?;
        Ok(parsed.unwrap_or_default())
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<SakerConfig, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        SakerConfig::from_yaml(path, &text)
    }

    /// Which file applies: `explicit` (from `--config` or `SAKER_CONFIG`), which must exist,
    /// else `<data_dir>/saker.yaml` when it exists, else none.
    pub fn locate(explicit: Option<&Path>, data_dir: &Path) -> Option<PathBuf> {
        match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => Some(data_dir.join(CONFIG_FILE_NAME)).filter(|path| path.is_file()),
        }
    }

    /// The configuration that applies (see [`SakerConfig::locate`]) and the file it came
    /// from; the defaults when there is no file.
    pub fn discover(explicit: Option<&Path>, data_dir: &Path) -> Result<(SakerConfig, Option<PathBuf>), ConfigError> {
        match SakerConfig::locate(explicit, data_dir) {
            Some(path) => Ok((SakerConfig::load(&path)?, Some(path))),
            None => Ok((SakerConfig::default(), None)),
        }
    }

    /// The rules catalog: `overrides` (from `--rules`) when given, else the file's `rules:`,
    /// else Falco's default paths (missing ones skipped, so a machine without Falco gets an
    /// empty catalog).
    pub fn rules_catalog(&self, overrides: &[PathBuf]) -> Result<RulesCatalog, ConfigError> {
        let catalog = if !overrides.is_empty() {
            RulesCatalog::load(overrides)?
        } else {
            match &self.rules {
                Some(paths) if !paths.is_empty() => RulesCatalog::load(paths)?,
                _ => RulesCatalog::load_default()?,
            }
        };
        Ok(catalog)
    }

    /// The address to listen on: `flag` (from `--listen`), else the file's `server.listen`,
    /// else [`DEFAULT_LISTEN`].
    pub fn listen_address(&self, flag: Option<&str>) -> String {
        flag.map(str::to_string)
            .or_else(|| self.server.as_ref().and_then(|server| server.listen.clone()))
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string())
    }

    /// The API tokens of the file's `auth:` and of `SAKER_API_TOKENS` (read through `env`).
    pub fn tokens(&self, env: impl Fn(&str) -> Option<String>) -> Result<crate::auth::TokenTable, ConfigError> {
        crate::auth::TokenTable::from_settings(self.auth.as_ref(), env)
            .map_err(|message| ConfigError::Invalid { section: "auth", message })
    }

    /// The action service over the state database of `data_dir`, with the `actions:` executors
    /// and auto-approval rules.
    pub async fn action_service(&self, data_dir: &Path) -> Result<crate::actions::ActionService, ConfigError> {
        let settings = self.actions.clone().unwrap_or_default();
        crate::actions::ActionService::open(data_dir, &settings)
            .await
            .map_err(|message| ConfigError::Invalid { section: "actions", message })
    }

    /// The action service over an open state database (embedded or shared), with the
    /// `actions:` executors and auto-approval rules (quarantine under `data_dir` unless
    /// configured).
    pub async fn action_service_on(
        &self,
        state: &saker_tools::store::state::StateDb,
        data_dir: &Path,
    ) -> Result<crate::actions::ActionService, ConfigError> {
        let settings = self.actions.clone().unwrap_or_default();
        let ledger = saker_tools::actions::ActionLedger::new(state.clone());
        crate::actions::ActionService::start(ledger, &settings, data_dir)
            .await
            .map_err(|message| ConfigError::Invalid { section: "actions", message })
    }

    /// The store backend of the `store:` section, the PostgreSQL URL read through `env`.
    /// Errors name the key and what is allowed; they never show the URL.
    pub fn store_backend(&self, env: impl Fn(&str) -> Option<String>) -> Result<StoreBackend, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { section: "store", message };
        let Some(settings) = &self.store else {
            return Ok(StoreBackend::Embedded);
        };
        match settings.backend.as_deref().map(str::trim) {
            None | Some("embedded") => match &settings.url_env {
                None => Ok(StoreBackend::Embedded),
                Some(_) => Err(invalid(
                    "store.url_env applies only to backend postgres (the embedded backend keeps its files in the data \
                     directory)"
                        .into(),
                )),
            },
            Some("postgres") => {
                let url_env = settings.url_env.clone().unwrap_or_else(|| DEFAULT_DATABASE_URL_ENV.to_string());
                if url_env.trim().is_empty() {
                    return Err(invalid(format!(
                        "store.url_env is empty (allowed: the name of an environment variable, default \
                         {DEFAULT_DATABASE_URL_ENV})"
                    )));
                }
                let value = env(&url_env).filter(|value| !value.trim().is_empty()).ok_or_else(|| {
                    invalid(format!(
                        "store.backend is postgres but the environment variable {url_env} (store.url_env) is not set \
                         or empty (allowed: a URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE)"
                    ))
                })?;
                let url = saker_tools::store::database::DatabaseUrl::parse(&value)
                    .map_err(|error| invalid(format!("{url_env} (store.url_env): {error}")))?;
                Ok(StoreBackend::Postgres { url, url_env })
            }
            Some(other) => Err(invalid(format!("store.backend {other:?} is not known (allowed: embedded, postgres)"))),
        }
    }

    /// The escalator of the `escalation:` section, when there is one.
    pub fn escalator(&self) -> Result<Option<crate::escalation::Escalator>, ConfigError> {
        self.escalation
            .clone()
            .map(crate::escalation::Escalator::new)
            .transpose()
            .map_err(|message| ConfigError::Invalid { section: "escalation", message })
    }

    /// The backend that answers: the LLM backend when a model is configured (the file's
    /// `llm:` with the environment applied on top, read through `env`), else the embedded
    /// planner.
    pub fn backend(&self, env: impl Fn(&str) -> Option<String>) -> Result<Backend, ConfigError> {
        match LlmSettings::resolve(self.llm.clone(), env) {
            Some(settings) => Ok(Backend::Llm(LlmBackend::new(settings)?)),
            None => Ok(Backend::Planner(Planner::new())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::BackendKind;

    fn parse(text: &str) -> Result<SakerConfig, ConfigError> {
        SakerConfig::from_yaml(Path::new("saker.yaml"), text)
    }

    #[test]
    fn a_full_file_parses_into_typed_sections() {
        let config = parse(
            "llm:\n  base_url: http://127.0.0.1:11434/v1\n  model: qwen2.5:14b\n  max_steps: 4\n\
             rules:\n  - /etc/falco/falco_rules.yaml\n  - /etc/falco/rules.d\n\
             server:\n  listen: 0.0.0.0:8080\n",
        )
        .expect("parses");
        let llm = config.llm.clone().expect("llm section");
        assert_eq!(llm.base_url.as_deref(), Some("http://127.0.0.1:11434/v1"));
        assert_eq!(llm.model.as_deref(), Some("qwen2.5:14b"));
        assert_eq!(llm.max_steps, Some(4));
        assert_eq!(
            config.rules,
            Some(vec![PathBuf::from("/etc/falco/falco_rules.yaml"), PathBuf::from("/etc/falco/rules.d")])
        );
        assert_eq!(config.listen_address(None), "0.0.0.0:8080");
        assert_eq!(config.listen_address(Some("127.0.0.1:0")), "127.0.0.1:0");
    }

    #[test]
    fn empty_file_and_comments_only_are_the_defaults() {
        assert_eq!(parse("").expect("empty"), SakerConfig::default());
        assert_eq!(parse("# nothing configured\n").expect("comment"), SakerConfig::default());
        assert_eq!(SakerConfig::default().listen_address(None), DEFAULT_LISTEN);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key_and_the_line() {
        let error = parse("server:\n  listen: 127.0.0.1:1\nlm:\n  model: x\n").expect_err("unknown top-level key");
        let message = error.to_string();
        assert!(message.contains("lm"), "{message}");
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("saker.yaml"), "{message}");

        let error = parse("llm:\n  base_url: http://x/v1\n  modle: m\n").expect_err("unknown llm key");
        let message = error.to_string();
        assert!(message.contains("modle"), "{message}");
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn wrong_types_are_errors_naming_the_line() {
        let error = parse("llm:\n  max_steps: many\n").expect_err("not a number");
        let message = error.to_string();
        assert!(message.contains("line 2"), "{message}");
        let error = parse("rules: /etc/falco/falco_rules.yaml\n").expect_err("not a list");
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn the_backend_is_the_planner_unless_a_model_is_configured() {
        let none = |_: &str| None;
        let backend = SakerConfig::default().backend(none).expect("planner");
        assert_eq!(backend.kind(), BackendKind::Planner);

        let from_env = |name: &str| match name {
            "SAKER_LLM_BASE_URL" => Some("http://127.0.0.1:9/v1".to_string()),
            "SAKER_LLM_MODEL" => Some("m".to_string()),
            _ => None,
        };
        let backend = SakerConfig::default().backend(from_env).expect("llm");
        assert_eq!(backend.kind(), BackendKind::Llm);

        let file = parse("llm:\n  base_url: http://127.0.0.1:9/v1\n  model: local\n").expect("parses");
        assert_eq!(file.backend(none).expect("llm").kind(), BackendKind::Llm);
        // A base URL without a model is not a configured model: the planner answers.
        let half = parse("llm:\n  base_url: http://127.0.0.1:9/v1\n").expect("parses");
        assert_eq!(half.backend(none).expect("planner").kind(), BackendKind::Planner);
    }

    #[test]
    fn the_store_section_picks_the_backend_with_clear_errors() {
        let none = |_: &str| None;
        assert!(matches!(SakerConfig::default().store_backend(none), Ok(StoreBackend::Embedded)));
        let embedded = parse("store:\n  backend: embedded\n").expect("parses");
        assert!(matches!(embedded.store_backend(none), Ok(StoreBackend::Embedded)));

        let postgres = parse("store:\n  backend: postgres\n  url_env: SAKER_DATABASE_URL\n").expect("parses");
        let secret = |name: &str| {
            (name == "SAKER_DATABASE_URL").then(|| "postgres://saker:s3cret@db.internal:5432/saker".to_string())
        };
        match postgres.store_backend(secret) {
            Ok(StoreBackend::Postgres { url, url_env }) => {
                assert_eq!(url.to_string(), "postgres://saker@db.internal:5432/saker");
                assert_eq!(url_env, "SAKER_DATABASE_URL");
            }
            other => panic!("expected postgres, got {other:?}"),
        }
        // url_env defaults to SAKER_DATABASE_URL.
        let default_env = parse("store:\n  backend: postgres\n").expect("parses");
        assert!(matches!(default_env.store_backend(secret), Ok(StoreBackend::Postgres { .. })));

        let missing = postgres.store_backend(none).expect_err("no URL");
        let message = missing.to_string();
        assert!(message.contains("SAKER_DATABASE_URL") && message.contains("store.url_env"), "{message}");
        let empty = postgres.store_backend(|_: &str| Some("  ".into())).expect_err("empty URL");
        assert!(empty.to_string().contains("not set or empty"), "{empty}");
        let not_postgres =
            postgres.store_backend(|_: &str| Some("mysql://root:hunter2@db/x".into())).expect_err("mysql");
        assert!(!not_postgres.to_string().contains("hunter2"), "{not_postgres}");

        let unknown = parse("store:\n  backend: mongodb\n").expect("parses").store_backend(none).expect_err("unknown");
        let message = unknown.to_string();
        assert!(message.contains("store.backend") && message.contains("embedded, postgres"), "{message}");
        let stray = parse("store:\n  url_env: X\n").expect("parses").store_backend(none).expect_err("stray url_env");
        assert!(stray.to_string().contains("only to backend postgres"), "{stray}");
        assert!(parse("store:\n  backend: postgres\n  url: postgres://x\n").is_err(), "unknown keys are errors");
    }

    #[test]
    fn the_file_is_found_explicitly_or_in_the_data_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(SakerConfig::locate(None, dir.path()), None);
        let (config, path) = SakerConfig::discover(None, dir.path()).expect("defaults");
        assert_eq!((config, path), (SakerConfig::default(), None));

        let in_data_dir = dir.path().join(CONFIG_FILE_NAME);
        std::fs::write(&in_data_dir, "server:\n  listen: 127.0.0.1:9999\n").expect("write");
        let (config, path) = SakerConfig::discover(None, dir.path()).expect("found");
        assert_eq!(path.as_deref(), Some(in_data_dir.as_path()));
        assert_eq!(config.listen_address(None), "127.0.0.1:9999");

        let missing = dir.path().join("elsewhere.yaml");
        let error = SakerConfig::discover(Some(&missing), dir.path()).expect_err("explicit file must exist");
        assert!(error.to_string().contains("elsewhere.yaml"), "{error}");
    }

    #[test]
    fn rules_overrides_win_over_the_file_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rules = dir.path().join("rules.yaml");
        std::fs::write(
            &rules,
            "- rule: Test rule\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: WARNING\n",
        )
        .expect("write");
        let config = SakerConfig { rules: Some(vec![dir.path().join("absent.yaml")]), ..SakerConfig::default() };
        assert!(config.rules_catalog(&[]).is_err());
        let catalog = config.rules_catalog(std::slice::from_ref(&rules)).expect("override loads");
        assert!(catalog.rule("Test rule").is_some());
    }
}
