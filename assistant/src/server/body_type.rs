//! The content types a route that changes state accepts. A web page on another site can send a
//! cross-origin request without asking the server first only as `text/plain`, a form or
//! multipart; requiring a JSON type (or JSON Lines for alerts) refuses all three.

use axum::http::{HeaderMap, header};

use crate::server::ApiError;

/// What a route's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    /// A JSON value: `application/json` or any `+json` type.
    Json,
    /// Falco alerts: JSON, or JSON Lines (`application/x-ndjson` and its aliases).
    Alerts,
}

/// The JSON Lines media types accepted for alerts.
const JSON_LINES_TYPES: [&str; 5] = [
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/jsonlines",
    "application/x-jsonlines",
];

impl BodyType {
    /// The media types accepted, for messages.
    pub fn allowed(self) -> String {
        match self {
            BodyType::Json => "application/json".to_string(),
            BodyType::Alerts => format!("application/json or {}", JSON_LINES_TYPES.join(", ")),
        }
    }

    fn accepts(self, media_type: &str) -> bool {
        let json = media_type == "application/json" || media_type.ends_with("+json");
        match self {
            BodyType::Json => json,
            BodyType::Alerts => json || JSON_LINES_TYPES.contains(&media_type),
        }
    }
}

/// The request's media type: the `Content-Type` without parameters, lowercased.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media_type = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    (!media_type.is_empty()).then_some(media_type)
}

/// Refuses (415 `unsupported_media_type`) a body whose `Content-Type` is not `body_type`.
pub fn require(headers: &HeaderMap, body_type: BodyType) -> Result<(), ApiError> {
    let given = media_type(headers);
    match given {
        Some(media_type) if body_type.accepts(&media_type) => Ok(()),
        other => Err(ApiError::unsupported_media_type(other.as_deref(), &body_type.allowed())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().expect("header value"));
        headers
    }

    #[test]
    fn json_and_json_lines_pass_and_what_a_form_can_send_does_not() {
        assert!(require(&with("application/json"), BodyType::Json).is_ok());
        assert!(require(&with("Application/JSON; charset=utf-8"), BodyType::Json).is_ok());
        assert!(require(&with("application/x-ndjson"), BodyType::Alerts).is_ok());
        assert!(require(&with("application/x-ndjson"), BodyType::Json).is_err());
        for forged in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let error = require(&with(forged), BodyType::Alerts).expect_err(forged);
            assert_eq!(error.code, "unsupported_media_type");
            assert!(error.message.contains("application/json"), "{}", error.message);
        }
        let error = require(&HeaderMap::new(), BodyType::Json).expect_err("no content type");
        assert!(error.message.contains("no content-type"), "{}", error.message);
    }
}
