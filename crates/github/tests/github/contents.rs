//! Batched contents against the in-memory GitHub: trees, GraphQL blob batches,
//! the REST fallback, request counts and budgets, hostile paths, partial
//! GraphQL errors and rate limits.

use super::*;
use argus_core::subrequests::{SubrequestKind, Subrequests};
use argus_github::contents::{BlobRequest, BlobResult, ContentLimits, Transport, WantedFile, blobs_query};
use argus_github::fake::{FAKE_GRAPHQL_URL, git_blob_sha};

const REPO: &str = "octo/hello";
/// The base-branch files every review asks for (configuration and guidance).
const GUIDANCE: [&str; 5] = [".github/argusai.toml", "AGENTS.md", ".github/argusai.md", "CONTRIBUTING.md", ".github/copilot-instructions.md"];

fn repo() -> RepoName {
    RepoName::new("octo", "hello")
}

/// A source file of `lines` lines (about 30 bytes each), deterministic.
fn source(seed: usize, lines: usize) -> String {
    (0..lines).map(|j| format!("    let v{seed}_{j} = compute({j}, {seed});\n")).collect()
}

/// Line counts spread like real source files: 40 to about 1,200 lines (1–37 KB).
fn lines_of(i: usize) -> usize {
    40 + (i * 7919) % 1160
}

/// A PR of `n` modified files whose head and base texts are stored (head differs
/// by one line), plus two guidance files on the base; returns what a review wants:
/// every file at head and base, then the guidance (lowest priority last).
fn synthetic_pr(e: &Env, n: usize) -> Vec<WantedFile> {
    let mut files = Vec::new();
    let mut wanted = Vec::new();
    for i in 0..n {
        let path = format!("src/m{}/f{i}.rs", i % 7);
        let base = source(i, lines_of(i));
        let head = base.replacen(&format!("compute(3, {i})"), &format!("compute(4, {i})"), 1);
        e.fake.set_content(REPO, BASE, &path, base.as_bytes());
        e.fake.set_content(REPO, HEAD, &path, head.as_bytes());
        files.push(FakeFile::modified(&path, &format!("@@ -4 +4 @@\n-    let v{i}_3 = compute(3, {i});\n+    let v{i}_3 = compute(4, {i});")));
        wanted.push(WantedFile::new(HEAD, &path, 0));
        wanted.push(WantedFile::new(BASE, &path, 1));
    }
    e.fake.set_content(REPO, BASE, ".github/argusai.toml", b"max_comments = 5\n");
    e.fake.set_content(REPO, BASE, "AGENTS.md", b"# Agents\nBe kind.\n");
    for g in GUIDANCE {
        wanted.push(WantedFile::new(BASE, g, 2));
    }
    e.fake.add_pull_request(fake_pr(files));
    wanted
}

/// Requests since `mark`, not counting installation-token mints.
fn requests_since(e: &Env, mark: usize) -> Vec<(Method, String)> {
    e.fake.state.borrow().log[mark..].iter().filter(|(_, p)| !p.contains("/access_tokens")).cloned().collect()
}

/// Mints the token first so that counts below are about contents only.
fn warm(e: &Env) -> usize {
    block_on(e.gh.installation(INST).pull_request(&pr_ref())).ok();
    e.fake.state.borrow().log.len()
}

fn text_at(e: &Env, rev: &str, path: &str) -> Option<String> {
    e.fake.state.borrow().contents.get(&(REPO.to_string(), rev.to_string(), path.to_string())).map(|b| String::from_utf8_lossy(b).into_owned())
}

#[test]
fn a_fifty_file_pr_gets_every_text_in_at_most_eight_requests() {
    let e = env();
    let wanted = synthetic_pr(&e, 50);
    let mark = warm(&e);
    let ledger = Subrequests::new();
    e.gh.use_ledger(ledger.clone());
    let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &ContentLimits::default()));
    let sent = requests_since(&e, mark);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.transport, Transport::GraphQl);
    assert_eq!(out.requests as usize, sent.len());
    assert!(sent.len() <= 8, "{} requests: {sent:?}", sent.len());
    // Two trees (head, base) and the blob batches.
    assert_eq!(sent.iter().filter(|(_, p)| p.contains("/git/trees/")).count(), 2);
    assert_eq!(out.trees.len(), 2);
    for (w, r) in wanted.iter().zip(&out.results) {
        match text_at(&e, &w.rev, &w.path) {
            Some(want) => assert_eq!(r.text(), Some(want.as_str()), "{} at {}", w.path, w.rev),
            None => assert_eq!(r, &BlobResult::Missing, "{} is not on the base branch", w.path),
        }
    }
    // Missing guidance files were known absent from the tree and never asked for.
    let bodies: String = e.fake.state.borrow().log.iter().map(|(_, p)| p.clone()).collect();
    assert!(!bodies.contains("CONTRIBUTING"), "absent files cost nothing");
    assert_eq!(ledger.count(SubrequestKind::GitHub) as usize, sent.len(), "the ledger saw every request");
    let families = ledger.families(SubrequestKind::GitHub);
    assert!(families.iter().any(|(f, n)| f == "POST graphql" && *n as usize == sent.len() - 2), "{families:?}");
    assert!(families.iter().any(|(f, n)| f == "GET git/trees/:sha" && *n == 2), "{families:?}");
}

#[test]
fn the_rest_fallback_is_bounded_and_says_what_it_skipped() {
    let e = env();
    let wanted = synthetic_pr(&e, 10);
    e.fake.state.borrow_mut().graphql_disabled = true;
    let mark = warm(&e);
    let limits = ContentLimits { max_requests: 8, ..ContentLimits::default() };
    let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &limits));
    let sent = requests_since(&e, mark);
    assert_eq!(sent.len(), 8, "{sent:?}");
    assert_eq!(out.requests, 8);
    assert_eq!(out.transport, Transport::Rest);
    // 2 trees + 1 refused GraphQL + 5 blobs by SHA; the rest are skipped, in priority order.
    assert_eq!(sent.iter().filter(|(_, p)| p == "/graphql").count(), 1);
    assert_eq!(sent.iter().filter(|(_, p)| p.contains("/git/blobs/")).count(), 5);
    let fetched: Vec<&WantedFile> = wanted.iter().zip(&out.results).filter(|(_, r)| r.text().is_some()).map(|(w, _)| w).collect();
    assert_eq!(fetched.len(), 5);
    assert!(fetched.iter().all(|w| w.rev == HEAD), "head files come first (priority 0)");
    let skipped = out.results.iter().filter(|r| **r == BlobResult::Skipped).count();
    assert_eq!(skipped, 10 + 5 + 2, "15 of the 20 source blobs and the 2 guidance files that exist; never silently dropped");
    assert!(out.problems.iter().any(|p| p.contains("GraphQL is unavailable")), "{:?}", out.problems);
    // GraphQL is not tried again by this client.
    let mark = e.fake.state.borrow().log.len();
    let again = block_on(e.gh.installation(INST).blobs(&repo(), &[BlobRequest::new(HEAD, "src/m0/f0.rs")], &limits));
    assert_eq!(again.transport, Transport::Rest);
    assert_eq!(requests_since(&e, mark).len(), 1, "straight to REST");
    assert!(again.results[0].text().is_some());
}

#[test]
fn graphql_that_answers_html_or_410_falls_back_too() {
    for (status, body) in [(200u16, "<html>Sign in</html>"), (410, "{\"message\":\"Gone\"}")] {
        let e = env();
        let wanted = synthetic_pr(&e, 2);
        e.fake.inject(Fault {
            method: Some(Method::Post),
            path_contains: "/graphql".into(),
            times: 1,
            after: 0,
            response: Ok(HttpResponse { status, headers: vec![("content-type".into(), "text/html".into())], body: body.as_bytes().to_vec() }),
        });
        let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &ContentLimits { max_requests: 20, ..ContentLimits::default() }));
        assert_eq!(out.transport, Transport::Rest, "{status}");
        assert!(out.results[..4].iter().all(|r| r.text().is_some()), "{status}: {:?}", out.results);
        assert!(out.error.is_none());
    }
}

#[test]
fn hostile_paths_round_trip_through_graphql_and_rest() {
    let paths = [
        "dir/with \"quotes\".rs",
        "back\\slash\\file.py",
        "ünïcödé/日本語.md",
        "$money/${{x}}.sh",
        "colon:in:name.txt",
        "spaces and #hash?.js",
        "emoji/🚀.ts",
        "new\nline.txt",
    ];
    for graphql in [true, false] {
        let e = env();
        e.fake.state.borrow_mut().graphql_disabled = !graphql;
        for (i, p) in paths.iter().enumerate() {
            e.fake.set_content(REPO, HEAD, p, format!("content {i} of {p}\n").as_bytes());
        }
        e.fake.add_pull_request(fake_pr(vec![]));
        let wanted: Vec<WantedFile> = paths.iter().map(|p| WantedFile::new(HEAD, *p, 0)).collect();
        let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &ContentLimits { max_requests: 20, ..ContentLimits::default() }));
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(out.results[i].text(), Some(format!("content {i} of {p}\n").as_str()), "graphql={graphql}: {p:?}");
        }
    }
    // Without a tree (no SHA), REST goes through the contents API with the path encoded.
    let e = env();
    e.fake.state.borrow_mut().graphql_disabled = true;
    for p in paths {
        e.fake.set_content(REPO, HEAD, p, p.as_bytes());
    }
    let reqs: Vec<BlobRequest> = paths.iter().map(|p| BlobRequest::new(HEAD, *p)).collect();
    let out = block_on(e.gh.installation(INST).blobs(&repo(), &reqs, &ContentLimits { max_requests: 20, ..ContentLimits::default() }));
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(out.results[i].text(), Some(*p), "contents API: {p:?}");
    }
}

#[test]
fn the_graphql_request_carries_paths_only_as_variables() {
    let e = env();
    let evil = "x\" } } mutation { resolveReviewThread(input: {threadId: \"T\"}) { thread { id } } } #";
    e.fake.set_content(REPO, HEAD, evil, b"ok");
    e.fake.add_pull_request(fake_pr(vec![]));
    let out = block_on(e.gh.installation(INST).blobs(&repo(), &[BlobRequest::new(HEAD, evil)], &ContentLimits::default()));
    assert_eq!(out.results[0].text(), Some("ok"));
    let req = e.fake.state.borrow().last_request.clone().unwrap();
    assert_eq!(req.url, FAKE_GRAPHQL_URL);
    let body: serde_json::Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["query"], blobs_query(1));
    assert_eq!(body["variables"], json!({ "owner": "octo", "name": "hello", "e0": format!("{HEAD}:{evil}") }));
}

#[test]
fn binary_empty_missing_too_large_and_directories_are_told_apart() {
    let e = env();
    e.fake.set_content(REPO, HEAD, "img/logo.png", &[0x89, b'P', b'N', b'G', 0, 0, 1]);
    e.fake.set_content(REPO, HEAD, "empty.txt", b"");
    e.fake.set_content(REPO, HEAD, "big.json", &vec![b'{'; 300 * 1024]);
    e.fake.set_content(REPO, HEAD, "dir/inner.rs", b"fn x() {}\n");
    e.fake.set_content(REPO, HEAD, "latin1.txt", &[b'c', b'a', b'f', 0xe9]);
    e.fake.add_pull_request(fake_pr(vec![]));
    let names = ["img/logo.png", "empty.txt", "big.json", "dir", "nope.rs", "latin1.txt", "dir/inner.rs"];
    let wanted: Vec<WantedFile> = names.iter().map(|p| WantedFile::new(HEAD, *p, 0)).collect();
    let mark = warm(&e);
    let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &ContentLimits::default()));
    assert_eq!(
        out.results,
        vec![
            BlobResult::Binary { byte_size: 7 },
            BlobResult::Text { text: String::new(), byte_size: 0 },
            BlobResult::TooLarge { byte_size: 300 * 1024 },
            BlobResult::Missing,
            BlobResult::Missing,
            BlobResult::Binary { byte_size: 4 },
            BlobResult::Text { text: "fn x() {}\n".into(), byte_size: 10 },
        ]
    );
    // One tree, one batch; the batch asked only for the three files worth asking.
    assert_eq!(requests_since(&e, mark).len(), 2);
    let req = e.fake.state.borrow().last_request.clone().unwrap();
    let vars = serde_json::from_slice::<serde_json::Value>(req.body.as_deref().unwrap()).unwrap()["variables"].clone();
    let asked: Vec<String> = (0..vars.as_object().unwrap().len() - 2).map(|i| vars[format!("e{i}")].as_str().unwrap().to_string()).collect();
    assert_eq!(asked, vec![format!("{HEAD}:img/logo.png"), format!("{HEAD}:latin1.txt"), format!("{HEAD}:dir/inner.rs")]);
}

#[test]
fn a_truncated_tree_still_lets_unlisted_files_be_asked_for() {
    let e = env();
    for i in 0..10 {
        e.fake.set_content(REPO, HEAD, &format!("a/{i}.rs"), format!("// {i}\n").as_bytes());
    }
    e.fake.state.borrow_mut().tree_entry_limit = Some(3);
    e.fake.add_pull_request(fake_pr(vec![]));
    let wanted: Vec<WantedFile> =
        (0..10).map(|i| WantedFile::new(HEAD, format!("a/{i}.rs"), 0)).chain([WantedFile::new(HEAD, "zz/none.rs", 0)]).collect();
    let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &ContentLimits::default()));
    assert!(out.trees[0].1.truncated);
    assert!(out.problems.iter().any(|p| p.contains("truncated")), "{:?}", out.problems);
    for i in 0..10 {
        assert_eq!(out.results[i].text(), Some(format!("// {i}\n").as_str()));
    }
    assert_eq!(out.results[10], BlobResult::Missing, "unlisted in a truncated tree: asked, and GraphQL said null");
}

#[test]
fn trees_list_sizes_and_git_blob_shas_and_unknown_revisions_are_404() {
    let e = env();
    e.fake.set_content(REPO, HEAD, "src/lib.rs", b"hello\n");
    e.fake.set_content(REPO, HEAD, "README.md", b"# hi\n");
    e.fake.add_pull_request(fake_pr(vec![]));
    let inst = e.gh.installation(INST);
    let tree = block_on(inst.tree(&repo(), HEAD)).unwrap();
    let rows: Vec<(&str, &str, Option<u64>)> = tree.entries.iter().map(|t| (t.path.as_str(), t.kind.as_str(), t.size)).collect();
    assert_eq!(rows, vec![("README.md", "blob", Some(5)), ("src", "tree", None), ("src/lib.rs", "blob", Some(6))]);
    // `git hash-object` of "hello\n".
    assert_eq!(tree.entries[2].sha, "ce013625030ba8dba906f756967f9e9ca394464a");
    assert_eq!(git_blob_sha(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    assert!(!tree.truncated);
    let err = block_on(inst.tree(&repo(), &"9".repeat(40))).unwrap_err();
    assert!(matches!(err, GitHubError::NotFound { .. }), "{err:?}");
}

#[test]
fn a_partial_graphql_answer_keeps_what_succeeded() {
    let e = env();
    let wanted = synthetic_pr(&e, 3);
    // GitHub answers 200 with data for some aliases and errors for others.
    let partial = json!({
        "data": { "repository": { "a0": { "__typename": "Blob", "byteSize": 3, "isBinary": false, "isTruncated": false, "text": "one" },
                                  "a1": null, "a2": null,
                                  "a3": { "__typename": "Blob", "byteSize": 9, "isBinary": false, "isTruncated": true, "text": "cut" } } },
        "errors": [
            { "type": "FORBIDDEN", "path": ["repository", "a1"], "message": "Resource not accessible by integration" },
            { "type": "NOT_FOUND", "path": ["repository", "a2"], "message": "Could not resolve to a Blob" },
        ],
    });
    e.fake.inject(Fault::status(Some(Method::Post), "/graphql", 200, &[], partial));
    let limits = ContentLimits { max_batch_files: 4, ..ContentLimits::default() };
    // Equal priorities keep the aliases in input order.
    let wanted: Vec<WantedFile> = wanted[..4].iter().map(|w| WantedFile::new(w.rev.clone(), w.path.clone(), 0)).collect();
    let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &limits));
    assert!(out.error.is_none());
    assert_eq!(out.results[0], BlobResult::Text { text: "one".into(), byte_size: 3 });
    assert_eq!(out.results[1], BlobResult::Failed { reason: "Resource not accessible by integration".into() });
    assert_eq!(out.results[2], BlobResult::Missing);
    assert_eq!(out.results[3], BlobResult::Truncated { text: "cut".into(), byte_size: 9 });
}

#[test]
fn graphql_rate_limits_stop_the_fetch_with_the_delay_and_keep_earlier_batches() {
    let reset_in = 90;
    let cases: Vec<(&str, Fault, ErrorClass, RateLimitKind)> = vec![
        (
            "primary: 200 RATE_LIMITED, remaining 0",
            Fault::status(
                Some(Method::Post),
                "/graphql",
                200,
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &(T0.secs() + reset_in).to_string())],
                json!({ "errors": [{ "type": "RATE_LIMITED", "message": "API rate limit exceeded for installation ID 77." }] }),
            ),
            ErrorClass::Retryable { after_secs: Some(reset_in) },
            RateLimitKind::Primary,
        ),
        (
            "secondary: 403 with retry-after",
            Fault::status(
                Some(Method::Post),
                "/graphql",
                403,
                &[("retry-after", "33")],
                json!({ "message": "You have exceeded a secondary rate limit." }),
            ),
            ErrorClass::Retryable { after_secs: Some(33) },
            RateLimitKind::Secondary,
        ),
        (
            "secondary: 200 saying so",
            Fault::status(
                Some(Method::Post),
                "/graphql",
                200,
                &[],
                json!({ "errors": [{ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }] }),
            ),
            ErrorClass::Retryable { after_secs: Some(60) },
            RateLimitKind::Secondary,
        ),
    ];
    for (name, fault, class, kind) in cases {
        let e = env();
        let wanted = synthetic_pr(&e, 3);
        let limits = ContentLimits { max_batch_files: 2, ..ContentLimits::default() };
        // The first batch succeeds; the fault hits the second.
        e.fake.inject(fault.after(1).times(10));
        let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &limits));
        let err = out.error.clone().unwrap_or_else(|| panic!("{name}: no error"));
        assert_eq!(err.class(), class, "{name}: {err:?}");
        assert!(matches!(err, GitHubError::RateLimited { kind: k, .. } if k == kind), "{name}: {err:?}");
        // Head files come first (priority 0): the first batch of two landed.
        assert_eq!(out.results.iter().filter(|r| r.text().is_some()).count(), 2, "{name}: {:?}", out.results);
        assert!(out.results[0].text().is_some() && out.results[2].text().is_some(), "{name}");
        let sources = &out.results[..6];
        assert!(sources.iter().filter(|r| r.text().is_none()).all(|r| matches!(r, BlobResult::Failed { .. })), "{name}: {:?}", out.results);
        assert_eq!(e.fake.count(Method::Post, "/graphql"), 2, "{name}: one batch served, one refused, none after the limit");
    }
}

#[test]
fn request_budget_covers_trees_and_never_goes_over() {
    for budget in 0..=6u32 {
        let e = env();
        let wanted = synthetic_pr(&e, 20);
        let mark = warm(&e);
        let limits = ContentLimits { max_requests: budget, max_batch_files: 10, ..ContentLimits::default() };
        let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &limits));
        assert!(requests_since(&e, mark).len() as u32 <= budget, "budget {budget}");
        assert_eq!(out.requests as usize, requests_since(&e, mark).len());
        let fetched = out.results.iter().filter(|r| r.text().is_some()).count();
        let skipped = out.results.iter().filter(|r| **r == BlobResult::Skipped).count();
        assert_eq!(
            fetched + skipped + out.results.iter().filter(|r| **r == BlobResult::Missing).count(),
            wanted.len(),
            "budget {budget}: every file accounted for"
        );
        if budget <= 1 {
            assert_eq!(out.trees.len(), 0, "no tree when it would leave nothing for the blobs");
        }
    }
}

/// Contents requests for 1-, 10-, 50- and 300-file PRs (each file at head and
/// base, plus the five guidance files), with and without GraphQL, within the
/// default budget of 8 and without a budget. Run:
/// `cargo test -p argus-github --test github print_contents_request_table -- --nocapture`.
#[test]
fn print_contents_request_table() {
    println!(
        "{:>6} {:>6} | {:>9} {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>15} {:>15}",
        "files", "blobs", "GQL reqs", "fetched", "skipped", "REST reqs", "fetched", "skipped", "GQL unbounded", "REST unbounded"
    );
    for n in [1usize, 10, 50, 300] {
        let mut row = Vec::new();
        for (graphql, budget) in [(true, 8u32), (false, 8), (true, 1000), (false, 1000)] {
            let e = env();
            let wanted = synthetic_pr(&e, n);
            e.fake.state.borrow_mut().graphql_disabled = !graphql;
            let mark = warm(&e);
            let limits = ContentLimits { max_requests: budget, ..ContentLimits::default() };
            let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &limits));
            let sent = requests_since(&e, mark).len();
            assert_eq!(sent, out.requests as usize);
            let fetched = out.results.iter().filter(|r| r.text().is_some()).count();
            let skipped = out.results.iter().filter(|r| **r == BlobResult::Skipped).count();
            row.push((sent, fetched, skipped));
        }
        println!(
            "{n:>6} {:>6} | {:>9} {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>15} {:>15}",
            2 * n + 5,
            row[0].0,
            row[0].1,
            row[0].2,
            row[1].0,
            row[1].1,
            row[1].2,
            row[2].0,
            row[3].0
        );
        if n <= 50 {
            assert!(row[0].0 <= 8 && row[0].2 == 0, "n={n}: everything within 8 GraphQL requests");
        }
    }
}

#[test]
fn synthesized_contents_agree_with_a_real_diff_and_are_fetched_whole() {
    let e = env();
    let pr = fake_pr(split_unified_diff(&corpus_diff("axum-0b26411f39fc.diff")));
    e.fake.synthesize_contents(&pr);
    e.fake.add_pull_request(pr.clone());
    let reviewable: Vec<&FakeFile> = pr.files.iter().filter(|f| f.patch.is_some()).collect();
    assert!(reviewable.len() >= 40, "the 45-file axum commit: {}", reviewable.len());
    let mut wanted = Vec::new();
    for f in &reviewable {
        wanted.push(WantedFile::new(HEAD, f.filename.clone(), 0));
        wanted.push(WantedFile::new(BASE, f.previous_filename.clone().unwrap_or_else(|| f.filename.clone()), 1));
    }
    let mark = warm(&e);
    let out = block_on(e.gh.installation(INST).fetch_contents(&repo(), &wanted, &ContentLimits { max_requests: 20, ..ContentLimits::default() }));
    assert!(out.error.is_none());
    let sent = requests_since(&e, mark).len();
    println!("axum-0b26411f39fc: {} files at head and base in {sent} requests", reviewable.len());
    assert!(sent <= 2 + (2 * reviewable.len()).div_ceil(100), "2 trees + batches of 100: {sent}");
    for (w, r) in wanted.iter().zip(&out.results) {
        let f = reviewable.iter().find(|f| f.filename == w.path || f.previous_filename.as_deref() == Some(w.path.as_str())).unwrap();
        let side_absent = (w.rev == BASE && f.status == "added") || (w.rev == HEAD && f.status == "removed");
        if side_absent {
            assert_eq!(r, &BlobResult::Missing, "{} at {}", w.path, w.rev);
            continue;
        }
        let text = r.text().unwrap_or_else(|| panic!("{} at {}: {r:?}", w.path, w.rev));
        // Every line the patch shows on this side sits at its number in the text.
        let lines: Vec<&str> = text.split('\n').collect();
        let (mut o, mut n) = (0usize, 0usize);
        for l in f.patch.as_deref().unwrap().split('\n') {
            if let Some(h) = l.strip_prefix("@@ -") {
                let nums: Vec<usize> = h.split(|c: char| !c.is_ascii_digit()).filter_map(|s| s.parse().ok()).collect();
                o = nums[0].max(1);
                n = h
                    .split_once('+')
                    .unwrap()
                    .1
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|s| !s.is_empty())
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
                    .max(1);
                continue;
            }
            let (kind, body) = match l.as_bytes().first() {
                Some(b'+') => ('+', &l[1..]),
                Some(b'-') => ('-', &l[1..]),
                Some(b'\\') => continue,
                _ => (' ', l.strip_prefix(' ').unwrap_or(l)),
            };
            let at = if w.rev == HEAD { n } else { o };
            if kind == ' ' || (kind == '+') == (w.rev == HEAD) {
                assert_eq!(lines[at - 1], body, "{} at {} line {at}", w.path, w.rev);
            }
            if kind != '-' {
                n += 1;
            }
            if kind != '+' {
                o += 1;
            }
        }
    }
}
