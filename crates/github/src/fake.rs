//! An in-memory GitHub that implements argus-core's [`HttpClient`], for native
//! tests of this crate and of the pipeline: it checks the App JWT (signature with
//! the test public key, `iss`, `iat`/`exp`) and installation tokens, serves PRs
//! built from unified diffs, paginates with `Link`, records what ArgusAI posts,
//! rejects reviews with GitHub's 422 when an anchor is not in the diff, and can
//! inject faults. It also serves what the batched contents need (Git trees and
//! blobs, `POST /graphql` through [`crate::fake_graphql`], all from the same
//! contents as the contents API), `GET /app`, collaborator permissions, review
//! comment replies and reactions, review threads and their resolution, and a
//! PR's commits. Everything posted with an installation token is authored by the
//! App's bot user (`{app_slug}[bot]`); tests add other people's comments with
//! `add_*_by`. The loopback twin for end-to-end tests is `tests/fakes/github.mjs`.

use crate::fake_graphql::{self, GitObjectData, GraphQlData, GraphQlOptions, ThreadComment, ThreadData};
use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use argus_core::ids::UnixMillis;
use jwt_simple::prelude::*;
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

pub const FAKE_API_URL: &str = "https://fake-github.test/api/v3";
/// GitHub Enterprise Server's GraphQL endpoint for [`FAKE_API_URL`].
pub const FAKE_GRAPHQL_URL: &str = "https://fake-github.test/api/graphql";
/// GitHub's reaction contents (<https://docs.github.com/en/rest/reactions/reactions#about-reactions>).
pub const REACTIONS: [&str; 8] = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];

/// Simulated time shared by the client and the fake: `sleep` advances it at once
/// and is recorded, so tests assert on waits without waiting.
#[derive(Clone, Default)]
pub struct FakeClock {
    now: Rc<Cell<u64>>,
    slept: Rc<RefCell<Vec<u64>>>,
}

impl FakeClock {
    pub fn at(now: UnixMillis) -> Self {
        let c = Self::default();
        c.now.set(now.0);
        c
    }
    pub fn advance_secs(&self, secs: u64) {
        self.now.set(self.now.get() + secs * 1000);
    }
    /// Every `sleep` so far, in milliseconds.
    pub fn sleeps(&self) -> Vec<u64> {
        self.slept.borrow().clone()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.now.get())
    }
    async fn sleep(&self, ms: u64) {
        self.slept.borrow_mut().push(ms);
        self.now.set(self.now.get() + ms);
    }
}

/// One changed file of a fake PR, shaped like a `/pulls/{n}/files` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeFile {
    pub filename: String,
    pub status: String,
    pub previous_filename: Option<String>,
    /// `None` for binary files (GitHub omits `patch` for them).
    pub patch: Option<String>,
    pub additions: u64,
    pub deletions: u64,
}

impl FakeFile {
    pub fn modified(filename: &str, patch: &str) -> Self {
        let (additions, deletions) = count_changes(patch);
        Self { filename: filename.into(), status: "modified".into(), previous_filename: None, patch: Some(patch.into()), additions, deletions }
    }
    fn to_json(&self) -> Value {
        let mut v = json!({
            "filename": self.filename, "status": self.status,
            "additions": self.additions, "deletions": self.deletions, "changes": self.additions + self.deletions,
        });
        if let Some(p) = &self.patch {
            v["patch"] = json!(p);
        }
        if let Some(prev) = &self.previous_filename {
            v["previous_filename"] = json!(prev);
        }
        v
    }
}

fn count_changes(patch: &str) -> (u64, u64) {
    let (mut a, mut d) = (0, 0);
    for l in patch.lines() {
        if l.starts_with('+') {
            a += 1;
        } else if l.starts_with('-') {
            d += 1;
        }
    }
    (a, d)
}

/// Splits a `git diff`/`git show` unified diff into per-file GitHub `patch`es
/// (hunks only, no headers). Binary files get no patch. Good enough for tests;
/// the real parser lives in the diff crate.
pub fn split_unified_diff(diff: &str) -> Vec<FakeFile> {
    let mut files = Vec::new();
    let mut cur: Option<(FakeFile, Vec<&str>, bool)> = None;
    let finish = |cur: Option<(FakeFile, Vec<&str>, bool)>, files: &mut Vec<FakeFile>| {
        if let Some((mut f, hunks, binary)) = cur {
            if !binary && !hunks.is_empty() {
                let patch = hunks.join("\n");
                let (a, d) = count_changes(&patch);
                f.additions = a;
                f.deletions = d;
                f.patch = Some(patch);
            }
            files.push(f);
        }
    };
    let mut in_hunks = false;
    for line in diff.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix("diff --git ") {
            finish(cur.take(), &mut files);
            in_hunks = false;
            let name = rest.rsplit_once(" b/").map(|(_, b)| b).unwrap_or(rest).trim_matches('"').to_string();
            cur = Some((
                FakeFile { filename: name, status: "modified".into(), previous_filename: None, patch: None, additions: 0, deletions: 0 },
                Vec::new(),
                false,
            ));
            continue;
        }
        let Some((f, hunks, binary)) = cur.as_mut() else { continue };
        if line.starts_with("@@") {
            in_hunks = true;
        }
        if in_hunks {
            if line.starts_with("@@") || line.starts_with([' ', '+', '-', '\\']) {
                hunks.push(line);
            } else if line.is_empty() {
                // A blank line inside hunks is a context line whose space was stripped.
            }
            continue;
        }
        if line.starts_with("new file mode") {
            f.status = "added".into();
        } else if line.starts_with("deleted file mode") {
            f.status = "removed".into();
        } else if let Some(from) = line.strip_prefix("rename from ") {
            f.status = "renamed".into();
            f.previous_filename = Some(from.to_string());
        } else if let Some(to) = line.strip_prefix("rename to ") {
            f.filename = to.to_string();
        } else if let Some(to) = line.strip_prefix("+++ b/") {
            f.filename = to.trim_end_matches('\t').to_string();
        } else if line.starts_with("Binary files") || line.starts_with("GIT binary patch") {
            *binary = true;
        }
    }
    finish(cur.take(), &mut files);
    files
}

/// The lines of one patch that can carry a comment, per side, by hunk.
#[derive(Default, Debug)]
pub struct PatchLines {
    /// For each hunk: (LEFT lines, RIGHT lines).
    hunks: Vec<(HashSet<u32>, HashSet<u32>)>,
}

impl PatchLines {
    pub fn parse(patch: &str) -> Self {
        let mut out = PatchLines::default();
        let (mut old, mut new) = (0u32, 0u32);
        for line in patch.lines() {
            if let Some(h) = line.strip_prefix("@@ -") {
                let mut nums = h.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
                old = nums.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                // Skip the old count when present: the header is `-a[,b] +c[,d]`.
                let after_plus = h.split_once('+').map(|(_, r)| r).unwrap_or("");
                new = after_plus.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).and_then(|s| s.parse().ok()).unwrap_or(0);
                out.hunks.push(Default::default());
                continue;
            }
            let Some((left, right)) = out.hunks.last_mut() else { continue };
            match line.as_bytes().first() {
                Some(b'+') => {
                    right.insert(new);
                    new += 1;
                }
                Some(b'-') => {
                    left.insert(old);
                    old += 1;
                }
                Some(b'\\') => {}
                _ => {
                    left.insert(old);
                    right.insert(new);
                    old += 1;
                    new += 1;
                }
            }
        }
        out
    }

    fn hunk_of(&self, line: u32, side: &str) -> Option<usize> {
        self.hunks.iter().position(|(l, r)| if side == "LEFT" { l.contains(&line) } else { r.contains(&line) })
    }

    /// GitHub's verdict on one draft comment: `None` when it can be placed.
    pub fn check(&self, line: Option<u64>, side: Option<&str>, start_line: Option<u64>, start_side: Option<&str>) -> Option<&'static str> {
        let side = side.unwrap_or("RIGHT");
        let Some(line) = line.and_then(|l| u32::try_from(l).ok()) else { return Some("Line could not be resolved") };
        let Some(hunk) = self.hunk_of(line, side) else { return Some("Line could not be resolved") };
        if let Some(start) = start_line {
            let start_side = start_side.unwrap_or(side);
            let Ok(start) = u32::try_from(start) else { return Some("Line could not be resolved") };
            if start_side == side && start >= line {
                return Some("Pull request review thread start line must precede the end line.");
            }
            match self.hunk_of(start, start_side) {
                None => return Some("Start line could not be resolved"),
                Some(h) if h != hunk => return Some("Pull request review thread start line must be part of the same hunk as the line."),
                Some(_) => {}
            }
        }
        None
    }
}

#[derive(Clone, Debug)]
pub struct FakePr {
    pub owner: String,
    pub repo: String,
    pub number: u64,
    pub head_sha: String,
    pub base_sha: String,
    pub draft: bool,
    pub state: String,
    pub author: String,
    pub files: Vec<FakeFile>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FakeReview {
    pub id: u64,
    pub pr: (String, u64),
    pub state: String,
    pub body: String,
    pub commit_id: String,
    pub event: Option<String>,
    /// The draft comments exactly as posted.
    pub comments: Vec<Value>,
    /// The author's login (`{app_slug}[bot]` for what ArgusAI posts).
    pub user: String,
    /// The ids GitHub gave the comments, in order; a comment without one is
    /// listed as `id * 1000 + index`.
    pub comment_ids: Vec<u64>,
    /// When it was submitted (RFC 3339).
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FakeComment {
    pub id: u64,
    pub pr: (String, u64),
    pub body: String,
    /// The author's login.
    pub user: String,
}

/// A reply in a review thread (`POST …/comments/{id}/replies`).
#[derive(Clone, Debug, PartialEq)]
pub struct FakeReply {
    pub id: u64,
    pub pr: (String, u64),
    /// The thread's first comment.
    pub in_reply_to: u64,
    pub body: String,
    pub user: String,
    pub created_at: String,
}

/// A reaction on an issue comment or a review comment.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeReaction {
    pub id: u64,
    pub repo: String,
    /// `issue` (a conversation comment) or `review` (a review comment).
    pub target: &'static str,
    pub comment_id: u64,
    pub content: String,
    pub user: String,
}

/// A canned answer for requests whose method and path match, `times` times,
/// after `after` matching requests have been served normally.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: Option<Method>,
    pub path_contains: String,
    pub times: u32,
    pub after: u32,
    pub response: Result<HttpResponse, TransportError>,
}

impl Fault {
    pub fn status(method: Option<Method>, path_contains: &str, status: u16, headers: &[(&str, &str)], body: Value) -> Self {
        Self {
            method,
            path_contains: path_contains.into(),
            times: 1,
            after: 0,
            response: Ok(HttpResponse {
                status,
                headers: headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect(),
                body: body.to_string().into_bytes(),
            }),
        }
    }

    /// Applies the fault `times` times.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Serves `after` matching requests normally first.
    pub fn after(mut self, after: u32) -> Self {
        self.after = after;
        self
    }
}

#[derive(Default)]
pub struct FakeState {
    pub pulls: BTreeMap<(String, u64), FakePr>,
    /// (repo full name, ref, path) → bytes.
    pub contents: HashMap<(String, String, String), Vec<u8>>,
    /// (repo, base, head) → (status, files).
    pub compares: HashMap<(String, String, String), (String, Vec<FakeFile>)>,
    pub tokens: HashMap<String, (u64, u64)>,
    pub tokens_issued: u32,
    pub reviews: Vec<FakeReview>,
    pub issue_comments: Vec<FakeComment>,
    /// (id, every body sent to it: create then updates).
    pub check_runs: Vec<(u64, Vec<Value>)>,
    pub reactions: Vec<FakeReaction>,
    pub replies: Vec<FakeReply>,
    /// (repo, lower-case login) → (permission, role_name); users not listed do not exist (404).
    pub permissions: HashMap<(String, String), (String, Option<String>)>,
    /// Resolved review threads: thread node id → who resolved it.
    pub resolved_threads: HashMap<String, String>,
    /// (repo, PR number) → its commits (sha, message); by default the head commit alone.
    pub pr_commits: HashMap<(String, u64), Vec<(String, String)>>,
    /// `/graphql` answers 404, as where GraphQL is unavailable.
    pub graphql_disabled: bool,
    /// Recursive trees list at most this many entries and say `truncated`.
    pub tree_entry_limit: Option<usize>,
    pub graphql: GraphQlOptions,
    pub faults: Vec<Fault>,
    /// (method, path with query) of every request.
    pub log: Vec<(Method, String)>,
    /// The last request as sent, headers included.
    pub last_request: Option<HttpRequest>,
    next_id: u64,
}

/// The in-memory GitHub. Clones share state, so a test keeps one to inspect.
#[derive(Clone)]
pub struct FakeGitHub {
    pub state: Rc<RefCell<FakeState>>,
    clock: FakeClock,
    app_id: u64,
    public_key: Rc<RS256PublicKey>,
    pub token_ttl_secs: u64,
    /// The App's slug (`GET /app`); its bot user is `{app_slug}[bot]`.
    pub app_slug: String,
    /// Blob SHAs of `contents` entries, computed once (SHA-1 is slow in debug
    /// builds and big PRs list hundreds of files); [`FakeGitHub::set_content`]
    /// keeps it current.
    blob_shas: Rc<RefCell<HashMap<ContentKey, String>>>,
}

/// (repo full name, ref, path): where a file's bytes are stored.
type ContentKey = (String, String, String);

impl FakeGitHub {
    /// `public_key_pem` verifies App JWTs; `app_id` is the expected `iss`.
    pub fn new(clock: FakeClock, app_id: u64, public_key_pem: &str) -> Self {
        Self {
            state: Rc::default(),
            clock,
            app_id,
            public_key: Rc::new(RS256PublicKey::from_pem(public_key_pem).expect("test public key")),
            token_ttl_secs: 3600,
            app_slug: "argusai".into(),
            blob_shas: Rc::default(),
        }
    }

    /// The App's bot login, the author of everything posted with a token.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.app_slug)
    }

    /// Sets `login`'s permission on `repo` (`admin`, `write`, `read`, `none`) and role.
    pub fn set_permission(&self, repo: &str, login: &str, permission: &str, role_name: Option<&str>) {
        self.state.borrow_mut().permissions.insert((repo.into(), login.to_ascii_lowercase()), (permission.into(), role_name.map(str::to_string)));
    }

    /// A review submitted by someone else (`state` e.g. `COMMENTED`).
    pub fn add_review_by(&self, user: &str, repo: &str, number: u64, state: &str, body: &str, comments: Vec<Value>) -> u64 {
        let id = self.next_id();
        let comment_ids = comments.iter().map(|_| self.next_id()).collect();
        let commit = self.state.borrow().pulls.get(&(repo.to_string(), number)).map(|p| p.head_sha.clone()).unwrap_or_default();
        let created_at = self.now_rfc3339();
        self.state.borrow_mut().reviews.push(FakeReview {
            id,
            pr: (repo.into(), number),
            state: state.into(),
            body: body.into(),
            commit_id: commit,
            event: None,
            comments,
            user: user.into(),
            comment_ids,
            created_at,
        });
        id
    }

    /// A comment on the PR's conversation by someone else.
    pub fn add_issue_comment_by(&self, user: &str, repo: &str, number: u64, body: &str) -> u64 {
        let id = self.next_id();
        self.state.borrow_mut().issue_comments.push(FakeComment { id, pr: (repo.into(), number), body: body.into(), user: user.into() });
        id
    }

    /// A reply in a review thread by someone else.
    pub fn add_reply_by(&self, user: &str, repo: &str, number: u64, in_reply_to: u64, body: &str) -> u64 {
        let id = self.next_id();
        let created_at = self.now_rfc3339();
        self.state.borrow_mut().replies.push(FakeReply {
            id,
            pr: (repo.into(), number),
            in_reply_to,
            body: body.into(),
            user: user.into(),
            created_at,
        });
        id
    }

    /// A reaction by someone else on a review comment (`target` = `review`) or an
    /// issue comment (`issue`).
    pub fn add_reaction_by(&self, user: &str, repo: &str, target: &'static str, comment_id: u64, content: &str) -> u64 {
        let id = self.next_id();
        self.state.borrow_mut().reactions.push(FakeReaction {
            id,
            repo: repo.into(),
            target,
            comment_id,
            content: content.into(),
            user: user.into(),
        });
        id
    }

    /// The commits `GET /pulls/{n}/commits` lists, oldest first.
    pub fn set_pr_commits(&self, repo: &str, number: u64, commits: &[(&str, &str)]) {
        self.state.borrow_mut().pr_commits.insert((repo.into(), number), commits.iter().map(|(s, m)| (s.to_string(), m.to_string())).collect());
    }

    /// Full texts for the files of `pr` at its head and base, derived from their
    /// patches so that contents and diffs agree: hunk lines sit at their line
    /// numbers, the lines between hunks are filler. Added files have no base
    /// version and removed files no head version. Texts set with
    /// [`FakeGitHub::set_content`] beforehand are kept.
    pub fn synthesize_contents(&self, pr: &FakePr) {
        let repo = format!("{}/{}", pr.owner, pr.repo);
        for f in &pr.files {
            let Some(patch) = &f.patch else { continue };
            let (base, head) = texts_from_patch(&f.filename, patch);
            let base_path = f.previous_filename.as_deref().unwrap_or(&f.filename);
            let mut s = self.state.borrow_mut();
            if f.status != "added" {
                s.contents.entry((repo.clone(), pr.base_sha.clone(), base_path.to_string())).or_insert(base.into_bytes());
            }
            if f.status != "removed" {
                s.contents.entry((repo.clone(), pr.head_sha.clone(), f.filename.clone())).or_insert(head.into_bytes());
            }
        }
    }

    fn now_rfc3339(&self) -> String {
        rfc3339(self.clock.now())
    }

    pub fn add_pull_request(&self, pr: FakePr) {
        self.state.borrow_mut().pulls.insert((format!("{}/{}", pr.owner, pr.repo), pr.number), pr);
    }
    pub fn set_content(&self, repo: &str, git_ref: &str, path: &str, bytes: &[u8]) {
        let key = (repo.to_string(), git_ref.to_string(), path.to_string());
        self.blob_shas.borrow_mut().remove(&key);
        self.state.borrow_mut().contents.insert(key, bytes.to_vec());
    }

    /// The blob SHA of a `contents` entry, cached by key and length.
    fn sha_of(&self, key: &ContentKey, bytes: &[u8]) -> String {
        if let Some(sha) = self.blob_shas.borrow().get(key) {
            return sha.clone();
        }
        let sha = git_blob_sha(bytes);
        self.blob_shas.borrow_mut().insert(key.clone(), sha.clone());
        sha
    }
    pub fn set_compare(&self, repo: &str, base: &str, head: &str, status: &str, files: Vec<FakeFile>) {
        self.state.borrow_mut().compares.insert((repo.into(), base.into(), head.into()), (status.into(), files));
    }
    pub fn inject(&self, fault: Fault) {
        self.state.borrow_mut().faults.push(fault);
    }
    /// Requests whose method matches and whose path contains `needle`.
    pub fn count(&self, method: Method, needle: &str) -> usize {
        self.state.borrow().log.iter().filter(|(m, p)| *m == method && p.contains(needle)).count()
    }
    /// Reviews that are visible on the PR (not pending, not deleted).
    pub fn submitted_reviews(&self) -> Vec<FakeReview> {
        self.state.borrow().reviews.iter().filter(|r| r.state != "PENDING").cloned().collect()
    }

    fn next_id(&self) -> u64 {
        let mut s = self.state.borrow_mut();
        s.next_id += 1;
        1000 + s.next_id
    }

    fn handle(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let is_graphql = req.url == FAKE_GRAPHQL_URL;
        let rest = if is_graphql { "/graphql" } else { req.url.strip_prefix(FAKE_API_URL).unwrap_or(&req.url) };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let query: HashMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
        {
            let mut s = self.state.borrow_mut();
            s.log.push((req.method, rest.to_string()));
            s.last_request = Some(req.clone());
        }
        let header = |name: &str| req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        // GitHub refuses requests without a User-Agent, and unknown API versions
        // (<https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent>).
        if header("user-agent").is_none_or(str::is_empty) {
            return Ok(reply(
                403,
                json!({ "message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header" }),
            ));
        }
        if let Some(v) = header("x-github-api-version")
            && v != "2022-11-28"
        {
            return Ok(reply(400, json!({ "message": format!("API version '{v}' is not supported.") })));
        }

        let fault = {
            let mut s = self.state.borrow_mut();
            let pos = s.faults.iter().position(|f| f.method.is_none_or(|m| m == req.method) && path.contains(&f.path_contains));
            let pos = match pos {
                Some(i) if s.faults[i].after > 0 => {
                    s.faults[i].after -= 1;
                    None
                }
                other => other,
            };
            pos.map(|i| {
                s.faults[i].times -= 1;
                let r = s.faults[i].response.clone();
                if s.faults[i].times == 0 {
                    s.faults.remove(i);
                }
                r
            })
        };
        if let Some(r) = fault {
            return r;
        }
        let bearer = header("authorization").and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
        let body: Value = req.body.as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let now = self.clock.now();

        if is_graphql && (self.state.borrow().graphql_disabled || req.method != Method::Post) {
            return Ok(not_found());
        }
        if segs.first() == Some(&"app") && !is_graphql {
            if let Err(why) = self.verify_jwt(bearer, now) {
                return Ok(reply(401, json!({ "message": why, "documentation_url": "https://docs.github.com/rest" })));
            }
            // `GET /app` (https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app).
            if segs.as_slice() == ["app"] && req.method == Method::Get {
                return Ok(reply(
                    200,
                    json!({
                        "id": self.app_id, "slug": self.app_slug, "node_id": fake_graphql::node_id("A", &self.app_id.to_string()),
                        "name": "ArgusAI", "owner": { "login": "octo-org", "type": "Organization" },
                        "permissions": { "pull_requests": "write", "checks": "write", "contents": "read", "issues": "write", "metadata": "read" },
                        "events": ["pull_request", "issue_comment", "pull_request_review_comment"],
                    }),
                ));
            }
            if let ["app", "installations", id, "access_tokens"] = segs.as_slice()
                && req.method == Method::Post
            {
                let id: u64 = id.parse().unwrap_or(0);
                let mut s = self.state.borrow_mut();
                s.tokens_issued += 1;
                let token = format!("ghs_fake{}_{}", id, s.tokens_issued);
                let exp = now.plus_secs(self.token_ttl_secs);
                s.tokens.insert(token.clone(), (id, exp.0));
                let expires_at =
                    chrono::DateTime::from_timestamp_millis(exp.0 as i64).expect("valid time").to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                return Ok(reply(201, json!({ "token": token, "expires_at": expires_at })));
            }
            return Ok(not_found());
        }
        let valid = self.state.borrow().tokens.get(bearer).is_some_and(|(_, exp)| *exp > now.0);
        if !valid {
            return Ok(reply(401, json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest" })));
        }
        if is_graphql {
            // A JSON body GitHub cannot parse is a 400 (https://docs.github.com/en/graphql/guides/forming-calls-with-graphql).
            if body.is_null() {
                return Ok(reply(400, json!({ "message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql" })));
            }
            let opts = self.state.borrow().graphql.clone();
            let (status, answer) = fake_graphql::execute(&mut GraphQlView { fake: self }, &body, &opts);
            return Ok(reply(status, answer));
        }
        let ["repos", owner, repo, rest @ ..] = segs.as_slice() else { return Ok(not_found()) };
        let full = format!("{owner}/{repo}");
        let page = |items: Vec<Value>| self.page(path, &query, items);
        match (req.method, rest) {
            (Method::Get, ["pulls", n]) => {
                let Some(pr) = self.pr(&full, n) else { return Ok(not_found()) };
                Ok(reply(
                    200,
                    json!({
                        "number": pr.number, "state": pr.state, "draft": pr.draft, "title": "fake",
                        "user": { "login": pr.author },
                        "head": { "sha": pr.head_sha, "ref": "feature" },
                        "base": { "sha": pr.base_sha, "ref": "main" },
                    }),
                ))
            }
            (Method::Get, ["pulls", n, "files"]) => {
                let Some(pr) = self.pr(&full, n) else { return Ok(not_found()) };
                // GitHub serves at most 3000 files.
                Ok(page(pr.files.iter().take(3000).map(FakeFile::to_json).collect()))
            }
            (Method::Get, ["compare", spec]) => {
                let Some((base, head)) = spec.split_once("...") else { return Ok(not_found()) };
                let s = self.state.borrow();
                match s.compares.get(&(full.clone(), base.to_string(), head.to_string())) {
                    None => Ok(not_found()),
                    Some((status, files)) => Ok(reply(
                        200,
                        json!({
                            "status": status, "ahead_by": 1, "behind_by": 0,
                            "files": files.iter().map(FakeFile::to_json).collect::<Vec<_>>(),
                        }),
                    )),
                }
            }
            (Method::Get, ["contents", file @ ..]) => {
                let file = percent_decode(&file.join("/"));
                let git_ref = percent_decode(query.get("ref").copied().unwrap_or("main"));
                let s = self.state.borrow();
                match s.contents.get(&(full.clone(), git_ref, file)) {
                    None => Ok(not_found()),
                    Some(bytes) => {
                        use base64::Engine as _;
                        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                        // GitHub wraps the base64 with newlines every 60 characters.
                        let wrapped: Vec<String> = b64.as_bytes().chunks(60).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
                        Ok(reply(200, json!({ "type": "file", "encoding": "base64", "content": wrapped.join("\n") + "\n" })))
                    }
                }
            }
            (Method::Get, ["pulls", n, "reviews"]) => {
                let n: u64 = n.parse().unwrap_or(0);
                let items = self
                    .state
                    .borrow()
                    .reviews
                    .iter()
                    .filter(|r| r.pr == (full.clone(), n))
                    .map(|r| json!({ "id": r.id, "body": r.body, "state": r.state, "commit_id": r.commit_id, "user": user_json(&r.user) }))
                    .collect();
                Ok(page(items))
            }
            (Method::Post, ["pulls", n, "reviews"]) => self.create_review(&full, n, &body),
            (Method::Delete, ["pulls", n, "reviews", id]) => {
                let (n, id): (u64, u64) = (n.parse().unwrap_or(0), id.parse().unwrap_or(0));
                let mut s = self.state.borrow_mut();
                let Some(i) = s.reviews.iter().position(|r| r.id == id && r.pr == (full.clone(), n)) else { return Ok(not_found()) };
                if s.reviews[i].state != "PENDING" {
                    return Ok(unprocessable(&["Can not delete a non-pending pull request review"]));
                }
                let r = s.reviews.remove(i);
                Ok(reply(200, json!({ "id": r.id, "state": "PENDING" })))
            }
            (Method::Get, ["pulls", n, "comments"]) => {
                let n: u64 = n.parse().unwrap_or(0);
                Ok(page(self.review_comment_list(&full, n)))
            }
            (Method::Post, ["pulls", n, "comments", id, "replies"]) => {
                let (n, id): (u64, u64) = (n.parse().unwrap_or(0), id.parse().unwrap_or(0));
                if self.pr(&full, &n.to_string()).is_none() {
                    return Ok(not_found());
                }
                let list = self.review_comment_list(&full, n);
                let Some(target) = list.iter().find(|c| c["id"] == json!(id)).cloned() else { return Ok(not_found()) };
                // Docs: the comment must be a top-level review comment; replies to replies are not supported.
                if target.get("in_reply_to_id").is_some() {
                    return Ok(unprocessable(&["Replies to replies are not supported"]));
                }
                let Some(text) = body["body"].as_str().filter(|t| !t.is_empty()) else { return Ok(unprocessable(&["body is missing"])) };
                if text.chars().count() > 65_536 {
                    return Ok(unprocessable(&["Body is too long (maximum is 65536 characters)"]));
                }
                let reply_id = self.next_id();
                let created_at = self.now_rfc3339();
                self.state.borrow_mut().replies.push(FakeReply {
                    id: reply_id,
                    pr: (full.clone(), n),
                    in_reply_to: id,
                    body: text.into(),
                    user: self.bot_login(),
                    created_at,
                });
                let made = self.review_comment_list(&full, n).into_iter().find(|c| c["id"] == json!(reply_id)).unwrap_or_default();
                Ok(reply(201, made))
            }
            (Method::Get, ["pulls", n, "commits"]) => {
                let Some(pr) = self.pr(&full, n) else { return Ok(not_found()) };
                let commits = self
                    .state
                    .borrow()
                    .pr_commits
                    .get(&(full.clone(), pr.number))
                    .cloned()
                    .unwrap_or_else(|| vec![(pr.head_sha.clone(), "fake".to_string())]);
                // GitHub lists at most 250 commits (https://docs.github.com/en/rest/pulls/pulls#list-commits-on-a-pull-request).
                Ok(page(
                    commits
                        .iter()
                        .take(250)
                        .map(|(sha, message)| {
                            json!({
                                "sha": sha, "commit": { "message": message, "author": { "name": pr.author, "date": "2026-01-01T00:00:00Z" } },
                                "author": user_json(&pr.author),
                            })
                        })
                        .collect(),
                ))
            }
            (Method::Get, [kind @ ("pulls" | "issues"), "comments", id, "reactions"]) => {
                let target = if *kind == "pulls" { "review" } else { "issue" };
                let id: u64 = id.parse().unwrap_or(0);
                let items = self
                    .state
                    .borrow()
                    .reactions
                    .iter()
                    .filter(|r| r.repo == full && r.target == target && r.comment_id == id)
                    .map(reaction_json)
                    .collect();
                Ok(page(items))
            }
            (Method::Post, [kind @ ("pulls" | "issues"), "comments", id, "reactions"]) => {
                // Webhooks deliver comments this fake never stored, so the comment's
                // existence is not checked; the content is.
                let target = if *kind == "pulls" { "review" } else { "issue" };
                let id: u64 = id.parse().unwrap_or(0);
                let content = body["content"].as_str().unwrap_or_default().to_string();
                if !REACTIONS.contains(&content.as_str()) {
                    return Ok(unprocessable(&["content is not included in the list"]));
                }
                let user = self.bot_login();
                let existing = self
                    .state
                    .borrow()
                    .reactions
                    .iter()
                    .find(|r| r.repo == full && r.target == target && r.comment_id == id && r.content == content && r.user == user)
                    .cloned();
                // Reacting twice with the same content answers 200 with the existing reaction.
                if let Some(r) = existing {
                    return Ok(reply(200, reaction_json(&r)));
                }
                let r = FakeReaction { id: self.next_id(), repo: full.clone(), target, comment_id: id, content, user };
                self.state.borrow_mut().reactions.push(r.clone());
                Ok(reply(201, reaction_json(&r)))
            }
            (Method::Get, ["collaborators", login, "permission"]) => {
                let login = percent_decode(login);
                let found = self.state.borrow().permissions.get(&(full.clone(), login.to_ascii_lowercase())).cloned();
                match found {
                    None => Ok(not_found()),
                    Some((permission, role_name)) => Ok(reply(
                        200,
                        json!({
                            "permission": permission, "role_name": role_name.unwrap_or_else(|| permission.clone()),
                            "user": user_json(&login),
                        }),
                    )),
                }
            }
            (Method::Get, ["git", "trees", rev]) => {
                let rev = percent_decode(rev);
                let recursive = query.get("recursive").is_some_and(|v| !v.is_empty() && *v != "0" && *v != "false");
                match self.tree_json(&full, &rev, recursive) {
                    None => Ok(not_found()),
                    Some(tree) => Ok(reply(200, tree)),
                }
            }
            (Method::Get, ["git", "blobs", sha]) => {
                let found =
                    self.state.borrow().contents.iter().find(|(key, bytes)| key.0 == full && self.sha_of(key, bytes) == *sha).map(|(_, b)| b.clone());
                match found {
                    None => Ok(not_found()),
                    Some(bytes) => {
                        use base64::Engine as _;
                        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
                        let wrapped: Vec<String> = b64.as_bytes().chunks(60).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
                        Ok(reply(
                            200,
                            json!({
                                "sha": sha, "node_id": fake_graphql::node_id("B", sha), "size": bytes.len(),
                                "url": format!("{FAKE_API_URL}/repos/{full}/git/blobs/{sha}"),
                                "content": wrapped.join("\n") + "\n", "encoding": "base64",
                            }),
                        ))
                    }
                }
            }
            (Method::Get, ["issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap_or(0);
                let items = self
                    .state
                    .borrow()
                    .issue_comments
                    .iter()
                    .filter(|c| c.pr == (full.clone(), n))
                    .map(|c| json!({ "id": c.id, "body": c.body, "user": user_json(&c.user), "created_at": "2026-01-01T00:00:00Z" }))
                    .collect();
                Ok(page(items))
            }
            (Method::Post, ["issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap_or(0);
                let Some(text) = body["body"].as_str() else { return Ok(unprocessable(&["body is missing"])) };
                let id = self.next_id();
                let user = self.bot_login();
                self.state.borrow_mut().issue_comments.push(FakeComment { id, pr: (full, n), body: text.into(), user: user.clone() });
                Ok(reply(201, json!({ "id": id, "body": text, "user": user_json(&user) })))
            }
            (Method::Patch, ["issues", "comments", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let bot = self.bot_login();
                let mut s = self.state.borrow_mut();
                let Some(c) = s.issue_comments.iter_mut().find(|c| c.id == id && c.pr.0 == full) else { return Ok(not_found()) };
                // An App may only edit its own comments.
                if c.user != bot {
                    return Ok(reply(
                        403,
                        json!({ "message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/issues/comments#update-an-issue-comment", "status": "403" }),
                    ));
                }
                c.body = body["body"].as_str().unwrap_or_default().to_string();
                Ok(reply(200, json!({ "id": id, "body": c.body })))
            }
            (Method::Post, ["check-runs"]) => {
                let id = self.next_id();
                self.state.borrow_mut().check_runs.push((id, vec![body.clone()]));
                Ok(reply(201, json!({ "id": id, "name": body["name"], "status": body["status"] })))
            }
            (Method::Patch, ["check-runs", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let mut s = self.state.borrow_mut();
                let Some((_, bodies)) = s.check_runs.iter_mut().find(|(i, _)| *i == id) else { return Ok(not_found()) };
                bodies.push(body.clone());
                Ok(reply(200, json!({ "id": id, "status": body["status"], "conclusion": body["conclusion"] })))
            }
            _ => Ok(not_found()),
        }
    }

    fn pr(&self, full: &str, n: &str) -> Option<FakePr> {
        self.state.borrow().pulls.get(&(full.to_string(), n.parse().ok()?)).cloned()
    }

    fn verify_jwt(&self, token: &str, now: UnixMillis) -> Result<(), String> {
        let options = VerificationOptions {
            allowed_issuers: Some(HashSet::from_strings(&[self.app_id.to_string()])),
            artificial_time: Some(Duration::from_secs(now.secs())),
            time_tolerance: Some(Duration::from_secs(0)),
            ..Default::default()
        };
        let claims = self
            .public_key
            .verify_token::<NoCustomClaims>(token, Some(options))
            .map_err(|e| format!("A JSON web token could not be decoded ({e})"))?;
        let (Some(iat), Some(exp)) = (claims.issued_at, claims.expires_at) else {
            return Err("'Issued at' claim ('iat') and 'Expiration time' claim ('exp') are required".into());
        };
        if exp.as_secs() > iat.as_secs() + 600 {
            return Err("'Expiration time' claim ('exp') is too far in the future".into());
        }
        Ok(())
    }

    fn create_review(&self, full: &str, n: &str, body: &Value) -> Result<HttpResponse, TransportError> {
        let Some(pr) = self.pr(full, n) else { return Ok(not_found()) };
        let event = body["event"].as_str().map(str::to_string);
        if let Some(e) = &event
            && !["COMMENT", "APPROVE", "REQUEST_CHANGES"].contains(&e.as_str())
        {
            return Ok(unprocessable(&["Unknown event"]));
        }
        let commit = body["commit_id"].as_str().unwrap_or(&pr.head_sha).to_string();
        if commit != pr.head_sha {
            return Ok(unprocessable(&["commit_id is not part of the pull request"]));
        }
        let comments = body["comments"].as_array().cloned().unwrap_or_default();
        for c in &comments {
            let path = c["path"].as_str().unwrap_or_default();
            let Some(patch) = pr.files.iter().find(|f| f.filename == path).and_then(|f| f.patch.as_deref()) else {
                return Ok(unprocessable(&["Path could not be resolved"]));
            };
            if let Some(why) =
                PatchLines::parse(patch).check(c["line"].as_u64(), c["side"].as_str(), c["start_line"].as_u64(), c["start_side"].as_str())
            {
                return Ok(unprocessable(&[why]));
            }
        }
        let key = (full.to_string(), pr.number);
        if event.is_none() && self.state.borrow().reviews.iter().any(|r| r.pr == key && r.state == "PENDING") {
            return Ok(unprocessable(&["User can only have one pending review per pull request"]));
        }
        let id = self.next_id();
        let state = match event.as_deref() {
            None => "PENDING",
            Some("COMMENT") => "COMMENTED",
            Some("APPROVE") => "APPROVED",
            Some(_) => "CHANGES_REQUESTED",
        };
        let comment_ids = comments.iter().map(|_| self.next_id()).collect();
        let review = FakeReview {
            id,
            pr: key,
            state: state.into(),
            body: body["body"].as_str().unwrap_or_default().into(),
            commit_id: commit,
            event,
            comments,
            user: self.bot_login(),
            comment_ids,
            created_at: self.now_rfc3339(),
        };
        self.state.borrow_mut().reviews.push(review);
        Ok(reply(200, json!({ "id": id, "state": state })))
    }

    /// Every submitted review comment and reply of a PR, oldest first, shaped like
    /// `GET /pulls/{n}/comments`. A comment from an older commit keeps its `line`
    /// while that line is still in the diff, else `line` is `null` (outdated).
    fn review_comment_list(&self, full: &str, n: u64) -> Vec<Value> {
        let s = self.state.borrow();
        let pr = s.pulls.get(&(full.to_string(), n));
        let mut out: Vec<Value> = Vec::new();
        for r in s.reviews.iter().filter(|r| r.pr == (full.to_string(), n) && r.state != "PENDING") {
            for (i, c) in r.comments.iter().enumerate() {
                let mut c = c.clone();
                c["id"] = json!(r.comment_ids.get(i).copied().unwrap_or(r.id * 1000 + i as u64));
                let line = c["line"].as_u64();
                let side = c["side"].as_str().unwrap_or("RIGHT").to_string();
                let placeable = pr.is_some_and(|pr| {
                    r.commit_id == pr.head_sha
                        || pr
                            .files
                            .iter()
                            .find(|f| Some(f.filename.as_str()) == c["path"].as_str())
                            .and_then(|f| f.patch.as_deref())
                            .is_some_and(|p| PatchLines::parse(p).check(line, Some(&side), None, None).is_none())
                });
                c["original_line"] = json!(line);
                c["original_start_line"] = c.get("start_line").cloned().unwrap_or(Value::Null);
                c["original_commit_id"] = json!(r.commit_id);
                if !placeable {
                    c["line"] = Value::Null;
                    c["start_line"] = Value::Null;
                }
                c["side"] = json!(side);
                c["commit_id"] = json!(r.commit_id);
                c["pull_request_review_id"] = json!(r.id);
                c["user"] = user_json(&r.user);
                c["created_at"] = json!(r.created_at);
                c["html_url"] = json!(format!("https://github.com/{full}/pull/{n}#discussion_r{}", c["id"]));
                out.push(c);
            }
        }
        for reply in s.replies.iter().filter(|x| x.pr == (full.to_string(), n)) {
            let root = out.iter().find(|c| c["id"] == json!(reply.in_reply_to)).cloned().unwrap_or_default();
            out.push(json!({
                "id": reply.id, "in_reply_to_id": reply.in_reply_to, "body": reply.body, "user": user_json(&reply.user),
                "created_at": reply.created_at, "path": root["path"], "line": root["line"], "original_line": root["original_line"],
                "side": root["side"], "commit_id": root["commit_id"], "original_commit_id": root["original_commit_id"],
                "html_url": format!("https://github.com/{full}/pull/{n}#discussion_r{}", reply.id),
            }));
        }
        for c in &mut out {
            let id = c["id"].as_u64().unwrap_or(0);
            c["reactions"] = reaction_rollup(&s.reactions, full, id);
        }
        out.sort_by_key(|c| c["id"].as_u64().unwrap_or(0));
        out
    }

    /// `GET /git/trees/{rev}`: the files stored for `rev` in `contents` and the
    /// directories they imply, sorted by path; `None` for a revision the fake does
    /// not know (GitHub's 404).
    fn tree_json(&self, full: &str, rev: &str, recursive: bool) -> Option<Value> {
        let s = self.state.borrow();
        let known = s.contents.keys().any(|(r, g, _)| r == full && g == rev)
            || s.pulls.values().any(|p| format!("{}/{}", p.owner, p.repo) == full && (p.head_sha == rev || p.base_sha == rev));
        if !known {
            return None;
        }
        let mut entries: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
        for (key, bytes) in &s.contents {
            let (r, g, path) = key;
            if r != full || g != rev {
                continue;
            }
            let parts: Vec<&str> = path.split('/').collect();
            for d in 1..parts.len() {
                let dir = parts[..d].join("/");
                entries.entry(dir.clone()).or_insert_with(
                    || json!({ "path": dir, "mode": "040000", "type": "tree", "sha": git_blob_sha(format!("tree {rev} {dir}").as_bytes()) }),
                );
            }
            let sha = self.sha_of(key, bytes);
            entries.insert(
                path.clone(),
                json!({
                    "path": path, "mode": "100644", "type": "blob", "sha": sha, "size": bytes.len(),
                    "url": format!("{FAKE_API_URL}/repos/{full}/git/blobs/{sha}"),
                }),
            );
        }
        let mut list: Vec<Value> = entries.into_values().filter(|e| recursive || !e["path"].as_str().unwrap_or_default().contains('/')).collect();
        let mut truncated = false;
        if let Some(limit) = s.tree_entry_limit
            && list.len() > limit
        {
            list.truncate(limit);
            truncated = true;
        }
        Some(
            json!({ "sha": git_blob_sha(format!("tree {rev}").as_bytes()), "url": format!("{FAKE_API_URL}/repos/{full}/git/trees/{rev}"), "tree": list, "truncated": truncated }),
        )
    }

    /// Paginates like GitHub: `per_page` (default 30, at most 100), `page`, and a
    /// `Link` header with `next`/`last` (and `prev`/`first` after page 1).
    fn page(&self, path: &str, query: &HashMap<&str, &str>, items: Vec<Value>) -> HttpResponse {
        let per_page: usize = query.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(30).clamp(1, 100);
        let page: usize = query.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
        let last = items.len().div_ceil(per_page).max(1);
        let slice: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
        let link_to = |p: usize, rel: &str| format!("<{FAKE_API_URL}{path}?per_page={per_page}&page={p}>; rel=\"{rel}\"");
        let mut links = Vec::new();
        if page > 1 {
            links.push(link_to(page - 1, "prev"));
            links.push(link_to(1, "first"));
        }
        if page < last {
            links.push(link_to(page + 1, "next"));
            links.push(link_to(last, "last"));
        }
        let mut resp = reply(200, Value::Array(slice));
        if !links.is_empty() {
            resp.headers.push(("link".into(), links.join(", ")));
        }
        resp
    }
}

impl HttpClient for FakeGitHub {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.handle(&req)
    }
}

/// The GraphQL engine's view of the fake's state.
struct GraphQlView<'a> {
    fake: &'a FakeGitHub,
}

impl GraphQlData for GraphQlView<'_> {
    fn repository_exists(&self, owner: &str, name: &str) -> bool {
        let full = format!("{owner}/{name}");
        let s = self.fake.state.borrow();
        s.pulls.keys().any(|(r, _)| *r == full) || s.contents.keys().any(|(r, _, _)| *r == full)
    }

    fn object(&self, owner: &str, name: &str, expression: &str) -> Option<GitObjectData> {
        let full = format!("{owner}/{name}");
        let (rev, path) = match expression.split_once(':') {
            Some((rev, path)) => (rev, Some(path)),
            None => (expression, None),
        };
        let s = self.fake.state.borrow();
        let known_rev = s.contents.keys().any(|(r, g, _)| *r == full && g == rev)
            || s.pulls.values().any(|p| format!("{}/{}", p.owner, p.repo) == full && (p.head_sha == rev || p.base_sha == rev));
        if !known_rev {
            return None;
        }
        let Some(path) = path else { return Some(GitObjectData::Commit { oid: rev.to_string() }) };
        let path = path.trim_end_matches('/');
        let key = (full.clone(), rev.to_string(), path.to_string());
        if let Some(bytes) = s.contents.get(&key) {
            return Some(GitObjectData::Blob { oid: self.fake.sha_of(&key, bytes), bytes: bytes.clone() });
        }
        let dir = format!("{path}/");
        let is_dir = path.is_empty() || s.contents.keys().any(|(r, g, p)| *r == full && g == rev && p.starts_with(&dir));
        is_dir.then(|| GitObjectData::Tree { oid: git_blob_sha(format!("tree {rev} {path}").as_bytes()) })
    }

    fn review_threads(&self, owner: &str, name: &str, number: i64) -> Option<Vec<ThreadData>> {
        let full = format!("{owner}/{name}");
        let n = u64::try_from(number).ok()?;
        self.fake.state.borrow().pulls.get(&(full.clone(), n))?;
        let comments = self.fake.review_comment_list(&full, n);
        let resolved = self.fake.state.borrow().resolved_threads.clone();
        let bot = self.fake.bot_login();
        let rows = comments.iter().map(|c| {
            let login = c["user"]["login"].as_str().unwrap_or_default().to_string();
            let id = c["id"].as_u64().unwrap_or(0);
            let comment = ThreadComment {
                database_id: id,
                author_is_bot: login == bot || login.ends_with("[bot]"),
                author_login: login,
                body: c["body"].as_str().unwrap_or_default().to_string(),
                created_at: c["created_at"].as_str().unwrap_or_default().to_string(),
                path: c["path"].as_str().unwrap_or_default().to_string(),
                reply_to: c["in_reply_to_id"].as_u64(),
                url: c["html_url"].as_str().unwrap_or_default().to_string(),
            };
            let line = |k: &str| c[k].as_u64().and_then(|l| u32::try_from(l).ok());
            (
                id,
                c["in_reply_to_id"].as_u64(),
                comment,
                line("line"),
                line("original_line"),
                line("start_line"),
                c["side"].as_str().unwrap_or("RIGHT").to_string(),
            )
        });
        let repo_pr = format!("{full}#{n}");
        Some(fake_graphql::group_threads(rows, &resolved, |root| fake_graphql::node_id("PRRT", &format!("{repo_pr}/{root}"))))
    }

    fn set_thread_resolved(&mut self, thread_id: &str, resolved: bool) -> Option<ThreadData> {
        let pulls: Vec<(String, u64)> = self.fake.state.borrow().pulls.keys().cloned().collect();
        for (full, n) in pulls {
            let (owner, name) = full.split_once('/')?;
            let threads = self.review_threads(owner, name, n as i64)?;
            if threads.iter().any(|t| t.id == thread_id) {
                {
                    let mut s = self.fake.state.borrow_mut();
                    if resolved {
                        s.resolved_threads.insert(thread_id.to_string(), self.fake.app_slug.clone());
                    } else {
                        s.resolved_threads.remove(thread_id);
                    }
                }
                return self.review_threads(owner, name, n as i64)?.into_iter().find(|t| t.id == thread_id);
            }
        }
        None
    }
}

/// Git's blob id: SHA-1 of `blob <len>\0` and the bytes.
pub fn git_blob_sha(bytes: &[u8]) -> String {
    use sha1::Digest as _;
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A REST `user` object; logins ending in `[bot]` are of type `Bot`.
fn user_json(login: &str) -> Value {
    let kind = if login.ends_with("[bot]") { "Bot" } else { "User" };
    let id = login.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) % 100_000_000;
    json!({ "login": login, "id": id, "type": kind })
}

/// GitHub's `reaction-rollup` of a review comment: the count of each kind.
fn reaction_rollup(all: &[FakeReaction], full: &str, comment_id: u64) -> Value {
    let on: Vec<&FakeReaction> = all.iter().filter(|r| r.repo == full && r.target == "review" && r.comment_id == comment_id).collect();
    let mut v = json!({
        "url": format!("https://api.github.com/repos/{full}/pulls/comments/{comment_id}/reactions"),
        "total_count": on.len(),
    });
    for kind in REACTIONS {
        v[kind] = json!(on.iter().filter(|r| r.content == kind).count());
    }
    v
}

fn reaction_json(r: &FakeReaction) -> Value {
    json!({ "id": r.id, "content": r.content, "user": user_json(&r.user), "created_at": "2026-01-01T00:00:00Z" })
}

fn rfc3339(t: UnixMillis) -> String {
    chrono::DateTime::from_timestamp_millis(t.0 as i64).expect("valid time").to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Head and base texts consistent with a patch: every hunk line at its number on
/// its side, filler lines elsewhere (`// <path> line N (old|new)`), and as many
/// lines after the last hunk as before the first, so hunks sit inside the file.
pub fn texts_from_patch(path: &str, patch: &str) -> (String, String) {
    let (mut old, mut new): (BTreeMap<u32, String>, BTreeMap<u32, String>) = (BTreeMap::new(), BTreeMap::new());
    let (mut o, mut n) = (0u32, 0u32);
    let mut old_end_marker = false;
    let mut new_end_marker = false;
    let mut last_side = ' ';
    for line in patch.split('\n') {
        if let Some(h) = line.strip_prefix("@@ -") {
            let nums: Vec<u32> = h.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
            let after_plus = h.split_once('+').map(|(_, r)| r).unwrap_or("");
            o = nums.first().copied().unwrap_or(1).max(1);
            n = after_plus.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
            continue;
        }
        match line.as_bytes().first() {
            Some(b'+') => {
                new.insert(n, line[1..].to_string());
                n += 1;
                last_side = '+';
            }
            Some(b'-') => {
                old.insert(o, line[1..].to_string());
                o += 1;
                last_side = '-';
            }
            Some(b'\\') => match last_side {
                '+' => new_end_marker = true,
                '-' => old_end_marker = true,
                _ => {
                    new_end_marker = true;
                    old_end_marker = true;
                }
            },
            _ => {
                let text = line.strip_prefix(' ').unwrap_or(line).to_string();
                old.insert(o, text.clone());
                new.insert(n, text);
                o += 1;
                n += 1;
                last_side = ' ';
            }
        }
    }
    let render = |lines: &BTreeMap<u32, String>, side: &str, no_trailing_newline: bool| {
        let Some(&last) = lines.keys().next_back() else { return String::new() };
        let first = lines.keys().next().copied().unwrap_or(1);
        let tail = if no_trailing_newline { 0 } else { first.saturating_sub(1).min(20) };
        let mut out = String::new();
        for i in 1..=last + tail {
            match lines.get(&i) {
                Some(l) => out.push_str(l),
                None => out.push_str(&format!("// {path} line {i} ({side})")),
            }
            if i < last + tail || !no_trailing_newline {
                out.push('\n');
            }
        }
        out
    };
    (render(&old, "old", old_end_marker), render(&new, "new", new_end_marker))
}

fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse { status, headers: vec![("content-type".into(), "application/json; charset=utf-8".into())], body: body.to_string().into_bytes() }
}

fn not_found() -> HttpResponse {
    reply(404, json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" }))
}

/// GitHub's 422 for a review with an unplaceable comment.
fn unprocessable(errors: &[&str]) -> HttpResponse {
    reply(
        422,
        json!({
            "message": "Unprocessable Entity",
            "errors": errors,
            "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
            "status": "422",
        }),
    )
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
