//! The cheap matcher: no model, a quick local figure. Golden comments carry no
//! file or line, so it matches on words: a candidate matches a golden comment
//! when it shares enough of the golden comment's keywords, or fewer when the
//! golden comment names the candidate's file. Crude by design; its numbers are
//! reported apart from the judge's and never mixed with them.

use crate::candidates::Candidate;
use crate::judge::Verdict;
use std::collections::BTreeSet;

/// Share of the golden comment's keywords a candidate must carry.
pub const MIN_SHARE: f64 = 0.35;
/// The same when the golden comment names the candidate's file.
pub const MIN_SHARE_SAME_FILE: f64 = 0.2;

const STOP: &[&str] = &[
    "this", "that", "with", "from", "have", "will", "when", "which", "there", "their", "should", "would", "could", "into", "than", "then", "been",
    "being", "also", "only", "does", "here", "they", "them", "were", "what", "where", "while", "because", "about", "after", "before", "instead",
    "other", "some", "such", "these", "those", "line", "code", "function", "method", "value", "values", "issue", "change", "changes",
];

/// Lower-cased words of four letters or more, without common words; a plural
/// `s` is dropped so `tokens` meets `token`.
pub fn keywords(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .map(|w| w.to_lowercase())
        .filter(|w| w.chars().count() >= 4 && !STOP.contains(&w.as_str()))
        .map(|w| if w.len() > 4 && w.ends_with('s') && !w.ends_with("ss") { w[..w.len() - 1].to_string() } else { w })
        .collect()
}

/// The cheap verdict on one pair; the share of shared keywords is its confidence.
pub fn verdict(golden: &str, cand: &Candidate) -> Verdict {
    let g = keywords(golden);
    let c = keywords(&cand.text);
    let share = if g.is_empty() { 0.0 } else { g.intersection(&c).count() as f64 / g.len() as f64 };
    let file = cand.path.rsplit('/').next().unwrap_or(&cand.path);
    let names_file = !file.is_empty() && golden.contains(file);
    let need = if names_file { MIN_SHARE_SAME_FILE } else { MIN_SHARE };
    Verdict {
        matched: share >= need,
        confidence: (share * 1000.0).round() / 1000.0,
        reasoning: format!("{:.0}% of the keywords shared", share * 100.0),
    }
}
