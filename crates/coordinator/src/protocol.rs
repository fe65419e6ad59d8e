//! JSON bodies exchanged between the queue consumer and a PR's coordinator
//! (the Durable Object's internal routes). Both sides use these types, so a
//! field can never be renamed on one side only.

use argus_core::error::ErrorClass;
use argus_core::ids::{CommitSha, UnixMillis};
use argus_core::severity::SeverityCounts;
use serde::{Deserialize, Serialize};

/// Paths of the Durable Object's routes, called through a stub (the host is
/// ignored; see [`BASE_URL`]). All bodies are JSON; errors are [`ErrorReply`].
pub mod routes {
    /// POST [`argus_core::signal::Inbound`] → [`argus_core::signal::InboundReply`].
    pub const INBOUND: &str = "/inbound";
    /// GET → [`crate::StatusView`] JSON, or HTML with `?format=html`; 404 for a PR never seen.
    pub const STATUS: &str = "/status";
    /// POST [`super::LeaseRequest`] → [`super::LeaseReply`].
    pub const LEASE: &str = "/lease";
    /// POST [`super::HeadCheckRequest`] → [`super::HeadReply`].
    pub const HEAD: &str = "/head";
    /// POST [`super::JobFinished`] → [`super::ReportReply`].
    pub const FINISHED: &str = "/finished";
    /// POST [`super::JobFailed`] → [`super::ReportReply`].
    pub const FAILED: &str = "/failed";
    /// POST [`super::DeadLettered`] → [`super::ReportReply`].
    pub const DEAD_LETTER: &str = "/dead-letter";
    /// Stubs need an absolute URL; the host names nothing.
    pub const BASE_URL: &str = "https://coordinator";
}

/// `POST /lease`: a consumer asks to run `job_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRequest {
    pub job_id: String,
    /// The `attempt` written in the queue message: a message from before a
    /// lease-expiry rerun carries a lower one and is refused.
    pub attempt: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LeaseReply {
    /// Run the job, and report with `lease_id` before `expires_at`.
    Granted {
        lease_id: String,
        expires_at: UnixMillis,
        /// Retryable failures of this job so far (drives the backoff).
        failures: u32,
    },
    /// Do not run it; acknowledge the message.
    Denied { reason: DenyReason },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The coordinator knows no such job (never made, or long gone).
    UnknownJob,
    /// The job already ended (reviewed, failed or dead-lettered).
    Finished,
    /// A newer push replaced the job before it started.
    Superseded,
    /// Another consumer holds the lease (a duplicate or redelivered message).
    Busy,
    /// The message predates a rerun of the job after a lease expiry.
    StaleAttempt,
    /// The pull request is closed.
    Closed,
}

/// `POST /head`: the stale-head guard, asked before posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadCheckRequest {
    pub job_id: String,
    pub lease_id: String,
    pub head_sha: CommitSha,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HeadReply {
    /// Still the PR's head and the job is not superseded: post.
    Current,
    /// Do not post; report the job finished with `posted: false` so its cost is recorded.
    Stale { current_head: Option<CommitSha> },
}

/// What a finished review cost, as recorded by the coordinator (never code).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewStats {
    pub findings: u32,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub duration_ms: u64,
    /// One line for the status page, e.g. "3 comments posted".
    pub summary: String,
    /// The model calls' list price in millionths of a US dollar; `None` when a
    /// model's price is unknown. Absent in reports from before the field existed.
    #[serde(default)]
    pub cost_micro_usd: Option<u64>,
    /// The new findings by severity (notifications compare them with a threshold).
    #[serde(default)]
    pub severities: SeverityCounts,
}

/// `POST /finished`: the pipeline ran to the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFinished {
    pub job_id: String,
    pub lease_id: String,
    pub stats: ReviewStats,
    /// False when the stale-head guard stopped the post.
    pub posted: bool,
}

/// `POST /failed`: the pipeline gave up on this attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailed {
    pub job_id: String,
    pub lease_id: String,
    pub class: ErrorClass,
    /// Short and free of code and secrets: it is shown on the status page.
    pub reason: String,
}

/// `POST /dead-letter`: the queue gave up on the job's message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLettered {
    pub job_id: String,
    pub reason: String,
}

/// The coordinator's answer to `/finished`, `/failed` and `/dead-letter`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReply {
    /// False when the report was about a job the coordinator no longer runs.
    pub recorded: bool,
    /// For `/failed`: whether the consumer should let the queue retry the message.
    pub retry: bool,
    /// Retryable failures of the job so far, including this one.
    pub failures: u32,
}

/// Why the coordinator refused an input it cannot apply in its current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input names another pull request than this coordinator's.
    WrongPr,
    /// A report or head check with a lease that is not the job's current lease.
    StaleLease,
    /// A report or head check for a job that is not running.
    NotRunning,
    /// The coordinator has never seen this pull request.
    UnknownPr,
    /// A request body the route cannot read.
    BadRequest,
}

impl ErrorCode {
    /// The HTTP status the Durable Object answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::UnknownPr => 404,
            ErrorCode::BadRequest => 400,
            ErrorCode::WrongPr | ErrorCode::StaleLease | ErrorCode::NotRunning => 409,
        }
    }
}

/// The JSON body of every refused request: `{"error": "...", "code": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub code: ErrorCode,
    pub error: String,
}
