//! The job in flight and the consumer's routes: lease, check run, head check,
//! reports (posted / stale / skipped, failed, dead-lettered), lease expiry and
//! starting the due review. Time only moves through `now`.

use super::{Coordinator, Out, Reply, bounded_text, entry, error, with_stats};
use crate::dedupe::DeliveryLog;
use crate::machine::Action;
use crate::machine::state::{ActiveJob, HistoryEntry, Lease, Outcome, Pending, PendingReason};
use crate::protocol::*;
use argus_core::error::ErrorClass;
use argus_core::ids::UnixMillis;
use argus_core::job::{JobTrigger, QueueMessage, ReviewJob, ReviewMode};

impl<L: DeliveryLog> Coordinator<L> {
    pub(super) fn on_lease(&mut self, now: UnixMillis, req: LeaseRequest, out: &mut Out) -> Reply {
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
        let lease =
            Lease { id: format!("{}.{}", job.job.job_id, self.st.lease_seq), granted_at: now, expires_at: now.plus_millis(self.cfg.lease_ms) };
        job.runs += 1;
        job.lease = Some(lease.clone());
        self.st.attempts = job.runs;
        self.st.started_at = Some(now);
        out.dirty = true;
        Reply::Lease(LeaseReply::Granted { lease_id: lease.id, expires_at: lease.expires_at, failures: job.failures, check_run: job.check_run })
    }

    /// The consumer created the job's check run: remember it, so a retry, a
    /// rerun or the dead-letter queue closes the same one.
    pub(super) fn on_started(&mut self, req: JobStarted, out: &mut Out) -> Reply {
        if let Err(e) = self.leased_job(&req.job_id, &req.lease_id) {
            return Reply::Error(e);
        }
        let job = self.st.job.as_mut().expect("leased_job checked");
        job.check_run = Some(req.check_run);
        out.dirty = true;
        Reply::Report(ReportReply { recorded: true, retry: false, failures: job.failures })
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

    /// Whether `lease_id` is a lease this coordinator issued for `job_id`
    /// (lease ids are `{job_id}.{sequence}`).
    fn granted_lease(&self, job_id: &str, lease_id: &str) -> bool {
        lease_id
            .strip_prefix(job_id)
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|seq| seq.parse::<u64>().ok())
            .is_some_and(|seq| seq >= 1 && seq <= self.st.lease_seq)
    }

    pub(super) fn on_head_check(&mut self, now: UnixMillis, req: HeadCheckRequest, out: &mut Out) -> Reply {
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

    pub(super) fn on_finished(&mut self, now: UnixMillis, rep: JobFinished, out: &mut Out) -> Reply {
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
                    self.push_history(late);
                    out.dirty = true;
                }
            }
            return Reply::Error(e);
        }
        let job = self.st.job.take().expect("leased_job checked");
        out.dirty = true;
        if rep.settings.replies_max_per_pr.is_some() {
            self.st.repo_replies_max_per_pr = rep.settings.replies_max_per_pr;
        }
        if rep.settings.replies_max_per_hour.is_some() {
            self.st.repo_replies_max_per_hour = rep.settings.replies_max_per_hour;
        }
        if let Some(ms) = rep.settings.debounce_ms {
            self.st.repo_debounce_ms = Some(ms);
        }
        // Only a posted review of the head moves the reviewed head: a skipped run
        // reviewed nothing, and a later push or `@argusai review` must still see
        // everything since the last review that was posted.
        let (outcome, note) = match (&rep.finish, job.superseded) {
            (Finish::Posted, false) => {
                self.st.last_reviewed_sha = Some(job.job.head_sha.clone());
                (Outcome::Posted, None)
            }
            (Finish::Skipped { reason }, _) => (Outcome::Skipped, Some(bounded_text(reason))),
            (Finish::Posted | Finish::Stale, _) => (Outcome::Superseded, None),
        };
        if outcome != Outcome::Superseded {
            self.st.failed = false;
            self.st.last_error = None;
        }
        let stats = ReviewStats { summary: note.clone().unwrap_or_else(|| rep.stats.summary.clone()), ..rep.stats };
        self.record(now, &job, outcome, Some(&stats), None);
        Reply::Report(ReportReply { recorded: true, retry: false, failures: job.failures })
    }

    pub(super) fn on_failed(&mut self, now: UnixMillis, rep: JobFailed, out: &mut Out) -> Reply {
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

    /// The queue gave up on the job after its retries: record it, tell the PR
    /// once what failed and how to retry, and give the consumer the check run to close.
    pub(super) fn on_dead_lettered(&mut self, now: UnixMillis, rep: DeadLettered, out: &mut Out) -> Reply {
        let current = self.st.job.as_ref().is_some_and(|j| j.job.job_id == rep.job_id);
        if !current {
            // An old job's message ran out of retries after the coordinator moved on.
            return Reply::DeadLetter(DeadLetterReply { recorded: false, check_run: None, reason: rep.reason });
        }
        let job = self.st.job.take().expect("checked above");
        out.dirty = true;
        let last = self.st.last_error.clone();
        let attempts = job.failures.max(job.runs);
        let cause = last.clone().unwrap_or_else(|| rep.reason.clone());
        let reason = bounded_text(&format!(
            "dead-lettered after {attempts} failed attempts: {}{}",
            rep.reason,
            last.map(|e| format!(" (last error: {e})")).unwrap_or_default()
        ));
        self.st.last_error = Some(reason.clone());
        if !job.superseded {
            self.st.failed = true;
            self.note(
                now,
                format!(
                    "ArgusAI could not review `{}`: it gave up after {attempts} attempts. Last error: {}\n\nComment `@argusai review` to try again.",
                    job.job.head_sha.short(),
                    bounded_text(&cause)
                ),
                out,
            );
        }
        self.record(now, &job, Outcome::DeadLettered, None, Some(reason.clone()));
        Reply::DeadLetter(DeadLetterReply { recorded: true, check_run: job.check_run, reason: bounded_text(&cause) })
    }

    pub(super) fn on_enqueue_failed(&mut self, now: UnixMillis, job_id: String, reason: String, out: &mut Out) -> Reply {
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
                actions: job.job.actions.clone(),
            });
        }
        Reply::Report(ReportReply { recorded: true, retry: false, failures: job.failures })
    }

    // ----- time -------------------------------------------------------------

    /// When the job in flight is presumed lost: its lease's expiry, or, while it
    /// waits on the queue, `queue_timeout_ms` after it started waiting (a message
    /// lost between the storage write and the queue send, or by the queue itself).
    pub(super) fn job_deadline(&self, job: &ActiveJob) -> UnixMillis {
        match &job.lease {
            Some(l) => l.expires_at,
            None => job.waiting_since.plus_millis(self.cfg.queue_timeout_ms),
        }
    }

    pub(super) fn expire_job(&mut self, now: UnixMillis, out: &mut Out) {
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

    pub(super) fn start_due(&mut self, now: UnixMillis, out: &mut Out) {
        if self.st.job.is_some() || self.st.archived {
            return;
        }
        // Serialized both ways: a due review waits for the answers in flight (bounded).
        if self.replies_hold_until().is_some_and(|t| t > now) {
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
            actions: pending.actions,
            attempt: 1,
            deliveries: pending.deliveries,
            enqueued_at: now,
        };
        let coalesced = pending.pushes.saturating_sub(1);
        self.st.job = Some(ActiveJob {
            job: job.clone(),
            lease: None,
            superseded: false,
            failures: 0,
            runs: 0,
            expiry_reruns: 0,
            coalesced_pushes: coalesced,
            waiting_since: now,
            check_run: None,
        });
        self.st.queued_at = Some(now);
        self.st.started_at = None;
        self.st.finished_at = None;
        self.st.attempts = 0;
        self.st.coalesced_pushes = coalesced;
        self.st.failed = false;
        out.actions.push(Action::Enqueue { message: QueueMessage::V1(job) });
    }
}
