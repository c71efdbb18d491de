//! The MCP server (Model Context Protocol, the official Rust SDK `rmcp`): other agents call
//! Saker's investigation tools and read its event feed.
//!
//! - tools: every tool of the [`ToolRegistry`](saker_tools::analytics::ToolRegistry) with its
//!   JSON Schema, and `ask` (one chat turn through the orchestrator, the same answer as
//!   `POST /v1/chat`);
//! - resources: the event feed (`saker://events`, newest first, and the template
//!   `saker://events{?scope,since,until,last,q,limit,offset,now}`), as `GET /v1/events` pages.
//!
//! Every call is the caller's: over stdio (`saker mcp`) the local user in `auth.local_role`,
//! over streamable HTTP (`/mcp` on `saker serve`) the principal the server's authentication
//! resolved from the request's token. A tool needs the permission
//! [`tool_permission`](crate::server::auth::tool_permission) gives it over `/v1/tools` (the one
//! table of tool roles: the write tools need analyst or more); no tool approves, rejects or
//! executes a response action. Scopes and time ranges are the call's arguments, as over
//! `/v1/tools`. [`http`] builds the `/mcp` service.

pub mod http;
mod resources;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, JsonObject,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use saker_tools::analytics::{CallBudget, ToolContext};
use serde_json::{Value, json};

use crate::auth::{Permission, Principal};
use crate::conversation::{ChatRequest, EventSink, Orchestrator};
use crate::server::auth::tool_permission;

/// The tool that runs one chat turn.
pub const ASK: &str = "ask";

/// Who the calls of a connection are made by.
#[derive(Debug, Clone)]
pub enum Caller {
    /// One principal for the whole connection (stdio: the local user).
    Fixed(Principal),
    /// The principal the HTTP server's authentication put into each request.
    FromRequest,
}

/// The MCP server of one connection (stdio) or one request (streamable HTTP, stateless).
#[derive(Clone)]
pub struct SakerMcp {
    orchestrator: Arc<Orchestrator>,
    caller: Caller,
    deadline: Duration,
    now: Option<DateTime<Utc>>,
}

impl SakerMcp {
    /// A server over `orchestrator` for `caller`; each tool call may run for `deadline`.
    pub fn new(orchestrator: Arc<Orchestrator>, caller: Caller, deadline: Duration) -> SakerMcp {
        SakerMcp { orchestrator, caller, deadline, now: None }
    }

    /// The same server with a fixed clock for relative ranges (`last: 7d`), as `--now` does for
    /// the other commands.
    pub fn with_now(mut self, now: Option<DateTime<Utc>>) -> SakerMcp {
        self.now = now;
        self
    }

    fn principal(&self, context: &RequestContext<RoleServer>) -> Result<Principal, McpError> {
        match &self.caller {
            Caller::Fixed(principal) => Ok(principal.clone()),
            Caller::FromRequest => context
                .extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Principal>())
                .cloned()
                .ok_or_else(|| McpError::invalid_request("the request carries no authenticated caller", None)),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }

    /// The tools `principal` may call: the registry's (the write tools only for analyst or
    /// more) and `ask`.
    fn tools_for(&self, principal: &Principal) -> Vec<Tool> {
        let mut tools: Vec<Tool> = self
            .orchestrator
            .registry()
            .specs()
            .filter(|spec| principal.may(tool_permission(spec.name)))
            .map(|spec| Tool::new(spec.name, spec.description, schema_object(&spec.parameters)))
            .collect();
        tools.push(Tool::new(ASK, ASK_DESCRIPTION, schema_object(&ask_schema())));
        tools
    }

    /// Runs a registry tool as `/v1/tools/{name}` does: the caller's arguments, the server's
    /// deadline, on the blocking pool; counted in the metrics as an `mcp` call.
    async fn run_tool(&self, name: &str, arguments: Value) -> Result<Value, String> {
        let orchestrator = self.orchestrator.clone();
        let registry = orchestrator.registry().clone();
        let (tool, now, budget) = (name.to_string(), self.now(), CallBudget::with_deadline(self.deadline));
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || {
            let context =
                ToolContext { budget, ..ToolContext::new(&**orchestrator.store(), orchestrator.rules(), now) };
            registry.invoke(&tool, arguments, &context).map_err(|error| error.to_string())
        })
        .await
        .unwrap_or_else(|error| Err(format!("the tool did not finish: {error}")));
        self.orchestrator.metrics().record_tool_call(name, "mcp", result.is_ok(), started.elapsed());
        result
    }

    /// `ask`: one chat turn as `principal`, the answer in Markdown plus the structured answer.
    async fn ask(&self, principal: &Principal, arguments: Value) -> Result<CallToolResult, McpError> {
        let mut request: ChatRequest = serde_json::from_value(arguments)
            .map_err(|error| McpError::invalid_params(format!("ask: {error}"), None))?;
        if request.now.is_none() {
            request.now = self.now;
        }
        match self.orchestrator.chat_as(request, principal, EventSink::discard()).await {
            Ok(answer) => {
                let text = answer.answer.clone();
                let structured = serde_json::to_value(&answer).unwrap_or(Value::Null);
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                result.structured_content = Some(structured);
                Ok(result)
            }
            Err(error) => Ok(CallToolResult::error(vec![ContentBlock::text(format!("{}: {error}", error.code()))])),
        }
    }
}

const ASK_DESCRIPTION: &str = "Ask Saker a question about the Falco alerts, in English or Japanese \
(e.g. 'What was the root cause of the malicious binary in namespace X?'). Saker picks and runs its \
investigation tools, confined to `scope` and the time range, and answers in Markdown with every \
figure taken from the tool outputs; the structured answer lists the tool calls. Pass `session_id` \
from an earlier answer to continue a conversation.";

/// The JSON Schema of `ask`'s arguments: `POST /v1/chat`'s body.
fn ask_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ChatRequest)).unwrap_or_else(|_| json!({"type": "object"}))
}

/// A schema as the JSON object MCP carries (a non-object schema becomes `{}`: any input).
fn schema_object(schema: &Value) -> JsonObject {
    schema.as_object().cloned().unwrap_or_default()
}

impl ServerHandler for SakerMcp {
    fn get_info(&self) -> ServerConfig {
        let mut implementation = Implementation::default();
        implementation.name = "saker".into();
        implementation.title = Some("Saker: Falco alert investigation".into());
        implementation.version = crate::VERSION.into();
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(implementation)
            .with_instructions(
                "Saker answers questions about the Falco alerts it has indexed. Call `ask` with a question, \
                 or the investigation tools directly (event_stats, search_events, root_cause, ...) with a \
                 Falco-syntax `scope`; read the alerts behind a figure from the `saker://events` resources \
                 (the `link` of a tool's evidence, with `saker://` in place of `/`).",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let principal = self.principal(&context)?;
        Ok(ListToolsResult::with_all_items(self.tools_for(&principal)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let principal = self.principal(&context)?;
        let name = request.name.to_string();
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        if name == ASK {
            return Ok(self.ask(&principal, arguments).await?.into());
        }
        if !self.orchestrator.registry().specs().any(|spec| spec.name == name) {
            let available: Vec<&str> = self.orchestrator.registry().specs().map(|spec| spec.name).collect();
            return Err(McpError::invalid_params(
                format!("unknown tool {name:?} (available: {}, {ASK})", available.join(", ")),
                None,
            ));
        }
        let permission = tool_permission(&name);
        if !principal.may(permission) {
            tracing::info!(principal = %principal.name, role = principal.role.name(), tool = %name, "MCP tool call refused by role");
            return Ok(CallToolResult::error(vec![ContentBlock::text(principal.refusal(permission))]).into());
        }
        debug_assert!(permission != Permission::Respond, "no tool approves");
        Ok(match self.run_tool(&name, arguments).await {
            Ok(output) => CallToolResult::structured(output),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        }
        .into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        self.principal(&context)?;
        Ok(ListResourcesResult::with_all_items(resources::listed()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        self.principal(&context)?;
        Ok(ListResourceTemplatesResult::with_all_items(resources::templates()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        self.principal(&context)?;
        let store = self.orchestrator.store().clone();
        let now = self.now;
        let uri = request.uri;
        let contents = tokio::task::spawn_blocking(move || resources::read(&*store, &uri, now))
            .await
            .map_err(|error| McpError::internal_error(format!("the read did not finish: {error}"), None))??;
        Ok(contents.into())
    }
}
