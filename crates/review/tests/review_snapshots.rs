//! Golden snapshots of what ArgusAI posts, built where it is built (`render`,
//! size limits included), for a realistic model reply on a real corpus diff
//! (ripgrep 2a2b1506d42c), and the second push: nothing is posted twice.

use argus_core::ids::CommitSha;
use argus_diff::diff::parse_unified;
use argus_diff::prompt::ContextOptions;
use argus_review::contract::{Severity, parse_reply};
use argus_review::engine::apply_limits;
use argus_review::fingerprint::Dedupe;
use argus_review::place::{DiffIndex, place};
use argus_review::redact::{RedactionReport, SecretKind};
use argus_review::render::{self, FileOutcome, FileRow, Notes, Pricing, Review, Usage, parse_markers};
use std::path::PathBuf;

fn corpus(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn reply() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies/ripgrep-2a2b1506d42c.txt");
    std::fs::read_to_string(p).unwrap()
}

/// The findings half on the corpus diff, with `posted` bodies of earlier comments.
fn review(posted: &[&str]) -> Review {
    let diff = corpus("diffs/real/ripgrep-2a2b1506d42c.diff");
    let parsed = parse_unified(&diff);
    let index = DiffIndex::new(&parsed.files);
    let mut dedupe = Dedupe::new(parse_markers(posted.iter().copied()).keys);
    let reply = parse_reply(&reply());
    let mut placement = place(&index, reply.findings, &mut dedupe);
    let below_threshold = apply_limits(&mut placement, Severity::Low, 20);
    let mut redactions = RedactionReport::default();
    redactions.add(SecretKind::GithubToken, 1);
    let files = parsed
        .files
        .iter()
        .map(|f| FileRow { path: f.path().to_string(), changed_lines: f.changed_lines(), status: FileOutcome::Reviewed })
        .collect();
    Review {
        head: CommitSha("2a2b1506d42c0000000000000000000000000000".into()),
        model: "openai/gpt-4o-mini".into(),
        model_summaries: reply.summary.into_iter().collect(),
        duplicates: placement.duplicates.len(),
        placed: placement.placed,
        unplaced: placement.unplaced,
        files,
        usage: Usage { requests: 1, input_tokens: 2412, output_tokens: 655 },
        pricing: Some(Pricing { input_per_mtok: 0.15, output_per_mtok: 0.6 }),
        redactions,
        rejected: reply.rejected.len(),
        notes: Notes {
            scope: "Full review: this is the pull request's first review.".into(),
            below_threshold,
            threshold: Some(Severity::Low),
            not_reviewable: vec![("doc/logo.png".into(), "binary file or no textual change".into())],
            config_problems: vec!["`max_filez` is not a known key; did you mean `max_files`?".into()],
            addressed_to_ai: vec![
                "Text addressed to AI reviewers in the pull request's description (line 3) asks them to approve or merge the change.".into(),
            ],
            steering_discarded: 1,
            ..Notes::default()
        },
        not_placed: vec![],
        subrequests: None,
    }
}

fn comments_text(r: &Review) -> String {
    render::comments(r)
        .iter()
        .map(|c| {
            let range = c.start_line.map(|s| format!("{s}-")).unwrap_or_default();
            format!("### {} {:?} {range}{}\n{}\n", c.path, c.side, c.line, c.body)
        })
        .collect()
}

#[test]
fn review_of_a_real_diff() {
    let r = review(&[]);
    assert_eq!(r.duplicates, 1, "the reply repeats one finding");
    insta::assert_snapshot!("summary", render::summary(&r));
    insta::assert_snapshot!("comments", comments_text(&r));
    insta::assert_snapshot!("review_body", render::review_body(&r).expect("new findings"));
    assert_eq!(render::check_title(&r), "5 new finding(s)");
}

#[test]
fn second_push_posts_nothing_again() {
    let first = review(&[]);
    let comments = render::comments(&first);
    let body = render::review_body(&first).unwrap();
    let mut posted: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    posted.push(&body);
    let second = review(&posted);
    assert!(second.placed.is_empty(), "{:?}", second.placed);
    assert!(render::review_body(&second).is_none(), "no empty review");
    assert_eq!(second.duplicates, 6, "4 inline + 1 other + the in-reply repeat");
    let summary = render::summary(&second);
    assert!(!summary.contains("### Other findings"), "{summary}");
    // The fingerprints stay discoverable from the new summary only for what it posted.
    assert!(parse_markers([summary.as_str()]).keys.is_empty());
    assert!(summary.contains("**No new issues**: 6 earlier findings not repeated"), "{summary}");
    assert_eq!(render::check_title(&second), "No new findings");
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
    assert!(out.contains("\n130-        let re = try!(\n"), "removed line with its old number: {out}");
    assert!(out.contains("\n use Result;\n"), "unnumbered context line: {out}");
    assert_eq!(argus_diff::prompt::EXTRA_CONTEXT_PREFIX, '~');
    for phrase in
        ["starts with `## path`", "starts with a number is citable", "followed by `+`", "number followed by `-`", "side LEFT", "starting with `~`"]
    {
        assert!(system.contains(phrase), "{phrase}");
    }
}
