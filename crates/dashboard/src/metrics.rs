//! One Workers Analytics Engine data point per review that ran, when the
//! optional `REVIEW_METRICS` binding exists (none = nothing written). The
//! layout below is the contract the README's SQL relies on
//! (<https://developers.cloudflare.com/analytics/analytics-engine/sql-api/>).

use argus_coordinator::machine::{HistoryEntry, Outcome};
use argus_core::ids::RepoName;

/// The binding name in wrangler.toml.
pub const BINDING: &str = "REVIEW_METRICS";

/// One data point: `index1` is the repository (Analytics Engine samples per index),
/// then blobs and doubles in this order:
///
/// | column | value |
/// |---|---|
/// | `blob1` | repository (`owner/repo`) |
/// | `blob2` | outcome (`posted`, `superseded`, `failed`, `dead_lettered`, `late`) |
/// | `blob3` | mode (`incremental`, `full`) |
/// | `blob4` | pull request number |
/// | `double1` | duration in ms (0 when the review did not finish) |
/// | `double2` | input tokens |
/// | `double3` | output tokens |
/// | `double4` | model cost in US dollars (0 when unknown) |
/// | `double5` | new findings |
/// | `double6` | critical and high findings |
#[derive(Clone, Debug, PartialEq)]
pub struct DataPoint {
    pub index: String,
    pub blobs: Vec<String>,
    pub doubles: Vec<f64>,
}

/// The point for a history entry; `None` for a job that never ran (cancelled before a lease).
pub fn review_point(repo: &RepoName, pr: u64, h: &HistoryEntry) -> Option<DataPoint> {
    if h.outcome == Outcome::Cancelled {
        return None;
    }
    let name = |v: serde_json::Value| v.as_str().map(str::to_string).unwrap_or_default();
    let repo = repo.full_name();
    Some(DataPoint {
        index: repo.clone(),
        blobs: vec![
            repo,
            name(serde_json::to_value(h.outcome).unwrap_or_default()),
            name(serde_json::to_value(h.mode).unwrap_or_default()),
            pr.to_string(),
        ],
        doubles: vec![
            h.duration_ms.unwrap_or(0) as f64,
            h.tokens_in.unwrap_or(0) as f64,
            h.tokens_out.unwrap_or(0) as f64,
            h.cost_micro_usd.map(|m| m as f64 / 1e6).unwrap_or(0.0),
            f64::from(h.findings.unwrap_or(0)),
            f64::from(h.severities.critical.saturating_add(h.severities.high)),
        ],
    })
}

/// Cost per repository over the last 30 days (the README shows it). The
/// dataset name is the one in wrangler.toml; `_sample_interval` undoes sampling.
pub const COST_PER_REPOSITORY_SQL: &str = "SELECT blob1 AS repository,
       SUM(_sample_interval * double4) AS cost_usd,
       SUM(_sample_interval) AS reviews,
       SUM(_sample_interval * double2) AS tokens_in
FROM argusai_reviews
WHERE timestamp > NOW() - INTERVAL '30' DAY
GROUP BY repository
ORDER BY cost_usd DESC";

#[cfg(test)]
mod tests {
    use super::*;
    use argus_core::ids::{CommitSha, UnixMillis};
    use argus_core::job::ReviewMode;
    use argus_core::severity::Severity;

    #[test]
    fn a_posted_review_becomes_one_point() {
        let h = HistoryEntry {
            job_id: "2-9".into(),
            head_sha: CommitSha("b".repeat(40)),
            mode: ReviewMode::Incremental,
            outcome: Outcome::Posted,
            queued_at: UnixMillis(0),
            finished_at: UnixMillis(5),
            duration_ms: Some(2100),
            findings: Some(3),
            tokens_in: Some(900),
            tokens_out: Some(120),
            runs: 1,
            coalesced_pushes: 0,
            note: None,
            cost_micro_usd: Some(1500),
            severities: [Severity::Critical, Severity::High, Severity::Low].into_iter().collect(),
            subrequests: Default::default(),
        };
        let p = review_point(&RepoName::new("o", "r"), 12, &h).unwrap();
        assert_eq!(p.index, "o/r");
        assert_eq!(p.blobs, ["o/r", "posted", "incremental", "12"]);
        assert_eq!(p.doubles, [2100.0, 900.0, 120.0, 0.0015, 3.0, 2.0]);
        assert!(review_point(&RepoName::new("o", "r"), 12, &HistoryEntry { outcome: Outcome::Cancelled, ..h }).is_none());
        assert!(COST_PER_REPOSITORY_SQL.contains("double4") && COST_PER_REPOSITORY_SQL.contains("blob1"));
    }
}
