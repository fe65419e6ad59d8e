//! ArgusAI's configuration, pure: raw layers (every key optional) merged in one
//! stated order into one resolved [`Config`], with every problem reported and
//! none fatal; the skip decision; repository guidance files; the config hash
//! for the review cache; and the generated JSON Schema and docs table.
//!
//! Start at [`resolve::resolve`] (the merge order is documented there).

pub mod decide;
pub mod docs;
pub mod env;
pub mod guidance;
pub mod hash;
pub mod model;
mod parse;
pub mod problem;
pub mod provenance;
pub mod raw;
pub mod resolve;
pub mod resolved;
pub mod validate;

pub use decide::{PrFacts, ReviewDecision, SkipReason, Trigger, should_review};
pub use guidance::{Guidance, GuidanceFiles, repository_guidance};
pub use hash::config_hash;
pub use model::{ContextMode, Profile, ReviewEvent, Severity};
pub use problem::{Effect, Layer, Problem, problems_markdown};
pub use provenance::{KeyOrigin, Traced, resolve_traced};
pub use raw::{RawConfig, RawLearning, RawPathInstruction, RawReplies};
pub use resolve::{Resolution, Sources, check_base_branch_toml, resolve};
pub use resolved::{Config, PathInstruction, PathInstructionMatcher, Replies};
