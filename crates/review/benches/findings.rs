//! Throughput of the findings half on real data: redaction over the whole real-diff
//! corpus (the current redactor beside the one before the declaration-style work, frozen
//! in `baseline/`, so one run prints both), the input tripwire over the same corpus, the
//! tolerant parser on a realistic reply,
//! placement of many findings on the largest corpus diff, and rendering of a review.
//! Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p argus-review --bench findings -- --warm-up-time 1 --measurement-time 3`

use argus_diff::diff::parse_unified;
use argus_review::contract::{Category, Finding, Severity, Side, parse_reply};
use argus_review::fingerprint::Dedupe;
use argus_review::place::{DiffIndex, place};
use argus_review::redact::redact;
use argus_review::render::{self, Notes, Review, Usage};
use argus_review::tripwire;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;

#[path = "baseline/redact_v1.rs"]
mod redact_v1;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real")
}

fn corpus() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .expect("corpus present")
        .filter_map(|e| {
            let p = e.ok()?.path();
            let bytes = std::fs::read(&p).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    v.sort();
    v
}

fn benches(c: &mut Criterion) {
    let all = corpus();
    let joined: String = all.iter().map(|(_, d)| d.as_str()).collect();
    let mut g = c.benchmark_group("redact");
    g.throughput(Throughput::Bytes(joined.len() as u64));
    g.bench_function("real corpus", |b| b.iter(|| black_box(redact(black_box(&joined)).report.total())));
    g.bench_function("real corpus, before (038a46b)", |b| b.iter(|| black_box(redact_v1::redact(black_box(&joined)).report.total())));
    g.finish();

    // The input tripwire reads added lines only; throughput is per byte of diff text.
    let parsed_all: Vec<_> = all.iter().map(|(_, d)| parse_unified(d)).collect();
    let mut g = c.benchmark_group("tripwire");
    g.throughput(Throughput::Bytes(joined.len() as u64));
    g.bench_function("scan_diff real corpus", |b| {
        b.iter(|| black_box(parsed_all.iter().map(|p| tripwire::scan_diff(black_box(&p.files)).len()).sum::<usize>()))
    });
    g.finish();

    let reply = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies/ripgrep-2a2b1506d42c.txt")).unwrap();
    let mut g = c.benchmark_group("parse_reply");
    g.throughput(Throughput::Bytes(reply.len() as u64));
    g.bench_function("golden reply", |b| b.iter(|| black_box(parse_reply(black_box(&reply)).findings.len())));
    let cut = &reply[..reply.len() * 2 / 3];
    g.bench_function("truncated reply", |b| b.iter(|| black_box(parse_reply(black_box(cut)).findings.len())));
    g.finish();

    // Placement: one finding on every 7th commentable RIGHT line of the largest diff,
    // plus as many citing lines outside the diff.
    let (name, largest) = all.iter().max_by_key(|(_, d)| d.len()).unwrap();
    let parsed = parse_unified(largest);
    let mut findings = Vec::new();
    for f in &parsed.files {
        let c = f.commentable();
        for (i, (n, _)) in c.right.iter().enumerate().step_by(7) {
            let mk = |line: u32| Finding {
                path: f.path().to_owned(),
                side: Side::Right,
                start_line: None,
                end_line: line,
                severity: Severity::Medium,
                category: Category::Bug,
                title: format!("finding {i}"),
                body: "Something is off here.".into(),
                replacement: None,
            };
            findings.push(mk(n.get()));
            findings.push(mk(n.get() + 100_000));
        }
    }
    let index = DiffIndex::new(&parsed.files);
    eprintln!("placement input: {name}, {} bytes, {} files, {} findings", largest.len(), parsed.files.len(), findings.len());
    let mut g = c.benchmark_group("place");
    g.throughput(Throughput::Elements(findings.len() as u64));
    g.bench_function("largest corpus diff", |b| {
        b.iter(|| black_box(place(&index, black_box(findings.clone()), &mut Dedupe::default()).placed.len()))
    });
    g.bench_function("index largest corpus diff", |b| b.iter(|| black_box(DiffIndex::new(black_box(&parsed.files)))));
    g.finish();

    let placed = place(&index, findings.iter().take(40).cloned().collect(), &mut Dedupe::default());
    let review = Review {
        head: argus_core::ids::CommitSha("a".repeat(40)),
        model: "m".into(),
        model_summaries: vec![],
        placed: placed.placed,
        unplaced: placed.unplaced,
        files: vec![],
        usage: Usage::default(),
        pricing: None,
        redactions: Default::default(),
        rejected: 0,
        duplicates: 0,
        notes: Notes::default(),
        not_placed: vec![],
        subrequests: None,
    };
    c.bench_function("render review of 40 findings", |b| {
        b.iter(|| black_box(render::summary(black_box(&review)).len() + render::comments(black_box(&review)).len()))
    });
}

criterion_group!(findings, benches);
criterion_main!(findings);
