//! LLM configuration parsed from environment-variable strings (Worker vars and
//! secrets), with errors that name the setting to fix. Raw strings go in via a
//! lookup function, so the parser is pure and tested without an environment.
//!
//! | setting | default | meaning |
//! |---|---|---|
//! | `LLM_PROVIDER` | `github-models` | `github-models`, `openai` (also Azure and self-hosted), `anthropic`, `workers-ai` |
//! | `LLM_MODEL` / `GITHUB_MODEL` | per provider (`openai/gpt-4o-mini` on GitHub Models) | the primary model (`LLM_MODEL` wins); for Azure, the deployment name |
//! | `LLM_FALLBACK_MODELS` | none | comma-separated, tried in order after the primary gives up |
//! | `LLM_BASE_URL` | per provider | e.g. `http://127.0.0.1:11434/v1` (Ollama), `https://x.openai.azure.com` |
//! | `GITHUB_TOKEN` (secret) | — | GitHub Models auth (`models:read`) |
//! | `LLM_API_KEY` (secret) | — | OpenAI / Azure / Anthropic key; optional with a custom `LLM_BASE_URL` |
//! | `GITHUB_MODELS_ORG` | none | bill GitHub Models usage to this organization |
//! | `LLM_API_VERSION` | `2024-10-21` on `*.openai.azure.com` | Azure `api-version`; setting it selects Azure URLs and the `api-key` header |
//! | `LLM_STRUCTURED_OUTPUT` | per provider/model | force `json_schema`, `json_object`, `tool` (Anthropic) or `prompt` |
//! | `LLM_STREAM` | `true` | ask for SSE so a cut stream keeps what arrived |
//! | `LLM_MAX_INPUT_TOKENS`, `LLM_MAX_OUTPUT_TOKENS`, `LLM_CONCURRENCY` | limits table | override the per-model limits (for every model in the chain) |
//! | `LLM_MAX_ATTEMPTS` | 3 | attempts per model |
//! | `LLM_TIMEOUT_MS` | 60000 | one attempt |
//! | `LLM_CALL_DEADLINE_MS` | 180000 | one call, all attempts and fallbacks |
//! | `LLM_REVIEW_DEADLINE_MS` | 600000 | all calls of one review |
//! | `LLM_PRICE_INPUT_PER_MTOK`, `LLM_PRICE_OUTPUT_PER_MTOK` | price table | USD per million tokens, both or neither |

use crate::breaker::BreakerPolicy;
use crate::limits::{self, LimitOverrides, ModelLimits, Price};
use crate::retry::RetryPolicy;
use crate::types::StructuredMode;
use argus_core::error::{Classify, ErrorClass};
use argus_core::secret::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    GithubModels,
    OpenAi,
    Anthropic,
    WorkersAi,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 4] = [Self::GithubModels, Self::OpenAi, Self::Anthropic, Self::WorkersAi];

    /// The `LLM_PROVIDER` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubModels => "github-models",
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::WorkersAi => "workers-ai",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    fn default_base_url(self) -> &'static str {
        match self {
            // <https://docs.github.com/en/rest/models/inference>
            Self::GithubModels => "https://models.github.ai",
            Self::OpenAi => "https://api.openai.com/v1",
            Self::Anthropic => "https://api.anthropic.com",
            Self::WorkersAi => "",
        }
    }

    fn default_model(self) -> &'static str {
        match self {
            Self::GithubModels => "openai/gpt-4o-mini",
            Self::OpenAi => "gpt-4o-mini",
            Self::Anthropic => "claude-haiku-4-5",
            Self::WorkersAi => "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bad setting. The message starts with the setting's name so an operator
/// can grep their configuration for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{setting} {problem}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

/// Every bad setting found, not only the first, so one deploy fixes them all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid LLM configuration: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl Classify for ConfigErrors {
    /// The operator's deployment is wrong; retrying the job cannot fix it.
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}

/// The resolved LLM configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct LlmConfig {
    pub provider: ProviderKind,
    pub model: String,
    /// Tried in order after `model` exhausts its retries (`LLM_FALLBACK_MODELS`, comma-separated).
    pub fallback_models: Vec<String>,
    /// Without a trailing slash; empty for Workers AI (a binding, not a URL).
    pub base_url: String,
    pub api_key: Option<SecretString>,
    /// The setting the key came from, named in "key rejected" errors.
    pub api_key_setting: &'static str,
    /// GitHub Models org billing (`GITHUB_MODELS_ORG`): `{base}/orgs/{org}/inference/chat/completions`.
    pub github_org: Option<String>,
    /// Azure OpenAI `api-version`; set means `{base}/openai/deployments/{model}/chat/completions` with an `api-key` header.
    pub azure_api_version: Option<String>,
    /// Forces a structured-output mechanism (`LLM_STRUCTURED_OUTPUT`); otherwise chosen per provider and model.
    pub structured: Option<StructuredMode>,
    /// Ask for SSE (`LLM_STREAM`, default true): a cut stream still yields the text received.
    pub stream: bool,
    pub limits: LimitOverrides,
    /// Overrides the price table (`LLM_PRICE_INPUT_PER_MTOK` and `LLM_PRICE_OUTPUT_PER_MTOK`, USD).
    pub price: Option<Price>,
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
}

/// Azure's GA version with structured outputs (`json_schema`),
/// <https://learn.microsoft.com/azure/ai-services/openai/reference>.
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

impl LlmConfig {
    /// Parses the settings from `get(name)`; empty values count as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut errors = Vec::new();
        let mut err = |setting: &'static str, problem: String| errors.push(ConfigError { setting, problem });

        let provider = match get("LLM_PROVIDER") {
            None => ProviderKind::GithubModels,
            Some(raw) => ProviderKind::parse(&raw).unwrap_or_else(|| {
                let known: Vec<_> = ProviderKind::ALL.iter().map(|p| p.as_str()).collect();
                err("LLM_PROVIDER", format!("is {raw:?}, expected one of {}", known.join(", ")));
                ProviderKind::GithubModels
            }),
        };

        let model = get("LLM_MODEL")
            .or_else(|| if provider == ProviderKind::GithubModels { get("GITHUB_MODEL") } else { None })
            .unwrap_or_else(|| provider.default_model().to_string());
        let mut fallback_models: Vec<String> = Vec::new();
        for m in get("LLM_FALLBACK_MODELS").unwrap_or_default().split(',').map(str::trim).filter(|m| !m.is_empty()) {
            if m != model && !fallback_models.iter().any(|f| f == m) {
                fallback_models.push(m.to_string());
            }
        }

        let custom_base = get("LLM_BASE_URL");
        let base_url = match &custom_base {
            Some(url) if provider == ProviderKind::WorkersAi => {
                err("LLM_BASE_URL", format!("is {url:?}, but workers-ai uses the AI binding, not a URL"));
                String::new()
            }
            Some(url) => {
                if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
                    err("LLM_BASE_URL", format!("is {url:?}, expected an http(s) URL"));
                }
                url.trim_end_matches('/').to_string()
            }
            None => provider.default_base_url().to_string(),
        };

        // GitHub Models authenticates with a GitHub token (`models:read`);
        // the others with LLM_API_KEY. A self-hosted server (custom base URL) may need none.
        let (api_key, api_key_setting) = match provider {
            ProviderKind::GithubModels => match (get("GITHUB_TOKEN"), get("LLM_API_KEY")) {
                (Some(t), _) => (Some(SecretString::new(t)), "GITHUB_TOKEN"),
                (None, Some(k)) => (Some(SecretString::new(k)), "LLM_API_KEY"),
                (None, None) => {
                    err("GITHUB_TOKEN", "is not set (GitHub Models needs a token with the models:read permission)".into());
                    (None, "GITHUB_TOKEN")
                }
            },
            ProviderKind::OpenAi | ProviderKind::Anthropic => {
                let key = get("LLM_API_KEY").map(SecretString::new);
                if key.is_none() && custom_base.is_none() {
                    err("LLM_API_KEY", format!("is not set (required by {provider} at {base_url})"));
                }
                (key, "LLM_API_KEY")
            }
            ProviderKind::WorkersAi => (None, "AI"),
        };

        let github_org = get("GITHUB_MODELS_ORG");
        if let Some(org) = &github_org {
            if provider != ProviderKind::GithubModels {
                err("GITHUB_MODELS_ORG", format!("is set but LLM_PROVIDER is {provider}"));
            } else if !org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                err("GITHUB_MODELS_ORG", format!("is {org:?}, not a GitHub organization login"));
            }
        }

        let azure_api_version = match (get("LLM_API_VERSION"), provider) {
            (Some(v), ProviderKind::OpenAi) => Some(v),
            (Some(_), p) => {
                err("LLM_API_VERSION", format!("only applies to Azure OpenAI (LLM_PROVIDER=openai), not {p}"));
                None
            }
            (None, ProviderKind::OpenAi) if is_azure_host(&base_url) => Some(DEFAULT_AZURE_API_VERSION.to_string()),
            (None, _) => None,
        };

        let structured = get("LLM_STRUCTURED_OUTPUT").and_then(|raw| {
            let mode = StructuredMode::parse(&raw);
            match mode {
                None => err("LLM_STRUCTURED_OUTPUT", format!("is {raw:?}, expected json_schema, json_object, tool or prompt")),
                Some(StructuredMode::ToolUse) if provider != ProviderKind::Anthropic => {
                    err("LLM_STRUCTURED_OUTPUT", format!("is tool, which only anthropic supports, not {provider}"))
                }
                Some(_) => {}
            }
            mode
        });

        let stream = match get("LLM_STREAM").as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                err("LLM_STREAM", format!("is {other:?}, expected true or false"));
                true
            }
        };

        let mut number = |setting: &'static str| -> Option<u64> {
            let raw = get(setting)?;
            match raw.parse::<u64>() {
                Ok(0) => {
                    err(setting, "is 0, expected a positive whole number".into());
                    None
                }
                Ok(n) => Some(n),
                Err(_) => {
                    err(setting, format!("is {raw:?}, expected a positive whole number"));
                    None
                }
            }
        };
        let as_u32 = |n: Option<u64>| n.map(|n| n.min(u32::MAX as u64) as u32);
        let limits = LimitOverrides {
            max_input_tokens: as_u32(number("LLM_MAX_INPUT_TOKENS")),
            max_output_tokens: as_u32(number("LLM_MAX_OUTPUT_TOKENS")),
            concurrency: as_u32(number("LLM_CONCURRENCY")),
        };
        let mut retry = RetryPolicy::default();
        if let Some(n) = number("LLM_MAX_ATTEMPTS") {
            retry.max_attempts_per_model = n.min(20) as u32;
        }
        if let Some(ms) = number("LLM_TIMEOUT_MS") {
            retry.attempt_timeout_ms = ms;
        }
        if let Some(ms) = number("LLM_CALL_DEADLINE_MS") {
            retry.call_deadline_ms = ms;
        }
        if let Some(ms) = number("LLM_REVIEW_DEADLINE_MS") {
            retry.review_deadline_ms = ms;
        }

        let mut price_part = |setting: &'static str| -> Option<f64> {
            let raw = get(setting)?;
            match raw.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    err(setting, format!("is {raw:?}, expected US dollars per million tokens (e.g. 0.15)"));
                    None
                }
            }
        };
        let price = match (price_part("LLM_PRICE_INPUT_PER_MTOK"), price_part("LLM_PRICE_OUTPUT_PER_MTOK")) {
            (Some(i), Some(o)) => Some(Price { input_per_mtok: i, output_per_mtok: o }),
            (None, None) => None,
            (Some(_), None) => {
                err("LLM_PRICE_OUTPUT_PER_MTOK", "is not set but LLM_PRICE_INPUT_PER_MTOK is".into());
                None
            }
            (None, Some(_)) => {
                err("LLM_PRICE_INPUT_PER_MTOK", "is not set but LLM_PRICE_OUTPUT_PER_MTOK is".into());
                None
            }
        };

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Self {
            provider,
            model,
            fallback_models,
            base_url,
            api_key,
            api_key_setting,
            github_org,
            azure_api_version,
            structured,
            stream,
            limits,
            price,
            retry,
            breaker: BreakerPolicy::default(),
        })
    }

    /// The primary model then the fallbacks, in the order they are tried.
    pub fn models(&self) -> Vec<String> {
        std::iter::once(self.model.clone()).chain(self.fallback_models.iter().cloned()).collect()
    }

    /// Limits of `model` on this provider, overrides applied. The chunker calls this.
    pub fn limits_for(&self, model: &str) -> ModelLimits {
        limits::limits_for(self.provider, model, &self.limits)
    }

    /// The limits a chunk must fit so that ANY model in the fallback chain can
    /// take it: the smallest input and output sizes over all of them (a chunk
    /// sized for gpt-4.1's 8000 tokens would be a 413 on a 4000-token o-series
    /// fallback), and the primary model's concurrency. The chunker uses this.
    pub fn chunk_limits(&self) -> ModelLimits {
        let primary = self.limits_for(&self.model);
        self.fallback_models.iter().map(|m| self.limits_for(m)).fold(primary, |acc, l| ModelLimits {
            max_input_tokens: acc.max_input_tokens.min(l.max_input_tokens),
            max_output_tokens: acc.max_output_tokens.min(l.max_output_tokens),
            concurrency: acc.concurrency,
        })
    }

    /// Price of `model`: the configured override, else the table, else unknown.
    pub fn price_for(&self, model: &str) -> Option<Price> {
        self.price.or_else(|| limits::price_for(self.provider, model))
    }

    /// Identifies this provider endpoint for its circuit breaker: one breaker per
    /// provider and base URL, shared by all its models (an outage hits them all).
    pub fn breaker_key(&self) -> String {
        if self.base_url.is_empty() { self.provider.as_str().to_string() } else { format!("{}@{}", self.provider, self.base_url) }
    }
}

fn is_azure_host(base_url: &str) -> bool {
    let host = base_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    host.ends_with(".openai.azure.com") || host.ends_with(".cognitiveservices.azure.com")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<LlmConfig, ConfigErrors> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        LlmConfig::from_env(|k| map.get(k).cloned())
    }

    fn errors(vars: &[(&str, &str)]) -> String {
        parse(vars).expect_err("configuration should be rejected").to_string()
    }

    #[test]
    fn defaults_to_github_models() {
        let c = parse(&[("GITHUB_TOKEN", "ghp_x")]).unwrap();
        assert_eq!(c.provider, ProviderKind::GithubModels);
        assert_eq!(c.model, "openai/gpt-4o-mini");
        assert_eq!(c.base_url, "https://models.github.ai");
        assert_eq!(c.api_key_setting, "GITHUB_TOKEN");
        assert_eq!(c.api_key.as_ref().unwrap().expose(), "ghp_x");
        assert!(c.stream);
        assert_eq!(c.limits_for(&c.model).max_input_tokens, 8000);
        assert_eq!(c.price_for(&c.model), Some(Price::FREE));
        assert_eq!(c.retry, RetryPolicy::default());
    }

    #[test]
    fn chunk_limits_fit_every_model_in_the_chain() {
        let c = parse(&[("GITHUB_TOKEN", "t"), ("GITHUB_MODEL", "openai/gpt-4.1"), ("LLM_FALLBACK_MODELS", "openai/o4-mini")]).unwrap();
        assert_eq!(c.chunk_limits(), ModelLimits { max_input_tokens: 4000, max_output_tokens: 4000, concurrency: 2 });
        let solo = parse(&[("GITHUB_TOKEN", "t")]).unwrap();
        assert_eq!(solo.chunk_limits(), solo.limits_for(&solo.model));
    }

    #[test]
    fn timing_settings() {
        let c = parse(&[
            ("GITHUB_TOKEN", "t"),
            ("LLM_MAX_ATTEMPTS", "5"),
            ("LLM_TIMEOUT_MS", "30000"),
            ("LLM_CALL_DEADLINE_MS", "90000"),
            ("LLM_REVIEW_DEADLINE_MS", "300000"),
        ])
        .unwrap();
        assert_eq!((c.retry.max_attempts_per_model, c.retry.attempt_timeout_ms, c.retry.call_deadline_ms), (5, 30_000, 90_000));
        assert_eq!(c.retry.review_deadline(argus_core::ids::UnixMillis(1_000)).0, 301_000);
    }

    #[test]
    fn models_and_fallbacks_in_order_without_duplicates() {
        let c = parse(&[
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_MODEL", "openai/gpt-4.1"),
            ("LLM_FALLBACK_MODELS", " openai/gpt-4o-mini, openai/gpt-4.1 ,,openai/gpt-4o-mini,openai/gpt-4.1-nano"),
        ])
        .unwrap();
        assert_eq!(c.models(), ["openai/gpt-4.1", "openai/gpt-4o-mini", "openai/gpt-4.1-nano"]);
        // LLM_MODEL wins over GITHUB_MODEL.
        let c = parse(&[("GITHUB_TOKEN", "t"), ("GITHUB_MODEL", "a/b"), ("LLM_MODEL", "c/d")]).unwrap();
        assert_eq!(c.model, "c/d");
    }

    #[test]
    fn azure_is_detected_from_the_host_or_api_version() {
        let c = parse(&[
            ("LLM_PROVIDER", "openai"),
            ("LLM_BASE_URL", "https://my-res.openai.azure.com/"),
            ("LLM_API_KEY", "k"),
            ("LLM_MODEL", "my-deployment"),
        ])
        .unwrap();
        assert_eq!(c.base_url, "https://my-res.openai.azure.com");
        assert_eq!(c.azure_api_version.as_deref(), Some(DEFAULT_AZURE_API_VERSION));
        let c = parse(&[("LLM_PROVIDER", "openai"), ("LLM_API_KEY", "k"), ("LLM_API_VERSION", "2025-01-01-preview")]).unwrap();
        assert_eq!(c.azure_api_version.as_deref(), Some("2025-01-01-preview"));
    }

    #[test]
    fn self_hosted_needs_no_key() {
        let c = parse(&[("LLM_PROVIDER", "openai"), ("LLM_BASE_URL", "http://127.0.0.1:11434/v1"), ("LLM_MODEL", "llama3.1:8b")]).unwrap();
        assert!(c.api_key.is_none());
        assert_eq!(c.limits_for(&c.model).max_input_tokens, 8000, "unknown model gets default limits");
        assert_eq!(c.price_for(&c.model), None);
    }

    #[test]
    fn rejections_name_the_setting() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("LLM_PROVIDER", "openai")], "LLM_API_KEY is not set"),
            (&[("LLM_PROVIDER", "anthropic")], "LLM_API_KEY is not set"),
            (&[], "GITHUB_TOKEN is not set"),
            (&[("LLM_PROVIDER", "gemini"), ("GITHUB_TOKEN", "t")], "LLM_PROVIDER is \"gemini\", expected one of github-models"),
            (&[("GITHUB_TOKEN", "t"), ("LLM_BASE_URL", "models.github.ai")], "LLM_BASE_URL is \"models.github.ai\""),
            (&[("GITHUB_TOKEN", "t"), ("LLM_CONCURRENCY", "many")], "LLM_CONCURRENCY is \"many\""),
            (&[("GITHUB_TOKEN", "t"), ("LLM_MAX_INPUT_TOKENS", "0")], "LLM_MAX_INPUT_TOKENS is 0"),
            (&[("GITHUB_TOKEN", "t"), ("LLM_STREAM", "maybe")], "LLM_STREAM is \"maybe\""),
            (&[("GITHUB_TOKEN", "t"), ("LLM_STRUCTURED_OUTPUT", "tool")], "LLM_STRUCTURED_OUTPUT is tool"),
            (&[("GITHUB_TOKEN", "t"), ("LLM_PRICE_INPUT_PER_MTOK", "1")], "LLM_PRICE_OUTPUT_PER_MTOK is not set"),
            (&[("LLM_PROVIDER", "workers-ai"), ("LLM_BASE_URL", "https://x")], "LLM_BASE_URL is \"https://x\", but workers-ai"),
            (&[("LLM_PROVIDER", "anthropic"), ("LLM_API_KEY", "k"), ("GITHUB_MODELS_ORG", "acme")], "GITHUB_MODELS_ORG is set"),
        ];
        for (vars, want) in cases {
            let got = errors(vars);
            assert!(got.contains(want), "{vars:?}: {got}");
        }
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let e = parse(&[("LLM_PROVIDER", "openai"), ("LLM_CONCURRENCY", "x"), ("LLM_STREAM", "?")]).unwrap_err();
        let settings: Vec<_> = e.0.iter().map(|e| e.setting).collect();
        assert_eq!(settings, ["LLM_API_KEY", "LLM_STREAM", "LLM_CONCURRENCY"]);
        assert_eq!(e.class(), ErrorClass::Permanent);
    }

    #[test]
    fn secrets_never_print() {
        let c = parse(&[("LLM_PROVIDER", "openai"), ("LLM_API_KEY", "sk-live-123")]).unwrap();
        assert!(!format!("{c:?}").contains("sk-live-123"));
    }
}
