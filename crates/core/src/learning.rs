//! Learnings: short rules a repository's maintainers taught ArgusAI, by
//! rejecting a finding in its thread ("intended", "false positive", a 👎) or
//! with `@argusai learn: …`. Stored per repository (the `Repository` Durable
//! Object's SQLite), listed with `@argusai learnings`, removed with
//! `@argusai forget N`, and applied on every later review: their rules go into
//! the prompt and findings with a rejected title are not posted.

use serde::{Deserialize, Serialize};
use std::fmt::Write;

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

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Learning {
    /// This learning as one `[[learnings]]` table of `.github/argusai.toml`,
    /// with a comment naming where it was learned: what `@argusai learnings`
    /// and the dashboard offer a team to commit.
    pub fn toml_entry(&self) -> String {
        let l = self;
        let mut out = String::new();
        if l.source_pr > 0 {
            let author: String = l.author.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '[' | ']')).collect();
            let _ = writeln!(out, "# learned in #{} from {author}", l.source_pr);
        }
        let _ = writeln!(out, "[[learnings]]\nrule = {}", toml_string(&l.rule));
        for (key, value) in [("path", &l.path), ("category", &l.category), ("title", &l.title)] {
            if let Some(v) = value {
                let _ = writeln!(out, "{key} = {}", toml_string(v));
            }
        }
        out
    }
}
