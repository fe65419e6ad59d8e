//! Answers in review threads under simulated time: dedupe, the per-thread
//! debounce, serialization with reviews, and the per-PR and hourly bounds
//! with their one note.

use crate::sim::*;
use argus_coordinator::Config;
use argus_core::event::PrAction::*;
use argus_core::job::ReplyLimit;
use argus_core::signal::ReplyIntent::{self, *};

fn sim() -> Sim {
    Sim::new(Config::default())
}

/// Sends a reply in thread `root` and lets its debounce pass; returns how many answers went on the queue.
fn reply_and_wait(s: &mut Sim, delivery: &str, comment: u64, root: u64, intent: ReplyIntent) -> usize {
    let before = s.replies.len();
    s.send(thread_reply(delivery, comment, root, intent));
    s.advance(60_000);
    s.replies.len() - before
}

#[test]
fn a_burst_in_one_thread_gets_one_answer_for_its_newest_comment() {
    let mut s = sim();
    s.send(thread_reply("d1", 101, 100, Plain));
    s.advance(2_000);
    s.send(thread_reply("d2", 102, 100, Fix));
    s.advance(2_000);
    s.send(thread_reply("d3", 103, 100, Plain));
    // Another thread is debounced on its own.
    s.send(thread_reply("d4", 201, 200, Explain));
    s.advance(4_999);
    assert!(s.replies.is_empty(), "the window is still open");
    s.advance(1);
    assert_eq!(s.replies.len(), 2);
    let a = &s.replies[0];
    assert_eq!((a.root_id, a.comment_id, a.intent, a.limit), (100, 103, Fix, None), "a later plain reply keeps the fix ask");
    assert_eq!((s.replies[1].root_id, s.replies[1].intent), (200, Explain));
    assert_eq!(s.alarm, None, "nothing left to wake for");
}

#[test]
fn the_same_delivery_twice_is_answered_once() {
    let mut s = sim();
    assert_eq!(reply_and_wait(&mut s, "d1", 11, 10, Plain), 1);
    let id = s.replies[0].reply_id;
    s.reply_done(id, true);
    assert_eq!(reply_and_wait(&mut s, "d1", 11, 10, Plain), 0);
}

#[test]
fn a_thread_waits_for_its_answer_in_flight_and_for_a_running_review() {
    let mut s = sim();
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    s.lease(&job).unwrap();
    assert_eq!(reply_and_wait(&mut s, "d1", 11, 10, Plain), 0, "serialized behind the review");
    s.run_job_leased(&job);
    assert_eq!(s.replies.len(), 1, "the review's end dispatches the answer");
    // A follow-up in the same thread waits until that answer is done.
    assert_eq!(reply_and_wait(&mut s, "d2", 12, 10, Plain), 0);
    let id = s.replies[0].reply_id;
    s.reply_done(id, true);
    assert_eq!(s.replies.len(), 2);
    assert_eq!(s.replies[1].comment_id, 12);
}

#[test]
fn a_due_review_waits_for_the_answer_in_flight_and_answers_due_meanwhile_wait_for_the_review() {
    let mut s = sim();
    assert_eq!(reply_and_wait(&mut s, "d1", 11, 10, Plain), 1);
    let id = s.replies[0].reply_id;
    // A push while the answer is being written: its review is due after the debounce, but waits.
    s.send(review("push", Synchronize, "h1"));
    s.advance(30_000);
    assert!(s.queue.is_empty(), "no review while an answer is in flight");
    // A reply in another thread, due meanwhile, waits for that review.
    s.send(thread_reply("d2", 21, 20, Plain));
    s.advance(10_000);
    assert_eq!(s.replies.len(), 1);
    // The answer is done: the review starts at once, and the other answer after it.
    s.reply_done(id, true);
    assert_eq!(s.queue.len(), 1);
    assert_eq!(s.replies.len(), 1, "the review goes first");
    let job = s.last_job();
    s.run_job(&job);
    assert_eq!(s.replies.len(), 2);
    assert_eq!(s.replies[1].root_id, 20);
}

#[test]
fn an_answer_whose_report_never_comes_holds_a_review_back_for_reply_hold_ms_only() {
    let mut s = sim();
    let hold = Config::default().reply_hold_ms;
    assert_eq!(reply_and_wait(&mut s, "d1", 11, 10, Plain), 1);
    // Queued when the thread's debounce ended.
    let sent = s.now - 60_000 + Config::default().reply_debounce_ms;
    s.send(review("push", Synchronize, "h1"));
    s.advance(sent + hold - s.now - 1);
    assert!(s.queue.is_empty());
    assert_eq!(s.alarm, Some(sent + hold), "the coordinator wakes when the hold ends");
    s.advance(1);
    assert_eq!(s.queue.len(), 1, "the review starts when the hold ends");
}

#[test]
fn the_per_pr_bound_is_noted_once_and_counts_only_posted_answers() {
    let mut s = Sim::new(Config { replies_max_per_pr: 2, ..Config::default() });
    for (i, answered) in [(1u64, false), (2, true), (3, true)] {
        assert_eq!(reply_and_wait(&mut s, &format!("d{i}"), 10 + i, 10, Plain), 1);
        let id = s.replies.last().unwrap().reply_id;
        s.reply_done(id, answered);
    }
    assert_eq!(s.m.state().replies_answered, 2, "the skipped one did not count");
    // Over the bound: one note, then silence.
    assert_eq!(reply_and_wait(&mut s, "d4", 14, 10, Plain), 1);
    assert_eq!(s.replies.last().unwrap().limit, Some(ReplyLimit::PerPr { max: 2 }));
    assert_eq!(reply_and_wait(&mut s, "d5", 15, 20, Question), 0);
    assert_eq!(reply_and_wait(&mut s, "d6", 16, 10, Plain), 0);
}

#[test]
fn the_hourly_bound_is_noted_once_per_window() {
    let mut s = Sim::new(Config { replies_max_per_hour: 2, ..Config::default() });
    for i in 1..=2u64 {
        reply_and_wait(&mut s, &format!("d{i}"), 10 + i, 10 * i, Plain);
        let id = s.replies.last().unwrap().reply_id;
        s.reply_done(id, true);
    }
    assert_eq!(reply_and_wait(&mut s, "d3", 13, 30, Plain), 1);
    assert_eq!(s.replies.last().unwrap().limit, Some(ReplyLimit::PerHour { max: 2 }));
    assert_eq!(reply_and_wait(&mut s, "d4", 14, 40, Plain), 0, "noted once");
    s.advance(3_600_000);
    assert_eq!(reply_and_wait(&mut s, "d5", 15, 50, Plain), 1);
    assert_eq!(s.replies.last().unwrap().limit, None, "a new hour answers again");
}

#[test]
fn the_repositorys_bounds_replace_the_defaults_once_a_review_read_them() {
    use argus_coordinator::machine::Event;
    use argus_coordinator::protocol::*;
    let mut s = sim();
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    let lease = s.lease(&job).unwrap();
    s.head_check(&job, &lease);
    let settings = RepoSettings { replies_max_per_pr: Some(0), ..Default::default() };
    let stats = ReviewStats::default();
    s.send(Event::JobFinished(JobFinished { job_id: job.job_id.clone(), lease_id: lease, stats, finish: Finish::Posted, settings }));
    assert_eq!(reply_and_wait(&mut s, "d1", 11, 10, Plain), 1);
    assert_eq!(s.replies[0].limit, Some(ReplyLimit::PerPr { max: 0 }));
}

#[test]
fn a_stored_state_without_reply_fields_still_loads() {
    let st: argus_coordinator::PrState = serde_json::from_str(r#"{"paused":true}"#).unwrap();
    assert!(st.pending_replies.is_empty() && st.replies_answered == 0);
}
