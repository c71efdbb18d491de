//! The orchestrator end to end over the demo data: sessions persist across reopening, scopes
//! confine tool calls, answers are grounded and carry links.

use saker::conversation::{ChatEvent, ChatRequest, EventSink};

use super::support::{demo_now, demo_orchestrator};

#[tokio::test]
async fn a_session_survives_reopening_and_numbers_its_turns() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let request = ChatRequest {
        message: "Summarize the events in this cluster.".into(),
        scope: Some("kubernetes.cluster.name=risks-aws-eks-workloads-shield".into()),
        now: Some(demo_now()),
        ..ChatRequest::default()
    };
    let (sink, mut events) = EventSink::channel();
    let first = orchestrator.chat(request, sink).await.expect("first turn");
    assert_eq!(first.turn, 1);
    assert_eq!(first.scope, "kubernetes.cluster.name=risks-aws-eks-workloads-shield");
    assert!(first.grounded, "unsupported: {:?}", first.unsupported);
    assert!(first.steps.iter().all(|step| step.output.get("error").is_none()));
    assert!(first.links.iter().any(|link| link.href.starts_with("/events?")));
    let mut kinds = Vec::new();
    while let Ok(event) = events.try_recv() {
        kinds.push(match event {
            ChatEvent::Step(_) => "step",
            ChatEvent::Delta { .. } => "delta",
            ChatEvent::Done(_) => "done",
            ChatEvent::Error { .. } => "error",
        });
    }
    assert_eq!(kinds.first(), Some(&"step"));
    assert_eq!(kinds.last(), Some(&"done"));
    assert!(kinds.contains(&"delta"));
    drop(orchestrator);

    // A new orchestrator on the same database continues the session with its scope.
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let second = orchestrator
        .chat(
            ChatRequest {
                session_id: Some(first.session_id.clone()),
                message: "How many workloads were impacted?".into(),
                now: Some(demo_now()),
                ..ChatRequest::default()
            },
            EventSink::discard(),
        )
        .await
        .expect("second turn");
    assert_eq!(second.turn, 2);
    assert_eq!(second.scope, first.scope);
    let session = orchestrator.sessions().load(&first.session_id).await.expect("load");
    assert_eq!(session.turns.len(), 2);
    assert_eq!(session.turns[0].answer, first);
}

#[tokio::test]
async fn bad_scope_and_unknown_session_are_clear_errors() {
    let sessions = tempfile::tempdir().expect("tempdir");
    let orchestrator = demo_orchestrator(sessions.path()).await;
    let (sink, mut events) = EventSink::channel();
    let error = orchestrator
        .chat(
            ChatRequest { message: "hi".into(), scope: Some("k8s.ns.name in (a".into()), ..ChatRequest::default() },
            sink,
        )
        .await
        .expect_err("bad scope");
    assert_eq!(error.code(), "invalid_scope");
    assert!(matches!(events.try_recv(), Ok(ChatEvent::Error { code, .. }) if code == "invalid_scope"));
    let error = orchestrator
        .chat(
            ChatRequest { session_id: Some("nope".into()), message: "hi".into(), ..ChatRequest::default() },
            EventSink::discard(),
        )
        .await
        .expect_err("unknown session");
    assert_eq!(error.code(), "session_not_found");
}

/// Regression: two `saker ask` runs on a fresh data directory raced through the migrations
/// ("table sessions already exists", "database is locked").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_of_a_fresh_session_database_all_succeed() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let opens: Vec<_> = (0..8)
            .map(|_| {
                let path = dir.path().to_path_buf();
                tokio::spawn(async move { saker::conversation::SessionStore::open(&path).await.map(|_| ()) })
            })
            .collect();
        for open in opens {
            open.await.expect("task").expect("the session database opens");
        }
        let state_opens: Vec<_> = (0..8)
            .map(|_| {
                let path = dir.path().to_path_buf();
                tokio::spawn(async move { saker_tools::store::state::StateDb::open(&path).await.map(|_| ()) })
            })
            .collect();
        for open in state_opens {
            open.await.expect("task").expect("the state database opens");
        }
    }
}
