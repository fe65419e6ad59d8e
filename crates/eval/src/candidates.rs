//! Candidates: the issues a review raised, one per finding. The benchmark asks
//! an LLM to extract them from free-form review text; ArgusAI's findings are
//! already one issue each, so extraction is a plain mapping and costs nothing.
//! Candidates that say the same thing are grouped ([`dedupe_groups`]): when one
//! of a group matches a golden comment, its siblings are not counted as false
//! positives (the benchmark's `dedup_groups.json`).

use crate::cheap::keywords;
use serde::{Deserialize, Serialize};

/// One issue a review raised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// What the judge reads: where, how bad, and what is wrong.
    pub text: String,
    pub path: String,
    pub line: u32,
    pub severity: String,
    pub category: String,
}

impl Candidate {
    /// From one finding's fields (`title` and `body` as the model wrote them).
    pub fn new(path: &str, line: u32, severity: &str, category: &str, title: &str, body: &str) -> Self {
        let text = format!("{path}:{line} [{severity}, {category}] {}\n{}", title.trim(), body.trim()).trim_end().to_string();
        Candidate { text, path: path.to_string(), line, severity: severity.to_string(), category: category.to_string() }
    }
}

/// Lines apart within which two findings on one file may be one issue.
pub const DEDUPE_LINES: u32 = 5;
/// Share of shared keywords (Jaccard) above which two nearby findings are one issue.
pub const DEDUPE_OVERLAP: f64 = 0.5;

/// Groups of candidates (indices, each group sorted, groups ordered by their
/// first member) that describe the same issue: same file, at most
/// [`DEDUPE_LINES`] apart, and keyword overlap of at least [`DEDUPE_OVERLAP`].
/// Transitive (union-find), so a chain of near-duplicates is one group.
/// Singletons are left out, as in the benchmark's files.
pub fn dedupe_groups(cands: &[Candidate]) -> Vec<Vec<usize>> {
    let words: Vec<_> = cands.iter().map(|c| keywords(&c.text)).collect();
    let mut parent: Vec<usize> = (0..cands.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for a in 0..cands.len() {
        for b in a + 1..cands.len() {
            let (x, y) = (&cands[a], &cands[b]);
            if x.path != y.path || x.line.abs_diff(y.line) > DEDUPE_LINES {
                continue;
            }
            let inter = words[a].intersection(&words[b]).count();
            let union = words[a].union(&words[b]).count();
            if union > 0 && inter as f64 / union as f64 >= DEDUPE_OVERLAP {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..cands.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().filter(|g| g.len() > 1).collect()
}
