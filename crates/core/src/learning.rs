//! Learnings: short rules a repository's maintainers taught ArgusAI, by
//! rejecting a finding in its thread ("intended", "false positive", a 👎) or
//! with `@argusai learn: …`. Stored per repository (the `Repository` Durable
//! Object's SQLite), listed with `@argusai learnings`, removed with
//! `@argusai forget N`, and applied on every later review: their rules go into
//! the prompt and findings with a rejected title are not posted.

use serde::{Deserialize, Serialize};

/// At most this many learnings are kept per repository (the oldest go first).
pub const MAX_LEARNINGS: u32 = 200;
/// A rule's length, at most.
pub const MAX_RULE_CHARS: usize = 300;

/// One learning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learning {
    /// The store's id (0 before it is stored).
    #[serde(default)]
    pub id: u64,
    /// The rule in plain words (sanitized when shown).
    pub rule: String,
    /// A glob the rule is limited to; `None`: the whole repository.
    #[serde(default)]
    pub path: Option<String>,
    /// The finding category it is limited to (`bug`, `security`…).
    #[serde(default)]
    pub category: Option<String>,
    /// The title of the finding that was rejected: findings with the same
    /// title (in the same scope) are not posted again.
    #[serde(default)]
    pub title: Option<String>,
    pub source_pr: u64,
    /// The comment that taught it (one learning per comment).
    pub source_comment: u64,
    pub author: String,
    pub created_at: u64,
}
