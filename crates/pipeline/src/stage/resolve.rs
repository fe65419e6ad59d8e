//! Stage 6b, resolve (read-only, like all of `run`): which open threads that
//! ArgusAI started on an earlier commit this push fixed. Only threads whose
//! file the push touched are looked at, so a push elsewhere costs nothing; for
//! those, one GraphQL read of the threads (resolution state, who replied), one
//! batched read of the cited file at the finding's commit and at the head, and
//! — only for lines that changed rather than disappeared — one fix-check
//! request for all of them (`argus_review::resolution`). `publish` resolves
//! the threads found here (GraphQL `resolveReviewThread`) and replies once in
//! each, naming the commit; the summary counts them. Anything that fails here
//! leaves threads open and never costs the review.

use super::model::Thought;
use super::plan::Plan;
use super::scope::{Scope, Scoped};
use super::verify::batches;
use crate::platform::{ByRef, Platform};
use crate::service::ReviewService;
use argus_core::ids::UnixMillis;
use argus_core::job::ReviewJob;
use argus_diff::tokens;
use argus_github::contents::{BlobRequest, BlobResult, ContentLimits};
use argus_github::{PrFile, ReviewComment, Side};
use argus_llm::{ChatRequest, JsonSchema, LlmClient, Message};
use argus_review::resolution::{self, CitedChange, FixClaim, Fixed, ThreadNote, Triage};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// At most this many threads are resolved per push (each costs two writes of
/// the free plan's 50 subrequests); the rest wait for the next push.
pub const MAX_RESOLUTIONS: usize = 5;
/// At most this many changed threads go to one fix check.
pub const MAX_CHECKED: usize = 10;
/// At most this many open threads have their cited files read (two batched
/// GraphQL requests hold them; threads on one file share its reads).
pub const MAX_THREADS_READ: usize = 100;
/// Output tokens an answer needs.
const ANSWER_TOKENS: u32 = 60;

/// A thread `publish` resolves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedResolution {
    /// The GraphQL node id of the thread.
    pub thread_id: String,
    /// The REST id of its first comment (ArgusAI's finding): what the reply goes to.
    pub root_comment_id: u64,
    pub path: String,
    pub why: Fixed,
}

/// What the resolve stage found, for the publication and the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolveScan {
    pub planned: Vec<PlannedResolution>,
    /// Open ArgusAI threads on files this push touched.
    pub considered: usize,
    /// Threads whose changed lines went to the fix check.
    pub checked: usize,
    /// Fix-check requests sent (0 or 1).
    pub requests: usize,
    /// Why part of the scan did not complete (those threads stay open).
    pub failed: Option<String>,
}

/// A first comment of an ArgusAI thread that this push may have fixed, with
/// where its file is at the head.
#[derive(Debug)]
pub struct Candidate<'c> {
    pub comment: &'c ReviewComment,
    /// The file's path at the head (renames followed).
    pub head_path: String,
    /// The file is removed at the head (said by GitHub's file list, not guessed
    /// from a failed read).
    pub removed: bool,
}

/// The first comments of ArgusAI's threads that this push may have fixed:
/// posted on another commit, on the new side, on a file the push touched.
/// `pr_files` (the whole PR's) tells renames and removals on a full review,
/// which does not know what changed since each comment (the texts tell).
pub fn candidates<'c>(own: &'c [ReviewComment], scope: &Scope, pr_files: &[PrFile], head: &str) -> Vec<Candidate<'c>> {
    let files: &[PrFile] = match scope {
        Scope::Incremental { files, .. } => files,
        Scope::Full { .. } => pr_files,
    };
    let find = |path: &str| files.iter().find(|f| f.filename == path || f.previous_filename.as_deref() == Some(path));
    own.iter()
        .filter(|c| c.in_reply_to_id.is_none() && c.side != Some(Side::Left))
        .filter(|c| c.origin().is_some_and(|sha| sha != head))
        .filter_map(|c| match (find(&c.path), scope) {
            (Some(f), _) => Some(Candidate { comment: c, head_path: f.filename.clone(), removed: f.status == "removed" }),
            (None, Scope::Full { .. }) => Some(Candidate { comment: c, head_path: c.path.clone(), removed: false }),
            (None, Scope::Incremental { .. }) => None,
        })
        .collect()
}

impl<P: Platform> ReviewService<P> {
    /// Finds the threads this push fixed (see the module docs). Model calls are
    /// recorded in `thought`'s ledger, so the summary's figures include them.
    pub(crate) async fn find_fixed(
        &self,
        job: &ReviewJob,
        started: UnixMillis,
        plan: &Plan,
        scoped: &Scoped,
        own: &[ReviewComment],
        thought: &mut Thought,
    ) -> ResolveScan {
        let mut scan = ResolveScan::default();
        let roots = candidates(own, &scoped.scope, &scoped.pr_files.reviewable, job.head_sha.as_str());
        if roots.is_empty() {
            return scan;
        }
        let inst = self.github.installation(job.installation);
        let (me, threads) = match (self.github.app_identity().await, inst.review_threads(&job.pr).await) {
            (Ok(me), Ok(t)) => (me, t),
            (Err(e), _) | (_, Err(e)) => {
                scan.failed = Some(format!("reading the review threads: {e}"));
                return scan;
            }
        };
        let by_root: HashMap<u64, &argus_github::conversation::ReviewThread> =
            threads.iter().filter_map(|t| Some((t.root()?.database_id, t))).collect();
        let mut open = Vec::new();
        for cand in roots {
            let Some(thread) = by_root.get(&cand.comment.id) else { continue };
            let notes: Vec<ThreadNote<'_>> = thread
                .comments
                .iter()
                .map(|c| ThreadNote { by_app: c.author.as_ref().is_some_and(|a| me.authored_graphql(Some(&a.typename), &a.login)), body: &c.body })
                .collect();
            if resolution::triage(thread.is_resolved, &notes) == Triage::Consider {
                open.push((cand, *thread));
            }
        }
        scan.considered = open.len();
        open.truncate(MAX_THREADS_READ);
        if open.is_empty() {
            return scan;
        }

        // The cited file where the finding was posted, and at the head: one batched read.
        let mut wanted: Vec<BlobRequest> = Vec::new();
        let slot = |rev: &str, path: &str, wanted: &mut Vec<BlobRequest>| match wanted.iter().position(|b| b.rev == rev && b.path == path) {
            Some(i) => i,
            None => {
                wanted.push(BlobRequest::new(rev, path));
                wanted.len() - 1
            }
        };
        let pairs: Vec<(usize, usize)> = open
            .iter()
            .map(|(c, _)| {
                (slot(c.comment.origin().unwrap_or_default(), &c.comment.path, &mut wanted), slot(job.head_sha.as_str(), &c.head_path, &mut wanted))
            })
            .collect();
        let limits = ContentLimits { max_requests: 2, ..ContentLimits::default() };
        let fetched = inst.blobs(&job.pr.repo, &wanted, &limits).await;
        if let Some(e) = &fetched.error {
            scan.failed = Some(format!("reading the cited files: {e}"));
        }
        let text = |i: usize| -> Result<Option<&str>, ()> {
            match fetched.results.get(i) {
                Some(BlobResult::Text { text, .. }) => Ok(Some(text.as_str())),
                Some(BlobResult::Missing) => Ok(None),
                _ => Err(()),
            }
        };

        let mut changed: Vec<(usize, String, String, String)> = Vec::new();
        for (k, ((cand, thread), (old_i, new_i))) in open.iter().zip(&pairs).enumerate() {
            let root = cand.comment;
            // A file missing at the head counts as deleted only when GitHub lists it removed.
            let new = match text(*new_i) {
                Ok(None) if !cand.removed => continue,
                Ok(t) => t,
                Err(()) => continue,
            };
            let Ok(Some(old)) = text(*old_i) else { continue };
            let Some(end) = root.original_line.or(root.line) else { continue };
            let start = root.original_start_line.or(root.start_line).unwrap_or(end).min(end);
            match resolution::cited_change(old, new, start, end) {
                CitedChange::Deleted => scan.planned.push(PlannedResolution {
                    thread_id: thread.id.clone(),
                    root_comment_id: root.id,
                    path: root.path.clone(),
                    why: Fixed::Deleted,
                }),
                CitedChange::Changed { old, new } if changed.len() < MAX_CHECKED => changed.push((k, resolution::finding_text(&root.body), old, new)),
                CitedChange::Changed { .. } => {}
                CitedChange::Unchanged | CitedChange::Unknown => {}
            }
        }
        // As many as fit one request within the model's input limit (the rest wait for the next push).
        let limits = plan.llm.chunk_limits();
        let overhead = tokens::estimate(&resolution::system_prompt()) + tokens::estimate(&resolution::schema().to_string()) + 200;
        let costs: Vec<u32> = changed.iter().map(|(_, f, o, n)| tokens::estimate(f) + tokens::estimate(o) + tokens::estimate(n) + 40).collect();
        let (fits, _) = batches(&costs, limits.max_input_tokens.saturating_sub(overhead), MAX_CHECKED, 1);
        changed.truncate(fits.first().map_or(0, |r| r.end));
        if !changed.is_empty() {
            let claims: Vec<FixClaim<'_>> =
                changed.iter().map(|(k, finding, old, new)| FixClaim { path: &open[*k].0.head_path, finding, old, new }).collect();
            let (user, redactions) = resolution::user_message(&claims);
            // Secrets replaced in what the fix check sends count with the review's.
            thought.redactions.merge(&redactions);
            let out_tokens = (claims.len() as u32 * ANSWER_TOKENS + 100).min(limits.max_output_tokens.min(4000));
            let request = ChatRequest::new(vec![Message::system(resolution::system_prompt()), Message::user(user)], out_tokens)
                .with_schema(JsonSchema { name: resolution::SCHEMA_NAME.into(), schema: resolution::schema(), strict: true });
            let seed = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (self.seed, &job.job_id, job.attempt, "fixcheck").hash(&mut h);
                h.finish()
            };
            let client = LlmClient::new(ByRef(&self.llm.provider), ByRef(&self.clock), ByRef(&self.llm.breakers), plan.llm.clone(), seed);
            scan.requests = 1;
            scan.checked = claims.len();
            thought.fix_checks += 1;
            let answers = match client.complete_all(std::slice::from_ref(&request), Some(plan.llm.retry.review_deadline(started))).await.pop() {
                Some(Ok(done)) => {
                    thought.ledger.record(done.usage.clone());
                    resolution::parse_answers(&done.response.text, claims.len())
                }
                Some(Err(f)) => {
                    thought.ledger.record_failure();
                    Err(format!("the fix check failed: {}", f.error))
                }
                None => Err("the fix check was not sent".into()),
            };
            match answers {
                Ok(answers) => {
                    for ((k, ..), answer) in changed.iter().zip(answers) {
                        if answer.is_some_and(|a| a.resolves()) {
                            let (cand, thread) = &open[*k];
                            scan.planned.push(PlannedResolution {
                                thread_id: thread.id.clone(),
                                root_comment_id: cand.comment.id,
                                path: cand.head_path.clone(),
                                why: Fixed::Addressed,
                            });
                        }
                    }
                }
                Err(why) => scan.failed = Some(why),
            }
        }
        scan.planned.truncate(MAX_RESOLUTIONS);
        self.log(
            job,
            "threads_checked",
            serde_json::json!({ "considered": scan.considered, "checked": scan.checked, "requests": scan.requests,
                "resolving": scan.planned.len(), "failed": scan.failed }),
        );
        scan
    }

    /// Resolves the planned threads, then replies in each naming the commit;
    /// returns how many were resolved. A thread is resolved before the reply, so
    /// a retry finds it resolved and posts nothing twice; failures are logged and
    /// leave the thread open.
    pub(crate) async fn resolve_fixed(&self, job: &ReviewJob, planned: &[PlannedResolution]) -> usize {
        let inst = self.github.installation(job.installation);
        let mut resolved = 0;
        for p in planned {
            match inst.resolve_review_thread(&p.thread_id).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    self.log(job, "resolve_failed", serde_json::json!({ "thread": p.thread_id, "error": e.to_string() }));
                    continue;
                }
            }
            resolved += 1;
            let body = argus_review::render::resolution_reply(&job.head_sha, p.why);
            if let Err(e) = inst.reply_to_review_comment(&job.pr, p.root_comment_id, &body).await {
                self.log(job, "resolution_reply_failed", serde_json::json!({ "thread": p.thread_id, "error": e.to_string() }));
            }
        }
        if resolved > 0 {
            self.log(job, "threads_resolved", serde_json::json!({ "resolved": resolved }));
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_github::PrFile;

    fn comment(id: u64, path: &str, commit: &str, reply_to: Option<u64>, side: Side) -> ReviewComment {
        serde_json::from_value(serde_json::json!({
            "id": id, "path": path, "line": 3, "side": side, "body": "b", "commit_id": commit, "original_commit_id": commit,
            "in_reply_to_id": reply_to, "original_line": 3
        }))
        .unwrap()
    }

    #[test]
    fn only_first_comments_on_earlier_commits_of_touched_files_are_candidates() {
        let (old, head) = ("a".repeat(40), "b".repeat(40));
        let own = vec![
            comment(1, "src/a.rs", &old, None, Side::Right),
            comment(2, "src/a.rs", &old, Some(1), Side::Right),
            comment(3, "src/b.rs", &old, None, Side::Right),
            comment(4, "src/a.rs", &head, None, Side::Right),
            comment(5, "src/a.rs", &old, None, Side::Left),
            comment(6, "src/new.rs", &old, None, Side::Right),
        ];
        let file = |name: &str, prev: Option<&str>| PrFile {
            filename: name.into(),
            status: "modified".into(),
            previous_filename: prev.map(Into::into),
            additions: 1,
            deletions: 1,
            changes: 2,
            patch: None,
        };
        let scope = Scope::Incremental {
            since: argus_core::ids::CommitSha(old.clone()),
            files: vec![file("src/a.rs", None), file("src/renamed.rs", Some("src/new.rs"))],
        };
        let found = candidates(&own, &scope, &[], &head);
        let ids: Vec<(u64, &str)> = found.iter().map(|c| (c.comment.id, c.head_path.as_str())).collect();
        assert_eq!(ids, vec![(1, "src/a.rs"), (6, "src/renamed.rs")], "renames are followed to the head");
        // A full review does not know what changed since each comment: the texts tell.
        let mut gone = file("src/b.rs", None);
        gone.status = "removed".into();
        let found = candidates(&own, &Scope::Full { reason: "r".into() }, &[gone], &head);
        let ids: Vec<(u64, bool)> = found.iter().map(|c| (c.comment.id, c.removed)).collect();
        assert_eq!(ids, vec![(1, false), (3, true), (6, false)]);
        // A push touching other files only: nothing to read.
        let scope = Scope::Incremental { since: argus_core::ids::CommitSha(old), files: vec![file("README.md", None)] };
        assert!(candidates(&own, &scope, &[], &head).is_empty());
    }
}
