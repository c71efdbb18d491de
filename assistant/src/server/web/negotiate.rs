//! Content negotiation on `Accept`: whether a client prefers an HTML page to JSON. Browsers
//! navigating to a link send `text/html` first; `curl`, `fetch()` and API clients send `*/*`
//! or `application/json` and keep getting JSON.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;

/// True when the `Accept` header ranks `text/html` above `application/json` (a missing header,
/// `*/*` and ties answer JSON, so existing API clients are unaffected).
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(ACCEPT).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let mut html = 0.0f32;
    let mut json = 0.0f32;
    let mut wildcard = 0.0f32;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|parameter| parameter.trim().strip_prefix("q="))
            .find_map(|value| value.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(quality),
            "application/json" => json = json.max(quality),
            "*/*" => wildcard = wildcard.max(quality),
            _ => {}
        }
    }
    let json = json.max(wildcard);
    html > 0.0 && html > json
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn accept(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).expect("header"));
        prefers_html(&headers)
    }

    #[test]
    fn browsers_get_pages_and_api_clients_json() {
        assert!(accept("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"));
        assert!(accept("text/html"));
        assert!(!accept("*/*"));
        assert!(!accept("application/json"));
        assert!(!accept("application/json, text/html;q=0.5"));
        assert!(!accept("text/html;q=0"));
        assert!(!prefers_html(&HeaderMap::new()));
    }
}
