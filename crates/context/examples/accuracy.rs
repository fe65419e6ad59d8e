//! Scope-finder accuracy against tree-sitter on real source trees: every
//! source file under the given directories (or files) whose language has a
//! grammar, every non-blank line, innermost scope compared (see
//! `tests/support/oracle.rs` for the rules). Prints the share of agreeing
//! lines per language. Nothing read here is committed.
//!
//! `cargo run --release -p argus-context --example accuracy -- [-v] [--max-files N] DIR...`

#[path = "../tests/support/oracle.rs"]
mod oracle;

use argus_context::Syntax;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn walk(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        out.push(p.to_path_buf());
        return;
    }
    let Ok(rd) = std::fs::read_dir(p) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        walk(&e, out);
    }
}

/// Per language: files, lines, agreeing lines, worst files, unjudged lines.
type Tally = (u64, u64, u64, Vec<(f64, String)>, u64);

fn main() {
    let mut verbose = false;
    let mut max_files = usize::MAX;
    let mut roots = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-v" => verbose = true,
            "--max-files" => max_files = args.next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX),
            _ => roots.push(PathBuf::from(a)),
        }
    }
    if roots.is_empty() {
        eprintln!("usage: accuracy [-v] [--max-files N] DIR...");
        std::process::exit(2);
    }
    let mut files = Vec::new();
    for r in &roots {
        walk(r, &mut files);
    }
    // (files, lines, agreeing lines, worst files)
    let mut by: BTreeMap<String, Tally> = BTreeMap::new();
    for f in files {
        let path = f.to_string_lossy().to_string();
        if oracle::language(Syntax::from_path(&path)).is_none() {
            continue;
        }
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        if bytes.len() > 256 * 1024 || bytes.contains(&0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let syn = Syntax::for_file(&path, &text);
        let e = by.entry(format!("{syn:?}")).or_default();
        if e.0 as usize >= max_files {
            continue;
        }
        let Some(a) = oracle::compare(syn, &text) else {
            continue;
        };
        e.0 += 1;
        e.1 += a.lines;
        e.2 += a.agree;
        e.4 += a.opaque;
        if a.lines > 0 && a.agree < a.lines {
            let share = a.agree as f64 / a.lines as f64;
            e.3.push((share, format!("{path}: {:.1} % {:?}", share * 100.0, a.examples)));
        }
    }
    println!("{:<12} {:>6} {:>9} {:>8} {:>9}", "language", "files", "lines", "agree", "unjudged");
    for (lang, (files, lines, agree, mut worst, opaque)) in by {
        if files == 0 {
            continue;
        }
        println!("{lang:<12} {files:>6} {lines:>9} {:>7.2}% {opaque:>9}", agree as f64 * 100.0 / lines.max(1) as f64);
        if verbose {
            worst.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (_, w) in worst.iter().take(6) {
                println!("    {w}");
            }
        }
    }
}
