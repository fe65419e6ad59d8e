//! The pure clients' storage traits over Workers KV `CACHE`: installation tokens,
//! the App's identity and commenters' permissions (argus-github's `TokenCache`)
//! and LLM circuit breakers (argus-llm's `BreakerStore`). KV failures are cache
//! misses, never job failures. Every operation is counted in the invocation's
//! subrequest ledger (KV calls count against the 1,000 Cloudflare-service calls).

use super::kv;
use argus_core::ids::UnixMillis;
use argus_core::keys::{BreakerKey, InstallationTokenKey, KvKey};
use argus_core::subrequests::{SubrequestKind, Subrequests};
use argus_github::auth::{CachedToken, TokenCache};
use argus_llm::breaker::{BreakerState, BreakerStore};
use worker::{Date, Env};

/// Counts one KV operation (`op` is `get`, `put` or `delete`) on `K`'s namespace.
pub fn count_kv<K: KvKey>(ledger: &Subrequests, op: &str) {
    ledger.record(SubrequestKind::Kv, &format!("{} {op}", K::NAMESPACE));
}

pub struct KvTokenCache {
    pub env: Env,
    pub ledger: Subrequests,
}

impl TokenCache for KvTokenCache {
    async fn get(&self, key: &InstallationTokenKey) -> Option<CachedToken> {
        count_kv::<InstallationTokenKey>(&self.ledger, "get");
        let text = kv::get_text(&self.env, key).await.ok()??;
        CachedToken::from_kv_value(&text)
    }

    async fn put(&self, key: &InstallationTokenKey, token: &CachedToken) {
        let now = UnixMillis(Date::now().as_millis());
        let ttl = token.kv_ttl_secs(key, now);
        count_kv::<InstallationTokenKey>(&self.ledger, "put");
        let _ = kv::put_text_ttl(&self.env, key, &token.to_kv_value(), ttl).await;
    }

    async fn remove(&self, key: &InstallationTokenKey) {
        count_kv::<InstallationTokenKey>(&self.ledger, "delete");
        let _ = kv::delete(&self.env, key).await;
    }

    /// The App's identity and commenters' permissions, shared across invocations.
    async fn get_value<K: KvKey>(&self, key: &K) -> Option<String> {
        count_kv::<K>(&self.ledger, "get");
        kv::get_text(&self.env, key).await.ok().flatten()
    }

    async fn put_value<K: KvKey>(&self, key: &K, value: &str) {
        count_kv::<K>(&self.ledger, "put");
        let _ = kv::put_text(&self.env, key, value).await;
    }
}

pub struct KvBreakerStore {
    pub env: Env,
    pub ledger: Subrequests,
}

impl BreakerStore for KvBreakerStore {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String> {
        let key = BreakerKey { breaker: key.to_string() };
        count_kv::<BreakerKey>(&self.ledger, "get");
        match kv::get_text(&self.env, &key).await.map_err(|e| e.to_string())? {
            Some(text) => Ok(serde_json::from_str(&text).ok()),
            None => Ok(None),
        }
    }

    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String> {
        let key = BreakerKey { breaker: key.to_string() };
        let text = serde_json::to_string(state).map_err(|e| e.to_string())?;
        count_kv::<BreakerKey>(&self.ledger, "put");
        kv::put_text(&self.env, &key, &text).await.map_err(|e| e.to_string())
    }
}
