//! Stage 2, configuration: the operator's layers (Worker vars, KV `CONFIG`)
//! under the repository's `.github/argusai.toml` from the PR's **base**
//! commit, the repository's own skip rules, and the guidance files, also from
//! base. A broken or unreadable file is a problem shown on the PR, never a
//! failed review; a GitHub outage is retried.

use super::gh_err;
use crate::platform::Platform;
use crate::ports::ConfigSource;
use crate::service::ReviewService;
use argus_config::{Config, Sources};
use argus_coordinator::PipelineError;
use argus_core::error::{Classify, ErrorClass};
use argus_core::event::PrAction;
use argus_core::job::{JobTrigger, ReviewJob, ReviewMode};
use argus_github::PullRequest;

/// Guidance files read from the base branch (bounded and joined by argus-config).
pub const GUIDANCE_FILES: [&str; 2] = [argus_config::guidance::AGENTS_MD, argus_config::guidance::ARGUSAI_MD];

pub struct Configured {
    pub config: Config,
    /// `Some(reason)`: the repository's rules say not to review this job.
    pub skip: Option<String>,
    /// Every problem with the layers, as sentences for the summary and the check run.
    pub problems: Vec<String>,
    /// The repository's guidance for the model (trusted: base branch only).
    pub guidance: String,
}

impl<P: Platform> ReviewService<P> {
    pub(crate) async fn configure(&self, job: &ReviewJob, pr: &PullRequest) -> Result<Configured, PipelineError> {
        let repo = &job.pr.repo;
        let inst = self.github.installation(job.installation);
        let env = self.config_source.env_vars();
        let global = self.config_source.global_defaults().await;
        let repo_layer = self.config_source.repo_layer(repo).await;
        // An unreadable repository file (too large for the contents API, a directory)
        // is a configuration problem, not a failed review; a GitHub outage is retried.
        let mut unreadable = None;
        let base_toml = match inst.repo_config(repo, &pr.base.sha).await {
            Ok(text) => text,
            Err(e) if !matches!(e.class(), ErrorClass::Retryable { .. }) => {
                unreadable = Some(format!(
                    "`{}` on the base branch could not be read ({e}); the review used the other layers",
                    argus_github::ops::CONFIG_PATH
                ));
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
        if let argus_config::ReviewDecision::Skip(reason) = decide(&config, job, pr, &labels) {
            let skip = Some(format!("the repository's configuration says to skip it: {reason}"));
            return Ok(Configured { config, skip, problems: Vec::new(), guidance: String::new() });
        }
        let mut problems: Vec<String> = resolution.problems.iter().map(|p| p.to_string()).collect();
        problems.extend(unreadable);
        let mut texts: [Option<String>; 2] = [None, None];
        for (slot, path) in texts.iter_mut().zip(GUIDANCE_FILES) {
            match inst.file_content(repo, path, pr.base.sha.as_str()).await {
                Ok(bytes) => *slot = bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
                Err(e) if !matches!(e.class(), ErrorClass::Retryable { .. }) => {
                    problems.push(format!("`{path}` on the base branch could not be read ({e}); it was left out"));
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
    let facts = |trigger| argus_config::PrFacts {
        trigger,
        draft: pr.draft,
        labels,
        title: &pr.title,
        author: &pr.user.login,
        base_branch: &pr.base.branch,
    };
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
