//! The Durable Object's internal routes as typed pairs ([`Route`]: path,
//! request, reply) and the JSON bodies exchanged between the front Worker, the
//! queue consumer and a PR's coordinator. Every side uses these types, so a
//! path or a field can never change on one side only.

use crate::machine::{Event, Reply};
use argus_core::error::ErrorClass;
use argus_core::ids::{CommitSha, UnixMillis};
use argus_core::severity::SeverityCounts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One route of the Durable Object: its path, request and reply types, and how
/// it maps onto the machine's [`Event`] and [`Reply`]. The Worker's stub, the
/// Durable Object's router and the tests' in-memory link all go through these
/// pairs, so a path, a body and its answer can never drift apart.
pub trait Route {
    const PATH: &'static str;
    type Request: Serialize + DeserializeOwned + Clone;
    type Reply: Serialize + DeserializeOwned;
    /// The machine event this request is.
    fn event(req: Self::Request) -> Event;
    /// The route's answer among the machine's replies (`None`: a reply of
    /// another route, which would be a bug in the machine).
    fn reply(r: Reply) -> Option<Self::Reply>;
}

macro_rules! route {
    ($(#[$doc:meta])* $name:ident, $path:literal, $req:ty => $rep:ty, $event:path, $reply:path) => {
        $(#[$doc])*
        pub struct $name;
        impl Route for $name {
            const PATH: &'static str = $path;
            type Request = $req;
            type Reply = $rep;
            fn event(req: $req) -> Event {
                $event(req)
            }
            fn reply(r: Reply) -> Option<$rep> {
                match r {
                    $reply(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}

route!(
    /// A webhook the front Worker accepted.
    InboundRoute, "/inbound", argus_core::signal::Inbound => argus_core::signal::InboundReply, Event::Inbound, Reply::Inbound
);
route!(LeaseRoute, "/lease", LeaseRequest => LeaseReply, Event::LeaseRequested, Reply::Lease);
route!(StartedRoute, "/started", JobStarted => ReportReply, Event::JobStarted, Reply::Report);
route!(HeadRoute, "/head", HeadCheckRequest => HeadReply, Event::HeadCheck, Reply::Head);
route!(FinishedRoute, "/finished", JobFinished => ReportReply, Event::JobFinished, Reply::Report);
route!(FailedRoute, "/failed", JobFailed => ReportReply, Event::JobFailed, Reply::Report);
route!(DeadLetterRoute, "/dead-letter", DeadLettered => DeadLetterReply, Event::DeadLettered, Reply::DeadLetter);
route!(CommandVerifiedRoute, "/command-verified", CommandVerified => ReportReply, Event::CommandVerified, Reply::Report);
route!(NotifiedRoute, "/notified", Notified => ReportReply, Event::Notified, Reply::Report);
route!(OutcomeRoute, "/outcome", ActedOn => ReportReply, Event::Acted, Reply::Report);
route!(
    /// The consumer is done with a thread's answer (posted, or not needed).
    ReplyDoneRoute, "/reply-done", ReplyDone => ReportReply, Event::ReplyDone, Reply::Report
);
route!(
    /// A maintainer's dashboard action (re-run, full review, pause/resume, replay).
    OperatorRoute, "/operator", crate::operator::OperatorRequest => crate::operator::OperatorReply, Event::Operator, Reply::Operator
);

/// `GET` → [`crate::StatusView`] JSON, or HTML with `?format=html`; 404 for a PR never seen.
pub const STATUS_PATH: &str = "/status";
/// Stubs need an absolute URL; the host names nothing.
pub const BASE_URL: &str = "https://coordinator";

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
        /// The job's check run, when an earlier run of it created one: reuse it.
        #[serde(default)]
        check_run: Option<u64>,
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

/// `POST /started`: the consumer created the job's check run (it exists from
/// the moment the job starts, so the PR shows that ArgusAI is at work).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStarted {
    pub job_id: String,
    pub lease_id: String,
    pub check_run: u64,
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
    /// The subrequests the run made (the free plan allows 50 external per invocation).
    #[serde(default)]
    pub subrequests: Option<argus_core::subrequests::SubrequestCounts>,
}

/// How a run that reached its end ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finish {
    /// Reviewed and posted: the head counts as reviewed.
    Posted,
    /// Reviewed, but the stale-head guard stopped the post.
    Stale,
    /// Not reviewed, on purpose (a skip rule, `auto_review = false`, a draft,
    /// the head moved, nothing new). Never advances the reviewed head.
    Skipped { reason: String },
}

/// What the review learned of the repository's settings, for the coordinator's
/// own decisions (they live in the base branch's file, which only the job reads).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSettings {
    /// The repository's `debounce_seconds`, in ms.
    pub debounce_ms: Option<u64>,
    /// The repository's `[replies] max_per_pr`.
    #[serde(default)]
    pub replies_max_per_pr: Option<u32>,
    /// The repository's `[replies] max_per_hour`.
    #[serde(default)]
    pub replies_max_per_hour: Option<u32>,
}

/// `POST /finished`: the pipeline ran to the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFinished {
    pub job_id: String,
    pub lease_id: String,
    pub stats: ReviewStats,
    pub finish: Finish,
    #[serde(default)]
    pub settings: RepoSettings,
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

/// The coordinator's answer to `/dead-letter`: what the consumer needs to
/// close the job's check run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterReply {
    /// False when the message was about a job the coordinator no longer runs.
    pub recorded: bool,
    pub check_run: Option<u64>,
    /// Why the job failed, for the check run (the PR gets a note too).
    pub reason: String,
}

/// `POST /command-verified`: the author of a command has (or has not) write
/// access to the repository, as GitHub reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandVerified {
    pub delivery: argus_core::ids::DeliveryId,
    pub allowed: bool,
    /// GitHub's word for the permission (`admin`, `maintain`, `write`, `read`…), for the log.
    pub permission: String,
}

/// `POST /notified`: the consumer posted these outbox items on the PR.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    pub ids: Vec<u64>,
}

/// `POST /outcome`: what became of ArgusAI's findings on a merged or closed PR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActedOn {
    pub merged: bool,
    /// ArgusAI's inline findings on the PR (threads it started).
    pub findings: u32,
    /// Of those, the ones addressed: the thread was resolved, or the cited lines
    /// changed after the finding was posted.
    pub addressed: u32,
    /// Findings someone gave a 👍 (a positive signal).
    #[serde(default)]
    pub liked: u32,
    /// Findings someone gave a 👎.
    #[serde(default)]
    pub disliked: u32,
}

/// `POST /reply-done`: what became of a [`argus_core::job::ReplyJob`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyDone {
    pub reply_id: u64,
    /// An answer was posted (it counts toward the bounds); notes and skips do not.
    pub answered: bool,
}

/// The coordinator's answer to `/started`, `/finished`, `/failed`, `/command-verified` and `/notified`.
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
