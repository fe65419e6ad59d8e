//! Criterion benchmarks of the context engine: scope-finder throughput
//! (MB/s) per language, and the whole per-review work (prepare: every
//! file's scope tree and the definitions index; then every chunk rendered
//! with context) on the real corpus. Figures only, no timed assertions.
//!
//! Inputs: the corpus's added files (full texts) always; the full files
//! `examples/context_tokens build` rebuilt, when `ARGUS_CONTEXT_CACHE`
//! names that cache; any source trees listed in `ARGUS_CONTEXT_SOURCES`
//! (colon-separated), for per-language figures. Run short:
//! `cargo bench -p argus-context -- --warm-up-time 1 --measurement-time 3`.

use argus_context::{ContextInput, ContextOptions, Syntax, prepare, render_chunk, scopes_in};
use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::{FileDiff, LineKind, parse_unified};
use argus_diff::prompt::ContextOptions as DiffOptions;
use argus_diff::select::{SelectConfig, select};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).expect("corpus").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    paths.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned()).collect()
}

fn walk(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        out.push(p.to_path_buf());
    } else if let Ok(rd) = std::fs::read_dir(p) {
        let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        for e in v {
            walk(&e, out);
        }
    }
}

/// The new side of a file, placed at its line numbers (unknown lines blank):
/// a stand-in for the full file when only the diff is at hand.
fn pseudo_head(f: &FileDiff<'_>) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for h in &f.hunks {
        for l in &h.lines {
            if let Some(n) = l.new {
                let i = n.get() as usize - 1;
                if lines.len() <= i {
                    lines.resize(i + 1, "");
                }
                lines[i] = l.content();
            }
        }
    }
    lines.join("\n")
}

/// Source texts by syntax: the corpus's added files, plus the cache and
/// source trees when given.
fn sources(texts: &[String]) -> BTreeMap<String, Vec<(Syntax, String)>> {
    let mut by: BTreeMap<String, Vec<(Syntax, String)>> = BTreeMap::new();
    for t in texts {
        for f in parse_unified(t).files.iter().filter(|f| f.old_path.is_none() && !f.binary) {
            let text: String =
                f.hunks.iter().flat_map(|h| &h.lines).filter(|l| l.kind == LineKind::Added).map(|l| format!("{}\n", l.content())).collect();
            let syn = Syntax::for_file(f.path(), &text);
            if syn != Syntax::Generic {
                by.entry(format!("{syn:?}")).or_default().push((syn, text));
            }
        }
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(c) = std::env::var_os("ARGUS_CONTEXT_CACHE") {
        roots.push(PathBuf::from(c));
    }
    if let Some(s) = std::env::var_os("ARGUS_CONTEXT_SOURCES") {
        roots.extend(std::env::split_paths(&s));
    }
    for r in roots {
        let mut files = Vec::new();
        walk(&r, &mut files);
        for p in files {
            let path = p.to_string_lossy();
            if path.contains("/base/") {
                continue;
            }
            let Ok(b) = std::fs::read(&p) else { continue };
            if b.len() > 256 * 1024 || b.contains(&0) {
                continue;
            }
            let text = String::from_utf8_lossy(&b).into_owned();
            let syn = Syntax::for_file(&path, &text);
            if matches!(syn, Syntax::Generic | Syntax::Markdown | Syntax::Yaml | Syntax::Toml) {
                continue;
            }
            let v = by.entry(format!("{syn:?}")).or_default();
            // A few megabytes per language are plenty for a throughput figure.
            if v.iter().map(|x| x.1.len()).sum::<usize>() < 4_000_000 {
                v.push((syn, text));
            }
        }
    }
    by
}

fn benches(c: &mut Criterion) {
    let texts = corpus();
    let mut g = c.benchmark_group("scopes");
    for (lang, files) in sources(&texts) {
        let bytes: usize = files.iter().map(|f| f.1.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(lang, |b| {
            b.iter(|| {
                for (syn, t) in &files {
                    black_box(scopes_in(*syn, black_box(t)));
                }
            })
        });
    }
    g.finish();

    // A review's context work: every diff of the corpus with stand-in
    // contents, prepared and rendered chunk by chunk.
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500 + 2166, max_chunks: None };
    let cfg = SelectConfig::default();
    let parsed: Vec<_> = texts.iter().map(|t| parse_unified(t)).collect();
    let heads: Vec<Vec<String>> = parsed.iter().map(|d| d.files.iter().map(pseudo_head).collect()).collect();
    let plans: Vec<_> =
        parsed.iter().map(|d| plan(&d.files, &select(&d.files, &cfg).expect("config"), &budget, &[], DiffOptions::default())).collect();
    let content_bytes: usize = heads.iter().flatten().map(String::len).sum();
    let mut g = c.benchmark_group("review");
    g.throughput(Throughput::Bytes(content_bytes as u64));
    g.bench_function("prepare_render_corpus", |b| {
        b.iter(|| {
            for ((d, h), p) in parsed.iter().zip(&heads).zip(&plans) {
                let head: Vec<Option<&str>> = h.iter().map(|s| Some(s.as_str())).collect();
                let prep = prepare(ContextInput { files: &d.files, head: &head, base: &[], options: ContextOptions::default() });
                for ch in &p.chunks {
                    black_box(render_chunk(&prep, ch, 2166, None));
                }
            }
        })
    });
    g.finish();
}

criterion_group!(name = context; config = Criterion::default().sample_size(10); targets = benches);
criterion_main!(context);
