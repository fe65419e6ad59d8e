//! Per-repository fixed-window rate limiting of accepted webhooks.
//!
//! The counter lives in Workers KV, which is eventually consistent (a write can
//! take up to ~60 s to be seen everywhere) and allows one write per second per
//! key. The limit is therefore approximate: bursts at several edge locations can
//! overshoot it. It protects the LLM budget from runaway automation; exact
//! serialization per PR is the Durable Object's job, not this counter's.

use crate::ids::{RepoName, UnixMillis};
use crate::keys::{KvKey, RateWindowKey};
use std::collections::HashMap;

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

/// An isolate's own view of the rate windows, so a busy repository costs one KV
/// read per [`RateMemory::REFRESH_MS`] instead of one per delivery, and one KV
/// write per second per window (KV's own limit for one key) instead of one per
/// delivery.
///
/// The shell asks [`RateMemory::count`] first and reads KV only on `None`, then
/// [`RateMemory::seed`]s what it read. The count KV holds is every isolate's
/// last write; the memory keeps the larger of that and its own, so a busy
/// isolate never undercounts itself, and other isolates' deliveries are seen
/// within `REFRESH_MS` (KV's edge cache already delays them by up to 60 s).
#[derive(Debug, Default)]
pub struct RateMemory {
    windows: HashMap<String, Seen>,
}

#[derive(Clone, Copy, Debug)]
struct Seen {
    count: u64,
    /// When KV was last read for this window.
    read_at: u64,
    /// When this isolate last wrote the window's count (`None`: not yet).
    written_at: Option<u64>,
    /// The window's end, in milliseconds: past it the entry is dropped.
    ends_at: u64,
}

impl RateMemory {
    /// How long a count read from KV is trusted before it is read again.
    pub const REFRESH_MS: u64 = 10_000;
    /// KV accepts one write per second per key.
    pub const WRITE_EVERY_MS: u64 = 1_000;
    /// Windows remembered at once; the oldest are dropped first.
    pub const CAPACITY: usize = 4_096;

    /// The count for `key` if it was read from KV recently enough.
    pub fn count(&self, key: &RateWindowKey, now: UnixMillis) -> Option<u64> {
        let seen = self.windows.get(&key.key())?;
        (now.0.saturating_sub(seen.read_at) < Self::REFRESH_MS).then_some(seen.count)
    }

    /// Records what KV holds for `key` (`None`: absent) and returns the count to decide on.
    pub fn seed(&mut self, key: &RateWindowKey, from_kv: Option<u64>, now: UnixMillis) -> u64 {
        self.prune(now);
        let ends_at = (key.window_start + key.window_secs) * 1000;
        let entry = self.windows.entry(key.key()).or_insert(Seen { count: 0, read_at: now.0, written_at: None, ends_at });
        entry.count = entry.count.max(from_kv.unwrap_or(0));
        entry.read_at = now.0;
        entry.count
    }

    /// Notes an allowed delivery; `Some(count)` when the shell should write it to KV
    /// now (the first of this isolate, at most once a second after, and always at
    /// the limit so other isolates stop too).
    pub fn allowed(&mut self, key: &RateWindowKey, new_count: u64, limit: u64, now: UnixMillis) -> Option<u64> {
        let ends_at = (key.window_start + key.window_secs) * 1000;
        let entry = self.windows.entry(key.key()).or_insert(Seen { count: 0, read_at: now.0, written_at: None, ends_at });
        entry.count = entry.count.max(new_count);
        let due = entry.written_at.is_none_or(|at| now.0.saturating_sub(at) >= Self::WRITE_EVERY_MS) || entry.count >= limit;
        if due {
            entry.written_at = Some(now.0);
            Some(entry.count)
        } else {
            None
        }
    }

    /// Windows remembered now (for tests and the log).
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    fn prune(&mut self, now: UnixMillis) {
        self.windows.retain(|_, s| s.ends_at > now.0);
        if self.windows.len() >= Self::CAPACITY {
            // Still full of live windows: drop the ones read longest ago.
            let mut by_age: Vec<(u64, String)> = self.windows.iter().map(|(k, s)| (s.read_at, k.clone())).collect();
            crate::sort::sort(&mut by_age);
            for (_, k) in by_age.into_iter().take(Self::CAPACITY / 4) {
                self.windows.remove(&k);
            }
        }
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

    /// One isolate's deliveries to one repository: KV is read once per refresh,
    /// written at most once a second and at the limit, and the decision matches
    /// what reading KV before every delivery would give.
    #[test]
    fn memory_reads_and_writes_kv_rarely_and_decides_the_same() {
        let rl = RateLimit { limit: 5, window_secs: 60 };
        let repo = RepoName::new("o", "r");
        let mut mem = RateMemory::default();
        let (mut kv, mut reads, mut writes, mut denied) = (None::<u64>, 0, 0, 0);
        // Seven deliveries 100 ms apart, starting at 120 s.
        for i in 0..7u64 {
            let now = UnixMillis(120_000 + i * 100);
            let key = rl.key(&repo, now);
            let count = match mem.count(&key, now) {
                Some(c) => c,
                None => {
                    reads += 1;
                    mem.seed(&key, kv, now)
                }
            };
            match rl.decide(&repo, now, Some(count)) {
                RateDecision::Allow { key, new_count } => {
                    if let Some(c) = mem.allowed(&key, new_count, rl.limit, now) {
                        writes += 1;
                        kv = Some(c);
                    }
                }
                RateDecision::Deny { .. } => denied += 1,
            }
        }
        assert_eq!((reads, denied), (1, 2), "one read; the 6th and 7th deliveries are over the limit of 5");
        assert_eq!(writes, 2, "the first delivery, then the one that reached the limit");
        assert_eq!(kv, Some(5));
    }

    #[test]
    fn memory_takes_other_isolates_counts_after_refresh_and_forgets_old_windows() {
        let rl = RateLimit { limit: 100, window_secs: 60 };
        let repo = RepoName::new("o", "r");
        let mut mem = RateMemory::default();
        let t0 = UnixMillis(120_000);
        let key = rl.key(&repo, t0);
        assert_eq!(mem.seed(&key, Some(3), t0), 3);
        assert_eq!(mem.allowed(&key, 4, rl.limit, t0), Some(4));
        assert_eq!(mem.allowed(&key, 5, rl.limit, UnixMillis(120_500)), None, "within a second of the last write");
        assert_eq!(mem.count(&key, UnixMillis(129_999)), Some(5));
        // Past the refresh the shell reads KV again; another isolate wrote 40.
        let later = UnixMillis(130_000);
        assert_eq!(mem.count(&key, later), None);
        assert_eq!(mem.seed(&key, Some(40), later), 40);
        // A stale KV value never lowers this isolate's own count.
        assert_eq!(mem.seed(&key, Some(2), later), 40);
        // The next window: the old entry is dropped when a new one is seeded.
        let next = UnixMillis(181_000);
        mem.seed(&rl.key(&repo, next), None, next);
        assert_eq!(mem.len(), 1);
    }
}
