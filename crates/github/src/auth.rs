//! GitHub App authentication: the App JWT (RS256) and installation access tokens.
//!
//! GitHub's rules (<https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app>):
//! `iat` 60 s in the past to absorb clock drift, `exp` at most 10 minutes ahead,
//! `iss` the app id. Parsing an RSA key costs far more than signing with it
//! (see `benches/jwt.rs`), so a signer parses the key once, and the JWT itself is
//! reused until shortly before it expires. Installation tokens live one hour
//! (<https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app>)
//! and are cached through [`TokenCache`] until [`TOKEN_REFRESH_MARGIN_SECS`] before expiry.

use crate::error::AuthError;
use argus_core::ids::UnixMillis;
use argus_core::keys::{InstallationTokenKey, KvKey};
use argus_core::secret::SecretString;
use base64::Engine as _;
use jwt_simple::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;

/// `iat` is back-dated by this much, as GitHub recommends.
pub const JWT_BACKDATE_SECS: u64 = 60;
/// `exp` is this far ahead: under GitHub's 10-minute ceiling even with a fast clock.
pub const JWT_LIFETIME_SECS: u64 = 9 * 60;
/// A cached App JWT is replaced this long before its `exp`.
pub const JWT_REFRESH_MARGIN_SECS: u64 = 60;
/// A cached installation token is replaced this long before its `expires_at`, so a
/// token never expires in the middle of a review job.
pub const TOKEN_REFRESH_MARGIN_SECS: u64 = 5 * 60;

/// The claims GitHub reads from an App JWT, in seconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppJwtClaims {
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
}

impl AppJwtClaims {
    pub fn new(app_id: u64, now: UnixMillis) -> Self {
        let now = now.secs();
        Self { iat: now.saturating_sub(JWT_BACKDATE_SECS), exp: now + JWT_LIFETIME_SECS, iss: app_id.to_string() }
    }

    /// `base64url(header).base64url(claims)`: the bytes an RS256 signer signs. A
    /// WebCrypto signer signs this and appends `.` + base64url(signature).
    pub fn signing_input(&self) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = b64.encode(serde_json::to_vec(self).expect("claims serialize"));
        format!("{header}.{claims}")
    }
}

/// Signs App JWTs. The default is [`JwtSimpleSigner`]; the Worker may supply a
/// WebCrypto (`SubtleCrypto`) signer, which is about ten times cheaper in workerd.
#[allow(async_fn_in_trait)]
pub trait JwtSigner {
    async fn sign(&self, claims: &AppJwtClaims) -> Result<String, AuthError>;
}

/// RS256 with `jwt-simple` (pure Rust, works on wasm32 and natively). The key is
/// parsed once, in [`JwtSimpleSigner::from_pem`].
pub struct JwtSimpleSigner {
    key: RS256KeyPair,
}

impl JwtSimpleSigner {
    /// Accepts PKCS#1 (`BEGIN RSA PRIVATE KEY`, what GitHub hands out) and PKCS#8
    /// (`BEGIN PRIVATE KEY`). A PEM pasted into an env var with literal `\n`
    /// escapes is accepted too, because that is a common way to store it.
    pub fn from_pem(pem: &SecretString) -> Result<Self, AuthError> {
        let raw = pem.expose().trim();
        if raw.is_empty() {
            return Err(AuthError::MalformedKey("the secret is empty".into()));
        }
        let normalized = if raw.contains("\\n") && !raw.contains('\n') { raw.replace("\\n", "\n") } else { raw.to_string() };
        if !normalized.contains("-----BEGIN") {
            return Err(AuthError::MalformedKey("no `-----BEGIN … PRIVATE KEY-----` line".into()));
        }
        if normalized.contains("ENCRYPTED") {
            return Err(AuthError::MalformedKey("the key is passphrase-encrypted; store it unencrypted".into()));
        }
        // jwt-simple's error text can quote parts of its input; keep it out of the message.
        let key = RS256KeyPair::from_pem(&normalized)
            .map_err(|_| AuthError::MalformedKey("the PEM could not be parsed as an RSA key of 2048 to 4096 bits".into()))?;
        Ok(Self { key })
    }
}

impl JwtSigner for JwtSimpleSigner {
    async fn sign(&self, claims: &AppJwtClaims) -> Result<String, AuthError> {
        // Set the claims directly instead of `Claims::create`, which reads the system
        // clock; `now` comes from the caller. GitHub needs no `nbf`.
        let jwt = JWTClaims {
            issued_at: Some(Duration::from_secs(claims.iat)),
            expires_at: Some(Duration::from_secs(claims.exp)),
            invalid_before: None,
            issuer: Some(claims.iss.clone()),
            subject: None,
            audiences: None,
            jwt_id: None,
            nonce: None,
            custom: NoCustomClaims {},
        };
        self.key.sign(jwt).map_err(|e| AuthError::Signing(e.to_string()))
    }
}

/// Keeps one App JWT and hands it out until [`JWT_REFRESH_MARGIN_SECS`] before `exp`.
#[derive(Default)]
pub struct AppJwtCache {
    current: RefCell<Option<(SecretString, u64)>>,
}

impl AppJwtCache {
    /// The cached JWT if still fresh at `now`.
    pub fn get(&self, now: UnixMillis) -> Option<SecretString> {
        let current = self.current.borrow();
        let (jwt, exp) = current.as_ref()?;
        (now.secs() + JWT_REFRESH_MARGIN_SECS < *exp).then(|| jwt.clone())
    }
    pub fn put(&self, jwt: SecretString, exp: u64) {
        *self.current.borrow_mut() = Some((jwt, exp));
    }
}

/// An installation access token and when GitHub says it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedToken {
    pub token: SecretString,
    pub expires_at: UnixMillis,
}

impl CachedToken {
    /// Usable for a whole job: more than [`TOKEN_REFRESH_MARGIN_SECS`] left.
    pub fn is_fresh(&self, now: UnixMillis) -> bool {
        now.plus_secs(TOKEN_REFRESH_MARGIN_SECS) < self.expires_at
    }

    /// The KV value. Written only to the `CACHE` namespace; never logged.
    pub fn to_kv_value(&self) -> String {
        serde_json::json!({ "token": self.token.expose(), "expires_at_ms": self.expires_at.0 }).to_string()
    }

    /// Reads a KV value written by [`CachedToken::to_kv_value`]; anything else is a miss.
    pub fn from_kv_value(value: &str) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Stored {
            token: String,
            expires_at_ms: u64,
        }
        let s: Stored = serde_json::from_str(value).ok()?;
        (!s.token.is_empty()).then(|| Self { token: SecretString::new(s.token), expires_at: UnixMillis(s.expires_at_ms) })
    }

    /// The KV `expirationTtl` for this token: until the refresh margin, at least
    /// KV's 60 s floor, and never beyond the key's own ceiling.
    pub fn kv_ttl_secs(&self, key: &InstallationTokenKey, now: UnixMillis) -> u64 {
        let useful = (self.expires_at.0.saturating_sub(now.0) / 1000).saturating_sub(TOKEN_REFRESH_MARGIN_SECS);
        useful.min(key.ttl_secs().unwrap_or(u64::MAX)).max(60)
    }
}

/// Where installation tokens are cached. The Worker implements it over KV
/// `CACHE` (key [`InstallationTokenKey`]); cache failures are misses, never job
/// failures, so the methods do not return errors.
#[allow(async_fn_in_trait)]
pub trait TokenCache {
    async fn get(&self, key: &InstallationTokenKey) -> Option<CachedToken>;
    async fn put(&self, key: &InstallationTokenKey, token: &CachedToken);
    /// Called when GitHub refused a cached token (revoked, or the app was reinstalled).
    async fn remove(&self, key: &InstallationTokenKey);

    /// A small JSON value cached under a typed key (the App's identity,
    /// [`argus_core::keys::AppIdentityKey`]; repository permissions,
    /// [`argus_core::keys::RepoPermissionKey`]). The value carries its own expiry,
    /// which the client checks, so a cache may keep it longer than `key.ttl_secs()`.
    /// Without an override there is no shared cache: the client still keeps each
    /// value in memory for its own life, and asks GitHub once per client.
    async fn get_value<K: KvKey>(&self, key: &K) -> Option<String> {
        let _ = key;
        None
    }

    /// Stores a value read back by [`TokenCache::get_value`]; the KV adapter writes
    /// it with `expirationTtl = key.ttl_secs()`.
    async fn put_value<K: KvKey>(&self, key: &K, value: &str) {
        let _ = (key, value);
    }
}

/// An in-memory [`TokenCache`]: for native tests, and usable as a per-isolate
/// first level in front of KV.
#[derive(Default)]
pub struct MemoryTokenCache {
    entries: RefCell<HashMap<String, CachedToken>>,
    /// `NAMESPACE/key` → value, for [`TokenCache::get_value`].
    values: RefCell<HashMap<String, String>>,
}

impl MemoryTokenCache {
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }
    /// The values stored under typed keys, by `NAMESPACE/key` (for tests).
    pub fn value(&self, namespaced_key: &str) -> Option<String> {
        self.values.borrow().get(namespaced_key).cloned()
    }
}

impl TokenCache for MemoryTokenCache {
    async fn get(&self, key: &InstallationTokenKey) -> Option<CachedToken> {
        self.entries.borrow().get(&key.key()).cloned()
    }
    async fn put(&self, key: &InstallationTokenKey, token: &CachedToken) {
        self.entries.borrow_mut().insert(key.key(), token.clone());
    }
    async fn remove(&self, key: &InstallationTokenKey) {
        self.entries.borrow_mut().remove(&key.key());
    }
    async fn get_value<K: KvKey>(&self, key: &K) -> Option<String> {
        self.values.borrow().get(&format!("{}/{}", K::NAMESPACE, key.key())).cloned()
    }
    async fn put_value<K: KvKey>(&self, key: &K, value: &str) {
        self.values.borrow_mut().insert(format!("{}/{}", K::NAMESPACE, key.key()), value.to_string());
    }
}

/// Parses GitHub's `expires_at` (RFC 3339, e.g. `2016-07-11T22:14:10Z`).
pub fn parse_github_time(s: &str) -> Option<UnixMillis> {
    let t = chrono::DateTime::parse_from_rfc3339(s.trim()).ok()?;
    u64::try_from(t.timestamp_millis()).ok().map(UnixMillis)
}
