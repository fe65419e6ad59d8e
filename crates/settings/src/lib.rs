//! `argus-settings`: the deployment's settings, read once. [`Settings::from_vars`]
//! takes a lookup of the Worker's vars and secrets (blank counts as unset) and
//! resolves every section the entry points need — the front door's secrets,
//! filter and rate window, the coordinator's tunables, the consumer's retry
//! schedule, the GitHub App, the LLM provider, the log level — so no entry point
//! parses a variable of its own and two of them can never disagree (as
//! `/health` once named `GITHUB_MODEL` while `LLM_MODEL` won). Pure: tested
//! natively; the Worker calls it once per isolate.

use argus_config::env::ENV_VARS;
use argus_coordinator::{Config as CoordinatorConfig, RetryPolicy};
use argus_core::filter::FilterConfig;
use argus_core::ratelimit::RateLimit;
use argus_core::secret::SecretString;
use argus_core::signature::WebhookSecrets;
use argus_dashboard::access::Role;
use argus_dashboard::session::SessionKeys;
use argus_github::GitHubConfig;
use argus_llm::{LlmConfig, ProviderKind};
use serde::Serialize;

/// How much the Worker logs (`LOG_LEVEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn parse(s: Option<&str>) -> LogLevel {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("debug" | "trace") => LogLevel::Debug,
            Some("warn" | "warning") => LogLevel::Warn,
            Some("error") => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// The GitHub App's settings; `problems` say what is missing for reviews to work.
#[derive(Clone, Debug)]
pub struct GitHubApp {
    /// `GITHUB_API_URL`, `GITHUB_APP_ID`, `GITHUB_WRITE_SPACING_MS`.
    pub config: GitHubConfig,
    /// `GITHUB_APP_PRIVATE_KEY`.
    pub private_key: Option<SecretString>,
    /// Why the App cannot authenticate (`GITHUB_APP_ID` unset or not a number, no key).
    pub problem: Option<String>,
    /// `GITHUB_APP_ID` is set at all: an App exists, so `/setup` closes.
    pub app_id_given: bool,
}

/// Setup and the dashboard: `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET`,
/// `SESSION_KEYS` (comma-separated, first signs), `DASHBOARD_MIN_PERMISSION`,
/// `SETUP_TOKEN`. Sign-in works when the client id, its secret and a key are set.
#[derive(Clone, Debug)]
pub struct Dashboard {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub session_keys: SessionKeys,
    pub min_role: Role,
    pub setup_token: Option<SecretString>,
}

/// `SLACK_WEBHOOK_URL`, `DISCORD_WEBHOOK_URL`, `NOTIFY_MIN_SEVERITY`.
#[derive(Clone, Debug, Default)]
pub struct NotifyVars {
    pub slack_url: Option<String>,
    pub discord_url: Option<String>,
    pub min_severity: Option<String>,
}

/// Every setting of one deployment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `GITHUB_WEBHOOK_SECRET`, comma-separated for rotation; none = every delivery refused.
    pub webhook_secrets: WebhookSecrets,
    /// `REVIEW_ENABLED_EVENTS`, `BOT_HANDLE`.
    pub filter: FilterConfig,
    /// `RATE_LIMIT_PER_REPO`, `RATE_LIMIT_WINDOW_SECONDS`.
    pub rate: RateLimit,
    /// `STATUS_TOKEN`; unset disables the status endpoint.
    pub status_token: Option<SecretString>,
    /// The per-PR coordinator's tunables (`REVIEW_DEBOUNCE_SECONDS`, `COORDINATOR_*`).
    pub coordinator: CoordinatorConfig,
    /// The queue's retry schedule (`RETRY_BASE_SECONDS`, `RETRY_MAX_SECONDS`).
    pub retry: RetryPolicy,
    pub github: GitHubApp,
    /// The provider, model and limits (`LLM_*`, `GITHUB_MODEL`, `GITHUB_TOKEN`),
    /// or every problem with them.
    pub llm: Result<LlmConfig, String>,
    /// The operator layer of the repository configuration: the vars argus-config reads.
    pub config_env: Vec<(String, String)>,
    pub log_level: LogLevel,
    /// `GITHUB_WEB_URL`: GitHub's web origin (`https://github.com`, or a GitHub
    /// Enterprise Server's), without a trailing slash; sign-in, setup and links.
    pub web_url: String,
    /// Setup and the maintainers' dashboard.
    pub dashboard: Dashboard,
    /// Slack and Discord notifications, as the operator set them (argus-dashboard's
    /// `notify::settings` combines them with a repository's KV layer).
    pub notify: NotifyVars,
    /// Settings that are set but unusable (their defaults were used), for the log.
    pub problems: Vec<String>,
}

/// What `GET /health` shows: liveness and what is configured, never a secret's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub service: &'static str,
    pub version: &'static str,
    pub provider: String,
    /// The model reviews use (the same resolution the reviews use).
    pub model: Option<String>,
    pub fallback_models: Vec<String>,
    pub webhook_secret_configured: bool,
    pub github_app_configured: bool,
    pub status_endpoint_enabled: bool,
    /// Problems that stop reviews (never values).
    pub problems: Vec<String>,
}

impl Settings {
    /// Resolves every setting from `get(name)` (a var or a secret; blank = unset).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Settings {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut problems = Vec::new();
        let number = |name: &str, problems: &mut Vec<String>| -> Option<u64> {
            let raw = get(name)?;
            match raw.trim().parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(format!("{name} is {raw:?}, not a whole number; the default is used"));
                    None
                }
            }
        };
        let secret = |name: &str| get(name).map(SecretString::new);

        let rate_defaults = RateLimit::default();
        let rate = RateLimit {
            limit: number("RATE_LIMIT_PER_REPO", &mut problems).unwrap_or(rate_defaults.limit),
            window_secs: number("RATE_LIMIT_WINDOW_SECONDS", &mut problems).unwrap_or(rate_defaults.window_secs).max(1),
        };
        let (coordinator, coordinator_problems) = CoordinatorConfig::from_vars(get);
        problems.extend(coordinator_problems.iter().map(|p| p.to_string()));
        let retry_defaults = RetryPolicy::default();
        let retry_secs = |name: &str, default: u32, problems: &mut Vec<String>| {
            number(name, problems).and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0).unwrap_or(default)
        };
        let retry = RetryPolicy {
            base_secs: retry_secs("RETRY_BASE_SECONDS", retry_defaults.base_secs, &mut problems),
            max_secs: retry_secs("RETRY_MAX_SECONDS", retry_defaults.max_secs, &mut problems),
        };

        let app_id = get("GITHUB_APP_ID").map(|v| (v.trim().parse::<u64>(), v));
        let private_key = secret("GITHUB_APP_PRIVATE_KEY");
        let mut github_config = GitHubConfig::new(get("GITHUB_API_URL").as_deref(), 0);
        let problem = match (&app_id, &private_key) {
            (None, _) => Some("GITHUB_APP_ID is not set".to_string()),
            (Some((Err(_), raw)), _) => Some(format!("GITHUB_APP_ID is {raw:?}, not a number")),
            (Some((Ok(_), _)), None) => Some("GITHUB_APP_PRIVATE_KEY is not set".to_string()),
            (Some((Ok(_), _)), Some(_)) => None,
        };
        if let Some((Ok(id), _)) = app_id {
            github_config.app_id = id;
        }
        // GitHub asks for a second between writes; tests against the loopback fake may shorten it.
        if let Some(ms) = number("GITHUB_WRITE_SPACING_MS", &mut problems) {
            github_config.write_spacing_ms = ms;
        }

        let llm = LlmConfig::from_env(|name| get(name)).map_err(|e| e.to_string());
        // argus-config's env layer, plus LLM_PROVIDER (GITHUB_MODEL counts only for GitHub Models).
        let config_env =
            ENV_VARS.iter().map(|v| v.name).chain(["LLM_PROVIDER"]).filter_map(|name| get(name).map(|v| (name.to_string(), v))).collect();

        let (session_keys, key_problems) = SessionKeys::parse(&get("SESSION_KEYS").unwrap_or_default());
        problems.extend(key_problems);
        let (min_role, role_problem) = Role::parse_min(get("DASHBOARD_MIN_PERMISSION").as_deref());
        problems.extend(role_problem);
        let dashboard = Dashboard {
            client_id: get("GITHUB_CLIENT_ID").map(|s| s.trim().to_string()),
            client_secret: get("GITHUB_CLIENT_SECRET").map(|s| SecretString::new(s.trim())),
            session_keys,
            min_role,
            setup_token: get("SETUP_TOKEN").map(|s| SecretString::new(s.trim())),
        };
        let notify =
            NotifyVars { slack_url: get("SLACK_WEBHOOK_URL"), discord_url: get("DISCORD_WEBHOOK_URL"), min_severity: get("NOTIFY_MIN_SEVERITY") };
        let web_url = get("GITHUB_WEB_URL").unwrap_or_else(|| "https://github.com".into()).trim().trim_end_matches('/').to_string();

        Settings {
            webhook_secrets: get("GITHUB_WEBHOOK_SECRET").map(|s| WebhookSecrets::parse(&s)).unwrap_or_default(),
            filter: FilterConfig::from_vars(get("REVIEW_ENABLED_EVENTS").as_deref(), get("BOT_HANDLE").as_deref()),
            rate,
            status_token: secret("STATUS_TOKEN"),
            coordinator,
            retry,
            github: GitHubApp { config: github_config, private_key, problem, app_id_given: app_id.is_some() },
            llm,
            config_env,
            log_level: LogLevel::parse(get("LOG_LEVEL").as_deref()),
            web_url,
            dashboard,
            notify,
            problems,
        }
    }

    /// What `GET /health` shows.
    pub fn health(&self) -> Health {
        let (provider, model, fallback_models) = match &self.llm {
            Ok(c) => (c.provider.as_str().to_string(), Some(c.model.clone()), c.fallback_models.clone()),
            Err(_) => (ProviderKind::GithubModels.as_str().to_string(), None, Vec::new()),
        };
        let mut problems: Vec<String> = self.github.problem.iter().cloned().collect();
        if let Err(e) = &self.llm {
            problems.push(e.clone());
        }
        Health {
            status: "ok",
            service: "argusai",
            version: env!("CARGO_PKG_VERSION"),
            provider,
            model,
            fallback_models,
            webhook_secret_configured: !self.webhook_secrets.is_empty(),
            github_app_configured: self.github.problem.is_none(),
            status_endpoint_enabled: self.status_token.is_some(),
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_vars(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn dashboard_and_notify_settings_are_read_once_here() {
        let s = from(&[
            ("GITHUB_WEB_URL", "https://ghe.example.com/"),
            ("GITHUB_CLIENT_ID", " Iv1.abc "),
            ("GITHUB_CLIENT_SECRET", "s3"),
            ("SESSION_KEYS", "0123456789abcdef0123456789abcdef,fedcba9876543210fedcba9876543210"),
            ("DASHBOARD_MIN_PERMISSION", "owner"),
            ("NOTIFY_MIN_SEVERITY", "high"),
            ("GITHUB_APP_ID", "not-a-number"),
        ]);
        assert_eq!(s.web_url, "https://ghe.example.com");
        assert_eq!(s.dashboard.client_id.as_deref(), Some("Iv1.abc"));
        assert!(!s.dashboard.session_keys.is_empty());
        assert_eq!(s.dashboard.min_role, Role::Maintain, "an unknown role keeps the default");
        assert!(s.problems.iter().any(|p| p.contains("DASHBOARD_MIN_PERMISSION")), "{:?}", s.problems);
        assert_eq!(s.notify.min_severity.as_deref(), Some("high"));
        assert!(s.github.app_id_given, "set, even if unusable: setup is closed");
        let empty = from(&[]);
        assert_eq!(empty.web_url, "https://github.com");
        assert!(!empty.github.app_id_given && empty.dashboard.session_keys.is_empty() && empty.dashboard.setup_token.is_none());
    }

    #[test]
    fn health_names_the_model_reviews_use() {
        // LLM_MODEL wins over GITHUB_MODEL, for /health as for the reviews.
        let s = from(&[("GITHUB_MODEL", "openai/gpt-4o-mini"), ("LLM_MODEL", "openai/gpt-4.1"), ("GITHUB_TOKEN", "t")]);
        assert_eq!(s.health().model.as_deref(), Some("openai/gpt-4.1"));
        assert_eq!(s.llm.as_ref().unwrap().model, "openai/gpt-4.1");
        let s = from(&[("GITHUB_MODEL", "openai/gpt-4o-mini"), ("GITHUB_TOKEN", "t")]);
        assert_eq!(s.health().model.as_deref(), Some("openai/gpt-4o-mini"));
    }

    #[test]
    fn an_empty_deployment_refuses_webhooks_and_says_what_is_missing() {
        let s = from(&[]);
        let h = s.health();
        assert!(!h.webhook_secret_configured && !h.github_app_configured && !h.status_endpoint_enabled);
        assert_eq!(s.github.problem.as_deref(), Some("GITHUB_APP_ID is not set"));
        assert!(h.problems.iter().any(|p| p.contains("GITHUB_TOKEN")), "{:?}", h.problems);
        assert!(serde_json::to_string(&h).unwrap().find("secret\":\"").is_none());
    }

    #[test]
    fn blank_is_unset_and_bad_numbers_fall_back_with_a_problem() {
        let s = from(&[
            ("GITHUB_APP_ID", " "),
            ("RATE_LIMIT_PER_REPO", "lots"),
            ("RETRY_BASE_SECONDS", "3"),
            ("REVIEW_DEBOUNCE_SECONDS", "30"),
            ("GITHUB_WRITE_SPACING_MS", "0"),
            ("LOG_LEVEL", "WARN"),
            ("REVIEW_DRAFTS", "true"),
            ("GITHUB_WEBHOOK_SECRET", "old,new"),
        ]);
        assert_eq!(s.github.problem.as_deref(), Some("GITHUB_APP_ID is not set"));
        assert_eq!(s.rate.limit, RateLimit::default().limit);
        assert!(s.problems.iter().any(|p| p.contains("RATE_LIMIT_PER_REPO")), "{:?}", s.problems);
        assert_eq!(s.retry.base_secs, 3);
        assert_eq!(s.coordinator.debounce_ms, 30_000);
        assert_eq!(s.github.config.write_spacing_ms, 0);
        assert_eq!(s.log_level, LogLevel::Warn);
        assert!(s.config_env.contains(&("REVIEW_DRAFTS".to_string(), "true".to_string())));
        assert!(!s.webhook_secrets.is_empty());
    }

    #[test]
    fn app_settings_are_checked_together() {
        let s = from(&[("GITHUB_APP_ID", "12x")]);
        assert_eq!(s.github.problem.as_deref(), Some(r#"GITHUB_APP_ID is "12x", not a number"#));
        let s = from(&[("GITHUB_APP_ID", "12"), ("GITHUB_API_URL", "https://ghe.example/api/v3/")]);
        assert_eq!(s.github.problem.as_deref(), Some("GITHUB_APP_PRIVATE_KEY is not set"));
        assert_eq!((s.github.config.app_id, s.github.config.api_url.as_str()), (12, "https://ghe.example/api/v3"));
    }
}
