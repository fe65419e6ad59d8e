//! Stage 7, publish (after the coordinator's stale-head check): the one
//! COMMENT review is posted (idempotent per head;
//! anchors GitHub refuses are bisected out and listed), the summary comment is
//! created or edited in place, the job's check run completes (`success` or
//! `neutral`, never `failure`), and the findings are cached. Every word posted
//! is rendered by `argus_review::render` from the publication's review.

use super::gh_err;
use crate::platform::Platform;
use crate::ports::ReviewCache;
use crate::publication::Publication;
use crate::service::ReviewService;
use argus_coordinator::{PipelineError, ReviewReport};
use argus_core::ids::CommitSha;
use argus_core::job::ReviewJob;
use argus_core::keys::{KvKey, ReviewCacheKey};
use argus_github::{CheckConclusion, InlineComment, ReviewOutcome};
use argus_review::render::{self, NotPlaced, Review, ReviewComment};

impl<P: Platform> ReviewService<P> {
    /// Posts the review and the summary, completes the job's check run when there
    /// is one (`None`: a person's token, which GitHub does not let create check
    /// runs), and caches the findings.
    pub(crate) async fn post(&self, job: &ReviewJob, report: &ReviewReport, check_id: Option<u64>) -> Result<(), PipelineError> {
        let publication: Publication = serde_json::from_value(report.publication.clone())
            .map_err(|e| PipelineError::permanent(format!("unreadable review publication: {e}")))?;
        let Some(mut review) = publication.review.filter(|_| publication.skipped.is_none()) else {
            self.log(job, "publish_skipped", serde_json::json!({}));
            return Ok(());
        };
        let repo = &job.pr.repo;
        let head = CommitSha(publication.head_sha.clone());
        let inst = self.github.installation(job.installation);
        // Threads this push fixed: resolved first, so the summary counts them.
        review.notes.resolved_threads = self.resolve_fixed(job, &publication.resolutions).await;
        // On an error the consumer closes or updates the check (retrying / failed).
        let summary = self.post_review_and_summary(job, &mut review, &head).await?;
        if let Some(check_id) = check_id {
            let conclusion = if review.neutral() { CheckConclusion::Neutral } else { CheckConclusion::Success };
            inst.complete_check_run(repo, check_id, conclusion, &render::check_title(&review), &summary)
                .await
                .map_err(|e| gh_err("completing the check run", e))?;
            self.log(job, "check_completed", serde_json::json!({ "conclusion": conclusion }));
        }
        if let Some(entry) = &publication.cache {
            let key = ReviewCacheKey { repo: repo.clone(), head_sha: head.clone(), config_hash: entry.config_hash.clone() };
            self.cache.put(&key, &entry.value, key.ttl_secs().unwrap_or(3600)).await;
            self.log(job, "cache_written", serde_json::json!({ "key": key.key(), "bytes": entry.value.len() }));
        }
        Ok(())
    }

    /// Posts the one review (idempotent per head) and upserts the summary;
    /// returns the summary as posted (with the anchors GitHub refused).
    async fn post_review_and_summary(&self, job: &ReviewJob, review: &mut Review, head: &CommitSha) -> Result<String, PipelineError> {
        let inst = self.github.installation(job.installation);
        if let Some(body) = render::review_body(review) {
            let rendered = render::comments(review);
            let comments = rendered.iter().map(to_inline).collect();
            // The comments GitHub refuses are known only while posting: render.rs
            // writes the body around them.
            let with_refused = |rejected: &[argus_github::RejectedComment]| {
                let refused: Vec<render::RefusedComment<'_>> = rejected
                    .iter()
                    .map(|r| render::RefusedComment {
                        path: &r.comment.path,
                        start_line: r.comment.real_start().map(|s| s.line),
                        line: r.comment.end.line,
                        left: r.comment.end.side == argus_github::Side::Left,
                        body: &r.comment.body,
                    })
                    .collect();
                render::review_body_with_refused(&body, &refused)
            };
            match inst.post_review_with(&job.pr, head, &with_refused, comments).await.map_err(|e| gh_err("posting the review", e))? {
                ReviewOutcome::AlreadyPosted { review_id } => {
                    self.log(job, "review_already_posted", serde_json::json!({ "review": review_id }));
                }
                ReviewOutcome::Posted { review_id, inline, rejected, probes } => {
                    self.log(
                        job,
                        "review_posted",
                        serde_json::json!({ "review": review_id, "inline": inline, "rejected": rejected.len(), "probes": probes }),
                    );
                    // Back from GitHub's comments to our findings (the bodies are unique:
                    // each carries its fingerprint), so the summary renders them from source.
                    review.not_placed = rejected
                        .iter()
                        .filter_map(|r| rendered.iter().position(|c| c.body == r.comment.body))
                        .map(|i| {
                            let p = &review.placed[i];
                            NotPlaced {
                                path: p.finding.path.clone(),
                                line: p.anchor.line,
                                side: p.anchor.side,
                                severity: p.finding.severity,
                                title: p.finding.title.clone(),
                            }
                        })
                        .collect();
                }
            }
        }
        // What this review cost in subrequests so far (the summary and check run writes follow).
        review.subrequests = Some(self.github.ledger().counts());
        let summary = render::summary(review);
        let outcome = inst.upsert_summary(&job.pr, &summary).await.map_err(|e| gh_err("updating the summary comment", e))?;
        self.log(job, "summary", serde_json::json!({ "outcome": format!("{outcome:?}") }));
        Ok(summary)
    }
}

fn to_inline(c: &ReviewComment) -> InlineComment {
    let side = c.side;
    match c.start_line {
        Some(s) => {
            InlineComment::range(c.path.clone(), argus_github::Anchor { line: s, side }, argus_github::Anchor { line: c.line, side }, c.body.clone())
        }
        None => InlineComment::single(c.path.clone(), c.line, side, c.body.clone()),
    }
}
