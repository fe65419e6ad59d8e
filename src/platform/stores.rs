//! The pure clients' storage traits over Workers KV `CACHE`: installation tokens
//! (argus-github's `TokenCache`) and LLM circuit breakers (argus-llm's
//! `BreakerStore`). KV failures are cache misses, never job failures.

use super::kv;
use argus_core::keys::{BreakerKey, InstallationTokenKey};
use argus_core::ids::UnixMillis;
use argus_github::auth::{CachedToken, TokenCache};
use argus_llm::breaker::{BreakerState, BreakerStore};
use worker::{Date, Env};

pub struct KvTokenCache {
    pub env: Env,
}

impl TokenCache for KvTokenCache {
    async fn get(&self, key: &InstallationTokenKey) -> Option<CachedToken> {
        let text = kv::get_text(&self.env, key).await.ok()??;
        CachedToken::from_kv_value(&text)
    }

    async fn put(&self, key: &InstallationTokenKey, token: &CachedToken) {
        let now = UnixMillis(Date::now().as_millis());
        let ttl = token.kv_ttl_secs(key, now);
        let _ = kv::put_text_ttl(&self.env, key, &token.to_kv_value(), ttl).await;
    }

    async fn remove(&self, key: &InstallationTokenKey) {
        let _ = kv::delete(&self.env, key).await;
    }
}

pub struct KvBreakerStore {
    pub env: Env,
}

impl BreakerStore for KvBreakerStore {
    async fn load(&self, key: &str) -> Result<Option<BreakerState>, String> {
        let key = BreakerKey { breaker: key.to_string() };
        match kv::get_text(&self.env, &key).await.map_err(|e| e.to_string())? {
            Some(text) => Ok(serde_json::from_str(&text).ok()),
            None => Ok(None),
        }
    }

    async fn save(&self, key: &str, state: &BreakerState) -> Result<(), String> {
        let key = BreakerKey { breaker: key.to_string() };
        let text = serde_json::to_string(state).map_err(|e| e.to_string())?;
        kv::put_text(&self.env, &key, &text).await.map_err(|e| e.to_string())
    }
}
