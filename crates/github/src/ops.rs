//! The operations the review pipeline needs, on one installation: read the PR,
//! its files, a comparison and file contents; post one review (never twice for a
//! head SHA, bisecting GitHub's 422 to move bad anchors into the body); keep one
//! summary comment; report a check run; react to a command comment.
//!
//! ArgusAI finds its own review, summary and inline comments by hidden markers,
//! and a marker counts only on something the App's bot user wrote
//! ([`crate::identity`]): anyone can paste a marker into a comment.

use crate::auth::{JwtSigner, TokenCache};
use crate::bisect::Bisector;
use crate::client::{GitHub, PER_PAGE, decode, encode_path, encode_query};
use crate::error::GitHubError;
use crate::marker::{COMMENT_MARKER, NOTE_MARKER, PROBE_MARKER, SUMMARY_MARKER, review_marker, review_marker_head, with_marker};
use crate::types::*;
use argus_core::http::{Clock, HttpClient, Method};
use argus_core::ids::{CommitSha, InstallationId, PrRef, RepoName};
use base64::Engine as _;
use serde::Serialize;

/// GitHub lists at most 3000 files of a PR
/// (<https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files>).
pub const MAX_PR_FILES: usize = 3000;
/// A comparison lists at most this many changed files.
pub const MAX_COMPARE_FILES: usize = 300;
/// Where a repository configures ArgusAI; read from the base branch only, so a PR
/// cannot change the rules it is reviewed under.
pub const CONFIG_PATH: &str = ".github/argusai.toml";
pub const CHECK_RUN_NAME: &str = "ArgusAI review";
/// Check run `output.summary` is capped at 65535 characters.
const CHECK_SUMMARY_MAX: usize = 65_535;
/// Listing reviews or comments stops here; a PR with more is pathological.
const MAX_LISTED: usize = 3000;

/// Operations on one installation's repositories.
pub struct Installation<'a, H, C, S, T> {
    pub(crate) gh: &'a GitHub<H, C, S, T>,
    pub(crate) id: InstallationId,
}

fn repo_path(repo: &RepoName) -> String {
    format!("/repos/{}/{}", repo.owner, repo.name)
}

fn json<B: Serialize>(body: &B) -> Option<Vec<u8>> {
    Some(serde_json::to_vec(body).expect("request bodies serialize"))
}

impl<H: HttpClient, C: Clock, S: JwtSigner, T: TokenCache> Installation<'_, H, C, S, T> {
    async fn call<R: serde::de::DeserializeOwned>(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<R, GitHubError> {
        let url = self.gh.url(path);
        let resp = self.gh.send_installation(self.id, method, &url, body).await?;
        decode(&format!("{} {}", method.as_str(), path.split('?').next().unwrap_or(path)), &resp)
    }

    async fn call_no_content(&self, method: Method, path: &str) -> Result<(), GitHubError> {
        let url = self.gh.url(path);
        self.gh.send_installation(self.id, method, &url, None).await.map(|_| ())
    }

    /// `GET /repos/{o}/{r}/pulls/{n}`.
    pub async fn pull_request(&self, pr: &PrRef) -> Result<PullRequest, GitHubError> {
        self.call(Method::Get, &format!("{}/pulls/{}", repo_path(&pr.repo), pr.number), None).await
    }

    /// All files of a PR (up to GitHub's 3000), split into reviewable ones and
    /// those without a patch, each with a reason.
    pub async fn pr_files(&self, pr: &PrRef) -> Result<PrFiles, GitHubError> {
        let url = self.gh.url(&format!("{}/pulls/{}/files?per_page={PER_PAGE}", repo_path(&pr.repo), pr.number));
        let (files, more) = self.gh.paginate::<PrFile>(self.id, url, MAX_PR_FILES).await?;
        let truncated = more || files.len() >= MAX_PR_FILES;
        Ok(PrFiles::from_files(files, truncated))
    }

    /// `GET /repos/{o}/{r}/compare/{base}...{head}`.
    pub async fn compare(&self, repo: &RepoName, base: &CommitSha, head: &CommitSha) -> Result<Comparison, GitHubError> {
        self.call(Method::Get, &format!("{}/compare/{}...{}", repo_path(repo), encode_query(base.as_str()), encode_query(head.as_str())), None).await
    }

    /// Decides between an incremental and a full review. Incremental only when the
    /// last reviewed commit is still an ancestor of head (`ahead`); after a
    /// force-push (`diverged`/`behind`, or the old commit is gone) it is a full
    /// review with the reason, for the summary.
    pub async fn review_scope(&self, repo: &RepoName, last_reviewed: Option<&CommitSha>, head: &CommitSha) -> Result<ReviewScope, GitHubError> {
        let Some(since) = last_reviewed else {
            return Ok(ReviewScope::Full { reason: "first review of this pull request".into() });
        };
        if since == head {
            return Ok(ReviewScope::UpToDate);
        }
        let cmp = match self.compare(repo, since, head).await {
            Ok(c) => c,
            Err(GitHubError::NotFound { .. }) => {
                return Ok(ReviewScope::Full {
                    reason: format!("the last reviewed commit {} no longer exists (force-push); reviewing the whole pull request", since.short()),
                });
            }
            Err(e) => return Err(e),
        };
        Ok(match cmp.status.as_str() {
            "identical" => ReviewScope::UpToDate,
            // A comparison lists at most 300 changed files
            // (<https://docs.github.com/en/rest/commits/commits#compare-two-commits>); with
            // that many the incremental view may be incomplete, so review everything.
            "ahead" if cmp.files.len() >= MAX_COMPARE_FILES => ReviewScope::Full {
                reason: format!(
                    "{} or more files changed since the last reviewed commit {}; reviewing the whole pull request",
                    MAX_COMPARE_FILES,
                    since.short()
                ),
            },
            "ahead" => ReviewScope::Incremental { since: since.clone(), files: PrFiles::from_files(cmp.files, false) },
            other => ReviewScope::Full {
                reason: format!(
                    "the last reviewed commit {} is not an ancestor of {} ({other}: history was rewritten, e.g. a force-push); reviewing the whole pull request",
                    since.short(),
                    head.short()
                ),
            },
        })
    }

    /// A file's bytes at `git_ref` (a SHA or branch), `None` when it does not exist there.
    pub async fn file_content(&self, repo: &RepoName, path: &str, git_ref: &str) -> Result<Option<Vec<u8>>, GitHubError> {
        let api_path = format!("{}/contents/{}?ref={}", repo_path(repo), encode_path(path), encode_query(git_ref));
        let route = format!("GET {}/contents/{path}", repo_path(repo));
        let file: ContentFile = match self.call(Method::Get, &api_path, None).await {
            Ok(f) => f,
            Err(GitHubError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if file.kind != "file" {
            return Err(GitHubError::Unexpected { status: 200, route, message: format!("{path} is a {}, not a file", file.kind) });
        }
        if file.encoding != "base64" {
            // Files over 1 MB come back with `encoding: "none"` and no content.
            return Err(GitHubError::Unexpected {
                status: 200,
                route,
                message: format!("{path} is too large for the contents API (encoding {:?})", file.encoding),
            });
        }
        // GitHub wraps the base64 at 60 columns.
        let compact: String = file.content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(compact).map(Some).map_err(|e| GitHubError::Decode { route, detail: format!("base64: {e}") })
    }

    /// `.github/argusai.toml` from the PR's **base** commit, if present.
    pub async fn repo_config(&self, repo: &RepoName, base_sha: &CommitSha) -> Result<Option<String>, GitHubError> {
        Ok(self.file_content(repo, CONFIG_PATH, base_sha.as_str()).await?.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Every review on the PR, by anyone. Use [`Self::own_reviews`] to read markers.
    pub async fn reviews(&self, pr: &PrRef) -> Result<Vec<Review>, GitHubError> {
        let url = self.gh.url(&format!("{}/pulls/{}/reviews?per_page={PER_PAGE}", repo_path(&pr.repo), pr.number));
        Ok(self.gh.paginate(self.id, url, MAX_LISTED).await?.0)
    }

    /// The reviews ArgusAI's bot user wrote: the only ones whose markers count.
    pub async fn own_reviews(&self, pr: &PrRef) -> Result<Vec<Review>, GitHubError> {
        let me = self.gh.app_identity().await?;
        Ok(self.reviews(pr).await?.into_iter().filter(|r| me.authored(r.user.as_ref())).collect())
    }

    /// Every review comment on the PR (inline comments and replies), by anyone,
    /// oldest first, with author, `in_reply_to_id` and `created_at`.
    pub async fn review_comments(&self, pr: &PrRef) -> Result<Vec<ReviewComment>, GitHubError> {
        let url = self.gh.url(&format!("{}/pulls/{}/comments?per_page={PER_PAGE}", repo_path(&pr.repo), pr.number));
        Ok(self.gh.paginate::<ReviewComment>(self.id, url, MAX_LISTED).await?.0)
    }

    /// ArgusAI's earlier inline comments on the PR, for dedupe: written by its bot
    /// user and carrying its marker. A marker pasted by anyone else is ignored.
    pub async fn own_review_comments(&self, pr: &PrRef) -> Result<Vec<ReviewComment>, GitHubError> {
        let me = self.gh.app_identity().await?;
        let all = self.review_comments(pr).await?;
        Ok(all.into_iter().filter(|c| c.body.contains(COMMENT_MARKER) && me.authored(c.user.as_ref())).collect())
    }

    /// Every comment on the PR's conversation, by anyone, oldest first.
    pub async fn issue_comments(&self, pr: &PrRef) -> Result<Vec<IssueComment>, GitHubError> {
        let url = self.gh.url(&format!("{}/issues/{}/comments?per_page={PER_PAGE}", repo_path(&pr.repo), pr.number));
        Ok(self.gh.paginate::<IssueComment>(self.id, url, MAX_LISTED).await?.0)
    }

    /// ArgusAI's own comments on the conversation (its summary and notes): those
    /// its bot user wrote.
    pub async fn own_issue_comments(&self, pr: &PrRef) -> Result<Vec<IssueComment>, GitHubError> {
        let me = self.gh.app_identity().await?;
        Ok(self.issue_comments(pr).await?.into_iter().filter(|c| me.authored(c.user.as_ref())).collect())
    }

    async fn create_review(
        &self,
        pr: &PrRef,
        head: &CommitSha,
        body: &str,
        comments: &[&InlineComment],
        event: Option<&str>,
    ) -> Result<u64, GitHubError> {
        #[derive(Serialize)]
        struct NewReview<'a> {
            commit_id: &'a str,
            body: &'a str,
            /// Omitted for a PENDING review (a probe); only ever `COMMENT` otherwise.
            #[serde(skip_serializing_if = "Option::is_none")]
            event: Option<&'a str>,
            comments: Vec<DraftComment<'a>>,
        }
        let body = NewReview { commit_id: head.as_str(), body, event, comments: comments.iter().map(|c| DraftComment::of(c)).collect() };
        let created: IdOnly = self.call(Method::Post, &format!("{}/pulls/{}/reviews", repo_path(&pr.repo), pr.number), json(&body)).await?;
        Ok(created.id)
    }

    async fn delete_pending_review(&self, pr: &PrRef, review_id: u64) -> Result<(), GitHubError> {
        self.call_no_content(Method::Delete, &format!("{}/pulls/{}/reviews/{review_id}", repo_path(&pr.repo), pr.number)).await
    }

    /// Posts ArgusAI's one review for `head` with `event: COMMENT`.
    ///
    /// - Idempotent: if a review carrying `head`'s marker exists, nothing is posted,
    ///   so a retry after a crash between "posted" and "acknowledged" is harmless.
    /// - If GitHub rejects the batch (422: some anchor is not in the diff), the bad
    ///   comments are found by bisection with PENDING reviews, which are deleted
    ///   right away and are never visible to others, then the good ones are posted
    ///   once and the bad ones come back in [`ReviewOutcome::Posted`]'s `rejected`.
    ///   `body` is posted as given; to list the refused comments in it (so nothing
    ///   is lost on the PR), use [`Self::post_review_with`], as the pipeline does.
    pub async fn post_review(&self, pr: &PrRef, head: &CommitSha, body: &str, comments: Vec<InlineComment>) -> Result<ReviewOutcome, GitHubError> {
        self.post_review_with(pr, head, &|_| body.to_string(), comments).await
    }

    /// [`Self::post_review`] with the body written by the caller once the
    /// comments GitHub refuses are known (`body(rejected)`), so every posted
    /// word comes from the caller's renderer; this adds only the head marker
    /// and keeps the result within GitHub's limit.
    pub async fn post_review_with(
        &self,
        pr: &PrRef,
        head: &CommitSha,
        body: &dyn Fn(&[RejectedComment]) -> String,
        comments: Vec<InlineComment>,
    ) -> Result<ReviewOutcome, GitHubError> {
        let marker = review_marker(head);
        // Only ArgusAI's own reviews count: a marker pasted into someone else's
        // review must not suppress this one, and someone else's pending review is
        // not ours to delete.
        for review in self.own_reviews(pr).await? {
            let text = review.body.as_deref().unwrap_or("");
            if review.state == "PENDING" {
                // A probe or final post left behind by a crashed run. GitHub allows one
                // pending review per user per PR, so it would make every probe fail.
                if text.contains(PROBE_MARKER) || text.contains(&marker) {
                    self.delete_pending_review(pr, review.id).await?;
                }
                continue;
            }
            if review_marker_head(text) == Some(head.as_str()) {
                return Ok(ReviewOutcome::AlreadyPosted { review_id: review.id });
            }
        }

        let (mut good, mut rejected) = (Vec::new(), Vec::new());
        for c in comments {
            match c.local_problem() {
                None => good.push(c),
                Some(why) => rejected.push(RejectedComment { comment: c, reason: why.to_string() }),
            }
        }
        let refs: Vec<&InlineComment> = good.iter().collect();
        let first = self.create_review(pr, head, &review_body(&body(&rejected), &marker), &refs, Some("COMMENT")).await;
        let first_error = match first {
            Ok(review_id) => return Ok(ReviewOutcome::Posted { review_id, inline: good.len(), rejected, probes: 0 }),
            Err(e @ GitHubError::Unprocessable { .. }) if !good.is_empty() && is_anchor_error(&e) => e,
            Err(e) => return Err(e),
        };

        let mut bisector = Bisector::new(good.len());
        while let Some(probe) = bisector.next_probe() {
            let subset: Vec<&InlineComment> = probe.iter().map(|&i| &good[i]).collect();
            match self.create_review(pr, head, PROBE_MARKER, &subset, None).await {
                Ok(pending) => {
                    self.delete_pending_review(pr, pending).await?;
                    bisector.report(true);
                }
                Err(GitHubError::Unprocessable { .. }) => bisector.report(false),
                Err(e) => return Err(e),
            }
        }
        let probes = bisector.probes();
        let bad = bisector.bad();
        let detail = match &first_error {
            GitHubError::Unprocessable { errors, .. } if !errors.is_empty() => errors.join("; "),
            _ => "GitHub could not place it on the diff".to_string(),
        };
        let mut kept = Vec::new();
        for (i, c) in good.into_iter().enumerate() {
            if bad.binary_search(&i).is_ok() {
                rejected.push(RejectedComment { comment: c, reason: format!("not placeable on the diff ({detail})") });
            } else {
                kept.push(c);
            }
        }
        let refs: Vec<&InlineComment> = kept.iter().collect();
        match self.create_review(pr, head, &review_body(&body(&rejected), &marker), &refs, Some("COMMENT")).await {
            Ok(review_id) => Ok(ReviewOutcome::Posted { review_id, inline: kept.len(), rejected, probes }),
            Err(GitHubError::Unprocessable { .. }) if !kept.is_empty() => {
                // The diff moved under us between probes; keep the review, lose the anchors.
                rejected.extend(kept.into_iter().map(|c| RejectedComment { comment: c, reason: format!("not placeable on the diff ({detail})") }));
                let review_id = self.create_review(pr, head, &review_body(&body(&rejected), &marker), &[], Some("COMMENT")).await?;
                Ok(ReviewOutcome::Posted { review_id, inline: 0, rejected, probes })
            }
            Err(e) => Err(e),
        }
    }

    /// Creates or updates (in place) ArgusAI's one summary comment on the PR.
    pub async fn upsert_summary(&self, pr: &PrRef, body: &str) -> Result<SummaryOutcome, GitHubError> {
        let body = with_marker(&truncate_chars(body, MAX_COMMENT_CHARS - SUMMARY_MARKER.len() - 2), SUMMARY_MARKER);
        // Someone else's comment carrying the marker is not the summary: updating it
        // would fail (403) or, worse, rewrite their words.
        let comments = self.own_issue_comments(pr).await?;
        let payload = json(&serde_json::json!({ "body": body }));
        if let Some(existing) = comments.iter().find(|c| c.body.as_deref().is_some_and(|b| b.contains(SUMMARY_MARKER))) {
            let path = format!("{}/issues/comments/{}", repo_path(&pr.repo), existing.id);
            let _: IdOnly = self.call(Method::Patch, &path, payload).await?;
            return Ok(SummaryOutcome::Updated { comment_id: existing.id });
        }
        let created: IdOnly = self.call(Method::Post, &format!("{}/issues/{}/comments", repo_path(&pr.repo), pr.number), payload).await?;
        Ok(SummaryOutcome::Created { comment_id: created.id })
    }

    /// Starts the "ArgusAI review" check run on `head`; returns its id.
    pub async fn start_check_run(&self, repo: &RepoName, head: &CommitSha) -> Result<u64, GitHubError> {
        let body = serde_json::json!({ "name": CHECK_RUN_NAME, "head_sha": head.as_str(), "status": "in_progress" });
        let created: IdOnly = self.call(Method::Post, &format!("{}/check-runs", repo_path(repo)), json(&body)).await?;
        Ok(created.id)
    }

    /// Completes the check run. The conclusion type has no `failure` on purpose.
    pub async fn complete_check_run(
        &self,
        repo: &RepoName,
        check_run_id: u64,
        conclusion: CheckConclusion,
        title: &str,
        summary: &str,
    ) -> Result<(), GitHubError> {
        let body = serde_json::json!({
            "status": "completed",
            "conclusion": conclusion,
            "output": { "title": truncate_chars(title, 200), "summary": truncate_chars(summary, CHECK_SUMMARY_MAX) },
        });
        let _: IdOnly = self.call(Method::Patch, &format!("{}/check-runs/{check_run_id}", repo_path(repo)), json(&body)).await?;
        Ok(())
    }

    /// Updates a check run that stays `in_progress` (a retry is scheduled).
    pub async fn update_check_run(&self, repo: &RepoName, check_run_id: u64, title: &str, summary: &str) -> Result<(), GitHubError> {
        let body = serde_json::json!({
            "status": "in_progress",
            "output": { "title": truncate_chars(title, 200), "summary": truncate_chars(summary, CHECK_SUMMARY_MAX) },
        });
        let _: IdOnly = self.call(Method::Patch, &format!("{}/check-runs/{check_run_id}", repo_path(repo)), json(&body)).await?;
        Ok(())
    }

    /// 👀 on an issue comment: the command was accepted.
    pub async fn react_eyes(&self, repo: &RepoName, comment_id: u64) -> Result<(), GitHubError> {
        self.react(repo, comment_id, "eyes").await
    }

    /// Reacts to an issue comment; `content` is one of GitHub's reaction names.
    /// Reacting twice is harmless: GitHub answers 200 with the existing reaction.
    pub async fn react(&self, repo: &RepoName, comment_id: u64, content: &str) -> Result<(), GitHubError> {
        let body = serde_json::json!({ "content": content });
        let _: IdOnly = self.call(Method::Post, &format!("{}/issues/comments/{comment_id}/reactions", repo_path(repo)), json(&body)).await?;
        Ok(())
    }

    /// Posts a short note from ArgusAI on the PR's conversation (help text,
    /// "paused", why a review failed), marked so it is never mistaken for the summary.
    pub async fn post_note(&self, pr: &PrRef, body: &str) -> Result<u64, GitHubError> {
        let body = with_marker(&truncate_chars(body, MAX_COMMENT_CHARS - NOTE_MARKER.len() - 2), NOTE_MARKER);
        let created: IdOnly = self
            .call(Method::Post, &format!("{}/issues/{}/comments", repo_path(&pr.repo), pr.number), json(&serde_json::json!({ "body": body })))
            .await?;
        Ok(created.id)
    }
}

/// GitHub's 422 texts for anchors mention the line, path, position, hunk or diff
/// ("Line could not be resolved", "start_line must be part of the same hunk as
/// the line"). Anything else (e.g. a `commit_id` no longer in the PR) is not
/// fixable by dropping comments, so it is returned instead of bisected.
fn is_anchor_error(e: &GitHubError) -> bool {
    let GitHubError::Unprocessable { errors, message, .. } = e else { return false };
    if errors.is_empty() {
        return true;
    }
    let text = format!("{message} {}", errors.join(" ")).to_ascii_lowercase();
    if text.contains("commit_id") || text.contains("pending review") {
        return false;
    }
    ["line", "path", "position", "hunk", "diff", "side"].iter().any(|w| text.contains(w))
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The review body as the caller wrote it, cut to GitHub's limit, with the head
/// SHA marker that makes posting idempotent.
fn review_body(body: &str, marker: &str) -> String {
    let budget = MAX_COMMENT_CHARS - marker.len() - 4;
    with_marker(&truncate_chars(body.trim_end(), budget), marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_errors_table() {
        let e = |errors: &[&str]| GitHubError::Unprocessable {
            route: "POST /x".into(),
            message: "Unprocessable Entity".into(),
            errors: errors.iter().map(|s| s.to_string()).collect(),
        };
        assert!(is_anchor_error(&e(&["Line could not be resolved"])));
        assert!(is_anchor_error(&e(&["Path could not be resolved"])));
        assert!(is_anchor_error(&e(&["pull_request_review_thread.start_line must be part of the same hunk as the line."])));
        assert!(is_anchor_error(&e(&[])));
        assert!(!is_anchor_error(&e(&["commit_id is not part of the pull request"])));
        assert!(!is_anchor_error(&e(&["User can only have one pending review per pull request"])));
    }

    #[test]
    fn a_huge_body_is_cut_to_the_limit_and_keeps_its_marker() {
        let huge = review_body(&"x".repeat(70_000), "<!-- m -->");
        assert!(huge.chars().count() <= MAX_COMMENT_CHARS && huge.ends_with("<!-- m -->"));
        assert_eq!(review_body("Body\n", "<!-- m -->"), "Body\n\n<!-- m -->");
    }

    #[test]
    fn truncation_keeps_char_boundaries() {
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        assert_eq!(truncate_chars("ééééééé", 5), "éééé…");
    }
}
