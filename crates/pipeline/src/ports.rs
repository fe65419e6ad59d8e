//! The small traits the pipeline needs from its platform besides HTTP and the
//! clock: the review cache (KV `CACHE`), the configuration texts (Worker vars
//! and KV `CONFIG`), and a sink for one JSON log line per step. The Worker
//! implements them over its bindings; tests use the in-memory versions here.

use argus_core::http::Clock;
use argus_core::ids::{RepoName, UnixMillis};
use argus_core::keys::{KvKey, ReviewCacheKey};
use argus_core::learning::Learning;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;

/// Where cached review results live (KV `CACHE`, key [`ReviewCacheKey`], 1 h
/// TTL). Values hold findings only, never code. A cache that cannot be read or
/// written is a miss, never a failed review, so the methods return no errors.
#[allow(async_fn_in_trait)]
pub trait ReviewCache {
    async fn get(&self, key: &ReviewCacheKey) -> Option<String>;
    /// `ttl_secs` is the key's own TTL ([`KvKey::ttl_secs`]), passed so the adapter needs no table.
    async fn put(&self, key: &ReviewCacheKey, value: &str, ttl_secs: u64);
}

/// The configuration texts of the layers below the repository's own file (that
/// one is read from the PR's base branch through GitHub).
#[allow(async_fn_in_trait)]
pub trait ConfigSource {
    /// The Worker's vars, as `(name, value)` pairs.
    fn env_vars(&self) -> Vec<(String, String)>;
    /// KV `CONFIG` `global:defaults`, when set.
    async fn global_defaults(&self) -> Option<String>;
    /// KV `CONFIG` `repo:{owner}/{repo}`, when set.
    async fn repo_layer(&self, repo: &RepoName) -> Option<String>;
    /// What the repository did with ArgusAI's findings on its closed pull
    /// requests, `(addressed, findings)`, as its index counts them (the
    /// Worker asks the `Repository` Durable Object); `None` when unknown.
    async fn acted_on(&self, _repo: &RepoName) -> Option<(u64, u64)> {
        None
    }
    /// The repository's learnings, oldest first (the Worker's `Repository`
    /// object); none where nothing is stored.
    async fn learnings(&self, _repo: &RepoName) -> Vec<Learning> {
        Vec::new()
    }
    /// Stores a learning (once per source comment); it as stored, or `None`
    /// where learnings cannot be kept.
    async fn learn(&self, _repo: &RepoName, _learning: &Learning) -> Option<Learning> {
        None
    }
    /// Forgets the learning with this id; whether it was there.
    async fn forget(&self, _repo: &RepoName, _id: u64) -> bool {
        false
    }
}

/// One step of one review, as the Worker prints it: a single JSON line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEvent {
    pub step: &'static str,
    pub job_id: String,
    /// `owner/repo#n`.
    pub pr: String,
    /// The webhook deliveries behind this job (GitHub's `X-GitHub-Delivery`).
    pub deliveries: Vec<String>,
    pub at_ms: u64,
    /// Step-specific figures; never code, never secrets.
    pub detail: serde_json::Value,
}

pub trait PipelineLog {
    fn event(&self, e: LogEvent);
}

/// Keeps every event in memory (tests, and the status endpoint's last run).
#[derive(Default)]
pub struct MemoryLog {
    pub events: RefCell<Vec<LogEvent>>,
}

impl MemoryLog {
    pub fn steps(&self) -> Vec<&'static str> {
        self.events.borrow().iter().map(|e| e.step).collect()
    }
}

impl PipelineLog for MemoryLog {
    fn event(&self, e: LogEvent) {
        self.events.borrow_mut().push(e);
    }
}

impl<L: PipelineLog> PipelineLog for std::rc::Rc<L> {
    fn event(&self, e: LogEvent) {
        (**self).event(e)
    }
}

/// An in-memory [`ReviewCache`] that honours the TTL against an injected clock.
pub struct MemoryCache<C> {
    clock: C,
    entries: RefCell<HashMap<String, (String, UnixMillis)>>,
    writes: std::cell::Cell<u32>,
}

impl<C: Clock> MemoryCache<C> {
    pub fn new(clock: C) -> Self {
        Self { clock, entries: RefCell::default(), writes: Default::default() }
    }
    pub fn writes(&self) -> u32 {
        self.writes.get()
    }
    pub fn values(&self) -> Vec<String> {
        self.entries.borrow().values().map(|(v, _)| v.clone()).collect()
    }
}

impl<C: Clock> ReviewCache for MemoryCache<C> {
    async fn get(&self, key: &ReviewCacheKey) -> Option<String> {
        let now = self.clock.now();
        self.entries.borrow().get(&key.key()).filter(|(_, exp)| *exp > now).map(|(v, _)| v.clone())
    }
    async fn put(&self, key: &ReviewCacheKey, value: &str, ttl_secs: u64) {
        self.writes.set(self.writes.get() + 1);
        let exp = self.clock.now().plus_secs(ttl_secs);
        self.entries.borrow_mut().insert(key.key(), (value.to_string(), exp));
    }
}

impl<K: ReviewCache> ReviewCache for std::rc::Rc<K> {
    async fn get(&self, key: &ReviewCacheKey) -> Option<String> {
        (**self).get(key).await
    }
    async fn put(&self, key: &ReviewCacheKey, value: &str, ttl_secs: u64) {
        (**self).put(key, value, ttl_secs).await
    }
}

/// Fixed configuration texts (tests; also a Worker without KV layers).
#[derive(Clone, Debug, Default)]
pub struct StaticConfig {
    pub env: Vec<(String, String)>,
    pub global: Option<String>,
    pub repo: RefCell<HashMap<String, String>>,
}

impl ConfigSource for StaticConfig {
    fn env_vars(&self) -> Vec<(String, String)> {
        self.env.clone()
    }
    async fn global_defaults(&self) -> Option<String> {
        self.global.clone()
    }
    async fn repo_layer(&self, repo: &RepoName) -> Option<String> {
        self.repo.borrow().get(&repo.full_name()).cloned()
    }
}

impl<S: ConfigSource> ConfigSource for std::rc::Rc<S> {
    fn env_vars(&self) -> Vec<(String, String)> {
        (**self).env_vars()
    }
    async fn global_defaults(&self) -> Option<String> {
        (**self).global_defaults().await
    }
    async fn repo_layer(&self, repo: &RepoName) -> Option<String> {
        (**self).repo_layer(repo).await
    }
}
