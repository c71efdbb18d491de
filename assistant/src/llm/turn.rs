//! One turn with a language model: the tool-calling loop.
//!
//! The model sees the system prompt, the session's last turns and the question, with every
//! registry tool on offer. Each response either answers (text, no tool calls) or asks for
//! tool calls, which run in order through the [`ToolExecutor`] (confined to the analyst's
//! scope) and go back as delimited tool results, errors included so the model can fix its
//! arguments. At most `max_steps` such model calls are made; then one last call with
//! `tool_choice: none` asks for an answer from what was gathered, and if that yields no text,
//! Saker answers plainly that the step limit was reached and which tools ran.
//!
//! Text reaches the analyst as it arrives (stream deltas, or a response's whole text when not
//! streaming), from every response of the turn, with a blank line between responses; the
//! turn's text is exactly the concatenation of the deltas sent.

use std::time::Duration;

use futures_util::StreamExt;
use saker_tools::analytics::ToolRegistry;
use serde_json::Value;

use super::accumulate::{ReplyAccumulator, add_usage, truncate};
use super::exception_guard;
use super::focus_update;
use super::model::{
    ModelClient, ModelMessage, ModelReply, ModelRequest, StreamItem, ToolCall, ToolChoice, ToolDefinition,
};
use super::prompt::{PromptContext, Prompts};
use super::settings::EffectiveLlmSettings;
use super::tool_result;
use crate::conversation::{ConversationError, EventSink, TokenUsage, ToolExecutor, TurnInput, TurnOutput};

/// Most tool calls run from one model response; further calls get an error result.
pub const MAX_CALLS_PER_RESPONSE: usize = 16;

/// Runs one turn.
pub async fn run(
    client: &dyn ModelClient,
    settings: &EffectiveLlmSettings,
    prompts: &Prompts,
    input: TurnInput<'_>,
    executor: &ToolExecutor,
) -> Result<TurnOutput, ConversationError> {
    let system = prompts.system(&PromptContext {
        now: executor.now(),
        scope: input.scope,
        focus: input.focus,
        language: input.language,
        max_steps: settings.max_steps,
    })?;
    let mut messages = vec![ModelMessage::System(system)];
    messages.extend(history_messages(&input, settings.history_turns));
    messages.push(ModelMessage::User(input.question.to_string()));
    let mut turn = Turn {
        client,
        settings,
        executor,
        transcript: Transcript::new(executor.sink()),
        usage: None,
        focus: input.focus.clone(),
        tools_run: Vec::new(),
        failed_validations: 0,
    };
    let mut tools = tool_definitions(executor.registry());
    tools.extend(executor.response_tool_specs().into_iter().map(|(name, description, parameters)| ToolDefinition {
        name: name.to_string(),
        description: description.to_string(),
        parameters,
    }));

    for _ in 0..settings.max_steps {
        let request = ModelRequest { messages: messages.clone(), tools: tools.clone(), tool_choice: ToolChoice::Auto };
        let reply = turn.call_model(&request).await?;
        if reply.tool_calls.is_empty() {
            if reply.text.trim().is_empty() {
                let hint = if settings.stream { "; if the server cannot stream, set `llm.stream: false`" } else { "" };
                return Err(ConversationError::Llm(format!(
                    "the model answered with neither text nor tool calls (finish reason {}){hint}",
                    reply.finish_reason.as_deref().unwrap_or("not given")
                )));
            }
            return turn.finish_checked(prompts, input.language).await;
        }
        let tool_calls = reply.tool_calls.clone();
        messages.push(ModelMessage::Assistant { text: reply.text, tool_calls: reply.tool_calls });
        for (position, call) in tool_calls.iter().enumerate() {
            let content = if position < MAX_CALLS_PER_RESPONSE {
                turn.run_tool(call).await
            } else {
                tool_result::delimit(
                    &call.name,
                    &Err(format!(
                        "not run: at most {MAX_CALLS_PER_RESPONSE} tool calls are run per response; ask again for \
                         the rest"
                    )),
                )
            };
            messages.push(ModelMessage::Tool { call_id: call.id.clone(), content });
        }
        if turn.failed_validations >= exception_guard::MAX_FAILED_VALIDATIONS {
            break;
        }
    }

    // The bound is hit (or the exception's repairs are spent): one last call without tools.
    let last_request = if turn.failed_validations >= exception_guard::MAX_FAILED_VALIDATIONS {
        prompts.exception_repairs(input.language, turn.failed_validations)?
    } else {
        prompts.step_limit(input.language, settings.max_steps)?
    };
    messages.push(ModelMessage::User(last_request));
    let request = ModelRequest { messages, tools, tool_choice: ToolChoice::None };
    match turn.call_model(&request).await {
        Ok(reply) if !reply.text.trim().is_empty() => return turn.finish_checked(prompts, input.language).await,
        Ok(reply) => tracing::warn!(
            tool_calls = reply.tool_calls.len(),
            "the model gave no text after the step limit; answering plainly"
        ),
        Err(error) => tracing::warn!(%error, "the model's last call after the step limit failed; answering plainly"),
    }
    let plain = prompts.step_limit_answer(input.language, &turn.tools_run)?;
    turn.transcript.begin_reply();
    turn.transcript.send(&plain);
    Ok(turn.finish())
}

/// The state of a turn in progress.
struct Turn<'a> {
    client: &'a dyn ModelClient,
    settings: &'a EffectiveLlmSettings,
    executor: &'a ToolExecutor,
    transcript: Transcript<'a>,
    usage: Option<TokenUsage>,
    focus: crate::conversation::Focus,
    tools_run: Vec<String>,
    /// Validations of an exception that failed in this turn.
    failed_validations: u32,
}

impl Turn<'_> {
    /// One model call, streamed or not; its text goes to the analyst as it arrives.
    async fn call_model(&mut self, request: &ModelRequest) -> Result<ModelReply, ConversationError> {
        let started = std::time::Instant::now();
        let result = self.call_model_unmetered(request).await;
        if let Some(metrics) = self.executor.metrics() {
            let tokens =
                result.as_ref().ok().and_then(|reply| reply.usage).map(|usage| (usage.prompt, usage.completion));
            let code = result.as_ref().err().map(ConversationError::code);
            metrics.record_model_call(&self.settings.model, self.settings.stream, started.elapsed(), tokens, code);
        }
        result
    }

    async fn call_model_unmetered(&mut self, request: &ModelRequest) -> Result<ModelReply, ConversationError> {
        self.transcript.begin_reply();
        let reply = if self.settings.stream {
            let silence = Duration::from_secs(self.settings.timeout_seconds);
            let mut items = self.client.stream(request).await?;
            let mut accumulator = ReplyAccumulator::default();
            loop {
                let next = tokio::time::timeout(silence, items.next()).await.map_err(|_| {
                    ConversationError::LlmUnreachable {
                        endpoint: self.client.endpoint().to_string(),
                        message: format!(
                            "the model's stream went silent for {} s; check the model server, or raise \
                             `llm.timeout_seconds`",
                            self.settings.timeout_seconds
                        ),
                    }
                })?;
                let Some(item) = next else { break };
                let item = item?;
                if let StreamItem::Text(text) = &item {
                    self.transcript.send(text);
                }
                accumulator.push(item);
            }
            accumulator.finish()?
        } else {
            let reply = self.client.complete(request).await?;
            self.transcript.send(&reply.text);
            reply
        };
        if let Some(usage) = reply.usage {
            self.usage = Some(add_usage(self.usage, usage));
        }
        Ok(reply)
    }

    /// Runs one tool call; returns the delimited result for the model.
    async fn run_tool(&mut self, call: &ToolCall) -> String {
        let result = match parse_arguments(&call.arguments) {
            Ok(arguments) => {
                self.tools_run.push(call.name.clone());
                let result = self.executor.call(&call.name, arguments.clone()).await;
                if let Ok(output) = &result {
                    focus_update::apply_call(&mut self.focus, &call.name, &arguments, output);
                    if exception_guard::is_failed_validation(&call.name, output) {
                        self.failed_validations += 1;
                    }
                }
                result
            }
            Err(message) => Err(message),
        };
        tool_result::delimit(&call.name, &result)
    }

    fn finish(self) -> TurnOutput {
        TurnOutput { text: self.transcript.text, focus: self.focus, usage: self.usage }
    }

    /// Finishes after checking the answer's exception snippets: one that does not pass
    /// validation gets a warning appended, so it is never shown as valid.
    async fn finish_checked(
        mut self,
        prompts: &Prompts,
        language: crate::conversation::Language,
    ) -> Result<TurnOutput, ConversationError> {
        let problems = exception_guard::unvalidated_problems(&self.transcript.text, self.executor).await;
        if !problems.is_empty() {
            let note = prompts.exception_unvalidated(language, &problems)?;
            self.transcript.begin_reply();
            self.transcript.send(&note);
        }
        Ok(self.finish())
    }
}

/// The model's arguments as a JSON object (empty text and `null` are `{}`), or a message
/// telling it what to fix.
fn parse_arguments(text: &str) -> Result<Value, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(Value::Object(Default::default())),
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(format!(
            "the arguments must be one JSON object matching the tool's schema, not {}",
            truncate(&other.to_string(), 100)
        )),
        Err(error) => {
            Err(format!("the arguments are not valid JSON ({error}); send one JSON object matching the tool's schema"))
        }
    }
}

/// The session's last turns as question and answer messages.
fn history_messages(input: &TurnInput<'_>, turns: u32) -> Vec<ModelMessage> {
    let keep = usize::try_from(turns).unwrap_or(usize::MAX).min(input.history.len());
    let mut messages = Vec::with_capacity(keep * 2);
    for turn in &input.history[input.history.len() - keep..] {
        messages.push(ModelMessage::User(turn.question.clone()));
        if !turn.answer.answer.trim().is_empty() {
            messages.push(ModelMessage::Assistant { text: turn.answer.answer.clone(), tool_calls: Vec::new() });
        }
    }
    messages
}

/// Every registry tool as a function tool. `$schema` and `title` are dropped from the top of
/// the parameters (servers and models do not need them; some reject `$schema`); `$defs` stays,
/// since the properties refer to it.
pub fn tool_definitions(registry: &ToolRegistry) -> Vec<ToolDefinition> {
    registry
        .specs()
        .map(|spec| {
            let mut parameters = spec.parameters.clone();
            if let Some(object) = parameters.as_object_mut() {
                object.remove("$schema");
                object.remove("title");
            }
            ToolDefinition { name: spec.name.to_string(), description: spec.description.to_string(), parameters }
        })
        .collect()
}

/// The answer text as sent to the analyst. Whitespace at the start or end of a response is not
/// sent (models often open with newlines before a tool call); responses after the first are
/// set apart by a blank line.
struct Transcript<'a> {
    sink: &'a EventSink,
    text: String,
    reply_has_text: bool,
    pending_whitespace: String,
}

impl<'a> Transcript<'a> {
    fn new(sink: &'a EventSink) -> Transcript<'a> {
        Transcript { sink, text: String::new(), reply_has_text: false, pending_whitespace: String::new() }
    }

    /// A new model response starts.
    fn begin_reply(&mut self) {
        self.reply_has_text = false;
        self.pending_whitespace.clear();
    }

    /// Sends a piece of the current response.
    fn send(&mut self, piece: &str) {
        let piece = if self.reply_has_text { piece } else { piece.trim_start() };
        if piece.is_empty() {
            return;
        }
        let content = piece.trim_end();
        if content.is_empty() {
            self.pending_whitespace.push_str(piece);
            return;
        }
        let mut delta = String::new();
        if !self.reply_has_text && !self.text.is_empty() {
            delta.push_str("\n\n");
        }
        delta.push_str(&self.pending_whitespace);
        delta.push_str(content);
        self.pending_whitespace = piece[content.len()..].to_string();
        self.reply_has_text = true;
        self.text.push_str(&delta);
        self.sink.delta(delta);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::conversation::ChatEvent;

    #[test]
    fn the_transcript_equals_the_deltas_and_drops_edge_whitespace() {
        let (sink, mut events) = EventSink::channel();
        let mut transcript = Transcript::new(&sink);
        transcript.begin_reply();
        for piece in ["\n\n", "  Let me ", "check.", "\n"] {
            transcript.send(piece);
        }
        transcript.begin_reply();
        for piece in ["There are ", "**300**", " alerts", "\n\n", "in scope.", "\n"] {
            transcript.send(piece);
        }
        let text = transcript.text.clone();
        drop(transcript);
        drop(sink);
        let mut deltas = String::new();
        while let Ok(event) = events.try_recv() {
            if let ChatEvent::Delta { text } = event {
                deltas.push_str(&text);
            }
        }
        assert_eq!(text, "Let me check.\n\nThere are **300** alerts\n\nin scope.");
        assert_eq!(deltas, text);
    }

    #[test]
    fn arguments_must_be_one_json_object() {
        assert_eq!(parse_arguments(""), Ok(json!({})));
        assert_eq!(parse_arguments("null"), Ok(json!({})));
        assert_eq!(parse_arguments(" {\"last\": \"7d\"} "), Ok(json!({"last": "7d"})));
        assert!(parse_arguments("[1]").expect_err("array").contains("one JSON object"));
        assert!(parse_arguments("{\"last\": ").expect_err("cut").contains("not valid JSON"));
    }

    #[test]
    fn tool_definitions_keep_defs_and_drop_schema_and_title() {
        let definitions = tool_definitions(&ToolRegistry::standard());
        let registry = ToolRegistry::standard();
        assert_eq!(definitions.len(), registry.specs().count());
        let stats = definitions.iter().find(|tool| tool.name == "event_stats").expect("event_stats");
        assert!(stats.parameters.get("$schema").is_none());
        assert!(stats.parameters.get("title").is_none());
        assert!(stats.parameters.get("$defs").is_some());
        assert!(stats.parameters.pointer("/properties/scope").is_some());
    }
}
