//! Every KV key ArgusAI writes, in one place: which namespace it lives in, its
//! format, and how long it lives. Adapters take a `KvKey`, never a raw string.

use crate::ids::{CommitSha, InstallationId, RepoName};

/// KV binding names (see `wrangler.toml`).
pub const CACHE: &str = "CACHE";
pub const RATE_LIMITS: &str = "RATE_LIMITS";
pub const CONFIG: &str = "CONFIG";

pub trait KvKey {
    /// The KV binding this key belongs to.
    const NAMESPACE: &'static str;
    fn key(&self) -> String;
    /// `expirationTtl` in seconds; KV's minimum is 60.
    fn ttl_secs(&self) -> Option<u64>;
}

/// A per-repository fixed-window counter of accepted webhooks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateWindowKey {
    pub repo: RepoName,
    /// Start of the window, in seconds since the epoch.
    pub window_start: u64,
    pub window_secs: u64,
}

impl KvKey for RateWindowKey {
    const NAMESPACE: &'static str = RATE_LIMITS;
    fn key(&self) -> String {
        format!("rate:{}:{}", self.repo, self.window_start)
    }
    fn ttl_secs(&self) -> Option<u64> {
        // Outlive the window a little, and respect KV's 60 s floor.
        Some((self.window_secs * 2).max(60))
    }
}

/// A cached review result (findings only, never code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewCacheKey {
    pub repo: RepoName,
    pub head_sha: CommitSha,
    pub config_hash: String,
}

impl KvKey for ReviewCacheKey {
    const NAMESPACE: &'static str = CACHE;
    fn key(&self) -> String {
        format!("review:{}:{}:{}", self.repo, self.head_sha, self.config_hash)
    }
    fn ttl_secs(&self) -> Option<u64> {
        Some(3600)
    }
}

/// A cached installation access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationTokenKey {
    pub installation: InstallationId,
}

impl KvKey for InstallationTokenKey {
    const NAMESPACE: &'static str = CACHE;
    fn key(&self) -> String {
        format!("token:{}", self.installation)
    }
    fn ttl_secs(&self) -> Option<u64> {
        // Installation tokens live one hour; the cache keeps them 50 minutes at most.
        Some(50 * 60)
    }
}

/// A circuit breaker's state for one LLM provider (endpoint + credential). Written
/// only on transitions, so it costs a handful of KV writes a day at most.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakerKey {
    pub breaker: String,
}

impl KvKey for BreakerKey {
    const NAMESPACE: &'static str = CACHE;
    fn key(&self) -> String {
        format!("breaker:{}", self.breaker)
    }
    fn ttl_secs(&self) -> Option<u64> {
        // A breaker left open by a dead isolate must not outlive a day.
        Some(24 * 3600)
    }
}

/// The GitHub App's identity (`GET /app`: id and slug, hence its bot login), so
/// ArgusAI can tell its own comments from a marker pasted by someone else. The
/// slug changes only when the App is renamed, so it is kept a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppIdentityKey {
    pub app_id: u64,
}

impl KvKey for AppIdentityKey {
    const NAMESPACE: &'static str = CACHE;
    fn key(&self) -> String {
        format!("app:{}", self.app_id)
    }
    fn ttl_secs(&self) -> Option<u64> {
        Some(24 * 3600)
    }
}

/// A user's permission on a repository (`@argusai` commands need write access).
/// Kept briefly so a revoked permission stops working within minutes; KV's
/// minimum TTL is 60 s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoPermissionKey {
    pub repo: RepoName,
    /// Compared case-insensitively, as GitHub logins are.
    pub login: String,
}

impl RepoPermissionKey {
    /// How long a permission answer is trusted.
    pub const TTL_SECS: u64 = 120;
}

impl KvKey for RepoPermissionKey {
    const NAMESPACE: &'static str = CACHE;
    fn key(&self) -> String {
        format!("perm:{}:{}", self.repo, self.login.to_ascii_lowercase())
    }
    fn ttl_secs(&self) -> Option<u64> {
        Some(Self::TTL_SECS)
    }
}

/// Configuration layers stored by operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigKey {
    GlobalDefaults,
    Repo(RepoName),
}

impl KvKey for ConfigKey {
    const NAMESPACE: &'static str = CONFIG;
    fn key(&self) -> String {
        match self {
            ConfigKey::GlobalDefaults => "global:defaults".into(),
            ConfigKey::Repo(r) => format!("repo:{r}"),
        }
    }
    fn ttl_secs(&self) -> Option<u64> {
        None
    }
}

/// A dashboard user's access list (their role on each repository the App is
/// installed on), cached briefly so page views do not each ask GitHub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardAccessKey {
    pub user_id: u64,
}

impl KvKey for DashboardAccessKey {
    const NAMESPACE: &'static str = CACHE;
    fn key(&self) -> String {
        format!("dash-access:{}", self.user_id)
    }
    fn ttl_secs(&self) -> Option<u64> {
        // Roles change rarely; five minutes bounds how long a removed maintainer still sees a page.
        Some(300)
    }
}

/// A repository's notification settings (JSON), written by the operator. Not
/// part of the repository configuration on purpose: a pull request must never
/// choose where ArgusAI sends data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyConfigKey {
    pub repo: RepoName,
}

impl KvKey for NotifyConfigKey {
    const NAMESPACE: &'static str = CONFIG;
    fn key(&self) -> String {
        format!("notify:{}", self.repo)
    }
    fn ttl_secs(&self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_formats() {
        let repo = RepoName::new("o", "r");
        assert_eq!(RateWindowKey { repo: repo.clone(), window_start: 120, window_secs: 60 }.key(), "rate:o/r:120");
        assert_eq!(ReviewCacheKey { repo: repo.clone(), head_sha: CommitSha("ab".into()), config_hash: "h".into() }.key(), "review:o/r:ab:h");
        assert_eq!(InstallationTokenKey { installation: InstallationId(7) }.key(), "token:7");
        assert_eq!(ConfigKey::Repo(repo).key(), "repo:o/r");
        assert_eq!(ConfigKey::GlobalDefaults.key(), "global:defaults");
        assert_eq!(AppIdentityKey { app_id: 42 }.key(), "app:42");
        let perm = RepoPermissionKey { repo: RepoName::new("o", "r"), login: "Mona".into() };
        assert_eq!(perm.key(), "perm:o/r:mona");
        assert!(perm.ttl_secs().unwrap() >= 60, "KV's minimum TTL");
        assert_eq!(DashboardAccessKey { user_id: 42 }.key(), "dash-access:42");
        assert_eq!(NotifyConfigKey { repo: RepoName::new("o", "r") }.key(), "notify:o/r");
        assert_eq!(BreakerKey { breaker: "github-models@https://models.github.ai".into() }.key(), "breaker:github-models@https://models.github.ai");
    }
}
