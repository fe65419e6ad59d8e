//! The consumer's decision with the real pipeline behind it: the coordinator's
//! `process_message` drives `ReviewService` through a scripted coordinator
//! link, so ack / retry-with-delay and the stale-head guard are tested as the
//! Worker will run them.

use crate::harness::*;
use argus_coordinator::protocol::*;
use argus_coordinator::{CoordinatorLink, Decision, LinkError, LogStep, MessageCtx, QueueKind, RetryPolicy, process_message};
use argus_core::ids::{CommitSha, PrRef, UnixMillis};
use argus_core::job::{QueueMessage, ReviewMode};
use futures_executor::block_on;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// A coordinator that grants every lease, answers the head check from
/// `current_head`, asks for a retry on retryable failures, and records reports.
struct Link {
    current_head: RefCell<CommitSha>,
    finished: RefCell<Vec<JobFinished>>,
    failed: RefCell<Vec<JobFailed>>,
}

impl Link {
    fn at(head: &str) -> Self {
        Self { current_head: RefCell::new(CommitSha(head.into())), finished: RefCell::default(), failed: RefCell::default() }
    }

    fn answer(&self, path: &str, req: Value) -> Value {
        match path {
            p if p == LeaseRoute::PATH => serde_json::to_value(LeaseReply::Granted {
                lease_id: "lease-1".into(),
                expires_at: UnixMillis(T0.0 + 600_000),
                failures: 0,
                check_run: None,
            })
            .unwrap(),
            p if p == HeadRoute::PATH => {
                let req: HeadCheckRequest = serde_json::from_value(req).unwrap();
                let current = self.current_head.borrow().clone();
                serde_json::to_value(if current == req.head_sha { HeadReply::Current } else { HeadReply::Stale { current_head: Some(current) } })
                    .unwrap()
            }
            p if p == FinishedRoute::PATH => {
                self.finished.borrow_mut().push(serde_json::from_value(req).unwrap());
                serde_json::to_value(ReportReply { recorded: true, retry: false, failures: 0 }).unwrap()
            }
            p if p == FailedRoute::PATH => {
                let req: JobFailed = serde_json::from_value(req).unwrap();
                let retry = matches!(req.class, argus_core::error::ErrorClass::Retryable { .. });
                self.failed.borrow_mut().push(req);
                serde_json::to_value(ReportReply { recorded: true, retry, failures: self.failed.borrow().len() as u32 }).unwrap()
            }
            _ => serde_json::to_value(ReportReply { recorded: true, retry: false, failures: 0 }).unwrap(),
        }
    }
}

impl CoordinatorLink for Link {
    async fn call<R: Route>(&self, _: &PrRef, req: &R::Request) -> Result<R::Reply, LinkError> {
        let answer = self.answer(R::PATH, serde_json::to_value(req).unwrap());
        serde_json::from_value(answer).map_err(|e| LinkError::Transport(e.to_string()))
    }
}

fn consume(w: &World, link: &Link, head: &str) -> (Decision, Vec<LogStep>) {
    let body = serde_json::to_value(QueueMessage::V1(job(head, None, ReviewMode::Incremental))).unwrap();
    let policy = RetryPolicy::default();
    let ctx = MessageCtx { kind: QueueKind::Review, policy: &policy, seed: 1 };
    let mut steps = Vec::new();
    let d = block_on(process_message(link, &w.service, &body, &ctx, &mut |s| steps.push(s)));
    (d, steps)
}

#[test]
fn a_review_is_acked_and_reported_with_its_figures() {
    let w = world(per_file_model());
    w.github.add_pull_request(pr(HEAD1, corpus_files("axum-e3d34bb553d5.diff")));
    let link = Link::at(HEAD1);
    let (d, _) = consume(&w, &link, HEAD1);
    assert_eq!(d, Decision::Ack);
    let done = link.finished.borrow();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].finish, Finish::Posted);
    // The review request and the verification request, both in the figures.
    assert_eq!((done[0].stats.findings, done[0].stats.tokens_in, done[0].stats.tokens_out), (4, 2000, 200));
    assert_eq!(w.github.submitted_reviews().len(), 1);
}

#[test]
fn a_persistent_model_rate_limit_is_retried_after_at_least_the_providers_delay() {
    let w = world(Rc::new(|_: &Value, _| status(429, &[("retry-after", "90")], r#"{"error":{"message":"slow down"}}"#)));
    w.github.add_pull_request(pr(HEAD1, corpus_files("axum-e3d34bb553d5.diff")));
    let link = Link::at(HEAD1);
    let (d, _) = consume(&w, &link, HEAD1);
    match d {
        Decision::Retry { delay_secs } => assert!(delay_secs >= 90, "{delay_secs}"),
        other => panic!("expected a retry, got {other:?}"),
    }
    assert!(w.github.submitted_reviews().is_empty());
}

#[test]
fn a_head_that_moved_during_the_review_is_not_posted() {
    let w = world(per_file_model());
    w.github.add_pull_request(pr(HEAD1, corpus_files("axum-e3d34bb553d5.diff")));
    let link = Link::at(HEAD2);
    let (d, steps) = consume(&w, &link, HEAD1);
    assert_eq!(d, Decision::Ack);
    assert!(steps.iter().any(|s| s.step == "stale_head"));
    assert!(w.github.submitted_reviews().is_empty(), "nothing posted on a stale head");
    let checks = w.github.state.borrow().check_runs.clone();
    assert_eq!(checks.len(), 1, "the job's check run, from its start");
    let last = checks[0].1.last().unwrap().clone();
    assert_eq!((last["status"].as_str(), last["conclusion"].as_str()), (Some("completed"), Some("skipped")), "never left spinning");
    assert_eq!(last["output"]["title"], "Superseded by a newer push");
    assert_eq!(link.finished.borrow()[0].finish, Finish::Stale);
}

/// A run the repository's rules skip: its check run says so, the coordinator
/// hears "skipped", and nothing is posted.
#[test]
fn a_skipped_review_says_why_in_its_check_run() {
    let w = world(per_file_model());
    w.github.add_pull_request(pr(HEAD1, corpus_files("axum-e3d34bb553d5.diff")));
    w.github.set_content(FULL, BASE, ".github/argusai.toml", b"auto_review = false\n");
    let link = Link::at(HEAD1);
    let (d, _) = consume(&w, &link, HEAD1);
    assert_eq!(d, Decision::Ack);
    let finished = link.finished.borrow();
    assert!(matches!(&finished[0].finish, Finish::Skipped { reason } if reason.contains("auto_review = false")), "{:?}", finished[0]);
    assert_eq!(finished[0].settings.debounce_ms, Some(5_000), "the repository's settings travel to the coordinator");
    assert_eq!(w.llm.calls(), 0);
    assert!(w.github.submitted_reviews().is_empty());
    let checks = w.github.state.borrow().check_runs.clone();
    let last = checks[0].1.last().unwrap().clone();
    assert_eq!(last["conclusion"], "skipped");
    assert!(last["output"]["summary"].as_str().unwrap().contains("auto_review = false"), "{last}");
}
