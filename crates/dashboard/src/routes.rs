//! The dashboard's paths, parsed into what they name. Anything that does not
//! parse is a 404, like a repository the user may not see.

use argus_core::ids::{PrNumber, PrRef, RepoName};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DashRoute {
    /// `/dashboard`
    Home,
    /// `/dashboard/{owner}/{repo}`
    Repo(RepoName),
    /// `/dashboard/{owner}/{repo}/pull/{n}`
    Pr(PrRef),
}

pub fn parse(path: &str) -> Option<DashRoute> {
    let rest = path.strip_prefix("/dashboard")?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() {
        return Some(DashRoute::Home);
    }
    let parts: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
    match parts.as_slice() {
        [owner, repo] => Some(DashRoute::Repo(RepoName::parse(&format!("{owner}/{repo}"))?)),
        [owner, repo, "pull", n] => {
            let repo = RepoName::parse(&format!("{owner}/{repo}"))?;
            let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
            Some(DashRoute::Pr(PrRef::new(repo, PrNumber(n))))
        }
        _ => None,
    }
}

/// Whether a request asks for the JSON twin: `?format=json`, or an `Accept`
/// header that prefers JSON over HTML.
pub fn wants_json(query: &[(String, String)], accept: Option<&str>) -> bool {
    if let Some(f) = crate::form::get(query, "format") {
        return f == "json";
    }
    let accept = accept.unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse("/dashboard"), Some(DashRoute::Home));
        assert_eq!(parse("/dashboard/"), Some(DashRoute::Home));
        assert_eq!(parse("/dashboard/o/r"), Some(DashRoute::Repo(RepoName::new("o", "r"))));
        assert_eq!(parse("/dashboard/o/r/pull/3"), Some(DashRoute::Pr(PrRef::new(RepoName::new("o", "r"), PrNumber(3)))));
        for bad in [
            "/dashboardx",
            "/dashboard/o",
            "/dashboard/o/r/pull/0",
            "/dashboard/o/r/pull/x",
            "/dashboard/o/r/issues/3",
            "/dashboard/o%2F/r",
            "/dashboard/o/r/pull/3/x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_twins() {
        let q = |s: &str| crate::form::decode(s);
        assert!(wants_json(&q("format=json"), Some("text/html")));
        assert!(!wants_json(&q("format=html"), Some("application/json")));
        assert!(wants_json(&q(""), Some("application/json")));
        assert!(!wants_json(&q(""), Some("text/html,application/xhtml+xml,application/json;q=0.9")));
        assert!(!wants_json(&q(""), None));
    }
}
