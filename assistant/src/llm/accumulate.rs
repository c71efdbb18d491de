//! Reassembles a streamed model response: tool calls from their pieces (grouped by `index`:
//! the first piece names the call, later ones append to its arguments), the finish reason
//! and the usage.

use std::collections::BTreeMap;

use super::model::{ModelReply, StreamItem, ToolCall, ToolCallDelta};
use crate::conversation::{ConversationError, TokenUsage};

/// Collects the items of one streamed response into a [`ModelReply`].
#[derive(Debug, Default)]
pub struct ReplyAccumulator {
    text: String,
    calls: BTreeMap<u32, PartialCall>,
    finish_reason: Option<String>,
    usage: Option<TokenUsage>,
}

#[derive(Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

impl ReplyAccumulator {
    /// Adds one item.
    pub fn push(&mut self, item: StreamItem) {
        match item {
            StreamItem::Text(text) => self.text.push_str(&text),
            StreamItem::ToolCall(delta) => self.push_call(delta),
            StreamItem::Finish { reason, usage } => {
                if reason.is_some() {
                    self.finish_reason = reason;
                }
                if let Some(usage) = usage {
                    self.usage = Some(add_usage(self.usage, usage));
                }
            }
        }
    }

    fn push_call(&mut self, delta: ToolCallDelta) {
        let call = self.calls.entry(delta.index).or_default();
        // Servers send the id and the name once, in the first piece; some repeat them (or send
        // empty strings) in later pieces, which must not be appended.
        if let Some(id) = delta.id.filter(|id| !id.is_empty())
            && call.id.is_empty()
        {
            call.id = id;
        }
        if let Some(name) = delta.name.filter(|name| !name.is_empty())
            && call.name.is_empty()
        {
            call.name = name;
        }
        if let Some(arguments) = delta.arguments {
            call.arguments.push_str(&arguments);
        }
    }

    /// The response, with its tool calls in `index` order. A call that never got a name is an
    /// unusable response; a call without an id gets `call_<index>`.
    pub fn finish(self) -> Result<ModelReply, ConversationError> {
        let mut tool_calls = Vec::with_capacity(self.calls.len());
        for (index, call) in self.calls {
            if call.name.is_empty() {
                return Err(ConversationError::Llm(format!(
                    "the model streamed tool call {index} without a function name (arguments {:?})",
                    truncate(&call.arguments, 200)
                )));
            }
            let id = if call.id.is_empty() { format!("call_{index}") } else { call.id };
            tool_calls.push(ToolCall { id, name: call.name, arguments: call.arguments });
        }
        Ok(ModelReply { text: self.text, tool_calls, finish_reason: self.finish_reason, usage: self.usage })
    }
}

/// The sum of two usages.
pub fn add_usage(total: Option<TokenUsage>, more: TokenUsage) -> TokenUsage {
    let total = total.unwrap_or_default();
    TokenUsage {
        prompt: total.prompt.saturating_add(more.prompt),
        completion: total.completion.saturating_add(more.completion),
    }
}

/// At most `limit` characters of `text`, with `…` when cut.
pub fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((position, _)) => format!("{}…", &text[..position]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(index: u32, id: Option<&str>, name: Option<&str>, arguments: Option<&str>) -> StreamItem {
        StreamItem::ToolCall(ToolCallDelta {
            index,
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            arguments: arguments.map(str::to_string),
        })
    }

    #[test]
    fn interleaved_pieces_reassemble_by_index() {
        let mut accumulator = ReplyAccumulator::default();
        for item in [
            piece(0, Some("call_a"), Some("event_stats"), Some("")),
            piece(1, Some("call_b"), Some("search_events"), None),
            piece(0, None, None, Some("{\"sco")),
            piece(1, Some(""), Some(""), Some("{\"limit\":")),
            piece(0, None, None, Some("pe\":\"k8s.ns.name=a\"}")),
            piece(1, None, None, Some(" 3}")),
            StreamItem::Finish { reason: Some("tool_calls".into()), usage: None },
            StreamItem::Finish { reason: None, usage: Some(TokenUsage { prompt: 10, completion: 4 }) },
        ] {
            accumulator.push(item);
        }
        let reply = accumulator.finish().expect("usable");
        assert_eq!(
            reply.tool_calls,
            vec![
                ToolCall {
                    id: "call_a".into(),
                    name: "event_stats".into(),
                    arguments: "{\"scope\":\"k8s.ns.name=a\"}".into()
                },
                ToolCall { id: "call_b".into(), name: "search_events".into(), arguments: "{\"limit\": 3}".into() },
            ]
        );
        assert_eq!(reply.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(reply.usage, Some(TokenUsage { prompt: 10, completion: 4 }));
        assert_eq!(reply.text, "");
    }

    #[test]
    fn text_pieces_concatenate_and_a_repeated_name_is_not_doubled() {
        let mut accumulator = ReplyAccumulator::default();
        accumulator.push(StreamItem::Text("There are ".into()));
        accumulator.push(StreamItem::Text("**300** alerts.".into()));
        accumulator.push(piece(2, None, Some("event_stats"), Some("{}")));
        accumulator.push(piece(2, None, Some("event_stats"), None));
        let reply = accumulator.finish().expect("usable");
        assert_eq!(reply.text, "There are **300** alerts.");
        assert_eq!(reply.tool_calls[0].name, "event_stats");
        assert_eq!(reply.tool_calls[0].id, "call_2");
    }

    #[test]
    fn a_call_without_a_name_is_an_unusable_response() {
        let mut accumulator = ReplyAccumulator::default();
        accumulator.push(piece(0, Some("call_a"), None, Some("{}")));
        let error = accumulator.finish().expect_err("no name");
        assert_eq!(error.code(), "llm_error");
        assert!(error.to_string().contains("tool call 0 without a function name"), "{error}");
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("日本語のテキスト", 3), "日本語…");
        assert_eq!(truncate("short", 10), "short");
    }
}
