//! Prints what the risk rule does over the real corpus (issue 13, "stay quiet
//! on clean code"): every diff of `../shared/corpora/diffs/real` reviewed as an
//! opened PR by the whole pipeline with the scripted model of the native tests
//! (one finding per file it is shown; the verifier confirms every claim), then
//! the median inline findings per PR, how many PRs the rule found trivial, the
//! share of those with zero findings, and what the same model would have
//! posted on them without the rule (the same PRs asked for by a command).
//!
//! `cargo run --release -p argus-pipeline --example quiet`

#[allow(dead_code)]
#[path = "../tests/harness.rs"]
mod harness;

use argus_coordinator::ReviewPipeline;
use argus_core::job::ReviewMode;
use argus_pipeline::Publication;
use futures_executor::block_on;
use harness::*;

/// Inline comments posted, whether the rule kept the PR from the model, and model calls.
fn review(name: &str, asked: bool) -> (usize, bool, usize) {
    let w = world(per_file_model());
    w.github.add_pull_request(pr(HEAD1, corpus_files(name)));
    let j = job(HEAD1, None, ReviewMode::Incremental);
    let j = if asked { command(j) } else { j };
    let check = block_on(w.service.start_check(&j)).expect("check run");
    let report = block_on(w.service.run(&j)).expect("run");
    block_on(w.service.publish(&j, &report, check)).expect("publish");
    let quiet =
        serde_json::from_value::<Publication>(report.publication.clone()).ok().and_then(|p| p.review).is_some_and(|r| r.notes.quiet.is_some());
    (w.github.submitted_reviews().iter().map(|r| r.comments.len()).sum(), quiet, w.llm.calls() + w.llm.verification_calls())
}

fn median(v: &mut [usize]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 }
}

fn main() {
    let dir = repo_root().join("../shared/corpora/diffs/real");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the shared corpus")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".diff"))
        .collect();
    names.sort();
    let mut inline = Vec::new();
    let mut trivial = Vec::new();
    for name in &names {
        let (n, quiet, _) = review(name, false);
        inline.push(n);
        if quiet {
            trivial.push((name.clone(), n));
        }
    }
    let zero = trivial.iter().filter(|(_, n)| *n == 0).count();
    let without_rule: Vec<(usize, usize)> = trivial.iter().map(|(name, _)| review(name, true)).map(|(n, _, calls)| (n, calls)).collect();
    let mut nontrivial: Vec<usize> = names.iter().zip(&inline).filter(|(n, _)| !trivial.iter().any(|(t, _)| t == *n)).map(|(_, i)| *i).collect();
    println!("PRs (real corpus diffs): {}", names.len());
    println!("median inline findings per PR: {:.1} (non-trivial PRs: {:.1})", median(&mut inline.clone()), median(&mut nontrivial));
    println!(
        "trivial by the risk rule: {} ({:.1} %), of which {} with zero findings ({:.1} %)",
        trivial.len(),
        100.0 * trivial.len() as f64 / names.len().max(1) as f64,
        zero,
        100.0 * zero as f64 / trivial.len().max(1) as f64
    );
    println!(
        "the same trivial PRs without the rule (asked by a command): {} inline findings in all, {} model calls saved",
        without_rule.iter().map(|(n, _)| n).sum::<usize>(),
        without_rule.iter().map(|(_, c)| c).sum::<usize>()
    );
    for (name, _) in &trivial {
        println!("  trivial: {name}");
    }
}
