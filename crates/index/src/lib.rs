//! ArgusAI's per-repository index, without IO: one Durable Object per repository
//! (`Repository`, named `owner/repo`) keeps a few SQLite tables that the
//! dashboard lists come from, so no page ever scans the PR coordinators.
//!
//! - [`RepoUpdate`] is what a PR's coordinator tells its repository's object:
//!   the PR's summary row plus its (bounded) review history and replays, built
//!   from the coordinator's state by [`RepoUpdate::of`]. Updates are idempotent
//!   and may arrive late or twice: rows are keyed, and a PR row only moves forward.
//! - [`SCHEMA`], [`update_statements`], [`Pruner`] and the `*_SQL` queries are
//!   the whole storage contract; the Durable Object shell runs them as written
//!   (tests run them against a real SQLite).
//!
//! Bounds: [`MAX_REVIEWS`] review rows and [`MAX_SETTLED_PRS`] settled PR rows
//! per repository; PRs in flight are always kept. The object is named for the
//! repository, not for the index, so per-repository learnings can live in the
//! same object later (a new table and routes next to these).

use argus_coordinator::machine::{HistoryEntry, Outcome, PrState};
use argus_coordinator::operator::ReplayRecord;
use argus_core::ids::{RepoName, UnixMillis};
use serde::{Deserialize, Serialize};

/// Review rows kept per repository (newest first); older ones are pruned.
pub const MAX_REVIEWS: u32 = 500;
/// PR rows kept per repository besides the ones in flight.
pub const MAX_SETTLED_PRS: u32 = 300;
/// Replay rows kept per repository.
pub const MAX_REPLAYS: u32 = 200;
/// Rows returned per list.
pub const LIST_LIMIT: u32 = 50;

/// The Durable Object's name for a repository: `owner/repo` (the Repository
/// class has its own namespace, so this cannot meet a PR's `owner/repo#n`).
pub fn object_name(repo: &RepoName) -> String {
    repo.full_name()
}

/// Routes of the `Repository` object (JSON; the host is ignored).
pub mod routes {
    /// POST [`super::RepoUpdate`] → `{"applied": true}`.
    pub const UPDATE: &str = "/update";
    /// GET → [`super::Overview`].
    pub const OVERVIEW: &str = "/overview";
    /// GET → [`super::ActedTotals`] (what a review's summary quotes).
    pub const ACTED: &str = "/acted";
    /// GET → the repository's learnings, oldest first; POST a
    /// [`argus_core::learning::Learning`] → it as stored (with its id; once per source comment).
    pub const LEARNINGS: &str = "/learnings";
    /// POST `{"id": n}` → `{"removed": bool}`.
    pub const FORGET: &str = "/forget";
    pub const BASE_URL: &str = "https://repository";
}

/// A PR's line in the index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrRow {
    pub number: u64,
    pub installation: Option<u64>,
    /// The coordinator's phase (`idle`, `debouncing`, `queued`, `running`, `failed`, `archived`).
    pub phase: String,
    pub paused: bool,
    pub draft: bool,
    pub head_sha: Option<String>,
    pub last_reviewed_sha: Option<String>,
    pub last_error: Option<String>,
    /// When the coordinator sent this row; an older row never replaces a newer one.
    pub updated_at: u64,
}

impl PrRow {
    pub fn in_flight(&self) -> bool {
        matches!(self.phase.as_str(), "debouncing" | "queued" | "running")
    }
}

/// One finished (or cancelled, failed, dead-lettered) review job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub pr: u64,
    pub job_id: String,
    pub head_sha: String,
    /// `incremental` or `full`.
    pub mode: String,
    /// The coordinator's outcome (`posted`, `superseded`, `cancelled`, `failed`, `dead_lettered`, `late`).
    pub outcome: String,
    pub queued_at: u64,
    pub finished_at: u64,
    pub duration_ms: Option<u64>,
    pub findings: Option<u64>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    pub cost_micro_usd: Option<u64>,
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub runs: u64,
    pub note: Option<String>,
}

/// A dead-lettered job replayed from the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayRow {
    pub pr: u64,
    pub job_id: String,
    pub at: u64,
    pub actor: String,
}

/// What a PR's coordinator tells its repository's object. Versioned like the
/// queue messages: an object of a newer version can still read an older one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoUpdate {
    pub v: u32,
    pub repo: RepoName,
    pub pr: PrRow,
    pub reviews: Vec<ReviewRow>,
    pub replays: Vec<ReplayRow>,
    /// What became of ArgusAI's findings, once the PR was merged or closed.
    #[serde(default)]
    pub acted: Option<ActedRow>,
}

/// One closed PR's findings and how many were acted on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActedRow {
    pub pr: u64,
    pub merged: bool,
    pub findings: u64,
    pub addressed: u64,
    /// Findings with a 👍, and with a 👎.
    #[serde(default)]
    pub liked: u64,
    #[serde(default)]
    pub disliked: u64,
}

fn outcome_str(o: Outcome) -> String {
    // The same names the status page's JSON uses.
    serde_json::to_value(o).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{o:?}"))
}

fn review_row(pr: u64, h: &HistoryEntry) -> ReviewRow {
    ReviewRow {
        pr,
        job_id: h.job_id.clone(),
        head_sha: h.head_sha.to_string(),
        mode: serde_json::to_value(h.mode).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        outcome: outcome_str(h.outcome),
        queued_at: h.queued_at.0,
        finished_at: h.finished_at.0,
        duration_ms: h.duration_ms,
        findings: h.findings.map(u64::from),
        tokens_in: h.tokens_in,
        tokens_out: h.tokens_out,
        cost_micro_usd: h.cost_micro_usd,
        critical: h.severities.critical.into(),
        high: h.severities.high.into(),
        medium: h.severities.medium.into(),
        low: h.severities.low.into(),
        runs: h.runs.into(),
        note: h.note.clone(),
    }
}

fn replay_row(pr: u64, r: &ReplayRecord) -> ReplayRow {
    ReplayRow { pr, job_id: r.job_id.clone(), at: r.at.0, actor: r.actor.clone() }
}

impl RepoUpdate {
    pub const VERSION: u32 = 1;

    /// The update for a coordinator's state at `now`; `None` before the
    /// coordinator knows its pull request.
    pub fn of(st: &PrState, now: UnixMillis) -> Option<RepoUpdate> {
        let pr = st.pr.as_ref()?;
        let number = pr.number.0;
        Some(RepoUpdate {
            v: Self::VERSION,
            repo: pr.repo.clone(),
            pr: PrRow {
                number,
                installation: st.installation.map(|i| i.0),
                phase: st.phase().as_str().into(),
                paused: st.paused,
                draft: st.draft,
                head_sha: st.head_sha.as_ref().map(|s| s.to_string()),
                last_reviewed_sha: st.last_reviewed_sha.as_ref().map(|s| s.to_string()),
                last_error: st.last_error.clone(),
                updated_at: now.0,
            },
            reviews: st.history.iter().map(|h| review_row(number, h)).collect(),
            replays: st.replayed.iter().map(|r| replay_row(number, r)).collect(),
            acted: st.acted.map(|a| ActedRow {
                pr: number,
                merged: a.merged,
                findings: a.findings.into(),
                addressed: a.addressed.into(),
                liked: a.liked.into(),
                disliked: a.disliked.into(),
            }),
        })
    }

    /// A fingerprint of everything but the send time: the coordinator tells
    /// the index only when this changes.
    pub fn fingerprint(&self) -> u64 {
        let mut copy = self.clone();
        copy.pr.updated_at = 0;
        fnv1a(serde_json::to_string(&copy).unwrap_or_default().as_bytes())
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Names one history entry (a job can have several: a late report after a rerun).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryKey {
    pub job_id: String,
    pub finished_at: u64,
    pub outcome: Outcome,
}

impl HistoryKey {
    pub fn of(h: &HistoryEntry) -> Self {
        HistoryKey { job_id: h.job_id.clone(), finished_at: h.finished_at.0, outcome: h.outcome }
    }
}

/// The newest entry of a coordinator's history, taken before it handles an event.
pub fn history_mark(st: &PrState) -> Option<HistoryKey> {
    st.history.back().map(HistoryKey::of)
}

/// The entries recorded after `mark` (all of them when the mark is gone or absent).
pub fn history_since<'a>(st: &'a PrState, mark: Option<&HistoryKey>) -> Vec<&'a HistoryEntry> {
    let start = match mark {
        Some(m) => st.history.iter().rposition(|h| HistoryKey::of(h) == *m).map_or(0, |i| i + 1),
        None => 0,
    };
    st.history.iter().skip(start).collect()
}

// ----- storage -----------------------------------------------------------

/// A bound value, as the Durable Object's `sql.exec(query, ...bindings)` takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Null,
    Int(i64),
    Text(String),
}

impl From<u64> for Arg {
    fn from(v: u64) -> Self {
        // Millisecond times and counters are far below 2^53 (JavaScript's safe integers).
        Arg::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Self {
        v.map_or(Arg::Null, Into::into)
    }
}

/// One statement with its bindings (one statement per `exec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub sql: &'static str,
    pub args: Vec<Arg>,
}

/// Run in order whenever the object starts; every statement is idempotent.
/// Durable Objects' SQLite has no `PRAGMA user_version`, so a later schema
/// change adds statements here (`ALTER TABLE … ADD COLUMN` behind a check of
/// `meta`'s version).
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT INTO meta (key, value) VALUES ('schema', 1) ON CONFLICT(key) DO NOTHING",
    "CREATE TABLE IF NOT EXISTS prs (
        number INTEGER PRIMARY KEY,
        installation INTEGER,
        phase TEXT NOT NULL,
        paused INTEGER NOT NULL,
        draft INTEGER NOT NULL,
        head_sha TEXT,
        last_reviewed_sha TEXT,
        last_error TEXT,
        updated_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS prs_by_phase ON prs (phase, updated_at)",
    "CREATE INDEX IF NOT EXISTS prs_by_updated ON prs (updated_at)",
    "CREATE TABLE IF NOT EXISTS reviews (
        pr INTEGER NOT NULL,
        job_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        finished_at INTEGER NOT NULL,
        head_sha TEXT NOT NULL,
        mode TEXT NOT NULL,
        queued_at INTEGER NOT NULL,
        duration_ms INTEGER,
        findings INTEGER,
        tokens_in INTEGER,
        tokens_out INTEGER,
        cost_micro_usd INTEGER,
        critical INTEGER NOT NULL DEFAULT 0,
        high INTEGER NOT NULL DEFAULT 0,
        medium INTEGER NOT NULL DEFAULT 0,
        low INTEGER NOT NULL DEFAULT 0,
        runs INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        PRIMARY KEY (pr, job_id, outcome, finished_at))",
    "CREATE INDEX IF NOT EXISTS reviews_by_finished ON reviews (finished_at)",
    "CREATE INDEX IF NOT EXISTS reviews_by_outcome ON reviews (outcome, finished_at)",
    "CREATE TABLE IF NOT EXISTS acted (
        pr INTEGER PRIMARY KEY,
        merged INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        addressed INTEGER NOT NULL,
        updated_at INTEGER NOT NULL)",
    // Reactions on a closed PR's findings, beside `acted` (a table of its own:
    // adding columns to `acted` would need a versioned `ALTER TABLE`).
    "CREATE TABLE IF NOT EXISTS reactions (
        pr INTEGER PRIMARY KEY,
        liked INTEGER NOT NULL,
        disliked INTEGER NOT NULL,
        updated_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS learnings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule TEXT NOT NULL,
        path TEXT,
        category TEXT,
        title TEXT,
        source_pr INTEGER NOT NULL,
        source_comment INTEGER NOT NULL UNIQUE,
        author TEXT NOT NULL,
        created_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS replays (
        pr INTEGER NOT NULL,
        job_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        PRIMARY KEY (pr, job_id))",
];

const UPSERT_PR: &str = "INSERT INTO prs (number, installation, phase, paused, draft, head_sha, last_reviewed_sha, last_error, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(number) DO UPDATE SET installation = excluded.installation, phase = excluded.phase,
       paused = excluded.paused, draft = excluded.draft, head_sha = excluded.head_sha,
       last_reviewed_sha = excluded.last_reviewed_sha, last_error = excluded.last_error, updated_at = excluded.updated_at
     WHERE excluded.updated_at >= prs.updated_at";

// A row already there is left alone (and costs no write).
const INSERT_REVIEW: &str = "INSERT INTO reviews (pr, job_id, outcome, finished_at, head_sha, mode, queued_at, duration_ms, findings,
       tokens_in, tokens_out, cost_micro_usd, critical, high, medium, low, runs, note)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING";

// A reopened and closed again PR is counted again: the newest count wins.
const UPSERT_ACTED: &str = "INSERT INTO acted (pr, merged, findings, addressed, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(pr) DO UPDATE SET merged = excluded.merged, findings = excluded.findings, addressed = excluded.addressed,
       updated_at = excluded.updated_at
     WHERE excluded.updated_at >= acted.updated_at";

const UPSERT_REACTIONS: &str = "INSERT INTO reactions (pr, liked, disliked, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(pr) DO UPDATE SET liked = excluded.liked, disliked = excluded.disliked, updated_at = excluded.updated_at
     WHERE excluded.updated_at >= reactions.updated_at";

const INSERT_REPLAY: &str = "INSERT INTO replays (pr, job_id, at, actor) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";

const PRUNE_REVIEWS: &str = "DELETE FROM reviews WHERE rowid IN (SELECT rowid FROM reviews ORDER BY finished_at DESC, rowid DESC LIMIT -1 OFFSET ?)";
const PRUNE_PRS: &str = "DELETE FROM prs WHERE number IN (SELECT number FROM prs WHERE phase NOT IN ('debouncing', 'queued', 'running')
     ORDER BY updated_at DESC LIMIT -1 OFFSET ?)";
const PRUNE_ACTED: &str = "DELETE FROM acted WHERE pr IN (SELECT pr FROM acted ORDER BY updated_at DESC LIMIT -1 OFFSET ?)";
const PRUNE_REACTIONS: &str = "DELETE FROM reactions WHERE pr IN (SELECT pr FROM reactions ORDER BY updated_at DESC LIMIT -1 OFFSET ?)";
const PRUNE_REPLAYS: &str = "DELETE FROM replays WHERE rowid IN (SELECT rowid FROM replays ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?)";

/// The statements that apply `u`, in order.
pub fn update_statements(u: &RepoUpdate) -> Vec<Stmt> {
    let p = &u.pr;
    let mut out = vec![Stmt {
        sql: UPSERT_PR,
        args: vec![
            p.number.into(),
            p.installation.into(),
            p.phase.as_str().into(),
            p.paused.into(),
            p.draft.into(),
            p.head_sha.clone().into(),
            p.last_reviewed_sha.clone().into(),
            p.last_error.clone().into(),
            p.updated_at.into(),
        ],
    }];
    for r in &u.reviews {
        out.push(Stmt {
            sql: INSERT_REVIEW,
            args: vec![
                r.pr.into(),
                r.job_id.as_str().into(),
                r.outcome.as_str().into(),
                r.finished_at.into(),
                r.head_sha.as_str().into(),
                r.mode.as_str().into(),
                r.queued_at.into(),
                r.duration_ms.into(),
                r.findings.into(),
                r.tokens_in.into(),
                r.tokens_out.into(),
                r.cost_micro_usd.into(),
                r.critical.into(),
                r.high.into(),
                r.medium.into(),
                r.low.into(),
                r.runs.into(),
                r.note.clone().into(),
            ],
        });
    }
    for r in &u.replays {
        out.push(Stmt { sql: INSERT_REPLAY, args: vec![r.pr.into(), r.job_id.as_str().into(), r.at.into(), r.actor.as_str().into()] });
    }
    if let Some(a) = &u.acted {
        out.push(Stmt { sql: UPSERT_ACTED, args: vec![a.pr.into(), a.merged.into(), a.findings.into(), a.addressed.into(), p.updated_at.into()] });
        out.push(Stmt { sql: UPSERT_REACTIONS, args: vec![a.pr.into(), a.liked.into(), a.disliked.into(), p.updated_at.into()] });
    }
    out
}

/// The statements that enforce the bounds.
pub fn prune_statements() -> Vec<Stmt> {
    vec![
        Stmt { sql: PRUNE_REVIEWS, args: vec![u64::from(MAX_REVIEWS).into()] },
        Stmt { sql: PRUNE_PRS, args: vec![u64::from(MAX_SETTLED_PRS).into()] },
        Stmt { sql: PRUNE_REPLAYS, args: vec![u64::from(MAX_REPLAYS).into()] },
        Stmt { sql: PRUNE_ACTED, args: vec![u64::from(MAX_ACTED).into()] },
        Stmt { sql: PRUNE_REACTIONS, args: vec![u64::from(MAX_ACTED).into()] },
    ]
}

/// Decides when to prune: pruning reads the tables, so it runs on the first
/// update after the object starts and then every [`Pruner::EVERY`] updates,
/// which keeps the tables within a few dozen rows of their bounds.
#[derive(Clone, Debug, Default)]
pub struct Pruner {
    since: Option<u32>,
}

impl Pruner {
    pub const EVERY: u32 = 25;

    /// Counts one applied update; true when the prune statements should run now.
    pub fn after_update(&mut self) -> bool {
        match self.since {
            Some(n) if n + 1 < Self::EVERY => {
                self.since = Some(n + 1);
                false
            }
            _ => {
                self.since = Some(0);
                true
            }
        }
    }
}

// ----- queries -----------------------------------------------------------

/// A PR row as stored (SQLite has no booleans: 0/1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPr {
    pub number: u64,
    pub installation: Option<u64>,
    pub phase: String,
    pub paused: i64,
    pub draft: i64,
    pub head_sha: Option<String>,
    pub last_reviewed_sha: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: u64,
}

impl From<StoredPr> for PrRow {
    fn from(s: StoredPr) -> Self {
        PrRow {
            number: s.number,
            installation: s.installation,
            phase: s.phase,
            paused: s.paused != 0,
            draft: s.draft != 0,
            head_sha: s.head_sha,
            last_reviewed_sha: s.last_reviewed_sha,
            last_error: s.last_error,
            updated_at: s.updated_at,
        }
    }
}

/// A dead-lettered review with its replay, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterRow {
    pub pr: u64,
    pub job_id: String,
    pub head_sha: String,
    pub finished_at: u64,
    /// Why the queue gave up (the coordinator's note).
    pub note: Option<String>,
    pub replayed_at: Option<u64>,
    pub replayed_by: Option<String>,
}

/// Sums over the stored reviews that ran.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub reviews: u64,
    pub findings: Option<u64>,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    pub cost_micro_usd: Option<u64>,
}

#[cfg(test)]
const PR_COLUMNS: &str = "number, installation, phase, paused, draft, head_sha, last_reviewed_sha, last_error, updated_at";

pub const IN_FLIGHT_SQL: &str = "SELECT number, installation, phase, paused, draft, head_sha, last_reviewed_sha, last_error, updated_at
     FROM prs WHERE phase IN ('debouncing', 'queued', 'running') ORDER BY updated_at DESC LIMIT 100";
pub const RECENT_PRS_SQL: &str = "SELECT number, installation, phase, paused, draft, head_sha, last_reviewed_sha, last_error, updated_at
     FROM prs ORDER BY updated_at DESC LIMIT 50";
pub const RECENT_REVIEWS_SQL: &str = "SELECT pr, job_id, head_sha, mode, outcome, queued_at, finished_at, duration_ms, findings, tokens_in,
       tokens_out, cost_micro_usd, critical, high, medium, low, runs, note
     FROM reviews ORDER BY finished_at DESC, rowid DESC LIMIT 50";
pub const DEAD_LETTERS_SQL: &str = "SELECT r.pr AS pr, r.job_id AS job_id, r.head_sha AS head_sha, r.finished_at AS finished_at, r.note AS note,
       p.at AS replayed_at, p.actor AS replayed_by
     FROM reviews r LEFT JOIN replays p ON p.pr = r.pr AND p.job_id = r.job_id
     WHERE r.outcome = 'dead_lettered' ORDER BY r.finished_at DESC LIMIT 50";
pub const TOTALS_SQL: &str = "SELECT COUNT(*) AS reviews, SUM(findings) AS findings, SUM(tokens_in) AS tokens_in,
       SUM(tokens_out) AS tokens_out, SUM(cost_micro_usd) AS cost_micro_usd
     FROM reviews WHERE outcome IN ('posted', 'superseded', 'late')";

// ----- learnings -----------------------------------------------------------

const INSERT_LEARNING: &str = "INSERT INTO learnings (rule, path, category, title, source_pr, source_comment, author, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source_comment) DO NOTHING";
const PRUNE_LEARNINGS: &str = "DELETE FROM learnings WHERE id IN (SELECT id FROM learnings ORDER BY id DESC LIMIT -1 OFFSET ?)";
/// Every learning, oldest first (the numbering `@argusai learnings` shows).
pub const LEARNINGS_SQL: &str = "SELECT id, rule, path, category, title, source_pr, source_comment, author, created_at FROM learnings ORDER BY id";
/// The learning a comment taught (bound: the comment id).
pub const LEARNING_BY_COMMENT_SQL: &str =
    "SELECT id, rule, path, category, title, source_pr, source_comment, author, created_at FROM learnings WHERE source_comment = ?";
/// How many learnings have this id (bound: the id): 1 before a forget, 0 after.
pub const LEARNING_EXISTS_SQL: &str = "SELECT COUNT(*) AS n FROM learnings WHERE id = ?";

/// Stores a learning once per source comment (a retry stores nothing twice),
/// keeping the newest [`argus_core::learning::MAX_LEARNINGS`].
pub fn learn_statements(l: &argus_core::learning::Learning) -> Vec<Stmt> {
    vec![
        Stmt {
            sql: INSERT_LEARNING,
            args: vec![
                l.rule.as_str().into(),
                l.path.clone().into(),
                l.category.clone().into(),
                l.title.clone().into(),
                l.source_pr.into(),
                l.source_comment.into(),
                l.author.as_str().into(),
                l.created_at.into(),
            ],
        },
        Stmt { sql: PRUNE_LEARNINGS, args: vec![u64::from(argus_core::learning::MAX_LEARNINGS).into()] },
    ]
}

/// Removes the learning with this id.
pub fn forget_statement(id: u64) -> Stmt {
    Stmt { sql: "DELETE FROM learnings WHERE id = ?", args: vec![id.into()] }
}

/// Closed PRs whose findings count toward the repository's rate, at most.
pub const MAX_ACTED: u32 = 1000;

/// What the repository acts on: closed PRs with ArgusAI findings, and the findings addressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActedTotals {
    pub prs: u64,
    pub findings: u64,
    pub addressed: u64,
    /// Findings people gave a 👍, and a 👎.
    #[serde(default)]
    pub liked: u64,
    #[serde(default)]
    pub disliked: u64,
}

impl ActedTotals {
    /// The share of findings acted on, in whole percent; `None` before any.
    pub fn percent(&self) -> Option<u64> {
        (self.findings > 0).then(|| (self.addressed * 100 + self.findings / 2) / self.findings)
    }

    /// The acceptance rate: of the findings people reacted to with 👍 or 👎,
    /// the share with a 👍, in whole percent; `None` before any reaction.
    pub fn acceptance(&self) -> Option<u64> {
        let rated = self.liked + self.disliked;
        (rated > 0).then(|| (self.liked * 100 + rated / 2) / rated)
    }
}

pub const ACTED_SQL: &str = "SELECT COUNT(*) AS prs, COALESCE(SUM(findings), 0) AS findings, COALESCE(SUM(addressed), 0) AS addressed,
       COALESCE((SELECT SUM(liked) FROM reactions), 0) AS liked, COALESCE((SELECT SUM(disliked) FROM reactions), 0) AS disliked
     FROM acted WHERE findings > 0";

/// Everything the repository page lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub repo: String,
    pub in_flight: Vec<PrRow>,
    pub recent_prs: Vec<PrRow>,
    pub reviews: Vec<ReviewRow>,
    pub dead_letters: Vec<DeadLetterRow>,
    pub totals: Totals,
    /// Learnings kept for this repository, oldest first. `None`: not read.
    pub learnings: Option<Vec<argus_core::learning::Learning>>,
    /// The share of ArgusAI's findings this repository acted on.
    #[serde(default)]
    pub acted: ActedTotals,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruner_runs_first_then_every_25_updates() {
        let mut p = Pruner::default();
        let runs: Vec<usize> = (0..60).filter(|_| p.after_update()).collect();
        assert_eq!(runs.len(), 3);
        let mut p = Pruner::default();
        let at: Vec<u32> = (0..60u32).filter(|_| p.after_update()).collect();
        assert_eq!(at, [0, 25, 50]);
    }

    #[test]
    fn pr_columns_are_the_queries_columns() {
        assert!(IN_FLIGHT_SQL.contains(PR_COLUMNS) && RECENT_PRS_SQL.contains(PR_COLUMNS));
    }
}
