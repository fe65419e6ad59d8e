//! OpenAI-compatible chat completions: GitHub Models, OpenAI, Azure OpenAI and
//! self-hosted servers (Ollama, vLLM, LM Studio, OpenRouter) share one wire
//! format and differ only in URL and authentication.
//! Request/response shapes: <https://platform.openai.com/docs/api-reference/chat/create>,
//! <https://docs.github.com/en/rest/models/inference>,
//! <https://learn.microsoft.com/azure/ai-services/openai/reference>.

use super::{CallOptions, is_event_stream, is_reasoning, needs_prompt_schema, reported_model, with_schema_instruction};
use crate::config::{LlmConfig, ProviderKind};
use crate::error::LlmError;
use crate::sse::{SseEvent, SseParser};
use crate::types::Message;
use crate::types::{ChatRequest, ChatResponse, FinishReason, StructuredMode, Usage};
use argus_core::http::{HttpRequest, HttpResponse, Method};
use argus_core::secret::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// The chat-completions request body.
#[derive(Debug, Serialize)]
pub struct OpenAiBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    #[serde(serialize_with = "serialize_messages")]
    pub messages: Cow<'a, [Message]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// `response_format`: <https://platform.openai.com/docs/api-reference/chat/create#chat-create-response_format>.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat<'a> {
    JsonSchema { json_schema: JsonSchemaFormat<'a> },
    JsonObject,
}

#[derive(Debug, Serialize)]
pub struct JsonSchemaFormat<'a> {
    pub name: &'a str,
    pub schema: &'a Value,
    pub strict: bool,
}

#[derive(Debug, Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

/// Messages as `{role, content}` objects (the role as its wire string).
pub(crate) fn serialize_messages<S: serde::Serializer>(messages: &[Message], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    #[derive(Serialize)]
    struct Wire<'b> {
        role: &'static str,
        content: &'b str,
    }
    let mut seq = s.serialize_seq(Some(messages.len()))?;
    for m in messages.iter() {
        seq.serialize_element(&Wire { role: m.role.as_str(), content: &m.content })?;
    }
    seq.end()
}

#[derive(Clone, Debug, PartialEq)]
pub enum Flavor {
    /// `POST {base}/inference/chat/completions`, or `{base}/orgs/{org}/inference/...` for org billing.
    GithubModels { org: Option<String> },
    /// `POST {base}/chat/completions` with a bearer key (OpenAI and self-hosted servers).
    OpenAi,
    /// `POST {base}/openai/deployments/{deployment}/chat/completions?api-version=...` with `api-key`.
    Azure { api_version: String },
}

#[derive(Clone, Debug)]
pub struct OpenAiEndpoint {
    pub base_url: String,
    pub flavor: Flavor,
    pub api_key: Option<SecretString>,
    pub key_setting: String,
}

impl OpenAiEndpoint {
    pub fn from_config(c: &LlmConfig) -> Self {
        let flavor = match (c.provider, &c.azure_api_version) {
            (ProviderKind::GithubModels, _) => Flavor::GithubModels { org: c.github_org.clone() },
            (_, Some(v)) => Flavor::Azure { api_version: v.clone() },
            _ => Flavor::OpenAi,
        };
        Self { base_url: c.base_url.clone(), flavor, api_key: c.api_key.clone(), key_setting: c.api_key_setting.to_string() }
    }

    pub fn kind(&self) -> ProviderKind {
        match self.flavor {
            Flavor::GithubModels { .. } => ProviderKind::GithubModels,
            _ => ProviderKind::OpenAi,
        }
    }

    pub fn url(&self, model: &str) -> String {
        let base = &self.base_url;
        match &self.flavor {
            Flavor::GithubModels { org: Some(org) } => {
                format!("{base}/orgs/{org}/inference/chat/completions")
            }
            Flavor::GithubModels { org: None } => format!("{base}/inference/chat/completions"),
            Flavor::OpenAi => format!("{base}/chat/completions"),
            Flavor::Azure { api_version } => {
                format!("{base}/openai/deployments/{}/chat/completions?api-version={api_version}", url_segment(model))
            }
        }
    }

    /// The request body, borrowing from `req` (serialized straight to bytes: a
    /// review prompt is tens of KB and copying it into a `Value` first doubled the cost).
    pub fn body<'a>(&self, req: &'a ChatRequest, call: &'a CallOptions) -> OpenAiBody<'a> {
        let messages: Cow<'a, [Message]> = match (&req.schema, needs_prompt_schema(call.mode)) {
            (Some(schema), true) => Cow::Owned(with_schema_instruction(&req.messages, schema)),
            _ => Cow::Borrowed(&req.messages),
        };
        // Reasoning models refuse `max_tokens` and any non-default temperature
        // (<https://platform.openai.com/docs/guides/reasoning>); the cap is still always sent.
        let reasoning = is_reasoning(&call.model);
        let response_format = match (&req.schema, call.mode) {
            (Some(schema), Some(StructuredMode::JsonSchema)) => Some(ResponseFormat::JsonSchema {
                json_schema: JsonSchemaFormat { name: &schema.name, schema: &schema.schema, strict: schema.strict },
            }),
            (Some(_), Some(StructuredMode::JsonObject)) => Some(ResponseFormat::JsonObject),
            _ => None,
        };
        OpenAiBody {
            // Azure names the deployment in the URL.
            model: (!matches!(self.flavor, Flavor::Azure { .. })).then_some(call.model.as_str()),
            messages,
            max_tokens: (!reasoning).then_some(req.max_output_tokens),
            max_completion_tokens: reasoning.then_some(req.max_output_tokens),
            temperature: req.temperature.filter(|_| !reasoning),
            response_format,
            stream: call.stream.then_some(true),
            // The usage chunk comes last, before `[DONE]`.
            stream_options: call.stream.then_some(StreamOptions { include_usage: true }),
        }
    }

    pub fn build(&self, req: &ChatRequest, call: &CallOptions) -> HttpRequest {
        let mut http = HttpRequest::new(Method::Post, self.url(&call.model)).timeout_ms(call.timeout_ms);
        match &self.flavor {
            Flavor::GithubModels { .. } => {
                http = http.header("accept", "application/vnd.github+json").header("x-github-api-version", "2022-11-28");
                if let Some(k) = &self.api_key {
                    http = http.header("authorization", format!("Bearer {}", k.expose()));
                }
            }
            Flavor::OpenAi => {
                http = http.header("accept", if call.stream { "text/event-stream" } else { "application/json" });
                if let Some(k) = &self.api_key {
                    http = http.header("authorization", format!("Bearer {}", k.expose()));
                }
            }
            Flavor::Azure { .. } => {
                http = http.header("accept", if call.stream { "text/event-stream" } else { "application/json" });
                if let Some(k) = &self.api_key {
                    http = http.header("api-key", k.expose());
                }
            }
        }
        http.json_body(&self.body(req, call))
    }

    pub fn parse(&self, resp: &HttpResponse, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        if !(200..300).contains(&resp.status) {
            return Err(LlmError::from_status(resp, &call.model, &self.key_setting, call.now.0));
        }
        if is_event_stream(resp) {
            let mut acc = OpenAiStream::new(&call.model, call.mode);
            acc.feed(&resp.body);
            return acc.finish();
        }
        parse_completion(&resp.body, &call.model, call.mode)
    }
}

/// Deployment names go into a path segment.
fn url_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn usage_of(v: &Value) -> Option<Usage> {
    let u = v.get("usage").filter(|u| u.is_object())?;
    Some(Usage {
        prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
        completion_tokens: u.get("completion_tokens").and_then(Value::as_u64).unwrap_or(0),
    })
}

/// A non-streamed `chat.completion` object.
pub fn parse_completion(body: &[u8], asked: &str, mode: Option<StructuredMode>) -> Result<ChatResponse, LlmError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(LlmError::InvalidResponse("empty body".into()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| LlmError::InvalidResponse(format!("not JSON: {e}")))?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(LlmError::InvalidResponse(format!("error in a 2xx reply: {}", crate::error::error_message(err.to_string().as_bytes()))));
    }
    let choice = v.get("choices").and_then(|c| c.get(0)).ok_or_else(|| LlmError::InvalidResponse("no choices in the reply".into()))?;
    let message = choice.get("message");
    let content = message.and_then(|m| m.get("content")).and_then(Value::as_str);
    // A tool call's arguments, should a server answer JSON that way.
    let tool_args =
        message.and_then(|m| m.get("tool_calls")).and_then(|t| t.get(0)).and_then(|t| t.pointer("/function/arguments")).and_then(Value::as_str);
    let refused = message.and_then(|m| m.get("refusal")).and_then(Value::as_str).is_some_and(|r| !r.is_empty());
    let text = content.filter(|c| !c.is_empty()).or(tool_args).unwrap_or("").to_string();
    let finish_reason = match choice.get("finish_reason").and_then(Value::as_str) {
        _ if refused => FinishReason::ContentFilter,
        Some(r) => FinishReason::from_openai(r),
        None => FinishReason::Stop,
    };
    Ok(ChatResponse {
        text,
        usage: usage_of(&v),
        finish_reason,
        model: reported_model(v.get("model").and_then(Value::as_str), asked),
        structured: mode,
    })
}

/// One `chat.completion.chunk`; unknown fields are ignored, text borrowed when unescaped.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    choices: Option<Vec<ChunkChoice<'a>>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice<'a> {
    #[serde(borrow, default)]
    delta: Option<Delta<'a>>,
    #[serde(borrow, default)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow, default)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tool_calls: Option<Vec<ToolCallDelta<'a>>>,
}

#[derive(Deserialize)]
struct ToolCallDelta<'a> {
    #[serde(borrow, default)]
    function: Option<FunctionDelta<'a>>,
}

#[derive(Deserialize)]
struct FunctionDelta<'a> {
    #[serde(borrow, default)]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        Usage { prompt_tokens: u.prompt_tokens.unwrap_or(0), completion_tokens: u.completion_tokens.unwrap_or(0) }
    }
}

/// Accumulates a streamed chat completion (`chat.completion.chunk` events, then
/// an optional usage-only chunk, then `[DONE]`). Feed bytes as they arrive; a
/// stream cut anywhere still yields the text received, marked
/// [`FinishReason::Incomplete`].
#[derive(Debug)]
pub struct OpenAiStream {
    parser: SseParser,
    asked: String,
    mode: Option<StructuredMode>,
    text: String,
    model: Option<String>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
    done: bool,
    error: Option<String>,
    events: usize,
}

impl OpenAiStream {
    pub fn new(asked: &str, mode: Option<StructuredMode>) -> Self {
        Self {
            parser: SseParser::new(),
            asked: asked.to_string(),
            mode,
            text: String::new(),
            model: None,
            usage: None,
            finish: None,
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

    /// The text so far (for progress; the engine may parse findings early).
    pub fn text(&self) -> &str {
        &self.text
    }

    fn on_event(&mut self, e: SseEvent) {
        let data = e.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return;
        }
        // A half-received chunk at a cut does not parse: skip it, keep the rest.
        // Typed and borrowing: a reply is hundreds of chunks, and a `Value` per
        // chunk cost ~5× more CPU (see benches/adapter.rs).
        let Ok(chunk) = serde_json::from_str::<Chunk<'_>>(data) else {
            return;
        };
        self.events += 1;
        if let Some(err) = chunk.error.filter(|e| !e.is_null()) {
            self.error = Some(crate::error::error_message(err.to_string().as_bytes()));
            return;
        }
        if let Some(m) = chunk.model.filter(|m| !m.is_empty() && self.model.as_deref() != Some(&**m)) {
            self.model = Some(m.into_owned());
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u.into());
        }
        if let Some(choice) = chunk.choices.and_then(|c| c.into_iter().next()) {
            if let Some(delta) = choice.delta {
                if let Some(t) = delta.content {
                    self.text.push_str(&t);
                }
                if let Some(args) = delta.tool_calls.and_then(|t| t.into_iter().next()).and_then(|t| t.function).and_then(|f| f.arguments) {
                    self.text.push_str(&args);
                }
            }
            if let Some(r) = choice.finish_reason {
                self.finish = Some(FinishReason::from_openai(&r));
            }
        }
    }

    pub fn finish(mut self) -> Result<ChatResponse, LlmError> {
        let mut events = Vec::new();
        self.parser.finish(|e| events.push(e));
        for e in events {
            self.on_event(e);
        }
        if self.text.is_empty() {
            if let Some(err) = self.error {
                return Err(LlmError::InvalidResponse(format!("error event in the stream: {err}")));
            }
            if self.events == 0 && !self.done {
                return Err(LlmError::InvalidResponse("the stream ended before any event".into()));
            }
        }
        let finish_reason = match self.finish {
            Some(f) => f,
            None if self.done && self.error.is_none() => FinishReason::Stop,
            None => FinishReason::Incomplete,
        };
        Ok(ChatResponse {
            text: self.text,
            usage: self.usage,
            finish_reason,
            model: reported_model(self.model.as_deref(), &self.asked),
            structured: self.mode,
        })
    }
}
