//! Prints the pipeline's figures (no timed assertions): for a small real PR and
//! a PR big enough for 20 model requests, the time from job start to posted
//! review with a fake model answering after a fixed latency (simulated time:
//! bounded parallelism shows, nothing sleeps), the CPU time the pipeline itself
//! spends, model calls, GitHub requests and KV writes per review.
//!
//! `cargo run --release -p argus-pipeline --example figures`

#[allow(dead_code)]
#[path = "../tests/harness.rs"]
mod harness;

use argus_coordinator::ReviewPipeline;
use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, TransportError};
use argus_core::job::ReviewMode;
use argus_core::secret::SecretString;
use argus_github::fake::{FAKE_API_URL, FakeClock, FakeFile, FakeGitHub};
use argus_github::{GitHub, GitHubConfig, JwtSimpleSigner, MemoryTokenCache};
use argus_llm::testkit::{SimClock, run_sim};
use argus_llm::{HttpProvider, LlmConfig, MemoryBreakerStore, Wire};
use argus_pipeline::{LlmParts, MemoryCache, MemoryLog, Platform, ReviewService, StaticConfig};
use harness::*;
use std::rc::Rc;
use std::time::Instant;

/// The scripted model, answering after `latency_ms` of simulated time.
#[derive(Clone)]
struct Slow {
    inner: FakeLlm,
    clock: SimClock,
    latency_ms: u64,
}

impl HttpClient for Slow {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.clock.sleep(self.latency_ms).await;
        self.inner.send(req).await
    }
}

/// The test platform with the simulated clock and the slow model.
struct SimPlatform;

impl Platform for SimPlatform {
    type Http = FakeGitHub;
    type GitHubClock = SimClock;
    type Signer = JwtSimpleSigner;
    type Tokens = MemoryTokenCache;
    type Llm = HttpProvider<Slow>;
    type Breakers = Rc<MemoryBreakerStore>;
    type Cache = Rc<MemoryCache<SimClock>>;
    type Config = Rc<StaticConfig>;
    type Log = Rc<MemoryLog>;
    type Clock = SimClock;
}

struct Figures {
    sim_ms: u64,
    cpu_ms: f64,
    llm_calls: usize,
    github_requests: u64,
    kv_writes: u32,
    findings: u32,
}

fn measure(files: Vec<FakeFile>, repo_toml: Option<&str>, latency_ms: u64, env: &[(&str, &str)]) -> Figures {
    let sim = SimClock::starting_at(T0.0);
    let fake_clock = FakeClock::at(T0);
    let github = FakeGitHub::new(fake_clock, APP_ID, &fixture("test-app-key.pub.pem"));
    github.add_pull_request(pr(HEAD1, files));
    if let Some(t) = repo_toml {
        github.set_content(FULL, BASE, ".github/argusai.toml", t.as_bytes());
    }
    let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).expect("test key");
    let gh = GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), github.clone(), sim.clone(), signer, MemoryTokenCache::default());
    let llm = FakeLlm::new(per_file_model());
    let env_owned: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let config = LlmConfig::from_env(|k| env_owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).expect("llm config");
    let slow = Slow { inner: llm.clone(), clock: sim.clone(), latency_ms };
    let provider = HttpProvider::new(Wire::from_config(&config).expect("provider"), slow);
    let cache = Rc::new(MemoryCache::new(sim.clone()));
    let breakers = Rc::new(MemoryBreakerStore::default());
    let service: Rc<ReviewService<SimPlatform>> = Rc::new(ReviewService {
        github: gh,
        llm: LlmParts { provider, breakers: breakers.clone(), config },
        cache: cache.clone(),
        config_source: Rc::new(StaticConfig { env: env_owned, ..Default::default() }),
        log: Rc::new(MemoryLog::default()),
        clock: sim.clone(),
        seed: 1,
    });
    let j = job(HEAD1, None, ReviewMode::Incremental);
    // A native example measuring real CPU time; the wasm ban on `Instant::now` does not apply.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let s = service.clone();
    let report = run_sim(&sim, async move {
        let check = s.start_check(&j).await.expect("check run");
        let report = s.run(&j).await.expect("run");
        s.publish(&j, &report, check).await.expect("publish");
        report
    })
    .expect("simulation finishes");
    let cpu_ms = started.elapsed().as_secs_f64() * 1000.0;
    Figures {
        sim_ms: sim.now().0 - T0.0,
        cpu_ms,
        llm_calls: llm.calls() + llm.verification_calls(),
        github_requests: service.github.requests_sent(),
        // Review cache writes, breaker transitions, and the one installation token cached.
        kv_writes: cache.writes() + breakers.writes() + 1,
        findings: report.findings,
    }
}

fn big_pr() -> Vec<FakeFile> {
    let names = [
        "ripgrep-e8a30cb89341.diff",
        "libgit2-1fed6b07f072.diff",
        "axum-857ecd73148a.diff",
        "ripgrep-64ac2ebe0f2f.diff",
        "libgit2-d4a0b124d00c.diff",
        "libgit2-10672e3e455e.diff",
        "axum-0b26411f39fc.diff",
        "libgit2-3d3552e8fd70.diff",
        "axum-dfb06e721c50.diff",
        "libgit2-b900981cf7f6.diff",
    ];
    let mut files = Vec::new();
    for n in names {
        for mut f in corpus_files(n) {
            // Distinct paths: the commits come from different repositories.
            f.filename = format!("{}/{}", n.trim_end_matches(".diff"), f.filename);
            files.push(f);
        }
    }
    files
}

fn main() {
    // GitHub Models' free tier shape: 8000 input tokens per request, 2 in flight.
    let mut env = llm_env();
    env.push(("LLM_MAX_INPUT_TOKENS", "8000"));
    env.push(("LLM_CONCURRENCY", "2"));
    let latency = 2000;
    let wide = "max_files = 3000\nmax_changed_lines_per_file = 100000\n";
    println!("fake model latency {latency} ms, concurrency 2, 8000 input tokens per request");
    println!("{:<28} {:>10} {:>9} {:>9} {:>8} {:>8} {:>9}", "case", "sim ms", "cpu ms", "llm calls", "gh reqs", "kv wr", "findings");
    for (name, files, toml) in
        [("small PR (axum-e3d34bb553d5)", corpus_files("axum-e3d34bb553d5.diff"), None), ("big PR (10 commits, capped)", big_pr(), Some(wide))]
    {
        // Five runs; the CPU figure is the fastest (the first pays for parsing the RSA key).
        let runs: Vec<Figures> = (0..5).map(|_| measure(files.clone(), toml, latency, &env)).collect();
        let cpu_ms = runs.iter().map(|r| r.cpu_ms).fold(f64::INFINITY, f64::min);
        let f = Figures { cpu_ms, ..runs.into_iter().next().expect("five runs") };
        println!("{:<28} {:>10} {:>9.1} {:>9} {:>8} {:>8} {:>9}", name, f.sim_ms, f.cpu_ms, f.llm_calls, f.github_requests, f.kv_writes, f.findings);
    }
}
