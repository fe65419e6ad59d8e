//! Accuracy against tree-sitter on every added source file of the real
//! corpus (a new file's diff is the whole file): the share of lines whose
//! innermost scope agrees, printed per language, with a floor under it.
//! The stricter figure over whole source trees is
//! `cargo run --release -p argus-context --example accuracy -- DIR…`.

use crate::common::{added_text, real_diffs};
use crate::support_oracle::{compare, language};
use argus_context::Syntax;
use argus_diff::diff::parse_unified;
use std::collections::BTreeMap;

#[test]
fn corpus_added_files_agree_with_tree_sitter() {
    let mut by: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for (_, text) in real_diffs() {
        let d = parse_unified(&text);
        for f in &d.files {
            let Some(src) = added_text(f) else { continue };
            let syn = Syntax::for_file(f.path(), &src);
            if language(syn).is_none() {
                continue;
            }
            let a = compare(syn, &src).expect("grammar present");
            let e = by.entry(format!("{syn:?}")).or_default();
            e.0 += 1;
            e.1 += a.lines;
            e.2 += a.agree;
        }
    }
    println!("scope finder vs tree-sitter on the corpus's added files (innermost scope per non-blank line):");
    for (lang, (files, lines, agree)) in &by {
        println!("  {lang:<10} {files:>3} files {lines:>6} lines {:>6.2} % agree", *agree as f64 * 100.0 / *lines as f64);
    }
    let rust = by.get("Rust").expect("the corpus has added Rust files");
    let c = by.get("C").expect("the corpus has added C files");
    for (lang, (_, lines, agree)) in [("Rust", rust), ("C", c)] {
        let share = *agree as f64 / *lines as f64;
        assert!(share >= 0.95, "{lang}: {:.2} % of lines agree, below the 95 % target", share * 100.0);
    }
}
