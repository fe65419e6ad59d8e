//! The small enums shared by the raw layers and the resolved configuration:
//! which events start a review, the severity scale, and the review profile.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A `pull_request` webhook action that can start an automatic review.
/// The names are GitHub's `action` values
/// (<https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewEvent {
    /// A pull request was opened.
    Opened,
    /// New commits were pushed to the head branch.
    Synchronize,
    /// A closed pull request was reopened.
    Reopened,
    /// A draft was marked ready for review.
    ReadyForReview,
}

impl ReviewEvent {
    pub const ALL: [ReviewEvent; 4] = [ReviewEvent::Opened, ReviewEvent::Synchronize, ReviewEvent::Reopened, ReviewEvent::ReadyForReview];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewEvent::Opened => "opened",
            ReviewEvent::Synchronize => "synchronize",
            ReviewEvent::Reopened => "reopened",
            ReviewEvent::ReadyForReview => "ready_for_review",
        }
    }

    /// Accepts `opened` and the front door's spelling `pull_request.opened`
    /// (what `REVIEW_ENABLED_EVENTS` holds).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix("pull_request.").unwrap_or(s);
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for ReviewEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is, most serious first: the same type as the
/// findings contract's (`argus-core`), so a threshold can never name a
/// severity the model cannot give.
pub use argus_core::severity::Severity;

/// How much of the code around the change the model sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContextMode {
    /// The changed hunks only.
    Off,
    /// Plus the signature of the function, class or module around each hunk.
    Scope,
    /// Plus small functions whole, definitions the changed lines use, and a map
    /// of the repository.
    Full,
}

impl ContextMode {
    pub const ALL: [ContextMode; 3] = [ContextMode::Off, ContextMode::Scope, ContextMode::Full];

    pub fn as_str(self) -> &'static str {
        match self {
            ContextMode::Off => "off",
            ContextMode::Scope => "scope",
            ContextMode::Full => "full",
        }
    }
}

impl fmt::Display for ContextMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much the reviewer says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Only likely bugs, security and data-loss problems; no style remarks.
    Quiet,
    /// Bugs, risks and clear maintainability problems.
    Balanced,
    /// Everything worth a reviewer's remark, including tests, naming and docs.
    Thorough,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Quiet, Profile::Balanced, Profile::Thorough];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Quiet => "quiet",
            Profile::Balanced => "balanced",
            Profile::Thorough => "thorough",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
