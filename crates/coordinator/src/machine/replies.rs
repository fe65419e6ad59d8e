//! Answers in review threads. A comment in a thread waits a few seconds
//! (`Config::reply_debounce_ms`), so a burst in one thread gets one answer, for
//! the newest comment; it goes on the queue only while no review job is in
//! flight and no answer in the same thread is (one answer per thread at a
//! time). Serialized with reviews both ways: a due review waits for the
//! answers in flight, up to `Config::reply_hold_ms` after the newest was
//! queued, and answers due no sooner than a pending review wait for it.
//! Bounds: answers per PR and per hour (the
//! repository's `[replies]`, its defaults until a review has read them),
//! counted when the consumer reports an answer posted; when a bound is
//! reached the thread gets one note instead, once per PR (or once per hourly
//! window). The comment's body never reaches this state: only ids and the intent.

use super::{Action, Coordinator, Out, push_bounded};
use crate::dedupe::DeliveryLog;
use crate::machine::Reply;
use crate::machine::state::{PendingReply, ReplyInFlight};
use crate::protocol::{ReplyDone, ReportReply};
use argus_core::ids::{DeliveryId, UnixMillis};
use argus_core::job::{QueueMessage, ReplyJob, ReplyLimit};
use argus_core::signal::ReplyIntent;

const HOUR_MS: u64 = 3_600_000;

impl<L: DeliveryLog> Coordinator<L> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_thread_reply(
        &mut self,
        now: UnixMillis,
        delivery: DeliveryId,
        comment_id: u64,
        root_id: u64,
        author: String,
        intent: ReplyIntent,
        out: &mut Out,
    ) -> Option<String> {
        if self.st.installation.is_none() {
            return Some("reply ignored: installation unknown".into());
        }
        out.dirty = true;
        let debounce = self.cfg.reply_debounce_ms;
        if let Some(p) = self.st.pending_replies.iter_mut().find(|p| p.root_id == root_id) {
            p.comment_id = comment_id;
            p.delivery = delivery;
            p.author = author;
            // A plain reply after `@argusai fix` in the same burst does not turn the ask into chat.
            if intent.mentioned() || !p.intent.mentioned() {
                p.intent = intent;
            }
            p.comments = p.comments.saturating_add(1);
            // A steady stream cannot postpone the answer forever.
            p.due_at = now.plus_millis(debounce).min(p.first_at.plus_millis(debounce.saturating_mul(6)));
            return Some(format!("coalesced with a pending answer in thread {root_id} ({} comments)", p.comments));
        }
        push_bounded(
            &mut self.st.pending_replies,
            PendingReply { root_id, comment_id, delivery, author, intent, first_at: now, due_at: now.plus_millis(debounce), comments: 1 },
            self.cfg.pending_replies_len,
        );
        Some(format!("answer in thread {root_id} scheduled in {debounce} ms"))
    }

    /// The consumer is done with an answer: it leaves the in-flight list, and
    /// counts toward the bounds when it was posted.
    pub(super) fn on_reply_done(&mut self, d: ReplyDone, out: &mut Out) -> Reply {
        let Some(i) = self.st.replies_in_flight.iter().position(|r| r.reply_id == d.reply_id) else {
            return Reply::Report(ReportReply { recorded: false, retry: false, failures: 0 });
        };
        let done = self.st.replies_in_flight.remove(i).expect("position found");
        if d.answered {
            self.st.replies_answered = self.st.replies_answered.saturating_add(1);
            self.st.reply_times.push_back(done.at);
        }
        out.dirty = true;
        Reply::Report(ReportReply { recorded: true, retry: false, failures: 0 })
    }

    fn max_per_pr(&self) -> u32 {
        self.st.repo_replies_max_per_pr.unwrap_or(self.cfg.replies_max_per_pr)
    }

    fn max_per_hour(&self) -> u32 {
        self.st.repo_replies_max_per_hour.unwrap_or(self.cfg.replies_max_per_hour)
    }

    /// An answer whose report never came back is forgotten after this long.
    fn in_flight_ttl(&self) -> u64 {
        self.cfg.command_verify_ttl_ms
    }

    /// Puts due answers on the queue (see the module docs).
    pub(super) fn dispatch_replies(&mut self, now: UnixMillis, out: &mut Out) {
        let ttl = self.in_flight_ttl();
        let before = (self.st.replies_in_flight.len(), self.st.reply_times.len());
        self.st.replies_in_flight.retain(|r| r.at.plus_millis(ttl) > now);
        while self.st.reply_times.front().is_some_and(|t| t.plus_millis(HOUR_MS) <= now) {
            self.st.reply_times.pop_front();
        }
        if before != (self.st.replies_in_flight.len(), self.st.reply_times.len()) {
            out.dirty = true;
        }
        if self.st.job.is_some() {
            return;
        }
        let Some(installation) = self.st.installation else { return };
        let Some(pr) = self.st.pr.clone() else { return };
        let review_at = self.review_at();
        while let Some(i) =
            self.st.pending_replies.iter().position(|p| p.due_at <= now && !self.thread_busy(p.root_id) && review_at.is_none_or(|r| p.due_at < r))
        {
            let p = self.st.pending_replies.remove(i).expect("position found");
            out.dirty = true;
            let in_flight = self.st.replies_in_flight.len() as u32;
            let limit = if self.st.replies_answered + in_flight >= self.max_per_pr() {
                if self.st.reply_limit_noted {
                    continue;
                }
                self.st.reply_limit_noted = true;
                Some(ReplyLimit::PerPr { max: self.max_per_pr() })
            } else if self.st.reply_times.len() as u32 + in_flight >= self.max_per_hour() {
                if self.st.reply_hour_noted_until.is_some_and(|t| t > now) {
                    continue;
                }
                // Noted once until the oldest answer of the window leaves it.
                let until = self.st.reply_times.front().copied().unwrap_or(now).plus_millis(HOUR_MS);
                self.st.reply_hour_noted_until = Some(until);
                Some(ReplyLimit::PerHour { max: self.max_per_hour() })
            } else {
                None
            };
            self.st.reply_seq += 1;
            let reply_id = self.st.reply_seq;
            if limit.is_none() {
                push_bounded(&mut self.st.replies_in_flight, ReplyInFlight { reply_id, root_id: p.root_id, at: now }, self.cfg.pending_replies_len);
            }
            let job = ReplyJob {
                pr: pr.clone(),
                installation,
                reply_id,
                delivery: p.delivery,
                comment_id: p.comment_id,
                root_id: p.root_id,
                author: p.author,
                intent: p.intent,
                limit,
            };
            out.actions.push(Action::Enqueue { message: QueueMessage::Reply(job) });
        }
    }

    /// When the pending review is due. Answers due no sooner wait for it
    /// (even while it waits for the answers in flight), so a stream of
    /// replies cannot starve a review.
    fn review_at(&self) -> Option<UnixMillis> {
        self.st.pending.as_ref().filter(|_| !self.st.archived).map(|p| p.due_at)
    }

    /// Until when the answers in flight hold a due review back: the newest
    /// one's queueing plus `reply_hold_ms`; `None` without any.
    pub(super) fn replies_hold_until(&self) -> Option<UnixMillis> {
        self.st.replies_in_flight.iter().map(|r| r.at.plus_millis(self.cfg.reply_hold_ms)).max()
    }

    fn thread_busy(&self, root_id: u64) -> bool {
        self.st.replies_in_flight.iter().any(|r| r.root_id == root_id)
    }

    /// When a waiting answer next needs the coordinator: its due time, or the
    /// expiry of the in-flight answer its thread waits for. Nothing while a
    /// review job is in flight (its end runs the pump), nor for an answer due
    /// no sooner than the pending review (that review goes first; its start
    /// and end run the pump).
    pub(super) fn replies_wakeup(&self) -> Option<UnixMillis> {
        if self.st.job.is_some() {
            return None;
        }
        let review_at = self.review_at();
        let ttl = self.in_flight_ttl();
        self.st
            .pending_replies
            .iter()
            .map(|p| match self.st.replies_in_flight.iter().find(|r| r.root_id == p.root_id) {
                Some(r) => r.at.plus_millis(ttl).max(p.due_at),
                None => p.due_at,
            })
            .filter(|at| review_at.is_none_or(|r| *at < r))
            .min()
    }
}
