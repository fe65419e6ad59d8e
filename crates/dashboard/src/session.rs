//! Signed cookies for the dashboard: the session, the OAuth round trip's state
//! (with its PKCE verifier), and the CSRF token derived from the session.
//!
//! A cookie value is `v1.<payload>.<mac>`: the payload is base64url JSON, the
//! MAC is HMAC-SHA256 over a label naming the cookie's kind and the payload, so
//! a state cookie can never pass for a session. `SESSION_KEYS` holds one or
//! more comma-separated keys like `GITHUB_WEBHOOK_SECRET`: the first signs, all
//! verify, so a key is rotated by prepending the new one and dropping the old
//! one a session lifetime later.
//!
//! The user's GitHub token is kept **in the cookie, encrypted** (ChaCha20-Poly1305
//! under a key derived from the signing key, the session id as associated data)
//! rather than server-side: a sign-in then costs no storage write (KV allows
//! 1,000 a day on the free plan and is eventually consistent, so a session
//! written at the callback could be missing on the very next request), there is
//! nothing to expire or clean up, and rotating `SESSION_KEYS` revokes every
//! session at once. The token only ever reaches GitHub; it is never logged.

use argus_core::secret::SecretString;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const SESSION_COOKIE: &str = "argus_session";
pub const OAUTH_COOKIE: &str = "argus_oauth";
/// Sessions are short: a maintainer signs in again after an hour (GitHub skips
/// the consent screen for an App they already authorized).
pub const SESSION_TTL_SECS: u64 = 3600;
/// The OAuth round trip must finish within this.
pub const OAUTH_TTL_SECS: u64 = 600;
/// Keys shorter than this are refused: HMAC keys should carry at least 128 bits.
pub const MIN_KEY_CHARS: usize = 32;
/// Tolerated clock difference between Worker locations.
const SKEW_SECS: u64 = 300;

/// Random bytes from the platform (`crypto.getRandomValues` in the Worker).
pub trait Random {
    fn fill(&mut self, buf: &mut [u8]);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the cookie is not a signed ArgusAI value")]
    Malformed,
    #[error("the cookie's signature does not verify under any configured key")]
    BadSignature,
    #[error("the cookie has expired")]
    Expired,
    #[error("the cookie's token cannot be decrypted")]
    Undecryptable,
}

/// The configured keys, first one signing.
#[derive(Clone, Debug, Default)]
pub struct SessionKeys {
    keys: Vec<SecretString>,
}

/// A signed-in maintainer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Random per sign-in; the CSRF token and the token encryption are bound to it.
    pub sid: String,
    pub user_id: u64,
    pub login: String,
    pub issued_at: u64,
    pub expires_at: u64,
    /// The GitHub user access token (`ghu_…`).
    pub token: SecretString,
}

#[derive(Serialize, Deserialize)]
struct SessionPayload {
    sid: String,
    uid: u64,
    login: String,
    iat: u64,
    exp: u64,
    /// base64url(nonce ‖ ciphertext ‖ tag).
    tok: String,
}

/// What the OAuth round trip remembers in its cookie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthState {
    pub state: String,
    /// PKCE `code_verifier` (RFC 7636); GitHub checks it against the challenge.
    pub verifier: String,
    /// Where to go after signing in (a dashboard path).
    pub next: String,
    pub exp: u64,
}

/// A started sign-in: what goes to GitHub and what goes in the cookie.
#[derive(Clone, Debug)]
pub struct OAuthStart {
    pub state: String,
    /// `code_challenge` = base64url(SHA-256(verifier)), method `S256`.
    pub challenge: String,
    pub cookie: String,
}

fn random_b64(rng: &mut dyn Random, n: usize) -> String {
    let mut buf = vec![0u8; n];
    rng.fill(&mut buf);
    B64.encode(buf)
}

fn mac(key: &SecretString, kind: &str, payload_b64: &str) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(key.expose().as_bytes()).expect("HMAC takes any key length");
    m.update(b"argus.");
    m.update(kind.as_bytes());
    m.update(b".v1.");
    m.update(payload_b64.as_bytes());
    m
}

fn cipher(key: &SecretString) -> ChaCha20Poly1305 {
    let mut m = HmacSha256::new_from_slice(key.expose().as_bytes()).expect("HMAC takes any key length");
    m.update(b"argus.session-token-key.v1");
    let derived: [u8; 32] = m.finalize().into_bytes().into();
    ChaCha20Poly1305::new(&Key::from(derived))
}

/// PKCE's S256 challenge for `verifier`.
pub fn pkce_challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

/// A `next` path to return to after signing in: only dashboard paths, so the
/// round trip can never be turned into an open redirect.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with("/dashboard")
        && !next.contains("//")
        && !next.contains('\\')
        && next.len() <= 300
        && next.bytes().all(|b| b.is_ascii_graphic());
    if ok { next.to_string() } else { "/dashboard".to_string() }
}

impl SessionKeys {
    /// Parses `SESSION_KEYS` (comma-separated). Keys under [`MIN_KEY_CHARS`]
    /// are dropped and named (by position, never by value) in the problems.
    pub fn parse(raw: &str) -> (SessionKeys, Vec<String>) {
        let mut problems = Vec::new();
        let mut keys = Vec::new();
        for (i, k) in raw.split(',').map(str::trim).filter(|k| !k.is_empty()).enumerate() {
            if k.chars().count() < MIN_KEY_CHARS {
                problems.push(format!("SESSION_KEYS entry {} is shorter than {MIN_KEY_CHARS} characters and is ignored", i + 1));
            } else {
                keys.push(SecretString::new(k));
            }
        }
        (SessionKeys { keys }, problems)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn signing_key(&self) -> &SecretString {
        self.keys.first().expect("callers check is_empty first")
    }

    fn sign<T: Serialize>(&self, kind: &str, payload: &T) -> String {
        let p = B64.encode(serde_json::to_vec(payload).expect("cookie payload serializes"));
        let sig = mac(self.signing_key(), kind, &p).finalize().into_bytes();
        format!("v1.{p}.{}", B64.encode(sig))
    }

    /// The payload and the key that signed it.
    fn verify<T: DeserializeOwned>(&self, kind: &str, value: &str) -> Result<(T, &SecretString), SessionError> {
        let rest = value.trim().strip_prefix("v1.").ok_or(SessionError::Malformed)?;
        let (p, sig) = rest.split_once('.').ok_or(SessionError::Malformed)?;
        let sig = B64.decode(sig).map_err(|_| SessionError::Malformed)?;
        // Every key is tried, in constant time each, so timing does not tell which one matched.
        let mut found = None;
        for key in &self.keys {
            if mac(key, kind, p).verify_slice(&sig).is_ok() && found.is_none() {
                found = Some(key);
            }
        }
        let key = found.ok_or(SessionError::BadSignature)?;
        let json = B64.decode(p).map_err(|_| SessionError::Malformed)?;
        let payload = serde_json::from_slice(&json).map_err(|_| SessionError::Malformed)?;
        Ok((payload, key))
    }

    /// A new session for `login` at `now` (seconds), and its cookie value.
    pub fn issue(&self, user_id: u64, login: &str, token: &SecretString, now: u64, rng: &mut dyn Random) -> (Session, String) {
        let sid = random_b64(rng, 16);
        let mut nonce = [0u8; 12];
        rng.fill(&mut nonce);
        let sealed = cipher(self.signing_key())
            .encrypt(&Nonce::from(nonce), Payload { msg: token.expose().as_bytes(), aad: sid.as_bytes() })
            .expect("ChaCha20-Poly1305 encrypts any length this small");
        let mut tok = nonce.to_vec();
        tok.extend_from_slice(&sealed);
        let session = Session { sid, user_id, login: login.to_string(), issued_at: now, expires_at: now + SESSION_TTL_SECS, token: token.clone() };
        let payload = SessionPayload {
            sid: session.sid.clone(),
            uid: user_id,
            login: session.login.clone(),
            iat: now,
            exp: session.expires_at,
            tok: B64.encode(tok),
        };
        let cookie = self.sign("session", &payload);
        (session, cookie)
    }

    /// The session in a cookie value, if it verifies, has not expired and its token decrypts.
    pub fn open(&self, value: &str, now: u64) -> Result<Session, SessionError> {
        let (p, key): (SessionPayload, _) = self.verify("session", value)?;
        if p.exp <= now || p.iat > now + SKEW_SECS || p.exp.saturating_sub(p.iat) > SESSION_TTL_SECS {
            return Err(SessionError::Expired);
        }
        let tok = B64.decode(&p.tok).map_err(|_| SessionError::Undecryptable)?;
        if tok.len() < 12 + 16 {
            return Err(SessionError::Undecryptable);
        }
        let (nonce, sealed) = tok.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().expect("split at 12");
        let plain =
            cipher(key).decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad: p.sid.as_bytes() }).map_err(|_| SessionError::Undecryptable)?;
        let token = String::from_utf8(plain).map_err(|_| SessionError::Undecryptable)?;
        Ok(Session { sid: p.sid, user_id: p.uid, login: p.login, issued_at: p.iat, expires_at: p.exp, token: SecretString::new(token) })
    }

    /// The CSRF token for forms of this session: HMAC of the session id.
    pub fn csrf(&self, session: &Session) -> String {
        let sig = mac(self.signing_key(), "csrf", &session.sid).finalize().into_bytes();
        B64.encode(sig)
    }

    /// Whether `presented` is this session's CSRF token (under any key, constant time).
    pub fn check_csrf(&self, session: &Session, presented: &str) -> bool {
        let Ok(sig) = B64.decode(presented.trim()) else {
            return false;
        };
        let mut ok = false;
        for key in &self.keys {
            ok |= mac(key, "csrf", &session.sid).verify_slice(&sig).is_ok();
        }
        ok
    }

    /// Starts a sign-in that returns to `next`.
    pub fn start_oauth(&self, next: &str, now: u64, rng: &mut dyn Random) -> OAuthStart {
        let state = random_b64(rng, 24);
        let verifier = random_b64(rng, 32);
        let challenge = pkce_challenge(&verifier);
        let cookie = self.sign("oauth", &OAuthState { state: state.clone(), verifier, next: safe_next(next), exp: now + OAUTH_TTL_SECS });
        OAuthStart { state, challenge, cookie }
    }

    /// The sign-in's remembered state, if the cookie verifies, is fresh and its
    /// `state` equals the one GitHub handed back.
    pub fn finish_oauth(&self, cookie: &str, state_param: &str, now: u64) -> Result<OAuthState, SessionError> {
        let (st, _): (OAuthState, _) = self.verify("oauth", cookie)?;
        if st.exp <= now {
            return Err(SessionError::Expired);
        }
        if !argus_core::secret::constant_time_eq(st.state.as_bytes(), state_param.as_bytes()) {
            return Err(SessionError::BadSignature);
        }
        Ok(st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bytes for tests.
    pub struct Counter(pub u8);
    impl Random for Counter {
        fn fill(&mut self, buf: &mut [u8]) {
            for b in buf {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
        }
    }

    fn keys(raw: &str) -> SessionKeys {
        SessionKeys::parse(raw).0
    }

    const K1: &str = "k1-0123456789abcdef0123456789abcdef";
    const K2: &str = "k2-0123456789abcdef0123456789abcdef";

    #[test]
    fn a_session_round_trips_and_rotation_keeps_it() {
        let token = SecretString::new("ghu_example");
        let (s, cookie) = keys(K1).issue(42, "alice", &token, 1_000, &mut Counter(0));
        assert!(!cookie.contains("ghu_example"), "the token is encrypted");
        assert_eq!(keys(K1).open(&cookie, 1_001).unwrap(), s);
        // A new key in front: old cookies still open; new ones are signed with the new key.
        assert_eq!(keys(&format!("{K2},{K1}")).open(&cookie, 1_001).unwrap().token, token);
        assert_eq!(keys(K2).open(&cookie, 1_001), Err(SessionError::BadSignature));
        assert_eq!(keys(K1).open(&cookie, 1_000 + SESSION_TTL_SECS), Err(SessionError::Expired));
    }

    #[test]
    fn tampering_is_refused() {
        let k = keys(K1);
        let (_, cookie) = k.issue(42, "alice", &SecretString::new("ghu_x"), 1_000, &mut Counter(0));
        let (p, sig) = cookie.strip_prefix("v1.").unwrap().split_once('.').unwrap();
        let mut payload: serde_json::Value = serde_json::from_slice(&B64.decode(p).unwrap()).unwrap();
        payload["login"] = "mallory".into();
        let forged = format!("v1.{}.{sig}", B64.encode(serde_json::to_vec(&payload).unwrap()));
        assert_eq!(k.open(&forged, 1_001), Err(SessionError::BadSignature));
        for bad in ["", "v1.", "v2.a.b", "v1.a", "v1.!!.!!", &cookie[..cookie.len() - 2]] {
            assert!(k.open(bad, 1_001).is_err(), "{bad}");
        }
        // Signed under the right key but with a swapped token: decryption fails (bound to the sid).
        let (_, other) = k.issue(7, "bob", &SecretString::new("ghu_y"), 1_000, &mut Counter(100));
        let other_tok = {
            let p = other.strip_prefix("v1.").unwrap().split_once('.').unwrap().0;
            let v: serde_json::Value = serde_json::from_slice(&B64.decode(p).unwrap()).unwrap();
            v["tok"].clone()
        };
        payload["login"] = "alice".into();
        payload["tok"] = other_tok;
        let swapped = k.sign("session", &payload);
        assert_eq!(k.open(&swapped, 1_001), Err(SessionError::Undecryptable));
    }

    #[test]
    fn an_oauth_state_cookie_is_not_a_session() {
        let k = keys(K1);
        let start = k.start_oauth("/dashboard/o/r", 1_000, &mut Counter(0));
        assert_eq!(k.open(&start.cookie, 1_001), Err(SessionError::BadSignature));
        let st = k.finish_oauth(&start.cookie, &start.state, 1_001).unwrap();
        assert_eq!(st.next, "/dashboard/o/r");
        assert_eq!(pkce_challenge(&st.verifier), start.challenge);
        assert_eq!(k.finish_oauth(&start.cookie, "other", 1_001), Err(SessionError::BadSignature));
        assert_eq!(k.finish_oauth(&start.cookie, &start.state, 1_000 + OAUTH_TTL_SECS), Err(SessionError::Expired));
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session() {
        let k = keys(K1);
        let (a, _) = k.issue(1, "a", &SecretString::new("t"), 0, &mut Counter(0));
        let (b, _) = k.issue(1, "a", &SecretString::new("t"), 0, &mut Counter(50));
        let ta = k.csrf(&a);
        assert!(k.check_csrf(&a, &ta));
        assert!(!k.check_csrf(&b, &ta));
        assert!(!k.check_csrf(&a, ""));
        assert!(keys(&format!("{K2},{K1}")).check_csrf(&a, &ta), "rotation keeps forms valid");
    }

    #[test]
    fn short_keys_and_unsafe_next_paths() {
        let (k, problems) = SessionKeys::parse("short, ,".to_string().as_str());
        assert!(k.is_empty());
        assert_eq!(problems, ["SESSION_KEYS entry 1 is shorter than 32 characters and is ignored"]);
        for (next, want) in [
            ("/dashboard/o/r/pull/1", "/dashboard/o/r/pull/1"),
            ("https://evil.example", "/dashboard"),
            ("//evil.example", "/dashboard"),
            ("/dashboard//evil", "/dashboard"),
            ("/setup", "/dashboard"),
        ] {
            assert_eq!(safe_next(next), want);
        }
    }
}
