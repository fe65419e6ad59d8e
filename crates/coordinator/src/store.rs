//! How a PR coordinator lays out its Durable Object's SQLite storage: the
//! schema and every statement, as data the shell runs (`durable/src/object.rs`)
//! and the native tests run against a real SQLite.
//!
//! The state used to be one JSON value rewritten on every change, with the
//! delivery-id memory (up to 1,000 ids) and the history inside it, so a write
//! grew with what was remembered. Now:
//! - `coordinator_state`: one row, the small rest of [`crate::PrState`] as JSON
//!   (bounded lists of at most 20 items each), rewritten when it changes;
//! - `deliveries`: one row per remembered delivery id, primary key = the id, an
//!   index on the arrival time; remembering an id is one insert plus two deletes
//!   that touch only what is expired or over the bound;
//! - `history`: one row per review outcome, appended, the oldest beyond the
//!   bound deleted.

use crate::machine::HistoryEntry;
use argus_core::ids::{DeliveryId, UnixMillis};

/// A statement argument (the values SQLite storage binds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Int(i64),
    Text(String),
}

impl From<u64> for Arg {
    fn from(v: u64) -> Self {
        // Millisecond times, counters and bounds are far below 2^53 (JavaScript's
        // safe integers, which the runtime's bindings go through).
        Arg::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

/// One statement and its arguments, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub sql: &'static str,
    pub args: Vec<Arg>,
}

/// Run in order when the object starts; every statement is idempotent.
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS coordinator_state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)",
    // `seq` without AUTOINCREMENT: a new row takes max + 1 and an ignored
    // duplicate takes none, so with only the oldest ever deleted the numbers stay
    // contiguous and "keep the newest N" is one range delete on the primary key
    // (AUTOINCREMENT may skip numbers, which would make that delete drop too many).
    "CREATE TABLE IF NOT EXISTS deliveries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS deliveries_at ON deliveries (at)",
    "CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)",
];

/// Reads the state row: one row `{json}` or none.
pub const LOAD_STATE_SQL: &str = "SELECT json FROM coordinator_state WHERE id = 1";

/// Reads the history, oldest first: rows `{json}`.
pub const LOAD_HISTORY_SQL: &str = "SELECT json FROM history ORDER BY seq";

/// Counts the remembered deliveries: one row `{n}` (the benchmark and tests read it).
pub const COUNT_DELIVERIES_SQL: &str = "SELECT count(*) AS n FROM deliveries";

/// Writes the state row.
pub fn save_state(json: String) -> Stmt {
    Stmt {
        sql: "INSERT INTO coordinator_state (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
        args: vec![Arg::Text(json)],
    }
}

/// Remembering `id` at `now`, in order: forget what expired, insert (the
/// insert writes no row when `id` is already remembered: its rows-written count
/// is the answer), and keep at most `capacity` ids.
pub fn remember_delivery(id: &DeliveryId, now: UnixMillis, ttl_ms: u64, capacity: usize) -> [Stmt; 3] {
    [
        Stmt { sql: "DELETE FROM deliveries WHERE at <= ?", args: vec![now.0.saturating_sub(ttl_ms).into()] },
        Stmt { sql: "INSERT INTO deliveries (id, at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING", args: vec![id.0.as_str().into(), now.0.into()] },
        Stmt { sql: "DELETE FROM deliveries WHERE seq <= (SELECT max(seq) FROM deliveries) - ?", args: vec![(capacity.max(1) as u64).into()] },
    ]
}

/// Which of [`remember_delivery`]'s statements writes the row of a new id.
pub const REMEMBER_INSERT: usize = 1;

/// Appends a history entry and keeps the newest `bound`.
pub fn append_history(entry: &HistoryEntry, bound: usize) -> [Stmt; 2] {
    // A HistoryEntry is plain data (strings, numbers, enums): it always serializes.
    let json = serde_json::to_string(entry).unwrap_or_default();
    [
        Stmt { sql: "INSERT INTO history (json) VALUES (?)", args: vec![Arg::Text(json)] },
        Stmt { sql: "DELETE FROM history WHERE seq <= (SELECT max(seq) FROM history) - ?", args: vec![(bound.max(1) as u64).into()] },
    ]
}

/// Moving an object written by an earlier version (the whole state as one JSON
/// value under [`LEGACY_KEY`] in its key-value storage) into rows.
pub const LEGACY_KEY: &str = "coordinator:v1";

/// The parts of a legacy snapshot that now live in rows, read beside
/// [`crate::PrState`] (which ignores the legacy `seen` field).
#[derive(Debug, Default, serde::Deserialize)]
pub struct LegacyRows {
    #[serde(default)]
    pub seen: Vec<(DeliveryId, UnixMillis)>,
}

/// The statements that move a legacy snapshot's delivery ids and history into
/// rows (the state row is written by the caller).
pub fn migrate_legacy(rows: &LegacyRows, history: &[HistoryEntry], history_bound: usize) -> Vec<Stmt> {
    let mut out = Vec::new();
    for (id, at) in &rows.seen {
        out.push(Stmt {
            sql: "INSERT INTO deliveries (id, at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING",
            args: vec![id.0.as_str().into(), at.0.into()],
        });
    }
    for e in history {
        out.extend(append_history(e, history_bound));
    }
    out
}
