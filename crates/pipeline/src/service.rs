//! [`ReviewService`]: the review pipeline behind the queue consumer, as the
//! sequence of stages in [`crate::stage`]. The job's check run is created when
//! the job starts (`start_check`), so the PR shows ArgusAI at work from the
//! first moment; `run` reads and thinks and posts nothing else; `publish`
//! posts what `run` decided and completes the check; `close_check` ends it when
//! nothing is posted (skipped, superseded, failed), so no check is ever left
//! spinning. The consumer asks the PR's coordinator whether the head is still
//! current before `publish`.

use crate::platform::{LlmParts, Platform};
use crate::ports::{ConfigSource, LogEvent, PipelineLog};
use crate::publication::{PUBLICATION_VERSION, Publication};
use crate::stage::contents::{Contents, prepare_context};
use crate::stage::decide::{Facts, ScopeRelocation, decide};
use crate::stage::guard::tripwires;
use crate::stage::model::Thought;
use crate::stage::plan::RequestContext;
use crate::stage::plan::{PlanInput, plan, to_file_diff};
use crate::stage::scope::Scope;
use crate::stage::verify::CodeView;
use crate::stage::{Next, gh_err};
use argus_config::{ContextMode, Profile};
use argus_coordinator::protocol::RepoSettings;
use argus_coordinator::{CheckEnd, PipelineError, ReviewPipeline, ReviewReport};
use argus_core::http::Clock;
use argus_core::ids::UnixMillis;
use argus_core::job::JobTrigger;
use argus_core::job::ReviewJob;
use argus_core::keys::ReviewCacheKey;
use argus_diff::diff::FileDiff;
use argus_diff::diff::NewLine;
use argus_diff::risk::trivial_change;
use argus_github::{CheckConclusion, GitHub};
use argus_review::render::{self, CheckNote};

/// Earlier findings with a 👎 a review looks into, at most: each costs a
/// reactions read and a permission read of the subrequest budget.
const MAX_DISLIKES_PER_REVIEW: usize = 2;

pub struct ReviewService<P: Platform> {
    pub github: GitHub<P::Http, P::GitHubClock, P::Signer, P::Tokens>,
    pub llm: LlmParts<P::Llm, P::Breakers>,
    pub cache: P::Cache,
    pub config_source: P::Config,
    pub log: P::Log,
    /// The pipeline's own time (durations, log stamps, backoff of the LLM client).
    pub clock: P::Clock,
    /// Jitter seed for the LLM client's backoff (mixed with the job id and attempt).
    pub seed: u64,
}

impl<P: Platform> ReviewService<P> {
    pub(crate) fn log(&self, job: &ReviewJob, step: &'static str, detail: serde_json::Value) {
        self.log.event(LogEvent {
            step,
            job_id: job.job_id.clone(),
            pr: job.pr.to_string(),
            deliveries: job.deliveries.iter().map(|d| d.to_string()).collect(),
            at_ms: self.clock.now().0,
            detail,
        });
    }

    /// A run that reviews nothing on purpose: a distinct outcome, never a review.
    fn skip(&self, job: &ReviewJob, started: UnixMillis, reason: String, settings: RepoSettings) -> ReviewReport {
        self.log(job, "skipped", serde_json::json!({ "reason": reason }));
        let publication = Publication {
            v: PUBLICATION_VERSION,
            head_sha: job.head_sha.to_string(),
            skipped: Some(reason.clone()),
            review: None,
            cache: None,
            resolutions: Vec::new(),
        };
        ReviewReport {
            duration_ms: self.clock.now().0.saturating_sub(started.0),
            summary: format!("skipped: {reason}"),
            skipped: Some(reason),
            settings,
            publication: serde_json::to_value(publication).expect("publication serializes"),
            ..Default::default()
        }
    }

    /// The stages of `run`, in order (see [`crate::stage`]).
    async fn review(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError> {
        let started = self.clock.now();
        self.log(job, "started", serde_json::json!({ "head": job.head_sha, "since": job.since_sha, "mode": job.mode, "attempt": job.attempt }));

        let pull = match self.pull(job).await? {
            Next::Go(p) => p,
            Next::Skip(reason) => return Ok(self.skip(job, started, reason, RepoSettings::default())),
        };
        let configured = self.configure(job, &pull.pr).await?;
        // What the coordinator should know of the repository's settings (they live in
        // the base branch's file, which only this job reads).
        let settings = RepoSettings {
            debounce_ms: Some(u64::from(configured.config.debounce_seconds) * 1000),
            replies_max_per_pr: Some(configured.config.replies.max_per_pr),
            replies_max_per_hour: Some(configured.config.replies.max_per_hour),
        };
        if let Some(reason) = configured.skip {
            return Ok(self.skip(job, started, reason, settings));
        }
        let scoped = match self.scope(job).await? {
            Next::Go(s) => s,
            Next::Skip(reason) => return Ok(self.skip(job, started, reason, settings)),
        };

        // The model reviews `review_files`; comments are placed on the PR's whole diff.
        let files: Vec<FileDiff<'_>> = scoped.review_files.iter().map(to_file_diff).collect();
        let pr_diffs: Vec<FileDiff<'_>> = scoped.pr_files.reviewable.iter().map(to_file_diff).collect();
        // What the repository's maintainers taught ArgusAI and how often it acts on
        // findings (its Repository object), read by reviews only: answers in threads
        // share `configure` and need neither. The rules join the guidance (and so the cache key).
        // The team's `[[learnings]]` (base branch) join them.
        let learned = self.config_source.learnings(&job.pr.repo).await;
        let acted_on = self.config_source.acted_on(&job.pr.repo).await;
        let learnings = argus_review::learnings::Rules::new(&configured.config.learnings, &learned);
        let paths: Vec<&str> = files.iter().map(|f| f.path()).collect();
        let rules = learnings.prompt_section(&paths);
        let guidance = match (configured.guidance.trim().is_empty(), rules.is_empty()) {
            (_, true) => configured.guidance.clone(),
            (true, false) => rules,
            (false, false) => format!("{}\n\n{rules}", configured.guidance),
        };
        let input = PlanInput {
            config: &configured.config,
            guidance: &guidance,
            llm: &self.llm.config,
            scope: &scoped.scope,
            title: &pull.pr.title,
            description: pull.pr.body.as_deref().unwrap_or(""),
            files: &files,
        };
        let plan = plan(&input);
        let cache_key = ReviewCacheKey { repo: job.pr.repo.clone(), head_sha: job.head_sha.clone(), config_hash: plan.config_hash.clone() };
        // The risk rule: a trivial change (docs, lockfiles, generated code, renames,
        // formatting) asks no model, unless a person asked for the review.
        let docs_trivial = configured.config.profile != Profile::Thorough;
        let quiet = (job.trigger == JobTrigger::Automatic).then(|| trivial_change(&files, docs_trivial)).flatten();
        let cached = match quiet {
            Some(q) => Some(Thought::quiet(plan.llm.model.clone(), q)),
            None => self.cached(job, &cache_key).await,
        };

        // Contents and context, only when the model will be asked: a cached review
        // of this head and configuration, or a quiet one, needs neither.
        let contents = match &cached {
            Some(_) => Contents::default(),
            None => {
                let base_rev = match &scoped.scope {
                    Scope::Incremental { since, .. } => since.as_str(),
                    Scope::Full { .. } => pull.pr.base.sha.as_str(),
                };
                self.contents(job, &configured.config, &files, &plan.selection, base_rev).await
            }
        };
        let texts = contents.refs();
        let prepared =
            (cached.is_none() && configured.config.context != ContextMode::Off).then(|| prepare_context(&configured.config, &files, &texts));
        let mut thought = match cached {
            Some(t) => t,
            None => {
                let context = prepared.as_ref().map(|p| RequestContext { prepared: p, map: contents.map.as_deref() });
                let mut t = self.think(job, started, &plan, &input, context.as_ref()).await?;
                let view = CodeView { files: &files, head: &texts.head, prepared: prepared.as_ref() };
                self.verify(job, started, &plan, &configured.config, &mut t, &view).await;
                t
            }
        };

        // Findings the repository's learnings reject are not posted (cached or not).
        let suppressed = learnings.suppress(&mut thought.findings);
        if suppressed > 0 {
            self.log(job, "suppressed_by_learnings", serde_json::json!({ "findings": suppressed }));
        }

        // What ArgusAI already said on this PR about other heads: fingerprints in its
        // inline comments, and in its review bodies (the findings that were not inline).
        // Its own review of *this* head does not count: that is a redelivery of this job
        // (e.g. the consumer died after posting), which must produce the same summary,
        // while `post_review` sees the head's marker and posts nothing twice.
        let inst = self.github.installation(job.installation);
        let head = job.head_sha.as_str();
        let own = inst.own_review_comments(&job.pr).await.map_err(|e| gh_err("listing ArgusAI's earlier comments", e))?;
        // Only what the App itself posted counts: anyone can paste a marker into a comment.
        let reviews = inst.own_reviews(&job.pr).await.map_err(|e| gh_err("listing the pull request's reviews", e))?;
        let own_comments = own.iter().filter(|c| c.commit_id.as_deref() != Some(head)).map(|c| c.body.as_str());
        let own_bodies =
            reviews.iter().filter_map(|r| r.body.as_deref()).filter(|b| argus_github::marker::review_marker_head(b).is_some_and(|h| h != head));
        let earlier = render::parse_markers(own_comments.chain(own_bodies)).keys;
        // A writer's 👎 on an earlier finding teaches from the next review on (a few per review).
        let taught = self.learn_from_dislikes(job.installation, &job.pr, &own, &learned, MAX_DISLIKES_PER_REVIEW).await;
        if taught > 0 {
            self.log(job, "learned_from_reactions", serde_json::json!({ "learnings": taught }));
        }
        // Threads of earlier findings this push fixed (resolved when publishing).
        let fixed = self.find_fixed(job, started, &plan, &scoped, &own, &mut thought).await;

        // The input tripwire. Commit messages cost one request; a failure to read
        // them leaves the rest of the scan standing and is said in the summary.
        let commits = match inst.pr_commits(&job.pr).await {
            Ok(c) => c,
            Err(e) => {
                self.log(job, "commits_unread", serde_json::json!({ "error": e.to_string() }));
                Vec::new()
            }
        };
        let tripped = tripwires(&files, &pull.pr.title, pull.pr.body.as_deref().unwrap_or(""), &commits);
        if !tripped.findings.is_empty() || !tripped.sentences.is_empty() {
            self.log(job, "tripwire", serde_json::json!({ "diff": tripped.findings.len(), "texts": tripped.sentences.len() }));
        }
        let relocate = |path: &str, line: u32| -> Option<(u32, String)> {
            let r = argus_context::relocate(prepared.as_ref()?, path, NewLine::new(line)?);
            let scope = r.scope.filter(|s| s.kind.is_callable())?;
            Some((r.nearest?.get(), scope.name))
        };
        let mut config_problems = configured.problems;
        config_problems.extend(plan.problems.iter().cloned());
        let facts = Facts {
            head: &job.head_sha,
            scope: &scoped.scope,
            plan: &plan,
            not_reviewable: scoped.not_reviewable,
            config_problems,
            earlier,
            // The head texts let placement recognize code the model cited by content.
            sources: files.iter().zip(&contents.head).filter_map(|(f, t)| Some((f.new_path.as_deref()?, t.as_deref()?))).collect(),
            files: &files,
            tripped,
            scope_relocation: prepared.as_ref().map(|_| &relocate as &ScopeRelocation<'_>),
            context_problems: contents.problems.clone(),
        };
        let mut decided = decide(&configured.config, &pr_diffs, &thought, facts);
        decided.publication.resolutions = fixed.planned;
        if let Some(r) = decided.publication.review.as_mut() {
            r.notes.acted_on = acted_on.filter(|(_, findings)| *findings > 0);
            r.notes.suppressed_by_learnings = suppressed;
        }
        let totals = thought.ledger.totals();
        let duration_ms = self.clock.now().0.saturating_sub(started.0);
        let review = decided.publication.review.as_ref().expect("decide always gives a review");
        let title = render::check_title(review);
        self.log(
            job,
            "decided",
            serde_json::json!({ "new": decided.fresh, "inline": review.placed.len(), "repeated": review.duplicates, "below_threshold": review.notes.below_threshold,
                "neutral": review.neutral(), "from_cache": thought.from_cache, "quiet": thought.quiet.is_some(), "duration_ms": duration_ms }),
        );
        Ok(ReviewReport {
            findings: decided.fresh as u32,
            tokens_in: totals.prompt_tokens,
            tokens_out: totals.completion_tokens,
            duration_ms,
            summary: title,
            skipped: None,
            settings,
            publication: serde_json::to_value(&decided.publication).expect("publication serializes"),
            // A lower bound is not a price: unknown when any model's price is.
            cost_usd: totals.cost_complete.then_some(totals.cost_usd),
            severities: review.placed.iter().map(|p| p.finding.severity).chain(review.unplaced.iter().map(|u| u.finding.severity)).collect(),
        })
    }
}

impl<P: Platform> ReviewService<P> {
    /// Publishes a `run`'s result with a person's token (`argus review --post`):
    /// the review and the summary, idempotent per head like the Worker's, but no
    /// check run — GitHub lets only Apps create them
    /// (<https://docs.github.com/en/rest/checks/runs#create-a-check-run>).
    pub async fn publish_without_check(&self, job: &ReviewJob, report: &ReviewReport) -> Result<(), PipelineError> {
        self.post(job, report, None).await
    }
}

impl<P: Platform> ReviewPipeline for ReviewService<P> {
    async fn start_check(&self, job: &ReviewJob) -> Result<u64, PipelineError> {
        let inst = self.github.installation(job.installation);
        let id = inst.start_check_run(&job.pr.repo, &job.head_sha).await.map_err(|e| gh_err("starting the check run", e))?;
        self.log(job, "check_started", serde_json::json!({ "check_run": id }));
        Ok(id)
    }

    async fn run(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError> {
        let r = self.review(job).await;
        if let Err(e) = &r {
            self.log(job, "failed", serde_json::json!({ "class": e.class, "message": e.message }));
        }
        r
    }

    async fn publish(&self, job: &ReviewJob, report: &ReviewReport, check_run: u64) -> Result<(), PipelineError> {
        let r = self.post(job, report, Some(check_run)).await;
        if let Err(e) = &r {
            self.log(job, "publish_failed", serde_json::json!({ "class": e.class, "message": e.message }));
        }
        r
    }

    fn subrequests(&self) -> Option<argus_core::subrequests::SubrequestCounts> {
        Some(self.github.ledger().counts())
    }

    async fn close_check(&self, job: &ReviewJob, check_run: u64, end: &CheckEnd) -> Result<(), PipelineError> {
        let note = match end {
            CheckEnd::Skipped { reason } => CheckNote::Skipped { reason },
            CheckEnd::Superseded { current_head } => CheckNote::Superseded { current_head: current_head.as_ref() },
            CheckEnd::Retrying { reason, failures } => CheckNote::Retrying { reason, failures: *failures },
            CheckEnd::Failed { reason } => CheckNote::Failed { reason },
            CheckEnd::DeadLettered { reason } => CheckNote::DeadLettered { reason },
        };
        let (title, text) = render::check_note(note);
        let inst = self.github.installation(job.installation);
        let repo = &job.pr.repo;
        let done = match end {
            CheckEnd::Retrying { .. } => inst.update_check_run(repo, check_run, &title, &text).await,
            // Skipped on purpose, or superseded: nothing for a maintainer to act on.
            CheckEnd::Skipped { .. } | CheckEnd::Superseded { .. } => {
                inst.complete_check_run(repo, check_run, CheckConclusion::Skipped, &title, &text).await
            }
            // ArgusAI's own failures are neutral, never failure: they must not block a merge.
            CheckEnd::Failed { .. } | CheckEnd::DeadLettered { .. } => {
                inst.complete_check_run(repo, check_run, CheckConclusion::Neutral, &title, &text).await
            }
        };
        self.log(job, "check_closed", serde_json::json!({ "check_run": check_run, "title": title, "ok": done.is_ok() }));
        done.map_err(|e| gh_err("updating the check run", e))
    }
}
