//! The coordinator's persisted state and the records it keeps: the pending
//! review, the job in flight with its lease, the history the status page shows,
//! commands waiting for their author's permission check, and the outbox.

use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrRef, UnixMillis};
use argus_core::job::{ReviewJob, ReviewMode};
use argus_core::signal::{Command, ReplyIntent};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// What the status page calls the coordinator's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing to do.
    Idle,
    /// A review is wanted and waits for the debounce window (or for the running job).
    Debouncing,
    /// A job is on the queue, not leased by a consumer.
    Queued,
    /// A consumer holds the job's lease.
    Running,
    /// The last job failed and nothing else is wanted.
    Failed,
    /// The PR is closed.
    Archived,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Debouncing => "debouncing",
            Phase::Queued => "queued",
            Phase::Running => "running",
            Phase::Failed => "failed",
            Phase::Archived => "archived",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingReason {
    /// A push or state change; paused PRs drop these.
    Automatic,
    /// `@argusai review` / `full review`: runs even while paused.
    Command,
}

/// A review that is wanted but not yet on the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub reason: PendingReason,
    pub mode: ReviewMode,
    pub head_sha: CommitSha,
    pub first_at: UnixMillis,
    pub due_at: UnixMillis,
    /// Signals merged into this review (the first included).
    pub pushes: u32,
    pub deliveries: Vec<DeliveryId>,
    /// The `pull_request` actions merged into this review, for the repository's `events`.
    #[serde(default)]
    pub actions: Vec<PrAction>,
}

impl Pending {
    pub(crate) fn add_action(&mut self, action: PrAction) {
        if !self.actions.contains(&action) {
            self.actions.push(action);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub id: String,
    pub granted_at: UnixMillis,
    pub expires_at: UnixMillis,
}

/// The one job in flight (queued or leased).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveJob {
    pub job: ReviewJob,
    pub lease: Option<Lease>,
    /// A newer head arrived (or the PR closed) while it ran: do not post its result.
    pub superseded: bool,
    /// Retryable failures reported so far.
    pub failures: u32,
    /// Leases granted (runs started).
    pub runs: u32,
    pub expiry_reruns: u32,
    pub coalesced_pushes: u32,
    /// Since when the job has waited on the queue without a lease (enqueued,
    /// re-enqueued, or released after a retryable failure).
    #[serde(default)]
    pub waiting_since: UnixMillis,
    /// The job's check run on GitHub, once its first run created it; later runs reuse it.
    #[serde(default)]
    pub check_run: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Reviewed and posted.
    Posted,
    /// Not reviewed on purpose (the repository's rules, a draft, nothing new); the
    /// reviewed head does not move.
    Skipped,
    /// Ran, but a newer head made it stale; not posted, cost recorded.
    Superseded,
    /// Cancelled by a newer push or by closing before a consumer started it.
    Cancelled,
    Failed,
    DeadLettered,
    /// Reported after its lease had moved on; cost recorded, result ignored.
    Late,
}

/// One line of the status page's history: figures only, never code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub job_id: String,
    pub head_sha: CommitSha,
    pub mode: ReviewMode,
    pub outcome: Outcome,
    pub queued_at: UnixMillis,
    pub finished_at: UnixMillis,
    pub duration_ms: Option<u64>,
    pub findings: Option<u32>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    pub runs: u32,
    pub coalesced_pushes: u32,
    pub note: Option<String>,
    /// Subrequests the run made (GitHub, model, KV, Durable Objects, Queues).
    #[serde(default)]
    pub subrequests: Option<argus_core::subrequests::SubrequestCounts>,
    /// The model calls' list price in millionths of a US dollar, when known.
    #[serde(default)]
    pub cost_micro_usd: Option<u64>,
    /// The new findings by severity (zero unless the review ran to the end).
    #[serde(default)]
    pub severities: argus_core::severity::SeverityCounts,
}

/// Notes and reactions the coordinator decided on, kept until the consumer
/// reports them posted (the status page shows what is still waiting).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// Names the item in the consumer's report that it was posted.
    #[serde(default)]
    pub id: u64,
    #[serde(flatten)]
    pub what: OutboxWhat,
    pub at: UnixMillis,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxWhat {
    Note { body: String },
    Reaction { comment_id: u64, content: String },
}

/// A command that waits for its author's permission check (the front door
/// only knows GitHub's `author_association`, which is not write access).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCommand {
    pub delivery: DeliveryId,
    pub command: Command,
    pub comment_id: u64,
    pub author: String,
    pub at: UnixMillis,
}

/// A review thread that waits for its answer (the per-thread debounce).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReply {
    pub root_id: u64,
    /// The newest comment of the burst: the one answered.
    pub comment_id: u64,
    pub delivery: DeliveryId,
    pub author: String,
    pub intent: ReplyIntent,
    pub first_at: UnixMillis,
    pub due_at: UnixMillis,
    /// Comments merged into this answer.
    pub comments: u32,
}

/// An answer on the queue, until the consumer reports it done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyInFlight {
    pub reply_id: u64,
    pub root_id: u64,
    pub at: UnixMillis,
}

/// The persisted state of one PR's coordinator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrState {
    pub pr: Option<PrRef>,
    pub installation: Option<InstallationId>,
    pub archived: bool,
    pub failed: bool,
    pub paused: bool,
    /// GitHub's draft flag, as the last webhook said (the repository decides whether drafts are reviewed).
    pub draft: bool,
    pub head_sha: Option<CommitSha>,
    pub base_sha: Option<CommitSha>,
    pub last_reviewed_sha: Option<CommitSha>,
    pub pending: Option<Pending>,
    pub job: Option<ActiveJob>,
    pub queued_at: Option<UnixMillis>,
    pub started_at: Option<UnixMillis>,
    pub finished_at: Option<UnixMillis>,
    /// Runs of the current (or last) job.
    pub attempts: u32,
    /// Pushes merged into the current (or last) job beyond the first.
    pub coalesced_pushes: u32,
    pub last_error: Option<String>,
    /// The newest reviews (bounded by `Config::history_len`). Stored as rows
    /// of their own ([`crate::store`]), not in the state's JSON.
    #[serde(skip_serializing)]
    pub history: VecDeque<HistoryEntry>,
    /// Entries ever added to `history`, so each step can name the new ones.
    pub history_recorded: u64,
    pub recent_deliveries: VecDeque<DeliveryId>,
    pub outbox: VecDeque<OutboxItem>,
    /// The alarm the shell was last told to set.
    pub alarm_at: Option<UnixMillis>,
    pub job_seq: u64,
    pub lease_seq: u64,
    /// The last outbox item id given out.
    pub outbox_seq: u64,
    pub duplicates_ignored: u64,
    /// Commands waiting for their author's permission check, oldest first.
    pub pending_commands: VecDeque<PendingCommand>,
    /// The repository's `debounce_seconds` (in ms), as the last review read it from the base branch.
    pub repo_debounce_ms: Option<u64>,
    /// Actions that arrived while paused, for the review `resume` starts.
    pub paused_actions: Vec<PrAction>,
    /// What maintainers did from the dashboard, newest last (bounded like `history`).
    pub operator_log: VecDeque<crate::operator::OperatorRecord>,
    /// Dead-lettered jobs already replayed, so a second replay is refused.
    pub replayed: VecDeque<crate::operator::ReplayRecord>,
    /// What became of ArgusAI's findings, counted when the PR was last merged or closed.
    pub acted: Option<crate::protocol::ActedOn>,
    /// Review threads waiting for an answer, oldest first.
    pub pending_replies: VecDeque<PendingReply>,
    /// Answers on the queue.
    pub replies_in_flight: VecDeque<ReplyInFlight>,
    /// Answers posted on this PR, and when (the last hour's, for the hourly bound).
    pub replies_answered: u32,
    pub reply_times: VecDeque<UnixMillis>,
    /// The per-PR bound's note was sent; the hourly bound's note is sent once per window (until this time).
    pub reply_limit_noted: bool,
    pub reply_hour_noted_until: Option<UnixMillis>,
    pub reply_seq: u64,
    /// The repository's `[replies]` bounds, as the last review read them.
    pub repo_replies_max_per_pr: Option<u32>,
    pub repo_replies_max_per_hour: Option<u32>,
}

impl PrState {
    pub fn phase(&self) -> Phase {
        if self.archived {
            Phase::Archived
        } else if let Some(job) = &self.job {
            if job.lease.is_some() { Phase::Running } else { Phase::Queued }
        } else if self.pending.is_some() {
            Phase::Debouncing
        } else if self.failed {
            Phase::Failed
        } else {
            Phase::Idle
        }
    }
}

pub const HELP_TEXT: &str = "ArgusAI commands (from someone with write access):\n\
- `@argusai review`: review what changed since the last review\n\
- `@argusai full review`: review the whole pull request again\n\
- `@argusai pause`: stop automatic reviews on this pull request\n\
- `@argusai resume`: start them again\n\
- `@argusai learnings`: what ArgusAI has learned in this repository; `@argusai forget N` removes one\n\
- `@argusai help`: this list";
