//! Native throughput of the coordinator's state machine: webhooks applied per
//! second (new deliveries, duplicates) and a full job lifecycle, plus the cost
//! of the state snapshot the Durable Object writes after each event.

use argus_coordinator::machine::Event;
use argus_coordinator::protocol::{Finish, JobFinished, LeaseReply, LeaseRequest, RepoSettings, ReviewStats};
use argus_coordinator::{Config, Coordinator, Reply};
use argus_core::event::PrAction;
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrNumber, PrRef, RepoName, UnixMillis};
use argus_core::signal::{Inbound, Signal};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn push(n: u64, at: u64) -> Event {
    Event::Inbound(Inbound {
        delivery: DeliveryId(format!("{n:08x}-0000-4000-8000-000000000000")),
        received_at: UnixMillis(at),
        pr: PrRef::new(RepoName::new("octo", "repo"), PrNumber(7)),
        installation: Some(InstallationId(1)),
        signal: Signal::Review {
            trigger: PrAction::Synchronize,
            head_sha: CommitSha(format!("{n:040x}")),
            base_sha: CommitSha("b".repeat(40)),
            base_ref: "main".into(),
            title: "t".into(),
            author: "a".into(),
            labels: vec![],
            draft: false,
        },
    })
}

fn bench(c: &mut Criterion) {
    // A coordinator that already remembers a full dedupe window (the worst case).
    let mut warm = Coordinator::new(Config::default());
    for i in 0..1000 {
        warm.handle(UnixMillis(1_000 + i), push(i, 1_000 + i));
    }
    let mut n = 10_000u64;
    c.bench_function("inbound_new_delivery", |b| {
        let mut m = warm.clone();
        b.iter(|| {
            n += 1;
            black_box(m.handle(UnixMillis(5_000), push(n, 5_000)));
        })
    });
    c.bench_function("inbound_duplicate", |b| {
        let mut m = warm.clone();
        b.iter(|| black_box(m.handle(UnixMillis(5_000), push(999, 5_000))))
    });
    c.bench_function("snapshot_json_1000_deliveries", |b| b.iter(|| black_box(serde_json::to_vec(warm.state()).unwrap())));
    let bytes = serde_json::to_vec(warm.state()).unwrap();
    c.bench_function("restore_json_1000_deliveries", |b| b.iter(|| black_box(serde_json::from_slice::<argus_coordinator::PrState>(&bytes).unwrap())));
    c.bench_function("job_lifecycle", |b| {
        let mut t = 1_000_000u64;
        let mut m = Coordinator::new(Config::with_debounce_secs(0));
        b.iter(|| {
            t += 10;
            n += 1;
            let step = m.handle(UnixMillis(t), push(n, t));
            let job = step.enqueued().next().expect("debounce 0 enqueues at once").clone();
            let Reply::Lease(LeaseReply::Granted { lease_id, .. }) =
                m.handle(UnixMillis(t + 1), Event::LeaseRequested(LeaseRequest { job_id: job.job_id.clone(), attempt: 1 })).reply
            else {
                panic!("lease")
            };
            black_box(m.handle(
                UnixMillis(t + 2),
                Event::JobFinished(JobFinished {
                    job_id: job.job_id,
                    lease_id,
                    stats: ReviewStats::default(),
                    finish: Finish::Posted,
                    settings: RepoSettings::default(),
                }),
            ));
        })
    });
    println!("snapshot size with 1000 remembered deliveries: {} bytes", bytes.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
