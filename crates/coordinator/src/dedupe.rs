//! A bounded memory of webhook delivery ids, so a redelivery or a duplicate is
//! acknowledged and ignored. GitHub keeps the `X-GitHub-Delivery` GUID on
//! redelivery (<https://docs.github.com/en/webhooks/using-webhooks/handling-webhook-deliveries>).

use argus_core::ids::{DeliveryId, UnixMillis};
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};

/// Where a coordinator remembers the delivery ids it has handled. The machine
/// decides (a duplicate is acknowledged and ignored); the memory only answers
/// whether an id is new. [`DedupeSet`] keeps them in memory (tests, benches);
/// the Durable Object keeps them as rows in its SQLite storage (the statements
/// are [`crate::store`]'s), so remembering one id writes one row, whatever the
/// number already remembered.
pub trait DeliveryLog {
    /// Records `id` as seen at `now` and returns true, or returns false when it
    /// is already remembered. Ids older than `ttl_ms` are forgotten first, and
    /// beyond `capacity` the oldest go.
    fn remember(&mut self, id: &DeliveryId, now: UnixMillis, ttl_ms: u64, capacity: usize) -> bool;
}

impl DeliveryLog for DedupeSet {
    fn remember(&mut self, id: &DeliveryId, now: UnixMillis, ttl_ms: u64, capacity: usize) -> bool {
        self.prune(now, ttl_ms);
        self.insert(id.clone(), now, capacity)
    }
}

/// Ids in arrival order plus an index for O(1) lookups. Stored as the ordered
/// list only; the index is rebuilt on load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<(DeliveryId, UnixMillis)>", into = "Vec<(DeliveryId, UnixMillis)>")]
pub struct DedupeSet {
    order: VecDeque<(DeliveryId, UnixMillis)>,
    index: HashSet<DeliveryId>,
}

impl DedupeSet {
    pub fn contains(&self, id: &DeliveryId) -> bool {
        self.index.contains(id)
    }

    /// Records `id` seen at `now`; returns false when it was already known.
    pub fn insert(&mut self, id: DeliveryId, now: UnixMillis, capacity: usize) -> bool {
        if self.index.contains(&id) {
            return false;
        }
        self.index.insert(id.clone());
        self.order.push_back((id, now));
        while self.order.len() > capacity.max(1) {
            self.pop_front();
        }
        true
    }

    /// Forgets ids older than `ttl_ms`. Arrival order is time order (the shell's
    /// clock only moves forward within one object), so pruning stops at the first young id.
    pub fn prune(&mut self, now: UnixMillis, ttl_ms: u64) -> usize {
        let mut removed = 0;
        while let Some((_, at)) = self.order.front() {
            if now.0.saturating_sub(at.0) < ttl_ms {
                break;
            }
            self.pop_front();
            removed += 1;
        }
        removed
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn pop_front(&mut self) {
        if let Some((id, _)) = self.order.pop_front() {
            self.index.remove(&id);
        }
    }
}

impl From<Vec<(DeliveryId, UnixMillis)>> for DedupeSet {
    fn from(list: Vec<(DeliveryId, UnixMillis)>) -> Self {
        // Stored data may have been edited or written by an older version:
        // keep the first occurrence of each id so the index and order agree.
        let mut set = DedupeSet::default();
        for (id, at) in list {
            if set.index.insert(id.clone()) {
                set.order.push_back((id, at));
            }
        }
        set
    }
}

impl From<DedupeSet> for Vec<(DeliveryId, UnixMillis)> {
    fn from(set: DedupeSet) -> Self {
        set.order.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> DeliveryId {
        DeliveryId(s.into())
    }

    #[test]
    fn remembers_until_ttl_and_within_capacity() {
        let mut s = DedupeSet::default();
        assert!(s.insert(d("a"), UnixMillis(0), 3));
        assert!(!s.insert(d("a"), UnixMillis(1), 3));
        assert!(s.insert(d("b"), UnixMillis(10), 3));
        assert_eq!(s.prune(UnixMillis(99), 100), 0);
        assert_eq!(s.prune(UnixMillis(100), 100), 1);
        assert!(!s.contains(&d("a")) && s.contains(&d("b")));
        for (i, id) in ["c", "d", "e"].iter().enumerate() {
            s.insert(d(id), UnixMillis(20 + i as u64), 3);
        }
        assert_eq!(s.len(), 3);
        assert!(!s.contains(&d("b")), "over capacity the oldest id goes first");
    }

    #[test]
    fn round_trips_and_repairs_duplicates_on_load() {
        let json = r#"[["a",1],["b",2],["a",3]]"#;
        let s: DedupeSet = serde_json::from_str(json).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"[["a",1],["b",2]]"#);
    }
}
