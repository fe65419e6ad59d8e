//! Every corpus diff parses without panic, re-renders to the same text, and has
//! line numbers that agree with its hunk headers.

use crate::common::all_diffs;
use argus_diff::diff::{LineKind, ParsedDiff, parse_unified, render_unified};

/// Recounts each hunk from its lines and checks the numbers are consecutive on
/// each side, starting at the header's start. Returns a description of the
/// first mismatch.
fn numbering_errors(d: &ParsedDiff<'_>) -> Vec<String> {
    let mut errs = Vec::new();
    for f in &d.files {
        for h in &f.hunks {
            let (mut o, mut n) = (h.old_start.max(1), h.new_start.max(1));
            let (mut oc, mut nc) = (0, 0);
            for l in &h.lines {
                if l.kind != LineKind::Added {
                    if l.old.map(|x| x.get()) != Some(o) {
                        errs.push(format!("{}: old {:?} expected {o}", f.path(), l.old));
                    }
                    o += 1;
                    oc += 1;
                } else if l.old.is_some() {
                    errs.push(format!("{}: added line has an old number", f.path()));
                }
                if l.kind != LineKind::Removed {
                    if l.new.map(|x| x.get()) != Some(n) {
                        errs.push(format!("{}: new {:?} expected {n}", f.path(), l.new));
                    }
                    n += 1;
                    nc += 1;
                } else if l.new.is_some() {
                    errs.push(format!("{}: removed line has a new number", f.path()));
                }
            }
            if (oc, nc) != (h.old_count, h.new_count) {
                errs.push(format!("{}: counted {oc},{nc} header {},{}", f.path(), h.old_count, h.new_count));
            }
        }
    }
    errs
}

#[test]
fn every_corpus_diff_parses_and_round_trips() {
    let files = all_diffs();
    assert!(files.len() > 400, "corpus not found: {} files", files.len());
    let mut failures = Vec::new();
    for (name, text) in &files {
        let d = parse_unified(text);
        // Input with problems (deliberately malformed fixtures, listed in the
        // edge snapshots) gets a best-effort model; all other input must
        // re-render byte for byte with consistent numbering.
        if !d.problems.is_empty() {
            continue;
        }
        if render_unified(&d) != *text {
            failures.push(format!("{name}: re-render differs"));
        }
        for e in numbering_errors(&d) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn real_corpus_has_no_problems_and_expected_totals() {
    let mut files = 0;
    let mut problems = Vec::new();
    for (name, text) in crate::common::real_diffs() {
        let d = parse_unified(&text);
        files += d.files.len();
        problems.extend(d.problems.iter().map(|p| format!("{name}: {p}")));
        // Every file of a `git show` diff has a path and a `diff --git` header.
        for f in &d.files {
            assert!(!f.path().is_empty(), "{name}: a file without a path");
            assert!(f.header.starts_with("diff --git "), "{name}: {}", f.path());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // BASELINES.md: 360 files, 1,336 file diffs.
    assert_eq!(files, 1336);
}

/// A compact, stable description of a parsed diff for snapshots.
fn summary(d: &ParsedDiff<'_>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for f in &d.files {
        let _ = writeln!(
            out,
            "{:?} {:?} -> {:?} mode {:?}->{:?} sim {:?}{}",
            f.status,
            f.old_path.as_deref(),
            f.new_path.as_deref(),
            f.old_mode.map(|m| format!("{m:o}")),
            f.new_mode.map(|m| format!("{m:o}")),
            f.similarity,
            if f.binary { " binary" } else { "" }
        );
        for h in &f.hunks {
            let (a, r) = h.changed();
            let noeol: Vec<String> =
                h.lines.iter().filter(|l| l.no_newline).map(|l| format!("{}{}", l.kind.prefix(), l.pos().map_or(0, |p| p.number()))).collect();
            let _ = writeln!(
                out,
                "  @@ -{},{} +{},{} @@ lines {} +{a} -{r}{}",
                h.old_start,
                h.old_count,
                h.new_start,
                h.new_count,
                h.lines.len(),
                if noeol.is_empty() { String::new() } else { format!(" no-eol {}", noeol.join(",")) }
            );
        }
    }
    for p in &d.problems {
        let _ = writeln!(out, "problem {p}");
    }
    out
}

/// Structure of every edge-case file, one snapshot each (ruff's layout).
#[test]
fn edge_files_structure() {
    for (name, text) in crate::common::files_under(&crate::common::corpora().join("diffs/edge")) {
        if name.ends_with("LICENSE") || name.ends_with(".go") {
            continue;
        }
        let text = String::from_utf8_lossy(&text);
        let d = parse_unified(&text);
        let snap = name.replace(['/', '.'], "_");
        insta::assert_snapshot!(snap, summary(&d));
    }
}
