//! Table-driven checks of selection, GitHub patches, placement helpers, prompt
//! rendering (golden snapshots) and the estimator's sub-additivity.

use argus_diff::diff::{DiffPos, FileStatus, NewLine, OldLine, ProblemKind, parse_patch, parse_unified};
use argus_diff::prompt::{self, ContextOptions, Numbering};
use argus_diff::select::{FileClass, Language, SelectConfig, SkipReason, select};
use argus_diff::tokens::estimate;

fn file(path: &str, body: &str) -> String {
    format!("diff --git a/{path} b/{path}\nindex 1..2 100644\n--- a/{path}\n+++ b/{path}\n{body}")
}

#[test]
fn selection_reasons() {
    let one = "@@ -1 +1 @@\n-a\n+b\n";
    let big: String = std::iter::once("@@ -0,0 +1,30 @@\n".to_owned()).chain((0..30).map(|i| format!("+{i}\n"))).collect();
    let text = [
        file("src/main.rs", one),
        file("Cargo.lock", one),
        file("web/app.min.js", one),
        file("vendor/lib/x.c", one),
        file("assets/Logo.PNG", one),
        file("src/big.rs", &big),
        file("docs/guide.md", one),
        file("tests/it.rs", one),
        file("secret/keys.txt", one),
        "diff --git a/gone.rs b/gone.rs\ndeleted file mode 100644\n--- a/gone.rs\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n".to_owned(),
        "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n".to_owned(),
        "diff --git a/img.bin b/img.bin\nindex 1..2 100644\nBinary files a/img.bin and b/img.bin differ\n".to_owned(),
    ]
    .concat();
    let d = parse_unified(&text);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let cfg = SelectConfig { ignore: vec!["secret/**".into()], max_changed_lines_per_file: 20, ..SelectConfig::default() };
    let sel = select(&d.files, &cfg).expect("valid globs");
    let kept: Vec<(&str, FileClass)> = sel.kept.iter().map(|k| (k.path.as_str(), k.class)).collect();
    assert_eq!(kept, [("src/main.rs", FileClass::Source), ("tests/it.rs", FileClass::Test), ("docs/guide.md", FileClass::Docs)]);
    let skipped: Vec<String> = sel.skipped.iter().map(|s| format!("{}: {}", s.path, s.reason.sentence())).collect();
    insta::assert_snapshot!(skipped.join("\n"), @r"
    Cargo.lock: a lockfile (default ignore `**/*.lock`)
    web/app.min.js: minified or a source map (default ignore `**/*.min.{js,css,mjs}`)
    vendor/lib/x.c: vendored code (default ignore `**/vendor/**`)
    assets/Logo.PNG: an image or font (default ignore `**/*.{png,jpg,jpeg,gif,bmp,ico,webp,tiff,svg,psd}`)
    src/big.rs: 30 changed lines, over the limit of 20 per file
    secret/keys.txt: ignored by the configuration (`secret/**`)
    gone.rs: file deleted; nothing to comment on in the new version
    run.sh: no changed lines (mode change, rename or copy, or empty file)
    img.bin: binary file; no text to review
    ");
    // The file cap keeps the most valuable files.
    let capped = select(&d.files, &SelectConfig { max_files: 1, ..cfg.clone() }).expect("valid");
    assert_eq!(capped.kept.len(), 1);
    assert_eq!(capped.kept[0].path, "src/main.rs");
    assert!(capped.skipped.iter().any(|s| s.path == "tests/it.rs" && s.reason == SkipReason::TooManyFiles { max: 1 }));
    // An include list narrows the review and overrides the defaults.
    let inc = select(&d.files, &SelectConfig { include: vec!["vendor/**".into()], ..SelectConfig::default() }).expect("valid");
    assert_eq!(inc.kept.iter().map(|k| k.path.as_str()).collect::<Vec<_>>(), ["vendor/lib/x.c"]);
    // A bad glob is the user's to fix.
    let err = select(&d.files, &SelectConfig { ignore: vec!["a/{b".into()], ..SelectConfig::default() });
    assert!(err.is_err());
}

#[test]
fn language_by_path() {
    let table = [
        ("src/lib.rs", Some(Language::Rust)),
        ("a/b/c.PY", Some(Language::Python)),
        ("web/x.tsx", Some(Language::TypeScript)),
        ("Dockerfile", Some(Language::Dockerfile)),
        ("build/Makefile", Some(Language::Makefile)),
        ("include/git2.h", Some(Language::C)),
        ("README", None),
    ];
    for (path, lang) in table {
        assert_eq!(Language::from_path(path), lang, "{path}");
    }
}

#[test]
fn github_patch_and_placement_helpers() {
    let patch = "@@ -10,3 +10,4 @@ fn f() {\n a\n-b\n+B\n+C\n c\n@@ -30 +31,0 @@\n-gone\n\\ No newline at end of file";
    let p = parse_patch("src/f.rs", patch);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.file.status, FileStatus::Modified);
    assert_eq!(p.file.path(), "src/f.rs");
    let n = |x| NewLine::new(x).expect("non-zero");
    let o = |x| OldLine::new(x).expect("non-zero");
    assert_eq!(p.file.new_line_content(n(11)), Some("B"));
    assert_eq!(p.file.new_line_content(n(13)), Some("c"));
    assert_eq!(p.file.new_line_content(n(14)), None);
    assert_eq!(p.file.hunk_of(DiffPos::Left(o(30))), Some(1));
    assert!(p.file.hunks[1].lines[0].no_newline);
    let c = p.file.commentable();
    let right: Vec<u32> = c.right.iter().map(|(l, _)| l.get()).collect();
    let left: Vec<u32> = c.left.iter().map(|(l, _)| l.get()).collect();
    assert_eq!(right, [10, 11, 12, 13]);
    assert_eq!(left, [10, 11, 12, 30]);
    assert_eq!(c.hunk(DiffPos::Right(n(12))), Some(0));
    assert!(!c.contains(DiffPos::Right(n(14))));
    // Added and deleted files are inferred from the hunks.
    assert_eq!(parse_patch("n", "@@ -0,0 +1 @@\n+x\n").file.status, FileStatus::Added);
    assert_eq!(parse_patch("n", "@@ -1 +0,0 @@\n-x\n").file.status, FileStatus::Deleted);
}

#[test]
fn bad_input_yields_problems_not_panics() {
    let table: &[(&str, ProblemKind)] = &[
        ("@@ -1,2 +1,2 @@\n a\n", ProblemKind::HunkTruncated { missing_old: 1, missing_new: 1 }),
        ("@@ -x +1 @@\n+a\n", ProblemKind::BadHunkHeader),
        ("@@ -1,2 +1,2 @@\n a\n?b\n", ProblemKind::BadHunkLine),
        ("@@ -0,1 +0,1 @@\n a\n", ProblemKind::ZeroStart),
        ("diff --git \"a/x\\q\" b/x\n", ProblemKind::BadQuotedPath),
        ("@@ -1,3 +1,3 @@\n a\n\n c\n", ProblemKind::BareEmptyLine),
    ];
    for (input, want) in table {
        let d = parse_unified(input);
        assert!(d.problems.iter().any(|p| &p.kind == want), "{input:?}: {:?}", d.problems);
    }
}

const SAMPLE: &str = "diff --git a/src/calc.rs b/src/calc.rs
index 1..2 100644
--- a/src/calc.rs
+++ b/src/calc.rs
@@ -4,6 +4,7 @@ impl Calc {
     fn add(&self, a: u32, b: u32) -> u32 {
         // Sum two numbers.
-        a + b
+        a.checked_add(b)
+            .unwrap_or(u32::MAX)
     }
 
     fn sub(&self, a: u32, b: u32) -> u32 {
";

#[test]
fn prompt_golden() {
    let d = parse_unified(SAMPLE);
    let f = &d.files[0];
    let mut plain = String::new();
    prompt::render_file(f, ContextOptions::default(), &mut plain);
    insta::assert_snapshot!(plain, @r"
    ## src/calc.rs
    @@ impl Calc {
         fn add(&self, a: u32, b: u32) -> u32 {
             // Sum two numbers.
    6-        a + b
    6+        a.checked_add(b)
    7+            .unwrap_or(u32::MAX)
         }
     
         fn sub(&self, a: u32, b: u32) -> u32 {
    ");
    let mut all = String::new();
    let opts = ContextOptions { numbering: Numbering::AllNewSide };
    prompt::render_file(f, opts, &mut all);
    insta::assert_snapshot!(all, @r"
    ## src/calc.rs
    @@ impl Calc {
    4     fn add(&self, a: u32, b: u32) -> u32 {
    5         // Sum two numbers.
    6-        a + b
    6+        a.checked_add(b)
    7+            .unwrap_or(u32::MAX)
    8     }
    9 
    10     fn sub(&self, a: u32, b: u32) -> u32 {
    ");
}

#[test]
fn estimator_is_sub_additive_on_lines() {
    let text = SAMPLE.repeat(3) + "héllo wörld 你好 0x1234567 ->::();\n";
    let whole = estimate(&text);
    let parts: u32 = text.split_inclusive('\n').map(estimate).sum();
    assert!(whole <= parts, "{whole} > {parts}");
    assert_eq!(estimate(""), 0);
}

#[test]
fn default_ignores_match_whatever_the_case() {
    // The defaults are matched against the lowercased path, so they must be
    // lowercase themselves.
    for (p, _) in argus_diff::select::DEFAULT_IGNORES {
        assert_eq!(*p, p.to_lowercase(), "default pattern {p} is not lowercase");
    }
    let table = [
        ("Cargo.LOCK", true),
        ("web/App.Min.JS", true),
        ("third_party/Zlib/inflate.c", true),
        ("a/Node_Modules/x/index.js", true),
        ("Fonts/Ünïcode.WOFF2", true),
        ("src/Vendored.rs", false),
        ("src/lockfile.rs", false),
        ("Ünïcode/Main.rs", false),
    ];
    let text: String = table.iter().map(|(p, _)| file(p, "@@ -1 +1 @@\n-a\n+b\n")).collect();
    let d = parse_unified(&text);
    let sel = select(&d.files, &SelectConfig::default()).expect("valid");
    for (path, ignored) in table {
        let skipped = sel.skipped.iter().any(|s| s.path == path && matches!(s.reason, SkipReason::DefaultIgnore { .. }));
        assert_eq!(skipped, ignored, "{path}");
    }
}

#[test]
fn file_class_directories_are_whole_path_segments() {
    let table = [
        ("docs/a.rs", FileClass::Docs),
        ("x/docs/a.rs", FileClass::Docs),
        ("mydocs/a.rs", FileClass::Source),
        ("x/docsy/a.rs", FileClass::Source),
        ("Tests/a.rs", FileClass::Test),
        ("crate/tests/a.rs", FileClass::Test),
        ("crate/contests/a.rs", FileClass::Source),
        ("tests", FileClass::Other),
        (".github/workflows/ci.yml", FileClass::Build),
        ("x.github/a.yml", FileClass::Config),
    ];
    for (path, class) in table {
        assert_eq!(FileClass::from_path(path), class, "{path}");
    }
}

#[test]
fn file_cap_keeps_the_same_files_in_the_same_order_as_a_full_sort() {
    // 200 files of mixed classes in a scrambled order.
    let names = ["src/a.rs", "tests/t.rs", "docs/d.md", "build.rs", "cfg.toml", "x.unknown"];
    let text: String = (0..200)
        .map(|i| {
            let n = names[(i * 7) % names.len()];
            file(&format!("d{:03}/{n}", (i * 37) % 200), "@@ -1 +1 @@\n-a\n+b\n")
        })
        .collect();
    let d = parse_unified(&text);
    let uncapped = select(&d.files, &SelectConfig { max_files: usize::MAX, ..SelectConfig::default() }).expect("valid");
    assert_eq!(uncapped.kept.len(), 200);
    for cap in [0, 1, 7, 50, 199, 200, 500] {
        let sel = select(&d.files, &SelectConfig { max_files: cap, ..SelectConfig::default() }).expect("valid");
        let want: Vec<usize> = uncapped.kept.iter().take(cap).map(|k| k.index).collect();
        assert_eq!(sel.kept.iter().map(|k| k.index).collect::<Vec<_>>(), want, "cap {cap}");
        let skipped: Vec<usize> = sel.skipped.iter().map(|s| s.index).collect();
        let mut rest: Vec<usize> = uncapped.kept.iter().skip(cap).map(|k| k.index).collect();
        rest.sort_unstable();
        assert_eq!(skipped, rest, "cap {cap}");
    }
}
