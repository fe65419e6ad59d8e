//! Suggestions never delete or duplicate code by accident: for any model reply (arbitrary
//! findings with arbitrary replacements) placed on a real corpus diff, every posted
//! ```` ```suggestion ```` block is non-empty, differs from the lines it replaces, and
//! cannot be closed early by its own content.

use argus_diff::diff::{FileDiff, NewLine, parse_unified};
use argus_review::contract::parse_reply;
use argus_review::fingerprint::Dedupe;
use argus_review::place::{DiffIndex, place};
use argus_review::render::render_comment;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A real diff with several files, added and context lines, and CRLF-free Rust code.
fn corpus_diff() -> &'static str {
    static DIFF: OnceLock<String> = OnceLock::new();
    DIFF.get_or_init(|| {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real/ripgrep-2a2b1506d42c.diff");
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    })
}

/// Every RIGHT line the diff shows, as (file index, line number).
fn right_lines(files: &[FileDiff<'_>]) -> Vec<(usize, u32)> {
    files.iter().enumerate().flat_map(|(i, f)| f.commentable().right.into_iter().map(move |(n, _)| (i, n.get()))).collect()
}

fn content(f: &FileDiff<'_>, n: u32) -> Option<String> {
    NewLine::new(n).and_then(|n| f.new_line_content(n)).map(str::to_owned)
}

/// What a model might put in `replacement`, built from the cited lines themselves so the
/// risky cases (empty, identical, identical but for whitespace, spilling over the range)
/// come up often, mixed with arbitrary text.
#[derive(Clone, Debug)]
enum Repl {
    Null,
    Blank(String),
    Same { trailing_newline: bool, trailing_spaces: bool, crlf: bool },
    WithLineAbove,
    WithLineBelow,
    AsDiff,
    Edited(String),
    Arbitrary(String),
}

fn repl_strategy() -> impl Strategy<Value = Repl> {
    prop_oneof![
        Just(Repl::Null),
        "[ \t\r\n]{0,6}".prop_map(Repl::Blank),
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(trailing_newline, trailing_spaces, crlf)| Repl::Same {
            trailing_newline,
            trailing_spaces,
            crlf
        }),
        Just(Repl::WithLineAbove),
        Just(Repl::WithLineBelow),
        Just(Repl::AsDiff),
        "[a-z(); ]{1,12}".prop_map(Repl::Edited),
        "(```|`|~~~|[a-z ]{0,8}|\n|\r\n|\t|suggestion|-|\\+|[0-9]{1,3}){0,12}".prop_map(Repl::Arbitrary),
    ]
}

fn build(r: &Repl, current: &[String], above: Option<&String>, below: Option<&String>, first: u32) -> Value {
    match r {
        Repl::Null => Value::Null,
        Repl::Blank(s) | Repl::Arbitrary(s) => json!(s),
        Repl::Same { trailing_newline, trailing_spaces, crlf } => {
            let sep = if *crlf { "\r\n" } else { "\n" };
            let pad = if *trailing_spaces { "  " } else { "" };
            let mut s = current.iter().map(|l| format!("{l}{pad}")).collect::<Vec<_>>().join(sep);
            if *trailing_newline {
                s.push_str(sep);
            }
            json!(s)
        }
        Repl::WithLineAbove => json!(above.into_iter().chain(current).cloned().collect::<Vec<_>>().join("\n")),
        Repl::WithLineBelow => json!(current.iter().chain(below).cloned().collect::<Vec<_>>().join("\n")),
        Repl::AsDiff => json!(current.iter().enumerate().map(|(k, l)| format!("{}+{l}", first + k as u32)).collect::<Vec<_>>().join("\n")),
        Repl::Edited(tail) => json!(current.iter().map(|l| format!("{l}{tail}")).collect::<Vec<_>>().join("\n")),
    }
}

/// The content of the one suggestion block in a rendered comment, with its fence.
fn suggestion_block(body: &str) -> Option<(String, String)> {
    let start = body.find("suggestion\n")?;
    let fence_start = body[..start].rfind('\n').map_or(0, |i| i + 1);
    let fence = &body[fence_start..start];
    assert!(fence.len() >= 3 && fence.bytes().all(|b| b == b'`'), "not a fence: {fence:?} in {body}");
    let rest = &body[start + "suggestion\n".len()..];
    let close = format!("\n{fence}\n");
    let end = rest.find(&close).or_else(|| rest.strip_prefix(&close[1..]).map(|_| 0)).unwrap_or_else(|| panic!("unclosed suggestion in {body}"));
    // The first line equal to a closing fence ends the block in GitHub's Markdown: it must
    // be ours, so no line inside may be a run of at least as many backticks.
    let inner = if end == 0 && rest.starts_with(&close[1..]) { "" } else { &rest[..end] };
    for line in inner.lines() {
        let t = line.trim();
        assert!(!(t.len() >= fence.len() && t.bytes().all(|b| b == b'`')), "the content closes the fence: {body}");
    }
    Some((fence.to_owned(), inner.to_owned()))
}

fn normalized(s: &str) -> Vec<String> {
    s.split('\n').map(|l| l.trim_end().to_owned()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
    #[test]
    fn every_posted_suggestion_changes_the_cited_lines(
        cites in prop::collection::vec((any::<prop::sample::Index>(), 0u32..4, repl_strategy()), 1..12),
    ) {
        let parsed = parse_unified(corpus_diff());
        let lines = right_lines(&parsed.files);
        let mut findings = Vec::new();
        for (k, (at, span, repl)) in cites.iter().enumerate() {
            let (file, line) = lines[at.index(lines.len())];
            let f = &parsed.files[file];
            // Ranges may run past the hunk: placement then sends them to the summary.
            let end = line + span;
            let current: Vec<String> = (line..=end).filter_map(|n| content(f, n)).collect();
            let above = line.checked_sub(1).and_then(|n| content(f, n));
            let below = content(f, end + 1);
            findings.push(json!({
                "path": f.path(), "side": "RIGHT", "start_line": (*span > 0).then_some(line), "end_line": end,
                "severity": "medium", "category": "bug", "title": format!("finding {k}"), "body": "Because.",
                "replacement": build(repl, &current, above.as_ref(), below.as_ref(), line),
            }));
        }
        let reply = json!({ "findings": findings, "summary": "s" }).to_string();
        let parsed_reply = parse_reply(&reply);
        prop_assert!(parsed_reply.rejected.is_empty(), "{:?}", parsed_reply.rejected);
        let index = DiffIndex::new(&parsed.files);
        let placement = place(&index, parsed_reply.findings, &mut Dedupe::default());
        for p in &placement.placed {
            let body = render_comment(p);
            let Some((_, inner)) = suggestion_block(&body) else {
                prop_assert!(p.suggestion.is_none(), "a suggestion was set but not rendered: {body}");
                continue;
            };
            prop_assert!(!inner.trim().is_empty(), "empty suggestion (a deletion): {body}");
            let file = parsed.files.iter().find(|f| f.path() == p.finding.path).unwrap();
            let start = p.anchor.start_line.unwrap_or(p.anchor.line);
            let current: Vec<String> = (start..=p.anchor.line).map(|n| content(file, n).expect("anchored lines are in the diff")).collect();
            prop_assert_ne!(normalized(inner.trim_end_matches(['\r', '\n'])), normalized(&current.join("\n")), "suggestion identical to the lines: {}", body);
        }
    }
}

#[test]
fn a_fence_inside_the_replacement_gets_a_longer_fence() {
    let parsed = parse_unified(corpus_diff());
    let (file, line) = right_lines(&parsed.files)[3];
    let f = &parsed.files[file];
    let replacement = "let doc = \"\n```\nnot the end\n````\n\";";
    let reply = json!({ "findings": [{ "path": f.path(), "side": "RIGHT", "start_line": null, "end_line": line, "severity": "low",
        "category": "docs", "title": "t", "body": "b", "replacement": replacement }] })
    .to_string();
    let index = DiffIndex::new(&parsed.files);
    let placement = place(&index, parse_reply(&reply).findings, &mut Dedupe::default());
    let body = render_comment(&placement.placed[0]);
    let (fence, inner) = suggestion_block(&body).expect("suggestion posted");
    assert_eq!(fence, "`````");
    assert_eq!(inner, replacement);
}
