//! The diff model (files → hunks → lines with typed old/new line numbers), the
//! parser for full unified git diffs and GitHub's per-file `patch`, and the
//! re-renderer that turns the model back into unified diff text.
//!
//! The parser is a single pass over lines (found with `memchr` natively, see
//! `find_newline`); line text stays borrowed from the input. It never panics:
//! odd input yields a best-effort model plus a list of [`Problem`]s
//! (rust-analyzer's `(T, Vec<Error>)` shape).
//!
//! Format references: git's "generating patches" documentation
//! <https://git-scm.com/docs/diff-generate-patch> (extended headers, quoting of
//! paths with special characters, `\ No newline at end of file`), and GNU diff's
//! unified format <https://www.gnu.org/software/diffutils/manual/html_node/Detailed-Unified.html>
//! (a hunk range `l` without `,s` means a count of 1).

use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;

/// A 1-based line number in the old (left, pre-change) file.
///
/// Distinct from [`NewLine`] so that citing an old number where a new one is
/// expected is a compile error: GitHub's LEFT and RIGHT sides are different
/// number spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OldLine(NonZeroU32);

/// A 1-based line number in the new (right, post-change) file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct NewLine(NonZeroU32);

macro_rules! line_number {
    ($t:ident) => {
        impl $t {
            /// `None` for 0: line numbers are 1-based.
            pub fn new(n: u32) -> Option<Self> {
                NonZeroU32::new(n).map(Self)
            }
            /// The 1-based number.
            pub fn get(self) -> u32 {
                self.0.get()
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}
line_number!(OldLine);
line_number!(NewLine);

/// GitHub's name for the two sides of a diff in review comments: `Left` is
/// the old file (numbered by [`OldLine`]), `Right` the new one ([`NewLine`]).
pub use argus_core::side::Side;

/// A position in a file's diff that a review comment can point at: the side
/// and the number are tied together, so they cannot be mixed up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "side", content = "line", rename_all = "UPPERCASE")]
pub enum DiffPos {
    Left(OldLine),
    Right(NewLine),
}

impl DiffPos {
    pub fn side(self) -> Side {
        match self {
            DiffPos::Left(_) => Side::Left,
            DiffPos::Right(_) => Side::Right,
        }
    }
    /// The raw 1-based number on its own side.
    pub fn number(self) -> u32 {
        match self {
            DiffPos::Left(l) => l.get(),
            DiffPos::Right(r) => r.get(),
        }
    }
}

/// What a line inside a hunk does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Unchanged (prefix ` `): has both an old and a new number.
    Context,
    /// Added (prefix `+`): new number only.
    Added,
    /// Removed (prefix `-`): old number only.
    Removed,
}

impl LineKind {
    /// The one-character prefix of this kind in a unified diff.
    pub fn prefix(self) -> char {
        match self {
            LineKind::Context => ' ',
            LineKind::Added => '+',
            LineKind::Removed => '-',
        }
    }
}

/// One line of a hunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line<'a> {
    pub kind: LineKind,
    /// Set for context and removed lines.
    pub old: Option<OldLine>,
    /// Set for context and added lines.
    pub new: Option<NewLine>,
    /// The text after the one-character prefix, without the final `\n`. A `\r`
    /// before it is kept (CRLF files round-trip byte for byte); use
    /// [`Line::content`] for the text without it. A lone `\r` inside the text is
    /// part of the line: git splits lines on `\n` only.
    pub text: &'a str,
    /// The diff said `\ No newline at end of file` after this line. That marker
    /// is not a line of the file and gets no number.
    pub no_newline: bool,
}

impl<'a> Line<'a> {
    /// The line's content without a trailing `\r` (from a CRLF file).
    pub fn content(&self) -> &'a str {
        // A byte test, not `strip_suffix('\r')`: that one calls `memcmp` for a
        // single byte, on every line rendered.
        match self.text.as_bytes().last() {
            // `\r` is ASCII, so cutting it leaves a char boundary.
            Some(b'\r') => &self.text[..self.text.len() - 1],
            _ => self.text,
        }
    }
    /// The position a comment on this line takes: RIGHT for added and context
    /// lines (GitHub prefers RIGHT for context), LEFT for removed lines.
    pub fn pos(&self) -> Option<DiffPos> {
        match (self.kind, self.new, self.old) {
            (LineKind::Removed, _, Some(o)) => Some(DiffPos::Left(o)),
            (_, Some(n), _) => Some(DiffPos::Right(n)),
            _ => None,
        }
    }
}

/// One `@@ -a,b +c,d @@ section` hunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hunk<'a> {
    pub old_start: u32,
    pub old_count: u32,
    pub new_start: u32,
    pub new_count: u32,
    /// The header wrote `-a` without `,b` (a count of 1, or 0 with start 0 in
    /// old tools); kept so that re-rendering is byte-exact.
    pub old_count_omitted: bool,
    pub new_count_omitted: bool,
    /// Raw text after the closing `@@` (usually ` fn enclosing()`), including its
    /// leading space; empty when there is none.
    pub section: &'a str,
    pub lines: Vec<Line<'a>>,
}

impl<'a> Hunk<'a> {
    /// The enclosing-function hint git printed after the header, trimmed.
    pub fn section_text(&self) -> &'a str {
        self.section.trim()
    }
    /// Added and removed line counts.
    pub fn changed(&self) -> (u32, u32) {
        let mut added = 0;
        let mut removed = 0;
        for l in &self.lines {
            match l.kind {
                LineKind::Added => added += 1,
                LineKind::Removed => removed += 1,
                LineKind::Context => {}
            }
        }
        (added, removed)
    }
    /// First and last new-side numbers of lines present in this hunk.
    pub fn new_range(&self) -> Option<(NewLine, NewLine)> {
        let first = self.lines.iter().find_map(|l| l.new)?;
        let last = self.lines.iter().rev().find_map(|l| l.new)?;
        Some((first, last))
    }
    /// First and last old-side numbers of lines present in this hunk.
    pub fn old_range(&self) -> Option<(OldLine, OldLine)> {
        let first = self.lines.iter().find_map(|l| l.old)?;
        let last = self.lines.iter().rev().find_map(|l| l.old)?;
        Some((first, last))
    }
}

/// What happened to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Deleted,
    Modified,
    Renamed,
    Copied,
}

/// One file's part of a diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileDiff<'a> {
    /// Path before the change without the `a/` prefix; `None` for an added file.
    pub old_path: Option<Cow<'a, str>>,
    /// Path after the change without the `b/` prefix; `None` for a deleted file.
    pub new_path: Option<Cow<'a, str>>,
    pub status: FileStatus,
    /// Octal file modes from `old mode`/`deleted file mode` and `new mode`/`new file mode`/`index … mode`.
    pub old_mode: Option<u32>,
    pub new_mode: Option<u32>,
    /// `similarity index N%` of a rename or copy.
    pub similarity: Option<u8>,
    /// `Binary files … differ` or `GIT binary patch`: no text hunks.
    pub binary: bool,
    /// Raw text from the start of this file's section to its first hunk (all of
    /// it when there is no hunk): `diff --git`, extended headers, `---`/`+++`,
    /// binary patch data. Kept verbatim for byte-exact re-rendering.
    #[serde(skip)]
    pub header: &'a str,
    pub hunks: Vec<Hunk<'a>>,
    /// Raw text after the last hunk that belongs to no hunk (blank lines, a
    /// format-patch signature); verbatim for re-rendering.
    #[serde(skip)]
    pub trailer: &'a str,
}

impl<'a> FileDiff<'a> {
    /// The path a reviewer sees: the new path, or the old one for a deleted file.
    pub fn path(&self) -> &str {
        self.new_path.as_deref().or(self.old_path.as_deref()).unwrap_or("")
    }
    /// Added and removed line counts over all hunks.
    pub fn changed(&self) -> (u32, u32) {
        self.hunks.iter().fold((0, 0), |(a, r), h| {
            let (ha, hr) = h.changed();
            (a + ha, r + hr)
        })
    }
    /// Added plus removed lines.
    pub fn changed_lines(&self) -> u32 {
        let (a, r) = self.changed();
        a + r
    }
    /// Index of the hunk holding new-side line `n`, if any.
    pub fn hunk_of_new(&self, n: NewLine) -> Option<usize> {
        self.hunks.iter().position(|h| h.new_range().is_some_and(|(a, b)| a <= n && n <= b))
    }
    /// Index of the hunk holding old-side line `o`, if any.
    pub fn hunk_of_old(&self, o: OldLine) -> Option<usize> {
        self.hunks.iter().position(|h| h.old_range().is_some_and(|(a, b)| a <= o && o <= b))
    }
    /// Index of the hunk holding `pos`, if any.
    pub fn hunk_of(&self, pos: DiffPos) -> Option<usize> {
        match pos {
            DiffPos::Left(o) => self.hunk_of_old(o),
            DiffPos::Right(n) => self.hunk_of_new(n),
        }
    }
    /// The line at new-side number `n` (an added or context line), if the diff shows it.
    pub fn new_line(&self, n: NewLine) -> Option<&Line<'a>> {
        let h = &self.hunks[self.hunk_of_new(n)?];
        h.lines.iter().find(|l| l.new == Some(n))
    }
    /// The line at old-side number `o` (a removed or context line), if the diff shows it.
    pub fn old_line(&self, o: OldLine) -> Option<&Line<'a>> {
        let h = &self.hunks[self.hunk_of_old(o)?];
        h.lines.iter().find(|l| l.old == Some(o))
    }
    /// Content (without `\r`) of new-side line `n`, if the diff shows it.
    pub fn new_line_content(&self, n: NewLine) -> Option<&'a str> {
        self.new_line(n).map(|l| l.content())
    }
    /// Every position GitHub accepts a review comment on: any line inside a
    /// hunk. Added and context lines on RIGHT by new number; removed and context
    /// lines on LEFT by old number.
    /// (<https://docs.github.com/en/rest/pulls/comments#create-a-review-comment-for-a-pull-request>:
    /// "The line of the blob in the pull request diff that the comment applies to".)
    pub fn commentable(&self) -> Commentable {
        let mut c = Commentable::default();
        for (hi, h) in self.hunks.iter().enumerate() {
            for l in &h.lines {
                if let Some(n) = l.new {
                    c.right.push((n, hi));
                }
                if let Some(o) = l.old {
                    c.left.push((o, hi));
                }
            }
        }
        argus_core::sort::sort(&mut c.right);
        argus_core::sort::sort(&mut c.left);
        c
    }
}

/// The commentable positions of one file with the hunk each belongs to,
/// sorted by line number (see [`FileDiff::commentable`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Commentable {
    pub right: Vec<(NewLine, usize)>,
    pub left: Vec<(OldLine, usize)>,
}

impl Commentable {
    /// The hunk index of `pos` when a comment may be placed there.
    pub fn hunk(&self, pos: DiffPos) -> Option<usize> {
        match pos {
            DiffPos::Right(n) => self.right.binary_search_by_key(&n, |x| x.0).ok().map(|i| self.right[i].1),
            DiffPos::Left(o) => self.left.binary_search_by_key(&o, |x| x.0).ok().map(|i| self.left[i].1),
        }
    }
    pub fn contains(&self, pos: DiffPos) -> bool {
        self.hunk(pos).is_some()
    }
}

/// A parsed unified diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParsedDiff<'a> {
    /// Text before the first file (a commit message, an email header), verbatim.
    #[serde(skip)]
    pub preamble: &'a str,
    pub files: Vec<FileDiff<'a>>,
    /// The input did not end with `\n`; re-rendering leaves the last one out.
    #[serde(skip)]
    pub ends_without_newline: bool,
    pub problems: Vec<Problem>,
}

/// Something odd in the input, next to the best-effort result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line of the input where it was noticed.
    pub line: u32,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

/// The kinds of [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    #[error("malformed hunk header; the hunk and its lines were skipped")]
    BadHunkHeader,
    #[error("hunk ended early: {missing_old} old and {missing_new} new lines missing")]
    HunkTruncated { missing_old: u32, missing_new: u32 },
    #[error("a hunk line has no ` `, `+` or `-` prefix; the hunk was ended there")]
    BadHunkLine,
    #[error("an empty line inside a hunk was read as an empty context line")]
    BareEmptyLine,
    #[error("hunk starts at line 0 but has lines; numbered from 1")]
    ZeroStart,
    #[error("a hunk appeared before any file header")]
    HunkWithoutFile,
    #[error("a quoted path is malformed; used as written")]
    BadQuotedPath,
    #[error("a path is not valid UTF-8 after unquoting; invalid bytes replaced")]
    NonUtf8Path,
    #[error("`\\ No newline at end of file` without a line before it")]
    StrayNoNewline,
    #[error("line numbers overflowed")]
    LineOverflow,
}

// ---------------------------------------------------------------------------
// Parsing

/// Parses a full unified diff (`git diff`, `git show`, `git format-patch`, and
/// the plain `---`/`+++` shape of other tools) into files, hunks and lines.
pub fn parse_unified(text: &str) -> ParsedDiff<'_> {
    Parser::new(text).run()
}

/// A GitHub `/pulls/{n}/files` `patch` parsed into one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParsedPatch<'a> {
    pub file: FileDiff<'a>,
    pub problems: Vec<Problem>,
}

/// Parses GitHub's per-file `patch` (hunks only, no `diff --git` header) for
/// `path`. The status is inferred from the hunks (`@@ -0,0 …` = added,
/// `@@ … +0,0 @@` = deleted); callers that know GitHub's `status` and
/// `previous_filename` may overwrite `status` and `old_path`.
pub fn parse_patch<'a>(path: &'a str, patch: &'a str) -> ParsedPatch<'a> {
    let mut parser = Parser::new(patch);
    parser.start_file(0, FileKind::Patch);
    let mut parsed = parser.run();
    let mut file = parsed.files.pop().unwrap_or_else(|| empty_file(""));
    file.header = "";
    let only_added = !file.hunks.is_empty() && file.hunks.iter().all(|h| h.old_start == 0 && h.old_count == 0);
    let only_removed = !file.hunks.is_empty() && file.hunks.iter().all(|h| h.new_start == 0 && h.new_count == 0);
    file.old_path = (!only_added).then_some(Cow::Borrowed(path));
    file.new_path = (!only_removed).then_some(Cow::Borrowed(path));
    file.status = if only_added {
        FileStatus::Added
    } else if only_removed {
        FileStatus::Deleted
    } else {
        FileStatus::Modified
    };
    parsed.problems.retain(|p| p.kind != ProblemKind::HunkWithoutFile);
    ParsedPatch { file, problems: parsed.problems }
}

fn empty_file<'a>(header: &'a str) -> FileDiff<'a> {
    FileDiff {
        old_path: None,
        new_path: None,
        status: FileStatus::Modified,
        old_mode: None,
        new_mode: None,
        similarity: None,
        binary: false,
        header,
        hunks: Vec::new(),
        trailer: "",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// Started by `diff --git`.
    Git,
    /// Started by `---` + `+++` (svn, hg, bzr, GNU diff).
    Plain,
    /// A GitHub patch: hunks only.
    Patch,
}

/// Header facts gathered while reading one file's header lines.
#[derive(Default)]
struct HeaderFacts<'a> {
    git_old: Option<Cow<'a, str>>,
    git_new: Option<Cow<'a, str>>,
    /// Prefix lengths to strip from `---`/`+++` paths (`a/`, `b/`, or custom).
    prefix_old: Option<&'a str>,
    prefix_new: Option<&'a str>,
    minus: Option<Option<Cow<'a, str>>>,
    plus: Option<Option<Cow<'a, str>>>,
    rename_from: Option<Cow<'a, str>>,
    rename_to: Option<Cow<'a, str>>,
    copy: bool,
    new_file: bool,
    deleted_file: bool,
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    line_no: u32,
    files: Vec<FileDiff<'a>>,
    problems: Vec<Problem>,
    preamble_end: Option<usize>,
    /// Current file: its kind, where its header began, and whether hunks started.
    cur: Option<(FileKind, usize)>,
    facts: HeaderFacts<'a>,
    in_hunks: bool,
    /// Start of lines after the last hunk that belong to no hunk yet.
    pending: Option<usize>,
}

/// Index of the first `\n` in `b`. Natively `memchr` (SIMD). In wasm
/// without the SIMD proposal enabled (the Worker build does not enable it),
/// `memchr` falls back to 4 bytes at a time (`usize` is 32 bits there), and it
/// was the parser's largest cost; wasm has 64-bit integers, so
/// [`find_newline_swar`] looks at 8.
#[inline(always)]
fn find_newline(b: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
    {
        find_newline_swar(b)
    }
    #[cfg(not(all(target_arch = "wasm32", not(target_feature = "simd128"))))]
    {
        memchr::memchr(b'\n', b)
    }
}

/// [`find_newline`] eight bytes at a time in a `u64` ("has zero byte" trick:
/// the lowest flagged byte is always a real match, so its index is exact).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn find_newline_swar(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = ONES * b'\n' as u64;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w) ^ NL;
        let hit = x.wrapping_sub(ONES) & !x & HIGHS;
        if hit != 0 {
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks.remainder().iter().position(|&x| x == b'\n').map(|i| at + i)
}

/// One input line: `[start, end)` without `\n`, and where the next line starts.
#[derive(Clone, Copy)]
struct RawLine {
    start: usize,
    end: usize,
    next: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            pos: 0,
            line_no: 0,
            files: Vec::new(),
            problems: Vec::new(),
            preamble_end: None,
            cur: None,
            facts: HeaderFacts::default(),
            in_hunks: false,
            pending: None,
        }
    }

    fn problem(&mut self, kind: ProblemKind) {
        self.problems.push(Problem { line: self.line_no, kind });
    }

    #[inline(always)]
    fn peek(&self) -> Option<RawLine> {
        if self.pos >= self.text.len() {
            return None;
        }
        let bytes = self.text.as_bytes();
        let end = find_newline(&bytes[self.pos..]).map_or(bytes.len(), |i| self.pos + i);
        Some(RawLine { start: self.pos, end, next: (end + 1).min(bytes.len()) })
    }

    #[inline(always)]
    fn advance(&mut self, l: RawLine) {
        self.pos = l.next;
        self.line_no += 1;
    }

    #[inline(always)]
    fn slice(&self, l: RawLine) -> &'a str {
        // `\n` is ASCII, so `start` and `end` are always char boundaries.
        &self.text[l.start..l.end]
    }

    /// Whether the line after `l` starts with `prefix`.
    fn next_starts_with(&self, l: RawLine, prefix: &str) -> bool {
        self.text.as_bytes()[l.next..].starts_with(prefix.as_bytes())
    }

    fn run(mut self) -> ParsedDiff<'a> {
        while let Some(l) = self.peek() {
            let s = self.slice(l);
            if let Some(rest) = s.strip_prefix("diff --git ") {
                self.end_file(l.start);
                self.start_file(l.start, FileKind::Git);
                self.facts = HeaderFacts::default();
                self.git_line(rest);
                self.advance(l);
                continue;
            }
            if s.starts_with("--- ") && self.next_starts_with(l, "+++ ") && self.plain_file_can_start() {
                // A plain (non-git) file section; lines since the last hunk
                // (`Index:`, `===`, `diff -r`) belong to its header.
                let start = self.pending.unwrap_or(l.start);
                let start = if self.cur.is_none() { self.preamble_start_for_plain(start) } else { start };
                self.end_file(start);
                self.start_file(start, FileKind::Plain);
                self.facts = HeaderFacts::default();
            }
            if s.starts_with("@@ -") {
                if self.cur.is_none() {
                    self.problem(ProblemKind::HunkWithoutFile);
                    let start = l.start;
                    self.end_file(start);
                    self.start_file(start, FileKind::Patch);
                }
                self.finish_header(l.start);
                self.pending = None;
                self.hunk(l);
                continue;
            }
            match self.cur {
                Some(_) if !self.in_hunks => self.header_line(s),
                Some(_) if self.pending.is_none() => self.pending = Some(l.start),
                Some(_) => {}
                None => {}
            }
            self.advance(l);
        }
        let end = self.text.len();
        self.end_file(end);
        let preamble = &self.text[..self.preamble_end.unwrap_or(end)];
        ParsedDiff { preamble, files: self.files, ends_without_newline: !self.text.is_empty() && !self.text.ends_with('\n'), problems: self.problems }
    }

    /// A `---`/`+++` pair starts a new plain file unless we are inside a git
    /// header (where it is that file's own `---`/`+++`).
    fn plain_file_can_start(&self) -> bool {
        match self.cur {
            None => true,
            Some((FileKind::Git, _)) => self.in_hunks,
            Some(_) => self.in_hunks || self.facts.minus.is_some(),
        }
    }

    /// Before the first plain file, lines such as `Index: x` / `====` /
    /// `diff -r …` directly above `---` are that file's header, not preamble.
    fn preamble_start_for_plain(&self, start: usize) -> usize {
        let before = &self.text[..start];
        let mut s = start;
        let mut rest = before;
        loop {
            let trimmed = rest.strip_suffix('\n').unwrap_or(rest);
            let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
            let line = &trimmed[line_start..];
            if rest.is_empty() {
                break;
            }
            let header_like = line.starts_with("Index: ") || line.starts_with("====") || line.starts_with("diff ") || line.starts_with("=== ");
            if !header_like {
                break;
            }
            s = line_start;
            rest = &before[..line_start];
        }
        s
    }

    fn start_file(&mut self, start: usize, kind: FileKind) {
        if self.files.is_empty() && self.cur.is_none() && self.preamble_end.is_none() {
            self.preamble_end = Some(start);
        }
        self.cur = Some((kind, start));
        self.in_hunks = false;
        self.pending = None;
        self.files.push(empty_file(""));
    }

    /// Closes the current file at byte `end`.
    fn end_file(&mut self, end: usize) {
        if self.cur.is_none() {
            return;
        }
        if !self.in_hunks {
            self.finish_header(end);
        } else {
            let trailer_start = self.pending.unwrap_or(end).min(end);
            let plain = matches!(self.cur, Some((FileKind::Plain, _)));
            if let Some(f) = self.files.last_mut() {
                f.trailer = &self.text[trailer_start..end];
                if plain && f.status == FileStatus::Modified && !f.hunks.is_empty() {
                    if f.hunks.iter().all(|h| h.old_start == 0 && h.old_count == 0) {
                        f.status = FileStatus::Added;
                        f.old_path = None;
                    } else if f.hunks.iter().all(|h| h.new_start == 0 && h.new_count == 0) {
                        f.status = FileStatus::Deleted;
                        f.new_path = None;
                    }
                }
            }
        }
        self.cur = None;
        self.pending = None;
        self.in_hunks = false;
    }

    /// Ends the header at byte `end` and settles paths and status.
    fn finish_header(&mut self, end: usize) {
        let Some((kind, start)) = self.cur else { return };
        if self.in_hunks {
            return;
        }
        self.in_hunks = true;
        let facts = std::mem::take(&mut self.facts);
        let text = self.text;
        let Some(f) = self.files.last_mut() else { return };
        f.header = &text[start..end.max(start)];
        if kind == FileKind::Patch {
            return;
        }
        // Plain (svn, hg, bzr) diffs name both sides even for an added or a
        // deleted file; the hunks tell: `@@ -0,0 …` only adds, `… +0,0 @@` only removes.
        // The hunks are not read yet, so this is settled in `end_file`.
        // Paths: rename/copy lines are authoritative and unprefixed; then
        // `---`/`+++`; then the `diff --git` line.
        let (mut old, mut new) = (facts.git_old, facts.git_new);
        if let Some(m) = facts.minus {
            old = m;
        }
        if let Some(p) = facts.plus {
            new = p;
        }
        if let Some(r) = facts.rename_from {
            old = Some(r);
        }
        if let Some(r) = facts.rename_to {
            new = Some(r);
        }
        if facts.new_file {
            old = None;
        }
        if facts.deleted_file {
            new = None;
        }
        f.status = if old.is_none() {
            FileStatus::Added
        } else if new.is_none() {
            FileStatus::Deleted
        } else if facts.copy {
            FileStatus::Copied
        } else if old != new {
            FileStatus::Renamed
        } else {
            FileStatus::Modified
        };
        f.old_path = old;
        f.new_path = new;
    }

    /// The text after `diff --git `: two paths, either possibly quoted.
    fn git_line(&mut self, rest: &'a str) {
        let (a, b) = self.split_git_paths(rest);
        let (pa, pb) = detect_prefixes(&a, &b);
        self.facts.prefix_old = None;
        self.facts.prefix_new = None;
        // Keep the prefixes as borrowed slices of the line when unquoted, so that
        // `---`/`+++` paths can be stripped the same way.
        if let (Cow::Borrowed(ab), Cow::Borrowed(bb)) = (&a, &b) {
            self.facts.prefix_old = Some(&ab[..pa]);
            self.facts.prefix_new = Some(&bb[..pb]);
        } else {
            self.facts.prefix_old = Some(if pa == 2 { "a/" } else { "" });
            self.facts.prefix_new = Some(if pb == 2 { "b/" } else { "" });
        }
        self.facts.git_old = Some(cut_cow(a, pa));
        self.facts.git_new = Some(cut_cow(b, pb));
    }

    fn split_git_paths(&mut self, rest: &'a str) -> (Cow<'a, str>, Cow<'a, str>) {
        if rest.starts_with('"') {
            let (a, after) = self.quoted(rest);
            let after = after.strip_prefix(' ').unwrap_or(after);
            let b = if after.starts_with('"') { self.quoted(after).0 } else { Cow::Borrowed(after) };
            return (a, b);
        }
        if let Some(i) = rest.find(" \"") {
            let b = self.quoted(&rest[i + 1..]).0;
            return (Cow::Borrowed(&rest[..i]), b);
        }
        // Unquoted: names may contain spaces. Prefer the split where both sides
        // name the same path after their first component (the usual `a/x b/x`).
        let spaces: Vec<usize> = rest.match_indices(' ').map(|(i, _)| i).collect();
        let strip = |s: &'a str| s.find('/').map_or(s, |i| &s[i + 1..]);
        let chosen = spaces
            .iter()
            .copied()
            .find(|&i| rest.len() == 2 * i + 1 && (rest[..i] == rest[i + 1..] || strip(&rest[..i]) == strip(&rest[i + 1..])))
            .or_else(|| spaces.iter().copied().find(|&i| strip(&rest[..i]) == strip(&rest[i + 1..])))
            .or_else(|| spaces.get(spaces.len() / 2).copied());
        match chosen {
            Some(i) => (Cow::Borrowed(&rest[..i]), Cow::Borrowed(&rest[i + 1..])),
            None => (Cow::Borrowed(rest), Cow::Borrowed(rest)),
        }
    }

    /// Unquotes a C-style quoted path at the start of `s`; returns it and the rest.
    fn quoted(&mut self, s: &'a str) -> (Cow<'a, str>, &'a str) {
        match unquote(s) {
            Ok((bytes, rest)) => match String::from_utf8(bytes) {
                Ok(p) => (Cow::Owned(p), rest),
                Err(e) => {
                    self.problem(ProblemKind::NonUtf8Path);
                    (Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()), rest)
                }
            },
            Err(()) => {
                self.problem(ProblemKind::BadQuotedPath);
                (Cow::Borrowed(s), "")
            }
        }
    }

    /// A `---`/`+++` path: `/dev/null` is none; quoted paths are unquoted; a
    /// tab ends an unquoted name (git adds one after names with spaces, other
    /// tools put a timestamp there); the side's prefix is stripped.
    fn marker_path(&mut self, raw: &'a str, prefix: Option<&'a str>, default_prefix: &str) -> Option<Cow<'a, str>> {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let path = if raw.starts_with('"') { self.quoted(raw).0 } else { Cow::Borrowed(raw.split('\t').next().unwrap_or(raw)) };
        if path == "/dev/null" {
            return None;
        }
        let cut = match prefix {
            Some(p) if path.starts_with(p) => p.len(),
            Some(_) => 0,
            None if path.starts_with(default_prefix) => default_prefix.len(),
            None => 0,
        };
        Some(cut_cow(path, cut))
    }

    fn header_line(&mut self, s: &'a str) {
        let s = s.strip_suffix('\r').unwrap_or(s);
        let Some((kind, _)) = self.cur else { return };
        if let Some(r) = s.strip_prefix("--- ") {
            let default = if kind == FileKind::Plain { "a/" } else { "" };
            let (p, d) = (self.facts.prefix_old, default);
            let path = self.marker_path(r, p, d);
            self.facts.minus = Some(path);
            return;
        }
        if let Some(r) = s.strip_prefix("+++ ") {
            let default = if kind == FileKind::Plain { "b/" } else { "" };
            let (p, d) = (self.facts.prefix_new, default);
            let path = self.marker_path(r, p, d);
            self.facts.plus = Some(path);
            return;
        }
        if kind != FileKind::Git {
            return;
        }
        let Some(f) = self.files.last_mut() else { return };
        if let Some(m) = s.strip_prefix("old mode ") {
            f.old_mode = parse_mode(m);
        } else if let Some(m) = s.strip_prefix("new mode ") {
            f.new_mode = parse_mode(m);
        } else if let Some(m) = s.strip_prefix("deleted file mode ") {
            f.old_mode = parse_mode(m);
            self.facts.deleted_file = true;
        } else if let Some(m) = s.strip_prefix("new file mode ") {
            f.new_mode = parse_mode(m);
            self.facts.new_file = true;
        } else if let Some(m) = s.strip_prefix("similarity index ") {
            f.similarity = m.strip_suffix('%').and_then(|n| n.parse().ok());
        } else if let Some(p) = s.strip_prefix("rename from ") {
            let p = self.header_path(p);
            self.facts.rename_from = Some(p);
        } else if let Some(p) = s.strip_prefix("rename to ") {
            let p = self.header_path(p);
            self.facts.rename_to = Some(p);
        } else if let Some(p) = s.strip_prefix("copy from ") {
            let p = self.header_path(p);
            self.facts.rename_from = Some(p);
            self.facts.copy = true;
        } else if let Some(p) = s.strip_prefix("copy to ") {
            let p = self.header_path(p);
            self.facts.rename_to = Some(p);
            self.facts.copy = true;
        } else if let Some(i) = s.strip_prefix("index ") {
            // `index abc..def 100644`: the mode when it did not change.
            if let Some((_, mode)) = i.split_once(' ') {
                let m = parse_mode(mode);
                if f.old_mode.is_none() && f.new_mode.is_none() {
                    f.old_mode = m;
                    f.new_mode = m;
                }
            }
        } else if s.starts_with("Binary files ") || s == "GIT binary patch" {
            f.binary = true;
        }
    }

    fn header_path(&mut self, p: &'a str) -> Cow<'a, str> {
        if p.starts_with('"') { self.quoted(p).0 } else { Cow::Borrowed(p) }
    }

    /// Reads one hunk starting at header line `l`.
    fn hunk(&mut self, l: RawLine) {
        let header = self.slice(l);
        self.advance(l);
        let Some((os, oc, oo, ns, nc, no, section)) = parse_hunk_header(header) else {
            self.problem(ProblemKind::BadHunkHeader);
            // Skip the lines that look like this hunk's body.
            while let Some(n) = self.peek() {
                let b = self.text.as_bytes().get(n.start).copied();
                if matches!(b, Some(b' ' | b'+' | b'-' | b'\\')) && !self.slice(n).starts_with("diff --git ") {
                    self.advance(n);
                } else {
                    break;
                }
            }
            return;
        };
        let mut old_no = os;
        let mut new_no = ns;
        if (os == 0 && oc > 0) || (ns == 0 && nc > 0) {
            self.problem(ProblemKind::ZeroStart);
            old_no = old_no.max(1);
            new_no = new_no.max(1);
        }
        let mut old_left = oc;
        let mut new_left = nc;
        // Pre-size from the header counts, bounded so a lying header cannot
        // make us allocate much.
        let cap = (oc as usize).saturating_add(nc as usize).min(4096);
        let mut lines: Vec<Line<'a>> = Vec::with_capacity(cap);
        while old_left > 0 || new_left > 0 {
            let Some(n) = self.peek() else { break };
            let s = self.slice(n);
            let (kind, text) = match s.as_bytes().first() {
                Some(b' ') => (LineKind::Context, &s[1..]),
                Some(b'+') => (LineKind::Added, &s[1..]),
                Some(b'-') => (LineKind::Removed, &s[1..]),
                Some(b'\\') => {
                    self.advance(n);
                    match lines.last_mut() {
                        Some(last) => last.no_newline = true,
                        None => self.problem(ProblemKind::StrayNoNewline),
                    }
                    continue;
                }
                // Some tools and editors strip the space of an empty context
                // line; `git apply` accepts that, so do we, noting it.
                None | Some(b'\r') if s.len() <= 1 && old_left > 0 && new_left > 0 => {
                    self.problem(ProblemKind::BareEmptyLine);
                    (LineKind::Context, "")
                }
                _ => {
                    self.problem(ProblemKind::BadHunkLine);
                    break;
                }
            };
            let fits = match kind {
                LineKind::Context => old_left > 0 && new_left > 0,
                LineKind::Removed => old_left > 0,
                LineKind::Added => new_left > 0,
            };
            if !fits {
                // More lines of this kind than the header counted: the hunk is over.
                break;
            }
            self.advance(n);
            let mut line = Line { kind, old: None, new: None, text, no_newline: false };
            if kind != LineKind::Added {
                old_left -= 1;
                line.old = OldLine::new(old_no);
                old_no = old_no.saturating_add(1);
            }
            if kind != LineKind::Removed {
                new_left -= 1;
                line.new = NewLine::new(new_no);
                new_no = new_no.saturating_add(1);
            }
            lines.push(line);
        }
        // A `\ No newline at end of file` right after the last counted line.
        while let Some(n) = self.peek() {
            if self.text.as_bytes().get(n.start) == Some(&b'\\') {
                self.advance(n);
                match lines.last_mut() {
                    Some(last) => last.no_newline = true,
                    None => self.problem(ProblemKind::StrayNoNewline),
                }
            } else {
                break;
            }
        }
        if old_left > 0 || new_left > 0 {
            self.problem(ProblemKind::HunkTruncated { missing_old: old_left, missing_new: new_left });
        }
        if old_no == u32::MAX || new_no == u32::MAX {
            self.problem(ProblemKind::LineOverflow);
        }
        if let Some(f) = self.files.last_mut() {
            f.hunks.push(Hunk {
                old_start: os,
                old_count: oc,
                new_start: ns,
                new_count: nc,
                old_count_omitted: oo,
                new_count_omitted: no,
                section,
                lines,
            });
        }
    }
}

fn cut_cow(c: Cow<'_, str>, n: usize) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.get(n..).unwrap_or(s)),
        Cow::Owned(s) => Cow::Owned(s.get(n..).map(str::to_owned).unwrap_or(s)),
    }
}

/// Prefix lengths of the two `diff --git` paths: `a/` + `b/`, none when both
/// are equal (`--no-prefix`), or a custom pair such as `src://` + `dst://`
/// found as the differing heads before a common tail.
fn detect_prefixes(a: &str, b: &str) -> (usize, usize) {
    if a.starts_with("a/") && b.starts_with("b/") {
        return (2, 2);
    }
    if a == b {
        return (0, 0);
    }
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let common = ab.iter().rev().zip(bb.iter().rev()).take_while(|(x, y)| x == y).count();
    let (ha, hb) = (ab.len() - common, bb.len() - common);
    if ha == 0 || hb == 0 {
        return (0, 0);
    }
    // Extend through the separator run (`/`, `://`) that ends the prefix.
    let tail = &ab[ha..];
    let sep = tail.iter().take_while(|c| !c.is_ascii_alphanumeric() && **c != b'.' && **c != b'_').count();
    if sep == 0 || tail[sep - 1] != b'/' {
        return (0, 0);
    }
    (ha + sep, hb + sep)
}

fn parse_mode(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim(), 8).ok()
}

/// Undoes git's C-style path quoting (`"a\tb\303\274"`): returns the bytes and
/// the text after the closing quote.
fn unquote(s: &str) -> Result<(Vec<u8>, &str), ()> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return Err(());
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok((out, &s[i + 1..])),
            b'\\' => {
                let c = *b.get(i + 1).ok_or(())?;
                i += 2;
                match c {
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b't' => out.push(b'\t'),
                    b'n' => out.push(b'\n'),
                    b'v' => out.push(11),
                    b'f' => out.push(12),
                    b'r' => out.push(b'\r'),
                    b'"' | b'\\' => out.push(c),
                    b'0'..=b'3' => {
                        let d = b.get(i..i + 2).ok_or(())?;
                        if !d.iter().all(|x| (b'0'..=b'7').contains(x)) {
                            return Err(());
                        }
                        out.push(((c - b'0') << 6) | ((d[0] - b'0') << 3) | (d[1] - b'0'));
                        i += 2;
                    }
                    _ => return Err(()),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(())
}

type HunkHeader<'a> = (u32, u32, bool, u32, u32, bool, &'a str);

/// `@@ -a[,b] +c[,d] @@[section]`.
fn parse_hunk_header(s: &str) -> Option<HunkHeader<'_>> {
    let rest = s.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, rest) = rest.split_once(" @@")?;
    let (os, oc, oo) = parse_range(old)?;
    let (ns, nc, no) = parse_range(new)?;
    Some((os, oc, oo, ns, nc, no, rest))
}

fn parse_range(s: &str) -> Option<(u32, u32, bool)> {
    match s.split_once(',') {
        Some((a, b)) => Some((parse_u32(a)?, parse_u32(b)?, false)),
        None => Some((parse_u32(s)?, 1, true)),
    }
}

fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------
// Re-rendering

/// Renders a parsed diff back to unified diff text. For input that parsed
/// without problems this is byte-for-byte the input.
pub fn render_unified(d: &ParsedDiff<'_>) -> String {
    let mut out = String::with_capacity(d.files.iter().map(|f| f.header.len() + 64 * f.hunks.len()).sum::<usize>() + 64);
    out.push_str(d.preamble);
    for f in &d.files {
        render_file(f, &mut out);
    }
    if d.ends_without_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Appends one file (its raw header, re-rendered hunks, raw trailer).
pub fn render_file(f: &FileDiff<'_>, out: &mut String) {
    out.push_str(f.header);
    render_hunks(&f.hunks, out);
    out.push_str(f.trailer);
}

/// Appends hunks in unified form: a GitHub `patch` when given a file's hunks.
pub fn render_hunks(hunks: &[Hunk<'_>], out: &mut String) {
    use std::fmt::Write;
    for h in hunks {
        out.push_str("@@ -");
        let _ = write!(out, "{}", h.old_start);
        if !h.old_count_omitted {
            let _ = write!(out, ",{}", h.old_count);
        }
        let _ = write!(out, " +{}", h.new_start);
        if !h.new_count_omitted {
            let _ = write!(out, ",{}", h.new_count);
        }
        out.push_str(" @@");
        out.push_str(h.section);
        out.push('\n');
        for l in &h.lines {
            out.push(l.kind.prefix());
            out.push_str(l.text);
            out.push('\n');
            if l.no_newline {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::find_newline_swar;

    #[test]
    fn swar_newline_search_agrees_with_a_plain_scan() {
        // Every position and chunk alignment, with bytes on both sides of
        // `\n` (0x09, 0x0b), high bytes (0x8a) and NUL that could fool a
        // careless bit trick.
        let fill = [b'a', 0x09, 0x0b, 0x8a, 0x00, 0xff, b'\r'];
        for len in 0..40usize {
            for nl in (0..len).map(Some).chain([None]) {
                let mut b: Vec<u8> = (0..len).map(|i| fill[i % fill.len()]).collect();
                if let Some(i) = nl {
                    b[i] = b'\n';
                    if i + 3 < len {
                        b[i + 3] = b'\n';
                    }
                }
                assert_eq!(find_newline_swar(&b), b.iter().position(|&x| x == b'\n'), "len {len} nl {nl:?}");
            }
        }
    }
}
