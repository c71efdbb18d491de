//! `POST /v1/exceptions/validate`: validates Falco exceptions against the server's rules. The
//! body is the rules YAML itself (any content type but JSON), or JSON `{"yaml": "..."}` or
//! `{"exception": {...}}` (the structured item; problems are located by JSON pointer), with an
//! optional `falco_version` in the JSON or the query. The answer is 200 with the report, valid or
//! not; a body that is neither is 400.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use saker_tools::exceptions::validate::{
    FalcoVersion, ValidationOptions, ValidationReport, validate_exception_value, validate_yaml,
};
use serde::Deserialize;
use serde_json::Value;

use crate::server::{ApiError, AppState};

/// Query of `POST /v1/exceptions/validate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateQuery {
    /// The Falco release to validate for (`0.44.0`); default the newest Saker knows.
    pub falco_version: Option<String>,
}

/// A JSON body: exactly one of `yaml` or `exception`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    yaml: Option<String>,
    exception: Option<Value>,
    falco_version: Option<String>,
}

/// What to validate.
enum Input {
    Yaml(String),
    Structured(Value),
}

/// `POST /v1/exceptions/validate`: the validation report (200 whether valid or not).
pub async fn validate(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ValidateQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ValidationReport>, ApiError> {
    let Query(query) = query?;
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    let (input, body_version) = read_input(&headers, &body)?;
    let version = match (query.falco_version, body_version) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "falco_version is given both in the query and in the body; give it once",
            ));
        }
        (Some(text), None) | (None, Some(text)) => text
            .parse::<FalcoVersion>()
            .map_err(|error| ApiError::bad_request("invalid_falco_version", error.to_string()))?,
        (None, None) => FalcoVersion::default(),
    };
    let options = ValidationOptions { falco_version: version, falco_schema: None };
    let rules = state.orchestrator().rules().clone();
    let report = tokio::task::spawn_blocking(move || match input {
        Input::Yaml(text) => validate_yaml(&text, &rules, &options),
        Input::Structured(value) => validate_exception_value(&value, &rules, &options),
    })
    .await?;
    Ok(Json(report))
}

fn read_input(headers: &HeaderMap, body: &Bytes) -> Result<(Input, Option<String>), ApiError> {
    let declared_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|content_type| content_type.starts_with("application/json") || content_type.contains("+json"));
    let envelope = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(|value| value.get("yaml").is_some() || value.get("exception").is_some());
    if declared_json || envelope.is_some() {
        let parsed: ValidateBody = ApiError::parse_json(body)?;
        let input = match (parsed.yaml, parsed.exception) {
            (Some(yaml), None) => Input::Yaml(yaml),
            (None, Some(exception)) => Input::Structured(exception),
            (yaml, _) => {
                let given = if yaml.is_some() { "both were given" } else { "neither was given" };
                return Err(ApiError::bad_request(
                    "invalid_request",
                    format!(
                        "a JSON body holds exactly one of `yaml` (the rules YAML as text) or `exception` (the structured item); {given}"
                    ),
                ));
            }
        };
        return Ok((input, parsed.falco_version));
    }
    let text = std::str::from_utf8(body).map_err(|error| {
        ApiError::bad_request(
            "invalid_body",
            format!("the request body is not UTF-8 text ({error}); send the rules YAML as UTF-8"),
        )
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the request body is empty; send the rules YAML, or JSON {\"yaml\": ...} or {\"exception\": {...}}",
        ));
    }
    Ok((Input::Yaml(text.to_string()), None))
}
