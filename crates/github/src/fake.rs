//! An in-memory GitHub that implements argus-core's [`HttpClient`], for native
//! tests of this crate and of the pipeline: it checks the App JWT (signature with
//! the test public key, `iss`, `iat`/`exp`) and installation tokens, serves PRs
//! built from unified diffs, paginates with `Link`, records what ArgusAI posts,
//! rejects reviews with GitHub's 422 when an anchor is not in the diff, and can
//! inject faults. The loopback twin for end-to-end tests is `tests/fakes/github.mjs`.

use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use argus_core::ids::UnixMillis;
use jwt_simple::prelude::*;
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

pub const FAKE_API_URL: &str = "https://fake-github.test/api/v3";

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
    pub comments: Vec<Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FakeComment {
    pub id: u64,
    pub pr: (String, u64),
    pub body: String,
}

/// A canned answer for requests whose method and path match, `times` times.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: Option<Method>,
    pub path_contains: String,
    pub times: u32,
    pub response: Result<HttpResponse, TransportError>,
}

impl Fault {
    pub fn status(method: Option<Method>, path_contains: &str, status: u16, headers: &[(&str, &str)], body: Value) -> Self {
        Self {
            method,
            path_contains: path_contains.into(),
            times: 1,
            response: Ok(HttpResponse {
                status,
                headers: headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect(),
                body: body.to_string().into_bytes(),
            }),
        }
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
    pub reactions: Vec<(u64, String)>,
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
}

impl FakeGitHub {
    /// `public_key_pem` verifies App JWTs; `app_id` is the expected `iss`.
    pub fn new(clock: FakeClock, app_id: u64, public_key_pem: &str) -> Self {
        Self {
            state: Rc::default(),
            clock,
            app_id,
            public_key: Rc::new(RS256PublicKey::from_pem(public_key_pem).expect("test public key")),
            token_ttl_secs: 3600,
        }
    }

    pub fn add_pull_request(&self, pr: FakePr) {
        self.state.borrow_mut().pulls.insert((format!("{}/{}", pr.owner, pr.repo), pr.number), pr);
    }
    pub fn set_content(&self, repo: &str, git_ref: &str, path: &str, bytes: &[u8]) {
        self.state.borrow_mut().contents.insert((repo.into(), git_ref.into(), path.into()), bytes.to_vec());
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
        let rest = req.url.strip_prefix(FAKE_API_URL).unwrap_or(&req.url);
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
            return Ok(reply(403, json!({ "message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header" })));
        }
        if let Some(v) = header("x-github-api-version")
            && v != "2022-11-28"
        {
            return Ok(reply(400, json!({ "message": format!("API version '{v}' is not supported.") })));
        }

        let fault = {
            let mut s = self.state.borrow_mut();
            let pos = s.faults.iter().position(|f| f.method.is_none_or(|m| m == req.method) && path.contains(&f.path_contains));
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

        if segs.first() == Some(&"app") {
            if let Err(why) = self.verify_jwt(bearer, now) {
                return Ok(reply(401, json!({ "message": why, "documentation_url": "https://docs.github.com/rest" })));
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
                let expires_at = chrono::DateTime::from_timestamp_millis(exp.0 as i64)
                    .expect("valid time")
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                return Ok(reply(201, json!({ "token": token, "expires_at": expires_at })));
            }
            return Ok(not_found());
        }
        let valid = self.state.borrow().tokens.get(bearer).is_some_and(|(_, exp)| *exp > now.0);
        if !valid {
            return Ok(reply(401, json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest" })));
        }
        let ["repos", owner, repo, rest @ ..] = segs.as_slice() else { return Ok(not_found()) };
        let full = format!("{owner}/{repo}");
        let page = |items: Vec<Value>| self.page(path, &query, items);
        match (req.method, rest) {
            (Method::Get, ["pulls", n]) => {
                let Some(pr) = self.pr(&full, n) else { return Ok(not_found()) };
                Ok(reply(200, json!({
                    "number": pr.number, "state": pr.state, "draft": pr.draft, "title": "fake",
                    "user": { "login": pr.author },
                    "head": { "sha": pr.head_sha, "ref": "feature" },
                    "base": { "sha": pr.base_sha, "ref": "main" },
                })))
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
                    Some((status, files)) => Ok(reply(200, json!({
                        "status": status, "ahead_by": 1, "behind_by": 0,
                        "files": files.iter().map(FakeFile::to_json).collect::<Vec<_>>(),
                    }))),
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
                let items = self.state.borrow().reviews.iter().filter(|r| r.pr == (full.clone(), n)).map(|r| {
                    json!({ "id": r.id, "body": r.body, "state": r.state, "commit_id": r.commit_id })
                }).collect();
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
                let items = self.state.borrow().reviews.iter()
                    .filter(|r| r.pr == (full.clone(), n) && r.state != "PENDING")
                    .flat_map(|r| r.comments.iter().enumerate().map(move |(i, c)| {
                        let mut c = c.clone();
                        c["id"] = json!(r.id * 1000 + i as u64);
                        c["commit_id"] = json!(r.commit_id);
                        c
                    }))
                    .collect();
                Ok(page(items))
            }
            (Method::Get, ["issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap_or(0);
                let items = self.state.borrow().issue_comments.iter().filter(|c| c.pr == (full.clone(), n))
                    .map(|c| json!({ "id": c.id, "body": c.body })).collect();
                Ok(page(items))
            }
            (Method::Post, ["issues", n, "comments"]) => {
                let n: u64 = n.parse().unwrap_or(0);
                let Some(text) = body["body"].as_str() else { return Ok(unprocessable(&["body is missing"])) };
                let id = self.next_id();
                self.state.borrow_mut().issue_comments.push(FakeComment { id, pr: (full, n), body: text.into() });
                Ok(reply(201, json!({ "id": id, "body": text })))
            }
            (Method::Patch, ["issues", "comments", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let mut s = self.state.borrow_mut();
                let Some(c) = s.issue_comments.iter_mut().find(|c| c.id == id && c.pr.0 == full) else { return Ok(not_found()) };
                c.body = body["body"].as_str().unwrap_or_default().to_string();
                Ok(reply(200, json!({ "id": id, "body": c.body })))
            }
            (Method::Post, ["issues", "comments", id, "reactions"]) => {
                let id: u64 = id.parse().unwrap_or(0);
                let content = body["content"].as_str().unwrap_or_default().to_string();
                let mut s = self.state.borrow_mut();
                // Reacting twice with the same content answers 200 with the existing reaction.
                let status = if s.reactions.contains(&(id, content.clone())) { 200 } else { 201 };
                if status == 201 {
                    s.reactions.push((id, content.clone()));
                }
                Ok(reply(status, json!({ "id": id + 7, "content": content })))
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
            if let Some(why) = PatchLines::parse(patch).check(
                c["line"].as_u64(),
                c["side"].as_str(),
                c["start_line"].as_u64(),
                c["start_side"].as_str(),
            ) {
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
        let review = FakeReview {
            id,
            pr: key,
            state: state.into(),
            body: body["body"].as_str().unwrap_or_default().into(),
            commit_id: commit,
            event,
            comments,
        };
        self.state.borrow_mut().reviews.push(review);
        Ok(reply(200, json!({ "id": id, "state": state })))
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

fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
        body: body.to_string().into_bytes(),
    }
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
