//! The API's one error type: every failure a handler can meet (conversation, store, tool,
//! request body or query) maps here to an HTTP status, a stable code and a message, sent as
//! `{"error": {"code", "message"}}`. Internal details (paths, database errors) are logged, never
//! sent to the client.

use axum::Json;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use saker_tools::analytics::ToolError;
use saker_tools::store::{Interruption, StoreError};
use serde_json::json;

use crate::conversation::ConversationError;

/// What clients are told instead of an internal error's details.
const INTERNAL_MESSAGE: &str = "the server failed to complete the request; the server log has the details";

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code (`invalid_scope`, `session_not_found`, ...).
    pub code: &'static str,
    /// What was wrong and what is allowed, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    /// 400 with a code and a message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 with a code and a message.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500 whose details go to the log only.
    pub fn internal(code: &'static str, details: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(code, details = %details, "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code, INTERNAL_MESSAGE)
    }

    /// The JSON body: `{"error": {"code", "message"}}`.
    pub fn body(&self) -> serde_json::Value {
        json!({ "error": { "code": self.code, "message": self.message } })
    }

    /// The body-too-large answer for a limit of `limit_bytes`.
    pub fn body_too_large(limit_bytes: usize) -> ApiError {
        let limit = if limit_bytes >= 1024 * 1024 {
            format!("{} MiB", limit_bytes / (1024 * 1024))
        } else {
            format!("{limit_bytes} bytes")
        };
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than the limit of {limit}; send the alerts in several requests"),
        )
    }

    /// 415: the body's content type (`None`: none given) is not one the route accepts.
    pub fn unsupported_media_type(given: Option<&str>, allowed: &str) -> ApiError {
        let given =
            given.map_or_else(|| "no content-type".to_string(), |media_type| format!("content-type {media_type}"));
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("{given} is not accepted here (allowed: {allowed}); e.g. curl -H 'content-type: application/json'"),
        )
    }

    /// 403: a token-less server asked under a host name that is not loopback (DNS rebinding).
    pub fn host_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "without API tokens the server answers only requests to a loopback host name (allowed: localhost, 127.0.0.1, [::1])",
        )
    }

    /// 401: no valid API token was presented (the answer carries `WWW-Authenticate: Bearer`).
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server needs an API token: send Authorization: Bearer <token>",
        )
    }

    /// 401: a handler that needs the caller's principal ran without one.
    pub fn no_principal() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "no principal")
    }

    /// 403: the caller's role does not allow the request (`refusal` says which role would).
    pub fn forbidden(refusal: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", refusal)
    }

    /// 503: the server was started without a response action ledger.
    pub fn actions_unavailable() -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "actions_unavailable", "this server records no response actions")
    }

    /// 403: a cross-site request that could change state.
    pub fn cross_site(refusal: &crate::server::same_origin::CrossSite) -> ApiError {
        use crate::server::same_origin::CrossSite;
        let reason = match refusal {
            CrossSite::FetchSite(site) => format!("Sec-Fetch-Site is {site:?}"),
            CrossSite::Origin { origin, host } => format!("Origin {origin:?} is not this server ({host:?})"),
        };
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            format!(
                "{reason}: a request that can change state is accepted only from this server's own pages \
                 (allowed: Sec-Fetch-Site same-origin or none, an Origin equal to the Host) or from a client that is not a browser"
            ),
        )
    }

    /// Parses a JSON request body into `T`: a syntax error is `invalid_json`, a body of the
    /// wrong shape (an unknown field, a missing one, a wrong type, a key repeated in one object)
    /// `invalid_request`, both 400 with serde's message naming the field, line and column.
    pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
        saker_tools::json::from_slice_unique(body).and_then(|_| serde_json::from_slice(body)).map_err(|error| {
            match error.classify() {
                serde_json::error::Category::Data => {
                    ApiError::bad_request("invalid_request", format!("request body: {error}"))
                }
                _ => ApiError::bad_request("invalid_json", format!("the request body is not valid JSON: {error}")),
            }
        })
    }

    /// The error for a request body that could not be read (413 when over `limit_bytes`).
    pub fn from_body_rejection(rejection: &BytesRejection, limit_bytes: usize) -> ApiError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::body_too_large(limit_bytes)
        } else {
            ApiError::bad_request(
                "invalid_body",
                format!("the request body could not be read: {}", rejection.body_text()),
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ConversationError> for ApiError {
    fn from(error: ConversationError) -> ApiError {
        let code = error.code();
        match &error {
            ConversationError::InvalidScope(_)
            | ConversationError::InvalidTime(_)
            | ConversationError::InvalidRequest(_) => ApiError::bad_request(code, error.to_string()),
            ConversationError::SessionNotFound(_) => ApiError::not_found(code, error.to_string()),
            ConversationError::LlmUnreachable { .. } | ConversationError::Llm(_) => {
                tracing::warn!(code, details = %error, "language model failed");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    code,
                    "the language model failed; the server log has the details",
                )
            }
            ConversationError::Database(_)
            | ConversationError::Migration(_)
            | ConversationError::Corrupt(_)
            | ConversationError::Template { .. }
            | ConversationError::Internal(_) => ApiError::internal(code, &error),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match &error {
            StoreError::Locked { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "index_locked",
                "another process (a `saker ingest`) is writing the event store; retry when it has finished",
            ),
            StoreError::Interrupted(interruption @ Interruption::Deadline { .. }) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "deadline_exceeded", interruption.to_string())
            }
            StoreError::Interrupted(Interruption::Cancelled) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "cancelled", Interruption::Cancelled.to_string())
            }
            StoreError::TextQuery { query, problem } => {
                ApiError::bad_request("invalid_query", format!("text query {query:?}: {problem}"))
            }
            _ => ApiError::internal("storage", &error),
        }
    }
}

impl From<ToolError> for ApiError {
    fn from(error: ToolError) -> ApiError {
        match error {
            ToolError::UnknownTool { .. } => ApiError::not_found("unknown_tool", error.to_string()),
            ToolError::InvalidArguments { .. } => ApiError::bad_request("invalid_arguments", error.to_string()),
            ToolError::Scope(_) => ApiError::bad_request("invalid_scope", error.to_string()),
            ToolError::TimeRange(_) => ApiError::bad_request("invalid_time", error.to_string()),
            ToolError::NotFound(_) => ApiError::not_found("not_found", error.to_string()),
            ToolError::Store(store) => ApiError::from(store),
            other => ApiError::internal("tool", &other),
        }
    }
}

impl From<crate::actions::ActionError> for ApiError {
    fn from(error: crate::actions::ActionError) -> ApiError {
        use crate::actions::ActionError;
        match error {
            ActionError::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            ActionError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "action_conflict", message),
            ActionError::NotFound(message) => ApiError::not_found("action_not_found", message),
            ActionError::Invalid(message) => ApiError::bad_request("invalid_request", message),
            ActionError::Ledger(error) => ApiError::internal("storage", &error),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> ApiError {
        ApiError::internal("internal", &error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::ChatRequest;

    #[test]
    fn access_refusals_have_their_statuses_and_only_401_asks_for_a_bearer_token() {
        let cases = [
            (ApiError::host_not_allowed(), StatusCode::FORBIDDEN, "host_not_allowed"),
            (ApiError::unauthorized(), StatusCode::UNAUTHORIZED, "unauthorized"),
            (ApiError::no_principal(), StatusCode::UNAUTHORIZED, "unauthorized"),
            (ApiError::forbidden("viewers may only ask"), StatusCode::FORBIDDEN, "forbidden"),
            (ApiError::actions_unavailable(), StatusCode::SERVICE_UNAVAILABLE, "actions_unavailable"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status, error.code), (status, code));
            let response = error.into_response();
            let challenge = response.headers().get(header::WWW_AUTHENTICATE).map(|value| value.as_bytes().to_vec());
            let expected = (status == StatusCode::UNAUTHORIZED).then(|| b"Bearer".to_vec());
            assert_eq!(challenge, expected, "{code}");
        }
    }

    #[test]
    fn conversation_errors_map_to_client_and_server_statuses() {
        let bad_scope = ApiError::from(ConversationError::InvalidScope("\"a in (\": unexpected end".into()));
        assert_eq!((bad_scope.status, bad_scope.code), (StatusCode::BAD_REQUEST, "invalid_scope"));
        let unknown = ApiError::from(ConversationError::SessionNotFound("s".into()));
        assert_eq!((unknown.status, unknown.code), (StatusCode::NOT_FOUND, "session_not_found"));
        let internal = ApiError::from(ConversationError::Internal("/var/lib/saker/secret path".into()));
        assert_eq!(internal.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.message.contains("/var/lib"), "internals leak: {}", internal.message);
    }

    #[test]
    fn json_bodies_name_the_unknown_field_or_the_syntax_error() {
        let error = ApiError::parse_json::<ChatRequest>(br#"{"message": "hi", "sesion_id": "x"}"#).expect_err("typo");
        assert_eq!(error.code, "invalid_request");
        assert!(error.message.contains("sesion_id"), "{}", error.message);
        let error = ApiError::parse_json::<ChatRequest>(b"{\"message\": ").expect_err("truncated");
        assert_eq!(error.code, "invalid_json");
        assert!(error.message.contains("line 1"), "{}", error.message);
        let error =
            ApiError::parse_json::<ChatRequest>(b"{\"message\": \"hi\", \"message\": \"kill\"}").expect_err("repeated");
        assert_eq!(error.code, "invalid_request");
        assert!(error.message.contains("duplicate key \"message\" at line 1"), "{}", error.message);
        let body = ApiError::bad_request("x", "y").body();
        assert_eq!(body, json!({"error": {"code": "x", "message": "y"}}));
    }
}
