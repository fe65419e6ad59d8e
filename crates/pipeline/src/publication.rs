//! What `run` hands to `publish` inside `ReviewReport.publication`: the
//! review to post (not yet rendered: `argus_review::render` writes every word
//! when posting, so what GitHub refuses can be added within the size limits)
//! and the cache entry to write. Versioned JSON, so a report produced before a
//! deploy is still understood after it (the consumer may hold it across one).

pub use crate::stage::resolve::PlannedResolution;
use argus_review::contract::Finding;
use argus_review::render::Review;
use serde::{Deserialize, Serialize};

pub const PUBLICATION_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub v: u32,
    pub head_sha: String,
    /// `Some(reason)`: nothing to post (closed PR, head moved, nothing new, the
    /// repository's rules).
    pub skipped: Option<String>,
    /// What to post: the review (when it has something new), the summary and
    /// the check run, all rendered from it.
    pub review: Option<Review>,
    pub cache: Option<CacheEntry>,
    /// Earlier ArgusAI threads this push fixed, resolved when publishing.
    #[serde(default)]
    pub resolutions: Vec<PlannedResolution>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub config_hash: String,
    /// A [`CachedReview`] as JSON.
    pub value: String,
}

/// The cache value: the model's findings and summaries for one head and
/// configuration. Findings only: suggested replacement code is stripped, and no
/// diff text is kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CachedReview {
    pub v: u32,
    pub findings: Vec<Finding>,
    pub model_summaries: Vec<String>,
    pub model: String,
}
