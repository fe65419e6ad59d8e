//! The consumer's retry schedule: exponential backoff with jitter, honouring a
//! `Retry-After` from the far side. Pure: the jitter comes from a seed.

use serde::{Deserialize, Serialize};

/// Cloudflare Queues accepts `delaySeconds` up to 12 hours
/// (<https://developers.cloudflare.com/queues/configuration/batching-retries/#delay-messages>).
pub const MAX_QUEUE_DELAY_SECS: u32 = 43_200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Ceiling of the first delay.
    pub base_secs: u32,
    /// No delay grows past this (a `Retry-After` may, up to the queue's limit).
    pub max_secs: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { base_secs: 10, max_secs: 3600 }
    }
}

impl RetryPolicy {
    /// Delay before the next delivery after `failures` failures (1 = first failure).
    ///
    /// The ceiling doubles per failure up to `max_secs`, and the delay is drawn
    /// between the previous ceiling and this one ("equal jitter" while growing,
    /// <https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/>),
    /// so concurrent retries spread out yet delays never shrink from one failure
    /// to the next; once the cap is reached the delay stays at `max_secs`.
    /// A `Retry-After` is a floor: retrying earlier is known to fail.
    pub fn delay_secs(&self, failures: u32, retry_after_secs: Option<u64>, seed: u64) -> u32 {
        let max = u64::from(self.max_secs.max(1));
        let ceiling_at = |n: u32| u64::from(self.base_secs.max(1)).saturating_mul(1u64 << n.min(40)).min(max);
        let n = failures.max(1) - 1;
        let ceiling = ceiling_at(n);
        let floor = if n == 0 { ceiling / 2 } else { ceiling_at(n - 1) };
        let jitter = splitmix64(seed ^ u64::from(failures)) % (ceiling - floor + 1);
        let backoff = floor + jitter;
        backoff.max(retry_after_secs.unwrap_or(0)).min(u64::from(MAX_QUEUE_DELAY_SECS)) as u32
    }
}

/// A tiny, well-mixed hash (Steele et al., "Fast splittable pseudorandom number
/// generators", 2014) so one seed gives independent jitter per failure count.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn schedule_doubles_within_jitter_bounds() {
        let p = RetryPolicy { base_secs: 10, max_secs: 300 };
        // (failures, retry_after, lowest, highest)
        let cases = [
            (1, None, 5, 10),
            (2, None, 10, 20),
            (3, None, 20, 40),
            (4, None, 40, 80),
            (9, None, 300, 300),
            (1, Some(120), 120, 120),
            (4, Some(30), 40, 80),
            (1, Some(999_999), 43_200, 43_200),
        ];
        for (failures, after, lo, hi) in cases {
            for seed in 0..200 {
                let d = p.delay_secs(failures, after, seed);
                assert!((lo..=hi).contains(&d), "failures={failures} after={after:?} seed={seed}: {d}");
            }
        }
    }

    #[test]
    fn jitter_spreads_concurrent_retries() {
        let p = RetryPolicy::default();
        let distinct: std::collections::HashSet<u32> = (0..100).map(|s| p.delay_secs(5, None, s)).collect();
        assert!(distinct.len() > 20, "{distinct:?}");
    }

    proptest! {
        #[test]
        fn delays_never_shrink_and_stay_bounded(seed in any::<u64>(), base in 1u32..120, max in 1u32..50_000, failures in 1u32..40, after in proptest::option::of(0u64..100_000)) {
            let p = RetryPolicy { base_secs: base, max_secs: max };
            let now = p.delay_secs(failures, after, seed);
            let next = p.delay_secs(failures + 1, after, seed.wrapping_mul(31));
            prop_assert!(next >= now, "{now} then {next}");
            prop_assert!(now <= MAX_QUEUE_DELAY_SECS);
            if let Some(a) = after { prop_assert!(u64::from(now) >= a.min(u64::from(MAX_QUEUE_DELAY_SECS))); }
        }
    }
}
