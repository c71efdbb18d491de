//! The reconnaissance report over the demo index: its figures against values computed here
//! from the fixture files, the chart's bars against the daily series, escaping of alert text in
//! every format, the `saker report` command, and scheduled delivery to a directory and to a
//! Slack webhook (a loopback HTTP server that records what it receives).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use saker::conversation::Language;
use saker::report::chart::{PLOT_HEIGHT, bar_height};
use saker::report::{ReconReport, ReconRequest, ReportFormat, build_recon, render};
use saker_tools::analytics::categories::{Category, RuleFacts, categorize};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::Value;

use super::support::{demo_index, demo_now, run, saker, stderr, stdout, upstream_rules};

fn fixture_alerts() -> Vec<Value> {
    saker_fixtures::scenario_files()
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("fixture line is JSON"))
        .collect()
}

fn time(alert: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(alert["time"].as_str().expect("time")).expect("rfc3339").with_timezone(&Utc)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(|item| item.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn is_reconnaissance(alert: &Value) -> bool {
    let tags = strings(&alert["tags"]);
    let (tactics, techniques) = saker_tools::mitre::ids_from_tags(&tags);
    categorize(&RuleFacts {
        rule: alert["rule"].as_str().unwrap_or(""),
        source: alert["source"].as_str().unwrap_or("syscall"),
        tags: &tags,
        tactics: &tactics,
        techniques: &techniques,
    }) == Category::Reconnaissance
}

/// What the report must say, computed from the fixture files: both periods' counts, the
/// alerts per UTC day of the current period, and the process names per period.
struct Expected {
    current: u64,
    previous: u64,
    current_days: BTreeMap<String, u64>,
    previous_days: BTreeMap<String, u64>,
    processes: BTreeMap<String, (u64, u64)>,
}

fn expected(now: DateTime<Utc>) -> Expected {
    let (current_start, previous_start) = (now - Duration::days(7), now - Duration::days(14));
    let mut expected = Expected {
        current: 0,
        previous: 0,
        current_days: BTreeMap::new(),
        previous_days: BTreeMap::new(),
        processes: BTreeMap::new(),
    };
    for alert in fixture_alerts().iter().filter(|alert| is_reconnaissance(alert)) {
        let at = time(alert);
        let day = format!("{}T00:00:00Z", at.format("%Y-%m-%d"));
        let process = alert.pointer("/output_fields/proc.name").and_then(Value::as_str).map(String::from);
        if at >= current_start && at < now {
            expected.current += 1;
            *expected.current_days.entry(day).or_default() += 1;
            if let Some(process) = process {
                expected.processes.entry(process).or_default().0 += 1;
            }
        } else if at >= previous_start && at < current_start {
            expected.previous += 1;
            *expected.previous_days.entry(day).or_default() += 1;
            if let Some(process) = process {
                expected.processes.entry(process).or_default().1 += 1;
            }
        }
    }
    expected
}

fn report(language: Language) -> ReconReport {
    let store = TantivyStore::open(&demo_index().join("index")).expect("demo index");
    let rules = RulesCatalog::load(&upstream_rules()).expect("rules");
    let request = ReconRequest { scope: None, last: "7d".to_string(), now: demo_now(), language };
    build_recon(&store, &rules, &request).expect("report")
}

#[test]
fn the_report_figures_are_the_fixture_ground_truth() {
    let expected = expected(demo_now());
    assert!(expected.current > 0 && expected.previous > 0);
    let report = report(Language::En);
    let figures = &report.figures;
    assert_eq!(figures.current.total, expected.current);
    assert_eq!(figures.previous.total, expected.previous);
    assert_eq!(figures.change, expected.current as i64 - expected.previous as i64);

    // The daily series: every day of the fixture's count, and nothing else.
    let series: BTreeMap<String, u64> =
        figures.current.series.iter().filter(|bucket| bucket.count > 0).map(|b| (b.start.clone(), b.count)).collect();
    assert_eq!(series, expected.current_days);
    let previous: BTreeMap<String, u64> =
        figures.previous.series.iter().filter(|bucket| bucket.count > 0).map(|b| (b.start.clone(), b.count)).collect();
    assert_eq!(previous, expected.previous_days);
    assert_eq!(figures.current.series.iter().map(|bucket| bucket.count).sum::<u64>(), expected.current);

    // Process names with both periods' counts (the report lists the top ten).
    for row in &figures.processes {
        assert_eq!(expected.processes.get(&row.name), Some(&(row.current, row.previous)), "{}", row.name);
    }
    // Techniques carry their ATT&CK names; the metadata service and scanners are recognised.
    assert!(figures.techniques.iter().all(|row| !row.name.is_empty()), "{:?}", figures.techniques);
    let tools: Vec<&str> = figures.tools.iter().map(|row| row.name.as_str()).collect();
    assert!(tools.contains(&"nmap") && tools.iter().any(|tool| tool.contains("169.254.169.254")), "{tools:?}");

    // Follow-ups: all four kinds are called for by this data (metadata access, scanners, rising).
    let kinds: Vec<String> = report
        .follow_ups
        .iter()
        .map(|follow_up| serde_json::to_value(follow_up.kind).expect("kind").to_string())
        .collect();
    assert_eq!(
        kinds,
        ["\"rule_improvement\"", "\"containment\"", "\"security_group_review\"", "\"escalation\""],
        "{:?}",
        report.follow_ups
    );
    let escalation = &report.follow_ups[3].detail;
    assert!(escalation.contains(&format!("+{}", expected.current - expected.previous)), "{escalation}");
}

/// `(period, start, count, height)` of every bar in `svg`.
fn bars(svg: &str) -> Vec<(String, String, u64, f64)> {
    let attribute = |tag: &str, name: &str| -> String {
        let needle = format!(" {name}=\"");
        let start = tag.find(&needle).unwrap_or_else(|| panic!("{name} in {tag}")) + needle.len();
        tag[start..].split('"').next().expect("value").to_string()
    };
    svg.split("<rect class=\"bar ")
        .skip(1)
        .map(|rest| {
            let tag = format!(" {}", rest.split('>').next().expect("tag"));
            (
                attribute(&tag, "data-period"),
                attribute(&tag, "data-start"),
                attribute(&tag, "data-count").parse().expect("count"),
                attribute(&tag, "height").parse().expect("height"),
            )
        })
        .collect()
}

#[test]
fn the_chart_bars_match_the_daily_series() {
    let report = report(Language::Ja);
    let svg = render(&report, ReportFormat::Svg);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(!svg.contains("<script") && !svg.contains("href"), "a chart makes no request and runs nothing");
    let axis: u64 = svg
        .split("data-axis-max=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("axis")
        .parse()
        .expect("number");
    let bars = bars(&svg);
    for (period, series) in [("current", &report.figures.current.series), ("previous", &report.figures.previous.series)]
    {
        let drawn: Vec<(String, u64)> =
            bars.iter().filter(|bar| bar.0 == period).map(|bar| (bar.1.clone(), bar.2)).collect();
        let expected: Vec<(String, u64)> = series.iter().map(|bucket| (bucket.start.clone(), bucket.count)).collect();
        assert_eq!(drawn, expected, "{period} bars");
    }
    let highest = bars.iter().map(|bar| bar.2).max().expect("bars");
    assert!(axis >= highest && axis < highest * 3, "the axis {axis} fits the highest bar {highest}");
    for (_, start, count, height) in &bars {
        assert_eq!(*height, bar_height(*count, axis), "bar {start}");
        assert!(*height <= PLOT_HEIGHT);
        assert!((*height - *count as f64 * PLOT_HEIGHT / axis as f64).abs() < 0.01, "bar {start} is count × scale");
    }
    // The same chart is embedded in the Markdown and HTML reports.
    assert!(render(&report, ReportFormat::Markdown).contains(&svg));
    assert!(render(&report, ReportFormat::Html).contains(&svg));
}

#[test]
fn the_japanese_markdown_report() {
    let report = report(Language::Ja);
    let markdown = render(&report, ReportFormat::Markdown);
    let without_chart: String =
        markdown.lines().filter(|line| !line.starts_with("<svg")).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!("recon_report_ja", without_chart);
}

#[test]
fn alert_text_is_escaped_in_every_format() {
    use saker_tools::ingest::{IngestSettings, Ingestor, LineSource};
    use saker_tools::store::AlertStore as _;
    let directory = tempfile::tempdir().expect("tempdir");
    let store = TantivyStore::open(&directory.path().join("index")).expect("index");
    let evil = serde_json::json!({
        "time": "2026-11-20T10:00:00.000000000Z",
        "rule": "Launch Suspicious Network Tool in Container",
        "priority": "Notice",
        "source": "syscall",
        "tags": ["container", "network", "mitre_discovery", "TA0007", "T1046"],
        "output": "Network tool launched",
        "output_fields": {
            "k8s.cluster.name": "xss-lab",
            "k8s.ns.name": "<script>alert(1)</script>",
            "k8s.pod.name": "web-7d9fbb6c5d-abcde",
            "proc.name": "<img src=x onerror=alert(2)>",
            "proc.cmdline": "nmap `x` | **y** [z](javascript:alert(3))"
        }
    });
    let mut ingestor = Ingestor::new(store.writer().expect("writer"), IngestSettings::default());
    let mut source = LineSource::from_reader("evil.jsonl", std::io::Cursor::new(format!("{evil}\n").into_bytes()));
    ingestor.ingest_lines(&mut source, |_| {}).expect("ingest");
    ingestor.finish().expect("commit");
    let store = TantivyStore::open(&directory.path().join("index")).expect("reopen");
    let rules = RulesCatalog::load(&upstream_rules()).expect("rules");
    let request = ReconRequest {
        scope: Some("k8s.cluster.name=xss-lab".into()),
        last: "7d".into(),
        now: demo_now(),
        language: Language::En,
    };
    let report = build_recon(&store, &rules, &request).expect("report");
    assert_eq!(report.figures.current.total, 1);

    let html = render(&report, ReportFormat::Html);
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"), "{html}");
    let markdown = render(&report, ReportFormat::Markdown);
    assert!(markdown.contains("`<img src=x onerror=alert(2)>`"), "names stay in code spans: {markdown}");
    assert!(!markdown.lines().any(|line| line.starts_with("<img") || line.starts_with("<script")));
    let slack = saker::report::delivery::slack::payload(&report).to_string();
    assert!(!slack.contains("<img") && slack.contains("&lt;img"), "{slack}");
}

#[test]
fn saker_report_recon_prints_each_format_and_names_bad_options() {
    let data = tempfile::tempdir().expect("tempdir");
    let loaded = run(saker(data.path()).arg("demo"));
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    let now = saker_fixtures::DEMO_NOW;
    let json = run(saker(data.path()).args(["report", "recon", "--last", "7d", "--now", now, "--format", "json"]));
    assert!(json.status.success(), "{}", stderr(&json));
    let value: Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    let expected = expected(demo_now());
    assert_eq!(value["figures"]["current"]["total"], expected.current);
    assert_eq!(value["figures"]["previous"]["total"], expected.previous);

    let markdown = run(saker(data.path()).args(["report", "recon", "--now", now, "--lang", "ja"]));
    let text = stdout(&markdown);
    assert!(text.starts_with("# 偵察活動（Reconnaissance）週次レポート"), "{text}");
    assert!(text.contains(&format!("**{}件**", expected.current)), "{text}");
    assert!(text.contains("<svg"), "the chart is embedded");

    let html = tempfile::NamedTempFile::new().expect("file");
    let written = run(saker(data.path())
        .args(["report", "recon", "--now", now, "--format", "html", "--output"])
        .arg(html.path()));
    assert!(written.status.success(), "{}", stderr(&written));
    let page = std::fs::read_to_string(html.path()).expect("html");
    assert!(page.starts_with("<!doctype html>") && page.contains("<svg") && !page.contains("<script"), "standalone");

    let bad = run(saker(data.path()).args(["report", "recon", "--format", "pdf"]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("md, html, json, svg"), "{}", stderr(&bad));
    let bad = run(saker(data.path()).args(["report", "recon", "--scope", "k8s.ns.name in ("]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("--scope"), "{}", stderr(&bad));
    let bad = run(saker(data.path()).args(["report", "recon", "--last", "a week"]));
    assert!(stderr(&bad).contains("last"), "{}", stderr(&bad));
}

/// A loopback HTTP server standing in for Slack's incoming webhook: it records every body it
/// receives and answers `ok`, as Slack does.
async fn webhook_server() -> (String, Arc<Mutex<Vec<Value>>>, tokio::sync::oneshot::Sender<()>) {
    use axum::routing::post;
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/services/T000/B000/secret",
        post(move |body: axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").push(body.0);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (format!("http://{address}/services/T000/B000/secret"), received, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_reports_are_delivered_to_a_directory_and_to_slack() {
    let (webhook, received, _stop) = webhook_server().await;
    let data = tempfile::tempdir().expect("tempdir");
    let reports = tempfile::tempdir().expect("tempdir");
    let config = data.path().join("saker.yaml");
    std::fs::write(
        &config,
        format!(
            "reports:\n  - name: weekly-recon\n    report: recon\n    every: weekly\n    at: \"08:00\"\n    weekday: monday\n    lang: ja\n    formats: [md, html, json]\n    directory: {}\n    slack_webhook_env: TEST_SAKER_SLACK_WEBHOOK\n",
            reports.path().display()
        ),
    )
    .expect("config");
    let data_path = data.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        let loaded = run(saker(&data_path).arg("demo"));
        assert!(loaded.status.success(), "{}", stderr(&loaded));
        run(saker(&data_path)
            .args(["report", "deliver", "--now", saker_fixtures::DEMO_NOW])
            .env("TEST_SAKER_SLACK_WEBHOOK", &webhook))
    })
    .await
    .expect("deliver");
    assert!(output.status.success(), "{}\n{}", stdout(&output), stderr(&output));
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    assert!(printed.contains("weekly-recon: posted to Slack"), "{printed}");
    assert!(!printed.contains("/services/T000"), "the webhook address is a secret: {printed}");

    let expected = expected(demo_now());
    let mut files: Vec<String> = std::fs::read_dir(reports.path())
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["weekly-recon-20261120T1200Z.html", "weekly-recon-20261120T1200Z.json", "weekly-recon-20261120T1200Z.md"]
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(reports.path().join("weekly-recon-20261120T1200Z.json")).expect("json"),
    )
    .expect("JSON report");
    assert_eq!(json["figures"]["current"]["total"], expected.current);
    let markdown = std::fs::read_to_string(reports.path().join("weekly-recon-20261120T1200Z.md")).expect("md");
    assert!(markdown.contains("<svg") && markdown.contains("週次レポート"), "{markdown}");

    let posts = received.lock().expect("lock").clone();
    assert_eq!(posts.len(), 1, "one post: {posts:?}");
    let post = &posts[0];
    assert!(post["text"].as_str().expect("fallback text").contains(&format!("{}件", expected.current)), "{post}");
    let blocks = post["blocks"].as_array().expect("Block Kit blocks");
    assert_eq!(blocks[0]["type"], "header");
    assert!(post.to_string().contains("T1552.005"), "techniques are listed: {post}");

    // A webhook that refuses is a failure the command reports, without the address.
    std::fs::write(
        &config,
        "reports:\n  - report: recon\n    every: daily\n    slack_webhook: http://127.0.0.1:9/services/T000/B000/secret\n",
    )
    .expect("config");
    let data_path = data.path().to_path_buf();
    let refused = tokio::task::spawn_blocking(move || {
        run(saker(&data_path).args(["report", "deliver", "--now", saker_fixtures::DEMO_NOW]))
    })
    .await
    .expect("deliver");
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("slack webhook"), "{}", stderr(&refused));
    assert!(!stderr(&refused).contains("secret"), "{}", stderr(&refused));
}
