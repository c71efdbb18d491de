//! `saker ask`: one question. The answer streams to stdout as it is written, tool steps go to
//! stderr as short lines, then the event-feed links and the session id (to continue with
//! `--session`). `--json` prints exactly one JSON object, the structured answer.
//!
//! Also the setup `saker chat` and `saker serve` share: data directory, config file, rules,
//! session database and backend ([`AssistantArgs`]), and running one streamed turn.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use saker::config::SakerConfig;
use saker::config::StoreBackend;
use saker::conversation::{
    Answer, Backend, ChatEvent, ChatRequest, ConversationError, EventSink, Orchestrator, SessionStore, StepPhase,
};
use saker::storage::{AlertStoreHandle, Storage};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::AlertStore;
use saker_tools::store::database::ConnectRetry;
use saker_tools::store::state::StateDb;
use tokio::sync::mpsc::UnboundedReceiver;

use super::common::{DataDirArgs, index_dir, parse_now, runtime};

/// Where the assistant's data, configuration and rules come from.
#[derive(Debug, Clone, Args)]
pub struct AssistantArgs {
    #[command(flatten)]
    pub data: DataDirArgs,
    /// Config file (YAML: `llm`, `rules`, `server`); default `<data-dir>/saker.yaml` when it
    /// exists.
    #[arg(long, env = "SAKER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Falco rules files or directories (default: the config's `rules:`, else Falco's own
    /// paths under /etc/falco).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
}

/// Everything an orchestrator or a server is built from.
pub struct Opened {
    /// The event store.
    pub store: AlertStoreHandle,
    /// Ingest history and the action ledger.
    pub state: StateDb,
    /// The loaded rules.
    pub rules: Arc<RulesCatalog>,
    /// The session database.
    pub sessions: SessionStore,
    /// Who answers.
    pub backend: Backend,
    /// Where proposals are recorded and executed.
    pub actions: Option<saker::actions::ActionService>,
    /// Escalation to Slack and Jira.
    pub escalator: Option<saker::escalation::Escalator>,
    /// The API tokens and the local user's role.
    pub tokens: saker::auth::TokenTable,
}

impl Opened {
    /// An orchestrator over these parts.
    pub fn into_orchestrator(self) -> Orchestrator {
        let store: Arc<dyn AlertStore> = self.store.store().clone();
        let mut orchestrator =
            Orchestrator::new(store, self.rules, self.sessions, self.backend).with_local_role(self.tokens.local_role());
        if let Some(actions) = self.actions {
            orchestrator = orchestrator.with_actions(actions);
        }
        if let Some(escalator) = self.escalator {
            orchestrator = orchestrator.with_escalator(escalator);
        }
        orchestrator
    }
}

impl AssistantArgs {
    /// The configuration that applies.
    pub fn config(&self) -> anyhow::Result<SakerConfig> {
        let (config, _) = SakerConfig::discover(self.config.as_deref(), &self.data.data_dir)?;
        Ok(config)
    }

    /// Opens the store, rules, session database and backend, on the backend `store:` names
    /// (the shared database waited for with bounded retries). With `require_alerts`, an empty
    /// (or absent) event store is an error that says how to fill it.
    pub async fn open(&self, config: &SakerConfig, require_alerts: bool) -> anyhow::Result<Opened> {
        let data_dir = &self.data.data_dir;
        let empty_hint = || {
            anyhow!(
                "the event store in {} holds no alerts: ingest Falco alerts first (`saker ingest --data-dir {0} FILE`) \
                 or load the demo scenarios (`saker demo --data-dir {0}`)",
                data_dir.display()
            )
        };
        let store_backend = config.store_backend(|name| std::env::var(name).ok())?;
        let embedded = matches!(store_backend, StoreBackend::Embedded);
        if require_alerts && embedded && !index_dir(data_dir).exists() {
            return Err(empty_hint());
        }
        if embedded {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        }
        let storage =
            Storage::open(&store_backend, data_dir, ConnectRetry::default()).await.with_context(
                || match &store_backend {
                    StoreBackend::Embedded => format!("cannot open the data directory {}", data_dir.display()),
                    StoreBackend::Postgres { url, url_env } => {
                        format!("cannot open the PostgreSQL database {url} ({url_env})")
                    }
                },
            )?;
        if require_alerts {
            let store = storage.alerts.store().clone();
            let empty = tokio::task::spawn_blocking(move || store.is_empty())
                .await
                .context("the store check stopped")?
                .context("cannot read the event store")?;
            if empty {
                return Err(empty_hint());
            }
        }
        let rules = Arc::new(config.rules_catalog(&self.rules)?);
        let backend = config.backend(|name| std::env::var(name).ok())?;
        let actions = Some(config.action_service_on(&storage.state, data_dir).await?);
        let escalator = config.escalator()?;
        let tokens = config.tokens(|name| std::env::var(name).ok())?;
        Ok(Opened {
            store: storage.alerts,
            state: storage.state,
            rules,
            sessions: storage.sessions,
            backend,
            actions,
            escalator,
            tokens,
        })
    }
}

/// The analyst's view for a turn.
#[derive(Debug, Clone, Default, Args)]
pub struct ViewArgs {
    /// Scope expression in Falco field syntax; every tool call is confined to it (default: the
    /// session's last scope, else everything).
    #[arg(long)]
    pub scope: Option<String>,
    /// Start of the time range (RFC 3339 or YYYY-MM-DD) for tool calls that name none.
    #[arg(long)]
    pub since: Option<String>,
    /// End of the time range, likewise.
    #[arg(long)]
    pub until: Option<String>,
    /// The current time (RFC 3339), for reproducible answers; default the real clock.
    #[arg(long)]
    pub now: Option<String>,
}

/// Arguments of `saker ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    #[command(flatten)]
    assistant: AssistantArgs,
    #[command(flatten)]
    view: ViewArgs,
    /// Continue this session (its id is printed after every answer).
    #[arg(long)]
    session: Option<String>,
    /// Print the structured answer as one JSON object instead of streaming text.
    #[arg(long)]
    json: bool,
    /// The question, in English or Japanese.
    #[arg(required = true, num_args = 1..)]
    question: Vec<String>,
}

/// Runs `saker ask`.
pub fn run(arguments: AskArgs) -> anyhow::Result<ExitCode> {
    let question = arguments.question.join(" ");
    let now = arguments.view.now.as_deref().map(|text| parse_now(Some(text))).transpose()?;
    let request = ChatRequest {
        session_id: arguments.session.clone(),
        message: question,
        scope: arguments.view.scope.clone(),
        since: arguments.view.since.clone(),
        until: arguments.view.until.clone(),
        now,
    };
    let config = arguments.assistant.config()?;
    let runtime = runtime()?;
    let orchestrator = runtime.block_on(arguments.assistant.open(&config, true))?.into_orchestrator();
    let display = if arguments.json { Display::Quiet } else { Display::Stream };
    let answer =
        runtime.block_on(run_turn(&orchestrator, request, display)).map_err(|error| explain(error, "--session"))?;
    if arguments.json {
        out!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print_links(&answer)?;
        eprintln!("session: {}", answer.session_id);
    }
    Ok(ExitCode::SUCCESS)
}

/// How a turn is shown while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Deltas to stdout, steps to stderr.
    Stream,
    /// Nothing (the caller prints the answer).
    Quiet,
}

/// Why a turn failed: the turn itself, or writing its stream.
#[derive(Debug)]
pub enum TurnFailure {
    /// The orchestrator's error.
    Conversation(ConversationError),
    /// Standard output or error could not be written (a closed pipe).
    Output(std::io::Error),
}

/// Runs one turn, showing its events as they arrive.
pub async fn run_turn(
    orchestrator: &Orchestrator,
    request: ChatRequest,
    display: Display,
) -> Result<Answer, TurnFailure> {
    let (sink, receiver) = EventSink::channel();
    let (answer, shown) = tokio::join!(orchestrator.chat(request, sink), show_events(receiver, display));
    shown.map_err(TurnFailure::Output)?;
    answer.map_err(TurnFailure::Conversation)
}

async fn show_events(mut receiver: UnboundedReceiver<ChatEvent>, display: Display) -> std::io::Result<()> {
    let mut last_text = String::new();
    while let Some(event) = receiver.recv().await {
        if display == Display::Quiet {
            continue;
        }
        match event {
            ChatEvent::Step(step) => match step.phase {
                StepPhase::Started => {}
                StepPhase::Finished => {
                    writeln!(std::io::stderr(), "[{}] {}", step.tool, step.summary.unwrap_or_default())?;
                }
                StepPhase::Failed => {
                    writeln!(std::io::stderr(), "[{}] failed: {}", step.tool, step.summary.unwrap_or_default())?;
                }
            },
            ChatEvent::Delta { text } => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(text.as_bytes())?;
                stdout.flush()?;
                last_text = text;
            }
            ChatEvent::Done(_) => {
                if !last_text.is_empty() && !last_text.ends_with('\n') {
                    writeln!(std::io::stdout())?;
                }
            }
            ChatEvent::Error { .. } => {}
        }
    }
    Ok(())
}

/// Prints an answer's event-feed links on stderr.
pub fn print_links(answer: &Answer) -> std::io::Result<()> {
    let mut stderr = std::io::stderr().lock();
    for link in &answer.links {
        writeln!(stderr, "  {}: {}", link.label, link.href)?;
    }
    Ok(())
}

/// A turn's failure as the command's error, with what to do about it (`session_flag` names
/// how to pick another session).
pub fn explain(failure: TurnFailure, session_flag: &str) -> anyhow::Error {
    match failure {
        TurnFailure::Output(error) => anyhow::Error::new(error),
        TurnFailure::Conversation(error) => match &error {
            ConversationError::SessionNotFound(_) => {
                anyhow!("{error}: omit {session_flag} to start a new session, or use an id printed after an answer")
            }
            ConversationError::InvalidScope(_) => {
                anyhow!("{error} (scopes use Falco field syntax, e.g. `k8s.ns.name=prod and proc.name!=bash`)")
            }
            _ => anyhow::Error::new(error),
        },
    }
}

/// Fails unless `text` is a valid RFC 3339 time; used by `saker chat`'s `/now`.
pub fn check_now(text: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if text.trim().is_empty() {
        bail!("give a time, e.g. 2026-11-20T12:00:00Z");
    }
    parse_now(Some(text.trim()))
}
