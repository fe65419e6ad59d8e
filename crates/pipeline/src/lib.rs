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
//!          → LLM (bounded parallel) → parse → threshold → dedupe (fingerprints) → place → render
//! publish: check run in_progress → one COMMENT review (idempotent per head) → summary upsert
//!          → check run completed (success | neutral) → cache write (findings only)
//! ```

pub mod ports;
pub mod publication;
pub mod service;

pub use ports::{ConfigSource, LogEvent, MemoryCache, MemoryLog, PipelineLog, ReviewCache, StaticConfig};
pub use publication::{CachedReview, CheckDraft, Conclusion, Publication, ReviewDraft};
pub use service::{LlmParts, ReviewService};
