//! The REST client: authentication, one request with GitHub's headers and a
//! timeout, pagination, spacing of writes, and error classification. Generic
//! over argus-core's [`HttpClient`] and [`Clock`], so the Worker sends requests
//! with `worker::Fetch` and native tests with the in-memory GitHub.
//!
//! Nothing here retries a failed request blindly: errors carry their class (and
//! GitHub's requested delay) to the queue, which retries the whole job. The one
//! exception is a 401 with a cached installation token, which is refetched once.

use crate::auth::{AppJwtCache, AppJwtClaims, CachedToken, JwtSigner, TokenCache, parse_github_time};
use crate::error::{GitHubError, classify_response};
use crate::identity::AppIdentity;
use crate::link::next_link;
use crate::types::AccessToken;
use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, Method};
use argus_core::ids::{InstallationId, UnixMillis};
use argus_core::keys::{AppIdentityKey, InstallationTokenKey};
use argus_core::secret::SecretString;
use argus_core::subrequests::{SubrequestKind, Subrequests};
use serde::de::DeserializeOwned;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Pinned REST API version (<https://docs.github.com/en/rest/about-the-rest-api/api-versions>).
pub const API_VERSION: &str = "2022-11-28";
pub const USER_AGENT: &str = "ArgusAI";
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// GitHub's page size ceiling.
pub const PER_PAGE: u32 = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubConfig {
    /// `GITHUB_API_URL`: `https://api.github.com`, or `https://HOST/api/v3` for
    /// GitHub Enterprise Server. No trailing slash is needed.
    pub api_url: String,
    /// The GraphQL endpoint, derived from `api_url` by [`graphql_url_for`].
    pub graphql_url: String,
    /// `GITHUB_APP_ID`, the JWT's `iss`.
    pub app_id: u64,
    /// Per-request timeout.
    pub timeout_ms: u64,
    /// Minimum gap between content-creating requests (POST/PATCH/PUT). GitHub asks
    /// integrators to wait at least one second between them
    /// (<https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests>).
    pub write_spacing_ms: u64,
}

impl GitHubConfig {
    pub fn new(api_url: Option<&str>, app_id: u64) -> Self {
        let api_url = api_url.map(str::trim).filter(|u| !u.is_empty()).unwrap_or(DEFAULT_API_URL);
        let api_url = api_url.trim_end_matches('/').to_string();
        Self { graphql_url: graphql_url_for(&api_url), api_url, app_id, timeout_ms: 10_000, write_spacing_ms: 1_000 }
    }
}

/// GitHub's GraphQL endpoint for a REST root: `https://api.github.com` →
/// `https://api.github.com/graphql`; GitHub Enterprise Server's
/// `https://HOST/api/v3` → `https://HOST/api/graphql`
/// (<https://docs.github.com/en/enterprise-server@latest/graphql/guides/forming-calls-with-graphql#the-graphql-endpoint>).
pub fn graphql_url_for(api_url: &str) -> String {
    let api_url = api_url.trim_end_matches('/');
    match api_url.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api_url}/graphql"),
    }
}

/// The GitHub App: credentials, caches and transport. Repository operations go
/// through [`GitHub::installation`].
pub struct GitHub<H, C, S, T> {
    pub(crate) http: H,
    pub(crate) clock: C,
    signer: S,
    tokens: T,
    pub(crate) config: GitHubConfig,
    jwt: AppJwtCache,
    last_write: Cell<Option<UnixMillis>>,
    requests: Cell<u64>,
    /// The review's subrequest ledger; every request is recorded with its route family.
    ledger: RefCell<Subrequests>,
    /// `GET /app`, once per client (and through the cache seam, once per day).
    identity: RefCell<Option<AppIdentity>>,
    /// Set once `/graphql` proved unavailable, so later batches go straight to REST.
    pub(crate) graphql_down: Cell<bool>,
    /// `has_write` answers: cache key → (write, valid until).
    pub(crate) permissions: RefCell<HashMap<String, (bool, UnixMillis)>>,
}

impl<H: HttpClient, C: Clock, S: JwtSigner, T: TokenCache> GitHub<H, C, S, T> {
    pub fn new(config: GitHubConfig, http: H, clock: C, signer: S, tokens: T) -> Self {
        Self {
            http,
            clock,
            signer,
            tokens,
            config,
            jwt: AppJwtCache::default(),
            last_write: Cell::new(None),
            requests: Cell::new(0),
            ledger: RefCell::default(),
            identity: RefCell::new(None),
            graphql_down: Cell::new(false),
            permissions: RefCell::default(),
        }
    }

    /// Counts this client's requests into `ledger` from now on (one ledger per
    /// review; the LLM and KV adapters count into the same one).
    pub fn use_ledger(&self, ledger: Subrequests) {
        *self.ledger.borrow_mut() = ledger;
    }

    /// The ledger requests are counted into.
    pub fn ledger(&self) -> Subrequests {
        self.ledger.borrow().clone()
    }

    pub(crate) fn tokens(&self) -> &T {
        &self.tokens
    }

    /// The cache seam this client was built with (tokens, identity, permissions).
    pub fn token_cache(&self) -> &T {
        &self.tokens
    }

    /// The App's identity (`GET /app` with the App JWT): its id and slug, hence
    /// its bot user's login `{slug}[bot]`, which authors everything ArgusAI posts
    /// (<https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app>).
    /// Kept for the client's life and through the cache seam ([`AppIdentityKey`]).
    pub async fn app_identity(&self) -> Result<AppIdentity, GitHubError> {
        if let Some(known) = self.identity.borrow().clone() {
            return Ok(known);
        }
        let key = AppIdentityKey { app_id: self.config.app_id };
        if let Some(cached) = self.tokens.get_value(&key).await.and_then(|v| AppIdentity::from_kv_value(&v)) {
            *self.identity.borrow_mut() = Some(cached.clone());
            return Ok(cached);
        }
        let jwt = self.app_jwt().await?;
        let resp = self.send_with(&jwt, false, Method::Get, &self.url("/app"), None).await?;
        let app: AppIdentity = decode("GET /app", &resp)?;
        if app.slug.trim().is_empty() {
            return Err(GitHubError::Decode { route: "GET /app".into(), detail: "the App has no slug".into() });
        }
        self.tokens.put_value(&key, &app.to_kv_value()).await;
        *self.identity.borrow_mut() = Some(app.clone());
        Ok(app)
    }

    /// A client scoped to one installation (the one named by the webhook).
    pub fn installation(&self, id: InstallationId) -> crate::ops::Installation<'_, H, C, S, T> {
        crate::ops::Installation { gh: self, id }
    }

    pub fn config(&self) -> &GitHubConfig {
        &self.config
    }

    /// Requests sent so far (a figure for tests and logs).
    pub fn requests_sent(&self) -> u64 {
        self.requests.get()
    }

    /// The App JWT, signed at most once per [`crate::auth::JWT_LIFETIME_SECS`] minus margin.
    pub async fn app_jwt(&self) -> Result<SecretString, GitHubError> {
        let now = self.clock.now();
        if let Some(jwt) = self.jwt.get(now) {
            return Ok(jwt);
        }
        let claims = AppJwtClaims::new(self.config.app_id, now);
        let jwt = SecretString::new(self.signer.sign(&claims).await?);
        self.jwt.put(jwt.clone(), claims.exp);
        Ok(jwt)
    }

    /// An installation token: from the cache while fresh, else minted by GitHub
    /// (`POST /app/installations/{id}/access_tokens`) and cached.
    pub async fn installation_token(&self, id: InstallationId) -> Result<SecretString, GitHubError> {
        let key = InstallationTokenKey { installation: id };
        if let Some(cached) = self.tokens.get(&key).await
            && cached.is_fresh(self.clock.now())
        {
            return Ok(cached.token);
        }
        let path = format!("/app/installations/{id}/access_tokens");
        let jwt = self.app_jwt().await?;
        let resp = self.send_with(&jwt, false, Method::Post, &self.url(&path), None).await?;
        let route = format!("POST {path}");
        let minted: AccessToken = decode(&route, &resp)?;
        let expires_at = parse_github_time(&minted.expires_at)
            .ok_or_else(|| GitHubError::Decode { route: route.clone(), detail: format!("bad expires_at {:?}", minted.expires_at) })?;
        let cached = CachedToken { token: SecretString::new(minted.token), expires_at };
        self.tokens.put(&key, &cached).await;
        Ok(cached.token)
    }

    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.config.api_url)
    }

    /// One authenticated request with an installation token; a 401 on a cached
    /// token drops it and tries once more with a fresh one.
    pub(crate) async fn send_installation(
        &self,
        id: InstallationId,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, GitHubError> {
        // Only content-creating methods are spaced (DELETE and reads are not).
        let space = matches!(method, Method::Post | Method::Patch | Method::Put);
        self.send_installation_spaced(id, method, url, body, space).await
    }

    /// As [`Self::send_installation`], saying whether the request creates content
    /// (a GraphQL query is a POST that does not; a mutation does).
    pub(crate) async fn send_installation_spaced(
        &self,
        id: InstallationId,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
        space: bool,
    ) -> Result<HttpResponse, GitHubError> {
        let token = self.installation_token(id).await?;
        match self.send_with(&token, space, method, url, body.clone()).await {
            Err(GitHubError::Unauthorized { .. }) => {
                self.tokens.remove(&InstallationTokenKey { installation: id }).await;
                let token = self.installation_token(id).await?;
                self.send_with(&token, space, method, url, body).await
            }
            other => other,
        }
    }

    /// Sends with a resolved credential; `space` marks a content-creating request.
    async fn send_with(
        &self,
        bearer: &SecretString,
        space: bool,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, GitHubError> {
        let route = self.route(method, url);
        if space {
            self.space_write().await;
        }
        let mut req = HttpRequest::new(method, url)
            .header("accept", "application/vnd.github+json")
            .header("user-agent", USER_AGENT)
            .header("x-github-api-version", API_VERSION)
            .header("authorization", format!("Bearer {}", bearer.expose()))
            .timeout_ms(self.config.timeout_ms);
        if let Some(body) = body {
            req = req.header("content-type", "application/json");
            req.body = Some(body);
        }
        self.requests.set(self.requests.get() + 1);
        self.ledger.borrow().record(SubrequestKind::GitHub, &route_family(&route));
        let resp = self.http.send(req).await.map_err(|source| GitHubError::Transport { route: route.clone(), source })?;
        if (200..300).contains(&resp.status) { Ok(resp) } else { Err(classify_response(&route, &resp, self.clock.now())) }
    }

    /// `METHOD /path` for errors and logs; the GraphQL endpoint is `POST /graphql`
    /// whatever its URL (it is outside the REST root on GitHub Enterprise Server).
    pub(crate) fn route(&self, method: Method, url: &str) -> String {
        if url == self.config.graphql_url {
            return format!("{} /graphql", method.as_str());
        }
        route_of(method, url, &self.config.api_url)
    }

    /// Waits until `write_spacing_ms` has passed since the previous write.
    async fn space_write(&self) {
        let now = self.clock.now();
        if let Some(last) = self.last_write.get() {
            let due = last.plus_millis(self.config.write_spacing_ms);
            if due > now {
                self.clock.sleep(due.0 - now.0).await;
            }
        }
        self.last_write.set(Some(self.clock.now()));
    }

    /// GETs `first_url` and follows `Link: rel="next"` until `limit` items. Links
    /// pointing outside the configured API root are not followed, so a token is
    /// never sent elsewhere. Returns the items and whether more were left.
    pub(crate) async fn paginate<I: DeserializeOwned>(
        &self,
        id: InstallationId,
        first_url: String,
        limit: usize,
    ) -> Result<(Vec<I>, bool), GitHubError> {
        let mut items = Vec::new();
        let mut url = Some(first_url);
        while let Some(current) = url.take() {
            let resp = self.send_installation(id, Method::Get, &current, None).await?;
            let page: Vec<I> = decode(&route_of(Method::Get, &current, &self.config.api_url), &resp)?;
            items.extend(page);
            let next = resp.header("link").and_then(next_link).filter(|n| n.starts_with(&self.config.api_url));
            if items.len() >= limit {
                let more = next.is_some() || items.len() > limit;
                items.truncate(limit);
                return Ok((items, more));
            }
            url = next;
        }
        Ok((items, false))
    }
}

/// `METHOD /path` without the API root and query, for error messages and logs.
pub(crate) fn route_of(method: Method, url: &str, api_url: &str) -> String {
    let path = url.strip_prefix(api_url).unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    format!("{} {path}", method.as_str())
}

/// The route family of a route, for the ledger's breakdown: the repository,
/// numbers, SHAs, logins and file paths are generalised, so
/// `GET /repos/o/r/pulls/7/files` → `GET pulls/:n/files` and
/// `GET /repos/o/r/contents/src/a.rs` → `GET contents/*`.
pub fn route_family(route: &str) -> String {
    let (method, path) = route.split_once(' ').unwrap_or(("", route));
    let mut segs: Vec<&str> = path.trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    if segs.first() == Some(&"repos") && segs.len() >= 3 {
        segs.drain(..3);
    }
    let mut out: Vec<String> = Vec::with_capacity(segs.len());
    let mut prev = "";
    for seg in segs {
        if prev == "contents" {
            out.push("*".into());
            break;
        }
        let generic = if seg.len() == 40 && seg.bytes().all(|b| b.is_ascii_hexdigit()) {
            ":sha".to_string()
        } else if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            ":n".to_string()
        } else if matches!(prev, "collaborators" | "users") {
            ":login".to_string()
        } else if prev == "compare" || (matches!(prev, "trees" | "blobs") && out.len() >= 2 && out[out.len() - 2] == "git") {
            ":ref".to_string()
        } else {
            seg.to_string()
        };
        prev = seg;
        out.push(generic);
    }
    format!("{method} {}", out.join("/")).trim().to_string()
}

pub(crate) fn decode<I: DeserializeOwned>(route: &str, resp: &HttpResponse) -> Result<I, GitHubError> {
    serde_json::from_slice(&resp.body).map_err(|e| GitHubError::Decode { route: route.to_string(), detail: e.to_string() })
}

/// Percent-encodes a repository file path for a URL, keeping `/` between segments.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a query value (a branch name may hold `/`, `#` or `&`).
pub fn encode_query(value: &str) -> String {
    encode_path(value).replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_routes() {
        assert_eq!(encode_path(".github/argusai.toml"), ".github/argusai.toml");
        assert_eq!(encode_path("dir/a b#c?.rs"), "dir/a%20b%23c%3F.rs");
        assert_eq!(encode_path("ü"), "%C3%BC");
        assert_eq!(encode_query("feature/x&y"), "feature%2Fx%26y");
        assert_eq!(route_of(Method::Get, "https://h/api/v3/repos/o/r?page=2", "https://h/api/v3"), "GET /repos/o/r");
        assert_eq!(GitHubConfig::new(Some("https://ghe.example/api/v3/"), 1).api_url, "https://ghe.example/api/v3");
        assert_eq!(GitHubConfig::new(Some(" "), 1).api_url, DEFAULT_API_URL);
    }

    #[test]
    fn graphql_endpoint_for_github_and_enterprise_server() {
        let cases = [
            ("https://api.github.com", "https://api.github.com/graphql"),
            ("https://api.github.com/", "https://api.github.com/graphql"),
            ("https://ghe.example/api/v3", "https://ghe.example/api/graphql"),
            ("https://ghe.example/api/v3/", "https://ghe.example/api/graphql"),
            ("http://127.0.0.1:8788", "http://127.0.0.1:8788/graphql"),
        ];
        for (api, want) in cases {
            assert_eq!(graphql_url_for(api), want, "{api}");
            assert_eq!(GitHubConfig::new(Some(api), 1).graphql_url, want, "{api}");
        }
    }

    #[test]
    fn route_families_generalise_repos_numbers_shas_and_paths() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(route_family(&format!("GET /repos/o/r/git/trees/{}", "1".repeat(40))), "GET git/trees/:sha", "an all-digit SHA is a SHA");
        let cases = [
            ("GET /repos/o/r/pulls/7/files".to_string(), "GET pulls/:n/files"),
            ("GET /repos/o/r/pulls/7".to_string(), "GET pulls/:n"),
            ("POST /graphql".to_string(), "POST graphql"),
            ("GET /app".to_string(), "GET app"),
            ("POST /app/installations/77/access_tokens".to_string(), "POST app/installations/:n/access_tokens"),
            (format!("GET /repos/o/r/git/trees/{sha}"), "GET git/trees/:sha"),
            ("GET /repos/o/r/git/trees/main".to_string(), "GET git/trees/:ref"),
            (format!("GET /repos/o/r/git/blobs/{sha}"), "GET git/blobs/:sha"),
            ("GET /repos/o/r/contents/src/deep/a.rs".to_string(), "GET contents/*"),
            ("GET /repos/o/r/collaborators/mona/permission".to_string(), "GET collaborators/:login/permission"),
            (format!("GET /repos/o/r/compare/{sha}...{sha}"), "GET compare/:ref"),
            ("POST /repos/o/r/pulls/7/comments/99/replies".to_string(), "POST pulls/:n/comments/:n/replies"),
        ];
        for (route, want) in cases {
            assert_eq!(route_family(&route), want, "{route}");
        }
    }
}
