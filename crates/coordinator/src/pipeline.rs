//! The seam between the queue consumer and the review itself (argus-pipeline's
//! `ReviewService` implements it): the contract the consumer drives, and the
//! chores it does for the coordinator.

use crate::protocol::{RepoSettings, ReviewStats};
use argus_core::error::{Classify, ErrorClass};
use argus_core::ids::CommitSha;
use argus_core::job::{LearningsJob, Notify, OutcomeJob, ReplyJob, ReviewJob, VerifyCommand};
use argus_core::severity::SeverityCounts;
use thiserror::Error;

/// What `run` produced: the figures the coordinator records, plus whatever
/// `publish` will post. The publication is opaque here and never stored by the coordinator.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReviewReport {
    pub findings: u32,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub duration_ms: u64,
    /// One line for the status page, e.g. "3 comments posted".
    pub summary: String,
    /// `Some(reason)`: the run reviewed nothing on purpose (the repository's rules,
    /// a draft, the head moved, nothing new). It posts no review and never moves
    /// the reviewed head.
    pub skipped: Option<String>,
    /// What the run learned of the repository's settings, for the coordinator.
    pub settings: RepoSettings,
    pub publication: serde_json::Value,
    /// The model calls' estimated list price in US dollars; `None` when a model's price is unknown.
    pub cost_usd: Option<f64>,
    /// The new findings by severity.
    pub severities: SeverityCounts,
}

impl ReviewReport {
    pub fn stats(&self) -> ReviewStats {
        ReviewStats {
            findings: self.findings,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            duration_ms: self.duration_ms,
            summary: self.summary.clone(),
            subrequests: None,
            // Micro-dollars keep the wire type integral (and `Eq`); a review costs far below 2^53 of them.
            cost_micro_usd: self.cost_usd.filter(|c| c.is_finite() && *c >= 0.0).map(|c| (c * 1e6).round() as u64),
            severities: self.severities,
        }
    }
}

/// Why a pipeline step failed, classified by who acts (see [`ErrorClass`]).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct PipelineError {
    pub class: ErrorClass,
    /// Shown on the status page: no code, no secrets.
    pub message: String,
}

impl PipelineError {
    pub fn retryable(message: impl Into<String>, after_secs: Option<u64>) -> Self {
        Self { class: ErrorClass::Retryable { after_secs }, message: message.into() }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { class: ErrorClass::Permanent, message: message.into() }
    }
    pub fn user(message: impl Into<String>) -> Self {
        Self { class: ErrorClass::User, message: message.into() }
    }
}

impl Classify for PipelineError {
    fn class(&self) -> ErrorClass {
        self.class.clone()
    }
}

/// How a job's check run ends when no review is posted (a posted review
/// completes it in `publish`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckEnd {
    /// Reviewed nothing on purpose; says why.
    Skipped { reason: String },
    /// A newer push made this run stale.
    Superseded { current_head: Option<CommitSha> },
    /// This attempt failed and the queue will retry: the check stays in progress.
    Retrying { reason: String, failures: u32 },
    /// Failed for good (permanent or user error).
    Failed { reason: String },
    /// The queue gave up after its retries.
    DeadLettered { reason: String },
}

/// One review, split so the consumer can ask the coordinator whether the head
/// is still current before anything is posted (the stale-head guard): the job's
/// check run exists from the start (`start_check`), `run` reads and thinks but
/// posts nothing, `publish` posts what `run` produced and completes the check,
/// and `close_check` ends a check run when nothing is posted.
/// Futures need not be `Send`: Workers run on one thread.
#[allow(async_fn_in_trait)]
pub trait ReviewPipeline {
    /// Creates the job's check run, `in_progress`; returns its id.
    async fn start_check(&self, job: &ReviewJob) -> Result<u64, PipelineError>;
    async fn run(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError>;
    async fn publish(&self, job: &ReviewJob, report: &ReviewReport, check_run: u64) -> Result<(), PipelineError>;
    async fn close_check(&self, job: &ReviewJob, check_run: u64, end: &CheckEnd) -> Result<(), PipelineError>;
    /// The subrequests made so far in this invocation, when the platform counts them.
    fn subrequests(&self) -> Option<argus_core::subrequests::SubrequestCounts> {
        None
    }
}

/// The small GitHub chores the consumer does besides reviews: posting the
/// coordinator's notes and reactions, and checking a command author's permission.
#[allow(async_fn_in_trait)]
pub trait Chores {
    async fn notify(&self, notify: &Notify) -> Result<(), PipelineError>;
    /// Whether `author` has write access to the repository, as GitHub defines it
    /// (admin, maintain or write), and GitHub's word for the permission.
    async fn author_permission(&self, verify: &VerifyCommand) -> Result<(bool, String), PipelineError>;
    /// What became of ArgusAI's findings on a merged or closed PR (read from its threads).
    async fn acted_on(&self, outcome: &OutcomeJob) -> Result<crate::protocol::ActedOn, PipelineError>;
    /// Lists the repository's learnings, or forgets one, and posts the note saying so.
    async fn learnings(&self, job: &LearningsJob) -> Result<(), PipelineError>;
    /// Answers a comment in a review thread, or posts the bound's note there
    /// (see [`ReplyJob`]). Idempotent: a comment already answered is not answered again.
    async fn reply(&self, reply: &ReplyJob) -> Result<ReplyOutcome, PipelineError>;
}

/// What became of a [`ReplyJob`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// An answer was posted in the thread.
    Answered,
    /// The bound's note was posted in the thread.
    Noted,
    /// Nothing posted, for this reason (no write access, not ArgusAI's thread, already answered…).
    Skipped(String),
}
