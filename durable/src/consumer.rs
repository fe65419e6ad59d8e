//! The queue consumer for both review queues: every message (review job,
//! notes, a command's permission check) goes through
//! `argus_coordinator::process_message`, whose decision becomes `ack()` or a
//! delayed `retry`. Nothing is decided here.

use crate::link::StubLink;
use argus_coordinator::consumer::{Decision, MessageCtx, QueueKind, process_message};
use argus_coordinator::{Chores, ReviewPipeline};
use argus_core::subrequests::Subrequests;
use futures_util::StreamExt;
use serde_json::json;
use worker::{Date, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage, console_log, js_sys, wasm_bindgen::JsCast};

/// Messages of one batch processed at the same time. On the free plan the
/// review queue delivers one message per invocation (`max_batch_size = 1` in
/// wrangler.toml: one review needs most of the 50 subrequests an invocation
/// may make); a paid plan may raise the batch size, and this bounds the overlap.
pub const CONCURRENCY: usize = 4;

/// Handles a batch from `REVIEW_QUEUE` or its dead-letter queue (told apart by
/// `batch.queue()`, whose name ends in `-dlq`). Every message is acked or
/// retried individually, as `argus_coordinator::process_message` decides;
/// this never fails the whole batch.
pub async fn handle_batch<P: ReviewPipeline + Chores>(
    batch: MessageBatch<serde_json::Value>,
    env: &Env,
    pipeline: &P,
    ledger: &Subrequests,
) -> worker::Result<()> {
    let queue = batch.queue();
    let kind = QueueKind::of(&queue);
    let policy = crate::settings::settings(env).retry;
    let link = StubLink { env, ledger };
    let messages: Vec<RawMessage> = batch.raw_iter().collect();
    log("batch", None, json!({ "queue": queue, "kind": kind, "messages": messages.len() }));
    let link = &link;
    let policy = &policy;
    futures_util::stream::iter(messages)
        .for_each_concurrent(CONCURRENCY, |message| async move {
            let id = message.id();
            let body = body_json(&message.body());
            let ctx = MessageCtx { kind, policy, seed: seed(&id) };
            let decision = process_message(link, pipeline, &body, &ctx, &mut |step| {
                log(step.step, Some(&id), json!({ "job_id": step.job_id, "pr": step.pr, "detail": step.detail }));
            })
            .await;
            match decision {
                Decision::Ack => message.ack(),
                Decision::Retry { delay_secs } => message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay_secs).build()),
            }
            log("decision", Some(&id), serde_json::to_value(&decision).unwrap_or_default());
        })
        .await;
    Ok(())
}

/// The body as JSON whatever the producer sent: a structured object, or a
/// JSON string. Anything else becomes `null`, which the consumer acks as unparseable.
fn body_json(body: &worker::wasm_bindgen::JsValue) -> serde_json::Value {
    if let Some(text) = body.as_string() {
        return serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    }
    match js_sys::JSON::stringify(body) {
        Ok(s) => s.dyn_into::<js_sys::JsString>().ok().and_then(|s| s.as_string()).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    }
}

/// Jitter seed: the message id mixed with the time, so retries of concurrent
/// messages spread out (FNV-1a; quality beyond spreading is not needed).
fn seed(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes().chain(Date::now().as_millis().to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn log(step: &str, message_id: Option<&str>, detail: serde_json::Value) {
    console_log!("{}", json!({ "component": "review_consumer", "step": step, "message_id": message_id, "detail": detail }));
}
