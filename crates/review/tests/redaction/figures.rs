//! The redactor's two figures, shared by the tests and by
//! `cargo run -p argus-review --example redaction_figures`:
//! - recall on the generated corpus ([`super::corpus`]), per kind and per style;
//! - every redaction on the 360 real diffs of `../shared/corpora/diffs/real` (none of
//!   which holds a live secret), listed by file, line, kind and shape, never by value.

use super::corpus::{Case, cases, secret_parts};
use argus_review::redact::{SecretKind, find_secrets, redact, shape};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

/// Found / total for one kind or style.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub found: usize,
    pub total: usize,
}

impl Tally {
    pub fn percent(&self) -> f64 {
        if self.total == 0 { 0.0 } else { 100.0 * self.found as f64 / self.total as f64 }
    }
}

pub struct Recall {
    pub by_kind: BTreeMap<SecretKind, Tally>,
    pub by_style: BTreeMap<String, Tally>,
    pub misses: Vec<(Case, String)>,
    pub total: Tally,
}

/// A case counts as found when its kind is reported, no part of its secret is left in the
/// redacted text, and the text keeps its lines.
pub fn caught(case: &Case) -> Result<(), String> {
    let r = redact(&case.text);
    if r.text.lines().count() != case.text.lines().count() || r.text.matches('\n').count() != case.text.matches('\n').count() {
        return Err(format!("line count changed: {}", r.text));
    }
    if r.report.count(case.kind) == 0 {
        return Err(format!("{} not reported ({:?}): {}", case.kind, r.report.counts, r.text));
    }
    if let Some(left) = secret_parts(&case.secret).into_iter().find(|p| r.text.contains(p)) {
        return Err(format!("secret material left ({}): {}", shape(left), r.text));
    }
    Ok(())
}

pub fn recall() -> Recall {
    let mut by_kind: BTreeMap<SecretKind, Tally> = SecretKind::ALL.iter().map(|k| (*k, Tally::default())).collect();
    let mut by_style: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut total = Tally::default();
    for case in cases() {
        let ok = caught(&case);
        for t in [by_kind.entry(case.kind).or_default(), by_style.entry(case.style.clone()).or_default(), &mut total] {
            t.total += 1;
            t.found += usize::from(ok.is_ok());
        }
        if let Err(why) = ok {
            misses.push((case, why));
        }
    }
    Recall { by_kind, by_style, misses, total }
}

pub fn recall_table(r: &Recall) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "recall on the generated corpus: {}/{} = {:.1} %", r.total.found, r.total.total, r.total.percent());
    let _ = writeln!(out, "{:<20} {:>7} {:>8}", "kind", "cases", "recall");
    for (k, t) in &r.by_kind {
        let _ = writeln!(out, "{:<20} {:>7} {:>7.1}%", k.name(), t.total, t.percent());
    }
    let styles = r.by_style.len();
    let perfect = r.by_style.values().filter(|t| t.found == t.total).count();
    let _ = writeln!(out, "styles and shapes: {styles}, all caught in {perfect}");
    for (s, t) in r.by_style.iter().filter(|(_, t)| t.found < t.total) {
        let _ = writeln!(out, "  missed in {s}: {}/{}", t.total - t.found, t.total);
    }
    for (case, why) in &r.misses {
        let _ = writeln!(out, "  miss [{}] {}: {why}", case.kind, case.style);
    }
    out
}

/// One redaction on the real corpus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub file: String,
    /// 1-based line of the diff file.
    pub line: usize,
    pub kind: SecretKind,
    pub shape: String,
}

pub fn real_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real")
}

/// The real diffs, sorted by name (lossy UTF-8: a few hold Latin-1 bytes).
pub fn real_diffs() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(real_dir())
        .unwrap_or_else(|e| panic!("{}: {e}", real_dir().display()))
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned())
        })
        .collect();
    v.sort();
    v
}

/// Every redaction the redactor makes on the real corpus.
pub fn real_redactions() -> Vec<Listed> {
    let mut out = Vec::new();
    for (file, text) in real_diffs() {
        for s in find_secrets(&text) {
            let value: String = s.ranges.iter().map(|r| &text[r.clone()]).collect();
            let lines = if s.ranges.len() > 1 { format!(" over {} spans", s.ranges.len()) } else { String::new() };
            out.push(Listed { file: file.clone(), line: s.line + 1, kind: s.kind, shape: format!("{}{lines}", shape(&value)) });
        }
    }
    out
}

pub fn real_table(list: &[Listed]) -> String {
    let mut out = String::new();
    let files = real_diffs().len();
    let _ = writeln!(out, "redactions on {files} real diffs (none holds a live secret): {}", list.len());
    for l in list {
        let _ = writeln!(out, "  {}:{} {} {}", l.file, l.line, l.kind, l.shape);
    }
    out
}
