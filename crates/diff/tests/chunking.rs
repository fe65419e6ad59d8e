//! Chunking over the whole real corpus: every changed line is in exactly one
//! chunk or listed as not reviewed (no silent drops, no double review), and no
//! chunk exceeds the budget.

use crate::common::real_diffs;
use argus_diff::chunk::{Budget, NotReviewedReason, plan, render_chunk};
use argus_diff::diff::{LineKind, parse_unified};
use argus_diff::prompt::ContextOptions;
use argus_diff::select::{SelectConfig, select};
use argus_diff::tokens::estimate;
use std::collections::HashMap;

fn budgets() -> Vec<Budget> {
    vec![
        // GitHub Models free tier, separate output limit.
        Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None },
        // Tiny: forces file and hunk splits and single lines that do not fit.
        Budget { input_limit: 300, reserved_output: 50, prompt_overhead: 100, max_chunks: None },
        // Capped request count: the rest must be reported, not dropped.
        Budget { input_limit: 2000, reserved_output: 0, prompt_overhead: 500, max_chunks: Some(2) },
    ]
}

#[test]
fn every_changed_line_is_chunked_or_reported_once() {
    let cfg = SelectConfig { max_files: 20, max_changed_lines_per_file: 500, ..SelectConfig::default() };
    let mut seen_reasons: HashMap<&'static str, usize> = HashMap::new();
    for budget in budgets() {
        for (name, text) in real_diffs() {
            let d = parse_unified(&text);
            let sel = select(&d.files, &cfg).expect("valid config");
            let p = plan(&d.files, &sel, &budget, &[], ContextOptions::default());
            // (file, hunk, line) -> times covered
            let mut covered: HashMap<(usize, usize, usize), u32> = HashMap::new();
            let mut whole_files: HashMap<usize, u32> = HashMap::new();
            for c in &p.chunks {
                assert!(c.tokens <= p.available, "{name}: chunk of {} > {}", c.tokens, p.available);
                let rendered = render_chunk(&d.files, c, &[], ContextOptions::default());
                assert!(estimate(&rendered) <= c.tokens, "{name}: rendered chunk estimate above planned tokens");
                for part in &c.files {
                    for s in &part.segments {
                        for li in s.lines.clone() {
                            *covered.entry((part.file, s.hunk, li)).or_default() += 1;
                        }
                    }
                }
            }
            for n in &p.not_reviewed {
                let key = match &n.reason {
                    NotReviewedReason::Skipped { .. } => "skipped",
                    NotReviewedReason::LineTooLong { .. } => "line_too_long",
                    NotReviewedReason::ChunkLimit { .. } => "chunk_limit",
                };
                *seen_reasons.entry(key).or_default() += 1;
                match &n.segment {
                    Some(s) => {
                        for li in s.lines.clone() {
                            *covered.entry((n.file, s.hunk, li)).or_default() += 1;
                        }
                    }
                    None => *whole_files.entry(n.file).or_default() += 1,
                }
            }
            for (fi, f) in d.files.iter().enumerate() {
                let whole = whole_files.get(&fi).copied().unwrap_or(0);
                assert!(whole <= 1, "{name}: file {fi} reported {whole} times");
                for (hi, h) in f.hunks.iter().enumerate() {
                    for (li, l) in h.lines.iter().enumerate() {
                        let times = covered.get(&(fi, hi, li)).copied().unwrap_or(0) + whole;
                        if l.kind != LineKind::Context {
                            assert_eq!(times, 1, "{name}: {} hunk {hi} line {li} covered {times} times", f.path());
                        } else {
                            assert!(times <= 1, "{name}: context line covered twice");
                        }
                    }
                }
            }
        }
    }
    // The budgets above exercise every reason.
    for k in ["skipped", "line_too_long", "chunk_limit"] {
        assert!(seen_reasons.get(k).copied().unwrap_or(0) > 0, "reason {k} never exercised: {seen_reasons:?}");
    }
}

#[test]
fn chunks_follow_value_order_and_free_tier_packs_tightly() {
    // The largest real diff under the free-tier budget: chunks are few and
    // the first holds the most valuable (source) files.
    let (name, text) = real_diffs().into_iter().max_by_key(|(_, t)| t.len()).expect("corpus");
    let d = parse_unified(&text);
    let sel = select(&d.files, &SelectConfig::default()).expect("valid config");
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None };
    let p = plan(&d.files, &sel, &budget, &[], ContextOptions::default());
    let total: u32 = p.chunks.iter().map(|c| c.tokens).sum();
    let lower_bound = total.div_ceil(p.available) as usize;
    assert!(p.chunks.len() <= lower_bound + 1, "{name}: {} chunks for a lower bound of {lower_bound}", p.chunks.len());
    let ranks: Vec<usize> = p
        .chunks
        .iter()
        .map(|c| c.files.iter().map(|f| sel.kept.iter().position(|k| k.index == f.file).expect("kept")).min().expect("non-empty"))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{name}: chunks not in value order: {ranks:?}");
}
