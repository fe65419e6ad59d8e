//! The `PrCoordinator` Durable Object: loads the coordinator's state, feeds it
//! events from its HTTP routes and its alarm, and carries out the resulting
//! actions (storage write, alarm, queue send). No decisions are made here.
//!
//! Storage is the object's SQLite (layout and statements: `argus_coordinator::store`):
//! a state row, one row per remembered delivery id, one row per history entry.
//! Every write is synchronous and made before the next `await`, so it commits
//! together with the in-memory transition it records.

use crate::REVIEW_QUEUE;
use argus_coordinator::machine::{Action, Event, Reply};
use argus_coordinator::protocol::*;
use argus_coordinator::store::{self, Arg, Stmt};
use argus_coordinator::{Config, Coordinator, DeliveryLog, PrState, StatusView};
use argus_core::ids::DeliveryId;
use argus_core::ids::UnixMillis;
use argus_core::job::{Notify, NotifyReaction, QueueMessage};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use worker::{
    Date, DurableObject, Env, Method, Request, Response, Result, ScheduledTime, SqlStorage, SqlStorageValue, State, console_error, console_log,
    durable_object, js_sys,
};

/// The delivery-id memory as rows: remembering one id is three small statements
/// on indexed columns, however many ids are remembered.
#[derive(Clone, Debug)]
pub struct SqlLog {
    sql: SqlStorage,
}

impl DeliveryLog for SqlLog {
    fn remember(&mut self, id: &DeliveryId, now: UnixMillis, ttl_ms: u64, capacity: usize) -> bool {
        let mut new = true;
        for (i, s) in store::remember_delivery(id, now, ttl_ms, capacity).iter().enumerate() {
            match run(&self.sql, s) {
                Ok(written) if i == store::REMEMBER_INSERT => new = written > 0,
                Ok(_) => {}
                // Taking an unreadable memory for "new" can at worst review a
                // redelivered push once more; refusing it could lose a review.
                Err(e) => log("delivery_log_failed", json!({ "error": e.to_string() })),
            }
        }
        new
    }
}

fn bind(args: &[Arg]) -> Vec<SqlStorageValue> {
    args.iter()
        .map(|a| match a {
            Arg::Int(i) => SqlStorageValue::Integer(*i),
            Arg::Text(t) => SqlStorageValue::String(t.clone()),
        })
        .collect()
}

/// Runs one statement; the rows it wrote.
fn run(sql: &SqlStorage, s: &Stmt) -> Result<usize> {
    Ok(sql.exec(s.sql, bind(&s.args))?.rows_written())
}

#[derive(serde::Deserialize)]
struct JsonRow {
    json: String,
}

#[durable_object]
pub struct PrCoordinator {
    state: State,
    env: Env,
    /// Loaded once, then the source of truth; storage is written after each change.
    /// Shared with the loader that `new` starts.
    machine: Rc<RefCell<Option<Coordinator<SqlLog>>>>,
    config: Config,
    /// `LOG_LEVEL=debug` adds a line per event; by default only what changes
    /// the outside world (enqueue, failures) is logged, as a log line costs
    /// more than the event itself.
    debug_log: bool,
    /// What the repository's index last acknowledged (see `effects`).
    indexed: crate::effects::IndexMemory,
}

impl DurableObject for PrCoordinator {
    fn new(state: State, env: Env) -> Self {
        let settings = crate::settings::settings(&env);
        let config = settings.coordinator.clone();
        for p in &settings.problems {
            log("config_problem", json!({ "detail": p }));
        }
        let machine = Rc::new(RefCell::new(None));
        // Gate every event until the state is loaded (the runtime holds them back
        // while this runs), so no handler ever sees a half-initialised object.
        let (slot, storage, cfg) = (machine.clone(), state.storage(), config.clone());
        let _init = state.block_concurrency_while(async move {
            let loaded = load(&storage, cfg).await?;
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(loaded);
            }
            Ok(())
        });
        let debug_log = settings.log_level == argus_settings::LogLevel::Debug;
        Self { state, env, machine, config, debug_log, indexed: Default::default() }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.ensure_loaded().await?;
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Get, STATUS_PATH) => {
                let html = req.url()?.query_pairs().any(|(k, v)| k == "format" && v == "html");
                self.status(html)
            }
            (Method::Post, InboundRoute::PATH) => self.serve::<InboundRoute>(&mut req).await,
            (Method::Post, LeaseRoute::PATH) => self.serve::<LeaseRoute>(&mut req).await,
            (Method::Post, StartedRoute::PATH) => self.serve::<StartedRoute>(&mut req).await,
            (Method::Post, HeadRoute::PATH) => self.serve::<HeadRoute>(&mut req).await,
            (Method::Post, FinishedRoute::PATH) => self.serve::<FinishedRoute>(&mut req).await,
            (Method::Post, FailedRoute::PATH) => self.serve::<FailedRoute>(&mut req).await,
            (Method::Post, DeadLetterRoute::PATH) => self.serve::<DeadLetterRoute>(&mut req).await,
            (Method::Post, CommandVerifiedRoute::PATH) => self.serve::<CommandVerifiedRoute>(&mut req).await,
            (Method::Post, NotifiedRoute::PATH) => self.serve::<NotifiedRoute>(&mut req).await,
            (Method::Post, OutcomeRoute::PATH) => self.serve::<OutcomeRoute>(&mut req).await,
            (Method::Post, ReplyDoneRoute::PATH) => self.serve::<ReplyDoneRoute>(&mut req).await,
            (Method::Post, OperatorRoute::PATH) => self.serve::<OperatorRoute>(&mut req).await,
            _ => error_response(&ErrorReply { code: ErrorCode::BadRequest, error: format!("no route {} {path}", req.method()) }, 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.ensure_loaded().await?;
        self.apply(Event::AlarmFired).await?;
        Response::ok("")
    }
}

impl PrCoordinator {
    /// One typed route: the body as the route's request, the machine's answer as its reply.
    async fn serve<R: Route>(&self, req: &mut Request) -> Result<Response> {
        let event = match body::<R::Request>(req).await {
            Ok(b) => R::event(b),
            Err(e) => return error_response(&e, e.code.http_status()),
        };
        match self.apply(event).await? {
            Reply::Error(e) => error_response(&e, e.code.http_status()),
            reply => match R::reply(reply) {
                Some(r) => Response::from_json(&r),
                None => {
                    error_response(&ErrorReply { code: ErrorCode::BadRequest, error: format!("the coordinator has no answer for {}", R::PATH) }, 500)
                }
            },
        }
    }

    /// A fallback for the loader in `new`: harmless when it already ran, and
    /// race-free because only the first completed load is kept.
    async fn ensure_loaded(&self) -> Result<()> {
        if self.machine.borrow().is_some() {
            return Ok(());
        }
        let loaded = load(&self.state.storage(), self.config.clone()).await?;
        let mut slot = self.machine.borrow_mut();
        if slot.is_none() {
            *slot = Some(loaded);
        }
        Ok(())
    }

    /// Feeds `event` to the machine and carries out its actions.
    ///
    /// Handlers of one object interleave at every `await` that is not a storage
    /// operation, so the transition is applied to the in-memory state
    /// synchronously, before any `await`; then the snapshot is written, then
    /// the outbound work is done. 100 concurrent copies of one delivery thus
    /// see each other's effect and make one job.
    async fn apply(&self, first: Event) -> Result<Reply> {
        let mark = self.machine.borrow().as_ref().and_then(|m| argus_index::history_mark(m.state()));
        let mut events = vec![first];
        let mut first_reply = None;
        let mut notes: Vec<String> = Vec::new();
        let mut reactions: Vec<NotifyReaction> = Vec::new();
        let mut outbox_ids: Vec<u64> = Vec::new();
        while let Some(event) = events.pop() {
            let now = UnixMillis(Date::now().as_millis());
            let kind = event_kind(&event);
            let step = {
                let mut guard = self.machine.borrow_mut();
                let machine = guard.as_mut().ok_or_else(|| worker::Error::RustError("coordinator state not loaded".into()))?;
                let step = machine.handle(now, event);
                // Only what changed, synchronously: the state row (small: the
                // delivery ids and the history are rows of their own) and new history rows.
                let sql = self.state.storage().sql();
                for action in &step.actions {
                    match action {
                        Action::Persist => {
                            run(&sql, &store::save_state(serde_json::to_string(machine.state())?))?;
                        }
                        Action::AppendHistory { entry } => {
                            for s in store::append_history(entry, self.config.history_len) {
                                run(&sql, &s)?;
                            }
                        }
                        _ => {}
                    }
                }
                step
            };
            for action in &step.actions {
                match action {
                    Action::Persist | Action::AppendHistory { .. } => {}
                    Action::SetAlarm { .. } | Action::ClearAlarm => self.sync_alarm().await?,
                    Action::Enqueue { message } => {
                        let sent = match self.env.queue(REVIEW_QUEUE) {
                            Ok(q) => q.send(message).await,
                            Err(e) => Err(e),
                        };
                        let what = json!({ "pr": message.pr().to_string(), "job_id": message.job().map(|j| j.job_id.clone()), "attempt": message.job().map(|j| j.attempt), "head_sha": message.job().map(|j| j.head_sha.clone()) });
                        match (sent, message.job()) {
                            (Ok(()), _) => log("enqueued", what),
                            (Err(e), Some(job)) => {
                                log("enqueue_failed", json!({ "message": what, "error": e.to_string() }));
                                events.push(Event::EnqueueFailed { job_id: job.job_id.clone(), reason: e.to_string() });
                            }
                            // A lost permission check is forgotten by the machine after its TTL;
                            // the commenter can ask again.
                            (Err(e), None) => log("enqueue_failed", json!({ "message": what, "error": e.to_string() })),
                        }
                    }
                    // Posted by the queue consumer (GitHub calls do not belong in the
                    // object); gathered here and sent as one message below.
                    Action::PostNote { id, body } => {
                        notes.push(body.clone());
                        outbox_ids.push(*id);
                    }
                    Action::React { id, comment_id, content } => {
                        reactions.push(NotifyReaction { comment_id: *comment_id, content: content.clone() });
                        outbox_ids.push(*id);
                    }
                }
            }
            if self.debug_log || matches!(step.reply, Reply::Error(_)) {
                log("event", json!({ "event": kind, "reply": reply_kind(&step.reply), "actions": step.actions.len(), "state": self.phase() }));
            }
            first_reply.get_or_insert(step.reply);
        }
        if !notes.is_empty() || !reactions.is_empty() {
            self.send_notify(notes, reactions, outbox_ids).await;
        }
        // The index, metrics and alerts: after this event's own work, deferred past the reply.
        if let Some(m) = self.machine.borrow().as_ref() {
            crate::effects::after_event(&self.state, &self.env, &self.indexed, m.state(), mark.as_ref(), UnixMillis(Date::now().as_millis()));
        }
        Ok(first_reply.unwrap_or(Reply::None))
    }

    /// Queues the notes and reactions the machine decided on, for the consumer to
    /// post. They stay in the state's outbox until the consumer reports them
    /// posted (the status page's `pending_notes`): a lost note is shown there.
    async fn send_notify(&self, notes: Vec<String>, reactions: Vec<NotifyReaction>, outbox_ids: Vec<u64>) {
        let target = self.machine.borrow().as_ref().and_then(|m| Some((m.state().pr.clone()?, m.state().installation?)));
        let Some((pr, installation)) = target else {
            log("notify_skipped", json!({ "reason": "pull request or installation unknown", "notes": notes.len() }));
            return;
        };
        let message = QueueMessage::Notify(Notify { pr: pr.clone(), installation, notes, reactions, outbox_ids });
        let sent = match self.env.queue(REVIEW_QUEUE) {
            Ok(q) => q.send(&message).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => log("notify_enqueued", json!({ "pr": pr.to_string() })),
            Err(e) => log("notify_failed", json!({ "pr": pr.to_string(), "error": e.to_string() })),
        }
    }

    /// Sets the storage alarm to what the machine wants *now*, not what it
    /// wanted when the action was made: another handler may have changed it
    /// while this one awaited, and the last call must leave the latest value.
    async fn sync_alarm(&self) -> Result<()> {
        let want = self.machine.borrow().as_ref().and_then(|m| m.state().alarm_at);
        let storage = self.state.storage();
        match want {
            Some(at) => storage.set_alarm(ScheduledTime::new(js_sys::Date::new(&(at.0 as f64).into()))).await,
            None => storage.delete_alarm().await,
        }
    }

    fn phase(&self) -> &'static str {
        self.machine.borrow().as_ref().map(|m| m.state().phase().as_str()).unwrap_or("unloaded")
    }

    fn status(&self, html: bool) -> Result<Response> {
        let now = UnixMillis(Date::now().as_millis());
        let view = {
            let guard = self.machine.borrow();
            guard.as_ref().and_then(|m| StatusView::of(m.state(), m.next_wakeup(), now))
        };
        match view {
            None => error_response(&ErrorReply { code: ErrorCode::UnknownPr, error: "no webhook for this pull request has been seen".into() }, 404),
            Some(v) if html => Response::from_html(v.to_html()),
            Some(v) => Response::from_json(&v),
        }
    }
}

async fn load(storage: &worker::Storage, cfg: Config) -> Result<Coordinator<SqlLog>> {
    let sql = storage.sql();
    for s in store::SCHEMA {
        sql.exec(s, None)?;
    }
    let row = sql.exec(store::LOAD_STATE_SQL, None)?.to_array::<JsonRow>()?.pop();
    let state = match row {
        Some(row) => {
            let mut st = parse_state(&row.json);
            let history = sql.exec(store::LOAD_HISTORY_SQL, None)?.to_array::<JsonRow>()?;
            st.history = history.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect();
            st
        }
        None => migrate_legacy(storage, &sql, &cfg).await?,
    };
    Ok(Coordinator::with_log(cfg, state, SqlLog { sql }))
}

/// A state row that no longer parses is reported and replaced: starting over
/// loses the state, but a wedged PR would lose every future review.
fn parse_state(json: &str) -> PrState {
    serde_json::from_str(json).unwrap_or_else(|e| {
        console_error!("{}", json!({ "component": "pr_coordinator", "step": "state_unreadable", "detail": e.to_string() }));
        PrState::default()
    })
}

/// An object written by an earlier version keeps its whole state as one JSON
/// value in key-value storage: move it into rows once, then drop the key.
async fn migrate_legacy(storage: &worker::Storage, sql: &SqlStorage, cfg: &Config) -> Result<PrState> {
    let Some(json) = storage.get::<String>(store::LEGACY_KEY).await? else {
        return Ok(PrState::default());
    };
    let st = parse_state(&json);
    let rows: store::LegacyRows = serde_json::from_str(&json).unwrap_or_default();
    let history: Vec<_> = st.history.iter().cloned().collect();
    for s in store::migrate_legacy(&rows, &history, cfg.history_len) {
        run(sql, &s)?;
    }
    run(sql, &store::save_state(serde_json::to_string(&st)?))?;
    storage.delete(store::LEGACY_KEY).await?;
    log("state_migrated", json!({ "deliveries": rows.seen.len(), "history": history.len() }));
    Ok(st)
}

async fn body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, ErrorReply> {
    let text = req.text().await.map_err(|e| ErrorReply { code: ErrorCode::BadRequest, error: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| ErrorReply { code: ErrorCode::BadRequest, error: format!("unreadable body: {e}") })
}

fn error_response(e: &ErrorReply, status: u16) -> Result<Response> {
    Ok(Response::from_json(e)?.with_status(status))
}

fn event_kind(e: &Event) -> &'static str {
    match e {
        Event::Inbound(i) => i.signal.kind(),
        Event::AlarmFired => "alarm",
        Event::LeaseRequested(_) => "lease",
        Event::JobStarted(_) => "started",
        Event::HeadCheck(_) => "head_check",
        Event::JobFinished(_) => "finished",
        Event::JobFailed(_) => "failed",
        Event::DeadLettered(_) => "dead_lettered",
        Event::EnqueueFailed { .. } => "enqueue_failed",
        Event::CommandVerified(_) => "command_verified",
        Event::Notified(_) => "notified",
        Event::Acted(_) => "acted",
        Event::Operator(_) => "operator",
        Event::ReplyDone(_) => "reply_done",
    }
}

fn reply_kind(r: &Reply) -> serde_json::Value {
    match r {
        Reply::Inbound(i) => json!({ "accepted": i.accepted, "note": i.note }),
        Reply::Lease(l) => serde_json::to_value(l).unwrap_or_default(),
        Reply::Head(h) => serde_json::to_value(h).unwrap_or_default(),
        Reply::Report(r) => serde_json::to_value(r).unwrap_or_default(),
        Reply::DeadLetter(r) => serde_json::to_value(r).unwrap_or_default(),
        Reply::Error(e) => serde_json::to_value(e).unwrap_or_default(),
        Reply::None => serde_json::Value::Null,
        Reply::Operator(o) => serde_json::to_value(o).unwrap_or_default(),
    }
}

/// One JSON line per step, for `wrangler tail` and Workers Logs.
fn log(step: &str, detail: serde_json::Value) {
    console_log!("{}", json!({ "component": "pr_coordinator", "step": step, "detail": detail }));
}
