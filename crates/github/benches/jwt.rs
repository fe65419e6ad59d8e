//! JWT sign time with jwt-simple: the key parsed once (what `JwtSimpleSigner`
//! does) against re-parsing the PEM for every token (what PR-Agent does, 26 ms a
//! JWT in BASELINES.md), plus the app-JWT cache hit that the hot path really pays,
//! and one GET through the client with a cached installation token (the client's
//! own overhead: headers, classification, JSON decoding, over the in-memory GitHub).
//! Run: `cargo bench -p argus-github --bench jwt -- --warm-up-time 1 --measurement-time 3`.

use argus_core::ids::UnixMillis;
use argus_core::ids::{InstallationId, PrNumber, PrRef, RepoName};
use argus_core::secret::SecretString;
use argus_github::auth::{AppJwtClaims, JwtSigner, JwtSimpleSigner, MemoryTokenCache};
use argus_github::fake::{FakeClock, FakeGitHub, FakePr};
use argus_github::{GitHub, GitHubConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use futures_executor::block_on;
use std::hint::black_box;

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bench(c: &mut Criterion) {
    let pem = SecretString::new(fixture("test-app-key.pem"));
    let claims = AppJwtClaims::new(12345, UnixMillis(1_764_000_000_000));
    let signer = JwtSimpleSigner::from_pem(&pem).expect("test key");

    c.bench_function("jwt-simple sign, key parsed once", |b| b.iter(|| block_on(signer.sign(black_box(&claims))).expect("sign")));
    c.bench_function("jwt-simple sign, key re-parsed per token", |b| {
        b.iter(|| {
            let s = JwtSimpleSigner::from_pem(black_box(&pem)).expect("test key");
            block_on(s.sign(&claims)).expect("sign")
        })
    });

    let clock = FakeClock::at(UnixMillis(1_764_000_000_000));
    let fake = FakeGitHub::new(clock.clone(), 12345, &fixture("test-app-key.pub.pem"));
    let gh = GitHub::new(GitHubConfig::new(Some(argus_github::fake::FAKE_API_URL), 12345), fake.clone(), clock, signer, MemoryTokenCache::default());
    block_on(gh.app_jwt()).expect("first jwt");
    c.bench_function("app JWT, cache hit", |b| b.iter(|| block_on(gh.app_jwt()).expect("cached")));

    fake.add_pull_request(FakePr {
        owner: "o".into(),
        repo: "r".into(),
        number: 1,
        head_sha: "1".repeat(40),
        base_sha: "2".repeat(40),
        draft: false,
        state: "open".into(),
        author: "mona".into(),
        files: vec![],
    });
    let pr = PrRef::new(RepoName::new("o", "r"), PrNumber(1));
    let inst = gh.installation(InstallationId(1));
    block_on(inst.pull_request(&pr)).expect("mints the token");
    c.bench_function("GET pull request, cached token, in-memory GitHub", |b| b.iter(|| block_on(inst.pull_request(black_box(&pr))).expect("pr")));
}

criterion_group!(benches, bench);
criterion_main!(benches);
