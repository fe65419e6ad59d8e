//! The risk rule over the real corpus: pinned cases of each kind and of a
//! change that needs a review, and the corpus-wide count.

use crate::common::real_diffs;
use argus_diff::diff::parse_unified;
use argus_diff::risk::{TrivialKind, trivial_change};

fn kinds(name: &str, docs_are_trivial: bool) -> Option<Vec<TrivialKind>> {
    let (_, text) = real_diffs().into_iter().find(|(n, _)| n.ends_with(name)).unwrap_or_else(|| panic!("{name} in the corpus"));
    let files = parse_unified(&text).files;
    trivial_change(&files, docs_are_trivial).map(|t| t.files.into_iter().map(|(_, k)| k).collect())
}

#[test]
fn pinned_corpus_changes() {
    use TrivialKind::*;
    // (corpus diff, docs are trivial, expected)
    #[rustfmt::skip]
    let cases: &[(&str, bool, Option<&[TrivialKind]>)] = &[
        ("ripgrep-ef0e7af56a9b.diff", true,  Some(&[Lockfile])),          // Cargo.lock only
        ("ripgrep-1ece50694e3e.diff", true,  Some(&[Docs])),              // README.md only
        ("ripgrep-1ece50694e3e.diff", false, None),                       // ... reviewed by `thorough`
        ("libgit2-ba1afdc373b5.diff", true,  Some(&[Docs])),              // CHANGELOG.md
        ("libgit2-04d3853ff69c.diff", true,  Some(&[Formatting])),        // `IF (` → `IF(` in CMakeLists.txt
        ("axum-e3d34bb553d5.diff",    true,  None),                       // CHANGELOG.md and Rust code
    ];
    for (name, docs, expected) in cases {
        assert_eq!(kinds(name, *docs).as_deref(), *expected, "{name} (docs trivial: {docs})");
    }
}

#[test]
fn the_corpus_share_of_trivial_changes_is_stable() {
    let all = real_diffs();
    let trivial = all.iter().filter(|(_, t)| trivial_change(&parse_unified(t).files, true).is_some()).count();
    // 65 of 360 at the time of writing, on the whole diffs. The pipeline's `quiet`
    // example counts 64: there the files are GitHub's list, as the Worker sees it.
    assert_eq!((trivial, all.len()), (65, 360));
}
