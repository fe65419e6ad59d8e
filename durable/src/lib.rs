//! ArgusAI's per-pull-request Durable Object (`PrCoordinator`, binding
//! `PR_COORDINATOR`) and the queue consumer: thin shells that carry out what
//! `argus-coordinator` decides. The front Worker calls [`route_inbound`],
//! [`status_response`] and [`consumer::handle_batch`].

pub mod consumer;
mod effects;
mod link;
mod object;
pub mod repo;
pub mod settings;

pub use object::PrCoordinator;
pub use repo::Repository;

use argus_coordinator::StatusView;
use argus_coordinator::operator::{OperatorReply, OperatorRequest};
use argus_coordinator::protocol::ErrorReply;
use argus_coordinator::protocol::{InboundRoute, OperatorRoute, Route, STATUS_PATH};
use argus_core::ids::PrRef;
use argus_core::signal::{Inbound, InboundReply};
use worker::{Env, Response};

/// The Durable Object binding (see wrangler.toml).
pub const BINDING: &str = "PR_COORDINATOR";
/// The queue jobs are put on (see wrangler.toml).
pub const REVIEW_QUEUE: &str = "REVIEW_QUEUE";

/// Hands an accepted delivery to its PR's coordinator (named by
/// [`PrRef::durable_object_name`]) and returns the coordinator's answer.
/// A delivery the coordinator refuses (e.g. one naming another PR) comes back
/// as `accepted: false, state: "rejected"` with the reason in `note`; an
/// unreachable coordinator is an `Err`.
pub async fn route_inbound(env: &Env, inbound: &Inbound) -> worker::Result<InboundReply> {
    match link::call::<_, InboundReply>(env, &inbound.pr, InboundRoute::PATH, Some(inbound)).await? {
        Ok(reply) => Ok(reply),
        Err(refused) => Ok(InboundReply { accepted: false, state: "rejected".into(), note: Some(refused.error) }),
    }
}

/// The PR's status as JSON, or as a small HTML page when `wants_html`; a PR
/// never seen is a 404 `{"error": ...}`. Authorization is the caller's job.
pub async fn status_response(env: &Env, pr: &PrRef, wants_html: bool) -> worker::Result<Response> {
    let path = if wants_html { format!("{STATUS_PATH}?format=html") } else { STATUS_PATH.to_string() };
    link::get(env, pr, &path).await
}

/// The PR's status as data (the dashboard renders it); `None` for a PR never seen.
pub async fn status_view(env: &Env, pr: &PrRef) -> worker::Result<Option<StatusView>> {
    let mut resp = link::get(env, pr, STATUS_PATH).await?;
    match resp.status_code() {
        200 => Ok(Some(resp.json().await?)),
        404 => Ok(None),
        s => Err(worker::Error::RustError(format!("coordinator answered {s} to a status read"))),
    }
}

/// A maintainer's dashboard action, for the PR's coordinator to apply. A refusal
/// the coordinator explained is `Ok(Err(..))` (e.g. a PR it never saw).
pub async fn operate(env: &Env, pr: &PrRef, req: &OperatorRequest) -> worker::Result<Result<OperatorReply, ErrorReply>> {
    link::call(env, pr, OperatorRoute::PATH, Some(req)).await
}
