//! Criterion benchmarks of the diff engine on the real corpus: parse
//! throughput (MB/s) over all files, parse + select + chunk throughput, the
//! token estimator alone, and the largest corpus file. Figures only, no timed
//! assertions. Run short:
//! `cargo bench -p argus-diff -- --warm-up-time 1 --measurement-time 3`.

use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::parse_unified;
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, Selector};
use argus_diff::tokens::estimate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("corpus").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    paths.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned()).collect()
}

fn benches(c: &mut Criterion) {
    let texts = corpus();
    let total: usize = texts.iter().map(String::len).sum();
    let largest = texts.iter().max_by_key(|t| t.len()).expect("non-empty corpus").clone();
    let all_in_one = texts.concat();
    let selector = Selector::new(&SelectConfig::default()).expect("default config compiles");
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None };

    let mut g = c.benchmark_group("real_corpus");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(parse_unified(black_box(t)));
            }
        })
    });
    g.bench_function("parse_select_chunk", |b| {
        b.iter(|| {
            for t in &texts {
                let d = parse_unified(black_box(t));
                let sel = selector.select(&d.files);
                black_box(plan(&d.files, &sel, &budget, &[], ContextOptions::default()));
            }
        })
    });
    // The estimator alone over every corpus file, as one text each.
    g.bench_function("estimate", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(estimate(black_box(t)));
            }
        })
    });
    // The estimator as the planner calls it: once per hunk-sized piece.
    let pieces: Vec<&str> = texts.iter().flat_map(|t| t.split("\n@@")).collect();
    g.bench_function("estimate_per_hunk", |b| {
        b.iter(|| {
            for p in &pieces {
                black_box(estimate(black_box(p)));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("largest_file");
    g.throughput(Throughput::Bytes(largest.len() as u64));
    g.bench_function("parse", |b| b.iter(|| black_box(parse_unified(black_box(&largest)))));
    g.finish();

    // The whole corpus as one diff (1,336 files): the shape of a very large PR.
    let mut g = c.benchmark_group("corpus_as_one_diff");
    g.throughput(Throughput::Bytes(all_in_one.len() as u64));
    g.bench_function("parse_select_chunk", |b| {
        b.iter(|| {
            let d = parse_unified(black_box(&all_in_one));
            let sel = selector.select(&d.files);
            black_box(plan(&d.files, &sel, &budget, &[], ContextOptions::default()))
        })
    });
    g.finish();
}

criterion_group!(diff, benches);
criterion_main!(diff);
