//! Property tests: random hunks render, parse back to the same model, and
//! carry consecutive numbers on both sides; arbitrary bytes never panic.

use argus_diff::diff::{Hunk, Line, LineKind, NewLine, OldLine, parse_patch, parse_unified, render_hunks};
use proptest::prelude::*;

/// A random hunk body: kinds, texts, and whether the last line lacks a newline.
fn body() -> impl Strategy<Value = (u32, u32, Vec<(u8, String)>, bool)> {
    (0u32..5000, 0u32..5000, prop::collection::vec((0u8..3, "[ -~\t]{0,20}"), 1..40), any::<bool>())
}

fn build<'a>(os: u32, ns: u32, lines: &'a [(u8, String)], no_eol: bool) -> Hunk<'a> {
    let (mut o, mut n) = (os.max(1), ns.max(1));
    let mut out = Vec::new();
    for (k, t) in lines {
        let kind = [LineKind::Context, LineKind::Added, LineKind::Removed][*k as usize];
        let mut l = Line { kind, old: None, new: None, text: t.as_str(), no_newline: false };
        if kind != LineKind::Added {
            l.old = OldLine::new(o);
            o += 1;
        }
        if kind != LineKind::Removed {
            l.new = NewLine::new(n);
            n += 1;
        }
        out.push(l);
    }
    if no_eol && let Some(l) = out.last_mut() {
        l.no_newline = true;
    }
    let oc = out.iter().filter(|l| l.kind != LineKind::Added).count() as u32;
    let nc = out.iter().filter(|l| l.kind != LineKind::Removed).count() as u32;
    Hunk {
        // A side with no lines starts at 0 in git's output when the file is empty there.
        old_start: if oc == 0 { os } else { os.max(1) },
        old_count: oc,
        new_start: if nc == 0 { ns } else { ns.max(1) },
        new_count: nc,
        old_count_omitted: false,
        new_count_omitted: false,
        section: "",
        lines: out,
    }
}

proptest! {
    #[test]
    fn random_hunks_round_trip((os, ns, lines, no_eol) in body()) {
        let h = build(os, ns, &lines, no_eol);
        let mut text = String::new();
        render_hunks(std::slice::from_ref(&h), &mut text);
        let p = parse_patch("f.txt", &text);
        prop_assert!(p.problems.is_empty(), "{:?}\n{text}", p.problems);
        prop_assert_eq!(p.file.hunks.len(), 1);
        prop_assert_eq!(&p.file.hunks[0], &h);
        let mut again = String::new();
        render_hunks(&p.file.hunks, &mut again);
        prop_assert_eq!(again, text);
    }

    #[test]
    fn arbitrary_input_never_panics(s in "(diff --git |@@ -|--- |\\+\\+\\+ | |-|\\+|\\\\|\"|[a-z/ ]|[0-9,]|\r?\n){0,200}") {
        let d = parse_unified(&s);
        // Every line number that exists is 1-based by construction; touching
        // the helpers must not panic either.
        for f in &d.files {
            let _ = f.commentable();
            for h in &f.hunks {
                for l in &h.lines {
                    if let Some(n) = l.new { let _ = f.new_line_content(n); }
                }
            }
        }
        let _ = argus_diff::diff::render_unified(&d);
    }
}
