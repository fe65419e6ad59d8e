//! The pages rendered from views built by the real coordinator, index and
//! configuration code, snapshotted (insta) so a change to what maintainers see
//! shows up in review; plus the structural checks a browser test would make:
//! every form field labelled, every action form carrying the CSRF token, nothing
//! loaded from elsewhere, every value escaped.

use argus_config::{Sources, resolve_traced};
use argus_coordinator::machine::Event;
use argus_coordinator::operator::{OperatorAction, OperatorRequest};
use argus_coordinator::protocol::*;
use argus_coordinator::{Config, Coordinator, StatusView};
use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrNumber, PrRef, RepoName, UnixMillis};
use argus_core::severity::Severity;
use argus_core::signal::{Inbound, Signal};
use argus_dashboard::access::{InstallationAccess, RepoAccess, Role};
use argus_dashboard::html::Viewer;
use argus_dashboard::pages;
use argus_dashboard::views::{ConfigView, HomeView, PrView, RepoView};
use argus_index::{DeadLetterRow, Overview, PrRow, RepoUpdate, Totals};

const T0: u64 = 1_700_000_000_000;

fn sha(label: &str) -> CommitSha {
    let hex: String = label.bytes().map(|b| format!("{b:02x}")).collect();
    CommitSha(format!("{hex:0<40}"))
}

/// `o/r#7`: one review posted with findings, one dead-lettered job, one replay refused.
fn coordinator() -> (Coordinator, u64) {
    let mut m = Coordinator::new(Config::with_debounce_secs(1));
    let mut now = T0;
    let pr = PrRef::new(RepoName::new("o", "r"), PrNumber(7));
    let send = |m: &mut Coordinator, now: &mut u64, e: Event| {
        *now += 1000;
        m.handle(UnixMillis(*now), e)
    };
    let review = |head: &str, d: &str| {
        Event::Inbound(Inbound {
            delivery: DeliveryId(d.into()),
            received_at: UnixMillis(0),
            pr: pr.clone(),
            installation: Some(InstallationId(7)),
            signal: Signal::Review {
                trigger: PrAction::Opened,
                head_sha: sha(head),
                base_sha: sha("base"),
                base_ref: "main".into(),
                title: "t".into(),
                author: "a".into(),
                labels: vec![],
                draft: false,
            },
        })
    };
    let job = send(&mut m, &mut now, review("h1", "d1")).enqueued().next().unwrap().clone();
    let lease = match send(&mut m, &mut now, Event::LeaseRequested(LeaseRequest { job_id: job.job_id.clone(), attempt: 1 })).reply {
        argus_coordinator::Reply::Lease(LeaseReply::Granted { lease_id, .. }) => lease_id,
        other => panic!("{other:?}"),
    };
    let stats = ReviewStats {
        findings: 2,
        tokens_in: 4200,
        tokens_out: 380,
        duration_ms: 2300,
        summary: "2 new finding(s)".into(),
        cost_micro_usd: Some(860),
        severities: [Severity::High, Severity::Low].into_iter().collect(),
        subrequests: Default::default(),
    };
    send(
        &mut m,
        &mut now,
        Event::JobFinished(JobFinished {
            job_id: job.job_id,
            lease_id: lease,
            stats,
            finish: argus_coordinator::protocol::Finish::Posted,
            settings: Default::default(),
        }),
    );
    send(&mut m, &mut now, review("h2", "d2"));
    now += 2000;
    let job = send(&mut m, &mut now, Event::AlarmFired).enqueued().next().unwrap().clone();
    send(
        &mut m,
        &mut now,
        Event::DeadLettered(DeadLettered { job_id: job.job_id.clone(), reason: "the review queue gave up after its retries".into() }),
    );
    send(&mut m, &mut now, Event::Operator(OperatorRequest { action: OperatorAction::Review, actor: "alice".into() }));
    (m, now)
}

fn viewer() -> Viewer<'static> {
    Viewer { login: "alice", csrf: "CSRF-TOKEN" }
}

/// Every `<input>` that is not hidden has a `<label for=…>`; every POST form carries the CSRF token.
fn check_structure(page: &str) {
    for (i, _) in page.match_indices("<input ") {
        let tag = &page[i..i + page[i..].find('>').unwrap()];
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag.split("id=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_else(|| panic!("input without id: {tag}"));
        assert!(page.contains(&format!("<label for=\"{id}\"")), "input #{id} has no label");
    }
    let posts = page.matches("method=\"post\"").count();
    let with_token = page.matches("name=\"csrf\" value=\"CSRF-TOKEN\"").count();
    assert!(posts == 0 || with_token == posts, "{posts} POST forms, {with_token} with the CSRF token");
    for never in ["<script", "src=\"http", "href=\"http://", "@import"] {
        assert!(!page.contains(never), "{never}");
    }
    assert!(page.contains("<meta name=\"viewport\"") && page.contains("<h1>"));
}

#[test]
fn home_page() {
    let v = HomeView {
        login: "alice".into(),
        min_role: Role::Maintain,
        installations: vec![InstallationAccess {
            id: 7,
            account: "o".into(),
            repos: vec![RepoAccess { full_name: "o/r".into(), role: Role::Admin, private: true }],
            truncated: false,
        }],
    };
    let page = pages::home(&v, &viewer());
    check_structure(&page);
    assert!(page.contains("<a href=\"/dashboard/o/r\">o/r</a>"));
    let empty = pages::home(&HomeView { installations: vec![], ..v }, &viewer());
    assert!(empty.contains("No repository to show"));
}

#[test]
fn repo_page() {
    let (m, now) = coordinator();
    let update = RepoUpdate::of(m.state(), UnixMillis(now)).unwrap();
    let dead = update.reviews.iter().find(|r| r.outcome == "dead_lettered").unwrap();
    let overview = Overview {
        repo: "o/r".into(),
        in_flight: vec![PrRow { number: 9, phase: "running".into(), ..update.pr.clone() }],
        recent_prs: vec![update.pr.clone()],
        reviews: update.reviews.iter().rev().cloned().collect(),
        dead_letters: vec![DeadLetterRow {
            pr: 7,
            job_id: dead.job_id.clone(),
            head_sha: dead.head_sha.clone(),
            finished_at: dead.finished_at,
            note: dead.note.clone(),
            replayed_at: None,
            replayed_by: None,
        }],
        totals: Totals { reviews: 1, findings: Some(2), tokens_in: Some(4200), tokens_out: Some(380), cost_micro_usd: Some(860) },
        learnings: Some(vec![argus_core::learning::Learning {
            id: 3,
            rule: "Do not report \"Unused variable\" (bug): a maintainer said it does not apply <here>.".into(),
            path: None,
            category: Some("bug".into()),
            title: Some("Unused variable".into()),
            source_pr: 7,
            source_comment: 70,
            author: "octocat".into(),
            created_at: 0,
        }]),
        acted: argus_index::ActedTotals { prs: 7, findings: 25, addressed: 16, liked: 6, disliked: 2 },
    };
    let env = vec![("MAX_FILES_PER_REVIEW".to_string(), "40".to_string())];
    let traced = resolve_traced(&Sources {
        env: &env,
        kv_global_defaults: None,
        kv_repo: Some("profile = \"quiet\""),
        base_branch_toml: Some("max_files = 0\nlanguage = \"Deutsch\""),
    });
    let v = RepoView {
        repo: "o/r".into(),
        role: Some(Role::Maintain),
        overview,
        config: ConfigView::of(&traced, Some("main".into()), true, vec![]),
        now,
    };
    let page = pages::repo(&v, &viewer());
    check_structure(&page);
    assert!(
        page.contains("<li>Do not report &quot;Unused variable&quot; (bug): a maintainer said it does not apply &lt;here&gt;. <span class=\"muted\">· from #7 by octocat</span></li>"),
        "learnings are listed, escaped"
    );
    assert!(page.contains("<dt>Findings acted on</dt><dd>64 % (16 of 25 findings, 7 closed pull requests)</dd>"));
    assert!(page.contains("<dt>Acceptance (👍 of 👍 + 👎)</dt><dd>75 % (👍 on 6, 👎 on 2 findings)</dd>"), "{page}");
    assert!(page.contains("name=\"action\" value=\"replay\""), "the dead letter can be replayed from here");
    insta::assert_snapshot!("repo_page", page.replace("><", ">\n<"));
    insta::assert_json_snapshot!("repo_view", v);
}

#[test]
fn pr_page() {
    let (m, now) = coordinator();
    let status = StatusView::of(m.state(), m.next_wakeup(), UnixMillis(now)).unwrap();
    let v = PrView { repo: "o/r".into(), number: 7, role: Some(Role::Maintain), status };
    let flash = v.status.operator_log.last().cloned();
    let page = pages::pr(&v, &viewer(), flash.as_ref());
    check_structure(&page);
    for action in ["review", "full_review", "pause", "replay"] {
        assert!(page.contains(&format!("name=\"action\" value=\"{action}\"")), "{action}");
    }
    insta::assert_snapshot!("pr_page", page.replace("><", ">\n<"));
}

#[test]
fn hostile_values_are_escaped() {
    let (mut m, mut now) = coordinator();
    now += 1000;
    m.handle(
        UnixMillis(now),
        Event::Operator(OperatorRequest { action: OperatorAction::Replay { job_id: "<img src=x>".into() }, actor: "<b>".into() }),
    );
    let status = StatusView::of(m.state(), None, UnixMillis(now)).unwrap();
    let page = pages::pr(
        &PrView { repo: "o/r".into(), number: 7, role: Some(Role::Admin), status },
        &Viewer { login: "\"><script>", csrf: "CSRF-TOKEN" },
        None,
    );
    assert!(!page.contains("<img src=x>") && !page.contains("<b>") && !page.contains("<script>"));
    assert!(page.contains("&lt;img src=x&gt;"));
}
