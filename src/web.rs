//! Request and response helpers for the browser-facing routes (`/setup`,
//! `/auth/*`, `/dashboard/*`): HTML with the pages' security headers,
//! redirects, cookies, query strings and small form bodies.

use argus_dashboard::{cookie, form, html};
use worker::{Request, Response, Result};

/// Form bodies above this are refused (the dashboard's forms are a few hundred bytes).
const MAX_FORM_BYTES: usize = 16 * 1024;

pub fn html(body: String, status: u16, form_target: Option<&str>) -> Result<Response> {
    let mut resp = Response::ok(body)?.with_status(status);
    for (k, v) in html::page_headers(form_target) {
        resp.headers_mut().set(k, &v)?;
    }
    Ok(resp)
}

pub fn redirect(location: &str, status: u16) -> Result<Response> {
    let mut resp = Response::empty()?.with_status(status);
    resp.headers_mut().set("location", location)?;
    resp.headers_mut().set("cache-control", "no-store")?;
    resp.headers_mut().set("referrer-policy", "same-origin")?;
    Ok(resp)
}

pub fn set_cookies(mut resp: Response, cookies: &[String]) -> Result<Response> {
    for c in cookies {
        resp.headers_mut().append("set-cookie", c)?;
    }
    Ok(resp)
}

/// `scheme://host[:port]` of the request, as the browser addressed it.
pub fn origin(req: &Request) -> Result<String> {
    let url = req.url()?;
    Ok(url.origin().ascii_serialization())
}

pub fn query(req: &Request) -> Result<Vec<(String, String)>> {
    Ok(form::decode(req.url()?.query().unwrap_or("")))
}

/// Every value of cookie `name` the request carries.
pub fn cookies(req: &Request, name: &str) -> Result<Vec<String>> {
    let header = req.headers().get("cookie")?.unwrap_or_default();
    Ok(cookie::values(&header, name).into_iter().map(str::to_string).collect())
}

/// A urlencoded form body; `None` when it is not one or is too large.
pub async fn form_body(req: &mut Request) -> Result<Option<Vec<(String, String)>>> {
    let ctype = req.headers().get("content-type")?.unwrap_or_default();
    if !ctype.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Ok(None);
    }
    if req.headers().get("content-length")?.and_then(|v| v.parse::<usize>().ok()).is_some_and(|n| n > MAX_FORM_BYTES) {
        return Ok(None);
    }
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_FORM_BYTES {
        return Ok(None);
    }
    Ok(Some(form::decode(&String::from_utf8_lossy(&bytes))))
}

pub fn bearer(req: &Request) -> Result<Option<String>> {
    let header = req.headers().get("authorization")?.unwrap_or_default();
    let Some((scheme, token)) = header.trim().split_once(' ') else {
        return Ok(None);
    };
    Ok(scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()))
}

#[cfg(test)]
mod tests {
    /// The `url` crate's IDNA back end is the `idna_adapter` 1.0 stub (see
    /// Cargo.toml), which rejects non-ASCII host names. The only URLs parsed in
    /// Rust are the requests' own, which the runtime hands over in ASCII (an
    /// international domain as `xn--`); outgoing fetches take their URL as text
    /// and the runtime parses it.
    #[test]
    fn request_urls_parse_with_the_idna_stub() {
        let cases = [
            ("https://xn--bcher-kva.example/webhooks/github", "https://xn--bcher-kva.example"),
            ("https://Argus.Example.COM/setup?step=2", "https://argus.example.com"),
            ("http://127.0.0.1:8787/health", "http://127.0.0.1:8787"),
            ("https://argus.example:8443/dashboard", "https://argus.example:8443"),
        ];
        for (url, origin) in cases {
            let parsed = worker::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(parsed.origin().ascii_serialization(), origin);
        }
        assert!(worker::Url::parse("https://bücher.example/").is_err(), "the stub refuses Unicode hosts");
    }
}
