//! The coordinator's SQLite layout (`argus_coordinator::store`) run against a
//! real SQLite, the engine of Durable Object storage: the delivery-id rows
//! answer exactly like the in-memory `DedupeSet`, stay within their bounds,
//! and the history and state rows round-trip, legacy snapshots included.

use crate::sim::{Sim, review};
use argus_coordinator::machine::HistoryEntry;
use argus_coordinator::store::{self, Arg, Stmt};
use argus_coordinator::{Config, DedupeSet, DeliveryLog, PrState};
use argus_core::event::PrAction::*;
use argus_core::ids::{DeliveryId, UnixMillis};
use proptest::prelude::*;
use rusqlite::{Connection, params_from_iter};

fn db() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    for s in store::SCHEMA {
        c.execute(s, []).unwrap();
    }
    c
}

fn run(c: &Connection, s: &Stmt) -> usize {
    let args = s.args.iter().map(|a| match a {
        Arg::Int(i) => rusqlite::types::Value::Integer(*i),
        Arg::Text(t) => rusqlite::types::Value::Text(t.clone()),
    });
    c.execute(s.sql, params_from_iter(args)).unwrap()
}

/// The Durable Object's log, with rusqlite in place of `SqlStorage`.
struct SqlLog<'a>(&'a Connection);

impl DeliveryLog for SqlLog<'_> {
    fn remember(&mut self, id: &DeliveryId, now: UnixMillis, ttl_ms: u64, capacity: usize) -> bool {
        let written: Vec<usize> = store::remember_delivery(id, now, ttl_ms, capacity).iter().map(|s| run(self.0, s)).collect();
        written[store::REMEMBER_INSERT] > 0
    }
}

fn count(c: &Connection) -> i64 {
    c.query_row(store::COUNT_DELIVERIES_SQL, [], |r| r.get(0)).unwrap()
}

fn d(s: &str) -> DeliveryId {
    DeliveryId(s.into())
}

#[test]
fn delivery_rows_answer_new_then_duplicate_and_forget_after_the_ttl() {
    let c = db();
    let mut log = SqlLog(&c);
    assert!(log.remember(&d("a"), UnixMillis(1_000), 100, 10));
    assert!(!log.remember(&d("a"), UnixMillis(1_050), 100, 10), "a redelivery inside the TTL is a duplicate");
    assert!(log.remember(&d("b"), UnixMillis(1_060), 100, 10));
    assert!(log.remember(&d("a"), UnixMillis(1_100), 100, 10), "after the TTL the id is new again");
    assert_eq!(count(&c), 2);
}

#[test]
fn delivery_rows_keep_at_most_the_capacity_oldest_going_first() {
    let c = db();
    let mut log = SqlLog(&c);
    for i in 0..25 {
        assert!(log.remember(&d(&format!("id{i}")), UnixMillis(1_000 + i), 1_000_000, 10));
    }
    assert_eq!(count(&c), 10);
    assert!(log.remember(&d("id0"), UnixMillis(2_000), 1_000_000, 10), "the oldest was forgotten");
    assert!(!log.remember(&d("id24"), UnixMillis(2_001), 1_000_000, 10), "the newest is still known");
}

#[test]
fn a_duplicate_writes_no_row() {
    let c = db();
    let id = d("x");
    store::remember_delivery(&id, UnixMillis(5), 1_000, 10).iter().for_each(|s| {
        run(&c, s);
    });
    let again: Vec<usize> = store::remember_delivery(&id, UnixMillis(6), 1_000, 10).iter().map(|s| run(&c, s)).collect();
    assert_eq!(again, vec![0, 0, 0], "nothing expired, nothing inserted, nothing over the bound");
}

proptest! {
    /// For any arrivals (ids from a small pool, times moving forward), the SQLite
    /// rows and the in-memory set give the same answers.
    #[test]
    fn sql_rows_and_memory_agree(steps in prop::collection::vec((0u8..12, 0u64..40), 1..120), ttl in 1u64..200, cap in 1usize..8) {
        let c = db();
        let mut sql = SqlLog(&c);
        let mut mem = DedupeSet::default();
        let mut now = 1_000u64;
        for (id, dt) in steps {
            now += dt;
            let id = d(&format!("d{id}"));
            prop_assert_eq!(sql.remember(&id, UnixMillis(now), ttl, cap), mem.remember(&id, UnixMillis(now), ttl, cap));
            prop_assert_eq!(count(&c) as usize, mem.len());
        }
    }
}

#[test]
fn history_rows_are_appended_and_bounded() {
    let c = db();
    let mut s = Sim::new(Config::default());
    for i in 0..25 {
        s.send(review(&format!("p{i}"), Synchronize, &format!("h{i}")));
        s.advance(10_000);
        let j = s.last_job();
        let lease = s.lease(&j).unwrap();
        s.finish(&j, &lease, true);
    }
    // What the machine asked the shell to store, run as the shell runs it.
    for e in &s.history_rows {
        store::append_history(e, 5).iter().for_each(|st| {
            run(&c, st);
        });
    }
    let stored: Vec<HistoryEntry> = c
        .prepare(store::LOAD_HISTORY_SQL)
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|j| serde_json::from_str(&j.unwrap()).unwrap())
        .collect();
    assert_eq!(s.m.state().history.len(), 20);
    assert_eq!(stored, s.m.state().history.iter().skip(15).cloned().collect::<Vec<_>>(), "the newest 5, oldest first");
}

#[test]
fn a_legacy_snapshot_moves_into_rows() {
    let c = db();
    let legacy = r#"{"pr":{"repo":{"owner":"o","name":"r"},"number":1},"seen":[["a",1],["b",2]],
        "history":[{"job_id":"1-1","head_sha":"abc","mode":"full","outcome":"posted","queued_at":1,"finished_at":2,
        "duration_ms":null,"findings":null,"tokens_in":null,"tokens_out":null,"runs":1,"coalesced_pushes":0,"note":null}]}"#;
    let st: PrState = serde_json::from_str(legacy).unwrap();
    let rows: store::LegacyRows = serde_json::from_str(legacy).unwrap();
    assert_eq!(st.history.len(), 1);
    for s in store::migrate_legacy(&rows, &st.history.iter().cloned().collect::<Vec<_>>(), 20) {
        run(&c, &s);
    }
    run(&c, &store::save_state(serde_json::to_string(&st).unwrap()));
    assert_eq!(count(&c), 2);
    let mut log = SqlLog(&c);
    assert!(!log.remember(&d("a"), UnixMillis(3), 1_000, 10), "a migrated id is still a duplicate");
    let json: String = c.query_row(store::LOAD_STATE_SQL, [], |r| r.get(0)).unwrap();
    let back: PrState = serde_json::from_str(&json).unwrap();
    assert_eq!(back.pr, st.pr);
    assert!(back.history.is_empty() && !json.contains("seen"), "the state row holds neither: {json}");
}
