//! Stage 1, the pull request: read it, and stop when it is closed or its head
//! has moved past the job's (a newer job reviews the new head).

use super::{Next, gh_err};
use crate::platform::Platform;
use crate::service::ReviewService;
use argus_coordinator::PipelineError;
use argus_core::job::ReviewJob;
use argus_github::PullRequest;

pub struct Pull {
    pub pr: PullRequest,
}

impl<P: Platform> ReviewService<P> {
    pub(crate) async fn pull(&self, job: &ReviewJob) -> Result<Next<Pull>, PipelineError> {
        let inst = self.github.installation(job.installation);
        let pr = inst.pull_request(&job.pr).await.map_err(|e| gh_err("reading the pull request", e))?;
        if pr.state != "open" {
            return Ok(Next::Skip(format!("the pull request is {}", pr.state)));
        }
        if pr.head.sha != job.head_sha {
            // The coordinator has (or will have) a job for the new head; reviewing
            // this one would be posted on a stale commit.
            return Ok(Next::Skip(format!("the head moved to {}; a newer job reviews it", pr.head.sha.short())));
        }
        Ok(Next::Go(Pull { pr }))
    }
}
