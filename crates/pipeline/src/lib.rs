//! ArgusAI's review pipeline: [`ReviewService`] implements the coordinator's
//! `ReviewPipeline` by joining the GitHub client, the configuration layers,
//! the diff engine, the LLM client and the findings contract. Pure: no
//! `worker`, no clock, no IO except through the traits it is generic over
//! (argus-core's `HttpClient`/`Clock`, the GitHub signer and token cache, the
//! LLM provider and breaker store, and [`ports`]).
//!
//! ```text
//! run:     PR → (closed? skip) → config (env < KV global < KV repo < base-branch TOML) + guidance
//!          → scope (incremental / full + why) → files → select → cache? → chunk, redact
//!          → LLM (bounded parallel) → parse → threshold → place + dedupe (fingerprints of earlier comments and reviews) → render
//! publish: check run in_progress → one COMMENT review (idempotent per head) → summary upsert
//!          → check run completed (success | neutral) → cache write (findings only)
//! ```
//!
//! Wiring in the Worker (the platform adapters are the Worker's; see
//! `tests/harness.rs` for the in-memory ones):
//!
//! ```ignore
//! let llm_config = LlmConfig::from_env(|k| env.var(k).ok().map(|v| v.to_string()))?; // permanent error names the setting
//! let service = ReviewService {
//!     github: GitHub::new(GitHubConfig::new(api_url, app_id), FetchHttp, WorkerClock, signer, KvTokenCache(cache_kv)),
//!     llm: LlmParts { provider: HttpProvider::new(Wire::from_config(&llm_config).unwrap(), FetchHttp), breakers: KvBreakers(..), config: llm_config },
//!     cache: KvReviewCache(env.kv(argus_core::keys::CACHE)?),   // impl ReviewCache
//!     config_source: KvConfig { vars, kv: env.kv(argus_core::keys::CONFIG)? }, // impl ConfigSource
//!     log: ConsoleLog,                                           // impl PipelineLog: one JSON line per event
//!     clock: WorkerClock,
//!     seed: message_seed,
//! };
//! let decision = argus_coordinator::process_message(&link, &service, &body, &ctx, &mut log_step).await;
//! ```

pub mod ports;
pub mod publication;
pub mod service;

pub use ports::{ConfigSource, LogEvent, MemoryCache, MemoryLog, PipelineLog, ReviewCache, StaticConfig};
pub use publication::{CachedReview, CheckDraft, Conclusion, Publication, ReviewDraft};
pub use service::{LlmParts, ReviewService};
