//! The consumer's GitHub chores besides reviews, on the same platform: posting
//! the coordinator's notes and reactions, and checking whether a command's
//! author may give it (write access, as GitHub defines it).

use crate::platform::Platform;
use crate::ports::ConfigSource;
use crate::service::ReviewService;
use crate::stage::gh_err;
use argus_coordinator::protocol::ActedOn;
use argus_coordinator::{Chores, PipelineError, ReplyOutcome};
use argus_core::job::{LearningsJob, Notify, OutcomeJob, ReplyJob, VerifyCommand};
use argus_review::learnings;
use std::collections::HashSet;

impl<P: Platform> Chores for ReviewService<P> {
    async fn notify(&self, n: &Notify) -> Result<(), PipelineError> {
        let inst = self.github.installation(n.installation);
        // Reactions first: they acknowledge a command at once; notes may take a write each.
        for r in &n.reactions {
            inst.react(&n.pr.repo, r.comment_id, &r.content).await.map_err(|e| gh_err("reacting to a command", e))?;
        }
        for note in &n.notes {
            inst.post_note(&n.pr, note).await.map_err(|e| gh_err("posting a note", e))?;
        }
        Ok(())
    }

    async fn author_permission(&self, v: &VerifyCommand) -> Result<(bool, String), PipelineError> {
        let inst = self.github.installation(v.installation);
        // Cached briefly (in memory and KV): a burst of commands costs one request.
        let write = inst.has_write(&v.pr.repo, &v.author).await.map_err(|e| gh_err("reading the commenter's permission", e))?;
        Ok((write, if write { "write".into() } else { "below write".into() }))
    }

    /// ArgusAI's findings are the first comments of the threads it started; one
    /// was acted on when its thread was resolved (by anyone) or GitHub marks it
    /// outdated (its cited lines changed after it was posted). Without GraphQL
    /// (some GitHub Enterprise setups) only the second is known.
    async fn acted_on(&self, o: &OutcomeJob) -> Result<ActedOn, PipelineError> {
        let inst = self.github.installation(o.installation);
        let own = inst.own_review_comments(&o.pr).await.map_err(|e| gh_err("listing ArgusAI's comments", e))?;
        let roots: Vec<_> = own.iter().filter(|c| c.in_reply_to_id.is_none()).collect();
        if roots.is_empty() {
            return Ok(ActedOn { merged: o.merged, findings: 0, addressed: 0 });
        }
        let resolved: HashSet<u64> = match inst.review_threads(&o.pr).await {
            Ok(threads) => threads.iter().filter(|t| t.is_resolved).filter_map(|t| t.root().map(|c| c.database_id)).collect(),
            Err(argus_github::GitHubError::GraphQlUnavailable { .. }) => HashSet::new(),
            Err(e) => return Err(gh_err("reading the review threads", e)),
        };
        let addressed = roots.iter().filter(|c| c.line.is_none() || resolved.contains(&c.id)).count();
        Ok(ActedOn { merged: o.merged, findings: roots.len() as u32, addressed: addressed as u32 })
    }

    /// Lists or forgets; the note carries a marker naming the command's comment,
    /// looked for first, so a retry neither posts twice nor forgets another one.
    async fn learnings(&self, job: &LearningsJob) -> Result<(), PipelineError> {
        let inst = self.github.installation(job.installation);
        let marker = format!("<!-- argus-review:v1 learnings={} -->", job.comment_id);
        let own = inst.own_issue_comments(&job.pr).await.map_err(|e| gh_err("reading ArgusAI's notes", e))?;
        if own.iter().any(|c| c.body.as_deref().unwrap_or_default().contains(&marker)) {
            return Ok(());
        }
        let all = self.config_source.learnings(&job.pr.repo).await;
        let note = match job.forget {
            None => learnings::learnings_note(&all),
            Some(n) => {
                let target = all.get((n as usize).saturating_sub(1));
                let gone = match target {
                    Some(l) if self.config_source.forget(&job.pr.repo, l.id).await => Some(l),
                    _ => None,
                };
                learnings::forgot_note(n, gone)
            }
        };
        inst.post_note(&job.pr, &format!("{note}\n\n{marker}")).await.map_err(|e| gh_err("posting the learnings note", e))?;
        Ok(())
    }

    async fn reply(&self, r: &ReplyJob) -> Result<ReplyOutcome, PipelineError> {
        ReviewService::reply(self, r).await
    }
}
