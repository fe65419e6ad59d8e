//! The platform a review runs on, named once: [`Platform`] bundles the types
//! the pipeline is generic over (HTTP, clocks, signer, caches, the LLM
//! provider, the log), so [`crate::ReviewService`] and every stage take one
//! type parameter instead of ten. The Worker and the tests each define one.

use crate::ports::{ConfigSource, PipelineLog, ReviewCache};
use argus_core::http::{Clock, HttpClient};
use argus_core::ids::UnixMillis;
use argus_github::{JwtSigner, TokenCache};
use argus_llm::{BreakerState, BreakerStore, ChatRequest, LlmConfig, LlmProvider};

/// The concrete types behind one deployment of the pipeline.
pub trait Platform {
    /// Transport of GitHub requests.
    type Http: HttpClient;
    /// The GitHub client's clock (token expiry, write spacing).
    type GitHubClock: Clock;
    /// Signs the App's JWT (WebCrypto in the Worker, jwt-simple natively).
    type Signer: JwtSigner;
    /// Installation tokens (KV in the Worker).
    type Tokens: TokenCache;
    type Llm: LlmProvider;
    /// Circuit-breaker state per model (KV in the Worker).
    type Breakers: BreakerStore;
    type Cache: ReviewCache;
    type Config: ConfigSource;
    type Log: PipelineLog;
    /// The pipeline's own time: durations, log stamps, the LLM client's backoff.
    type Clock: Clock;
}

/// Platform pieces of the LLM side. The client itself is built per review,
/// because a repository's configuration may pick another model.
pub struct LlmParts<P, B> {
    pub provider: P,
    pub breakers: B,
    /// Parsed from the Worker's env (`LlmConfig::from_env`); the repo's `model`
    /// and `fallback_models` override it per review.
    pub config: LlmConfig,
}

/// Borrowed platform pieces, so one service builds an `LlmClient` per review.
pub(crate) struct ByRef<'a, X>(pub(crate) &'a X);

impl<X: LlmProvider> LlmProvider for ByRef<'_, X> {
    fn kind(&self) -> argus_llm::ProviderKind {
        self.0.kind()
    }
    async fn complete(&self, req: &ChatRequest, call: &argus_llm::CallOptions) -> Result<argus_llm::ChatResponse, argus_llm::LlmError> {
        self.0.complete(req, call).await
    }
}

impl<X: Clock> Clock for ByRef<'_, X> {
    fn now(&self) -> UnixMillis {
        self.0.now()
    }
    async fn sleep(&self, ms: u64) {
        self.0.sleep(ms).await
    }
}

impl<X: BreakerStore> BreakerStore for ByRef<'_, X> {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String> {
        self.0.load(key).await
    }
    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String> {
        self.0.save(key, state).await
    }
}
