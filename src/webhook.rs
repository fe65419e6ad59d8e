//! `POST /webhooks/github`: the front door. Verifies the signature over the raw
//! body, parses the event into the core's domain type, filters it, counts it in
//! the per-repo rate window, routes it to the PR's Durable Object and answers
//! 202 at once. The review itself happens later, on the queue.

use crate::platform::config::{MAX_WEBHOOK_BYTES, settings};
use crate::platform::kv;
use crate::platform::log::{Level, Logger};
use crate::respond;
use argus_core::event::{self, Parsed};
use argus_core::filter::{self, Decision};
use argus_core::ids::{DeliveryId, UnixMillis};
use argus_core::ratelimit::{RateDecision, RateMemory};
use argus_core::signal::Inbound;
use argus_core::signature::{self, SignatureError};
use argus_settings::Settings;
use futures_util::StreamExt;
use serde_json::json;
use std::cell::RefCell;
use worker::{Context, Date, Env, Request, Response, Result};

thread_local! {
    /// This isolate's memory of the rate windows (one KV read per repository per
    /// few seconds instead of one per delivery; see `RateMemory`).
    static RATE_MEMORY: RefCell<RateMemory> = RefCell::new(RateMemory::default());
}

/// What one delivery came to, for the response and the log line.
struct Outcome {
    status: u16,
    body: serde_json::Value,
    decision: &'static str,
    reason: Option<String>,
    retry_after: Option<u64>,
}

impl Outcome {
    fn error(status: u16, decision: &'static str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self { status, body: json!({ "error": reason }), decision, reason: Some(reason), retry_after: None }
    }
}

/// Facts about the delivery gathered along the way, for the log line.
#[derive(Default)]
struct Seen {
    event: Option<String>,
    delivery: Option<String>,
    repo: Option<String>,
    pr: Option<u64>,
}

pub async fn handle(mut req: Request, env: &Env, ctx: &Context) -> Result<Response> {
    let started = Date::now().as_millis();
    let log = Logger::from_env(env);
    let cfg = settings(env);
    let mut seen = Seen { event: req.headers().get("x-github-event")?, delivery: req.headers().get("x-github-delivery")?, ..Seen::default() };
    let outcome = process(&mut req, env, ctx, &cfg, &log, &mut seen).await?;
    // Refusals are warnings: someone is sending what GitHub would not.
    let level = if (200..300).contains(&outcome.status) { Level::Info } else { Level::Warn };
    log.log(
        level,
        "webhook",
        json!({
            "delivery": seen.delivery,
            "event": seen.event,
            "repo": seen.repo,
            "pr": seen.pr,
            "decision": outcome.decision,
            "reason": outcome.reason,
            "status": outcome.status,
            "duration_ms": Date::now().as_millis().saturating_sub(started),
        }),
    );
    let mut resp = respond::json(&outcome.body, outcome.status)?;
    if let Some(secs) = outcome.retry_after {
        resp.headers_mut().set("retry-after", &secs.to_string())?;
    }
    Ok(resp)
}

async fn process(req: &mut Request, env: &Env, ctx: &Context, cfg: &Settings, log: &Logger, seen: &mut Seen) -> Result<Outcome> {
    // 1. Size: refuse early from Content-Length, and enforce the cap while reading
    //    in case the header is absent or lies.
    let declared = req.headers().get("content-length")?.and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared
        && len > DRAIN_LIMIT
    {
        return Ok(Outcome::error(413, "rejected", format!("body of {len} bytes exceeds the {MAX_WEBHOOK_BYTES}-byte limit")));
    }
    // GitHub always declares the length; the runtime then delivers exactly that
    // many bytes, so the body comes in one copy instead of a stream of chunks.
    let body = match declared.filter(|&len| len <= MAX_WEBHOOK_BYTES) {
        Some(_) => Some(req.bytes().await?),
        None => read_capped(req, MAX_WEBHOOK_BYTES).await?,
    };
    let body = match body {
        Some(body) => body,
        None => return Ok(Outcome::error(413, "rejected", format!("body exceeds the {MAX_WEBHOOK_BYTES}-byte limit"))),
    };

    // 2. Signature, before anything in the body is trusted. Fails closed.
    let header = req.headers().get("x-hub-signature-256")?;
    if let Err(e) = signature::verify(&cfg.webhook_secrets, header.as_deref(), &body) {
        if e == SignatureError::NoSecretConfigured {
            log.log(Level::Error, "config", json!({ "problem": e.to_string() }));
        }
        return Ok(Outcome::error(401, "rejected", e.to_string()));
    }

    // 3. Envelope: GitHub always sends JSON with these headers when the hook's
    //    content type is application/json.
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    if !is_json(&content_type) {
        return Ok(Outcome::error(
            415,
            "rejected",
            format!("content type `{content_type}` is not supported; set the webhook's content type to application/json"),
        ));
    }
    let Some(event_name) = seen.event.clone().filter(|e| !e.is_empty()) else {
        return Ok(Outcome::error(400, "rejected", "missing X-GitHub-Event header"));
    };
    let Some(delivery) = seen.delivery.clone().filter(|d| !d.is_empty() && d.len() <= 100) else {
        return Ok(Outcome::error(400, "rejected", "missing or invalid X-GitHub-Delivery header"));
    };

    // 4. Parse and filter (pure core).
    let parsed = match event::parse(&event_name, &body) {
        Ok(p) => p,
        Err(e) => return Ok(Outcome::error(400, "rejected", e.to_string())),
    };
    let now = UnixMillis(Date::now().as_millis());
    let delivery_id = DeliveryId(delivery.clone());
    let decision = match parsed {
        Parsed::Ignored(reason) => Decision::Ignore(reason),
        Parsed::Event(ev) => filter::decide(&cfg.filter, ev, delivery_id, now),
    };
    let inbound = match decision {
        Decision::Pong => {
            return Ok(Outcome { status: 200, body: json!({ "ok": true, "delivery": delivery }), decision: "pong", reason: None, retry_after: None });
        }
        Decision::Ignore(reason) => {
            return Ok(Outcome {
                status: 202,
                body: json!({ "status": "ignored", "delivery": delivery, "reason": reason }),
                decision: "ignored",
                reason: Some(reason),
                retry_after: None,
            });
        }
        Decision::Route(inbound) => inbound,
    };
    seen.repo = Some(inbound.pr.repo.full_name());
    seen.pr = Some(inbound.pr.number.0);

    // 5. Per-repo rate window: the isolate's memory of it, read from KV when
    //    stale; the KV write (when one is due) after the answer.
    let key = cfg.rate.key(&inbound.pr.repo, now);
    let remembered = RATE_MEMORY.with(|m| m.borrow().count(&key, now));
    let current = match remembered {
        Some(count) => count,
        None => {
            let read = kv::get_text(env, &key).await?.and_then(|v| v.parse::<u64>().ok());
            RATE_MEMORY.with(|m| m.borrow_mut().seed(&key, read, now))
        }
    };
    match cfg.rate.decide(&inbound.pr.repo, now, Some(current)) {
        RateDecision::Deny { retry_after_secs } => {
            let mut out = Outcome::error(
                429,
                "rate_limited",
                format!("more than {} webhooks for {} in {} s", cfg.rate.limit, inbound.pr.repo, cfg.rate.window_secs),
            );
            out.retry_after = Some(retry_after_secs);
            return Ok(out);
        }
        RateDecision::Allow { key, new_count } => {
            if let Some(count) = RATE_MEMORY.with(|m| m.borrow_mut().allowed(&key, new_count, cfg.rate.limit, now)) {
                let env = env.clone();
                ctx.wait_until(async move {
                    // The counter is best effort (see argus_core::ratelimit); a failed
                    // write must never fail the delivery.
                    let _ = kv::put_text(&env, &key, &count.to_string()).await;
                });
            }
        }
    }

    // 6. Route to the PR's coordinator.
    route(env, &inbound, &delivery).await
}

async fn route(env: &Env, inbound: &Inbound, delivery: &str) -> Result<Outcome> {
    match argus_durable::route_inbound(env, inbound).await {
        Ok(reply) => Ok(Outcome {
            status: 202,
            body: json!({
                "status": if reply.accepted { "accepted" } else { "duplicate" },
                "delivery": delivery,
                "pr": inbound.pr.to_string(),
                "status_path": inbound.pr.status_path(),
                "coordinator": reply,
            }),
            decision: if reply.accepted { "routed" } else { "duplicate" },
            reason: reply.note.clone(),
            retry_after: None,
        }),
        Err(e) => {
            // GitHub does not redeliver by itself; a 503 shows in the hook's
            // delivery log so a maintainer can redeliver once we are healthy.
            let mut out = Outcome::error(503, "unavailable", format!("could not reach the pull request's coordinator: {e}"));
            out.retry_after = Some(30);
            Ok(out)
        }
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// A body over the cap is still read (and dropped) up to this size before the
/// 413 goes out: answering while the client is still uploading makes some
/// proxies reset the connection, and the client would never see the 413.
/// Anything declared larger is refused at once.
const DRAIN_LIMIT: usize = 2 * MAX_WEBHOOK_BYTES;

/// Reads the body; `None` when it is larger than `cap`. Past the cap nothing is
/// kept, and reading stops at [`DRAIN_LIMIT`].
async fn read_capped(req: &mut Request, cap: usize) -> Result<Option<Vec<u8>>> {
    let Ok(mut stream) = req.stream() else {
        // No body at all.
        return Ok(Some(Vec::new()));
    };
    let mut body = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            return Ok(None);
        }
        if seen <= cap {
            body.extend_from_slice(&chunk);
        } else if !body.is_empty() {
            body = Vec::new();
        }
    }
    Ok((seen <= cap).then_some(body))
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json(""));
    }
}
