//! What placement hands to rendering: findings anchored on diff lines GitHub accepts,
//! and findings that go to the summary's "other findings" with the reason.

use crate::contract::{Finding, Side};
use crate::fingerprint::FindingKey;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a review comment sits, in GitHub's terms: `line` (and `start_line` for a range)
/// on `side`. Both ends are always on the same side and inside one hunk.
/// <https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request>
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Anchor {
    pub side: Side,
    /// First line of a multi-line comment; always less than `line` when set.
    pub start_line: Option<u32>,
    pub line: u32,
}

/// A finding with a valid anchor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub finding: Finding,
    pub anchor: Anchor,
    /// The replacement, when it may be offered as a GitHub suggestion on these lines.
    pub suggestion: Option<String>,
    /// Set when the model cited other lines and placement moved the finding to the
    /// nearest lines of the same hunk holding exactly the cited code.
    pub moved_from: Option<Anchor>,
    /// What identifies it across runs (see `fingerprint::FindingKey`).
    pub key: FindingKey,
}

/// Why a finding could not be anchored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UnplacedReason {
    /// The path is not a file of this diff.
    UnknownFile,
    /// The file has no text hunks (binary, mode-only, pure rename).
    NoHunks,
    /// A cited line is not shown in the diff on that side, and no line of the
    /// nearest hunk holds the same code.
    OutsideDiff { line: u32 },
    /// The range starts in one hunk and ends in another (or outside any).
    SpansHunks { start_line: u32, line: u32 },
    /// More findings than the configured number of inline comments; the least severe
    /// ones are listed in the summary instead.
    OverInlineLimit { max: usize },
}

impl fmt::Display for UnplacedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnplacedReason::UnknownFile => f.write_str("the file is not part of this diff"),
            UnplacedReason::NoHunks => f.write_str("the file has no text changes to comment on"),
            UnplacedReason::OutsideDiff { line } => write!(f, "line {line} is not part of the diff"),
            UnplacedReason::SpansHunks { start_line, line } => {
                write!(f, "lines {start_line}–{line} are not within one hunk of the diff")
            }
            UnplacedReason::OverInlineLimit { max } => write!(f, "over the limit of {max} inline comments per review"),
        }
    }
}

/// A finding shown in the summary instead of inline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unplaced {
    pub finding: Finding,
    pub reason: UnplacedReason,
    pub key: FindingKey,
}
