//! Stage 5, model: the findings for this head and configuration, from the
//! review cache (KV, findings only) or from the model — every request of the
//! plan, bounded-parallel, within the review's deadline — parsed and checked
//! against the findings contract. One request that cannot work (too large,
//! refused) leaves the rest standing; a rate limit, an outage or a bad key
//! fails the whole job with its class, for the queue to retry or report.

use super::plan::{Plan, PlanInput, RequestContext, requests};
use super::verify::Verification;
use crate::platform::{ByRef, Platform};
use crate::ports::ReviewCache;
use crate::publication::{CachedReview, PUBLICATION_VERSION};
use crate::service::ReviewService;
use argus_context::ChunkContextReport;
use argus_coordinator::PipelineError;
use argus_core::error::Classify;
use argus_core::ids::UnixMillis;
use argus_core::job::ReviewJob;
use argus_core::keys::{KvKey, ReviewCacheKey};
use argus_diff::risk::Trivial;
use argus_llm::{LlmClient, LlmError, UsageLedger};
use argus_review::contract::{self, Finding, ReplyProblem};
use argus_review::redact::RedactionReport;
use argus_review::tripwire;
use std::collections::BTreeMap;

/// The findings after the model, before placement.
pub struct Thought {
    pub findings: Vec<Finding>,
    pub model_summaries: Vec<String>,
    pub model: String,
    pub requests: usize,
    /// Requests whose reply could not be used (not the JSON asked for, or refused).
    pub unusable: usize,
    pub ledger: UsageLedger,
    pub from_cache: bool,
    /// Sorted, deduplicated reply problems, for the summary.
    pub reply_problems: Vec<String>,
    pub rejected_by_parser: usize,
    /// Secrets replaced in what was sent.
    pub redactions: RedactionReport,
    /// Requests (by chunk index) whose part of the change was not reviewed, and why.
    pub failed_chunks: Vec<(usize, String)>,
    /// Findings and summaries dropped because they carried instructions back
    /// (asked to approve, to ignore instructions, to contact someone, ...).
    pub steering_discarded: usize,
    /// What context the requests carried and what was cut (none from the cache,
    /// or with `context = "off"`).
    pub context: Option<ChunkContextReport>,
    /// What the verification pass did (none from the cache, or with `verify` off).
    pub verification: Option<Verification>,
    /// Why the change was not sent to the model at all (the risk rule).
    pub quiet: Option<Trivial>,
    /// Fix-check requests of the resolve stage (threads an earlier push may have fixed).
    pub fix_checks: usize,
}

impl Thought {
    /// Before any reply: `requests` will be asked of `model`.
    pub fn empty(model: String, requests: usize, redactions: RedactionReport) -> Self {
        Thought {
            findings: Vec::new(),
            model_summaries: Vec::new(),
            model,
            requests,
            unusable: 0,
            ledger: UsageLedger::default(),
            from_cache: false,
            reply_problems: Vec::new(),
            rejected_by_parser: 0,
            redactions,
            failed_chunks: Vec::new(),
            steering_discarded: 0,
            context: None,
            verification: None,
            quiet: None,
            fix_checks: 0,
        }
    }

    /// No model call: the change is trivial by the risk rule (`trivial` says why).
    pub fn quiet(model: String, trivial: Trivial) -> Self {
        Thought { quiet: Some(trivial), ..Thought::empty(model, 0, RedactionReport::default()) }
    }

    /// Parses one reply against the findings contract and keeps what is valid;
    /// a reply that is not the JSON asked for counts as unusable.
    pub fn absorb(&mut self, chunk: usize, reply_text: &str, problems: &mut BTreeMap<String, ()>) {
        let reply = contract::parse_reply(reply_text);
        let unusable = reply.findings.is_empty()
            && reply.summary.is_none()
            && reply.problems.iter().any(|p| matches!(p, ReplyProblem::NoJson | ReplyProblem::FindingsNotArray));
        if unusable {
            self.unusable += 1;
            self.failed_chunks.push((chunk, "the model's reply could not be used".into()));
        }
        for p in &reply.problems {
            problems.insert(p.to_string(), ());
        }
        self.rejected_by_parser += reply.rejected.len();
        // The output tripwire: what the model says is untrusted; a statement that
        // carries instructions back (the PR steered the model) is not posted.
        let mut findings = reply.findings;
        let mut summaries: Vec<String> = reply.summary.filter(|s| !s.trim().is_empty()).into_iter().collect();
        self.steering_discarded += tripwire::screen_output(&mut findings, &mut summaries);
        self.findings.extend(findings);
        self.model_summaries.extend(summaries);
    }

    /// A thought from replies already in hand (the `argus place` command).
    pub fn from_replies<'a>(model: &str, replies: impl IntoIterator<Item = &'a str>) -> Self {
        let mut t = Thought::empty(model.to_string(), 0, RedactionReport::default());
        let mut problems = BTreeMap::new();
        for (i, r) in replies.into_iter().enumerate() {
            t.requests += 1;
            t.absorb(i, r, &mut problems);
        }
        t.reply_problems = problems.into_keys().collect();
        t
    }
}

impl<P: Platform> ReviewService<P> {
    /// The findings of an earlier run of this head and configuration, if cached.
    pub(crate) async fn cached(&self, job: &ReviewJob, cache_key: &ReviewCacheKey) -> Option<Thought> {
        let cached = match self.cache.get(cache_key).await {
            Some(text) => serde_json::from_str::<CachedReview>(&text).ok().filter(|c| c.v == PUBLICATION_VERSION),
            None => None,
        };
        let Some(c) = cached else {
            self.log(job, "cache_miss", serde_json::json!({ "key": cache_key.key() }));
            return None;
        };
        self.log(job, "cache_hit", serde_json::json!({ "key": cache_key.key(), "findings": c.findings.len() }));
        Some(Thought {
            findings: c.findings,
            model_summaries: c.model_summaries,
            model: c.model,
            requests: 0,
            unusable: 0,
            ledger: UsageLedger::default(),
            from_cache: true,
            reply_problems: Vec::new(),
            rejected_by_parser: 0,
            redactions: RedactionReport::default(),
            failed_chunks: Vec::new(),
            // Cached findings were screened when they were first made.
            steering_discarded: 0,
            context: None,
            verification: None,
            quiet: None,
            fix_checks: 0,
        })
    }

    /// Asks the model: every request of the plan (with `context`'s `~` lines
    /// when given), bounded-parallel, within the review's deadline.
    pub(crate) async fn think(
        &self,
        job: &ReviewJob,
        started: UnixMillis,
        plan: &Plan,
        input: &PlanInput<'_>,
        context: Option<&RequestContext<'_, '_>>,
    ) -> Result<Thought, PipelineError> {
        let (requests, redactions, shown) = requests(plan, input, context);
        self.log(
            job,
            "planned",
            serde_json::json!({ "chunks": requests.len(), "selected_files": plan.selection.kept.len(), "not_reviewed": plan.chunks.not_reviewed.len(), "redactions": redactions.total() }),
        );
        // Jitter differs per job, so jobs that failed together do not retry in lockstep.
        let seed = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (self.seed, &job.job_id, job.attempt).hash(&mut h);
            h.finish()
        };
        let client = LlmClient::new(ByRef(&self.llm.provider), ByRef(&self.clock), ByRef(&self.llm.breakers), plan.llm.clone(), seed);
        let results = client.complete_all(&requests, Some(plan.llm.retry.review_deadline(started))).await;
        let mut t = Thought::empty(plan.llm.model.clone(), requests.len(), redactions);
        t.context = context.map(|_| shown);
        let mut first_failure = None;
        let mut problems = BTreeMap::new();
        for (chunk, r) in results.into_iter().enumerate() {
            match r {
                Ok(done) => {
                    t.ledger.record(done.usage.clone());
                    t.model = done.model_used.clone();
                    t.absorb(chunk, &done.response.text, &mut problems);
                }
                Err(f) => {
                    t.ledger.record_failure();
                    match f.error {
                        // This one request cannot work (too big, refused): the rest of the
                        // review still stands, and the summary says what was left out.
                        LlmError::PromptTooLarge { .. } | LlmError::BadRequest { .. } => {
                            t.unusable += 1;
                            t.failed_chunks.push((chunk, format!("the model request failed: {}", f.error)));
                            problems.insert(format!("a request failed: {}", f.error), ());
                        }
                        _ => {
                            first_failure.get_or_insert(f);
                        }
                    }
                }
            }
        }
        t.reply_problems = problems.into_keys().collect();
        let totals = t.ledger.totals();
        self.log(
            job,
            "model",
            serde_json::json!({ "requests": t.requests, "failed": totals.failed_calls, "unusable": t.unusable, "findings": t.findings.len(),
                "tokens_in": totals.prompt_tokens, "tokens_out": totals.completion_tokens, "model": t.model }),
        );
        if let Some(f) = first_failure {
            // A rate limit, an outage or a bad key concerns every request: retry the
            // whole job later (an incomplete review is worse than a late one) or report
            // the permanent error, which names the setting to fix.
            let class = f.error.class();
            return Err(PipelineError { class, message: format!("the model call failed: {}", f.error) });
        }
        Ok(t)
    }
}
