//! Retry policy: exponential backoff with jitter from an injected seed, the
//! server's `Retry-After` honoured, and deadlines per attempt, per call and per
//! review. Pure arithmetic; the client does the waiting through its `Clock`.

use argus_core::http::HttpResponse;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts on one model before moving to the next fallback (`LLM_MAX_ATTEMPTS`).
    pub max_attempts_per_model: u32,
    /// First backoff; doubles per retry.
    pub base_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// A `Retry-After` longer than this is not waited out (GitHub Models answers a
    /// spent daily quota with hours): the next model is tried instead, and the final
    /// error carries the delay for the queue.
    pub max_retry_after_ms: u64,
    /// One HTTP attempt is abandoned after this long (`LLM_TIMEOUT_MS`).
    pub attempt_timeout_ms: u64,
    /// All attempts and fallbacks of one call end by this long after it started (`LLM_CALL_DEADLINE_MS`).
    pub call_deadline_ms: u64,
    /// All calls of one review end by this long after the review started
    /// (`LLM_REVIEW_DEADLINE_MS`); see [`RetryPolicy::review_deadline`].
    pub review_deadline_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts_per_model: 3,
            base_backoff_ms: 1_000,
            max_backoff_ms: 20_000,
            max_retry_after_ms: 30_000,
            attempt_timeout_ms: 60_000,
            call_deadline_ms: 180_000,
            // Well inside a queue consumer's 15-minute wall-clock limit.
            review_deadline_ms: 600_000,
        }
    }
}

impl RetryPolicy {
    /// The deadline to pass to every call of a review that started at `start`.
    pub fn review_deadline(&self, start: argus_core::ids::UnixMillis) -> argus_core::ids::UnixMillis {
        start.plus_millis(self.review_deadline_ms)
    }

    /// The ceiling of the backoff before retry number `retry` (1 = first retry):
    /// `base · 2^(retry-1)`, capped.
    pub fn backoff_ceiling_ms(&self, retry: u32) -> u64 {
        let exp = retry.saturating_sub(1).min(32);
        self.base_backoff_ms.saturating_mul(1u64 << exp).min(self.max_backoff_ms)
    }

    /// The pause before retry number `retry`. "Equal jitter": half the ceiling
    /// plus a random part of the other half, so retries never bunch at zero yet
    /// clients spread out (<https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/>).
    /// A server's `Retry-After` is a floor: never retry sooner than it asked.
    pub fn delay_ms(&self, retry: u32, retry_after_ms: Option<u64>, jitter: &mut Jitter) -> u64 {
        let ceiling = self.backoff_ceiling_ms(retry);
        let half = ceiling / 2;
        let backoff = half + jitter.below(ceiling - half + 1);
        match retry_after_ms {
            Some(ra) => (ra + jitter.below(ceiling / 4 + 1)).max(backoff),
            None => backoff,
        }
    }
}

/// A small deterministic generator (SplitMix64, <https://prng.di.unimi.it/splitmix64.c>)
/// seeded by the caller, so schedules are reproducible in tests and no global RNG
/// is needed on Workers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough in `0..n` (0 when `n` is 0); the modulo bias is irrelevant for delays.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// The delay a response asks for: `retry-after-ms` (OpenAI, Azure), else
/// `Retry-After` as delta-seconds or an HTTP-date
/// (<https://www.rfc-editor.org/rfc/rfc9110#field.retry-after>), relative to `now_ms`.
/// Unparseable values are ignored rather than trusted.
pub fn retry_after_ms(resp: &HttpResponse, now_ms: u64) -> Option<u64> {
    if let Some(ms) = resp.header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()).filter(|ms| ms.is_finite() && *ms >= 0.0) {
        return Some(ms.ceil() as u64);
    }
    parse_retry_after(resp.header("retry-after")?, now_ms)
}

pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    // Some servers send fractional seconds; tolerate them.
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).ceil() as u64);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(at_ms.saturating_sub(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        // 2026-11-24T12:00:00Z
        let now = 1_795_521_600_000;
        let cases: &[(&str, Option<u64>)] = &[
            ("7", Some(7_000)),
            (" 0 ", Some(0)),
            ("1.5", Some(1_500)),
            ("Tue, 24 Nov 2026 12:00:30 GMT", Some(30_000)),
            // A date in the past means "now".
            ("Tue, 24 Nov 2026 11:59:00 GMT", Some(0)),
            ("Tuesday, 24-Nov-26 12:01:00 GMT", Some(60_000)),
            ("soon", None),
            ("-3", None),
        ];
        for (v, want) in cases {
            assert_eq!(parse_retry_after(v, now), *want, "{v}");
        }
        let resp =
            HttpResponse { status: 429, headers: vec![("retry-after-ms".into(), "250".into()), ("retry-after".into(), "1".into())], body: vec![] };
        assert_eq!(retry_after_ms(&resp, now), Some(250), "retry-after-ms is the more precise");
    }

    #[test]
    fn backoff_schedule_is_exponential_jittered_and_reproducible() {
        let p = RetryPolicy { base_backoff_ms: 1000, max_backoff_ms: 8000, ..RetryPolicy::default() };
        let schedule = |seed| {
            let mut j = Jitter::new(seed);
            (1..=6).map(|r| p.delay_ms(r, None, &mut j)).collect::<Vec<_>>()
        };
        let a = schedule(42);
        assert_eq!(a, schedule(42), "same seed, same schedule");
        assert_ne!(a, schedule(43), "the seed moves the jitter");
        for (i, d) in a.iter().enumerate() {
            let ceiling = p.backoff_ceiling_ms(i as u32 + 1);
            assert!((ceiling / 2..=ceiling).contains(d), "retry {}: {d} outside [{}, {ceiling}]", i + 1, ceiling / 2);
        }
        assert_eq!((1..=6).map(|r| p.backoff_ceiling_ms(r)).collect::<Vec<_>>(), [1000, 2000, 4000, 8000, 8000, 8000]);
        insta::assert_debug_snapshot!("backoff_schedule_seed_42", a);
    }

    #[test]
    fn retry_after_is_a_floor() {
        let p = RetryPolicy::default();
        for seed in 0..200 {
            let mut j = Jitter::new(seed);
            let d = p.delay_ms(1, Some(5_000), &mut j);
            assert!((5_000..=5_250).contains(&d), "{d}");
            let d = p.delay_ms(3, Some(100), &mut j);
            assert!((2_000..=4_000).contains(&d), "{d}: a short Retry-After does not undercut the backoff");
        }
    }

    #[test]
    fn jitter_is_spread() {
        let mut j = Jitter::new(7);
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            buckets[j.below(10) as usize] += 1;
        }
        assert!(buckets.iter().all(|&b| (800..1200).contains(&b)), "{buckets:?}");
        assert_eq!(Jitter::new(1).below(0), 0);
    }
}
