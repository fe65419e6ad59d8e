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
}

impl CoordinatorLink for Link {
    async fn lease(&self, _: &PrRef, _: &LeaseRequest) -> Result<LeaseReply, LinkError> {
        Ok(LeaseReply::Granted { lease_id: "lease-1".into(), expires_at: UnixMillis(T0.0 + 600_000), failures: 0 })
    }
    async fn head_check(&self, _: &PrRef, req: &HeadCheckRequest) -> Result<HeadReply, LinkError> {
        let current = self.current_head.borrow().clone();
        Ok(if current == req.head_sha { HeadReply::Current } else { HeadReply::Stale { current_head: Some(current) } })
    }
    async fn finished(&self, _: &PrRef, req: &JobFinished) -> Result<ReportReply, LinkError> {
        self.finished.borrow_mut().push(req.clone());
        Ok(ReportReply { recorded: true, retry: false, failures: 0 })
    }
    async fn failed(&self, _: &PrRef, req: &JobFailed) -> Result<ReportReply, LinkError> {
        self.failed.borrow_mut().push(req.clone());
        let retry = matches!(req.class, argus_core::error::ErrorClass::Retryable { .. });
        Ok(ReportReply { recorded: true, retry, failures: self.failed.borrow().len() as u32 })
    }
    async fn dead_lettered(&self, _: &PrRef, _: &DeadLettered) -> Result<ReportReply, LinkError> {
        Ok(ReportReply { recorded: true, retry: false, failures: 0 })
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
    assert!(done[0].posted);
    assert_eq!((done[0].stats.findings, done[0].stats.tokens_in, done[0].stats.tokens_out), (4, 1000, 100));
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
    assert!(w.github.state.borrow().check_runs.is_empty(), "no check run left behind");
    assert!(!link.finished.borrow()[0].posted);
}
