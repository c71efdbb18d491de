//! What every handler shares: the event store, the orchestrator (sessions, tools, backend),
//! the ingest writer and the limits.

use std::sync::Arc;
use std::time::Duration;

use saker_tools::analytics::DEFAULT_CALL_DEADLINE;

use saker_tools::rules::RulesCatalog;
use saker_tools::store::AlertStore;
use saker_tools::store::state::StateDb;

use super::ingest_worker::IngestWorker;
use crate::actions::ActionService;
use crate::auth::TokenTable;
use crate::conversation::{Backend, Orchestrator, SessionStore};
use crate::escalation::Escalator;
use crate::storage::AlertStoreHandle;

/// The default request body limit: 32 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Limits of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// How long one `POST /v1/tools/{name}` (or proposal) call may run (503 after).
    pub tool_deadline: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits { max_body_bytes: DEFAULT_MAX_BODY_BYTES, tool_deadline: DEFAULT_CALL_DEADLINE }
    }
}

/// The parts a server is built from.
pub struct AppParts {
    /// The event store (embedded or shared).
    pub store: AlertStoreHandle,
    /// The loaded Falco rules.
    pub rules: Arc<RulesCatalog>,
    /// The session database.
    pub sessions: SessionStore,
    /// Who answers questions.
    pub backend: Backend,
    /// The state database, where HTTP ingests are recorded (none: not recorded).
    pub ingest_log: Option<StateDb>,
    /// Limits.
    pub limits: ServerLimits,
}

/// What a server needs for response actions, roles and escalation (all optional: the default
/// has no tokens, so a loopback-only server, and records no actions).
#[derive(Debug, Default)]
pub struct ResponseParts {
    /// The API tokens.
    pub tokens: TokenTable,
    /// Where proposals are recorded and executed.
    pub actions: Option<ActionService>,
    /// Escalation to Slack and Jira.
    pub escalator: Option<Escalator>,
}

/// The shared state of the handlers (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    store: Arc<dyn AlertStore>,
    orchestrator: Arc<Orchestrator>,
    ingest: IngestWorker,
    ingest_log: Option<StateDb>,
    limits: ServerLimits,
    tokens: TokenTable,
    actions: Option<ActionService>,
}

impl AppState {
    /// Builds the orchestrator over the parts and starts the ingest writer thread.
    pub fn new(parts: AppParts) -> Result<AppState, std::io::Error> {
        AppState::with_response(parts, ResponseParts::default())
    }

    /// Like [`AppState::new`], with API tokens, response actions and escalation.
    pub fn with_response(parts: AppParts, response: ResponseParts) -> Result<AppState, std::io::Error> {
        let mut orchestrator =
            Orchestrator::new(parts.store.store().clone(), parts.rules, parts.sessions, parts.backend);
        if let Some(actions) = &response.actions {
            orchestrator = orchestrator.with_actions(actions.clone());
        }
        if let Some(escalator) = response.escalator {
            orchestrator = orchestrator.with_escalator(escalator);
        }
        let ingest = IngestWorker::start(parts.store.clone())?;
        Ok(AppState {
            inner: Arc::new(Shared {
                store: parts.store.store().clone(),
                orchestrator: Arc::new(orchestrator),
                ingest,
                ingest_log: parts.ingest_log,
                limits: parts.limits,
                tokens: response.tokens,
                actions: response.actions,
            }),
        })
    }

    /// The event store.
    pub fn store(&self) -> &Arc<dyn AlertStore> {
        &self.inner.store
    }

    /// The orchestrator.
    pub fn orchestrator(&self) -> &Arc<Orchestrator> {
        &self.inner.orchestrator
    }

    /// The ingest writer.
    pub fn ingest(&self) -> &IngestWorker {
        &self.inner.ingest
    }

    /// Where HTTP ingests are recorded.
    pub fn ingest_log(&self) -> Option<&StateDb> {
        self.inner.ingest_log.as_ref()
    }

    /// The limits.
    pub fn limits(&self) -> ServerLimits {
        self.inner.limits
    }

    /// The API tokens (empty: loopback only, every request is the local user).
    pub fn tokens(&self) -> &TokenTable {
        &self.inner.tokens
    }

    /// The response actions, when recorded.
    pub fn actions(&self) -> Option<&ActionService> {
        self.inner.actions.as_ref()
    }
}
