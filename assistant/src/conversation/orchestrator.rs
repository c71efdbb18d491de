//! The orchestrator: one turn of a conversation, whichever backend answers it.
//!
//! It loads (or creates) the session, fixes the clock and the analyst's scope, hands the
//! question to the backend with a [`ToolExecutor`] confined to that scope, checks the answer's
//! grounding against the turn's tool calls, collects the event-feed links, records the turn,
//! and ends the stream with `done` (or `error`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use saker_tools::analytics::ToolRegistry;
use saker_tools::rules::RulesCatalog;
use saker_tools::scope::Scope;
use saker_tools::store::{AlertStore, TimeRange};
use serde_json::Value;

use super::grounding;
use super::response::ResponseContext;
use super::{
    Answer, BackendKind, ChatEvent, ChatRequest, ConversationError, EventSink, Focus, Language, Link, SessionStore,
    StepRecord, TokenUsage, ToolExecutor, TurnRecord,
};
use crate::actions::ActionService;
use crate::auth::{Principal, Role};
use crate::escalation::Escalator;
use crate::llm::LlmBackend;
use crate::metrics::Metrics;
use crate::planner::Planner;
use crate::planner::understand::action_request;
use crate::planner::understand::text::Question;
use saker_tools::actions::ActionOrigin;

/// The longest question accepted, in bytes: far beyond any question, short enough that a
/// pasted log cannot flood a model's context.
pub const MAX_QUESTION_BYTES: usize = 16 * 1024;

/// What a backend gets for one turn.
pub struct TurnInput<'a> {
    /// The question as asked.
    pub question: &'a str,
    /// Its language; the answer is written in it.
    pub language: Language,
    /// The session's earlier turns, oldest first.
    pub history: &'a [TurnRecord],
    /// The entities in focus after the last turn.
    pub focus: &'a Focus,
    /// The analyst's scope expression for this turn ('' for everything); the executor already
    /// confines every call to it.
    pub scope: &'a str,
}

/// What a backend returns for one turn (its text has already been streamed as deltas).
#[derive(Debug, Clone, Default)]
pub struct TurnOutput {
    /// The answer, in Markdown.
    pub text: String,
    /// The entities in focus after this turn.
    pub focus: Focus,
    /// Tokens used, for a model.
    pub usage: Option<TokenUsage>,
}

/// The backend that turns questions into tool calls and answers.
pub enum Backend {
    /// The embedded deterministic planner (the default).
    Planner(Planner),
    /// A language model on an OpenAI-compatible endpoint.
    Llm(LlmBackend),
}

impl Backend {
    /// Which kind this is.
    pub fn kind(&self) -> BackendKind {
        match self {
            Backend::Planner(_) => BackendKind::Planner,
            Backend::Llm(_) => BackendKind::Llm,
        }
    }

    async fn answer(&self, input: TurnInput<'_>, executor: &ToolExecutor) -> Result<TurnOutput, ConversationError> {
        match self {
            Backend::Planner(planner) => planner.answer(input, executor).await,
            Backend::Llm(llm) => llm.answer(input, executor).await,
        }
    }
}

/// Answers questions in sessions.
pub struct Orchestrator {
    store: Arc<dyn AlertStore>,
    rules: Arc<RulesCatalog>,
    registry: Arc<ToolRegistry>,
    sessions: SessionStore,
    backend: Backend,
    session_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    actions: Option<ActionService>,
    escalator: Option<Arc<Escalator>>,
    local_role: Role,
    metrics: Metrics,
}

impl Orchestrator {
    /// An orchestrator over a store, the loaded rules and a session database.
    pub fn new(
        store: Arc<dyn AlertStore>,
        rules: Arc<RulesCatalog>,
        sessions: SessionStore,
        backend: Backend,
    ) -> Orchestrator {
        Orchestrator {
            store,
            rules,
            registry: Arc::new(ToolRegistry::standard()),
            sessions,
            backend,
            session_locks: Mutex::new(HashMap::new()),
            actions: None,
            escalator: None,
            local_role: Role::Admin,
            metrics: Metrics::new(),
        }
    }

    /// The same orchestrator, with `role` for the local user of [`Orchestrator::chat`] (the
    /// config's `auth.local_role`; admin by default).
    pub fn with_local_role(mut self, role: Role) -> Orchestrator {
        self.local_role = role;
        self
    }

    /// The same orchestrator, recording proposals in `actions` (without it, proposals are
    /// shown but not recorded, and the response history is unavailable).
    pub fn with_actions(mut self, actions: ActionService) -> Orchestrator {
        self.actions = Some(actions);
        self
    }

    /// The same orchestrator, escalating through `escalator`.
    pub fn with_escalator(mut self, escalator: Escalator) -> Orchestrator {
        self.escalator = Some(Arc::new(escalator));
        self
    }

    /// The metrics this orchestrator's turns and tool calls are counted in.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The action service, when configured.
    pub fn actions(&self) -> Option<&ActionService> {
        self.actions.as_ref()
    }

    /// The session database.
    pub fn sessions(&self) -> &SessionStore {
        &self.sessions
    }

    /// The backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The tool registry.
    pub fn registry(&self) -> &Arc<ToolRegistry> {
        &self.registry
    }

    /// The event store.
    pub fn store(&self) -> &Arc<dyn AlertStore> {
        &self.store
    }

    /// The loaded rules.
    pub fn rules(&self) -> &Arc<RulesCatalog> {
        &self.rules
    }

    /// Answers one question as the local user (the CLI on this machine, admin unless
    /// configured otherwise), streaming into `sink`; ends the stream with `done` or `error`.
    pub async fn chat(&self, request: ChatRequest, sink: EventSink) -> Result<Answer, ConversationError> {
        self.chat_as(request, &Principal::local(self.local_role), sink).await
    }

    /// Answers one question asked by `principal` (whose role bounds what the turn may
    /// propose), streaming into `sink`; ends the stream with `done` or `error`.
    pub async fn chat_as(
        &self,
        request: ChatRequest,
        principal: &Principal,
        sink: EventSink,
    ) -> Result<Answer, ConversationError> {
        let started = std::time::Instant::now();
        let result = self.turn(request, principal, &sink).await;
        let backend = self.backend.kind().name();
        match &result {
            Ok((_, intent)) => {
                self.metrics.record_turn(backend, intent.as_deref().unwrap_or("none"), true, started.elapsed());
            }
            Err(_) => self.metrics.record_turn(backend, "none", false, started.elapsed()),
        }
        let result = result.map(|(answer, _)| answer);
        match &result {
            Ok(answer) => sink.send(ChatEvent::Done(Box::new(answer.clone()))),
            Err(error) => sink.send(ChatEvent::Error { code: error.code().to_string(), message: error.to_string() }),
        }
        result
    }

    async fn turn(
        &self,
        request: ChatRequest,
        principal: &Principal,
        sink: &EventSink,
    ) -> Result<(Answer, Option<String>), ConversationError> {
        let question = request.message.trim();
        if question.is_empty() {
            return Err(ConversationError::InvalidRequest("`message` is empty: ask a question".into()));
        }
        check_question_length(question)?;
        let scope_text = request.scope.as_ref().map(|scope| scope.trim().to_string());
        if let Some(scope) = &scope_text {
            Scope::parse(scope).map_err(|error| ConversationError::InvalidScope(format!("{scope:?}: {error}")))?;
        }
        let now = request.now.unwrap_or_else(Utc::now);
        TimeRange::resolve(request.since.as_deref(), request.until.as_deref(), None, now)
            .map_err(|error| ConversationError::InvalidTime(error.to_string()))?;

        let session_id = match &request.session_id {
            Some(id) => id.clone(),
            None => self.sessions.create(scope_text.as_deref().unwrap_or("")).await?,
        };
        let lock = self.session_lock(&session_id);
        let _guard = lock.lock().await;
        let session = self.sessions.load(&session_id).await?;
        let scope_text = scope_text.unwrap_or_else(|| session.scope.clone());
        let base_scope =
            Scope::parse(&scope_text).map_err(|error| ConversationError::InvalidScope(error.to_string()))?;

        let executor = ToolExecutor::new(
            self.store.clone(),
            self.rules.clone(),
            self.registry.clone(),
            now,
            base_scope,
            request.since.clone(),
            request.until.clone(),
            sink.clone(),
        )
        .with_response(self.response_context(
            question,
            session.turns.last().map(|turn| turn.question.as_str()),
            principal,
            &session_id,
        ))
        .with_metrics(self.metrics.clone());
        let language = Language::detect(question);
        let input =
            TurnInput { question, language, history: &session.turns, focus: &session.focus, scope: &scope_text };
        let output = self.backend.answer(input, &executor).await?;
        let steps = executor.steps();
        let report = grounding::check(&output.text, &steps);
        let answer = Answer {
            session_id: session_id.clone(),
            turn: u32::try_from(session.turns.len() + 1).unwrap_or(u32::MAX),
            language,
            answer: output.text,
            links: links_of(&steps),
            steps,
            grounded: report.grounded,
            unsupported: report.unsupported,
            backend: self.backend.kind(),
            scope: scope_text,
            usage: output.usage,
        };
        self.sessions.record_turn(question, &answer, &output.focus).await?;
        Ok((answer, output.focus.topic))
    }

    /// What this turn may do in response: from the analyst's own words only (this question's,
    /// or the previous one's when this one asks for the same again elsewhere).
    fn response_context(
        &self,
        question: &str,
        previous: Option<&str>,
        principal: &Principal,
        session_id: &str,
    ) -> ResponseContext {
        let words = Question::new(question);
        ResponseContext {
            actions: self.actions.clone(),
            escalator: self.escalator.clone(),
            principal: principal.clone(),
            session_id: Some(session_id.to_string()),
            origin: match self.backend.kind() {
                BackendKind::Planner => ActionOrigin::Planner,
                BackendKind::Llm => ActionOrigin::Llm,
            },
            requested_action: action_request::requested_action_or_again(&words, previous),
            requested_escalation: action_request::requested_escalation(&words),
        }
    }

    fn session_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.session_locks.lock() {
            Ok(mut locks) => locks.entry(id.to_string()).or_default().clone(),
            Err(_) => Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Checks what [`Orchestrator::chat`] would reject before answering (empty message, bad
    /// scope or time range, unknown session), with the same errors, so the HTTP API can
    /// answer 4xx before it starts a stream.
    pub async fn validate(&self, request: &ChatRequest) -> Result<(), ConversationError> {
        if request.message.trim().is_empty() {
            return Err(ConversationError::InvalidRequest("`message` is empty: ask a question".into()));
        }
        check_question_length(request.message.trim())?;
        if let Some(scope) = &request.scope {
            let scope = scope.trim();
            Scope::parse(scope).map_err(|error| ConversationError::InvalidScope(format!("{scope:?}: {error}")))?;
        }
        let now = request.now.unwrap_or_else(Utc::now);
        TimeRange::resolve(request.since.as_deref(), request.until.as_deref(), None, now)
            .map_err(|error| ConversationError::InvalidTime(error.to_string()))?;
        if let Some(id) = &request.session_id {
            self.sessions.load(id).await?;
        }
        Ok(())
    }
}

/// Refuses a question longer than [`MAX_QUESTION_BYTES`].
fn check_question_length(question: &str) -> Result<(), ConversationError> {
    if question.len() > MAX_QUESTION_BYTES {
        return Err(ConversationError::InvalidRequest(format!(
            "`message` is {} bytes long; at most {MAX_QUESTION_BYTES} are allowed",
            question.len()
        )));
    }
    Ok(())
}

/// The event-feed links of a turn: each step's evidence (and a period comparison's two
/// periods), without repeats.
fn links_of(steps: &[StepRecord]) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    for step in steps {
        for (pointer, label) in [
            ("/evidence", ""),
            ("/current/evidence", " (current period)"),
            ("/previous/evidence", " (previous period)"),
            ("/benign", " (the alerts the exception is made from)"),
            ("/preview/evidence", " (the rule's alerts the exception was previewed on)"),
        ] {
            let Some(evidence) = step.output.pointer(pointer) else { continue };
            let (Some(href), Some(count)) =
                (evidence.get("link").and_then(Value::as_str), evidence.get("count").and_then(Value::as_u64))
            else {
                continue;
            };
            if links.iter().all(|link| link.href != href) {
                links.push(Link { label: format!("{}{label}: {count} alerts", step.tool), href: href.to_string() });
            }
        }
    }
    links
}
