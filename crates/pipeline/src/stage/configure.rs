//! Stage 2, configuration: the operator's layers (Worker vars, KV `CONFIG`)
//! under the repository's `.github/argusai.toml` from the PR's **base**
//! commit, the repository's own skip rules, and the guidance files
//! (`.github/argusai.md`, `AGENTS.md`, Copilot's instructions,
//! `CONTRIBUTING.md`), also from base — all five in one batched request. A
//! broken or unreadable file is a problem shown on the PR, never a failed
//! review; a GitHub outage is retried.

use super::gh_err;
use crate::platform::Platform;
use crate::ports::ConfigSource;
use crate::service::ReviewService;
use argus_config::guidance::GUIDANCE_PATHS;
use argus_config::{Config, Sources};
use argus_coordinator::PipelineError;
use argus_core::error::{Classify, ErrorClass};
use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrRef, UnixMillis};
use argus_core::job::{JobTrigger, ReviewJob, ReviewMode};
use argus_github::ops::CONFIG_PATH;
use argus_github::{BlobRequest, BlobResult, ContentLimits, PullRequest};

/// Files of the base branch larger than this are not read as configuration or
/// guidance (guidance is cut to a few thousand characters anyway).
const MAX_REPO_FILE_BYTES: u64 = 256 * 1024;

pub struct Configured {
    pub config: Config,
    /// `Some(reason)`: the repository's rules say not to review this job.
    pub skip: Option<String>,
    /// Every problem with the layers, as sentences for the summary and the check run.
    pub problems: Vec<String>,
    /// The repository's guidance for the model (trusted: base branch only).
    pub guidance: String,
}

/// A job that reads the configuration outside a review (thread answers, the
/// learnings list) exactly as a review of `pr` would: base branch, command trigger.
pub(crate) fn config_job(
    job_id: String,
    pr_ref: &PrRef,
    installation: InstallationId,
    pr: &PullRequest,
    deliveries: Vec<DeliveryId>,
    now: UnixMillis,
) -> ReviewJob {
    ReviewJob {
        job_id,
        pr: pr_ref.clone(),
        installation,
        head_sha: CommitSha(pr.head.sha.as_str().to_string()),
        base_sha: CommitSha(pr.base.sha.as_str().to_string()),
        since_sha: None,
        mode: ReviewMode::Full,
        trigger: JobTrigger::Command,
        actions: Vec::new(),
        attempt: 1,
        deliveries,
        enqueued_at: now,
    }
}

impl<P: Platform> ReviewService<P> {
    pub(crate) async fn configure(&self, job: &ReviewJob, pr: &PullRequest) -> Result<Configured, PipelineError> {
        let repo = &job.pr.repo;
        let inst = self.github.installation(job.installation);
        let env = self.config_source.env_vars();
        let global = self.config_source.global_defaults().await;
        let repo_layer = self.config_source.repo_layer(repo).await;
        // The repository's file and its guidance, from the BASE commit, in one
        // batched request. An unreadable file (too large, binary) is a configuration
        // problem, not a failed review; a GitHub outage is retried.
        let base = pr.base.sha.as_str();
        let wanted: Vec<BlobRequest> = std::iter::once(CONFIG_PATH).chain(GUIDANCE_PATHS).map(|p| BlobRequest::new(base, p)).collect();
        let fetched = inst.blobs(repo, &wanted, &ContentLimits { max_file_bytes: MAX_REPO_FILE_BYTES, ..ContentLimits::default() }).await;
        if let Some(e) = fetched.error.filter(|e| matches!(e.class(), ErrorClass::Retryable { .. })) {
            return Err(gh_err("reading the repository's configuration and guidance", e));
        }
        let mut problems = Vec::new();
        let mut texts: Vec<Option<&str>> = Vec::with_capacity(wanted.len());
        for (want, result) in wanted.iter().zip(&fetched.results) {
            texts.push(match result {
                BlobResult::Text { text, .. } => Some(text.as_str()),
                BlobResult::Missing => None,
                other => {
                    let why = match other {
                        BlobResult::TooLarge { byte_size } | BlobResult::Binary { byte_size } | BlobResult::Truncated { byte_size, .. } => {
                            format!("{byte_size} bytes, not a text file ArgusAI reads")
                        }
                        BlobResult::Failed { reason } => reason.clone(),
                        _ => "not fetched".into(),
                    };
                    problems.push(if want.path == CONFIG_PATH {
                        format!("`{CONFIG_PATH}` on the base branch could not be read ({why}); the review used the other layers")
                    } else {
                        format!("`{}` on the base branch could not be read ({why}); it was left out", want.path)
                    });
                    None
                }
            });
        }
        let base_toml = texts[0];
        let resolution = argus_config::resolve(&Sources {
            env: &env,
            kv_global_defaults: global.as_deref(),
            kv_repo: repo_layer.as_deref(),
            base_branch_toml: base_toml,
        });
        let config = resolution.config;
        // The repository's own rules (skip labels, authors, title keywords, base
        // branches, drafts, auto_review, events). A command overrides them.
        let labels: Vec<String> = pr.labels.iter().map(|l| l.name.clone()).collect();
        if let argus_config::ReviewDecision::Skip(reason) = decide(&config, job, pr, &labels) {
            let skip = Some(format!("the repository's configuration says to skip it: {reason}"));
            return Ok(Configured { config, skip, problems: Vec::new(), guidance: String::new() });
        }
        let mut all_problems: Vec<String> = resolution.problems.iter().map(|p| p.to_string()).collect();
        all_problems.extend(problems);
        let problems = all_problems;
        let mut files = argus_config::GuidanceFiles::default();
        for (path, text) in GUIDANCE_PATHS.iter().zip(&texts[1..]) {
            files.set(path, *text);
        }
        let guidance = argus_config::repository_guidance(&files).text;
        self.log(
            job,
            "config",
            serde_json::json!({ "repo_file": base_toml.is_some(), "problems": problems.len(), "guidance_chars": guidance.len() }),
        );
        Ok(Configured { config, skip: None, problems, guidance })
    }
}

/// The repository's own rules (`auto_review`, `events`, drafts, skip labels,
/// authors, title keywords, base branches) for this job. A command overrides
/// them; an automatic job is reviewed when any of the `pull_request` actions it
/// coalesced is in `events`.
pub fn decide(config: &Config, job: &ReviewJob, pr: &PullRequest, labels: &[String]) -> argus_config::ReviewDecision {
    let facts =
        |trigger| argus_config::PrFacts { trigger, draft: pr.draft, labels, title: &pr.title, author: &pr.user.login, base_branch: &pr.base.branch };
    if job.trigger == JobTrigger::Command {
        return argus_config::should_review(config, &facts(argus_config::Trigger::Command));
    }
    let mut events: Vec<argus_config::ReviewEvent> = job.actions.iter().filter_map(|a| review_event(*a)).collect();
    if events.is_empty() {
        // A message written before jobs carried their actions: a first review
        // stands for `opened`, a later one for `synchronize`.
        events.push(if job.since_sha.is_none() && job.mode == ReviewMode::Full {
            argus_config::ReviewEvent::Opened
        } else {
            argus_config::ReviewEvent::Synchronize
        });
    }
    let mut first_skip = None;
    for e in events {
        match argus_config::should_review(config, &facts(argus_config::Trigger::Event(e))) {
            argus_config::ReviewDecision::Review => return argus_config::ReviewDecision::Review,
            skip => {
                first_skip.get_or_insert(skip);
            }
        }
    }
    first_skip.unwrap_or(argus_config::ReviewDecision::Review)
}

fn review_event(a: PrAction) -> Option<argus_config::ReviewEvent> {
    Some(match a {
        PrAction::Opened => argus_config::ReviewEvent::Opened,
        PrAction::Synchronize => argus_config::ReviewEvent::Synchronize,
        PrAction::Reopened => argus_config::ReviewEvent::Reopened,
        PrAction::ReadyForReview => argus_config::ReviewEvent::ReadyForReview,
        PrAction::Closed | PrAction::ConvertedToDraft => return None,
    })
}
