//! The frame of the server-rendered pages: the document head (local style sheets only), the
//! navigation bar shared with the chat page, and the security headers every page carries (a
//! Content-Security-Policy that allows only this server's own scripts, styles and requests, so
//! that even a missed escape could not run a script or reach another host).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::markup::html as escape;

/// The Content-Security-Policy of every page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Which section of the interface a page belongs to (highlighted in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The chat page.
    Chat,
    /// The event feed and alert details.
    Events,
    /// Reports.
    Reports,
}

/// A complete page: `title` (text), the `body` (markup built with escaped values), extra style
/// sheets and scripts under `/assets/`.
pub fn page(section: Section, title: &str, body: &str, styles: &[&str], scripts: &[&str]) -> String {
    let nav = [
        (Section::Chat, "/", "Chat"),
        (Section::Events, "/events", "Events"),
        (Section::Reports, "/reports/recon", "Reports"),
    ]
    .iter()
    .map(|(item, href, label)| {
        let current = if *item == section { " aria-current=\"page\"" } else { "" };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    })
    .collect::<Vec<_>>()
    .join("");
    let styles: String =
        styles.iter().map(|name| format!("<link rel=\"stylesheet\" href=\"/assets/{name}\">\n")).collect();
    let scripts: String =
        scripts.iter().map(|name| format!("<script src=\"/assets/{name}\" defer></script>\n")).collect();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} · Saker</title>\n<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/assets/saker.css\">\n{styles}{scripts}</head>\n<body>\n<a class=\"skip-link\" href=\"#main\">Skip to content</a>\n<header class=\"topbar\"><span class=\"brand\">Saker</span><nav class=\"mainnav\" aria-label=\"Main\">{nav}</nav></header>\n<main id=\"main\" tabindex=\"-1\">\n{body}\n</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// `html` as a response with `status` and the page headers.
pub fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    security_headers(headers);
    response
}

/// Adds the security headers of a page to `headers`.
pub fn security_headers(headers: &mut axum::http::HeaderMap) {
    headers
        .insert(HeaderName::from_static("content-security-policy"), HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff"));
    headers.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer"));
    headers.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
}

/// An error page: the status, the message (escaped) and a way back.
pub fn error_page(section: Section, status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n<p><a href=\"/events\">Event feed</a> · <a href=\"/\">Chat</a></p>",
        escape(status.canonical_reason().unwrap_or("Error")),
        escape(message)
    );
    html_response(status, page(section, status.canonical_reason().unwrap_or("Error"), &body, &[], &[]))
}
