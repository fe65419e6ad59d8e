//! argus-eval on a tiny synthetic dataset written for these tests (three PRs
//! of an imaginary `acme` organisation, never the benchmark's files): the
//! format, candidates and dedupe groups, the judge's verdicts and matching,
//! scores per profile and beta, peers, the report and the comparison.

use argus_eval::candidates::{Candidate, dedupe_groups};
use argus_eval::cheap;
use argus_eval::dataset::{GoldenPr, PrUrl, parse_golden};
use argus_eval::judge::{Verdict, evaluate, judge_prompt, parse_verdict};
use argus_eval::report::{PrResult, Report, build_report, compare, read_jsonl, render};
use argus_eval::score::{Profile, Tally, fbeta, peer_tallies, score};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn dataset() -> Vec<GoldenPr> {
    let (prs, problems) = parse_golden(include_str!("fixtures/golden.json")).expect("the fixture parses");
    assert_eq!(problems.len(), 1, "{problems:?}");
    prs
}

fn yes(c: f64) -> Result<Verdict, String> {
    Ok(Verdict { matched: true, confidence: c, reasoning: String::new() })
}
fn no() -> Result<Verdict, String> {
    Ok(Verdict { matched: false, confidence: 0.9, reasoning: String::new() })
}

#[test]
fn the_format_is_read_and_odd_entries_reported() {
    let (prs, problems) = parse_golden(include_str!("fixtures/golden.json")).unwrap();
    assert_eq!(prs.iter().map(|p| p.comments.len()).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(prs[0].comments[0].category.as_deref(), Some("security"));
    assert_eq!(prs[2].comments[0].category, None);
    assert_eq!(problems, ["entry 3: \"https://github.com/acme/gadgets/issues/4\" is not a GitHub pull request URL"]);
    assert!(parse_golden("{\"url\": 1}").unwrap_err().starts_with("not a list"));
}

#[test]
fn pull_request_urls() {
    let want = PrUrl { owner: "acme".into(), repo: "widgets".into(), number: 12 };
    for s in ["https://github.com/acme/widgets/pull/12", "https://github.com/acme/widgets/pull/12/files?w=1", "acme/widgets#12", " acme/widgets#12\n"]
    {
        assert_eq!(PrUrl::parse(s).as_ref(), Some(&want), "{s}");
    }
    for s in ["https://github.com/acme/widgets/issues/12", "acme/widgets#0", "acme#12", "acme/wid gets#1", "https://gitlab.com/a/b/pull/1", "a/b#x"] {
        assert_eq!(PrUrl::parse(s), None, "{s}");
    }
    assert_eq!(want.cache_name(), "acme__widgets__12.diff");
    assert_eq!(want.to_string(), "acme/widgets#12");
}

#[test]
fn a_finding_is_one_candidate_and_near_duplicates_group() {
    let c = Candidate::new("src/cache.rs", 40, "high", "security", " Cache key ignores region ", "Two tenants with one name share settings.\n");
    assert_eq!(c.text, "src/cache.rs:40 [high, security] Cache key ignores region\nTwo tenants with one name share settings.");
    let cands = [
        c.clone(),
        // Same file, 3 lines away, same words: a duplicate.
        Candidate::new("src/cache.rs", 43, "medium", "security", "Cache key ignores region", "Tenants with one name share settings."),
        // Same words, other file: not one issue.
        Candidate::new("src/other.rs", 40, "high", "security", "Cache key ignores region", "Two tenants with one name share settings."),
        // Same file and place, another problem.
        Candidate::new("src/cache.rs", 41, "medium", "bug", "Never invalidated", "Updates are ignored until restart."),
        // Chained: near the second, like it, but 8 lines from the first.
        Candidate::new("src/cache.rs", 48, "medium", "security", "Cache key ignores region", "Tenants with one name share settings."),
    ];
    assert_eq!(dedupe_groups(&cands), vec![vec![0, 1, 4]]);
    assert!(dedupe_groups(&cands[2..4]).is_empty());
}

#[test]
fn the_judge_prompt_fences_both_texts_and_verdicts_are_read_leniently() {
    let p = judge_prompt("  the loop is unbounded ", "src/a.rs:3 retries forever");
    assert!(p.contains("<expected_comment>\nthe loop is unbounded\n</expected_comment>"), "{p}");
    assert!(p.contains("<candidate>\nsrc/a.rs:3 retries forever\n</candidate>"), "{p}");
    type Want = Result<(bool, f64), &'static str>;
    let cases: [(&str, Want); 6] = [
        ("{\"reasoning\": \"same loop\", \"match\": true, \"confidence\": 0.8}", Ok((true, 0.8))),
        ("```json\n{\"match\": false, \"confidence\": 0.7}\n```", Ok((false, 0.7))),
        ("Sure. {\"match\": true}", Ok((true, 1.0))),
        ("{\"match\": true, \"confidence\": 7}", Ok((true, 1.0))),
        ("{\"match\": \"yes\", \"confidence\": 0.5}", Err("the judge's answer has no boolean `match`")),
        ("no idea", Err("no JSON object in the judge's answer")),
    ];
    for (text, want) in cases {
        let got = parse_verdict(text).map(|v| (v.matched, v.confidence));
        assert_eq!(got, want.map_err(str::to_string), "{text}");
    }
}

#[test]
fn each_golden_comment_takes_its_most_confident_match_and_duplicates_are_not_false_positives() {
    let prs = dataset();
    let golden = &prs[0].comments;
    let cands: Vec<Candidate> = (0..5).map(|i| Candidate::new("a.rs", i * 10, "high", "bug", &format!("c{i}"), "")).collect();
    // golden 0 ← c1 (0.6) then c2 (0.9); golden 1 ← c0 but undecidable with c3;
    // golden 2 ← nothing. c4 is a duplicate of c2. c3 matches nothing.
    let judge = |g: usize, c: usize| match (g, c) {
        (0, 1) => yes(0.6),
        (0, 2) => yes(0.9),
        (0, 0) => yes(0.5),
        (1, 0) => yes(0.7),
        (1, 3) => Err("timed out".to_string()),
        _ => no(),
    };
    let e = evaluate(golden, &cands, &[vec![2, 4]], judge);
    assert_eq!(e.true_positives.iter().map(|h| (h.candidate, h.confidence)).collect::<Vec<_>>(), [(2, 0.9), (0, 0.7)]);
    assert_eq!(e.true_positives[0].category.as_deref(), Some("security"));
    assert_eq!(e.false_negatives.len(), 1);
    assert_eq!(e.false_negatives[0].category.as_deref(), Some("style"));
    // c1 was the best match for a moment: not a false positive (the benchmark's rule).
    assert_eq!(e.false_positives, [3]);
    assert_eq!(e.errors, ["golden 1 × candidate 3: timed out"]);
    // No candidates: every golden comment is missed.
    let empty = evaluate(golden, &[], &[], |_, _| unreachable!());
    assert_eq!((empty.true_positives.len(), empty.false_negatives.len(), empty.false_positives.len()), (0, 3, 0));
}

fn tally(found: &[Option<&str>], missed: &[Option<&str>], fp: usize) -> Tally {
    let own = |x: &[Option<&str>]| x.iter().map(|c| c.map(str::to_string)).collect();
    Tally { found: own(found), missed: own(missed), false_positives: fp }
}

#[test]
fn profiles_count_golden_categories_and_every_false_positive() {
    let prs = [tally(&[Some("bug"), Some("perf"), Some("style")], &[Some("security"), None], 3), tally(&[], &[Some("test_gap")], 1)];
    let s = |p| {
        let s = score(&prs, p);
        (s.tp, s.fp, s.fn_, s.prs, (s.precision * 1000.0).round() as u32, (s.recall * 1000.0).round() as u32)
    };
    // strict: tp bug; fn security; fp 4 → P 1/5, R 1/2.
    assert_eq!(s(Profile::Strict), (1, 4, 1, 2, 200, 500));
    // core: tp bug, perf; fn security, test_gap → P 2/6, R 2/4.
    assert_eq!(s(Profile::Core), (2, 4, 2, 2, 333, 500));
    // all: + style; the uncategorised miss counts nowhere.
    assert_eq!(s(Profile::All), (3, 4, 2, 2, 429, 600));
    let all = score(&prs, Profile::All);
    assert!((all.f1 - 2.0 * (3.0 / 7.0) * 0.6 / (3.0 / 7.0 + 0.6)).abs() < 1e-12);
    assert!((all.f2 - 5.0 * (3.0 / 7.0) * 0.6 / (4.0 * 3.0 / 7.0 + 0.6)).abs() < 1e-12);
    assert_eq!(score(&[], Profile::All).precision, 0.0);
    assert_eq!(fbeta(0.5, 1.0, 0.5), 1.25 * 0.5 / (0.25 * 0.5 + 1.0));
}

proptest! {
    #[test]
    fn fbeta_lies_between_precision_and_recall(p in 0.01f64..=1.0, r in 0.01f64..=1.0, beta in 0.1f64..4.0) {
        let f = fbeta(p, r, beta);
        prop_assert!(f >= p.min(r) - 1e-12 && f <= p.max(r) + 1e-12, "{f} outside [{p}, {r}]");
        prop_assert!((fbeta(p, p, beta) - p).abs() < 1e-12);
    }

    #[test]
    fn verdict_parsing_never_panics(s in ".{0,200}") {
        if let Ok(v) = parse_verdict(&s) {
            prop_assert!((0.0..=1.0).contains(&v.confidence));
        }
    }
}

#[test]
fn peers_are_scored_over_the_same_prs_with_categories_from_the_dataset() {
    let (peers, problems) = peer_tallies(include_str!("fixtures/peers-evaluations.json"), &dataset()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(peers.keys().collect::<Vec<_>>(), ["tool-a", "tool-b"]);
    // tool-a: the other/repo PR (fp 9) is outside the dataset and left out.
    let a = score(&peers["tool-a"], Profile::Core);
    assert_eq!((a.tp, a.fp, a.fn_, a.prs), (1, 2, 3, 2));
    // tool-b's skipped PR does not count.
    let b = score(&peers["tool-b"], Profile::Strict);
    assert_eq!((b.tp, b.fp, b.fn_, b.prs), (0, 1, 1, 1));
    assert!(peer_tallies("[]", &dataset()).is_err());
}

#[test]
fn the_cheap_matcher_needs_shared_keywords() {
    let golden = "The retry loop has no upper bound: a permanently failing upload retries forever and blocks the worker.";
    let hit =
        Candidate::new("src/upload.rs", 30, "high", "bug", "Unbounded retry loop", "A failing upload retries forever and blocks the worker thread.");
    let miss = Candidate::new("src/upload.rs", 30, "low", "style", "Naming", "Rename this variable.");
    assert!(cheap::verdict(golden, &hit).matched, "{:?}", cheap::verdict(golden, &hit));
    assert!(!cheap::verdict(golden, &miss).matched);
    // Naming the file lowers the bar.
    let weak = Candidate::new("src/sender.rs", 30, "low", "bug", "Loop", "It never stops.");
    assert!(!cheap::verdict("the loop spins without any backoff, flooding upstream servers", &weak).matched);
    // 2 of 8 keywords (sender, loop): enough only because the file is named.
    let named = cheap::verdict("sender.rs: the loop spins without any backoff, flooding upstream servers", &weak);
    assert_eq!((named.matched, named.confidence), (true, 0.25));
    assert_eq!(cheap::keywords("Tokens, token; THE loops!"), ["loop", "token"].iter().map(|s| s.to_string()).collect());
}

fn synthetic_results() -> Vec<PrResult> {
    let prs = dataset();
    let cands = |n: u32| -> Vec<Candidate> { (0..n).map(|i| Candidate::new("a.rs", i + 1, "high", "bug", &format!("finding {i}"), "")).collect() };
    let mut out = Vec::new();
    // PR 11: two of three found (security, bug) and one false positive.
    let c = cands(3);
    let e = evaluate(&prs[0].comments, &c, &[], |g, c| if g == c && g < 2 { yes(0.9) } else { no() });
    out.push(PrResult {
        url: prs[0].url.clone(),
        candidates: c,
        judged: e.clone(),
        cheap: e,
        tokens_in: 3000,
        tokens_out: 300,
        cost_usd: Some(0.002),
        model_calls: 1,
        judge_calls: 9,
        duration_ms: 4000,
        ..Default::default()
    });
    // PR 12: nothing found, one false positive.
    let c = cands(1);
    let e = evaluate(&prs[1].comments, &c, &[], |_, _| no());
    out.push(PrResult {
        url: prs[1].url.clone(),
        candidates: c,
        judged: e.clone(),
        cheap: e,
        tokens_in: 1000,
        tokens_out: 100,
        cost_usd: Some(0.001),
        model_calls: 1,
        judge_calls: 2,
        duration_ms: 2000,
        ..Default::default()
    });
    // PR 3 failed: not scored.
    out.push(PrResult { url: prs[2].url.clone(), error: Some("the model call failed: 503".into()), ..Default::default() });
    out
}

#[test]
fn results_resume_from_jsonl_and_sum_into_a_report() {
    let results = synthetic_results();
    let mut jsonl: String = results.iter().map(|r| serde_json::to_string(r).unwrap() + "\n").collect();
    jsonl.push_str("{\"url\": \"half a li");
    let (back, problems) = read_jsonl(&jsonl);
    assert_eq!(back.len(), 3);
    assert_eq!(problems.len(), 1);
    assert!(back[&results[0].url].is_final());
    assert!(!back[&results[2].url].is_final(), "a failed PR is redone");
    let (peers, _) = peer_tallies(include_str!("fixtures/peers-evaluations.json"), &dataset()).unwrap();
    let report = build_report("", "gpt-4o-mini", "gpt-4o", &results, &peers);
    assert_eq!((report.prs, report.failed, report.skipped), (2, 1, 0));
    let strict = report.scores[&Profile::Strict];
    assert_eq!((strict.tp, strict.fp, strict.fn_), (2, 2, 1));
    assert_eq!(report.per_pr.cost_usd, Some(0.0015));
    insta::assert_snapshot!("report", render(&report));
    let json: Report = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
    assert_eq!(json, report);
}

#[test]
fn compare_prints_the_difference_per_profile() {
    let a = build_report("context off", "m", "j", &synthetic_results(), &BTreeMap::new());
    let mut better = synthetic_results();
    // With context the second PR's bug is found and the false positive is gone.
    let prs = dataset();
    better[1].judged = evaluate(&prs[1].comments, &better[1].candidates, &[], |g, _| if g == 0 { yes(0.8) } else { no() });
    better[1].cost_usd = None;
    let b = build_report("context on", "m", "j2", &better, &BTreeMap::new());
    insta::assert_snapshot!("compare", compare(&a, &b));
}
