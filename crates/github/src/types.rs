//! Serde types for exactly the fields ArgusAI reads from or sends to GitHub's
//! REST API (<https://docs.github.com/en/rest>), and the domain types the
//! operations return. Unknown fields are ignored, so GitHub may add fields freely.

use argus_core::ids::{CommitSha, PrNumber};
use serde::{Deserialize, Serialize};

/// A GitHub account as REST embeds it (`user` on PRs, reviews and comments).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct User {
    pub login: String,
    /// `User`, `Bot` or `Organization`. An App's bot user is `{slug}[bot]` of type `Bot`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: Option<u64>,
}

impl User {
    pub fn named(login: impl Into<String>) -> Self {
        Self { login: login.into(), kind: None, id: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GitRef {
    pub sha: CommitSha,
    /// The branch name.
    #[serde(rename = "ref")]
    pub branch: String,
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    pub number: PrNumber,
    /// `open` or `closed`.
    pub state: String,
    #[serde(default)]
    pub draft: bool,
    pub user: User,
    pub head: GitRef,
    pub base: GitRef,
    #[serde(default)]
    pub title: String,
    /// The description (`null` when empty).
    #[serde(default)]
    pub body: Option<String>,
    /// For the repository's skip-label rules.
    #[serde(default)]
    pub labels: Vec<Label>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Label {
    pub name: String,
}

/// One entry of `GET /repos/{owner}/{repo}/pulls/{pull_number}/files` (also the
/// `files` of a compare).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PrFile {
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed`, `unchanged`.
    pub status: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
    #[serde(default)]
    pub additions: u64,
    #[serde(default)]
    pub deletions: u64,
    #[serde(default)]
    pub changes: u64,
    /// The file's hunks; GitHub omits it for binary files and very large diffs.
    #[serde(default)]
    pub patch: Option<String>,
}

/// Why a changed file gets no review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotReviewableReason {
    /// No `patch` although lines changed: GitHub leaves out diffs that are too large.
    DiffTooLarge,
    /// Renamed or copied with no content change: nothing to review.
    RenameOnly,
    /// No `patch` and no counted lines: a binary file (or a mode-only or empty change).
    BinaryOrNoTextChange,
}

impl NotReviewableReason {
    pub fn describe(&self) -> &'static str {
        match self {
            NotReviewableReason::DiffTooLarge => "the diff is too large for GitHub to return",
            NotReviewableReason::RenameOnly => "renamed without changes",
            NotReviewableReason::BinaryOrNoTextChange => "binary file or no textual change",
        }
    }

    /// Classifies a file without `patch` from the counts GitHub still sends.
    pub fn of(file: &PrFile) -> Option<Self> {
        if file.patch.is_some() {
            return None;
        }
        Some(if file.changes > 0 || file.additions + file.deletions > 0 {
            NotReviewableReason::DiffTooLarge
        } else if matches!(file.status.as_str(), "renamed" | "copied") {
            NotReviewableReason::RenameOnly
        } else {
            NotReviewableReason::BinaryOrNoTextChange
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotReviewable {
    pub filename: String,
    pub reason: NotReviewableReason,
}

/// The files of a PR, split into those with a patch and those without.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrFiles {
    pub reviewable: Vec<PrFile>,
    pub not_reviewable: Vec<NotReviewable>,
    /// GitHub lists at most 3000 files; `true` when the PR may have more.
    pub truncated: bool,
}

impl PrFiles {
    pub fn from_files(files: Vec<PrFile>, truncated: bool) -> Self {
        let (mut reviewable, mut not_reviewable) = (Vec::new(), Vec::new());
        for f in files {
            match NotReviewableReason::of(&f) {
                None => reviewable.push(f),
                Some(reason) => not_reviewable.push(NotReviewable { filename: f.filename, reason }),
            }
        }
        Self { reviewable, not_reviewable, truncated }
    }
}

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}` (the fields used).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Comparison {
    /// `ahead`, `behind`, `diverged` or `identical`: head relative to base.
    pub status: String,
    #[serde(default)]
    pub ahead_by: u64,
    #[serde(default)]
    pub behind_by: u64,
    #[serde(default)]
    pub files: Vec<PrFile>,
}

/// What to review given the last reviewed SHA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewScope {
    /// Only these files changed since the last review (head is ahead of it).
    Incremental { since: CommitSha, files: PrFiles },
    /// Head equals the last reviewed commit: nothing new.
    UpToDate,
    /// Review the whole PR; `reason` says why (first review, force-push…), for the summary.
    Full { reason: String },
}

/// `GET /repos/{owner}/{repo}/contents/{path}` for a file.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ContentFile {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub encoding: String,
    #[serde(default)]
    pub content: String,
}

/// A review as listed by `GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Review {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub commit_id: Option<String>,
    /// `PENDING`, `COMMENTED`, `APPROVED`, `CHANGES_REQUESTED`, `DISMISSED`.
    pub state: String,
    /// The author; only reviews by ArgusAI's own bot user count as ArgusAI's.
    #[serde(default)]
    pub user: Option<User>,
}

/// A comment on the PR's conversation (`GET /repos/{o}/{r}/issues/{n}/comments`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// A review comment as listed by `GET /repos/{owner}/{repo}/pulls/{pull_number}/comments`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ReviewComment {
    pub id: u64,
    pub path: String,
    /// `null` when the comment became outdated.
    #[serde(default)]
    pub line: Option<u32>,
    #[serde(default)]
    pub side: Option<Side>,
    #[serde(default)]
    pub start_line: Option<u32>,
    pub body: String,
    #[serde(default)]
    pub commit_id: Option<String>,
    /// The author; ArgusAI's own comments are those of its bot user carrying its marker.
    #[serde(default)]
    pub user: Option<User>,
    /// Set on replies: the id of the thread's first comment
    /// (<https://docs.github.com/en/rest/pulls/comments#list-review-comments-on-a-pull-request>).
    #[serde(default)]
    pub in_reply_to_id: Option<u64>,
    #[serde(default)]
    pub pull_request_review_id: Option<u64>,
    /// RFC 3339, e.g. `2011-04-14T16:00:49Z`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The line in the commit the comment was first made on (kept when it is outdated).
    #[serde(default)]
    pub original_line: Option<u32>,
    /// The first line of a multi-line comment in that commit.
    #[serde(default)]
    pub original_start_line: Option<u32>,
    /// The commit the comment was first made on (`commit_id` may follow later pushes).
    #[serde(default)]
    pub original_commit_id: Option<String>,
    /// The reactions' counts (GitHub's `reaction-rollup`; it does not say who reacted).
    #[serde(default)]
    pub reactions: Option<ReactionRollup>,
}

/// How many reactions of each kind a comment has
/// (<https://docs.github.com/en/rest/pulls/comments#list-review-comments-on-a-pull-request>,
/// the `reactions` object). Only the kinds ArgusAI reads are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReactionRollup {
    #[serde(default)]
    pub total_count: u32,
    #[serde(default, rename = "+1")]
    pub plus_one: u32,
    #[serde(default, rename = "-1")]
    pub minus_one: u32,
}

impl ReviewComment {
    /// The commit the comment was made on: `original_commit_id`, else `commit_id`.
    pub fn origin(&self) -> Option<&str> {
        self.original_commit_id.as_deref().or(self.commit_id.as_deref())
    }
}

/// Which side of the diff a line number counts on (shared with the diff engine and the findings).
pub use argus_core::side::Side;

/// A 1-based line on one side of the diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Anchor {
    pub line: u32,
    pub side: Side,
}

/// One inline comment ArgusAI wants to post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineComment {
    pub path: String,
    /// The (last) line the comment is attached to.
    pub end: Anchor,
    /// The first line of a multi-line comment; `None` (or equal to `end`) for one line.
    pub start: Option<Anchor>,
    pub body: String,
}

impl InlineComment {
    pub fn single(path: impl Into<String>, line: u32, side: Side, body: impl Into<String>) -> Self {
        Self { path: path.into(), end: Anchor { line, side }, start: None, body: body.into() }
    }
    pub fn range(path: impl Into<String>, start: Anchor, end: Anchor, body: impl Into<String>) -> Self {
        Self { path: path.into(), end, start: Some(start), body: body.into() }
    }

    /// The start anchor only when it makes a real range (GitHub rejects
    /// `start_line` equal to `line`).
    pub fn real_start(&self) -> Option<Anchor> {
        self.start.filter(|s| *s != self.end)
    }

    /// Problems GitHub would certainly reject, found without asking it.
    pub fn local_problem(&self) -> Option<&'static str> {
        if self.path.is_empty() {
            return Some("empty path");
        }
        if self.end.line == 0 || self.start.is_some_and(|s| s.line == 0) {
            return Some("line numbers are 1-based");
        }
        if let Some(s) = self.real_start()
            && s.side == self.end.side
            && s.line >= self.end.line
        {
            return Some("start_line must be before line");
        }
        if self.body.chars().count() > MAX_COMMENT_CHARS {
            return Some("comment body longer than GitHub's 65536 characters");
        }
        None
    }
}

/// GitHub's limit on a comment or review body.
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// The JSON of one draft review comment
/// (<https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request>).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct DraftComment<'a> {
    pub path: &'a str,
    pub line: u32,
    pub side: Side,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_side: Option<Side>,
    pub body: String,
}

impl<'a> DraftComment<'a> {
    pub fn of(c: &'a InlineComment) -> Self {
        let start = c.real_start();
        Self {
            path: &c.path,
            line: c.end.line,
            side: c.end.side,
            start_line: start.map(|s| s.line),
            start_side: start.map(|s| s.side),
            body: crate::marker::with_marker(&c.body, crate::marker::COMMENT_MARKER),
        }
    }
}

/// A comment GitHub would not anchor, with why; it goes to the review body instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedComment {
    pub comment: InlineComment,
    pub reason: String,
}

/// What [`crate::client::Installation::post_review`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// A review carrying this head SHA's marker already existed: nothing was posted.
    AlreadyPosted { review_id: u64 },
    Posted {
        review_id: u64,
        /// How many inline comments landed.
        inline: usize,
        /// Comments moved into the review body because GitHub could not anchor them.
        rejected: Vec<RejectedComment>,
        /// Validation probes spent finding them (0 when the first post was accepted).
        probes: u32,
    },
}

/// Conclusions ArgusAI may report. There is deliberately no `failure`: ArgusAI's
/// own trouble (an LLM outage, a rate limit) must never block a merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckConclusion {
    Success,
    Neutral,
    /// Nothing was reviewed on purpose (the repository's rules); never blocks a merge.
    Skipped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SummaryOutcome {
    Created { comment_id: u64 },
    Updated { comment_id: u64 },
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct IdOnly {
    pub id: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct AccessToken {
    pub token: String,
    pub expires_at: String,
}
