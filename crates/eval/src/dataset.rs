//! The benchmark's dataset format: one JSON file per source repository under
//! `offline/golden_comments/`, each a list of
//! `{ pr_title, url, comments: [{ comment, severity, category? }] }`, and the
//! PR URLs they name (`https://github.com/{owner}/{repo}/pull/{n}`).

use serde::{Deserialize, Serialize};

/// One human-verified issue a reviewer should find.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldenComment {
    pub comment: String,
    #[serde(default)]
    pub severity: Option<String>,
    /// `bug`, `security`, `perf`, `style`… (see [`crate::score::Profile`]); absent
    /// in older files, and then counted in no profile, as the benchmark does.
    #[serde(default)]
    pub category: Option<String>,
}

/// One pull request of the dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldenPr {
    #[serde(default)]
    pub pr_title: String,
    pub url: String,
    #[serde(default)]
    pub comments: Vec<GoldenComment>,
}

/// Parses one golden comments file. A file that is not the format is an
/// error naming what is wrong; entries without a usable URL are skipped and
/// reported, so one odd entry does not sink a run.
pub fn parse_golden(text: &str) -> Result<(Vec<GoldenPr>, Vec<String>), String> {
    let raw: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|e| format!("not a list of pull requests: {e}"))?;
    let mut prs = Vec::new();
    let mut problems = Vec::new();
    for (i, v) in raw.into_iter().enumerate() {
        match serde_json::from_value::<GoldenPr>(v) {
            Ok(pr) if PrUrl::parse(&pr.url).is_some() => prs.push(pr),
            Ok(pr) => problems.push(format!("entry {i}: {:?} is not a GitHub pull request URL", pr.url)),
            Err(e) => problems.push(format!("entry {i}: {e}")),
        }
    }
    Ok((prs, problems))
}

/// A pull request named by URL.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrUrl {
    pub owner: String,
    pub repo: String,
    pub number: u64,
}

impl PrUrl {
    /// `https://github.com/o/r/pull/7` (a trailing slash, `/files` or a query is
    /// tolerated), or the short form `o/r#7`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let ok = |o: &str, r: &str, n: &str| {
            let valid = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            let number = n.parse::<u64>().ok().filter(|n| *n > 0)?;
            (valid(o) && valid(r)).then(|| PrUrl { owner: o.to_string(), repo: r.to_string(), number })
        };
        if let Some(rest) = s.strip_prefix("https://github.com/").or_else(|| s.strip_prefix("http://github.com/")) {
            let rest = rest.split(['?', '#']).next().unwrap_or(rest);
            let parts: Vec<&str> = rest.split('/').collect();
            return match parts.as_slice() {
                [o, r, "pull", n, ..] => ok(o, r, n),
                _ => None,
            };
        }
        let (repo, n) = s.split_once('#')?;
        let (o, r) = repo.split_once('/')?;
        ok(o, r, n)
    }

    /// A file name for this PR's cached diff, stable and safe on every platform.
    pub fn cache_name(&self) -> String {
        format!("{}__{}__{}.diff", self.owner, self.repo, self.number)
    }
}

impl std::fmt::Display for PrUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}#{}", self.owner, self.repo, self.number)
    }
}

/// The published dataset's files, relative to the repository root
/// (<https://github.com/withmartian/code-review-benchmark/tree/main/offline/golden_comments>).
pub const MARTIAN_GOLDEN_FILES: [&str; 5] = [
    "offline/golden_comments/cal_dot_com.json",
    "offline/golden_comments/discourse.json",
    "offline/golden_comments/grafana.json",
    "offline/golden_comments/keycloak.json",
    "offline/golden_comments/sentry.json",
];
/// The repository holding them, and the branch read.
pub const MARTIAN_REPO: &str = "withmartian/code-review-benchmark";
pub const MARTIAN_REF: &str = "main";
