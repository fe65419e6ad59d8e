//! Placement: every finding is anchored on lines GitHub accepts, or sent to the summary's
//! "other findings" with the reason. One invalid anchor makes GitHub reject the whole
//! review with a 422, so the rules here are strict:
//!
//! - an anchor is a line shown inside a hunk of that file on that side (added and context
//!   lines on RIGHT by new number, removed and context lines on LEFT by old number);
//! - a range has `start_line < line`, one side, and sits within one hunk;
//! - a finding citing lines outside the diff moves to the nearest lines of the nearest
//!   hunk only when they hold exactly the cited code (known from the full new file, when
//!   the caller supplies it); otherwise it goes to the summary;
//! - a suggestion is offered only on RIGHT lines (GitHub applies it to the new file), and
//!   only when it changes something: an empty or whitespace-only replacement, one equal to
//!   the current lines, one that repeats the lines around the range, or one written as a
//!   diff is dropped (the finding stays). GitHub offers a suggestion as a one-click commit,
//!   so an empty block would delete the cited lines and a repeated line would duplicate
//!   code (see [`vet_suggestion`]).
//!
//! <https://docs.github.com/en/rest/pulls/comments#create-a-review-comment-for-a-pull-request>

use crate::anchor::{Anchor, Placed, Unplaced, UnplacedReason};
use crate::contract::{Finding, Side};
use crate::fingerprint::{Dedupe, Duplicate, FindingKey};
use argus_diff::diff::{Commentable, DiffPos, FileDiff, NewLine, OldLine};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What placement made of a batch of findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub placed: Vec<Placed>,
    pub unplaced: Vec<Unplaced>,
    /// Findings dropped by dedupe (already posted on the PR, or repeated in this review).
    pub duplicates: Vec<(Finding, Duplicate)>,
}

/// The diff's files indexed for placement, with the full new contents of those files the
/// caller fetched (used only to recognize code cited outside the diff).
pub struct DiffIndex<'d, 'a> {
    files: &'d [FileDiff<'a>],
    by_path: HashMap<&'d str, usize>,
    commentable: Vec<Commentable>,
    sources: HashMap<usize, Vec<&'d str>>,
}

impl<'d, 'a> DiffIndex<'d, 'a> {
    pub fn new(files: &'d [FileDiff<'a>]) -> Self {
        let mut by_path = HashMap::new();
        // Old paths first, so a file's new path wins when a rename reuses a name.
        for (i, f) in files.iter().enumerate() {
            if let Some(p) = f.old_path.as_deref() {
                by_path.insert(p, i);
            }
        }
        for (i, f) in files.iter().enumerate() {
            if let Some(p) = f.new_path.as_deref() {
                by_path.insert(p, i);
            }
        }
        let commentable = files.iter().map(FileDiff::commentable).collect();
        Self { files, by_path, commentable, sources: HashMap::new() }
    }

    /// Supplies the full new content of `path` (ignored when the path is not in the diff).
    pub fn with_source(mut self, path: &str, content: &'d str) -> Self {
        if let Some(&i) = self.by_path.get(path) {
            self.sources.insert(i, content.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect());
        }
        self
    }

    /// The file a finding's path names. Models sometimes keep git's `a/`/`b/` prefixes
    /// or a leading `/`; those are tried only when the exact path is not in the diff.
    fn file(&self, path: &str) -> Option<usize> {
        if let Some(&i) = self.by_path.get(path) {
            return Some(i);
        }
        ["b/", "a/", "/"].iter().find_map(|p| path.strip_prefix(p).and_then(|rest| self.by_path.get(rest).copied()))
    }

    /// Content of the cited lines of the full new file, when known.
    fn source_lines(&self, file: usize, start: u32, end: u32) -> Option<Vec<&'d str>> {
        let src = self.sources.get(&file)?;
        let lines = src.get(start as usize - 1..end as usize)?;
        Some(lines.to_vec())
    }

    /// Content of a line the diff shows at `pos`.
    fn diff_line(&self, file: usize, pos: DiffPos) -> Option<&'a str> {
        let f = &self.files[file];
        match pos {
            DiffPos::Right(n) => f.new_line_content(n),
            DiffPos::Left(o) => f.old_line(o).map(|l| l.content()),
        }
    }
}

fn pos(side: Side, n: u32) -> Option<DiffPos> {
    match side {
        Side::Right => NewLine::new(n).map(DiffPos::Right),
        Side::Left => OldLine::new(n).map(DiffPos::Left),
    }
}

/// A cited line is "clearly the same code" only if it has some substance: a lone `}` or
/// blank line matches everywhere.
fn substantial(line: &str) -> bool {
    let t = line.trim();
    t.chars().filter(|c| !c.is_whitespace()).count() >= 3 && t.chars().any(char::is_alphanumeric)
}

/// Anchors one finding, or says why it cannot be anchored.
pub fn place_one(index: &DiffIndex<'_, '_>, f: &Finding) -> Result<(Anchor, Option<Anchor>), UnplacedReason> {
    let file = index.file(&f.path).ok_or(UnplacedReason::UnknownFile)?;
    if index.files[file].hunks.is_empty() {
        return Err(UnplacedReason::NoHunks);
    }
    let c = &index.commentable[file];
    let start = f.first_line();
    let end = f.end_line;
    let hunk = |n| pos(f.side, n).and_then(|p| c.hunk(p));
    match (hunk(start), hunk(end)) {
        (Some(a), Some(b)) if a == b => {
            let anchor = Anchor { side: f.side, start_line: (start < end).then_some(start), line: end };
            return Ok((anchor, None));
        }
        (Some(_), Some(_)) => return Err(UnplacedReason::SpansHunks { start_line: start, line: end }),
        _ => {}
    }
    let outside = if hunk(start).is_none() { start } else { end };
    let not_found = || {
        if start == end || hunk(start).is_some() || hunk(end).is_some() {
            UnplacedReason::OutsideDiff { line: outside }
        } else {
            UnplacedReason::OutsideDiff { line: start }
        }
    };
    // Relocation needs the cited code, which only the full new file can tell.
    if f.side != Side::Right {
        return Err(not_found());
    }
    let cited = index.source_lines(file, start, end).ok_or_else(not_found)?;
    if !cited.iter().any(|l| substantial(l)) {
        return Err(not_found());
    }
    let target = relocate(index, file, &cited, start).ok_or_else(not_found)?;
    let len = end - start;
    let anchor = Anchor { side: Side::Right, start_line: (len > 0).then_some(target), line: target + len };
    let moved_from = Anchor { side: f.side, start_line: f.start_line, line: end };
    Ok((anchor, Some(moved_from)))
}

/// The first line of the run of RIGHT lines of the hunk nearest to `near` that holds
/// exactly `cited` (trailing whitespace aside), nearest to `near` first.
fn relocate(index: &DiffIndex<'_, '_>, file: usize, cited: &[&str], near: u32) -> Option<u32> {
    let f = &index.files[file];
    let nearest = f
        .hunks
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let (a, b) = h.new_range()?;
            let (a, b) = (a.get(), b.get());
            let dist = if near < a { a - near } else { near.saturating_sub(b) };
            Some((dist, i, a, b))
        })
        .min()?;
    let (_, _, first, last) = nearest;
    let len = cited.len() as u32;
    let mut best: Option<u32> = None;
    for s in first..=last.saturating_sub(len - 1) {
        let same = (0..len).all(|k| {
            index.diff_line(file, DiffPos::Right(NewLine::new(s + k).expect("s ≥ 1"))).is_some_and(|l| l.trim_end() == cited[k as usize].trim_end())
        });
        if same && best.is_none_or(|b| s.abs_diff(near) < b.abs_diff(near)) {
            best = Some(s);
        }
    }
    best
}

/// Content of the anchored lines (for the fingerprint), or of the cited lines the diff shows.
fn anchored_content<'a>(index: &DiffIndex<'_, 'a>, file: Option<usize>, side: Side, start: u32, end: u32) -> Vec<&'a str> {
    let Some(file) = file else { return Vec::new() };
    (start..=end.min(start.saturating_add(200))).filter_map(|n| pos(side, n).and_then(|p| index.diff_line(file, p))).collect()
}

/// Why a model's replacement is not offered as a GitHub suggestion. The finding is still
/// posted, without the one-click change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoSuggestion {
    /// No replacement, or only whitespace: as a suggestion it would delete the lines.
    Empty,
    /// The replacement equals the current lines (trailing whitespace and CRLF aside).
    SameAsCurrent,
    /// The replacement starts with the line above the range or ends with the line below
    /// it: applied, it would duplicate code outside the cited range.
    OutsideRange,
    /// The replacement carries the prompt's line numbers or diff markers, not code.
    DiffMarkup,
    /// Suggestions apply to the new file only (RIGHT side).
    LeftSide,
    /// The anchored lines are not all shown in the diff, so the change cannot be checked.
    UnknownLines,
}

/// Lines of `s` as GitHub compares them: split on `\n`, each without `\r` and trailing
/// whitespace, with one final newline ignored.
fn normalized_lines(s: &str) -> Vec<&str> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.split('\n').map(str::trim_end).collect()
}

/// True when the replacement is the prompt's numbered diff (`12+code`, `13 code`, with
/// consecutive numbers) or a unified diff (`+`/`-` before every line) rather than code:
/// the model pasted the diff. One line alone is never judged: `-x` or `1 + x` is code.
fn looks_like_diff(lines: &[&str]) -> bool {
    let text: Vec<&str> = lines.iter().copied().filter(|l| !l.trim().is_empty()).collect();
    if text.len() < 2 {
        return false;
    }
    let number = |l: &str| {
        let digits = l.bytes().take_while(u8::is_ascii_digit).count();
        let marker = matches!(l.as_bytes().get(digits), Some(b'+' | b' '));
        if digits > 0 && marker { l[..digits].parse::<u64>().ok() } else { None }
    };
    let numbers: Option<Vec<u64>> = text.iter().map(|l| number(l)).collect();
    // Added lines carry `N+` with no space; at least one must, or `0 => a` would count.
    let added = text.iter().any(|l| {
        let digits = l.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && l.as_bytes().get(digits) == Some(&b'+')
    });
    let numbered = added && numbers.is_some_and(|n| n.windows(2).all(|w| w[1] == w[0] + 1));
    let marked = |l: &str| (l.starts_with('+') && !l.starts_with("++")) || (l.starts_with('-') && !l.starts_with("--"));
    numbered || text.iter().all(|l| marked(l))
}

/// Decides whether `replacement` may be offered as a suggestion replacing `current` (the
/// anchored lines, as the diff shows them), given the lines just `before` and `after` the
/// range when the diff shows them. Returns the replacement to post.
pub fn vet_suggestion(replacement: &str, current: &[&str], before: Option<&str>, after: Option<&str>) -> Result<String, NoSuggestion> {
    if replacement.trim().is_empty() {
        return Err(NoSuggestion::Empty);
    }
    let new = normalized_lines(replacement);
    let old: Vec<&str> = current.iter().map(|l| l.trim_end()).collect();
    if new == old {
        return Err(NoSuggestion::SameAsCurrent);
    }
    if looks_like_diff(&new) {
        return Err(NoSuggestion::DiffMarkup);
    }
    // The replacement repeats a neighbour only when that neighbour is real code (a blank
    // line or a lone brace matches too easily) and the range itself does not start or end
    // with the same text (then the model may just be keeping its own first line).
    let repeats = |neighbour: Option<&str>, edge_new: Option<&&str>, edge_old: Option<&&str>| {
        neighbour.map(str::trim_end).is_some_and(|n| substantial(n) && edge_new == Some(&n) && edge_old != Some(&n))
    };
    if new.len() > old.len() && (repeats(before, new.first(), old.first()) || repeats(after, new.last(), old.last())) {
        return Err(NoSuggestion::OutsideRange);
    }
    Ok(replacement.to_owned())
}

/// The suggestion to post for a placed finding, if its replacement passes [`vet_suggestion`].
fn suggestion_for(index: &DiffIndex<'_, '_>, file: Option<usize>, anchor: Anchor, replacement: Option<&str>) -> Option<String> {
    let replacement = replacement?;
    let checked = (|| {
        if anchor.side != Side::Right {
            return Err(NoSuggestion::LeftSide);
        }
        let file = file.ok_or(NoSuggestion::UnknownLines)?;
        let start = anchor.start_line.unwrap_or(anchor.line);
        let line = |n: u32| NewLine::new(n).and_then(|n| index.diff_line(file, DiffPos::Right(n)));
        let current: Vec<&str> = (start..=anchor.line).map(line).collect::<Option<_>>().ok_or(NoSuggestion::UnknownLines)?;
        vet_suggestion(replacement, &current, start.checked_sub(1).and_then(line), line(anchor.line + 1))
    })();
    checked.ok()
}

/// Places findings, fingerprints them and drops duplicates, keeping the input order.
pub fn place(index: &DiffIndex<'_, '_>, findings: Vec<Finding>, dedupe: &mut Dedupe) -> Placement {
    let mut out = Placement::default();
    for mut f in findings {
        let file = index.file(&f.path);
        // A finding citing a renamed file by its old name is posted on the new name:
        // GitHub only knows the path the file has in the PR's head.
        if let Some(i) = file {
            let path = index.files[i].path();
            if path != f.path {
                f.path = path.to_owned();
            }
        }
        match place_one(index, &f) {
            Ok((anchor, moved_from)) => {
                let start = anchor.start_line.unwrap_or(anchor.line);
                let content = anchored_content(index, file, anchor.side, start, anchor.line);
                let key = FindingKey::of(&f.path, f.category.as_str(), &f.title, &f.body, content);
                if let Err(why) = dedupe.admit(&key) {
                    out.duplicates.push((f, why));
                    continue;
                }
                let suggestion = suggestion_for(index, file, anchor, f.replacement.as_deref());
                out.placed.push(Placed { finding: f, anchor, suggestion, moved_from, key });
            }
            Err(reason) => {
                let content = anchored_content(index, file, f.side, f.first_line(), f.end_line);
                let key = FindingKey::of(&f.path, f.category.as_str(), &f.title, &f.body, content);
                if let Err(why) = dedupe.admit(&key) {
                    out.duplicates.push((f, why));
                    continue;
                }
                out.unplaced.push(Unplaced { finding: f, reason, key });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Category, Severity};
    use argus_diff::diff::parse_unified;

    const DIFF: &str = "diff --git a/a.rs b/a.rs\n--- a/a.rs\n+++ b/a.rs\n@@ -1,4 +1,5 @@\n fn f() {\n-    let a = 1;\n+    let a = one();\r\n+    let b = two();   \n     done(a);\n }\n";

    fn finding(start: Option<u32>, end: u32, replacement: Option<&str>) -> Finding {
        Finding {
            path: "a.rs".into(),
            side: Side::Right,
            start_line: start,
            end_line: end,
            severity: Severity::Medium,
            category: Category::Bug,
            title: format!("t{start:?}{end}{replacement:?}"),
            body: "b".into(),
            replacement: replacement.map(str::to_owned),
        }
    }

    /// The suggestion placement attaches for a finding on `start..=end` with `replacement`.
    fn suggestion(start: Option<u32>, end: u32, replacement: &str) -> Option<String> {
        let parsed = parse_unified(DIFF);
        let index = DiffIndex::new(&parsed.files);
        let out = place(&index, vec![finding(start, end, Some(replacement))], &mut Dedupe::default());
        assert_eq!(out.placed.len(), 1, "{:?}", out.unplaced);
        out.placed[0].suggestion.clone()
    }

    #[test]
    fn an_empty_or_blank_replacement_is_no_suggestion() {
        for r in ["", " ", "\n", "\t\r\n  \n"] {
            assert_eq!(vet_suggestion(r, &["let a = 1;"], None, None), Err(NoSuggestion::Empty), "{r:?}");
            assert_eq!(suggestion(Some(2), 3, r), None, "{r:?}");
        }
    }

    #[test]
    fn a_replacement_equal_to_the_current_lines_is_no_suggestion() {
        // Line 2 ends with CRLF in the diff and line 3 with trailing spaces: neither counts.
        for r in
            ["    let a = one();\n    let b = two();", "    let a = one();\n    let b = two();\n", "    let a = one();  \r\n    let b = two();\r\n"]
        {
            assert_eq!(suggestion(Some(2), 3, r), None, "{r:?}");
        }
        assert_eq!(vet_suggestion("x\n", &["x  "], None, None), Err(NoSuggestion::SameAsCurrent));
        // A real change still goes through, whitespace inside the line included.
        assert_eq!(suggestion(Some(2), 3, "    let a = one()?;\n    let b = two();\n").as_deref(), Some("    let a = one()?;\n    let b = two();\n"));
        assert_eq!(vet_suggestion("  x", &["x"], None, None), Ok("  x".to_owned()));
    }

    #[test]
    fn a_replacement_repeating_the_lines_around_the_range_is_no_suggestion() {
        // Line 2 only, but the model rewrote lines 1–3: applied, `fn f() {` would appear twice.
        assert_eq!(suggestion(None, 2, "fn f() {\n    let a = one()?;\n    let b = two();\n"), None);
        assert_eq!(suggestion(None, 3, "    let b = two()?;\n    done(a);\n"), None);
        let rule = vet_suggestion("fn f() {\n    let a = 2;", &["    let a = 1;"], Some("fn f() {"), None);
        assert_eq!(rule, Err(NoSuggestion::OutsideRange));
        let rule = vet_suggestion("    let a = 2;\n}", &["    let a = 1;"], None, Some("}"));
        assert_eq!(rule, Ok("    let a = 2;\n}".to_owned()), "a lone brace is too common to mean a repeat");
        // Adding a line after the range's own first line is an ordinary edit.
        let rule = vet_suggestion("fn f() {\n    init();", &["fn f() {"], Some("fn f() {"), None);
        assert_eq!(rule, Ok("fn f() {\n    init();".to_owned()));
    }

    #[test]
    fn a_replacement_written_as_a_diff_is_no_suggestion() {
        for r in ["2+    let a = one()?;\n3+    let b = two();", "-    let a = one();\n+    let a = one()?;", "2     let a = 1;\n3+    let b = 2;"] {
            assert_eq!(vet_suggestion(r, &["    let a = one();", "    let b = two();"], None, None), Err(NoSuggestion::DiffMarkup), "{r:?}");
        }
        // Code that merely starts with a sign is code.
        assert_eq!(vet_suggestion("-x", &["x"], None, None), Ok("-x".to_owned()));
        assert_eq!(vet_suggestion("1 + x", &["x"], None, None), Ok("1 + x".to_owned()));
        assert_eq!(vet_suggestion("0 => a,\n1 => b,", &["_ => a,", "_ => b,"], None, None), Ok("0 => a,\n1 => b,".to_owned()));
        assert_eq!(vet_suggestion("++i;\n--j;", &["i++;", "j--;"], None, None), Ok("++i;\n--j;".to_owned()));
    }

    #[test]
    fn suggestions_stay_off_the_left_side_and_unknown_lines() {
        let parsed = parse_unified(DIFF);
        let index = DiffIndex::new(&parsed.files);
        let left = Anchor { side: Side::Left, start_line: None, line: 2 };
        assert_eq!(suggestion_for(&index, Some(0), left, Some("x")), None);
        let beyond = Anchor { side: Side::Right, start_line: Some(5), line: 9 };
        assert_eq!(suggestion_for(&index, Some(0), beyond, Some("x")), None);
        let fine = Anchor { side: Side::Right, start_line: None, line: 2 };
        assert_eq!(suggestion_for(&index, Some(0), fine, Some("x")).as_deref(), Some("x"));
    }
}
