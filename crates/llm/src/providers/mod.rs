//! The provider trait and the pieces every adapter shares: which structured-output
//! mechanism a provider/model gets, the prompt-side JSON instruction, and header
//! redaction for logs and snapshots.

pub mod anthropic;
pub mod openai;
pub mod workers_ai;

use crate::config::{LlmConfig, ProviderKind};
use crate::error::LlmError;
use crate::limits::bare_model;
use crate::types::{ChatRequest, ChatResponse, JsonSchema, Message, Role, StructuredMode};
use argus_core::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use argus_core::ids::UnixMillis;

/// Per-call choices the client makes on top of the engine's [`ChatRequest`].
#[derive(Clone, Debug, PartialEq)]
pub struct CallOptions {
    pub model: String,
    /// `None` when the request carries no schema.
    pub mode: Option<StructuredMode>,
    pub stream: bool,
    pub timeout_ms: u64,
    /// For `Retry-After` dates.
    pub now: UnixMillis,
}

/// One chat completion against one model. Implemented over HTTP by
/// [`HttpProvider`] and over the Workers AI binding by [`workers_ai::WorkersAiProvider`].
#[allow(async_fn_in_trait)]
pub trait LlmProvider {
    fn kind(&self) -> ProviderKind;
    async fn complete(&self, req: &ChatRequest, call: &CallOptions) -> Result<ChatResponse, LlmError>;
}

/// A borrowed provider, so one platform provider serves a client per review.
impl<T: LlmProvider> LlmProvider for &T {
    fn kind(&self) -> ProviderKind {
        (**self).kind()
    }
    async fn complete(&self, req: &ChatRequest, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        (**self).complete(req, call).await
    }
}

/// The strongest structured-output mechanism `provider` offers for `model`.
/// OpenAI-compatible servers get `json_schema` (OpenAI, Azure, GitHub Models'
/// OpenAI models, vLLM, Ollama ≥ 0.5, LM Studio all accept it; the client steps
/// down to `json_object` then prompt-only when a server refuses it). GitHub
/// Models' other publishers start at `json_object`; Anthropic uses a forced tool.
pub fn default_mode(provider: ProviderKind, model: &str) -> StructuredMode {
    match provider {
        ProviderKind::Anthropic => StructuredMode::ToolUse,
        ProviderKind::GithubModels if !model.to_ascii_lowercase().starts_with("openai/") => StructuredMode::JsonObject,
        ProviderKind::GithubModels | ProviderKind::OpenAi | ProviderKind::WorkersAi => StructuredMode::JsonSchema,
    }
}

/// The mode for this request: none without a schema, else the configured one, else the default.
pub fn mode_for(config: &LlmConfig, model: &str, req: &ChatRequest) -> Option<StructuredMode> {
    req.schema.as_ref()?;
    Some(config.structured.unwrap_or_else(|| default_mode(config.provider, model)))
}

/// Messages with the JSON instruction added to the system prompt, for the modes
/// where the server does not enforce the schema (JSON mode requires the word
/// "JSON" in the prompt anyway: <https://platform.openai.com/docs/guides/structured-outputs#json-mode>).
pub fn with_schema_instruction(messages: &[Message], schema: &JsonSchema) -> Vec<Message> {
    let instruction = schema_instruction(schema);
    let mut out = messages.to_vec();
    match out.iter_mut().find(|m| m.role == Role::System) {
        Some(system) => {
            system.content.push_str("\n\n");
            system.content.push_str(&instruction);
        }
        None => out.insert(0, Message::system(instruction)),
    }
    out
}

/// The instruction that carries the schema in the prompt.
pub fn schema_instruction(schema: &JsonSchema) -> String {
    format!(
        "Reply with JSON only (no prose, no Markdown fences) that validates against this JSON Schema:\n{}",
        serde_json::to_string(&schema.schema).unwrap_or_default()
    )
}

/// Whether the messages must carry the schema as text for `mode`.
pub(crate) fn needs_prompt_schema(mode: Option<StructuredMode>) -> bool {
    matches!(mode, Some(StructuredMode::JsonObject | StructuredMode::PromptOnly))
}

/// Header names whose values are secrets.
const SECRET_HEADERS: &[&str] = &["authorization", "api-key", "x-api-key"];

/// The request's headers with secret values replaced, for logs and snapshots.
pub fn redacted_headers(req: &HttpRequest) -> Vec<(String, String)> {
    req.headers
        .iter()
        .map(|(k, v)| {
            let secret = SECRET_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s));
            (k.clone(), if secret { "[redacted]".to_string() } else { v.clone() })
        })
        .collect()
}

/// The wire format of an HTTP provider: builds the request, reads the response.
#[derive(Clone, Debug)]
pub enum Wire {
    OpenAi(openai::OpenAiEndpoint),
    Anthropic(anthropic::AnthropicEndpoint),
}

impl Wire {
    /// `None` for Workers AI, which is a binding, not an HTTP endpoint.
    pub fn from_config(config: &LlmConfig) -> Option<Self> {
        match config.provider {
            ProviderKind::GithubModels | ProviderKind::OpenAi => Some(Self::OpenAi(openai::OpenAiEndpoint::from_config(config))),
            ProviderKind::Anthropic => Some(Self::Anthropic(anthropic::AnthropicEndpoint::from_config(config))),
            ProviderKind::WorkersAi => None,
        }
    }

    pub fn kind(&self) -> ProviderKind {
        match self {
            Self::OpenAi(e) => e.kind(),
            Self::Anthropic(_) => ProviderKind::Anthropic,
        }
    }

    pub fn build(&self, req: &ChatRequest, call: &CallOptions) -> HttpRequest {
        match self {
            Self::OpenAi(e) => e.build(req, call),
            Self::Anthropic(e) => e.build(req, call),
        }
    }

    pub fn parse(&self, resp: &HttpResponse, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        match self {
            Self::OpenAi(e) => e.parse(resp, call),
            Self::Anthropic(e) => e.parse(resp, call),
        }
    }
}

/// Whether a 2xx body is an event stream: by content type, else by sniffing
/// (some self-hosted servers ignore `stream` or mislabel the type).
pub(crate) fn is_event_stream(resp: &HttpResponse) -> bool {
    if resp.header("content-type").is_some_and(|ct| ct.to_ascii_lowercase().contains("text/event-stream")) {
        return true;
    }
    let start = resp.body.iter().position(|b| !b.is_ascii_whitespace()).map(|i| &resp.body[i..]).unwrap_or(&[]);
    start.starts_with(b"data:") || start.starts_with(b"event:") || start.starts_with(b":")
}

/// An HTTP provider: a [`Wire`] format over an [`HttpClient`].
pub struct HttpProvider<C> {
    pub wire: Wire,
    pub client: C,
}

impl<C: HttpClient> HttpProvider<C> {
    pub fn new(wire: Wire, client: C) -> Self {
        Self { wire, client }
    }
}

impl<C: HttpClient> LlmProvider for HttpProvider<C> {
    fn kind(&self) -> ProviderKind {
        self.wire.kind()
    }

    async fn complete(&self, req: &ChatRequest, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        let http = self.wire.build(req, call);
        let resp = self.client.send(http).await.map_err(|e| match e {
            TransportError::Timeout(ms) => LlmError::Timeout { after_ms: ms },
            TransportError::Network(m) => LlmError::Network(m),
        })?;
        self.wire.parse(&resp, call)
    }
}

/// The model as the provider reported it, else the one asked for.
pub(crate) fn reported_model(v: Option<&str>, asked: &str) -> String {
    v.filter(|m| !m.is_empty()).unwrap_or(asked).to_string()
}

/// Reasoning models on OpenAI-compatible APIs.
pub(crate) fn is_reasoning(model: &str) -> bool {
    crate::limits::is_reasoning_model(&bare_model(model))
}
