//! Wall time of each stage (parse, select, plan) over the real corpus, to see
//! where parse + select + chunk spends its time. Figures only.
//! Run: `cargo run --release -p argus-diff --example stage_timing`.

// A native measurement binary: the wasm-oriented ban on `Instant::now` does not apply.
#![allow(clippy::disallowed_methods)]

use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::parse_unified;
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, Selector};
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("corpus").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let texts: Vec<String> = paths.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned()).collect();
    let total: usize = texts.iter().map(String::len).sum();
    let selector = Selector::new(&SelectConfig::default()).expect("default config");
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None };
    let (mut tp, mut ts, mut tc) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let rounds = 20;
    for _ in 0..rounds {
        for t in &texts {
            let a = Instant::now();
            let d = parse_unified(t);
            let b = Instant::now();
            let sel = selector.select(&d.files);
            let c = Instant::now();
            let p = plan(&d.files, &sel, &budget, &[], ContextOptions::default());
            let e = Instant::now();
            std::hint::black_box(p);
            tp += b - a;
            ts += c - b;
            tc += e - c;
        }
    }
    let mbps = |d: Duration| total as f64 * rounds as f64 / d.as_secs_f64() / 1e6;
    println!("corpus {:.2} MB x {rounds}", total as f64 / 1e6);
    println!("parse  {:8.2} ms/round  {:7.0} MB/s", tp.as_secs_f64() * 1e3 / rounds as f64, mbps(tp));
    println!("select {:8.2} ms/round", ts.as_secs_f64() * 1e3 / rounds as f64);
    println!("plan   {:8.2} ms/round", tc.as_secs_f64() * 1e3 / rounds as f64);
    println!("all    {:7.0} MB/s", mbps(tp + ts + tc));
}
