//! Per-repository fixed-window rate limiting of accepted webhooks.
//!
//! The counter lives in Workers KV, which is eventually consistent (a write can
//! take up to ~60 s to be seen everywhere) and allows one write per second per
//! key. The limit is therefore approximate: bursts at several edge locations can
//! overshoot it. It protects the LLM budget from runaway automation; exact
//! serialization per PR is the Durable Object's job, not this counter's.

use crate::ids::{RepoName, UnixMillis};
use crate::keys::RateWindowKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Accepted webhooks per repository per window (`RATE_LIMIT_PER_REPO`).
    pub limit: u64,
    pub window_secs: u64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { limit: 120, window_secs: 60 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RateDecision {
    /// Allowed; write `new_count` under `key` (the one KV write of this webhook).
    Allow { key: RateWindowKey, new_count: u64 },
    /// Refused; the window ends in `retry_after_secs`.
    Deny { retry_after_secs: u64 },
}

impl RateLimit {
    pub fn key(&self, repo: &RepoName, now: UnixMillis) -> RateWindowKey {
        let window_secs = self.window_secs.max(1);
        RateWindowKey { repo: repo.clone(), window_start: now.secs() / window_secs * window_secs, window_secs }
    }

    /// Decides from the count read from KV (`None` when the key is absent).
    pub fn decide(&self, repo: &RepoName, now: UnixMillis, current: Option<u64>) -> RateDecision {
        let key = self.key(repo, now);
        let count = current.unwrap_or(0);
        if count >= self.limit {
            let end = key.window_start + key.window_secs;
            return RateDecision::Deny { retry_after_secs: end.saturating_sub(now.secs()).max(1) };
        }
        RateDecision::Allow { key, new_count: count + 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window() {
        let rl = RateLimit { limit: 2, window_secs: 60 };
        let repo = RepoName::new("o", "r");
        let now = UnixMillis(125_000);
        assert_eq!(rl.key(&repo, now).window_start, 120);
        assert!(matches!(rl.decide(&repo, now, None), RateDecision::Allow { new_count: 1, .. }));
        assert!(matches!(rl.decide(&repo, now, Some(1)), RateDecision::Allow { new_count: 2, .. }));
        assert_eq!(rl.decide(&repo, now, Some(2)), RateDecision::Deny { retry_after_secs: 55 });
        // The next window starts afresh under a new key.
        assert_eq!(rl.key(&repo, UnixMillis(180_000)).window_start, 180);
    }
}
