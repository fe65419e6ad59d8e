//! What `run` hands to `publish` inside `ReviewReport.publication`: the
//! rendered review, the summary comment, the check run's conclusion and text,
//! and the cache entry to write. Versioned JSON, so a report produced before a
//! deploy is still understood after it (the consumer may hold it across one).

use argus_review::contract::{Finding, Side};
use serde::{Deserialize, Serialize};

pub const PUBLICATION_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub v: u32,
    pub head_sha: String,
    /// `Some(reason)`: nothing to post (closed PR, head moved, nothing new).
    pub skipped: Option<String>,
    /// `None` when there is nothing new to say inline or in a review body: the
    /// summary is still updated, but no empty review is posted.
    pub review: Option<ReviewDraft>,
    /// The summary comment's Markdown (the GitHub client adds its marker).
    pub summary: String,
    pub check: CheckDraft,
    pub cache: Option<CacheEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewDraft {
    pub body: String,
    pub comments: Vec<DraftComment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftComment {
    pub path: String,
    pub line: u32,
    pub side: Side,
    pub start_line: Option<u32>,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    Success,
    /// ArgusAI could not do its whole job (unusable model output). Never
    /// `failure`: ArgusAI's own trouble must not block a merge.
    Neutral,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDraft {
    pub conclusion: Conclusion,
    pub title: String,
    pub text: String,
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
