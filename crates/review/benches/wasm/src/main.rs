//! Redaction throughput on the real diff corpus, the current redactor beside the one
//! before the declaration-style work (frozen in `benches/baseline/`), alternating rounds
//! so both see the same machine; and the input tripwire's throughput over the same diffs. Runs natively and as wasm32-wasip1 under Node's WASI,
//! which is how the Worker runs it (no SIMD, the Worker's size-optimized profile):
//!
//! ```sh
//! m=crates/review/benches/wasm/Cargo.toml
//! cargo run --release --manifest-path $m -- ../shared/corpora/diffs/real 20
//! cargo build --release --manifest-path $m --target wasm32-wasip1
//! node crates/review/benches/wasm/run-wasi.mjs \
//!   crates/review/benches/wasm/target/wasm32-wasip1/release/argus-review-bench-wasm.wasm ../shared/corpora/diffs/real 20
//! ```
//!
//! Prints figures; asserts nothing.

#[path = "../../baseline/redact_v1.rs"]
mod redact_v1;

use std::time::Instant;

#[allow(clippy::disallowed_methods)] // a benchmark times itself; the product never reads a clock
fn now() -> Instant {
    Instant::now()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "../shared/corpora/diffs/real".to_owned());
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")).map(|e| e.expect("dir entry").path()).collect();
    names.sort();
    let joined: String = names.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("corpus file")).into_owned()).collect();
    let mb = joined.len() as f64 / (1024.0 * 1024.0);
    // The first call builds each redactor's patterns: the cost a fresh Worker isolate pays.
    let t = now();
    let before_found = redact_v1::redact(&joined).report.total();
    let before_first = t.elapsed();
    let t = now();
    let now_found = argus_review::redact::redact(&joined).report.total();
    let now_first = t.elapsed();
    let (mut before, mut current) = (0.0f64, 0.0f64);
    for _ in 0..rounds {
        let t = now();
        std::hint::black_box(redact_v1::redact(std::hint::black_box(&joined)));
        before += t.elapsed().as_secs_f64();
        let t = now();
        std::hint::black_box(argus_review::redact::redact(std::hint::black_box(&joined)));
        current += t.elapsed().as_secs_f64();
    }
    println!("{} diffs, {mb:.2} MiB, {rounds} rounds each, alternating", names.len());
    println!(
        "before (038a46b): {:>7.1} MiB/s  first call {:>7.2} ms  ({before_found} redactions)",
        mb * rounds as f64 / before,
        before_first.as_secs_f64() * 1e3
    );
    println!("now:              {:>7.1} MiB/s  first call {:>7.2} ms  ({now_found} redactions)", mb * rounds as f64 / current, now_first.as_secs_f64() * 1e3);
    println!("ratio now/before: {:.2}", before / current);
    // The input tripwire reads the added lines of the parsed diffs; MiB/s of diff text.
    let texts: Vec<String> = names.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("corpus file")).into_owned()).collect();
    let parsed: Vec<_> = texts.iter().map(|t| argus_diff::diff::parse_unified(t)).collect();
    let t = now();
    let mut hits = 0;
    for _ in 0..rounds {
        hits = parsed.iter().map(|p| argus_review::tripwire::diff_hits(std::hint::black_box(&p.files)).len()).sum::<usize>();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("tripwire:         {:>7.1} MiB/s  ({hits} hits)", mb * rounds as f64 / secs);
}
