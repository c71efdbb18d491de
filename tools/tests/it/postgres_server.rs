//! A throwaway PostgreSQL server on loopback for the tests that need a real one: started once
//! per test binary in a temporary directory (Debian's server binaries, `initdb` + `pg_ctl`),
//! one fresh database per test, stopped and removed by a watchdog when the test process ends.
//!
//! With `SAKER_TEST_DATABASE_URL` set (`postgres://user@host:port/db`), that server is used
//! instead and only the databases are created. The assistant's test binary includes this file
//! too (`#[path]`), so both crates start their servers the same way.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running server tests create databases on.
#[derive(Debug)]
pub struct PostgresServer {
    /// `postgres://user@127.0.0.1:port` (no database part).
    base_url: String,
}

/// The server of this test binary, started on first use.
pub fn postgres_server() -> &'static PostgresServer {
    static SERVER: OnceLock<PostgresServer> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("SAKER_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => PostgresServer { base_url: strip_database(url.trim()) },
        _ => start_throwaway_server(),
    })
}

impl PostgresServer {
    /// Creates an empty database with a name no other test uses and returns its URL.
    pub fn fresh_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "saker_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|time| time.as_micros())
                .unwrap_or(0)
        );
        let admin = format!("{}/postgres", self.base_url);
        let output = Command::new("psql")
            .args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("psql (the PostgreSQL client) must be installed: apt-get install postgresql");
        assert!(output.status.success(), "CREATE DATABASE {name} failed: {}", String::from_utf8_lossy(&output.stderr));
        format!("{}/{name}", self.base_url)
    }

    /// The server's URL without a database.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

fn strip_database(url: &str) -> String {
    let after_scheme = url.find("://").map(|at| at + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_string(),
        None => url.to_string(),
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin`, installing Debian's `postgresql` with apt
/// first when it is missing and the tests run as root (so `cargo test --workspace` sets up a
/// fresh machine by itself, as README says).
fn server_binaries() -> PathBuf {
    if newest_server_binaries().is_none() && running_as_root() {
        install_postgresql();
    }
    match newest_server_binaries() {
        Some(bin) => bin,
        None => panic!(
            "these tests need PostgreSQL's server binaries under /usr/lib/postgresql/<version>/bin \
             (apt-get install postgresql; .ci/run installs it), or SAKER_TEST_DATABASE_URL naming a server"
        ),
    }
}

/// `apt-get install postgresql`, retried while another test binary holds apt's lock.
fn install_postgresql() {
    eprintln!("postgres_server: installing Debian's postgresql with apt-get for the PostgreSQL tests");
    for _attempt in 0..30 {
        if newest_server_binaries().is_some() {
            return;
        }
        let installed = Command::new("sh")
            .args(["-c", "(apt-get install -y -qq --no-install-recommends postgresql || (apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql)) >/dev/null 2>&1"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|status| status.success())
            .unwrap_or(false);
        if installed {
            return;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
}

fn newest_server_binaries() -> Option<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a server binary, as the `postgres` user when the tests run as root (PostgreSQL refuses
/// to run as root).
fn server_command(binary: &Path, as_root: bool) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(binary);
        command
    } else {
        Command::new(binary)
    }
}

fn free_loopback_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn start_throwaway_server() -> PostgresServer {
    let bin = server_binaries();
    let as_root = running_as_root();
    let root = std::env::temp_dir().join(format!("saker-pg-{}-{}", std::process::id(), free_loopback_port()));
    let data = root.join("data");
    let sockets = root.join("sockets");
    std::fs::create_dir_all(&data).expect("data directory");
    std::fs::create_dir_all(&sockets).expect("socket directory");
    if as_root {
        let status = Command::new("chown").args(["-R", "postgres:"]).arg(&root).status().expect("chown");
        assert!(status.success(), "chown of {} to postgres failed", root.display());
    }
    let status = Command::new("chmod").arg("700").arg(&data).status().expect("chmod");
    assert!(status.success());
    let initdb = server_command(&bin.join("initdb"), as_root)
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        .output()
        .expect("initdb");
    assert!(initdb.status.success(), "initdb failed: {}", String::from_utf8_lossy(&initdb.stderr));

    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_loopback_port();
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=300",
            sockets.display()
        );
        let started = server_command(&bin.join("pg_ctl"), as_root)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(data.join("server.log"))
            .args(["-w", "-o", &options, "start"])
            .stdout(Stdio::null())
            .output()
            .expect("pg_ctl");
        if started.status.success() {
            stop_when_tests_end(&bin, &data, &root, as_root);
            return PostgresServer { base_url: format!("postgres://postgres@127.0.0.1:{port}") };
        }
        last_error = format!(
            "{}{}",
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(data.join("server.log")).unwrap_or_default()
        );
    }
    panic!("the test PostgreSQL server did not start: {last_error}");
}

/// A shell that waits for this test process to end, then stops the server and removes its
/// directory (a static's destructor never runs, and a leaked server would outlive CI's step).
fn stop_when_tests_end(bin: &Path, data: &Path, root: &Path, as_root: bool) {
    let pg_ctl = bin.join("pg_ctl");
    let stop = if as_root {
        format!("runuser -u postgres -- {} -D {} -m immediate stop", pg_ctl.display(), data.display())
    } else {
        format!("{} -D {} -m immediate stop", pg_ctl.display(), data.display())
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {root}",
        pid = std::process::id(),
        root = root.display()
    );
    // Never waited for: it must outlive this process to stop the server after it.
    #[allow(clippy::zombie_processes)]
    let _watchdog = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watchdog shell");
}

#[test]
fn a_fresh_database_accepts_connections() {
    let url = postgres_server().fresh_database();
    let output = Command::new("psql").args([url.as_str(), "-tA", "-c", "SELECT 1"]).output().expect("psql");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1");
}
