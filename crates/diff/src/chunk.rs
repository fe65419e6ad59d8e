//! Token budget and chunking: packs the selected files' hunks into the fewest
//! model requests that fit the input limit, splitting an oversized file by
//! hunks (and an oversized hunk by lines), ordered by likely value (source
//! before tests before docs). Every changed line ends up either in a chunk or
//! in `not_reviewed` with a reason: nothing is dropped silently.

use crate::diff::{FileDiff, LineKind};
use crate::prompt::{self, ContextOptions};
use crate::select::{Selection, SkipReason};
use crate::tokens::estimate;
use serde::Serialize;
use std::ops::Range;

/// The model's limits for one request, in tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Budget {
    /// Input tokens the model accepts per request (GitHub Models free tier: 8000).
    pub input_limit: u32,
    /// Tokens kept free for the answer when the provider counts input and
    /// output against one context window; 0 when they are separate limits.
    pub reserved_output: u32,
    /// The fixed part of every request: system prompt, instructions, PR title
    /// and description.
    pub prompt_overhead: u32,
    /// At most this many requests per review (rate limits); `None` = no cap.
    pub max_chunks: Option<usize>,
}

impl Budget {
    /// Tokens left for diff content in one request.
    pub fn available(&self) -> u32 {
        self.input_limit.saturating_sub(self.reserved_output).saturating_sub(self.prompt_overhead)
    }
}

/// Lines `lines` (indices into `Hunk::lines`) of hunk `hunk`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub hunk: usize,
    pub lines: Range<usize>,
}

/// One file's part inside a chunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChunkFile {
    /// Index into the `files` given to [`plan`].
    pub file: usize,
    pub path: String,
    pub segments: Vec<Segment>,
    /// Estimated tokens of this part rendered (header included).
    pub tokens: u32,
}

/// One model request's worth of diff.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Chunk {
    pub files: Vec<ChunkFile>,
    /// Estimated tokens of the rendered chunk: the sum of its parts, which is
    /// never below the estimate of the whole (the estimator is sub-additive).
    pub tokens: u32,
}

/// Why changed lines are not reviewed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum NotReviewedReason {
    /// File selection left the file out.
    Skipped { skip: SkipReason },
    /// A single line is bigger than a whole request (minified code).
    LineTooLong { tokens: u32, available: u32 },
    /// More requests would be needed than allowed.
    ChunkLimit { max: usize },
}

impl NotReviewedReason {
    /// A sentence for the review summary.
    pub fn sentence(&self) -> String {
        match self {
            NotReviewedReason::Skipped { skip } => skip.sentence(),
            NotReviewedReason::LineTooLong { tokens, available } => {
                format!("a single line needs about {tokens} tokens, more than the {available} available per request")
            }
            NotReviewedReason::ChunkLimit { max } => {
                format!("the review is capped at {max} model requests; lower-priority files did not fit")
            }
        }
    }
}

/// Changed lines left out of every chunk, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotReviewed {
    pub file: usize,
    pub path: String,
    /// The hunk and line range, when only part of the file is left out.
    pub segment: Option<Segment>,
    /// Added plus removed lines left out.
    pub changed_lines: u32,
    #[serde(flatten)]
    pub reason: NotReviewedReason,
}

/// The plan: the chunks in value order, and everything not reviewed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChunkPlan {
    pub chunks: Vec<Chunk>,
    pub not_reviewed: Vec<NotReviewed>,
    /// Tokens available for diff content per chunk.
    pub available: u32,
}

/// A file part to place: consecutive segments of one file under one header.
struct Unit {
    /// Position of the file in value order (lower = more valuable).
    rank: usize,
    part: ChunkFile,
}

fn changed_in(f: &FileDiff<'_>, s: &Segment) -> u32 {
    f.hunks.get(s.hunk).and_then(|h| h.lines.get(s.lines.clone())).map_or(0, |ls| ls.iter().filter(|l| l.kind != LineKind::Context).count() as u32)
}

/// Plans the chunks for `selection.kept` of `files`.
///
/// `_sources` is not read: context from full files is `argus-context`'s
/// (it fills the room the caller leaves for it, after this plan). The
/// parameter stays until the pipeline's callers stop passing it.
pub fn plan(files: &[FileDiff<'_>], selection: &Selection, budget: &Budget, _sources: &[Option<&str>], opts: ContextOptions) -> ChunkPlan {
    let available = budget.available();
    let mut out = ChunkPlan { available, ..ChunkPlan::default() };
    for s in &selection.skipped {
        out.not_reviewed.push(NotReviewed {
            file: s.index,
            path: s.path.clone(),
            segment: None,
            changed_lines: s.changed_lines,
            reason: NotReviewedReason::Skipped { skip: s.reason.clone() },
        });
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut buf = String::new();
    for (rank, kept) in selection.kept.iter().enumerate() {
        let Some(f) = files.get(kept.index) else { continue };
        file_units(f, kept.index, rank, opts, available, &mut buf, &mut units, &mut out.not_reviewed);
    }
    let packed = pack_with_limit(units, available, budget.max_chunks, files, &mut out.not_reviewed);
    out.chunks = packed;
    out
}

/// Splits one file into units that each fit `available`.
#[allow(clippy::too_many_arguments)]
fn file_units(
    f: &FileDiff<'_>,
    index: usize,
    rank: usize,
    opts: ContextOptions,
    available: u32,
    buf: &mut String,
    units: &mut Vec<Unit>,
    not_reviewed: &mut Vec<NotReviewed>,
) {
    buf.clear();
    prompt::file_header(f, buf);
    let header = estimate(buf);
    // Atoms: whole hunks when they fit under the header, else line groups.
    let mut atoms: Vec<(Segment, u32)> = Vec::new();
    for (hi, h) in f.hunks.iter().enumerate() {
        buf.clear();
        prompt::render_hunk(h, 0..h.lines.len(), opts, buf);
        let whole = estimate(buf);
        if header.saturating_add(whole) <= available {
            atoms.push((Segment { hunk: hi, lines: 0..h.lines.len() }, whole));
            continue;
        }
        // Split by lines: each group repeats the `@@` line.
        buf.clear();
        prompt::hunk_header(h, buf);
        let hh = estimate(buf);
        let mut start = 0;
        let mut cost = hh;
        for li in 0..h.lines.len() {
            buf.clear();
            prompt::hunk_lines(h, li..li + 1, opts.numbering, buf);
            let t = estimate(buf);
            if header + hh + t > available {
                // This line alone does not fit: close the group before it and report it.
                if li > start {
                    atoms.push((Segment { hunk: hi, lines: start..li }, cost));
                }
                let seg = Segment { hunk: hi, lines: li..li + 1 };
                not_reviewed.push(NotReviewed {
                    file: index,
                    path: f.path().to_owned(),
                    changed_lines: changed_in(f, &seg),
                    segment: Some(seg),
                    reason: NotReviewedReason::LineTooLong { tokens: header + hh + t, available },
                });
                start = li + 1;
                cost = hh;
                continue;
            }
            if header + cost + t > available {
                atoms.push((Segment { hunk: hi, lines: start..li }, cost));
                start = li;
                cost = hh;
            }
            cost += t;
        }
        if start < h.lines.len() {
            atoms.push((Segment { hunk: hi, lines: start..h.lines.len() }, cost));
        }
    }
    // Greedy, in order: consecutive atoms share a header while they fit.
    let mut cur: Option<ChunkFile> = None;
    for (seg, t) in atoms {
        if let Some(mut c) = cur.take() {
            if c.tokens + t <= available {
                c.tokens += t;
                c.segments.push(seg);
                cur = Some(c);
                continue;
            }
            units.push(Unit { rank, part: c });
        }
        cur = Some(ChunkFile { file: index, path: f.path().to_owned(), segments: vec![seg], tokens: header + t });
    }
    if let Some(c) = cur {
        units.push(Unit { rank, part: c });
    }
}

/// First-fit decreasing: near the fewest bins, fast. Returns bins of unit indices.
fn ffd(sizes: &[u32], available: u32) -> Vec<(u32, Vec<usize>)> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    argus_core::sort::sort_by(&mut order, |&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut bins: Vec<(u32, Vec<usize>)> = Vec::new();
    for i in order {
        match bins.iter_mut().find(|(used, _)| used + sizes[i] <= available) {
            Some(bin) => {
                bin.0 += sizes[i];
                bin.1.push(i);
            }
            None => bins.push((sizes[i], vec![i])),
        }
    }
    bins
}

/// Packs units (in value order) into chunks; under a chunk cap, keeps the
/// longest prefix of units (the most valuable) that fits and reports the rest.
fn pack_with_limit(
    units: Vec<Unit>,
    available: u32,
    max_chunks: Option<usize>,
    files: &[FileDiff<'_>],
    not_reviewed: &mut Vec<NotReviewed>,
) -> Vec<Chunk> {
    let sizes: Vec<u32> = units.iter().map(|u| u.part.tokens).collect();
    let mut keep = units.len();
    if let Some(max) = max_chunks
        && ffd(&sizes, available).len() > max
    {
        // The bin count of FFD grows with the prefix length; binary search
        // for the longest prefix that fits in `max` bins.
        let (mut lo, mut hi) = (0, units.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if ffd(&sizes[..mid], available).len() <= max {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        keep = lo;
    }
    let bins = ffd(&sizes[..keep], available);
    let mut units: Vec<Option<Unit>> = units.into_iter().map(Some).collect();
    for u in units.iter_mut().skip(keep).filter_map(Option::take) {
        let f = files.get(u.part.file);
        for seg in u.part.segments {
            not_reviewed.push(NotReviewed {
                file: u.part.file,
                path: u.part.path.clone(),
                changed_lines: f.map_or(0, |f| changed_in(f, &seg)),
                segment: Some(seg),
                reason: NotReviewedReason::ChunkLimit { max: max_chunks.unwrap_or(0) },
            });
        }
    }
    let mut chunks: Vec<(usize, Chunk)> = bins
        .into_iter()
        .map(|(used, mut idx)| {
            argus_core::sort::sort(&mut idx);
            let best = idx.first().map_or(usize::MAX, |&i| units[i].as_ref().map_or(usize::MAX, |u| u.rank));
            let files = idx.into_iter().filter_map(|i| units[i].take().map(|u| u.part)).collect();
            (best, Chunk { files, tokens: used })
        })
        .collect();
    argus_core::sort::sort_by_key(&mut chunks, |(best, _)| *best);
    chunks.into_iter().map(|(_, c)| c).collect()
}

/// Renders a chunk's diff content for the prompt (`argus-context` renders
/// the same with `~` context lines added; `_sources` is not read, see [`plan`]).
pub fn render_chunk(files: &[FileDiff<'_>], chunk: &Chunk, _sources: &[Option<&str>], opts: ContextOptions) -> String {
    let mut out = String::with_capacity(chunk.tokens as usize * 4);
    for part in &chunk.files {
        let Some(f) = files.get(part.file) else { continue };
        prompt::file_header(f, &mut out);
        for seg in &part.segments {
            let Some(h) = f.hunks.get(seg.hunk) else { continue };
            prompt::render_hunk(h, seg.lines.clone(), opts, &mut out);
        }
    }
    out
}
