//! Verify before posting and stay quiet on clean code (issue 13): the scripted
//! model answers review requests and verification requests apart (by the
//! request's schema name), so each test says exactly what the verifier judged.

use super::*;

const DOUBTED: &str = "Unchecked change in axum-extra/src/extract/cookie/private.rs";

#[test]
fn verification_drops_the_finding_the_model_marks_false_and_keeps_the_rest() {
    let w = world(per_file_model());
    *w.llm.verify.borrow_mut() = verifier(|title| if title == DOUBTED { (false, 85) } else { (true, 90) });
    w.github.add_pull_request(pr(HEAD1, first_push()));
    let r = run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));

    // One verification request held every candidate, each with the code it cites.
    assert_eq!((w.llm.calls(), w.llm.verification_calls()), (1, 1));
    let v = w.llm.verifications.borrow()[0].clone();
    assert_eq!(claims(&v).len(), 4, "{v}");
    let user = v["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("File: axum-extra/src/extract/cookie/private.rs line "), "{user}");
    assert!(user.contains("<code>\n"), "the claim carries its code");
    assert_eq!(v["response_format"]["json_schema"]["strict"], true);

    assert_eq!(r.findings, 3);
    let posted = w.github.submitted_reviews();
    let comments = &posted[0].comments;
    assert_eq!(comments.len(), 3);
    assert!(comments.iter().all(|c| !c["body"].as_str().unwrap().contains("private.rs")));
    let s = &summaries(&w)[0];
    assert!(s.contains("1 finding removed by verification"), "{s}");
    assert!(s.contains("4 findings verified in 1 request"), "{s}");
    // Calls and tokens are counted as the review's: two requests.
    assert!(s.contains("gpt-4o-mini · 2 requests · 2000 input + 200 output tokens"), "{s}");
    assert_eq!((r.tokens_in, r.tokens_out), (2000, 200));

    // The cache holds the verified findings: a hit neither asks nor verifies again.
    assert!(!w.cache.values().join("\n").contains("private.rs"));
    let again = block_on(w.service.run(&job(HEAD1, None, ReviewMode::Incremental))).unwrap();
    assert_eq!((w.llm.calls(), w.llm.verification_calls()), (1, 1));
    assert_eq!(again.findings, 3);
}

#[test]
fn a_low_confidence_doubt_keeps_the_finding_and_the_threshold_is_the_repositorys() {
    // "Not true", but barely: the confidence that the claim is true is 100 - 30 = 70.
    let w = world(per_file_model());
    *w.llm.verify.borrow_mut() = verifier(|title| if title == DOUBTED { (false, 30) } else { (true, 90) });
    w.github.add_pull_request(pr(HEAD1, first_push()));
    let r = run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));
    assert_eq!(r.findings, 4);

    let w = world(per_file_model());
    *w.llm.verify.borrow_mut() = verifier(|title| if title == DOUBTED { (false, 30) } else { (true, 90) });
    w.github.set_content(FULL, BASE, ".github/argusai.toml", b"verify_min_confidence = 80\n");
    w.github.add_pull_request(pr(HEAD1, first_push()));
    let r = run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));
    assert_eq!(r.findings, 3);
}

#[test]
fn a_failed_verification_keeps_every_finding_and_says_so() {
    for (case, answer) in [
        ("provider error", status(500, &[], r#"{"error":{"message":"upstream failed"}}"#)),
        ("not the JSON asked for", completion("All of these look right to me.")),
    ] {
        let w = world(per_file_model());
        *w.llm.verify.borrow_mut() = Rc::new(move |_: &Value, _| answer.clone());
        w.github.add_pull_request(pr(HEAD1, first_push()));
        let r = run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));
        assert_eq!(r.findings, 4, "{case}");
        assert_eq!(w.github.submitted_reviews()[0].comments.len(), 4, "{case}");
        let s = &summaries(&w)[0];
        assert!(s.contains("Verification did not complete"), "{case}: {s}");
        assert!(s.contains("posted unverified"), "{case}: {s}");
        let checks = w.github.state.borrow().check_runs.clone();
        assert_eq!(checks[0].1[1]["conclusion"], "success", "{case}: the review stands");
    }
}

#[test]
fn verify_off_and_the_quiet_profile_send_no_verification_request() {
    for toml in ["verify = false\n", "profile = \"quiet\"\n"] {
        let w = world(per_file_model());
        w.github.set_content(FULL, BASE, ".github/argusai.toml", toml.as_bytes());
        w.github.add_pull_request(pr(HEAD1, first_push()));
        run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));
        assert_eq!((w.llm.calls(), w.llm.verification_calls()), (1, 0), "{toml}");
        assert!(!summaries(&w)[0].contains("verified in"), "{toml}");
    }
}

fn docs_only() -> Vec<FakeFile> {
    let md = |name: &str| FakeFile {
        filename: name.into(),
        status: "modified".into(),
        previous_filename: None,
        patch: Some("@@ -1,3 +1,3 @@\n # Title\n-Teh quick fox.\n+The quick fox.\n More text.\n".into()),
        additions: 1,
        deletions: 1,
    };
    vec![md("README.md"), md("docs/guide.md"), FakeFile { filename: "Cargo.lock".into(), ..md("Cargo.lock") }]
}

#[test]
fn a_docs_only_pr_asks_no_model_and_the_summary_says_why() {
    let w = world(per_file_model());
    w.github.add_pull_request(pr(HEAD1, docs_only()));
    let r = run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));
    assert_eq!((w.llm.calls(), w.llm.verification_calls()), (0, 0));
    assert_eq!(r.findings, 0);
    assert_eq!((r.tokens_in, r.tokens_out), (0, 0));
    let s = &summaries(&w)[0];
    assert!(s.contains("Not sent to the model: every changed file is documentation (2) or a lockfile (1)."), "{s}");
    assert!(s.contains("| `README.md` | 2 | skipped: not sent to the model: documentation |"), "{s}");
    assert!(s.contains("0 requests"), "{s}");
    // Nothing inline, no review record, and nothing cached (there was no model answer).
    assert!(w.github.submitted_reviews().iter().all(|r| r.comments.is_empty()));
    assert_eq!(w.cache.writes(), 0);

    // A person who asks gets the review anyway.
    run_and_publish(&w, &command(job(HEAD1, None, ReviewMode::Full)));
    assert_eq!(w.llm.calls(), 1);

    // With the thorough profile, documentation is reviewed (it reports docs problems).
    let w = world(per_file_model());
    w.github.set_content(FULL, BASE, ".github/argusai.toml", b"profile = \"thorough\"\n");
    w.github.add_pull_request(pr(HEAD1, docs_only()));
    run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));
    assert_eq!(w.llm.calls(), 1);
}

#[test]
fn committed_learnings_reach_the_prompt_and_suppress_their_titles_in_scope() {
    let w = world(per_file_model());
    let toml = format!(
        "[[learnings]]\nrule = \"Cookies are signed upstream; do not ask for tests here.\"\npath = \"axum-extra/**\"\n\
         title = \"{DOUBTED}\"\ncategory = \"bug\"\n\n[[learnings]]\nrule = \"Ask @someone before touching auth.\"\npath = \"docs/**\"\n"
    );
    w.github.set_content(FULL, BASE, ".github/argusai.toml", toml.as_bytes());
    w.github.add_pull_request(pr(HEAD1, first_push()));
    let r = run_and_publish(&w, &job(HEAD1, None, ReviewMode::Incremental));
    // The scoped rule whose glob covers a reviewed file is in the prompt; the other is not.
    let system = w.llm.requests.borrow()[0]["messages"][0]["content"].as_str().unwrap().to_string();
    let prompt = format!("{system}{}", w.llm.requests.borrow()[0]["messages"][1]["content"].as_str().unwrap());
    assert!(prompt.contains("- Cookies are signed upstream; do not ask for tests here."), "{prompt}");
    assert!(!prompt.contains("before touching auth"));
    assert_eq!(r.findings, 3);
    assert!(w.github.submitted_reviews()[0].comments.iter().all(|c| !c["body"].as_str().unwrap().contains("private.rs")));
    assert!(summaries(&w)[0].contains("1 finding suppressed by learnings"), "{}", summaries(&w)[0]);
}

#[test]
fn the_learnings_export_is_a_valid_learnings_table_that_round_trips() {
    use argus_core::learning::Learning;
    let learned = [
        Learning {
            id: 3,
            rule: "say \"no\" \\ then\nstop".into(),
            title: Some("Unused `x`".into()),
            category: Some("bug".into()),
            source_pr: 7,
            author: "mona".into(),
            ..Default::default()
        },
        Learning {
            id: 4,
            rule: "Prefer early returns.".into(),
            path: Some("src/**".into()),
            source_pr: 8,
            author: "hubot".into(),
            ..Default::default()
        },
    ];
    let toml: String = learned.iter().map(|l| l.toml_entry() + "\n").collect();
    let r = argus_config::resolve(&argus_config::Sources { env: &[], kv_global_defaults: None, kv_repo: None, base_branch_toml: Some(&toml) });
    assert!(r.problems.is_empty(), "{:?}\n{toml}", r.problems);
    // What a team commits comes back as it was learned (the source is the TOML's comment).
    let back: Vec<Learning> = learned
        .iter()
        .map(|l| Learning { rule: l.rule.clone(), path: l.path.clone(), category: l.category.clone(), title: l.title.clone(), ..Default::default() })
        .collect();
    assert_eq!(r.config.learnings, back);
}

#[test]
fn the_categories_a_learnings_table_accepts_are_the_review_contracts() {
    let contract: Vec<&str> = argus_review::contract::Category::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(contract, argus_config::validate::CATEGORIES);
}
