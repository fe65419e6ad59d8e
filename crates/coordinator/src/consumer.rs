//! The queue consumer's lifecycle for one message, with the platform behind
//! traits, so every branch is tested natively and the Worker shell only turns
//! the [`Decision`] into `ack()` or `retry_with_options()`:
//!
//! - a review job: lease → check run (created once per job) → run → skipped?
//!   (close the check, report) → stale-head guard → publish → report → ack, or
//!   retry with backoff (the check says so);
//! - a dead-lettered job: tell the coordinator (which notes the PR once) and
//!   close the job's check run as `neutral`;
//! - a command's permission check: ask GitHub, tell the coordinator;
//! - notes and reactions: post them, tell the coordinator;
//! - an answer in a review thread: post it (the pipeline checks the author,
//!   the thread and its marker), tell the coordinator whether it was posted.

use crate::pipeline::{CheckEnd, Chores, PipelineError, ReplyOutcome, ReviewPipeline};
use crate::protocol::*;
use crate::retry::RetryPolicy;
use argus_core::error::ErrorClass;
use argus_core::ids::PrRef;
use argus_core::job::{LearningsJob, Notify, OutcomeJob, QueueMessage, ReplyJob, ReviewJob, VerifyCommand};
use serde::Serialize;
use thiserror::Error;

/// A call to a PR's coordinator that did not produce its normal answer.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LinkError {
    /// The coordinator answered with an error (e.g. a stale lease).
    #[error("coordinator refused: {0:?}")]
    Refused(ErrorReply),
    /// The call failed on the way (Durable Object unavailable, bad body).
    #[error("coordinator unreachable: {0}")]
    Transport(String),
}

/// The consumer's view of a PR's coordinator: one typed call per route.
#[allow(async_fn_in_trait)]
pub trait CoordinatorLink {
    async fn call<R: Route>(&self, pr: &PrRef, req: &R::Request) -> Result<R::Reply, LinkError>;
}

/// What to do with the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Ack,
    Retry { delay_secs: u32 },
}

/// One step of one message, logged by the shell as a JSON line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogStep {
    pub step: &'static str,
    pub job_id: Option<String>,
    pub pr: Option<String>,
    pub detail: String,
}

/// Which queue a batch came from. The dead-letter queue's name ends in `-dlq` (see wrangler.toml).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueKind {
    Review,
    DeadLetter,
}

impl QueueKind {
    pub fn of(queue_name: &str) -> Self {
        if queue_name.ends_with("-dlq") { QueueKind::DeadLetter } else { QueueKind::Review }
    }
}

/// Everything about one message besides its body.
pub struct MessageCtx<'a> {
    pub kind: QueueKind,
    pub policy: &'a RetryPolicy,
    /// Jitter seed for this message (the shell mixes the message id and the time).
    pub seed: u64,
}

type Say<'a> = &'a mut dyn FnMut(&'static str, String);

/// Handles one message body and says whether to ack or retry it.
pub async fn process_message<L: CoordinatorLink, P: ReviewPipeline + Chores>(
    link: &L,
    pipeline: &P,
    body: &serde_json::Value,
    ctx: &MessageCtx<'_>,
    log: &mut dyn FnMut(LogStep),
) -> Decision {
    let message: QueueMessage = match serde_json::from_value(body.clone()) {
        Ok(m) => m,
        Err(e) => {
            // Retrying cannot make an unreadable body readable.
            log(LogStep { step: "unparseable", job_id: None, pr: None, detail: e.to_string() });
            return Decision::Ack;
        }
    };
    let job_id = message.job().map(|j| j.job_id.clone());
    let pr = message.pr().to_string();
    let mut say = |step: &'static str, detail: String| log(LogStep { step, job_id: job_id.clone(), pr: Some(pr.clone()), detail });
    match (ctx.kind, &message) {
        (QueueKind::Review, QueueMessage::V1(job)) => review(link, pipeline, job, ctx, &mut say).await,
        (QueueKind::DeadLetter, QueueMessage::V1(job)) => dead_letter(link, pipeline, job, ctx, &mut say).await,
        (QueueKind::Review, QueueMessage::Notify(n)) => notify(link, pipeline, n, ctx, &mut say).await,
        (QueueKind::Review, QueueMessage::Verify(v)) => verify(link, pipeline, v, ctx, &mut say).await,
        (QueueKind::DeadLetter, QueueMessage::Notify(n)) => {
            // Best effort: a note that failed for good stays in the coordinator's outbox,
            // which the status page shows.
            say("notify_dropped", format!("{} note(s), {} reaction(s)", n.notes.len(), n.reactions.len()));
            Decision::Ack
        }
        (QueueKind::Review, QueueMessage::Outcome(o)) => outcome(link, pipeline, o, ctx, &mut say).await,
        (QueueKind::Review, QueueMessage::Learnings(l)) => learnings(pipeline, l, ctx, &mut say).await,
        (QueueKind::DeadLetter, QueueMessage::Learnings(_)) => {
            say("learnings_dropped", "a learnings command kept failing".into());
            Decision::Ack
        }
        (QueueKind::DeadLetter, QueueMessage::Outcome(o)) => {
            say(
                "outcome_dropped",
                format!("findings of a {} pull request not counted: reading its threads kept failing", if o.merged { "merged" } else { "closed" }),
            );
            Decision::Ack
        }
        (QueueKind::DeadLetter, QueueMessage::Verify(v)) => {
            say("verify_dropped", format!("command from {} not run: its permission check kept failing", v.author));
            Decision::Ack
        }
        (QueueKind::Review, QueueMessage::Reply(r)) => reply(link, pipeline, r, ctx, &mut say).await,
        (QueueKind::DeadLetter, QueueMessage::Reply(r)) => {
            // The coordinator forgets the answer after its time-to-live; tell it now so the thread is free.
            say("reply_dropped", format!("comment {} not answered: posting kept failing", r.comment_id));
            report_reply(link, r, false, &mut say).await;
            Decision::Ack
        }
    }
}

async fn review<L: CoordinatorLink, P: ReviewPipeline>(link: &L, pipeline: &P, job: &ReviewJob, ctx: &MessageCtx<'_>, say: Say<'_>) -> Decision {
    let (lease_id, failures_so_far, existing_check) =
        match link.call::<LeaseRoute>(&job.pr, &LeaseRequest { job_id: job.job_id.clone(), attempt: job.attempt }).await {
            Ok(LeaseReply::Granted { lease_id, failures, check_run, .. }) => {
                say("leased", format!("lease={lease_id} failures_so_far={failures}"));
                (lease_id, failures, check_run)
            }
            Ok(LeaseReply::Denied { reason }) => {
                say("lease_denied", format!("{reason:?}"));
                return Decision::Ack;
            }
            Err(LinkError::Refused(e)) => {
                say("lease_refused", e.error);
                return Decision::Ack;
            }
            Err(e) => {
                say("lease_unreachable", e.to_string());
                return Decision::Retry { delay_secs: ctx.policy.delay_secs(1, None, ctx.seed) };
            }
        };
    let lease = Leased { job, lease_id: &lease_id, failures_so_far };

    // The check run exists from the moment the job starts, once per job: a retry
    // or a rerun after a lease expiry reuses it.
    let check = match existing_check {
        Some(id) => id,
        None => match pipeline.start_check(job).await {
            Ok(id) => {
                let started = JobStarted { job_id: job.job_id.clone(), lease_id: lease_id.clone(), check_run: id };
                if let Err(e) = link.call::<StartedRoute>(&job.pr, &started).await {
                    // The check run still works; only a later retry would start a second one.
                    say("started_unreported", e.to_string());
                }
                id
            }
            Err(e) => return fail(link, pipeline, &lease, None, e, ctx, say).await,
        },
    };

    let report = match pipeline.run(job).await {
        Ok(r) => r,
        Err(e) => return fail(link, pipeline, &lease, Some(check), e, ctx, say).await,
    };
    say(
        "reviewed",
        format!("findings={} tokens_in={} tokens_out={} duration_ms={}", report.findings, report.tokens_in, report.tokens_out, report.duration_ms),
    );

    let finish = if let Some(reason) = &report.skipped {
        close(pipeline, job, check, &CheckEnd::Skipped { reason: reason.clone() }, say).await;
        Finish::Skipped { reason: reason.clone() }
    } else {
        let req = HeadCheckRequest { job_id: job.job_id.clone(), lease_id: lease_id.clone(), head_sha: job.head_sha.clone() };
        match link.call::<HeadRoute>(&job.pr, &req).await {
            Ok(HeadReply::Current) => match pipeline.publish(job, &report, check).await {
                Ok(()) => {
                    say("published", String::new());
                    Finish::Posted
                }
                Err(e) => return fail(link, pipeline, &lease, Some(check), e, ctx, say).await,
            },
            Ok(HeadReply::Stale { current_head }) => {
                say(
                    "stale_head",
                    format!("not posting; current head {}", current_head.as_ref().map(|h| h.to_string()).unwrap_or_else(|| "unknown".into())),
                );
                close(pipeline, job, check, &CheckEnd::Superseded { current_head }, say).await;
                Finish::Stale
            }
            Err(LinkError::Refused(e)) => {
                // Our lease is gone (expired and rerun): someone else owns the job and
                // its check run now. Do not post; still report, so the coordinator
                // records what this run cost.
                say("head_check_refused", e.error);
                let late = JobFinished {
                    job_id: job.job_id.clone(),
                    lease_id,
                    stats: report.stats(),
                    finish: Finish::Stale,
                    settings: report.settings.clone(),
                };
                if let Err(e) = link.call::<FinishedRoute>(&job.pr, &late).await {
                    say("late_cost_reported", e.to_string());
                }
                return Decision::Ack;
            }
            Err(e) => {
                // Posting without the guard could post on a stale head; let the queue retry.
                say("head_check_unreachable", e.to_string());
                return Decision::Retry { delay_secs: ctx.policy.delay_secs(failures_so_far + 1, None, ctx.seed) };
            }
        }
    };

    let stats = ReviewStats { subrequests: pipeline.subrequests(), ..report.stats() };
    let done = JobFinished { job_id: job.job_id.clone(), lease_id, stats, finish, settings: report.settings.clone() };
    // The review is posted (or deliberately not): retrying the message would post
    // it twice, so a failed report is logged and the message acknowledged either way.
    match link.call::<FinishedRoute>(&job.pr, &done).await {
        Ok(_) => say("reported", format!("{:?}", done.finish)),
        Err(e) => say("report_failed", e.to_string()),
    }
    Decision::Ack
}

/// The job and the lease this consumer holds on it.
struct Leased<'a> {
    job: &'a ReviewJob,
    lease_id: &'a str,
    failures_so_far: u32,
}

/// Ends or updates the check run; best effort (the status page has the truth).
async fn close<P: ReviewPipeline>(pipeline: &P, job: &ReviewJob, check: u64, end: &CheckEnd, say: Say<'_>) {
    if let Err(e) = pipeline.close_check(job, check, end).await {
        say("check_not_closed", e.message);
    }
}

async fn fail<L: CoordinatorLink, P: ReviewPipeline>(
    link: &L,
    pipeline: &P,
    lease: &Leased<'_>,
    check: Option<u64>,
    e: PipelineError,
    ctx: &MessageCtx<'_>,
    say: Say<'_>,
) -> Decision {
    let job = lease.job;
    say("pipeline_error", format!("{:?}: {}", e.class, e.message));
    let retry_after = match &e.class {
        ErrorClass::Retryable { after_secs } => Some(*after_secs),
        _ => None,
    };
    let req = JobFailed { job_id: job.job_id.clone(), lease_id: lease.lease_id.to_string(), class: e.class.clone(), reason: e.message.clone() };
    let (decision, end) = match (link.call::<FailedRoute>(&job.pr, &req).await, retry_after) {
        (Ok(reply), Some(after)) if reply.retry => {
            let delay_secs = ctx.policy.delay_secs(reply.failures.max(1), after, ctx.seed);
            say("retry", format!("failures={} delay_secs={delay_secs}", reply.failures));
            (Decision::Retry { delay_secs }, Some(CheckEnd::Retrying { reason: e.message.clone(), failures: reply.failures }))
        }
        (Ok(_), _) => {
            say("failed", "acknowledged; no retry".into());
            (Decision::Ack, Some(CheckEnd::Failed { reason: e.message.clone() }))
        }
        (Err(LinkError::Refused(r)), _) => {
            // Not our job any more: its check run belongs to whoever holds it.
            say("failure_refused", r.error);
            (Decision::Ack, None)
        }
        (Err(err), Some(after)) => {
            // The coordinator did not count this failure; estimate from what the lease said.
            let delay_secs = ctx.policy.delay_secs(lease.failures_so_far + 1, after, ctx.seed);
            say("failure_unreported", format!("{err}; retrying in {delay_secs} s"));
            (Decision::Retry { delay_secs }, Some(CheckEnd::Retrying { reason: e.message.clone(), failures: lease.failures_so_far + 1 }))
        }
        (Err(err), None) => {
            say("failure_unreported", err.to_string());
            (Decision::Ack, Some(CheckEnd::Failed { reason: e.message.clone() }))
        }
    };
    if let (Some(check), Some(end)) = (check, end) {
        close(pipeline, job, check, &end, say).await;
    }
    decision
}

async fn dead_letter<L: CoordinatorLink, P: ReviewPipeline>(link: &L, pipeline: &P, job: &ReviewJob, ctx: &MessageCtx<'_>, say: Say<'_>) -> Decision {
    let req = DeadLettered { job_id: job.job_id.clone(), reason: "the review queue gave up after its retries".into() };
    match link.call::<DeadLetterRoute>(&job.pr, &req).await {
        Ok(reply) => {
            say("dead_lettered", format!("recorded={} check_run={:?}", reply.recorded, reply.check_run));
            if let (true, Some(check)) = (reply.recorded, reply.check_run) {
                close(pipeline, job, check, &CheckEnd::DeadLettered { reason: reply.reason }, say).await;
            }
            Decision::Ack
        }
        Err(LinkError::Refused(e)) => {
            say("dead_letter_refused", e.error);
            Decision::Ack
        }
        Err(e) => {
            say("dead_letter_unreachable", e.to_string());
            Decision::Retry { delay_secs: ctx.policy.delay_secs(1, None, ctx.seed) }
        }
    }
}

/// Posts the coordinator's notes and reactions, then tells it they are posted.
async fn notify<L: CoordinatorLink, C: Chores>(link: &L, chores: &C, n: &Notify, ctx: &MessageCtx<'_>, say: Say<'_>) -> Decision {
    match chores.notify(n).await {
        Ok(()) => {
            if !n.outbox_ids.is_empty()
                && let Err(e) = link.call::<NotifiedRoute>(&n.pr, &Notified { ids: n.outbox_ids.clone() }).await
            {
                say("notified_unreported", e.to_string());
            }
            say("notified", format!("{} note(s), {} reaction(s)", n.notes.len(), n.reactions.len()));
            Decision::Ack
        }
        Err(e) => {
            say("notify_failed", e.message.clone());
            chore_retry(e.class, ctx)
        }
    }
}

/// What a failed chore (notes, learnings, outcome) asks of the queue: a
/// retryable failure comes back after the schedule's first step (at least
/// Retry-After; the runtime does not expose the attempt count here), anything
/// else is dropped.
fn chore_retry(class: ErrorClass, ctx: &MessageCtx<'_>) -> Decision {
    match class {
        ErrorClass::Retryable { after_secs } => Decision::Retry { delay_secs: ctx.policy.delay_secs(1, after_secs, ctx.seed) },
        _ => Decision::Ack,
    }
}

/// Lists or forgets learnings and posts the note; retried like notes.
async fn learnings<C: Chores>(chores: &C, l: &LearningsJob, ctx: &MessageCtx<'_>, say: Say<'_>) -> Decision {
    match chores.learnings(l).await {
        Ok(()) => {
            say("learnings", if l.forget.is_some() { "forgot".into() } else { "listed".into() });
            Decision::Ack
        }
        Err(e) => {
            say("learnings_failed", e.message.clone());
            chore_retry(e.class, ctx)
        }
    }
}

/// Counts what became of ArgusAI's findings on a merged or closed PR, and tells the coordinator.
async fn outcome<L: CoordinatorLink, C: Chores>(link: &L, chores: &C, o: &OutcomeJob, ctx: &MessageCtx<'_>, say: Say<'_>) -> Decision {
    let retry = |class: ErrorClass| chore_retry(class, ctx);
    let acted = match chores.acted_on(o).await {
        Ok(a) => a,
        Err(e) => {
            say("outcome_failed", e.message.clone());
            return retry(e.class);
        }
    };
    say("acted_on", format!("{} of {} finding(s) addressed", acted.addressed, acted.findings));
    match link.call::<OutcomeRoute>(&o.pr, &acted).await {
        Ok(_) | Err(LinkError::Refused(_)) => Decision::Ack,
        Err(e) => {
            say("outcome_unreported", e.to_string());
            retry(ErrorClass::Retryable { after_secs: None })
        }
    }
}

/// Asks GitHub whether a command's author may give it, and tells the coordinator.
async fn verify<L: CoordinatorLink, C: Chores>(link: &L, chores: &C, v: &VerifyCommand, ctx: &MessageCtx<'_>, say: Say<'_>) -> Decision {
    let (allowed, permission) = match chores.author_permission(v).await {
        Ok(p) => p,
        Err(e) if matches!(e.class, ErrorClass::Retryable { .. }) => {
            say("verify_failed", e.message.clone());
            let after = match e.class {
                ErrorClass::Retryable { after_secs } => after_secs,
                _ => None,
            };
            return Decision::Retry { delay_secs: ctx.policy.delay_secs(1, after, ctx.seed) };
        }
        // GitHub cannot say the author may write: the command is not run.
        Err(e) => (false, format!("unknown ({})", e.message)),
    };
    say("verified", format!("author={} allowed={allowed} permission={permission}", v.author));
    let req = CommandVerified { delivery: v.delivery.clone(), allowed, permission };
    match link.call::<CommandVerifiedRoute>(&v.pr, &req).await {
        Ok(_) | Err(LinkError::Refused(_)) => Decision::Ack,
        Err(e) => {
            say("verified_unreported", e.to_string());
            Decision::Retry { delay_secs: ctx.policy.delay_secs(1, None, ctx.seed) }
        }
    }
}

/// Answers a comment in a review thread, then tells the coordinator whether an
/// answer was posted (it counts toward the bounds). A retry is safe: the
/// pipeline checks its marker before posting.
async fn reply<L: CoordinatorLink, C: Chores>(link: &L, chores: &C, r: &ReplyJob, ctx: &MessageCtx<'_>, say: Say<'_>) -> Decision {
    let answered = match chores.reply(r).await {
        Ok(ReplyOutcome::Answered) => {
            say("replied", format!("comment={} root={} intent={}", r.comment_id, r.root_id, r.intent.as_str()));
            true
        }
        Ok(ReplyOutcome::Noted) => {
            say("reply_limit_noted", format!("comment={} limit={:?}", r.comment_id, r.limit));
            false
        }
        Ok(ReplyOutcome::Skipped(why)) => {
            say("reply_skipped", format!("comment={}: {why}", r.comment_id));
            false
        }
        Err(e) => {
            say("reply_failed", format!("{:?}: {}", e.class, e.message));
            if let ErrorClass::Retryable { after_secs } = e.class {
                return Decision::Retry { delay_secs: ctx.policy.delay_secs(1, after_secs, ctx.seed) };
            }
            false
        }
    };
    if r.limit.is_none() {
        report_reply(link, r, answered, say).await;
    }
    Decision::Ack
}

/// Best effort: an unreported answer is forgotten by the coordinator after its time-to-live.
async fn report_reply<L: CoordinatorLink>(link: &L, r: &ReplyJob, answered: bool, say: Say<'_>) {
    if let Err(e) = link.call::<ReplyDoneRoute>(&r.pr, &ReplyDone { reply_id: r.reply_id, answered }).await {
        say("reply_unreported", e.to_string());
    }
}
