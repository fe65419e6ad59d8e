//! The consumer's GitHub chores besides reviews, on the same platform: posting
//! the coordinator's notes and reactions, and checking whether a command's
//! author may give it (write access, as GitHub defines it).

use crate::platform::Platform;
use crate::service::ReviewService;
use crate::stage::gh_err;
use argus_coordinator::{Chores, PipelineError, ReplyOutcome};
use argus_core::job::{Notify, ReplyJob, VerifyCommand};

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

    async fn reply(&self, r: &ReplyJob) -> Result<ReplyOutcome, PipelineError> {
        ReviewService::reply(self, r).await
    }
}
