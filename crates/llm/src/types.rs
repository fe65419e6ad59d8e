//! The provider-neutral request and response of one chat completion: what the
//! review engine hands to a provider and what it gets back.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: Role::System, content: content.into() }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into() }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

/// A JSON Schema the reply must follow. The review engine owns the schema;
/// this crate only carries it to whichever mechanism the provider offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonSchema {
    /// A short identifier (`[a-zA-Z0-9_-]`, ≤ 64 chars for OpenAI); also the Anthropic tool name.
    pub name: String,
    pub schema: serde_json::Value,
    /// OpenAI "strict" structured outputs: the schema must then close every object
    /// (`additionalProperties: false`) and list every property as required.
    pub strict: bool,
}

/// How a request asks for JSON. Ordered from strongest to weakest guarantee; the
/// client steps down when a server refuses the stronger one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredMode {
    /// `response_format: {type: "json_schema", ...}` (OpenAI-compatible, Workers AI).
    JsonSchema,
    /// Anthropic: a forced tool call whose `input_schema` is the schema.
    ToolUse,
    /// `response_format: {type: "json_object"}` plus the schema in the prompt.
    JsonObject,
    /// Only an instruction in the system prompt; the engine's tolerant parser does the rest.
    PromptOnly,
}

impl StructuredMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "json_schema" => Some(Self::JsonSchema),
            "tool" | "tool_use" => Some(Self::ToolUse),
            "json_object" | "json" => Some(Self::JsonObject),
            "prompt" | "prompt_only" => Some(Self::PromptOnly),
            _ => None,
        }
    }

    /// The next weaker mode to try after a server rejected this one.
    pub fn weaker(self) -> Option<Self> {
        match self {
            Self::JsonSchema | Self::ToolUse => Some(Self::JsonObject),
            Self::JsonObject => Some(Self::PromptOnly),
            Self::PromptOnly => None,
        }
    }
}

/// One chat completion as the engine asks for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub schema: Option<JsonSchema>,
    /// Always sent: an unbounded reply can run into the deadline or the bill.
    pub max_output_tokens: u32,
    /// `None` leaves the provider's default (reasoning models accept no other).
    pub temperature: Option<f64>,
}

impl ChatRequest {
    pub fn new(messages: Vec<Message>, max_output_tokens: u32) -> Self {
        Self { messages, schema: None, max_output_tokens, temperature: None }
    }
    pub fn with_schema(mut self, schema: JsonSchema) -> Self {
        self.schema = Some(schema);
        self
    }
    pub fn with_temperature(mut self, t: f64) -> Self {
        self.temperature = Some(t);
        self
    }
    /// Characters of prompt text, for estimates when a provider reports no usage.
    pub fn prompt_chars(&self) -> usize {
        self.messages.iter().map(|m| m.content.len()).sum()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its reply (OpenAI `stop`, Anthropic `end_turn`/`stop_sequence`, or the forced tool call).
    Stop,
    /// Cut at `max_output_tokens` (OpenAI `length`, Anthropic `max_tokens`): the JSON may be unterminated.
    Length,
    ContentFilter,
    /// The stream ended before the provider said why: the connection dropped or the deadline hit mid-reply.
    Incomplete,
    Other(String),
}

impl FinishReason {
    pub fn from_openai(s: &str) -> Self {
        match s {
            "stop" | "tool_calls" | "function_call" => Self::Stop,
            "length" => Self::Length,
            "content_filter" => Self::ContentFilter,
            other => Self::Other(other.to_string()),
        }
    }
    pub fn from_anthropic(s: &str) -> Self {
        match s {
            // A forced tool call ends with `tool_use`: for us that is the complete answer.
            "end_turn" | "stop_sequence" | "tool_use" => Self::Stop,
            "max_tokens" => Self::Length,
            "refusal" => Self::ContentFilter,
            other => Self::Other(other.to_string()),
        }
    }
}

/// What one provider call returned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The reply text; for a tool call, the tool input as JSON text.
    pub text: String,
    /// As reported by the provider; `None` when it reported nothing (e.g. a cut stream).
    pub usage: Option<Usage>,
    pub finish_reason: FinishReason,
    /// The model that answered, as the provider named it (may be a dated snapshot of the one asked for).
    pub model: String,
    /// How JSON was requested for this reply, so the engine knows how much to trust its shape.
    pub structured: Option<StructuredMode>,
}
