//! `argus review` is the product, not a copy of it: on a real corpus diff and
//! the same scripted model, the Worker's pipeline (argus-pipeline's
//! `ReviewService` on the in-memory GitHub) and the `argus` binary — on the
//! diff file, and on the pull request through a loopback GitHub with a token —
//! find and place the same comments. One snapshot holds them for all three.

use crate::model::{completion, finding, llm_env, reply};
use crate::stub::{Resp, Stub};
use argus_core::http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use argus_core::ids::{CommitSha, DeliveryId, InstallationId, PrNumber, PrRef, RepoName, UnixMillis};
use argus_core::job::{JobTrigger, ReviewJob, ReviewMode};
use argus_core::secret::SecretString;
use argus_github::fake::{FAKE_API_URL, FAKE_GRAPHQL_URL, FakeClock, FakeGitHub, FakePr, split_unified_diff};
use argus_github::{GitHub, GitHubConfig, JwtSimpleSigner, MemoryTokenCache};
use argus_llm::{HttpProvider, LlmConfig, MemoryBreakerStore, Wire};
use argus_pipeline::{LlmParts, MemoryCache, MemoryLog, Platform, Publication, ReviewService, StaticConfig};
use futures_executor::block_on;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;

const CORPUS: &str = "ripgrep-2a2b1506d42c.diff";
const APP_ID: u64 = 4242;
const T0: UnixMillis = UnixMillis(1_764_000_000_000);
const HEAD: &str = "1111111111111111111111111111111111111111";
const BASE: &str = "b000000000000000000000000000000000000000";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
fn corpus_path() -> PathBuf {
    root().join("../shared/corpora/diffs/real").join(CORPUS)
}
fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/fixtures").join(name)).expect("fixture")
}

/// One `medium` finding on the first added line of every file shown.
fn per_file(path: &str, first_added: u32) -> Vec<Value> {
    vec![finding(path, first_added, "medium", "bug", &format!("Unchecked change in {path}"), "This line changes behaviour without a test.")]
}

/// The scripted model as an in-memory transport (the Worker's side).
#[derive(Clone)]
struct ScriptedModel;

impl HttpClient for ScriptedModel {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body: Value = serde_json::from_slice(req.body.as_deref().unwrap_or(b"null")).unwrap_or(Value::Null);
        let text = completion(&reply(&body, per_file)).to_string();
        Ok(HttpResponse { status: 200, headers: vec![("content-type".into(), "application/json".into())], body: text.into_bytes() })
    }
}

struct InMemory;
impl Platform for InMemory {
    type Http = FakeGitHub;
    type GitHubClock = FakeClock;
    type Signer = JwtSimpleSigner;
    type Tokens = MemoryTokenCache;
    type Llm = HttpProvider<ScriptedModel>;
    type Breakers = MemoryBreakerStore;
    type Cache = MemoryCache<FakeClock>;
    type Config = StaticConfig;
    type Log = Rc<MemoryLog>;
    type Clock = FakeClock;
}

fn fake_github(clock: &FakeClock) -> FakeGitHub {
    let gh = FakeGitHub::new(clock.clone(), APP_ID, &fixture("test-app-key.pub.pem"));
    let diff = String::from_utf8_lossy(&std::fs::read(corpus_path()).unwrap()).into_owned();
    gh.add_pull_request(FakePr {
        owner: "octo".into(),
        repo: "hello".into(),
        number: 7,
        head_sha: HEAD.into(),
        base_sha: BASE.into(),
        draft: false,
        state: "open".into(),
        author: "mona".into(),
        files: split_unified_diff(&diff),
    });
    gh
}

fn app_client(fake: FakeGitHub, clock: FakeClock) -> GitHub<FakeGitHub, FakeClock, JwtSimpleSigner, MemoryTokenCache> {
    let signer = JwtSimpleSigner::from_pem(&SecretString::new(fixture("test-app-key.pem"))).expect("test key");
    GitHub::new(GitHubConfig::new(Some(FAKE_API_URL), APP_ID), fake, clock, signer, MemoryTokenCache::default())
}

fn model_env() -> Vec<(String, String)> {
    llm_env("https://fake-llm.test")
}

/// What the Worker decides to post for the PR: its inline comments and the findings outside the diff.
fn worker_posts() -> (Value, Value) {
    let clock = FakeClock::at(T0);
    let gh = app_client(fake_github(&clock), clock.clone());
    let env = model_env();
    let llm = LlmConfig::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).expect("llm config");
    let provider = HttpProvider::new(Wire::from_config(&llm).unwrap(), ScriptedModel);
    let service: ReviewService<InMemory> = ReviewService {
        github: gh,
        llm: LlmParts { provider, breakers: MemoryBreakerStore::default(), config: llm },
        cache: MemoryCache::new(clock.clone()),
        config_source: StaticConfig { env, ..Default::default() },
        log: Rc::default(),
        clock: clock.clone(),
        seed: 7,
    };
    let job = ReviewJob {
        job_id: "job-1".into(),
        pr: PrRef::new(RepoName::new("octo", "hello"), PrNumber(7)),
        installation: InstallationId(77),
        head_sha: CommitSha(HEAD.into()),
        base_sha: CommitSha(BASE.into()),
        since_sha: None,
        mode: ReviewMode::Full,
        trigger: JobTrigger::Automatic,
        actions: vec![argus_core::event::PrAction::Opened],
        attempt: 1,
        deliveries: vec![DeliveryId("72d3162e-cc78-11e3-81ab-4c9367dc0958".into())],
        enqueued_at: T0,
    };
    let report = block_on(argus_coordinator::ReviewPipeline::run(&service, &job)).expect("the Worker's run");
    let publication: Publication = serde_json::from_value(report.publication).unwrap();
    let review = publication.review.expect("a review");
    let other: Vec<Value> = review.unplaced.iter().map(|u| serde_json::json!({ "finding": u.finding, "reason": u.reason.to_string() })).collect();
    (serde_json::to_value(argus_review::render::comments(&review)).unwrap(), Value::Array(other))
}

fn argus_json(stub: &Stub, args: &[&str], github_token: Option<&str>) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_argus"));
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in llm_env(&stub.url()) {
        cmd.env(k, v);
    }
    cmd.env("GITHUB_API_URL", format!("{}/api/v3", stub.url()));
    if let Some(t) = github_token {
        cmd.env("GITHUB_TOKEN", t);
    }
    let out = cmd.args(args).output().expect("the argus binary runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

/// The loopback server: the model's route answered by the script, every other
/// request handed to the in-memory GitHub (as strict as argus-github's fake is).
/// Sends back the installation token the fake minted, which the binary then
/// uses as "the user's token".
fn serve(tokens: std::sync::mpsc::Sender<String>) -> impl FnMut(&crate::stub::Req) -> Resp {
    let clock = FakeClock::at(T0);
    let fake = fake_github(&clock);
    let app = app_client(fake.clone(), clock);
    let token = block_on(app.installation_token(InstallationId(77))).expect("minted");
    tokens.send(token.expose().to_string()).unwrap();
    move |req| {
        if req.target == "/v1/chat/completions" {
            return Resp::json(200, &completion(&reply(&req.json(), per_file)));
        }
        let method = match req.method.as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "PUT" => Method::Put,
            _ => Method::Delete,
        };
        let url = match req.target.strip_prefix("/api/v3") {
            Some(path) => format!("{FAKE_API_URL}{path}"),
            None if req.target == "/api/graphql" => FAKE_GRAPHQL_URL.to_string(),
            None => format!("{FAKE_API_URL}/unknown{}", req.target),
        };
        let mut r = HttpRequest::new(method, url);
        r.headers = req.headers.clone();
        r.body = (!req.body.is_empty()).then(|| req.body.clone());
        let resp = block_on(fake.send(r)).expect("the fake answers");
        Resp { status: resp.status, headers: resp.headers.into_iter().filter(|(k, _)| k != "content-length").collect(), body: resp.body }
    }
}

#[test]
fn the_cli_posts_what_the_worker_posts_on_a_diff_and_on_the_pull_request() {
    let (worker_comments, worker_other) = worker_posts();
    assert_eq!(worker_comments.as_array().map(Vec::len), Some(3), "{worker_comments}");

    let (tx, rx) = std::sync::mpsc::channel();
    let stub = Stub::start(move || serve(tx));
    let token = rx.recv().unwrap();

    let on_diff = argus_json(&stub, &["review", corpus_path().to_str().unwrap(), "--json"], None);
    let on_pr = argus_json(&stub, &["review", "octo/hello#7", "--json"], Some(&token));
    assert_eq!(on_diff["comments"], worker_comments);
    assert_eq!(on_pr["comments"], worker_comments);
    assert_eq!(on_diff["other_findings"], worker_other);
    assert_eq!(on_pr["other_findings"], worker_other);
    insta::assert_json_snapshot!("review_comments", worker_comments);

    // Without --json: the summary comment, each inline comment, the accounting.
    let out = Command::new(env!("CARGO_BIN_EXE_argus"))
        .env_clear()
        .envs(llm_env(&stub.url()))
        .args(["review", corpus_path().to_str().unwrap()])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("\n## Inline comments (3)\n\n### `grep/src/lib.rs` line 22\n\n**🟡 Medium** · bug"), "{md}");
    // The review request and the verification request, accounted together.
    assert!(md.contains("\n---\n2 model call(s) (0 failed) to gpt-4o-mini · 2000 tokens in, 200 out · $0.0004 · "), "{md}");
    assert!(md.ends_with(" s\n"), "{md}");

    assert_eq!(on_pr["accounting"]["tokens_in"], 2000);
    assert_eq!(on_pr["accounting"]["calls"], 2);
    assert_eq!(on_diff["accounting"]["tokens_out"], 200);
    // The PR run read through the loopback GitHub and wrote nothing there.
    // (GraphQL reads are POSTs; a write would be a mutation.)
    let writes = stub.count(|r| {
        let graphql_read = r.target == "/api/graphql" && !String::from_utf8_lossy(&r.body).contains("mutation");
        r.method != "GET" && r.target != "/v1/chat/completions" && !graphql_read
    });
    assert_eq!(stub.count(|r| r.target == "/api/graphql"), 1, "the contents were read through GraphQL, as in the Worker");
    assert_eq!(writes, 0, "{:?}", stub.requests.lock().unwrap().iter().map(|r| format!("{} {}", r.method, r.target)).collect::<Vec<_>>());
    assert!(stub.count(|r| r.target.starts_with("/api/v3/repos/octo/hello/pulls/7")) >= 1);
}

#[test]
fn post_publishes_the_review_and_the_summary_once_with_the_users_token() {
    let (tx, rx) = std::sync::mpsc::channel();
    let stub = Stub::start(move || serve(tx));
    let token = rx.recv().unwrap();
    let posted = argus_json(&stub, &["review", "octo/hello#7", "--json", "--post"], Some(&token));
    assert_eq!(posted["posted"], true, "{posted}");
    let reviews = || stub.count(|r| r.method == "POST" && r.target.starts_with("/api/v3/repos/octo/hello/pulls/7/reviews"));
    let summaries = || stub.count(|r| r.method == "POST" && r.target.starts_with("/api/v3/repos/octo/hello/issues/7/comments"));
    assert_eq!((reviews(), summaries()), (1, 1));
    assert_eq!(stub.count(|r| r.target.contains("/check-runs")), 0, "a person's token cannot create check runs");
    // A second --post of the same head posts no second review; the summary is edited in place.
    argus_json(&stub, &["review", "octo/hello#7", "--json", "--post"], Some(&token));
    assert_eq!((reviews(), summaries()), (1, 1));
    assert_eq!(stub.count(|r| r.method == "PATCH" && r.target.starts_with("/api/v3/repos/octo/hello/issues/comments/")), 1);
}

#[test]
fn review_refuses_to_post_a_diff_and_explains_a_missing_token() {
    let out = Command::new(env!("CARGO_BIN_EXE_argus")).args(["review", corpus_path().to_str().unwrap(), "--post"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--post needs a pull request"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_argus"))
        .env_clear()
        .envs(llm_env("http://127.0.0.1:9"))
        .args(["review", "https://github.com/octo/hello/pull/7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_TOKEN is not set"), "{}", String::from_utf8_lossy(&out.stderr));
}
