//! The queue consumer's lifecycle for one message, with the platform behind a
//! trait: lease → run → stale-head guard → publish → report → ack, or retry
//! with backoff. The Worker shell only turns the [`Decision`] into `ack()` or
//! `retry_with_options()`, so every branch here is tested natively.

use crate::pipeline::{PipelineError, ReviewPipeline};
use crate::protocol::*;
use crate::retry::RetryPolicy;
use argus_core::error::ErrorClass;
use argus_core::ids::PrRef;
use argus_core::job::{QueueMessage, ReviewJob};
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

/// The consumer's view of a PR's coordinator: one method per internal route.
#[allow(async_fn_in_trait)]
pub trait CoordinatorLink {
    async fn lease(&self, pr: &PrRef, req: &LeaseRequest) -> Result<LeaseReply, LinkError>;
    async fn head_check(&self, pr: &PrRef, req: &HeadCheckRequest) -> Result<HeadReply, LinkError>;
    async fn finished(&self, pr: &PrRef, req: &JobFinished) -> Result<ReportReply, LinkError>;
    async fn failed(&self, pr: &PrRef, req: &JobFailed) -> Result<ReportReply, LinkError>;
    async fn dead_lettered(&self, pr: &PrRef, req: &DeadLettered) -> Result<ReportReply, LinkError>;
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

/// Handles one message body and says whether to ack or retry it.
pub async fn process_message<L: CoordinatorLink, P: ReviewPipeline>(
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
    let job = message.job();
    let mut say = |step: &'static str, detail: String| log(LogStep { step, job_id: Some(job.job_id.clone()), pr: Some(job.pr.to_string()), detail });
    match ctx.kind {
        QueueKind::DeadLetter => dead_letter(link, job, ctx, &mut say).await,
        QueueKind::Review => review(link, pipeline, job, ctx, &mut say).await,
    }
}

async fn dead_letter<L: CoordinatorLink>(link: &L, job: &ReviewJob, ctx: &MessageCtx<'_>, say: &mut dyn FnMut(&'static str, String)) -> Decision {
    let req = DeadLettered { job_id: job.job_id.clone(), reason: "the review queue gave up after its retries".into() };
    match link.dead_lettered(&job.pr, &req).await {
        Ok(reply) => {
            say("dead_lettered", format!("recorded={}", reply.recorded));
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

async fn review<L: CoordinatorLink, P: ReviewPipeline>(link: &L, pipeline: &P, job: &ReviewJob, ctx: &MessageCtx<'_>, say: &mut dyn FnMut(&'static str, String)) -> Decision {
    let lease = match link.lease(&job.pr, &LeaseRequest { job_id: job.job_id.clone(), attempt: job.attempt }).await {
        Ok(LeaseReply::Granted { lease_id, failures, .. }) => {
            say("leased", format!("lease={lease_id} failures_so_far={failures}"));
            (lease_id, failures)
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
    let (lease_id, failures_so_far) = lease;

    let report = match pipeline.run(job).await {
        Ok(r) => r,
        Err(e) => return fail(link, job, &lease_id, failures_so_far, e, ctx, say).await,
    };
    say("reviewed", format!("findings={} tokens_in={} tokens_out={} duration_ms={}", report.findings, report.tokens_in, report.tokens_out, report.duration_ms));

    let check = HeadCheckRequest { job_id: job.job_id.clone(), lease_id: lease_id.clone(), head_sha: job.head_sha.clone() };
    let posted = match link.head_check(&job.pr, &check).await {
        Ok(HeadReply::Current) => match pipeline.publish(job, &report).await {
            Ok(()) => {
                say("published", String::new());
                true
            }
            Err(e) => return fail(link, job, &lease_id, failures_so_far, e, ctx, say).await,
        },
        Ok(HeadReply::Stale { current_head }) => {
            say("stale_head", format!("not posting; current head {}", current_head.map(|h| h.to_string()).unwrap_or_else(|| "unknown".into())));
            false
        }
        Err(LinkError::Refused(e)) => {
            // Our lease is gone (expired and rerun): someone else owns the job now.
            // Do not post; still report, so the coordinator records what this run cost.
            say("head_check_refused", e.error);
            let late = JobFinished { job_id: job.job_id.clone(), lease_id, stats: report.stats(), posted: false };
            if let Err(e) = link.finished(&job.pr, &late).await {
                say("late_cost_reported", e.to_string());
            }
            return Decision::Ack;
        }
        Err(e) => {
            // Posting without the guard could post on a stale head; let the queue retry.
            say("head_check_unreachable", e.to_string());
            return Decision::Retry { delay_secs: ctx.policy.delay_secs(failures_so_far + 1, None, ctx.seed) };
        }
    };

    let done = JobFinished { job_id: job.job_id.clone(), lease_id, stats: report.stats(), posted };
    // The review is posted: retrying the message would post it twice, so a
    // failed report is logged and the message acknowledged either way.
    match link.finished(&job.pr, &done).await {
        Ok(_) => say("reported", format!("posted={posted}")),
        Err(e) => say("report_failed", e.to_string()),
    }
    Decision::Ack
}

async fn fail<L: CoordinatorLink>(link: &L, job: &ReviewJob, lease_id: &str, failures_so_far: u32, e: PipelineError, ctx: &MessageCtx<'_>, say: &mut dyn FnMut(&'static str, String)) -> Decision {
    say("pipeline_error", format!("{:?}: {}", e.class, e.message));
    let retry_after = match &e.class {
        ErrorClass::Retryable { after_secs } => Some(*after_secs),
        _ => None,
    };
    let req = JobFailed { job_id: job.job_id.clone(), lease_id: lease_id.to_string(), class: e.class.clone(), reason: e.message.clone() };
    match (link.failed(&job.pr, &req).await, retry_after) {
        (Ok(reply), Some(after)) if reply.retry => {
            let delay_secs = ctx.policy.delay_secs(reply.failures.max(1), after, ctx.seed);
            say("retry", format!("failures={} delay_secs={delay_secs}", reply.failures));
            Decision::Retry { delay_secs }
        }
        (Ok(_), _) => {
            say("failed", "acknowledged; no retry".into());
            Decision::Ack
        }
        (Err(LinkError::Refused(r)), _) => {
            say("failure_refused", r.error);
            Decision::Ack
        }
        (Err(err), Some(after)) => {
            // The coordinator did not count this failure; estimate from what the lease said.
            let delay_secs = ctx.policy.delay_secs(failures_so_far + 1, after, ctx.seed);
            say("failure_unreported", format!("{err}; retrying in {delay_secs} s"));
            Decision::Retry { delay_secs }
        }
        (Err(err), None) => {
            say("failure_unreported", err.to_string());
            Decision::Ack
        }
    }
}
