//! The App's identity and authorship: only what ArgusAI's bot user wrote counts
//! as ArgusAI's, whatever markers others paste; and repository permissions.

use super::*;
use argus_core::keys::{AppIdentityKey, KvKey, RepoPermissionKey};
use argus_github::fake::FakeComment;
use argus_github::marker::NOTE_MARKER;

const REPO: &str = "octo/hello";

#[test]
fn the_app_identity_is_asked_once_and_kept_in_the_cache() {
    let e = env();
    let me = block_on(e.gh.app_identity()).unwrap();
    assert_eq!(me, AppIdentity::new(APP_ID, "argusai"));
    assert_eq!(me.bot_login(), "argusai[bot]");
    block_on(e.gh.app_identity()).unwrap();
    assert_eq!(e.fake.count(Method::Get, "/app"), 1, "in memory for the client's life");
    // The JWT, not an installation token, authenticates `GET /app`.
    let req = e.fake.state.borrow().last_request.clone().unwrap();
    let auth = req.headers.iter().find(|(k, _)| k == "authorization").unwrap().1.clone();
    assert_eq!(auth.matches('.').count(), 2, "a JWT: {auth}");

    // A client with a cache seam (KV in the Worker) stores the identity for the next one.
    let cache = MemoryTokenCache::default();
    let key = AppIdentityKey { app_id: APP_ID };
    let signer = || JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).unwrap();
    let first = GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), e.fake.clone(), e.clock.clone(), signer(), cache);
    block_on(first.app_identity()).unwrap();
    let stored = block_on(first.token_cache().get_value(&key));
    assert_eq!(stored.as_deref(), Some(r#"{"id":4242,"slug":"argusai"}"#));
    assert_eq!(key.ttl_secs(), Some(86_400));
    assert_eq!(e.fake.count(Method::Get, "/app"), 2);
}

#[test]
fn a_cached_identity_needs_no_request() {
    let e = env();
    let cache = MemoryTokenCache::default();
    block_on(cache.put_value(&AppIdentityKey { app_id: APP_ID }, &AppIdentity::new(APP_ID, "argusai").to_kv_value()));
    let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).unwrap();
    let gh = GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), e.fake.clone(), e.clock.clone(), signer, cache);
    assert_eq!(block_on(gh.app_identity()).unwrap().slug, "argusai");
    assert_eq!(e.fake.count(Method::Get, "/app"), 0);
}

#[test]
fn a_review_marker_pasted_by_the_pr_author_does_not_suppress_the_review() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    // The author copies ArgusAI's marker for this very head into their own review.
    e.fake.add_review_by("mona", REPO, 7, "COMMENTED", &format!("LGTM {}", review_marker(&head())), vec![]);
    let out = block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "Summary", good_comments())).unwrap();
    assert!(matches!(out, ReviewOutcome::Posted { inline: 6, .. }), "{out:?}");
    let own = block_on(e.gh.installation(INST).own_reviews(&pr_ref())).unwrap();
    assert_eq!(own.len(), 1, "only ArgusAI's review is its own");
    assert_eq!(own[0].user.as_ref().unwrap().login, "argusai[bot]");
    assert_eq!(block_on(e.gh.installation(INST).reviews(&pr_ref())).unwrap().len(), 2);
    // And ArgusAI's own marker still prevents a double post.
    let again = block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "Summary", good_comments())).unwrap();
    assert!(matches!(again, ReviewOutcome::AlreadyPosted { .. }), "{again:?}");
}

#[test]
fn someone_elses_pending_review_with_a_probe_marker_is_left_alone() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    let theirs = e.fake.add_review_by("mona", REPO, 7, "PENDING", PROBE_MARKER, vec![]);
    block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "S", good_comments())).unwrap();
    assert_eq!(e.fake.count(Method::Delete, "/reviews/"), 0);
    assert!(e.fake.state.borrow().reviews.iter().any(|r| r.id == theirs));
}

#[test]
fn a_summary_marker_in_someone_elses_comment_is_not_the_summary() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    let theirs = e.fake.add_issue_comment_by("mona", REPO, 7, &format!("fake summary {SUMMARY_MARKER}"));
    let inst = e.gh.installation(INST);
    let first = block_on(inst.upsert_summary(&pr_ref(), "3 findings")).unwrap();
    let SummaryOutcome::Created { comment_id } = first else { panic!("{first:?}") };
    assert_ne!(comment_id, theirs);
    assert_eq!(block_on(inst.upsert_summary(&pr_ref(), "2 findings")).unwrap(), SummaryOutcome::Updated { comment_id });
    let s = e.fake.state.borrow();
    let mine: Vec<&FakeComment> = s.issue_comments.iter().filter(|c| c.user == "argusai[bot]").collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(s.issue_comments.iter().find(|c| c.id == theirs).unwrap().body, format!("fake summary {SUMMARY_MARKER}"), "their words untouched");
    drop(s);
    // The note and summary are ArgusAI's own conversation comments; Mona's is not.
    block_on(inst.post_note(&pr_ref(), "Paused")).unwrap();
    let own = block_on(inst.own_issue_comments(&pr_ref())).unwrap();
    assert_eq!(own.len(), 2);
    assert!(own.iter().any(|c| c.body.as_deref().unwrap().contains(NOTE_MARKER)));
    assert_eq!(block_on(inst.issue_comments(&pr_ref())).unwrap().len(), 3);
}

#[test]
fn comment_markers_count_only_on_argusais_inline_comments() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    // A human pastes the comment marker into an inline comment, to poison dedupe.
    e.fake.add_review_by(
        "mona",
        REPO,
        7,
        "COMMENTED",
        "review",
        vec![json!({ "path": "src/app.rs", "line": 2024, "side": "RIGHT", "body": format!("fingerprint: deadbeef {COMMENT_MARKER}") })],
    );
    let inst = e.gh.installation(INST);
    block_on(inst.post_review(&pr_ref(), &head(), "S", good_comments())).unwrap();
    let own = block_on(inst.own_review_comments(&pr_ref())).unwrap();
    assert_eq!(own.len(), 6);
    assert!(own.iter().all(|c| !c.body.contains("deadbeef")));
    let all = block_on(inst.review_comments(&pr_ref())).unwrap();
    assert_eq!(all.len(), 7);
    let human = all.iter().find(|c| c.body.contains("deadbeef")).unwrap();
    assert_eq!(human.user.as_ref().map(|u| (u.login.as_str(), u.kind.as_deref())), Some(("mona", Some("User"))));
    assert!(human.created_at.is_some() && human.pull_request_review_id.is_some());
}

#[test]
fn a_renamed_app_is_recognised_by_its_new_slug() {
    let e = env();
    let mut fake = e.fake.clone();
    fake.app_slug = "argus-review".into();
    let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).unwrap();
    let gh = GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), fake.clone(), e.clock.clone(), signer, MemoryTokenCache::default());
    fake.add_pull_request(fake_pr(vec![]));
    // A comment by the old bot name is someone else now.
    fake.add_issue_comment_by("argusai[bot]", REPO, 7, &format!("old {SUMMARY_MARKER}"));
    let out = block_on(gh.installation(INST).upsert_summary(&pr_ref(), "new")).unwrap();
    assert!(matches!(out, SummaryOutcome::Created { .. }), "{out:?}");
    assert_eq!(fake.state.borrow().issue_comments.last().unwrap().user, "argus-review[bot]");
}

#[test]
fn write_access_follows_githubs_roles_and_is_cached_briefly() {
    let e = env();
    let repo = pr_ref().repo;
    e.fake.set_permission(REPO, "ada", "admin", Some("admin"));
    e.fake.set_permission(REPO, "mai", "write", Some("maintain"));
    e.fake.set_permission(REPO, "wes", "write", Some("write"));
    e.fake.set_permission(REPO, "tri", "read", Some("triage"));
    e.fake.set_permission(REPO, "red", "read", Some("read"));
    e.fake.set_permission(REPO, "cus", "write", Some("security-team"));
    e.fake.set_permission(REPO, "non", "none", None);
    let inst = e.gh.installation(INST);
    let cases = [
        ("ada", true),
        ("mai", true),
        ("wes", true),
        ("cus", true),
        ("tri", false),
        ("red", false),
        ("non", false),
        ("ghost", false),
        ("dependabot[bot]", false),
    ];
    for (login, want) in cases {
        assert_eq!(block_on(inst.has_write(&repo, login)).unwrap(), want, "{login}");
    }
    let p = block_on(inst.permission(&repo, "mai")).unwrap();
    assert_eq!((p.permission.as_str(), p.role_name.as_deref()), ("write", Some("maintain")));
    assert_eq!(block_on(inst.permission(&repo, "ghost")).unwrap().permission, "none", "unknown users (404) have none");
    // Cached: asking again within the TTL costs nothing, and logins are case-insensitive.
    let asked = e.fake.count(Method::Get, "/permission");
    assert!(block_on(inst.has_write(&repo, "ADA")).unwrap());
    assert!(!block_on(inst.has_write(&repo, "tri")).unwrap());
    assert_eq!(e.fake.count(Method::Get, "/permission"), asked);
    // A revoked permission is seen once the TTL has passed.
    e.fake.set_permission(REPO, "ada", "read", Some("read"));
    e.clock.advance_secs(RepoPermissionKey::TTL_SECS + 1);
    assert!(!block_on(inst.has_write(&repo, "ada")).unwrap());
    assert_eq!(e.fake.count(Method::Get, "/permission"), asked + 1);
    assert!(!block_on(inst.has_write(&repo, "")).unwrap(), "no login, no request");
    assert_eq!(e.fake.count(Method::Get, "/permission"), asked + 1);
}

#[test]
fn permissions_are_shared_through_the_cache_seam_with_their_expiry() {
    let e = env();
    let repo = pr_ref().repo;
    e.fake.set_permission(REPO, "wes", "write", None);
    assert!(block_on(e.gh.installation(INST).has_write(&repo, "wes")).unwrap());
    let key = RepoPermissionKey { repo: repo.clone(), login: "wes".into() };
    let stored = block_on(e.gh.token_cache().get_value(&key)).expect("stored through the seam");
    let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(v["write"], true);
    assert_eq!(v["expires_at_ms"], T0.plus_secs(RepoPermissionKey::TTL_SECS).0);
}
