//! The per-PR coordinator as a deterministic state machine: an [`Event`] and
//! `now` go in, a [`Step`] (a reply plus [`Action`]s for the shell) comes out.
//! No clock, no IO, no randomness: the Durable Object shell and the simulated-time
//! tests drive the very same code (the quinn-proto style, see STYLE.md).

use crate::config::Config;
use crate::dedupe::DedupeSet;
use crate::protocol::*;
use argus_core::error::ErrorClass;
use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrRef, UnixMillis};
use argus_core::job::{JobTrigger, MAX_DELIVERIES_PER_JOB, QueueMessage, ReviewJob, ReviewMode};
use argus_core::signal::{Command, Inbound, InboundReply, Signal};
use crate::operator::{OperatorRecord, OperatorReply, OperatorRequest, ReplayRecord};
use argus_core::severity::SeverityCounts;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

// Dashboard actions: new events handled in their own file, so the per-PR rules
// above stay as they are.
mod operate;

/// Everything that can happen to a PR's coordinator. Lease expiry has no event
/// of its own: it is noticed whenever time is passed in (typically [`Event::AlarmFired`],
/// since the coordinator keeps an alarm at the lease's expiry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A webhook the front Worker accepted for this PR.
    Inbound(Inbound),
    AlarmFired,
    LeaseRequested(LeaseRequest),
    HeadCheck(HeadCheckRequest),
    JobFinished(JobFinished),
    JobFailed(JobFailed),
    DeadLettered(DeadLettered),
    /// The shell could not put the job on the queue.
    EnqueueFailed { job_id: String, reason: String },
    /// A maintainer's action from the dashboard (see [`crate::operator`]).
    Operator(OperatorRequest),
}

/// What the shell must do, in order: persist first, then the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Write [`Coordinator::state`] to storage.
    Persist,
    SetAlarm { at: UnixMillis },
    ClearAlarm,
    Enqueue { message: QueueMessage },
    /// A comment on the PR (help text, "paused", ...). Also kept in the state's outbox.
    PostNote { body: String },
    /// React to a command comment. Also kept in the state's outbox.
    React { comment_id: u64, content: String },
}

/// The answer to the caller that sent the event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Inbound(InboundReply),
    Lease(LeaseReply),
    Head(HeadReply),
    Report(ReportReply),
    /// The event cannot apply in the current state; nothing was changed unless said.
    Error(ErrorReply),
    /// The alarm has nobody to answer.
    None,
    Operator(OperatorReply),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub reply: Reply,
    pub actions: Vec<Action>,
}

impl Step {
    pub fn enqueued(&self) -> impl Iterator<Item = &ReviewJob> {
        self.actions.iter().filter_map(|a| match a {
            Action::Enqueue { message } => Some(message.job()),
            _ => None,
        })
    }
}

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
    /// A push or state change; paused or draft PRs drop these.
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Reviewed and posted.
    Posted,
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
    /// The model calls' list price in millionths of a US dollar, when known.
    #[serde(default)]
    pub cost_micro_usd: Option<u64>,
    /// The new findings by severity (zero unless the review ran to the end).
    #[serde(default)]
    pub severities: SeverityCounts,
}

/// Work for the GitHub adapter (which another issue builds): notes and
/// reactions the coordinator decided on, kept until posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxItem {
    Note { body: String, at: UnixMillis },
    Reaction { comment_id: u64, content: String, at: UnixMillis },
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
    pub history: VecDeque<HistoryEntry>,
    pub recent_deliveries: VecDeque<DeliveryId>,
    pub seen: DedupeSet,
    pub outbox: VecDeque<OutboxItem>,
    /// The alarm the shell was last told to set.
    pub alarm_at: Option<UnixMillis>,
    pub job_seq: u64,
    pub lease_seq: u64,
    pub duplicates_ignored: u64,
    /// What maintainers did from the dashboard, newest last (bounded like `history`).
    pub operator_log: VecDeque<OperatorRecord>,
    /// Dead-lettered jobs already replayed, so a second replay is refused.
    pub replayed: VecDeque<ReplayRecord>,
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
- `@argusai help`: this list";

/// One PR's coordinator: its config and state. Cheap to build from stored state.
#[derive(Clone, Debug)]
pub struct Coordinator {
    cfg: Config,
    st: PrState,
}

/// Collects the actions of one step; `dirty` says whether the state changed.
struct Out {
    actions: Vec<Action>,
    dirty: bool,
}

impl Coordinator {
    pub fn new(cfg: Config) -> Self {
        Self { cfg, st: PrState::default() }
    }

    pub fn from_state(cfg: Config, st: PrState) -> Self {
        Self { cfg, st }
    }

    pub fn state(&self) -> &PrState {
        &self.st
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Applies one event at `now`. Never panics: inputs that do not fit the
    /// current state are answered with [`Reply::Error`] or a denial.
    pub fn handle(&mut self, now: UnixMillis, event: Event) -> Step {
        let mut out = Out { actions: Vec::new(), dirty: false };
        if matches!(event, Event::AlarmFired) && self.st.alarm_at.is_some() {
            // The alarm that fired is spent; `pump` sets the next one if needed.
            self.st.alarm_at = None;
            out.dirty = true;
        }
        // Time passed since the last event: expire jobs first, so a request
        // arriving after an expiry sees the rerun, not the dead lease.
        self.pump(now, &mut out);
        let reply = match event {
            Event::Inbound(inbound) => self.on_inbound(now, inbound, &mut out),
            Event::AlarmFired => Reply::None,
            Event::LeaseRequested(req) => self.on_lease(now, req, &mut out),
            Event::HeadCheck(req) => self.on_head_check(now, req, &mut out),
            Event::JobFinished(rep) => self.on_finished(now, rep, &mut out),
            Event::JobFailed(rep) => self.on_failed(now, rep, &mut out),
            Event::DeadLettered(rep) => self.on_dead_lettered(now, rep, &mut out),
            Event::EnqueueFailed { job_id, reason } => self.on_enqueue_failed(now, job_id, reason, &mut out),
            Event::Operator(req) => self.on_operator(now, req, &mut out),
        };
        self.pump(now, &mut out);
        self.sync_alarm(&mut out);
        let mut actions = out.actions;
        if out.dirty {
            actions.insert(0, Action::Persist);
        }
        Step { reply, actions }
    }

    // ----- inbound webhooks -------------------------------------------------

    fn on_inbound(&mut self, now: UnixMillis, inbound: Inbound, out: &mut Out) -> Reply {
        match &self.st.pr {
            Some(pr) if *pr != inbound.pr => {
                return error(ErrorCode::WrongPr, format!("this coordinator serves {pr}, not {}", inbound.pr));
            }
            Some(_) => {}
            None => {
                self.st.pr = Some(inbound.pr.clone());
                out.dirty = true;
            }
        }
        if !self.st.seen.insert(inbound.delivery.clone(), now, self.cfg.dedupe_capacity) {
            // Counting duplicates is worth no storage write: the count is best effort.
            self.st.duplicates_ignored += 1;
            return self.inbound_reply(false, Some("duplicate delivery ignored".into()));
        }
        out.dirty = true;
        push_bounded(&mut self.st.recent_deliveries, inbound.delivery.clone(), self.cfg.recent_deliveries_len);
        if let Some(inst) = inbound.installation {
            self.st.installation = Some(inst);
        }
        let note = match inbound.signal {
            Signal::Review { trigger, head_sha, base_sha, .. } => self.on_review_signal(now, inbound.delivery, trigger, head_sha, base_sha),
            Signal::Closed { merged } => {
                self.archive(now, if merged { "merged" } else { "closed" });
                Some(format!("pull request {}; coordinator archived", if merged { "merged" } else { "closed" }))
            }
            Signal::ConvertedToDraft => {
                self.st.draft = true;
                let dropped = self.drop_automatic_pending();
                Some(if dropped { "converted to draft; pending review cancelled".into() } else { "converted to draft".into() })
            }
            Signal::Command { command, comment_id, author: _ } => self.on_command(now, inbound.delivery, command, comment_id, out),
        };
        self.inbound_reply(true, note)
    }

    fn on_review_signal(&mut self, now: UnixMillis, delivery: DeliveryId, trigger: PrAction, head: CommitSha, base: CommitSha) -> Option<String> {
        if self.st.archived {
            if trigger != PrAction::Reopened {
                return Some(format!("ignored {}: the pull request is closed", trigger.as_str()));
            }
            self.st.archived = false;
        }
        let opening = matches!(trigger, PrAction::Opened | PrAction::Reopened | PrAction::ReadyForReview);
        if opening {
            self.st.draft = false;
        }
        self.st.head_sha = Some(head.clone());
        self.st.base_sha = Some(base);
        if self.st.draft {
            return Some("draft pull request: head recorded, no automatic review".into());
        }
        if self.st.paused {
            return Some("paused: head recorded, no automatic review".into());
        }
        if let Some(job) = &self.st.job
            && job.job.head_sha == head
            && !job.superseded
        {
            return Some("a review of this head is already under way".into());
        }
        let already_reviewed = self.st.last_reviewed_sha.as_ref() == Some(&head);
        if already_reviewed && self.st.pending.is_none() && self.st.job.is_none() {
            return Some("this head was already reviewed".into());
        }
        self.supersede_job(now, "a newer head was pushed");
        // A first review of a newly opened PR starts at once; anything else waits
        // for the debounce window so a burst of pushes becomes one review.
        let prompt = opening && self.st.last_reviewed_sha.is_none() && self.st.pending.is_none();
        let window_due = |first_at: UnixMillis| now.plus_millis(self.cfg.debounce_ms).min(first_at.plus_millis(self.cfg.max_wait_ms));
        match &mut self.st.pending {
            Some(p) => {
                p.head_sha = head;
                p.pushes = p.pushes.saturating_add(1);
                if p.deliveries.len() < MAX_DELIVERIES_PER_JOB {
                    p.deliveries.push(delivery);
                }
                if p.reason == PendingReason::Automatic {
                    p.due_at = window_due(p.first_at);
                }
                Some(format!("coalesced with a pending review ({} signals)", p.pushes))
            }
            None => {
                let mode = if self.st.last_reviewed_sha.is_some() { ReviewMode::Incremental } else { ReviewMode::Full };
                let due_at = if prompt { now } else { window_due(now) };
                self.st.pending = Some(Pending { reason: PendingReason::Automatic, mode, head_sha: head, first_at: now, due_at, pushes: 1, deliveries: vec![delivery] });
                Some(if prompt { "review starting".into() } else { format!("review scheduled in {} ms", due_at.0 - now.0) })
            }
        }
    }

    fn on_command(&mut self, now: UnixMillis, delivery: DeliveryId, command: Command, comment_id: u64, out: &mut Out) -> Option<String> {
        // Acknowledge every command we act on with 👀, as GitHub users expect from bots.
        self.react(now, comment_id, out);
        if self.st.archived {
            return Some("the pull request is closed; command ignored".into());
        }
        match command {
            Command::Review | Command::FullReview => {
                let mode = if command == Command::FullReview { ReviewMode::Full } else { ReviewMode::Incremental };
                let Some(head) = self.st.head_sha.clone() else {
                    self.note(now, "I have not seen this pull request's head commit yet; push a commit or reopen it, then ask again.".into(), out);
                    return Some("no head known yet".into());
                };
                if mode == ReviewMode::Incremental && self.st.last_reviewed_sha.as_ref() == Some(&head) && self.st.pending.is_none() {
                    self.note(now, format!("Nothing new since the last review of `{}`. Use `@argusai full review` to review everything again.", head.short()), out);
                    return Some("nothing new to review".into());
                }
                if let Some(job) = &self.st.job
                    && job.job.head_sha == head
                    && !job.superseded
                    && job.job.mode == ReviewMode::Full
                {
                    return Some("a full review of this head is already under way".into());
                }
                let mode = if self.st.last_reviewed_sha.is_none() { ReviewMode::Full } else { mode };
                match &mut self.st.pending {
                    Some(p) => {
                        p.reason = PendingReason::Command;
                        p.head_sha = head;
                        p.due_at = now;
                        if mode == ReviewMode::Full {
                            p.mode = ReviewMode::Full;
                        }
                        if p.deliveries.len() < MAX_DELIVERIES_PER_JOB {
                            p.deliveries.push(delivery);
                        }
                    }
                    None => {
                        self.st.pending = Some(Pending { reason: PendingReason::Command, mode, head_sha: head, first_at: now, due_at: now, pushes: 1, deliveries: vec![delivery] });
                    }
                }
                Some(if self.st.job.is_some() { "review queued behind the running one".into() } else { "review starting".into() })
            }
            Command::Pause => {
                if self.st.paused {
                    return Some("already paused".into());
                }
                self.st.paused = true;
                self.drop_automatic_pending();
                self.note(now, "Paused automatic reviews on this pull request. `@argusai resume` starts them again; `@argusai review` still works.".into(), out);
                Some("paused".into())
            }
            Command::Resume => {
                if !self.st.paused {
                    return Some("not paused".into());
                }
                self.st.paused = false;
                let unreviewed = self.st.head_sha.is_some() && self.st.head_sha != self.st.last_reviewed_sha;
                let start = unreviewed && self.st.pending.is_none() && self.st.job.is_none() && !self.st.draft;
                if start {
                    let head = self.st.head_sha.clone().expect("checked above");
                    let mode = if self.st.last_reviewed_sha.is_some() { ReviewMode::Incremental } else { ReviewMode::Full };
                    self.st.pending = Some(Pending { reason: PendingReason::Automatic, mode, head_sha: head, first_at: now, due_at: now, pushes: 1, deliveries: vec![delivery] });
                }
                self.note(now, if start { "Resumed automatic reviews; reviewing the latest push now.".into() } else { "Resumed automatic reviews.".into() }, out);
                Some("resumed".into())
            }
            Command::Help => {
                self.note(now, HELP_TEXT.into(), out);
                Some("help posted".into())
            }
            Command::Unknown(text) => {
                // The text is echoed inside a code span; strip what could break out of it.
                let shown: String = text.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-').take(40).collect();
                self.note(now, format!("I don't know the command `{shown}`. Try `@argusai help`."), out);
                Some("unknown command".into())
            }
        }
    }

    fn archive(&mut self, now: UnixMillis, why: &str) {
        self.st.archived = true;
        self.st.pending = None;
        self.supersede_job(now, &format!("the pull request was {why}"));
    }

    /// Marks the job in flight as superseded: a queued one is dropped at once
    /// (its message will be denied a lease), a running one may finish but not post.
    fn supersede_job(&mut self, now: UnixMillis, why: &str) {
        let Some(job) = &mut self.st.job else { return };
        if job.lease.is_some() {
            job.superseded = true;
        } else {
            let job = self.st.job.take().expect("matched above");
            self.record(now, &job, Outcome::Cancelled, None, Some(why.to_string()));
        }
    }

    fn drop_automatic_pending(&mut self) -> bool {
        if self.st.pending.as_ref().is_some_and(|p| p.reason == PendingReason::Automatic) {
            self.st.pending = None;
            return true;
        }
        false
    }

    // ----- consumer routes --------------------------------------------------

    fn on_lease(&mut self, now: UnixMillis, req: LeaseRequest, out: &mut Out) -> Reply {
        let denied = |reason| Reply::Lease(LeaseReply::Denied { reason });
        let Some(job) = &mut self.st.job else {
            return denied(self.past_job_reason(&req.job_id));
        };
        if job.job.job_id != req.job_id {
            return denied(self.past_job_reason(&req.job_id));
        }
        if req.attempt < job.job.attempt {
            return denied(DenyReason::StaleAttempt);
        }
        if job.lease.is_some() {
            return denied(DenyReason::Busy);
        }
        self.st.lease_seq += 1;
        let lease = Lease { id: format!("{}.{}", job.job.job_id, self.st.lease_seq), granted_at: now, expires_at: now.plus_millis(self.cfg.lease_ms) };
        job.runs += 1;
        job.lease = Some(lease.clone());
        self.st.attempts = job.runs;
        self.st.started_at = Some(now);
        out.dirty = true;
        Reply::Lease(LeaseReply::Granted { lease_id: lease.id, expires_at: lease.expires_at, failures: job.failures })
    }

    fn past_job_reason(&self, job_id: &str) -> DenyReason {
        if self.st.archived {
            return DenyReason::Closed;
        }
        match self.st.history.iter().rev().find(|h| h.job_id == job_id) {
            Some(h) if h.outcome == Outcome::Cancelled => DenyReason::Superseded,
            Some(_) => DenyReason::Finished,
            None => DenyReason::UnknownJob,
        }
    }

    /// The job in flight, if `job_id`/`lease_id` name its current lease.
    fn leased_job(&self, job_id: &str, lease_id: &str) -> Result<(), ErrorReply> {
        let Some(job) = &self.st.job else {
            return Err(ErrorReply { code: ErrorCode::NotRunning, error: format!("job {job_id} is not running") });
        };
        if job.job.job_id != job_id {
            return Err(ErrorReply { code: ErrorCode::NotRunning, error: format!("job {job_id} is not running (current job {})", job.job.job_id) });
        }
        match &job.lease {
            Some(l) if l.id == lease_id => Ok(()),
            _ => Err(ErrorReply { code: ErrorCode::StaleLease, error: format!("lease {lease_id} is no longer held for job {job_id}") }),
        }
    }

    fn on_head_check(&mut self, now: UnixMillis, req: HeadCheckRequest, out: &mut Out) -> Reply {
        if let Err(e) = self.leased_job(&req.job_id, &req.lease_id) {
            return Reply::Error(e);
        }
        let lease_ms = self.cfg.lease_ms;
        let archived = self.st.archived;
        let current_head = self.st.head_sha.clone();
        let job = self.st.job.as_mut().expect("leased_job checked");
        let current = !job.superseded && !archived && current_head.as_ref() == Some(&req.head_sha);
        if !current {
            return Reply::Head(HeadReply::Stale { current_head });
        }
        // A consumer asking to post has just shown it is alive. Renew its lease so
        // that it can publish: a lease expiring mid-publish would rerun the job
        // while this run posts, and the PR would get the review twice.
        let lease = job.lease.as_mut().expect("leased_job checked");
        let renewed = now.plus_millis(lease_ms);
        if renewed > lease.expires_at {
            lease.expires_at = renewed;
            out.dirty = true;
        }
        Reply::Head(HeadReply::Current)
    }

    fn on_finished(&mut self, now: UnixMillis, rep: JobFinished, out: &mut Out) -> Reply {
        if let Err(e) = self.leased_job(&rep.job_id, &rep.lease_id) {
            // The work was done and paid for even if its lease moved on (expired,
            // job rerun): keep its cost, if the lease is one this coordinator granted.
            if self.granted_lease(&rep.job_id, &rep.lease_id) {
                let template = match &self.st.job {
                    Some(job) if job.job.job_id == rep.job_id => Some(entry(job, Outcome::Late, now, None)),
                    _ => self.st.history.iter().rev().find(|h| h.job_id == rep.job_id).cloned(),
                };
                if let Some(t) = template {
                    let late = HistoryEntry { outcome: Outcome::Late, finished_at: now, ..with_stats(t, &rep.stats) };
                    let note = match &late.note {
                        Some(n) => format!("reported after its lease ended; {n}"),
                        None => "reported after its lease ended".into(),
                    };
                    let late = HistoryEntry { note: Some(note), ..late };
                    push_bounded(&mut self.st.history, late, self.cfg.history_len);
                    out.dirty = true;
                }
            }
            return Reply::Error(e);
        }
        let job = self.st.job.take().expect("leased_job checked");
        out.dirty = true;
        let posted = rep.posted && !job.superseded;
        if posted {
            self.st.last_reviewed_sha = Some(job.job.head_sha.clone());
            self.st.failed = false;
            self.st.last_error = None;
        }
        let outcome = if posted { Outcome::Posted } else { Outcome::Superseded };
        self.record(now, &job, outcome, Some(&rep.stats), None);
        Reply::Report(ReportReply { recorded: true, retry: false, failures: job.failures })
    }

    fn on_failed(&mut self, now: UnixMillis, rep: JobFailed, out: &mut Out) -> Reply {
        if let Err(e) = self.leased_job(&rep.job_id, &rep.lease_id) {
            return Reply::Error(e);
        }
        out.dirty = true;
        self.st.last_error = Some(bounded_text(&rep.reason));
        let job = self.st.job.as_mut().expect("leased_job checked");
        job.lease = None;
        let retryable = matches!(rep.class, ErrorClass::Retryable { .. });
        if retryable && !job.superseded {
            // Keep the job; the queue delivers the message again after the backoff.
            job.failures += 1;
            job.waiting_since = now;
            return Reply::Report(ReportReply { recorded: true, retry: true, failures: job.failures });
        }
        let job = self.st.job.take().expect("leased_job checked");
        if job.superseded {
            self.record(now, &job, Outcome::Superseded, None, Some(format!("failed after being superseded: {}", bounded_text(&rep.reason))));
        } else {
            self.st.failed = true;
            if rep.class == ErrorClass::User {
                // Users can fix these (bad config, PR too large), so tell them on the PR.
                self.note(now, format!("ArgusAI could not review this pull request: {}", bounded_text(&rep.reason)), out);
            }
            self.record(now, &job, Outcome::Failed, None, Some(bounded_text(&rep.reason)));
        }
        Reply::Report(ReportReply { recorded: true, retry: false, failures: job.failures })
    }

    fn on_dead_lettered(&mut self, now: UnixMillis, rep: DeadLettered, out: &mut Out) -> Reply {
        let current = self.st.job.as_ref().is_some_and(|j| j.job.job_id == rep.job_id);
        if !current {
            // An old job's message ran out of retries after the coordinator moved on.
            return Reply::Report(ReportReply { recorded: false, retry: false, failures: 0 });
        }
        let job = self.st.job.take().expect("checked above");
        out.dirty = true;
        let last = self.st.last_error.clone().map(|e| format!(" (last error: {e})")).unwrap_or_default();
        let reason = bounded_text(&format!("dead-lettered after {} failed attempts: {}{last}", job.failures.max(job.runs), rep.reason));
        self.st.last_error = Some(reason.clone());
        if !job.superseded {
            self.st.failed = true;
        }
        self.record(now, &job, Outcome::DeadLettered, None, Some(reason));
        Reply::Report(ReportReply { recorded: true, retry: false, failures: job.failures })
    }

    fn on_enqueue_failed(&mut self, now: UnixMillis, job_id: String, reason: String, out: &mut Out) -> Reply {
        let queued = self.st.job.as_ref().is_some_and(|j| j.job.job_id == job_id && j.lease.is_none());
        if !queued {
            return error(ErrorCode::NotRunning, format!("job {job_id} is not waiting on the queue"));
        }
        let job = self.st.job.take().expect("checked above");
        out.dirty = true;
        self.st.last_error = Some(bounded_text(&format!("could not enqueue the review: {reason}")));
        // Try again later, unless something newer is already wanted.
        if self.st.pending.is_none() && !self.st.archived {
            let due_at = now.plus_millis(self.cfg.enqueue_retry_ms);
            self.st.pending = Some(Pending {
                reason: PendingReason::Command,
                mode: job.job.mode,
                head_sha: job.job.head_sha.clone(),
                first_at: now,
                due_at,
                pushes: job.coalesced_pushes + 1,
                deliveries: job.job.deliveries.clone(),
            });
        }
        Reply::Report(ReportReply { recorded: true, retry: false, failures: job.failures })
    }

    // ----- time -------------------------------------------------------------

    /// Everything that is due at `now`: lease expiry, dedupe pruning, starting the pending review.
    fn pump(&mut self, now: UnixMillis, out: &mut Out) {
        if self.st.seen.prune(now, self.cfg.dedupe_ttl_ms) > 0 {
            out.dirty = true;
        }
        self.expire_job(now, out);
        self.start_due(now, out);
    }

    /// When the job in flight is presumed lost: its lease's expiry, or, while it
    /// waits on the queue, `queue_timeout_ms` after it started waiting (a message
    /// lost between the storage write and the queue send, or by the queue itself).
    fn job_deadline(&self, job: &ActiveJob) -> UnixMillis {
        match &job.lease {
            Some(l) => l.expires_at,
            None => job.waiting_since.plus_millis(self.cfg.queue_timeout_ms),
        }
    }

    fn expire_job(&mut self, now: UnixMillis, out: &mut Out) {
        let Some(job) = &self.st.job else { return };
        if self.job_deadline(job) > now {
            return;
        }
        out.dirty = true;
        let what = match &job.lease {
            Some(_) => format!("lease expired: no report within {} s", self.cfg.lease_ms / 1000),
            None => format!("queue timeout: no consumer took the job within {} s", self.cfg.queue_timeout_ms / 1000),
        };
        let job = self.st.job.as_mut().expect("checked above");
        job.lease = None;
        if job.superseded || self.st.archived {
            let job = self.st.job.take().expect("checked above");
            self.record(now, &job, Outcome::Superseded, None, Some(format!("{what} after the job was superseded")));
        } else if job.expiry_reruns < self.cfg.max_expiry_reruns {
            job.expiry_reruns += 1;
            job.job.attempt += 1;
            job.job.enqueued_at = now;
            job.waiting_since = now;
            self.st.last_error = Some(format!("{what}; rerunning the job"));
            self.st.queued_at = Some(now);
            let message = QueueMessage::V1(job.job.clone());
            out.actions.push(Action::Enqueue { message });
        } else {
            let job = self.st.job.take().expect("checked above");
            let reason = format!("{what}, again after a rerun");
            self.st.last_error = Some(reason.clone());
            self.st.failed = true;
            self.record(now, &job, Outcome::Failed, None, Some(reason));
        }
    }

    fn start_due(&mut self, now: UnixMillis, out: &mut Out) {
        if self.st.job.is_some() || self.st.archived {
            return;
        }
        let due = self.st.pending.as_ref().is_some_and(|p| p.due_at <= now);
        if !due {
            return;
        }
        let pending = self.st.pending.take().expect("checked above");
        out.dirty = true;
        let (Some(pr), Some(installation), Some(base_sha)) = (self.st.pr.clone(), self.st.installation, self.st.base_sha.clone()) else {
            // Without these the job message cannot be written; only a malformed
            // inbound stream gets here (the front Worker always sends them with a review).
            self.st.failed = true;
            self.st.last_error = Some("cannot start a review: installation id or base commit unknown".into());
            return;
        };
        self.st.job_seq += 1;
        let job = ReviewJob {
            job_id: format!("{}-{}", self.st.job_seq, now.0),
            pr,
            installation,
            head_sha: pending.head_sha,
            base_sha,
            since_sha: if pending.mode == ReviewMode::Incremental { self.st.last_reviewed_sha.clone() } else { None },
            mode: pending.mode,
            trigger: match pending.reason {
                PendingReason::Automatic => JobTrigger::Automatic,
                PendingReason::Command => JobTrigger::Command,
            },
            attempt: 1,
            deliveries: pending.deliveries,
            enqueued_at: now,
        };
        let coalesced = pending.pushes.saturating_sub(1);
        self.st.job = Some(ActiveJob { job: job.clone(), lease: None, superseded: false, failures: 0, runs: 0, expiry_reruns: 0, coalesced_pushes: coalesced, waiting_since: now });
        self.st.queued_at = Some(now);
        self.st.started_at = None;
        self.st.finished_at = None;
        self.st.attempts = 0;
        self.st.coalesced_pushes = coalesced;
        self.st.failed = false;
        out.actions.push(Action::Enqueue { message: QueueMessage::V1(job) });
    }

    /// When the coordinator next needs to wake: the pending review's due time
    /// (only when nothing runs: it waits for the job otherwise) or the job's deadline.
    pub fn next_wakeup(&self) -> Option<UnixMillis> {
        let lease = self.st.job.as_ref().map(|j| self.job_deadline(j));
        let pending = if self.st.job.is_none() && !self.st.archived { self.st.pending.as_ref().map(|p| p.due_at) } else { None };
        match (lease, pending) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn sync_alarm(&mut self, out: &mut Out) {
        let want = self.next_wakeup();
        if want == self.st.alarm_at {
            return;
        }
        out.dirty = true;
        self.st.alarm_at = want;
        out.actions.push(match want {
            Some(at) => Action::SetAlarm { at },
            None => Action::ClearAlarm,
        });
    }

    // ----- bookkeeping ------------------------------------------------------

    fn record(&mut self, now: UnixMillis, job: &ActiveJob, outcome: Outcome, stats: Option<&ReviewStats>, note: Option<String>) {
        let e = entry(job, outcome, now, note);
        let e = match stats {
            Some(s) => with_stats(e, s),
            None => e,
        };
        push_bounded(&mut self.st.history, e, self.cfg.history_len);
        self.st.finished_at = Some(now);
    }

    /// Whether `lease_id` is a lease this coordinator issued for `job_id`
    /// (lease ids are `{job_id}.{sequence}`).
    fn granted_lease(&self, job_id: &str, lease_id: &str) -> bool {
        lease_id
            .strip_prefix(job_id)
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|seq| seq.parse::<u64>().ok())
            .is_some_and(|seq| seq >= 1 && seq <= self.st.lease_seq)
    }

    fn note(&mut self, now: UnixMillis, body: String, out: &mut Out) {
        push_bounded(&mut self.st.outbox, OutboxItem::Note { body: body.clone(), at: now }, self.cfg.outbox_len);
        out.actions.push(Action::PostNote { body });
    }

    fn react(&mut self, now: UnixMillis, comment_id: u64, out: &mut Out) {
        let content = "eyes".to_string();
        push_bounded(&mut self.st.outbox, OutboxItem::Reaction { comment_id, content: content.clone(), at: now }, self.cfg.outbox_len);
        out.actions.push(Action::React { comment_id, content });
    }

    fn inbound_reply(&self, accepted: bool, note: Option<String>) -> Reply {
        Reply::Inbound(InboundReply { accepted, state: self.st.phase().as_str().into(), note })
    }
}

fn entry(job: &ActiveJob, outcome: Outcome, now: UnixMillis, note: Option<String>) -> HistoryEntry {
    HistoryEntry {
        job_id: job.job.job_id.clone(),
        head_sha: job.job.head_sha.clone(),
        mode: job.job.mode,
        outcome,
        queued_at: job.job.enqueued_at,
        finished_at: now,
        duration_ms: None,
        findings: None,
        tokens_in: None,
        tokens_out: None,
        runs: job.runs,
        coalesced_pushes: job.coalesced_pushes,
        note,
        cost_micro_usd: None,
        severities: SeverityCounts::default(),
    }
}

fn with_stats(entry: HistoryEntry, s: &ReviewStats) -> HistoryEntry {
    HistoryEntry {
        duration_ms: Some(s.duration_ms),
        findings: Some(s.findings),
        tokens_in: Some(s.tokens_in),
        tokens_out: Some(s.tokens_out),
        cost_micro_usd: s.cost_micro_usd,
        severities: s.severities,
        note: if s.summary.is_empty() { entry.note.clone() } else { Some(bounded_text(&s.summary)) },
        ..entry
    }
}

fn error(code: ErrorCode, error: String) -> Reply {
    Reply::Error(ErrorReply { code, error })
}

fn push_bounded<T>(list: &mut VecDeque<T>, item: T, cap: usize) {
    list.push_back(item);
    while list.len() > cap.max(1) {
        list.pop_front();
    }
}

/// Reasons come from other systems; keep the persisted state and status page small.
fn bounded_text(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
