//! Native benchmark of the webhook hot path's pure part: signature verification,
//! parsing and the filter decision, on real ~27–30 KB payloads from the corpora.
//! Prints criterion's figures; nothing here asserts on time.

use argus_core::event::{self, Parsed};
use argus_core::filter::{self, FilterConfig};
use argus_core::ids::{DeliveryId, UnixMillis};
use argus_core::signature::{self, WebhookSecrets};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/webhooks").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn bench(c: &mut Criterion) {
    let secrets = WebhookSecrets::parse("bench-secret");
    let cfg = FilterConfig::default();
    for (event_name, file) in [("pull_request", "pull_request.opened.14.json"), ("pull_request", "pull_request.labeled.9.json")] {
        let body = corpus(file);
        let sig = signature::sign("bench-secret", &body);
        let mut group = c.benchmark_group(format!("webhook/{file}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("verify", |b| b.iter(|| signature::verify(&secrets, Some(black_box(&sig)), black_box(&body)).unwrap()));
        group.bench_function("parse", |b| b.iter(|| event::parse(event_name, black_box(&body)).unwrap()));
        group.bench_function("verify+parse+filter", |b| {
            b.iter(|| {
                signature::verify(&secrets, Some(&sig), black_box(&body)).unwrap();
                match event::parse(event_name, black_box(&body)).unwrap() {
                    Parsed::Event(e) => filter::decide(&cfg, e, DeliveryId("d".into()), UnixMillis(0)),
                    Parsed::Ignored(r) => filter::Decision::Ignore(r),
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
