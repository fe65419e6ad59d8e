//! The whole pipeline against argus-github's in-memory GitHub and a scripted
//! OpenAI-compatible model (an `HttpClient` that answers chat completions and
//! records every prompt), on one simulated clock.

use argus_core::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrNumber, PrRef, RepoName, UnixMillis};
use argus_core::job::{ReviewJob, ReviewMode};
use argus_core::secret::SecretString;
use argus_core::subrequests::{CountingHttp, SubrequestKind};
use argus_github::fake::{FAKE_API_URL, FakeClock, FakeFile, FakeGitHub, FakePr, split_unified_diff};
use argus_github::{GitHub, GitHubConfig, JwtSimpleSigner, MemoryTokenCache};
use argus_llm::{HttpProvider, LlmConfig, MemoryBreakerStore, Wire};
use argus_pipeline::{LlmParts, MemoryCache, MemoryLog, Platform, ReviewService, StaticConfig};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

pub const APP_ID: u64 = 4242;
pub const T0: UnixMillis = UnixMillis(1_764_000_000_000);
pub const OWNER: &str = "octo";
pub const REPO: &str = "hello";
pub const FULL: &str = "octo/hello";
pub const BASE: &str = "b000000000000000000000000000000000000000";
pub const HEAD1: &str = "1111111111111111111111111111111111111111";
pub const HEAD2: &str = "2222222222222222222222222222222222222222";
pub const HEAD3: &str = "3333333333333333333333333333333333333333";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures").join(name)).expect("fixture")
}

/// A real commit diff from the shared corpus, split into GitHub's per-file patches.
pub fn corpus_files(name: &str) -> Vec<FakeFile> {
    let bytes = std::fs::read(repo_root().join("../shared/corpora/diffs/real").join(name)).expect("corpus diff");
    split_unified_diff(&String::from_utf8_lossy(&bytes))
}

/// What the scripted model answers to one request: the parsed request body
/// and the request's index (from 0) decide.
pub type Script = Rc<dyn Fn(&Value, usize) -> HttpResponse>;

/// The scripted model keeps review requests (`script`, `requests`) and
/// verification requests (`verify`, `verifications`) apart, so a test about
/// reviewing counts review calls, and a test about verification scripts the
/// verdicts. The default verifier confirms every claim.
#[derive(Clone)]
pub struct FakeLlm {
    pub script: Rc<RefCell<Script>>,
    pub requests: Rc<RefCell<Vec<Value>>>,
    pub verify: Rc<RefCell<Script>>,
    pub verifications: Rc<RefCell<Vec<Value>>>,
}

/// Whether a request is the verification pass's (its schema's name, or its
/// system prompt when the provider mode sends no schema).
pub fn is_verification(body: &Value) -> bool {
    body["response_format"]["json_schema"]["name"] == argus_review::verify::SCHEMA_NAME
        || body["messages"][0]["content"].as_str().is_some_and(|s| s.starts_with("You are ArgusAI's fact checker"))
}

/// The claims of a verification request, in order: (id, title line).
pub fn claims(body: &Value) -> Vec<(u64, String)> {
    let user = body["messages"][1]["content"].as_str().unwrap_or("");
    let mut out = Vec::new();
    let mut lines = user.lines();
    while let Some(l) = lines.next() {
        if let Some(id) = l.strip_prefix("<claim id=\"").and_then(|r| r.strip_suffix("\">")) {
            lines.next(); // File: …
            out.push((id.parse().unwrap_or(0), lines.next().unwrap_or("").to_string()));
        }
    }
    out
}

/// A verifier that answers each claim with `verdict(title)`: (holds, confidence).
pub fn verifier(verdict: impl Fn(&str) -> (bool, u32) + 'static) -> Script {
    Rc::new(move |body, _| {
        let verdicts: Vec<Value> = claims(body)
            .into_iter()
            .map(|(id, title)| {
                let (holds, confidence) = verdict(&title);
                json!({ "id": id, "holds": holds, "confidence": confidence, "reason": "checked" })
            })
            .collect();
        completion(&json!({ "verdicts": verdicts }).to_string())
    })
}

impl HttpClient for FakeLlm {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body: Value = serde_json::from_slice(req.body.as_deref().unwrap_or(b"null")).unwrap_or(Value::Null);
        if is_verification(&body) {
            let index = {
                let mut r = self.verifications.borrow_mut();
                r.push(body.clone());
                r.len() - 1
            };
            let script = self.verify.borrow().clone();
            return Ok(script(&body, index));
        }
        let index = {
            let mut r = self.requests.borrow_mut();
            r.push(body.clone());
            r.len() - 1
        };
        let script = self.script.borrow().clone();
        Ok(script(&body, index))
    }
}

impl FakeLlm {
    pub fn new(script: Script) -> Self {
        FakeLlm {
            script: Rc::new(RefCell::new(script)),
            requests: Rc::default(),
            verify: Rc::new(RefCell::new(verifier(|_| (true, 90)))),
            verifications: Rc::default(),
        }
    }
    /// Review requests (verification requests are in `verifications`).
    pub fn calls(&self) -> usize {
        self.requests.borrow().len()
    }
    pub fn verification_calls(&self) -> usize {
        self.verifications.borrow().len()
    }
    /// Every message text of every request, joined: what left for the model.
    pub fn all_prompts(&self) -> String {
        let mut out = String::new();
        for r in self.requests.borrow().iter() {
            for m in r["messages"].as_array().into_iter().flatten() {
                out.push_str(m["content"].as_str().unwrap_or(""));
                out.push('\n');
            }
        }
        out
    }
    pub fn user_prompt(&self, i: usize) -> String {
        self.requests.borrow()[i]["messages"][1]["content"].as_str().unwrap_or("").to_string()
    }
    pub fn system_prompt(&self, i: usize) -> String {
        self.requests.borrow()[i]["messages"][0]["content"].as_str().unwrap_or("").to_string()
    }
}

/// An OpenAI chat completion carrying `content`.
pub fn completion(content: &str) -> HttpResponse {
    let body = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100 },
    });
    HttpResponse { status: 200, headers: vec![("content-type".into(), "application/json".into())], body: body.to_string().into_bytes() }
}

pub fn status(code: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse { status: code, headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body: body.as_bytes().to_vec() }
}

/// The files a prompt shows, with the first numbered (added) line of each:
/// what a model can cite.
pub fn prompt_files(user: &str) -> Vec<(String, u32)> {
    let mut out: Vec<(String, Option<u32>)> = Vec::new();
    for line in user.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            let path = match h.rfind(" (") {
                Some(i) if h.ends_with(')') => &h[..i],
                _ => h,
            };
            out.push((path.to_string(), None));
            continue;
        }
        let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty()
            && line[digits.len()..].starts_with('+')
            && let Some(last) = out.last_mut()
            && last.1.is_none()
        {
            last.1 = digits.parse().ok();
        }
    }
    out.into_iter().filter_map(|(p, n)| n.map(|n| (p, n))).collect()
}

pub fn finding(path: &str, line: u32, severity: &str, title: &str, body: &str) -> Value {
    json!({ "path": path, "side": "RIGHT", "start_line": null, "end_line": line, "severity": severity,
            "category": "bug", "title": title, "body": body, "replacement": null })
}

/// A model that reports one `medium` finding on the first added line of every
/// file it is shown, titled after the file (so the same problem gets the same
/// fingerprint on every run).
pub fn per_file_model() -> Script {
    Rc::new(|body, _| {
        let user = body["messages"][1]["content"].as_str().unwrap_or("");
        let findings: Vec<Value> = prompt_files(user)
            .into_iter()
            .map(|(p, n)| finding(&p, n, "medium", &format!("Unchecked change in {p}"), "This line changes behaviour without a test."))
            .collect();
        completion(&json!({ "findings": findings, "summary": "Small, low-risk change." }).to_string())
    })
}

/// The in-memory platform: argus-github's fake GitHub, a scripted model, one simulated clock.
pub struct TestPlatform;

impl Platform for TestPlatform {
    type Http = FakeGitHub;
    type GitHubClock = FakeClock;
    type Signer = JwtSimpleSigner;
    type Tokens = MemoryTokenCache;
    type Llm = HttpProvider<CountingHttp<FakeLlm>>;
    type Breakers = MemoryBreakerStore;
    type Cache = Rc<MemoryCache<FakeClock>>;
    type Config = Rc<StaticConfig>;
    type Log = Rc<MemoryLog>;
    type Clock = FakeClock;
}

pub type Service = ReviewService<TestPlatform>;

pub struct World {
    pub clock: FakeClock,
    pub github: FakeGitHub,
    pub llm: FakeLlm,
    pub cache: Rc<MemoryCache<FakeClock>>,
    pub config: Rc<StaticConfig>,
    pub log: Rc<MemoryLog>,
    pub service: Service,
}

pub fn llm_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("LLM_PROVIDER", "openai"),
        ("LLM_BASE_URL", "https://fake-llm.test/v1"),
        ("LLM_API_KEY", "sk-test-key"),
        ("LLM_MODEL", "gpt-4o-mini"),
        ("LLM_STREAM", "false"),
    ]
}

pub fn world(script: Script) -> World {
    world_with_llm_env(script, &llm_env())
}

pub fn world_with_llm_env(script: Script, env: &[(&str, &str)]) -> World {
    let clock = FakeClock::at(T0);
    let github = FakeGitHub::new(clock.clone(), APP_ID, &fixture("test-app-key.pub.pem"));
    let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).expect("test key");
    let gh = GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), github.clone(), clock.clone(), signer, MemoryTokenCache::default());
    let llm = FakeLlm::new(script);
    let env_owned: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let llm_config = LlmConfig::from_env(|k| env_owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).expect("llm config");
    // The model's requests count in the review's ledger, as the Worker counts them.
    let provider =
        HttpProvider::new(Wire::from_config(&llm_config).expect("http provider"), CountingHttp::new(llm.clone(), gh.ledger(), SubrequestKind::Llm));
    let cache = Rc::new(MemoryCache::new(clock.clone()));
    let config = Rc::new(StaticConfig { env: env_owned, ..Default::default() });
    let log = Rc::new(MemoryLog::default());
    let service = ReviewService {
        github: gh,
        llm: LlmParts { provider, breakers: MemoryBreakerStore::default(), config: llm_config },
        cache: cache.clone(),
        config_source: config.clone(),
        log: log.clone(),
        clock: clock.clone(),
        seed: 7,
    };
    World { clock, github, llm, cache, config, log, service }
}

pub fn pr(head: &str, files: Vec<FakeFile>) -> FakePr {
    FakePr {
        owner: OWNER.into(),
        repo: REPO.into(),
        number: 7,
        head_sha: head.into(),
        base_sha: BASE.into(),
        draft: false,
        state: "open".into(),
        author: "mona".into(),
        files,
    }
}

pub fn job(head: &str, since: Option<&str>, mode: ReviewMode) -> ReviewJob {
    ReviewJob {
        job_id: format!("job-{}", &head[..4]),
        pr: PrRef::new(RepoName::new(OWNER, REPO), PrNumber(7)),
        installation: InstallationId(77),
        head_sha: CommitSha(head.into()),
        base_sha: CommitSha(BASE.into()),
        since_sha: since.map(|s| CommitSha(s.into())),
        mode,
        trigger: argus_core::job::JobTrigger::Automatic,
        actions: vec![if since.is_some() { argus_core::event::PrAction::Synchronize } else { argus_core::event::PrAction::Opened }],
        attempt: 1,
        deliveries: vec![DeliveryId("72d3162e-cc78-11e3-81ab-4c9367dc0958".into())],
        enqueued_at: T0,
    }
}

/// The same job, asked for by a person (`@argusai …`) rather than by a push.
pub fn command(mut j: ReviewJob) -> ReviewJob {
    j.trigger = argus_core::job::JobTrigger::Command;
    j
}

/// Text outside code spans and fenced blocks: where GitHub would render
/// mentions, links and HTML.
pub fn rendered_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(part);
            }
        }
        out.push('\n');
    }
    out
}
