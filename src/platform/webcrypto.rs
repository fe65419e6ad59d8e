//! RS256 App JWTs signed by the runtime's WebCrypto (`crypto.subtle`), about ten
//! times cheaper in workerd than pure-Rust RSA (measured: see README). The PEM
//! is converted and imported once per isolate; the `CryptoKey` is reused.

use argus_core::secret::SecretString;
use argus_github::auth::{AppJwtClaims, JwtSigner};
use argus_github::error::AuthError;
use base64::Engine as _;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// DER of `AlgorithmIdentifier { rsaEncryption, NULL }`.
const RSA_ALGORITHM_ID: [u8; 15] = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/// Turns a PEM private key into PKCS#8 DER, the only RSA private format
/// WebCrypto imports. GitHub hands out PKCS#1 (`BEGIN RSA PRIVATE KEY`), which is
/// wrapped in a `PrivateKeyInfo`; PKCS#8 (`BEGIN PRIVATE KEY`) passes through.
pub fn pem_to_pkcs8_der(pem: &str) -> Result<Vec<u8>, AuthError> {
    let pem = if pem.contains("\\n") && !pem.contains('\n') { pem.replace("\\n", "\n") } else { pem.to_string() };
    let (label, body) = pem_body(&pem).ok_or_else(|| AuthError::MalformedKey("no PEM `-----BEGIN …-----` block".into()))?;
    let der =
        base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| AuthError::MalformedKey("the PEM body is not valid base64".into()))?;
    match label.as_str() {
        "PRIVATE KEY" => Ok(der),
        "RSA PRIVATE KEY" => {
            let mut inner = vec![0x02, 0x01, 0x00]; // version 0
            inner.extend_from_slice(&RSA_ALGORITHM_ID);
            inner.push(0x04); // OCTET STRING holding the PKCS#1 key
            push_der_len(&mut inner, der.len());
            inner.extend_from_slice(&der);
            let mut out = vec![0x30];
            push_der_len(&mut out, inner.len());
            out.extend_from_slice(&inner);
            Ok(out)
        }
        other => Err(AuthError::MalformedKey(format!("unsupported PEM type `{other}`"))),
    }
}

fn pem_body(pem: &str) -> Option<(String, String)> {
    let start = pem.find("-----BEGIN ")?;
    let rest = &pem[start + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end = rest.find("-----END ")?;
    let body: String = rest[body_start..end].chars().filter(|c| !c.is_whitespace()).collect();
    Some((label, body))
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// A signer holding an imported, non-extractable WebCrypto key.
pub struct WebCryptoSigner {
    key: web_sys::CryptoKey,
}

fn js_err(what: &str, e: JsValue) -> AuthError {
    AuthError::Signing(format!("{what}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}"))))
}

fn subtle() -> Result<web_sys::SubtleCrypto, AuthError> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(|e| js_err("no crypto global", e))?;
    let crypto: web_sys::Crypto = crypto.dyn_into().map_err(|e| js_err("crypto is not WebCrypto", e))?;
    Ok(crypto.subtle())
}

fn algorithm() -> Object {
    let alg = Object::new();
    let _ = Reflect::set(&alg, &"name".into(), &"RSASSA-PKCS1-v1_5".into());
    let _ = Reflect::set(&alg, &"hash".into(), &"SHA-256".into());
    alg
}

impl WebCryptoSigner {
    pub async fn import(pem: &SecretString) -> Result<Self, AuthError> {
        let der = pem_to_pkcs8_der(pem.expose().trim())?;
        let data = Uint8Array::from(der.as_slice());
        let usages = Array::of1(&JsValue::from_str("sign"));
        let promise = subtle()?.import_key_with_object("pkcs8", &data.buffer(), &algorithm(), false, &usages).map_err(|e| js_err("importKey", e))?;
        let key =
            JsFuture::from(promise).await.map_err(|_| AuthError::MalformedKey("WebCrypto could not import the key as an RSA private key".into()))?;
        Ok(Self { key: key.unchecked_into() })
    }
}

impl JwtSigner for WebCryptoSigner {
    async fn sign(&self, claims: &AppJwtClaims) -> Result<String, AuthError> {
        let input = claims.signing_input();
        let promise = subtle()?.sign_with_object_and_u8_array(&algorithm(), &self.key, input.as_bytes()).map_err(|e| js_err("sign", e))?;
        let sig = JsFuture::from(promise).await.map_err(|e| js_err("sign", e))?;
        let sig = Uint8Array::new(&sig).to_vec();
        Ok(format!("{input}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths() {
        let mut v = Vec::new();
        push_der_len(&mut v, 5);
        push_der_len(&mut v, 0x80);
        push_der_len(&mut v, 1190);
        assert_eq!(v, vec![5, 0x81, 0x80, 0x82, 0x04, 0xa6]);
    }

    #[test]
    fn pkcs1_is_wrapped_and_pkcs8_passes_through() {
        // A tiny fake "key" body: the wrapper does not parse the PKCS#1 contents.
        let body = base64::engine::general_purpose::STANDARD.encode([0x30, 0x03, 0x02, 0x01, 0x00]);
        let pkcs1 = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n");
        let der = pem_to_pkcs8_der(&pkcs1).unwrap();
        assert_eq!(&der[..2], &[0x30, 3 + 15 + 2 + 5]);
        assert_eq!(&der[2..5], &[0x02, 0x01, 0x00]);
        assert_eq!(&der[5..20], &RSA_ALGORITHM_ID);
        assert_eq!(&der[20..22], &[0x04, 5]);
        let pkcs8 = pkcs1.replace("RSA PRIVATE KEY", "PRIVATE KEY");
        assert_eq!(pem_to_pkcs8_der(&pkcs8).unwrap(), vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        // Escaped newlines, as keys are often pasted into env vars.
        assert_eq!(pem_to_pkcs8_der(&pkcs1.replace('\n', "\\n")).unwrap(), der);
        assert!(matches!(pem_to_pkcs8_der("garbage"), Err(AuthError::MalformedKey(_))));
        assert!(matches!(pem_to_pkcs8_der("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"), Err(AuthError::MalformedKey(_))));
    }
}
