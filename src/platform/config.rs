//! The front Worker's settings, read from `Env` vars and secrets once per request.
//! Names follow wrangler.toml; secrets are wrapped so they cannot be logged.

use argus_core::filter::FilterConfig;
use argus_core::ratelimit::RateLimit;
use argus_core::secret::SecretString;
use argus_core::signature::WebhookSecrets;
use worker::Env;

/// Webhook bodies above this are refused with 413. GitHub caps payloads at 25 MB
/// (<https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap>).
pub const MAX_WEBHOOK_BYTES: usize = 25 * 1024 * 1024;

pub struct FrontConfig {
    pub secrets: WebhookSecrets,
    pub filter: FilterConfig,
    pub rate: RateLimit,
    pub status_token: Option<SecretString>,
}

/// A var or secret as a string; unset and blank read as `None`.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| env.secret(name).ok().map(|v| v.to_string()))
        .filter(|v| !v.trim().is_empty())
}

fn secret(env: &Env, name: &str) -> Option<SecretString> {
    env.secret(name).ok().map(|v| SecretString::new(v.to_string())).filter(|s| !s.is_empty())
}

fn number(env: &Env, name: &str, default: u64) -> u64 {
    var(env, name).and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

impl FrontConfig {
    pub fn from_env(env: &Env) -> Self {
        let defaults = RateLimit::default();
        Self {
            secrets: secret(env, "GITHUB_WEBHOOK_SECRET").map(|s| WebhookSecrets::parse(s.expose())).unwrap_or_default(),
            filter: FilterConfig::from_vars(var(env, "REVIEW_ENABLED_EVENTS").as_deref(), var(env, "BOT_HANDLE").as_deref()),
            rate: RateLimit {
                limit: number(env, "RATE_LIMIT_PER_REPO", defaults.limit),
                window_secs: number(env, "RATE_LIMIT_WINDOW_SECONDS", defaults.window_secs).max(1),
            },
            status_token: secret(env, "STATUS_TOKEN"),
        }
    }
}
