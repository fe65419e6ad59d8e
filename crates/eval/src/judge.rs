//! The judge: one model call per (golden comment, candidate) pair asking
//! whether both describe the same underlying issue, answered as
//! `{"reasoning", "match", "confidence"}` — the benchmark's step 3
//! (`offline/code_review_benchmark/step3_judge_comments.py`). [`evaluate`] then
//! gives each golden comment its most confident match, and every candidate
//! that matched nothing (nor had a duplicate that did) is a false positive.

use crate::candidates::Candidate;
use crate::dataset::GoldenComment;
use serde::{Deserialize, Serialize};

/// The judge's system message.
pub const JUDGE_SYSTEM: &str =
    "You judge automated code reviews against issues verified by people. You answer with one JSON object and nothing else.";

/// The judge's user message for one pair. Both texts are data to compare, not
/// instructions, and are fenced as such.
pub fn judge_prompt(golden: &str, candidate: &str) -> String {
    format!(
        "Decide whether the candidate below raises the same underlying issue as the expected comment.\n\
         Different wording is fine when it is the same problem (the same bug, risk or defect in the same code); \
         a different problem in the same place is not a match.\n\n\
         <expected_comment>\n{}\n</expected_comment>\n\n<candidate>\n{}\n</candidate>\n\n\
         Answer with only this JSON object: {{\"reasoning\": \"one sentence\", \"match\": true or false, \"confidence\": a number from 0 to 1}}",
        golden.trim(),
        candidate.trim()
    )
}

/// What the judge (or the cheap matcher) said about one pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    #[serde(rename = "match")]
    pub matched: bool,
    pub confidence: f64,
    #[serde(default)]
    pub reasoning: String,
}

/// Reads the judge's answer: the JSON object, possibly inside a code fence or
/// after some words. `match` must be a boolean; a missing or odd `confidence`
/// counts as 1 for a match and 0 otherwise, and is clamped to 0..=1.
pub fn parse_verdict(text: &str) -> Result<Verdict, String> {
    let start = text.find('{').ok_or("no JSON object in the judge's answer")?;
    let end = text.rfind('}').filter(|e| *e > start).ok_or("no JSON object in the judge's answer")?;
    let v: serde_json::Value = serde_json::from_str(&text[start..=end]).map_err(|e| format!("the judge's answer is not JSON: {e}"))?;
    let matched = v.get("match").and_then(|m| m.as_bool()).ok_or("the judge's answer has no boolean `match`")?;
    let confidence =
        v.get("confidence").and_then(|c| c.as_f64()).filter(|c| c.is_finite()).unwrap_or(if matched { 1.0 } else { 0.0 }).clamp(0.0, 1.0);
    let reasoning = v.get("reasoning").and_then(|r| r.as_str()).unwrap_or("").to_string();
    Ok(Verdict { matched, confidence, reasoning })
}

/// A golden comment found, with the candidate that found it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub golden_comment: String,
    pub severity: Option<String>,
    pub category: Option<String>,
    pub candidate: usize,
    pub confidence: f64,
}

/// A golden comment no candidate found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Miss {
    pub golden_comment: String,
    pub severity: Option<String>,
    pub category: Option<String>,
}

/// One pull request judged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrEvaluation {
    pub true_positives: Vec<Hit>,
    pub false_negatives: Vec<Miss>,
    /// Candidates (indices) that matched no golden comment, nor did a duplicate of theirs.
    pub false_positives: Vec<usize>,
    pub candidates: usize,
    /// Pairs the judge could not decide (call failed, answer unreadable); such a
    /// pair counts as no match, and the run says how many there were.
    pub errors: Vec<String>,
}

/// Judges every pair through `judge(golden index, candidate index)` and keeps,
/// per golden comment, the match with the highest confidence (the first on a
/// tie). A matched candidate clears its dedupe siblings of being false positives.
pub fn evaluate(
    golden: &[GoldenComment],
    cands: &[Candidate],
    groups: &[Vec<usize>],
    mut judge: impl FnMut(usize, usize) -> Result<Verdict, String>,
) -> PrEvaluation {
    let mut eval = PrEvaluation { candidates: cands.len(), ..Default::default() };
    let mut matched = vec![false; cands.len()];
    let mark = |matched: &mut Vec<bool>, ci: usize| {
        matched[ci] = true;
        for group in groups.iter().filter(|grp| grp.contains(&ci)) {
            let n = matched.len();
            for &s in group.iter().filter(|s| **s < n) {
                matched[s] = true;
            }
        }
    };
    for (gi, g) in golden.iter().enumerate() {
        let mut best: Option<(usize, f64)> = None;
        for ci in 0..cands.len() {
            match judge(gi, ci) {
                // As the benchmark does: a candidate that was ever the best match so
                // far is no false positive, even when a later one is more confident.
                Ok(v) if v.matched && best.is_none_or(|(_, c)| v.confidence > c) => {
                    best = Some((ci, v.confidence));
                    mark(&mut matched, ci);
                }
                Ok(_) => {}
                Err(e) => eval.errors.push(format!("golden {gi} × candidate {ci}: {e}")),
            }
        }
        match best {
            Some((ci, confidence)) => {
                eval.true_positives.push(Hit {
                    golden_comment: g.comment.clone(),
                    severity: g.severity.clone(),
                    category: g.category.clone(),
                    candidate: ci,
                    confidence,
                });
            }
            None => eval.false_negatives.push(Miss { golden_comment: g.comment.clone(), severity: g.severity.clone(), category: g.category.clone() }),
        }
    }
    eval.false_positives = (0..cands.len()).filter(|i| !matched[*i]).collect();
    eval
}
