//! Precision, recall and F-beta under the benchmark's category profiles
//! (`offline/analysis/score_profiles.py`): true positives and false negatives
//! count only when their golden comment's category is in the profile; every
//! false positive counts in every profile (a tool is charged for all the noise
//! it makes). Also the scoring of other tools from the benchmark's published
//! `evaluations.json`, so peers are scored by the same rules.

use crate::dataset::GoldenPr;
use crate::judge::PrEvaluation;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Strict,
    Core,
    All,
}

impl Profile {
    pub const EVERY: [Profile; 3] = [Profile::Strict, Profile::Core, Profile::All];

    /// The golden categories the profile counts.
    pub fn categories(self) -> &'static [&'static str] {
        const STRICT: &[&str] = &["bug", "security", "concurrency", "data", "api"];
        const CORE: &[&str] = &["bug", "security", "concurrency", "data", "api", "perf", "test_gap", "doc_defect"];
        const ALL: &[&str] = &["bug", "security", "concurrency", "data", "api", "perf", "test_gap", "doc_defect", "style", "speculative"];
        match self {
            Profile::Strict => STRICT,
            Profile::Core => CORE,
            Profile::All => ALL,
        }
    }

    pub fn counts(self, category: Option<&str>) -> bool {
        category.is_some_and(|c| self.categories().contains(&c))
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Strict => "strict",
            Profile::Core => "core",
            Profile::All => "all",
        }
    }
}

/// F-beta: beta > 1 weighs recall more (F2), beta < 1 precision.
pub fn fbeta(precision: f64, recall: f64, beta: f64) -> f64 {
    let b2 = beta * beta;
    let denom = b2 * precision + recall;
    if denom > 0.0 { (1.0 + b2) * precision * recall / denom } else { 0.0 }
}

/// One PR reduced to what scoring needs: the categories of the golden comments
/// found and missed, and the number of false positives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub found: Vec<Option<String>>,
    pub missed: Vec<Option<String>>,
    pub false_positives: usize,
}

impl From<&PrEvaluation> for Tally {
    fn from(e: &PrEvaluation) -> Self {
        Tally {
            found: e.true_positives.iter().map(|h| h.category.clone()).collect(),
            missed: e.false_negatives.iter().map(|m| m.category.clone()).collect(),
            false_positives: e.false_positives.len(),
        }
    }
}

/// The totals of one tool under one profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub prs: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub f2: f64,
}

/// Scores PRs under `profile`. Precision and recall are 0 when undefined (no
/// candidates, no golden comment in the profile), as the benchmark reports them.
pub fn score<'a>(prs: impl IntoIterator<Item = &'a Tally>, profile: Profile) -> Score {
    let mut s = Score::default();
    for t in prs {
        s.prs += 1;
        s.tp += t.found.iter().filter(|c| profile.counts(c.as_deref())).count();
        s.fn_ += t.missed.iter().filter(|c| profile.counts(c.as_deref())).count();
        s.fp += t.false_positives;
    }
    let ratio = |a: usize, b: usize| if a + b > 0 { a as f64 / (a + b) as f64 } else { 0.0 };
    s.precision = ratio(s.tp, s.fp);
    s.recall = ratio(s.tp, s.fn_);
    s.f1 = fbeta(s.precision, s.recall, 1.0);
    s.f2 = fbeta(s.precision, s.recall, 2.0);
    s
}

/// Tool name → its tallies, one per PR.
pub type PeerTallies = BTreeMap<String, Vec<Tally>>;

/// Other tools' tallies from the benchmark's `evaluations.json`
/// (`{ pr_url: { tool: { true_positives: [{golden_comment, category?}], false_negatives: […], fp, skipped? } } }`),
/// limited to the PRs of `dataset` so every row covers the same PRs. A
/// category missing from an entry is looked up by the golden comment's text.
/// Returns tool → tallies, and what could not be read.
pub fn peer_tallies(evaluations: &str, dataset: &[GoldenPr]) -> Result<(PeerTallies, Vec<String>), String> {
    let v: BTreeMap<String, BTreeMap<String, serde_json::Value>> =
        serde_json::from_str(evaluations).map_err(|e| format!("not the benchmark's evaluations format: {e}"))?;
    let categories: HashMap<&str, &str> =
        dataset.iter().flat_map(|p| &p.comments).filter_map(|c| Some((c.comment.as_str(), c.category.as_deref()?))).collect();
    let wanted: HashMap<crate::dataset::PrUrl, ()> = dataset.iter().filter_map(|p| crate::dataset::PrUrl::parse(&p.url)).map(|u| (u, ())).collect();
    let mut out: BTreeMap<String, Vec<Tally>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (url, tools) in &v {
        if !crate::dataset::PrUrl::parse(url).is_some_and(|u| wanted.contains_key(&u)) {
            continue;
        }
        for (tool, e) in tools {
            if e.get("skipped").and_then(|s| s.as_bool()) == Some(true) {
                continue;
            }
            let cats = |key: &str| -> Vec<Option<String>> {
                e.get(key)
                    .and_then(|a| a.as_array())
                    .into_iter()
                    .flatten()
                    .map(|x| {
                        x.get("category").and_then(|c| c.as_str()).filter(|c| !c.is_empty()).map(str::to_string).or_else(|| {
                            let text = x.get("golden_comment").and_then(|g| g.as_str()).unwrap_or("");
                            categories.get(text).map(|c| c.to_string())
                        })
                    })
                    .collect()
            };
            let Some(fp) = e.get("fp").and_then(|f| f.as_u64()) else {
                problems.push(format!("{url} {tool}: no `fp` count"));
                continue;
            };
            out.entry(tool.clone()).or_default().push(Tally {
                found: cats("true_positives"),
                missed: cats("false_negatives"),
                false_positives: fp as usize,
            });
        }
    }
    Ok((out, problems))
}
