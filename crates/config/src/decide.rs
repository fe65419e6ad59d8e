//! "Should we review this pull request?" from the resolved configuration and
//! the PR's facts, with the reason when not. Pure, so the queue consumer and
//! the tests ask the same question.

use crate::model::ReviewEvent;
use crate::problem::code;
use crate::resolved::Config;
use crate::validate::branch_glob;
use serde::Serialize;
use std::fmt;

/// What asked for the review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "event")]
pub enum Trigger {
    /// A `pull_request` webhook (an automatic review).
    Event(ReviewEvent),
    /// A person wrote `@argusai review` or `@argusai full review`. An explicit
    /// request overrides every automatic-review rule (`auto_review`, `events`,
    /// drafts and the skip lists): those rules exist to avoid unwanted noise,
    /// and this review was wanted.
    Command,
}

/// The facts about a pull request that the skip rules look at.
#[derive(Clone, Copy, Debug)]
pub struct PrFacts<'a> {
    pub trigger: Trigger,
    pub draft: bool,
    pub labels: &'a [String],
    pub title: &'a str,
    /// The PR author's login.
    pub author: &'a str,
    /// The base branch's name (`main`, `release/1.2`), without `refs/heads/`.
    pub base_branch: &'a str,
}

/// Why a pull request is not reviewed. Each names the setting that decided it,
/// so the user knows what to change. `Display` quotes values in code spans, so
/// it is safe to post as Markdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum SkipReason {
    AutoReviewOff,
    EventNotEnabled { event: ReviewEvent },
    Draft,
    BaseBranch { branch: String, pattern: String },
    Author { author: String },
    Label { label: String },
    TitleKeyword { keyword: String },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::AutoReviewOff => write!(f, "automatic reviews are off (`auto_review = false`)"),
            SkipReason::EventNotEnabled { event } => write!(f, "`{event}` is not in `events`"),
            SkipReason::Draft => write!(f, "the pull request is a draft (`review_drafts = false`)"),
            SkipReason::BaseBranch { branch, pattern } => {
                write!(f, "base branch {} matches {} in `skip_base_branches`", code(branch), code(pattern))
            }
            SkipReason::Author { author } => write!(f, "author {} is in `skip_authors`", code(author)),
            SkipReason::Label { label } => write!(f, "label {} is in `skip_labels`", code(label)),
            SkipReason::TitleKeyword { keyword } => write!(f, "the title contains {} (`skip_title_keywords`)", code(keyword)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum ReviewDecision {
    Review,
    Skip(SkipReason),
}

/// Decides whether to review. Rules are checked in a fixed order (trigger,
/// draft, base branch, author, labels, title), and the first that applies is
/// the reason.
pub fn should_review(config: &Config, pr: &PrFacts<'_>) -> ReviewDecision {
    let event = match pr.trigger {
        Trigger::Command => return ReviewDecision::Review,
        Trigger::Event(e) => e,
    };
    let skip = |r| ReviewDecision::Skip(r);
    if !config.auto_review {
        return skip(SkipReason::AutoReviewOff);
    }
    if !config.events.contains(&event) {
        return skip(SkipReason::EventNotEnabled { event });
    }
    if pr.draft && !config.review_drafts {
        return skip(SkipReason::Draft);
    }
    // Patterns were validated during resolution; one that somehow fails to
    // compile simply does not match.
    if let Some(pattern) = config.skip_base_branches.iter().find(|p| branch_glob(p).map(|m| m.is_match(pr.base_branch)).unwrap_or(false)) {
        return skip(SkipReason::BaseBranch { branch: pr.base_branch.to_string(), pattern: pattern.clone() });
    }
    // GitHub logins and label names are case-insensitive.
    if config.skip_authors.iter().any(|a| a.eq_ignore_ascii_case(pr.author)) {
        return skip(SkipReason::Author { author: pr.author.to_string() });
    }
    if let Some(label) = pr.labels.iter().find(|l| config.skip_labels.iter().any(|s| s.to_lowercase() == l.to_lowercase())) {
        return skip(SkipReason::Label { label: label.clone() });
    }
    let title = pr.title.to_lowercase();
    if let Some(keyword) = config.skip_title_keywords.iter().find(|k| title.contains(&k.to_lowercase())) {
        return skip(SkipReason::TitleKeyword { keyword: keyword.clone() });
    }
    ReviewDecision::Review
}
