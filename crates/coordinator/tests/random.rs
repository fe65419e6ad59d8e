//! Random event sequences: the machine never panics, and its invariants hold
//! after every step (at most one job in flight, the alarm matches its needs,
//! stored state round-trips, errors change nothing).

use crate::sim::*;
use argus_coordinator::Config;
use argus_coordinator::machine::{Event, Reply};
use argus_coordinator::protocol::*;
use argus_core::error::ErrorClass;
use argus_core::event::PrAction;
use argus_core::signal::{Command, Signal};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    Push {
        delivery: u8,
        head: u8,
        trigger: u8,
    },
    Close,
    Draft,
    Cmd(u8),
    /// Consumer actions on the n-th enqueued job (modulo), with the latest lease if any.
    Lease(u8),
    Head(u8),
    /// 0 posted, 1 stale, 2 skipped.
    Finish(u8, u8),
    Fail(u8, u8),
    DeadLetter(u8),
    EnqueueFailed(u8),
    /// A reply in thread n (of 3), and the consumer's report on the n-th answer queued.
    Reply(u8),
    ReplyDone(u8, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..20_000).prop_map(Op::Advance),
        (any::<u8>(), 0u8..6, 0u8..4).prop_map(|(delivery, head, trigger)| Op::Push { delivery: delivery % 40, head, trigger }),
        Just(Op::Close),
        Just(Op::Draft),
        (0u8..6).prop_map(Op::Cmd),
        any::<u8>().prop_map(Op::Lease),
        any::<u8>().prop_map(Op::Head),
        (any::<u8>(), 0u8..3).prop_map(|(j, k)| Op::Finish(j, k)),
        (any::<u8>(), 0u8..3).prop_map(|(j, c)| Op::Fail(j, c)),
        any::<u8>().prop_map(Op::DeadLetter),
        any::<u8>().prop_map(Op::EnqueueFailed),
        (0u8..3).prop_map(Op::Reply),
        (any::<u8>(), any::<bool>()).prop_map(|(n, a)| Op::ReplyDone(n, a)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn any_sequence_keeps_the_invariants(ops in proptest::collection::vec(op(), 1..80)) {
        let mut s = Sim::new(Config { lease_ms: 30_000, ..Config::default() });
        let mut leases: Vec<String> = vec![];
        for op in ops {
            let pick = |s: &Sim, n: u8| (!s.queue.is_empty()).then(|| s.queue[n as usize % s.queue.len()].clone());
            let lease_for = |leases: &Vec<String>, job: &argus_core::job::ReviewJob| leases.iter().rev().find(|l| l.starts_with(&format!("{}.", job.job_id))).cloned().unwrap_or_default();
            let event = match op {
                Op::Advance(ms) => { s.advance(ms); continue; }
                Op::Push { delivery, head, trigger } => {
                    let trigger = [PrAction::Opened, PrAction::Synchronize, PrAction::Reopened, PrAction::ReadyForReview][trigger as usize];
                    review(&format!("d{delivery}"), trigger, &format!("h{head}"))
                }
                Op::Close => inbound(&format!("close{}", s.now), Signal::Closed { merged: false }),
                Op::Draft => inbound(&format!("draft{}", s.now), Signal::ConvertedToDraft),
                Op::Cmd(c) => {
                    let cmd = [Command::Review, Command::FullReview, Command::Pause, Command::Resume, Command::Help, Command::Unknown("x".into())][c as usize].clone();
                    command(&format!("cmd{}-{c}", s.now), cmd)
                }
                Op::Lease(n) => match pick(&s, n) { Some(j) => Event::LeaseRequested(LeaseRequest { job_id: j.job_id, attempt: j.attempt }), None => continue },
                Op::Head(n) => match pick(&s, n) { Some(j) => Event::HeadCheck(HeadCheckRequest { lease_id: lease_for(&leases, &j), job_id: j.job_id, head_sha: j.head_sha }), None => continue },
                Op::Finish(n, k) => match pick(&s, n) {
                    Some(j) => {
                        let finish = [Finish::Posted, Finish::Stale, Finish::Skipped { reason: "a skip rule".into() }][k as usize].clone();
                        Event::JobFinished(JobFinished { lease_id: lease_for(&leases, &j), job_id: j.job_id, stats: ReviewStats::default(), finish, settings: RepoSettings::default() })
                    }
                    None => continue,
                },
                Op::Fail(n, c) => match pick(&s, n) {
                    Some(j) => {
                        let class = [ErrorClass::Retryable { after_secs: None }, ErrorClass::Permanent, ErrorClass::User][c as usize].clone();
                        Event::JobFailed(JobFailed { lease_id: lease_for(&leases, &j), job_id: j.job_id, class, reason: "r".into() })
                    }
                    None => continue,
                },
                Op::DeadLetter(n) => match pick(&s, n) { Some(j) => Event::DeadLettered(DeadLettered { job_id: j.job_id, reason: "r".into() }), None => continue },
                Op::EnqueueFailed(n) => match pick(&s, n) { Some(j) => Event::EnqueueFailed { job_id: j.job_id, reason: "r".into() }, None => continue },
                Op::Reply(t) => thread_reply(&format!("reply{}-{t}", s.now), s.now, 100 + u64::from(t), argus_core::signal::ReplyIntent::Plain),
                Op::ReplyDone(n, answered) => {
                    if s.replies.is_empty() { continue; }
                    let id = s.replies[n as usize % s.replies.len()].reply_id;
                    s.reply_done(id, answered);
                    continue;
                }
            };
            let (jobs_before, replies_before) = (s.queue.len(), s.replies.len());
            let before = s.m.state().clone();
            let reply = s.send(event);
            match &reply {
                Reply::Lease(LeaseReply::Granted { lease_id, .. }) => leases.push(lease_id.clone()),
                Reply::Error(e) => prop_assert!(!e.error.is_empty()),
                _ => {}
            }
            if matches!(reply, Reply::Error(ErrorReply { code: ErrorCode::StaleLease | ErrorCode::NotRunning | ErrorCode::WrongPr, .. })) {
                // Only a late finish may record its cost; nothing else changes.
                let mut b = before.clone();
                b.history = s.m.state().history.clone();
                b.history_recorded = s.m.state().history_recorded;
                prop_assert_eq!(&b, s.m.state());
            }
            let st = s.m.state();
            // Serialized both ways: a review starts only when no answer queued
            // within the hold is in flight, and an answer only while no review runs.
            if s.queue.len() > jobs_before && s.queue.last().is_some_and(|j| j.attempt == 1) {
                prop_assert!(st.replies_in_flight.iter().all(|r| r.at.0 + Config::default().reply_hold_ms <= s.now));
            }
            if s.replies.len() > replies_before {
                prop_assert!(st.job.is_none());
            }
            // The coordinator never asks to be woken for nothing: no alarm in the past.
            prop_assert!(st.alarm_at.is_none_or(|a| a.0 > s.now), "alarm at {:?}, now {}", st.alarm_at, s.now);
            // Only a posted review moves the reviewed head.
            if st.last_reviewed_sha != before.last_reviewed_sha {
                prop_assert_eq!(st.history.back().map(|h| h.outcome), Some(argus_coordinator::machine::Outcome::Posted));
            }
            prop_assert!(st.pending_commands.len() <= 20);
            prop_assert_eq!(st.alarm_at, s.m.next_wakeup());
            if st.archived { prop_assert!(st.pending.is_none()); }
            if let Some(job) = &st.job {
                prop_assert!(job.job.attempt <= 2);
                if let Some(l) = &job.lease { prop_assert!(l.expires_at.0 > s.now); }
            }
            prop_assert!(st.history.len() <= 20 && st.recent_deliveries.len() <= 20 && st.outbox.len() <= 20);
            // What the shell stored (the state row and the history rows) is the whole
            // state, but for the duplicate count, which is not worth a write.
            let restored = s.restored();
            let live = argus_coordinator::PrState { duplicates_ignored: restored.duplicates_ignored, ..st.clone() };
            prop_assert_eq!(&restored, &live);
        }
    }
}
