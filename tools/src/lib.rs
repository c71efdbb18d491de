//! Saker's data plane: the Falco alert model, ingest, the indexed event store, the Falco rules
//! catalog and the analytics tools. Nothing here knows about language models, HTTP or chat.

pub mod actions;
pub mod alert;
pub mod analytics;
pub mod exceptions;
pub mod ingest;
pub mod json;
pub mod mitre;
pub mod rules;
pub mod scope;
pub mod store;
mod yaml;
