//! Secret redaction: known secret shapes are replaced by a visible marker before any
//! text reaches a prompt, and counted per kind for the review summary.
//!
//! Redaction never changes the number of lines of the text, so a redacted diff or
//! rendered prompt keeps every line number the model may cite: only spans inside a line
//! are replaced. A private key block (PEM, PGP, PuTTY) keeps its armor lines and its line
//! structure; every line of key material in it is replaced.
//!
//! One scan finds every place worth a closer look: the literal prefixes issuers put on
//! their tokens ([`tokens`]), the start of key blocks, `://`, and the words secret names
//! are made of (`pass`, `secret`, `token`, `key`, `auth`, `bearer`, `credential`, `pwd`,
//! in lower, upper and capitalized case). The scan is one regular expression made only of
//! ASCII literals, which the `regex` crate runs as a multi-literal search (no Unicode
//! tables, no large automaton to build in the Worker). Everything after that is
//! hand-written and looks only at the hit and its line: token shapes in [`tokens`],
//! assignments, headers and URLs in [`context`], key blocks below.

mod context;
mod tokens;

use aho_corasick::{AhoCorasick, Input, MatchKind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

/// What kind of secret was found. The kebab-case name appears in the marker and the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    /// Private key blocks: PEM (RSA, EC, OpenSSH, PKCS#8; GCP service-account keys are
    /// these), PGP private key blocks and PuTTY `.ppk` files.
    PrivateKey,
    /// AWS access key ids (`AKIA…`, `ASIA…`).
    AwsAccessKey,
    /// AWS secret access keys, known by their name (`aws_secret_access_key = …`).
    AwsSecretKey,
    /// Google API keys (`AIza…`).
    GcpApiKey,
    /// GitHub tokens: `ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`, `github_pat_`.
    GithubToken,
    /// GitLab tokens: `glpat-`, `gldt-`, `glrt-`, `glptt-` and the other `gl…-` prefixes.
    GitlabToken,
    /// Slack tokens (`xoxb-`, `xoxp-`, `xapp-`, …) and incoming-webhook URLs.
    SlackToken,
    /// Stripe secret and restricted keys (`sk_live_`, `rk_live_`, `sk_test_`, …).
    StripeKey,
    /// OpenAI API keys (`sk-proj-`, `sk-svcacct-`, legacy `sk-`).
    OpenaiKey,
    /// Anthropic API keys (`sk-ant-`).
    AnthropicKey,
    /// npm access tokens (`npm_`).
    NpmToken,
    /// PyPI upload tokens (`pypi-AgE…`).
    PypiToken,
    /// SendGrid API keys (`SG.….…`).
    SendgridKey,
    /// Twilio API keys (`SK` + 32 hex) and auth tokens known by their name.
    TwilioKey,
    /// Mailgun keys (`key-` + 32 hex) and keys known by their name.
    MailgunKey,
    /// Datadog API and application keys, known by their name (`DD_API_KEY`, `datadog_app_key`).
    DatadogKey,
    /// HashiCorp Vault tokens (`hvs.`, `hvb.`, `hvr.`).
    VaultToken,
    /// Shopify access tokens and shared secrets (`shpat_`, `shpss_`, …).
    ShopifyToken,
    /// Discord bot tokens and webhook URLs.
    DiscordToken,
    /// Telegram bot tokens (`123456789:AA…`).
    TelegramToken,
    /// Azure storage account keys and SAS signatures, Azure AD client secrets.
    AzureKey,
    /// JSON Web Tokens (`eyJ….eyJ….sig`).
    Jwt,
    /// Other issuers' prefixed tokens (Hugging Face, DigitalOcean, Doppler, Linear,
    /// PlanetScale, Postman, Pulumi, RubyGems, Sentry, Grafana, age, Square, Heroku, New
    /// Relic, Databricks).
    ApiToken,
    /// The password (or token) in a URL: `postgres://user:pass@host`.
    ConnectionString,
    /// The credential of an `Authorization` header: `Bearer …`, `Basic …`, `token …`.
    AuthHeader,
    /// A high-entropy value assigned to a name like `password`, `secret`, `token` or `api_key`.
    AssignedSecret,
}

impl SecretKind {
    pub const ALL: [SecretKind; 26] = [
        SecretKind::PrivateKey,
        SecretKind::AwsAccessKey,
        SecretKind::AwsSecretKey,
        SecretKind::GcpApiKey,
        SecretKind::GithubToken,
        SecretKind::GitlabToken,
        SecretKind::SlackToken,
        SecretKind::StripeKey,
        SecretKind::OpenaiKey,
        SecretKind::AnthropicKey,
        SecretKind::NpmToken,
        SecretKind::PypiToken,
        SecretKind::SendgridKey,
        SecretKind::TwilioKey,
        SecretKind::MailgunKey,
        SecretKind::DatadogKey,
        SecretKind::VaultToken,
        SecretKind::ShopifyToken,
        SecretKind::DiscordToken,
        SecretKind::TelegramToken,
        SecretKind::AzureKey,
        SecretKind::Jwt,
        SecretKind::ApiToken,
        SecretKind::ConnectionString,
        SecretKind::AuthHeader,
        SecretKind::AssignedSecret,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => "private-key",
            SecretKind::AwsAccessKey => "aws-access-key",
            SecretKind::AwsSecretKey => "aws-secret-key",
            SecretKind::GcpApiKey => "gcp-api-key",
            SecretKind::GithubToken => "github-token",
            SecretKind::GitlabToken => "gitlab-token",
            SecretKind::SlackToken => "slack-token",
            SecretKind::StripeKey => "stripe-key",
            SecretKind::OpenaiKey => "openai-key",
            SecretKind::AnthropicKey => "anthropic-key",
            SecretKind::NpmToken => "npm-token",
            SecretKind::PypiToken => "pypi-token",
            SecretKind::SendgridKey => "sendgrid-key",
            SecretKind::TwilioKey => "twilio-key",
            SecretKind::MailgunKey => "mailgun-key",
            SecretKind::DatadogKey => "datadog-key",
            SecretKind::VaultToken => "vault-token",
            SecretKind::ShopifyToken => "shopify-token",
            SecretKind::DiscordToken => "discord-token",
            SecretKind::TelegramToken => "telegram-token",
            SecretKind::AzureKey => "azure-key",
            SecretKind::Jwt => "jwt",
            SecretKind::ApiToken => "api-token",
            SecretKind::ConnectionString => "connection-string",
            SecretKind::AuthHeader => "auth-header",
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

/// One secret found in a text: its kind, the 0-based line it starts on, and the byte
/// ranges that get replaced (one for a token; one per line of key material for a key
/// block). A range never holds a line break.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub kind: SecretKind,
    pub line: usize,
    pub ranges: Vec<Range<usize>>,
}

/// Replaces every known secret in `text` with its marker; the line count never changes.
pub fn redact(text: &str) -> Redacted<'_> {
    let secrets = find_secrets(text);
    let mut report = RedactionReport::default();
    if secrets.is_empty() {
        return Redacted { text: Cow::Borrowed(text), report };
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for s in &secrets {
        report.add(s.kind, 1);
        let marker = s.kind.marker();
        for r in &s.ranges {
            out.push_str(&text[copied..r.start]);
            out.push_str(&marker);
            copied = r.end;
        }
    }
    out.push_str(&text[copied..]);
    Redacted { text: Cow::Owned(out), report }
}

/// Every secret in `text`, in text order, never overlapping.
pub fn find_secrets(text: &str) -> Vec<Secret> {
    find_secrets_with(text, scanners())
}

fn find_secrets_with(text: &str, scans: &[AhoCorasick]) -> Vec<Secret> {
    let mut found = Found::default();
    let mut hits: Vec<(Range<usize>, Hit)> = Vec::new();
    let b = text.as_bytes();
    for scan in scans {
        let mut pos = 0;
        while let Some(m) = scan.find(Input::new(text).span(pos..text.len())) {
            pos = m.end();
            let lit = &text[m.range()];
            match trigger(lit) {
                Trigger::Stem(s) => match tokens::token_at_stem(text, m.start(), s) {
                    // A token inside a key block an earlier pass found is key material.
                    Some((r, kind)) if found.add(kind, vec![r.clone()]) => pos = pos.max(r.end),
                    Some(_) => {}
                    // `key-…` that is no Mailgun key is still the word `key`: in the
                    // one-pass scan of wasm the stem hides it from the word literals.
                    None if keyword_inside(lit) => hits.push((m.range(), Hit::Word)),
                    None => {}
                },
                Trigger::Word => hits.push((m.range(), Hit::Word)),
                Trigger::Url => hits.push((m.range(), Hit::Url)),
                Trigger::PemBegin => {
                    if let Some((ranges, end)) = pem_block(text, m.start()) {
                        pos = pos.max(end);
                        found.add(SecretKind::PrivateKey, ranges);
                    }
                }
                Trigger::Putty => {
                    if let Some((ranges, end)) = putty_block(text, m.start()) {
                        pos = pos.max(end);
                        found.add(SecretKind::PrivateKey, ranges);
                    }
                }
            }
        }
    }
    // Context rules last: a token or key block inside an assignment is reported as what
    // it is, and the assignment around it is not reported again.
    argus_core::sort::sort_by_key(&mut hits, |(r, _)| (r.start, r.end));
    hits.dedup_by(|a, b| a.0 == b.0);
    let mut done_name = 0..0;
    for (hit, what) in hits {
        if found.overlaps(&hit) || (hit.start >= done_name.start && hit.end <= done_name.end) {
            continue;
        }
        let line = context::line_of(text, hit.start);
        match what {
            Hit::Url => {
                if let Some((r, kind)) = context::url_credentials(text, &line, &hit) {
                    found.add(kind, vec![r]);
                }
            }
            Hit::Word => {
                let name = context::name_around(text, &line, &hit);
                done_name = name.clone();
                if let Some((r, kind)) = context::assignment(text, &line, &name) {
                    found.add(kind, vec![r]);
                }
                let word = &text[name.clone()];
                let header =
                    word.len() >= 13 && word.is_char_boundary(word.len() - 13) && word[word.len() - 13..].eq_ignore_ascii_case("authorization");
                if (header || text[hit.clone()].eq_ignore_ascii_case("bearer"))
                    && let Some((r, kind)) = context::auth_header(text, &line, &hit)
                {
                    found.add(kind, vec![r]);
                }
            }
        }
    }
    let mut secrets = found.secrets;
    argus_core::sort::sort_by_key(&mut secrets, |s| s.ranges[0].start);
    // Line numbers, counted once across the text.
    let (mut line, mut at) = (0, 0);
    for s in &mut secrets {
        let start = s.ranges[0].start;
        line += b[at..start].iter().filter(|&&c| c == b'\n').count();
        at = start;
        s.line = line;
    }
    secrets
}

/// The secrets found so far and the byte ranges they take.
#[derive(Default)]
struct Found {
    secrets: Vec<Secret>,
    /// Every replaced range, sorted by start.
    taken: Vec<Range<usize>>,
}

impl Found {
    fn overlaps(&self, r: &Range<usize>) -> bool {
        let i = self.taken.partition_point(|t| t.end <= r.start);
        self.taken.get(i).is_some_and(|t| t.start < r.end)
    }

    /// Records a secret unless one of its ranges is empty or overlaps one already taken
    /// (the earlier, more specific finding wins); says whether it did.
    fn add(&mut self, kind: SecretKind, ranges: Vec<Range<usize>>) -> bool {
        if ranges.is_empty() || ranges.iter().any(|r| r.is_empty() || self.overlaps(r)) {
            return false;
        }
        for r in &ranges {
            let i = self.taken.partition_point(|t| t.start < r.start);
            self.taken.insert(i, r.clone());
        }
        self.secrets.push(Secret { kind, line: 0, ranges });
        true
    }
}

/// What a literal of the scan announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    /// The stem of a family of token prefixes (index into [`tokens::all_stems`]).
    Stem(usize),
    /// A word secret names are made of.
    Word,
    /// `://`: maybe a URL with credentials.
    Url,
    /// `-----BEGIN `: maybe a PEM or PGP private key block.
    PemBegin,
    /// The first line of a PuTTY private key file.
    Putty,
}

/// What a context hit is checked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hit {
    Word,
    Url,
}

/// The words secret names are made of. `pass` covers `password`, `passwd` and
/// `passphrase`; `key` is only a secret with a qualifier (`api_key`), which the name
/// check decides.
const WORDS: [&str; 9] = ["pass", "pwd", "secret", "token", "credential", "creds", "key", "auth", "bearer"];
const PEM_BEGIN: &str = concat!("-----BEG", "IN ");
const PUTTY: &str = "PuTTY-User-Key-File-";

fn casings(w: &str) -> [String; 3] {
    let mut cap = w.to_owned();
    cap[..1].make_ascii_uppercase();
    [w.to_owned(), w.to_ascii_uppercase(), cap]
}

/// The literals of the context scan: key block starts, `://` and the words (30).
fn context_literals() -> Vec<(String, Trigger)> {
    let mut v: Vec<(String, Trigger)> =
        vec![(PEM_BEGIN.to_owned(), Trigger::PemBegin), (PUTTY.to_owned(), Trigger::Putty), ("://".to_owned(), Trigger::Url)];
    v.extend(WORDS.iter().flat_map(|w| casings(w)).map(|w| (w, Trigger::Word)));
    v
}

/// The literals of the token scans: the stems of the token prefixes, long ones first.
fn stem_literals() -> Vec<(String, Trigger)> {
    tokens::all_stems().enumerate().map(|(i, s)| (s.to_owned(), Trigger::Stem(i))).collect()
}

/// A scan for the literals, the earliest match first and, at one position, the
/// literal listed first (a regex alternation's semantics). Aho-Corasick builds in
/// well under a millisecond where compiling the same list as a regex took about
/// 50 ms in wasm, paid by every fresh isolate (`scripts/bench-wasm review`).
fn literal_regex(lits: &[(String, Trigger)]) -> AhoCorasick {
    AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(lits.iter().map(|(l, _)| l.as_str())).expect("the scan is a list of literals")
}

/// The scans, each a set of literals. Natively Aho-Corasick runs such a list with its
/// SIMD matcher (Teddy) when it has at most 64 literals, which
/// beats an automaton several times over; so there are three passes (context words,
/// long stems, the two short stems), with key blocks found first so a token pass never
/// reports a piece of key material. Wasm has no SIMD matcher: every pass steps an
/// automaton over every byte, so there one pass over all literals is cheaper, stems
/// before words where both start at one position.
fn scanners() -> &'static [AhoCorasick] {
    static SCANS: OnceLock<Vec<AhoCorasick>> = OnceLock::new();
    SCANS.get_or_init(|| if cfg!(target_arch = "wasm32") { one_pass() } else { passes() })
}

fn one_pass() -> Vec<AhoCorasick> {
    let mut all = stem_literals();
    all.extend(context_literals());
    vec![literal_regex(&all)]
}

fn passes() -> Vec<AhoCorasick> {
    let stems = stem_literals();
    let (long, short) = stems.split_at(tokens::STEMS.len());
    // Teddy fingerprints a literal's first three bytes by nibbles, in 8 buckets up to 32
    // literals (16 beyond): fewer literals per bucket, far fewer false candidates, so two
    // half sets cost less than one full set.
    let (first, second) = long.split_at(long.len() / 2);
    vec![literal_regex(&context_literals()), literal_regex(first), literal_regex(second), literal_regex(short)]
}

/// What the literal a scan matched announces.
fn trigger(lit: &str) -> Trigger {
    static SORTED: OnceLock<Vec<(String, Trigger)>> = OnceLock::new();
    let sorted = SORTED.get_or_init(|| {
        let mut v = stem_literals();
        v.extend(context_literals());
        argus_core::sort::sort_by(&mut v, |a, b| a.0.cmp(&b.0));
        v
    });
    match sorted.binary_search_by(|(l, _)| l.as_str().cmp(lit)) {
        Ok(i) => sorted[i].1,
        // Unreachable: the scans only match these literals.
        Err(_) => Trigger::Word,
    }
}

/// Whether a stem that turned out not to start a token holds a secret-name word.
fn keyword_inside(lit: &str) -> bool {
    let lower = lit.to_ascii_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

/// A key block is at most a few KB; an `END` further away than this belongs to something else.
const MAX_PEM_SPAN: usize = 16 * 1024;
/// Base64 runs at least this long on a line of a key block that also holds other text
/// (`DEK-Info: AES-128-CBC,…`) are key material.
const MIN_KEY_RUN: usize = 16;
/// A PuTTY file is a few dozen lines.
const MAX_PUTTY_LINES: usize = 200;

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

/// The end of `[A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----` at `at` (the text after
/// `-----BEGIN ` or `-----END `), if it is there.
fn private_key_label_end(text: &str, at: usize) -> Option<usize> {
    let window = &text[at..floor_char_boundary(text, at + 64)];
    let label = window.find("PRIVATE KEY")?;
    if label > 40 || !window.as_bytes()[..label].iter().all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ') {
        return None;
    }
    let mut rest = &window[label + "PRIVATE KEY".len()..];
    rest = rest.strip_prefix(" BLOCK").unwrap_or(rest);
    rest.starts_with("-----").then(|| at + (window.len() - rest.len()) + 5)
}

/// The key material of the PEM or PGP private key block whose `-----BEGIN ` is at `begin`,
/// and where the block ends.
fn pem_block(text: &str, begin: usize) -> Option<(Vec<Range<usize>>, usize)> {
    let body_start = private_key_label_end(text, begin + PEM_BEGIN.len())?;
    let limit = floor_char_boundary(text, body_start.saturating_add(MAX_PEM_SPAN));
    let end_marker = concat!("-----EN", "D ");
    let mut from = body_start;
    let mut body_end = None;
    while let Some(i) = text[from..limit].find(end_marker) {
        let at = from + i;
        if private_key_label_end(text, at + end_marker.len()).is_some() {
            body_end = Some(at);
            break;
        }
        from = at + end_marker.len();
    }
    // No END in sight (a hunk can cut a key in half): the key runs on while lines still
    // look like key material.
    let body_end = body_end.unwrap_or_else(|| key_material_lines_end(text, body_start));
    let ranges = key_material(text, body_start..body_end);
    Some((ranges, body_end))
}

/// End of the run of lines after `start` that carry key material (a long base64 run),
/// after the armor headers an encrypted key starts with (`Proc-Type: …`, `DEK-Info: …`,
/// `Version: …`, and the blank line that ends them).
fn key_material_lines_end(text: &str, start: usize) -> usize {
    // The rest of the BEGIN line belongs to the block.
    let mut end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut in_headers = true;
    while end < text.len() {
        let line_start = end + 1;
        let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
        let content = line_start + line_prefix_len(&text.as_bytes()[..line_end], line_start);
        let line = &text.as_bytes()[content..line_end];
        let longest = line.split(|b| !is_b64(*b)).map(<[u8]>::len).max().unwrap_or(0);
        let header = line.iter().position(|&c| c == b':').is_some_and(|c| c > 0 && line[..c].iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-'));
        if in_headers && (header || line.iter().all(u8::is_ascii_whitespace)) {
            // Still the armor headers (`DEK-Info` may hold a long hex run itself).
        } else if longest >= MIN_KEY_RUN {
            in_headers = false;
        } else {
            break;
        }
        end = line_end;
    }
    end
}

/// Length of a line's diff or prompt prefix at `i` (`+`, `-`, ` `, `~`, or `12+` with a
/// line number): `+` and digits are base64 characters, but not key material here.
fn line_prefix_len(b: &[u8], i: usize) -> usize {
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if matches!(b.get(i + digits), Some(b'+' | b'-' | b' ' | b'~')) { digits + 1 } else { 0 }
}

/// The ranges of key material in `span`: each segment (a line, or the part between two
/// JSON `\n` escapes of a one-line key) that is all base64 is replaced whole, so even the
/// short last line of a key or a PGP checksum goes; in other segments (headers such as
/// `DEK-Info: AES-128-CBC,…`), only long base64 runs are.
fn key_material(text: &str, span: Range<usize>) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut seg_start = span.start;
    let mut i = span.start;
    let mut at_line_start = false;
    while i <= span.end {
        let newline = i < span.end && b[i] == b'\n';
        let escaped = i + 1 < span.end && b[i] == b'\\' && b[i + 1] == b'n';
        if i == span.end || newline || escaped {
            let mut s = seg_start;
            if at_line_start {
                s += line_prefix_len(&b[..span.end], s);
            }
            segment_material(b, s, i, &mut out);
            at_line_start = newline;
            i += if escaped { 2 } else { 1 };
            seg_start = i;
            continue;
        }
        i += 1;
    }
    out
}

fn segment_material(b: &[u8], mut s: usize, mut e: usize, out: &mut Vec<Range<usize>>) {
    let edge = |c: u8| c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b',' | b'\\' | b'`');
    while s < e && edge(b[s]) {
        s += 1;
    }
    while e > s && edge(b[e - 1]) {
        e -= 1;
    }
    if e - s >= 4 && b[s..e].iter().all(|&c| is_b64(c)) {
        out.push(s..e);
        return;
    }
    let mut i = s;
    while i < e {
        if !is_b64(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < e && is_b64(b[i]) {
            i += 1;
        }
        if i - start >= MIN_KEY_RUN {
            out.push(start..i);
        }
    }
}

/// The key material of the PuTTY private key file whose first line holds `at`: every
/// line of key data and the `Private-MAC` (and `Argon2-Salt`) values, up to and with the
/// `Private-MAC` line. Header names and the other header values stay readable.
/// <https://the.earth.li/~sgtatham/putty/0.78/htmldoc/AppendixC.html>
fn putty_block(text: &str, at: usize) -> Option<(Vec<Range<usize>>, usize)> {
    let b = text.as_bytes();
    let version = b.get(at + PUTTY.len())?;
    if !version.is_ascii_digit() || b.get(at + PUTTY.len() + 1) != Some(&b':') {
        return None;
    }
    let mut out = Vec::new();
    let mut end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    for _ in 0..MAX_PUTTY_LINES {
        if end >= text.len() {
            break;
        }
        let start = end + 1;
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let content = start + line_prefix_len(&b[..line_end], start);
        let line = &text[content..line_end];
        let header = line.find(": ").filter(|&c| c > 0 && line.as_bytes()[..c].iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-'));
        match header {
            Some(c) => {
                let name = &line[..c];
                if name == "Private-MAC" || name == "Argon2-Salt" {
                    segment_material(b, content + c + 2, line_end, &mut out);
                }
                end = line_end;
                if name == "Private-MAC" {
                    break;
                }
            }
            None => {
                let before = out.len();
                segment_material(b, content, line_end, &mut out);
                if out.len() == before {
                    // Not key data: the file was cut (by a hunk end) before its MAC.
                    break;
                }
                end = line_end;
            }
        }
    }
    (!out.is_empty()).then_some((out, end))
}

/// A value's shape without its content, for listing redactions: its length and which
/// character classes it uses (`40 chars [a-z A-Z 0-9 /+]`).
pub fn shape(v: &str) -> String {
    let b = v.as_bytes();
    let mut classes = Vec::new();
    for (name, test) in [("a-z", u8::is_ascii_lowercase as fn(&u8) -> bool), ("A-Z", u8::is_ascii_uppercase), ("0-9", u8::is_ascii_digit)] {
        if b.iter().any(test) {
            classes.push(name.to_owned());
        }
    }
    let mut punct: Vec<char> = v.chars().filter(|c| !c.is_ascii_alphanumeric()).collect();
    argus_core::sort::sort(&mut punct);
    punct.dedup();
    if !punct.is_empty() {
        classes.push(punct.into_iter().collect());
    }
    format!("{} chars [{}]", v.chars().count(), classes.join(" "))
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
#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a deterministic pseudo-random string from `alphabet` at run time, so that
    /// no token-shaped literal sits in the repository source.
    fn synth(alphabet: &str, len: usize, seed: u64) -> String {
        let a: Vec<char> = alphabet.chars().collect();
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                a[(x % a.len() as u64) as usize]
            })
            .collect()
    }
    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    fn cat(parts: &[&str]) -> String {
        parts.concat()
    }

    /// PEM armor lines, built so that no source line looks like a key header.
    fn armor(which: &str, label: &str) -> String {
        let key = concat!("PRIV", "ATE KEY-----");
        format!("-----{which} {label}{key}")
    }

    /// (input line, expected kind) for every shape; each token is assembled from pieces.
    fn cases() -> Vec<(String, SecretKind)> {
        let gh = |p: &str| cat(&[p, "_", &synth(ALNUM, 36, p.len() as u64 + 3)]);
        vec![
            (format!("let t = \"{}\";", gh("ghp")), SecretKind::GithubToken),
            (format!("oauth {}", gh("gho")), SecretKind::GithubToken),
            (format!("x-token: {}", gh("ghs")), SecretKind::GithubToken),
            (format!("pat={}", cat(&["github", "_pat_", &synth(ALNUM, 22, 9), "_", &synth(ALNUM, 59, 10)])), SecretKind::GithubToken),
            (format!("aws_id = {}", cat(&["AK", "IA", &synth(UPPER_DIGITS, 16, 4)])), SecretKind::AwsAccessKey),
            (format!("key: {}", cat(&["AI", "za", &synth(ALNUM, 35, 5)])), SecretKind::GcpApiKey),
            (format!("SLACK={}", cat(&["xo", "xb-", &synth("0123456789", 12, 6), "-", &synth(ALNUM, 24, 7)])), SecretKind::SlackToken),
            (
                format!(
                    "hook {}",
                    cat(&[
                        "https://hooks.",
                        "slack.com/services/T",
                        &synth(UPPER_DIGITS, 8, 1),
                        "/B",
                        &synth(UPPER_DIGITS, 8, 2),
                        "/",
                        &synth(ALNUM, 24, 3)
                    ])
                ),
                SecretKind::SlackToken,
            ),
            (format!("stripe.api_key({})", cat(&["sk", "_live_", &synth(ALNUM, 24, 8)])), SecretKind::StripeKey),
            (
                format!(
                    "Authorization: Bearer {}",
                    cat(&["ey", "J", &synth(ALNUM, 20, 11), ".ey", "J", &synth(ALNUM, 30, 12), ".", &synth(ALNUM, 43, 13)])
                ),
                SecretKind::Jwt,
            ),
            (format!("DB_PASSWORD = \"{}\"", synth(ALNUM, 20, 14)), SecretKind::AssignedSecret),
            (format!("\"client_secret\": \"{}\",", synth(ALNUM, 32, 15)), SecretKind::AssignedSecret),
            (format!("API_KEY={}", synth(ALNUM, 32, 16)), SecretKind::AssignedSecret),
            (format!("  auth_token: '{}'", synth(ALNUM, 12, 17)), SecretKind::AssignedSecret),
        ]
    }

    #[test]
    fn every_shape_is_replaced_and_counted() {
        for (input, kind) in cases() {
            let r = redact(&input);
            assert_eq!(r.report.count(kind), 1, "{kind} not counted in {input:?} -> {:?}", r.text);
            assert_eq!(r.report.total(), 1, "{input:?} -> {:?}", r.report);
            assert!(r.text.contains(&kind.marker()), "{input:?} -> {:?}", r.text);
            // Nothing of the secret remains: its longest random run is gone.
            assert!(r.text.len() < input.len() + 30, "{:?}", r.text);
        }
    }

    #[test]
    fn ordinary_code_is_left_alone() {
        let benign = [
            "let token = request.headers().get(\"authorization\");",
            "password: String,",
            "fn secret_key(&self) -> &SecretString { &self.secret }",
            "API_KEY=${API_KEY}",
            "token = process.env.GITHUB_TOKEN",
            "password = \"changeme\"",
            "let api_key = \"short\";",
            "const TOKEN_KIND: &str = \"installation\";",
            "see https://github.com/rust-lang/rust/pull/12345",
            "sha = 3f786850e387550fdab836ed7e6dc881de23001b",
            "-----BEGIN CERTIFICATE-----",
            "secret_name: aaaaaaaaaaaaaaaa",
            // Names that only look secret-ish, values that are code or references.
            "let token = lexer.next_token()?;",
            "if password.len() < 8 { return Err(Weak) }",
            "const TOKEN_TYPE: &str = \"Bearer\";",
            "api_key = os.environ[\"API_KEY\"]",
            "\"password\": \"${DB_PASSWORD}\",",
            "password: {{ .Values.db.password }}",
            "secret_name: my-app-secrets",
            "cache_key = \"user:1234:profile\"",
            "primary_key = \"id_2024_v2\"",
            "tokenizer = AutoTokenizer.from_pretrained(\"bert-base-uncased-v2\")",
            "max_tokens = 4096",
            "passthrough = true",
            "bypass_cache: yes",
            "compass_heading = \"north-east-2\"",
            "keyboard_layout = \"qwerty-uk\"",
            "token_url = \"https://oauth2.example.com/token\"",
            "password_hash = \"$2b$12$abcdefghijklmnopqrstuv\"",
            "public_key = \"c2VjcmV0IHB1YmxpYyBrZXkgbWF0ZXJpYWwx\"",
            "csrf_token = request.cookies.get(\"csrf\")",
            "private_key_path = \"/etc/ssl/private/server.key\"",
            "credentials_file = \"~/.aws/credentials\"",
            "let key = format!(\"{prefix}:{id}\");",
            "map.insert(key, value);",
            "assert_eq!(password, \"hunter\");",
            "cl_git_pass(git_repository_open(&repo, \"testrepo.git\"));",
            "// The token must be refreshed when it expires after 3600 seconds.",
            "Authorization: Bearer <token>",
            "Authorization: Bearer ${TOKEN}",
            "\"Authorization\": \"Bearer \" + token,",
            ".header(\"Authorization\", format!(\"Bearer {}\", token))",
            "Basic authentication is not supported",
            "postgres://user:password@localhost:5432/db",
            "postgres://${PGUSER}:${PGPASSWORD}@db/app",
            "redis://:@localhost:6379/0",
            "https://github.com/rust-lang/regex/blob/master/src/lib.rs",
            "git@github.com:owner/repo.git",
            "mongodb://localhost:27017/test",
            "sk-learn is a library",
            "key-value store",
            "SKIP_TESTS=1",
            "let task_key = TaskKey::new(7);",
            "commit = \"3f786850e387550fdab836ed7e6dc881de23001b\"",
            "version = \"1.2.3\"",
            "jsonwebtoken = \"9.3\"",
            "pub struct Tokens(Vec<Token>);",
            "fn auth(&self) -> Option<&Auth> { self.auth.as_ref() }",
            "password = \"password123\"",
            "let secret = Secret::new(std::env::var(\"SECRET\")?);",
            "db_password: !vault secret/data/db#password",
            "AUTH_TOKEN=",
            "token: ${{ secrets.GITHUB_TOKEN }}",
            "apiKey: process.env.API_KEY,",
            "password = getpass.getpass(\"Password: \")",
        ];
        for line in benign {
            let r = redact(line);
            assert!(r.report.is_empty(), "{line:?} -> {:?}", r.text);
            assert!(matches!(r.text, Cow::Borrowed(_)), "{line:?} should not allocate");
        }
    }

    #[test]
    fn private_key_block_in_a_diff_keeps_its_lines() {
        let body: Vec<String> = (0..5).map(|i| synth(B64, 64, 20 + i)).collect();
        let mut diff = String::from("@@ -0,0 +1,8 @@\n+# deploy key\n+");
        diff.push_str(&format!("{}\n", armor("BEGIN", "RSA ")));
        for l in &body {
            diff.push_str(&format!("+{l}\n"));
        }
        diff.push_str(&format!("+{}\n fn main() {{}}\n", armor("END", "RSA ")));
        let r = redact(&diff);
        assert_eq!(r.report.count(SecretKind::PrivateKey), 1);
        assert_eq!(r.text.lines().count(), diff.lines().count());
        for l in &body {
            assert!(!r.text.contains(&l[..20]), "key material left: {}", r.text);
        }
        assert!(r.text.contains("+[REDACTED:private-key]\n"), "{}", r.text);
        assert!(r.text.ends_with(" fn main() {}\n"));
    }

    #[test]
    fn gcp_service_account_json_key_is_redacted_on_one_line() {
        let key = format!("{}\\n{}\\n{}\\n{}\\n", armor("BEGIN", ""), synth(B64, 64, 30), synth(B64, 40, 31), armor("END", ""));
        let line = format!("+  \"private_key\": \"{key}\",");
        let r = redact(&line);
        assert_eq!(r.report.count(SecretKind::PrivateKey), 1, "{}", r.text);
        assert!(!r.text.contains(&synth(B64, 64, 30)[..20]));
        assert!(r.text.contains("\\n[REDACTED:private-key]\\n"), "{}", r.text);
    }

    #[test]
    fn key_cut_by_a_hunk_end_is_still_redacted() {
        let text = format!("+{}\n+{}\n+{}\n fn after() {{}}\n", armor("BEGIN", "OPENSSH "), synth(B64, 70, 40), synth(B64, 70, 41));
        let r = redact(&text);
        assert_eq!(r.report.count(SecretKind::PrivateKey), 1);
        assert!(r.text.ends_with("\n fn after() {}\n"), "{}", r.text);
        assert!(!r.text.contains(&synth(B64, 70, 41)[..20]));
    }

    #[test]
    fn counts_add_up_across_kinds_and_merge() {
        let text: String = cases().iter().map(|(l, _)| format!("{l}\n")).collect();
        let r = redact(&text);
        assert_eq!(r.report.total(), cases().len());
        assert_eq!(r.text.lines().count(), cases().len());
        let mut merged = r.report.clone();
        merged.merge(&r.report);
        assert_eq!(merged.total(), 2 * cases().len());
        assert_eq!(merged.count(SecretKind::GithubToken), 8);
    }

    #[test]
    fn the_one_pass_scan_of_wasm_finds_what_the_native_passes_find() {
        let (one, many) = (one_pass(), passes());
        let mut texts: Vec<String> = cases().into_iter().map(|(l, _)| l).collect();
        texts.push(format!("+{}\n+{}\n+{}\n", armor("BEGIN", "RSA "), synth(B64, 64, 3), armor("END", "RSA ")));
        texts.push(format!("key-{} api_key = \"{}\"", synth("0123456789abcdef", 31, 4), synth(ALNUM, 20, 5)));
        texts.push(format!("AccountKey=short; SECRET_KEY=\"{}\"", synth(ALNUM, 24, 6)));
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/diffs/real");
        let mut names: Vec<_> = std::fs::read_dir(&dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
        names.sort();
        texts.extend(names.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()));
        assert!(texts.len() > 300, "the real corpus is missing");
        for t in &texts {
            assert_eq!(find_secrets_with(t, &one), find_secrets_with(t, &many), "{}", &t[..t.len().min(200)]);
        }
    }

    #[test]
    fn the_issues_typed_constant_is_redacted() {
        let value = cat(&["0/oM/0dcrr4z", &synth(B64, 28, 50)]);
        let line = format!("pub const AWS_SECRET_ACCESS_KEY: &str = \"{value}\";");
        let r = redact(&line);
        assert_eq!(r.text, "pub const AWS_SECRET_ACCESS_KEY: &str = \"[REDACTED:aws-secret-key]\";");
        assert_eq!(r.report.total(), 1);
    }

    #[test]
    fn a_token_in_an_assignment_counts_once_as_the_token() {
        let token = cat(&["gh", "p_", &synth(ALNUM, 36, 51)]);
        for line in [format!("GITHUB_TOKEN={token}"), format!("let api_key: &str = \"{token}\";"), format!("Authorization: token {token}")] {
            let r = redact(&line);
            assert_eq!(r.report.counts, BTreeMap::from([(SecretKind::GithubToken, 1)]), "{line} -> {}", r.text);
        }
    }

    #[test]
    fn pgp_and_putty_blocks_keep_their_armor_and_lines() {
        let pgp_head = cat(&["-----BEGIN PGP PRIV", "ATE KEY BLOCK-----"]);
        let pgp_tail = cat(&["-----END PGP PRIV", "ATE KEY BLOCK-----"]);
        let body: Vec<String> = (0..3).map(|i| synth(B64, 64, 60 + i)).collect();
        let text = format!("+{pgp_head}\n+Version: GnuPG v2\n+\n+{}\n+{}\n+{}\n+=Ab3d\n+{pgp_tail}\n", body[0], body[1], &body[2][..20]);
        let r = redact(&text);
        assert_eq!(r.report.counts, BTreeMap::from([(SecretKind::PrivateKey, 1)]));
        let want = format!("+{pgp_head}\n+Version: GnuPG v2\n+\n{}+{pgp_tail}\n", "+[REDACTED:private-key]\n".repeat(4));
        assert_eq!(r.text, want);

        let putty = format!(
            "{}: ssh-rsa\nEncryption: none\nComment: rsa-key\nPublic-Lines: 1\n{}\nPrivate-Lines: 1\n{}\nPrivate-MAC: {}\nafter = 1\n",
            cat(&["PuTTY-User-", "Key-File-2"]),
            synth(B64, 60, 70),
            synth(B64, 60, 71),
            synth("0123456789abcdef", 40, 72)
        );
        let r = redact(&putty);
        assert_eq!(r.report.count(SecretKind::PrivateKey), 1, "{}", r.text);
        let want = "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: rsa-key\nPublic-Lines: 1\n[REDACTED:private-key]\nPrivate-Lines: 1\n[REDACTED:private-key]\nPrivate-MAC: [REDACTED:private-key]\nafter = 1\n";
        assert_eq!(r.text, want);
    }

    #[test]
    fn urls_and_headers_lose_only_the_credential() {
        let pass = synth(ALNUM, 18, 80);
        let text = format!("url = \"mongodb+srv://app:{pass}@cluster0.example.net/db?retryWrites=true\"");
        assert_eq!(redact(&text).text, "url = \"mongodb+srv://app:[REDACTED:connection-string]@cluster0.example.net/db?retryWrites=true\"");
        let bearer = synth(ALNUM, 40, 81);
        let text = format!("curl -H \"Authorization: Bearer {bearer}\" https://api.example.test");
        assert_eq!(redact(&text).text, "curl -H \"Authorization: Bearer [REDACTED:auth-header]\" https://api.example.test");
        let key = cat(&[&synth(B64, 86, 82), "=="]);
        let text = format!("DefaultEndpointsProtocol=https;AccountName=a;AccountKey={key};EndpointSuffix=core.windows.net");
        assert_eq!(
            redact(&text).text,
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[REDACTED:azure-key];EndpointSuffix=core.windows.net"
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let begin = armor("BEGIN", "");
        let inputs = [
            String::new(),
            begin.clone(),
            format!("é{begin}\u{1F600}"),
            format!("{begin}\n+é{}", synth(B64, 30, 1)),
            "password=\"".into(),
            "token: ''".into(),
        ];
        for s in &inputs {
            let r = redact(s);
            assert_eq!(r.text.lines().count(), s.lines().count());
        }
    }
}
