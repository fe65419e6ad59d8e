//! The consumer's GitHub chores besides reviews, on the same platform: posting
//! the coordinator's notes and reactions, and checking whether a command's
//! author may give it (write access, as GitHub defines it).

use crate::platform::Platform;
use crate::ports::{ConfigSource, LogEvent, PipelineLog};
use crate::service::ReviewService;
use crate::stage::configure::config_job;
use crate::stage::gh_err;
use argus_coordinator::protocol::ActedOn;
use argus_coordinator::{Chores, PipelineError, ReplyOutcome};
use argus_core::http::Clock;
use argus_core::ids::{InstallationId, PrRef};
use argus_core::job::{LearningsJob, Notify, OutcomeJob, ReplyJob, VerifyCommand};
use argus_core::learning::Learning;
use argus_github::{ReactionKind, ReactionRollup, ReviewComment};
use argus_review::learnings;
use std::collections::HashSet;

/// Findings whose 👎 is looked into per closed pull request, at most (each
/// costs a reactions read and, per reactor, a permission read).
const MAX_DISLIKES_READ: usize = 5;

impl<P: Platform> ReviewService<P> {
    /// A 👎 on ArgusAI's finding from someone with write access teaches the
    /// repository not to report it again, as a reply saying "intended" does.
    /// GitHub sends no event for reactions, so the reaction counts that come
    /// with ArgusAI's comments (`own`: its findings and its replies) are read,
    /// by every review of the PR and when it closes; a finding a learning already covers (`known`: its
    /// comment, or the same title) costs nothing. At most `max` findings are
    /// looked into. Returns how many were learned.
    pub(crate) async fn learn_from_dislikes(
        &self,
        installation: InstallationId,
        pr: &PrRef,
        own: &[ReviewComment],
        known: &[Learning],
        max: usize,
    ) -> u32 {
        let inst = self.github.installation(installation);
        // A writer who replied "intended" and gave the 👎 taught it once, from the reply.
        let same_title = |t: &str| known.iter().any(|l| l.title.as_deref().is_some_and(|k| learnings::same_title(k, t)));
        let candidates = own
            .iter()
            .filter(|c| c.in_reply_to_id.is_none() && c.reactions.as_ref().is_some_and(|r| r.minus_one > 0))
            .filter(|c| !known.iter().any(|l| l.source_comment == c.id))
            .filter_map(|c| Some((c, learnings::finding_heading(&c.body)?)))
            .filter(|(_, (_, title))| !same_title(title))
            .take(max);
        let mut learned = 0;
        for (c, (category, title)) in candidates {
            let Ok(reactions) = inst.review_comment_reactions(&pr.repo, c.id).await else { continue };
            let reactors = reactions
                .iter()
                .filter(|r| r.kind() == Some(ReactionKind::MinusOne))
                .filter_map(|r| r.user.as_ref().map(|u| u.login.clone()))
                .filter(|login| !login.ends_with("[bot]"));
            for login in reactors.take(2) {
                if !inst.has_write(&pr.repo, &login).await.unwrap_or(false) {
                    continue;
                }
                let l = Learning {
                    rule: learnings::rejection_rule(&category, &title),
                    category: Some(category.clone()),
                    title: Some(title.clone()),
                    source_pr: pr.number.0,
                    source_comment: c.id,
                    author: login,
                    created_at: self.clock.now().0,
                    ..Learning::default()
                };
                if self.config_source.learn(&pr.repo, &l).await.is_some() {
                    learned += 1;
                }
                break;
            }
        }
        learned
    }

    /// How many `[[learnings]]` the repository's configuration holds, read as
    /// a review of this PR reads it (base branch); 0 when it cannot be read (the
    /// list of stored learnings matters more than this count).
    async fn committed_learnings(&self, job: &LearningsJob) -> usize {
        let inst = self.github.installation(job.installation);
        let Ok(pr) = inst.pull_request(&job.pr).await else { return 0 };
        let as_job = config_job(format!("learnings-{}", job.comment_id), &job.pr, job.installation, &pr, Vec::new(), self.clock.now());
        self.configure(&as_job, &pr).await.map(|c| c.config.learnings.len()).unwrap_or(0)
    }

    fn log_chore(&self, pr: &PrRef, step: &'static str, detail: serde_json::Value) {
        self.log.event(LogEvent {
            step,
            job_id: format!("outcome-{}", pr.number.0),
            pr: pr.to_string(),
            deliveries: Vec::new(),
            at_ms: self.clock.now().0,
            detail,
        });
    }
}

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
            return Ok(ActedOn { merged: o.merged, ..ActedOn::default() });
        }
        let resolved: HashSet<u64> = match inst.review_threads(&o.pr).await {
            Ok(threads) => threads.iter().filter(|t| t.is_resolved).filter_map(|t| t.root().map(|c| c.database_id)).collect(),
            Err(argus_github::GitHubError::GraphQlUnavailable { .. }) => HashSet::new(),
            Err(e) => return Err(gh_err("reading the review threads", e)),
        };
        let addressed = roots.iter().filter(|c| c.line.is_none() || resolved.contains(&c.id)).count();
        let count = |f: fn(&ReactionRollup) -> u32| roots.iter().filter(|c| c.reactions.as_ref().is_some_and(|r| f(r) > 0)).count() as u32;
        let (liked, disliked) = (count(|r| r.plus_one), count(|r| r.minus_one));
        if disliked > 0 {
            let known = self.config_source.learnings(&o.pr.repo).await;
            let learned = self.learn_from_dislikes(o.installation, &o.pr, &own, &known, MAX_DISLIKES_READ).await;
            if learned > 0 {
                self.log_chore(&o.pr, "learned_from_reactions", serde_json::json!({ "learnings": learned }));
            }
        }
        Ok(ActedOn { merged: o.merged, findings: roots.len() as u32, addressed: addressed as u32, liked, disliked })
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
            None => learnings::learnings_note(&all, self.committed_learnings(job).await),
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
