//! The HTTP API (axum): ingest, chat over Server-Sent Events, sessions, tools, health.
