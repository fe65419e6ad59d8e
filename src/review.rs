//! The queue consumer's review pipeline, assembled from the platform adapters:
//! `argus_pipeline::ReviewService` over `worker::Fetch`, the runtime clock,
//! WebCrypto JWTs, KV caches and the configured LLM provider. A deployment
//! missing a setting still runs the consumer: every job then fails permanently
//! with a message naming the setting, visible on the status page.

use crate::platform::config::settings;
use crate::platform::http::{WorkerClock, WorkerHttp};
use crate::platform::kv;
use crate::platform::log::Logger;
use crate::platform::stores::{KvBreakerStore, KvTokenCache, count_kv};
use crate::platform::webcrypto::WebCryptoSigner;
use argus_coordinator::protocol::ActedOn;
use argus_coordinator::{CheckEnd, Chores, PipelineError, ReplyOutcome, ReviewPipeline, ReviewReport};
use argus_core::ids::RepoName;
use argus_core::job::{LearningsJob, Notify, OutcomeJob, ReplyJob, ReviewJob, VerifyCommand};
use argus_core::keys::{ConfigKey, ReviewCacheKey};
use argus_core::subrequests::{CountingHttp, SubrequestCounts, SubrequestKind, Subrequests};
use argus_github::client::GitHub;
use argus_llm::{
    CallOptions, ChatRequest, ChatResponse, HttpProvider, LlmError, LlmProvider, ProviderKind, Wire, WorkersAi, WorkersAiError, WorkersAiProvider,
};
use argus_pipeline::{ConfigSource, LlmParts, LogEvent, PipelineLog, Platform, ReviewCache, ReviewService};
use worker::{Date, Env};

pub struct KvReviewCache {
    env: Env,
    ledger: Subrequests,
}

impl ReviewCache for KvReviewCache {
    async fn get(&self, key: &ReviewCacheKey) -> Option<String> {
        count_kv::<ReviewCacheKey>(&self.ledger, "get");
        kv::get_text(&self.env, key).await.ok().flatten()
    }
    async fn put(&self, key: &ReviewCacheKey, value: &str, ttl_secs: u64) {
        count_kv::<ReviewCacheKey>(&self.ledger, "put");
        let _ = kv::put_text_ttl(&self.env, key, value, ttl_secs).await;
    }
}

pub struct EnvConfigSource {
    env: Env,
    /// The operator layer (the vars argus-config reads), from the deployment's settings.
    vars: Vec<(String, String)>,
    ledger: Subrequests,
}

impl ConfigSource for EnvConfigSource {
    fn env_vars(&self) -> Vec<(String, String)> {
        self.vars.clone()
    }
    async fn global_defaults(&self) -> Option<String> {
        count_kv::<ConfigKey>(&self.ledger, "get");
        kv::get_text(&self.env, &ConfigKey::GlobalDefaults).await.ok().flatten()
    }
    async fn repo_layer(&self, repo: &RepoName) -> Option<String> {
        count_kv::<ConfigKey>(&self.ledger, "get");
        kv::get_text(&self.env, &ConfigKey::Repo(repo.clone())).await.ok().flatten()
    }
    async fn acted_on(&self, repo: &RepoName) -> Option<(u64, u64)> {
        self.ledger.record(argus_core::subrequests::SubrequestKind::DurableObject, "repository acted");
        let t = argus_durable::repo::acted(&self.env, repo).await.ok()?;
        Some((t.addressed, t.findings))
    }
    async fn learnings(&self, repo: &RepoName) -> Vec<argus_core::learning::Learning> {
        self.ledger.record(argus_core::subrequests::SubrequestKind::DurableObject, "repository learnings");
        argus_durable::repo::learnings(&self.env, repo).await.unwrap_or_default()
    }
    async fn learn(&self, repo: &RepoName, learning: &argus_core::learning::Learning) -> Option<argus_core::learning::Learning> {
        self.ledger.record(argus_core::subrequests::SubrequestKind::DurableObject, "repository learn");
        argus_durable::repo::learn(&self.env, repo, learning).await.ok().flatten()
    }
    async fn forget(&self, repo: &RepoName, id: u64) -> bool {
        self.ledger.record(argus_core::subrequests::SubrequestKind::DurableObject, "repository forget");
        argus_durable::repo::forget(&self.env, repo, id).await.unwrap_or(false)
    }
}

/// One JSON line per pipeline step (with the delivery ids).
pub struct ConsoleLog {
    logger: Logger,
}

impl PipelineLog for ConsoleLog {
    fn event(&self, e: LogEvent) {
        self.logger.log(crate::platform::log::Level::Info, "review_step", serde_json::to_value(&e).unwrap_or_default());
    }
}

/// The `AI` binding (bound in the production environment only).
pub struct BindingAi {
    env: Env,
}

impl WorkersAi for BindingAi {
    async fn run(&self, model: &str, input: serde_json::Value) -> Result<serde_json::Value, WorkersAiError> {
        let ai = self.env.ai("AI").map_err(|e| WorkersAiError::Other(format!("no AI binding: {e}")))?;
        ai.run::<serde_json::Value, serde_json::Value>(model, input).await.map_err(|e| WorkersAiError::Other(e.to_string()))
    }
}

/// The provider chosen by `LLM_PROVIDER`; HTTP providers' requests are counted in the ledger.
pub enum Provider {
    Http(HttpProvider<CountingHttp<WorkerHttp>>),
    WorkersAi(WorkersAiProvider<BindingAi>),
}

impl LlmProvider for Provider {
    fn kind(&self) -> ProviderKind {
        match self {
            Provider::Http(p) => p.kind(),
            Provider::WorkersAi(p) => p.kind(),
        }
    }
    async fn complete(&self, req: &ChatRequest, call: &CallOptions) -> Result<ChatResponse, LlmError> {
        match self {
            Provider::Http(p) => p.complete(req, call).await,
            Provider::WorkersAi(p) => p.complete(req, call).await,
        }
    }
}

/// The Worker's platform: `worker::Fetch`, the runtime clock, WebCrypto JWTs, KV caches.
pub struct Worker;

impl Platform for Worker {
    type Http = WorkerHttp;
    type GitHubClock = WorkerClock;
    type Signer = WebCryptoSigner;
    type Tokens = KvTokenCache;
    type Llm = Provider;
    type Breakers = KvBreakerStore;
    type Cache = KvReviewCache;
    type Config = EnvConfigSource;
    type Log = ConsoleLog;
    type Clock = WorkerClock;
}

type Service = ReviewService<Worker>;

/// The pipeline the consumer runs: the real service, or the reason it cannot be built.
pub enum Pipeline {
    Ready(Box<Service>),
    Misconfigured(String),
}

impl Pipeline {
    /// The pipeline for one invocation, counting its subrequests into `ledger`.
    pub async fn from_env(env: &Env, ledger: &Subrequests) -> Pipeline {
        match build(env, ledger).await {
            Ok(s) => Pipeline::Ready(Box::new(s)),
            Err(problem) => Pipeline::Misconfigured(problem),
        }
    }
}

async fn build(env: &Env, ledger: &Subrequests) -> Result<Service, String> {
    let settings = settings(env);
    if let Some(problem) = &settings.github.problem {
        return Err(problem.clone());
    }
    let pem = settings.github.private_key.clone().ok_or("GITHUB_APP_PRIVATE_KEY is not set")?;
    let signer = WebCryptoSigner::import(&pem).await.map_err(|e| e.to_string())?;
    let github =
        GitHub::new(settings.github.config.clone(), WorkerHttp, WorkerClock, signer, KvTokenCache { env: env.clone(), ledger: ledger.clone() });
    github.use_ledger(ledger.clone());
    let llm_config = settings.llm.clone()?;
    let provider = match llm_config.provider {
        ProviderKind::WorkersAi => Provider::WorkersAi(WorkersAiProvider { ai: BindingAi { env: env.clone() } }),
        _ => Provider::Http(HttpProvider::new(
            Wire::from_config(&llm_config).ok_or("the LLM provider settings are incomplete")?,
            CountingHttp::new(WorkerHttp, ledger.clone(), SubrequestKind::Llm),
        )),
    };
    Ok(ReviewService {
        github,
        llm: LlmParts { provider, breakers: KvBreakerStore { env: env.clone(), ledger: ledger.clone() }, config: llm_config },
        cache: KvReviewCache { env: env.clone(), ledger: ledger.clone() },
        config_source: EnvConfigSource { env: env.clone(), vars: settings.config_env.clone(), ledger: ledger.clone() },
        log: ConsoleLog { logger: Logger::from_env(env) },
        clock: WorkerClock,
        seed: Date::now().as_millis(),
    })
}

impl Pipeline {
    fn ready(&self) -> Result<&Service, PipelineError> {
        match self {
            Pipeline::Ready(s) => Ok(s),
            Pipeline::Misconfigured(problem) => Err(PipelineError::permanent(format!("ArgusAI is misconfigured: {problem}"))),
        }
    }
}

impl Chores for Pipeline {
    async fn notify(&self, n: &Notify) -> Result<(), PipelineError> {
        self.ready()?.notify(n).await
    }
    async fn author_permission(&self, v: &VerifyCommand) -> Result<(bool, String), PipelineError> {
        self.ready()?.author_permission(v).await
    }
    async fn acted_on(&self, o: &OutcomeJob) -> Result<ActedOn, PipelineError> {
        self.ready()?.acted_on(o).await
    }
    async fn learnings(&self, l: &LearningsJob) -> Result<(), PipelineError> {
        self.ready()?.learnings(l).await
    }
    async fn reply(&self, r: &ReplyJob) -> Result<ReplyOutcome, PipelineError> {
        self.ready()?.reply(r).await
    }
}

/// A deployment missing a setting still runs the consumer: every job then
/// fails permanently with a message naming the setting (on the status page;
/// without working GitHub credentials no check run can say it).
impl ReviewPipeline for Pipeline {
    async fn start_check(&self, job: &ReviewJob) -> Result<u64, PipelineError> {
        self.ready()?.start_check(job).await
    }
    async fn run(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError> {
        self.ready()?.run(job).await
    }
    async fn publish(&self, job: &ReviewJob, report: &ReviewReport, check_run: u64) -> Result<(), PipelineError> {
        self.ready()?.publish(job, report, check_run).await
    }
    async fn close_check(&self, job: &ReviewJob, check_run: u64, end: &CheckEnd) -> Result<(), PipelineError> {
        self.ready()?.close_check(job, check_run, end).await
    }
    fn subrequests(&self) -> Option<SubrequestCounts> {
        match self {
            Pipeline::Ready(s) => s.subrequests(),
            Pipeline::Misconfigured(_) => None,
        }
    }
}
