//! GitHub's GraphQL API as ArgusAI uses it: one `POST /graphql` with a query and
//! its variables, an answer with `data` and/or `errors`, classified like REST.
//!
//! GraphQL reports most failures with status 200 (<https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#exceeding-the-rate-limit>):
//! the primary rate limit is a 200 with an error of type `RATE_LIMITED` and
//! `x-ratelimit-remaining: 0`; a secondary limit is a 200 or a 403 saying so,
//! with `retry-after` when GitHub names a wait. Partial failures keep `data` for
//! what succeeded (e.g. `repository: null` plus a `NOT_FOUND` error), so callers
//! read `data` and the per-path errors together. A `/graphql` that answers 404,
//! 410 or not with JSON is "unavailable" (GraphQL disabled on some GitHub
//! Enterprise Server setups), which lets callers fall back to REST.

use crate::auth::{JwtSigner, TokenCache};
use crate::client::GitHub;
use crate::error::{GitHubError, RateLimitKind, SECONDARY_DEFAULT_WAIT_SECS};
use argus_core::http::{Clock, HttpClient, HttpResponse, Method};
use argus_core::ids::{InstallationId, UnixMillis};
use serde::Deserialize;
use serde_json::Value;

/// One entry of a GraphQL `errors` array. GitHub adds `type` (`NOT_FOUND`,
/// `FORBIDDEN`, `RATE_LIMITED`…) to execution errors and `extensions.code`
/// (`undefinedField`…) to validation errors.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GraphQlError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Field names (or aliases) and list indices from the root to the failing field.
    #[serde(default)]
    pub path: Vec<Value>,
    #[serde(default)]
    pub extensions: Option<Value>,
}

impl GraphQlError {
    /// Whether this error is about the field at `path` (names/aliases from the root).
    pub fn is_at(&self, path: &[&str]) -> bool {
        self.path.len() == path.len() && self.path.iter().zip(path).all(|(p, want)| p.as_str() == Some(*want))
    }
}

/// A GraphQL answer that is usable at least in part.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphQlResponse {
    /// `data`; `Value::Null` when absent.
    pub data: Value,
    pub errors: Vec<GraphQlError>,
}

impl GraphQlResponse {
    /// The errors at exactly `path`.
    pub fn errors_at<'a>(&'a self, path: &'a [&'a str]) -> impl Iterator<Item = &'a GraphQlError> + 'a {
        self.errors.iter().filter(move |e| e.is_at(path))
    }
}

#[derive(Deserialize)]
struct RawResponse {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
}

fn header_u64(resp: &HttpResponse, name: &str) -> Option<u64> {
    resp.header(name).and_then(|v| v.trim().parse().ok())
}

/// Turns a whole-request GraphQL failure into a classified error; `None` when
/// `data` is usable (per-field errors are the caller's to read).
pub fn classify_graphql(route: &str, resp: &HttpResponse, data: &Value, errors: &[GraphQlError], now: UnixMillis) -> Option<GitHubError> {
    let route = route.to_string();
    let rate_limited = errors.iter().find(|e| e.kind.as_deref() == Some("RATE_LIMITED") || e.message.to_ascii_lowercase().contains("rate limit"));
    if let Some(e) = rate_limited {
        let secondary = e.message.to_ascii_lowercase().contains("secondary");
        if let Some(secs) = header_u64(resp, "retry-after") {
            return Some(GitHubError::RateLimited { kind: RateLimitKind::Secondary, retry_after_secs: secs.max(1), route });
        }
        if header_u64(resp, "x-ratelimit-remaining") == Some(0) {
            let wait = header_u64(resp, "x-ratelimit-reset").map(|reset| reset.saturating_sub(now.secs()).max(1));
            let kind = if secondary { RateLimitKind::Secondary } else { RateLimitKind::Primary };
            return Some(GitHubError::RateLimited { kind, retry_after_secs: wait.unwrap_or(SECONDARY_DEFAULT_WAIT_SECS), route });
        }
        // Docs: "Otherwise, wait for at least one minute before retrying."
        return Some(GitHubError::RateLimited {
            kind: if secondary { RateLimitKind::Secondary } else { RateLimitKind::Primary },
            retry_after_secs: SECONDARY_DEFAULT_WAIT_SECS,
            route,
        });
    }
    if !data.is_null() {
        return None;
    }
    let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    // GitHub's answer when a query ran out of time or hit a bug: "Something went
    // wrong while executing your query. This may be the result of a timeout…".
    let retryable = messages.iter().any(|m| {
        let m = m.to_ascii_lowercase();
        m.contains("something went wrong") || m.contains("timeout") || m.contains("timed out")
    });
    if messages.is_empty() {
        return Some(GitHubError::GraphQlUnavailable { route, detail: "the answer has neither data nor errors".into() });
    }
    Some(GitHubError::GraphQl { route, messages, retryable })
}

impl<H: HttpClient, C: Clock, S: JwtSigner, T: TokenCache> GitHub<H, C, S, T> {
    /// Runs one GraphQL operation with an installation token. `mutation` marks a
    /// content-creating request, spaced like REST writes.
    pub(crate) async fn graphql(&self, id: InstallationId, query: &str, variables: Value, mutation: bool) -> Result<GraphQlResponse, GitHubError> {
        let url = self.config.graphql_url.clone();
        let route = self.route(Method::Post, &url);
        let body = serde_json::to_vec(&serde_json::json!({ "query": query, "variables": variables })).expect("GraphQL bodies serialize");
        let resp = match self.send_installation_spaced(id, Method::Post, &url, Some(body), mutation).await {
            Ok(resp) => resp,
            Err(GitHubError::NotFound { route }) => {
                return Err(GitHubError::GraphQlUnavailable { route, detail: "404 Not Found".into() });
            }
            Err(GitHubError::Unexpected { status: 410, route, .. }) => {
                return Err(GitHubError::GraphQlUnavailable { route, detail: "410 Gone".into() });
            }
            Err(e) => return Err(e),
        };
        let raw: RawResponse = serde_json::from_slice(&resp.body).map_err(|_| GitHubError::GraphQlUnavailable {
            route: route.clone(),
            detail: format!("the answer is not JSON ({})", resp.header("content-type").unwrap_or("no content-type")),
        })?;
        if raw.data.is_none() && raw.errors.is_none() {
            return Err(GitHubError::GraphQlUnavailable { route, detail: "the answer has neither data nor errors".into() });
        }
        let data = raw.data.unwrap_or(Value::Null);
        let errors = raw.errors.unwrap_or_default();
        if let Some(e) = classify_graphql(&route, &resp, &data, &errors, self.clock.now()) {
            return Err(e);
        }
        Ok(GraphQlResponse { data, errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_core::error::{Classify, ErrorClass};
    use serde_json::json;

    fn resp(headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse { status: 200, headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body: vec![] }
    }
    fn errs(v: Value) -> Vec<GraphQlError> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn classification_table() {
        let now = UnixMillis(1_764_000_000_000);
        let reset = (now.secs() + 120).to_string();
        let rate = json!([{ "type": "RATE_LIMITED", "message": "API rate limit exceeded for installation ID 77." }]);
        let secondary = json!([{ "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }]);
        let cases: Vec<(&str, HttpResponse, Value, Value, Option<ErrorClass>)> = vec![
            (
                "primary: reset",
                resp(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset)]),
                Value::Null,
                rate.clone(),
                Some(ErrorClass::Retryable { after_secs: Some(120) }),
            ),
            ("primary without headers: a minute", resp(&[]), Value::Null, rate, Some(ErrorClass::Retryable { after_secs: Some(60) })),
            (
                "secondary with retry-after",
                resp(&[("retry-after", "30")]),
                Value::Null,
                secondary.clone(),
                Some(ErrorClass::Retryable { after_secs: Some(30) }),
            ),
            ("secondary bare", resp(&[]), Value::Null, secondary, Some(ErrorClass::Retryable { after_secs: Some(60) })),
            (
                "validation error: our bug, permanent",
                resp(&[]),
                Value::Null,
                json!([{ "path": ["query", "repository", "nope"], "extensions": { "code": "undefinedField", "typeName": "Repository", "fieldName": "nope" }, "message": "Field 'nope' doesn't exist on type 'Repository'" }]),
                Some(ErrorClass::Permanent),
            ),
            (
                "timeout: retryable",
                resp(&[]),
                Value::Null,
                json!([{ "message": "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug." }]),
                Some(ErrorClass::Retryable { after_secs: None }),
            ),
            (
                "partial: data kept",
                resp(&[]),
                json!({ "repository": { "a0": null } }),
                json!([{ "type": "NOT_FOUND", "path": ["repository", "a0"], "message": "x" }]),
                None,
            ),
            ("clean", resp(&[]), json!({ "repository": {} }), json!([]), None),
        ];
        for (name, r, data, errors, want) in cases {
            let got = classify_graphql("POST /graphql", &r, &data, &errs(errors), now);
            assert_eq!(got.as_ref().map(|e| e.class()), want, "{name}: {got:?}");
        }
    }

    #[test]
    fn errors_are_matched_by_exact_path() {
        let r = GraphQlResponse {
            data: Value::Null,
            errors: errs(json!([{ "path": ["repository", "a1"], "message": "m" }, { "path": ["repository", "a10"], "message": "n" }])),
        };
        assert_eq!(r.errors_at(&["repository", "a1"]).count(), 1);
        assert_eq!(r.errors_at(&["repository"]).count(), 0);
    }
}
