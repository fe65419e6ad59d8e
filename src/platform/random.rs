//! Random bytes from the runtime's CSPRNG (`crypto.getRandomValues`), for
//! session ids, OAuth state, PKCE verifiers and the secrets setup generates.

use argus_dashboard::session::Random;
use base64::Engine as _;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

pub struct CryptoRandom;

impl Random for CryptoRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        // getRandomValues fills at most 65536 bytes per call.
        let crypto: web_sys::Crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
            .ok()
            .and_then(|c| c.dyn_into().ok())
            .expect("the Workers runtime has WebCrypto");
        for chunk in buf.chunks_mut(65_536) {
            crypto.get_random_values_with_u8_array(chunk).expect("getRandomValues fills small buffers");
        }
    }
}

/// `n` random bytes as base64url (no padding).
pub fn token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    CryptoRandom.fill(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}
