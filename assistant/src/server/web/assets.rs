//! The chat page and the static files of the web interface, embedded in the binary with
//! `include_str!` (nothing to build, nothing fetched from elsewhere: no CDN, no web fonts).

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::layout::{html_response, security_headers};
use crate::server::ApiError;

/// The chat page.
const INDEX_HTML: &str = include_str!("assets/index.html");

/// Every file under `/assets/`: name, content type, content.
const ASSETS: [(&str, &str, &str); 8] = [
    ("saker.css", "text/css; charset=utf-8", include_str!("assets/saker.css")),
    ("report.css", "text/css; charset=utf-8", crate::report::html::STYLE),
    ("api.js", "text/javascript; charset=utf-8", include_str!("assets/api.js")),
    ("markdown.js", "text/javascript; charset=utf-8", include_str!("assets/markdown.js")),
    ("panels.js", "text/javascript; charset=utf-8", include_str!("assets/panels.js")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("assets/app.js")),
    ("feed.js", "text/javascript; charset=utf-8", include_str!("assets/feed.js")),
    ("favicon.svg", "image/svg+xml", include_str!("assets/favicon.svg")),
];

/// `GET /`: the chat page.
pub async fn chat_page() -> Response {
    html_response(StatusCode::OK, INDEX_HTML.to_string())
}

/// The content of an embedded asset, by name.
pub fn asset_text(name: &str) -> Option<&'static str> {
    ASSETS.iter().find(|(asset, _, _)| *asset == name).map(|(_, _, text)| *text)
}

/// `GET /assets/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, content_type, text)) = ASSETS.iter().find(|(asset, _, _)| *asset == name) else {
        let names: Vec<&str> = ASSETS.iter().map(|(asset, _, _)| *asset).collect();
        return ApiError::not_found("no_asset", format!("no asset {name:?}; the assets are {}", names.join(", ")))
            .into_response();
    };
    let mut response = (StatusCode::OK, *text).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(headers);
    response
}
