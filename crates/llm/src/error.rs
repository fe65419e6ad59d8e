//! Errors of one LLM call, classified by who acts: the queue retries the
//! retryable ones (after the delay the provider asked for), the operator fixes
//! the permanent ones (a rejected key names the setting that holds it).

use argus_core::error::{Classify, ErrorClass};
use argus_core::http::HttpResponse;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LlmError {
    #[error("rate limited by the LLM provider (HTTP {status}){}: {message}", retry_hint(*retry_after_ms))]
    RateLimited { status: u16, retry_after_ms: Option<u64>, message: String },
    #[error("LLM provider unavailable (HTTP {status}): {message}")]
    Unavailable { status: u16, message: String },
    #[error("LLM request timed out after {after_ms} ms")]
    Timeout { after_ms: u64 },
    #[error("network error talking to the LLM provider: {0}")]
    Network(String),
    #[error("the LLM provider rejected the credentials in {setting} (HTTP {status}): {message}")]
    Auth { status: u16, setting: String, message: String },
    #[error("model {model:?} not found or not available to this key: {message}")]
    ModelNotFound { model: String, message: String },
    #[error("prompt too large for {model:?}: {message}")]
    PromptTooLarge { model: String, message: String },
    #[error("the LLM provider rejected the request (HTTP {status}): {message}")]
    BadRequest { status: u16, message: String },
    #[error("unreadable reply from the LLM provider: {0}")]
    InvalidResponse(String),
    #[error("circuit breaker for {provider} is open; next try in {retry_in_ms} ms")]
    CircuitOpen { provider: String, retry_in_ms: u64 },
    #[error("LLM deadline exceeded ({budget_ms} ms budget)")]
    DeadlineExceeded { budget_ms: u64 },
    #[error("Workers AI: {0}")]
    WorkersAi(String),
}

fn retry_hint(ms: Option<u64>) -> String {
    ms.map(|ms| format!(", retry after {ms} ms")).unwrap_or_default()
}

impl LlmError {
    /// Worth another attempt on the same model after a pause.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable { .. } | Self::Timeout { .. } | Self::Network(_) | Self::InvalidResponse(_))
    }

    /// Worth trying the next fallback model: everything transient, and a model
    /// this key cannot use. Not a bad key (every model shares it) nor a bad request.
    pub fn allows_fallback(&self) -> bool {
        self.is_retryable() || matches!(self, Self::ModelNotFound { .. })
    }

    /// Counts toward opening the provider's circuit breaker: signs of an outage,
    /// not of our own mistakes or of a rate limit (which `Retry-After` handles).
    pub fn is_outage(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Timeout { .. } | Self::Network(_))
    }

    /// The server refused the structured-output mechanism itself (a model
    /// without `json_schema` support): step down to a weaker mode.
    pub fn rejects_structured_output(&self) -> bool {
        match self {
            Self::BadRequest { message, .. } => {
                let m = message.to_ascii_lowercase();
                m.contains("response_format") || m.contains("json_schema") || m.contains("structured output")
            }
            _ => false,
        }
    }

    /// The server refused streaming or `stream_options` (some OpenAI-compatible
    /// servers and API versions do): retry the call without streaming.
    pub fn rejects_streaming(&self) -> bool {
        match self {
            // Whole words only: "upstream" must not count.
            Self::BadRequest { message, .. } => message
                .to_ascii_lowercase()
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| matches!(w, "stream" | "stream_options" | "streaming")),
            _ => false,
        }
    }

    /// Maps a non-2xx response to an error. `key_setting` names the secret to
    /// fix when the key is rejected; `model` is what was asked for.
    pub fn from_status(resp: &HttpResponse, model: &str, key_setting: &str, now_ms: u64) -> Self {
        let message = error_message(&resp.body);
        let lower = message.to_ascii_lowercase();
        match resp.status {
            429 => Self::RateLimited { status: 429, retry_after_ms: crate::retry::retry_after_ms(resp, now_ms), message },
            401 | 403 => Self::Auth { status: resp.status, setting: key_setting.to_string(), message },
            404 => Self::ModelNotFound { model: model.to_string(), message },
            // The server gave up waiting for us: transient, like a 5xx.
            408 => Self::Unavailable { status: 408, message },
            413 => Self::PromptTooLarge { model: model.to_string(), message },
            400 | 422
                if lower.contains("unknown_model")
                    || lower.contains("unknown model")
                    || lower.contains("model_not_found")
                    || lower.contains("does not exist") =>
            {
                Self::ModelNotFound { model: model.to_string(), message }
            }
            400 | 422
                if lower.contains("tokens_limit_reached") || lower.contains("context_length_exceeded") || lower.contains("prompt is too long") =>
            {
                Self::PromptTooLarge { model: model.to_string(), message }
            }
            // 529 is Anthropic's "overloaded".
            s if s >= 500 => Self::Unavailable { status: s, message },
            s => Self::BadRequest { status: s, message },
        }
    }
}

/// The human part of an error body: OpenAI/GitHub `{error: {message}}`,
/// Anthropic `{type: "error", error: {message}}`, `{message}`, or the raw text
/// (truncated: bodies can be HTML pages from a proxy).
pub fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let err = v.get("error").unwrap_or(&v);
        let msg = err.get("message").and_then(|m| m.as_str()).or_else(|| err.as_str());
        let code = err.get("code").or_else(|| err.get("type")).and_then(|c| c.as_str());
        match (code, msg) {
            (Some(c), Some(m)) => return format!("{c}: {m}"),
            (None, Some(m)) => return m.to_string(),
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > 300 { format!("{}…", text.chars().take(300).collect::<String>()) } else { text.to_string() }
}

impl Classify for LlmError {
    fn class(&self) -> ErrorClass {
        let secs = |ms: u64| Some(ms.div_ceil(1000).max(1));
        match self {
            Self::RateLimited { retry_after_ms, .. } => ErrorClass::Retryable { after_secs: retry_after_ms.and_then(secs) },
            Self::CircuitOpen { retry_in_ms, .. } => ErrorClass::Retryable { after_secs: secs(*retry_in_ms) },
            Self::Unavailable { .. }
            | Self::Timeout { .. }
            | Self::Network(_)
            | Self::InvalidResponse(_)
            | Self::DeadlineExceeded { .. }
            | Self::WorkersAi(_) => ErrorClass::Retryable { after_secs: None },
            Self::Auth { .. } | Self::ModelNotFound { .. } | Self::PromptTooLarge { .. } | Self::BadRequest { .. } => ErrorClass::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse { status, headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn statuses_are_classified() {
        // (status, headers, body, message, class)
        type Case<'a> = (u16, &'a [(&'a str, &'a str)], &'a str, &'a str, ErrorClass);
        let cases: &[Case] = &[
            (
                429,
                &[("retry-after", "7")],
                r#"{"error":{"code":"RateLimitReached","message":"slow down"}}"#,
                "rate limited by the LLM provider (HTTP 429), retry after 7000 ms: RateLimitReached: slow down",
                ErrorClass::Retryable { after_secs: Some(7) },
            ),
            (429, &[], "", "rate limited by the LLM provider (HTTP 429): ", ErrorClass::Retryable { after_secs: None }),
            (
                401,
                &[],
                r#"{"error":{"message":"Bad credentials"}}"#,
                "the LLM provider rejected the credentials in GITHUB_TOKEN (HTTP 401): Bad credentials",
                ErrorClass::Permanent,
            ),
            (
                404,
                &[],
                r#"{"error":{"code":"unknown_model","message":"Unknown model: x/y"}}"#,
                "model \"x/y\" not found or not available to this key: unknown_model: Unknown model: x/y",
                ErrorClass::Permanent,
            ),
            (
                400,
                &[],
                r#"{"error":{"code":"unknown_model","message":"Unknown model: x/y"}}"#,
                "model \"x/y\" not found or not available to this key: unknown_model: Unknown model: x/y",
                ErrorClass::Permanent,
            ),
            (
                413,
                &[],
                r#"{"error":{"code":"tokens_limit_reached","message":"Max size: 8000 tokens"}}"#,
                "prompt too large for \"x/y\": tokens_limit_reached: Max size: 8000 tokens",
                ErrorClass::Permanent,
            ),
            (
                529,
                &[],
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                "LLM provider unavailable (HTTP 529): overloaded_error: Overloaded",
                ErrorClass::Retryable { after_secs: None },
            ),
            (
                502,
                &[],
                "<html>Bad Gateway</html>",
                "LLM provider unavailable (HTTP 502): <html>Bad Gateway</html>",
                ErrorClass::Retryable { after_secs: None },
            ),
            (
                400,
                &[],
                r#"{"error":{"message":"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."}}"#,
                "the LLM provider rejected the request (HTTP 400): Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
                ErrorClass::Permanent,
            ),
        ];
        for (status, headers, body, want, class) in cases {
            let e = LlmError::from_status(&resp(*status, headers, body), "x/y", "GITHUB_TOKEN", 0);
            assert_eq!(e.to_string(), *want);
            assert_eq!(e.class(), *class, "{want}");
        }
    }

    #[test]
    fn structured_output_rejection_is_recognised() {
        let e = LlmError::BadRequest { status: 400, message: "response_format json_schema unsupported".into() };
        assert!(e.rejects_structured_output());
        let e = LlmError::BadRequest { status: 400, message: "messages: empty".into() };
        assert!(!e.rejects_structured_output());
    }

    #[test]
    fn streaming_rejection_is_recognised_by_whole_words() {
        for (message, want) in [
            ("Unrecognized request argument supplied: stream_options", true),
            ("'stream' is not supported for this model", true),
            ("Streaming is disabled", true),
            ("upstream connect error", false),
            ("messages must not be empty", false),
        ] {
            let e = LlmError::BadRequest { status: 400, message: message.into() };
            assert_eq!(e.rejects_streaming(), want, "{message}");
        }
        assert!(!LlmError::Unavailable { status: 500, message: "stream".into() }.rejects_streaming());
    }

    #[test]
    fn long_bodies_are_truncated() {
        let body = "x".repeat(1000);
        assert_eq!(error_message(body.as_bytes()).chars().count(), 301);
    }
}
