//! Finding fingerprints and dedupe: the same finding is never posted twice on a PR,
//! neither across pushes (keys ride in hidden markers of ArgusAI's earlier
//! comments) nor across the chunks of one review.
//!
//! What "the same finding" means ([`FindingKey::same_finding`]): the exact
//! fingerprint (path, normalized title and body, the content of the anchored
//! lines — never line numbers, so a finding survives code moving up or down) is
//! equal; or the finding sits on the same code (path, category and the
//! anchored lines' content: its *site*) and its title says the same thing in
//! other words — models reword a finding from one run to the next ("Division
//! by zero" / "Possible divide-by-zero when b is 0"), and a reworded repeat is
//! still a repeat. Two different problems on the same lines either differ in
//! category or share no salient title word, and both are kept.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

/// Words that say nothing about which problem a title names.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "by",
    "with",
    "from",
    "and",
    "or",
    "is",
    "are",
    "be",
    "was",
    "it",
    "its",
    "this",
    "that",
    "may",
    "might",
    "could",
    "can",
    "will",
    "would",
    "should",
    "not",
    "no",
    "when",
    "if",
    "without",
    "possible",
    "possibly",
    "potential",
    "potentially",
    "missing",
    "lack",
    "lacks",
    "unchecked",
    "error",
    "errors",
    "issue",
    "issues",
    "bug",
    "problem",
    "check",
    "checks",
    "value",
    "values",
    "code",
    "use",
    "used",
    "uses",
    "using",
    "line",
    "lines",
    "function",
    "method",
    "variable",
    "here",
    "there",
    "which",
    "does",
    "do",
];

/// The salient words of a title, stemmed to their first four letters (so
/// `divide`/`division`, `panic`/`panics`, `overflow`/`overflows` meet), as
/// small sorted hashes. Words of `path` do not count: the site already says
/// which file, and "X in src/parser.rs" would otherwise match "Y in src/parser.rs".
pub fn title_words(title: &str, path: &str) -> Vec<u16> {
    let stems = |text: &str| -> Vec<u16> {
        normalize_text(text)
            .split([' ', '_'])
            .filter(|w| w.chars().count() >= 2 && !w.starts_with('#') && !STOP_WORDS.contains(w))
            .map(|w| {
                let stem: String = w.chars().take(4).collect();
                // FNV-1a, folded to 16 bits: a few words per title, so collisions barely matter.
                let mut h: u32 = 0x811c_9dc5;
                for b in stem.bytes() {
                    h ^= u32::from(b);
                    h = h.wrapping_mul(0x0100_0193);
                }
                ((h >> 16) ^ (h & 0xffff)) as u16
            })
            .collect()
    };
    let in_path = stems(path);
    let mut out: Vec<u16> = stems(title).into_iter().filter(|w| !in_path.contains(w)).collect();
    argus_core::sort::sort(&mut out);
    out.dedup();
    out.truncate(8);
    out
}

/// What identifies a finding across runs: its exact fingerprint, its site
/// (path, category, anchored code; `None` when no code was anchored) and its
/// title's salient words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingKey {
    pub exact: Fingerprint,
    pub site: Option<Fingerprint>,
    pub words: Vec<u16>,
}

impl FindingKey {
    pub fn of<'a>(path: &str, category: &str, title: &str, body: &str, anchored_lines: impl IntoIterator<Item = &'a str> + Clone) -> Self {
        let exact = fingerprint(path, title, body, anchored_lines.clone());
        let lines: Vec<&str> = anchored_lines.into_iter().collect();
        let site = (!lines.is_empty()).then(|| fingerprint(path, category, "", lines));
        FindingKey { exact, site, words: title_words(title, path) }
    }

    /// A key known only by its exact fingerprint (markers written before keys existed).
    pub fn exact_only(exact: Fingerprint) -> Self {
        FindingKey { exact, site: None, words: Vec::new() }
    }

    /// Whether `other` names the same problem (see the module docs).
    pub fn same_finding(&self, other: &FindingKey) -> bool {
        if self.exact == other.exact {
            return true;
        }
        let (Some(a), Some(b)) = (self.site, other.site) else { return false };
        if a != b {
            return false;
        }
        if self.words.is_empty() || other.words.is_empty() {
            // Same code, same category, and no title words to tell them apart.
            return self.words.is_empty() && other.words.is_empty();
        }
        let shared = self.words.iter().filter(|w| other.words.binary_search(w).is_ok()).count();
        // Overlap coefficient: half the shorter title's salient words.
        shared >= 1 && shared * 2 >= self.words.len().min(other.words.len())
    }

    /// `exact.site.words` in hex, for hidden markers (`site` is `-` when none).
    pub fn encode(&self) -> String {
        let site = self.site.map_or_else(|| "-".to_string(), |s| s.to_string());
        let words: String = self.words.iter().map(|w| format!("{w:04x}")).collect();
        format!("{}.{site}.{words}", self.exact)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.split('.');
        let exact = Fingerprint::parse(parts.next()?)?;
        let site = match parts.next()? {
            "-" => None,
            hex => Some(Fingerprint::parse(hex)?),
        };
        let w = parts.next().unwrap_or("");
        if parts.next().is_some() || !w.len().is_multiple_of(4) || w.len() > 32 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let words = (0..w.len()).step_by(4).map(|i| u16::from_str_radix(&w[i..i + 4], 16)).collect::<Result<Vec<_>, _>>().ok()?;
        Some(FindingKey { exact, site, words })
    }
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

/// Remembers findings: those already posted on the PR and those kept so far.
#[derive(Clone, Debug, Default)]
pub struct Dedupe {
    posted: Vec<FindingKey>,
    kept: Vec<FindingKey>,
}

impl Dedupe {
    pub fn new(already_posted: impl IntoIterator<Item = FindingKey>) -> Self {
        Self { posted: already_posted.into_iter().collect(), kept: Vec::new() }
    }

    /// `Ok(())` the first time a finding is seen (and remembers it), else why it is a duplicate.
    pub fn admit(&mut self, key: &FindingKey) -> Result<(), Duplicate> {
        if self.posted.iter().any(|p| p.same_finding(key)) {
            Err(Duplicate::AlreadyPosted)
        } else if self.kept.iter().any(|k| k.same_finding(key)) {
            Err(Duplicate::InThisReview)
        } else {
            self.kept.push(key.clone());
            Ok(())
        }
    }

    /// Splits `items` into the kept ones and the dropped ones with their reason, in order.
    pub fn split<T>(&mut self, items: Vec<T>, key: impl Fn(&T) -> FindingKey) -> (Vec<T>, Vec<(T, Duplicate)>) {
        let mut kept = Vec::with_capacity(items.len());
        let mut dropped = Vec::new();
        for item in items {
            match self.admit(&key(&item)) {
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
        let fp = |s: &&str| FindingKey::exact_only(fingerprint("f", s, "", []));
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

    fn key(category: &str, title: &str, body: &str, line: &str) -> FindingKey {
        FindingKey::of("src/calc.rs", category, title, body, [line])
    }

    /// "The same finding", as a table: reworded repeats are the same; another
    /// problem on the same code, the same words on other code, or another
    /// category are not.
    #[test]
    fn the_same_finding_survives_rewording_and_nothing_else_merges() {
        let div = key("bug", "Division by zero", "b may be 0.", "    a / b");
        let same = [
            key("bug", "Possible divide-by-zero when b is 0", "Guard the divisor first.", "a / b"),
            key("bug", "Divisor can be zero", "Check b before dividing.", "a / b"),
            key("bug", "division by ZERO!", "b may be 0.", "a  /  b"),
        ];
        for k in &same {
            assert!(div.same_finding(k) && k.same_finding(&div), "{k:?}");
        }
        // The site normalizes whitespace only: `a/b` is other code.
        assert!(!key("bug", "Division by zero", "x", "a/b").same_finding(&key("bug", "Division by zero", "y", "a / b")));
        let different = [
            key("bug", "Integer overflow on multiply", "a * b overflows.", "a / b"),
            key("security", "Division by zero", "An attacker-chosen divisor crashes the service.", "a / b"),
            key("bug", "Division by zero", "b may be 0.", "a % b"),
        ];
        for k in &different {
            assert!(!div.same_finding(k), "{k:?}");
        }
        // Stop words and stemming: "missing null check" and "possible null dereference" are one problem.
        assert!(key("bug", "Missing null check", "", "x.y").same_finding(&key("bug", "Possible null dereference", "", "x.y")));
        // The file's own name in both titles says nothing about which problem it is.
        let nit = FindingKey::of("src/cookie/signed.rs", "bug", "Nit in src/cookie/signed.rs", "", ["x"]);
        let serious = FindingKey::of("src/cookie/signed.rs", "bug", "Bug in src/cookie/signed.rs", "", ["x"]);
        assert!(!nit.same_finding(&serious));
        // Without anchored code only the exact fingerprint counts.
        let a = FindingKey::of("f", "bug", "Lock ordering", "b", std::iter::empty::<&str>());
        let b = FindingKey::of("f", "bug", "Lock ordering differs", "b", std::iter::empty::<&str>());
        assert!(!a.same_finding(&b) && a.same_finding(&a.clone()));
    }

    #[test]
    fn keys_round_trip_through_markers_text() {
        for k in [key("bug", "Division by zero", "b", "a / b"), FindingKey::of("f", "bug", "", "", std::iter::empty::<&str>())] {
            assert_eq!(FindingKey::decode(&k.encode()), Some(k.clone()), "{}", k.encode());
        }
        for bad in ["", "zz", "0123456789abcdef", "0123456789abcdef.-.abc", "0123456789abcdef.-.0001.x", "0123456789abcdef.nothex.0001"] {
            assert_eq!(FindingKey::decode(bad), None, "{bad:?}");
        }
    }
}
