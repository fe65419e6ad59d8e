//! Dashboard actions under simulated time: each is recorded in the PR's action
//! history; a replay of a dead-lettered job yields exactly one review, once.

use crate::sim::*;
use argus_coordinator::Config;
use argus_coordinator::machine::{Event, Outcome, Reply};
use argus_coordinator::operator::{OperatorAction, OperatorReply, OperatorRequest};
use argus_coordinator::protocol::*;
use argus_core::error::ErrorClass;
use argus_core::event::PrAction::*;
use argus_core::job::ReviewMode;

fn act(s: &mut Sim, action: OperatorAction) -> OperatorReply {
    match s.send(Event::Operator(OperatorRequest { action, actor: "maintainer-1".into() })) {
        Reply::Operator(r) => r,
        other => panic!("expected an operator reply, got {other:?}"),
    }
}

/// A PR whose first job ran out of retries and was dead-lettered; returns its job id.
fn dead_lettered(s: &mut Sim) -> String {
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    let lease = s.lease(&job).unwrap();
    s.fail(&job, &lease, ErrorClass::Retryable { after_secs: None }, "GitHub answered 502");
    s.send(Event::DeadLettered(DeadLettered { job_id: job.job_id.clone(), reason: "retries exhausted".into() }));
    assert_eq!(s.m.state().history.back().unwrap().outcome, Outcome::DeadLettered);
    job.job_id
}

#[test]
fn replaying_a_dead_lettered_job_makes_exactly_one_review() {
    let mut s = Sim::new(Config::default());
    let dead = dead_lettered(&mut s);
    assert_eq!(s.queue.len(), 1);
    let r = act(&mut s, OperatorAction::Replay { job_id: dead.clone() });
    assert!(r.accepted, "{r:?}");
    assert_eq!(s.queue.len(), 2, "the replay starts a review at once");
    let job = s.last_job();
    assert_eq!((job.head_sha.clone(), job.mode), (sha("h0"), ReviewMode::Full));
    // A second click, or a second tab, is refused and enqueues nothing.
    let again = act(&mut s, OperatorAction::Replay { job_id: dead.clone() });
    assert!(!again.accepted && again.note.contains("already replayed"), "{again:?}");
    assert!(s.run_job(&job));
    s.advance(120_000);
    assert_eq!(s.queue.len(), 2, "one review, nothing more");
    let log = &s.m.state().operator_log;
    assert_eq!(
        log.iter().map(|r| (r.action.as_str(), r.accepted, r.actor.as_str())).collect::<Vec<_>>(),
        [("replay", true, "maintainer-1"), ("replay", false, "maintainer-1")]
    );
    assert_eq!(log[0].job_id.as_deref(), Some(dead.as_str()));
    assert_eq!(s.m.state().replayed.len(), 1);
}

#[test]
fn a_replay_while_a_review_of_the_head_runs_is_served_by_it() {
    let mut s = Sim::new(Config::default());
    let dead = dead_lettered(&mut s);
    s.send(review("push", Synchronize, "h1"));
    s.advance(10_000);
    let running = s.last_job();
    s.lease(&running).unwrap();
    let r = act(&mut s, OperatorAction::Replay { job_id: dead });
    assert!(r.accepted && r.note.contains("already under way"), "{r:?}");
    assert_eq!(s.queue.len(), 2, "no second job for the same head");
}

#[test]
fn only_dead_lettered_jobs_of_this_pr_can_be_replayed() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    s.run_job(&job);
    for id in [job.job_id.clone(), "99-1".to_string()] {
        let r = act(&mut s, OperatorAction::Replay { job_id: id });
        assert!(!r.accepted && r.note.contains("no dead-lettered job"), "{r:?}");
    }
    assert_eq!(s.queue.len(), 1);
}

#[test]
fn review_pause_and_resume_from_the_dashboard() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    s.run_job(&j);
    // Nothing new: an incremental review is refused, a full one runs.
    assert!(!act(&mut s, OperatorAction::Review).accepted);
    assert!(act(&mut s, OperatorAction::FullReview).accepted);
    assert_eq!(s.last_job().mode, ReviewMode::Full);
    // A second full review while the first is under way is refused.
    let j = s.last_job();
    s.lease(&j).unwrap();
    assert!(!act(&mut s, OperatorAction::FullReview).accepted);
    s.run_job_leased(&j);
    assert!(act(&mut s, OperatorAction::Pause).accepted);
    assert!(!act(&mut s, OperatorAction::Pause).accepted, "already paused");
    s.send(review("p1", Synchronize, "h1"));
    s.advance(60_000);
    assert_eq!(s.queue.len(), 2, "paused: no automatic review");
    assert!(act(&mut s, OperatorAction::Resume).accepted);
    assert_eq!(s.queue.len(), 3, "resume reviews the unreviewed head");
    assert_eq!(s.notes.len(), 2, "pause and resume are noted on the PR");
    assert!(s.notes[0].contains("paused from the ArgusAI dashboard by `maintainer-1`"), "{}", s.notes[0]);
    assert_eq!(s.m.state().operator_log.len(), 6);
}

#[test]
fn actions_on_an_unknown_pr_are_refused() {
    let mut s = Sim::new(Config::default());
    let reply = s.send(Event::Operator(OperatorRequest { action: OperatorAction::Review, actor: "x".into() }));
    assert!(matches!(reply, Reply::Error(ErrorReply { code: ErrorCode::UnknownPr, .. })), "{reply:?}");
}
