//! Golden snapshots of what ArgusAI posts for a realistic model reply on a real corpus
//! diff (ripgrep 2a2b1506d42c), and the second push: nothing is posted twice.

use argus_core::ids::CommitSha;
use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::parse_unified;
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, select};
use argus_review::engine::{collect, file_rows};
use argus_review::fingerprint::Dedupe;
use argus_review::place::DiffIndex;
use argus_review::redact::{RedactionReport, SecretKind};
use argus_review::render::{Pricing, ReviewRequest, SummaryInput, Usage, parse_markers, review_request};
use std::path::PathBuf;

fn corpus(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn reply() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies/ripgrep-2a2b1506d42c.txt");
    std::fs::read_to_string(p).unwrap()
}

/// Runs the findings half on the corpus diff with `posted` bodies of earlier comments.
fn review(posted: &[&str]) -> (ReviewRequest, usize) {
    let diff = corpus("diffs/real/ripgrep-2a2b1506d42c.diff");
    let parsed = parse_unified(&diff);
    let selection = select(&parsed.files, &SelectConfig::default()).unwrap();
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1200, max_chunks: None };
    let chunks = plan(&parsed.files, &selection, &budget, &[], ContextOptions::default());
    let rows = file_rows(&parsed.files, &selection, &chunks);
    let index = DiffIndex::new(&parsed.files);
    let mut dedupe = Dedupe::new(parse_markers(posted.iter().copied()).fingerprints);
    let reply = reply();
    let found = collect(&index, [reply.as_str()], &mut dedupe);
    let head = CommitSha("2a2b1506d42c0000000000000000000000000000".into());
    let mut redactions = RedactionReport::default();
    redactions.add(SecretKind::GithubToken, 1);
    let input = SummaryInput {
        head: &head,
        model: "openai/gpt-4o-mini",
        model_summaries: &found.summaries,
        placed: &found.placement.placed,
        unplaced: &found.placement.unplaced,
        files: &rows,
        usage: Usage { requests: 1, input_tokens: 2412, output_tokens: 655 },
        pricing: Some(Pricing { input_per_mtok: 0.15, output_per_mtok: 0.6 }),
        redactions: &redactions,
        rejected: found.rejected.len(),
        duplicates: found.placement.duplicates.len(),
    };
    (review_request(&input), found.placement.duplicates.len())
}

fn comments_text(r: &ReviewRequest) -> String {
    r.comments
        .iter()
        .map(|c| {
            let range = c.start_line.map(|s| format!("{s}-")).unwrap_or_default();
            format!("### {} {:?} {range}{}\n{}\n", c.path, c.side, c.line, c.body)
        })
        .collect()
}

#[test]
fn review_of_a_real_diff() {
    let (r, duplicates) = review(&[]);
    assert_eq!(duplicates, 1, "the reply repeats one finding");
    assert_eq!(serde_json::to_value(&r).unwrap()["event"], "COMMENT");
    insta::assert_snapshot!("summary", r.body);
    insta::assert_snapshot!("comments", comments_text(&r));
}

#[test]
fn second_push_posts_nothing_again() {
    let (first, _) = review(&[]);
    let mut posted: Vec<&str> = first.comments.iter().map(|c| c.body.as_str()).collect();
    posted.push(&first.body);
    let (second, duplicates) = review(&posted);
    assert!(second.comments.is_empty(), "{:?}", second.comments);
    assert!(!second.body.contains("### Other findings"), "{}", second.body);
    assert_eq!(duplicates, 6, "4 inline + 1 other + the in-reply repeat");
    // The fingerprints stay discoverable from the new summary only for what it posted.
    assert!(parse_markers([second.body.as_str()]).fingerprints.is_empty());
    assert!(second.body.contains("**No new issues**: 6 earlier findings not repeated"), "{}", second.body);
}

/// The system prompt describes argus-diff's rendering; fail loudly if that drifts.
#[test]
fn system_prompt_matches_the_rendered_diff_format() {
    let system = argus_review::contract::system_prompt(&Default::default());
    let diff = corpus("diffs/real/ripgrep-2a2b1506d42c.diff");
    let parsed = parse_unified(&diff);
    let mut out = String::new();
    argus_diff::prompt::render_file(&parsed.files[1], ContextOptions::default(), &mut out);
    assert!(out.starts_with("## grep/src/search.rs\n@@"), "{out}");
    assert!(out.contains("\n7+use syntax::Expr;\n"), "numbered added line: {out}");
    assert!(out.contains("\n-        let re = try!(\n"), "unnumbered removed line: {out}");
    assert!(out.contains("\n use Result;\n"), "unnumbered context line: {out}");
    assert_eq!(argus_diff::prompt::EXTRA_CONTEXT_PREFIX, '~');
    for phrase in ["starts with `## path`", "starts with a number is citable", "followed by `+`", "starting with `-`", "starting with `~`"] {
        assert!(system.contains(phrase), "{phrase}");
    }
}

#[test]
fn system_prompt_golden() {
    let p = argus_review::contract::system_prompt(&argus_review::contract::PromptOptions { max_findings: 15, guidelines: None });
    insta::assert_snapshot!("system_prompt", p);
}
