//! The table-driven token estimator must give exactly what its definition
//! says. The definition is kept here in its plain run-by-run form (the code
//! the crate shipped before the automaton) and both are compared on every
//! corpus diff, on every prefix cut of a mixed sample, and on random text.

use crate::common::all_diffs;
use argus_diff::tokens::estimate;
use proptest::prelude::*;

/// The estimator's definition, one maximal run at a time (see `src/tokens.rs`).
fn reference(text: &str) -> u32 {
    let b = text.as_bytes();
    let mut units: u32 = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() {
            let mut s = i;
            i += 1;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                if b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase() {
                    units += 4 * ((i - s) as u32).div_ceil(5);
                    s = i;
                }
                i += 1;
            }
            units += 4 * ((i - s) as u32).div_ceil(5);
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            units += 4 * ((i - s) as u32).div_ceil(3);
        } else if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            let s = i;
            let mut newline = false;
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                newline |= b[i] == b'\n';
                i += 1;
            }
            if newline || i - s > 1 {
                units += 4;
            }
        } else if c < 0x80 {
            let s = i;
            while i < b.len() && b[i].is_ascii_punctuation() {
                i += 1;
            }
            if i == s {
                i += 1;
                units += 4;
            } else {
                units += 3 * ((i - s) as u32).div_ceil(2) + 1;
            }
        } else {
            let s = i;
            while i < b.len() && b[i] >= 0x80 {
                i += 1;
            }
            units += 4 * b[s..i].iter().filter(|&&x| (x & 0xC0) != 0x80).count() as u32;
        }
    }
    units.saturating_mul(23).div_ceil(100)
}

#[test]
fn matches_definition_on_every_corpus_diff() {
    let mut checked = 0;
    for (name, text) in all_diffs() {
        assert_eq!(estimate(&text), reference(&text), "{name}");
        // Hunk-sized pieces too: the estimator is called per hunk and per line.
        for piece in text.split("\n@@") {
            assert_eq!(estimate(piece), reference(piece), "{name}: piece {:?}", &piece[..piece.len().min(60)]);
        }
        checked += 1;
    }
    assert!(checked > 300, "corpus not found: {checked} files");
}

#[test]
fn matches_definition_on_every_prefix_of_a_mixed_sample() {
    // Long enough to be cut into four interleaved pieces, with every class
    // and every run-length remainder around the cuts.
    let sample = "fn parseHTTPRequest(x: u32) -> Result<(), Error> {\n\t  let n = 1234567;  // héllo wörld 你好 \r\n\
                  \x0b\x0c\x00 aGVsbG8gd29ybGQ= ::<>() ==> 0x1F2e3D;\n"
        .repeat(6);
    for end in 0..=sample.len() {
        if sample.is_char_boundary(end) {
            assert_eq!(estimate(&sample[..end]), reference(&sample[..end]), "prefix of {end} bytes");
        }
    }
}

proptest! {
    #[test]
    fn matches_definition_on_random_text(s in "([a-zA-Z]{1,12}|[0-9]{1,7}|[ \t\r\n]{1,4}|[!-/:-@\\[-`{-~]{1,5}|[\\x00-\\x08\\x7f]|[é你😀]{1,3}){0,400}") {
        prop_assert_eq!(estimate(&s), reference(&s));
    }

    #[test]
    fn sub_additive_on_lines(s in "([a-zA-Z]{1,12}|[0-9]{1,7}|[ \t\n]{1,4}|[!-/:-@]{1,5}|é){0,300}") {
        let parts: u32 = s.split_inclusive('\n').map(estimate).sum();
        prop_assert!(estimate(&s) <= parts);
    }
}
