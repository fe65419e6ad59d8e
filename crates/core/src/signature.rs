//! Webhook signature verification: `X-Hub-Signature-256` is `sha256=` followed by
//! the hex HMAC-SHA256 of the raw body under the webhook secret
//! (<https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries>).
//! Fails closed: with no secret configured nothing verifies.

use crate::secret::SecretString;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// One or more webhook secrets. Several are accepted so a secret can be rotated
/// without dropping deliveries: configure `new,old`, update GitHub, then drop `old`.
#[derive(Clone, Debug, Default)]
pub struct WebhookSecrets(Vec<SecretString>);

impl WebhookSecrets {
    /// Parses the comma-separated `GITHUB_WEBHOOK_SECRET` value; blank entries are dropped.
    pub fn parse(raw: &str) -> Self {
        Self(raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(SecretString::new).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no webhook secret is configured (set GITHUB_WEBHOOK_SECRET); refusing every delivery")]
    NoSecretConfigured,
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    #[error("X-Hub-Signature-256 is not of the form sha256=<64 hex digits>")]
    Malformed,
    #[error("signature does not match the body")]
    Mismatch,
}

/// Verifies `header` (the `X-Hub-Signature-256` value, if any) against `body`.
/// Each configured secret is tried with a constant-time comparison.
pub fn verify(secrets: &WebhookSecrets, header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NoSecretConfigured);
    }
    let header = header.ok_or(SignatureError::Missing)?;
    let hex = header.trim().strip_prefix("sha256=").ok_or(SignatureError::Malformed)?;
    let expected = decode_hex_32(hex).ok_or(SignatureError::Malformed)?;
    let mut ok = false;
    for secret in &secrets.0 {
        let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC accepts any key length");
        mac.update(body);
        // verify_slice compares in constant time; every secret is tried so the
        // time taken does not reveal which one matched.
        ok |= mac.verify_slice(&expected).is_ok();
    }
    if ok { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// Computes the header value GitHub would send for `body` (used by tests, the
/// benchmark and the local webhook sender's Rust counterpart).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in bytes.iter() {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap());
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap());
    }
    out
}

fn decode_hex_32(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's published test vector.
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn github_test_vector_verifies() {
        assert_eq!(verify(&WebhookSecrets::parse(SECRET), Some(SIG), BODY), Ok(()));
        assert_eq!(sign(SECRET, BODY), SIG);
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let upper = format!("sha256={}", SIG[7..].to_uppercase());
        assert_eq!(verify(&WebhookSecrets::parse(SECRET), Some(&upper), BODY), Ok(()));
    }

    #[test]
    fn rotation_accepts_any_configured_secret() {
        let secrets = WebhookSecrets::parse(" new-secret , It's a Secret to Everybody ,");
        assert_eq!(secrets.len(), 2);
        assert_eq!(verify(&secrets, Some(SIG), BODY), Ok(()));
    }

    #[test]
    fn mutations_are_rejected() {
        let s = WebhookSecrets::parse(SECRET);
        let cases: Vec<(Option<String>, &[u8], SignatureError)> = vec![
            (None, BODY, SignatureError::Missing),
            (Some(String::new()), BODY, SignatureError::Malformed),
            (Some(SIG.replace("sha256=", "sha1=")), BODY, SignatureError::Malformed),
            (Some(SIG[..SIG.len() - 1].to_string()), BODY, SignatureError::Malformed),
            (Some(format!("{SIG}0")), BODY, SignatureError::Malformed),
            (Some(SIG.replace('7', "g")), BODY, SignatureError::Malformed),
            (Some(SIG.replace("757107", "757108")), BODY, SignatureError::Mismatch),
            (Some(SIG.to_string()), b"Hello, World?", SignatureError::Mismatch),
            (Some(SIG.to_string()), b"", SignatureError::Mismatch),
            (Some(SIG.to_string()), b"Hello, World!\n", SignatureError::Mismatch),
        ];
        for (header, body, want) in cases {
            assert_eq!(verify(&s, header.as_deref(), body), Err(want), "{header:?}");
        }
    }

    #[test]
    fn no_secret_fails_closed() {
        for raw in ["", " ", ",", " , "] {
            assert_eq!(verify(&WebhookSecrets::parse(raw), Some(SIG), BODY), Err(SignatureError::NoSecretConfigured));
        }
    }

    #[test]
    fn wrong_secret_is_a_mismatch() {
        assert_eq!(verify(&WebhookSecrets::parse("other"), Some(SIG), BODY), Err(SignatureError::Mismatch));
    }
}
