//! KV access through the typed keys of `argus_core::keys`: the key decides the
//! namespace and the TTL, so no call site spells a key or a binding by hand.

use argus_core::keys::KvKey;
use worker::{Env, Result};

pub async fn get_text<K: KvKey>(env: &Env, key: &K) -> Result<Option<String>> {
    env.kv(K::NAMESPACE)?.get(&key.key()).text().await.map_err(Into::into)
}

pub async fn put_text<K: KvKey>(env: &Env, key: &K, value: &str) -> Result<()> {
    put_inner(env, key, value, key.ttl_secs()).await
}

/// Like [`put_text`] with a TTL shorter than the key's own (e.g. a token's remaining life).
pub async fn put_text_ttl<K: KvKey>(env: &Env, key: &K, value: &str, ttl_secs: u64) -> Result<()> {
    let ttl = key.ttl_secs().map_or(ttl_secs, |max| max.min(ttl_secs));
    put_inner(env, key, value, Some(ttl)).await
}

async fn put_inner<K: KvKey>(env: &Env, key: &K, value: &str, ttl: Option<u64>) -> Result<()> {
    let mut put = env.kv(K::NAMESPACE)?.put(&key.key(), value)?;
    if let Some(ttl) = ttl {
        // KV refuses an expirationTtl under 60 s.
        put = put.expiration_ttl(ttl.max(60));
    }
    put.execute().await.map_err(Into::into)
}

pub async fn delete<K: KvKey>(env: &Env, key: &K) -> Result<()> {
    env.kv(K::NAMESPACE)?.delete(&key.key()).await.map_err(Into::into)
}
