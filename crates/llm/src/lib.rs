//! ArgusAI's LLM client, pure: providers (GitHub Models, OpenAI-compatible,
//! Anthropic, Workers AI) behind one trait, configuration and per-model limits,
//! structured output, incremental SSE parsing, retries with backoff and
//! fallback models, a circuit breaker, bounded parallel calls and usage
//! accounting. HTTP goes through `argus_core::http::HttpClient`, time through
//! `Clock`; nothing here depends on `worker`.
//!
//! Map (each module's docs say more):
//! - [`config`]: `LlmConfig::from_env` (every setting, with defaults, in a table there),
//!   `chunk_limits()` for the chunker; [`limits`]: per-model limits and prices.
//! - [`providers`]: the [`LlmProvider`] trait, [`Wire`] (GitHub Models / OpenAI /
//!   Azure / self-hosted / Anthropic request building and reply parsing),
//!   [`HttpProvider`] over any `HttpClient`, and the [`WorkersAi`] binding trait.
//! - [`sse`] and the stream accumulators (`providers::openai::OpenAiStream`,
//!   `providers::anthropic::AnthropicStream`): feed bytes as they arrive.
//! - [`client`]: [`LlmClient::complete`] (retries, fallback, deadlines, breaker,
//!   usage) and [`LlmClient::complete_all`] (bounded parallel calls).
//! - [`retry`], [`breaker`], [`usage`], [`parallel`]: the pure parts of those.
//! - `testkit` (feature `testkit`): simulated time and a scripted `HttpClient`.
//!
//! Tests: `cargo test -p argus-llm`; bench: `cargo bench -p argus-llm --bench adapter`;
//! real HTTP against `tests/fakes/llm.mjs`: `cargo run -p argus-llm --example against_fake`.
//!
//! Typical use on the platform:
//! ```ignore
//! let config = LlmConfig::from_env(|k| env.var(k).ok().map(|v| v.to_string()))?;
//! let provider = HttpProvider::new(Wire::from_config(&config).unwrap(), fetch_client);
//! let deadline = config.retry.review_deadline(clock.now());
//! let client = LlmClient::new(provider, clock, kv_breakers, config, seed);
//! let results = client.complete_all(&chunk_requests, Some(deadline)).await;
//! ```

pub mod breaker;
pub mod client;
pub mod config;
pub mod error;
pub mod limits;
pub mod parallel;
pub mod providers;
pub mod retry;
pub mod sse;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod types;
pub mod usage;

pub use breaker::{BreakerPolicy, BreakerState, BreakerStore, MemoryBreakerStore};
pub use client::{Attempt, CallFailure, Completion, FallbackUsed, LlmClient};
pub use config::{ConfigError, ConfigErrors, LlmConfig, ProviderKind};
pub use error::LlmError;
pub use limits::{DEFAULT_LIMITS, LimitOverrides, ModelLimits, Price, limits_for, price_for};
pub use parallel::run_bounded;
pub use providers::workers_ai::{WorkersAi, WorkersAiError, WorkersAiProvider};
pub use providers::{CallOptions, HttpProvider, LlmProvider, Wire};
pub use retry::{Jitter, RetryPolicy};
pub use types::{ChatRequest, ChatResponse, FinishReason, JsonSchema, Message, Role, StructuredMode, Usage};
pub use usage::{CallUsage, UsageLedger, UsageTotals};
