//! File contents for a review in as few requests as possible: the full text of
//! every reviewed file at the PR's head (and base), and a few base-branch files
//! (configuration, guidance, manifests).
//!
//! A 50-file PR must spend at most 8 GitHub requests on contents, so files are
//! fetched in batches: one Git trees request per commit lists every path with its
//! size and blob SHA (<https://docs.github.com/en/rest/git/trees#get-a-tree>), then
//! one GraphQL request per batch asks for many blobs at once through aliases
//! (`a0: object(expression: "SHA:path") { ... on Blob { text byteSize isBinary
//! isTruncated } }`, <https://docs.github.com/en/graphql/reference/objects#blob>).
//! The tree's sizes let the planner bound each response and skip files over
//! `max_file_bytes` without asking for their text.
//!
//! Request counts, measured by `print_contents_request_table` in
//! `tests/github/contents.rs` (each file wanted at head and base, plus the five
//! guidance files of which two exist; source files of 1–37 KB; trees included):
//!
//! | PR files | blobs wanted | GraphQL, budget 8 | REST fallback, budget 8 | GraphQL, no budget | REST, no budget |
//! |---|---|---|---|---|---|
//! | 1 | 7 | 3 requests, all fetched | 7, all fetched | 3 | 7 |
//! | 10 | 25 | 3, all fetched | 8: 5 fetched, 17 skipped | 3 | 25 |
//! | 50 | 105 | 4, all fetched | 8: 5 fetched, 97 skipped | 4 | 105 |
//! | 300 | 605 | 8: 492 fetched, 110 skipped | 8: 5 fetched, 597 skipped | 10 | 605 |
//!
//! In general: GraphQL costs the trees (≤ 2) plus ⌈blobs / 100⌉ batches, more
//! when the texts exceed 2 MiB per batch; REST costs the trees, one refused
//! GraphQL probe, and one request per blob.
//!
//! Without GraphQL (404/410 or not JSON on `/graphql`, as on some GitHub
//! Enterprise Server setups) the REST fallback spends one request per file
//! (`GET /git/blobs/{sha}` when the tree gave the SHA, else the contents API), so
//! the caller's budget decides how many files get context; the others are
//! reported as skipped, never silently dropped.

use crate::auth::{JwtSigner, TokenCache};
use crate::client::{decode, encode_path, encode_query};
use crate::error::GitHubError;
use crate::ops::Installation;
use argus_core::http::{Clock, HttpClient, Method};
use argus_core::ids::RepoName;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Git's own test for binary content: a NUL byte among the first 8000 bytes
/// (`buffer_is_binary` in git's `xdiff-interface.c`).
const BINARY_SNIFF_BYTES: usize = 8000;

/// One entry of a recursive Git tree.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct TreeEntry {
    pub path: String,
    /// `100644`, `100755`, `040000`, `160000` (submodule), `120000` (symlink).
    #[serde(default)]
    pub mode: String,
    /// `blob`, `tree` or `commit` (a submodule).
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    /// Bytes, for blobs only.
    #[serde(default)]
    pub size: Option<u64>,
}

/// `GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Tree {
    pub sha: String,
    #[serde(rename = "tree")]
    pub entries: Vec<TreeEntry>,
    /// GitHub lists at most 100,000 entries (7 MB) of a recursive tree and sets
    /// `truncated`; a path missing from a truncated tree may still exist.
    #[serde(default)]
    pub truncated: bool,
}

impl Tree {
    /// Entries by path, for lookups.
    pub fn index(&self) -> HashMap<&str, &TreeEntry> {
        self.entries.iter().map(|e| (e.path.as_str(), e)).collect()
    }

    /// What the tree says about `path`.
    pub fn lookup(&self, index: &HashMap<&str, &TreeEntry>, path: &str) -> TreeLookup {
        match index.get(path) {
            Some(e) if e.kind == "blob" => TreeLookup::Blob { size: e.size, sha: e.sha.clone() },
            Some(_) => TreeLookup::NotAFile,
            None if self.truncated => TreeLookup::Unknown,
            None => TreeLookup::Absent,
        }
    }
}

/// The answer of [`Tree::lookup`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeLookup {
    Blob {
        size: Option<u64>,
        sha: String,
    },
    /// A directory or a submodule.
    NotAFile,
    /// Not listed in a complete tree: the file does not exist at that commit.
    Absent,
    /// Not listed, but the tree was truncated.
    Unknown,
}

/// One file wanted at one revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobRequest {
    /// A commit SHA (or any revision GitHub resolves: a branch, a tag).
    pub rev: String,
    pub path: String,
    /// Lower is more important; when the budget runs out, the least important
    /// files are skipped. Ties keep the input order.
    pub priority: u32,
    /// Bytes, from the tree when known.
    pub size: Option<u64>,
    /// The blob SHA from the tree, for the REST fallback's `git/blobs`.
    pub blob_sha: Option<String>,
}

impl BlobRequest {
    pub fn new(rev: impl Into<String>, path: impl Into<String>) -> Self {
        Self { rev: rev.into(), path: path.into(), priority: 0, size: None, blob_sha: None }
    }
    pub fn priority(mut self, priority: u32) -> Self {
        self.priority = priority;
        self
    }
    /// Size and blob SHA as listed by the tree.
    pub fn known(mut self, size: Option<u64>, blob_sha: impl Into<String>) -> Self {
        self.size = size;
        self.blob_sha = Some(blob_sha.into());
        self
    }
}

/// Bounds on fetching contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ContentLimits {
    /// Files larger than this are skipped for context (never for the review); the
    /// tree's sizes keep their text from being asked for at all.
    pub max_file_bytes: u64,
    /// Expected response size per GraphQL request, from the files' sizes.
    pub max_batch_bytes: u64,
    /// Aliases per GraphQL request.
    pub max_batch_files: usize,
    /// GitHub requests this fetch may spend, trees included.
    pub max_requests: u32,
    /// Assumed size of a file the tree did not list (a truncated tree).
    pub unknown_size_estimate: u64,
}

impl Default for ContentLimits {
    fn default() -> Self {
        Self { max_file_bytes: 256 * 1024, max_batch_bytes: 2 * 1024 * 1024, max_batch_files: 100, max_requests: 8, unknown_size_estimate: 32 * 1024 }
    }
}

/// How blobs are fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Many blobs per request through GraphQL aliases.
    GraphQl,
    /// One blob per request (`git/blobs` or the contents API).
    Rest,
}

/// Why a file was not asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Skip {
    /// The tree says it is over `max_file_bytes`.
    TooLarge { byte_size: u64 },
    /// No request left in the budget.
    OverBudget,
}

/// Which requests to make: batches of request indices, and what is skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentPlan {
    /// One HTTP request each. For [`Transport::Rest`] every batch holds one file.
    pub batches: Vec<Vec<usize>>,
    pub skipped: Vec<(usize, Skip)>,
}

impl ContentPlan {
    pub fn requests(&self) -> usize {
        self.batches.len()
    }
}

/// The response bytes a file is expected to cost: its text, JSON escaping
/// (a newline is two bytes; code has one about every 30 bytes) and the alias's
/// envelope.
fn expected_bytes(size: u64) -> u64 {
    size + size / 8 + 128
}

/// Plans the requests for `requests` within `budget` HTTP requests: the most
/// important files first, files over `max_file_bytes` (by the tree's size)
/// skipped without asking, GraphQL batches packed first-fit by count and
/// expected bytes. Pure, so the pipeline can test its choices.
pub fn plan_contents(requests: &[BlobRequest], limits: &ContentLimits, transport: Transport, budget: u32) -> ContentPlan {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    argus_core::sort::sort_by_key(&mut order, |&i| (requests[i].priority, i));
    let mut plan = ContentPlan::default();
    let mut loads: Vec<u64> = Vec::new();
    let max_files = limits.max_batch_files.max(1);
    for i in order {
        let r = &requests[i];
        if let Some(size) = r.size.filter(|&s| s > limits.max_file_bytes) {
            plan.skipped.push((i, Skip::TooLarge { byte_size: size }));
            continue;
        }
        let cost = expected_bytes(r.size.unwrap_or(limits.unknown_size_estimate));
        let slot = match transport {
            Transport::Rest => None,
            Transport::GraphQl => {
                plan.batches.iter().zip(&loads).position(|(b, &load)| b.len() < max_files && (load + cost <= limits.max_batch_bytes || b.is_empty()))
            }
        };
        match slot {
            Some(b) => {
                plan.batches[b].push(i);
                loads[b] += cost;
            }
            None if (plan.batches.len() as u32) < budget => {
                plan.batches.push(vec![i]);
                loads.push(cost);
            }
            None => plan.skipped.push((i, Skip::OverBudget)),
        }
    }
    plan
}

/// What became of one wanted file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlobResult {
    Text {
        text: String,
        byte_size: u64,
    },
    /// GitHub cut the text short (`isTruncated`); `text` is what came back.
    Truncated {
        text: String,
        byte_size: u64,
    },
    Binary {
        byte_size: u64,
    },
    /// Over `max_file_bytes`: skipped for context.
    TooLarge {
        byte_size: u64,
    },
    /// No such file at that revision (or a directory or submodule there).
    Missing,
    /// Not fetched: the request budget ran out.
    Skipped,
    /// Fetching it failed; the reason is for the summary and logs.
    Failed {
        reason: String,
    },
}

impl BlobResult {
    /// The full text, when there is one (not for truncated files).
    pub fn text(&self) -> Option<&str> {
        match self {
            BlobResult::Text { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Classifies raw bytes like GitHub does: over the bound, binary (a NUL in
    /// the first 8000 bytes, or not UTF-8), else text.
    pub fn from_bytes(bytes: Vec<u8>, max_file_bytes: u64) -> Self {
        let byte_size = bytes.len() as u64;
        if byte_size > max_file_bytes {
            return BlobResult::TooLarge { byte_size };
        }
        if bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0) {
            return BlobResult::Binary { byte_size };
        }
        match String::from_utf8(bytes) {
            Ok(text) => BlobResult::Text { text, byte_size },
            Err(_) => BlobResult::Binary { byte_size },
        }
    }
}

/// The outcome of [`Installation::blobs`]: one result per request, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct BlobsOutcome {
    pub results: Vec<BlobResult>,
    /// The transport the blobs were finally fetched with.
    pub transport: Transport,
    /// HTTP requests spent.
    pub requests: u32,
    /// Why GraphQL was abandoned for REST, when it was.
    pub fallback: Option<String>,
    /// The error that stopped fetching early (a rate limit, revoked credentials);
    /// files it left unfetched are [`BlobResult::Failed`]. What succeeded before it
    /// is kept. The caller decides whether a review goes on without context.
    pub error: Option<GitHubError>,
}

/// One file wanted for a review, before the tree is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedFile {
    pub rev: String,
    pub path: String,
    /// Lower is more important.
    pub priority: u32,
}

impl WantedFile {
    pub fn new(rev: impl Into<String>, path: impl Into<String>, priority: u32) -> Self {
        Self { rev: rev.into(), path: path.into(), priority }
    }
}

/// The outcome of [`Installation::fetch_contents`].
#[derive(Clone, Debug, PartialEq)]
pub struct ContentsOutcome {
    /// One per wanted file, in order.
    pub results: Vec<BlobResult>,
    /// The trees fetched, by revision (the head's feeds the repository map).
    pub trees: Vec<(String, Tree)>,
    /// Requests spent in all, trees included.
    pub requests: u32,
    pub transport: Transport,
    /// What went wrong without stopping the fetch (a tree that could not be read,
    /// GraphQL being unavailable), for the summary.
    pub problems: Vec<String>,
    /// The error that stopped the fetch early, as in [`BlobsOutcome::error`].
    pub error: Option<GitHubError>,
}

/// A GraphQL document asking for `n` blobs of one repository, with the
/// expressions as variables (`$e0`…) so that no path is ever spliced into the
/// query text: paths may hold quotes, backslashes, `$` and any Unicode.
pub fn blobs_query(n: usize) -> String {
    let mut q = String::with_capacity(64 + n * 110);
    q.push_str("query($owner: String!, $name: String!");
    for i in 0..n {
        q.push_str(&format!(", $e{i}: String!"));
    }
    q.push_str(") { repository(owner: $owner, name: $name) {");
    for i in 0..n {
        q.push_str(&format!(" a{i}: object(expression: $e{i}) {{ __typename ... on Blob {{ byteSize isBinary isTruncated text }} }}"));
    }
    q.push_str(" } }");
    q
}

#[derive(Deserialize)]
struct GitBlob {
    #[serde(default)]
    content: String,
    #[serde(default)]
    encoding: String,
}

/// Errors after which no further request should be made in this fetch.
fn stops_fetching(e: &GitHubError) -> bool {
    matches!(
        e,
        GitHubError::RateLimited { .. }
            | GitHubError::Unauthorized { .. }
            | GitHubError::Auth(_)
            | GitHubError::Server { .. }
            | GitHubError::Transport { .. }
            | GitHubError::GraphQl { .. }
            | GitHubError::Forbidden { .. }
    )
}

impl<H: HttpClient, C: Clock, S: JwtSigner, T: TokenCache> Installation<'_, H, C, S, T> {
    /// `GET /repos/{o}/{r}/git/trees/{rev}?recursive=1`: every path at a commit,
    /// with sizes and blob SHAs. `rev` may be a commit SHA or a branch.
    pub async fn tree(&self, repo: &RepoName, rev: &str) -> Result<Tree, GitHubError> {
        let path = format!("/repos/{}/{}/git/trees/{}?recursive=1", repo.owner, repo.name, encode_query(rev));
        let url = self.gh.url(&path);
        let resp = self.gh.send_installation(self.id, Method::Get, &url, None).await?;
        decode(&self.gh.route(Method::Get, &url), &resp)
    }

    /// The texts of `requests` within `limits.max_requests` requests: GraphQL
    /// batches, or the REST fallback when GraphQL is unavailable. Never fails as a
    /// whole: what could not be fetched is said per file, and an error that
    /// stopped the fetch is in [`BlobsOutcome::error`].
    pub async fn blobs(&self, repo: &RepoName, requests: &[BlobRequest], limits: &ContentLimits) -> BlobsOutcome {
        self.blobs_within(repo, requests, limits, limits.max_requests).await
    }

    async fn blobs_within(&self, repo: &RepoName, requests: &[BlobRequest], limits: &ContentLimits, budget: u32) -> BlobsOutcome {
        let mut results: Vec<Option<BlobResult>> = vec![None; requests.len()];
        // An empty blob needs no request.
        for (i, r) in requests.iter().enumerate() {
            if r.size == Some(0) && r.blob_sha.is_some() {
                results[i] = Some(BlobResult::Text { text: String::new(), byte_size: 0 });
            }
        }
        let mut out = BlobsOutcome {
            results: Vec::new(),
            transport: if self.gh.graphql_down.get() { Transport::Rest } else { Transport::GraphQl },
            requests: 0,
            fallback: None,
            error: None,
        };
        if out.transport == Transport::GraphQl {
            let todo: Vec<usize> = (0..requests.len()).filter(|&i| results[i].is_none()).collect();
            let subset: Vec<BlobRequest> = todo.iter().map(|&i| requests[i].clone()).collect();
            let plan = plan_contents(&subset, limits, Transport::GraphQl, budget);
            for (j, skip) in &plan.skipped {
                results[todo[*j]] = Some(skipped(*skip));
            }
            for batch in &plan.batches {
                let idx: Vec<usize> = batch.iter().map(|&j| todo[j]).collect();
                out.requests += 1;
                match self.graphql_batch(repo, requests, &idx, limits).await {
                    Ok(found) => {
                        for (i, r) in idx.into_iter().zip(found) {
                            results[i] = Some(r);
                        }
                    }
                    Err(GitHubError::GraphQlUnavailable { detail, .. }) => {
                        self.gh.graphql_down.set(true);
                        out.fallback = Some(format!("GraphQL is unavailable ({detail}); fetched one file per request"));
                        out.transport = Transport::Rest;
                        // Everything not fetched yet (over-budget skips too) is replanned for REST.
                        for r in results.iter_mut() {
                            if matches!(r, Some(BlobResult::Skipped)) {
                                *r = None;
                            }
                        }
                        break;
                    }
                    Err(e) => {
                        for &i in &idx {
                            results[i] = Some(BlobResult::Failed { reason: e.to_string() });
                        }
                        if stops_fetching(&e) {
                            out.error = Some(e);
                            break;
                        }
                    }
                }
            }
        }
        if out.transport == Transport::Rest && out.error.is_none() {
            let todo: Vec<usize> = (0..requests.len()).filter(|&i| results[i].is_none()).collect();
            let subset: Vec<BlobRequest> = todo.iter().map(|&i| requests[i].clone()).collect();
            let plan = plan_contents(&subset, limits, Transport::Rest, budget.saturating_sub(out.requests));
            for (j, skip) in &plan.skipped {
                results[todo[*j]] = Some(skipped(*skip));
            }
            for batch in &plan.batches {
                let i = todo[batch[0]];
                out.requests += 1;
                match self.rest_blob(repo, &requests[i], limits).await {
                    Ok(r) => results[i] = Some(r),
                    Err(e) => {
                        results[i] = Some(BlobResult::Failed { reason: e.to_string() });
                        if stops_fetching(&e) {
                            out.error = Some(e);
                            break;
                        }
                    }
                }
            }
        }
        let unfetched = match &out.error {
            Some(e) => BlobResult::Failed { reason: format!("not fetched: {e}") },
            None => BlobResult::Skipped,
        };
        out.results = results.into_iter().map(|r| r.unwrap_or_else(|| unfetched.clone())).collect();
        out
    }

    /// One GraphQL request for the blobs `idx` of `requests`.
    async fn graphql_batch(
        &self,
        repo: &RepoName,
        requests: &[BlobRequest],
        idx: &[usize],
        limits: &ContentLimits,
    ) -> Result<Vec<BlobResult>, GitHubError> {
        let mut vars = serde_json::Map::new();
        vars.insert("owner".into(), json!(repo.owner));
        vars.insert("name".into(), json!(repo.name));
        for (k, &i) in idx.iter().enumerate() {
            vars.insert(format!("e{k}"), json!(format!("{}:{}", requests[i].rev, requests[i].path)));
        }
        let answer = self.gh.graphql(self.id, &blobs_query(idx.len()), Value::Object(vars), false).await?;
        let repository = &answer.data["repository"];
        if repository.is_null() {
            let route = "POST /graphql".to_string();
            let e = answer.errors_at(&["repository"]).next();
            return Err(match e.and_then(|e| e.kind.as_deref()) {
                Some("FORBIDDEN") => GitHubError::Forbidden { route, permission: None, message: e.map(|e| e.message.clone()).unwrap_or_default() },
                _ => GitHubError::NotFound { route },
            });
        }
        let mut out = Vec::with_capacity(idx.len());
        for k in 0..idx.len() {
            let alias = format!("a{k}");
            let node = &repository[alias.as_str()];
            let path = ["repository", alias.as_str()];
            if node.is_null() {
                // A missing path or revision is `null`; an error at this alias says why
                // when it is something else than "not there".
                let reason = answer.errors_at(&path).find(|e| e.kind.as_deref() != Some("NOT_FOUND")).map(|e| e.message.clone());
                out.push(match reason {
                    Some(reason) => BlobResult::Failed { reason },
                    None => BlobResult::Missing,
                });
                continue;
            }
            if node["__typename"].as_str() != Some("Blob") {
                out.push(BlobResult::Missing);
                continue;
            }
            let byte_size = node["byteSize"].as_u64().unwrap_or(0);
            let text = node["text"].as_str();
            out.push(if byte_size > limits.max_file_bytes {
                BlobResult::TooLarge { byte_size }
            } else if node["isBinary"].as_bool() == Some(true) || text.is_none() {
                BlobResult::Binary { byte_size }
            } else if node["isTruncated"].as_bool() == Some(true) {
                BlobResult::Truncated { text: text.unwrap_or_default().to_string(), byte_size }
            } else {
                BlobResult::Text { text: text.unwrap_or_default().to_string(), byte_size }
            });
        }
        Ok(out)
    }

    /// One blob by REST: `git/blobs/{sha}` when the tree gave the SHA, else the
    /// contents API at the revision.
    async fn rest_blob(&self, repo: &RepoName, r: &BlobRequest, limits: &ContentLimits) -> Result<BlobResult, GitHubError> {
        let Some(sha) = &r.blob_sha else {
            return Ok(match self.file_content(repo, &r.path, &r.rev).await {
                Ok(Some(bytes)) => BlobResult::from_bytes(bytes, limits.max_file_bytes),
                Ok(None) => BlobResult::Missing,
                // The contents API refuses directories and files over 1 MB with a 200;
                // neither is a file we can use.
                Err(GitHubError::Unexpected { status: 200, message, .. }) => BlobResult::Failed { reason: message },
                Err(e) => return Err(e),
            });
        };
        let path = format!("/repos/{}/{}/git/blobs/{}", repo.owner, repo.name, encode_path(sha));
        let url = self.gh.url(&path);
        let resp = match self.gh.send_installation(self.id, Method::Get, &url, None).await {
            Ok(resp) => resp,
            Err(GitHubError::NotFound { .. }) => return Ok(BlobResult::Missing),
            Err(e) => return Err(e),
        };
        let route = self.gh.route(Method::Get, &url);
        let blob: GitBlob = decode(&route, &resp)?;
        if blob.encoding != "base64" {
            return Ok(BlobResult::Failed { reason: format!("unexpected blob encoding {:?}", blob.encoding) });
        }
        let compact: String = blob.content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(compact).map_err(|e| GitHubError::Decode { route, detail: format!("base64: {e}") })?;
        Ok(BlobResult::from_bytes(bytes, limits.max_file_bytes))
    }

    /// Everything a review reads, in at most `limits.max_requests` requests: one
    /// tree per distinct revision (sizes, blob SHAs, which paths exist), then the
    /// blobs. Files the tree shows absent, or too large, cost nothing; a tree that
    /// cannot be read only loses that knowledge (recorded in `problems`).
    pub async fn fetch_contents(&self, repo: &RepoName, wanted: &[WantedFile], limits: &ContentLimits) -> ContentsOutcome {
        let mut out = ContentsOutcome {
            results: vec![BlobResult::Missing; wanted.len()],
            trees: Vec::new(),
            requests: 0,
            transport: Transport::GraphQl,
            problems: Vec::new(),
            error: None,
        };
        let mut revs: Vec<&str> = Vec::new();
        for w in wanted {
            if !revs.contains(&w.rev.as_str()) {
                revs.push(&w.rev);
            }
        }
        // A tree is only worth a request while one is left for the blobs.
        for rev in revs {
            if out.requests + 1 >= limits.max_requests {
                out.problems.push(format!("no request left for the tree of {}", short(rev)));
                continue;
            }
            out.requests += 1;
            match self.tree(repo, rev).await {
                Ok(tree) => {
                    if tree.truncated {
                        out.problems.push(format!("the tree of {} is truncated by GitHub; unlisted files were asked for anyway", short(rev)));
                    }
                    out.trees.push((rev.to_string(), tree));
                }
                Err(e) if stops_fetching(&e) => {
                    out.results = vec![BlobResult::Failed { reason: format!("not fetched: {e}") }; wanted.len()];
                    out.error = Some(e);
                    return out;
                }
                Err(e) => out.problems.push(format!("the tree of {} could not be read: {e}", short(rev))),
            }
        }
        let indexes: Vec<(&str, &Tree, HashMap<&str, &TreeEntry>)> = out.trees.iter().map(|(rev, t)| (rev.as_str(), t, t.index())).collect();
        let mut requests = Vec::new();
        let mut asked = Vec::new();
        for (i, w) in wanted.iter().enumerate() {
            let mut req = BlobRequest::new(w.rev.clone(), w.path.clone()).priority(w.priority);
            if let Some((_, tree, index)) = indexes.iter().find(|(rev, _, _)| *rev == w.rev) {
                match tree.lookup(index, &w.path) {
                    TreeLookup::Blob { size, sha } => req = req.known(size, sha),
                    TreeLookup::NotAFile | TreeLookup::Absent => continue,
                    TreeLookup::Unknown => {}
                }
            }
            requests.push(req);
            asked.push(i);
        }
        let blobs = self.blobs_within(repo, &requests, limits, limits.max_requests.saturating_sub(out.requests)).await;
        for (i, r) in asked.into_iter().zip(blobs.results) {
            out.results[i] = r;
        }
        out.requests += blobs.requests;
        out.transport = blobs.transport;
        out.problems.extend(blobs.fallback);
        out.error = blobs.error;
        out
    }
}

fn skipped(skip: Skip) -> BlobResult {
    match skip {
        Skip::TooLarge { byte_size } => BlobResult::TooLarge { byte_size },
        Skip::OverBudget => BlobResult::Skipped,
    }
}

fn short(rev: &str) -> &str {
    if rev.len() == 40 { &rev[..7] } else { rev }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, size: Option<u64>, priority: u32) -> BlobRequest {
        let mut r = BlobRequest::new("h", path).priority(priority);
        r.size = size;
        r
    }

    #[test]
    fn graphql_plan_packs_by_count_then_by_bytes() {
        let limits = ContentLimits::default();
        // 150 small files: two batches by count (100 + 50).
        let small: Vec<BlobRequest> = (0..150).map(|i| req(&format!("f{i}"), Some(2_000), 0)).collect();
        let plan = plan_contents(&small, &limits, Transport::GraphQl, 8);
        assert_eq!(plan.batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![100, 50]);
        assert!(plan.skipped.is_empty());
        // 20 files of 200 KB: 2 MiB per batch holds 9 of them (expected 225 KB each).
        let big: Vec<BlobRequest> = (0..20).map(|i| req(&format!("b{i}"), Some(200_000), 0)).collect();
        let plan = plan_contents(&big, &limits, Transport::GraphQl, 8);
        assert_eq!(plan.batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![9, 9, 2]);
        // Unknown sizes count as the estimate.
        let unknown: Vec<BlobRequest> = (0..10).map(|i| req(&format!("u{i}"), None, 0)).collect();
        assert_eq!(plan_contents(&unknown, &limits, Transport::GraphQl, 8).requests(), 1);
    }

    #[test]
    fn too_large_files_are_never_asked_for_and_the_budget_drops_the_least_important() {
        let limits = ContentLimits { max_batch_files: 2, ..ContentLimits::default() };
        let reqs = vec![
            req("low", Some(10), 9),
            req("huge", Some(300_000), 0),
            req("high", Some(10), 0),
            req("mid", Some(10), 5),
            req("tie-first", Some(10), 5),
        ];
        let plan = plan_contents(&reqs, &limits, Transport::GraphQl, 1);
        assert_eq!(plan.batches, vec![vec![2, 3]], "priority 0, then the first of the priority-5 ties");
        assert_eq!(plan.skipped, vec![(1, Skip::TooLarge { byte_size: 300_000 }), (4, Skip::OverBudget), (0, Skip::OverBudget)]);
    }

    #[test]
    fn rest_plan_is_one_request_per_file_up_to_the_budget() {
        let limits = ContentLimits::default();
        let reqs: Vec<BlobRequest> = (0..10).map(|i| req(&format!("f{i}"), Some(10), 10 - i)).collect();
        let plan = plan_contents(&reqs, &limits, Transport::Rest, 4);
        assert_eq!(plan.batches, vec![vec![9], vec![8], vec![7], vec![6]]);
        assert_eq!(plan.skipped.len(), 6);
        assert!(plan.skipped.iter().all(|(_, s)| *s == Skip::OverBudget));
        assert!(plan_contents(&reqs, &limits, Transport::Rest, 0).batches.is_empty());
    }

    #[test]
    fn a_file_bigger_than_a_batch_still_gets_a_batch_of_its_own() {
        let limits = ContentLimits { max_batch_bytes: 1000, max_file_bytes: 10_000, ..ContentLimits::default() };
        let reqs = vec![req("a", Some(5000), 0), req("b", Some(5000), 0)];
        assert_eq!(plan_contents(&reqs, &limits, Transport::GraphQl, 8).batches, vec![vec![0], vec![1]]);
    }

    #[test]
    fn bytes_classify_like_github() {
        assert_eq!(BlobResult::from_bytes(b"fn main() {}\n".to_vec(), 100), BlobResult::Text { text: "fn main() {}\n".into(), byte_size: 13 });
        assert_eq!(BlobResult::from_bytes(vec![b'a', 0, b'b'], 100), BlobResult::Binary { byte_size: 3 });
        assert_eq!(BlobResult::from_bytes(vec![0xff, 0xfe, b'a'], 100), BlobResult::Binary { byte_size: 3 }, "not UTF-8");
        assert_eq!(BlobResult::from_bytes(vec![b'a'; 101], 100), BlobResult::TooLarge { byte_size: 101 });
        // A NUL after the first 8000 bytes does not make a file binary (git's rule).
        let mut late = vec![b'a'; 9000];
        late[8500] = 0;
        assert!(matches!(BlobResult::from_bytes(late, 100_000), BlobResult::Text { .. }));
    }

    #[test]
    fn the_query_uses_variables_for_every_expression() {
        let q = blobs_query(2);
        assert_eq!(
            q,
            "query($owner: String!, $name: String!, $e0: String!, $e1: String!) { repository(owner: $owner, name: $name) { \
             a0: object(expression: $e0) { __typename ... on Blob { byteSize isBinary isTruncated text } } \
             a1: object(expression: $e1) { __typename ... on Blob { byteSize isBinary isTruncated text } } } }"
        );
    }

    proptest::proptest! {
        /// Every request is either planned exactly once or skipped exactly once;
        /// no batch breaks the count bound; the budget is never exceeded.
        #[test]
        fn plans_account_for_every_file(
            sizes in proptest::collection::vec(proptest::option::of(0u64..400_000), 0..300),
            budget in 0u32..10,
            rest in proptest::bool::ANY,
        ) {
            let limits = ContentLimits::default();
            let reqs: Vec<BlobRequest> = sizes.iter().enumerate().map(|(i, s)| req(&format!("f{i}"), *s, (i % 7) as u32)).collect();
            let transport = if rest { Transport::Rest } else { Transport::GraphQl };
            let plan = plan_contents(&reqs, &limits, transport, budget);
            proptest::prop_assert!(plan.requests() as u32 <= budget);
            let mut seen = vec![0u8; reqs.len()];
            for b in &plan.batches {
                proptest::prop_assert!(!b.is_empty() && b.len() <= limits.max_batch_files);
                if rest { proptest::prop_assert_eq!(b.len(), 1); }
                for &i in b { seen[i] += 1; }
            }
            for (i, _) in &plan.skipped { seen[*i] += 1; }
            proptest::prop_assert!(seen.iter().all(|&n| n == 1));
        }
    }
}
