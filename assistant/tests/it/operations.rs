//! Running it as an operator does: `saker --version` names the commit the binary was built
//! from, and `saker --log-format json serve` writes one JSON object a line with the request id
//! of each request (the client's `x-request-id` when it is short and plain, else a new one,
//! echoed in the response).

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::support::{run, saker, stdout};

#[test]
fn version_names_the_git_commit() {
    let output = run(Command::new(env!("CARGO_BIN_EXE_saker")).arg("--version"));
    assert!(output.status.success(), "{output:?}");
    let line = stdout(&output);
    let line = line.trim();
    assert!(line.starts_with(concat!("saker ", env!("CARGO_PKG_VERSION"), " (commit ")), "{line}");
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string());
    match head {
        // Built in a work tree (a clone, as in CI): the commit checked out, shortened.
        Some(head) => assert_eq!(line, format!("saker {} (commit {})", env!("CARGO_PKG_VERSION"), &head[..12])),
        // A source archive: says that it does not know.
        None => assert!(line.contains("commit unknown"), "{line}"),
    }
}

#[test]
fn json_logs_carry_the_request_id() {
    let data = tempfile::tempdir().expect("tempdir");
    let mut child = saker(data.path())
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .env("SAKER_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("saker serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a first line").expect("readable");
    let address = first.strip_prefix("listening on ").expect("`listening on http://ADDR`").to_string();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (given, generated) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let given = client
            .get(format!("{address}/healthz"))
            .header("x-request-id", "req-from-the-client-1")
            .send()
            .await
            .expect("GET /healthz");
        let given = given.headers()["x-request-id"].to_str().expect("ASCII").to_string();
        let generated = client.get(format!("{address}/v1/nothing")).send().await.expect("GET");
        assert_eq!(generated.status(), reqwest::StatusCode::NOT_FOUND);
        let generated = generated.headers()["x-request-id"].to_str().expect("ASCII").to_string();
        let overlong = client
            .get(format!("{address}/healthz"))
            .header("x-request-id", "x".repeat(500))
            .send()
            .await
            .expect("GET /healthz");
        let replaced = overlong.headers()["x-request-id"].to_str().expect("ASCII").to_string();
        assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "an unusable id is replaced: {replaced}");
        (given, generated)
    });
    assert_eq!(given, "req-from-the-client-1", "the client's id is kept and echoed");
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "a new id is a UUID: {generated}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let mut errors = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut errors).expect("stderr is text");
    assert!(child.wait().expect("the server exits").success());

    let logged: Vec<Value> = errors.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let finished = |id: &str| {
        logged.iter().find(|line| line["fields"]["message"] == "request finished" && line["span"]["request_id"] == id)
    };
    let first = finished("req-from-the-client-1").unwrap_or_else(|| panic!("no log line for the request in\n{errors}"));
    assert_eq!(first["level"], "INFO");
    assert_eq!(first["fields"]["status"], 200);
    assert_eq!(first["span"]["path"], "/healthz");
    assert_eq!(first["span"]["method"], "GET");
    assert!(first["fields"]["latency_ms"].as_f64().is_some(), "{first}");
    let second = finished(&generated).unwrap_or_else(|| panic!("no log line for {generated} in\n{errors}"));
    assert_eq!(second["fields"]["status"], 404);
    // Every line on stderr is JSON (the plain `data ...` and `stopped` notes aside).
    let plain: Vec<&str> = errors.lines().filter(|line| serde_json::from_str::<Value>(line).is_err()).collect();
    assert!(
        plain.iter().all(|line| line.starts_with("data ") || line.starts_with("saker serve: stopped")),
        "{plain:?}"
    );
}
