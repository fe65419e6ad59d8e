//! Table tests of the pure findings helpers: placement on a real patch,
//! fingerprints, and sanitizing of model text.

use argus_diff::diff::parse_patch;
use argus_pipeline::engine::{fingerprint, fingerprints_in, place, render_comment, sanitize};
use argus_review::contract::{Category, Finding, Severity, Side};

const PATCH: &str = "@@ -10,4 +10,5 @@ fn f()\n a\n-b\n+B\n+C\n c\n d\n@@ -30,2 +31,3 @@\n x\n+y\n z";

fn f(side: Side, start: Option<u32>, end: u32) -> Finding {
    Finding {
        path: "src/a.rs".into(),
        side,
        start_line: start,
        end_line: end,
        severity: Severity::High,
        category: Category::Bug,
        title: "Off by one".into(),
        body: "Explain.".into(),
        replacement: Some("    fixed();".into()),
    }
}

#[test]
fn placement_table() {
    let file = parse_patch("src/a.rs", PATCH).file;
    // (side, start, end) → Ok((line, start_line, exact)) or Err
    let cases: &[(Side, Option<u32>, u32, Result<(u32, Option<u32>, bool), ()>)] = &[
        (Side::Right, None, 11, Ok((11, None, true))),
        (Side::Right, Some(10), 12, Ok((12, Some(10), true))),
        // Start in another hunk: shrinks to the end line, no suggestion.
        (Side::Right, Some(11), 32, Ok((32, None, false))),
        // End outside the diff, start inside: lands on the start.
        (Side::Right, Some(12), 20, Ok((12, None, false))),
        (Side::Left, None, 11, Ok((11, None, false))),
        (Side::Right, None, 20, Err(())),
        (Side::Right, None, 0, Err(())),
    ];
    for (side, start, end, want) in cases {
        let got = place(&f(*side, *start, *end), Some(&file)).map(|a| (a.line, a.start_line, a.exact_right_range)).map_err(|_| ());
        assert_eq!(&got, want, "{side:?} {start:?} {end}");
    }
    assert!(place(&f(Side::Right, None, 11), None).is_err());
}

#[test]
fn fingerprints_ignore_lines_and_punctuation_and_round_trip_through_bodies() {
    let a = f(Side::Right, None, 11);
    let mut b = f(Side::Right, Some(3), 99);
    b.title = "off-by-one!".into();
    assert_eq!(fingerprint(&a), fingerprint(&b));
    let mut c = a.clone();
    c.path = "src/b.rs".into();
    assert_ne!(fingerprint(&a), fingerprint(&c));
    let file = parse_patch("src/a.rs", PATCH).file;
    let anchor = place(&a, Some(&file)).unwrap();
    let body = render_comment(&a, &anchor, &fingerprint(&a));
    assert_eq!(fingerprints_in(&body), vec![fingerprint(&a)]);
    assert!(body.contains("```suggestion\n    fixed();\n```"), "{body}");
}

#[test]
fn sanitize_table() {
    let cases = [
        ("ping @octocat now", "ping `@octocat` now"),
        ("mail a@b.c", "mail a@b.c"),
        ("see https://x.y/z).", "see `https://x.y/z`)."),
        ("[click](http://x)", "\\[click](`http://x`)"),
        ("<img src=x>", "&lt;img src=x>"),
        ("fixes #12", "fixes `#12`"),
        ("keep `@Override` in code", "keep `@Override` in code"),
        ("```\n@inside <b>\n```", "```\n@inside <b>\n```"),
        ("```js onload=x\ncode", "```\ncode\n```"),
    ];
    for (input, want) in cases {
        assert_eq!(sanitize(input), want, "{input:?}");
    }
}
