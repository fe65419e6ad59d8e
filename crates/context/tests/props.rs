//! Properties over arbitrary input: the finder and the renderer never panic;
//! scope trees are well formed; every `~` line is outside the hunks its
//! chunk shows; changed lines are never dropped for context; the context
//! stays within its budget.

use argus_context::{ContextInput, ContextOptions, Mode, Syntax, prepare, relocate, render_chunk, scopes_in};
use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::{NewLine, parse_patch};
use argus_diff::prompt::ContextOptions as DiffOptions;
use argus_diff::select::{SelectConfig, select};
use proptest::prelude::*;

const SYNTAXES: &[Syntax] = &[
    Syntax::Rust,
    Syntax::C,
    Syntax::Cpp,
    Syntax::Go,
    Syntax::Java,
    Syntax::Kotlin,
    Syntax::CSharp,
    Syntax::Swift,
    Syntax::Scala,
    Syntax::JavaScript,
    Syntax::TypeScript,
    Syntax::Tsx,
    Syntax::Php,
    Syntax::Python,
    Syntax::Ruby,
    Syntax::Markdown,
    Syntax::Yaml,
    Syntax::Toml,
    Syntax::Generic,
];

/// Text made mostly of the bytes that steer the finders.
fn code_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{"),
            Just("}"),
            Just("("),
            Just(")"),
            Just("["),
            Just("]"),
            Just("\""),
            Just("'"),
            Just("`"),
            Just("/*"),
            Just("*/"),
            Just("//"),
            Just("#"),
            Just("\n"),
            Just("    "),
            Just("fn f"),
            Just("def g"),
            Just("class C"),
            Just("end"),
            Just("do"),
            Just("if x"),
            Just("=>"),
            Just("="),
            Just(":"),
            Just(";"),
            Just("<div>"),
            Just("</div>"),
            Just("${"),
            Just("\\"),
            Just("r#\""),
            Just("\"#"),
            Just("<<~EOS"),
            Just("EOS"),
            Just("#if 0"),
            Just("#else"),
            Just("#endif"),
            Just("\"\"\""),
            Just("x"),
            Just("é"),
            Just("\t"),
            Just("@a"),
        ],
        0..200,
    )
    .prop_map(|v| v.concat())
}

fn check_tree(syn: Syntax, text: &str) {
    let t = scopes_in(syn, text);
    let lines = text.split('\n').count() as u32;
    for (i, s) in t.scopes.iter().enumerate() {
        assert!(s.start <= s.header_end && s.header_end <= s.end, "{syn:?}: {s:?}");
        assert!(s.start <= s.name_line && s.name_line <= s.end, "{syn:?}: {s:?}");
        assert!(s.end <= lines.max(1), "{syn:?}: {s:?} past the last line {lines}");
        if let Some(p) = s.parent {
            let p = &t.scopes[p as usize];
            assert!(p.start <= s.start && s.end <= p.end, "{syn:?}: child {s:?} outside parent {p:?}");
        }
        if i > 0 {
            assert!(t.scopes[i - 1].start <= s.start, "{syn:?}: not sorted");
        }
    }
    for n in 0..=lines + 1 {
        let chain = t.chain_at(n);
        assert!(chain.iter().all(|s| s.contains(n)), "{syn:?}: chain at {n} holds a scope not around it");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn finder_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        for &syn in SYNTAXES {
            check_tree(syn, &text);
        }
    }

    #[test]
    fn finder_never_panics_on_code_like_text(text in code_like()) {
        for &syn in SYNTAXES {
            check_tree(syn, &text);
        }
    }
}

/// An edit script over a base file: keep, delete or insert lines.
#[derive(Clone, Debug)]
enum Op {
    Keep(usize),
    Del(usize),
    Ins(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        prop_oneof![3 => (1usize..25).prop_map(Op::Keep), 1 => (1usize..6).prop_map(Op::Del), 1 => (1usize..6).prop_map(Op::Ins)],
        1..14,
    )
}

/// Code-ish body lines for a Rust or Python file.
fn body(python: bool, k: usize) -> &'static str {
    let rust = [
        "fn f() {",
        "    let x = call_thing(1);",
        "}",
        "impl S {",
        "    fn g(&self) -> u32 {",
        "        0",
        "    }",
        "}",
        "struct S { a: u32 }",
        "",
        "// c {",
    ];
    let py = [
        "def f():",
        "    x = call_thing(1)",
        "    return x",
        "class S:",
        "    def g(self):",
        "        return 0",
        "",
        "# c",
        "@deco",
        "def h(a,",
        "      b):",
        "    pass",
    ];
    if python { py[k % py.len()] } else { rust[k % rust.len()] }
}

/// Builds base and head texts (each line tagged with its own number) and a
/// GitHub-style patch with three lines of context between them.
fn build(ops: &[Op], python: bool, seed: usize) -> (String, String, String) {
    let tag = |side: char, n: usize| {
        if python { format!("  # {side}{n}") } else { format!(" // {side}{n}") }
    };
    // (kind, base no, head no, body index)
    let mut rows: Vec<(char, usize, usize, usize)> = Vec::new();
    let (mut b, mut h, mut k) = (0, 0, seed);
    for op in ops {
        let (n, kind) = match op {
            Op::Keep(n) => (*n, ' '),
            Op::Del(n) => (*n, '-'),
            Op::Ins(n) => (*n, '+'),
        };
        for _ in 0..n {
            k += 1;
            if kind != '+' {
                b += 1;
            }
            if kind != '-' {
                h += 1;
            }
            rows.push((kind, if kind == '+' { 0 } else { b }, if kind == '-' { 0 } else { h }, k));
        }
    }
    let base: String = rows.iter().filter(|r| r.0 != '+').map(|r| format!("{}{}\n", body(python, r.3), tag('B', r.1))).collect();
    let head: String = rows.iter().filter(|r| r.0 != '-').map(|r| format!("{}{}\n", body(python, r.3), tag('H', r.2))).collect();
    // Hunks: changed rows with up to 3 rows of context around, merged when close.
    let changed: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].0 != ' ').collect();
    let mut patch = String::new();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(3);
        let mut end = changed[i];
        while i + 1 < changed.len() && changed[i + 1] <= end + 7 {
            i += 1;
            end = changed[i];
        }
        let end = (end + 3).min(rows.len() - 1);
        let hunk = &rows[start..=end];
        let old_n = hunk.iter().filter(|r| r.0 != '+').count();
        let new_n = hunk.iter().filter(|r| r.0 != '-').count();
        let old_start = hunk.iter().find(|r| r.0 != '+').map_or(rows[..start].iter().filter(|r| r.0 != '+').count(), |r| r.1);
        let new_start = hunk.iter().find(|r| r.0 != '-').map_or(rows[..start].iter().filter(|r| r.0 != '-').count(), |r| r.2);
        patch.push_str(&format!("@@ -{old_start},{old_n} +{new_start},{new_n} @@\n"));
        for r in hunk {
            let text = if r.0 == '-' { format!("{}{}", body(python, r.3), tag('B', r.1)) } else { format!("{}{}", body(python, r.3), tag('H', r.2)) };
            patch.push_str(&format!("{}{}\n", r.0, text));
        }
        i += 1;
    }
    (base, head, patch)
}

/// The number in a `~` line's tag (`H12` → (`H`, 12)).
fn tag_of(line: &str) -> Option<(char, u32)> {
    let at = line.rfind(['H', 'B'])?;
    let side = line[at..].chars().next()?;
    let n: String = line[at + 1..].chars().take_while(char::is_ascii_digit).collect();
    Some((side, n.parse().ok()?))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn context_lines_stay_outside_shown_hunks_and_changed_lines_stay(
        ops in ops(),
        python in any::<bool>(),
        seed in 0usize..50,
        limit in 120u32..900,
        budget in 0u32..400,
        body_lines in 0u32..40,
        mode in prop_oneof![Just(Mode::Scope), Just(Mode::Full)],
    ) {
        let (base, head, patch) = build(&ops, python, seed);
        let path = if python { "a.py" } else { "a.rs" };
        let parsed = parse_patch(path, &patch);
        let files = vec![parsed.file];
        let heads = [Some(head.as_str())];
        let bases = [Some(base.as_str())];
        let opts = ContextOptions { mode, max_body_lines: body_lines, ..ContextOptions::default() };
        let prepared = prepare(ContextInput { files: &files, head: &heads, base: &bases, options: opts });
        let sel = select(&files, &SelectConfig::default()).expect("config");
        let b = Budget { input_limit: limit, reserved_output: 0, prompt_overhead: 0, max_chunks: None };
        let plan = plan(&files, &sel, &b, &[], DiffOptions::default());
        for c in &plan.chunks {
            let (text, report) = render_chunk(&prepared, c, budget, None);
            prop_assert!(report.tokens <= budget, "context {} over budget {budget}", report.tokens);
            // Hunk ranges this chunk shows, per side.
            let mut new_ranges = Vec::new();
            let mut old_ranges = Vec::new();
            for part in &c.files {
                for seg in &part.segments {
                    let h = &files[part.file].hunks[seg.hunk];
                    new_ranges.extend(h.new_range().map(|(a, b)| (a.get(), b.get())));
                    old_ranges.extend(h.old_range().map(|(a, b)| (a.get(), b.get())));
                }
            }
            let mut without_context = String::new();
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix('~') {
                    if rest == "…" || rest.starts_with(path) {
                        continue;
                    }
                    let (side, n) = tag_of(rest).expect("context lines come from the tagged texts");
                    let ranges = if side == 'H' { &new_ranges } else { &old_ranges };
                    prop_assert!(!ranges.iter().any(|&(a, b)| a <= n && n <= b), "~ line {side}{n} repeats a shown hunk line:\n{text}");
                    continue;
                }
                let line = if line.starts_with("@@") { "@@" } else { line };
                without_context.push_str(line);
                without_context.push('\n');
            }
            let today = argus_diff::chunk::render_chunk(&files, c, &[], DiffOptions::default());
            let today: String = today.lines().map(|l| if l.starts_with("@@") { "@@\n".to_string() } else { format!("{l}\n") }).collect();
            prop_assert_eq!(without_context, today, "rendered:\n{}", text);
        }
        // Relocation answers for any line without panicking.
        for n in 1..=head.lines().count() as u32 + 2 {
            let r = relocate(&prepared, path, NewLine::new(n).expect("n >= 1"));
            if let Some(near) = r.nearest {
                prop_assert!(r.changed_in_scope.contains(&near));
            }
        }
    }
}
