//! The coordinator's side of the dashboard's actions ([`Event::Operator`]):
//! re-run or fully re-run a review, pause and resume, and replay a dead-lettered
//! job. Each action is recorded in the PR's `operator_log`, taken or refused;
//! a replay is allowed once per job and yields exactly one review (a review of
//! the same head already under way or wanted serves it).

use super::*;
use crate::dedupe::DeliveryLog;
use crate::operator::{OperatorAction, OperatorRecord, OperatorReply, OperatorRequest, ReplayRecord, clean_login};
use argus_core::ids::{CommitSha, DeliveryId};
use argus_core::job::{MAX_DELIVERIES_PER_JOB, ReviewMode};

impl<L: DeliveryLog> Coordinator<L> {
    pub(super) fn on_operator(&mut self, now: UnixMillis, req: OperatorRequest, out: &mut Out) -> Reply {
        if self.st.pr.is_none() {
            return error(ErrorCode::UnknownPr, "no webhook for this pull request has been seen".into());
        }
        let actor = clean_login(&req.actor);
        let delivery = DeliveryId(format!("dashboard:{actor}:{}", now.0));
        let (accepted, note) = match &req.action {
            OperatorAction::Review => self.operator_review(now, ReviewMode::Incremental, delivery),
            OperatorAction::FullReview => self.operator_review(now, ReviewMode::Full, delivery),
            OperatorAction::Pause => self.operator_pause(now, &actor, out),
            OperatorAction::Resume => self.operator_resume(now, &actor, delivery, out),
            OperatorAction::Replay { job_id } => self.operator_replay(now, job_id, &actor, delivery),
        };
        let job_id = match &req.action {
            OperatorAction::Replay { job_id } => Some(bounded_text(job_id)),
            _ => None,
        };
        let record = OperatorRecord { at: now, actor, action: req.action.as_str().into(), job_id, accepted, note: note.clone() };
        push_bounded(&mut self.st.operator_log, record, self.cfg.history_len);
        out.dirty = true;
        Reply::Operator(OperatorReply { accepted, note, state: self.st.phase().as_str().into() })
    }

    fn operator_review(&mut self, now: UnixMillis, mode: ReviewMode, delivery: DeliveryId) -> (bool, String) {
        if self.st.archived {
            return (false, "the pull request is closed".into());
        }
        let Some(head) = self.st.head_sha.clone() else {
            return (false, "the pull request's head commit is not known yet".into());
        };
        if mode == ReviewMode::Incremental && self.st.last_reviewed_sha.as_ref() == Some(&head) && self.st.pending.is_none() {
            return (false, format!("nothing new since the last review of {}; ask for a full review", head.short()));
        }
        if self.running_covers(&head, mode) {
            return (false, "a review of this head is already under way".into());
        }
        let mode = if self.st.last_reviewed_sha.is_none() { ReviewMode::Full } else { mode };
        let behind = self.st.job.is_some();
        self.want_review_now(now, mode, head, delivery);
        (true, if behind { "review queued behind the running one".into() } else { "review starting".into() })
    }

    fn operator_pause(&mut self, now: UnixMillis, actor: &str, out: &mut Out) -> (bool, String) {
        if self.st.paused {
            return (false, "already paused".into());
        }
        self.st.paused = true;
        self.drop_automatic_pending();
        self.note(now, format!("Automatic reviews paused from the ArgusAI dashboard by `{actor}`. `@argusai review` still works."), out);
        (true, "paused".into())
    }

    fn operator_resume(&mut self, now: UnixMillis, actor: &str, delivery: DeliveryId, out: &mut Out) -> (bool, String) {
        if !self.st.paused {
            return (false, "not paused".into());
        }
        let start = self.unpause(now, delivery);
        self.note(now, format!("Automatic reviews resumed from the ArgusAI dashboard by `{actor}`."), out);
        (true, if start { "resumed; reviewing the latest push now".into() } else { "resumed".into() })
    }

    /// Ends a pause (a command or a dashboard action): when the head has not been
    /// reviewed and nothing else is planned or running, its review starts now,
    /// answering to the pushes made while paused (the repository's `events` and
    /// `review_drafts` apply to it in the job). True when a review was started.
    pub(super) fn unpause(&mut self, now: UnixMillis, delivery: DeliveryId) -> bool {
        self.st.paused = false;
        let actions = std::mem::take(&mut self.st.paused_actions);
        let unreviewed = self.st.head_sha.is_some() && self.st.head_sha != self.st.last_reviewed_sha;
        let start = unreviewed && self.st.pending.is_none() && self.st.job.is_none() && !self.st.archived;
        if start {
            let head = self.st.head_sha.clone().expect("checked above");
            let mode = if self.st.last_reviewed_sha.is_some() { ReviewMode::Incremental } else { ReviewMode::Full };
            self.st.pending = Some(Pending {
                reason: PendingReason::Automatic,
                mode,
                head_sha: head,
                first_at: now,
                due_at: now,
                pushes: 1,
                deliveries: vec![delivery],
                actions,
            });
        }
        start
    }

    fn operator_replay(&mut self, now: UnixMillis, job_id: &str, actor: &str, delivery: DeliveryId) -> (bool, String) {
        let dead = self.st.history.iter().rev().find(|h| h.job_id == job_id && h.outcome == Outcome::DeadLettered).cloned();
        let Some(dead) = dead else {
            return (false, format!("no dead-lettered job {} in this pull request's recent history", bounded_text(job_id)));
        };
        if let Some(r) = self.st.replayed.iter().find(|r| r.job_id == job_id) {
            return (false, format!("job {} was already replayed by {}", dead.job_id, r.actor));
        }
        if self.st.archived {
            return (false, "the pull request is closed".into());
        }
        // The head may have moved on since the job died: review what the PR is now.
        let head = self.st.head_sha.clone().unwrap_or_else(|| dead.head_sha.clone());
        push_bounded(&mut self.st.replayed, ReplayRecord { job_id: dead.job_id.clone(), at: now, actor: actor.to_string() }, self.cfg.history_len);
        if self.running_covers(&head, dead.mode) {
            return (true, "a review of this head is already under way; it stands for the replay".into());
        }
        let mode = if self.st.last_reviewed_sha.is_none() { ReviewMode::Full } else { dead.mode };
        self.want_review_now(now, mode, head, delivery);
        (true, "replaying: review starting".into())
    }

    /// Whether the job in flight already gives what a `mode` review of `head` would.
    fn running_covers(&self, head: &CommitSha, mode: ReviewMode) -> bool {
        self.st
            .job
            .as_ref()
            .is_some_and(|j| &j.job.head_sha == head && !j.superseded && (j.job.mode == ReviewMode::Full || mode == ReviewMode::Incremental))
    }

    /// A review someone asked for: due at once, even while paused; merged into
    /// a pending one if there is one (so two asks make one review).
    pub(super) fn want_review_now(&mut self, now: UnixMillis, mode: ReviewMode, head: CommitSha, delivery: DeliveryId) {
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
                self.st.pending = Some(Pending {
                    reason: PendingReason::Command,
                    mode,
                    head_sha: head,
                    first_at: now,
                    due_at: now,
                    pushes: 1,
                    deliveries: vec![delivery],
                    // An explicit request, like a command: no `pull_request` action.
                    actions: Vec::new(),
                });
            }
        }
    }
}
