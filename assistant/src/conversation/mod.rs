//! What both backends share: the request, the event stream, the answer, sessions, the tool
//! executor, the grounding check and the orchestrator that ties them together.

mod answer;
mod error;
mod event;
mod executor;
mod focus;
pub mod grounding;
mod language;
mod orchestrator;
mod request;
pub mod response;
pub mod retention;
mod session;

pub use answer::{Answer, BackendKind, Link, StepRecord, TokenUsage};
pub use error::ConversationError;
pub use event::{ChatEvent, EventSink, StepEvent, StepPhase};
pub use executor::ToolExecutor;
pub use focus::{Focus, TimeFocus, quote_value};
pub use language::Language;
pub use orchestrator::{Backend, Orchestrator, TurnInput, TurnOutput};
pub use request::ChatRequest;
pub use session::{Session, SessionStore, TurnRecord, postgres_migrator};
