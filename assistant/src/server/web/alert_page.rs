//! `GET /events/{id}`: one alert. Browsers get its detail page: the output line, the process
//! and its ancestry (from `proc.*` and `proc.aname[n]`/`proc.apid[n]`), the rule as the loaded
//! Falco rules define it, the MITRE ATT&CK mapping with names, the Kubernetes and container
//! context, and every output field as Falco wrote it. API clients get the alert as JSON.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use saker_tools::alert::{Alert, field_value_text};
use saker_tools::mitre;
use serde::Deserialize;

use super::layout::{Section, error_page, html_response, page};
use super::negotiate::prefers_html;
use crate::markup::{html as escape, query_string};
use crate::server::{ApiError, AppState};

/// Query of the detail page.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// The feed page to go back to (a path under `/events`).
    pub back: Option<String>,
}

/// `GET /events/{id}`.
pub async fn alert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<AlertQuery>, QueryRejection>,
) -> Response {
    let html = prefers_html(&headers);
    let store = state.store().clone();
    let lookup = id.clone();
    let found = tokio::task::spawn_blocking(move || store.get(&[lookup])).await;
    let alert = match found {
        Ok(Ok(mut alerts)) if !alerts.is_empty() => alerts.swap_remove(0),
        Ok(Ok(_)) => {
            let message = format!("no alert has the id {id:?}");
            return if html {
                error_page(Section::Events, StatusCode::NOT_FOUND, &message)
            } else {
                ApiError::not_found("alert_not_found", message).into_response()
            };
        }
        Ok(Err(error)) => return respond_error(html, ApiError::from(error)),
        Err(error) => return respond_error(html, ApiError::from(error)),
    };
    if !html {
        return Json(alert).into_response();
    }
    let back = match query {
        Ok(Query(query)) => query.back.filter(|back| back.starts_with("/events") && !back.starts_with("//")),
        Err(_) => None,
    }
    .unwrap_or_else(|| "/events".to_string());
    let rules = state.orchestrator().rules().clone();
    let body = render(&alert, rules.rule(&alert.rule), &back);
    html_response(StatusCode::OK, page(Section::Events, &alert.rule, &body, &[], &[]))
}

fn respond_error(html: bool, error: ApiError) -> Response {
    if html { error_page(Section::Events, error.status, &error.message) } else { error.into_response() }
}

fn row(label: &str, value: Option<&str>) -> String {
    match value {
        Some(value) if !value.is_empty() => {
            format!("<dt>{}</dt><dd><code>{}</code></dd>", escape(label), escape(value))
        }
        _ => String::new(),
    }
}

/// The detail page's body.
pub fn render(alert: &Alert, rule: Option<&saker_tools::rules::Rule>, back: &str) -> String {
    let dimensions = &alert.dimensions;
    let process = &dimensions.process;
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(&format!("<p class=\"breadcrumb\"><a href=\"{}\">← Back to the event feed</a></p>\n", escape(back)));
    out.push_str(&format!(
        "<article class=\"alert-detail\" data-id=\"{}\">\n<h1>{}</h1>\n<p class=\"alert-meta\"><span class=\"priority priority-{}\">{}</span> <time datetime=\"{}\">{}</time> · source <code>{}</code> · host <code>{}</code> · id <code>{}</code></p>\n",
        escape(&alert.id),
        escape(&alert.rule),
        escape(&alert.priority.as_str().to_ascii_lowercase()),
        escape(alert.priority.as_str()),
        escape(&alert.time.to_rfc3339()),
        escape(&alert.time.format("%Y-%m-%d %H:%M:%S%.9f UTC").to_string()),
        escape(&alert.source),
        escape(if alert.hostname.is_empty() { "-" } else { &alert.hostname }),
        escape(&alert.id),
    ));
    let ask = format!(
        "/{}",
        query_string(&[
            ("q", &format!("Explain alert {}", alert.id)),
            (
                "scope",
                &dimensions
                    .cluster
                    .as_ref()
                    .map(|cluster| format!("k8s.cluster.name={}", crate::conversation::quote_value(cluster)))
                    .unwrap_or_default()
            ),
        ])
    );
    out.push_str(&format!("<p><a class=\"button\" href=\"{}\">Ask Saker about this alert</a></p>\n", escape(&ask)));
    out.push_str(&format!("<section aria-labelledby=\"output-heading\"><h2 id=\"output-heading\">Output</h2><pre class=\"output\"><code>{}</code></pre></section>\n", escape(&alert.output)));

    // Process ancestry, outermost ancestor first.
    out.push_str("<section aria-labelledby=\"ancestry-heading\"><h2 id=\"ancestry-heading\">Process ancestry</h2>\n<ol class=\"ancestry\">\n");
    let mut ancestors = process.ancestors.clone();
    ancestors.sort_by_key(|ancestor| std::cmp::Reverse(ancestor.level));
    for ancestor in &ancestors {
        out.push_str(&format!(
            "<li><span class=\"level\">ancestor {}</span> <code>{}</code>{}</li>\n",
            ancestor.level,
            escape(ancestor.name.as_deref().unwrap_or("?")),
            ancestor.pid.map(|pid| format!(" <span class=\"pid\">pid {pid}</span>")).unwrap_or_default()
        ));
    }
    if process.pname.is_some() || process.ppid.is_some() || process.pcmdline.is_some() {
        out.push_str(&format!(
            "<li><span class=\"level\">parent</span> <code>{}</code>{}{}</li>\n",
            escape(process.pname.as_deref().unwrap_or("?")),
            process.ppid.map(|pid| format!(" <span class=\"pid\">pid {pid}</span>")).unwrap_or_default(),
            process
                .pcmdline
                .as_deref()
                .map(|cmdline| format!("<br><code class=\"cmdline\">{}</code>", escape(cmdline)))
                .unwrap_or_default()
        ));
    }
    out.push_str(&format!(
        "<li class=\"self\" aria-current=\"true\"><span class=\"level\">process</span> <code>{}</code>{}{}{}</li>\n</ol>\n",
        escape(process.name.as_deref().unwrap_or("?")),
        process.pid.map(|pid| format!(" <span class=\"pid\">pid {pid}</span>")).unwrap_or_default(),
        process.cmdline.as_deref().map(|cmdline| format!("<br><code class=\"cmdline\">{}</code>", escape(cmdline))).unwrap_or_default(),
        process.exepath.as_deref().map(|path| format!("<br><span class=\"exepath\">exe <code>{}</code></span>", escape(path))).unwrap_or_default(),
    ));
    if ancestors.is_empty() && process.pname.is_none() {
        out.push_str("<p class=\"note\">Falco recorded no ancestry for this alert: add <code>proc.pname</code>, <code>proc.aname[2]</code> … to <code>append_output</code> in falco.yaml.</p>\n");
    }
    out.push_str("</section>\n");

    // The rule.
    out.push_str("<section aria-labelledby=\"rule-heading\"><h2 id=\"rule-heading\">Rule</h2>\n");
    match rule {
        Some(rule) => {
            out.push_str(&format!(
                "<p>{}</p>\n<dl class=\"rule\">{}{}{}<dt>Condition</dt><dd><pre><code>{}</code></pre></dd><dt>Output</dt><dd><pre><code>{}</code></pre></dd><dt>Defined in</dt><dd><code>{}:{}</code></dd></dl>\n",
                escape(rule.desc.trim()),
                row("Priority", Some(rule.priority.as_str())),
                row("Source", Some(&rule.source)),
                row("Tags", Some(&rule.tags.join(", "))),
                escape(rule.condition.trim()),
                escape(rule.output.trim()),
                escape(&rule.file.display().to_string()),
                rule.line
            ));
            if !rule.exceptions.is_empty() {
                let names: Vec<String> = rule.exceptions.iter().map(|exception| format!("<code>{}</code>", escape(&exception.name))).collect();
                out.push_str(&format!("<p>Exceptions: {}</p>\n", names.join(", ")));
            }
        }
        None => out.push_str(&format!(
            "<p class=\"note\">The rule is not in the Falco rules this server loaded (<code>--rules</code> or the config's <code>rules:</code>). Tags on the alert: <code>{}</code></p>\n",
            escape(&alert.tags.join(", "))
        )),
    }
    out.push_str("</section>\n");

    // MITRE ATT&CK.
    out.push_str("<section aria-labelledby=\"mitre-heading\"><h2 id=\"mitre-heading\">MITRE ATT&amp;CK</h2>\n");
    if dimensions.mitre_tactics.is_empty() && dimensions.mitre_techniques.is_empty() {
        out.push_str("<p class=\"note\">The rule's tags name no ATT&amp;CK tactic or technique.</p>\n");
    } else {
        out.push_str("<table class=\"mitre\"><thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">ID</th><th scope=\"col\">Name</th></tr></thead><tbody>\n");
        for id in &dimensions.mitre_tactics {
            let tactic = mitre::tactic(id);
            out.push_str(&format!(
                "<tr><td>Tactic</td><td>{}</td><td>{}</td></tr>\n",
                link(id, tactic.map(mitre::Tactic::url)),
                escape(tactic.map(|tactic| tactic.name.as_str()).unwrap_or("–"))
            ));
        }
        for id in &dimensions.mitre_techniques {
            let technique = mitre::technique(id);
            out.push_str(&format!(
                "<tr><td>Technique</td><td>{}</td><td>{}</td></tr>\n",
                link(id, technique.map(mitre::Technique::url)),
                escape(&technique.map(mitre::Technique::full_name).unwrap_or_else(|| "–".to_string()))
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");

    // Context.
    out.push_str("<section aria-labelledby=\"context-heading\"><h2 id=\"context-heading\">Kubernetes and container</h2><dl class=\"context\">");
    out.push_str(&row("Cluster", dimensions.cluster.as_deref()));
    out.push_str(&row("Namespace", dimensions.namespace.as_deref()));
    let workload = dimensions.workload.as_ref().map(|workload| match &workload.kind {
        Some(kind) => format!("{} ({kind})", workload.name),
        None => workload.name.clone(),
    });
    out.push_str(&row("Workload", workload.as_deref()));
    out.push_str(&row("Pod", dimensions.pod.as_deref()));
    out.push_str(&row("Container", dimensions.container_name.as_deref()));
    out.push_str(&row("Container id", dimensions.container_id.as_deref()));
    let image = dimensions.image.as_ref().map(|image| match &dimensions.image_tag {
        Some(tag) => format!("{image}:{tag}"),
        None => image.clone(),
    });
    out.push_str(&row("Image", image.as_deref()));
    out.push_str(&row("User", dimensions.user.as_deref()));
    out.push_str(&row("File", dimensions.file.as_deref()));
    out.push_str(&row("Tools recognised", Some(&dimensions.tools.join(", "))));
    out.push_str("</dl></section>\n");

    // Every output field.
    out.push_str(&format!(
        "<section aria-labelledby=\"fields-heading\"><h2 id=\"fields-heading\">Output fields ({})</h2>\n<table class=\"fields\"><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Value</th></tr></thead><tbody>\n",
        alert.output_fields.len()
    ));
    let mut keys: Vec<&String> = alert.output_fields.keys().collect();
    keys.sort();
    for key in keys {
        let value = alert.output_fields.get(key).and_then(field_value_text);
        out.push_str(&format!(
            "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td></tr>\n",
            escape(key),
            value
                .map(|value| format!("<code>{}</code>", escape(&value)))
                .unwrap_or_else(|| "<span class=\"null\">null</span>".to_string())
        ));
    }
    out.push_str(&format!(
        "</tbody></table>\n<p class=\"note\">Tags: <code>{}</code></p></section>\n</article>",
        escape(&alert.tags.join(", "))
    ));
    out
}

fn link(id: &str, url: Option<String>) -> String {
    match url {
        Some(url) => format!("<a href=\"{}\" rel=\"noreferrer noopener\">{}</a>", escape(&url), escape(id)),
        None => escape(id),
    }
}
