//! The GitHub App's own client for the dashboard: installation tokens (for the
//! role re-check before an action and for reading a repository's file), from
//! the same WebCrypto signer and KV token cache the review pipeline uses.

use crate::platform::config::var;
use crate::platform::http::{WorkerClock, WorkerHttp};
use crate::platform::stores::KvTokenCache;
use crate::platform::webcrypto::WebCryptoSigner;
use argus_core::secret::SecretString;
use argus_github::client::{GitHub, GitHubConfig};
use worker::Env;

pub type AppClient = GitHub<WorkerHttp, WorkerClock, WebCryptoSigner, KvTokenCache>;

/// The App client, or why it cannot be built (a setting is missing).
pub async fn client(env: &Env) -> Result<AppClient, String> {
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
    let signer = WebCryptoSigner::import(&pem)
        .await
        .map_err(|e| e.to_string())?;
    Ok(GitHub::new(
        GitHubConfig::new(var(env, "GITHUB_API_URL").as_deref(), app_id),
        WorkerHttp,
        WorkerClock,
        signer,
        KvTokenCache { env: env.clone() },
    ))
}
