//! The consumer's decisions (ack, retry with delay, dead letter) for each kind
//! of outcome, against an in-memory coordinator and a scripted pipeline double.

use crate::sim::*;
use argus_coordinator::consumer::*;
use argus_coordinator::machine::{Event, Outcome, Reply};
use argus_coordinator::protocol::*;
use argus_coordinator::{CheckEnd, Chores, Config, PipelineError, ReplyOutcome, RetryPolicy, ReviewPipeline, ReviewReport, StatusView};
use argus_core::event::PrAction::*;
use argus_core::ids::{PrRef, UnixMillis};
use argus_core::job::{LearningsJob, Notify, OutcomeJob, QueueMessage, ReplyJob, ReviewJob, VerifyCommand};
use futures_executor::block_on;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

/// The coordinator as the consumer sees it through the Durable Object routes.
struct MemLink {
    sim: Rc<RefCell<Sim>>,
    down: Cell<bool>,
    calls: Cell<usize>,
}

impl MemLink {
    fn call(&self, event: Event) -> Result<Reply, LinkError> {
        self.calls.set(self.calls.get() + 1);
        if self.down.get() {
            return Err(LinkError::Transport("durable object unavailable".into()));
        }
        match self.sim.borrow_mut().send(event) {
            Reply::Error(e) => Err(LinkError::Refused(e)),
            r => Ok(r),
        }
    }
}

impl CoordinatorLink for MemLink {
    async fn call<R: Route>(&self, _: &PrRef, req: &R::Request) -> Result<R::Reply, LinkError> {
        let reply = self.call(R::event(req.clone()))?;
        R::reply(reply.clone()).ok_or_else(|| LinkError::Transport(format!("unexpected reply {reply:?} on {}", R::PATH)))
    }
}

/// A pipeline double: answers from a script, can push to the PR mid-run, and
/// records what it did to check runs and notes.
#[derive(Default)]
struct Script {
    runs: RefCell<VecDeque<Result<ReviewReport, PipelineError>>>,
    publishes: RefCell<VecDeque<Result<(), PipelineError>>>,
    ran: Cell<usize>,
    published: Cell<usize>,
    during_run: RefCell<Option<Box<dyn Fn()>>>,
    /// Check runs created, and how each was ended or updated, in order.
    checks_started: Cell<u64>,
    check_ends: RefCell<Vec<(u64, CheckEnd)>>,
    /// Notes and reactions posted.
    notified: RefCell<Vec<Notify>>,
    /// The permission GitHub reports for command authors.
    permission: RefCell<Option<Result<(bool, String), PipelineError>>>,
    /// What the threads of a closed PR say (default: 1 of 3 findings addressed).
    acted: RefCell<Option<Result<ActedOn, PipelineError>>>,
    /// Answers asked for, and what each does (answered unless scripted).
    replied: RefCell<Vec<ReplyJob>>,
    reply_outcomes: RefCell<VecDeque<Result<ReplyOutcome, PipelineError>>>,
}

fn report() -> ReviewReport {
    ReviewReport {
        findings: 2,
        tokens_in: 900,
        tokens_out: 120,
        duration_ms: 3_100,
        summary: "2 comments".into(),
        publication: serde_json::json!({"comments": 2}),
        ..Default::default()
    }
}

impl ReviewPipeline for Script {
    async fn start_check(&self, _: &ReviewJob) -> Result<u64, PipelineError> {
        self.checks_started.set(self.checks_started.get() + 1);
        Ok(500 + self.checks_started.get())
    }
    async fn run(&self, _: &ReviewJob) -> Result<ReviewReport, PipelineError> {
        self.ran.set(self.ran.get() + 1);
        if let Some(f) = self.during_run.borrow().as_ref() {
            f();
        }
        self.runs.borrow_mut().pop_front().unwrap_or_else(|| Ok(report()))
    }
    async fn publish(&self, _: &ReviewJob, _: &ReviewReport, _check: u64) -> Result<(), PipelineError> {
        self.published.set(self.published.get() + 1);
        self.publishes.borrow_mut().pop_front().unwrap_or(Ok(()))
    }
    async fn close_check(&self, _: &ReviewJob, check: u64, end: &CheckEnd) -> Result<(), PipelineError> {
        self.check_ends.borrow_mut().push((check, end.clone()));
        Ok(())
    }
}

impl Chores for Script {
    async fn notify(&self, n: &Notify) -> Result<(), PipelineError> {
        self.notified.borrow_mut().push(n.clone());
        Ok(())
    }
    async fn author_permission(&self, _: &VerifyCommand) -> Result<(bool, String), PipelineError> {
        self.permission.borrow().clone().unwrap_or_else(|| Ok((true, "write".into())))
    }
    async fn learnings(&self, _: &LearningsJob) -> Result<(), PipelineError> {
        Ok(())
    }
    async fn acted_on(&self, o: &OutcomeJob) -> Result<ActedOn, PipelineError> {
        self.acted.borrow().clone().unwrap_or(Ok(ActedOn { merged: o.merged, findings: 3, addressed: 1, liked: 2, disliked: 1 }))
    }
    async fn reply(&self, r: &ReplyJob) -> Result<ReplyOutcome, PipelineError> {
        self.replied.borrow_mut().push(r.clone());
        self.reply_outcomes.borrow_mut().pop_front().unwrap_or(Ok(ReplyOutcome::Answered))
    }
}

struct World {
    sim: Rc<RefCell<Sim>>,
    link: MemLink,
    pipeline: Script,
    policy: RetryPolicy,
    logs: Vec<LogStep>,
}

impl World {
    /// A PR just opened: its first job is on the queue.
    fn opened() -> (World, serde_json::Value) {
        let sim = Rc::new(RefCell::new(Sim::new(Config::default())));
        sim.borrow_mut().send(review("open", Opened, "h0"));
        let job = sim.borrow().last_job();
        let link = MemLink { sim: sim.clone(), down: Cell::new(false), calls: Cell::new(0) };
        let w = World { sim, link, pipeline: Script::default(), policy: RetryPolicy { base_secs: 10, max_secs: 3600 }, logs: vec![] };
        (w, serde_json::to_value(QueueMessage::V1(job)).unwrap())
    }

    fn deliver(&mut self, body: &serde_json::Value, kind: QueueKind, seed: u64) -> Decision {
        let ctx = MessageCtx { kind, policy: &self.policy, seed };
        let logs = &mut self.logs;
        block_on(process_message(&self.link, &self.pipeline, body, &ctx, &mut |s| logs.push(s)))
    }

    fn status(&self) -> StatusView {
        let sim = self.sim.borrow();
        StatusView::of(sim.m.state(), sim.m.next_wakeup(), UnixMillis(sim.now)).unwrap()
    }
}

#[test]
fn a_good_run_is_published_reported_and_acked() {
    let (mut w, body) = World::opened();
    assert_eq!(w.deliver(&body, QueueKind::Review, 1), Decision::Ack);
    assert_eq!((w.pipeline.ran.get(), w.pipeline.published.get()), (1, 1));
    let st = w.status();
    assert_eq!((st.state.as_str(), st.last_reviewed_sha.clone()), ("idle", Some(sha("h0"))));
    assert_eq!(st.history[0].findings, Some(2));
    let steps: Vec<&str> = w.logs.iter().map(|l| l.step).collect();
    assert_eq!(steps, ["leased", "reviewed", "published", "reported"]);
    assert_eq!(w.pipeline.checks_started.get(), 1, "the check run exists from the start");
    assert!(w.pipeline.check_ends.borrow().is_empty(), "publish completes it");
    // The same message again (at-least-once delivery): denied, acked, not run.
    assert_eq!(w.deliver(&body, QueueKind::Review, 2), Decision::Ack);
    assert_eq!(w.pipeline.ran.get(), 1);
    assert_eq!(w.logs.last().unwrap().detail, "Finished");
}

#[test]
fn unparseable_messages_are_acked_without_calling_the_coordinator() {
    let (mut w, _) = World::opened();
    for body in [serde_json::json!("hello"), serde_json::json!({"v": "9", "job_id": "x"}), serde_json::json!({"v": "1"})] {
        assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack, "{body}");
        assert_eq!(w.deliver(&body, QueueKind::DeadLetter, 0), Decision::Ack, "{body}");
    }
    assert_eq!(w.link.calls.get(), 0);
    assert!(w.logs.iter().all(|l| l.step == "unparseable"));
}

/// Retryable failures: retried with a growing delay until the queue's
/// `max_retries` (4 in wrangler.toml), then the dead-letter consumer marks the review failed.
#[test]
fn retryable_failures_back_off_then_dead_letter() {
    let (mut w, body) = World::opened();
    let max_retries = 4;
    for _ in 0..=max_retries {
        w.pipeline.runs.borrow_mut().push_back(Err(PipelineError::retryable("LLM provider answered 503", None)));
    }
    let mut delays = vec![];
    for delivery in 0..=max_retries {
        match w.deliver(&body, QueueKind::Review, 42) {
            Decision::Retry { delay_secs } => delays.push(delay_secs),
            Decision::Ack => panic!("delivery {delivery} acked"),
        }
        assert_eq!(w.status().state, "queued");
    }
    assert!(delays.windows(2).all(|p| p[0] <= p[1]), "{delays:?}");
    assert!(delays[0] <= 10 && delays[4] >= 80, "{delays:?}");
    // The queue moves the message to the dead-letter queue.
    assert_eq!(w.deliver(&body, QueueKind::DeadLetter, 42), Decision::Ack);
    let st = w.status();
    assert_eq!(st.state, "failed");
    assert!(st.last_error.as_deref().unwrap().contains("LLM provider answered 503"), "{:?}", st.last_error);
    assert_eq!(st.history.last().unwrap().outcome, Outcome::DeadLettered);
}

#[test]
fn retry_after_from_the_far_side_is_a_floor() {
    let (mut w, body) = World::opened();
    w.pipeline.runs.borrow_mut().push_back(Err(PipelineError::retryable("secondary rate limit", Some(120))));
    assert_eq!(w.deliver(&body, QueueKind::Review, 7), Decision::Retry { delay_secs: 120 });
}

#[test]
fn permanent_and_user_errors_are_acked_and_reported() {
    for (err, note) in [(PipelineError::permanent("installation suspended"), false), (PipelineError::user("pull request too large"), true)] {
        let (mut w, body) = World::opened();
        w.pipeline.runs.borrow_mut().push_back(Err(err.clone()));
        assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
        let st = w.status();
        assert_eq!((st.state.as_str(), st.last_error.as_deref()), ("failed", Some(err.message.as_str())));
        assert_eq!(w.sim.borrow().notes.iter().any(|n| n.contains(&err.message)), note);
    }
}

#[test]
fn a_push_during_the_run_stops_the_post() {
    let (mut w, body) = World::opened();
    let sim = w.sim.clone();
    *w.pipeline.during_run.borrow_mut() = Some(Box::new(move || {
        sim.borrow_mut().send(review("push", Synchronize, "h1"));
    }));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert_eq!(w.pipeline.published.get(), 0, "no post on a stale head");
    let st = w.status();
    assert_eq!(st.history[0].outcome, Outcome::Superseded);
    assert_eq!(st.history[0].tokens_in, Some(900), "its cost is recorded");
    assert_eq!(st.state, "debouncing", "the new head is next");
    assert!(w.logs.iter().any(|l| l.step == "stale_head"));
}

#[test]
fn a_failed_publish_is_retried_like_a_failed_run() {
    let (mut w, body) = World::opened();
    w.pipeline.publishes.borrow_mut().push_back(Err(PipelineError::retryable("GitHub answered 502", None)));
    assert!(matches!(w.deliver(&body, QueueKind::Review, 0), Decision::Retry { .. }));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert_eq!((w.pipeline.ran.get(), w.pipeline.published.get()), (2, 2));
    assert_eq!(w.status().last_reviewed_sha, Some(sha("h0")));
}

#[test]
fn an_unreachable_coordinator_means_retry_not_loss() {
    let (mut w, body) = World::opened();
    w.link.down.set(true);
    assert!(matches!(w.deliver(&body, QueueKind::Review, 0), Decision::Retry { .. }));
    assert!(matches!(w.deliver(&body, QueueKind::DeadLetter, 0), Decision::Retry { .. }));
    assert_eq!(w.pipeline.ran.get(), 0);
    w.link.down.set(false);
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert_eq!(w.pipeline.published.get(), 1);
}

#[test]
fn a_consumer_that_dies_is_replaced_by_one_rerun() {
    let (mut w, body) = World::opened();
    // The first consumer takes the lease and never reports.
    let job = w.sim.borrow().last_job();
    w.sim.borrow_mut().lease(&job).unwrap();
    // The queue redelivers the original message: the lease is held, so it is acked.
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    w.sim.borrow_mut().advance(Config::default().lease_ms);
    let rerun = w.sim.borrow().last_job();
    assert_eq!(rerun.attempt, 2);
    assert_eq!(w.deliver(&serde_json::to_value(QueueMessage::V1(rerun)).unwrap(), QueueKind::Review, 0), Decision::Ack);
    assert_eq!((w.pipeline.ran.get(), w.pipeline.published.get()), (1, 1));
    let st = w.status();
    assert_eq!((st.state.as_str(), st.attempts), ("idle", 2));
}

#[test]
fn a_run_that_outlived_its_lease_does_not_post_but_its_cost_is_kept() {
    let (mut w, body) = World::opened();
    let sim = w.sim.clone();
    // The run takes longer than the lease: the coordinator reruns the job meanwhile.
    *w.pipeline.during_run.borrow_mut() = Some(Box::new(move || sim.borrow_mut().advance(Config::default().lease_ms)));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert_eq!(w.pipeline.published.get(), 0);
    let st = w.status();
    assert_eq!((st.state.as_str(), st.current_job.as_ref().map(|j| j.attempt)), ("queued", Some(2)));
    let late = st.history.last().unwrap();
    assert_eq!((late.outcome, late.tokens_in), (Outcome::Late, Some(900)));
}

#[test]
fn queue_kind_comes_from_the_queue_name() {
    for (name, kind) in [
        ("argusai-reviews-dev", QueueKind::Review),
        ("argusai-reviews-dev-dlq", QueueKind::DeadLetter),
        ("argusai-reviews-dlq", QueueKind::DeadLetter),
    ] {
        assert_eq!(QueueKind::of(name), kind, "{name}");
    }
}

#[test]
fn a_skipped_run_closes_its_check_and_never_counts_as_reviewed() {
    let (mut w, body) = World::opened();
    let skip = ReviewReport { skipped: Some("the repository's configuration says to skip it: automatic reviews are off".into()), ..report() };
    w.pipeline.runs.borrow_mut().push_back(Ok(skip));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert_eq!(w.pipeline.published.get(), 0);
    let ends = w.pipeline.check_ends.borrow().clone();
    assert!(matches!(&ends[..], [(501, CheckEnd::Skipped { reason })] if reason.contains("automatic reviews are off")), "{ends:?}");
    let st = w.status();
    assert_eq!(st.last_reviewed_sha, None, "nothing was reviewed");
    assert_eq!(st.history[0].outcome, Outcome::Skipped);
    assert_eq!(st.state, "idle");
    assert!(w.logs.iter().all(|l| l.step != "stale_head"), "a skip needs no head check");
}

#[test]
fn one_check_run_per_job_across_retries_and_it_says_so() {
    let (mut w, body) = World::opened();
    w.pipeline.runs.borrow_mut().push_back(Err(PipelineError::retryable("LLM provider answered 503", None)));
    assert!(matches!(w.deliver(&body, QueueKind::Review, 0), Decision::Retry { .. }));
    assert!(matches!(&w.pipeline.check_ends.borrow()[..], [(501, CheckEnd::Retrying { failures: 1, .. })]));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert_eq!(w.pipeline.checks_started.get(), 1, "the retry reuses the job's check run");
    assert_eq!(w.pipeline.published.get(), 1);
}

#[test]
fn a_dead_lettered_job_closes_its_check_and_notes_the_pr_once() {
    let (mut w, body) = World::opened();
    for _ in 0..5 {
        w.pipeline.runs.borrow_mut().push_back(Err(PipelineError::retryable("GitHub answered 500", None)));
        assert!(matches!(w.deliver(&body, QueueKind::Review, 0), Decision::Retry { .. }));
    }
    assert_eq!(w.deliver(&body, QueueKind::DeadLetter, 0), Decision::Ack);
    let ends = w.pipeline.check_ends.borrow().clone();
    assert!(matches!(ends.last(), Some((501, CheckEnd::DeadLettered { reason })) if reason.contains("GitHub answered 500")), "{ends:?}");
    let notes = w.sim.borrow().notes.clone();
    assert_eq!(notes.iter().filter(|n| n.contains("gave up after")).count(), 1, "{notes:?}");
    // The same dead letter again: nothing new.
    assert_eq!(w.deliver(&body, QueueKind::DeadLetter, 0), Decision::Ack);
    assert_eq!(w.pipeline.check_ends.borrow().len(), ends.len());
    assert_eq!(w.sim.borrow().notes.len(), notes.len());
}

#[test]
fn a_stale_run_closes_its_check_as_superseded() {
    let (mut w, body) = World::opened();
    let sim = w.sim.clone();
    *w.pipeline.during_run.borrow_mut() = Some(Box::new(move || {
        sim.borrow_mut().send(review("push", Synchronize, "h1"));
    }));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert!(matches!(&w.pipeline.check_ends.borrow()[..], [(501, CheckEnd::Superseded { current_head: Some(h) })] if *h == sha("h1")));
}

#[test]
fn a_permanent_failure_closes_the_check_neutral_with_the_reason() {
    let (mut w, body) = World::opened();
    w.pipeline.runs.borrow_mut().push_back(Err(PipelineError::permanent("installation suspended")));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert!(matches!(&w.pipeline.check_ends.borrow()[..], [(501, CheckEnd::Failed { reason })] if reason == "installation suspended"));
}

fn verify_body(w: &World, delivery: &str, command: argus_core::signal::Command) -> serde_json::Value {
    w.sim.borrow_mut().verify_commands = false;
    w.sim.borrow_mut().send(crate::sim::command(delivery, command));
    let v = w.sim.borrow().verifications.last().cloned().expect("a permission check was queued");
    serde_json::to_value(QueueMessage::Verify(v)).unwrap()
}

#[test]
fn permission_checks_run_or_drop_the_command() {
    use argus_core::signal::Command;
    let (mut w, _) = World::opened();
    // Denied: the pause never happens, and nobody is told.
    let body = verify_body(&w, "cmd-1", Command::Pause);
    *w.pipeline.permission.borrow_mut() = Some(Ok((false, "read".into())));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert!(!w.status().paused);
    assert!(w.sim.borrow().notes.is_empty());
    // GitHub unavailable: retried, the command still waits.
    let body = verify_body(&w, "cmd-2", Command::Pause);
    *w.pipeline.permission.borrow_mut() = Some(Err(PipelineError::retryable("GitHub answered 502", Some(30))));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Retry { delay_secs: 30 });
    assert!(!w.status().paused);
    // Allowed: the pause takes effect.
    *w.pipeline.permission.borrow_mut() = Some(Ok((true, "maintain".into())));
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert!(w.status().paused);
    // A permission check that keeps failing ends in the dead-letter queue, where it is dropped.
    assert_eq!(w.deliver(&body, QueueKind::DeadLetter, 0), Decision::Ack);
    assert!(w.logs.iter().any(|l| l.step == "verify_dropped"));
}

#[test]
fn notes_are_posted_then_leave_the_outbox() {
    let (mut w, _) = World::opened();
    w.sim.borrow_mut().send(crate::sim::command("cmd-h", argus_core::signal::Command::Help));
    let st = w.sim.borrow().m.state().clone();
    let notify = Notify {
        pr: st.pr.clone().unwrap(),
        installation: st.installation.unwrap(),
        notes: vec!["help".into()],
        reactions: vec![],
        outbox_ids: st.outbox.iter().map(|o| o.id).collect(),
    };
    assert_eq!(w.status().pending_notes.len(), 2);
    let body = serde_json::to_value(QueueMessage::Notify(notify)).unwrap();
    assert_eq!(w.deliver(&body, QueueKind::Review, 0), Decision::Ack);
    assert_eq!(w.pipeline.notified.borrow().len(), 1);
    assert!(w.status().pending_notes.is_empty(), "{:?}", w.status().pending_notes);
    // After the queue gave up on a notify message, it is dropped (the outbox still shows what was lost).
    assert_eq!(w.deliver(&body, QueueKind::DeadLetter, 0), Decision::Ack);
    assert_eq!(w.pipeline.notified.borrow().len(), 1);
}

#[test]
fn a_reviewed_pr_that_closes_has_its_findings_counted_once_and_shown() {
    let (mut w, body) = World::opened();
    assert_eq!(w.deliver(&body, QueueKind::Review, 1), Decision::Ack);
    assert_eq!(w.status().acted_on, None);
    w.sim.borrow_mut().send(crate::sim::inbound("close", argus_core::signal::Signal::Closed { merged: true }));
    let outcomes = w.sim.borrow().outcomes.clone();
    assert_eq!(outcomes.len(), 1, "one count per close");
    assert!(outcomes[0].merged);
    let body = serde_json::to_value(QueueMessage::Outcome(outcomes[0].clone())).unwrap();
    assert_eq!(body["v"], "outcome/1");

    // GitHub cannot be read now: retried, nothing recorded.
    *w.pipeline.acted.borrow_mut() = Some(Err(PipelineError::retryable("threads unavailable", Some(30))));
    assert!(matches!(w.deliver(&body, QueueKind::Review, 2), Decision::Retry { delay_secs } if delay_secs >= 30));
    assert_eq!(w.status().acted_on, None);
    *w.pipeline.acted.borrow_mut() = None;
    assert_eq!(w.deliver(&body, QueueKind::Review, 3), Decision::Ack);
    assert_eq!(w.status().acted_on, Some(ActedOn { merged: true, findings: 3, addressed: 1, liked: 2, disliked: 1 }));
    assert!(w.status().to_html().contains("<th>findings acted on</th><td>1 of 3 (33 %)</td>"));
    assert!(w.status().to_html().contains("<th>reactions on findings</th><td>👍 on 2 · 👎 on 1 of 3 findings</td>"));
    // After the queue gave up, the message is dropped and said so.
    assert_eq!(w.deliver(&body, QueueKind::DeadLetter, 4), Decision::Ack);
    assert!(w.logs.iter().any(|l| l.step == "outcome_dropped"));
}

#[test]
fn a_pr_closed_before_any_review_has_nothing_to_count() {
    let sim = Rc::new(RefCell::new(Sim::new(Config::default())));
    sim.borrow_mut().send(review("open", Opened, "h0"));
    sim.borrow_mut().send(crate::sim::inbound("close", argus_core::signal::Signal::Closed { merged: false }));
    assert!(sim.borrow().outcomes.is_empty());
}

/// A thread's answer: the coordinator counts it only when the consumer says it
/// was posted, a retryable failure is retried, and a skip frees the thread.
#[test]
fn a_reply_is_posted_then_counted_and_a_skip_is_not() {
    use argus_core::signal::ReplyIntent;
    let sim = Rc::new(RefCell::new(Sim::new(Config::default())));
    let link = MemLink { sim: sim.clone(), down: Cell::new(false), calls: Cell::new(0) };
    let mut w = World { sim, link, pipeline: Script::default(), policy: RetryPolicy { base_secs: 10, max_secs: 3600 }, logs: vec![] };
    w.sim.borrow_mut().send(thread_reply("r1", 11, 10, ReplyIntent::Plain));
    w.sim.borrow_mut().advance(10_000);
    let job = w.sim.borrow().replies[0].clone();
    let body = serde_json::to_value(QueueMessage::Reply(job.clone())).unwrap();
    w.pipeline.reply_outcomes.borrow_mut().push_back(Err(PipelineError::retryable("GitHub 502", None)));
    assert!(matches!(w.deliver(&body, QueueKind::Review, 1), Decision::Retry { .. }));
    assert_eq!(w.sim.borrow().m.state().replies_in_flight.len(), 1, "still in flight while retried");
    assert_eq!(w.deliver(&body, QueueKind::Review, 1), Decision::Ack);
    assert_eq!(w.pipeline.replied.borrow().len(), 2);
    let st = w.sim.borrow().m.state().clone();
    assert_eq!((st.replies_answered, st.replies_in_flight.len()), (1, 0));

    w.sim.borrow_mut().send(thread_reply("r2", 12, 10, ReplyIntent::Plain));
    w.sim.borrow_mut().advance(10_000);
    let job = w.sim.borrow().replies[1].clone();
    w.pipeline.reply_outcomes.borrow_mut().push_back(Ok(ReplyOutcome::Skipped("not ArgusAI's thread".into())));
    assert_eq!(w.deliver(&serde_json::to_value(QueueMessage::Reply(job)).unwrap(), QueueKind::Review, 1), Decision::Ack);
    let st = w.sim.borrow().m.state().clone();
    assert_eq!((st.replies_answered, st.replies_in_flight.len()), (1, 0), "a skip is not counted");
    assert!(w.logs.iter().any(|l| l.step == "reply_skipped"));
}
