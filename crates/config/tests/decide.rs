//! Skip decisions as a table, then on real `pull_request` webhook payloads
//! from the shared corpus.

use crate::util::resolve_all;
use argus_config::{PrFacts, ReviewDecision, ReviewEvent, Trigger, should_review};
use std::path::Path;

const CONFIG: &str = r#"
events = ["opened", "synchronize"]
skip_labels = ["No-Review"]
skip_title_keywords = ["WIP"]
skip_authors = ["renovate[bot]", "Octocat"]
skip_base_branches = ["release/*", "gh-pages"]
"#;

struct Pr {
    trigger: Trigger,
    draft: bool,
    labels: &'static [&'static str],
    title: &'static str,
    author: &'static str,
    base: &'static str,
}

const PR: Pr =
    Pr { trigger: Trigger::Event(ReviewEvent::Opened), draft: false, labels: &["bug"], title: "Fix the parser", author: "alice", base: "main" };

#[test]
fn skip_table() {
    let config = resolve_all(&[], None, None, Some(CONFIG)).config;
    let mut off = config.clone();
    off.auto_review = false;
    let mut drafts_ok = config.clone();
    drafts_ok.review_drafts = true;
    let sync = Trigger::Event(ReviewEvent::Synchronize);
    let reopened = Trigger::Event(ReviewEvent::Reopened);
    // (case, config, pr, expected: "review" or the reason as shown on the PR)
    #[rustfmt::skip]
    let cases: Vec<(&str, &argus_config::Config, Pr, &str)> = vec![
        ("plain PR",               &config,    PR,                                              "review"),
        ("synchronize enabled",    &config,    Pr { trigger: sync, ..PR },                      "review"),
        ("event not enabled",      &config,    Pr { trigger: reopened, ..PR },                  "`reopened` is not in `events`"),
        ("auto review off",        &off,       PR,                                              "automatic reviews are off (`auto_review = false`)"),
        ("command beats auto off", &off,       Pr { trigger: Trigger::Command, ..PR },          "review"),
        ("draft",                  &config,    Pr { draft: true, ..PR },                        "the pull request is a draft (`review_drafts = false`)"),
        ("draft allowed",          &drafts_ok, Pr { draft: true, ..PR },                        "review"),
        ("command beats draft",    &config,    Pr { draft: true, trigger: Trigger::Command, ..PR }, "review"),
        ("release branch",         &config,    Pr { base: "release/1.2", ..PR },                "base branch `release/1.2` matches `release/*` in `skip_base_branches`"),
        ("glob stays in segment",  &config,    Pr { base: "release/1.2/hotfix", ..PR },         "review"),
        ("exact branch",           &config,    Pr { base: "gh-pages", ..PR },                   "base branch `gh-pages` matches `gh-pages` in `skip_base_branches`"),
        ("author, any case",       &config,    Pr { author: "octocat", ..PR },                  "author `octocat` is in `skip_authors`"),
        ("bot author",             &config,    Pr { author: "renovate[bot]", ..PR },            "author `renovate[bot]` is in `skip_authors`"),
        ("label, any case",        &config,    Pr { labels: &["bug", "no-review"], ..PR },      "label `no-review` is in `skip_labels`"),
        ("title keyword",          &config,    Pr { title: "wip: parser", ..PR },               "the title contains `WIP` (`skip_title_keywords`)"),
        ("default title keyword",  &config,    Pr { title: "Docs [Skip Review]", ..PR },        "the title contains `[skip review]` (`skip_title_keywords`)"),
        ("keyword inside a word",  &config,    Pr { title: "Swipe gestures", ..PR },            "the title contains `WIP` (`skip_title_keywords`)"),
        ("command beats skips",    &config,    Pr { trigger: Trigger::Command, title: "WIP", author: "octocat", ..PR }, "review"),
    ];
    for (case, cfg, pr, expected) in cases {
        let labels: Vec<String> = pr.labels.iter().map(|l| l.to_string()).collect();
        let facts = PrFacts { trigger: pr.trigger, draft: pr.draft, labels: &labels, title: pr.title, author: pr.author, base_branch: pr.base };
        let got = match should_review(cfg, &facts) {
            ReviewDecision::Review => "review".to_string(),
            ReviewDecision::Skip(reason) => reason.to_string(),
        };
        assert_eq!(got, expected, "{case}");
    }
}

/// Real payloads: the decision follows from the payload's own draft flag,
/// labels, title, author and base branch.
#[test]
fn corpus_pull_request_payloads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/webhooks");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("corpus not found at {}", dir.display());
    };
    let mut files: Vec<_> =
        entries.map(|e| e.unwrap().path()).filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("pull_request.")).collect();
    files.sort();
    let config = resolve_all(&[], None, None, Some("skip_labels = [\"BUG\"]")).config;
    let mut lines = String::new();
    for path in files {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let action = v["action"].as_str().unwrap_or("");
        let Some(event) = ReviewEvent::parse(action) else { continue };
        let pr = &v["pull_request"];
        let labels: Vec<String> = pr["labels"].as_array().into_iter().flatten().filter_map(|l| l["name"].as_str().map(String::from)).collect();
        let facts = PrFacts {
            trigger: Trigger::Event(event),
            draft: pr["draft"].as_bool().unwrap_or(false),
            labels: &labels,
            title: pr["title"].as_str().unwrap_or(""),
            author: pr["user"]["login"].as_str().unwrap_or(""),
            base_branch: pr["base"]["ref"].as_str().unwrap_or(""),
        };
        let decision = match should_review(&config, &facts) {
            ReviewDecision::Review => "review".to_string(),
            ReviewDecision::Skip(r) => format!("skip: {r}"),
        };
        lines.push_str(&format!("{}: {decision}\n", path.file_name().unwrap().to_string_lossy()));
    }
    assert!(lines.lines().count() >= 5, "too few reviewable payloads:\n{lines}");
    insta::assert_snapshot!("corpus_decisions", lines);
}
