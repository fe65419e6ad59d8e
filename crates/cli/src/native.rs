//! The native platform the `argus` command runs the Worker's pipeline on:
//! blocking HTTP with `ureq` (rustls) behind argus-core's [`HttpClient`] seam,
//! the system clock, a person's GitHub token in place of the App's
//! installation tokens ([`UserToken`]), in-memory caches and breakers, and a
//! progress line per model call on a terminal. Native only: the Worker never
//! links this crate.

use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use argus_core::ids::UnixMillis;
use argus_core::secret::SecretString;
use argus_github::{AppIdentity, GitHub, GitHubConfig, NoAppKey, UserToken};
use argus_llm::{HttpProvider, LlmConfig, MemoryBreakerStore, Wire};
use argus_pipeline::{LlmParts, LogEvent, MemoryCache, PipelineLog, Platform, ReviewService, StaticConfig};
use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Bodies larger than this are refused (a PR diff of the benchmark is far smaller;
/// ureq's default of 10 MB would cut some real diffs).
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// Blocking HTTP: each `send` completes before it returns, which is what a
/// command line running one review at a time per thread wants.
pub struct UreqHttp {
    agent: ureq::Agent,
}

impl Default for UreqHttp {
    fn default() -> Self {
        // Statuses are answers, not errors: the clients classify them (rate limits, 5xx…).
        let config = ureq::Agent::config_builder().http_status_as_error(false).user_agent("argus-cli").build();
        Self { agent: config.into() }
    }
}

impl HttpClient for UreqHttp {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match req.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        };
        let mut builder = ureq::http::Request::builder().method(method).uri(&req.url);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder.body(req.body.unwrap_or_default()).map_err(|e| TransportError::Network(format!("bad request: {e}")))?;
        let request = self.agent.configure_request(request).timeout_global(Some(Duration::from_millis(req.timeout_ms))).build();
        let mut resp = match self.agent.run(request) {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => return Err(TransportError::Timeout(req.timeout_ms)),
            Err(e) => return Err(TransportError::Network(e.to_string())),
        };
        let status = resp.status().as_u16();
        let headers =
            resp.headers().iter().map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
        let body = resp.body_mut().with_config().limit(MAX_BODY).read_to_vec().map_err(|e| match e {
            ureq::Error::Timeout(_) => TransportError::Timeout(req.timeout_ms),
            e => TransportError::Network(e.to_string()),
        })?;
        Ok(HttpResponse { status, headers, body })
    }
}

/// The system clock; `sleep` blocks the thread (one review per thread).
#[derive(Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // This is the command line's platform shell: the one place it reads the clock.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> UnixMillis {
        let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        UnixMillis(d.as_millis() as u64)
    }
    async fn sleep(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// The model's transport, printing one line per call on a terminal (never into
/// a pipe or a file: scripted output stays clean).
pub struct Progress<H> {
    inner: H,
    label: String,
    calls: Cell<u32>,
    tty: bool,
}

impl<H> Progress<H> {
    pub fn new(inner: H, label: impl Into<String>) -> Self {
        Self { inner, label: label.into(), calls: Cell::new(0), tty: std::io::stderr().is_terminal() }
    }
}

impl<H: HttpClient> HttpClient for Progress<H> {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        let started = SystemClock.now();
        if self.tty {
            eprint!("\r\x1b[2K{}: model call {n}…", self.label);
        }
        let r = self.inner.send(req).await;
        if self.tty {
            let how = match &r {
                Ok(resp) => format!("HTTP {}", resp.status),
                Err(e) => e.to_string(),
            };
            eprint!("\r\x1b[2K{}: model call {n}: {how} in {:.1} s", self.label, SystemClock.now().0.saturating_sub(started.0) as f64 / 1000.0);
            let _ = std::io::stderr().flush();
        }
        r
    }
}

/// With `ARGUS_LOG=1`, the pipeline's step lines go to stderr as the Worker logs them.
pub struct StderrLog {
    on: bool,
}

impl PipelineLog for StderrLog {
    fn event(&self, e: LogEvent) {
        if self.on {
            eprintln!("{}", serde_json::to_string(&e).unwrap_or_default());
        }
    }
}

/// The Worker's pipeline on this machine.
pub struct Native;

impl Platform for Native {
    type Http = UreqHttp;
    type GitHubClock = SystemClock;
    type Signer = NoAppKey;
    type Tokens = UserToken;
    type Llm = HttpProvider<Progress<UreqHttp>>;
    type Breakers = MemoryBreakerStore;
    type Cache = MemoryCache<SystemClock>;
    type Config = StaticConfig;
    type Log = StderrLog;
    type Clock = SystemClock;
}

/// The App whose earlier reviews on a PR count as ArgusAI's (their findings are
/// not repeated): `ARGUS_APP_SLUG` (default `argusai`) and `GITHUB_APP_ID`.
fn app_identity(env: &dyn Fn(&str) -> Option<String>) -> AppIdentity {
    let id = env("GITHUB_APP_ID").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    AppIdentity::new(id, env("ARGUS_APP_SLUG").filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "argusai".into()))
}

/// The GitHub client acting with the person's token (`GITHUB_TOKEN`), at
/// `GITHUB_API_URL` (default `https://api.github.com`).
pub fn github(env: &dyn Fn(&str) -> Option<String>) -> Result<GitHub<UreqHttp, SystemClock, NoAppKey, UserToken>, String> {
    let token = env("GITHUB_TOKEN")
        .filter(|t| !t.trim().is_empty())
        .ok_or("GITHUB_TOKEN is not set: reading a pull request needs a GitHub token (`gh auth token`)")?;
    let app = app_identity(env);
    let config = GitHubConfig::new(env("GITHUB_API_URL").as_deref(), app.id);
    Ok(GitHub::new(config, UreqHttp::default(), SystemClock, NoAppKey, UserToken::new(SecretString::new(token.trim().to_string()), app)))
}

/// The model provider of `config`, over native HTTP with a progress line.
pub fn provider(config: &LlmConfig, label: &str) -> Result<HttpProvider<Progress<UreqHttp>>, String> {
    let wire = Wire::from_config(config).ok_or("Workers AI is a Cloudflare binding: the command line cannot call it; pick another LLM_PROVIDER")?;
    Ok(HttpProvider::new(wire, Progress::new(UreqHttp::default(), label)))
}

/// The Worker's review service on this machine. `env` is the Worker's vars (and
/// the model settings); `repo_layer` the `--config` file, applied as the
/// operator's per-repository layer (below the repository's own file, as in the Worker).
pub fn service(env: Vec<(String, String)>, llm: LlmConfig, repo_layer: Option<(String, String)>) -> Result<ReviewService<Native>, String> {
    let lookup = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let github = github(&lookup)?;
    let provider = provider(&llm, "argus review")?;
    let on = lookup("ARGUS_LOG").is_some_and(|v| v == "1");
    let config = StaticConfig { env: env.clone(), ..Default::default() };
    if let Some((repo, text)) = repo_layer {
        config.repo.borrow_mut().insert(repo, text);
    }
    Ok(ReviewService {
        github,
        llm: LlmParts { provider, breakers: MemoryBreakerStore::default(), config: llm },
        cache: MemoryCache::new(SystemClock),
        config_source: config,
        log: StderrLog { on },
        clock: SystemClock,
        seed: SystemClock.now().0,
    })
}
