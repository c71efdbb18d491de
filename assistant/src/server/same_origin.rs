//! Refuses cross-site requests that could change state: any method but `GET`, `HEAD` and
//! `OPTIONS` is refused when the browser says it comes from another site (`Sec-Fetch-Site`
//! other than `same-origin` or `none`) or names an `Origin` other than the server's own (the
//! scheme-less `Host` it was sent to). A web page elsewhere, another loopback port included,
//! then cannot make the local user's browser ask, ingest, propose or approve; clients that are
//! not browsers (curl, Falco, falcosidekick) send neither header and are unaffected.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::ApiError;

/// The `Sec-Fetch-Site` values of a request the page itself (or the user) made.
const SAME_SITE_FETCHES: [&str; 2] = ["same-origin", "none"];

/// Why a request is refused as cross-site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrossSite {
    /// `Sec-Fetch-Site` said so (the value).
    FetchSite(String),
    /// `Origin` names another origin (the origin and the host the request was sent to).
    Origin {
        /// The `Origin` header.
        origin: String,
        /// The `Host` header (empty when absent).
        host: String,
    },
}

/// Whether a method can change state.
fn may_change_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The authority (`host[:port]`) of an origin such as `http://127.0.0.1:7878`, with the
/// scheme's default port dropped; `None` for `null` or anything that is not an origin.
fn origin_authority(origin: &str) -> Option<(String, &'static str)> {
    let (scheme, rest) = origin.split_once("://")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let authority = rest.to_ascii_lowercase();
    Some((authority.strip_suffix(default_port).map(str::to_string).unwrap_or(authority), default_port))
}

/// Checks a request's `Sec-Fetch-Site` and `Origin` against the `Host` it was sent to.
pub fn check(method: &Method, headers: &HeaderMap) -> Result<(), CrossSite> {
    if !may_change_state(method) {
        return Ok(());
    }
    let text =
        |name: header::HeaderName| headers.get(name).map(|value| value.to_str().unwrap_or("").trim().to_string());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site"))
        && !SAME_SITE_FETCHES.iter().any(|allowed| site.eq_ignore_ascii_case(allowed))
    {
        return Err(CrossSite::FetchSite(site));
    }
    if let Some(origin) = text(header::ORIGIN) {
        let host = text(header::HOST).unwrap_or_default();
        let same = origin_authority(&origin).is_some_and(|(authority, default_port)| {
            let host = host.to_ascii_lowercase();
            let host = host.strip_suffix(default_port).unwrap_or(&host);
            !host.is_empty() && authority == host
        });
        if !same {
            return Err(CrossSite::Origin { origin, host });
        }
    }
    Ok(())
}

/// The middleware: answers 403 `cross_site_request` to a cross-site request that could change
/// state.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if let Err(refusal) = check(request.method(), request.headers()) {
        tracing::info!(method = %request.method(), path = request.uri().path(), ?refusal, "cross-site request refused");
        return ApiError::cross_site(&refusal).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().expect("header value"));
        }
        headers
    }

    #[test]
    fn the_page_itself_and_non_browsers_pass() {
        let post = Method::POST;
        assert_eq!(check(&post, &headers(&[])), Ok(()));
        assert_eq!(check(&post, &headers(&[("host", "127.0.0.1:7878")])), Ok(()));
        let page = headers(&[
            ("host", "127.0.0.1:7878"),
            ("origin", "http://127.0.0.1:7878"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(check(&post, &page), Ok(()));
        let proxied = headers(&[("host", "saker.example.com"), ("origin", "https://saker.example.com")]);
        assert_eq!(check(&post, &proxied), Ok(()));
        let default_port = headers(&[("host", "localhost:80"), ("origin", "http://localhost")]);
        assert_eq!(check(&post, &default_port), Ok(()));
    }

    #[test]
    fn other_sites_and_other_loopback_ports_are_refused() {
        let post = Method::POST;
        let evil = headers(&[("host", "127.0.0.1:7878"), ("origin", "http://evil.example")]);
        assert!(matches!(check(&post, &evil), Err(CrossSite::Origin { .. })));
        let other_port = headers(&[("host", "127.0.0.1:7878"), ("origin", "http://127.0.0.1:9999")]);
        assert!(matches!(check(&post, &other_port), Err(CrossSite::Origin { .. })));
        let null = headers(&[("host", "127.0.0.1:7878"), ("origin", "null")]);
        assert!(matches!(check(&post, &null), Err(CrossSite::Origin { .. })));
        for site in ["cross-site", "same-site"] {
            let fetch = headers(&[("host", "127.0.0.1:7878"), ("sec-fetch-site", site)]);
            assert_eq!(check(&post, &fetch), Err(CrossSite::FetchSite(site.to_string())));
        }
        // Reading is not refused: a link from elsewhere may open the event feed.
        assert_eq!(check(&Method::GET, &evil), Ok(()));
    }
}
