//! [`ReviewService`]: the review pipeline behind the queue consumer. `run`
//! reads and thinks (PR, scope, files, configuration, cache, engine, model) and
//! posts nothing; `publish` posts what `run` decided (check run, one review,
//! the summary in place) and writes the cache. The consumer asks the PR's
//! coordinator whether the head is still current between the two.
//!
//! Decision: the check run is created in `publish`, not at the start of `run`.
//! `run` must not write to GitHub, and a run superseded by a newer push would
//! otherwise leave an `in_progress` check on a stale head forever. The check
//! still goes `in_progress` → `completed` (two requests, in that order).

use crate::ports::{ConfigSource, LogEvent, PipelineLog, ReviewCache};
use crate::publication::*;
use argus_config::{Config, Sources};
use argus_coordinator::{PipelineError, ReviewPipeline, ReviewReport};
use argus_core::error::{Classify, ErrorClass};
use argus_core::http::Clock;
use argus_core::ids::{CommitSha, UnixMillis};
use argus_core::job::{JobTrigger, ReviewJob, ReviewMode};
use argus_core::keys::{KvKey, ReviewCacheKey};
use argus_diff::chunk::{self, Budget};
use argus_diff::diff::{FileDiff, FileStatus, parse_patch};
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, Selector};
use argus_diff::tokens;
use argus_github::{
    CheckConclusion, GitHub, GitHubError, InlineComment, JwtSigner, PrFile, ReviewOutcome, ReviewScope, TokenCache,
};
use argus_llm::{BreakerState, BreakerStore, ChatRequest, JsonSchema, LlmClient, LlmConfig, LlmError, LlmProvider, Message, UsageLedger};
use argus_review::anchor::{Placed, Unplaced};
use argus_review::contract::{self, Category, Finding, PromptOptions, ReplyProblem};
use argus_review::engine::{PrText, apply_limits, chunk_user_message};
use argus_review::fingerprint::Dedupe;
use argus_review::place::{DiffIndex, place};
use argus_review::redact::{RedactionReport, redact};
use argus_review::render::{self, FileRow, SummaryInput};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Bumped when prompts or parsing change, so cached findings of an older
/// engine are not reused (it is part of the cache key's config hash).
pub const ENGINE_VERSION: &str = "argus-pipeline/1";
/// Guidance files read from the base branch (bounded and joined by argus-config).
pub const GUIDANCE_FILES: [&str; 2] = [argus_config::guidance::AGENTS_MD, argus_config::guidance::ARGUSAI_MD];
/// At most this many model requests per review (rate limits on free tiers).
pub const MAX_CHUNKS: usize = 20;
/// All model calls of one review end by this long after the job started, well
/// inside a queue consumer's 15-minute wall-clock limit
/// (<https://developers.cloudflare.com/queues/platform/limits/>).
pub const REVIEW_DEADLINE_MS: u64 = 10 * 60 * 1000;

/// Platform pieces of the LLM side. The client itself is built per review,
/// because a repository's configuration may pick another model.
pub struct LlmParts<P, B> {
    pub provider: P,
    pub breakers: B,
    /// Parsed from the Worker's env (`LlmConfig::from_env`); the repo's `model`
    /// and `fallback_models` override it per review.
    pub config: LlmConfig,
}

pub struct ReviewService<H, C, S, T, P, B, K, G, L, Ck> {
    pub github: GitHub<H, C, S, T>,
    pub llm: LlmParts<P, B>,
    pub cache: K,
    pub config_source: G,
    pub log: L,
    /// The pipeline's own time (durations, log stamps, backoff of the LLM client).
    pub clock: Ck,
    /// Jitter seed for the LLM client's backoff (mixed with the job id and attempt).
    pub seed: u64,
}

/// Borrowed platform pieces, so one service builds an [`LlmClient`] per review.
struct ByRef<'a, X>(&'a X);

impl<X: LlmProvider> LlmProvider for ByRef<'_, X> {
    fn kind(&self) -> argus_llm::ProviderKind {
        self.0.kind()
    }
    async fn complete(&self, req: &ChatRequest, call: &argus_llm::CallOptions) -> Result<argus_llm::ChatResponse, argus_llm::LlmError> {
        self.0.complete(req, call).await
    }
}

impl<X: Clock> Clock for ByRef<'_, X> {
    fn now(&self) -> UnixMillis {
        self.0.now()
    }
    async fn sleep(&self, ms: u64) {
        self.0.sleep(ms).await
    }
}

impl<X: BreakerStore> BreakerStore for ByRef<'_, X> {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String> {
        self.0.load(key).await
    }
    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String> {
        self.0.save(key, state).await
    }
}

/// How much of the PR this run reviews, and why.
#[derive(Clone, Debug, PartialEq)]
enum Scope {
    Full { reason: String },
    /// `files`: what changed since `since`, from the comparison that decided the scope.
    Incremental { since: CommitSha, files: Vec<PrFile> },
}

impl Scope {
    fn sentence(&self) -> String {
        match self {
            Scope::Full { reason } => format!("Full review: {reason}."),
            Scope::Incremental { since, .. } => {
                format!("Incremental review of the changes since `{}`, the last reviewed commit.", since.short())
            }
        }
    }
    fn key(&self) -> String {
        match self {
            Scope::Full { .. } => "full".into(),
            Scope::Incremental { since, .. } => format!("since:{since}"),
        }
    }
}

fn gh_err(step: &str, e: GitHubError) -> PipelineError {
    let mut message = format!("{step}: {e}");
    if matches!(e, GitHubError::Unauthorized { .. }) {
        message.push_str(" (check the GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY settings, and that the app is installed)");
    }
    PipelineError { class: e.class(), message }
}

/// The findings after the model, before placement.
struct Thought {
    findings: Vec<Finding>,
    model_summaries: Vec<String>,
    model: String,
    requests: usize,
    unusable: usize,
    ledger: UsageLedger,
    from_cache: bool,
    /// Sorted, deduplicated reply problems, for the summary.
    reply_problems: Vec<String>,
    rejected_by_parser: usize,
}

impl<H, C, S, T, P, B, K, G, L, Ck> ReviewService<H, C, S, T, P, B, K, G, L, Ck>
where
    H: argus_core::http::HttpClient,
    C: Clock,
    S: JwtSigner,
    T: TokenCache,
    P: LlmProvider,
    B: BreakerStore,
    K: ReviewCache,
    G: ConfigSource,
    L: PipelineLog,
    Ck: Clock,
{
    fn log(&self, job: &ReviewJob, step: &'static str, detail: serde_json::Value) {
        self.log.event(LogEvent {
            step,
            job_id: job.job_id.clone(),
            pr: job.pr.to_string(),
            deliveries: job.deliveries.iter().map(|d| d.to_string()).collect(),
            at_ms: self.clock.now().0,
            detail,
        });
    }

    fn skip(&self, job: &ReviewJob, started: UnixMillis, reason: String) -> ReviewReport {
        self.log(job, "skipped", serde_json::json!({ "reason": reason }));
        let publication = Publication {
            v: PUBLICATION_VERSION,
            head_sha: job.head_sha.to_string(),
            skipped: Some(reason.clone()),
            review: None,
            summary: String::new(),
            check: CheckDraft { conclusion: Conclusion::Neutral, title: String::new(), text: String::new() },
            cache: None,
        };
        ReviewReport {
            duration_ms: self.clock.now().0.saturating_sub(started.0),
            summary: format!("skipped: {reason}"),
            publication: serde_json::to_value(publication).expect("publication serializes"),
            ..Default::default()
        }
    }

    async fn review(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError> {
        let started = self.clock.now();
        let repo = &job.pr.repo;
        let inst = self.github.installation(job.installation);
        self.log(job, "started", serde_json::json!({ "head": job.head_sha, "since": job.since_sha, "mode": job.mode, "attempt": job.attempt }));

        let pr = inst.pull_request(&job.pr).await.map_err(|e| gh_err("reading the pull request", e))?;
        if pr.state != "open" {
            return Ok(self.skip(job, started, format!("the pull request is {}", pr.state)));
        }
        if pr.head.sha != job.head_sha {
            // The coordinator has (or will have) a job for the new head; reviewing
            // this one would be posted on a stale commit.
            return Ok(self.skip(job, started, format!("the head moved to {}; a newer job reviews it", pr.head.sha.short())));
        }

        // Configuration: operator layers, then the repository's file from the BASE branch.
        let env = self.config_source.env_vars();
        let global = self.config_source.global_defaults().await;
        let repo_layer = self.config_source.repo_layer(repo).await;
        // An unreadable repository file (too large for the contents API, a directory)
        // is a configuration problem, not a failed review; a GitHub outage is retried.
        let mut unreadable = None;
        let base_toml = match inst.repo_config(repo, &pr.base.sha).await {
            Ok(text) => text,
            Err(e) if !matches!(e.class(), ErrorClass::Retryable { .. }) => {
                unreadable = Some(format!("`{}` on the base branch could not be read ({e}); the review used the other layers", argus_github::ops::CONFIG_PATH));
                None
            }
            Err(e) => return Err(gh_err("reading .github/argusai.toml", e)),
        };
        let resolution = argus_config::resolve(&Sources {
            env: &env,
            kv_global_defaults: global.as_deref(),
            kv_repo: repo_layer.as_deref(),
            base_branch_toml: base_toml.as_deref(),
        });
        let config = resolution.config;
        // The repository's own rules (skip labels, authors, title keywords, base
        // branches, drafts, auto_review, events). A command overrides them.
        let labels: Vec<String> = pr.labels.iter().map(|l| l.name.clone()).collect();
        let trigger = match job.trigger {
            JobTrigger::Command => argus_config::Trigger::Command,
            // Jobs do not carry the webhook action; a first review stands for
            // `opened`, a later one for `synchronize` (the front door has already
            // filtered actions by REVIEW_ENABLED_EVENTS).
            JobTrigger::Automatic if job.since_sha.is_none() && job.mode == ReviewMode::Full => {
                argus_config::Trigger::Event(argus_config::ReviewEvent::Opened)
            }
            JobTrigger::Automatic => argus_config::Trigger::Event(argus_config::ReviewEvent::Synchronize),
        };
        let facts = argus_config::PrFacts {
            trigger,
            draft: pr.draft,
            labels: &labels,
            title: &pr.title,
            author: &pr.user.login,
            base_branch: &pr.base.branch,
        };
        if let argus_config::ReviewDecision::Skip(reason) = argus_config::should_review(&config, &facts) {
            return Ok(self.skip(job, started, format!("the repository's configuration says to skip it: {reason}")));
        }
        let mut config_problems: Vec<String> = resolution.problems.iter().map(|p| p.to_string()).collect();
        config_problems.extend(unreadable);
        let mut texts: [Option<String>; 2] = [None, None];
        for (slot, path) in texts.iter_mut().zip(GUIDANCE_FILES) {
            match inst.file_content(repo, path, pr.base.sha.as_str()).await {
                Ok(bytes) => *slot = bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
                Err(e) if !matches!(e.class(), ErrorClass::Retryable { .. }) => {
                    config_problems.push(format!("`{path}` on the base branch could not be read ({e}); it was left out"));
                }
                Err(e) => return Err(gh_err(&format!("reading {path}"), e)),
            }
        }
        let guidance = argus_config::repository_guidance(&argus_config::GuidanceFiles {
            agents_md: texts[0].as_deref(),
            argusai_md: texts[1].as_deref(),
        })
        .text;
        self.log(
            job,
            "config",
            serde_json::json!({ "repo_file": base_toml.is_some(), "problems": config_problems.len(), "guidance_chars": guidance.len() }),
        );

        // Scope: incremental since the last reviewed commit when it is still an ancestor.
        let scope = match (job.mode, &job.since_sha) {
            // The coordinator makes an automatic full job only when nothing was reviewed yet.
            (ReviewMode::Full, _) if job.trigger == JobTrigger::Automatic => {
                Scope::Full { reason: "this is the pull request's first review".into() }
            }
            (ReviewMode::Full, _) => Scope::Full { reason: "a full review was requested".into() },
            (ReviewMode::Incremental, since) => {
                match inst.review_scope(repo, since.as_ref(), &job.head_sha).await.map_err(|e| gh_err("comparing commits", e))? {
                    ReviewScope::Full { reason } => Scope::Full { reason },
                    ReviewScope::Incremental { since, files } => Scope::Incremental { since, files: files.reviewable },
                    ReviewScope::UpToDate => {
                        return Ok(self.skip(job, started, "nothing changed since the last reviewed commit".into()));
                    }
                }
            }
        };
        let pr_files = inst.pr_files(&job.pr).await.map_err(|e| gh_err("listing the pull request's files", e))?;
        let mut not_reviewable: Vec<(String, String)> =
            pr_files.not_reviewable.iter().map(|n| (n.filename.clone(), n.reason.describe().to_string())).collect();
        if pr_files.truncated {
            not_reviewable.push(("…".into(), "GitHub lists at most 3000 files of a pull request".into()));
        }
        let review_files: Vec<PrFile> = match &scope {
            Scope::Full { .. } => pr_files.reviewable.clone(),
            Scope::Incremental { files, .. } => {
                let in_pr: HashSet<&str> = pr_files.reviewable.iter().map(|f| f.filename.as_str()).collect();
                // A file changed by the new commits but no longer in the PR (reverted) has nothing to comment on.
                files.iter().filter(|f| in_pr.contains(f.filename.as_str())).cloned().collect()
            }
        };
        self.log(
            job,
            "scope",
            serde_json::json!({ "scope": scope.key(), "pr_files": pr_files.reviewable.len(), "review_files": review_files.len(), "not_reviewable": not_reviewable.len() }),
        );

        // The model reviews `review_files`; comments are placed on the PR's whole diff,
        // which is what GitHub validates anchors against.
        let parsed: Vec<FileDiff<'_>> = review_files.iter().map(to_file_diff).collect();
        let pr_diffs: Vec<FileDiff<'_>> = pr_files.reviewable.iter().map(to_file_diff).collect();

        let select_config = SelectConfig {
            include: config.include.clone(),
            ignore: config.ignore.clone(),
            default_ignores: config.default_ignores,
            max_files: config.max_files as usize,
            max_changed_lines_per_file: config.max_changed_lines_per_file,
        };
        let selector = match Selector::new(&select_config) {
            Ok(s) => s,
            Err(e) => {
                // The config crate validates globs; should one still fail, review with the defaults.
                config_problems.push(format!("{e}; file selection used the defaults"));
                Selector::new(&SelectConfig::default()).expect("default globs compile")
            }
        };
        let selection = selector.select(&parsed);

        let llm_config = self.llm_config_for(&config);
        let system = system_prompt(&config, &guidance);
        let config_hash = config_hash(&config, &llm_config, &guidance, &scope);
        let cache_key = ReviewCacheKey { repo: repo.clone(), head_sha: job.head_sha.clone(), config_hash: config_hash.clone() };

        // Planned on every run (it is cheap and pure): the summary's file table needs it
        // even when the findings come from the cache.
        // Sized for the smallest model of the fallback chain, so a fallback never gets a 413.
        let limits = llm_config.chunk_limits();
        let pr_text = PrText { title: &pr.title, description: "" };
        // The frame of every request (argus-review fences the untrusted parts), measured
        // with an empty diff, as the `argus` CLI budgets it.
        let frame = argus_review::contract::user_message(&argus_review::contract::UserMessage {
            title: &pr.title,
            description: "",
            language_hints: &[],
            diff: "",
            part: Some((0, 2)),
        })
        .0;
        let instructions_budget: u32 =
            config.path_instructions.iter().map(|p| tokens::estimate(&p.instructions) + tokens::estimate(&p.path) + 8).sum();
        let budget = Budget {
            input_limit: limits.max_input_tokens,
            reserved_output: 0,
            // The schema travels with the request in most modes; count it as overhead too.
            prompt_overhead: tokens::estimate(&system)
                + tokens::estimate(&frame)
                + tokens::estimate(&scope.sentence())
                + tokens::estimate(&contract::output_schema().to_string())
                + instructions_budget
                + 64,
            max_chunks: Some(MAX_CHUNKS),
        };
        let plan = chunk::plan(&parsed, &selection, &budget, &[], ContextOptions::default());
        let file_rows = argus_review::engine::file_rows(&parsed, &selection, &plan);

        let mut redactions = RedactionReport::default();
        let cached = match self.cache.get(&cache_key).await {
            Some(text) => serde_json::from_str::<CachedReview>(&text).ok().filter(|c| c.v == PUBLICATION_VERSION),
            None => None,
        };
        let thought = if let Some(c) = cached {
            self.log(job, "cache_hit", serde_json::json!({ "key": cache_key.key(), "findings": c.findings.len() }));
            Thought {
                findings: c.findings,
                model_summaries: c.model_summaries,
                model: c.model,
                requests: 0,
                unusable: 0,
                ledger: UsageLedger::default(),
                from_cache: true,
                reply_problems: Vec::new(),
                rejected_by_parser: 0,
            }
        } else {
            self.log(job, "cache_miss", serde_json::json!({ "key": cache_key.key() }));
            let mut requests = Vec::new();
            let total = plan.chunks.len();
            for (i, c) in plan.chunks.iter().enumerate() {
                let (message, report) = chunk_user_message(&parsed, &selection, c, (i, total), pr_text, &[], ContextOptions::default());
                redactions.merge(&report);
                // Ours and the maintainers' (trusted) text first, then argus-review's fenced
                // message with the untrusted PR data.
                let mut user = format!("{}\n", scope.sentence());
                let mut seen = HashSet::new();
                for part in &c.files {
                    for text in config.instructions_for_path(&part.path) {
                        if seen.insert((part.path.clone(), text.to_string())) {
                            user.push_str(&format!("Maintainers' instructions for `{}`: {}\n", part.path, redact(&text).text));
                        }
                    }
                }
                user.push('\n');
                user.push_str(&message);
                let req = ChatRequest::new(vec![Message::system(system.clone()), Message::user(user)], limits.max_output_tokens.min(4000))
                    .with_schema(JsonSchema { name: "argus_review".into(), schema: contract::output_schema(), strict: true });
                requests.push(req);
            }
            self.log(
                job,
                "planned",
                serde_json::json!({ "chunks": requests.len(), "selected_files": selection.kept.len(), "not_reviewed": plan.not_reviewed.len(), "redactions": redactions.total() }),
            );
            // Jitter differs per job, so jobs that failed together do not retry in lockstep.
            let seed = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (self.seed, &job.job_id, job.attempt).hash(&mut h);
                h.finish()
            };
            let client = LlmClient::new(ByRef(&self.llm.provider), ByRef(&self.clock), ByRef(&self.llm.breakers), llm_config.clone(), seed);
            let results = client.complete_all(&requests, Some(started.plus_millis(REVIEW_DEADLINE_MS))).await;
            let mut t = Thought {
                findings: Vec::new(),
                model_summaries: Vec::new(),
                model: llm_config.model.clone(),
                requests: requests.len(),
                unusable: 0,
                ledger: UsageLedger::default(),
                from_cache: false,
                reply_problems: Vec::new(),
                rejected_by_parser: 0,
            };
            let mut first_failure = None;
            let mut problems = BTreeMap::new();
            for r in results {
                match r {
                    Ok(done) => {
                        t.ledger.record(done.usage.clone());
                        t.model = done.model_used.clone();
                        let reply = contract::parse_reply(&done.response.text);
                        let unusable = reply.findings.is_empty()
                            && reply.summary.is_none()
                            && reply.problems.iter().any(|p| matches!(p, ReplyProblem::NoJson | ReplyProblem::FindingsNotArray));
                        if unusable {
                            t.unusable += 1;
                        }
                        for p in &reply.problems {
                            problems.insert(p.to_string(), ());
                        }
                        t.rejected_by_parser += reply.rejected.len();
                        t.findings.extend(reply.findings);
                        t.model_summaries.extend(reply.summary.filter(|s| !s.trim().is_empty()));
                    }
                    Err(f) => {
                        t.ledger.record_failure();
                        match f.error {
                            // This one request cannot work (too big, refused): the rest of the
                            // review still stands, and the summary says what was left out.
                            LlmError::PromptTooLarge { .. } | LlmError::BadRequest { .. } => {
                                t.unusable += 1;
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
            t
        };

        // What ArgusAI already said on this PR about other heads: fingerprints in its
        // inline comments, and in its review bodies (the findings that were not inline).
        // Its own review of *this* head does not count: that is a redelivery of this job
        // (e.g. the consumer died after posting), which must produce the same summary,
        // while `post_review` sees the head's marker and posts nothing twice.
        let head = job.head_sha.as_str();
        let own = inst.own_review_comments(&job.pr).await.map_err(|e| gh_err("listing ArgusAI's earlier comments", e))?;
        let reviews = inst.reviews(&job.pr).await.map_err(|e| gh_err("listing the pull request's reviews", e))?;
        let own_comments = own.iter().filter(|c| c.commit_id.as_deref() != Some(head)).map(|c| c.body.as_str());
        let own_bodies = reviews
            .iter()
            .filter_map(|r| r.body.as_deref())
            .filter(|b| argus_github::marker::review_marker_head(b).is_some_and(|h| h != head));
        let earlier = render::parse_markers(own_comments.chain(own_bodies)).fingerprints;
        let pricing = llm_config.price_for(&thought.model).map(|p| render::Pricing { input_per_mtok: p.input_per_mtok, output_per_mtok: p.output_per_mtok });
        let facts = Facts { scope: &scope, file_rows, not_reviewable, config_problems, redactions, pricing };
        let report = self.decide(job, &config, &pr_diffs, thought, earlier, facts, cache_key, started);
        Ok(report)
    }

    /// The repo's model choice over the operator's.
    fn llm_config_for(&self, config: &Config) -> LlmConfig {
        let mut c = self.llm.config.clone();
        if let Some(m) = config.model.as_ref().filter(|m| !m.trim().is_empty()) {
            c.model = m.clone();
        }
        if !config.fallback_models.is_empty() {
            c.fallback_models = config.fallback_models.iter().filter(|m| **m != c.model).cloned().collect();
        }
        c
    }

    /// Filters, dedupes, places and renders; builds the publication.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        job: &ReviewJob,
        config: &Config,
        pr_diffs: &[FileDiff<'_>],
        thought: Thought,
        earlier: BTreeSet<argus_review::fingerprint::Fingerprint>,
        facts: Facts<'_>,
        cache_key: ReviewCacheKey,
        started: UnixMillis,
    ) -> ReviewReport {
        // The profile's category filter is the pipeline's; the severity threshold and the
        // inline limit are argus-review's `apply_limits`, as in the `argus` CLI.
        let threshold = config.severity_threshold;
        let quiet = config.profile == argus_config::Profile::Quiet;
        let (kept, off_profile): (Vec<Finding>, Vec<Finding>) = thought
            .findings
            .iter()
            .cloned()
            .partition(|f| !(quiet && matches!(f.category, Category::Style | Category::Docs | Category::Tests)));
        // Placement on the PR's whole diff (what GitHub validates anchors against),
        // dedupe against ArgusAI's earlier comments and across chunks.
        let index = DiffIndex::new(pr_diffs);
        let mut dedupe = Dedupe::new(earlier);
        let mut placement = place(&index, kept, &mut dedupe);
        let below_threshold = off_profile.len() + apply_limits(&mut placement, threshold, config.max_inline_comments as usize);
        let repeated = placement.duplicates.len();
        let inline: Vec<Placed> = placement.placed;
        let unplaced: Vec<Unplaced> = placement.unplaced;
        let fresh = inline.len() + unplaced.len();

        let totals = thought.ledger.totals();
        let neutral = thought.unusable > 0;
        let head = &job.head_sha;
        // ArgusAI's own notes (scope, unusable output, what was left out) go right
        // under the rendered summary's heading.
        let mut preface = String::new();
        preface.push_str(&facts.scope.sentence());
        preface.push_str("\n\n");
        if thought.unusable > 0 {
            preface.push_str(&format!(
                "⚠️ **The model output could not be used** for {} of {} request(s): the reply was not the JSON ArgusAI asked for, \
                 or the provider refused the request (see the notes at the end). Those parts of the change are not reviewed; \
                 push again or comment `@argusai full review` to retry.\n\n",
                thought.unusable, thought.requests
            ));
        }
        let mut notes = Vec::new();
        if repeated > 0 {
            notes.push(format!("{repeated} finding(s) already reported earlier were not repeated."));
        }
        if below_threshold > 0 {
            notes.push(format!("{below_threshold} finding(s) below the `{}` threshold or profile were left out.", threshold.as_str()));
        }
        if thought.from_cache {
            notes.push("Findings reused from the cache (same head and configuration).".into());
        }
        if !notes.is_empty() {
            preface.push_str(&notes.join(" "));
            preface.push_str("\n\n");
        }
        let rendered = render::render_summary(&SummaryInput {
            head,
            model: &thought.model,
            model_summaries: &thought.model_summaries,
            placed: &inline,
            unplaced: &unplaced,
            files: &facts.file_rows,
            usage: render::Usage { requests: thought.requests as u32, input_tokens: totals.prompt_tokens, output_tokens: totals.completion_tokens },
            pricing: facts.pricing,
            redactions: &facts.redactions,
            rejected: thought.rejected_by_parser,
            duplicates: repeated,
        });
        let mut s = match rendered.split_once("\n\n") {
            Some((heading, rest)) => format!("{heading}\n\n{preface}{rest}"),
            None => format!("{preface}{rendered}"),
        };
        // The rendered summary ends with its hidden marker; the sections below start on their own line.
        if !s.ends_with('\n') {
            s.push('\n');
        }
        if !facts.not_reviewable.is_empty() {
            s.push_str("\n### Not reviewable\n\n");
            for (path, why) in facts.not_reviewable.iter().take(100) {
                s.push_str(&format!("- {}: {}\n", render::code_span(path), why));
            }
        }
        if !facts.config_problems.is_empty() {
            s.push_str("\n**Configuration problems** (the review used the remaining valid settings):\n\n");
            for p in &facts.config_problems {
                s.push_str(&format!("- {}\n", p.replace('\n', " ")));
            }
        }
        if !thought.reply_problems.is_empty() {
            s.push_str(&format!("\n<sub>Model reply notes: {}.</sub>\n", thought.reply_problems.join("; ")));
        }
        let duration_ms = self.clock.now().0.saturating_sub(started.0);

        let comments: Vec<DraftComment> = inline
            .iter()
            .map(|p| DraftComment {
                path: p.finding.path.clone(),
                line: p.anchor.line,
                side: p.anchor.side,
                start_line: p.anchor.start_line,
                body: render::render_comment(p),
            })
            .collect();
        // The review is this push's permanent record (the summary is replaced on the
        // next push), so the findings that are not inline are listed in its body too,
        // with their fingerprints, which keeps the next push from repeating them.
        let review = (fresh > 0).then(|| {
            let mut body = format!("ArgusAI found {fresh} new finding(s) in `{}`: {} inline.", head.short(), comments.len());
            if !unplaced.is_empty() {
                body.push_str("\n\n### Not inline\n\n");
                for u in &unplaced {
                    body.push_str(&listed(&u.finding, &u.reason.to_string()));
                }
                body.push('\n');
                body.push_str(&render::summary_marker(head, unplaced.iter().map(|u| &u.fingerprint)));
            }
            ReviewDraft { body, comments }
        });
        let title = if neutral {
            "The model output could not be used".to_string()
        } else if fresh == 0 {
            "No new findings".to_string()
        } else {
            format!("{fresh} new finding(s)")
        };
        // Cache only what a rerun would reproduce: complete, usable results; never code.
        let cache = (!thought.from_cache && !neutral).then(|| CacheEntry {
            config_hash: cache_key.config_hash.clone(),
            value: serde_json::to_string(&CachedReview {
                v: PUBLICATION_VERSION,
                findings: thought
                    .findings
                    .iter()
                    .cloned()
                    .map(|mut f| {
                        f.replacement = None;
                        f
                    })
                    .collect(),
                model_summaries: thought.model_summaries.clone(),
                model: thought.model.clone(),
            })
            .expect("cache value serializes"),
        });
        let publication = Publication {
            v: PUBLICATION_VERSION,
            head_sha: head.to_string(),
            skipped: None,
            review,
            summary: s.clone(),
            check: CheckDraft { conclusion: if neutral { Conclusion::Neutral } else { Conclusion::Success }, title: title.clone(), text: s },
            cache,
        };
        self.log(
            job,
            "decided",
            serde_json::json!({ "new": fresh, "inline": inline.len(), "repeated": repeated, "below_threshold": below_threshold,
                "neutral": neutral, "from_cache": thought.from_cache, "duration_ms": duration_ms }),
        );
        ReviewReport {
            findings: fresh as u32,
            tokens_in: totals.prompt_tokens,
            tokens_out: totals.completion_tokens,
            duration_ms,
            summary: title,
            publication: serde_json::to_value(publication).expect("publication serializes"),
            // A lower bound is not a price: unknown when any model's price is.
            cost_usd: totals.cost_complete.then_some(totals.cost_usd),
            severities: inline.iter().map(|p| p.finding.severity).chain(unplaced.iter().map(|u| u.finding.severity)).collect(),
        }
    }

    /// Posts the one review (idempotent per head) and upserts the summary; returns
    /// the summary as posted (with the anchors GitHub rejected added).
    async fn post_review_and_summary(&self, job: &ReviewJob, publication: &Publication, head: &CommitSha) -> Result<String, PipelineError> {
        let inst = self.github.installation(job.installation);
        let mut summary = publication.summary.clone();
        if let Some(review) = &publication.review {
            let comments = review.comments.iter().map(to_inline).collect();
            match inst.post_review(&job.pr, head, &review.body, comments).await.map_err(|e| gh_err("posting the review", e))? {
                ReviewOutcome::AlreadyPosted { review_id } => {
                    self.log(job, "review_already_posted", serde_json::json!({ "review": review_id }));
                }
                ReviewOutcome::Posted { review_id, inline, rejected, probes } => {
                    self.log(job, "review_posted", serde_json::json!({ "review": review_id, "inline": inline, "rejected": rejected.len(), "probes": probes }));
                    if !rejected.is_empty() {
                        summary.push_str(&format!("\n#### {} comment(s) GitHub could not place on the diff\n\n", rejected.len()));
                        for r in &rejected {
                            let first = r.comment.body.lines().next().unwrap_or("");
                            summary.push_str(&format!("- `{}` line {}: {}\n", r.comment.path.replace('`', "'"), r.comment.end.line, first));
                        }
                    }
                }
            }
        }
        let outcome = inst.upsert_summary(&job.pr, &summary).await.map_err(|e| gh_err("updating the summary comment", e))?;
        self.log(job, "summary", serde_json::json!({ "outcome": format!("{outcome:?}") }));
        Ok(summary)
    }

    async fn post(&self, job: &ReviewJob, report: &ReviewReport) -> Result<(), PipelineError> {
        let publication: Publication = serde_json::from_value(report.publication.clone())
            .map_err(|e| PipelineError::permanent(format!("unreadable review publication: {e}")))?;
        if publication.skipped.is_some() {
            self.log(job, "publish_skipped", serde_json::json!({}));
            return Ok(());
        }
        let repo = &job.pr.repo;
        let head = CommitSha(publication.head_sha.clone());
        let inst = self.github.installation(job.installation);
        let check_id = inst.start_check_run(repo, &head).await.map_err(|e| gh_err("starting the check run", e))?;
        self.log(job, "check_started", serde_json::json!({ "check_run": check_id }));

        let summary = match self.post_review_and_summary(job, &publication, &head).await {
            Ok(s) => s,
            Err(e) => {
                // Never leave the check spinning: close it as neutral (best effort; the
                // queue's retry starts a fresh one), then hand the error to the consumer.
                let text = format!("ArgusAI could not finish posting this review and will retry if it can: {}", e.message);
                let closed = inst.complete_check_run(repo, check_id, CheckConclusion::Neutral, "Review not posted yet", &text).await;
                self.log(job, "check_closed_after_error", serde_json::json!({ "closed": closed.is_ok() }));
                return Err(e);
            }
        };
        let conclusion = match publication.check.conclusion {
            Conclusion::Success => CheckConclusion::Success,
            Conclusion::Neutral => CheckConclusion::Neutral,
        };
        inst.complete_check_run(repo, check_id, conclusion, &publication.check.title, &summary)
            .await
            .map_err(|e| gh_err("completing the check run", e))?;
        self.log(job, "check_completed", serde_json::json!({ "conclusion": conclusion }));
        if let Some(entry) = &publication.cache {
            let key = ReviewCacheKey { repo: repo.clone(), head_sha: head.clone(), config_hash: entry.config_hash.clone() };
            self.cache.put(&key, &entry.value, key.ttl_secs().unwrap_or(3600)).await;
            self.log(job, "cache_written", serde_json::json!({ "key": key.key(), "bytes": entry.value.len() }));
        }
        Ok(())
    }
}

impl<H, C, S, T, P, B, K, G, L, Ck> ReviewPipeline for ReviewService<H, C, S, T, P, B, K, G, L, Ck>
where
    H: argus_core::http::HttpClient,
    C: Clock,
    S: JwtSigner,
    T: TokenCache,
    P: LlmProvider,
    B: BreakerStore,
    K: ReviewCache,
    G: ConfigSource,
    L: PipelineLog,
    Ck: Clock,
{
    async fn run(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError> {
        let r = self.review(job).await;
        if let Err(e) = &r {
            self.log(job, "failed", serde_json::json!({ "class": e.class, "message": e.message }));
        }
        r
    }

    async fn publish(&self, job: &ReviewJob, report: &ReviewReport) -> Result<(), PipelineError> {
        let r = self.post(job, report).await;
        if let Err(e) = &r {
            self.log(job, "publish_failed", serde_json::json!({ "class": e.class, "message": e.message }));
        }
        r
    }
}

/// A GitHub `/pulls/{n}/files` entry as a parsed diff, with GitHub's status and old path.
fn to_file_diff(f: &PrFile) -> FileDiff<'_> {
    let mut d = parse_patch(&f.filename, f.patch.as_deref().unwrap_or("")).file;
    match f.status.as_str() {
        "added" => d.status = FileStatus::Added,
        "removed" => d.status = FileStatus::Deleted,
        "renamed" => {
            d.status = FileStatus::Renamed;
            d.old_path = f.previous_filename.as_deref().map(Cow::Borrowed);
        }
        "copied" => d.status = FileStatus::Copied,
        _ => {}
    }
    d
}

/// What `decide` reports besides the findings.
struct Facts<'a> {
    scope: &'a Scope,
    file_rows: Vec<FileRow>,
    /// Files GitHub gave no patch for, with why.
    not_reviewable: Vec<(String, String)>,
    config_problems: Vec<String>,
    redactions: RedactionReport,
    pricing: Option<render::Pricing>,
}

/// A finding that is not inline, as a list item of the review body.
fn listed(f: &Finding, why: &str) -> String {
    let lines = match f.start_line {
        Some(s) if s < f.end_line => format!("lines {s}–{}", f.end_line),
        _ => format!("line {}", f.end_line),
    };
    format!(
        "- **{}** · {} · **{}** — {} {lines}: {} _(not inline: {})_\n",
        f.severity.as_str(),
        f.category.as_str(),
        render::sanitize_inline(&render::truncate(&f.title, 200)),
        render::code_span(&f.path),
        render::sanitize_inline(&render::truncate(&f.body, 600)),
        render::sanitize_inline(why)
    )
}

fn to_inline(c: &DraftComment) -> InlineComment {
    let side = match c.side {
        contract::Side::Left => argus_github::Side::Left,
        contract::Side::Right => argus_github::Side::Right,
    };
    match c.start_line {
        Some(s) => InlineComment::range(
            c.path.clone(),
            argus_github::Anchor { line: s, side },
            argus_github::Anchor { line: c.line, side },
            c.body.clone(),
        ),
        None => InlineComment::single(c.path.clone(), c.line, side, c.body.clone()),
    }
}

/// The system prompt: the findings contract plus the maintainers' settings
/// (trusted: they come from the operator and the base branch, never the PR).
fn system_prompt(config: &Config, guidance: &str) -> String {
    let mut g = String::new();
    g.push_str(match config.profile {
        argus_config::Profile::Quiet => "Profile: quiet. Report only likely bugs, security problems and data loss; no style, docs or test remarks.\n",
        argus_config::Profile::Balanced => "Profile: balanced. Report bugs, risks and clear maintainability problems.\n",
        argus_config::Profile::Thorough => "Profile: thorough. Also report missing tests, naming and documentation problems.\n",
    });
    g.push_str(&format!(
        "Only report findings of severity {} or more serious.\n",
        config.severity_threshold.as_str()
    ));
    if !config.language.trim().is_empty() && !config.language.eq_ignore_ascii_case("english") {
        g.push_str(&format!("Write titles, bodies and the summary in {}.\n", config.language.trim()));
    }
    if !config.instructions.trim().is_empty() {
        g.push_str(&format!("Instructions: {}\n", config.instructions.trim()));
    }
    if !guidance.trim().is_empty() {
        g.push_str(&redact(guidance).text);
    }
    contract::system_prompt(&PromptOptions { max_findings: 20, guidelines: Some(g) })
}

/// What the cached findings depend on besides the head: argus-config's hash
/// of the review-relevant settings and guidance, the models actually asked
/// (the operator's env may name them), the engine version and the scope (a
/// full review of a head is not an incremental one).
fn config_hash(config: &Config, llm: &LlmConfig, guidance: &str, scope: &Scope) -> String {
    let mut h = Sha256::new();
    for part in [
        ENGINE_VERSION.to_string(),
        argus_config::config_hash(config, guidance),
        llm.models().join(","),
        scope.key(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect()
}
