//! The queue consumer's review pipeline, assembled from the platform adapters:
//! `argus_pipeline::ReviewService` over `worker::Fetch`, the runtime clock,
//! WebCrypto JWTs, KV caches and the configured LLM provider. A deployment
//! missing a setting still runs the consumer: every job then fails permanently
//! with a message naming the setting, visible on the status page.

use crate::platform::config::var;
use crate::platform::http::{WorkerClock, WorkerHttp};
use crate::platform::kv;
use crate::platform::log::Logger;
use crate::platform::stores::{KvBreakerStore, KvTokenCache};
use crate::platform::webcrypto::WebCryptoSigner;
use argus_config::env::ENV_VARS;
use argus_coordinator::{PipelineError, ReviewPipeline, ReviewReport};
use argus_core::error::{Classify, ErrorClass};
use argus_core::job::Notify;
use argus_durable::consumer::Notifier;
use argus_core::ids::RepoName;
use argus_core::job::ReviewJob;
use argus_core::keys::{ConfigKey, ReviewCacheKey};
use argus_core::secret::SecretString;
use argus_github::client::{GitHub, GitHubConfig};
use argus_github::types::CheckConclusion;
use argus_llm::{
    CallOptions, ChatRequest, ChatResponse, HttpProvider, LlmConfig, LlmError, LlmProvider, ProviderKind, Wire, WorkersAi,
    WorkersAiError, WorkersAiProvider,
};
use argus_pipeline::{ConfigSource, LlmParts, LogEvent, PipelineLog, ReviewCache, ReviewService};
use worker::{Date, Env};

/// Every name the pipeline's configuration may read from the Worker's vars.
pub(crate) fn env_pairs(env: &Env) -> Vec<(String, String)> {
    // LLM_PROVIDER is read too: argus-config lets GITHUB_MODEL count only for GitHub Models.
    ENV_VARS
        .iter()
        .map(|v| v.name)
        .chain(["LLM_PROVIDER"])
        .filter_map(|name| var(env, name).map(|v| (name.to_string(), v)))
        .collect()
}

pub struct KvReviewCache {
    env: Env,
}

impl ReviewCache for KvReviewCache {
    async fn get(&self, key: &ReviewCacheKey) -> Option<String> {
        kv::get_text(&self.env, key).await.ok().flatten()
    }
    async fn put(&self, key: &ReviewCacheKey, value: &str, ttl_secs: u64) {
        let _ = kv::put_text_ttl(&self.env, key, value, ttl_secs).await;
    }
}

pub struct EnvConfigSource {
    env: Env,
}

impl ConfigSource for EnvConfigSource {
    fn env_vars(&self) -> Vec<(String, String)> {
        env_pairs(&self.env)
    }
    async fn global_defaults(&self) -> Option<String> {
        kv::get_text(&self.env, &ConfigKey::GlobalDefaults).await.ok().flatten()
    }
    async fn repo_layer(&self, repo: &RepoName) -> Option<String> {
        kv::get_text(&self.env, &ConfigKey::Repo(repo.clone())).await.ok().flatten()
    }
}

/// One JSON line per pipeline step (with the delivery ids).
pub struct ConsoleLog {
    logger: Logger,
}

impl PipelineLog for ConsoleLog {
    fn event(&self, e: LogEvent) {
        self.logger.log(
            crate::platform::log::Level::Info,
            "review_step",
            serde_json::to_value(&e).unwrap_or_default(),
        );
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

/// The provider chosen by `LLM_PROVIDER`.
pub enum Provider {
    Http(HttpProvider<WorkerHttp>),
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

type Service = ReviewService<WorkerHttp, WorkerClock, WebCryptoSigner, KvTokenCache, Provider, KvBreakerStore, KvReviewCache, EnvConfigSource, ConsoleLog, WorkerClock>;

/// The pipeline the consumer runs: the real service, or the reason it cannot be built.
pub enum Pipeline {
    Ready(Box<Service>),
    Misconfigured(String),
}

impl Pipeline {
    pub async fn from_env(env: &Env) -> Pipeline {
        match build(env).await {
            Ok(s) => Pipeline::Ready(Box::new(s)),
            Err(problem) => Pipeline::Misconfigured(problem),
        }
    }
}

async fn build(env: &Env) -> Result<Service, String> {
    let app_id = var(env, "GITHUB_APP_ID")
        .ok_or("GITHUB_APP_ID is not set")?
        .trim()
        .parse::<u64>()
        .map_err(|_| "GITHUB_APP_ID is not a number".to_string())?;
    let pem = env
        .secret("GITHUB_APP_PRIVATE_KEY")
        .map(|s| SecretString::new(s.to_string()))
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or("GITHUB_APP_PRIVATE_KEY is not set")?;
    let signer = WebCryptoSigner::import(&pem).await.map_err(|e| e.to_string())?;
    let mut github_config = GitHubConfig::new(var(env, "GITHUB_API_URL").as_deref(), app_id);
    // GitHub asks for a second between writes; tests against the loopback fake may shorten it.
    if let Some(ms) = var(env, "GITHUB_WRITE_SPACING_MS").and_then(|v| v.trim().parse().ok()) {
        github_config.write_spacing_ms = ms;
    }
    let github = GitHub::new(
        github_config,
        WorkerHttp,
        WorkerClock,
        signer,
        KvTokenCache { env: env.clone() },
    );
    let llm_config = LlmConfig::from_env(|name| var(env, name)).map_err(|e| e.to_string())?;
    let provider = match llm_config.provider {
        ProviderKind::WorkersAi => Provider::WorkersAi(WorkersAiProvider { ai: BindingAi { env: env.clone() } }),
        _ => Provider::Http(HttpProvider::new(
            Wire::from_config(&llm_config).ok_or("the LLM provider settings are incomplete")?,
            WorkerHttp,
        )),
    };
    Ok(ReviewService {
        github,
        llm: LlmParts { provider, breakers: KvBreakerStore { env: env.clone() }, config: llm_config },
        cache: KvReviewCache { env: env.clone() },
        config_source: EnvConfigSource { env: env.clone() },
        log: ConsoleLog { logger: Logger::from_env(env) },
        clock: WorkerClock,
        seed: Date::now().as_millis(),
    })
}

/// A review that cannot happen (bad key, repository gone) still leaves a
/// completed check run saying why, `neutral` so ArgusAI's own failure never
/// blocks a merge. Retryable failures get none: the job is tried again, and a
/// job that ends in the dead-letter queue gets the coordinator's note instead.
/// Best effort: if GitHub refuses this too, the status page still has the reason.
async fn failed_check(s: &Service, job: &ReviewJob, e: &PipelineError) {
    let inst = s.github.installation(job.installation);
    let Ok(id) = inst.start_check_run(&job.pr.repo, &job.head_sha).await else { return };
    let _ = inst
        .complete_check_run(&job.pr.repo, id, CheckConclusion::Neutral, "ArgusAI could not review this commit", &e.message)
        .await;
}

impl Notifier for Pipeline {
    async fn notify(&self, n: &Notify) -> Result<(), PipelineError> {
        let s = match self {
            Pipeline::Ready(s) => s,
            Pipeline::Misconfigured(problem) => return Err(PipelineError::permanent(format!("ArgusAI is misconfigured: {problem}"))),
        };
        let inst = s.github.installation(n.installation);
        let failed = |e: argus_github::error::GitHubError| PipelineError { class: e.class(), message: format!("posting a note: {e}") };
        // Reactions first: they acknowledge a command at once; notes may take a write each.
        for r in &n.reactions {
            inst.react(&n.pr.repo, r.comment_id, &r.content).await.map_err(failed)?;
        }
        for note in &n.notes {
            inst.post_note(&n.pr, note).await.map_err(failed)?;
        }
        Ok(())
    }
}

impl ReviewPipeline for Pipeline {
    async fn run(&self, job: &ReviewJob) -> Result<ReviewReport, PipelineError> {
        match self {
            Pipeline::Ready(s) => {
                let result = s.run(job).await;
                if let Err(e) = &result {
                    if !matches!(e.class, ErrorClass::Retryable { .. }) {
                        failed_check(s, job, e).await;
                    }
                }
                result
            }
            Pipeline::Misconfigured(problem) => Err(PipelineError::permanent(format!("ArgusAI is misconfigured: {problem}"))),
        }
    }
    async fn publish(&self, job: &ReviewJob, report: &ReviewReport) -> Result<(), PipelineError> {
        match self {
            Pipeline::Ready(s) => s.publish(job, report).await,
            Pipeline::Misconfigured(problem) => Err(PipelineError::permanent(format!("ArgusAI is misconfigured: {problem}"))),
        }
    }
}
