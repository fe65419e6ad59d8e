//! The GitHub App's own client for the dashboard: installation tokens (for the
//! role re-check before an action and for reading a repository's file), from
//! the same settings, WebCrypto signer and KV token cache the review pipeline uses.

use crate::platform::config::settings;
use crate::platform::http::{WorkerClock, WorkerHttp};
use crate::platform::stores::KvTokenCache;
use crate::platform::webcrypto::WebCryptoSigner;
use argus_core::subrequests::Subrequests;
use argus_github::client::GitHub;
use worker::Env;

pub type AppClient = GitHub<WorkerHttp, WorkerClock, WebCryptoSigner, KvTokenCache>;

/// The App client, or why it cannot be built (a setting is missing).
pub async fn client(env: &Env) -> Result<AppClient, String> {
    let settings = settings(env);
    if let Some(problem) = &settings.github.problem {
        return Err(problem.clone());
    }
    let pem = settings.github.private_key.clone().ok_or("GITHUB_APP_PRIVATE_KEY is not set")?;
    let signer = WebCryptoSigner::import(&pem).await.map_err(|e| e.to_string())?;
    Ok(GitHub::new(
        settings.github.config.clone(),
        WorkerHttp,
        WorkerClock,
        signer,
        KvTokenCache { env: env.clone(), ledger: Subrequests::default() },
    ))
}
