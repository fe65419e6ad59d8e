//! The GitHub calls of setup and the dashboard, over argus-core's
//! [`HttpClient`]: the manifest conversion, the OAuth code exchange, the
//! signed-in user, the installations and repositories their token reaches
//! (with their role on each), a collaborator's role for the re-check before an
//! action, and a repository's default branch. `api_url` may be GitHub
//! Enterprise Server's `/api/v3`; `web_url` is where users sign in.

use crate::access::{AccessList, InstallationAccess, RepoAccess, RepoPermissions, Role};
use crate::app::AppCredentials;
use crate::form;
use argus_core::http::{HttpClient, HttpRequest, HttpResponse, Method};
use argus_core::ids::RepoName;
use argus_core::secret::SecretString;
use argus_github::client::{API_VERSION, USER_AGENT, encode_path};
use argus_github::link::next_link;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// At most this many GitHub requests build one access list: the free plan
/// allows 50 subrequests per invocation, and a page view needs a few more.
pub const MAX_LISTING_REQUESTS: usize = 30;
const TIMEOUT_MS: u64 = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UserApiError {
    /// The user's token is no longer valid: sign in again.
    #[error("GitHub refused the credentials (401)")]
    Unauthorized,
    #[error("not found on GitHub")]
    NotFound,
    #[error("GitHub answered {status} to {route}: {message}")]
    Upstream { status: u16, route: String, message: String },
    #[error("could not reach GitHub: {0}")]
    Transport(String),
    #[error("unexpected answer from GitHub to {route}: {detail}")]
    Decode { route: String, detail: String },
    /// The OAuth token endpoint answered with an `error` (expired code, wrong secret…).
    #[error("GitHub refused the sign-in: {0}")]
    OAuth(String),
}

/// GitHub as the dashboard talks to it.
pub struct GitHubWeb<'a, H> {
    pub http: &'a H,
    /// `https://api.github.com`, no trailing slash.
    pub api_url: String,
    /// `https://github.com`, no trailing slash.
    pub web_url: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
}

#[derive(Deserialize)]
struct Installations {
    installations: Vec<Installation>,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
    account: Option<Account>,
}

#[derive(Deserialize)]
struct Account {
    login: String,
}

#[derive(Deserialize)]
struct Repositories {
    repositories: Vec<Repository>,
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    permissions: RepoPermissions,
}

#[derive(Deserialize)]
struct CollaboratorPermission {
    #[serde(default)]
    permission: String,
    #[serde(default)]
    role_name: String,
}

#[derive(Deserialize)]
struct RepoInfo {
    default_branch: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
}

fn base(url: &str, fallback: &str) -> String {
    let u = url.trim();
    if u.is_empty() { fallback.to_string() } else { u.trim_end_matches('/').to_string() }
}

impl<'a, H: HttpClient> GitHubWeb<'a, H> {
    pub fn new(http: &'a H, api_url: Option<&str>, web_url: Option<&str>) -> Self {
        GitHubWeb {
            http,
            api_url: base(api_url.unwrap_or(""), argus_github::client::DEFAULT_API_URL),
            web_url: base(web_url.unwrap_or(""), "https://github.com"),
        }
    }

    fn api(&self, method: Method, path: &str) -> HttpRequest {
        HttpRequest::new(method, format!("{}{path}", self.api_url))
            .header("accept", "application/vnd.github+json")
            .header("user-agent", USER_AGENT)
            .header("x-github-api-version", API_VERSION)
            .timeout_ms(TIMEOUT_MS)
    }

    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, UserApiError> {
        self.http.send(req).await.map_err(|e| UserApiError::Transport(e.to_string()))
    }

    fn check(route: &str, resp: &HttpResponse, ok: u16) -> Result<(), UserApiError> {
        match resp.status {
            s if s == ok => Ok(()),
            401 => Err(UserApiError::Unauthorized),
            404 => Err(UserApiError::NotFound),
            status => {
                let message = serde_json::from_slice::<ErrorBody>(&resp.body).ok().and_then(|b| b.message).unwrap_or_default();
                Err(UserApiError::Upstream { status, route: route.to_string(), message: message.chars().take(200).collect() })
            }
        }
    }

    fn decode<T: DeserializeOwned>(route: &str, resp: &HttpResponse) -> Result<T, UserApiError> {
        serde_json::from_slice(&resp.body).map_err(|e| UserApiError::Decode { route: route.to_string(), detail: e.to_string() })
    }

    /// GET with a token; the next page's URL if GitHub sent one.
    async fn get<T: DeserializeOwned>(&self, token: &SecretString, url_or_path: &str, route: &str) -> Result<(T, Option<String>), UserApiError> {
        let req = if url_or_path.starts_with("http") {
            let mut r = self.api(Method::Get, "");
            r.url = url_or_path.to_string();
            r
        } else {
            self.api(Method::Get, url_or_path)
        };
        let resp = self.send(req.header("authorization", format!("Bearer {}", token.expose()))).await?;
        Self::check(route, &resp, 200)?;
        let next = resp.header("link").and_then(next_link);
        Ok((Self::decode(route, &resp)?, next))
    }

    /// `POST /app-manifests/{code}/conversions`: the App just registered from the manifest.
    pub async fn convert_manifest(&self, code: &str) -> Result<AppCredentials, UserApiError> {
        let route = "POST /app-manifests/{code}/conversions";
        let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).take(100).collect();
        if code.is_empty() {
            return Err(UserApiError::NotFound);
        }
        let resp = self.send(self.api(Method::Post, &format!("/app-manifests/{code}/conversions"))).await?;
        Self::check(route, &resp, 201)?;
        AppCredentials::parse(&resp.body).map_err(|detail| UserApiError::Decode { route: route.into(), detail })
    }

    /// Exchanges an OAuth `code` for the user's token
    /// (<https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app>).
    pub async fn exchange_code(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<SecretString, UserApiError> {
        let route = "POST /login/oauth/access_token";
        let body = form::encode_pairs(&[
            ("client_id", client_id),
            ("client_secret", client_secret.expose()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ]);
        let mut req = HttpRequest::new(Method::Post, format!("{}/login/oauth/access_token", self.web_url))
            .header("accept", "application/json")
            .header("user-agent", USER_AGENT)
            .header("content-type", "application/x-www-form-urlencoded")
            .timeout_ms(TIMEOUT_MS);
        req.body = Some(body.into_bytes());
        let resp = self.send(req).await?;
        Self::check(route, &resp, 200)?;
        // Errors come back as 200 with an `error` field.
        let t: TokenResponse = Self::decode(route, &resp)?;
        match (t.access_token, t.error) {
            (Some(tok), None) if !tok.is_empty() => Ok(SecretString::new(tok)),
            (_, Some(e)) => Err(UserApiError::OAuth(format!("{e}: {}", t.error_description.unwrap_or_default()).chars().take(200).collect())),
            _ => Err(UserApiError::Decode { route: route.into(), detail: "no access_token".into() }),
        }
    }

    /// `GET /user`: the signed-in user's id and login.
    pub async fn user(&self, token: &SecretString) -> Result<(u64, String), UserApiError> {
        let (u, _): (User, _) = self.get(token, "/user", "GET /user").await?;
        Ok((u.id, u.login))
    }

    /// Every installation of the App the user can reach and their role on each
    /// of its repositories (`GET /user/installations`, then
    /// `GET /user/installations/{id}/repositories`), within [`MAX_LISTING_REQUESTS`].
    pub async fn access_list(&self, token: &SecretString, user_id: u64, login: &str, now_ms: u64) -> Result<AccessList, UserApiError> {
        let mut budget = MAX_LISTING_REQUESTS;
        let mut found = Vec::new();
        let mut next = Some("/user/installations?per_page=100".to_string());
        while let Some(url) = next.take() {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let (page, more): (Installations, _) = self.get(token, &url, "GET /user/installations").await?;
            found.extend(page.installations);
            next = more;
        }
        let mut installations = Vec::new();
        for inst in found {
            let account = inst.account.map(|a| a.login).unwrap_or_default();
            let mut repos = Vec::new();
            let mut next = Some(format!("/user/installations/{}/repositories?per_page=100", inst.id));
            let mut truncated = false;
            while let Some(url) = next.take() {
                if budget == 0 {
                    truncated = true;
                    break;
                }
                budget -= 1;
                let (page, more): (Repositories, _) = match self.get(token, &url, "GET /user/installations/{id}/repositories").await {
                    Ok(p) => p,
                    // Access removed between the two calls: the installation shows nothing.
                    Err(UserApiError::NotFound) => break,
                    Err(e) => return Err(e),
                };
                repos.extend(page.repositories.into_iter().filter_map(|r| {
                    Role::from_permissions(&r.permissions).map(|role| RepoAccess { full_name: r.full_name, role, private: r.private })
                }));
                next = more;
            }
            installations.push(InstallationAccess { id: inst.id, account, repos, truncated });
        }
        Ok(AccessList { user_id, login: login.to_string(), fetched_at: now_ms, installations })
    }

    /// `login`'s role on `repo`, asked with the installation's token (so it
    /// also proves the App is still installed there); `None` for no access.
    pub async fn collaborator_role(&self, installation_token: &SecretString, repo: &RepoName, login: &str) -> Result<Option<Role>, UserApiError> {
        let path = format!("/repos/{}/{}/collaborators/{}/permission", repo.owner, repo.name, encode_path(login));
        match self.get::<CollaboratorPermission>(installation_token, &path, "GET /repos/{o}/{r}/collaborators/{u}/permission").await {
            Ok((p, _)) => Ok(Role::from_collaborator(&p.role_name, &p.permission)),
            Err(UserApiError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The repository's default branch (where its configuration file is read from for the dashboard).
    pub async fn default_branch(&self, installation_token: &SecretString, repo: &RepoName) -> Result<String, UserApiError> {
        let (r, _): (RepoInfo, _) = self.get(installation_token, &format!("/repos/{}/{}", repo.owner, repo.name), "GET /repos/{o}/{r}").await?;
        Ok(r.default_branch)
    }
}
