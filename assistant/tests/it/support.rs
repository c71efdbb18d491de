//! Helpers for running the `saker` binary in tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The reference material beside the repository.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"))
}

/// A `saker` command with its data directory set.
pub fn saker(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_saker"));
    command.env("SAKER_DATA_DIR", data_dir).env_remove("SAKER_LOG");
    command
}

/// Runs a command and returns its output, failing the test if it cannot start.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("saker runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `count` distinct synthetic Falco alerts as JSON Lines.
pub fn write_synthetic_alerts(path: &Path, count: usize) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("create");
    let mut writer = std::io::BufWriter::new(file);
    for index in 0..count {
        let seconds = index % 86_400;
        let line = serde_json::json!({
            "time": format!("2026-11-19T{:02}:{:02}:{:02}.{:09}Z", seconds / 3600, (seconds / 60) % 60, seconds % 60, index),
            "rule": "Terminal shell in container",
            "priority": "Notice",
            "source": "syscall",
            "tags": ["container", "shell", "mitre_execution", "T1059"],
            "hostname": format!("node-{}", index % 7),
            "output": format!("A shell was spawned in a container (user=root pid={index})"),
            "output_fields": {
                "k8s.ns.name": format!("ns-{}", index % 13),
                "k8s.pod.name": format!("web-7d9fbb6c5d-x{:04}", index % 1000),
                "proc.pid": index,
                "proc.name": "bash",
            },
        });
        writeln!(writer, "{line}").expect("write");
    }
    writer.flush().expect("flush");
}

/// The upstream Falco rules files the fixtures were generated from (stable, incubating,
/// sandbox), as a user's Falco would load them.
pub fn upstream_rules() -> Vec<PathBuf> {
    let dir = shared_dir().join("reference/falco/rules");
    ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]
        .iter()
        .map(|name| dir.join(name))
        .collect()
}

/// The demo "now" of the fixtures.
pub fn demo_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(saker_fixtures::DEMO_NOW).expect("DEMO_NOW parses").with_timezone(&chrono::Utc)
}

/// An index holding every demo scenario, built once per test run and shared (read-only).
pub fn demo_index() -> &'static Path {
    use std::sync::OnceLock;
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        use saker_tools::ingest::{IngestSettings, Ingestor, LineSource};
        use saker_tools::store::AlertStore as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = saker_tools::store::index::TantivyStore::open(&dir.path().join("index")).expect("open index");
        let mut ingestor = Ingestor::new(store.writer().expect("writer"), IngestSettings::default());
        for (name, text) in saker_fixtures::scenario_files() {
            let mut source = LineSource::from_reader(name, std::io::Cursor::new(text.as_bytes()));
            ingestor.ingest_lines(&mut source, |_| {}).expect("ingest");
        }
        let summary = ingestor.finish().expect("commit");
        assert_eq!(summary.rejected, 0);
        dir
    })
    .path()
}

/// An orchestrator with the planner backend over the shared demo index and the upstream
/// rules, with its own fresh session database in `sessions_dir`.
pub async fn demo_orchestrator(sessions_dir: &Path) -> saker::conversation::Orchestrator {
    orchestrator_with(sessions_dir, saker::conversation::Backend::Planner(saker::planner::Planner::new())).await
}

/// Like [`demo_orchestrator`] with another backend.
pub async fn orchestrator_with(
    sessions_dir: &Path,
    backend: saker::conversation::Backend,
) -> saker::conversation::Orchestrator {
    use std::sync::Arc;
    let store = saker_tools::store::index::TantivyStore::open(&demo_index().join("index")).expect("open demo index");
    let rules = saker_tools::rules::RulesCatalog::load(&upstream_rules()).expect("upstream rules load");
    let sessions = saker::conversation::SessionStore::open(sessions_dir).await.expect("session store");
    saker::conversation::Orchestrator::new(Arc::new(store), Arc::new(rules), sessions, backend)
}

/// Serves `state` on a loopback port of its own until the returned sender is dropped or fires:
/// real HTTP for the server tests.
pub async fn serve_on_loopback(
    state: saker::server::AppState,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(saker::server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (address, stop)
}

/// The answer of the `done` event in a `/v1/chat` SSE body (panics, naming `what`, without one).
pub fn done_answer(text: &str, what: &str) -> serde_json::Value {
    let done = text
        .split("\n\n")
        .find(|block| block.lines().any(|line| line == "event: done"))
        .and_then(|block| block.lines().find_map(|line| line.strip_prefix("data: ")))
        .unwrap_or_else(|| panic!("no done event for {what}: {text}"));
    serde_json::from_str(done).expect("done is JSON")
}
