//! The per-PR coordinator as a deterministic state machine: an [`Event`] and
//! `now` go in, a [`Step`] (a reply plus [`Action`]s for the shell) comes out.
//! No clock, no IO, no randomness: the Durable Object shell and the simulated-time
//! tests drive the very same code (the quinn-proto style, see STYLE.md).
//!
//! - [`state`]: what is persisted (the pending review, the job in flight, history…);
//! - [`inbound`]: webhooks and commands (dedupe, debounce, pause, close);
//! - [`jobs`]: the consumer's routes and time (lease, check run, head check,
//!   reports, dead letters, lease expiry, starting the due review).

mod inbound;
mod jobs;
// Dashboard actions: new events handled in their own file.
mod operate;
// Answers in review threads: per-thread debounce and bounds.
mod replies;
pub mod state;

pub use state::*;

use crate::config::Config;
use crate::dedupe::{DedupeSet, DeliveryLog};
use crate::operator::{OperatorReply, OperatorRequest};
use crate::protocol::*;
use argus_core::ids::UnixMillis;
use argus_core::job::{QueueMessage, ReviewJob};
use argus_core::severity::SeverityCounts;
use argus_core::signal::{Inbound, InboundReply};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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
    /// The consumer created the job's check run.
    JobStarted(JobStarted),
    HeadCheck(HeadCheckRequest),
    JobFinished(JobFinished),
    JobFailed(JobFailed),
    DeadLettered(DeadLettered),
    /// The shell could not put the job on the queue.
    EnqueueFailed {
        job_id: String,
        reason: String,
    },
    /// The consumer checked a command author's permission.
    CommandVerified(CommandVerified),
    /// The consumer posted these notes and reactions.
    Notified(Notified),
    /// The consumer counted what became of ArgusAI's findings on the closed PR.
    Acted(ActedOn),
    /// A maintainer's action from the dashboard (see [`crate::operator`]).
    Operator(OperatorRequest),
    /// The consumer is done with a thread's answer.
    ReplyDone(ReplyDone),
}

/// What the shell must do, in order: persist first, then the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Write [`Coordinator::state`] to storage.
    Persist,
    SetAlarm {
        at: UnixMillis,
    },
    ClearAlarm,
    /// Put a message on the review queue (a job, or a command's permission check).
    Enqueue {
        message: QueueMessage,
    },
    /// A comment on the PR (help text, "paused", why a review failed). Also kept in the outbox.
    PostNote {
        id: u64,
        body: String,
    },
    /// React to a command comment. Also kept in the outbox.
    React {
        id: u64,
        comment_id: u64,
        content: String,
    },
    /// A review outcome joined the history: store it as a row (bounded by
    /// `Config::history_len`). [`Action::Persist`]'s state leaves the history out.
    AppendHistory {
        entry: HistoryEntry,
    },
}

/// The answer to the caller that sent the event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Inbound(InboundReply),
    Lease(LeaseReply),
    Head(HeadReply),
    Report(ReportReply),
    DeadLetter(DeadLetterReply),
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
            Action::Enqueue { message } => message.job(),
            _ => None,
        })
    }
}

/// One PR's coordinator: its config, its state, and where it remembers delivery
/// ids (in memory by default; the Durable Object passes its SQLite rows). Cheap
/// to build from stored state.
#[derive(Clone, Debug)]
pub struct Coordinator<L = DedupeSet> {
    cfg: Config,
    st: PrState,
    log: L,
}

/// Collects the actions of one step; `dirty` says whether the state changed.
pub(crate) struct Out {
    actions: Vec<Action>,
    dirty: bool,
}

impl Coordinator {
    pub fn new(cfg: Config) -> Self {
        Self { cfg, st: PrState::default(), log: DedupeSet::default() }
    }

    pub fn from_state(cfg: Config, st: PrState) -> Self {
        Self { cfg, st, log: DedupeSet::default() }
    }
}

impl<L: DeliveryLog> Coordinator<L> {
    /// A coordinator whose delivery ids live in `log` (the shell's storage).
    pub fn with_log(cfg: Config, st: PrState, log: L) -> Self {
        Self { cfg, st, log }
    }

    pub fn log_mut(&mut self) -> &mut L {
        &mut self.log
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
        let recorded_before = self.st.history_recorded;
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
            Event::JobStarted(req) => self.on_started(req, &mut out),
            Event::HeadCheck(req) => self.on_head_check(now, req, &mut out),
            Event::JobFinished(rep) => self.on_finished(now, rep, &mut out),
            Event::JobFailed(rep) => self.on_failed(now, rep, &mut out),
            Event::DeadLettered(rep) => self.on_dead_lettered(now, rep, &mut out),
            Event::EnqueueFailed { job_id, reason } => self.on_enqueue_failed(now, job_id, reason, &mut out),
            Event::CommandVerified(v) => self.on_command_verified(now, v, &mut out),
            Event::Notified(n) => self.on_notified(n, &mut out),
            Event::Acted(a) => {
                let changed = self.st.acted != Some(a);
                self.st.acted = Some(a);
                out.dirty |= changed;
                Reply::Report(ReportReply { recorded: true, retry: false, failures: 0 })
            }
            Event::Operator(req) => self.on_operator(now, req, &mut out),
            Event::ReplyDone(d) => self.on_reply_done(d, &mut out),
        };
        self.pump(now, &mut out);
        self.sync_alarm(&mut out);
        let mut actions = out.actions;
        // The entries this event added (at most the bound: older ones were already dropped).
        let added = (self.st.history_recorded - recorded_before).min(self.st.history.len() as u64) as usize;
        let first_new = self.st.history.len() - added;
        for entry in self.st.history.iter().skip(first_new).rev() {
            actions.insert(0, Action::AppendHistory { entry: entry.clone() });
        }
        if out.dirty || added > 0 {
            actions.insert(0, Action::Persist);
        }
        Step { reply, actions }
    }

    /// Everything that is due at `now`: lease expiry, forgetting
    /// unverified commands, starting the pending review.
    fn pump(&mut self, now: UnixMillis, out: &mut Out) {
        self.forget_stale_commands(now, out);
        self.expire_job(now, out);
        self.start_due(now, out);
        self.dispatch_replies(now, out);
    }

    /// When the coordinator next needs to wake: the pending review's due time
    /// (only when nothing runs: it waits for the job otherwise, and for the
    /// answers in flight up to their hold) or the job's deadline.
    pub fn next_wakeup(&self) -> Option<UnixMillis> {
        let lease = self.st.job.as_ref().map(|j| self.job_deadline(j));
        let pending = if self.st.job.is_none() && !self.st.archived {
            self.st.pending.as_ref().map(|p| self.replies_hold_until().map_or(p.due_at, |h| h.max(p.due_at)))
        } else {
            None
        };
        [lease, pending, self.replies_wakeup()].into_iter().flatten().min()
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

    /// The debounce window now: the repository's `debounce_seconds` once a review
    /// has read it, the operator's setting before.
    fn debounce_ms(&self) -> u64 {
        self.st.repo_debounce_ms.unwrap_or(self.cfg.debounce_ms)
    }

    /// A steady stream of pushes cannot postpone a review forever.
    fn max_wait_ms(&self) -> u64 {
        match self.st.repo_debounce_ms {
            Some(d) => Config::max_wait_for(d),
            None => self.cfg.max_wait_ms,
        }
    }

    // ----- bookkeeping ------------------------------------------------------

    fn record(&mut self, now: UnixMillis, job: &ActiveJob, outcome: Outcome, stats: Option<&ReviewStats>, note: Option<String>) {
        let e = entry(job, outcome, now, note);
        let e = match stats {
            Some(s) => with_stats(e, s),
            None => e,
        };
        self.push_history(e);
        self.st.finished_at = Some(now);
    }

    /// Every history entry goes through here, so [`Coordinator::handle`] can
    /// tell the shell which rows to append.
    pub(crate) fn push_history(&mut self, e: HistoryEntry) {
        push_bounded(&mut self.st.history, e, self.cfg.history_len);
        self.st.history_recorded += 1;
    }

    fn next_outbox_id(&mut self) -> u64 {
        self.st.outbox_seq += 1;
        self.st.outbox_seq
    }

    fn note(&mut self, now: UnixMillis, body: String, out: &mut Out) {
        let id = self.next_outbox_id();
        push_bounded(&mut self.st.outbox, OutboxItem { id, what: OutboxWhat::Note { body: body.clone() }, at: now }, self.cfg.outbox_len);
        out.actions.push(Action::PostNote { id, body });
        out.dirty = true;
    }

    fn react(&mut self, now: UnixMillis, comment_id: u64, out: &mut Out) {
        let content = "eyes".to_string();
        let id = self.next_outbox_id();
        push_bounded(
            &mut self.st.outbox,
            OutboxItem { id, what: OutboxWhat::Reaction { comment_id, content: content.clone() }, at: now },
            self.cfg.outbox_len,
        );
        out.actions.push(Action::React { id, comment_id, content });
        out.dirty = true;
    }

    /// The consumer posted these: they leave the outbox.
    fn on_notified(&mut self, n: Notified, out: &mut Out) -> Reply {
        let before = self.st.outbox.len();
        self.st.outbox.retain(|item| !n.ids.contains(&item.id));
        let removed = before - self.st.outbox.len();
        if removed > 0 {
            out.dirty = true;
        }
        Reply::Report(ReportReply { recorded: removed > 0, retry: false, failures: 0 })
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
        subrequests: None,
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
        subrequests: s.subrequests.or(entry.subrequests),
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
pub(crate) fn bounded_text(s: &str) -> String {
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
