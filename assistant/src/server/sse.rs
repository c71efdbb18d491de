//! A turn's events as Server-Sent Events: `step`, `delta` (`{"text"}`), `done` (the answer)
//! and `error` (`{"code", "message"}`), each with a JSON `data` line.

use axum::response::sse::Event;
use serde_json::json;

use crate::conversation::ChatEvent;

/// Error codes whose messages may hold internal details (paths, database errors): the client
/// gets a generic message and the log the details.
const INTERNAL_CODES: [&str; 4] = ["storage", "template", "internal", "llm_error"];

/// The SSE event of a chat event.
pub fn encode(event: &ChatEvent) -> Event {
    let (name, data) = match event {
        ChatEvent::Step(step) => ("step", serde_json::to_string(step)),
        ChatEvent::Delta { text } => ("delta", serde_json::to_string(&json!({ "text": text }))),
        ChatEvent::Done(answer) => ("done", serde_json::to_string(answer)),
        ChatEvent::Error { code, message } => ("error", serde_json::to_string(&public_error(code, message))),
    };
    let data = data.unwrap_or_else(|error| {
        tracing::error!(event = name, details = %error, "cannot encode an event");
        json!({ "code": "internal", "message": "the event could not be encoded" }).to_string()
    });
    Event::default().event(name).data(data)
}

/// The `error` event's body, without internal details.
fn public_error(code: &str, message: &str) -> serde_json::Value {
    if INTERNAL_CODES.contains(&code) {
        tracing::error!(code, details = message, "turn failed");
        json!({ "code": code, "message": "the turn failed; the server log has the details" })
    } else {
        json!({ "code": code, "message": message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_not_sent_to_clients() {
        let body = public_error("storage", "session database: /home/analyst/saker-data/conversations.sqlite locked");
        assert!(!body.to_string().contains("/home"), "{body}");
        let body = public_error("invalid_scope", "invalid scope: \"a in (\"");
        assert_eq!(body["message"], "invalid scope: \"a in (\"");
    }
}
