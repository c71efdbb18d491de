//! Integration tests of the `saker` binary (run as a real child process) and of its library
//! (the orchestrator over a real index, session database and loopback servers).

mod action_executors;
mod cli_chat;
mod cli_eval;
mod cli_ingest;
mod cli_llm;
mod cli_query;
mod conversation;
mod crash_recovery;
mod deploy;
mod escalation;
mod exception_cli;
mod false_positive_conversation;
mod fuzz_ingest_body;
mod hardening;
mod llm_backend;
mod llm_exceptions;
mod mcp;
mod metrics;
mod operations;
mod planner_conversation;
mod planner_paraphrases;
mod planner_render;
mod postgres_cli;
// The watchdog shell outlives the test process on purpose (it stops the server after it).
#[allow(clippy::zombie_processes)]
#[path = "../../../tools/tests/it/postgres_server.rs"]
mod postgres_server;
mod prompt_injection;
mod replicas;
mod report;
mod response_actions;
mod scripted_model;
mod seed_investigation;
mod server;
mod session_suite;
mod support;
mod web;
