//! Errors classified by who acts on them. Every adapter error maps to one of
//! these, and the queue consumer's decision follows from it alone.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum ErrorClass {
    /// Try again later: the queue retries, after `after_secs` when the far side said so.
    Retryable { after_secs: Option<u64> },
    /// Retrying will not help: acknowledge, and report the failure on the PR and status page.
    Permanent,
    /// The user can fix it (bad config, PR too large): shown on the PR as Markdown.
    User,
}

/// Implemented by every error that can end a review job.
pub trait Classify {
    fn class(&self) -> ErrorClass;
}
