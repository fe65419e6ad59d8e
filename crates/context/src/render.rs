//! Context assembly: from the reviewed files' contents, the `~` lines around
//! each hunk of a chunk (enclosing scope headers, small functions whole), a
//! block of definitions the changed lines use and the repository map, fitted
//! into a token budget in a stated order, plus the accounting the summary
//! shows. Also the lookup placement needs for findings on context lines.
//!
//! Format of one chunk (map and definitions first, then the diff as
//! `argus_diff::prompt` renders it, with `~` lines inside each hunk):
//!
//! ```text
//! ~repository: …                       <- the map (when given and in budget)
//! ~src/store.rs:12: pub fn load(path: &Path) -> Result<Store>   <- definitions
//! ## src/server.rs
//! @@
//! ~impl Server {                       <- parent chain, outermost first
//! ~…                                   <- lines skipped
//! ~    fn handle(&self, req: Request) -> Response {
//! ~…
//!      let a = 1;
//! 130+    let store = load(&self.path)?;
//! ```
//!
//! `~` lines carry no number: the model cannot cite them. When the
//! innermost enclosing function is at most `max_body_lines` long it is shown
//! whole instead (its lines above and below the hunk as `~` lines). No `~`
//! line repeats a line of a hunk shown in the same chunk, or of the hunk it
//! surrounds.

use crate::defs::{DefIndex, Definition, uses};
use crate::scope::{ScopeKind, ScopeTree, Syntax};
use crate::text::Lines;
use argus_diff::chunk::Chunk;
use argus_diff::diff::{FileDiff, Hunk, LineKind, NewLine};
use argus_diff::prompt::{self, EXTRA_CONTEXT_PREFIX, Numbering};
use argus_diff::tokens::estimate;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// How much context a review gets (`context` in the repository's config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// None: the prompt is exactly the diff (`argus_diff::chunk::render_chunk`).
    Off,
    /// Enclosing scope headers only.
    Scope,
    /// Scope headers, small functions whole, definitions, repository map.
    #[default]
    Full,
}

/// Knobs of the context engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextOptions {
    pub mode: Mode,
    /// A function at most this many lines long (header to end) is shown whole.
    pub max_body_lines: u32,
    /// At most this many definition lines per chunk.
    pub max_definitions: usize,
    /// Files larger than this (bytes) get no context (`context_max_file_bytes`).
    pub max_file_bytes: usize,
    /// Which diff lines carry numbers (as in `argus_diff::prompt`).
    pub numbering: Numbering,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions { mode: Mode::Full, max_body_lines: 60, max_definitions: 12, max_file_bytes: 256 * 1024, numbering: Numbering::Added }
    }
}

/// Everything context is made from, for one review. `head[i]` and `base[i]`
/// are the full texts of `files[i]` after and before the change (`None` when
/// not fetched, or for the side that does not exist: an added file has no
/// base). Shorter slices read as `None` for the rest.
#[derive(Clone, Copy, Debug)]
pub struct ContextInput<'a> {
    pub files: &'a [FileDiff<'a>],
    pub head: &'a [Option<&'a str>],
    pub base: &'a [Option<&'a str>],
    pub options: ContextOptions,
}

/// Why a file has no context (it is still reviewed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum NoContext {
    /// Larger than `max_file_bytes`.
    TooLarge { bytes: usize },
    /// A binary file, or text holding NUL bytes.
    Binary,
    /// No contents were supplied.
    NoContents,
}

/// One version of a file, parsed.
struct Version<'a> {
    text: &'a str,
    syntax: Syntax,
    lines: Lines,
    tree: ScopeTree,
}

struct FileContext<'a> {
    head: Option<Version<'a>>,
    base: Option<Version<'a>>,
    skipped: Option<NoContext>,
}

/// A review's context material, parsed once: scope trees of every file's
/// head and base, and the definitions index.
pub struct Prepared<'a> {
    files: &'a [FileDiff<'a>],
    options: ContextOptions,
    ctx: Vec<FileContext<'a>>,
    defs: DefIndex,
    by_path: HashMap<&'a str, usize>,
}

/// Parses every file's contents (scope trees, definitions). With
/// [`Mode::Off`] nothing is parsed. Never fails: an oversized or binary file
/// is recorded and gets no context.
pub fn prepare<'a>(input: ContextInput<'a>) -> Prepared<'a> {
    let opts = input.options;
    let mut ctx = Vec::with_capacity(input.files.len());
    let mut defs = DefIndex::default();
    let mut by_path = HashMap::new();
    for (i, f) in input.files.iter().enumerate() {
        by_path.insert(f.path(), i);
        if opts.mode == Mode::Off {
            ctx.push(FileContext { head: None, base: None, skipped: None });
            continue;
        }
        let mut skipped = None;
        let mut version = |text: Option<&'a str>| -> Option<Version<'a>> {
            let text = text?;
            if f.binary || text.as_bytes().contains(&0) {
                skipped.get_or_insert(NoContext::Binary);
                return None;
            }
            if text.len() > opts.max_file_bytes {
                skipped.get_or_insert(NoContext::TooLarge { bytes: text.len() });
                return None;
            }
            let syntax = Syntax::for_file(f.path(), text);
            let lines = Lines::new(text);
            let tree = ScopeTree::build(crate::scope::find(syntax, text, &lines));
            Some(Version { text, syntax, lines, tree })
        };
        let head = version(input.head.get(i).copied().flatten());
        // The base is read only where the old side matters: a hunk that
        // removes more than it adds, or a file without a head.
        let base_needed = head.is_none()
            || f.hunks.iter().any(|h| {
                let (a, r) = h.changed();
                r > a
            });
        let base = if base_needed { version(input.base.get(i).copied().flatten()) } else { None };
        if head.is_none() && base.is_none() && skipped.is_none() {
            skipped = Some(if f.binary { NoContext::Binary } else { NoContext::NoContents });
        }
        if opts.mode == Mode::Full
            && let Some(v) = head.as_ref().or(base.as_ref())
        {
            defs.add_file(i, v.syntax, v.text, &v.lines, &v.tree);
        }
        ctx.push(FileContext { head, base, skipped });
    }
    Prepared { files: input.files, options: opts, ctx, defs, by_path }
}

impl<'a> Prepared<'a> {
    /// Files without context and why, in file order.
    pub fn without_context(&self) -> Vec<(&str, &NoContext)> {
        self.ctx.iter().enumerate().filter_map(|(i, c)| c.skipped.as_ref().map(|s| (self.files[i].path(), s))).collect()
    }
    /// The head scope tree of file `i`, when it was parsed.
    pub fn head_scopes(&self, i: usize) -> Option<&ScopeTree> {
        self.ctx.get(i)?.head.as_ref().map(|v| &v.tree)
    }
    /// The base scope tree of file `i`, when it was parsed.
    pub fn base_scopes(&self, i: usize) -> Option<&ScopeTree> {
        self.ctx.get(i)?.base.as_ref().map(|v| &v.tree)
    }
    /// The definitions index (empty unless [`Mode::Full`]).
    pub fn definitions(&self) -> &DefIndex {
        &self.defs
    }
    pub fn options(&self) -> ContextOptions {
        self.options
    }
}

/// What one chunk's context holds and what was cut, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChunkContextReport {
    /// Files of the chunk that got at least one `~` line (indices into the review's files).
    pub files: Vec<usize>,
    /// Scope headers shown (one per scope, however many lines).
    pub scopes: u32,
    /// Functions shown whole.
    pub bodies: u32,
    pub definitions: u32,
    pub map: bool,
    /// Estimated tokens of all context lines.
    pub tokens: u32,
    pub budget: u32,
    pub cut: Vec<Cut>,
}

/// Context left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Cut {
    /// Files of the chunk without context (too large, binary, no contents).
    File {
        path: String,
        why: NoContext,
    },
    MapByBudget,
    DefinitionsByBudget {
        count: u32,
    },
    BodiesByBudget {
        count: u32,
    },
    ScopesByBudget {
        count: u32,
    },
}

impl ChunkContextReport {
    /// Adds another chunk's report (a file cut in several chunks counts once).
    pub fn merge(&mut self, o: &ChunkContextReport) {
        for f in &o.files {
            if !self.files.contains(f) {
                self.files.push(*f);
            }
        }
        self.scopes += o.scopes;
        self.bodies += o.bodies;
        self.definitions += o.definitions;
        self.map |= o.map;
        self.tokens += o.tokens;
        self.budget += o.budget;
        for c in &o.cut {
            let known = match c {
                Cut::File { path, .. } => self.cut.iter().any(|x| matches!(x, Cut::File { path: p, .. } if p == path)),
                _ => false,
            };
            if known {
                continue;
            }
            let same = self.cut.iter_mut().find(|x| !matches!(c, Cut::File { .. }) && std::mem::discriminant(*x) == std::mem::discriminant(c));
            match (c, same) {
                (Cut::DefinitionsByBudget { count }, Some(Cut::DefinitionsByBudget { count: n }))
                | (Cut::BodiesByBudget { count }, Some(Cut::BodiesByBudget { count: n }))
                | (Cut::ScopesByBudget { count }, Some(Cut::ScopesByBudget { count: n })) => *n += count,
                (_, Some(_)) => {}
                (_, None) => self.cut.push(c.clone()),
            }
        }
    }

    /// One line for the review summary, e.g. `context: 12 files, 31 scopes,
    /// 9 definitions; 2 files too large for context`.
    pub fn summary_line(&self) -> String {
        let mut parts = vec![format!("{} file{}", self.files.len(), plural(self.files.len() as u32))];
        parts.push(format!("{} scope{}", self.scopes, plural(self.scopes)));
        if self.bodies > 0 {
            parts.push(format!("{} whole function{}", self.bodies, plural(self.bodies)));
        }
        parts.push(format!("{} definition{}", self.definitions, plural(self.definitions)));
        if self.map {
            parts.push("repository map".into());
        }
        let mut s = format!("context: {}", parts.join(", "));
        let notes = self.cut_sentences();
        if !notes.is_empty() {
            s.push_str("; ");
            s.push_str(&notes.join("; "));
        }
        s
    }

    /// What was cut, as short sentences (`2 files too large for context`,
    /// `definitions cut by budget`).
    pub fn cut_sentences(&self) -> Vec<String> {
        let mut out = Vec::new();
        let count = |f: fn(&NoContext) -> bool| self.cut.iter().filter(|c| matches!(c, Cut::File { why, .. } if f(why))).count() as u32;
        let (large, binary, missing) = (
            count(|w| matches!(w, NoContext::TooLarge { .. })),
            count(|w| matches!(w, NoContext::Binary)),
            count(|w| matches!(w, NoContext::NoContents)),
        );
        if large > 0 {
            out.push(format!("{large} file{} too large for context", plural(large)));
        }
        if binary > 0 {
            out.push(format!("{binary} binary file{} without context", plural(binary)));
        }
        if missing > 0 {
            out.push(format!("{missing} file{} without contents", plural(missing)));
        }
        for c in &self.cut {
            match c {
                Cut::MapByBudget => out.push("repository map cut by budget".into()),
                Cut::DefinitionsByBudget { count } => out.push(format!("{count} definition{} cut by budget", plural(*count))),
                Cut::BodiesByBudget { count } => out.push(format!("{count} whole function{} cut by budget", plural(*count))),
                Cut::ScopesByBudget { count } => out.push(format!("{count} scope header{} cut by budget", plural(*count))),
                Cut::File { .. } => {}
            }
        }
        out
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A fast hasher for small integer keys (line numbers, indices): the
/// multiply-rotate step of rustc's FxHasher. Keys here come from the
/// review's own files, so there is no untrusted input to flood a table.
#[derive(Clone, Copy, Default)]
struct Quick;

#[derive(Default)]
struct QuickHasher(u64);

impl std::hash::BuildHasher for Quick {
    type Hasher = QuickHasher;
    fn build_hasher(&self) -> QuickHasher {
        QuickHasher(0)
    }
}

impl std::hash::Hasher for QuickHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// Which version of a file a segment's context comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Side {
    Head,
    Base,
}

/// One segment of the chunk, with its context choices.
struct SegPlan {
    part: usize,
    seg: usize,
    file: usize,
    side: Side,
    /// Context above stays before this line: the segment's first line on
    /// `side`, or its hunk's first line when the segment starts mid-hunk.
    first: u32,
    /// First and last line the segment itself shows on `side`.
    shown_first: u32,
    last: u32,
    /// Scope indices around the anchor, outermost first.
    chain: Vec<usize>,
    /// Selected context lines above and below.
    above: Vec<u32>,
    below: Vec<u32>,
    scopes: u32,
    body: bool,
}

/// A definition chosen for the chunk.
struct DefChoice<'d> {
    def: &'d Definition,
    score: i32,
    order: u32,
}

/// Renders chunk `chunk` of the prepared review with at most `budget`
/// estimated tokens of context, the repository map `map` (from
/// [`crate::repo_map`]) first when it fits. The diff part is what
/// `argus_diff::chunk::render_chunk` renders, never shortened; with
/// [`Mode::Off`] the output is exactly that.
pub fn render_chunk(p: &Prepared<'_>, chunk: &Chunk, budget: u32, map: Option<&str>) -> (String, ChunkContextReport) {
    let mut report = ChunkContextReport { budget, ..ChunkContextReport::default() };
    let diff_opts = prompt::ContextOptions { numbering: p.options.numbering };
    if p.options.mode == Mode::Off {
        return (argus_diff::chunk::render_chunk(p.files, chunk, &[], diff_opts), report);
    }
    let mut plans: Vec<SegPlan> = Vec::new();
    // Lines of hunks this chunk shows, per file and side: never repeated as context.
    let mut forbidden: HashMap<(usize, Side), Vec<(u32, u32)>, Quick> = HashMap::default();
    for (pi, part) in chunk.files.iter().enumerate() {
        let Some(f) = p.files.get(part.file) else {
            continue;
        };
        let Some(fc) = p.ctx.get(part.file) else {
            continue;
        };
        if let Some(why) = &fc.skipped
            && !report.cut.iter().any(|c| matches!(c, Cut::File { path, .. } if path == f.path()))
        {
            report.cut.push(Cut::File { path: f.path().to_string(), why: why.clone() });
        }
        for (si, seg) in part.segments.iter().enumerate() {
            let Some(h) = f.hunks.get(seg.hunk) else {
                continue;
            };
            if let Some((a, b)) = h.new_range() {
                forbidden.entry((part.file, Side::Head)).or_default().push((a.get(), b.get()));
            }
            if let Some((a, b)) = h.old_range() {
                forbidden.entry((part.file, Side::Base)).or_default().push((a.get(), b.get()));
            }
            if let Some(plan) = plan_segment(p, fc, h, seg.lines.clone(), pi, si, part.file) {
                plans.push(plan);
            }
        }
    }
    let is_forbidden = |file: usize, side: Side, n: u32| forbidden.get(&(file, side)).is_some_and(|v| v.iter().any(|&(a, b)| a <= n && n <= b));
    let mut shown: HashSet<(usize, Side, u32), Quick> = HashSet::default();
    let mut used = 0u32;
    // The cost of a context line is the estimate of exactly what is written.
    let line_cost = |p: &Prepared<'_>, file: usize, side: Side, n: u32| -> u32 {
        let v = version(p, file, side).expect("planned sides exist");
        push_context(&mut String::new(), v.lines.line(v.text, n))
    };
    let elision_cost = estimate(ELISION) + 1;

    // 1. Scope headers, segment by segment: the whole chain, else the
    //    innermost scope alone, else nothing.
    let mut scopes_cut = 0u32;
    for plan in plans.iter_mut() {
        let v = version(p, plan.file, plan.side).expect("planned sides exist");
        let headers: Vec<(usize, Vec<u32>)> = plan
            .chain
            .iter()
            .map(|&s| {
                let sc = &v.tree.scopes[s];
                let hi = sc.header_end.min(sc.name_line + 3);
                let ls = (sc.name_line..=hi)
                    .filter(|&n| n < plan.first && !is_forbidden(plan.file, plan.side, n) && !shown.contains(&(plan.file, plan.side, n)))
                    .collect();
                (s, ls)
            })
            .filter(|(s, ls): &(usize, Vec<u32>)| !ls.is_empty() && v.tree.scopes[*s].header_end < plan.first)
            .collect();
        if headers.is_empty() {
            continue;
        }
        let cost = |hs: &[(usize, Vec<u32>)]| -> u32 {
            hs.iter().map(|(_, ls)| ls.iter().map(|&n| line_cost(p, plan.file, plan.side, n)).sum::<u32>() + elision_cost).sum()
        };
        let all = cost(&headers);
        let chosen: &[(usize, Vec<u32>)] = if used + all <= budget {
            &headers
        } else if used + cost(&headers[headers.len() - 1..]) <= budget {
            scopes_cut += headers.len() as u32 - 1;
            &headers[headers.len() - 1..]
        } else {
            scopes_cut += headers.len() as u32;
            &[]
        };
        used += cost(chosen);
        for (_, ls) in chosen {
            for &n in ls {
                shown.insert((plan.file, plan.side, n));
                plan.above.push(n);
            }
        }
        plan.scopes = chosen.len() as u32;
    }

    // The order is strict: once something of a kind is cut, nothing of a
    // lower kind (bodies < scopes, definitions < bodies, map < definitions)
    // gets in, even if it would fit.
    let mut stop = scopes_cut > 0;

    // 2. Small enclosing functions whole.
    let mut bodies_cut = 0u32;
    if p.options.mode == Mode::Full {
        for plan in plans.iter_mut() {
            let v = version(p, plan.file, plan.side).expect("planned sides exist");
            let Some(&inner) = plan.chain.last() else {
                continue;
            };
            let sc = &v.tree.scopes[inner];
            if !sc.kind.is_callable() || sc.lines() > p.options.max_body_lines {
                continue;
            }
            let (file, side) = (plan.file, plan.side);
            let key = |n| (file, side, n);
            let above: Vec<u32> = (sc.start..plan.first).filter(|&n| !is_forbidden(plan.file, plan.side, n) && !shown.contains(&key(n))).collect();
            let mut below = Vec::new();
            for n in plan.last + 1..=sc.end {
                if is_forbidden(plan.file, plan.side, n) {
                    break;
                }
                if !shown.contains(&key(n)) {
                    below.push(n);
                }
            }
            if above.is_empty() && below.is_empty() {
                continue;
            }
            let cost: u32 = above.iter().chain(&below).map(|&n| line_cost(p, plan.file, plan.side, n)).sum::<u32>() + elision_cost;
            if stop || used + cost > budget {
                bodies_cut += 1;
                continue;
            }
            used += cost;
            for &n in above.iter().chain(&below) {
                shown.insert(key(n));
            }
            plan.above.extend(above);
            plan.below.extend(below);
            plan.body = true;
        }
    }

    stop |= bodies_cut > 0;

    // 3. Definitions the changed lines use.
    let mut def_lines: Vec<String> = Vec::new();
    let mut defs_cut = 0u32;
    if p.options.mode == Mode::Full {
        let picked = pick_definitions(p, chunk, &plans, &|file, n| is_forbidden(file, Side::Head, n) || shown.contains(&(file, Side::Head, n)));
        for d in picked {
            let line = format!("{EXTRA_CONTEXT_PREFIX}{}:{}: {}", p.files[d.file].path(), d.line, d.signature);
            let cost = estimate(&line) + 1;
            if stop || used + cost > budget {
                defs_cut += 1;
                continue;
            }
            used += cost;
            def_lines.push(line);
        }
    }

    stop |= defs_cut > 0;

    // 4. The repository map, when it fits in what is left.
    let mut map_text = None;
    if p.options.mode == Mode::Full
        && let Some(m) = map.filter(|m| !m.trim().is_empty())
    {
        let cost = m.lines().map(|l| estimate(l) + 1).sum::<u32>();
        if !stop && used + cost <= budget {
            used += cost;
            map_text = Some(m);
        } else {
            report.cut.push(Cut::MapByBudget);
        }
    }
    if defs_cut > 0 {
        report.cut.push(Cut::DefinitionsByBudget { count: defs_cut });
    }
    if bodies_cut > 0 {
        report.cut.push(Cut::BodiesByBudget { count: bodies_cut });
    }
    if scopes_cut > 0 {
        report.cut.push(Cut::ScopesByBudget { count: scopes_cut });
    }

    // Render.
    let mut out = String::with_capacity(chunk.tokens as usize * 4 + used as usize * 4);
    let mut ctx_tokens = 0u32;
    if let Some(m) = map_text {
        for l in m.lines() {
            out.push_str(l);
            out.push('\n');
            ctx_tokens += estimate(l) + 1;
        }
        report.map = true;
    }
    for l in &def_lines {
        out.push_str(l);
        out.push('\n');
        ctx_tokens += estimate(l) + 1;
    }
    report.definitions = def_lines.len() as u32;
    let mut plan_at: HashMap<(usize, usize), usize, Quick> = HashMap::default();
    for (k, pl) in plans.iter().enumerate() {
        plan_at.insert((pl.part, pl.seg), k);
    }
    for (pi, part) in chunk.files.iter().enumerate() {
        let Some(f) = p.files.get(part.file) else {
            continue;
        };
        prompt::file_header(f, &mut out);
        let mut any = false;
        for (si, seg) in part.segments.iter().enumerate() {
            let Some(h) = f.hunks.get(seg.hunk) else {
                continue;
            };
            let plan = plan_at.get(&(pi, si)).map(|&k| &plans[k]);
            let above = plan.map_or(&[][..], |pl| pl.above.as_slice());
            if above.is_empty() {
                prompt::hunk_header(h, &mut out);
            } else {
                // The `~` lines name the enclosing scope; git's guess is redundant.
                out.push_str("@@\n");
            }
            if let Some(pl) = plan {
                let v = version(p, pl.file, pl.side).expect("planned sides exist");
                let mut sorted = pl.above.clone();
                argus_core::sort::sort(&mut sorted);
                sorted.dedup();
                let mut prev: Option<u32> = None;
                for &n in &sorted {
                    if prev.is_some_and(|q| q + 1 < n) {
                        ctx_tokens += push_elision(&mut out);
                    }
                    ctx_tokens += push_context(&mut out, v.lines.line(v.text, n));
                    prev = Some(n);
                }
                if prev.is_some_and(|q| q + 1 < pl.shown_first) {
                    ctx_tokens += push_elision(&mut out);
                }
                any |= !sorted.is_empty() || !pl.below.is_empty();
                report.scopes += pl.scopes;
                report.bodies += u32::from(pl.body);
            }
            prompt::hunk_lines(h, seg.lines.clone(), p.options.numbering, &mut out);
            if let Some(pl) = plan {
                let v = version(p, pl.file, pl.side).expect("planned sides exist");
                let mut sorted = pl.below.clone();
                argus_core::sort::sort(&mut sorted);
                for n in sorted {
                    ctx_tokens += push_context(&mut out, v.lines.line(v.text, n));
                }
            }
        }
        if any && !report.files.contains(&part.file) {
            report.files.push(part.file);
        }
    }
    report.tokens = ctx_tokens;
    (out, report)
}

fn push_context(out: &mut String, text: &str) -> u32 {
    let start = out.len();
    out.push(EXTRA_CONTEXT_PREFIX);
    out.push_str(text);
    out.push('\n');
    estimate(&out[start..])
}

/// The line that stands for skipped lines between context lines.
pub const ELISION: &str = "~…";

fn push_elision(out: &mut String) -> u32 {
    out.push_str(ELISION);
    out.push('\n');
    estimate(ELISION) + 1
}

fn version<'p, 'a>(p: &'p Prepared<'a>, file: usize, side: Side) -> Option<&'p Version<'a>> {
    let fc = p.ctx.get(file)?;
    match side {
        Side::Head => fc.head.as_ref(),
        Side::Base => fc.base.as_ref(),
    }
}

/// Chooses the side and the scope chain of one segment.
fn plan_segment(
    p: &Prepared<'_>,
    fc: &FileContext<'_>,
    h: &Hunk<'_>,
    range: std::ops::Range<usize>,
    part: usize,
    seg: usize,
    file: usize,
) -> Option<SegPlan> {
    let lines = h.lines.get(range)?;
    let (added, removed) = lines.iter().fold((0u32, 0u32), |(a, r), l| match l.kind {
        LineKind::Added => (a + 1, r),
        LineKind::Removed => (a, r + 1),
        LineKind::Context => (a, r),
    });
    // The old side matters when the segment mostly removes code.
    let side = match (&fc.head, &fc.base) {
        (_, Some(_)) if removed > added => Side::Base,
        (Some(_), _) => Side::Head,
        (None, Some(_)) => Side::Base,
        (None, None) => return None,
    };
    let v = version(p, file, side)?;
    let nums: Vec<u32> = lines
        .iter()
        .filter_map(|l| match side {
            Side::Head => l.new.map(|n| n.get()),
            Side::Base => l.old.map(|n| n.get()),
        })
        .collect();
    let (&first, &last) = (nums.first()?, nums.last()?);
    let anchor = lines
        .iter()
        .find_map(|l| match (side, l.kind) {
            (Side::Head, LineKind::Added) => l.new.map(|n| n.get()),
            (Side::Base, LineKind::Removed) => l.old.map(|n| n.get()),
            _ => None,
        })
        .unwrap_or(first);
    // Partial segments (a hunk split across chunks) never show context
    // inside their own hunk: start no higher than the hunk's first line.
    let hunk_first = match side {
        Side::Head => h.new_range().map(|(a, _)| a.get()),
        Side::Base => h.old_range().map(|(a, _)| a.get()),
    }
    .unwrap_or(first);
    let chain = v.tree.chain_indices(anchor);
    Some(SegPlan {
        part,
        seg,
        file,
        side,
        first: first.min(hunk_first),
        shown_first: first,
        last,
        chain,
        above: Vec::new(),
        below: Vec::new(),
        scopes: 0,
        body: false,
    })
}

/// Definitions used on the chunk's changed lines, best first, at most
/// `max_definitions`.
fn pick_definitions<'p>(p: &'p Prepared<'_>, chunk: &Chunk, plans: &[SegPlan], hidden: &dyn Fn(usize, u32) -> bool) -> Vec<&'p Definition> {
    if p.defs.is_empty() || p.options.max_definitions == 0 {
        return Vec::new();
    }
    let mut choices: HashMap<(usize, u32), DefChoice<'p>, Quick> = HashMap::default();
    for part in &chunk.files {
        let Some(f) = p.files.get(part.file) else {
            continue;
        };
        let changed = part.segments.iter().filter_map(|s| f.hunks.get(s.hunk).and_then(|h| h.lines.get(s.lines.clone()))).flatten();
        let texts: Vec<&str> = changed.filter(|l| l.kind != LineKind::Context).map(|l| l.content()).collect();
        // Scopes around this file's segments: their names are shown already.
        let around: Vec<(u32, u32)> = plans
            .iter()
            .filter(|pl| pl.file == part.file && pl.side == Side::Head)
            .filter_map(|pl| version(p, pl.file, Side::Head).map(|v| (v, pl)))
            .flat_map(|(v, pl)| pl.chain.iter().map(|&s| (v.tree.scopes[s].start, v.tree.scopes[s].end)).collect::<Vec<_>>())
            .collect();
        for u in uses(texts) {
            let defs = p.defs.get(&u.name);
            for d in defs.iter().take(3) {
                let same = d.file == part.file;
                // In the same file only what is called or named as a type
                // (a field or local that shares a method's name is noise).
                // A method answers to a member call only (`x.reset()`), never
                // to a bare name that happens to match.
                if same && !u.strong
                    || d.member && !u.member_call
                    || hidden(d.file, d.line)
                    || same && around.iter().any(|&(a, b)| a <= d.line && d.line <= b && d.span == (a, b))
                {
                    continue;
                }
                let score = if same { 2 } else { 4 } - i32::from(d.member) + if u.strong { 2 } else { 0 } + (u.count.min(3) as i32 - 1);
                let e = choices.entry((d.file, d.line)).or_insert(DefChoice { def: d, score, order: u.order });
                e.score = e.score.max(score);
            }
        }
    }
    let mut v: Vec<DefChoice<'p>> = choices.into_values().collect();
    argus_core::sort::sort_by(&mut v, |a, b| {
        b.score.cmp(&a.score).then(a.order.cmp(&b.order)).then(a.def.file.cmp(&b.def.file)).then(a.def.line.cmp(&b.def.line))
    });
    v.into_iter().take(p.options.max_definitions).map(|c| c.def).collect()
}

/// Where a finding on a line outside the diff could go instead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Relocation {
    /// The innermost scope around the line (head side).
    pub scope: Option<ScopeInfo>,
    /// Added lines of the file inside that scope, in order.
    pub changed_in_scope: Vec<NewLine>,
    /// The one nearest to the line (the earlier on a tie).
    pub nearest: Option<NewLine>,
}

/// A scope, as placement reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScopeInfo {
    pub kind: ScopeKind,
    pub name: String,
    pub start: u32,
    pub end: u32,
}

/// For a finding on `path` at new-side `line` (a context line, or any line
/// outside the diff): its innermost scope and the added lines of the same
/// scope, nearest first in `nearest`. Empty when the file has no parsed head
/// or the line is outside every scope.
pub fn relocate(p: &Prepared<'_>, path: &str, line: NewLine) -> Relocation {
    let Some(&file) = p.by_path.get(path) else {
        return Relocation::default();
    };
    let Some(v) = p.ctx.get(file).and_then(|c| c.head.as_ref()) else {
        return Relocation::default();
    };
    let Some(s) = v.tree.innermost(line.get()) else {
        return Relocation::default();
    };
    let sc = &v.tree.scopes[s];
    let changed: Vec<NewLine> = p.files[file]
        .hunks
        .iter()
        .flat_map(|h| h.lines.iter())
        .filter(|l| l.kind == LineKind::Added)
        .filter_map(|l| l.new)
        .filter(|n| sc.contains(n.get()))
        .collect();
    let nearest = changed.iter().copied().min_by_key(|n| (n.get().abs_diff(line.get()), n.get()));
    Relocation { scope: Some(ScopeInfo { kind: sc.kind, name: sc.name.clone(), start: sc.start, end: sc.end }), changed_in_scope: changed, nearest }
}
