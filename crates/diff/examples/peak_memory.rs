//! Peak heap memory of parse + select + chunk for the largest real diff and for
//! the whole corpus as one diff, measured with a counting global allocator.
//! Run: `cargo run --release -p argus-diff --example peak_memory`.

// A native measurement binary: the wasm-oriented ban on `Instant::now` does not apply.
#![allow(clippy::disallowed_methods)]

use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::parse_unified;
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, select};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live bytes and remembers the high-water mark.
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

fn measure(name: &str, text: &str) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = std::time::Instant::now();
    let d = parse_unified(text);
    let sel = select(&d.files, &SelectConfig::default()).expect("default config");
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None };
    let p = plan(&d.files, &sel, &budget, &[], ContextOptions::default());
    let took = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    println!(
        "{name}: {:.2} MB input, {} files, {} chunks; peak heap above input {:.2} MB ({:.2}x input); {:.2} ms",
        text.len() as f64 / 1e6,
        d.files.len(),
        p.chunks.len(),
        peak as f64 / 1e6,
        peak as f64 / text.len() as f64,
        took.as_secs_f64() * 1e3
    );
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("corpus").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let texts: Vec<String> = paths.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned()).collect();
    let largest = texts.iter().max_by_key(|t| t.len()).expect("corpus");
    measure("largest real diff", largest);
    let all = texts.concat();
    measure("whole corpus as one diff", &all);
}
