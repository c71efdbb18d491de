//! The session store's suite, run against both backends (the embedded SQLite file and
//! PostgreSQL, a throwaway server): a conversation recorded through one pool and continued
//! through another (as on two replicas), turns read back exactly, and the retention.

use std::sync::Arc;

use saker::conversation::retention::SessionRetention;
use saker::conversation::{ChatRequest, EventSink, Orchestrator, SessionStore};
use saker_tools::store::database::{self, ConnectRetry, DatabaseUrl};

use super::postgres_server::postgres_server;
use super::support::{demo_index, demo_now, upstream_rules};

/// A backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// One empty session database; [`Database::connect`] opens a new pool on it each time.
struct Database {
    directory: tempfile::TempDir,
    url: Option<String>,
}

impl Database {
    fn new(backend: Backend) -> Database {
        let directory = tempfile::tempdir().expect("tempdir");
        let url = (backend == Backend::Postgres).then(|| postgres_server().fresh_database());
        Database { directory, url }
    }

    async fn connect(&self) -> SessionStore {
        match &self.url {
            None => SessionStore::open(self.directory.path()).await.expect("SQLite sessions open"),
            Some(url) => {
                let url = DatabaseUrl::parse(url).expect("url");
                let pool = database::connect(&url, ConnectRetry::default(), 4).await.expect("connects");
                SessionStore::on_postgres(pool).await.expect("PostgreSQL sessions migrate")
            }
        }
    }

    async fn orchestrator(&self) -> Orchestrator {
        let store = saker_tools::store::index::TantivyStore::open(&demo_index().join("index")).expect("demo index");
        let rules = saker_tools::rules::RulesCatalog::load(&upstream_rules()).expect("rules");
        let backend = saker::conversation::Backend::Planner(saker::planner::Planner::new());
        Orchestrator::new(Arc::new(store), Arc::new(rules), self.connect().await, backend)
    }
}

#[tokio::test]
async fn a_conversation_begun_through_one_pool_continues_through_another() {
    for backend in BACKENDS {
        let database = Database::new(backend);
        let first_replica = database.orchestrator().await;
        let first = first_replica
            .chat(
                ChatRequest {
                    message: "Which workloads were impacted in namespace risk-10-aws-bedrock-java?".into(),
                    scope: Some("kubernetes.cluster.name=risks-aws-eks-workloads-shield".into()),
                    now: Some(demo_now()),
                    ..ChatRequest::default()
                },
                EventSink::discard(),
            )
            .await
            .expect("first turn");
        assert_eq!(first.turn, 1, "{backend:?}");

        let second_replica = database.orchestrator().await;
        let second = second_replica
            .chat(
                ChatRequest {
                    session_id: Some(first.session_id.clone()),
                    message: "What is the root cause there?".into(),
                    now: Some(demo_now()),
                    ..ChatRequest::default()
                },
                EventSink::discard(),
            )
            .await
            .expect("second turn");
        assert_eq!(second.turn, 2, "{backend:?}");
        assert_eq!(second.scope, first.scope, "{backend:?}: the session's scope carries over");
        let arguments =
            serde_json::to_string(&second.steps.iter().map(|step| &step.arguments).collect::<Vec<_>>()).expect("json");
        assert!(arguments.contains("risk-10-aws-bedrock-java"), "{backend:?}: the focus carries over: {arguments}");

        let session = first_replica.sessions().load(&first.session_id).await.expect("load");
        assert_eq!(session.turns.len(), 2, "{backend:?}");
        assert_eq!(session.turns[0].answer, first, "{backend:?}: the answer reads back exactly");
        assert_eq!(session.turns[1].answer, second, "{backend:?}");
        assert_eq!(session.turns[0].question, "Which workloads were impacted in namespace risk-10-aws-bedrock-java?");
        assert!(session.created_at <= session.turns[1].created_at, "{backend:?}");
        assert!(session.focus != saker::conversation::Focus::default(), "{backend:?}");
        assert_eq!(second_replica.sessions().recent(10).await.expect("recent"), vec![first.session_id.clone()]);
        second_replica.sessions().ping().await.expect("ready");

        let missing = second_replica.sessions().load("no-such-session").await.expect_err("unknown");
        assert!(matches!(missing, saker::conversation::ConversationError::SessionNotFound(_)), "{backend:?}");
    }
}

#[tokio::test]
async fn the_retention_deletes_sessions_with_their_turns_on_both_backends() {
    for backend in BACKENDS {
        let database = Database::new(backend);
        let orchestrator = database.orchestrator().await;
        let mut ids = Vec::new();
        for question in ["How many alerts?", "Summarize the events.", "Which workloads were impacted?"] {
            let request = ChatRequest { message: question.into(), now: Some(demo_now()), ..ChatRequest::default() };
            let answer = orchestrator.chat(request, EventSink::discard()).await.expect("answered");
            assert!(!answer.steps.is_empty(), "tool calls are recorded");
            ids.push(answer.session_id);
        }
        let sessions = database.connect().await;
        assert_eq!(sessions.recent(100).await.expect("recent").len(), 3, "{backend:?}");
        let retention = SessionRetention { max_age_days: 90, max_sessions: 1 };
        assert_eq!(retention.apply(&sessions, chrono::Utc::now()).await.expect("pruned"), 2, "{backend:?}");
        assert_eq!(sessions.recent(100).await.expect("recent"), vec![ids[2].clone()], "{backend:?}");
        assert_eq!(sessions.load(&ids[2]).await.expect("kept").turns.len(), 1);
        assert!(sessions.load(&ids[0]).await.is_err(), "{backend:?}: deleted");
        // Two replicas applying it at once: each deletes what is left, no error.
        let other = database.connect().await;
        let later = chrono::Utc::now() + chrono::Duration::days(91);
        let retention = SessionRetention::default();
        let (a, b) = tokio::join!(retention.apply(&sessions, later), retention.apply(&other, later));
        assert_eq!(a.expect("pruned") + b.expect("pruned"), 1, "{backend:?}");
        assert!(sessions.recent(100).await.expect("recent").is_empty(), "{backend:?}");
    }
}
