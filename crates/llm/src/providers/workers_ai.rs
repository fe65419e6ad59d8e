//! Workers AI through the `AI` binding. The binding exists only on the platform
//! (and only in a deploy environment: an `ai` binding keeps `wrangler dev`
//! from starting offline), so this crate defines the [`WorkersAi`] trait the
//! platform implements, and builds the input and reads the output here.
//! Input/output: <https://developers.cloudflare.com/workers-ai/models/> (text
//! generation: `messages`, `max_tokens`, `temperature`, `response_format`;
//! output `response` and `usage`), JSON mode:
//! <https://developers.cloudflare.com/workers-ai/features/json-mode/>.

use super::{CallOptions, LlmProvider, needs_prompt_schema, with_schema_instruction};
use crate::config::ProviderKind;
use crate::error::LlmError;
use crate::types::{ChatRequest, ChatResponse, FinishReason, StructuredMode, Usage};
use serde_json::{Map, Value, json};

/// What the binding's `run` can fail with, as the platform maps it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkersAiError {
    /// Capacity exceeded / too many requests.
    #[error("rate limited: {0}")]
    RateLimited(String),
    #[error("model not found: {0}")]
    ModelNotFound(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{0}")]
    Other(String),
}

/// `env.AI.run(model, input)`, implemented by the platform.
#[allow(async_fn_in_trait)]
pub trait WorkersAi {
    async fn run(&self, model: &str, input: Value) -> Result<Value, WorkersAiError>;
}

/// The `input` object for a text-generation model. No streaming: the binding
/// returns a `ReadableStream` then, which the platform would have to pump; the
/// deadline race in the client bounds the wait instead.
pub fn build_input(req: &ChatRequest, call: &CallOptions) -> Value {
    let messages = match (&req.schema, needs_prompt_schema(call.mode)) {
        (Some(schema), true) => with_schema_instruction(&req.messages, schema),
        _ => req.messages.clone(),
    };
    let mut input = Map::new();
    input.insert("messages".into(), Value::Array(messages.iter().map(|m| json!({"role": m.role.as_str(), "content": m.content})).collect()));
    input.insert("max_tokens".into(), json!(req.max_output_tokens));
    if let Some(t) = req.temperature {
        input.insert("temperature".into(), json!(t));
    }
    if let (Some(schema), Some(StructuredMode::JsonSchema)) = (&req.schema, call.mode) {
        // Workers AI takes the schema itself under `json_schema` (no name/strict wrapper).
        input.insert("response_format".into(), json!({"type": "json_schema", "json_schema": schema.schema}));
    }
    Value::Object(input)
}

/// Reads the binding's output. In JSON mode `response` may arrive already
/// parsed (an object); it is returned as JSON text either way. Workers AI
/// reports no finish reason, so a reply that used the whole output budget is
/// reported as [`FinishReason::Length`].
pub fn parse_output(out: &Value, req: &ChatRequest, call: &CallOptions) -> Result<ChatResponse, LlmError> {
    let text = match out.get("response") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => {
            // Some models answer JSON through a tool call.
            match out.pointer("/tool_calls/0/arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(v) if !v.is_null() => v.to_string(),
                _ => {
                    return Err(LlmError::InvalidResponse("Workers AI output has no `response`".into()));
                }
            }
        }
        Some(v) => v.to_string(),
    };
    let usage = out.get("usage").filter(|u| u.is_object()).map(|u| Usage {
        prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
        completion_tokens: u.get("completion_tokens").and_then(Value::as_u64).unwrap_or(0),
    });
    let finish_reason = match usage {
        Some(u) if u.completion_tokens >= req.max_output_tokens as u64 => FinishReason::Length,
        _ => FinishReason::Stop,
    };
    Ok(ChatResponse { text, usage, finish_reason, model: call.model.clone(), structured: call.mode })
}

impl From<WorkersAiError> for LlmError {
    fn from(e: WorkersAiError) -> Self {
        match e {
            WorkersAiError::RateLimited(m) => LlmError::RateLimited { status: 429, retry_after_ms: None, message: m },
            WorkersAiError::ModelNotFound(m) => LlmError::ModelNotFound { model: m.clone(), message: m },
            WorkersAiError::InvalidInput(m) => LlmError::BadRequest { status: 400, message: m },
            WorkersAiError::Other(m) => LlmError::WorkersAi(m),
        }
    }
}

pub struct WorkersAiProvider<A> {
    pub ai: A,
}

impl<A: WorkersAi> LlmProvider for WorkersAiProvider<A> {
    fn kind(&self) -> ProviderKind {
        ProviderKind::WorkersAi
    }

    async fn complete(&self, req: &ChatRequest, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        let out = self.ai.run(&call.model, build_input(req, call)).await?;
        parse_output(&out, req, call)
    }
}
