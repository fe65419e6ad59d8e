//! ArgusAI's review pipeline: [`ReviewService`] implements the coordinator's
//! `ReviewPipeline` as a short sequence of named stages ([`stage`]: pull
//! request → configuration → scope → plan → model → decide → publish), each
//! with its inputs and outputs in view. Pure: no `worker`, no clock, no IO
//! except through the [`Platform`] it is generic over (argus-core's
//! `HttpClient`/`Clock`, the GitHub signer and token cache, the LLM provider
//! and breaker store, and [`ports`]). `plan` and `decide` are plain functions,
//! so the `argus` command line runs the very same engine.
//!
//! Wiring in the Worker (`src/review.rs`; see `tests/harness.rs` for the
//! in-memory platform):
//!
//! ```ignore
//! struct Worker;
//! impl Platform for Worker { type Http = WorkerHttp; /* … */ }
//! let service: ReviewService<Worker> = ReviewService { github, llm: LlmParts { provider, breakers, config }, cache, config_source, log, clock, seed };
//! let decision = argus_coordinator::process_message(&link, &service, &body, &ctx, &mut log_step).await;
//! ```

pub mod chores;
pub mod platform;
pub mod ports;
pub mod publication;
pub mod reply;
pub mod service;
pub mod stage;

pub use platform::{LlmParts, Platform};
pub use ports::{ConfigSource, LogEvent, MemoryCache, MemoryLog, PipelineLog, ReviewCache, StaticConfig};
pub use publication::{CachedReview, Publication};
pub use service::ReviewService;
pub use stage::plan::ENGINE_VERSION;
