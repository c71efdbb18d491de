//! `saker bench tools`: hot latency (p50/p95) of each investigation tool on N generated alerts,
//! on the embedded index, PostgreSQL or both, compared in the same run with DuckDB running
//! equivalent SQL over the same alerts.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use saker_tools::analytics::{ToolContext, ToolRegistry};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::AlertStore;
use saker_tools::store::postgres::PostgresStore;
use serde::Serialize;
use serde_json::{Value, json};

use super::bench::{VolumeArgs, embedded_ingest_command, run_saker_ingest};
use super::bench_postgres::{BackendArgs, BenchDatabase, ServerInfo, first_alert_id};
use super::common::{DataDirArgs, parse_now};

/// Arguments of `saker bench tools`.
#[derive(Debug, Args)]
pub struct ToolsBenchArgs {
    #[command(flatten)]
    volume: VolumeArgs,
    #[command(flatten)]
    store: BackendArgs,
    /// Timed calls per tool, after two warm-up calls.
    #[arg(long, default_value_t = 20)]
    iterations: usize,
    /// Python interpreter with the `duckdb` package.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Rules files for the tools that read rules (default: Falco's own paths).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Print JSON instead of a Markdown table.
    #[arg(long)]
    json: bool,
}

/// One benchmarked call: a tool with its arguments and the SQL that computes the same figures.
struct Case {
    tool: &'static str,
    arguments: Value,
    sql: &'static [&'static str],
}

/// The cluster every case looks at (one of the 24 in the generated estate).
const CLUSTER: &str = "prod-us-west-2-eks";
/// The namespace of the incident-level cases (root cause, attack path, remediation).
const NAMESPACE: &str = "ci";
/// The rule `explain_event` explains.
const RULE: &str = "Terminal shell in container";

fn cases() -> Vec<Case> {
    let scope = format!("kubernetes.cluster.name={CLUSTER}");
    let incident = format!("kubernetes.cluster.name={CLUSTER} and k8s.ns.name={NAMESPACE}");
    vec![
        Case {
            tool: "event_stats",
            arguments: json!({"scope": scope, "last": "7d"}),
            sql: &[
                "SELECT count(*), min(time), max(time) FROM alerts WHERE cluster = $cluster AND time > $since",
                "SELECT priority, count(*) FROM alerts WHERE cluster = $cluster AND time > $since GROUP BY 1",
                "SELECT rule, count(*) c FROM alerts WHERE cluster = $cluster AND time > $since GROUP BY 1 ORDER BY c DESC LIMIT 10",
                "SELECT namespace, count(*) c FROM alerts WHERE cluster = $cluster AND time > $since GROUP BY 1 ORDER BY c DESC LIMIT 10",
                "SELECT workload, count(*) c FROM alerts WHERE cluster = $cluster AND time > $since GROUP BY 1 ORDER BY c DESC LIMIT 10",
                "SELECT tag, workload, count(*) FROM (SELECT unnest(tags) tag, workload FROM alerts WHERE cluster = $cluster AND time > $since) GROUP BY 1, 2",
            ],
        },
        Case {
            tool: "impacted_workloads",
            arguments: json!({"scope": scope}),
            sql: &[
                "SELECT namespace, workload, count(*) c, min(severity), min(time), max(time), count(DISTINCT pod), count(DISTINCT container), list(DISTINCT image), list(DISTINCT rule) FROM alerts WHERE cluster = $cluster GROUP BY 1, 2 ORDER BY c DESC LIMIT 10",
                "SELECT count(DISTINCT (namespace, workload)), count(DISTINCT pod), count(DISTINCT container), count(DISTINCT namespace) FROM alerts WHERE cluster = $cluster",
            ],
        },
        Case {
            tool: "mitre_mapping",
            arguments: json!({"scope": scope}),
            sql: &[
                "SELECT tag, count(*), list(DISTINCT rule) FROM (SELECT unnest(tags) tag, rule FROM alerts WHERE cluster = $cluster) WHERE regexp_matches(tag, '^(T[0-9]{4}|TA[0-9]{4}|mitre_)') GROUP BY 1",
            ],
        },
        Case {
            tool: "root_cause",
            arguments: json!({"scope": incident}),
            sql: &[
                "SELECT container, fields->>'$.\"proc.pid\"', fields->>'$.\"proc.ppid\"', fields->>'$.\"proc.pname\"', fields->>'$.\"proc.pcmdline\"', fields->>'$.\"proc.aname[2]\"', fields->>'$.\"proc.apid[2]\"', fields->>'$.\"proc.aname[3]\"', fields->>'$.\"proc.apid[3]\"', process, fields->>'$.\"proc.cmdline\"', rule, time FROM alerts WHERE cluster = $cluster AND namespace = $namespace ORDER BY time LIMIT 5000",
            ],
        },
        Case {
            tool: "attack_path",
            arguments: json!({"scope": incident}),
            sql: &[
                "SELECT rule, process, min(time) first, max(time), count(*), list(DISTINCT workload)[1:5] FROM alerts WHERE cluster = $cluster AND namespace = $namespace GROUP BY 1, 2 ORDER BY first LIMIT 20",
                "SELECT container, fields->>'$.\"proc.pid\"', fields->>'$.\"proc.ppid\"', fields->>'$.\"proc.pname\"', fields->>'$.\"proc.pcmdline\"', fields->>'$.\"proc.aname[2]\"', fields->>'$.\"proc.apid[2]\"', process, fields->>'$.\"proc.cmdline\"' FROM alerts WHERE cluster = $cluster AND namespace = $namespace ORDER BY time LIMIT 5000",
            ],
        },
        Case {
            tool: "compare_periods",
            arguments: json!({"scope": scope, "tactics": ["discovery"], "period": "week"}),
            sql: &[
                "SELECT time >= $since AS current, count(*) FROM alerts WHERE cluster = $cluster AND time >= $previous AND list_contains(tags, 'mitre_discovery') GROUP BY 1",
                "SELECT date_trunc('day', time), count(*) FROM alerts WHERE cluster = $cluster AND time >= $previous AND list_contains(tags, 'mitre_discovery') GROUP BY 1",
                "SELECT process, count(*) c FROM alerts WHERE cluster = $cluster AND time >= $since AND list_contains(tags, 'mitre_discovery') GROUP BY 1 ORDER BY c DESC LIMIT 10",
                "SELECT workload, count(*) c FROM alerts WHERE cluster = $cluster AND time >= $since AND list_contains(tags, 'mitre_discovery') GROUP BY 1 ORDER BY c DESC LIMIT 10",
            ],
        },
        Case {
            tool: "explain_event",
            arguments: json!({"rule": RULE}),
            sql: &["SELECT * FROM alerts WHERE rule = $rule ORDER BY time DESC LIMIT 1"],
        },
        Case {
            tool: "suggest_remediation",
            arguments: json!({"scope": incident}),
            sql: &[
                "SELECT rule, count(*) FROM alerts WHERE cluster = $cluster AND namespace = $namespace GROUP BY 1",
                "SELECT rule, pod, container, image, process, fields->>'$.\"fd.name\"' FROM alerts WHERE cluster = $cluster AND namespace = $namespace ORDER BY time DESC LIMIT 2000",
            ],
        },
        Case {
            tool: "search_events",
            arguments: json!({"scope": scope, "query": "curl"}),
            sql: &[
                "SELECT count(*) FROM alerts WHERE cluster = $cluster AND output ILIKE '%curl%'",
                "SELECT * FROM alerts WHERE cluster = $cluster AND output ILIKE '%curl%' ORDER BY time DESC LIMIT 20",
            ],
        },
    ]
}

#[derive(Debug, Serialize)]
struct CaseReport {
    tool: &'static str,
    arguments: Value,
    /// On the embedded index.
    embedded: Option<Latency>,
    /// On PostgreSQL.
    postgres: Option<Latency>,
    duckdb: Option<Latency>,
}

/// Median, 95th and 99th percentile of a set of timings.
#[derive(Debug, Serialize, serde::Deserialize)]
pub(super) struct Latency {
    /// Median, milliseconds.
    pub(super) p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub(super) p95_ms: f64,
    /// 99th percentile, milliseconds (absent from the DuckDB script's figures).
    #[serde(default)]
    pub(super) p99_ms: f64,
}

/// Runs `saker bench tools`.
pub fn run(arguments: ToolsBenchArgs) -> anyhow::Result<ExitCode> {
    let database = arguments.store.database()?;
    let input = arguments.volume.ensure()?;
    let rules = if arguments.rules.is_empty() {
        RulesCatalog::load_default().context("cannot load the default rules")?
    } else {
        RulesCatalog::load(&arguments.rules).context("cannot load the rules files")?
    };
    let now = parse_now(Some(saker_fixtures::DEMO_NOW))?;
    let cases = cases();
    let mut reports: Vec<CaseReport> = cases
        .iter()
        .map(|case| CaseReport {
            tool: case.tool,
            arguments: case.arguments.clone(),
            embedded: None,
            postgres: None,
            duckdb: None,
        })
        .collect();

    if arguments.store.backend.embedded() {
        let data_dir = arguments.volume.data_dir("tools-data");
        if !data_dir.join("index").exists() {
            eprintln!("ingesting {} into {}", input.display(), data_dir.display());
            ingest(&input, &data_dir)?;
        }
        let store = DataDirArgs { data_dir: data_dir.clone() }.open_store()?;
        eprintln!("measuring the embedded index ...");
        let latencies = measure(&store, &rules, now, &cases, arguments.iterations)?;
        for (report, latency) in reports.iter_mut().zip(latencies) {
            report.embedded = Some(latency);
        }
    }

    let mut postgres_server = None;
    if let Some(database) = &database {
        load_postgres(database, &arguments, &input)?;
        eprintln!("VACUUM (ANALYZE) of the alert tables ...");
        database.vacuum_analyze()?;
        postgres_server = Some(database.server()?);
        let store = PostgresStore::connect(database.secret_url())
            .with_context(|| format!("cannot open the alert store of {}", database.url()))?;
        eprintln!("measuring PostgreSQL ({}) ...", database.url());
        let latencies = measure(&store, &rules, now, &cases, arguments.iterations)?;
        for (report, latency) in reports.iter_mut().zip(latencies) {
            report.postgres = Some(latency);
        }
    }

    eprintln!("measuring duckdb ...");
    let duckdb = duckdb_latencies(&arguments, &input, &cases, now);
    let duckdb_problem = match duckdb {
        Ok(latencies) => {
            for (report, latency) in reports.iter_mut().zip(latencies) {
                report.duckdb = Some(latency);
            }
            None
        }
        Err(error) => Some(format!("{error:#}")),
    };
    if arguments.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "alerts": arguments.volume.count,
                "cases": reports,
                "postgres_server": postgres_server,
                "duckdb_problem": duckdb_problem,
            }))?
        );
    } else {
        print_table(&arguments, &reports, postgres_server.as_ref(), duckdb_problem.as_deref())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Hot latency of every case on `store`: two warm-up calls, then `iterations` timed ones,
/// through the registry as a model or the planner calls the tools.
fn measure(
    store: &dyn AlertStore,
    rules: &RulesCatalog,
    now: chrono::DateTime<chrono::Utc>,
    cases: &[Case],
    iterations: usize,
) -> anyhow::Result<Vec<Latency>> {
    let context = ToolContext::new(store, rules, now);
    let registry = ToolRegistry::standard();
    let mut latencies = Vec::with_capacity(cases.len());
    for case in cases {
        let mut timings = Vec::with_capacity(iterations);
        for round in 0..iterations + 2 {
            let started = Instant::now();
            let output = registry
                .invoke(case.tool, case.arguments.clone(), &context)
                .with_context(|| format!("{} failed", case.tool))?;
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            std::hint::black_box(output);
            if round >= 2 {
                timings.push(elapsed);
            }
        }
        latencies.push(percentiles(&mut timings));
    }
    Ok(latencies)
}

/// Makes the database hold exactly the generated alerts: kept when it already does (the same
/// count and the file's first alert), loaded with `saker ingest` when it is empty (or emptied
/// with `--reset-database`), refused otherwise.
fn load_postgres(database: &BenchDatabase, arguments: &ToolsBenchArgs, input: &Path) -> anyhow::Result<()> {
    let count = arguments.volume.count;
    if !arguments.store.reset_database {
        let held = database.alert_count()?;
        if held == count && database.holds(&first_alert_id(input)?)? {
            eprintln!("{} already holds the {count} generated alerts", database.url());
            return Ok(());
        }
    }
    database.prepare_empty(arguments.store.reset_database)?;
    eprintln!("ingesting {} into {}", input.display(), database.url());
    let mut command = database.ingest_command(&arguments.volume.work_dir, input)?;
    run_saker_ingest(&mut command, count)?;
    Ok(())
}

/// A column pair of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Embedded,
    Postgres,
    Duckdb,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Embedded => "embedded",
            Engine::Postgres => "postgres",
            Engine::Duckdb => "duckdb",
        }
    }

    fn latency(self, report: &CaseReport) -> Option<&Latency> {
        match self {
            Engine::Embedded => report.embedded.as_ref(),
            Engine::Postgres => report.postgres.as_ref(),
            Engine::Duckdb => report.duckdb.as_ref(),
        }
    }
}

fn print_table(
    arguments: &ToolsBenchArgs,
    reports: &[CaseReport],
    postgres_server: Option<&ServerInfo>,
    duckdb_problem: Option<&str>,
) -> anyhow::Result<()> {
    out!(
        "{} alerts, {} timed calls per tool after 2 warm-up calls, scope kubernetes.cluster.name={CLUSTER}\n",
        arguments.volume.count,
        arguments.iterations
    );
    if let Some(server) = postgres_server {
        out!("PostgreSQL: {} ({})", server.version, server.database);
        let settings: Vec<String> = server.settings.iter().map(|(name, value)| format!("{name}={value}")).collect();
        out!("settings: {}\n", settings.join(", "));
    }
    let measured = |engine: Engine| reports.iter().any(|report| engine.latency(report).is_some());
    let columns: Vec<Engine> = [Engine::Embedded, Engine::Postgres, Engine::Duckdb]
        .into_iter()
        .filter(|engine| *engine == Engine::Duckdb || measured(*engine))
        .collect();
    let header: Vec<String> =
        columns.iter().map(|engine| format!("{name} p50 (ms) | {name} p95 (ms)", name = engine.name())).collect();
    out!("| tool | {} |", header.join(" | "));
    out!("|---|{}", "---:|---:|".repeat(columns.len()));
    for report in reports {
        let cells: Vec<String> = columns
            .iter()
            .map(|engine| match engine.latency(report) {
                Some(latency) => format!("{:.1} | {:.1}", latency.p50_ms, latency.p95_ms),
                None => "n/a | n/a".to_string(),
            })
            .collect();
        out!("| {} | {} |", report.tool, cells.join(" | "));
    }
    if let Some(problem) = duckdb_problem {
        out!("\nduckdb not measured: {problem}");
    }
    Ok(())
}

/// Loads `input` into the embedded index of `data_dir` with `saker ingest`.
pub(super) fn ingest(input: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let mut command = embedded_ingest_command(data_dir, input)?;
    let output = command.output().context("cannot run saker ingest")?;
    if !output.status.success() {
        bail!("saker ingest failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

pub(super) fn percentiles(timings: &mut [f64]) -> Latency {
    timings.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        if timings.is_empty() {
            return f64::NAN;
        }
        let index = ((timings.len() as f64 - 1.0) * fraction).round() as usize;
        timings[index.min(timings.len() - 1)]
    };
    Latency { p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99) }
}

/// DuckDB loads the alerts into an in-memory table with the same dimensions Saker derives
/// (cluster, namespace, workload from the pod name, ...), untimed, then runs each case's SQL.
const DUCKDB_SCRIPT: &str = r#"
import json, sys, time
import duckdb
source, iterations = sys.argv[1], int(sys.argv[2])
cases = json.loads(sys.stdin.read())
connection = duckdb.connect()
connection.execute("SET enable_progress_bar = false")
connection.execute("SET threads TO 2")
connection.execute("""
CREATE TABLE alerts AS
SELECT time, rule, priority,
       CASE lower(priority) WHEN 'emergency' THEN 0 WHEN 'alert' THEN 1 WHEN 'critical' THEN 2 WHEN 'error' THEN 3
            WHEN 'warning' THEN 4 WHEN 'notice' THEN 5 WHEN 'informational' THEN 6 WHEN 'info' THEN 6 ELSE 7 END AS severity,
       tags, hostname, output,
       coalesce(output_fields->>'$."k8s.cluster.name"', output_fields->>'$."kubernetes.cluster.name"') AS cluster,
       output_fields->>'$."k8s.ns.name"' AS namespace,
       output_fields->>'$."k8s.pod.name"' AS pod,
       regexp_replace(output_fields->>'$."k8s.pod.name"', '-[a-z0-9]{6,10}-[a-z0-9]{5}$', '') AS workload,
       output_fields->>'$."container.id"' AS container,
       output_fields->>'$."container.image.repository"' AS image,
       output_fields->>'$."proc.name"' AS process,
       output_fields AS fields
FROM read_json(?, format='newline_delimited',
               columns={time: 'TIMESTAMP', rule: 'VARCHAR', priority: 'VARCHAR', tags: 'VARCHAR[]',
                        hostname: 'VARCHAR', output: 'VARCHAR', output_fields: 'JSON'})
""", [source])
results = []
for case in cases:
    timings = []
    for round in range(iterations + 2):
        started = time.perf_counter()
        for sql in case:
            connection.execute(sql, {key: value for key, value in PARAMETERS.items() if "$" + key in sql}).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        if round >= 2:
            timings.append(elapsed)
    timings.sort()
    pick = lambda f: timings[min(len(timings) - 1, round_half(f * (len(timings) - 1)))]
    results.append({"p50_ms": pick(0.5), "p95_ms": pick(0.95)})
print(json.dumps(results))
"#;

fn duckdb_latencies(
    arguments: &ToolsBenchArgs,
    input: &Path,
    cases: &[Case],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Latency>> {
    let format = |time: chrono::DateTime<chrono::Utc>| time.format("%Y-%m-%d %H:%M:%S").to_string();
    let since = format(now - chrono::Duration::days(7));
    let previous = format(now - chrono::Duration::days(14));
    let script = format!(
        "PARAMETERS = {{'cluster': {CLUSTER:?}, 'namespace': {NAMESPACE:?}, 'rule': {RULE:?}, 'since': {since:?}, 'previous': {previous:?}}}\nround_half = lambda x: int(x + 0.5)\n{DUCKDB_SCRIPT}"
    );
    let sql: Vec<&[&str]> = cases.iter().map(|case| case.sql).collect();
    let mut child = Command::new(&arguments.python)
        .arg("-c")
        .arg(script)
        .arg(input)
        .arg(arguments.iterations.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", arguments.python))?;
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, serde_json::to_string(&sql)?.as_bytes())?;
    }
    let output = child.wait_with_output().context("duckdb run failed")?;
    if !output.status.success() {
        bail!("duckdb run failed (is `pip install duckdb` done?): {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    serde_json::from_slice(&output.stdout).context("duckdb script printed no JSON")
}
