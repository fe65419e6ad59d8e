//! Acting as a person instead of as the App: [`UserToken`] hands the client one
//! fixed token (a personal access token, `gh auth token`, Actions' `GITHUB_TOKEN`)
//! wherever it would use an installation token, and [`NoAppKey`] refuses to sign
//! an App JWT, so a client built with them never asks GitHub for App
//! credentials. The `argus` command line reads pull requests this way; the
//! Worker never does.
//!
//! The seam is the [`TokenCache`]: the client takes a fresh cached token before
//! it would mint one (`POST /app/installations/{id}/access_tokens`), and the App's
//! identity (whose markers count as ArgusAI's) before it would ask `GET /app`,
//! which needs the App JWT. A person's token answers the same REST routes for
//! what that person can read (<https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api>).

use crate::auth::{AppJwtClaims, CachedToken, JwtSigner, MemoryTokenCache, TokenCache};
use crate::error::AuthError;
use crate::identity::AppIdentity;
use argus_core::ids::UnixMillis;
use argus_core::keys::{AppIdentityKey, InstallationTokenKey, KvKey};
use argus_core::secret::SecretString;

/// A [`TokenCache`] that always holds one person's token, for every installation,
/// and the App identity whose earlier reviews count as ArgusAI's (`argusai` for
/// the public App: the slug is in the App's URL, `github.com/apps/{slug}`).
pub struct UserToken {
    token: SecretString,
    app: AppIdentity,
    values: MemoryTokenCache,
}

impl UserToken {
    pub fn new(token: SecretString, app: AppIdentity) -> Self {
        Self { token, app, values: MemoryTokenCache::default() }
    }
}

impl TokenCache for UserToken {
    async fn get(&self, _key: &InstallationTokenKey) -> Option<CachedToken> {
        // Never stale: a person's token has no expiry the client could know, and a
        // refused one must fail with GitHub's 401, not be "refreshed".
        Some(CachedToken { token: self.token.clone(), expires_at: UnixMillis(u64::MAX) })
    }
    async fn put(&self, _key: &InstallationTokenKey, _token: &CachedToken) {}
    async fn remove(&self, _key: &InstallationTokenKey) {}
    async fn get_value<K: KvKey>(&self, key: &K) -> Option<String> {
        let identity = AppIdentityKey { app_id: self.app.id };
        if K::NAMESPACE == AppIdentityKey::NAMESPACE && key.key() == identity.key() {
            return Some(self.app.to_kv_value());
        }
        self.values.get_value(key).await
    }
    async fn put_value<K: KvKey>(&self, key: &K, value: &str) {
        self.values.put_value(key, value).await
    }
}

/// The signer of a client without the App's private key: asking it for an App
/// JWT is an error that says so, never a request.
pub struct NoAppKey;

impl JwtSigner for NoAppKey {
    async fn sign(&self, _claims: &AppJwtClaims) -> Result<String, AuthError> {
        Err(AuthError::Signing("this client acts with a person's token and holds no App private key".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{GitHub, GitHubConfig};
    use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, TransportError};
    use argus_core::ids::{InstallationId, PrNumber, PrRef, RepoName};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Answers every request with an empty list (one page), keeping the requests.
    #[derive(Clone, Default)]
    struct Recorder(Rc<RefCell<Vec<HttpRequest>>>);

    impl HttpClient for Recorder {
        async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.0.borrow_mut().push(req);
            Ok(HttpResponse { status: 200, headers: vec![], body: b"[]".to_vec() })
        }
    }

    struct Still;
    impl Clock for Still {
        fn now(&self) -> UnixMillis {
            UnixMillis(1_764_000_000_000)
        }
        async fn sleep(&self, _ms: u64) {}
    }

    #[test]
    fn reads_with_the_persons_token_and_never_asks_for_app_credentials() {
        let http = Recorder::default();
        // Built at run time: no token-shaped literal in the repository.
        let token: String = ["gh", "p_", &"x9".repeat(18)].concat();
        let cache = UserToken::new(SecretString::new(token.clone()), AppIdentity::new(7, "argusai"));
        let gh = GitHub::new(GitHubConfig::new(Some("http://127.0.0.1:9"), 7), http.clone(), Still, NoAppKey, cache);
        let pr = PrRef::new(RepoName::new("o", "r"), PrNumber(3));
        let reviews = futures_executor::block_on(gh.installation(InstallationId(1)).own_reviews(&pr)).expect("listed");
        assert!(reviews.is_empty());
        let sent = http.0.borrow();
        let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
        // `own_reviews` needs the App's identity: it came from the seam, not from `GET /app`.
        assert_eq!(urls, ["http://127.0.0.1:9/repos/o/r/pulls/3/reviews?per_page=100"]);
        let auth = sent[0].headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone());
        assert_eq!(auth, Some(format!("Bearer {token}")));
    }

    #[test]
    fn an_app_jwt_is_refused_with_a_clear_error() {
        let gh = GitHub::new(
            GitHubConfig::new(None, 7),
            Recorder::default(),
            Still,
            NoAppKey,
            UserToken::new(SecretString::new(String::from("t")), AppIdentity::new(7, "argusai")),
        );
        let err = futures_executor::block_on(gh.app_jwt()).expect_err("no key");
        assert!(err.to_string().contains("person's token"), "{err}");
    }
}
