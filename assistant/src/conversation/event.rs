//! The stream a turn produces: tool steps as they start and finish, answer text as it is
//! written, then the complete answer (or an error). The CLI prints it, the server sends it as
//! Server-Sent Events.

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::Answer;

/// Where a tool step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepPhase {
    /// The call has started.
    Started,
    /// The call returned an output.
    Finished,
    /// The call failed; the summary says why.
    Failed,
}

/// A tool step, as shown while it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepEvent {
    /// Position of the step in the turn, from 1.
    pub index: usize,
    /// Started, finished or failed.
    pub phase: StepPhase,
    /// The tool's name.
    pub tool: String,
    /// Its arguments.
    pub arguments: Value,
    /// One line about the result (finished) or the failure (failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// One event of a turn's stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum ChatEvent {
    /// A tool step started or ended.
    Step(StepEvent),
    /// A piece of the answer text, in order.
    Delta {
        /// The text to append.
        text: String,
    },
    /// The turn is complete; the full answer.
    Done(Box<Answer>),
    /// The turn failed.
    Error {
        /// A stable machine-readable code, e.g. `invalid_scope`, `llm_unreachable`.
        code: String,
        /// What went wrong and what to do about it.
        message: String,
    },
}

/// The sending side of a turn's stream. Sending never fails: a consumer that went away
/// (a closed HTTP connection) does not stop the turn, which is still recorded.
#[derive(Debug, Clone)]
pub struct EventSink {
    sender: Option<mpsc::UnboundedSender<ChatEvent>>,
}

impl EventSink {
    /// A sink and the receiver of its events.
    pub fn channel() -> (EventSink, mpsc::UnboundedReceiver<ChatEvent>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (EventSink { sender: Some(sender) }, receiver)
    }

    /// A sink that drops every event (for callers that only want the final answer).
    pub fn discard() -> EventSink {
        EventSink { sender: None }
    }

    /// Sends an event.
    pub fn send(&self, event: ChatEvent) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(event);
        }
    }

    /// Sends a piece of answer text (nothing when empty).
    pub fn delta(&self, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            self.send(ChatEvent::Delta { text });
        }
    }
}
