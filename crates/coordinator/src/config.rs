//! The coordinator's tunables, with the defaults the issue asks for, read from
//! Worker vars by the shell through a lookup closure so this crate stays pure.

use thiserror::Error;

/// Tunables of one PR's coordinator. Times are in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Quiet time after a push before its review starts (`REVIEW_DEBOUNCE_SECONDS`, default 5 s).
    pub debounce_ms: u64,
    /// A steady stream of pushes cannot postpone a review forever: it starts at
    /// most this long after the first push of the window (default 6 × debounce).
    pub max_wait_ms: u64,
    /// How long a consumer may hold a job before the coordinator assumes it died
    /// (`COORDINATOR_LEASE_SECONDS`, default 900 s: a queue consumer's wall-clock limit is 15 min,
    /// <https://developers.cloudflare.com/queues/platform/limits/>).
    pub lease_ms: u64,
    /// How long a job may wait on the queue without being leased before the
    /// coordinator assumes its message was lost and reruns it
    /// (`COORDINATOR_QUEUE_TIMEOUT_SECONDS`, default 2 h: longer than the
    /// consumer's largest retry delay, `RetryPolicy::max_secs`, so a retry in backoff is not mistaken for a loss).
    pub queue_timeout_ms: u64,
    /// How long a delivery id is remembered (at least 24 h, per the issue).
    pub dedupe_ttl_ms: u64,
    /// Memory bound of the delivery-id set; past it the oldest ids are forgotten early.
    pub dedupe_capacity: usize,
    /// Reviews kept for the status page.
    pub history_len: usize,
    /// Delivery ids kept for the status page (newest last).
    pub recent_deliveries_len: usize,
    /// PR notes kept for the GitHub adapter to post.
    pub outbox_len: usize,
    /// Reruns of one job after its lease expired (the issue: "rerun once").
    pub max_expiry_reruns: u32,
    /// Wait before re-trying an enqueue that the queue refused.
    pub enqueue_retry_ms: u64,
    /// A command whose author's permission check never came back is forgotten after this long.
    pub command_verify_ttl_ms: u64,
    /// Commands waiting for their permission check, at most (a flood of mentions cannot grow the state).
    pub pending_commands_len: usize,
    /// Quiet time in a review thread before it is answered: a burst of replies gets one answer
    /// (`REPLY_DEBOUNCE_SECONDS`, default 5 s).
    pub reply_debounce_ms: u64,
    /// A due review waits for the answers in flight, up to this long after the
    /// newest was queued (one answer's model call and posting; a lost answer's
    /// report must not hold reviews back for its whole time-to-live).
    pub reply_hold_ms: u64,
    /// Answers per PR and per hour until the repository's `[replies]` is known (its defaults).
    pub replies_max_per_pr: u32,
    pub replies_max_per_hour: u32,
    /// Threads waiting for an answer, at most.
    pub pending_replies_len: usize,
}

pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

impl Default for Config {
    fn default() -> Self {
        Self::with_debounce_secs(5)
    }
}

impl Config {
    pub fn with_debounce_secs(secs: u64) -> Self {
        let debounce_ms = secs.saturating_mul(1000);
        Self {
            debounce_ms,
            max_wait_ms: Self::max_wait_for(debounce_ms),
            lease_ms: 900_000,
            queue_timeout_ms: 2 * 3_600_000,
            dedupe_ttl_ms: DAY_MS,
            // Rows (see `store`) make a large memory cheap: remembering an id costs the same at 10 and at 10,000.
            dedupe_capacity: 10_000,
            history_len: 20,
            recent_deliveries_len: 20,
            outbox_len: 20,
            max_expiry_reruns: 1,
            enqueue_retry_ms: 5_000,
            command_verify_ttl_ms: 3_600_000,
            pending_commands_len: 20,
            reply_debounce_ms: 5_000,
            reply_hold_ms: 120_000,
            replies_max_per_pr: 20,
            replies_max_per_hour: 10,
            pending_replies_len: 20,
        }
    }

    /// The longest a stream of pushes may postpone a review, for a debounce window.
    pub fn max_wait_for(debounce_ms: u64) -> u64 {
        debounce_ms.saturating_mul(6).max(1000)
    }

    /// Builds the config from Worker vars. Unset vars take defaults; a var that
    /// is set but unusable is reported, and its default used, so one typo in
    /// `wrangler.toml` never stops reviews.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> (Self, Vec<ConfigError>) {
        let mut problems = Vec::new();
        let mut read = |name: &'static str, default: u64, min: u64, max: u64| -> u64 {
            match var(name) {
                None => default,
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(v) if (min..=max).contains(&v) => v,
                    _ => {
                        problems.push(ConfigError::Invalid { name, value: raw, min, max });
                        default
                    }
                },
            }
        };
        let debounce = read("REVIEW_DEBOUNCE_SECONDS", 5, 0, 3600);
        let lease = read("COORDINATOR_LEASE_SECONDS", 900, 1, 86_400);
        let queue_timeout = read("COORDINATOR_QUEUE_TIMEOUT_SECONDS", 7_200, 1, 7 * 86_400);
        let reply_debounce = read("REPLY_DEBOUNCE_SECONDS", 5, 0, 600);
        let mut cfg = Self::with_debounce_secs(debounce);
        cfg.reply_debounce_ms = reply_debounce * 1000;
        cfg.lease_ms = lease * 1000;
        cfg.queue_timeout_ms = queue_timeout * 1000;
        (cfg, problems)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("{name}={value:?} is not a whole number in {min}..={max}; using the default")]
    Invalid { name: &'static str, value: String, min: u64, max: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_override_defaults_and_bad_values_are_reported() {
        // (vars, debounce ms, lease ms, problems reported)
        type Case<'a> = (&'a [(&'a str, &'a str)], u64, u64, usize);
        let cases: &[Case] = &[
            (&[], 5_000, 900_000, 0),
            (&[("REVIEW_DEBOUNCE_SECONDS", "2")], 2_000, 900_000, 0),
            (&[("REVIEW_DEBOUNCE_SECONDS", "0"), ("COORDINATOR_LEASE_SECONDS", "3")], 0, 3_000, 0),
            (&[("REVIEW_DEBOUNCE_SECONDS", "five")], 5_000, 900_000, 1),
            (&[("REVIEW_DEBOUNCE_SECONDS", "-1"), ("COORDINATOR_LEASE_SECONDS", "0")], 5_000, 900_000, 2),
            (&[("REPLY_DEBOUNCE_SECONDS", "601")], 5_000, 900_000, 1),
        ];
        for (vars, debounce, lease, problems) in cases {
            let (cfg, errs) = Config::from_vars(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()));
            assert_eq!((cfg.debounce_ms, cfg.lease_ms, errs.len()), (*debounce, *lease, *problems), "{vars:?}");
            assert!(cfg.dedupe_ttl_ms >= DAY_MS);
        }
        let (cfg, _) = Config::from_vars(|n| (n == "REPLY_DEBOUNCE_SECONDS").then(|| "2".to_string()));
        assert_eq!((cfg.reply_debounce_ms, Config::default().reply_debounce_ms), (2_000, 5_000));
    }
}
