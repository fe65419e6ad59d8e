//! Webhooks and commands: delivery dedupe, the debounce window that turns a
//! burst of pushes into one review, pause/resume, close and reopen, and
//! commands, which wait for their author's permission check before they act.

use super::{Coordinator, Out, Pending, PendingCommand, PendingReason, Reply, error, push_bounded};
use crate::dedupe::DeliveryLog;
use crate::machine::state::{HELP_TEXT, Outcome};
use crate::protocol::{CommandVerified, ErrorCode, ReportReply};
use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, UnixMillis};
use argus_core::job::{LearningsJob, MAX_DELIVERIES_PER_JOB, OutcomeJob, QueueMessage, ReviewMode, VerifyCommand};
use argus_core::signal::{Command, Inbound, Signal};

impl<L: DeliveryLog> Coordinator<L> {
    pub(super) fn on_inbound(&mut self, now: UnixMillis, inbound: Inbound, out: &mut Out) -> Reply {
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
        if !self.log.remember(&inbound.delivery, now, self.cfg.dedupe_ttl_ms, self.cfg.dedupe_capacity) {
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
            Signal::Review { trigger, head_sha, base_sha, draft, .. } => {
                self.st.draft = draft;
                self.on_review_signal(now, inbound.delivery, trigger, head_sha, base_sha)
            }
            Signal::Closed { merged } => {
                self.archive(now, if merged { "merged" } else { "closed" });
                // A reviewed PR's findings are counted once it is over: did the team act on them?
                if let (Some(pr), Some(installation), Some(_)) = (self.st.pr.clone(), self.st.installation, &self.st.last_reviewed_sha) {
                    out.actions.push(super::Action::Enqueue { message: QueueMessage::Outcome(OutcomeJob { pr, installation, merged }) });
                }
                Some(format!("pull request {}; coordinator archived", if merged { "merged" } else { "closed" }))
            }
            Signal::ConvertedToDraft => {
                // Whether drafts are reviewed is the repository's `review_drafts`, read
                // by the review job; a pending review still runs and asks it.
                self.st.draft = true;
                Some("converted to draft".into())
            }
            Signal::Command { command, comment_id, author } => self.on_command_received(now, inbound.delivery, command, comment_id, author, out),
            Signal::ThreadReply { comment_id, root_id, author, intent } => {
                self.on_thread_reply(now, inbound.delivery, comment_id, root_id, author, intent, out)
            }
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
        self.st.head_sha = Some(head.clone());
        self.st.base_sha = Some(base);
        if self.st.paused {
            if !self.st.paused_actions.contains(&trigger) {
                self.st.paused_actions.push(trigger);
            }
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
        let (debounce, max_wait) = (self.debounce_ms(), self.max_wait_ms());
        let window_due = |first_at: UnixMillis| now.plus_millis(debounce).min(first_at.plus_millis(max_wait));
        match &mut self.st.pending {
            Some(p) => {
                p.head_sha = head;
                p.pushes = p.pushes.saturating_add(1);
                p.add_action(trigger);
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
                self.st.pending = Some(Pending {
                    reason: PendingReason::Automatic,
                    mode,
                    head_sha: head,
                    first_at: now,
                    due_at,
                    pushes: 1,
                    deliveries: vec![delivery],
                    actions: vec![trigger],
                });
                Some(if prompt { "review starting".into() } else { format!("review scheduled in {} ms", due_at.0 - now.0) })
            }
        }
    }

    /// A command arrived: it waits for its author's permission check. The front
    /// door only knows `author_association` (an organisation member is not
    /// necessarily a writer), so the consumer asks GitHub.
    fn on_command_received(
        &mut self,
        now: UnixMillis,
        delivery: DeliveryId,
        command: Command,
        comment_id: u64,
        author: String,
        out: &mut Out,
    ) -> Option<String> {
        let (Some(pr), Some(installation)) = (self.st.pr.clone(), self.st.installation) else {
            return Some("command ignored: installation unknown".into());
        };
        push_bounded(
            &mut self.st.pending_commands,
            PendingCommand { delivery: delivery.clone(), command: command.clone(), comment_id, author: author.clone(), at: now },
            self.cfg.pending_commands_len,
        );
        out.actions.push(super::Action::Enqueue { message: QueueMessage::Verify(VerifyCommand { pr, installation, delivery, author, command }) });
        Some("command waits for its author's permission check".into())
    }

    /// The permission check came back: run the command, or drop it.
    pub(super) fn on_command_verified(&mut self, now: UnixMillis, v: CommandVerified, out: &mut Out) -> Reply {
        // A check for a command no longer waiting (forgotten, or a redelivered
        // message) changes nothing.
        let Some(i) = self.st.pending_commands.iter().position(|c| c.delivery == v.delivery) else {
            return Reply::Report(ReportReply { recorded: false, retry: false, failures: 0 });
        };
        let pending = self.st.pending_commands.remove(i).expect("position found");
        out.dirty = true;
        // Without write access nothing is said on the PR: a reply would reward
        // anyone who can comment.
        if v.allowed {
            self.on_command(now, pending.delivery, pending.command, pending.comment_id, out);
        }
        Reply::Report(ReportReply { recorded: true, retry: false, failures: 0 })
    }

    /// Commands whose check never came back (the message was lost) are forgotten.
    pub(super) fn forget_stale_commands(&mut self, now: UnixMillis, out: &mut Out) {
        let ttl = self.cfg.command_verify_ttl_ms;
        let before = self.st.pending_commands.len();
        self.st.pending_commands.retain(|c| c.at.plus_millis(ttl) > now);
        if self.st.pending_commands.len() != before {
            out.dirty = true;
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
                    self.note(
                        now,
                        format!("Nothing new since the last review of `{}`. Use `@argusai full review` to review everything again.", head.short()),
                        out,
                    );
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
                self.want_review_now(now, mode, head, delivery);
                Some(if self.st.job.is_some() { "review queued behind the running one".into() } else { "review starting".into() })
            }
            Command::Pause => {
                if self.st.paused {
                    return Some("already paused".into());
                }
                self.st.paused = true;
                self.drop_automatic_pending();
                self.note(
                    now,
                    "Paused automatic reviews on this pull request. `@argusai resume` starts them again; `@argusai review` still works.".into(),
                    out,
                );
                Some("paused".into())
            }
            Command::Resume => {
                if !self.st.paused {
                    return Some("not paused".into());
                }
                let start = self.unpause(now, delivery);
                self.note(
                    now,
                    if start { "Resumed automatic reviews; reviewing the latest push now.".into() } else { "Resumed automatic reviews.".into() },
                    out,
                );
                Some("resumed".into())
            }
            Command::Learnings | Command::Forget(_) => {
                // The list lives in the repository's object; the consumer reads it and posts the note.
                let forget = match command {
                    Command::Forget(n) => Some(n),
                    _ => None,
                };
                let (Some(pr), Some(installation)) = (self.st.pr.clone(), self.st.installation) else {
                    return Some("command ignored: installation unknown".into());
                };
                out.actions.push(super::Action::Enqueue { message: QueueMessage::Learnings(LearningsJob { pr, installation, forget, comment_id }) });
                Some(if forget.is_some() { "forgetting a learning".into() } else { "listing learnings".into() })
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
    pub(super) fn supersede_job(&mut self, now: UnixMillis, why: &str) {
        let Some(job) = &mut self.st.job else { return };
        if job.lease.is_some() {
            job.superseded = true;
        } else {
            let job = self.st.job.take().expect("matched above");
            self.record(now, &job, Outcome::Cancelled, None, Some(why.to_string()));
        }
    }

    pub(super) fn drop_automatic_pending(&mut self) -> bool {
        if self.st.pending.as_ref().is_some_and(|p| p.reason == PendingReason::Automatic) {
            self.st.pending = None;
            return true;
        }
        false
    }
}
