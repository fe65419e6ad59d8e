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
//! - a suggestion is offered only on RIGHT lines (GitHub applies it to the new file).
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
                let suggestion = if anchor.side == Side::Right { f.replacement.clone() } else { None };
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
