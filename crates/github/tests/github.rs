//! Native tests of the GitHub client against the in-memory GitHub: auth and
//! token caching, pagination, error classification, the review flow (bisecting
//! bad anchors, never double-posting), summary, check runs and reactions; then,
//! in the modules below, batched contents, the App's identity and authorship,
//! permissions, and review threads.

#[path = "github/contents.rs"]
mod contents;
#[path = "github/conversation.rs"]
mod conversation;
#[path = "github/identity.rs"]
mod identity;

use argus_core::error::{Classify, ErrorClass};
use argus_core::http::{HttpResponse, Method};
use argus_core::ids::{CommitSha, InstallationId, PrNumber, PrRef, RepoName, UnixMillis};
use argus_core::secret::SecretString;
use argus_github::RejectedComment;
use argus_github::auth::{AppJwtClaims, JwtSigner, JwtSimpleSigner, MemoryTokenCache, TokenCache};
use argus_github::error::classify_response;
use argus_github::fake::{FAKE_API_URL, FakeClock, FakeFile, FakeGitHub, FakePr, FakeReview, Fault, split_unified_diff};
use argus_github::marker::{COMMENT_MARKER, PROBE_MARKER, SUMMARY_MARKER, review_marker};
use argus_github::*;
use futures_executor::block_on;
use jwt_simple::prelude::{Duration, NoCustomClaims, RS256PublicKey, RSAPublicKeyLike, VerificationOptions};
use serde_json::json;
use std::path::PathBuf;

const APP_ID: u64 = 4242;
const T0: UnixMillis = UnixMillis(1_764_000_000_000);
const HEAD: &str = "1111111111111111111111111111111111111111";
const BASE: &str = "2222222222222222222222222222222222222222";
const INST: InstallationId = InstallationId(77);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures").join(name)).expect("fixture")
}
fn corpus_diff(name: &str) -> String {
    // Some real diffs hold Latin-1 bytes; GitHub's JSON carries them as replacement characters too.
    String::from_utf8_lossy(&std::fs::read(repo_root().join("../shared/corpora/diffs/real").join(name)).expect("corpus diff")).into_owned()
}

type Client = GitHub<FakeGitHub, FakeClock, JwtSimpleSigner, MemoryTokenCache>;

struct Env {
    clock: FakeClock,
    fake: FakeGitHub,
    gh: Client,
}

fn env() -> Env {
    let clock = FakeClock::at(T0);
    let fake = FakeGitHub::new(clock.clone(), APP_ID, &fixture("test-app-key.pub.pem"));
    let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).expect("test key");
    let gh = GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), fake.clone(), clock.clone(), signer, MemoryTokenCache::default());
    Env { clock, fake, gh }
}

fn pr_ref() -> PrRef {
    PrRef::new(RepoName::new("octo", "hello"), PrNumber(7))
}
fn head() -> CommitSha {
    CommitSha(HEAD.into())
}

fn fake_pr(files: Vec<FakeFile>) -> FakePr {
    FakePr {
        owner: "octo".into(),
        repo: "hello".into(),
        number: 7,
        head_sha: HEAD.into(),
        base_sha: BASE.into(),
        draft: false,
        state: "open".into(),
        author: "mona".into(),
        files,
    }
}

/// The real ripgrep commit with a binary file among its five.
fn ripgrep_pr() -> FakePr {
    fake_pr(split_unified_diff(&corpus_diff("ripgrep-0b04553affdb.diff")))
}

fn verify(token: &str, pem: &str, now: UnixMillis) -> jwt_simple::prelude::JWTClaims<NoCustomClaims> {
    let key = RS256PublicKey::from_pem(pem).expect("public key");
    let opts = VerificationOptions { artificial_time: Some(Duration::from_secs(now.secs())), ..Default::default() };
    key.verify_token::<NoCustomClaims>(token, Some(opts)).expect("valid signature and times")
}

// ---------- auth ----------

#[test]
fn jwt_claims_and_signature_verify_with_the_public_key_for_pkcs1_and_pkcs8() {
    for key_file in ["test-app-key.pem", "test-app-key.pkcs8.pem"] {
        let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture(key_file))).expect(key_file);
        let claims = AppJwtClaims::new(APP_ID, T0);
        let token = block_on(signer.sign(&claims)).expect("sign");
        let verified = verify(&token, &fixture("test-app-key.pub.pem"), T0);
        assert_eq!(verified.issuer.as_deref(), Some("4242"), "{key_file}");
        assert_eq!(verified.issued_at.map(|d| d.as_secs()), Some(T0.secs() - 60), "{key_file}");
        assert_eq!(verified.expires_at.map(|d| d.as_secs()), Some(T0.secs() + 540), "{key_file}");
        assert!(verified.invalid_before.is_none(), "no nbf: GitHub does not need it");
        // The WebCrypto path signs `signing_input()`: it must be exactly the JWT's first two parts.
        assert!(token.starts_with(&format!("{}.", claims.signing_input().split('.').next().unwrap())));
    }
}

#[test]
fn a_pem_with_escaped_newlines_is_accepted() {
    let escaped = fixture("test-app-key.pem").trim().replace('\n', "\\n");
    assert!(JwtSimpleSigner::from_pem(&SecretString::new(escaped)).is_ok());
}

#[test]
fn malformed_keys_give_one_clear_error_naming_the_secret() {
    let pem = fixture("test-app-key.pem");
    let truncated = pem[..pem.len() / 2].to_string() + "\n-----END RSA PRIVATE KEY-----\n";
    let cases = [
        ("empty", String::new()),
        ("not a pem", "hello".to_string()),
        ("public key", fixture("test-app-key.pub.pem")),
        ("truncated", truncated),
        ("encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----".to_string()),
    ];
    for (name, pem) in cases {
        let Err(err) = JwtSimpleSigner::from_pem(&SecretString::new(pem)) else { panic!("{name}: accepted") };
        assert!(matches!(err, AuthError::MalformedKey(_)), "{name}: {err:?}");
        assert!(err.to_string().contains("GITHUB_APP_PRIVATE_KEY"), "{name}: {err}");
        assert_eq!(GitHubError::from(err).class(), ErrorClass::Permanent);
    }
}

#[test]
fn the_app_jwt_is_reused_until_a_minute_before_it_expires() {
    let e = env();
    let first = block_on(e.gh.app_jwt()).unwrap();
    e.clock.advance_secs(7 * 60);
    assert_eq!(block_on(e.gh.app_jwt()).unwrap(), first, "7 min later: same JWT");
    e.clock.advance_secs(60 + 1);
    let second = block_on(e.gh.app_jwt()).unwrap();
    assert_ne!(second, first, "8 min later (exp 9 min, margin 1 min): a new JWT");
    verify(second.expose(), &fixture("test-app-key.pub.pem"), e.clock_now());
}

trait ClockNow {
    fn clock_now(&self) -> UnixMillis;
}
impl ClockNow for Env {
    fn clock_now(&self) -> UnixMillis {
        argus_core::http::Clock::now(&self.clock)
    }
}

#[test]
fn installation_tokens_are_cached_until_five_minutes_before_expiry() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    let inst = e.gh.installation(INST);
    let tokens = |e: &Env| e.fake.count(Method::Post, "/access_tokens");
    // (seconds to advance, token requests expected so far). Tokens live 3600 s.
    let steps = [(0, 1), (0, 1), (54 * 60, 1), (59, 1), (2, 2), (10, 2)];
    for (i, (advance, want)) in steps.into_iter().enumerate() {
        e.clock.advance_secs(advance);
        let pr = block_on(inst.pull_request(&pr_ref())).expect("pr");
        assert_eq!(pr.head.sha.as_str(), HEAD);
        assert_eq!(tokens(&e), want, "step {i}");
    }
}

#[test]
fn cached_token_kv_value_round_trips_and_ttl_respects_kv_floor() {
    let key = argus_core::keys::InstallationTokenKey { installation: INST };
    let t = CachedToken { token: SecretString::new("ghs_x"), expires_at: T0.plus_secs(3600) };
    assert_eq!(CachedToken::from_kv_value(&t.to_kv_value()), Some(t.clone()));
    assert_eq!(CachedToken::from_kv_value("{\"nope\":1}"), None);
    assert_eq!(t.kv_ttl_secs(&key, T0), 50 * 60, "capped by the key's own 50 min");
    assert_eq!(t.kv_ttl_secs(&key, T0.plus_secs(3500)), 60, "KV's 60 s floor");
    assert!(!format!("{t:?}").contains("ghs_x"), "never in Debug output");
}

#[test]
fn a_revoked_cached_token_is_dropped_and_refetched_once() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    let inst = e.gh.installation(INST);
    block_on(inst.pull_request(&pr_ref())).unwrap();
    e.fake.state.borrow_mut().tokens.clear(); // GitHub forgot it (revoked).
    block_on(inst.pull_request(&pr_ref())).expect("recovers with a new token");
    assert_eq!(e.fake.count(Method::Post, "/access_tokens"), 2);
}

#[test]
fn a_jwt_for_the_wrong_app_is_refused_permanently() {
    let clock = FakeClock::at(T0);
    let fake = FakeGitHub::new(clock.clone(), APP_ID + 1, &fixture("test-app-key.pub.pem"));
    let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).unwrap();
    let gh = GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), fake, clock, signer, MemoryTokenCache::default());
    let err = block_on(gh.installation(INST).pull_request(&pr_ref())).unwrap_err();
    assert!(matches!(err, GitHubError::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Permanent);
}

#[test]
fn requests_carry_githubs_headers_and_the_timeout() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    block_on(e.gh.installation(INST).pull_request(&pr_ref())).unwrap();
    let req = e.fake.state.borrow().last_request.clone().unwrap();
    let h = |n: &str| req.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(h("accept").as_deref(), Some("application/vnd.github+json"));
    assert_eq!(h("user-agent").as_deref(), Some("ArgusAI"));
    assert_eq!(h("x-github-api-version").as_deref(), Some("2022-11-28"));
    assert!(h("authorization").unwrap().starts_with("Bearer ghs_"));
    assert_eq!(req.url, format!("{FAKE_API_URL}/repos/octo/hello/pulls/7"));
    assert_eq!(req.timeout_ms, 10_000);
}

// ---------- reading ----------

#[test]
fn pr_files_paginate_at_100_and_stop_at_githubs_3000() {
    for (n, want_pages, want_len, want_truncated) in [(0usize, 1, 0, false), (100, 1, 100, false), (250, 3, 250, false), (3005, 30, 3000, true)] {
        let e = env();
        let files = (0..n).map(|i| FakeFile::modified(&format!("src/f{i}.rs"), "@@ -1 +1 @@\n-a\n+b")).collect();
        e.fake.add_pull_request(fake_pr(files));
        let got = block_on(e.gh.installation(INST).pr_files(&pr_ref())).unwrap();
        assert_eq!(e.fake.count(Method::Get, "/files"), want_pages, "n={n}");
        assert_eq!(got.reviewable.len(), want_len, "n={n}");
        assert_eq!(got.truncated, want_truncated, "n={n}");
        if n > 0 {
            assert_eq!(got.reviewable.last().unwrap().filename, format!("src/f{}.rs", want_len - 1), "order kept across pages");
        }
    }
}

#[test]
fn pagination_never_follows_a_link_to_another_host() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    e.fake.inject(Fault::status(
        Some(Method::Get),
        "/files",
        200,
        &[("link", "<https://evil.example/steal?page=2>; rel=\"next\"")],
        json!([{ "filename": "a.rs", "status": "modified", "changes": 2, "additions": 1, "deletions": 1, "patch": "@@ -1 +1 @@\n-a\n+b" }]),
    ));
    let got = block_on(e.gh.installation(INST).pr_files(&pr_ref())).unwrap();
    assert_eq!(got.reviewable.len(), 1);
    assert_eq!(e.fake.state.borrow().log.len(), 2, "token + one page, nothing sent to evil.example");
}

#[test]
fn files_without_a_patch_are_reported_with_the_reason() {
    let e = env();
    let mut files = split_unified_diff(&corpus_diff("ripgrep-0b04553affdb.diff"));
    files.push(FakeFile {
        filename: "big.json".into(),
        status: "modified".into(),
        previous_filename: None,
        patch: None,
        additions: 90_000,
        deletions: 3,
    });
    files.push(FakeFile {
        filename: "new/name.rs".into(),
        status: "renamed".into(),
        previous_filename: Some("old/name.rs".into()),
        patch: None,
        additions: 0,
        deletions: 0,
    });
    e.fake.add_pull_request(fake_pr(files));
    let got = block_on(e.gh.installation(INST).pr_files(&pr_ref())).unwrap();
    let names: Vec<&str> = got.reviewable.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["grep-cli/src/decompress.rs", "src/app.rs", "tests/data/sherlock.br", "tests/misc.rs"]);
    assert_eq!(got.reviewable[2].status, "added");
    assert_eq!(
        got.not_reviewable,
        vec![
            NotReviewable { filename: "tests/data/sherlock.zst".into(), reason: NotReviewableReason::BinaryOrNoTextChange },
            NotReviewable { filename: "big.json".into(), reason: NotReviewableReason::DiffTooLarge },
            NotReviewable { filename: "new/name.rs".into(), reason: NotReviewableReason::RenameOnly },
        ]
    );
}

#[test]
fn review_scope_table() {
    let e = env();
    let repo = pr_ref().repo;
    let (ahead, forced, gone) = (CommitSha("a".repeat(40)), CommitSha("f".repeat(40)), CommitSha("9".repeat(40)));
    e.fake.set_compare("octo/hello", ahead.as_str(), HEAD, "ahead", vec![FakeFile::modified("x.rs", "@@ -1 +1 @@\n-a\n+b")]);
    e.fake.set_compare("octo/hello", forced.as_str(), HEAD, "diverged", vec![]);
    let inst = e.gh.installation(INST);
    let scope = |last: Option<&CommitSha>| block_on(inst.review_scope(&repo, last, &head())).unwrap();
    assert_eq!(scope(None), ReviewScope::Full { reason: "first review of this pull request".into() });
    assert_eq!(scope(Some(&head())), ReviewScope::UpToDate);
    match scope(Some(&ahead)) {
        ReviewScope::Incremental { since, files } => {
            assert_eq!(since, ahead);
            assert_eq!(files.reviewable[0].filename, "x.rs");
        }
        other => panic!("{other:?}"),
    }
    let ReviewScope::Full { reason } = scope(Some(&forced)) else { panic!("diverged must be full") };
    assert!(reason.contains("not an ancestor") && reason.contains("force-push") && reason.contains("fffffff"), "{reason}");
    let ReviewScope::Full { reason } = scope(Some(&gone)) else { panic!("a vanished commit must be full") };
    assert!(reason.contains("no longer exists"), "{reason}");
    // 300 files is the comparison's ceiling: the incremental view may be cut short.
    let many = CommitSha("b".repeat(40));
    let files = (0..300).map(|i| FakeFile::modified(&format!("f{i}.rs"), "@@ -1 +1 @@\n-a\n+b")).collect();
    e.fake.set_compare("octo/hello", many.as_str(), HEAD, "ahead", files);
    let ReviewScope::Full { reason } = scope(Some(&many)) else { panic!("300 files must be full") };
    assert!(reason.contains("300 or more files"), "{reason}");
}

#[test]
fn file_content_is_per_ref_and_config_comes_from_base() {
    let e = env();
    let repo = pr_ref().repo;
    e.fake.set_content("octo/hello", BASE, ".github/argusai.toml", b"[review]\nmax_comments = 5\n");
    e.fake.set_content("octo/hello", HEAD, ".github/argusai.toml", b"[review]\nmax_comments = 999\n");
    let big: Vec<u8> = (0..5000u32).flat_map(|i| i.to_le_bytes()).collect();
    e.fake.set_content("octo/hello", HEAD, "dir/a b.bin", &big);
    let inst = e.gh.installation(INST);
    assert_eq!(block_on(inst.repo_config(&repo, &CommitSha(BASE.into()))).unwrap().as_deref(), Some("[review]\nmax_comments = 5\n"));
    assert_eq!(block_on(inst.file_content(&repo, "dir/a b.bin", HEAD)).unwrap(), Some(big), "base64 over many wrapped lines");
    assert_eq!(block_on(inst.file_content(&repo, "missing.rs", HEAD)).unwrap(), None);
}

// ---------- errors ----------

#[test]
fn error_classification_table() {
    let now = T0;
    let reset_in_90 = (now.secs() + 90).to_string();
    let resp = |status: u16, headers: &[(&str, &str)], body: serde_json::Value| HttpResponse {
        status,
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: body.to_string().into_bytes(),
    };
    let msg = |m: &str| json!({ "message": m, "documentation_url": "https://docs.github.com/rest" });
    let retry = |s: u64| ErrorClass::Retryable { after_secs: Some(s) };
    let cases: Vec<(&str, HttpResponse, ErrorClass, &str)> = vec![
        (
            "primary exhausted",
            resp(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset_in_90)], msg("API rate limit exceeded for installation ID 77.")),
            retry(90),
            "primary rate limit",
        ),
        (
            "primary as 429",
            resp(429, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset_in_90)], msg("API rate limit exceeded")),
            retry(90),
            "primary rate limit",
        ),
        (
            "secondary with retry-after",
            resp(403, &[("retry-after", "30")], msg("You have exceeded a secondary rate limit.")),
            retry(30),
            "secondary rate limit",
        ),
        (
            "secondary 429 retry-after",
            resp(429, &[("retry-after", "7"), ("x-ratelimit-remaining", "4000")], msg("slow down")),
            retry(7),
            "secondary rate limit",
        ),
        (
            "secondary, remaining 0, reset",
            resp(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset_in_90)], msg("You have exceeded a secondary rate limit.")),
            retry(90),
            "secondary rate limit",
        ),
        (
            "secondary, no hint: at least 60 s",
            resp(403, &[("x-ratelimit-remaining", "4999")], msg("You have exceeded a secondary rate limit and have been temporarily blocked.")),
            retry(60),
            "secondary rate limit",
        ),
        ("bare 429: 60 s", resp(429, &[], json!({})), retry(60), "secondary rate limit"),
        (
            "reset already past: 1 s",
            resp(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1")], msg("API rate limit exceeded")),
            retry(1),
            "primary rate limit",
        ),
        (
            "permission",
            resp(403, &[("x-accepted-github-permissions", "pull_requests=write")], msg("Resource not accessible by integration")),
            ErrorClass::Permanent,
            "lacks the permission `pull_requests=write`",
        ),
        (
            "403 without a hint",
            resp(403, &[], msg("Resource not accessible by integration")),
            ErrorClass::Permanent,
            "Resource not accessible by integration",
        ),
        ("404", resp(404, &[], msg("Not Found")), ErrorClass::Permanent, "not installed"),
        ("401", resp(401, &[], msg("Bad credentials")), ErrorClass::Permanent, "Bad credentials"),
        (
            "422 anchors",
            resp(422, &[], json!({ "message": "Unprocessable Entity", "errors": ["Line could not be resolved"] })),
            ErrorClass::Permanent,
            "Line could not be resolved",
        ),
        (
            "422 objects",
            resp(
                422,
                &[],
                json!({ "message": "Validation Failed", "errors": [{ "resource": "Issue", "code": "custom", "message": "body is too long" }] }),
            ),
            ErrorClass::Permanent,
            "body is too long",
        ),
        ("500", resp(500, &[], json!({})), ErrorClass::Retryable { after_secs: None }, "server error"),
        (
            "502 html",
            HttpResponse { status: 502, headers: vec![], body: b"<html>Bad gateway</html>".to_vec() },
            ErrorClass::Retryable { after_secs: None },
            "502",
        ),
        ("418", resp(418, &[], msg("teapot")), ErrorClass::Permanent, "teapot"),
    ];
    for (name, response, want, text) in cases {
        let err = classify_response("GET /repos/o/r/pulls/1", &response, now);
        assert_eq!(err.class(), want, "{name}: {err:?}");
        assert!(err.to_string().contains(text), "{name}: {err}");
    }
    let timeout = GitHubError::Transport { route: "GET /x".into(), source: argus_core::http::TransportError::Timeout(10_000) };
    assert_eq!(timeout.class(), ErrorClass::Retryable { after_secs: None });
}

#[test]
fn a_secondary_limit_from_github_reaches_the_caller_with_its_delay() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    e.fake.inject(Fault::status(
        Some(Method::Get),
        "/pulls/7",
        403,
        &[("retry-after", "42")],
        json!({ "message": "You have exceeded a secondary rate limit." }),
    ));
    let err = block_on(e.gh.installation(INST).pull_request(&pr_ref())).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retryable { after_secs: Some(42) });
    assert!(matches!(err, GitHubError::RateLimited { kind: RateLimitKind::Secondary, .. }));
    // Nothing is retried inside the client: the queue waits the 42 s.
    assert_eq!(e.fake.count(Method::Get, "/pulls/7"), 1);
    assert!(e.clock.sleeps().is_empty());
}

// ---------- writing ----------

/// Anchors from the real ripgrep diff: `tests/misc.rs` hunk `@@ -909,6 +909,36 @@`,
/// `decompress.rs` hunks `+352,8` and `+369,14`.
fn good_comments() -> Vec<InlineComment> {
    vec![
        InlineComment::single("tests/misc.rs", 915, Side::Right, "new test"),
        InlineComment::range("tests/misc.rs", Anchor { line: 912, side: Side::Right }, Anchor { line: 920, side: Side::Right }, "range"),
        InlineComment::single("grep-cli/src/decompress.rs", 352, Side::Right, "context line"),
        InlineComment::single("grep-cli/src/decompress.rs", 370, Side::Left, "old side"),
        InlineComment::single("src/app.rs", 2024, Side::Right, "app"),
        // start == end is sent as a single-line comment, not rejected.
        InlineComment::range("tests/misc.rs", Anchor { line: 930, side: Side::Right }, Anchor { line: 930, side: Side::Right }, "degenerate range"),
    ]
}

#[test]
fn a_clean_review_is_posted_once_as_comment_with_markers() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    let out = block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "Summary", good_comments())).unwrap();
    let ReviewOutcome::Posted { inline: 6, probes: 0, ref rejected, .. } = out else { panic!("{out:?}") };
    assert!(rejected.is_empty());
    let reviews = e.fake.submitted_reviews();
    assert_eq!(reviews.len(), 1);
    let r = &reviews[0];
    assert_eq!(r.event.as_deref(), Some("COMMENT"));
    assert_eq!(r.commit_id, HEAD);
    assert!(r.body.ends_with(&review_marker(&head())));
    assert_eq!(
        r.comments[1],
        json!({ "path": "tests/misc.rs", "line": 920, "side": "RIGHT", "start_line": 912, "start_side": "RIGHT", "body": format!("range\n\n{COMMENT_MARKER}") })
    );
    assert!(r.comments[5].get("start_line").is_none(), "no start_line for a one-line range");
    // The retry after a crash between "posted" and "acked" posts nothing.
    let again = block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "Summary", good_comments())).unwrap();
    assert_eq!(again, ReviewOutcome::AlreadyPosted { review_id: r.id });
    assert_eq!(e.fake.submitted_reviews().len(), 1);
    assert_eq!(e.fake.count(Method::Post, "/reviews"), 1);
}

#[test]
fn bad_anchors_are_bisected_with_pending_reviews_and_moved_to_the_body() {
    // Bad comments inserted at these positions among the 6 good ones.
    let bad_sets: &[&[usize]] = &[&[0], &[6], &[2, 5], &[0, 1, 2]];
    for bad_at in bad_sets {
        let e = env();
        e.fake.add_pull_request(ripgrep_pr());
        let mut comments = good_comments();
        let bad_kinds = [
            InlineComment::single("tests/misc.rs", 5000, Side::Right, "line outside every hunk"),
            InlineComment::range(
                "grep-cli/src/decompress.rs",
                Anchor { line: 355, side: Side::Right },
                Anchor { line: 372, side: Side::Right },
                "range across hunks",
            ),
            InlineComment::single("not/in/pr.rs", 1, Side::Right, "path not in the diff"),
        ];
        for (i, &pos) in bad_at.iter().enumerate() {
            comments.insert(pos, bad_kinds[i % bad_kinds.len()].clone());
        }
        let n = comments.len();
        // The caller writes the body once the refused comments are known.
        let body = |rejected: &[RejectedComment]| {
            format!("Summary; refused:\n{}", rejected.iter().map(|r| r.comment.body.as_str()).collect::<Vec<_>>().join("\n"))
        };
        let out = block_on(e.gh.installation(INST).post_review_with(&pr_ref(), &head(), &body, comments)).unwrap();
        let ReviewOutcome::Posted { inline, rejected, probes, .. } = out else { panic!("{out:?}") };
        assert_eq!(inline, 6, "{bad_at:?}");
        assert_eq!(rejected.len(), bad_at.len(), "{bad_at:?}");
        let k = bad_at.len() as u32;
        let bound = 2 * k * (n as f64).log2().ceil() as u32;
        assert!(probes <= bound, "{bad_at:?}: {probes} probes > {bound}");
        // Probes are PENDING reviews, each deleted: the PR shows exactly one review.
        let reviews = e.fake.submitted_reviews();
        assert_eq!(reviews.len(), 1, "{bad_at:?}");
        assert!(e.fake.state.borrow().reviews.iter().all(|r| r.state != "PENDING"));
        // One rejected post, the probes, one final post.
        assert_eq!(e.fake.count(Method::Post, "/reviews") as u32, probes + 2, "{bad_at:?}");
        let body = &reviews[0].body;
        assert!(body.starts_with("Summary; refused:"), "{body}");
        for r in &rejected {
            assert!(body.contains(r.comment.body.as_str()), "{body}");
        }
        assert!(reviews[0].comments.iter().all(|c| c["body"].as_str().unwrap().contains(COMMENT_MARKER)));
        // Probes are spaced like every other write: never a burst of writes.
        assert!(e.clock.sleeps().iter().all(|&ms| ms <= 1000));
    }
}

#[test]
fn locally_impossible_comments_never_reach_github() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    let comments = vec![
        InlineComment::single("tests/misc.rs", 915, Side::Right, "ok"),
        InlineComment::single("tests/misc.rs", 0, Side::Right, "line 0"),
        InlineComment::range("tests/misc.rs", Anchor { line: 920, side: Side::Right }, Anchor { line: 912, side: Side::Right }, "backwards"),
    ];
    let out = block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "S", comments)).unwrap();
    let ReviewOutcome::Posted { inline: 1, probes: 0, rejected, .. } = out else { panic!("{out:?}") };
    assert_eq!(rejected.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>(), ["line numbers are 1-based", "start_line must be before line"]);
    assert_eq!(e.fake.count(Method::Post, "/reviews"), 1);
}

#[test]
fn a_stale_probe_from_a_crashed_run_is_cleaned_up_first() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    e.fake.state.borrow_mut().reviews.push(FakeReview {
        id: 5,
        pr: ("octo/hello".into(), 7),
        state: "PENDING".into(),
        body: PROBE_MARKER.into(),
        commit_id: HEAD.into(),
        event: None,
        comments: vec![],
        user: "argusai[bot]".into(),
        comment_ids: vec![],
        created_at: "2025-11-24T16:00:00Z".into(),
    });
    let mut comments = good_comments();
    comments.push(InlineComment::single("tests/misc.rs", 1, Side::Right, "bad"));
    let out = block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "S", comments)).unwrap();
    assert!(matches!(out, ReviewOutcome::Posted { inline: 6, .. }), "{out:?}");
    assert_eq!(e.fake.state.borrow().reviews.len(), 1);
}

#[test]
fn a_422_that_is_not_about_anchors_is_returned_not_bisected() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    let stale_head = CommitSha("3".repeat(40));
    let err = block_on(e.gh.installation(INST).post_review(&pr_ref(), &stale_head, "S", good_comments())).unwrap_err();
    assert!(err.to_string().contains("commit_id"), "{err}");
    assert_eq!(e.fake.count(Method::Post, "/reviews"), 1, "no probes");
}

#[test]
fn summary_is_created_once_then_updated_in_place() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    let inst = e.gh.installation(INST);
    let first = block_on(inst.upsert_summary(&pr_ref(), "3 findings")).unwrap();
    let SummaryOutcome::Created { comment_id } = first else { panic!("{first:?}") };
    let second = block_on(inst.upsert_summary(&pr_ref(), "1 finding")).unwrap();
    assert_eq!(second, SummaryOutcome::Updated { comment_id });
    let s = e.fake.state.borrow();
    assert_eq!(s.issue_comments.len(), 1);
    assert_eq!(s.issue_comments[0].body, format!("1 finding\n\n{SUMMARY_MARKER}"));
}

#[test]
fn own_review_comments_are_found_by_marker() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    e.fake.state.borrow_mut().reviews.push(FakeReview {
        id: 9,
        pr: ("octo/hello".into(), 7),
        state: "COMMENTED".into(),
        body: "a human".into(),
        commit_id: HEAD.into(),
        event: Some("COMMENT".into()),
        comments: vec![json!({ "path": "src/app.rs", "line": 2024, "side": "RIGHT", "body": "human remark" })],
        user: "mona".into(),
        comment_ids: vec![],
        created_at: "2025-11-24T16:00:00Z".into(),
    });
    let inst = e.gh.installation(INST);
    block_on(inst.post_review(&pr_ref(), &head(), "S", good_comments())).unwrap();
    let own = block_on(inst.own_review_comments(&pr_ref())).unwrap();
    assert_eq!(own.len(), 6);
    assert_eq!((own[1].path.as_str(), own[1].line, own[1].start_line, own[1].side), ("tests/misc.rs", Some(920), Some(912), Some(Side::Right)));
}

#[test]
fn check_run_reports_neutral_or_success_and_reactions_land() {
    let e = env();
    let inst = e.gh.installation(INST);
    let repo = pr_ref().repo;
    let id = block_on(inst.start_check_run(&repo, &head())).unwrap();
    block_on(inst.complete_check_run(
        &repo,
        id,
        CheckConclusion::Neutral,
        "LLM unavailable",
        "ArgusAI could not review: the model provider is down.",
    ))
    .unwrap();
    block_on(inst.react_eyes(&repo, 555)).unwrap();
    let s = e.fake.state.borrow();
    let (_, bodies) = &s.check_runs[0];
    assert_eq!(bodies[0], json!({ "name": "ArgusAI review", "head_sha": HEAD, "status": "in_progress" }));
    assert_eq!(bodies[1]["conclusion"], "neutral");
    assert_eq!(bodies[1]["status"], "completed");
    assert_eq!(bodies[1]["output"]["title"], "LLM unavailable");
    assert_eq!(
        s.reactions.iter().map(|r| (r.target, r.comment_id, r.content.as_str(), r.user.as_str())).collect::<Vec<_>>(),
        vec![("issue", 555, "eyes", "argusai[bot]")]
    );
}

#[test]
fn content_creating_requests_are_spaced_by_a_second() {
    let e = env();
    e.fake.add_pull_request(fake_pr(vec![]));
    let inst = e.gh.installation(INST);
    let repo = pr_ref().repo;
    block_on(inst.start_check_run(&repo, &head())).unwrap();
    block_on(inst.react_eyes(&repo, 1)).unwrap();
    block_on(inst.upsert_summary(&pr_ref(), "s")).unwrap(); // a GET then a POST
    // The first write waits for nothing; each later one for the rest of the second.
    assert_eq!(e.clock.sleeps(), vec![1000, 1000]);
    // Reads are never delayed.
    block_on(inst.pull_request(&pr_ref())).unwrap();
    assert_eq!(e.clock.sleeps().len(), 2);
}

#[test]
fn memory_token_cache_puts_and_removes() {
    let cache = MemoryTokenCache::default();
    let key = argus_core::keys::InstallationTokenKey { installation: INST };
    block_on(cache.put(&key, &CachedToken { token: SecretString::new("t"), expires_at: T0 }));
    assert_eq!(cache.len(), 1);
    block_on(cache.remove(&key));
    assert!(cache.is_empty());
}

/// What the bot posts when some anchors are bad, as GitHub receives it (bors-style
/// snapshot of the request the fake recorded).
#[test]
fn snapshot_of_a_review_that_lands_with_bad_anchors() {
    let e = env();
    e.fake.add_pull_request(ripgrep_pr());
    let comments = vec![
        InlineComment::single("tests/misc.rs", 915, Side::Right, "This test never checks the exit code."),
        InlineComment::single("tests/misc.rs", 5000, Side::Right, "Hallucinated line."),
        InlineComment::range(
            "grep-cli/src/decompress.rs",
            Anchor { line: 355, side: Side::Right },
            Anchor { line: 372, side: Side::Right },
            "Range across two hunks.",
        ),
        InlineComment::single("grep-cli/src/decompress.rs", 370, Side::Left, "The removed branch handled `.zst`."),
    ];
    block_on(e.gh.installation(INST).post_review(&pr_ref(), &head(), "ArgusAI found 4 issues.", comments)).unwrap();
    let review = &e.fake.submitted_reviews()[0];
    let posted = json!({ "event": review.event, "commit_id": review.commit_id, "body": review.body, "comments": review.comments });
    insta::assert_snapshot!(serde_json::to_string_pretty(&posted).unwrap());
}
