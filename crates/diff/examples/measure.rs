//! Prints prompt-size and estimator figures on the real corpus, with a real BPE
//! tokenizer (o200k_base via tiktoken-rs): tokens per changed line for the raw
//! GitHub patch, the per-file unified diff, PR-Agent's `## File:` +
//! `__new hunk__`/`__old hunk__` format and ours; and the error of
//! `tokens::estimate` against o200k. Run:
//! `cargo run --release -p argus-diff --example measure`.

use argus_diff::diff::{FileDiff, LineKind, parse_unified, render_file, render_hunks};
use argus_diff::prompt::{self, ContextOptions};
use argus_diff::tokens::estimate;
use std::fmt::Write;
use std::path::Path;

/// PR-Agent's format (pr_agent/algo/git_patch_processing.py,
/// `decouple_and_convert_to_hunks_with_lines_numbers`): per file
/// `## File: 'path'`, then per hunk the `@@` line, a `__new hunk__` block with
/// new numbers on every new-side line, and an `__old hunk__` block repeating
/// the old side when it has removed lines.
fn pr_agent(f: &FileDiff<'_>) -> String {
    let mut out = format!("\n\n## File: '{}'\n", f.path());
    for h in &f.hunks {
        let _ = write!(out, "\n@@ -{},{} +{},{} @@{}\n", h.old_start, h.old_count, h.new_start, h.new_count, h.section.trim_end());
        out.push_str("__new hunk__\n");
        for l in &h.lines {
            match l.kind {
                LineKind::Context => {
                    let _ = writeln!(out, "{}  {}", l.new.map_or(0, |n| n.get()), l.content());
                }
                LineKind::Added => {
                    let _ = writeln!(out, "{} +{}", l.new.map_or(0, |n| n.get()), l.content());
                }
                LineKind::Removed => {}
            }
        }
        if h.lines.iter().any(|l| l.kind == LineKind::Removed) {
            out.push_str("__old hunk__\n");
            for l in &h.lines {
                match l.kind {
                    LineKind::Context => {
                        let _ = writeln!(out, " {}", l.content());
                    }
                    LineKind::Removed => {
                        let _ = writeln!(out, "-{}", l.content());
                    }
                    LineKind::Added => {}
                }
            }
        }
    }
    out
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real");
    let mut names: Vec<_> = std::fs::read_dir(&dir).expect("corpus dir").map(|e| e.expect("entry").path()).collect();
    names.sort();
    let texts: Vec<String> = names.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned()).collect();
    let bpe = tiktoken_rs::o200k_base().expect("o200k_base");
    let count = |s: &str| bpe.encode_ordinary(s).len() as u64;

    let (mut files, mut changed) = (0u64, 0u64);
    let (mut t_patch, mut t_unified, mut t_pra, mut t_ours, mut t_all) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut est_total, mut ratios) = (0u64, Vec::new());
    for text in &texts {
        let d = parse_unified(text);
        for f in &d.files {
            if f.binary || f.hunks.is_empty() {
                continue;
            }
            files += 1;
            changed += f.changed_lines() as u64;
            let mut patch = String::new();
            render_hunks(&f.hunks, &mut patch);
            t_patch += count(&patch);
            let mut uni = String::new();
            render_file(f, &mut uni);
            t_unified += count(&uni);
            t_pra += count(&pr_agent(f));
            let mut all = String::new();
            let opts_all = ContextOptions { numbering: prompt::Numbering::AllNewSide };
            prompt::render_file(f, opts_all, &mut all);
            t_all += count(&all);
            let mut ours = String::new();
            prompt::render_file(f, ContextOptions::default(), &mut ours);
            let real = count(&ours);
            t_ours += real;
            let est = estimate(&ours) as u64;
            est_total += est;
            if real >= 20 {
                let r = est as f64 / real as f64 - 1.0;
                if std::env::var_os("SHOW_WORST").is_some() && r < -0.05 {
                    println!("under {:+.1} % {} ({} tokens)", r * 100.0, f.path(), real);
                }
                ratios.push(r);
            }
        }
    }
    let per = |t: u64| t as f64 / changed as f64;
    println!("real corpus: {} files, {files} file patches with hunks, {changed} changed lines", texts.len());
    println!("tokens per changed line (o200k_base):");
    println!("  GitHub patch as is (no numbers)      {:6.2}", per(t_patch));
    println!("  per-file unified diff with headers   {:6.2}", per(t_unified));
    println!("  PR-Agent __new hunk__/__old hunk__   {:6.2}", per(t_pra));
    println!("  argus-diff, added lines numbered     {:6.2}", per(t_ours));
    println!("  argus-diff, all new-side numbered    {:6.2}", per(t_all));
    ratios.sort_by(|a, b| a.total_cmp(b));
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let under = ratios.iter().filter(|r| **r < 0.0).count();
    println!("estimator vs o200k on our prompts ({} file prompts of >= 20 tokens):", ratios.len());
    println!("  total: estimate {est_total} vs real {t_ours} ({:+.1} %)", (est_total as f64 / t_ours as f64 - 1.0) * 100.0);
    println!(
        "  per file: mean {:+.1} %, worst under {:+.1} %, worst over {:+.1} %, under-estimated files {under}",
        mean * 100.0,
        ratios.first().copied().unwrap_or(0.0) * 100.0,
        ratios.last().copied().unwrap_or(0.0) * 100.0
    );
    println!(
        "  p5 {:+.1} %, median {:+.1} %, p95 {:+.1} %",
        ratios[ratios.len() / 20] * 100.0,
        ratios[ratios.len() / 2] * 100.0,
        ratios[ratios.len() * 19 / 20] * 100.0
    );
}
