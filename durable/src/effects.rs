//! What a PR's coordinator tells the rest of ArgusAI after handling an event:
//! its repository's index (when its summary changed), one Analytics Engine
//! data point per review that ended (when `REVIEW_METRICS` is bound), and an
//! alert per notable end on `ALERT_QUEUE` (when bound). The index update and
//! the alerts go out through `waitUntil`, after the reply: nothing here delays
//! a webhook's answer or can fail a review.

use argus_coordinator::PrState;
use argus_core::ids::UnixMillis;
use argus_dashboard::metrics::{self, DataPoint};
use argus_dashboard::notify::{AlertMessage, alerts_for};
use argus_index::{HistoryKey, RepoUpdate, history_since};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{AnalyticsEngineDataPointBuilder, Env, State, console_error};

/// The queue alerts go to (see wrangler.toml); optional.
pub const ALERT_QUEUE: &str = "ALERT_QUEUE";

/// The fingerprint of the last summary the index acknowledged (in memory: after
/// a restart the first change is sent again, which is harmless).
#[derive(Clone, Default)]
pub struct IndexMemory(Rc<RefCell<Option<u64>>>);

fn write_point(env: &Env, p: &DataPoint) {
    // No binding: metrics are off (the default locally and in tests).
    let Ok(dataset) = env.analytics_engine(metrics::BINDING) else {
        return;
    };
    let point = AnalyticsEngineDataPointBuilder::new()
        .indexes([p.index.as_str()])
        .blobs(p.blobs.iter().map(String::as_str))
        .doubles(p.doubles.iter().copied())
        .build();
    if let Err(e) = dataset.write_data_point(&point) {
        console_error!("{}", serde_json::json!({ "component": "metrics", "step": "write_failed", "error": e.to_string() }));
    }
}

/// Carries out the side effects of the event that moved the coordinator from
/// history mark `before` to `st`.
pub fn after_event(state: &State, env: &Env, memory: &IndexMemory, st: &PrState, before: Option<&HistoryKey>, now: UnixMillis) {
    let Some(pr) = st.pr.clone() else { return };
    let ended = history_since(st, before);
    for h in &ended {
        if let Some(p) = metrics::review_point(&pr.repo, pr.number.0, h) {
            write_point(env, &p);
        }
    }
    let owned: Vec<_> = ended.into_iter().cloned().collect();
    let alerts = alerts_for(&pr.repo, pr.number.0, &owned);
    let update = RepoUpdate::of(st, now).filter(|u| *memory.0.borrow() != Some(u.fingerprint()));
    if alerts.is_empty() && update.is_none() {
        return;
    }
    let (env, memory) = (env.clone(), memory.clone());
    state.wait_until(async move {
        if let Some(u) = update
            && crate::repo::tell(&env, &u).await
        {
            *memory.0.borrow_mut() = Some(u.fingerprint());
        }
        if alerts.is_empty() {
            return;
        }
        let Ok(queue) = env.queue(ALERT_QUEUE) else { return };
        for alert in alerts {
            let message = AlertMessage::V1 { alert, target: None };
            if let Err(e) = queue.send(&message).await {
                console_error!("{}", serde_json::json!({ "component": "alerts", "step": "enqueue_failed", "error": e.to_string() }));
            }
        }
    });
}
