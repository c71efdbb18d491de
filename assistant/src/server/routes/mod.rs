//! The API's routes, one module per resource.

pub mod actions;
pub mod chat;
pub mod events;
pub mod exceptions;
pub mod feed;
pub mod health;
pub mod me;
pub mod metrics;
pub mod sessions;
pub mod tools;
