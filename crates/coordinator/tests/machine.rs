//! The coordinator's behaviour under simulated time: dedupe, coalescing,
//! leases, superseded jobs, commands, close, and every illegal input answered.

use crate::sim::*;
use argus_coordinator::machine::{Event, Outcome, Reply};
use argus_coordinator::protocol::*;
use argus_coordinator::{Config, StatusView};
use argus_core::error::ErrorClass;
use argus_core::event::PrAction::{self, *};
use argus_core::ids::UnixMillis;
use argus_core::job::ReviewMode;
use argus_core::signal::{Command, InboundReply, Signal};

fn accepted(reply: &Reply) -> bool {
    matches!(reply, Reply::Inbound(InboundReply { accepted: true, .. }))
}

#[test]
fn a_hundred_copies_of_one_delivery_make_one_job() {
    let mut s = Sim::new(Config::default());
    let replies: Vec<Reply> = (0..100).map(|_| s.send(review("d-1", Opened, "c1"))).collect();
    assert!(accepted(&replies[0]));
    assert!(replies[1..].iter().all(|r| matches!(r, Reply::Inbound(InboundReply { accepted: false, .. }))));
    s.advance(60_000);
    assert_eq!(s.queue.len(), 1, "exactly one job");
    assert_eq!(s.queue[0].head_sha, sha("c1"));
    assert_eq!(s.m.state().duplicates_ignored, 99);
    assert_eq!(s.persists, 1, "duplicates cost no storage write");
}

#[test]
fn delivery_ids_are_remembered_for_a_day_then_forgotten() {
    let mut s = Sim::new(Config::default());
    s.send(command("d-1", Command::Help));
    // (offset from the first sighting, still a duplicate?)
    for (offset_h, dup) in [(1, true), (23, true), (24, false)] {
        s.now = T0 + offset_h * 3_600_000;
        let reply = s.send(command("d-1", Command::Help));
        assert_eq!(!accepted(&reply), dup, "after {offset_h} h");
    }
}

/// Coalescing windows as data: (debounce s, first trigger, push offsets in ms,
/// expected (enqueue time offset, head label) per job). Each job is run at once
/// by a well-behaved consumer so later windows start clean.
#[test]
fn coalescing_windows() {
    type Case = (u64, PrAction, &'static [u64], &'static [(u64, &'static str)]);
    let cases: &[Case] = &[
        // `opened` with no prior review starts promptly; then pushes are debounced.
        (5, Opened, &[], &[(0, "h0")]),
        (5, Synchronize, &[], &[(5_000, "h0")]),
        // 10 pushes inside the window → one job, on the newest head.
        (5, Synchronize, &[500, 1_000, 1_500, 2_000, 2_500, 3_000, 3_500, 4_000, 4_500], &[(9_500, "h9")]),
        // Two bursts separated by more than the window → two jobs.
        (5, Synchronize, &[1_000, 20_000, 21_000], &[(6_000, "h1"), (26_000, "h3")]),
        // A push every 4 s would postpone a trailing window forever; max wait (6 × 5 s) caps it.
        (5, Synchronize, &[4_000, 8_000, 12_000, 16_000, 20_000, 24_000, 28_000, 32_000], &[(30_000, "h7"), (37_000, "h8")]),
        // Debounce 0: every push is its own review.
        (0, Synchronize, &[10, 20], &[(0, "h0"), (10, "h1"), (20, "h2")]),
        // opened promptly, then a push storm right after → a second, debounced job.
        (5, Opened, &[100, 200, 300], &[(0, "h0"), (5_300, "h3")]),
    ];
    for (debounce, first, offsets, want) in cases {
        let mut s = Sim::new(Config::with_debounce_secs(*debounce));
        let mut jobs_run = 0;
        let mut events: Vec<(u64, PrAction)> = vec![(0, *first)];
        events.extend(offsets.iter().map(|o| (*o, Synchronize)));
        // A consumer that runs each job the moment it is enqueued.
        let drive_to = |s: &mut Sim, jobs_run: &mut usize, until: u64| loop {
            let next = s.alarm.filter(|&a| a <= until).unwrap_or(until).max(s.now);
            s.advance(next - s.now);
            while *jobs_run < s.queue.len() {
                let job = s.queue[*jobs_run].clone();
                s.run_job(&job);
                *jobs_run += 1;
            }
            if s.now >= until {
                break;
            }
        };
        for (i, (at, trigger)) in events.iter().enumerate() {
            drive_to(&mut s, &mut jobs_run, T0 + at);
            s.send(review(&format!("d{i}"), *trigger, &format!("h{i}")));
            let now = s.now;
            drive_to(&mut s, &mut jobs_run, now);
        }
        let end = s.now + 100_000;
        drive_to(&mut s, &mut jobs_run, end);
        let got: Vec<(u64, String)> = s.queue.iter().map(|j| (j.enqueued_at.0 - T0, j.head_sha.to_string())).collect();
        let want: Vec<(u64, String)> = want.iter().map(|(t, h)| (*t, sha(h).to_string())).collect();
        assert_eq!(got, want, "debounce {debounce}s, {first:?} then {offsets:?}");
        assert_eq!(s.phase(), "idle");
    }
}

#[test]
fn push_storm_during_a_review_supersedes_it_and_reviews_only_the_final_head() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let first = s.last_job();
    let lease = s.lease(&first).unwrap();
    for i in 1..=20 {
        s.advance(100);
        s.send(review(&format!("push{i}"), Synchronize, &format!("h{i}")));
    }
    assert!(s.m.state().job.as_ref().unwrap().superseded);
    assert_eq!(s.queue.len(), 1, "nothing new while the first job holds the lease");
    // The first consumer finishes: the guard says stale, so it does not post.
    assert_eq!(s.head_check(&first, &lease), Reply::Head(HeadReply::Stale { current_head: Some(sha("h20")) }));
    assert!(matches!(s.finish(&first, &lease, false), Reply::Report(ReportReply { recorded: true, .. })));
    s.advance(60_000);
    assert_eq!(s.queue.len(), 2);
    let second = s.last_job();
    assert_eq!((second.head_sha.clone(), second.mode), (sha("h20"), ReviewMode::Full));
    assert_eq!(second.deliveries.len(), 20);
    assert!(s.run_job(&second));
    let st = s.m.state();
    assert_eq!(st.last_reviewed_sha, Some(sha("h20")));
    assert_eq!(st.coalesced_pushes, 19);
    let outcomes: Vec<Outcome> = st.history.iter().map(|h| h.outcome).collect();
    assert_eq!(outcomes, [Outcome::Superseded, Outcome::Posted]);
    assert_eq!(st.history[0].tokens_in, Some(1200), "a superseded run's cost is recorded");
}

#[test]
fn a_push_before_the_job_is_leased_cancels_it() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let stale = s.last_job();
    s.send(review("push", Synchronize, "h1"));
    assert_eq!(s.lease(&stale), Err(Reply::Lease(LeaseReply::Denied { reason: DenyReason::Superseded })));
    s.advance(5_000);
    let next = s.last_job();
    assert_eq!((s.queue.len(), next.head_sha.clone()), (2, sha("h1")));
    assert_eq!(s.m.state().history[0].outcome, Outcome::Cancelled);
}

#[test]
fn incremental_reviews_start_from_the_last_reviewed_head() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    s.run_job(&j);
    s.send(review("push", Synchronize, "h1"));
    s.advance(5_000);
    let j = s.last_job();
    assert_eq!((j.mode, j.since_sha.clone()), (ReviewMode::Incremental, Some(sha("h0"))));
    // The same head again (another delivery) is not reviewed twice.
    s.run_job(&j);
    s.send(review("again", Synchronize, "h1"));
    s.advance(60_000);
    assert_eq!(s.queue.len(), 2);
}

#[test]
fn an_expired_lease_reruns_the_job_once_then_fails() {
    let cfg = Config { lease_ms: 60_000, ..Config::default() };
    let mut s = Sim::new(cfg);
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    let dead_lease = s.lease(&job).unwrap();
    assert_eq!(s.lease(&job), Err(Reply::Lease(LeaseReply::Denied { reason: DenyReason::Busy })), "a duplicate message waits");
    s.advance(59_999);
    assert_eq!(s.queue.len(), 1);
    s.advance(1);
    assert_eq!(s.queue.len(), 2, "rerun enqueued at expiry");
    let rerun = s.last_job();
    assert_eq!((rerun.job_id.clone(), rerun.attempt), (job.job_id.clone(), 2));
    assert_eq!(s.phase(), "queued");
    // The dead consumer wakes up: its lease is gone and its old message is refused.
    assert!(matches!(s.head_check(&job, &dead_lease), Reply::Error(ErrorReply { code: ErrorCode::StaleLease, .. })));
    assert_eq!(s.lease(&job), Err(Reply::Lease(LeaseReply::Denied { reason: DenyReason::StaleAttempt })));
    let _second = s.lease(&rerun).unwrap();
    assert_eq!(s.m.state().attempts, 2, "the rerun counts as an attempt");
    s.advance(60_000);
    assert_eq!(s.queue.len(), 2, "no second rerun");
    assert_eq!(s.phase(), "failed");
    assert!(s.m.state().last_error.as_deref().unwrap().contains("lease expired: no report within 60 s, again after a rerun"));
}

/// Regression (found end to end, tests/e2e/coordinator.test.mjs "lease-publish"):
/// a run that passed the stale-head guard near the end of its lease lost the
/// lease while posting, the job was rerun, and the PR got the review twice.
#[test]
fn passing_the_head_check_renews_the_lease_for_publishing() {
    let mut s = Sim::new(Config { lease_ms: 60_000, ..Config::default() });
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    let lease = s.lease(&job).unwrap();
    s.advance(59_000);
    assert_eq!(s.head_check(&job, &lease), Reply::Head(HeadReply::Current));
    assert_eq!(s.alarm, Some(T0 + 59_000 + 60_000), "the alarm follows the renewed lease");
    // Publishing takes longer than what was left of the first lease.
    s.advance(30_000);
    assert_eq!((s.queue.len(), s.phase()), (1, "running"), "no rerun while the run publishes");
    assert!(matches!(s.finish(&job, &lease, true), Reply::Report(ReportReply { recorded: true, .. })));
    let outcomes: Vec<Outcome> = s.m.state().history.iter().map(|h| h.outcome).collect();
    assert_eq!(outcomes, [Outcome::Posted]);
    // A renewed lease still expires: a run that dies while publishing is rerun.
    s.send(review("push", Synchronize, "h1"));
    s.advance(5_000);
    let next = s.last_job();
    let lease = s.lease(&next).unwrap();
    assert_eq!(s.head_check(&next, &lease), Reply::Head(HeadReply::Current));
    s.advance(60_000);
    assert_eq!((s.queue.len(), s.last_job().attempt), (3, 2), "rerun after the renewed lease expired");
}

/// A stale answer does not renew: that run will not post, only report.
#[test]
fn a_stale_head_check_does_not_renew_the_lease() {
    let mut s = Sim::new(Config { lease_ms: 60_000, debounce_ms: 1_000, ..Config::default() });
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    let lease = s.lease(&job).unwrap();
    s.send(review("push", Synchronize, "h1"));
    s.advance(59_000);
    assert!(matches!(s.head_check(&job, &lease), Reply::Head(HeadReply::Stale { .. })));
    s.advance(1_000);
    assert!(matches!(s.finish(&job, &lease, false), Reply::Error(_)), "the lease ended at its first expiry");
}

#[test]
fn a_job_lost_on_the_way_to_the_queue_is_rerun_once_then_fails() {
    let mut s = Sim::new(Config { queue_timeout_ms: 7_200_000, ..Config::default() });
    s.send(review("open", Opened, "h0"));
    // The message never reaches a consumer (the object died after its storage write).
    s.advance(7_199_999);
    assert_eq!((s.queue.len(), s.phase()), (1, "queued"));
    s.advance(1);
    assert_eq!((s.queue.len(), s.last_job().attempt), (2, 2));
    s.advance(7_200_000);
    assert_eq!((s.queue.len(), s.phase()), (2, "failed"));
    assert!(s.m.state().last_error.as_deref().unwrap().starts_with("queue timeout"));
}

#[test]
fn a_job_waiting_out_a_retry_backoff_is_not_taken_for_lost() {
    let mut s = Sim::new(Config { queue_timeout_ms: 7_200_000, ..Config::default() });
    s.send(review("open", Opened, "h0"));
    s.advance(7_000_000);
    let job = s.last_job();
    let lease = s.lease(&job).unwrap();
    s.fail(&job, &lease, ErrorClass::Retryable { after_secs: Some(3600) }, "secondary rate limit");
    // The waiting clock restarts at the failure: one hour of backoff later the job is still the same.
    s.advance(3_600_000);
    assert_eq!(s.queue.len(), 1);
    assert!(s.run_job(&job));
}

#[test]
fn the_rerun_after_expiry_can_succeed_and_the_late_report_is_only_recorded() {
    let mut s = Sim::new(Config { lease_ms: 1_000, ..Config::default() });
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    let slow = s.lease(&job).unwrap();
    s.advance(1_000);
    let rerun = s.last_job();
    assert!(s.run_job(&rerun));
    assert!(matches!(s.finish(&job, &slow, true), Reply::Error(ErrorReply { code: ErrorCode::NotRunning, .. })));
    let outcomes: Vec<Outcome> = s.m.state().history.iter().map(|h| h.outcome).collect();
    assert_eq!(outcomes, [Outcome::Posted, Outcome::Late]);
    assert_eq!(s.phase(), "idle");
}

#[test]
fn retryable_failures_keep_the_job_and_permanent_ones_end_it() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    for n in 1..=3 {
        let lease = s.lease(&job).unwrap();
        let reply = s.fail(&job, &lease, ErrorClass::Retryable { after_secs: None }, "GitHub answered 502");
        assert_eq!(reply, Reply::Report(ReportReply { recorded: true, retry: true, failures: n }));
        assert_eq!(s.phase(), "queued");
    }
    let lease = s.lease(&job).unwrap();
    assert_eq!(s.m.state().attempts, 4);
    s.fail(&job, &lease, ErrorClass::Permanent, "repository not accessible");
    assert_eq!(s.phase(), "failed");
    assert_eq!(s.m.state().last_error.as_deref(), Some("repository not accessible"));
    // A user-fixable error is also said on the PR.
    s.send(command("c", Command::FullReview));
    let job = s.last_job();
    let lease = s.lease(&job).unwrap();
    s.fail(&job, &lease, ErrorClass::User, "the pull request is too large (3000 files)");
    assert!(s.notes.last().unwrap().contains("too large"));
}

#[test]
fn dead_letter_marks_the_review_failed_with_the_reason() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let job = s.last_job();
    for _ in 0..5 {
        let lease = s.lease(&job).unwrap();
        s.fail(&job, &lease, ErrorClass::Retryable { after_secs: Some(30) }, "model rate limited");
    }
    let lease = s.lease(&job).unwrap();
    s.send(Event::JobStarted(JobStarted { job_id: job.job_id.clone(), lease_id: lease.clone(), check_run: 77 }));
    s.fail(&job, &lease, ErrorClass::Retryable { after_secs: Some(30) }, "model rate limited");
    let notes_before = s.notes.len();
    let reply = s.send(Event::DeadLettered(DeadLettered { job_id: job.job_id.clone(), reason: "retries exhausted".into() }));
    // The consumer gets the check run to close, and the PR one note saying what failed and how to retry.
    assert_eq!(reply, Reply::DeadLetter(DeadLetterReply { recorded: true, check_run: Some(77), reason: "model rate limited".into() }));
    assert_eq!(s.notes.len(), notes_before + 1);
    let note = s.notes.last().unwrap();
    assert!(note.contains("gave up after 6 attempts") && note.contains("model rate limited") && note.contains("`@argusai review`"), "{note}");
    let status = StatusView::of(s.m.state(), None, UnixMillis(s.now)).unwrap();
    assert_eq!(status.state, "failed");
    assert_eq!(status.last_error.as_deref(), Some("dead-lettered after 6 failed attempts: retries exhausted (last error: model rate limited)"));
    assert_eq!(status.history.last().unwrap().outcome, Outcome::DeadLettered);
    // A later dead letter for the same job changes nothing.
    let again = s.send(Event::DeadLettered(DeadLettered { job_id: job.job_id.clone(), reason: "x".into() }));
    assert!(matches!(again, Reply::DeadLetter(DeadLetterReply { recorded: false, .. })));
    assert_eq!(s.notes.len(), notes_before + 1, "one note per dead letter");
    // A new push gets the PR going again.
    s.send(review("push", Synchronize, "h1"));
    s.advance(5_000);
    assert_eq!(s.phase(), "queued");
}

#[test]
fn pause_stops_automatic_reviews_and_resume_catches_up() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    s.run_job(&j);
    s.send(review("p1", Synchronize, "h1"));
    s.send(command("pause", Command::Pause));
    assert_eq!(s.phase(), "idle", "the pending automatic review is dropped");
    s.send(review("p2", Synchronize, "h2"));
    s.advance(60_000);
    assert_eq!(s.queue.len(), 1);
    assert!(s.m.state().paused);
    // An explicit command still reviews while paused.
    s.send(command("rev", Command::Review));
    assert_eq!(s.queue.len(), 2);
    let j = s.last_job();
    assert_eq!((j.head_sha.clone(), j.mode), (sha("h2"), ReviewMode::Incremental));
    s.run_job(&j);
    s.send(review("p3", Synchronize, "h3"));
    s.send(command("resume", Command::Resume));
    assert_eq!(s.queue.len(), 3, "resume reviews the unreviewed head at once");
    assert_eq!(s.last_job().head_sha, sha("h3"));
    assert_eq!(s.reactions, [9_001, 9_001, 9_001], "every command gets 👀");
    assert_eq!(s.notes.len(), 2, "paused and resumed notes");
}

#[test]
fn commands_answer_with_notes() {
    // (command, note must contain, jobs enqueued)
    let cases: &[(Command, &str, usize)] = &[
        (Command::Help, "`@argusai full review`", 0),
        (Command::Unknown("dance `now`".into()), "I don't know the command `dance now`", 0),
        (Command::Review, "Nothing new since the last review", 0),
        (Command::FullReview, "", 1),
    ];
    for (cmd, want, jobs) in cases {
        let mut s = Sim::new(Config::default());
        s.send(review("open", Opened, "h0"));
        let j = s.last_job();
        s.run_job(&j);
        s.send(command("c", cmd.clone()));
        assert_eq!(s.queue.len() - 1, *jobs, "{cmd:?}");
        if !want.is_empty() {
            assert!(s.notes.last().is_some_and(|n| n.contains(want)), "{cmd:?}: {:?}", s.notes);
        }
    }
    // A review command before any head is known cannot start a job.
    let mut s = Sim::new(Config::default());
    s.send(command("c", Command::Review));
    assert!(s.queue.is_empty() && s.notes[0].contains("have not seen"));
}

#[test]
fn learnings_commands_go_to_the_consumer_with_their_comment() {
    for (cmd, forget) in [(Command::Learnings, None), (Command::Forget(2), Some(2))] {
        let mut s = Sim::new(Config::default());
        s.send(review("open", Opened, "h0"));
        // Through the permission check, as the shell runs it.
        s.send(command("l", cmd.clone()));
        assert_eq!(s.learnings.len(), 1, "{cmd:?}");
        assert_eq!((s.learnings[0].forget, s.learnings[0].comment_id), (forget, 9_001));
        assert!(s.notes.is_empty(), "the consumer posts the note, not the coordinator");
    }
    assert_eq!(Command::parse("@argusai forget 3", "argusai"), Some(Command::Forget(3)));
    assert_eq!(Command::parse("@argusai learnings", "argusai"), Some(Command::Learnings));
    assert!(matches!(Command::parse("@argusai forget zero", "argusai"), Some(Command::Unknown(_))));
}

#[test]
fn closing_archives_and_cancels_pending_work() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    let lease = s.lease(&j).unwrap();
    s.send(review("push", Synchronize, "h1"));
    s.send(inbound("close", Signal::Closed { merged: true }));
    assert_eq!(s.phase(), "archived");
    assert!(s.m.state().pending.is_none());
    assert_eq!(s.head_check(&j, &lease), Reply::Head(HeadReply::Stale { current_head: Some(sha("h1")) }), "nothing is posted on a closed PR");
    s.finish(&j, &lease, false);
    assert_eq!(s.alarm, None, "no alarm left behind");
    s.send(review("late-push", Synchronize, "h2"));
    s.advance(60_000);
    assert_eq!((s.queue.len(), s.phase()), (1, "archived"));
    // Reopening brings it back.
    s.send(review("reopen", Reopened, "h2"));
    s.advance(5_000);
    assert_eq!((s.queue.len(), s.last_job().head_sha), (2, sha("h2")));
}

/// Drafts are routed and queued like any PR: whether they are reviewed is the
/// repository's `review_drafts`, which the job reads from the base branch. A
/// skipped draft review never counts as reviewed, so `ready_for_review` reviews it.
#[test]
fn drafts_are_decided_by_the_job_and_a_skip_never_counts_as_reviewed() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    s.run_job(&j);
    s.send(inbound("draft", Signal::ConvertedToDraft));
    assert!(s.m.state().draft);
    s.send(review("p2", Synchronize, "h2"));
    s.advance(60_000);
    assert_eq!(s.queue.len(), 2, "the draft's push is queued; its job decides");
    let draft_job = s.last_job();
    assert_eq!(draft_job.actions, [Synchronize]);
    let lease = s.lease(&draft_job).unwrap();
    s.finish_as(&draft_job, &lease, Finish::Skipped { reason: "the pull request is a draft (`review_drafts = false`)".into() });
    let st = s.m.state();
    assert_eq!(st.last_reviewed_sha, Some(sha("h0")), "a skipped run reviewed nothing");
    assert_eq!(st.history.back().unwrap().outcome, Outcome::Skipped);
    assert!(st.history.back().unwrap().note.as_deref().unwrap().contains("review_drafts"));
    assert_eq!(s.phase(), "idle");
    // Ready for review: the same head is reviewed now, incrementally from h0.
    s.send(review("ready", ReadyForReview, "h2"));
    s.advance(5_000);
    let ready = s.last_job();
    assert_eq!((s.queue.len(), ready.head_sha.clone(), ready.since_sha.clone()), (3, sha("h2"), Some(sha("h0"))));
    assert_eq!(ready.actions, [ReadyForReview]);
}

/// The repository's `debounce_seconds`, learned from a review, sets the window of later pushes.
#[test]
fn the_repositorys_debounce_takes_effect_after_a_review_reads_it() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    let lease = s.lease(&j).unwrap();
    let stats = ReviewStats::default();
    s.send(Event::JobFinished(JobFinished {
        job_id: j.job_id,
        lease_id: lease,
        stats,
        finish: Finish::Posted,
        settings: RepoSettings { debounce_ms: Some(30_000), ..Default::default() },
    }));
    s.send(review("p1", Synchronize, "h1"));
    assert_eq!(s.m.state().pending.as_ref().unwrap().due_at, UnixMillis(s.now + 30_000));
    s.advance(29_999);
    assert_eq!(s.queue.len(), 1, "the operator's 5 s no longer applies");
    s.advance(1);
    assert_eq!(s.queue.len(), 2);
}

/// A command waits for its author's permission check; without write access it
/// does nothing at all (no reaction, no note, no review).
#[test]
fn commands_run_only_after_the_authors_write_access_is_confirmed() {
    let mut s = Sim::new(Config::default());
    s.verify_commands = false;
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    s.run_job(&j);
    s.send(review("p1", Synchronize, "h1"));
    s.send(command("c-1", Command::FullReview));
    s.send(command("c-2", Command::Pause));
    assert_eq!(s.verifications.len(), 2);
    assert!(s.reactions.is_empty() && s.notes.is_empty(), "nothing happens before the check");
    assert_eq!(s.verifications[0].author, "maintainer");
    // The pause comes from someone who may only read: dropped silently.
    s.send(Event::CommandVerified(CommandVerified { delivery: s.verifications[1].delivery.clone(), allowed: false, permission: "read".into() }));
    assert!(!s.m.state().paused && s.reactions.is_empty() && s.notes.is_empty());
    // The full review's author may write: 👀 and a full review at once.
    s.send(Event::CommandVerified(CommandVerified { delivery: s.verifications[0].delivery.clone(), allowed: true, permission: "maintain".into() }));
    assert_eq!(s.reactions, [9_001]);
    let full = s.last_job();
    assert_eq!((full.mode, full.head_sha.clone()), (ReviewMode::Full, sha("h1")));
    // A second answer for the same command changes nothing.
    let again =
        s.send(Event::CommandVerified(CommandVerified { delivery: s.verifications[0].delivery.clone(), allowed: true, permission: "write".into() }));
    assert!(matches!(again, Reply::Report(ReportReply { recorded: false, .. })));
    // A command whose check never comes back is forgotten after an hour.
    s.send(command("c-3", Command::Help));
    assert_eq!(s.m.state().pending_commands.len(), 1);
    s.advance(Config::default().command_verify_ttl_ms + 1);
    s.send(review("p9", Synchronize, "h9"));
    assert!(s.m.state().pending_commands.is_empty());
}

/// Notes stay in the outbox (and on the status page) until the consumer reports them posted.
#[test]
fn posted_notes_leave_the_outbox() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    s.send(command("c-1", Command::Help));
    let ids: Vec<u64> = s.m.state().outbox.iter().map(|o| o.id).collect();
    assert_eq!(ids.len(), 2, "the 👀 and the help note");
    let reply = s.send(Event::Notified(Notified { ids: ids[..1].to_vec() }));
    assert!(matches!(reply, Reply::Report(ReportReply { recorded: true, .. })));
    assert_eq!(s.m.state().outbox.iter().map(|o| o.id).collect::<Vec<_>>(), ids[1..]);
    let status = StatusView::of(s.m.state(), None, UnixMillis(s.now)).unwrap();
    assert_eq!(status.pending_notes.len(), 1);
}

#[test]
fn illegal_transitions_are_answered() {
    use argus_core::ids::{PrNumber, PrRef, RepoName};
    let other_pr = {
        let Event::Inbound(mut i) = review("x", Opened, "h0") else { unreachable!() };
        i.pr = PrRef::new(RepoName::new("else", "where"), PrNumber(1));
        Event::Inbound(i)
    };
    let lease = |job: &str, attempt| Event::LeaseRequested(LeaseRequest { job_id: job.into(), attempt });
    let head = |job: &str, lease: &str| Event::HeadCheck(HeadCheckRequest { job_id: job.into(), lease_id: lease.into(), head_sha: sha("h0") });
    let finished = |job: &str, lease: &str| {
        Event::JobFinished(JobFinished {
            job_id: job.into(),
            lease_id: lease.into(),
            stats: ReviewStats::default(),
            finish: Finish::Posted,
            settings: RepoSettings::default(),
        })
    };
    let failed = |job: &str, lease: &str| {
        Event::JobFailed(JobFailed { job_id: job.into(), lease_id: lease.into(), class: ErrorClass::Permanent, reason: "x".into() })
    };
    // (setup: "fresh" | "queued" | "running", event, expected answer)
    enum Want {
        Error(ErrorCode),
        Denied(DenyReason),
        NotRecorded,
    }
    let cases: Vec<(&str, Event, Want)> = vec![
        ("fresh", lease("nope", 1), Want::Denied(DenyReason::UnknownJob)),
        ("fresh", head("nope", "l"), Want::Error(ErrorCode::NotRunning)),
        ("fresh", finished("nope", "l"), Want::Error(ErrorCode::NotRunning)),
        ("fresh", failed("nope", "l"), Want::Error(ErrorCode::NotRunning)),
        ("fresh", Event::DeadLettered(DeadLettered { job_id: "nope".into(), reason: "r".into() }), Want::NotRecorded),
        ("fresh", Event::EnqueueFailed { job_id: "nope".into(), reason: "r".into() }, Want::Error(ErrorCode::NotRunning)),
        ("queued", other_pr.clone(), Want::Error(ErrorCode::WrongPr)),
        ("queued", head("JOB", "never-granted"), Want::Error(ErrorCode::StaleLease)),
        ("queued", finished("JOB", "never-granted"), Want::Error(ErrorCode::StaleLease)),
        ("running", lease("JOB", 1), Want::Denied(DenyReason::Busy)),
        ("running", lease("JOB", 0), Want::Denied(DenyReason::StaleAttempt)),
        ("running", finished("JOB", "forged"), Want::Error(ErrorCode::StaleLease)),
        ("running", failed("other-job", "LEASE"), Want::Error(ErrorCode::NotRunning)),
        ("running", Event::EnqueueFailed { job_id: "JOB".into(), reason: "r".into() }, Want::Error(ErrorCode::NotRunning)),
    ];
    for (setup, event, want) in cases {
        let mut s = Sim::new(Config::default());
        let (mut job_id, mut lease_id) = (String::new(), String::new());
        if setup != "fresh" {
            s.send(review("open", Opened, "h0"));
            job_id = s.last_job().job_id;
        }
        if setup == "running" {
            lease_id = s.lease(&s.last_job()).unwrap();
        }
        let event: Event = serde_json::from_str(&serde_json::to_string(&event).unwrap().replace("JOB", &job_id).replace("LEASE", &lease_id)).unwrap();
        let before = s.m.state().clone();
        let step = s.m.handle(UnixMillis(s.now), event.clone());
        match (&want, &step.reply) {
            (Want::Error(code), Reply::Error(e)) => {
                assert_eq!(e.code, *code, "{setup}: {event:?}");
                assert!(!e.error.is_empty());
                assert_eq!(s.m.state(), &before, "an error changes nothing: {event:?}");
                assert!(step.actions.is_empty());
            }
            (Want::Denied(reason), Reply::Lease(LeaseReply::Denied { reason: got })) => assert_eq!(got, reason, "{setup}: {event:?}"),
            (Want::NotRecorded, Reply::DeadLetter(DeadLetterReply { recorded: false, .. })) => {}
            (_, other) => panic!("{setup}: {event:?} answered {other:?}"),
        }
    }
}

#[test]
fn stored_state_round_trips_and_tolerates_missing_fields() {
    let mut s = Sim::new(Config::default());
    s.send(review("open", Opened, "h0"));
    let j = s.last_job();
    let lease = s.lease(&j).unwrap();
    s.finish(&j, &lease, true);
    s.send(review("sync", Synchronize, "h1"));
    assert!(!s.m.state().history.is_empty(), "the round trip covers the history rows");
    assert_eq!(&s.restored(), s.m.state(), "the state row plus the history rows are the whole state");
    let json = serde_json::to_string(s.m.state()).unwrap();
    assert!(!json.contains("\"history\""), "the state row leaves the history to its rows: {json}");
    // An older snapshot without newer fields still loads.
    let old: argus_coordinator::PrState = serde_json::from_str(r#"{"pr":{"repo":{"owner":"o","name":"r"},"number":1},"paused":true}"#).unwrap();
    assert!(old.paused && old.job.is_none());
}
