//! KV access through the typed keys of `argus_core::keys`: the key decides the
//! namespace and the TTL, so no call site spells a key or a binding by hand.

use argus_core::keys::KvKey;
use worker::{Env, Result};

pub async fn get_text<K: KvKey>(env: &Env, key: &K) -> Result<Option<String>> {
    env.kv(K::NAMESPACE)?.get(&key.key()).text().await.map_err(Into::into)
}

pub async fn put_text<K: KvKey>(env: &Env, key: &K, value: &str) -> Result<()> {
    let mut put = env.kv(K::NAMESPACE)?.put(&key.key(), value)?;
    if let Some(ttl) = key.ttl_secs() {
        put = put.expiration_ttl(ttl.max(60));
    }
    put.execute().await.map_err(Into::into)
}
