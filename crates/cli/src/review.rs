//! `argus review`: the Worker's review on this machine. On a pull request
//! (`owner/repo#N` or its URL) it runs argus-pipeline's `ReviewService::run`
//! itself — every stage the Worker runs except publishing — over native HTTP
//! with the user's `GITHUB_TOKEN`. On a diff file it runs the same `plan`,
//! model and `decide` stages over the local diff. Either way it prints what
//! ArgusAI would post, the accounting, and what was left out.

use crate::native::{self, SystemClock};
use argus_config::{Config, Sources, resolve};
use argus_coordinator::ReviewPipeline;
use argus_core::http::Clock;
use argus_core::ids::{CommitSha, InstallationId, PrNumber, PrRef, RepoName};
use argus_core::job::{JobTrigger, ReviewJob, ReviewMode};
use argus_diff::diff::parse_unified;
use argus_eval::candidates::Candidate;
use argus_eval::dataset::PrUrl;
use argus_llm::{LlmClient, LlmConfig, LlmError, LlmProvider, MemoryBreakerStore};
use argus_pipeline::Publication;
use argus_pipeline::stage::decide::{Facts, decide};
use argus_pipeline::stage::guard::tripwires;
use argus_pipeline::stage::model::Thought;
use argus_pipeline::stage::plan::{PlanInput, plan, requests};
use argus_pipeline::stage::scope::Scope;
use argus_pipeline::stage::verify::{CodeView, verify_findings};
use argus_review::redact::RedactionReport;
use argus_review::render::{self, Review};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What one review cost.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Accounting {
    pub model: String,
    pub calls: u64,
    pub failed_calls: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// `None` when a model's price is unknown.
    pub cost_usd: Option<f64>,
    pub duration_ms: u64,
}

/// A review as the Worker would post it, or why there is none.
pub struct Outcome {
    pub review: Option<Review>,
    pub skipped: Option<String>,
    pub accounting: Accounting,
    /// Parts of the change the model did not see, with why.
    pub not_reviewed: Value,
    /// Published on the pull request (`--post`).
    pub posted: bool,
}

impl Outcome {
    /// Every finding the review reports (inline or in the body): the candidates of an evaluation.
    pub fn candidates(&self) -> Vec<Candidate> {
        let Some(r) = &self.review else { return Vec::new() };
        let word = |v: Value| v.as_str().unwrap_or("").to_string();
        r.placed
            .iter()
            .map(|p| &p.finding)
            .chain(r.unplaced.iter().map(|u| &u.finding))
            .map(|f| {
                let sev = word(serde_json::to_value(f.severity).unwrap_or_default());
                let cat = word(serde_json::to_value(f.category).unwrap_or_default());
                Candidate::new(&f.path, f.end_line, &sev, &cat, &f.title, &f.body)
            })
            .collect()
    }
}

/// The configuration of a local review: the Worker's variables from the
/// environment, then the `--config` file on top (as the repository's file is on GitHub).
pub fn local_config(env: &[(String, String)], config_text: Option<&str>) -> (Config, Vec<String>) {
    let res = resolve(&Sources { env, base_branch_toml: config_text, ..Sources::default() });
    (res.config, res.problems.iter().map(|p| p.to_string()).collect())
}

/// The model and decide stages over a local diff, with `provider`. A rate
/// limit, an outage or a bad key fails the review (as it fails the Worker's
/// job); a request that cannot work (too large, refused) leaves the rest standing.
pub fn review_diff(
    diff: &str,
    config: &Config,
    llm: &LlmConfig,
    provider: impl LlmProvider,
    title: &str,
    description: &str,
) -> Result<Outcome, String> {
    let clock = SystemClock;
    let started = clock.now();
    let files = parse_unified(diff).files;
    if files.is_empty() {
        return Err("no file diffs found (is this a unified diff?)".into());
    }
    let scope = Scope::Full { reason: "a local diff".into() };
    let input = PlanInput { config, guidance: "", llm, scope: &scope, title, description, files: &files };
    let p = plan(&input);
    // A local diff has no repository to read contents from: the diff alone.
    let (reqs, redactions, _) = requests(&p, &input, None);
    let client = LlmClient::new(provider, clock, MemoryBreakerStore::default(), p.llm.clone(), started.0);
    let results = futures_executor::block_on(client.complete_all(&reqs, Some(p.llm.retry.review_deadline(started))));
    let mut thought = Thought::empty(p.llm.model.clone(), reqs.len(), RedactionReport::default());
    thought.redactions = redactions;
    let mut problems = BTreeMap::new();
    for (chunk, r) in results.into_iter().enumerate() {
        match r {
            Ok(done) => {
                thought.ledger.record(done.usage.clone());
                thought.model = done.model_used.clone();
                thought.absorb(chunk, &done.response.text, &mut problems);
            }
            Err(f) => match f.error {
                LlmError::PromptTooLarge { .. } | LlmError::BadRequest { .. } => {
                    thought.ledger.record_failure();
                    thought.unusable += 1;
                    thought.failed_chunks.push((chunk, format!("the model request failed: {}", f.error)));
                    problems.insert(format!("a request failed: {}", f.error), ());
                }
                e => return Err(format!("the model call failed: {e}")),
            },
        }
    }
    thought.reply_problems = problems.into_keys().collect();
    // Verified as the Worker verifies, against the diff alone (no contents here).
    let view = CodeView { files: &files, head: &[], prepared: None };
    futures_executor::block_on(verify_findings(&client, Some(p.llm.retry.review_deadline(started)), &p, config, &mut thought, &view));
    let head = CommitSha("0".repeat(40));
    let facts = Facts {
        head: &head,
        scope: &scope,
        plan: &p,
        not_reviewable: Vec::new(),
        config_problems: p.problems.clone(),
        earlier: Vec::new(),
        sources: Vec::new(),
        files: &files,
        tripped: tripwires(&files, title, description, &[]),
        scope_relocation: None,
        context_problems: Vec::new(),
    };
    let decided = decide(config, &files, &thought, facts);
    let totals = thought.ledger.totals();
    Ok(Outcome {
        review: decided.publication.review,
        skipped: None,
        accounting: Accounting {
            model: thought.model,
            calls: u64::from(totals.calls),
            failed_calls: u64::from(totals.failed_calls),
            tokens_in: totals.prompt_tokens,
            tokens_out: totals.completion_tokens,
            cost_usd: totals.cost_complete.then_some(totals.cost_usd),
            duration_ms: clock.now().0.saturating_sub(started.0),
        },
        not_reviewed: json!(p.chunks.not_reviewed),
        posted: false,
    })
}

/// The Worker's `ReviewService::run` on a pull request, with the user's token.
pub fn review_pr(pr: &PrUrl, env: Vec<(String, String)>, llm: LlmConfig, config_text: Option<String>, post: bool) -> Result<Outcome, String> {
    let repo = RepoName::new(&pr.owner, &pr.repo);
    let service = native::service(env, llm, config_text.map(|t| (repo.full_name(), t)))?;
    let pr_ref = PrRef::new(repo, PrNumber(pr.number));
    // A person's token is not an installation's: the id only names the token cache slot.
    let installation = InstallationId(0);
    let read =
        futures_executor::block_on(service.github.installation(installation).pull_request(&pr_ref)).map_err(|e| format!("reading {pr}: {e}"))?;
    let job = ReviewJob {
        job_id: format!("cli-{}", SystemClock.now().0),
        pr: pr_ref,
        installation,
        head_sha: read.head.sha.clone(),
        base_sha: read.base.sha.clone(),
        since_sha: None,
        mode: ReviewMode::Full,
        trigger: JobTrigger::Command,
        actions: Vec::new(),
        attempt: 1,
        deliveries: Vec::new(),
        enqueued_at: SystemClock.now(),
    };
    let report = futures_executor::block_on(service.run(&job)).map_err(|e| format!("{:?}: {}", e.class, e.message))?;
    // `--post`: the review and the summary, as the Worker posts them (idempotent
    // per head), with the user's token; no check run (only Apps may create one).
    let posted = post && report.skipped.is_none();
    if posted {
        futures_executor::block_on(service.publish_without_check(&job, &report))
            .map_err(|e| format!("posting to {pr}: {:?}: {}", e.class, e.message))?;
    }
    let publication: Publication =
        serde_json::from_value(report.publication.clone()).map_err(|e| format!("the review could not be read back: {e}"))?;
    let model = publication.review.as_ref().map(|r| r.model.clone()).unwrap_or_default();
    let calls = publication.review.as_ref().map_or(0, |r| u64::from(r.usage.requests));
    Ok(Outcome {
        review: publication.review,
        skipped: publication.skipped.or(report.skipped),
        accounting: Accounting {
            model,
            calls,
            failed_calls: 0,
            tokens_in: report.tokens_in,
            tokens_out: report.tokens_out,
            cost_usd: report.cost_usd,
            duration_ms: report.duration_ms,
        },
        not_reviewed: Value::Null,
        posted,
    })
}

/// The outcome as JSON: what would be posted, the accounting and what was left out.
pub fn to_json(o: &Outcome) -> Value {
    let Some(r) = &o.review else {
        return json!({ "skipped": o.skipped, "accounting": o.accounting, "posted": false });
    };
    let other: Vec<Value> = r.unplaced.iter().map(|u| json!({ "finding": u.finding, "reason": u.reason.to_string() })).collect();
    json!({
        "skipped": o.skipped,
        "comments": render::comments(r),
        "other_findings": other,
        "review_body": render::review_body(r),
        "summary": render::summary(r),
        "check_title": render::check_title(r),
        "rejected": r.rejected,
        "duplicates": r.duplicates,
        "below_severity_threshold": r.notes.below_threshold,
        "reply_problems": r.notes.reply_problems,
        "not_reviewed": o.not_reviewed,
        "not_reviewable": r.notes.not_reviewable,
        "accounting": o.accounting,
        "posted": o.posted,
    })
}

/// The outcome as Markdown: the summary comment, then each inline comment, then the accounting.
pub fn to_markdown(o: &Outcome) -> String {
    let a = &o.accounting;
    let cost = a.cost_usd.map_or("unknown cost".to_string(), |c| format!("${c:.4}"));
    let accounting = format!(
        "{} model call(s) ({} failed) to {} · {} tokens in, {} out · {cost} · {:.1} s",
        a.calls,
        a.failed_calls,
        if a.model.is_empty() { "no model" } else { &a.model },
        a.tokens_in,
        a.tokens_out,
        a.duration_ms as f64 / 1000.0
    );
    let Some(r) = &o.review else {
        return format!("Skipped: {}\n\n{accounting}\n", o.skipped.as_deref().unwrap_or("nothing to review"));
    };
    let mut out = format!("{}\n", render::summary(r));
    let comments = render::comments(r);
    out.push_str(&format!("\n## Inline comments ({})\n", comments.len()));
    for c in &comments {
        let lines = c.start_line.map_or(format!("line {}", c.line), |s| format!("lines {s}–{}", c.line));
        out.push_str(&format!("\n### `{}` {lines}\n\n{}\n", c.path, c.body));
    }
    if o.not_reviewed.as_array().is_some_and(|a| !a.is_empty()) {
        out.push_str(&format!("\nNot reviewed: {}\n", o.not_reviewed));
    }
    out.push_str(&format!("\n---\n{accounting}\n"));
    if o.posted {
        out.push_str("Posted on the pull request: the review and the summary comment.\n");
    }
    out
}
