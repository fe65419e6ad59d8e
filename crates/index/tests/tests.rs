//! The index's statements and queries against a real SQLite (the engine behind
//! Durable Objects' SQL storage), fed by real coordinator states driven through
//! the state machine: upserts are idempotent, late updates never win, the
//! bounds hold, and the lists come back in the order the dashboard shows.

use argus_coordinator::machine::{Event, Outcome};
use argus_coordinator::operator::{OperatorAction, OperatorRequest};
use argus_coordinator::protocol::*;
use argus_coordinator::{Config, Coordinator, PrState};
use argus_core::error::ErrorClass;
use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrNumber, PrRef, RepoName, UnixMillis};
use argus_core::job::ReviewJob;
use argus_core::severity::SeverityCounts;
use argus_core::signal::{Inbound, Signal};
use argus_index::*;
use rusqlite::Connection;
use rusqlite::types::{Value, ValueRef};
use serde::de::DeserializeOwned;

const T0: u64 = 1_700_000_000_000;

fn db() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    for s in SCHEMA {
        c.execute(s, []).unwrap();
    }
    // Starting twice is harmless.
    for s in SCHEMA {
        c.execute(s, []).unwrap();
    }
    c
}

fn run(c: &Connection, stmts: &[Stmt]) {
    for s in stmts {
        let args: Vec<Value> = s
            .args
            .iter()
            .map(|a| match a {
                Arg::Null => Value::Null,
                Arg::Int(i) => Value::Integer(*i),
                Arg::Text(t) => Value::Text(t.clone()),
            })
            .collect();
        c.execute(s.sql, rusqlite::params_from_iter(args)).unwrap();
    }
}

/// Rows as JSON objects keyed by column name, then serde: the same path the
/// Durable Object shell takes (`cursor.toArray()` → serde).
fn query<T: DeserializeOwned>(c: &Connection, sql: &str) -> Vec<T> {
    let mut stmt = c.prepare(sql).unwrap();
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let rows = stmt
        .query_map([], |row| {
            let mut obj = serde_json::Map::new();
            for (i, n) in names.iter().enumerate() {
                let v = match row.get_ref(i)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(x) => x.into(),
                    ValueRef::Real(x) => x.into(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    ValueRef::Blob(_) => serde_json::Value::Null,
                };
                obj.insert(n.clone(), v);
            }
            Ok(serde_json::Value::Object(obj))
        })
        .unwrap();
    rows.map(|r| serde_json::from_value(r.unwrap()).unwrap()).collect()
}

fn count(c: &Connection, table: &str) -> u64 {
    c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

fn sha(label: &str) -> CommitSha {
    let hex: String = label.bytes().map(|b| format!("{b:02x}")).collect();
    CommitSha(format!("{hex:0>40}"))
}

/// A coordinator for `o/r#number` driven through a few reviews by the real machine.
struct Pr {
    m: Coordinator,
    now: u64,
    number: u64,
}

impl Pr {
    fn new(number: u64) -> Self {
        Pr { m: Coordinator::new(Config::with_debounce_secs(1)), now: T0, number }
    }
    fn pr(&self) -> PrRef {
        PrRef::new(RepoName::new("o", "r"), PrNumber(self.number))
    }
    fn send(&mut self, e: Event) -> Vec<ReviewJob> {
        self.now += 10;
        let step = self.m.handle(UnixMillis(self.now), e);
        step.enqueued().cloned().collect()
    }
    fn push(&mut self, head: &str) -> Vec<ReviewJob> {
        let signal = Signal::Review {
            trigger: PrAction::Opened,
            head_sha: sha(head),
            base_sha: sha("base"),
            base_ref: "main".into(),
            title: "t".into(),
            author: "a".into(),
            labels: vec![],
            draft: false,
        };
        let pr = self.pr();
        let mut jobs = self.send(Event::Inbound(Inbound {
            delivery: DeliveryId(format!("d-{head}")),
            received_at: UnixMillis(0),
            pr,
            installation: Some(InstallationId(7)),
            signal,
        }));
        if jobs.is_empty() {
            // Debounced: the alarm starts the job.
            self.now += 1_000;
            jobs = self.send(Event::AlarmFired);
        }
        jobs
    }
    /// A push without waiting for the debounce window.
    fn push_only(&mut self, head: &str) {
        let signal = Signal::Review {
            trigger: PrAction::Synchronize,
            head_sha: sha(head),
            base_sha: sha("base"),
            base_ref: "main".into(),
            title: "t".into(),
            author: "a".into(),
            labels: vec![],
            draft: false,
        };
        let pr = self.pr();
        self.send(Event::Inbound(Inbound {
            delivery: DeliveryId(format!("d-{head}")),
            received_at: UnixMillis(0),
            pr,
            installation: Some(InstallationId(7)),
            signal,
        }));
    }
    fn review(&mut self, head: &str, findings: u32) -> String {
        let jobs = self.push(head);
        let job = jobs.last().expect("a job").clone();
        let lease = match self.m.handle(UnixMillis(self.now), Event::LeaseRequested(LeaseRequest { job_id: job.job_id.clone(), attempt: 1 })).reply {
            argus_coordinator::Reply::Lease(LeaseReply::Granted { lease_id, .. }) => lease_id,
            other => panic!("{other:?}"),
        };
        self.now += 1500;
        let severities: SeverityCounts = std::iter::repeat_n(argus_core::severity::Severity::High, findings as usize).collect();
        let stats = ReviewStats {
            findings,
            tokens_in: 1000,
            tokens_out: 100,
            duration_ms: 1500,
            summary: format!("{findings} new finding(s)"),
            cost_micro_usd: Some(250),
            severities,
            subrequests: Default::default(),
        };
        self.send(Event::JobFinished(JobFinished {
            job_id: job.job_id.clone(),
            lease_id: lease,
            stats,
            finish: argus_coordinator::protocol::Finish::Posted,
            settings: Default::default(),
        }));
        job.job_id
    }
    fn dead_letter(&mut self, head: &str) -> String {
        let job = self.push(head).last().expect("a job").clone();
        self.send(Event::DeadLettered(DeadLettered { job_id: job.job_id.clone(), reason: "the review queue gave up after its retries".into() }));
        job.job_id
    }
    fn state(&self) -> &PrState {
        self.m.state()
    }
    fn update(&self) -> RepoUpdate {
        RepoUpdate::of(self.state(), UnixMillis(self.now)).unwrap()
    }
}

fn overview(c: &Connection) -> Overview {
    Overview {
        repo: "o/r".into(),
        in_flight: query::<StoredPr>(c, IN_FLIGHT_SQL).into_iter().map(Into::into).collect(),
        recent_prs: query::<StoredPr>(c, RECENT_PRS_SQL).into_iter().map(Into::into).collect(),
        reviews: query(c, RECENT_REVIEWS_SQL),
        dead_letters: query(c, DEAD_LETTERS_SQL),
        totals: query::<Totals>(c, TOTALS_SQL).pop().unwrap(),
        learnings: None,
        acted: query::<ActedTotals>(c, ACTED_SQL).pop().unwrap(),
    }
}

#[test]
fn closed_prs_findings_sum_into_the_repositorys_acted_on_rate() {
    let c = db();
    assert_eq!(overview(&c).acted, ActedTotals::default());
    assert_eq!(ActedTotals::default().percent(), None);
    let mut counts = Vec::new();
    for (number, findings, addressed, liked, disliked) in [(1, 3, 1, 2, 1), (2, 2, 2, 1, 0), (3, 0, 0, 0, 0)] {
        let mut pr = Pr::new(number);
        pr.review("h1", findings);
        pr.send(Event::Inbound(Inbound {
            delivery: DeliveryId(format!("close-{number}")),
            received_at: UnixMillis(0),
            pr: pr.pr(),
            installation: Some(InstallationId(7)),
            signal: Signal::Closed { merged: true },
        }));
        // Before the count arrives the PR has none; the count is idempotent.
        assert_eq!(pr.update().acted, None);
        pr.send(Event::Acted(ActedOn { merged: true, findings, addressed, liked, disliked }));
        run(&c, &update_statements(&pr.update()));
        run(&c, &update_statements(&pr.update()));
        counts.push(pr);
    }
    let acted = overview(&c).acted;
    // A PR without findings does not count toward the rate.
    assert_eq!(acted, ActedTotals { prs: 2, findings: 5, addressed: 3, liked: 3, disliked: 1 });
    assert_eq!(acted.percent(), Some(60));
    // 👍 on 3 of the 4 findings people reacted to.
    assert_eq!(acted.acceptance(), Some(75));
    assert_eq!(ActedTotals::default().acceptance(), None);
    // A late, older update of the first PR never wins over the newer count.
    let mut old = counts[0].update();
    old.pr.updated_at = 1;
    old.acted.as_mut().unwrap().addressed = 0;
    run(&c, &update_statements(&old));
    assert_eq!(overview(&c).acted.addressed, 3);
    run(&c, &prune_statements());
    assert_eq!(count(&c, "acted"), 3);
    assert_eq!(count(&c, "reactions"), 3);
}

#[test]
fn a_prs_reviews_and_dead_letters_are_listed() {
    let c = db();
    let mut pr = Pr::new(1);
    pr.review("h1", 2);
    let dead = pr.dead_letter("h2");
    run(&c, &update_statements(&pr.update()));
    let o = overview(&c);
    assert_eq!(o.recent_prs.len(), 1);
    assert_eq!((o.recent_prs[0].phase.as_str(), o.recent_prs[0].installation), ("failed", Some(7)));
    assert!(o.in_flight.is_empty());
    assert_eq!(o.reviews.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(), ["dead_lettered", "posted"], "newest first");
    let posted = &o.reviews[1];
    assert_eq!((posted.findings, posted.high, posted.cost_micro_usd, posted.duration_ms), (Some(2), 2, Some(250), Some(1500)));
    assert_eq!(o.dead_letters.len(), 1);
    assert_eq!(o.dead_letters[0].job_id, dead);
    assert!(o.dead_letters[0].note.as_deref().unwrap().contains("dead-lettered"), "{:?}", o.dead_letters[0].note);
    assert_eq!(o.dead_letters[0].replayed_by, None);
    assert_eq!(o.totals, Totals { reviews: 1, findings: Some(2), tokens_in: Some(1000), tokens_out: Some(100), cost_micro_usd: Some(250) });

    // The replay shows up next to its dead letter.
    pr.send(Event::Operator(OperatorRequest { action: OperatorAction::Replay { job_id: dead.clone() }, actor: "alice".into() }));
    run(&c, &update_statements(&pr.update()));
    let o = overview(&c);
    assert_eq!(o.dead_letters[0].replayed_by.as_deref(), Some("alice"));
    assert_eq!(o.in_flight.iter().map(|p| p.phase.as_str()).collect::<Vec<_>>(), ["queued"]);
}

#[test]
fn updates_are_idempotent_and_a_late_one_never_wins() {
    let c = db();
    let mut pr = Pr::new(3);
    pr.review("h1", 1);
    let old = pr.update();
    pr.push_only("h2");
    let new = pr.update();
    run(&c, &update_statements(&new));
    run(&c, &update_statements(&new));
    // The older update arrives last (two deferred sends crossed).
    run(&c, &update_statements(&old));
    let o = overview(&c);
    assert_eq!(o.recent_prs[0].head_sha.as_deref(), Some(sha("h2").as_str()));
    assert_eq!(o.recent_prs[0].phase, "debouncing");
    assert_eq!(count(&c, "reviews"), 1);
}

#[test]
fn the_bounds_hold_and_prs_in_flight_are_kept() {
    let c = db();
    // One PR still in flight, updated long ago, then many settled PRs and reviews.
    let mut busy = Pr::new(1);
    busy.push("b1");
    run(&c, &update_statements(&busy.update()));
    let mut pruner = Pruner::default();
    for n in 2..(2 + u64::from(MAX_SETTLED_PRS) + 40) {
        let mut pr = Pr::new(n);
        pr.now += n * 10_000;
        for i in 0..2 {
            pr.review(&format!("h{n}-{i}"), 1);
        }
        run(&c, &update_statements(&pr.update()));
        if pruner.after_update() {
            run(&c, &prune_statements());
        }
    }
    run(&c, &prune_statements());
    assert_eq!(count(&c, "reviews"), u64::from(MAX_REVIEWS));
    assert_eq!(count(&c, "prs"), u64::from(MAX_SETTLED_PRS) + 1);
    let o = overview(&c);
    assert_eq!(o.in_flight.iter().map(|p| p.number).collect::<Vec<_>>(), [1], "the PR in flight survives pruning");
    assert_eq!(o.reviews.len(), LIST_LIMIT as usize);
    assert!(o.reviews.windows(2).all(|w| w[0].finished_at >= w[1].finished_at));
    let newest_pr = 2 + u64::from(MAX_SETTLED_PRS) + 39;
    assert_eq!(o.reviews[0].pr, newest_pr);
}

#[test]
fn updates_before_the_pr_is_known_are_none_and_fingerprints_ignore_the_send_time() {
    assert!(RepoUpdate::of(&PrState::default(), UnixMillis(1)).is_none());
    let mut pr = Pr::new(5);
    pr.review("h1", 0);
    let a = RepoUpdate::of(pr.state(), UnixMillis(1)).unwrap();
    let b = RepoUpdate::of(pr.state(), UnixMillis(2)).unwrap();
    assert_ne!(a, b);
    assert_eq!(a.fingerprint(), b.fingerprint());
    pr.push_only("h2");
    assert_ne!(pr.update().fingerprint(), a.fingerprint());
    // The failed-attempt path leaves its reason in the row.
    let mut f = Pr::new(6);
    let job = f.push("x").pop().unwrap();
    let lease = match f.m.handle(UnixMillis(f.now), Event::LeaseRequested(LeaseRequest { job_id: job.job_id.clone(), attempt: 1 })).reply {
        argus_coordinator::Reply::Lease(LeaseReply::Granted { lease_id, .. }) => lease_id,
        other => panic!("{other:?}"),
    };
    f.send(Event::JobFailed(JobFailed { job_id: job.job_id, lease_id: lease, class: ErrorClass::Permanent, reason: "repository gone".into() }));
    let u = f.update();
    assert_eq!((u.pr.phase.as_str(), u.pr.last_error.as_deref()), ("failed", Some("repository gone")));
    assert_eq!(u.reviews[0].outcome, serde_json::to_value(Outcome::Failed).unwrap().as_str().unwrap());
}

#[test]
fn history_since_a_mark_is_what_the_last_event_recorded() {
    let mut pr = Pr::new(8);
    assert!(history_since(pr.state(), None).is_empty());
    pr.review("h1", 1);
    let mark = history_mark(pr.state());
    assert_eq!(history_since(pr.state(), None).len(), 1);
    assert!(history_since(pr.state(), mark.as_ref()).is_empty());
    pr.dead_letter("h2");
    let new = history_since(pr.state(), mark.as_ref());
    assert_eq!(new.iter().map(|h| h.outcome).collect::<Vec<_>>(), [Outcome::DeadLettered]);
}

fn query_args<T: DeserializeOwned>(c: &Connection, sql: &str, arg: i64) -> Vec<T> {
    let mut stmt = c.prepare(sql).unwrap();
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let rows = stmt
        .query_map([arg], |row| {
            let mut obj = serde_json::Map::new();
            for (i, n) in names.iter().enumerate() {
                let v = match row.get_ref(i)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(x) => x.into(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    _ => serde_json::Value::Null,
                };
                obj.insert(n.clone(), v);
            }
            Ok(serde_json::Value::Object(obj))
        })
        .unwrap();
    rows.map(|r| serde_json::from_value(r.unwrap()).unwrap()).collect()
}

#[test]
fn learnings_are_stored_once_per_comment_listed_in_order_forgotten_and_bounded() {
    use argus_core::learning::{Learning, MAX_LEARNINGS};
    let c = db();
    let learning = |comment: u64| Learning {
        id: 0,
        rule: format!("rule {comment}"),
        path: None,
        category: Some("bug".into()),
        title: Some("Unused variable".into()),
        source_pr: 3,
        source_comment: comment,
        author: "octocat".into(),
        created_at: T0 + comment,
    };
    run(&c, &learn_statements(&learning(10)));
    run(&c, &learn_statements(&learning(10)));
    run(&c, &learn_statements(&learning(11)));
    let all: Vec<Learning> = query(&c, LEARNINGS_SQL);
    assert_eq!(all.iter().map(|l| l.source_comment).collect::<Vec<_>>(), [10, 11], "once per comment, oldest first");
    let stored: Vec<Learning> = query_args(&c, LEARNING_BY_COMMENT_SQL, 11);
    assert_eq!(stored[0].rule, "rule 11");
    assert_eq!(stored[0].path, None);
    let id = all[0].id as i64;
    assert_eq!(query_args::<serde_json::Value>(&c, LEARNING_EXISTS_SQL, id)[0]["n"], 1);
    run(&c, &[forget_statement(all[0].id)]);
    assert_eq!(query_args::<serde_json::Value>(&c, LEARNING_EXISTS_SQL, id)[0]["n"], 0);
    for k in 0..(u64::from(MAX_LEARNINGS) + 5) {
        run(&c, &learn_statements(&learning(100 + k)));
    }
    assert_eq!(count(&c, "learnings"), u64::from(MAX_LEARNINGS));
}
