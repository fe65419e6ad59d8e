//! The seam between the queue consumer and the review itself. The real
//! pipeline (fetch diff, prompt the model, place comments) comes from other
//! issues; here is only the contract the consumer drives.

use crate::protocol::ReviewStats;
use argus_core::error::{Classify, ErrorClass};
use argus_core::job::ReviewJob;
use argus_core::severity::SeverityCounts;
use thiserror::Error;

/// What `run` produced: the figures the coordinator records, plus whatever
/// `publish` will post. The publication is opaque here and never stored by the coordinator.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReviewReport {
    pub findings: u32,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub duration_ms: u64,
    /// One line for the status page, e.g. "3 comments posted".
    pub summary: String,
    pub publication: serde_json::Value,
    /// The model calls' estimated list price in US dollars; `None` when a model's price is unknown.
    pub cost_usd: Option<f64>,
    /// The new findings by severity.
    pub severities: SeverityCounts,
}

impl ReviewReport {
    pub fn stats(&self) -> ReviewStats {
        ReviewStats {
            findings: self.findings,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            duration_ms: self.duration_ms,
            summary: self.summary.clone(),
            // Micro-dollars keep the wire type integral (and `Eq`); a review costs far below 2^53 of them.
            cost_micro_usd: self.cost_usd.filter(|c| c.is_finite() && *c >= 0.0).map(|c| (c * 1e6).round() as u64),
            severities: self.severities,
        }
    }
}

/// Why a pipeline step failed, classified by who acts (see [`ErrorClass`]).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct PipelineError {
    pub class: ErrorClass,
    /// Shown on the status page: no code, no secrets.
    pub message: String,
}

impl PipelineError {
    pub fn retryable(message: impl Into<String>, after_secs: Option<u64>) -> Self {
        Self { class: ErrorClass::Retryable { after_secs }, message: message.into() }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { class: ErrorClass::Permanent, message: message.into() }
    }
    pub fn user(message: impl Into<String>) -> Self {
        Self { class: ErrorClass::User, message: message.into() }
    }
}

impl Classify for PipelineError {
    fn class(&self) -> ErrorClass {
        self.class.clone()
    }
}

/// One review, split in two so the consumer can ask the coordinator whether the
/// head is still current between them (the stale-head guard): `run` reads and
/// thinks but must not post; `publish` posts what `run` produced.
/// Futures need not be `Send`: Workers run on one thread.
#[allow(async_fn_in_trait)]
pub trait ReviewPipeline {
    async fn run(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError>;
    async fn publish(&self, job: &ReviewJob, report: &ReviewReport) -> Result<(), PipelineError>;
}
