//! The `ALERT_QUEUE` consumer: Slack and Discord notifications. An alert
//! without a destination (as a PR's coordinator sends it) is fanned out into
//! one message per destination the repository's settings want; each of those
//! is posted, and retried on its own when the far side fails (5xx, 429,
//! network), until the queue's `max_retries` gives up on it. A review is never
//! waiting on any of this: it was posted before the alert existed.

use crate::platform::config::settings;
use crate::platform::http::WorkerHttp;
use crate::platform::kv;
use crate::platform::log::{Level, Logger};
use argus_coordinator::RetryPolicy;
use argus_core::http::{HttpClient, HttpRequest, Method};
use argus_core::keys::NotifyConfigKey;
use argus_dashboard::notify::{self, Alert, AlertMessage, Delivery, NotifySettings, Target};
use serde_json::json;
use worker::{Date, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage, Result, js_sys, wasm_bindgen::JsCast};

/// The queue (see wrangler.toml).
pub const QUEUE: &str = "ALERT_QUEUE";

/// Whether a batch is this consumer's (alert queues are named `…-alerts…`).
pub fn is_alert_queue(name: &str) -> bool {
    name.contains("-alerts")
}

async fn settings_for(env: &Env, alert: &Alert, log: &Logger) -> NotifySettings {
    let operator = &settings(env).notify;
    let kv_text = kv::get_text(env, &NotifyConfigKey { repo: alert.repo.clone() }).await.ok().flatten();
    let (settings, problems) =
        notify::settings(operator.slack_url.as_deref(), operator.discord_url.as_deref(), operator.min_severity.as_deref(), kv_text.as_deref());
    for p in problems {
        log.log(Level::Warn, "notify_config", json!({ "repo": alert.repo.full_name(), "problem": p }));
    }
    settings
}

fn policy(env: &Env) -> RetryPolicy {
    // The same schedule as review jobs (`RETRY_BASE_SECONDS`, `RETRY_MAX_SECONDS`).
    settings(env).retry
}

fn body_json(message: &RawMessage) -> serde_json::Value {
    let body = message.body();
    if let Some(text) = body.as_string() {
        return serde_json::from_str(&text).unwrap_or_default();
    }
    js_sys::JSON::stringify(&body)
        .ok()
        .and_then(|s| s.dyn_into::<js_sys::JsString>().ok())
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn seed(id: &str) -> u64 {
    id.bytes().chain(Date::now().as_millis().to_le_bytes()).fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Posts one alert to one destination.
async fn post(env: &Env, settings: &NotifySettings, alert: &Alert, target: Target) -> Delivery {
    let Some(url) = settings.url(target) else {
        return Delivery::GiveUp { reason: "no longer configured".into() };
    };
    let pr_url = format!("{}/{}/pull/{}", crate::platform::config::settings(env).web_url, alert.repo, alert.pr);
    let payload = match target {
        Target::Slack => notify::slack_payload(alert, &pr_url),
        Target::Discord => notify::discord_payload(alert, &pr_url),
    };
    let req = HttpRequest::new(Method::Post, url).header("user-agent", "ArgusAI").json_body(&payload).timeout_ms(10_000);
    match WorkerHttp.send(req).await {
        Ok(resp) => notify::delivery(Some(resp.status), resp.header("retry-after")),
        Err(_) => notify::delivery(None, None),
    }
}

pub async fn handle_batch(batch: MessageBatch<serde_json::Value>, env: &Env) -> Result<()> {
    let log = Logger::from_env(env);
    let policy = policy(env);
    for message in batch.raw_iter() {
        let Ok(AlertMessage::V1 { alert, target }) = serde_json::from_value::<AlertMessage>(body_json(&message)) else {
            log.log(Level::Warn, "alert", json!({ "step": "unparseable" }));
            message.ack();
            continue;
        };
        let settings = settings_for(env, &alert, &log).await;
        let Some(target) = target else {
            // Fan out: one message per destination, so each is retried on its own.
            let targets = settings.targets(&alert);
            let mut ok = true;
            if !targets.is_empty() {
                match env.queue(QUEUE) {
                    Ok(q) => {
                        for t in &targets {
                            ok &= q.send(&AlertMessage::V1 { alert: alert.clone(), target: Some(*t) }).await.is_ok();
                        }
                    }
                    Err(_) => ok = false,
                }
            }
            log.log(Level::Info, "alert", json!({ "step": "fanned_out", "repo": alert.repo.full_name(), "pr": alert.pr, "kind": alert.kind, "targets": targets.iter().map(|t| t.as_str()).collect::<Vec<_>>() }));
            if ok {
                message.ack()
            } else {
                message.retry()
            }
            continue;
        };
        let delivery = post(env, &settings, &alert, target).await;
        log.log(
            if matches!(delivery, Delivery::Sent) { Level::Info } else { Level::Warn },
            "alert",
            json!({ "step": "posted", "repo": alert.repo.full_name(), "pr": alert.pr, "target": target.as_str(), "delivery": delivery }),
        );
        match delivery {
            Delivery::Sent | Delivery::GiveUp { .. } => message.ack(),
            Delivery::Retry { after_secs } => {
                let delay = policy.delay_secs(1, after_secs, seed(&message.id()));
                message.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(delay).build());
            }
        }
    }
    Ok(())
}
