//! Rendered chunks with context, as snapshots: handwritten modified-file
//! cases (`tests/fixtures/render/CASE/{diff.patch,base/,head/}`), real
//! corpus diffs with their added files, and the degradation order under a
//! shrinking budget, step by step.

use crate::common::{added_text, real_diffs};
use argus_context::{ContextInput, ContextOptions, Cut, Mode, Prepared, prepare, relocate, render_chunk};
use argus_diff::chunk::{Budget, Chunk, plan};
use argus_diff::diff::{NewLine, ParsedDiff, parse_unified};
use argus_diff::prompt::ContextOptions as DiffOptions;
use argus_diff::select::{SelectConfig, select};
use std::collections::HashMap;
use std::path::Path;

const BUDGET: Budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None };

struct Case {
    patch: String,
    head: HashMap<String, String>,
    base: HashMap<String, String>,
}

fn read_tree(dir: &Path, prefix: &str, out: &mut HashMap<String, String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let p = e.expect("entry").path();
        let name = format!("{prefix}{}", p.file_name().expect("name").to_string_lossy());
        if p.is_dir() {
            read_tree(&p, &format!("{name}/"), out);
        } else {
            out.insert(name, std::fs::read_to_string(&p).expect("read"));
        }
    }
}

fn case(name: &str) -> Case {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render").join(name);
    let patch = std::fs::read_to_string(dir.join("diff.patch")).expect("diff.patch");
    let (mut head, mut base) = (HashMap::new(), HashMap::new());
    read_tree(&dir.join("head"), "", &mut head);
    read_tree(&dir.join("base"), "", &mut base);
    Case { patch, head, base }
}

fn chunks(d: &ParsedDiff<'_>) -> Vec<Chunk> {
    let sel = select(&d.files, &SelectConfig::default()).expect("config");
    plan(&d.files, &sel, &BUDGET, &[], DiffOptions::default()).chunks
}

/// Renders every chunk of a case with `opts`, the budget and map given.
fn render_case(c: &Case, opts: ContextOptions, budget: u32, map: Option<&str>) -> (String, Vec<argus_context::ChunkContextReport>) {
    let d = parse_unified(&c.patch);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let head: Vec<Option<&str>> = d.files.iter().map(|f| c.head.get(f.path()).map(String::as_str)).collect();
    let base: Vec<Option<&str>> = d.files.iter().map(|f| c.base.get(f.path()).map(String::as_str)).collect();
    let p = prepare(ContextInput { files: &d.files, head: &head, base: &base, options: opts });
    let mut out = String::new();
    let mut reports = Vec::new();
    for ch in chunks(&d) {
        let (text, report) = render_chunk(&p, &ch, budget, map);
        out.push_str(&text);
        reports.push(report);
    }
    (out, reports)
}

#[test]
fn a_hunk_far_below_its_signature_shows_the_signature() {
    let c = case("deep_hunk");
    let (text, reports) = render_case(&c, ContextOptions::default(), 1000, None);
    assert!(text.contains("~    pub fn score(&self, input: &[u8]) -> u32 {"), "{text}");
    assert!(text.contains("~impl Scorer {"), "{text}");
    assert_eq!(reports[0].scopes, 2);
    assert_eq!(reports[0].bodies, 0, "a 120-line function is not shown whole");
    insta::assert_snapshot!(text);
}

#[test]
fn a_definition_in_another_changed_file_reaches_the_chunk() {
    let c = case("cross_file");
    let (text, reports) = render_case(&c, ContextOptions::default(), 1000, None);
    assert!(text.contains("~src/config.rs:11: pub fn parse_config(text: &str) -> Result<Config, String>"), "{text}");
    assert!(text.contains("~src/config.rs:3: pub const DEFAULT_RETRIES: u32 = 3;"), "{text}");
    assert_eq!(reports[0].definitions, 3, "parse_config, DEFAULT_RETRIES and Config, all from config.rs");
    assert_eq!(reports[0].bodies, 2, "validate and start are short enough to show whole");
    assert_eq!(reports[0].scopes, 3, "fn validate; impl Server > fn start");
    insta::assert_snapshot!(text);
}

#[test]
fn a_mostly_removed_hunk_takes_its_scope_from_the_base() {
    let c = case("removal");
    let (text, reports) = render_case(&c, ContextOptions::default(), 1000, None);
    assert!(text.contains("~    @staticmethod\n~    def drain(items, limit):"), "{text}");
    assert_eq!(reports[0].bodies, 1);
    insta::assert_snapshot!(text);
    // Scope mode: headers only.
    let (text, reports) = render_case(&c, ContextOptions { mode: Mode::Scope, ..ContextOptions::default() }, 1000, None);
    assert_eq!((reports[0].scopes, reports[0].bodies, reports[0].definitions), (2, 0, 0));
    insta::assert_snapshot!("removal_scope_mode", text);
}

/// What a report kept: (map, definitions, bodies, scopes).
type Kept = (bool, u32, u32, u32);

fn kept(r: &argus_context::ChunkContextReport) -> Kept {
    (r.map, r.definitions, r.bodies, r.scopes)
}

#[test]
fn degradation_order_under_a_shrinking_budget() {
    let c = case("cross_file");
    let map = "~repository map: 42 files\n~languages: Rust 40\n~folders: src/ 40 [config, server]\n~Cargo.toml: demo; deps: serde, toml\n";
    let full = render_case(&c, ContextOptions::default(), 100_000, Some(map)).1;
    let all = kept(&full[0]);
    assert_eq!(all, (true, 3, 2, 3), "everything fits in a large budget");
    // Walk the budget down one token at a time; record each distinct state.
    let mut states: Vec<(Kept, u32, Vec<Cut>)> = Vec::new();
    for budget in (0..=full[0].tokens).rev() {
        let r = &render_case(&c, ContextOptions::default(), budget, Some(map)).1[0];
        assert!(r.tokens <= budget, "{} tokens over a budget of {budget}", r.tokens);
        if states.last().is_none_or(|s| s.0 != kept(r)) {
            states.push((kept(r), budget, r.cut.clone()));
        }
    }
    // Each kind goes only after every kind below it is gone: the map first,
    // then definitions, then whole functions, then scope headers.
    for ((map_kept, defs, bodies, scopes), budget, _) in &states {
        if *defs < all.1 {
            assert!(!map_kept, "budget {budget}: a definition was cut before the map");
        }
        if *bodies < all.2 {
            assert_eq!(*defs, 0, "budget {budget}: a whole function was cut before the definitions");
        }
        if *scopes < all.3 {
            assert_eq!(*bodies, 0, "budget {budget}: a scope header was cut before the whole functions");
        }
    }
    // Every step is taken, one kind at a time, down to nothing.
    let firsts: Vec<usize> = [
        states.iter().position(|s| !s.0.0),
        states.iter().position(|s| s.0.1 < all.1),
        states.iter().position(|s| s.0.2 < all.2),
        states.iter().position(|s| s.0.3 < all.3),
    ]
    .into_iter()
    .map(|p| p.expect("every kind is cut at some budget"))
    .collect();
    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "cut order {firsts:?} in {states:?}");
    assert_eq!(states.last().map(|s| s.0), Some((false, 0, 0, 0)));
    let mut steps = String::new();
    for (k, budget, cut) in &states {
        let (text, _) = render_case(&c, ContextOptions::default(), *budget, Some(map));
        steps.push_str(&format!("==== budget {budget}: kept {k:?}, cut {cut:?}\n{text}"));
    }
    insta::assert_snapshot!(steps);
}

#[test]
fn relocation_finds_the_changed_line_of_the_same_scope() {
    let c = case("deep_hunk");
    let d = parse_unified(&c.patch);
    let head: Vec<Option<&str>> = d.files.iter().map(|f| c.head.get(f.path()).map(String::as_str)).collect();
    let p: Prepared<'_> = prepare(ContextInput { files: &d.files, head: &head, base: &[], options: ContextOptions::default() });
    let line = |n| NewLine::new(n).expect("n >= 1");
    // Line 20 is inside `score`, far from the hunk: same scope, one changed line.
    let r = relocate(&p, "src/score.rs", line(20));
    assert_eq!(r.scope.as_ref().map(|s| s.name.as_str()), Some("score"));
    assert_eq!(r.nearest, Some(line(129)));
    // Line 4 is a field of the struct: no changed line in that scope.
    let r = relocate(&p, "src/score.rs", line(4));
    assert_eq!(r.scope.as_ref().map(|s| s.name.as_str()), Some("Scorer"));
    assert_eq!(r.nearest, None);
    assert_eq!(relocate(&p, "no/such/file.rs", line(1)), argus_context::Relocation::default());
}

/// Corpus diffs that add source files next to modified ones: the added
/// files are full texts, so their definitions can serve the modified files'
/// changed lines.
#[test]
fn corpus_diffs_with_their_added_files() {
    let wanted = ["libgit2-3d3552e8fd70.diff", "libgit2-b900981cf7f6.diff", "ripgrep-e8a30cb89341.diff"];
    let diffs: HashMap<String, String> = real_diffs().into_iter().collect();
    for name in wanted {
        let Some(text) = diffs.get(name) else { panic!("{name} missing from the corpus") };
        let d = parse_unified(text);
        let added: Vec<Option<String>> = d.files.iter().map(added_text).collect();
        let head: Vec<Option<&str>> = added.iter().map(Option::as_deref).collect();
        let p = prepare(ContextInput { files: &d.files, head: &head, base: &[], options: ContextOptions::default() });
        let mut out = String::new();
        let mut total = argus_context::ChunkContextReport::default();
        for (i, ch) in chunks(&d).iter().enumerate() {
            let (text, report) = render_chunk(&p, ch, 1500, None);
            total.merge(&report);
            // The chunks whose context lines come from the added files.
            if report.definitions > 0 {
                // The context and the start of the diff after it are what matter here.
                let head: Vec<&str> = text.lines().take(40).collect();
                out.push_str(&format!("==== chunk {i}: {}\n{}\n", report.summary_line(), head.join("\n")));
            }
        }
        assert!(total.definitions > 0, "{name}: no definition from the added files reached a chunk");
        out.push_str(&format!("==== whole review: {}\n", total.summary_line()));
        insta::assert_snapshot!(name, out);
    }
}
