//! The Anthropic Messages API: the system prompt is a top-level field,
//! `max_tokens` is mandatory, JSON comes from a forced tool call whose
//! `input_schema` is the engine's schema, and the stream is typed events.
//! <https://docs.anthropic.com/en/api/messages>, <https://docs.anthropic.com/en/docs/build-with-claude/streaming>,
//! <https://docs.anthropic.com/en/docs/build-with-claude/tool-use#forcing-tool-use>.

use super::{CallOptions, is_event_stream, needs_prompt_schema, reported_model, schema_instruction};
use crate::config::LlmConfig;
use crate::error::LlmError;
use crate::sse::{SseEvent, SseParser};
use crate::types::{ChatRequest, ChatResponse, FinishReason, Message, Role, StructuredMode, Usage};
use argus_core::http::{HttpRequest, HttpResponse, Method};
use argus_core::secret::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// The API version header every request carries.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

#[derive(Clone, Debug)]
pub struct AnthropicEndpoint {
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub key_setting: String,
}

impl AnthropicEndpoint {
    pub fn from_config(c: &LlmConfig) -> Self {
        Self { base_url: c.base_url.clone(), api_key: c.api_key.clone(), key_setting: c.api_key_setting.to_string() }
    }

    /// The mode actually used: a tool's `input_schema` must be an object schema,
    /// so any other root falls back to the prompt.
    fn effective_mode(req: &ChatRequest, mode: Option<StructuredMode>) -> Option<StructuredMode> {
        match (mode, &req.schema) {
            (Some(StructuredMode::ToolUse), Some(s)) if s.schema.get("type").and_then(Value::as_str) != Some("object") => {
                Some(StructuredMode::PromptOnly)
            }
            // Anthropic has no JSON mode or response_format: the prompt carries the schema.
            (Some(StructuredMode::JsonSchema | StructuredMode::JsonObject), _) => Some(StructuredMode::PromptOnly),
            (m, _) => m,
        }
    }

    /// The request body, borrowing the prompt text from `req`.
    pub fn body<'a>(&self, req: &'a ChatRequest, call: &'a CallOptions) -> AnthropicBody<'a> {
        let mode = Self::effective_mode(req, call.mode);
        let (mut system, messages) = split_system(&req.messages);
        if let (Some(schema), true) = (&req.schema, needs_prompt_schema(mode)) {
            // Right after the first system message, as `with_schema_instruction` places it.
            system.insert(system.len().min(1), Cow::Owned(schema_instruction(schema)));
        }
        let tool = match (mode, &req.schema) {
            (Some(StructuredMode::ToolUse), Some(schema)) => Some(schema),
            _ => None,
        };
        AnthropicBody {
            model: &call.model,
            max_tokens: req.max_output_tokens,
            system: if system.is_empty() { None } else { Some(system.join("\n\n")) },
            messages,
            // Anthropic's range is 0..=1; OpenAI's goes to 2.
            temperature: req.temperature.map(|t| t.clamp(0.0, 1.0)),
            tools: tool.map(|s| {
                [Tool { name: &s.name, description: "Record the result. Call this exactly once with the complete result.", input_schema: &s.schema }]
            }),
            tool_choice: tool.map(|s| ToolChoice { kind: "tool", name: &s.name }),
            stream: call.stream.then_some(true),
        }
    }

    pub fn build(&self, req: &ChatRequest, call: &CallOptions) -> HttpRequest {
        let mut http = HttpRequest::new(Method::Post, format!("{}/v1/messages", self.base_url))
            .timeout_ms(call.timeout_ms)
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header("accept", if call.stream { "text/event-stream" } else { "application/json" });
        if let Some(k) = &self.api_key {
            http = http.header("x-api-key", k.expose());
        }
        http.json_body(&self.body(req, call))
    }

    pub fn parse(&self, resp: &HttpResponse, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        if !(200..300).contains(&resp.status) {
            return Err(LlmError::from_status(resp, &call.model, &self.key_setting, call.now.0));
        }
        let mode = call.mode;
        if is_event_stream(resp) {
            let mut acc = AnthropicStream::new(&call.model, mode);
            acc.feed(&resp.body);
            return acc.finish();
        }
        parse_message(&resp.body, &call.model, mode)
    }
}

/// System messages for the top-level `system`; the rest as turns that
/// alternate and start with `user`, as the API requires (same-role neighbours merged).
fn split_system(messages: &[Message]) -> (Vec<Cow<'_, str>>, Vec<Turn<'_>>) {
    let mut system = Vec::new();
    let mut turns: Vec<Turn<'_>> = Vec::new();
    for m in messages {
        let role = match m.role {
            Role::System => {
                system.push(Cow::Borrowed(m.content.as_str()));
                continue;
            }
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        match turns.last_mut() {
            Some(last) if last.role == role => {
                let merged = last.content.to_mut();
                merged.push_str("\n\n");
                merged.push_str(&m.content);
            }
            _ => turns.push(Turn { role, content: Cow::Borrowed(&m.content) }),
        }
    }
    if turns.first().is_none_or(|t| t.role != "user") {
        turns.insert(0, Turn { role: "user", content: Cow::Borrowed("(see the system prompt)") });
    }
    (system, turns)
}

/// The Messages API request body.
#[derive(Debug, Serialize)]
pub struct AnthropicBody<'a> {
    pub model: &'a str,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub messages: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<[Tool<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct Turn<'a> {
    pub role: &'static str,
    pub content: Cow<'a, str>,
}

#[derive(Debug, Serialize)]
pub struct Tool<'a> {
    pub name: &'a str,
    pub description: &'static str,
    pub input_schema: &'a Value,
}

#[derive(Debug, Serialize)]
pub struct ToolChoice<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'a str,
}

/// One stream event; unknown fields are ignored, text borrowed when unescaped.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<MessageStart<'a>>,
    #[serde(borrow, default)]
    content_block: Option<Block<'a>>,
    #[serde(borrow, default)]
    delta: Option<EventDelta<'a>>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct MessageStart<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EventDelta<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    partial_json: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    stop_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl From<&WireUsage> for Usage {
    /// Cached prompt tokens are still prompt tokens for budgets and reports.
    fn from(u: &WireUsage) -> Self {
        let n = |v: Option<u64>| v.unwrap_or(0);
        Usage {
            prompt_tokens: n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens),
            completion_tokens: n(u.output_tokens),
        }
    }
}

fn usage_of(u: &Value) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    // Cached prompt tokens are still prompt tokens for budgets and reports.
    Usage {
        prompt_tokens: n("input_tokens") + n("cache_creation_input_tokens") + n("cache_read_input_tokens"),
        completion_tokens: n("output_tokens"),
    }
}

/// A non-streamed `message` object.
pub fn parse_message(body: &[u8], asked: &str, mode: Option<StructuredMode>) -> Result<ChatResponse, LlmError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(LlmError::InvalidResponse("empty body".into()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| LlmError::InvalidResponse(format!("not JSON: {e}")))?;
    if v.get("type").and_then(Value::as_str) == Some("error") {
        return Err(LlmError::InvalidResponse(crate::error::error_message(body)));
    }
    let blocks = v.get("content").and_then(Value::as_array).ok_or_else(|| LlmError::InvalidResponse("no content in the reply".into()))?;
    let mut text = String::new();
    let mut tool = None;
    for b in blocks {
        match b.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(b.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("tool_use") if tool.is_none() => tool = b.get("input").map(Value::to_string),
            _ => {}
        }
    }
    let used_tool = tool.is_some();
    Ok(ChatResponse {
        text: tool.unwrap_or(text),
        usage: v.get("usage").map(usage_of),
        finish_reason: v.get("stop_reason").and_then(Value::as_str).map(FinishReason::from_anthropic).unwrap_or(FinishReason::Stop),
        model: reported_model(v.get("model").and_then(Value::as_str), asked),
        // Without a tool call, the schema only reached the model through the prompt.
        structured: if used_tool { Some(StructuredMode::ToolUse) } else { mode.map(|_| StructuredMode::PromptOnly) },
    })
}

/// Accumulates Anthropic stream events: `message_start` (model, input usage),
/// `content_block_start`/`_delta`/`_stop` (text or tool-input JSON pieces),
/// `message_delta` (stop reason, output usage), `message_stop`, `ping`, `error`.
#[derive(Debug)]
pub struct AnthropicStream {
    parser: SseParser,
    asked: String,
    mode: Option<StructuredMode>,
    text: String,
    tool_json: String,
    saw_tool: bool,
    model: Option<String>,
    usage: Option<Usage>,
    stop: Option<FinishReason>,
    done: bool,
    error: Option<String>,
    events: usize,
}

impl AnthropicStream {
    pub fn new(asked: &str, mode: Option<StructuredMode>) -> Self {
        Self {
            parser: SseParser::new(),
            asked: asked.to_string(),
            mode,
            text: String::new(),
            tool_json: String::new(),
            saw_tool: false,
            model: None,
            usage: None,
            stop: None,
            done: false,
            error: None,
            events: 0,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        let mut events = Vec::new();
        self.parser.feed(chunk, |e| events.push(e));
        for e in events {
            self.on_event(e);
        }
    }

    fn on_event(&mut self, e: SseEvent) {
        let Ok(v) = serde_json::from_str::<Event<'_>>(&e.data) else {
            return;
        };
        self.events += 1;
        let kind = v.kind.as_deref().or(e.event.as_deref()).unwrap_or("");
        match kind {
            "message_start" => {
                if let Some(m) = v.message {
                    if let Some(model) = m.model {
                        self.model = Some(model.into_owned());
                    }
                    if let Some(u) = &m.usage {
                        self.usage = Some(u.into());
                    }
                }
            }
            "content_block_start" => {
                if let Some(block) = v.content_block {
                    if block.kind.as_deref() == Some("tool_use") {
                        self.saw_tool = true;
                    }
                    if let Some(t) = block.text {
                        self.text.push_str(&t);
                    }
                }
            }
            "content_block_delta" => {
                if let Some(d) = v.delta {
                    match d.kind.as_deref() {
                        Some("text_delta") => self.text.push_str(d.text.as_deref().unwrap_or("")),
                        Some("input_json_delta") => self.tool_json.push_str(d.partial_json.as_deref().unwrap_or("")),
                        _ => {}
                    }
                }
            }
            "message_delta" => {
                if let Some(r) = v.delta.as_ref().and_then(|d| d.stop_reason.as_deref()) {
                    self.stop = Some(FinishReason::from_anthropic(r));
                }
                // `message_delta` usage is cumulative output; input came with `message_start`.
                if let Some((wu, out)) = v.usage.as_ref().and_then(|wu| Some((wu, wu.output_tokens?))) {
                    let u = self.usage.get_or_insert_with(Usage::default);
                    u.completion_tokens = out;
                    u.prompt_tokens = u.prompt_tokens.max(Usage::from(wu).prompt_tokens);
                }
            }
            "message_stop" => self.done = true,
            "error" => self.error = Some(crate::error::error_message(e.data.as_bytes())),
            _ => {}
        }
    }

    /// The text so far: the tool input JSON when the model is calling the tool.
    pub fn text(&self) -> &str {
        if self.saw_tool { &self.tool_json } else { &self.text }
    }

    pub fn finish(mut self) -> Result<ChatResponse, LlmError> {
        let mut events = Vec::new();
        self.parser.finish(|e| events.push(e));
        for e in events {
            self.on_event(e);
        }
        let text = if self.saw_tool { std::mem::take(&mut self.tool_json) } else { std::mem::take(&mut self.text) };
        if text.is_empty() {
            if let Some(err) = self.error {
                return Err(LlmError::InvalidResponse(format!("error event in the stream: {err}")));
            }
            if self.events == 0 {
                return Err(LlmError::InvalidResponse("the stream ended before any event".into()));
            }
        }
        let finish_reason = match (self.stop, self.done) {
            (Some(f), _) => f,
            (None, true) if self.error.is_none() => FinishReason::Stop,
            _ => FinishReason::Incomplete,
        };
        let structured = if self.saw_tool { Some(StructuredMode::ToolUse) } else { self.mode.map(|_| StructuredMode::PromptOnly) };
        Ok(ChatResponse { text, usage: self.usage, finish_reason, model: reported_model(self.model.as_deref(), &self.asked), structured })
    }
}
