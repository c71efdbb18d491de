//! One state test suite run against both backends, the embedded SQLite file and PostgreSQL (a
//! throwaway server, `postgres_server`): ingest history, every `ActionLedger` operation, the
//! database refusing to rewrite history, version-checked transitions, and approvals racing
//! from two pools (two processes, or two replicas) where exactly one wins.

use saker_tools::actions::{
    ActionLedger, ActionOrigin, ActionQuery, ActionStatus, Actor, EventKind, LedgerError, NewAction, Proposal,
    Transition,
};
use saker_tools::store::database::{ConnectRetry, DatabaseUrl};
use saker_tools::store::state::{StateDb, StatePool};
use serde_json::json;

use crate::postgres_server::postgres_server;
use crate::response_actions::{NAMESPACE, proposals, propose};

/// A backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// One empty state database; [`Database::connect`] opens a new pool on it each time, as a
/// second process or replica would.
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

    async fn connect(&self) -> StateDb {
        match &self.url {
            None => StateDb::open(self.directory.path()).await.expect("SQLite state opens"),
            Some(url) => {
                let url = DatabaseUrl::parse(url).expect("url");
                StateDb::connect_postgres(&url, ConnectRetry::default()).await.expect("PostgreSQL state connects")
            }
        }
    }
}

/// Runs `statement` directly, as someone with the database's password could.
async fn execute(state: &StateDb, statement: &'static str) -> Result<u64, sqlx::Error> {
    match state.pool() {
        StatePool::Sqlite(pool) => sqlx::query(statement).execute(pool).await.map(|done| done.rows_affected()),
        StatePool::Postgres(pool) => sqlx::query(statement).execute(pool).await.map(|done| done.rows_affected()),
    }
}

fn delete_pod_proposal() -> Proposal {
    let output = propose(json!({"scope": format!("k8s.ns.name={NAMESPACE}"), "kinds": ["delete_pod"]}));
    proposals(&output).remove(0)
}

async fn ledger_with_proposal(state: StateDb) -> (ActionLedger, String, Proposal) {
    let proposal = delete_pod_proposal();
    let ledger = ActionLedger::new(state);
    let stored = ledger
        .propose(NewAction {
            proposal: proposal.clone(),
            origin: ActionOrigin::Planner,
            actor: Actor::new("alice", "analyst"),
            session_id: Some("session-1".into()),
            executor: "dry-run".into(),
        })
        .await
        .expect("recorded");
    assert_eq!(stored.status, ActionStatus::Proposed);
    assert_eq!(stored.version, 1);
    assert!(stored.id.starts_with("act-") && stored.id.len() == 16, "{}", stored.id);
    assert_eq!(stored.history.len(), 1);
    (ledger, stored.id, proposal)
}

async fn approve(
    ledger: &ActionLedger,
    id: &str,
    digest: &str,
) -> Result<saker_tools::actions::StoredAction, LedgerError> {
    let approver = Actor::new("bob", "responder");
    ledger
        .transition(
            id,
            Transition {
                from: &[ActionStatus::Proposed],
                to: ActionStatus::Approved,
                event: EventKind::Approved,
                actor: &approver,
                digest: Some(digest),
                detail: json!({}),
            },
        )
        .await
}

/// Counts the winners of racing approvals; every loser must be told the action is approved.
fn winners(results: Vec<Result<saker_tools::actions::StoredAction, LedgerError>>, backend: Backend) -> usize {
    let mut won = 0;
    for result in results {
        match result {
            Ok(action) => {
                won += 1;
                assert_eq!(action.status, ActionStatus::Approved, "{backend:?}");
                assert_eq!(action.version, 2, "{backend:?}");
            }
            Err(LedgerError::Conflict { status, .. }) => assert_eq!(status, ActionStatus::Approved, "{backend:?}"),
            Err(other) => panic!("{backend:?}: unexpected {other}"),
        }
    }
    won
}

#[tokio::test]
async fn ingest_runs_are_recorded_newest_first_on_both_backends() {
    for backend in BACKENDS {
        let database = Database::new(backend);
        let state = database.connect().await;
        let started = chrono::Utc::now() - chrono::Duration::seconds(3);
        let first = state.record_ingest(started, "alerts.json", 10, 2, 1).await.expect("recorded");
        let second = state.record_ingest(started, "http", u64::MAX, 0, 0).await.expect("recorded");
        assert!(second > first, "{backend:?}");
        let runs = database.connect().await.ingest_runs(10).await.expect("listed");
        assert_eq!(runs.len(), 2, "{backend:?}");
        assert_eq!((runs[0].id, runs[0].origin.as_str(), runs[0].accepted), (second, "http", i64::MAX), "{backend:?}");
        assert_eq!(
            (runs[1].origin.as_str(), runs[1].accepted, runs[1].duplicates, runs[1].rejected),
            ("alerts.json", 10, 2, 1),
            "{backend:?}"
        );
        assert!((runs[1].started_at - started).num_milliseconds().abs() < 1, "{backend:?}: {:?}", runs[1].started_at);
        assert!(runs[1].finished_at >= runs[1].started_at, "{backend:?}");
        assert_eq!(state.ingest_runs(1).await.expect("limit").len(), 1, "{backend:?}");
        state.ping().await.expect("ready");
    }
}

#[tokio::test]
async fn an_approval_is_bound_to_the_digest_and_only_one_of_concurrent_approvals_wins() {
    for backend in BACKENDS {
        let database = Database::new(backend);
        let (ledger, id, proposal) = ledger_with_proposal(database.connect().await).await;
        let wrong = approve(&ledger, &id, "sha256:0000").await.expect_err("another digest");
        assert!(matches!(wrong, LedgerError::DigestMismatch { .. }), "{backend:?}: {wrong}");
        assert!(!wrong.to_string().contains(&proposal.digest), "the message never shows the digest");

        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let (ledger, id, digest) = (ledger.clone(), id.clone(), proposal.digest.clone());
                tokio::spawn(async move { approve(&ledger, &id, &digest).await })
            })
            .collect();
        let mut results = Vec::new();
        for attempt in attempts {
            results.push(attempt.await.expect("task"));
        }
        assert_eq!(winners(results, backend), 1, "{backend:?}: exactly one concurrent approval succeeds");
        let action = ledger.get(&id).await.expect("stored");
        let events: Vec<EventKind> = action.history.iter().map(|event| event.event).collect();
        assert_eq!(events, vec![EventKind::Proposed, EventKind::Approved], "{backend:?}");
        assert_eq!(action.history[1].actor, "bob");
        assert_eq!(action.history[1].digest.as_deref(), Some(proposal.digest.as_str()));
        assert!(action.history[0].seq < action.history[1].seq);
    }
}

/// Two pools are two replicas (or a CLI beside a server): their approvals of the same version
/// race in the database, and exactly one wins.
#[tokio::test]
async fn approvals_racing_from_two_pools_let_exactly_one_win() {
    for backend in BACKENDS {
        let database = Database::new(backend);
        let (first, id, proposal) = ledger_with_proposal(database.connect().await).await;
        let second = ActionLedger::new(database.connect().await);
        for _round in 0..3 {
            let (a, b) = tokio::join!(approve(&first, &id, &proposal.digest), approve(&second, &id, &proposal.digest));
            let won = winners(vec![a, b], backend);
            assert!(won <= 1, "{backend:?}: both replicas approved");
            if won == 1 {
                break;
            }
        }
        let action = second.get(&id).await.expect("read through the second pool");
        assert_eq!(action.status, ActionStatus::Approved, "{backend:?}");
        assert_eq!(action.history.iter().filter(|event| event.event == EventKind::Approved).count(), 1, "{backend:?}");
        let again = approve(&second, &id, &proposal.digest).await.expect_err("a second approval");
        assert!(matches!(again, LedgerError::Conflict { status: ActionStatus::Approved, .. }), "{backend:?}: {again}");
    }
}

#[tokio::test]
async fn the_history_is_append_only_and_survives_reopening() {
    for backend in BACKENDS {
        let database = Database::new(backend);
        let (ledger, id, _) = ledger_with_proposal(database.connect().await).await;
        ledger
            .record(&id, EventKind::Refused, &Actor::new("eve", "viewer"), None, &json!({"reason": "role viewer"}))
            .await
            .expect("recorded");
        drop(ledger);
        let reopened = ActionLedger::new(database.connect().await);
        let action = reopened.get(&id).await.expect("still there");
        assert_eq!(action.history.len(), 2, "{backend:?}");
        assert_eq!(action.history[1].event, EventKind::Refused);
        assert_eq!(action.history[1].status, None, "a refusal changes nothing");
        assert_eq!(action.history[1].detail, json!({"reason": "role viewer"}));
        assert_eq!(action.status, ActionStatus::Proposed);

        // The database itself refuses to rewrite or drop history, to alter a proposal, or to
        // change a status without bumping the version.
        let state = database.connect().await;
        for statement in [
            "UPDATE response_action_events SET actor = 'mallory'",
            "DELETE FROM response_action_events",
            "UPDATE response_actions SET digest = 'sha256:forged'",
            "UPDATE response_actions SET proposal = '{}'",
            "DELETE FROM response_actions",
            "UPDATE response_actions SET status = 'approved'",
            "UPDATE response_actions SET status = 'approved', version = version + 2",
        ] {
            let error = execute(&state, statement).await.expect_err(statement);
            let message = error.to_string();
            assert!(
                message.contains("append-only") || message.contains("never changes") || message.contains("version"),
                "{backend:?}: {statement}: {message}"
            );
        }
        let listed = reopened
            .list(&ActionQuery { session_id: Some("session-1".into()), ..ActionQuery::default() })
            .await
            .expect("list");
        assert_eq!(listed.len(), 1, "{backend:?}");
        assert!(listed[0].proposal.digest_is_intact());
        assert_eq!(listed[0].status, ActionStatus::Proposed, "nothing changed");
    }
}

/// On PostgreSQL a status is also checked at commit against the history: a bumped version
/// with a new status but no event is refused.
#[tokio::test]
async fn postgres_refuses_a_status_change_without_its_event() {
    let database = Database::new(Backend::Postgres);
    let (ledger, id, _) = ledger_with_proposal(database.connect().await).await;
    let error = execute(ledger.state(), "UPDATE response_actions SET status = 'approved', version = version + 1")
        .await
        .expect_err("no event");
    assert!(error.to_string().contains("no event in the history"), "{error}");
    assert_eq!(ledger.get(&id).await.expect("stored").status, ActionStatus::Proposed);
}

#[tokio::test]
async fn listing_counting_and_failing_interrupted_actions_on_both_backends() {
    for backend in BACKENDS {
        let database = Database::new(backend);
        let (ledger, first, proposal) = ledger_with_proposal(database.connect().await).await;
        let second = ledger
            .propose(NewAction {
                proposal: proposal.clone(),
                origin: ActionOrigin::Api,
                actor: Actor::new("carol", "analyst"),
                session_id: None,
                executor: "dry-run".into(),
            })
            .await
            .expect("second proposal");
        assert_ne!(second.id, first, "{backend:?}");
        approve(&ledger, &first, &proposal.digest).await.expect("approved");
        let executing = ledger
            .transition(
                &first,
                Transition {
                    from: &[ActionStatus::Approved],
                    to: ActionStatus::Executing,
                    event: EventKind::Executing,
                    actor: &Actor::system(),
                    digest: None,
                    detail: json!({"request": "dry run"}),
                },
            )
            .await
            .expect("executing");
        assert_eq!(executing.version, 3, "{backend:?}");

        let all = ledger.list(&ActionQuery::default()).await.expect("list");
        assert_eq!(
            all.iter().map(|action| action.id.as_str()).collect::<Vec<_>>(),
            vec![second.id.as_str(), first.as_str()],
            "{backend:?}: newest first"
        );
        let by_status = ledger
            .list(&ActionQuery { status: Some(ActionStatus::Executing), ..ActionQuery::default() })
            .await
            .expect("by status");
        assert_eq!(by_status.len(), 1, "{backend:?}");
        let by_ids =
            ledger.list(&ActionQuery { ids: vec![second.id.clone()], ..ActionQuery::default() }).await.expect("by id");
        assert_eq!(by_ids.len(), 1, "{backend:?}");
        assert_eq!(by_ids[0].origin, ActionOrigin::Api);
        assert_eq!(
            ledger.list(&ActionQuery { limit: Some(1), ..ActionQuery::default() }).await.expect("limit").len(),
            1
        );
        assert_eq!(
            ledger.count_by_status().await.expect("counts"),
            vec![(ActionStatus::Proposed, 1), (ActionStatus::Executing, 1)],
            "{backend:?}"
        );
        assert!(matches!(ledger.get("act-000000000000").await, Err(LedgerError::NotFound(_))));

        // A replica that starts does not fail what another may be executing right now.
        assert!(ledger.fail_interrupted(chrono::Duration::hours(1)).await.expect("none yet").is_empty());
        assert_eq!(ledger.fail_interrupted(chrono::Duration::zero()).await.expect("failed"), vec![first.clone()]);
        let failed = ledger.get(&first).await.expect("stored");
        assert_eq!(failed.status, ActionStatus::Failed, "{backend:?}");
        assert_eq!(failed.history.last().map(|event| event.event), Some(EventKind::Failed));
    }
}

/// A database nobody listens on: bounded retries with backoff, then an error naming host:port
/// and never the password.
#[tokio::test]
async fn an_unreachable_database_is_named_after_bounded_retries() {
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("port").port();
    let url = DatabaseUrl::parse(&format!("postgres://saker:s3cret@127.0.0.1:{port}/saker")).expect("url");
    let retry = ConnectRetry {
        attempts: 3,
        first_delay: std::time::Duration::from_millis(20),
        max_delay: std::time::Duration::from_millis(40),
        attempt_timeout: std::time::Duration::from_millis(300),
    };
    let started = std::time::Instant::now();
    let error = StateDb::connect_postgres(&url, retry).await.expect_err("nobody listens");
    let message = error.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{port}")) && message.contains("unreachable after 3 attempts"),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(60), "it waited between attempts");
}
