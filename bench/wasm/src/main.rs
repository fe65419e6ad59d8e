//! Figures for argus-diff's parse + select + chunk on the real diff corpus,
//! from one source built natively and for `wasm32-wasip1` (run by
//! `bench/wasm/run.mjs` under Node's `node:wasi`; `scripts/bench-wasm` does
//! both): throughput in MB/s, and time and peak memory for a ~3 MB,
//! 6000-file diff built from the corpus. The `context` mode times
//! argus-context on the same inputs: scope trees and definitions for every
//! reviewed file, then every chunk rendered with context. Figures only, no
//! assertions.
//!
//! Usage: `argus-bench-wasm <corpora dir> [corpus|big|context|review|webhook|all] [rounds]`,
//! where `<corpora dir>` holds `diffs/real/*.diff` (under WASI: a preopened dir).

// A measurement binary: the wasm-oriented ban on `Instant::now` is about the
// Worker (no clock there); WASI has a monotonic clock.
#![allow(clippy::disallowed_methods)]

mod review;
mod webhook;

use argus_context::{ContextInput, ContextOptions as Context, prepare, render_chunk};
use argus_diff::chunk::{Budget, ChunkPlan, plan};
use argus_diff::diff::{FileDiff, parse_unified};
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, Selector};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and keeps the high-water mark.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static A: Counting = Counting;

/// GitHub Models' free tier: 8000 input tokens per request, 1500 of them for
/// the system prompt and PR description (the crate's benches use the same).
const BUDGET: Budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None };

/// Files and bytes of the big diff, and the copies' cap on section size (the
/// smallest sections, so that 6000 files fit in about 3 MB).
const BIG_FILES: usize = 6000;
const BIG_BYTES: usize = 3_000_000;
const SMALL_SECTION: usize = 300;

fn run(text: &str, selector: &Selector) -> (usize, ChunkPlan) {
    let d = parse_unified(text);
    let sel = selector.select(&d.files);
    (d.files.len(), plan(&d.files, &sel, &BUDGET, &[], ContextOptions::default()))
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Best and median of `rounds` timings of `f`.
fn time_rounds(rounds: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut t: Vec<Duration> = (0..rounds.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[0], t[t.len() / 2])
}

fn read_corpus(dir: &Path) -> Result<Vec<String>, String> {
    let real = dir.join("diffs/real");
    let entries = std::fs::read_dir(&real).map_err(|e| format!("cannot read {}: {e}", real.display()))?;
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.retain(|p| p.extension().is_some_and(|e| e == "diff"));
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned()).map_err(|e| format!("cannot read {}: {e}", p.display())))
        .collect()
}

/// One file's section of a `git show` diff: from `diff --git` to the next.
fn sections(text: &str) -> impl Iterator<Item = &str> {
    let starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices("\ndiff --git ").map(|(i, _)| i + 1)).filter(|&i| text[i..].starts_with("diff --git ")).collect();
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain(std::iter::once(text.len())).collect();
    starts.into_iter().zip(ends).map(move |(s, e)| &text[s..e])
}

/// A plain modification with `a/`/`b/` paths and no spaces or quotes: its
/// copies can be moved to another directory by rewriting the prefixes.
fn relocatable(section: &str) -> bool {
    let header = section.split("\n@@").next().unwrap_or("");
    let first = header.lines().next().unwrap_or("");
    section.contains("\n@@")
        && header.contains("\n--- a/")
        && header.contains("\n+++ b/")
        && !header.contains("\nrename ")
        && !header.contains("\ncopy ")
        && !first.contains('"')
        && first.matches(' ').count() == 3
}

/// The shape of a very large pull request, about [`BIG_BYTES`] in
/// [`BIG_FILES`] files: the corpus's file sections in order (renames,
/// binaries, big files and all) while the rest still fits the size, then
/// copies of the smallest plain modifications under `copyN/` directories
/// (unique paths) up to the file count.
fn big_diff(texts: &[String]) -> String {
    let all: Vec<&str> = texts.iter().flat_map(|t| sections(t)).collect();
    let mut small: Vec<&str> = all.iter().copied().filter(|s| s.len() <= SMALL_SECTION && relocatable(s)).collect();
    small.sort_by_key(|s| (s.len(), *s));
    let avg_small = small.iter().map(|s| s.len()).sum::<usize>() / small.len().max(1);
    let mut out = String::new();
    let mut files = 0;
    for s in &all {
        if files >= BIG_FILES || out.len() + s.len() + (BIG_FILES - files - 1) * avg_small > BIG_BYTES {
            break;
        }
        out.push_str(s);
        files += 1;
    }
    let mut k = 0;
    while files < BIG_FILES && !small.is_empty() {
        let s = small[k % small.len()];
        let dir = format!("copy{}/", k / small.len());
        // The `diff --git` line and `---` line hold the first two ` a/`; the
        // `diff --git` line and `+++` line the first two ` b/` (checked by `relocatable`).
        out.push_str(&s.replacen(" a/", &format!(" a/{dir}"), 2).replacen(" b/", &format!(" b/{dir}"), 2));
        files += 1;
        k += 1;
    }
    out
}

/// The instance's memory high-water mark: wasm linear memory never shrinks,
/// and it is what counts against the Worker's 128 MB.
#[cfg(target_arch = "wasm32")]
fn memory_note() -> String {
    format!("wasm linear memory {:.1} MB", mb(core::arch::wasm32::memory_size(0) * 65536))
}

/// The process's peak resident set (Linux), the native counterpart.
#[cfg(not(target_arch = "wasm32"))]
fn memory_note() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).map(str::trim);
    format!("peak RSS {}", hwm.unwrap_or("unknown"))
}

fn corpus_figures(texts: &[String], rounds: usize, selector: &Selector) {
    let total: usize = texts.iter().map(String::len).sum();
    println!("real corpus: {} diffs, {:.2} MB; best (median) of {rounds} rounds", texts.len(), mb(total));
    let (best, med) = time_rounds(rounds, || {
        for t in texts {
            std::hint::black_box(parse_unified(t));
        }
    });
    println!(
        "  parse                  {:7.1} MB/s ({:.1})   {:.2} ms/round",
        mb(total) / best.as_secs_f64(),
        mb(total) / med.as_secs_f64(),
        ms(best)
    );
    let (best, med) = time_rounds(rounds, || {
        for t in texts {
            std::hint::black_box(run(t, selector));
        }
    });
    println!(
        "  parse + select + chunk {:7.1} MB/s ({:.1})   {:.2} ms/round",
        mb(total) / best.as_secs_f64(),
        mb(total) / med.as_secs_f64(),
        ms(best)
    );
    let one = texts.concat();
    let (best, med) = time_rounds(rounds, || {
        std::hint::black_box(run(&one, selector));
    });
    println!(
        "  corpus as one diff     {:7.1} MB/s ({:.1})   {:.2} ms",
        mb(one.len()) / best.as_secs_f64(),
        mb(one.len()) / med.as_secs_f64(),
        ms(best)
    );
}

fn big_figures(texts: Vec<String>, rounds: usize) {
    let big = big_diff(&texts);
    drop(texts);
    for (name, cfg) in [
        ("default selection (50 files reviewed)", SelectConfig::default()),
        ("no file cap (every file chunked)", SelectConfig { max_files: usize::MAX, ..SelectConfig::default() }),
    ] {
        // The first run is what one review pays: compile the globs, then
        // parse, select and chunk, with nothing warm.
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t0 = Instant::now();
        let selector = match Selector::new(&cfg) {
            Ok(s) => s,
            Err(e) => {
                println!("  {name}: {e}");
                continue;
            }
        };
        let t1 = Instant::now();
        let d = parse_unified(&big);
        let t2 = Instant::now();
        let sel = selector.select(&d.files);
        let t3 = Instant::now();
        let p = plan(&d.files, &sel, &BUDGET, &[], ContextOptions::default());
        let t4 = Instant::now();
        let (first, files) = (t4 - t0, d.files.len());
        drop((sel, d));
        let peak = PEAK.load(Ordering::Relaxed) - base;
        let (best, _) = time_rounds(rounds, || {
            std::hint::black_box(run(&big, &selector));
        });
        println!(
            "big diff, {name}: {:.2} MB, {files} files, {} chunks, {} files/parts not reviewed",
            mb(big.len()),
            p.chunks.len(),
            p.not_reviewed.len()
        );
        println!(
            "  first run {:.2} ms (globs {:.2}, parse {:.2}, select {:.2}, chunk {:.2}), best of {rounds} {:.2} ms",
            ms(first),
            ms(t1 - t0),
            ms(t2 - t1),
            ms(t3 - t2),
            ms(t4 - t3),
            ms(best)
        );
        println!("  peak heap above the input {:.2} MB ({:.2}x input)", mb(peak), peak as f64 / big.len() as f64);
    }
}

/// The new side of a file placed at its line numbers (unknown lines blank):
/// a stand-in for the full file the Worker would fetch, of the same shape
/// where the diff shows it.
fn pseudo_head(f: &FileDiff<'_>) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for h in &f.hunks {
        for l in &h.lines {
            if let Some(n) = l.new {
                let i = n.get() as usize - 1;
                if lines.len() <= i {
                    lines.resize(i + 1, "");
                }
                lines[i] = l.content();
            }
        }
    }
    lines.join("\n")
}

/// Context for one diff as the Worker would do it: contents for the
/// reviewed files only, the plan with a third of the room left for context,
/// then prepare (scope trees, definitions) and every chunk rendered.
/// Returns (content bytes, chunks, context tokens, and the time of the diff
/// part, of prepare and of rendering).
fn context_run(text: &str, selector: &Selector) -> (usize, usize, u32, [Duration; 3]) {
    const CONTEXT: u32 = (8000 - 1500) / 3;
    let budget = Budget { prompt_overhead: BUDGET.prompt_overhead + CONTEXT, ..BUDGET };
    let t0 = Instant::now();
    let d = parse_unified(text);
    let sel = selector.select(&d.files);
    let p = plan(&d.files, &sel, &budget, &[], argus_diff::prompt::ContextOptions::default());
    let mut heads: Vec<Option<String>> = vec![None; d.files.len()];
    for k in &sel.kept {
        heads[k.index] = Some(pseudo_head(&d.files[k.index]));
    }
    let bytes = heads.iter().flatten().map(String::len).sum();
    let head: Vec<Option<&str>> = heads.iter().map(Option::as_deref).collect();
    let t1 = Instant::now();
    let prep = prepare(ContextInput { files: &d.files, head: &head, base: &[], options: Context::default() });
    let t2 = Instant::now();
    let mut tokens = 0;
    for c in &p.chunks {
        let (s, r) = render_chunk(&prep, c, CONTEXT, None);
        std::hint::black_box(s);
        tokens += r.tokens;
    }
    let t3 = Instant::now();
    (bytes, p.chunks.len(), tokens, [t1 - t0, t2 - t1, t3 - t2])
}

fn context_figures(texts: &[String], rounds: usize) {
    let selector = match Selector::new(&SelectConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            println!("  {e}");
            return;
        }
    };
    // Per round: the context part only (prepare + render), summed over diffs.
    let bytes: usize = texts.iter().map(|t| context_run(t, &selector).0).sum();
    let mut rounds_ctx: Vec<Duration> = (0..rounds.max(1))
        .map(|_| {
            texts
                .iter()
                .map(|t| {
                    let r = context_run(t, &selector);
                    r.3[1] + r.3[2]
                })
                .sum()
        })
        .collect();
    rounds_ctx.sort();
    let (best, med) = (rounds_ctx[0], rounds_ctx[rounds_ctx.len() / 2]);
    println!("context on the real corpus (default selection; stand-in contents {:.2} MB): best (median) of {rounds}", mb(bytes));
    println!(
        "  prepare + render       {:7.1} MB/s ({:.1})   {:.2} ms/round",
        mb(bytes) / best.as_secs_f64(),
        mb(bytes) / med.as_secs_f64(),
        ms(best)
    );
    let big = big_diff(texts);
    for (name, cfg) in [
        ("default selection (50 files reviewed)", SelectConfig::default()),
        ("no file cap (every file chunked)", SelectConfig { max_files: usize::MAX, ..SelectConfig::default() }),
    ] {
        let Ok(sel) = Selector::new(&cfg) else { continue };
        let (bytes, chunks, tokens, [diff, prep, render]) = context_run(&big, &sel);
        let (best, _) = time_rounds(rounds.min(10), || {
            std::hint::black_box(context_run(&big, &sel));
        });
        println!(
            "big diff, {name}: {:.2} MB of contents, {chunks} chunks, {tokens} context tokens; first run: diff {:.2} ms, prepare {:.2} ms, render {:.2} ms; best whole {:.2} ms",
            mb(bytes),
            ms(diff),
            ms(prep),
            ms(render),
            ms(best)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: argus-bench-wasm <corpora dir> [corpus|big|context|review|webhook|all] [rounds]");
        std::process::exit(2);
    };
    let mode = args.get(2).map_or("all", String::as_str);
    let rounds = match args.get(3).map(|r| r.parse::<usize>()) {
        None => 20,
        Some(Ok(r)) if r > 0 => r,
        Some(_) => {
            eprintln!("rounds must be a positive integer");
            std::process::exit(2);
        }
    };
    if !matches!(mode, "corpus" | "big" | "context" | "review" | "webhook" | "all") {
        eprintln!("mode must be corpus, big, context, review, webhook or all, not {mode:?}");
        std::process::exit(2);
    }
    if mode == "webhook" {
        webhook::webhook_figures(Path::new(dir), rounds);
        return;
    }
    let texts = match read_corpus(Path::new(dir)) {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => {
            eprintln!("no .diff files under {dir}/diffs/real");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!("argus-diff on {} ({})", std::env::consts::ARCH, if cfg!(debug_assertions) { "debug" } else { "release" });
    if mode == "review" {
        review::review_figures(&texts, rounds);
        println!("  {}", memory_note());
        return;
    }
    if mode == "context" {
        context_figures(&texts, rounds);
        println!("  {}", memory_note());
        return;
    }
    if mode != "big" {
        let selector = match Selector::new(&SelectConfig::default()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        corpus_figures(&texts, rounds, &selector);
    }
    if mode != "corpus" {
        big_figures(texts, rounds.min(10));
    }
    println!("  {}", memory_note());
}
