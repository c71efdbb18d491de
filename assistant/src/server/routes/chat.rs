//! `POST /v1/chat`: answers a question as Server-Sent Events.
//!
//! The request is validated first (a body that is not `application/json`, bad JSON, unknown field, empty message, bad scope or time,
//! unknown session answer 4xx with a JSON error). Then the turn runs in its own task and its
//! events are streamed: a client that disconnects stops only its stream, and the turn is still
//! answered and recorded in the session.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::StreamExt as _;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::conversation::{ChatRequest, EventSink};
use crate::server::body_type::{self, BodyType};
use crate::server::{ApiError, AppState, sse};

/// Interval of keep-alive comments while a turn is silent (a long model call).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `POST /v1/chat`.
pub async fn chat(
    State(state): State<AppState>,
    caller: Option<axum::Extension<crate::auth::Principal>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    body_type::require(&headers, BodyType::Json)?;
    let body = body.map_err(|rejection| ApiError::from_body_rejection(&rejection, state.limits().max_body_bytes))?;
    let request: ChatRequest = ApiError::parse_json(&body)?;
    let orchestrator = state.orchestrator().clone();
    orchestrator.validate(&request).await?;
    let (sink, receiver) = EventSink::channel();
    let principal = match caller {
        Some(axum::Extension(principal)) => principal,
        None => crate::auth::Principal::local(state.tokens().local_role()),
    };
    tokio::spawn(async move {
        if let Err(error) = orchestrator.chat_as(request, &principal, sink).await {
            tracing::warn!(code = error.code(), details = %error, "chat turn failed");
        }
    });
    let events = UnboundedReceiverStream::new(receiver).map(|event| Ok(sse::encode(&event)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
