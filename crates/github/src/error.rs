//! GitHub errors, classified by who acts on them: the queue retries rate limits,
//! 5xx and timeouts (after the delay GitHub asked for), and acknowledges the rest.
//!
//! The rules for rate limits follow GitHub's documentation:
//! <https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit>
//! and <https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately>.

use argus_core::error::{Classify, ErrorClass};
use argus_core::http::{HttpResponse, TransportError};
use argus_core::ids::UnixMillis;
use serde::Deserialize;
use std::fmt;

/// GitHub asks for at least one minute when a secondary limit names no time.
pub const SECONDARY_DEFAULT_WAIT_SECS: u64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLimitKind {
    /// The hourly quota (`x-ratelimit-remaining: 0`).
    Primary,
    /// Abuse protection: too many requests at once or too many writes per minute.
    Secondary,
}

impl fmt::Display for RateLimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RateLimitKind::Primary => "primary",
            RateLimitKind::Secondary => "secondary",
        })
    }
}

/// Failures of the App JWT path: the private key or the signer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Raised once, when the key is parsed; the message names the secret to fix.
    #[error(
        "GITHUB_APP_PRIVATE_KEY is not a usable RSA private key (expected the PEM GitHub hands out, \
         `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1), or PKCS#8 `-----BEGIN PRIVATE KEY-----`): {0}"
    )]
    MalformedKey(String),
    #[error("could not sign the GitHub App JWT: {0}")]
    Signing(String),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GitHubError {
    #[error("GitHub {kind} rate limit hit on {route}; retry in {retry_after_secs} s")]
    RateLimited { kind: RateLimitKind, retry_after_secs: u64, route: String },
    #[error("GitHub answered {status} on {route} (server error, retry later)")]
    Server { status: u16, route: String },
    #[error("GitHub request {route} failed: {source}")]
    Transport { route: String, source: TransportError },
    #[error("GitHub answered 404 on {route}: the repository is gone or the ArgusAI app is not installed on it")]
    NotFound { route: String },
    #[error("{}", forbidden_message(route, permission.as_deref(), message))]
    Forbidden { route: String, permission: Option<String>, message: String },
    #[error("GitHub refused ArgusAI's credentials on {route} (401): {message}")]
    Unauthorized { route: String, message: String },
    #[error("GitHub rejected {route} (422): {message}{}", errors_suffix(errors))]
    Unprocessable { route: String, message: String, errors: Vec<String> },
    #[error("GitHub answered {status} on {route}: {message}")]
    Unexpected { status: u16, route: String, message: String },
    #[error("could not read GitHub's answer to {route}: {detail}")]
    Decode { route: String, detail: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// `/graphql` answered 404/410 or not with JSON: GraphQL is disabled or absent
    /// (some GitHub Enterprise Server setups). Callers with a REST path fall back.
    #[error("GitHub's GraphQL API is not available at {route} ({detail})")]
    GraphQlUnavailable { route: String, detail: String },
    /// GraphQL answered with `errors` and nothing usable: a query GitHub will not
    /// run (permanent), or its "something went wrong"/timeout answer (retryable).
    #[error("GitHub's GraphQL API refused {route}: {}", messages.join("; "))]
    GraphQl { route: String, messages: Vec<String>, retryable: bool },
}

fn forbidden_message(route: &str, permission: Option<&str>, message: &str) -> String {
    match permission {
        Some(p) if !p.is_empty() => format!(
            "GitHub answered 403 on {route}: the ArgusAI app lacks the permission `{p}`; \
             grant it in the app settings and accept it on the installation ({message})"
        ),
        _ => format!("GitHub answered 403 on {route}: {message}"),
    }
}

fn errors_suffix(errors: &[String]) -> String {
    if errors.is_empty() { String::new() } else { format!(" ({})", errors.join("; ")) }
}

impl Classify for GitHubError {
    fn class(&self) -> ErrorClass {
        match self {
            GitHubError::RateLimited { retry_after_secs, .. } => ErrorClass::Retryable { after_secs: Some(*retry_after_secs) },
            GitHubError::Server { .. } | GitHubError::Transport { .. } => ErrorClass::Retryable { after_secs: None },
            GitHubError::GraphQl { retryable: true, .. } => ErrorClass::Retryable { after_secs: None },
            GitHubError::NotFound { .. }
            | GitHubError::Forbidden { .. }
            | GitHubError::Unauthorized { .. }
            | GitHubError::Unprocessable { .. }
            | GitHubError::Unexpected { .. }
            | GitHubError::Decode { .. }
            | GitHubError::Auth(_)
            | GitHubError::GraphQlUnavailable { .. }
            | GitHubError::GraphQl { retryable: false, .. } => ErrorClass::Permanent,
        }
    }
}

impl GitHubError {
    /// The 422 that means "one of the review's comment anchors is not in the diff".
    pub fn is_unprocessable(&self) -> bool {
        matches!(self, GitHubError::Unprocessable { .. })
    }
}

/// GitHub's error body: `{"message": "...", "errors": [...], "documentation_url": "..."}`.
/// `errors` holds strings for review anchors and objects elsewhere, so both are accepted.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

fn header_u64(resp: &HttpResponse, name: &str) -> Option<u64> {
    resp.header(name).and_then(|v| v.trim().parse().ok())
}

/// Turns a non-2xx answer into a classified error. `now` is needed to turn
/// `x-ratelimit-reset` (epoch seconds) into a delay.
pub fn classify_response(route: &str, resp: &HttpResponse, now: UnixMillis) -> GitHubError {
    let body: ErrorBody = serde_json::from_slice(&resp.body).unwrap_or_default();
    let message = if body.message.is_empty() { resp.text().chars().take(200).collect() } else { body.message };
    let route = route.to_string();
    let status = resp.status;

    if status == 403 || status == 429 {
        let retry_after = header_u64(resp, "retry-after");
        let remaining = header_u64(resp, "x-ratelimit-remaining");
        let reset_wait = header_u64(resp, "x-ratelimit-reset").map(|reset| reset.saturating_sub(now.secs()).max(1));
        let says_rate_limit = message.to_ascii_lowercase().contains("rate limit");
        if let Some(secs) = retry_after {
            // Only secondary limits send `retry-after`.
            return GitHubError::RateLimited { kind: RateLimitKind::Secondary, retry_after_secs: secs.max(1), route };
        }
        if remaining == Some(0) {
            // Docs: "If the x-ratelimit-remaining header is 0, you should not retry your
            // request until after the time specified by the x-ratelimit-reset header."
            // A secondary limit may also report 0 remaining; the wait is the same.
            let kind = if message.to_ascii_lowercase().contains("secondary") { RateLimitKind::Secondary } else { RateLimitKind::Primary };
            let secs = reset_wait.unwrap_or(SECONDARY_DEFAULT_WAIT_SECS);
            return GitHubError::RateLimited { kind, retry_after_secs: secs, route };
        }
        if status == 429 || says_rate_limit {
            // Docs: "Otherwise, wait for at least one minute before retrying."
            return GitHubError::RateLimited { kind: RateLimitKind::Secondary, retry_after_secs: SECONDARY_DEFAULT_WAIT_SECS, route };
        }
        // A 403 that is not a rate limit is a permission problem. GitHub names the
        // permission the endpoint needs in `x-accepted-github-permissions`, e.g.
        // `pull_requests=write`; see
        // <https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#resource-not-accessible>.
        let permission = resp.header("x-accepted-github-permissions").map(|p| p.trim().to_string());
        return GitHubError::Forbidden { route, permission, message };
    }
    match status {
        401 => GitHubError::Unauthorized { route, message },
        404 => GitHubError::NotFound { route },
        422 => {
            let errors = body
                .errors
                .iter()
                .map(|e| match e {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Object(o) => o.get("message").and_then(|m| m.as_str()).map(str::to_string).unwrap_or_else(|| e.to_string()),
                    other => other.to_string(),
                })
                .collect();
            GitHubError::Unprocessable { route, message, errors }
        }
        500..=599 => GitHubError::Server { status, route },
        _ => GitHubError::Unexpected { status, route, message },
    }
}
