//! The web interface over loopback: the chat page and its assets, content negotiation at
//! `/events` (pages for browsers, the unchanged JSON for API clients), the feed page's filters,
//! sorting, paging and inline errors, the alert detail page, escaping of alert text, and the
//! report page and API. A real server on 127.0.0.1 port 0, a real HTTP client.

use std::path::Path;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use saker::conversation::{Backend, SessionStore};
use saker::planner::Planner;
use saker::server::{AppParts, AppState, ServerLimits};
use saker_tools::rules::RulesCatalog;
use saker_tools::store::index::TantivyStore;
use serde_json::{Value, json};

use super::support::{demo_index, upstream_rules};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
const SHIELD: &str = "k8s.cluster.name=risks-aws-eks-workloads-shield";

struct Server {
    base: String,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Server {
    async fn start(index_dir: &Path, mut dirs: Vec<tempfile::TempDir>) -> Server {
        let sessions_dir = tempfile::tempdir().expect("tempdir");
        let state = AppState::new(AppParts {
            store: Arc::new(TantivyStore::open(index_dir).expect("index")).into(),
            rules: Arc::new(RulesCatalog::load(&upstream_rules()).expect("rules")),
            sessions: SessionStore::open(sessions_dir.path()).await.expect("sessions"),
            backend: Backend::Planner(Planner::new()),
            ingest_log: None,
            limits: ServerLimits::default(),
        })
        .expect("state");
        let (address, stop) = super::support::serve_on_loopback(state).await;
        dirs.push(sessions_dir);
        Server { base: format!("http://{address}"), client: reqwest::Client::new(), _stop: stop, _dirs: dirs }
    }

    async fn demo() -> Server {
        Server::start(&demo_index().join("index"), Vec::new()).await
    }

    async fn empty() -> Server {
        let data = tempfile::tempdir().expect("tempdir");
        let index = data.path().join("index");
        Server::start(&index, vec![data]).await
    }

    /// GET as a browser: status, content type, body.
    async fn page(&self, path: &str) -> (StatusCode, String, String) {
        let response =
            self.client.get(format!("{}{path}", self.base)).header(ACCEPT, BROWSER_ACCEPT).send().await.expect("GET");
        let status = response.status();
        let content_type = header(&response, CONTENT_TYPE.as_str());
        (status, content_type, response.text().await.expect("body"))
    }

    /// GET as an API client (no Accept header, like curl's */*).
    async fn json(&self, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.expect("GET");
        let status = response.status();
        (status, response.json().await.expect("JSON"))
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or("").to_string()
}

fn encode(text: &str) -> String {
    saker::markup::query_value(text)
}

/// The values of `attribute` on every tag containing `marker`, in order.
fn attribute_values(html: &str, marker: &str, attribute: &str) -> Vec<String> {
    html.split(marker)
        .skip(1)
        .filter_map(|rest| {
            let tag = rest.split('>').next()?;
            let start = tag.find(&format!("{attribute}=\""))? + attribute.len() + 2;
            Some(tag[start..].split('"').next()?.to_string())
        })
        .collect()
}

/// The text of the `column`th cell (1-based) of every row of the feed table.
fn column(html: &str, column: usize) -> Vec<String> {
    let body = html.split("<tbody>").nth(1).and_then(|rest| rest.split("</tbody>").next()).unwrap_or("");
    body.split("<tr ")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td").nth(column).unwrap_or("");
            let text = cell.split_once('>').map(|(_, text)| text).unwrap_or("");
            let mut plain = String::new();
            let mut in_tag = false;
            for character in text.split("</td>").next().unwrap_or("").chars() {
                match character {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    other if !in_tag => plain.push(other),
                    _ => {}
                }
            }
            plain
        })
        .collect()
}

#[tokio::test]
async fn the_chat_page_and_its_assets_are_served_from_the_binary_with_a_strict_policy() {
    let server = Server::demo().await;
    let response = server.client.get(format!("{}/", server.base)).send().await.expect("GET /");
    assert_eq!(response.status(), StatusCode::OK);
    let policy = header(&response, "content-security-policy");
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = response.text().await.expect("body");
    for needed in ["id=\"scope\"", "id=\"question\"", "<label for=\"scope\">", "/assets/app.js", "role=\"log\""] {
        assert!(html.contains(needed), "{needed}");
    }
    // Nothing is fetched from elsewhere: every src and href is local.
    for value in attribute_values(&html, "src=", "src").iter().chain(attribute_values(&html, "href=", "href").iter()) {
        assert!(value.starts_with('/') || value.starts_with('#'), "{value}");
    }
    for (asset, kind) in [
        ("app.js", "text/javascript"),
        ("markdown.js", "text/javascript"),
        ("saker.css", "text/css"),
        ("report.css", "text/css"),
    ] {
        let response = server.client.get(format!("{}/assets/{asset}", server.base)).send().await.expect("asset");
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert!(header(&response, "content-type").starts_with(kind), "{asset}");
        let text = response.text().await.expect("text");
        assert!(
            !text.contains("http://") && !text.contains("https://") || asset == "markdown.js",
            "{asset} names no remote host"
        );
    }
    let (status, body) = server.json("/assets/nothing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]["message"].as_str().expect("message").contains("app.js"), "{body}");
}

#[tokio::test]
async fn events_is_a_page_for_browsers_and_the_same_json_for_api_clients() {
    let server = Server::demo().await;
    let query = format!("/events?scope={}&limit=5", encode(SHIELD));
    let (status, json) = server.json(&query).await;
    assert_eq!(status, StatusCode::OK);
    let (_, v1) = server.json(&format!("/v1{query}")).await;
    assert_eq!(json, v1, "/events and /v1/events answer API clients alike");
    assert_eq!(json["total"], 300);

    let (status, content_type, html) = server.page(&query).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(html.contains(&format!("value=\"{SHIELD}\"")), "the filter is pre-applied in the form");
    assert!(html.contains(&format!("data-filter=\"scope\">{SHIELD}</code>")));
    assert!(html.contains("data-total=\"300\""));
    let ids = attribute_values(&html, "<tr ", "data-id");
    let expected: Vec<String> = json["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|alert| alert["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(ids, expected, "the page lists the same alerts in the same order as the JSON");
    assert!(html.contains("rel=\"next\""), "more pages follow");
    assert!(html.contains("aria-sort=\"descending\""), "newest first, marked for assistive technology");

    // The second page.
    let (_, _, second) = server.page(&format!("{query}&offset=5")).await;
    assert!(second.contains("Showing 6–10 of 300 alerts"), "paged");
    assert!(second.contains("rel=\"prev\""));
}

#[tokio::test]
async fn the_feed_sorts_by_any_column_across_pages() {
    let server = Server::demo().await;
    let (_, _, html) = server.page(&format!("/events?scope={}&sort=rule&order=asc&limit=500", encode(SHIELD))).await;
    let rules = column(&html, 3);
    assert_eq!(rules.len(), 300);
    let mut sorted = rules.clone();
    sorted.sort();
    assert_eq!(rules, sorted, "rules ascending");
    assert!(html.contains("data-column=\"rule\"") && html.contains("aria-sort=\"ascending\""));

    let (_, _, html) = server.page(&format!("/events?scope={}&sort=priority&limit=20", encode(SHIELD))).await;
    let priorities = column(&html, 2);
    assert!(
        priorities.iter().take(20).all(|priority| priority == "critical" || priority == "Critical"),
        "{priorities:?}"
    );
    let (_, _, last_page) =
        server.page(&format!("/events?scope={}&sort=priority&limit=20&offset=280", encode(SHIELD))).await;
    assert!(
        column(&last_page, 2).iter().all(|priority| priority.eq_ignore_ascii_case("notice")),
        "the least severe last"
    );
}

#[tokio::test]
async fn bad_filters_are_shown_next_to_their_field() {
    let server = Server::demo().await;
    let (status, _, html) = server.page(&format!("/events?scope={}", encode("k8s.ns.name in ("))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"scope\" name=\"scope\" value=\"k8s.ns.name in (\""), "the input keeps what was typed");
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"scope-hint scope-error\""), "{html}");
    assert!(html.contains("<p class=\"field-error\" id=\"scope-error\">"));

    let (status, _, html) = server.page("/events?since=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"since-error\""), "time errors sit under the time fields");
    let (status, _, html) = server.page("/events?sort=colour").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("allowed time, priority, rule"), "{html}");

    // API clients keep their JSON errors.
    let (status, body) = server.json(&format!("/events?scope={}", encode("k8s.ns.name in ("))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_scope");
}

#[tokio::test]
async fn the_alert_page_shows_ancestry_rule_mitre_and_every_field() {
    let server = Server::demo().await;
    let scope = "k8s.ns.name=risk-10-aws-bedrock-java and proc.name=curl";
    let (_, json) = server.json(&format!("/v1/events?scope={}&limit=1", encode(scope))).await;
    let alert = &json["alerts"][0];
    let id = alert["id"].as_str().expect("id");
    let (status, _, html) = server.page(&format!("/events/{id}?back={}", encode("/events?scope=x"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Launch Ingress Remote File Copy Tools in Container</h1>"), "the rule is the title");
    assert!(html.contains("href=\"/events?scope=x\""), "back to the feed it came from");
    // Ancestry: the entrypoint script, the parent, the process.
    assert!(html.contains("<code>bash ./malicious-bin-event-gen.sh</code>"), "the parent's command line");
    assert!(html.contains("<span class=\"level\">ancestor 2</span> <code>bash</code>"));
    // The rule from the loaded Falco rules, and the MITRE mapping with names.
    assert!(html.contains("<dt>Condition</dt>") && html.contains("_rules.yaml:"), "the rule text and its file");
    for technique in alert["dimensions"]["mitre_techniques"].as_array().expect("techniques") {
        let technique = technique.as_str().expect("id");
        let name = saker_tools::mitre::technique(technique).expect("known technique").full_name();
        assert!(html.contains(technique) && html.contains(&saker::markup::html(&name)), "{technique}");
    }
    // Every output field.
    for key in alert["output_fields"].as_object().expect("fields").keys() {
        assert!(html.contains(&format!("<code>{}</code></th>", saker::markup::html(key))), "{key}");
    }
    // JSON for API clients; 404s for unknown ids in both.
    let (status, body) = server.json(&format!("/events/{id}")).await;
    assert_eq!((status, body["id"].as_str()), (StatusCode::OK, Some(id)));
    let (status, _, _) = server.page("/events/no-such-alert").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A `back` that leaves the feed is not followed.
    let (_, _, html) = server.page(&format!("/events/{id}?back={}", encode("https://elsewhere.example/"))).await;
    assert!(!html.contains("elsewhere.example") && html.contains("href=\"/events\""));
}

#[tokio::test]
async fn alert_text_is_shown_as_text_in_the_feed_and_the_detail() {
    let server = Server::empty().await;
    let evil = json!({
        "time": "2026-11-20T10:00:00.000000000Z",
        "rule": "Terminal shell in container",
        "priority": "Notice",
        "source": "syscall",
        "tags": ["container", "shell", "mitre_execution", "T1059"],
        "output": "shell <img src=x onerror=alert(1)>",
        "output_fields": {
            "k8s.cluster.name": "xss-lab",
            "k8s.ns.name": "<script>alert(2)</script>",
            "proc.name": "\"><svg onload=alert(3)>",
            "proc.cmdline": "bash -c '</code></td><script>alert(4)</script>'",
            "<b>field</b>": "x"
        }
    });
    let response = server.client.post(format!("{}/v1/events", server.base)).json(&evil).send().await.expect("ingest");
    assert_eq!(response.status(), StatusCode::OK);
    let (_, _, feed) = server.page("/events?scope=k8s.cluster.name%3Dxss-lab").await;
    let (_, json) = server.json("/v1/events?scope=k8s.cluster.name%3Dxss-lab").await;
    let id = json["alerts"][0]["id"].as_str().expect("id").to_string();
    let (_, _, detail) = server.page(&format!("/events/{id}")).await;
    for html in [&feed, &detail] {
        for injected in ["<script>alert", "<img src=x", "<svg onload", "<b>field"] {
            assert!(!html.contains(injected), "{injected} was injected");
        }
        assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "shown as text");
    }
    assert!(detail.contains("shell &lt;img src=x onerror=alert(1)&gt;"));
}

#[tokio::test]
async fn the_report_page_and_api_agree_and_explain_bad_options() {
    let server = Server::demo().await;
    let now = saker_fixtures::DEMO_NOW;
    let (status, report) = server.json(&format!("/v1/reports/recon?now={now}&last=7d")).await;
    assert_eq!(status, StatusCode::OK);
    let current = report["figures"]["current"]["total"].as_u64().expect("total");
    assert_eq!(current, 68, "the weekly reconnaissance figure of the demo data");

    let (status, content_type, html) = server.page(&format!("/reports/recon?now={now}&lang=ja")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(html.contains("data-figure=\"current-total\" href=\"/events?"));
    assert!(html.contains(&format!(">{current}</a>")), "the page shows the API's figure");
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"saker-chart\""), "the chart is inline");
    assert!(html.contains("偵察活動（Reconnaissance）週次レポート"));
    assert!(html.contains("format=md") && html.contains("format=svg"), "downloads in every format");

    for (format, kind) in
        [("md", "text/markdown"), ("svg", "image/svg+xml"), ("html", "text/html"), ("json", "application/json")]
    {
        let response = server
            .client
            .get(format!("{}/v1/reports/recon?now={now}&format={format}", server.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert!(header(&response, "content-type").starts_with(kind), "{format}");
    }

    let (status, _, html) =
        server.page(&format!("/reports/recon?now={now}&scope={}", encode("k8s.ns.name in ("))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"report-scope-error\""), "the scope error sits under the scope field");
    let (status, body) = server.json("/v1/reports/recon?format=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().expect("message").contains("md, html, json, svg"));
    let (status, body) = server.json("/v1/reports/recon?last=forever").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
