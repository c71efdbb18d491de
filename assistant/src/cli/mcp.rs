//! `saker mcp`: the MCP server over stdio (JSON-RPC lines on stdin/stdout), for an agent that
//! starts Saker as a subprocess (Claude Desktop, IDE agents). The tools and resources are those
//! of `/mcp` on `saker serve` (see `saker::mcp`); the caller is the local user in
//! `auth.local_role` (admin unless configured otherwise). Logs go to stderr only: stdout is
//! the protocol's.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use rmcp::ServiceExt as _;
use saker::auth::Principal;
use saker::mcp::{Caller, SakerMcp};
use saker_tools::analytics::DEFAULT_CALL_DEADLINE;

use super::ask::AssistantArgs;
use super::common::parse_now;

/// Arguments of `saker mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    #[command(flatten)]
    assistant: AssistantArgs,
    /// The current time (RFC 3339) for relative ranges (`last: 7d`) and questions; default the
    /// real clock. The demo scenarios end at 2026-11-20T12:00:00Z.
    #[arg(long)]
    now: Option<String>,
}

/// Runs `saker mcp` until the client closes stdin.
pub fn run(arguments: McpArgs) -> anyhow::Result<ExitCode> {
    let config = arguments.assistant.config()?;
    let now = arguments.now.as_deref().map(|text| parse_now(Some(text))).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("saker-mcp")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let opened = arguments.assistant.open(&config, false).await?;
        let principal = Principal::local(opened.tokens.local_role());
        let orchestrator = Arc::new(opened.into_orchestrator());
        let server = SakerMcp::new(orchestrator, Caller::Fixed(principal), DEFAULT_CALL_DEADLINE).with_now(now);
        let running = server.serve(rmcp::transport::stdio()).await.context("the MCP session did not start")?;
        running.waiting().await.context("the MCP session failed")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
