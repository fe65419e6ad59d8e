//! A circuit breaker per provider as a pure state machine: closed → open after
//! N consecutive outage failures → half-open after a cool-down (one probe call
//! is let through) → closed on success, open again on failure. The state is
//! serializable and lives behind [`BreakerStore`], which the platform keeps
//! where every consumer invocation sees it (KV or a Durable Object).

use argus_core::ids::UnixMillis;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerPolicy {
    /// Consecutive outage failures that open the breaker.
    pub failure_threshold: u32,
    /// How long an open breaker rejects calls before letting one probe through.
    pub cool_down_ms: u64,
    /// A half-open probe that never reported back (its invocation died) stops
    /// blocking others after this long; another caller becomes the probe.
    pub probe_timeout_ms: u64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self { failure_threshold: 5, cool_down_ms: 60_000, probe_timeout_ms: 120_000 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    Closed { consecutive_failures: u32 },
    Open { until: UnixMillis },
    HalfOpen { probe_since: UnixMillis },
}

impl Default for BreakerState {
    fn default() -> Self {
        Self::Closed { consecutive_failures: 0 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead.
    Allow,
    /// Go ahead as the half-open probe; its outcome decides the breaker.
    Probe,
    /// Fail fast: the provider is considered down for `retry_in_ms` more.
    Reject { retry_in_ms: u64 },
}

impl BreakerState {
    /// Whether a call may start at `now`, and the state to store when it changed
    /// (only transitions are written: KV allows few writes).
    pub fn admit(&self, now: UnixMillis, policy: &BreakerPolicy) -> (Admission, Option<BreakerState>) {
        match *self {
            Self::Closed { .. } => (Admission::Allow, None),
            Self::Open { until } if now.0 < until.0 => (Admission::Reject { retry_in_ms: until.0 - now.0 }, None),
            Self::Open { .. } => (Admission::Probe, Some(Self::HalfOpen { probe_since: now })),
            Self::HalfOpen { probe_since } => {
                let stale_at = probe_since.0.saturating_add(policy.probe_timeout_ms);
                if now.0 >= stale_at {
                    (Admission::Probe, Some(Self::HalfOpen { probe_since: now }))
                } else {
                    (Admission::Reject { retry_in_ms: stale_at - now.0 }, None)
                }
            }
        }
    }

    /// After a successful call: closed with a clean count.
    pub fn on_success(&self) -> BreakerState {
        Self::Closed { consecutive_failures: 0 }
    }

    /// After an outage failure (5xx, timeout, network).
    pub fn on_failure(&self, now: UnixMillis, policy: &BreakerPolicy) -> BreakerState {
        let open = Self::Open { until: now.plus_millis(policy.cool_down_ms) };
        match *self {
            Self::Closed { consecutive_failures } => {
                let n = consecutive_failures.saturating_add(1);
                if n >= policy.failure_threshold.max(1) { open } else { Self::Closed { consecutive_failures: n } }
            }
            // The probe failed, or a straggler that started before the breaker opened did.
            Self::HalfOpen { .. } => open,
            Self::Open { until } => Self::Open { until: UnixMillis(until.0.max(now.0 + policy.cool_down_ms)) },
        }
    }
}

/// Where breaker states live between invocations. Reads that fail are treated
/// as "closed" by the client (an unreachable store must not stop reviews).
#[allow(async_fn_in_trait)]
pub trait BreakerStore {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String>;
    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String>;
}

/// A borrowed store, so one platform store serves a client per review.
impl<T: BreakerStore> BreakerStore for &T {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String> {
        (**self).load(key).await
    }
    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String> {
        (**self).save(key, state).await
    }
}

impl<T: BreakerStore> BreakerStore for std::rc::Rc<T> {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String> {
        (**self).load(key).await
    }
    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String> {
        (**self).save(key, state).await
    }
}

/// An in-memory store: for tests, and as a per-isolate cache in front of a shared one.
#[derive(Debug, Default)]
pub struct MemoryBreakerStore {
    states: std::cell::RefCell<std::collections::HashMap<String, BreakerState>>,
    writes: std::cell::Cell<u32>,
}

impl MemoryBreakerStore {
    pub fn get(&self, key: &str) -> Option<BreakerState> {
        self.states.borrow().get(key).cloned()
    }
    /// How many saves happened: transitions only, so this stays small.
    pub fn writes(&self) -> u32 {
        self.writes.get()
    }
}

impl BreakerStore for MemoryBreakerStore {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String> {
        Ok(self.get(key))
    }
    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String> {
        self.writes.set(self.writes.get() + 1);
        self.states.borrow_mut().insert(key.to_string(), state.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events applied in order to a fresh breaker, with the expected admission
    /// and resulting state after each: the whole lifecycle as a table.
    #[test]
    fn transitions() {
        let p = BreakerPolicy { failure_threshold: 3, cool_down_ms: 1_000, probe_timeout_ms: 5_000 };
        enum Ev {
            Admit(u64, Admission),
            Fail(u64),
            Ok,
        }
        use Admission::*;
        use Ev::*;
        let closed = |n| BreakerState::Closed { consecutive_failures: n };
        let script: Vec<(Ev, BreakerState)> = vec![
            (Admit(0, Allow), closed(0)),
            (Fail(0), closed(1)),
            (Fail(10), closed(2)),
            (Ok, closed(0)),
            (Fail(20), closed(1)),
            (Fail(30), closed(2)),
            (Fail(40), BreakerState::Open { until: UnixMillis(1_040) }),
            (Admit(500, Reject { retry_in_ms: 540 }), BreakerState::Open { until: UnixMillis(1_040) }),
            (Admit(1_040, Probe), BreakerState::HalfOpen { probe_since: UnixMillis(1_040) }),
            // While the probe runs, others are turned away.
            (Admit(1_100, Reject { retry_in_ms: 4_940 }), BreakerState::HalfOpen { probe_since: UnixMillis(1_040) }),
            (Fail(1_200), BreakerState::Open { until: UnixMillis(2_200) }),
            (Admit(2_200, Probe), BreakerState::HalfOpen { probe_since: UnixMillis(2_200) }),
            // The probe's invocation died: after probe_timeout another caller probes.
            (Admit(7_200, Probe), BreakerState::HalfOpen { probe_since: UnixMillis(7_200) }),
            (Ok, closed(0)),
            (Admit(7_300, Allow), closed(0)),
        ];
        let mut state = BreakerState::default();
        for (i, (ev, want)) in script.into_iter().enumerate() {
            state = match ev {
                Admit(now, expect) => {
                    let (got, next) = state.admit(UnixMillis(now), &p);
                    assert_eq!(got, expect, "step {i}");
                    next.unwrap_or(state)
                }
                Fail(now) => state.on_failure(UnixMillis(now), &p),
                Ok => state.on_success(),
            };
            assert_eq!(state, want, "step {i}");
        }
    }

    #[test]
    fn state_round_trips_as_json() {
        let s = BreakerState::Open { until: UnixMillis(5) };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"state":"open","until":5}"#);
        assert_eq!(serde_json::from_str::<BreakerState>(&json).unwrap(), s);
    }
}
