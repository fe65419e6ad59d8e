//! `GET /status/{owner}/{repo}/{number}`: a pull request's review status for
//! maintainers, from its coordinator. Requires `Authorization: Bearer
//! <STATUS_TOKEN>`; with no token configured the endpoint does not exist (404).

use crate::platform::config::settings;
use crate::respond;
use argus_core::ids::{PrNumber, PrRef, RepoName};
use argus_core::secret::constant_time_eq;
use worker::{Env, Request, Response, Result};

pub async fn handle(req: &Request, env: &Env) -> Result<Response> {
    let cfg = settings(env);
    let Some(token) = cfg.status_token.as_ref() else {
        return respond::error(404, "not found");
    };
    let presented = req.headers().get("authorization")?.unwrap_or_default();
    let presented = bearer(&presented).unwrap_or("");
    if !constant_time_eq(presented.as_bytes(), token.expose().as_bytes()) {
        let mut resp = respond::error(401, "missing or wrong bearer token")?;
        resp.headers_mut().set("www-authenticate", "Bearer")?;
        return Ok(resp);
    }
    let Some(pr) = parse_path(&req.path()) else {
        return respond::error(400, "expected /status/{owner}/{repo}/{number}");
    };
    let wants_html = req.headers().get("accept")?.map(|a| a.contains("text/html")).unwrap_or(false);
    argus_durable::status_response(env, &pr, wants_html).await
}

/// The credentials of an `Authorization: Bearer …` header. The scheme name is
/// case-insensitive (RFC 9110 §11.1).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn parse_path(path: &str) -> Option<PrRef> {
    let rest = path.strip_prefix("/status/")?;
    let mut parts = rest.split('/');
    let (owner, repo, number) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some_and(|p| !p.is_empty()) {
        return None;
    }
    let repo = RepoName::parse(&format!("{owner}/{repo}"))?;
    let number: u64 = number.parse().ok().filter(|n| *n > 0)?;
    Some(PrRef::new(repo, PrNumber(number)))
}

#[cfg(test)]
mod tests {
    use super::{bearer, parse_path};

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearerabc"), None);
        assert_eq!(bearer(""), None);
    }

    #[test]
    fn status_paths() {
        assert_eq!(parse_path("/status/o/r/12").map(|p| p.to_string()), Some("o/r#12".to_string()));
        assert_eq!(parse_path("/status/o/r/12/").map(|p| p.to_string()), Some("o/r#12".to_string()));
        for bad in ["/status/o/r", "/status/o/r/x", "/status/o/r/0", "/status/o/r/1/extra", "/status/o%20/r/1"] {
            assert!(parse_path(bad).is_none(), "{bad}");
        }
    }
}
