//! The conversation around ArgusAI's findings: replies in review threads,
//! reactions (👍/👎 as signals), review threads with their resolution state
//! (GraphQL only: REST has no notion of a resolved thread), resolving a thread
//! whose finding was fixed, and a PR's commit messages.
//!
//! - Replies: `POST /repos/{o}/{r}/pulls/{n}/comments/{comment_id}/replies`, where
//!   `comment_id` must be a thread's first comment
//!   (<https://docs.github.com/en/rest/pulls/comments#create-a-reply-for-a-review-comment>).
//! - Reactions: `/repos/{o}/{r}/pulls/comments/{id}/reactions` and
//!   `/repos/{o}/{r}/issues/comments/{id}/reactions`
//!   (<https://docs.github.com/en/rest/reactions/reactions>).
//! - Threads: `pullRequest { reviewThreads(first: 100) { … } }` and the mutation
//!   `resolveReviewThread(input: {threadId})`
//!   (<https://docs.github.com/en/graphql/reference/objects#pullrequestreviewthread>,
//!   <https://docs.github.com/en/graphql/reference/mutations#resolvereviewthread>).
//! - Commits: `GET /repos/{o}/{r}/pulls/{n}/commits`, one page of 100
//!   (<https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request>).

use crate::auth::{JwtSigner, TokenCache};
use crate::client::PER_PAGE;
use crate::error::GitHubError;
use crate::graphql::GraphQlResponse;
use crate::identity::AppIdentity;
use crate::ops::Installation;
use crate::types::{MAX_COMMENT_CHARS, ReviewComment, User};
use argus_core::http::{Clock, HttpClient, Method};
use argus_core::ids::{PrRef, RepoName};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Threads are read 100 per request, up to this many requests (1,000 threads).
pub const MAX_THREAD_PAGES: usize = 10;
/// Comments read per thread from each end: the first ones (who started it, the
/// finding) and the last ones (the latest replies).
pub const THREAD_COMMENTS_EACH_END: u32 = 50;

/// GitHub's reactions (<https://docs.github.com/en/rest/reactions/reactions#about-reactions>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReactionKind {
    #[serde(rename = "+1")]
    PlusOne,
    #[serde(rename = "-1")]
    MinusOne,
    #[serde(rename = "laugh")]
    Laugh,
    #[serde(rename = "confused")]
    Confused,
    #[serde(rename = "heart")]
    Heart,
    #[serde(rename = "hooray")]
    Hooray,
    #[serde(rename = "rocket")]
    Rocket,
    #[serde(rename = "eyes")]
    Eyes,
}

impl ReactionKind {
    pub const ALL: [ReactionKind; 8] = [
        ReactionKind::PlusOne,
        ReactionKind::MinusOne,
        ReactionKind::Laugh,
        ReactionKind::Confused,
        ReactionKind::Heart,
        ReactionKind::Hooray,
        ReactionKind::Rocket,
        ReactionKind::Eyes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::PlusOne => "+1",
            ReactionKind::MinusOne => "-1",
            ReactionKind::Laugh => "laugh",
            ReactionKind::Confused => "confused",
            ReactionKind::Heart => "heart",
            ReactionKind::Hooray => "hooray",
            ReactionKind::Rocket => "rocket",
            ReactionKind::Eyes => "eyes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One reaction on a comment.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Reaction {
    pub id: u64,
    /// GitHub's name for it (`+1`, `-1`, `eyes`…); see [`Reaction::kind`].
    pub content: String,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub created_at: Option<String>,
}

impl Reaction {
    pub fn kind(&self) -> Option<ReactionKind> {
        ReactionKind::parse(&self.content)
    }
}

/// The author of a thread comment as GraphQL reports it: `Bot` logins have no
/// `[bot]` suffix there.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ThreadAuthor {
    pub login: String,
    /// `User`, `Bot`, `Organization`, `Mannequin`, `EnterpriseUserAccount`.
    #[serde(rename = "__typename")]
    pub typename: String,
}

/// One comment of a review thread.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadComment {
    /// The REST id (what replies and reactions take).
    pub database_id: u64,
    /// `None` for a deleted account ("ghost").
    #[serde(default)]
    pub author: Option<ThreadAuthor>,
    pub body: String,
    pub created_at: String,
}

/// A review thread with its resolution state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewThread {
    /// The GraphQL node id, for [`Installation::resolve_review_thread`].
    pub id: String,
    pub is_resolved: bool,
    /// The commented line is no longer in the diff.
    pub is_outdated: bool,
    pub path: String,
    /// `None` when outdated.
    pub line: Option<u32>,
    pub original_line: Option<u32>,
    pub start_line: Option<u32>,
    /// `LEFT` or `RIGHT`.
    pub diff_side: String,
    /// Oldest first: the first [`THREAD_COMMENTS_EACH_END`] and the last as many.
    pub comments: Vec<ThreadComment>,
    /// How many comments the thread has in all (more than `comments.len()` when
    /// its middle was left out).
    pub total_comments: u32,
}

impl ReviewThread {
    /// The thread's first comment: its id is what a reply is posted to.
    pub fn root(&self) -> Option<&ThreadComment> {
        self.comments.first()
    }

    /// Whether the App's bot user started the thread (an ArgusAI finding).
    pub fn started_by(&self, app: &AppIdentity) -> bool {
        self.root().and_then(|c| c.author.as_ref()).is_some_and(|a| app.authored_graphql(Some(&a.typename), &a.login))
    }

    /// Comments after the last one by the App's bot user (replies it has not answered).
    pub fn unanswered_by(&self, app: &AppIdentity) -> Vec<&ThreadComment> {
        let last_own = self.comments.iter().rposition(|c| c.author.as_ref().is_some_and(|a| app.authored_graphql(Some(&a.typename), &a.login)));
        match last_own {
            Some(i) => self.comments[i + 1..].iter().collect(),
            None => self.comments.iter().collect(),
        }
    }
}

/// One commit of a PR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrCommit {
    pub sha: String,
    pub message: String,
    /// The GitHub account, when the commit's author email maps to one.
    pub author_login: Option<String>,
}

#[derive(Deserialize)]
struct RawCommit {
    sha: String,
    commit: RawCommitDetail,
    #[serde(default)]
    author: Option<User>,
}

#[derive(Deserialize)]
struct RawCommitDetail {
    #[serde(default)]
    message: String,
}

/// The threads query, one page. Comments come from both ends of each thread
/// (aliases `first` and `last`), so the finding and the latest replies are both
/// there; 100 threads × 2 × 50 comments is 10,100 nodes, far below GitHub's limit.
pub const THREADS_QUERY: &str = "query($owner: String!, $name: String!, $number: Int!, $after: String) { \
repository(owner: $owner, name: $name) { pullRequest(number: $number) { \
reviewThreads(first: 100, after: $after) { pageInfo { hasNextPage endCursor } \
nodes { id isResolved isOutdated path line originalLine startLine diffSide \
first: comments(first: 50) { totalCount nodes { databaseId author { __typename login } body createdAt } } \
last: comments(last: 50) { nodes { databaseId author { __typename login } body createdAt } } } } } } }";

/// Resolving one thread.
pub const RESOLVE_MUTATION: &str = "mutation($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } } }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawThread {
    id: String,
    is_resolved: bool,
    is_outdated: bool,
    path: String,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    original_line: Option<u32>,
    #[serde(default)]
    start_line: Option<u32>,
    #[serde(default)]
    diff_side: String,
    first: RawComments,
    last: RawComments,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawComments {
    #[serde(default)]
    total_count: u32,
    nodes: Vec<ThreadComment>,
}

impl RawThread {
    fn into_thread(self) -> ReviewThread {
        let total = self.first.total_count;
        let mut comments = self.first.nodes;
        for c in self.last.nodes {
            if !comments.iter().any(|x| x.database_id == c.database_id) {
                comments.push(c);
            }
        }
        ReviewThread {
            id: self.id,
            is_resolved: self.is_resolved,
            is_outdated: self.is_outdated,
            path: self.path,
            line: self.line,
            original_line: self.original_line,
            start_line: self.start_line,
            diff_side: self.diff_side,
            comments,
            total_comments: total,
        }
    }
}

/// The error a `null` root field of a GraphQL answer stands for.
fn null_field_error(answer: &GraphQlResponse, path: &[&str]) -> GitHubError {
    let route = "POST /graphql".to_string();
    let e = answer.errors_at(path).next().or_else(|| answer.errors.first());
    match e.and_then(|e| e.kind.as_deref()) {
        Some("FORBIDDEN") => GitHubError::Forbidden { route, permission: None, message: e.map(|e| e.message.clone()).unwrap_or_default() },
        Some("NOT_FOUND") | None => GitHubError::NotFound { route },
        Some(_) => GitHubError::GraphQl { route, messages: answer.errors.iter().map(|e| e.message.clone()).collect(), retryable: false },
    }
}

fn decode_at<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, GitHubError> {
    serde_json::from_value(v.clone()).map_err(|e| GitHubError::Decode { route: "POST /graphql".into(), detail: format!("{what}: {e}") })
}

fn repo_path(repo: &RepoName) -> String {
    format!("/repos/{}/{}", repo.owner, repo.name)
}

impl<H: HttpClient, C: Clock, S: JwtSigner, T: TokenCache> Installation<'_, H, C, S, T> {
    /// Replies in the thread started by `root_comment_id` (a thread's first
    /// comment: GitHub refuses replies to replies). Returns the reply as listed.
    pub async fn reply_to_review_comment(&self, pr: &PrRef, root_comment_id: u64, body: &str) -> Result<ReviewComment, GitHubError> {
        let path = format!("{}/pulls/{}/comments/{root_comment_id}/replies", repo_path(&pr.repo), pr.number);
        let text: String = body.chars().take(MAX_COMMENT_CHARS).collect();
        let url = self.gh.url(&path);
        let resp =
            self.gh.send_installation(self.id, Method::Post, &url, Some(serde_json::to_vec(&json!({ "body": text })).expect("serializes"))).await?;
        crate::client::decode(&self.gh.route(Method::Post, &url), &resp)
    }

    /// Reactions on a review comment, with who reacted.
    pub async fn review_comment_reactions(&self, repo: &RepoName, comment_id: u64) -> Result<Vec<Reaction>, GitHubError> {
        let url = self.gh.url(&format!("{}/pulls/comments/{comment_id}/reactions?per_page={PER_PAGE}", repo_path(repo)));
        Ok(self.gh.paginate(self.id, url, 1000).await?.0)
    }

    /// Reactions on a conversation comment, with who reacted.
    pub async fn issue_comment_reactions(&self, repo: &RepoName, comment_id: u64) -> Result<Vec<Reaction>, GitHubError> {
        let url = self.gh.url(&format!("{}/issues/comments/{comment_id}/reactions?per_page={PER_PAGE}", repo_path(repo)));
        Ok(self.gh.paginate(self.id, url, 1000).await?.0)
    }

    /// Reacts to a review comment. Reacting twice is harmless (GitHub answers 200
    /// with the existing reaction).
    pub async fn react_to_review_comment(&self, repo: &RepoName, comment_id: u64, kind: ReactionKind) -> Result<Reaction, GitHubError> {
        let url = self.gh.url(&format!("{}/pulls/comments/{comment_id}/reactions", repo_path(repo)));
        let body = serde_json::to_vec(&json!({ "content": kind.as_str() })).expect("serializes");
        let resp = self.gh.send_installation(self.id, Method::Post, &url, Some(body)).await?;
        crate::client::decode(&self.gh.route(Method::Post, &url), &resp)
    }

    /// Every review thread of the PR with its resolution state and comments,
    /// oldest first, 100 threads per request (at most [`MAX_THREAD_PAGES`]).
    pub async fn review_threads(&self, pr: &PrRef) -> Result<Vec<ReviewThread>, GitHubError> {
        let mut threads = Vec::new();
        let mut after = Value::Null;
        for _ in 0..MAX_THREAD_PAGES {
            let vars = json!({ "owner": pr.repo.owner, "name": pr.repo.name, "number": pr.number.0, "after": after });
            let answer = self.gh.graphql(self.id, THREADS_QUERY, vars, false).await?;
            let repository = &answer.data["repository"];
            if repository.is_null() {
                return Err(null_field_error(&answer, &["repository"]));
            }
            let pull = &repository["pullRequest"];
            if pull.is_null() {
                return Err(null_field_error(&answer, &["repository", "pullRequest"]));
            }
            let conn = &pull["reviewThreads"];
            let nodes: Vec<RawThread> = decode_at(&conn["nodes"], "reviewThreads.nodes")?;
            threads.extend(nodes.into_iter().map(RawThread::into_thread));
            let page = &conn["pageInfo"];
            if page["hasNextPage"].as_bool() != Some(true) {
                break;
            }
            after = page["endCursor"].clone();
            if after.is_null() {
                break;
            }
        }
        Ok(threads)
    }

    /// Resolves a review thread; returns whether GitHub now reports it resolved.
    /// Resolving a resolved thread is harmless.
    pub async fn resolve_review_thread(&self, thread_id: &str) -> Result<bool, GitHubError> {
        let answer = self.gh.graphql(self.id, RESOLVE_MUTATION, json!({ "id": thread_id }), true).await?;
        let payload = &answer.data["resolveReviewThread"];
        if payload.is_null() {
            return Err(null_field_error(&answer, &["resolveReviewThread"]));
        }
        Ok(payload["thread"]["isResolved"].as_bool() == Some(true))
    }

    /// The PR's commits, oldest first: one page of 100 (the injection tripwire
    /// reads their messages; a PR with more is pathological for that purpose).
    pub async fn pr_commits(&self, pr: &PrRef) -> Result<Vec<PrCommit>, GitHubError> {
        let path = format!("{}/pulls/{}/commits?per_page={PER_PAGE}", repo_path(&pr.repo), pr.number);
        let url = self.gh.url(&path);
        let resp = self.gh.send_installation(self.id, Method::Get, &url, None).await?;
        let raw: Vec<RawCommit> = crate::client::decode(&self.gh.route(Method::Get, &url), &resp)?;
        Ok(raw.into_iter().map(|c| PrCommit { sha: c.sha, message: c.commit.message, author_login: c.author.map(|u| u.login) }).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaction_names_round_trip() {
        for k in ReactionKind::ALL {
            assert_eq!(ReactionKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        }
        assert_eq!(ReactionKind::parse("thumbsup"), None);
    }

    fn comment(id: u64, login: &str, typename: &str) -> ThreadComment {
        ThreadComment {
            database_id: id,
            author: Some(ThreadAuthor { login: login.into(), typename: typename.into() }),
            body: String::new(),
            created_at: String::new(),
        }
    }

    #[test]
    fn who_started_a_thread_and_what_is_unanswered() {
        let app = AppIdentity::new(1, "argusai");
        let thread = |comments: Vec<ThreadComment>| ReviewThread {
            id: "T".into(),
            is_resolved: false,
            is_outdated: false,
            path: "a.rs".into(),
            line: Some(1),
            original_line: Some(1),
            start_line: None,
            diff_side: "RIGHT".into(),
            total_comments: comments.len() as u32,
            comments,
        };
        let ours = thread(vec![comment(1, "argusai", "Bot"), comment(2, "mona", "User"), comment(3, "argusai", "Bot"), comment(4, "mona", "User")]);
        assert!(ours.started_by(&app));
        assert_eq!(ours.root().unwrap().database_id, 1);
        assert_eq!(ours.unanswered_by(&app).iter().map(|c| c.database_id).collect::<Vec<_>>(), vec![4]);
        let theirs = thread(vec![comment(5, "argusai", "User"), comment(6, "argusai", "Bot")]);
        assert!(!theirs.started_by(&app), "a person whose login is the slug");
        let ghost = thread(vec![ThreadComment { database_id: 7, author: None, body: String::new(), created_at: String::new() }]);
        assert!(!ghost.started_by(&app));
        assert_eq!(ghost.unanswered_by(&app).len(), 1);
    }

    #[test]
    fn both_ends_of_a_long_thread_are_merged_once() {
        let raw: RawThread = serde_json::from_value(json!({
            "id": "T", "isResolved": false, "isOutdated": true, "path": "a.rs", "line": null, "originalLine": 4, "startLine": null, "diffSide": "RIGHT",
            "first": { "totalCount": 120, "nodes": [{ "databaseId": 1, "author": null, "body": "a", "createdAt": "t" }, { "databaseId": 2, "author": null, "body": "b", "createdAt": "t" }] },
            "last": { "nodes": [{ "databaseId": 2, "author": null, "body": "b", "createdAt": "t" }, { "databaseId": 120, "author": { "__typename": "User", "login": "mona" }, "body": "z", "createdAt": "t" }] },
        }))
        .unwrap();
        let t = raw.into_thread();
        assert_eq!(t.comments.iter().map(|c| c.database_id).collect::<Vec<_>>(), vec![1, 2, 120]);
        assert_eq!(t.total_comments, 120);
        assert!(t.is_outdated && t.line.is_none());
    }
}
