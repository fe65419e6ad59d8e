//! ArgusAI's per-pull-request coordinator, without IO: the state machine a
//! Durable Object shell drives ([`machine`]), the wire types of its internal
//! routes ([`protocol`]), the status view ([`status`]), and the queue
//! consumer's lifecycle ([`consumer`]) over the [`ReviewPipeline`] seam with its
//! retry policy ([`retry`]). Never depends on `worker`; time comes in as `now`.

pub mod config;
pub mod consumer;
pub mod dedupe;
pub mod machine;
pub mod operator;
pub mod pipeline;
pub mod protocol;
pub mod retry;
pub mod status;
pub mod store;

pub use config::Config;
pub use consumer::{CoordinatorLink, Decision, LinkError, LogStep, MessageCtx, QueueKind, process_message};
pub use dedupe::{DedupeSet, DeliveryLog};
pub use machine::{Action, Coordinator, Event, Phase, PrState, Reply, Step};
pub use pipeline::{CheckEnd, Chores, PipelineError, ReplyOutcome, ReviewPipeline, ReviewReport};
pub use retry::RetryPolicy;
pub use status::StatusView;
