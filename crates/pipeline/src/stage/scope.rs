//! Stage 3, scope: how much of the pull request this run reviews, and why —
//! incremental since the last reviewed commit when that is still an ancestor
//! of head, otherwise the whole PR — and its files. The model reviews
//! `review_files`; comments are placed on the whole PR diff (`pr_files`),
//! which is what GitHub validates anchors against.

use super::{Next, gh_err};
use crate::platform::Platform;
use crate::service::ReviewService;
use argus_coordinator::PipelineError;
use argus_core::ids::CommitSha;
use argus_core::job::{JobTrigger, ReviewJob, ReviewMode};
use argus_github::{PrFile, PrFiles, ReviewScope};
use std::collections::HashSet;

/// How much of the PR this run reviews, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    Full {
        reason: String,
    },
    /// `files`: what changed since `since`, from the comparison that decided the scope.
    Incremental {
        since: CommitSha,
        files: Vec<PrFile>,
    },
}

impl Scope {
    /// One sentence for the model and the summary.
    pub fn sentence(&self) -> String {
        match self {
            Scope::Full { reason } => format!("Full review: {reason}."),
            Scope::Incremental { since, .. } => {
                format!("Incremental review of the changes since `{}`, the last reviewed commit.", since.short())
            }
        }
    }
    /// Part of the cache key: a full review of a head is not an incremental one.
    pub fn key(&self) -> String {
        match self {
            Scope::Full { .. } => "full".into(),
            Scope::Incremental { since, .. } => format!("since:{since}"),
        }
    }
}

pub struct Scoped {
    pub scope: Scope,
    /// Every file of the PR (GitHub's list), for placement.
    pub pr_files: PrFiles,
    /// The files this run reviews.
    pub review_files: Vec<PrFile>,
    /// Files GitHub gave no patch for, with why.
    pub not_reviewable: Vec<(String, String)>,
}

impl<P: Platform> ReviewService<P> {
    pub(crate) async fn scope(&self, job: &ReviewJob) -> Result<Next<Scoped>, PipelineError> {
        let inst = self.github.installation(job.installation);
        let scope = match (job.mode, &job.since_sha) {
            // The coordinator makes an automatic full job only when nothing was reviewed yet.
            (ReviewMode::Full, _) if job.trigger == JobTrigger::Automatic => Scope::Full { reason: "this is the pull request's first review".into() },
            (ReviewMode::Full, _) => Scope::Full { reason: "a full review was requested".into() },
            (ReviewMode::Incremental, since) => {
                match inst.review_scope(&job.pr.repo, since.as_ref(), &job.head_sha).await.map_err(|e| gh_err("comparing commits", e))? {
                    ReviewScope::Full { reason } => Scope::Full { reason },
                    ReviewScope::Incremental { since, files } => Scope::Incremental { since, files: files.reviewable },
                    ReviewScope::UpToDate => return Ok(Next::Skip("nothing changed since the last reviewed commit".into())),
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
        Ok(Next::Go(Scoped { scope, pr_files, review_files, not_reviewable }))
    }
}
