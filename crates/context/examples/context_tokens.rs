//! Prompt tokens per changed line with context, on the real diff corpus,
//! beside PR-Agent's prompt with its default extra context — and how often
//! each shows the signature of the function a hunk sits in.
//!
//! The corpus holds diffs only; the full files are rebuilt from the public
//! histories the diffs came from, into a cache outside the repository:
//!
//! ```sh
//! # once: git directories of the three histories (read-only mirrors)
//! cargo run --release -p argus-context --example context_tokens -- build /tmp/ctx-cache \
//!     ripgrep=/path/to/ripgrep.git axum=/path/to/axum.git libgit2=/path/to/libgit2.git
//! # then
//! cargo run --release -p argus-context --example context_tokens -- measure /tmp/ctx-cache
//! # and to read what one diff's chunks look like with context:
//! cargo run --release -p argus-context --example context_tokens -- show /tmp/ctx-cache libgit2-10672e3e455e
//! ```
//!
//! `build` writes, per diff, `head/PATH` and `base/PATH` (the files at the
//! commit and its parent), `tree.tsv` (the commit's recursive tree) and the
//! manifests the map asks for. `measure` plans every diff as the Worker does
//! (GitHub Models' 8000 input tokens, 1500 for the fixed prompt, a third of
//! the rest for context), renders every chunk, and counts o200k tokens.
//!
//! PR-Agent's side reimplements the measure of its default configuration
//! (`pr_agent/settings/configuration.toml`: `patch_extra_lines_before = 5`,
//! `patch_extra_lines_after = 1`, `allow_dynamic_context = true`,
//! `max_extra_lines_before_dynamic_context = 10`), as
//! `pr_agent/algo/git_patch_processing.py` extends each hunk (`extend_patch`)
//! and then numbers it (`decouple_and_convert_to_hunks_with_lines_numbers`):
//! up to 10 lines before the hunk when git's section header is found among
//! them, else 5, and 1 line after; then `__new hunk__` with new-side numbers
//! and `__old hunk__` when lines were removed.

// A measurement binary: it runs git and reads the clock-free filesystem only.
#![allow(clippy::disallowed_methods)]

use argus_context::{ContextInput, ContextOptions, EntryKind, Mode, TreeEntry, manifests_wanted, prepare, render_chunk, repo_map};
use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::{FileDiff, Hunk, LineKind, parse_unified};
use argus_diff::prompt::ContextOptions as DiffOptions;
use argus_diff::select::{SelectConfig, select};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real")
}

fn diffs() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "diff"))
        .map(|p| {
            (p.file_name().expect("name").to_string_lossy().into_owned(), String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned())
        })
        .collect();
    v.sort();
    v
}

fn git(dir: &str, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git").arg(format!("--git-dir={dir}")).args(args).output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn build(cache: &Path, repos: &HashMap<String, String>) {
    let (mut done, mut missing) = (0, Vec::new());
    for (name, text) in diffs() {
        let (repo, short) = name.trim_end_matches(".diff").rsplit_once('-').expect("repo-sha.diff");
        let Some(dir) = repos.get(repo) else {
            missing.push(format!("{name}: no git directory given for {repo}"));
            continue;
        };
        let Some(sha) = git(dir, &["rev-parse", &format!("{short}^{{commit}}")]).map(|b| String::from_utf8_lossy(&b).trim().to_string()) else {
            missing.push(format!("{name}: {short} not in {dir}"));
            continue;
        };
        let out = cache.join(name.trim_end_matches(".diff"));
        let d = parse_unified(&text);
        for f in &d.files {
            for (side, rev, path) in [("head", sha.clone(), f.new_path.as_deref()), ("base", format!("{sha}^"), f.old_path.as_deref())] {
                let Some(path) = path else { continue };
                if let Some(bytes) = git(dir, &["show", &format!("{rev}:{path}")]) {
                    let p = out.join(side).join(path);
                    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                    std::fs::write(p, bytes).expect("write");
                }
            }
        }
        if let Some(tree) = git(dir, &["ls-tree", "-r", "-t", "-l", &sha]) {
            std::fs::create_dir_all(&out).expect("mkdir");
            std::fs::write(out.join("tree.tsv"), &tree).expect("write tree");
            let entries = parse_tree(&String::from_utf8_lossy(&tree));
            for m in manifests_wanted(&entries) {
                if let Some(bytes) = git(dir, &["show", &format!("{sha}:{m}")]) {
                    let p = out.join("manifests").join(&m);
                    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                    std::fs::write(p, bytes).expect("write manifest");
                }
            }
        }
        done += 1;
    }
    println!("cache {}: {done} diffs rebuilt, {} not", cache.display(), missing.len());
    for m in missing.iter().take(10) {
        println!("  {m}");
    }
}

/// `git ls-tree -r -t -l` lines: `mode type sha size\tpath`.
fn parse_tree(text: &str) -> Vec<TreeEntry> {
    text.lines()
        .filter_map(|l| {
            let (meta, path) = l.split_once('\t')?;
            let mut m = meta.split_whitespace();
            let kind = match m.nth(1)? {
                "blob" => EntryKind::Blob,
                "tree" => EntryKind::Tree,
                _ => EntryKind::Commit,
            };
            let size = m.nth(1).and_then(|s| s.parse().ok());
            Some(TreeEntry { path: path.to_string(), kind, size })
        })
        .collect()
}

fn read(p: &Path) -> Option<String> {
    std::fs::read(p).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// One hunk of PR-Agent's extended patch: its header numbers and lines.
struct Extended<'a> {
    start1: usize,
    size1: usize,
    start2: usize,
    size2: usize,
    section: String,
    before: Vec<&'a str>,
    after: Vec<&'a str>,
}

/// PR-Agent's `extend_patch` for one file with its default settings.
fn pr_agent_extend<'a>(f: &FileDiff<'_>, base: &'a [&'a str], head: &'a [&'a str]) -> Vec<Extended<'a>> {
    const BEFORE: usize = 5;
    const AFTER: usize = 1;
    const DYNAMIC: usize = 10;
    let len1 = base.len();
    f.hunks
        .iter()
        .map(|h| {
            let (start1, size1, start2, size2) = (h.old_start as usize, h.old_count as usize, h.new_start as usize, h.new_count as usize);
            let mut section = h.section_text().to_string();
            // A hunk whose first context line does not match the file is left as is.
            let valid = match h.lines.first() {
                Some(l) if l.kind == LineKind::Context => start1 >= 1 && base.get(start1 - 1).is_some_and(|b| b.trim() == l.content().trim()),
                _ => true,
            };
            if !valid || base.is_empty() {
                return Extended { start1, size1, start2, size2, section, before: Vec::new(), after: Vec::new() };
            }
            let limits = |n: usize| {
                let es1 = start1.saturating_sub(n).max(1);
                let mut esz1 = size1 + (start1 - es1.min(start1)) + AFTER;
                let es2 = start2.saturating_sub(n).max(1);
                let mut esz2 = size2 + (start2 - es2.min(start2)) + AFTER;
                if es1 - 1 + esz1 > len1 {
                    let cap = es1 - 1 + esz1 - len1;
                    esz1 = esz1.saturating_sub(cap).max(size1);
                    esz2 = esz2.saturating_sub(cap).max(size2);
                }
                (es1, esz1, es2, esz2)
            };
            let slice =
                |v: &'a [&'a str], a: usize, b: usize| -> &'a [&'a str] { v.get(a.min(v.len())..b.min(v.len()).max(a.min(v.len()))).unwrap_or(&[]) };
            let (mut es1, mut esz1, mut es2, mut esz2) = limits(DYNAMIC);
            let mut found = false;
            if !head.is_empty() {
                let before1 = slice(base, es1 - 1, start1.saturating_sub(1));
                let before2 = slice(head, es2 - 1, start2.saturating_sub(1));
                // `section_header in line`: an empty header is in every line.
                if let Some(i) = before1.iter().position(|l| l.contains(section.as_str())) {
                    es1 += i;
                    es2 += i;
                    esz1 -= i;
                    esz2 -= i;
                    if before1.get(i..) == before2.get(i..) {
                        found = true;
                        section.clear();
                    }
                }
            }
            if !found || head.is_empty() {
                (es1, esz1, es2, esz2) = limits(BEFORE);
            }
            let mut delta1: Vec<&str> = slice(base, es1 - 1, start1.saturating_sub(1)).to_vec();
            if !head.is_empty() {
                let delta2 = slice(head, es2 - 1, start2.saturating_sub(1));
                if delta1.as_slice() != delta2 {
                    match (0..delta1.len()).find(|&i| delta1.get(i..) == delta2.get(i..)) {
                        Some(i) => {
                            delta1 = delta1[i..].to_vec();
                            es1 += i;
                            esz1 -= i;
                            es2 += i;
                            esz2 -= i;
                        }
                        None => {
                            (es1, esz1, es2, esz2) = (start1, size1, start2, size2);
                            delta1.clear();
                        }
                    }
                }
            }
            let after = slice(base, start1 + size1 - 1, start1 + size1 - 1 + AFTER).to_vec();
            Extended { start1: es1, size1: esz1, start2: es2, size2: esz2, section, before: delta1, after }
        })
        .collect()
}

/// PR-Agent's numbered format of the extended patch.
fn pr_agent_format(f: &FileDiff<'_>, ext: &[Extended<'_>]) -> String {
    let mut out = format!("\n\n## File: '{}'\n", f.path());
    for (h, e) in f.hunks.iter().zip(ext) {
        let _ = write!(out, "\n@@ -{},{} +{},{} @@ {}\n", e.start1, e.size1, e.start2, e.size2, e.section);
        let mut new_lines: Vec<String> = e.before.iter().map(|l| format!(" {l}")).collect();
        let mut old_lines = new_lines.clone();
        for l in &h.lines {
            match l.kind {
                LineKind::Context => {
                    new_lines.push(format!(" {}", l.content()));
                    old_lines.push(format!(" {}", l.content()));
                }
                LineKind::Added => new_lines.push(format!("+{}", l.content())),
                LineKind::Removed => old_lines.push(format!("-{}", l.content())),
            }
        }
        for l in &e.after {
            new_lines.push(format!(" {l}"));
            old_lines.push(format!(" {l}"));
        }
        out = out.trim_end().to_string() + "\n__new hunk__\n";
        for (i, l) in new_lines.iter().enumerate() {
            let _ = writeln!(out, "{} {l}", e.start2 + i);
        }
        if h.lines.iter().any(|l| l.kind == LineKind::Removed) {
            out = out.trim_end().to_string() + "\n__old hunk__\n";
            for l in &old_lines {
                let _ = writeln!(out, "{l}");
            }
        }
    }
    out.trim_end().to_string()
}

/// The enclosing callable of a hunk (head side): its name line and text.
fn enclosing<'t>(tree: &argus_context::ScopeTree, head: &[&'t str], h: &Hunk<'_>) -> Option<(u32, &'t str)> {
    let anchor = h.lines.iter().find(|l| l.kind == LineKind::Added).and_then(|l| l.new).or_else(|| h.new_range().map(|(a, _)| a))?.get();
    let s = tree.chain_at(anchor).into_iter().rev().find(|s| s.kind.is_callable())?;
    Some((s.name_line, head.get(s.name_line as usize - 1)?))
}

fn measure(cache: &Path) {
    let bpe = tiktoken_rs::o200k_base().expect("o200k_base");
    let count = |s: &str| bpe.encode_ordinary(s).len() as u64;
    // The Worker's budget: GitHub Models' free tier, a third of the room for context.
    let available = 8000 - 1500;
    let context_budget = available / 3;
    let diff_budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500 + context_budget, max_chunks: None };
    let cfg = SelectConfig::default();
    let (mut changed, mut t_off, mut t_scope, mut t_full, mut t_pra) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut hunks_in_fn, mut sig_ours, mut sig_pra, mut defs, mut files_ctx) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut diffs_used = 0;
    for (name, text) in diffs() {
        let dir = cache.join(name.trim_end_matches(".diff"));
        if !dir.is_dir() {
            continue;
        }
        diffs_used += 1;
        let d = parse_unified(&text);
        let sel = select(&d.files, &cfg).expect("config");
        let p = plan(&d.files, &sel, &diff_budget, &[], DiffOptions::default());
        let heads: Vec<Option<String>> = d.files.iter().map(|f| f.new_path.as_deref().and_then(|q| read(&dir.join("head").join(q)))).collect();
        let bases: Vec<Option<String>> = d.files.iter().map(|f| f.old_path.as_deref().and_then(|q| read(&dir.join("base").join(q)))).collect();
        let head: Vec<Option<&str>> = heads.iter().map(Option::as_deref).collect();
        let base: Vec<Option<&str>> = bases.iter().map(Option::as_deref).collect();
        let tree = read(&dir.join("tree.tsv")).map(|t| parse_tree(&t)).unwrap_or_default();
        let manifests: Vec<(String, String)> =
            manifests_wanted(&tree).into_iter().filter_map(|m| read(&dir.join("manifests").join(&m)).map(|t| (m, t))).collect();
        let mrefs: Vec<(&str, &str)> = manifests.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let map = repo_map(&tree, &mrefs, 300);
        let mut rendered: Vec<String> = Vec::new();
        for (mode, total) in [(Mode::Off, &mut t_off), (Mode::Scope, &mut t_scope), (Mode::Full, &mut t_full)] {
            let opts = ContextOptions { mode, ..ContextOptions::default() };
            let prep = prepare(ContextInput { files: &d.files, head: &head, base: &base, options: opts });
            for (i, c) in p.chunks.iter().enumerate() {
                // The map goes with the first request of a review.
                let (s, r) = render_chunk(&prep, c, context_budget, (i == 0).then_some(map.as_str()));
                *total += count(&s);
                if mode == Mode::Full {
                    defs += u64::from(r.definitions);
                    files_ctx += r.files.len() as u64;
                    rendered.push(s);
                }
            }
        }
        let all_ours = rendered.concat();
        // The reviewed files, as PR-Agent would send them (same files, whole patches).
        for c in &p.chunks {
            for part in &c.files {
                let f = &d.files[part.file];
                changed += part
                    .segments
                    .iter()
                    .filter_map(|s| f.hunks.get(s.hunk).and_then(|h| h.lines.get(s.lines.clone())))
                    .flatten()
                    .filter(|l| l.kind != LineKind::Context)
                    .count() as u64;
            }
        }
        let mut seen = std::collections::HashSet::new();
        for c in &p.chunks {
            for part in &c.files {
                if !seen.insert(part.file) {
                    continue;
                }
                let f = &d.files[part.file];
                let base_lines: Vec<&str> = bases[part.file].as_deref().map(|t| t.lines().collect()).unwrap_or_default();
                let head_lines: Vec<&str> = heads[part.file].as_deref().map(|t| t.lines().collect()).unwrap_or_default();
                let ext = pr_agent_extend(f, &base_lines, &head_lines);
                t_pra += count(&pr_agent_format(f, &ext));
                // Is the enclosing function's signature visible?
                let Some(h_text) = heads[part.file].as_deref() else {
                    continue;
                };
                let tree = argus_context::scopes_for_path(f.path(), h_text);
                for (h, e) in f.hunks.iter().zip(&ext) {
                    let Some((line, sig)) = enclosing(&tree, &head_lines, h) else {
                        continue;
                    };
                    hunks_in_fn += 1;
                    let (a, _) = h.new_range().map_or((0, 0), |(a, b)| (a.get(), b.get()));
                    let _ = e;
                    // Visible when any hunk of the file shows the line (as a
                    // diff line, or in PR-Agent's extension of it).
                    let in_hunk = f.hunks.iter().any(|x| x.new_range().is_some_and(|(a, b)| a.get() <= line && line <= b.get()));
                    let in_extension = ext.iter().any(|x| x.start2 as u32 <= line && line < (x.start2 + x.size2) as u32);
                    if in_hunk || in_extension {
                        sig_pra += 1;
                    }
                    if in_hunk || all_ours.lines().any(|l| l.strip_prefix('~') == Some(sig)) {
                        sig_ours += 1;
                    } else if std::env::var_os("SHOW_MISSES").is_some() {
                        println!("miss: {name} {} hunk at {a}: {line}: {sig}", f.path());
                    }
                }
            }
        }
    }
    let per = |t: u64| t as f64 / changed.max(1) as f64;
    println!("{diffs_used} diffs rebuilt from their histories, {changed} changed lines reviewed (default selection, 8000-token requests)");
    println!("o200k tokens per changed line:");
    println!("  ours, context off (today's prompt)             {:6.2}", per(t_off));
    println!("  ours, context = scope (headers only)           {:6.2}", per(t_scope));
    println!("  ours, context = full (+bodies, defs, map)      {:6.2}", per(t_full));
    println!("  PR-Agent, default extra context (5/1, dynamic) {:6.2}", per(t_pra));
    println!("hunks inside a function: {hunks_in_fn}; its signature visible to the model:");
    println!("  ours (full)  {:5.1} %", sig_ours as f64 * 100.0 / hunks_in_fn.max(1) as f64);
    println!("  PR-Agent     {:5.1} %", sig_pra as f64 * 100.0 / hunks_in_fn.max(1) as f64);
    println!("ours also gave {defs} definition lines and context in {files_ctx} file parts");
}

/// Prints one diff's chunks as the model would get them, with the report.
fn show(cache: &Path, name: &str) {
    let Some((_, text)) = diffs().into_iter().find(|(n, _)| n.trim_end_matches(".diff") == name) else {
        eprintln!("no diff {name} in the corpus");
        std::process::exit(1);
    };
    let dir = cache.join(name);
    let context_budget = (8000 - 1500) / 3;
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500 + context_budget, max_chunks: None };
    let d = parse_unified(&text);
    let sel = select(&d.files, &SelectConfig::default()).expect("config");
    let p = plan(&d.files, &sel, &budget, &[], DiffOptions::default());
    let heads: Vec<Option<String>> = d.files.iter().map(|f| f.new_path.as_deref().and_then(|q| read(&dir.join("head").join(q)))).collect();
    let bases: Vec<Option<String>> = d.files.iter().map(|f| f.old_path.as_deref().and_then(|q| read(&dir.join("base").join(q)))).collect();
    let head: Vec<Option<&str>> = heads.iter().map(Option::as_deref).collect();
    let base: Vec<Option<&str>> = bases.iter().map(Option::as_deref).collect();
    let tree = read(&dir.join("tree.tsv")).map(|t| parse_tree(&t)).unwrap_or_default();
    let manifests: Vec<(String, String)> =
        manifests_wanted(&tree).into_iter().filter_map(|m| read(&dir.join("manifests").join(&m)).map(|t| (m, t))).collect();
    let mrefs: Vec<(&str, &str)> = manifests.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let map = repo_map(&tree, &mrefs, 300);
    let prep = prepare(ContextInput { files: &d.files, head: &head, base: &base, options: ContextOptions::default() });
    let mut total = argus_context::ChunkContextReport::default();
    for (i, c) in p.chunks.iter().enumerate() {
        let (s, r) = render_chunk(&prep, c, context_budget, (i == 0).then_some(map.as_str()));
        println!("==== chunk {i} ({} context tokens of {})\n{s}", r.tokens, r.budget);
        total.merge(&r);
    }
    println!("==== {}", total.summary_line());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("build") if args.len() >= 3 => {
            let repos: HashMap<String, String> =
                args[2..].iter().filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))).collect();
            build(Path::new(&args[1]), &repos);
        }
        Some("measure") if args.len() == 2 => measure(Path::new(&args[1])),
        Some("show") if args.len() == 3 => show(Path::new(&args[1]), &args[2]),
        _ => {
            eprintln!("usage: context_tokens build CACHE repo=GIT_DIR… | context_tokens measure CACHE");
            std::process::exit(2);
        }
    }
}
