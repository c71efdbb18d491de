//! Saker's conversation plane: questions in English or Japanese become tool calls (through the
//! embedded planner or a language model) and grounded, streamed answers.
//!
//! [`conversation`] holds what both backends share: requests, the event stream, answers, the
//! persistent sessions, the tool executor and the grounding check. [`planner`] is the
//! deterministic default backend; [`llm`] the OpenAI-compatible one; [`server`] the HTTP API.

pub mod actions;
pub mod auth;
pub mod build_info;
pub mod config;
pub mod conversation;
pub mod escalation;
pub mod llm;
pub mod markup;
pub mod mcp;
pub mod metrics;
pub mod planner;
pub mod report;
pub mod server;
pub mod storage;

/// The version line of `saker --version`: the package version and the git commit the binary was
/// built from (or why it is unknown); recorded by the build script.
pub const VERSION: &str = env!("SAKER_VERSION_LINE");
