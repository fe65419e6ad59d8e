//! Placement fixtures: diff text with inline `«id»` markers where each finding must land,
//! checked by a harness that numbers the lines itself (independently of the parser), and
//! a property test: random hunks × random cited lines → every produced anchor is one
//! GitHub accepts.

use argus_diff::diff::parse_unified;
use argus_review::anchor::Placed;
use argus_review::contract::{Category, Finding, Severity, Side};
use argus_review::fingerprint::{Dedupe, Duplicate};
use argus_review::place::{DiffIndex, place};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One `finding` line of a fixture.
struct Cite {
    id: String,
    finding: Finding,
}

#[derive(Default)]
struct Fixture {
    cites: Vec<Cite>,
    /// `expect <id> <text>`: the unplaced reason contains `text`, or `duplicate`.
    expects: HashMap<String, String>,
    diff: String,
    /// id → (section path, side → line numbers carrying the marker).
    marks: BTreeMap<String, (String, Vec<(Side, u32)>)>,
    sources: Vec<(String, String)>,
}

fn parse_fixture(text: &str) -> Fixture {
    let mut fx = Fixture::default();
    let mut section: Option<String> = None;
    let mut full: Option<(String, String)> = None;
    let (mut old, mut new) = (0u32, 0u32);
    let mut hunk: Vec<String> = Vec::new();
    let mut hunk_head: Option<(u32, u32, String)> = None;
    let flush = |fx: &mut Fixture, head: &mut Option<(u32, u32, String)>, hunk: &mut Vec<String>| {
        if let Some((a, b, rest)) = head.take() {
            let oc = hunk.iter().filter(|l| !l.starts_with('+')).count();
            let nc = hunk.iter().filter(|l| !l.starts_with('-')).count();
            fx.diff.push_str(&format!("@@ -{a},{oc} +{b},{nc} @@{rest}\n"));
            for l in hunk.drain(..) {
                fx.diff.push_str(&l);
                fx.diff.push('\n');
            }
        }
    };
    for line in text.lines() {
        if let Some(f) = &mut full {
            if !line.starts_with("===") {
                f.1.push_str(line);
                f.1.push('\n');
                continue;
            }
            fx.sources.push(full.take().unwrap());
        }
        if line.starts_with('#') && section.is_none() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("finding ") {
            let mut parts = rest.split_whitespace();
            let id = parts.next().unwrap().to_owned();
            let side = if parts.next() == Some("LEFT") { Side::Left } else { Side::Right };
            let lines = parts.next().unwrap();
            let (start, end) = match lines.split_once('-') {
                Some((a, b)) => (Some(a.parse().unwrap()), b.parse().unwrap()),
                None => (None, lines.parse().unwrap()),
            };
            let mut finding = Finding {
                // Filled in with the first file of the fixture unless `path=` says otherwise.
                path: String::new(),
                side,
                start_line: start,
                end_line: end,
                severity: Severity::Medium,
                category: Category::Bug,
                title: format!("Finding {id}"),
                body: format!("Body of {id}."),
                replacement: None,
            };
            for opt in parts {
                match opt.split_once('=') {
                    Some(("path", p)) => finding.path = p.into(),
                    Some(("title", t)) => {
                        finding.title = t.into();
                        finding.body = "Same body.".into();
                    }
                    _ if opt == "suggest" => finding.replacement = Some("fixed();\n".into()),
                    _ => panic!("unknown option {opt}"),
                }
            }
            fx.cites.push(Cite { id, finding });
        } else if let Some(rest) = line.strip_prefix("expect ") {
            let (id, what) = rest.split_once(' ').unwrap();
            fx.expects.insert(id.into(), what.into());
        } else if let Some(rest) = line.strip_prefix("=== ") {
            flush(&mut fx, &mut hunk_head, &mut hunk);
            if let Some(p) = rest.strip_prefix("full ") {
                full = Some((p.to_owned(), String::new()));
                continue;
            }
            let (path, note) = match rest.split_once(" (") {
                Some((p, n)) => (p.to_owned(), n.trim_end_matches(')').to_owned()),
                None => (rest.to_owned(), String::new()),
            };
            let header = if note == "deleted" {
                format!("diff --git a/{path} b/{path}\ndeleted file mode 100644\n--- a/{path}\n+++ /dev/null\n")
            } else if note == "new" {
                format!("diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n")
            } else if note == "binary" {
                format!("diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\nBinary files a/{path} and b/{path} differ\n")
            } else if let Some(from) = note.strip_prefix("renamed from ") {
                format!("diff --git a/{from} b/{path}\nsimilarity index 90%\nrename from {from}\nrename to {path}\n--- a/{from}\n+++ b/{path}\n")
            } else {
                format!("diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n")
            };
            // A pure rename has no ---/+++ lines.
            let header = if note.starts_with("renamed") && !text.split(&format!("=== {rest}\n")).nth(1).is_some_and(|t| t.starts_with("@@")) {
                header.replace("similarity index 90%", "similarity index 100%").lines().take(4).map(|l| format!("{l}\n")).collect()
            } else {
                header
            };
            fx.diff.push_str(&header);
            section = Some(path);
        } else if let Some(rest) = line.strip_prefix("@@ -") {
            flush(&mut fx, &mut hunk_head, &mut hunk);
            let (a, rest) = rest.split_once(" +").unwrap();
            let (b, rest) = rest.split_once(" @@").unwrap();
            let a: u32 = a.split(',').next().unwrap().parse().unwrap();
            let b: u32 = b.split(',').next().unwrap().parse().unwrap();
            (old, new) = (a, b);
            hunk_head = Some((a, b, rest.to_owned()));
        } else if hunk_head.is_some() {
            // Strip the markers and remember which numbers they sit on.
            let (content, ids) = match line.find('«') {
                Some(i) => {
                    let ids: Vec<String> = line[i..].split('«').filter(|s| !s.is_empty()).map(|s| s.trim_end_matches('»').to_owned()).collect();
                    (line[..i].to_owned(), ids)
                }
                None => (line.to_owned(), Vec::new()),
            };
            let kind = content.chars().next().unwrap_or(' ');
            let (o, n) = match kind {
                '+' => (None, Some(new)),
                '-' => (Some(old), None),
                _ => (Some(old), Some(new)),
            };
            for id in ids {
                let entry = fx.marks.entry(id).or_insert_with(|| (section.clone().unwrap(), Vec::new()));
                if let Some(n) = n {
                    entry.1.push((Side::Right, n));
                }
                if let Some(o) = o {
                    entry.1.push((Side::Left, o));
                }
            }
            if o.is_some() {
                old += 1;
            }
            if n.is_some() {
                new += 1;
            }
            hunk.push(content);
        }
    }
    flush(&mut fx, &mut hunk_head, &mut hunk);
    if let Some(f) = full {
        fx.sources.push(f);
    }
    let first = text.lines().find_map(|l| l.strip_prefix("=== ")).map(|l| l.split(" (").next().unwrap().to_owned()).unwrap();
    for c in &mut fx.cites {
        if c.finding.path.is_empty() {
            c.finding.path = first.clone();
        }
    }
    fx
}

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/placement");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3);
    out
}

#[test]
fn placement_fixtures() {
    for (name, text) in fixtures() {
        let fx = parse_fixture(&text);
        let parsed = parse_unified(&fx.diff);
        assert!(parsed.problems.is_empty(), "{name}: fixture diff does not parse cleanly: {:?}\n{}", parsed.problems, fx.diff);
        let mut index = DiffIndex::new(&parsed.files);
        for (p, src) in &fx.sources {
            index = index.with_source(p, src);
        }
        let findings: Vec<Finding> = fx.cites.iter().map(|c| c.finding.clone()).collect();
        let out = place(&index, findings, &mut Dedupe::default());
        let title_of = |f: &Finding| f.title.clone();
        for c in &fx.cites {
            let id = &c.id;
            let ctx = format!("{name}: finding {id}");
            let placed: Vec<&Placed> = out
                .placed
                .iter()
                .filter(|p| title_of(&p.finding) == c.finding.title && p.finding.end_line == c.finding.end_line && p.finding.side == c.finding.side)
                .collect();
            if fx.expects.get(id).map(String::as_str) == Some("duplicate") {
                assert!(
                    out.duplicates.iter().any(|(f, why)| f.title == c.finding.title && *why == Duplicate::InThisReview),
                    "{ctx}: not dropped as duplicate"
                );
                continue;
            }
            match fx.marks.get(id) {
                Some((path, marks)) => {
                    assert_eq!(placed.len(), 1, "{ctx}: expected placed, got {:?}", out.unplaced.iter().find(|u| u.finding.title == c.finding.title));
                    let p = placed[0];
                    let nums: Vec<u32> = marks.iter().filter(|(s, _)| *s == c.finding.side).map(|(_, n)| *n).collect();
                    let (lo, hi) = (*nums.iter().min().unwrap(), *nums.iter().max().unwrap());
                    assert_eq!(&p.finding.path, path, "{ctx}: path");
                    assert_eq!(p.anchor.side, c.finding.side, "{ctx}: side");
                    assert_eq!((p.anchor.start_line, p.anchor.line), ((lo < hi).then_some(lo), hi), "{ctx}: lines");
                    let cited_same = c.finding.first_line() == lo && c.finding.end_line == hi;
                    assert_eq!(p.moved_from.is_some(), !cited_same, "{ctx}: moved_from {:?}", p.moved_from);
                    assert_eq!(p.suggestion.is_some(), c.finding.replacement.is_some() && p.anchor.side == Side::Right, "{ctx}: suggestion");
                }
                None => {
                    assert!(placed.is_empty(), "{ctx}: expected in the summary, got {:?}", placed[0].anchor);
                    let u = out.unplaced.iter().find(|u| u.finding.title == c.finding.title).unwrap_or_else(|| panic!("{ctx}: missing"));
                    if let Some(want) = fx.expects.get(id) {
                        assert!(u.reason.to_string().contains(want.as_str()), "{ctx}: reason {:?} lacks {want:?}", u.reason.to_string());
                    }
                }
            }
        }
        assert_eq!(out.placed.len() + out.unplaced.len() + out.duplicates.len(), fx.cites.len(), "{name}: no finding lost");
    }
}

/// A GitHub-acceptance check written from the raw hunk lines, not from the library.
fn accepted(hunks: &[Vec<(Option<u32>, Option<u32>)>], p: &Placed) -> Result<(), String> {
    let a = p.anchor;
    let on_side = |l: &(Option<u32>, Option<u32>)| if a.side == Side::Right { l.1 } else { l.0 };
    let hunk_of = |n: u32| hunks.iter().position(|h| h.iter().any(|l| on_side(l) == Some(n)));
    let end_h = hunk_of(a.line).ok_or(format!("line {} {:?} not in any hunk", a.line, a.side))?;
    if let Some(s) = a.start_line {
        if s >= a.line {
            return Err(format!("start_line {s} >= line {}", a.line));
        }
        if hunk_of(s) != Some(end_h) {
            return Err(format!("range {s}-{} crosses hunks", a.line));
        }
    }
    if p.suggestion.is_some() && a.side != Side::Right {
        return Err("suggestion on LEFT".into());
    }
    Ok(())
}

/// One hunk: a gap before it, then lines as 0 = context, 1 = added, 2 = removed.
fn hunks_strategy() -> impl Strategy<Value = Vec<(u32, Vec<u8>)>> {
    prop::collection::vec((0u32..8, prop::collection::vec(0u8..3, 1..10)), 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn every_produced_anchor_is_valid(
        spec in hunks_strategy(),
        cites in prop::collection::vec((any::<bool>(), 1u32..70, 0u32..6, any::<bool>()), 1..25),
        with_source in any::<bool>(),
    ) {
        // Build the diff text and, independently, each hunk's (old, new) numbers.
        let mut diff = String::from("diff --git a/f.rs b/f.rs\n--- a/f.rs\n+++ b/f.rs\n");
        let mut hunks = Vec::new();
        let (mut old, mut new) = (1u32, 1u32);
        let mut source: Vec<String> = Vec::new();
        for (gap, kinds) in &spec {
            for _ in 0..*gap {
                source.push(format!("unchanged {new}"));
                old += 1;
                new += 1;
            }
            let oc = kinds.iter().filter(|k| **k != 1).count();
            let nc = kinds.iter().filter(|k| **k != 2).count();
            diff.push_str(&format!("@@ -{},{oc} +{},{nc} @@\n", if oc == 0 { old - 1 } else { old }, if nc == 0 { new - 1 } else { new }));
            let mut h = Vec::new();
            for (i, k) in kinds.iter().enumerate() {
                // Few distinct contents, so relocation finds matches now and then.
                let text = format!("line{}", (i * 7 + *k as usize) % 4);
                match k {
                    0 => { diff.push_str(&format!(" {text}\n")); h.push((Some(old), Some(new))); source.push(text); old += 1; new += 1; }
                    1 => { diff.push_str(&format!("+{text}\n")); h.push((None, Some(new))); source.push(text); new += 1; }
                    _ => { diff.push_str(&format!("-{text}\n")); h.push((Some(old), None)); old += 1; }
                }
            }
            hunks.push(h);
            // Hunks must be separated by at least one unchanged line to stay distinct.
            source.push(format!("unchanged {new}"));
            old += 1;
            new += 1;
        }
        for i in 0..20 { source.push(format!("line{}", i % 4)); }
        let source = source.join("\n");
        let parsed = parse_unified(&diff);
        let mut index = DiffIndex::new(&parsed.files);
        if with_source {
            index = index.with_source("f.rs", &source);
        }
        let findings: Vec<Finding> = cites.iter().enumerate().map(|(i, (left, line, span, suggest))| Finding {
            path: "f.rs".into(),
            side: if *left { Side::Left } else { Side::Right },
            start_line: (*span > 0).then_some(*line),
            end_line: line + span,
            severity: Severity::Low,
            category: Category::Style,
            title: format!("t{}", "x".repeat(i)),
            body: "b".into(),
            replacement: (*suggest && !*left).then(|| "x".into()),
        }).collect();
        let n = findings.len();
        let out = place(&index, findings, &mut Dedupe::default());
        prop_assert_eq!(out.placed.len() + out.unplaced.len() + out.duplicates.len(), n);
        for p in &out.placed {
            prop_assert!(accepted(&hunks, p).is_ok(), "{:?} rejected: {:?}\n{}", p.anchor, accepted(&hunks, p), diff);
        }
    }
}
