//! The documented rules by example, and globset itself as the oracle for random globs and paths.

use super::*;
use proptest::prelude::*;

fn sep(p: &str) -> Glob {
    GlobBuilder::new(p).literal_separator(true).build().unwrap()
}

#[test]
fn the_documented_rules() {
    let cases: &[(&str, &str, bool)] = &[
        ("*.rs", "main.rs", true),
        ("*.rs", "src/main.rs", false),
        ("**/*.rs", "main.rs", true),
        ("**/*.rs", "src/a/main.rs", true),
        ("src/**", "src/a/b.rs", true),
        ("src/**", "src", false),
        ("src/**/mod.rs", "src/mod.rs", true),
        ("src/**/mod.rs", "src/a/b/mod.rs", true),
        ("src/**/mod.rs", "srcmod.rs", false),
        ("?.md", "a.md", true),
        ("?.md", "/.md", false),
        ("[ab].txt", "b.txt", true),
        ("[!ab].txt", "b.txt", false),
        ("[!ab].txt", "c.txt", true),
        ("[a-c]x", "bx", true),
        ("[[:digit:]]*", "7up", true),
        ("{src,lib}/**", "lib/x", true),
        ("{src,lib}/**", "bin/x", false),
        ("a{,b}", "a", false),
        ("a{,b}", "ab", true),
        ("\\*", "*", true),
        ("\\*", "a", false),
        ("**", "any/thing/at/all", true),
        ("a**b", "axb", true),
        ("a**b", "a/b", false),
        ("release/*", "release/1.2", true),
        ("release/*", "main", false),
    ];
    for &(pattern, path, want) in cases {
        assert_eq!(sep(pattern).is_match(path), want, "{pattern} on {path}");
    }
    assert!(Glob::new("*.rs").unwrap().is_match("src/main.rs"), "without literal_separator * crosses /");
    let snap = path_glob("*.snap").unwrap();
    assert!(snap.is_match("a.snap") && snap.is_match("tests/snapshots/a.snap"), "no `/`: any depth");
    let src = path_glob("src/*.rs").unwrap();
    assert!(src.is_match("src/a.rs") && !src.is_match("src/x/a.rs") && !src.is_match("lib/src/a.rs"));
    let folded = GlobBuilder::new("**/*.LOCK").case_insensitive(true).literal_separator(true).build().unwrap();
    assert!(folded.is_match("a/yarn.lock") && folded.is_match("Cargo.Lock"));
}

#[test]
fn errors_say_what_globset_says() {
    let cases: &[(&str, ErrorKind)] = &[
        ("src/[", ErrorKind::UnclosedClass),
        ("[]", ErrorKind::UnclosedClass),
        ("[z-a]", ErrorKind::InvalidRange('z', 'a')),
        ("{src,lib/**", ErrorKind::UnclosedAlternates),
        ("a,b}", ErrorKind::UnopenedAlternates),
        ("a\\", ErrorKind::DanglingEscape),
    ];
    for (pattern, kind) in cases {
        let ours = Glob::new(pattern).unwrap_err();
        let theirs = globset::Glob::new(pattern).unwrap_err();
        assert_eq!(ours.kind(), kind, "{pattern}");
        assert_eq!(ours.kind().to_string(), theirs.kind().to_string(), "{pattern}");
        assert_eq!(ours.to_string(), theirs.to_string(), "{pattern}");
    }
    let deep = "{".repeat(101);
    assert_eq!(Glob::new(&deep).unwrap_err().kind(), &ErrorKind::TooManyNestedAlternates);
}

#[test]
fn a_set_reports_every_match_in_order() {
    let set = GlobSet::new(["**/*.rs", "src/**", "*.md"].map(sep));
    assert_eq!(set.matches("src/lib.rs"), vec![0, 1]);
    assert_eq!(set.first_match("README.md"), Some(2));
    assert!(!set.is_match("docs/a.txt"));
    assert!(GlobSet::empty().matches("a").is_empty());
}

#[test]
fn long_paths_and_patterns_stay_linear() {
    // A pattern that makes backtracking matchers exponential.
    let g = sep(&"*a".repeat(30));
    assert!(!g.is_match(&"a".repeat(29)));
    assert!(g.is_match(&"a".repeat(5000)));
}

/// Pieces of patterns: every token kind, the `**` placements, separators,
/// and the characters that are syntax in some places only.
const PIECES: &[&str] = &[
    "a",
    "b",
    "A",
    ".",
    "/",
    "-",
    ",",
    "é",
    "*",
    "**",
    "?",
    "**/",
    "/**",
    "/**/",
    "[ab]",
    "[!a]",
    "[^b]",
    "[a-c]",
    "[/]",
    "[!/]",
    "[-a]",
    "[a-]",
    "[]a]",
    "[[:digit:]]",
    "[[:foo:]]",
    "{a,b}",
    "{,a}",
    "{a,{b,/}}",
    "{**/a,b/**}",
    "{",
    "}",
    "\\*",
    "\\",
    "[",
    "1",
];
const PATH_PIECES: &[&str] = &["a", "b", "A", "B", ".", "/", "-", ",", "é", "1", "*", "]", "[", "ab", "a/b"];

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..7).prop_map(|v| v.concat())
}

/// Patterns long enough for programs past 128 instructions (the unbounded runner).
fn long_pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 20..60).prop_map(|v| v.concat())
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PATH_PIECES), 0..9).prop_map(|v| v.concat())
}

/// A path made from the pattern itself, its syntax characters each dropped,
/// kept or replaced by `a` or `/`: paths random pieces would rarely hit.
fn near(p: &str, choices: &[u8]) -> String {
    let mut out = String::new();
    for (i, c) in p.chars().enumerate() {
        if "*?[]{},!^\\:-".contains(c) {
            match choices[i % choices.len()] % 4 {
                0 => {}
                1 => out.push('a'),
                2 => out.push('/'),
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn matches_exactly_as_globset(
        p in pattern(),
        mut paths in prop::collection::vec(path(), 1..6),
        choices in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..8), 4),
        literal_separator: bool,
        case_insensitive: bool,
    ) {
        paths.extend(choices.iter().map(|c| near(&p, c)));
        let ours = GlobBuilder::new(&p).literal_separator(literal_separator).case_insensitive(case_insensitive).build();
        let theirs = globset::GlobBuilder::new(&p)
            .literal_separator(literal_separator)
            .case_insensitive(case_insensitive)
            .build()
            .map(|g| g.compile_matcher());
        match (ours, theirs) {
            (Ok(ours), Ok(theirs)) => {
                for path in &paths {
                    prop_assert_eq!(ours.is_match(path), theirs.is_match(path), "{:?} on {:?}", p, path);
                }
            }
            (Err(ours), Err(theirs)) => prop_assert_eq!(ours.kind().to_string(), theirs.kind().to_string(), "{:?}", p),
            (ours, theirs) => prop_assert!(false, "{:?}: ours {:?}, globset {:?}", p, ours.map(|_| ()), theirs.map(|_| ())),
        }
    }

    #[test]
    fn both_runners_agree(p in long_pattern(), paths in prop::collection::vec(path(), 1..6), choices in prop::collection::vec(any::<u8>(), 1..8)) {
        if let Ok(g) = GlobBuilder::new(&p).literal_separator(true).build() {
            for path in paths.iter().cloned().chain([near(&p, &choices)]) {
                let s = path.as_bytes();
                let small = (g.prog.len() <= 128).then(|| run_small(&g.prog, &closures(&g.prog), s));
                prop_assert!(small.is_none_or(|m| m == run(&g.prog, s)), "{:?} on {:?}", p, path);
                let theirs = globset::GlobBuilder::new(&p).literal_separator(true).build().unwrap().compile_matcher();
                prop_assert_eq!(g.is_match(&path), theirs.is_match(&path), "{:?} on {:?}", p, path);
            }
        }
    }
}
