//! Finding fingerprints and dedupe: the same finding is never posted twice on a PR,
//! neither across pushes (fingerprints ride in hidden markers of ArgusAI's earlier
//! comments) nor across the chunks of one review.
//!
//! A fingerprint hashes the path, the normalized title and body, and the content of the
//! anchored lines — never line numbers — so a finding survives code moving up or down.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;

/// 64 bits of SHA-256: collisions are negligible at a few thousand findings per PR,
/// and 16 hex characters keep the hidden markers small.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    pub const HEX_LEN: usize = 16;

    /// Parses exactly 16 lowercase or uppercase hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != Self::HEX_LEN || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(s, 16).ok().map(Fingerprint)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Fingerprint::parse(&s).ok_or_else(|| serde::de::Error::custom("a fingerprint is 16 hex digits"))
    }
}

/// Lowercases, drops Markdown punctuation, turns every digit run into `#` (bodies often
/// say "line 42", which moves with the code) and collapses whitespace.
pub fn normalize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push('#');
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        if c.is_alphanumeric() || c == '_' {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// Collapses the whitespace of a code line; indentation changes do not make a new finding.
pub fn normalize_code_line(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fingerprint of a finding on `path`, anchored on `anchored_lines` (their content,
/// without diff markers; empty when the finding could not be anchored).
pub fn fingerprint<'a>(path: &str, title: &str, body: &str, anchored_lines: impl IntoIterator<Item = &'a str>) -> Fingerprint {
    let mut h = Sha256::new();
    // Fields are separated by a byte that cannot appear in normalized text.
    h.update(path.as_bytes());
    h.update([0u8]);
    h.update(normalize_text(title).as_bytes());
    h.update([0u8]);
    h.update(normalize_text(body).as_bytes());
    h.update([0u8]);
    for line in anchored_lines {
        h.update(normalize_code_line(line).as_bytes());
        h.update([b'\n']);
    }
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    Fingerprint(u64::from_be_bytes(first))
}

/// Why a finding was dropped by [`Dedupe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duplicate {
    /// An earlier review on this PR already posted it.
    AlreadyPosted,
    /// Another chunk (or the same reply) of this review already has it.
    InThisReview,
}

/// Remembers fingerprints: those already posted on the PR and those kept so far.
#[derive(Clone, Debug, Default)]
pub struct Dedupe {
    posted: HashSet<Fingerprint>,
    kept: HashSet<Fingerprint>,
}

impl Dedupe {
    pub fn new(already_posted: impl IntoIterator<Item = Fingerprint>) -> Self {
        Self { posted: already_posted.into_iter().collect(), kept: HashSet::new() }
    }

    /// `Ok(())` the first time a fingerprint is seen (and remembers it), else why it is a duplicate.
    pub fn admit(&mut self, fp: Fingerprint) -> Result<(), Duplicate> {
        if self.posted.contains(&fp) {
            Err(Duplicate::AlreadyPosted)
        } else if !self.kept.insert(fp) {
            Err(Duplicate::InThisReview)
        } else {
            Ok(())
        }
    }

    /// Splits `items` into the kept ones and the dropped ones with their reason, in order.
    pub fn split<T>(&mut self, items: Vec<T>, fp: impl Fn(&T) -> Fingerprint) -> (Vec<T>, Vec<(T, Duplicate)>) {
        let mut kept = Vec::with_capacity(items.len());
        let mut dropped = Vec::new();
        for item in items {
            match self.admit(fp(&item)) {
                Ok(()) => kept.push(item),
                Err(why) => dropped.push((item, why)),
            }
        }
        (kept, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_ignores_case_punctuation_numbers_and_spacing() {
        let cases = [
            ("Unchecked `unwrap()` on line 42!", "unchecked unwrap on line #"),
            ("  UNCHECKED unwrap  on   line 7 ", "unchecked unwrap on line #"),
            ("x1y22z", "x#y#z"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_text(input), want, "{input:?}");
        }
    }

    #[test]
    fn fingerprint_is_stable_under_line_shifts_and_reformatting() {
        let a = fingerprint("src/a.rs", "Unchecked unwrap", "At line 10 this panics.", ["    let x = y.unwrap();"]);
        let b = fingerprint("src/a.rs", "unchecked  unwrap", "At line 31 this panics", ["let x = y.unwrap();  "]);
        assert_eq!(a, b);
        // Each ingredient matters.
        assert_ne!(a, fingerprint("src/b.rs", "Unchecked unwrap", "At line 10 this panics.", ["let x = y.unwrap();"]));
        assert_ne!(a, fingerprint("src/a.rs", "Unchecked expect", "At line 10 this panics.", ["let x = y.unwrap();"]));
        assert_ne!(a, fingerprint("src/a.rs", "Unchecked unwrap", "At line 10 this returns.", ["let x = y.unwrap();"]));
        assert_ne!(a, fingerprint("src/a.rs", "Unchecked unwrap", "At line 10 this panics.", ["let x = z.unwrap();"]));
        // Field boundaries are not ambiguous.
        assert_ne!(fingerprint("a", "b c", "", []), fingerprint("a", "b", "c", []));
    }

    #[test]
    fn fingerprint_round_trips_through_hex_and_serde() {
        let fp = fingerprint("p", "t", "b", ["l"]);
        let hex = fp.to_string();
        assert_eq!(hex.len(), 16);
        assert_eq!(Fingerprint::parse(&hex), Some(fp));
        assert_eq!(Fingerprint::parse(&hex.to_uppercase()), Some(fp));
        for bad in ["", "123", "zzzzzzzzzzzzzzzz", "0123456789abcdef0", "+123456789abcdef"] {
            assert_eq!(Fingerprint::parse(bad), None, "{bad:?}");
        }
        let json = serde_json::to_string(&fp).unwrap();
        assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), fp);
        assert!(serde_json::from_str::<Fingerprint>("\"nope\"").is_err());
    }

    #[test]
    fn dedupe_drops_posted_and_repeated_findings_in_order() {
        let fp = |s: &&str| fingerprint("f", s, "", []);
        let posted = [fp(&"old")];
        let mut d = Dedupe::new(posted);
        let (kept, dropped) = d.split(vec!["new", "old", "new", "other"], fp);
        assert_eq!(kept, vec!["new", "other"]);
        assert_eq!(dropped, vec![("old", Duplicate::AlreadyPosted), ("new", Duplicate::InThisReview)]);
        // A later chunk sees what earlier chunks kept.
        let (kept, dropped) = d.split(vec!["other", "third"], fp);
        assert_eq!(kept, vec!["third"]);
        assert_eq!(dropped, vec![("other", Duplicate::InThisReview)]);
    }
}
