//! The redactor as it was before the declaration-style and gitleaks-shape work (commit
//! 038a46b), frozen here only so `cargo bench -p argus-review` can print the throughput of
//! the old and the new redactor side by side, in one run on the same machine. Not used by
//! the product.

#![allow(dead_code)]

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

/// What kind of secret was found. The kebab-case name appears in the marker and the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    /// PEM private key blocks (RSA, EC, OpenSSH, PKCS#8; GCP service-account keys are these).
    PrivateKey,
    /// AWS access key ids (`AKIA…`, `ASIA…`).
    AwsAccessKey,
    /// Google API keys (`AIza…`).
    GcpApiKey,
    /// GitHub tokens: `ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`, `github_pat_`.
    GithubToken,
    /// Slack tokens (`xoxb-`, `xoxp-`, …) and incoming-webhook URLs.
    SlackToken,
    /// Stripe live secret and restricted keys (`sk_live_`, `rk_live_`).
    StripeKey,
    /// JSON Web Tokens (`eyJ….eyJ….sig`).
    Jwt,
    /// A high-entropy value assigned to a name like `password`, `secret`, `token` or `api_key`.
    AssignedSecret,
}

impl SecretKind {
    pub const ALL: [SecretKind; 8] = [
        SecretKind::PrivateKey,
        SecretKind::AwsAccessKey,
        SecretKind::GcpApiKey,
        SecretKind::GithubToken,
        SecretKind::SlackToken,
        SecretKind::StripeKey,
        SecretKind::Jwt,
        SecretKind::AssignedSecret,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => "private-key",
            SecretKind::AwsAccessKey => "aws-access-key",
            SecretKind::GcpApiKey => "gcp-api-key",
            SecretKind::GithubToken => "github-token",
            SecretKind::SlackToken => "slack-token",
            SecretKind::StripeKey => "stripe-key",
            SecretKind::Jwt => "jwt",
            SecretKind::AssignedSecret => "assigned-secret",
        }
    }

    /// The text that replaces a secret of this kind.
    pub fn marker(self) -> String {
        format!("[REDACTED:{}]", self.name())
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many secrets of each kind were replaced; merged across files and chunks for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedactionReport {
    pub counts: BTreeMap<SecretKind, usize>,
}

impl RedactionReport {
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
    pub fn count(&self, kind: SecretKind) -> usize {
        self.counts.get(&kind).copied().unwrap_or(0)
    }
    pub fn add(&mut self, kind: SecretKind, n: usize) {
        if n > 0 {
            *self.counts.entry(kind).or_default() += n;
        }
    }
    pub fn merge(&mut self, other: &RedactionReport) {
        for (k, n) in &other.counts {
            self.add(*k, *n);
        }
    }
}

/// The redacted text (borrowed when nothing was found) and what was replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redacted<'a> {
    pub text: Cow<'a, str>,
    pub report: RedactionReport,
}

/// Replaces every known secret shape in `text` with its marker; the line count never changes.
pub fn redact(text: &str) -> Redacted<'_> {
    let mut report = RedactionReport::default();
    // Private keys first: their base64 body could otherwise be mistaken for other shapes.
    let mut out = redact_private_keys(text, &mut report);
    for (kind, re) in token_patterns() {
        if let Cow::Owned(s) = replace_counting(&out, re, *kind, &mut report) {
            out = Cow::Owned(s);
        }
    }
    if let Cow::Owned(s) = redact_assignments(&out, &mut report) {
        out = Cow::Owned(s);
    }
    // `out` borrows from either `text` or an owned intermediate; normalize the lifetime.
    let text = match out {
        Cow::Borrowed(_) if report.is_empty() => Cow::Borrowed(text),
        other => Cow::Owned(other.into_owned()),
    };
    Redacted { text, report }
}

fn replace_counting<'t>(text: &'t str, re: &Regex, kind: SecretKind, report: &mut RedactionReport) -> Cow<'t, str> {
    let mut n = 0;
    let out = re.replace_all(text, |_: &regex::Captures<'_>| {
        n += 1;
        kind.marker()
    });
    report.add(kind, n);
    out
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the tests; a typo is a programming error.
    Regex::new(pattern).expect("redaction pattern is valid")
}

fn token_patterns() -> &'static [(SecretKind, Regex)] {
    static PATTERNS: OnceLock<Vec<(SecretKind, Regex)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        vec![
            (SecretKind::GithubToken, re(r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?-u:\b)")),
            (SecretKind::AwsAccessKey, re(r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?-u:\b)")),
            (SecretKind::GcpApiKey, re(r"(?-u:\b)AIza[0-9A-Za-z_\-]{35}")),
            (
                SecretKind::SlackToken,
                re(r"(?-u:\b)xox[abposre]-[A-Za-z0-9\-]{10,}|https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_/\-]{20,}"),
            ),
            (SecretKind::StripeKey, re(r"(?-u:\b)[sr]k_live_[A-Za-z0-9]{16,}(?-u:\b)")),
            (SecretKind::Jwt, re(r"(?-u:\b)eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*")),
        ]
    })
}

fn pem_begin() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Split over lines so the source itself does not look like a key to secret scanners.
    RE.get_or_init(|| re(concat!(r"-----BEGIN [A-Z0-9 ]{0,40}", r"PRIVATE KEY(?: BLOCK)?-----")))
}

fn pem_end() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| re(concat!(r"-----END [A-Z0-9 ]{0,40}", r"PRIVATE KEY(?: BLOCK)?-----")))
}

/// A key block is at most a few KB; an `END` further away than this belongs to something else.
const MAX_PEM_SPAN: usize = 16 * 1024;
/// Base64 runs at least this long inside a key block are key material.
const MIN_KEY_RUN: usize = 16;

fn redact_private_keys<'t>(text: &'t str, report: &mut RedactionReport) -> Cow<'t, str> {
    let mut out = String::new();
    let mut copied = 0; // bytes of `text` already copied to `out`
    let mut pos = 0;
    while let Some(begin) = pem_begin().find_at(text, pos) {
        let body_start = begin.end();
        let limit = floor_char_boundary(text, body_start.saturating_add(MAX_PEM_SPAN));
        let body_end = match pem_end().find(&text[body_start..limit]) {
            Some(end) => body_start + end.start(),
            // No END in sight (a hunk can cut a key in half): the key runs on while lines
            // still look like key material.
            None => key_material_lines_end(text, body_start),
        };
        out.push_str(&text[copied..body_start]);
        replace_base64_runs(&text[body_start..body_end], &mut out);
        copied = body_end;
        pos = body_end.max(body_start);
        report.add(SecretKind::PrivateKey, 1);
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// End of the run of lines after `start` that carry key material (a long base64 run).
fn key_material_lines_end(text: &str, start: usize) -> usize {
    // The rest of the BEGIN line belongs to the block.
    let mut end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    while end < text.len() {
        let line_start = end + 1;
        let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
        let line = &text.as_bytes()[line_start..line_end];
        let longest = line.split(|b| !is_b64(*b)).map(<[u8]>::len).max().unwrap_or(0);
        if longest < MIN_KEY_RUN {
            break;
        }
        end = line_end;
    }
    end
}

/// Copies `span` to `out`, replacing every long base64 run by the private-key marker.
/// A JSON `\n` escape before a run is kept, so `"…\nMIIE…"` stays readable.
fn replace_base64_runs(span: &str, out: &mut String) {
    let bytes = span.as_bytes();
    let marker = SecretKind::PrivateKey.marker();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            // Skip a line's diff or prompt prefix (`+`, `-`, ` `, or `12+` with a line
            // number): `+` and digits are base64 characters, but not key material here.
            i += 1;
            let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            if matches!(bytes.get(i + digits), Some(b'+' | b'-' | b' ' | b'~')) {
                i += digits + 1;
            }
            continue;
        }
        if !is_b64(bytes[i]) {
            i += 1;
            continue;
        }
        let mut start = i;
        while i < bytes.len() && is_b64(bytes[i]) {
            i += 1;
        }
        if start > 0 && bytes[start - 1] == b'\\' && bytes[start] == b'n' {
            start += 1;
        }
        if i - start >= MIN_KEY_RUN {
            out.push_str(&span[copied..start]);
            out.push_str(&marker);
            copied = i;
        }
    }
    out.push_str(&span[copied..]);
}

/// `NAME = value`, `NAME: value`, `"NAME": "value"`, `NAME := value`, `NAME => value`
/// where NAME contains a secret-ish word. The value is group `v` (quoted) or `u` (bare).
fn assignment_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        re(concat!(
            r#"(?i-u:(?-u:\b)[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credentials?)[A-Za-z0-9_.\-]*)"#,
            r#"["']?\s*(?::=|=>|==|=|:)\s*"#,
            r#"(?:"(?P<v>[^"\s]{8,200})"|'(?P<w>[^'\s]{8,200})'|(?P<u>[A-Za-z0-9+/=_\-]{12,200})(?-u:\b))"#,
        ))
    })
}

/// The secret-ish words alone: a cheap literal search that picks the few lines worth the
/// full assignment pattern (running that over every byte is 20× slower).
fn keyword_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| re(r"(?i-u)password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credential"))
}

fn redact_assignments<'t>(text: &'t str, report: &mut RedactionReport) -> Cow<'t, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut n = 0;
    let mut next_line = 0; // lines before this offset were already scanned
    let lines = keyword_pattern().find_iter(text).filter_map(|k| {
        if k.start() < next_line {
            return None;
        }
        let start = text[..k.start()].rfind('\n').map_or(0, |i| i + 1);
        let end = text[k.end()..].find('\n').map_or(text.len(), |i| k.end() + i);
        next_line = end;
        Some(start)
    });
    let candidates = lines.flat_map(|start| {
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        assignment_pattern().captures_iter(&text[start..end]).map(move |c| (start, c))
    });
    for (base, caps) in candidates {
        let (value, quoted) = match (caps.name("v").or(caps.name("w")), caps.name("u")) {
            (Some(v), _) => (v, true),
            (None, Some(u)) => (u, false),
            (None, None) => continue,
        };
        if !looks_like_secret_value(value.as_str(), quoted) {
            continue;
        }
        out.push_str(&text[copied..base + value.start()]);
        out.push_str(&SecretKind::AssignedSecret.marker());
        copied = base + value.end();
        n += 1;
    }
    report.add(SecretKind::AssignedSecret, n);
    if n == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Literal secrets are random-looking; references (`${X}`, `process.env.X`), markers
/// and placeholders are not, and redacting those would only hide code from the reviewer.
fn looks_like_secret_value(v: &str, quoted: bool) -> bool {
    if v.contains("REDACTED")
        || v.contains(['$', '{', '}', '<', '>', '(', ')', '%', '[', ']'])
        || v.starts_with("process.env")
        || v.starts_with("os.environ")
    {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if ["changeme", "example", "placeholder", "your_", "your-", "xxxxxx", "******", "dummy", "redacted"].iter().any(|p| lower.contains(p)) {
        return false;
    }
    let mixed = v.bytes().any(|b| b.is_ascii_digit()) && v.bytes().any(|b| b.is_ascii_alphabetic());
    if !quoted && !mixed {
        // A bare word after `token:` is usually an identifier or a type, not a literal.
        return false;
    }
    let threshold = if v.len() >= 16 { 3.5 } else { 3.0 };
    shannon_entropy(v) >= threshold
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut freq = [0u32; 256];
    for b in s.bytes() {
        freq[b as usize] += 1;
    }
    let len = s.len() as f64;
    freq.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}
