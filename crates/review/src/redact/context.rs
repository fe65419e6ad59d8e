//! Secrets known by where they sit rather than by their shape: a literal assigned to a
//! secret-named key in any declaration style (`pub const API_KEY: &str = "…"`,
//! `val token: String = "…"`, `var password string = "…"`, `$password = '…'`,
//! `"password": "…"`, `password: …`, `<password>…</password>`…), the credential of an
//! `Authorization` header, and the password of a connection URL (`postgres://u:p@h`).
//!
//! Every rule starts from a hit of the redactor's single scan (a keyword such as `pass`,
//! `token`, `key`, or `://`) and reads only the line around it, so the cost is per hit,
//! not per byte. A name counts as secret-ish by its words (`db_password`, `apiKey`,
//! `AWS_SECRET_ACCESS_KEY`), never by a substring (`bypass`, `tokenizer`, `keyboard`), and
//! a value must look like a literal secret: references, placeholders, paths and
//! identifiers are left alone, because redacting them would only hide code from the
//! reviewer.

use super::SecretKind;
use super::tokens::is_word;
use std::ops::Range;

/// The byte range of the line of `text` that holds `pos` (without its `\n`).
pub(super) fn line_of(text: &str, pos: usize) -> Range<usize> {
    let b = text.as_bytes();
    let start = b[..pos].iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
    let end = b[pos..].iter().position(|&c| c == b'\n').map_or(b.len(), |i| pos + i);
    start..end
}

fn is_name_byte(b: u8) -> bool {
    is_word(b) || b == b'-' || b == b'.'
}

/// The identifier around a keyword hit at `hit` (a range of `text`): word bytes, `-` and
/// `.` on both sides (`X-Api-Key`, `spring.datasource.password`), without leading or
/// trailing punctuation (`--password`).
pub(super) fn name_around(text: &str, line: &Range<usize>, hit: &Range<usize>) -> Range<usize> {
    let b = text.as_bytes();
    let mut s = hit.start;
    while s > line.start && is_name_byte(b[s - 1]) && hit.start - s < 80 {
        s -= 1;
    }
    let mut e = hit.end;
    while e < line.end && is_name_byte(b[e]) && e - hit.end < 80 {
        e += 1;
    }
    while s < e && matches!(b[s], b'-' | b'.') {
        s += 1;
    }
    while e > s && matches!(b[e - 1], b'-' | b'.') {
        e -= 1;
    }
    s..e
}

/// At most this many words of a name are looked at.
const MAX_WORDS: usize = 12;

/// Splits a name into its words: `_`, `-`, `.` separate, and so do case changes
/// (`apiKey`, `APIKey`, `AwsSecret`), so `AWS_SECRET_ACCESS_KEY`, `awsSecretAccessKey`
/// and `aws-secret-access-key` give the same words.
fn words(name: &str) -> ([&str; MAX_WORDS], usize) {
    let mut out = [""; MAX_WORDS];
    let mut n = 0;
    let b = name.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i <= b.len() && n < MAX_WORDS {
        let split_here = i == b.len()
            || matches!(b[i], b'_' | b'-' | b'.')
            || (i > start
                && b[i].is_ascii_uppercase()
                && (b[i - 1].is_ascii_lowercase()
                    || b[i - 1].is_ascii_digit()
                    || (b[i - 1].is_ascii_uppercase() && b.get(i + 1).is_some_and(u8::is_ascii_lowercase))));
        if split_here {
            if i > start {
                out[n] = &name[start..i];
                n += 1;
            }
            start = if i < b.len() && matches!(b[i], b'_' | b'-' | b'.') { i + 1 } else { i };
        }
        i += 1;
    }
    (out, n)
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn ends_with_ci(word: &str, suffix: &str) -> bool {
    word.len() >= suffix.len() && word.is_char_boundary(word.len() - suffix.len()) && eq(&word[word.len() - suffix.len()..], suffix)
}

/// How strongly a name says "this holds a secret".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Strength {
    /// A password: human-chosen values are redacted too (a digit or symbol suffices).
    Password,
    /// A key, token or secret: the value must look random.
    Secret,
}

/// Words that make a name secret-ish on their own (also as the end of a fused word such as
/// `dbpassword` or `authtoken`).
const SECRET_SUFFIXES: [&str; 9] = ["token", "secret", "secrets", "apikey", "secretkey", "accesskey", "privatekey", "credential", "credentials"];
const PASSWORD_SUFFIXES: [&str; 4] = ["password", "passwd", "passphrase", "pwd"];
/// Whole words only (as suffixes they would match `bypass`, `monkey`…).
const PASSWORD_WORDS: [&str; 2] = ["pass", "pw"];
const SECRET_WORDS: [&str; 4] = ["creds", "bearer", "sas", "auth"];
/// Words that, before `key`, make it a secret key (`api_key`, `signing_key`, `DD_APP_KEY`).
const KEY_QUALIFIERS: [&str; 27] = [
    "api",
    "access",
    "secret",
    "private",
    "auth",
    "signing",
    "sign",
    "master",
    "encryption",
    "encrypt",
    "enc",
    "client",
    "app",
    "application",
    "license",
    "licence",
    "service",
    "account",
    "admin",
    "consumer",
    "subscription",
    "webhook",
    "hmac",
    "jwt",
    "shared",
    "storage",
    "session",
];
/// A name whose last word is one of these holds something about a secret, not the
/// secret: `token_type`, `secret_name`, `password_field`, `api_key_id`, `token_url`.
const NOT_THE_SECRET: [&str; 52] = [
    "id",
    "ids",
    "name",
    "names",
    "type",
    "types",
    "kind",
    "url",
    "uri",
    "urls",
    "endpoint",
    "path",
    "file",
    "filename",
    "dir",
    "length",
    "len",
    "size",
    "count",
    "max",
    "min",
    "limit",
    "field",
    "fields",
    "label",
    "prefix",
    "suffix",
    "header",
    "param",
    "env",
    "var",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "timeout",
    "version",
    "format",
    "regex",
    "pattern",
    "policy",
    "provider",
    "hint",
    "message",
    "msg",
    "error",
    "description",
    "text",
    "title",
    "prompt",
    "index",
    "placeholder",
];
/// Words anywhere in a name that say the value is not a credential: hashes and
/// checksums, public halves, pagination and CSRF tokens, LLM token counts.
const NOT_SECRET_WORDS: [&str; 24] = [
    "public",
    "pub",
    "hash",
    "hashed",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "checksum",
    "digest",
    "fingerprint",
    "csrf",
    "xsrf",
    "next",
    "page",
    "cursor",
    "continuation",
    "cancellation",
    "max",
    "num",
    "total",
    "sort",
    "cache",
];

/// Which vendor a secret-ish name belongs to, for the summary's kinds.
fn vendor(words: &[&str]) -> Option<SecretKind> {
    let has = |w: &str| words.iter().any(|x| eq(x, w));
    let first = words.first().copied().unwrap_or("");
    Some(if has("aws") && (has("secret") || has("secretkey")) {
        SecretKind::AwsSecretKey
    } else if has("datadog") || eq(first, "dd") {
        SecretKind::DatadogKey
    } else if has("twilio") {
        SecretKind::TwilioKey
    } else if has("mailgun") {
        SecretKind::MailgunKey
    } else if has("sendgrid") {
        SecretKind::SendgridKey
    } else if has("discord") {
        SecretKind::DiscordToken
    } else if has("telegram") {
        SecretKind::TelegramToken
    } else if has("slack") {
        SecretKind::SlackToken
    } else if has("stripe") {
        SecretKind::StripeKey
    } else if has("github") || eq(first, "gh") {
        SecretKind::GithubToken
    } else if has("gitlab") {
        SecretKind::GitlabToken
    } else if has("openai") {
        SecretKind::OpenaiKey
    } else if has("anthropic") {
        SecretKind::AnthropicKey
    } else if has("vault") {
        SecretKind::VaultToken
    } else if has("shopify") {
        SecretKind::ShopifyToken
    } else if has("azure") {
        SecretKind::AzureKey
    } else if has("npm") {
        SecretKind::NpmToken
    } else if has("pypi") {
        SecretKind::PypiToken
    } else {
        return None;
    })
}

/// Whether a name holds a secret, how strongly, and of which kind.
pub(super) fn classify_name(name: &str) -> Option<(Strength, SecretKind)> {
    let (arr, n) = words(name);
    let w = &arr[..n];
    let last = *w.last()?;
    if NOT_THE_SECRET.iter().any(|x| eq(last, x)) || w.iter().any(|x| NOT_SECRET_WORDS.iter().any(|y| eq(x, y))) {
        return None;
    }
    let mut strength = None;
    for (i, word) in w.iter().enumerate() {
        let s = if PASSWORD_SUFFIXES.iter().any(|s| ends_with_ci(word, s)) || PASSWORD_WORDS.iter().any(|s| eq(word, s)) {
            Some(Strength::Password)
        } else if SECRET_SUFFIXES.iter().any(|s| ends_with_ci(word, s))
            || SECRET_WORDS.iter().any(|s| eq(word, s)) && (i + 1 == w.len() || !eq(word, "auth"))
            || (eq(word, "key") && w[..i].iter().any(|q| KEY_QUALIFIERS.iter().any(|k| eq(q, k)) || vendor(&[q]).is_some()))
        {
            Some(Strength::Secret)
        } else {
            None
        };
        strength = strength.max(s);
    }
    let strength = strength?;
    Some((strength, vendor(w).unwrap_or(SecretKind::AssignedSecret)))
}

fn skip_ws(b: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

fn starts(b: &[u8], i: usize, end: usize, s: &str) -> bool {
    i + s.len() <= end && &b[i..i + s.len()] == s.as_bytes()
}

/// Bytes a type annotation may hold: `&'static str`, `Option<String>`, `string | undefined`,
/// `[]byte`, `String?`, `char *`.
fn is_type_byte(b: u8) -> bool {
    is_word(b) || matches!(b, b'&' | b'<' | b'>' | b'[' | b']' | b'*' | b'?' | b'.' | b':' | b',' | b'|' | b' ' | b'\'')
}

/// After a type annotation starting at `i`, the offset right after its `=`, if the
/// annotation is followed by one (`: &str = `, ` string = `).
fn after_type_then_eq(b: &[u8], i: usize, end: usize) -> Option<usize> {
    let mut j = i;
    while j < end && j - i < 64 && is_type_byte(b[j]) {
        // A quote that does not follow `&` or `<` opens a value, not a lifetime.
        if b[j] == b'\'' && !(j > i && matches!(b[j - 1], b'&' | b'<')) {
            return None;
        }
        j += 1;
    }
    let j = skip_ws(b, j, end);
    (starts(b, j, end, "=") && !starts(b, j, end, "==") && !starts(b, j, end, "=>")).then_some(j + 1)
}

/// Where the value of the secret-named `name` starts, for the assignment and declaration
/// forms we know; `None` when the name is not being given a value here.
fn value_start(text: &str, line: &Range<usize>, name: &Range<usize>) -> Option<usize> {
    let b = text.as_bytes();
    let end = line.end;
    let before = |k: usize| (name.start >= line.start + k).then(|| b[name.start - k]);
    let quote = before(1).filter(|q| matches!(q, b'"' | b'\'' | b'`'));
    let mut i = name.end;
    // The closing quote of a quoted key (`"password":`, `'token' =>`, `["api_key"] =`).
    if let Some(q) = quote {
        if b.get(i) != Some(&q) {
            return None;
        }
        i += 1;
    }
    if starts(b, i, end, "]") {
        i += 1;
    }
    let after_name = i;
    let i = skip_ws(b, i, end);
    for op in [":=", "=>", "<-", "?=", "||=", "??=", "===", "!==", "==", "!="] {
        if starts(b, i, end, op) {
            return Some(i + op.len());
        }
    }
    if starts(b, i, end, "=") {
        return Some(i + 1);
    }
    if starts(b, i, end, ":") && !starts(b, i, end, "::") {
        // `SECRET_KEY: str = "…"`, `const apiKey: string = "…"`, `let s: &'static str = "…"`;
        // otherwise `:` itself assigns (YAML, JSON, Ruby, Go struct literals).
        return Some(after_type_then_eq(b, i + 1, end).unwrap_or(i + 1));
    }
    if quote.is_some() && starts(b, i, end, ",") {
        // `define('API_KEY', '…')`, `setenv("TOKEN", "…")`.
        return Some(i + 1);
    }
    if starts(b, i, end, "(") && i == after_name {
        // A setter or builder: `.password("…")`, `setApiKey("…")`.
        return Some(i + 1);
    }
    if before(1) == Some(b'<') && starts(b, i, end, ">") {
        // `<password>…</password>`.
        return Some(i + 1);
    }
    if (i > after_name || starts(b, i, end, "[")) && i < end {
        // `var password string = "…"` (Go), `char api_key[] = "…"` (C).
        if let Some(j) = after_type_then_eq(b, i, end) {
            return Some(j);
        }
        // `#define API_KEY "…"`, `(def api-key "…")`, `@api_key "…"` (Elixir), and
        // `--token abc…` on a command line.
        let lead = text[line.start..name.start].trim();
        let quoted_next = matches!(b[i], b'"' | b'\'');
        let declared = lead.starts_with("#define")
            || ["(def", "(defvar", "(defconst", "(setq", "(define"].iter().any(|d| lead.ends_with(d))
            || lead.ends_with('@');
        let cli = before(1) == Some(b'-') && before(2) == Some(b'-');
        if (declared && quoted_next && i > after_name) || cli {
            return Some(i);
        }
    }
    None
}

/// A literal value found after an assignment.
struct Literal {
    range: Range<usize>,
    quoted: bool,
}

/// The literal at `i` (after an operator): a quoted string on this line, possibly inside a
/// constructor (`String::from("…")`, `Some("…")`, `new Secret("…")`) or with a string
/// prefix (`r"…"`, `r#"…"#`, `b'…'`, `@"…"`, `f"…"`), or a bare word (`.env`, YAML, INI).
fn literal_at(text: &str, line: &Range<usize>, i: usize, setter: bool) -> Option<Literal> {
    let b = text.as_bytes();
    let end = line.end;
    let mut i = skip_ws(b, i, end);
    let bare_start = i;
    // A constructor or call around the literal: an identifier path and `(`.
    let mut j = i;
    while j < end && (is_word(b[j]) || matches!(b[j], b':' | b'.' | b' ')) && j - i < 48 {
        j += 1;
    }
    let wrapped = j < end && b[j] == b'(' && j > i;
    if wrapped && setter {
        // `cl_git_pass(p_rename("a", "b"))`: a call's argument, not a setter's literal.
        return None;
    }
    if wrapped {
        i = skip_ws(b, j + 1, end);
    }
    while i < end && matches!(b[i], b'&' | b'*') {
        i += 1;
    }
    // String prefixes: Rust `r`, `b`, `br`, `r#`; Python `f`, `b`, `u`, `rb`; C# `@`, `$`; C `L`, `u8`.
    let mut k = i;
    while k < end && k - i < 3 && matches!(b[k], b'r' | b'b' | b'f' | b'u' | b'8' | b'L' | b'@' | b'$' | b'#' | b'R' | b'B' | b'F' | b'U') {
        k += 1;
    }
    if k < end && matches!(b[k], b'"' | b'\'' | b'`') {
        let q = b[k];
        let open = k + 1;
        let mut m = open;
        while m < end && b[m] != q {
            m += if b[m] == b'\\' { 2 } else { 1 };
        }
        return (m < end).then_some(Literal { range: open..m, quoted: true });
    }
    if wrapped {
        return None;
    }
    // A bare value runs to whitespace or punctuation that ends values in config files.
    let stop = |c: u8| {
        c.is_ascii_whitespace()
            || matches!(c, b';' | b',' | b'&' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'\\' | b'|')
    };
    let mut m = bare_start;
    while m < end && !stop(b[m]) {
        m += 1;
    }
    // `token = getToken()`, `password: hash(…)`: a call, not a literal.
    if m < end && b[m] == b'(' {
        return None;
    }
    (m > bare_start).then_some(Literal { range: bare_start..m, quoted: false })
}

const PLACEHOLDERS: [&str; 22] = [
    "changeme",
    "change_me",
    "change-me",
    "example",
    "placeholder",
    "your_",
    "your-",
    "yourpass",
    "yoursecret",
    "yourtoken",
    "xxxx",
    "****",
    "....",
    "dummy",
    "redacted",
    "sample",
    "replace",
    "insert",
    "_here",
    "-here",
    "todo",
    "fixme",
];
/// Test-ish words: redacted only when the rest of the value is long and random anyway.
const TEST_WORDS: [&str; 6] = ["test", "fake", "mock", "demo", "secret", "password"];
const FILE_ENDINGS: [&str; 14] = [".pem", ".key", ".json", ".yaml", ".yml", ".txt", ".p12", ".pfx", ".crt", ".env", ".toml", ".ini", ".cfg", ".conf"];

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.len() >= needle.len() && hay.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether `v` looks like a literal secret rather than code, a reference or a placeholder.
pub(super) fn plausible_value(v: &str, quoted: bool, strength: Strength) -> bool {
    let len = v.len();
    // Keys and tokens are long; passwords may be short, but not in a bare config value
    // (`pass: none`), where a short word is far more often a setting than a password.
    let min = match (strength, quoted) {
        (Strength::Password, true) => 6,
        (Strength::Password, false) => 8,
        (Strength::Secret, true) => 10,
        (Strength::Secret, false) => 12,
    };
    if !(min..=512).contains(&len) || !v.is_ascii() {
        return false;
    }
    let b = v.as_bytes();
    if b.iter().any(|c| c.is_ascii_whitespace() || matches!(c, b'{' | b'}' | b'<' | b'>' | b'(' | b')' | b'[' | b']'))
        || v.starts_with('$')
        || v.contains("${")
        || v.contains("$(")
        || v.contains("%s")
        || v.contains("%(")
        || v.contains("REDACTED")
    {
        return false;
    }
    if PLACEHOLDERS.iter().any(|p| contains_ci(v, p)) {
        return false;
    }
    // Paths and URLs (a URL's password is the connection-string rule's business).
    if v.starts_with(['/', '.', '~']) || v.contains("://") || FILE_ENDINGS.iter().any(|e| v.len() > e.len() && ends_with_ci(v, e)) {
        return false;
    }
    // `status/current_file`, `assets/icons/key`: a relative path of plain words.
    if v.contains('/') && v.split('/').all(|seg| seg.bytes().all(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'-' | b'.'))) {
        return false;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let symbols = len - digits - letters;
    if letters == 0 {
        // Numbers (ports, ids, versions) and punctuation are not secrets.
        return false;
    }
    // `os.environ.token`, `config.api-key`, `DJANGO_SECRET_KEY`: names, not values.
    let word_like = digits == 0 && b.iter().all(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'-' | b'.' | b':'));
    let entropy = super::shannon_entropy(v);
    let random = if digits == 0 {
        !word_like && len >= 20 && entropy >= 4.0 || (word_like && len >= 24 && entropy >= 4.2 && !b.iter().any(|c| matches!(c, b'_' | b'-' | b'.')))
    } else {
        entropy >= if len >= 16 { 3.3 } else { 3.0 }
    };
    if TEST_WORDS.iter().any(|t| contains_ci(v, t)) {
        return random && len >= 24;
    }
    if random {
        return true;
    }
    // A password may be human-chosen: a quoted one with a digit or a symbol is redacted
    // even when short and not random, unless it is a plain name.
    strength == Strength::Password && quoted && (digits > 0 || symbols > 0) && !word_like && entropy >= 2.5
}

/// A secret found by context: the range to replace and its kind.
pub(super) type Found = (Range<usize>, SecretKind);

/// The value assigned to the secret-named identifier around the keyword hit `hit`.
pub(super) fn assignment(text: &str, line: &Range<usize>, name: &Range<usize>) -> Option<Found> {
    let (strength, kind) = classify_name(&text[name.clone()])?;
    let start = value_start(text, line, name)?;
    let setter = text.as_bytes().get(start - 1) == Some(&b'(');
    let lit = literal_at(text, line, start, setter)?;
    if setter && !lit.quoted {
        return None;
    }
    let v = &text[lit.range.clone()];
    // A token shape inside the value names its issuer better than the variable does.
    let kind = value_kind(v).unwrap_or(kind);
    plausible_value(v, lit.quoted, strength).then_some((lit.range, kind))
}

/// Shapes known only from a value (no prefix to scan for): Telegram and Discord bot tokens.
fn value_kind(v: &str) -> Option<SecretKind> {
    let b = v.as_bytes();
    let b64url = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-');
    if let Some(colon) = v.find(':') {
        let (id, rest) = (&b[..colon], &b[colon + 1..]);
        if (5..=16).contains(&id.len()) && id.iter().all(u8::is_ascii_digit) && rest.len() == 35 && rest.iter().all(b64url) {
            return Some(SecretKind::TelegramToken);
        }
    }
    let parts: Vec<&[u8]> = b.split(|c| *c == b'.').collect();
    if parts.len() == 3
        && (23..=28).contains(&parts[0].len())
        && parts[1].len() == 6
        && (27..=40).contains(&parts[2].len())
        && parts.iter().all(|p| p.iter().all(b64url))
    {
        return Some(SecretKind::DiscordToken);
    }
    None
}

/// The credential of an `Authorization` header or a `Bearer` value near `hit`:
/// `Authorization: Bearer …`, `Authorization: Basic …`, `Authorization: token …`,
/// `Authorization: Bot …`, `"Bearer …"`.
pub(super) fn auth_header(text: &str, line: &Range<usize>, hit: &Range<usize>) -> Option<Found> {
    let b = text.as_bytes();
    let after = &text[hit.end..line.end];
    let word = &text[hit.clone()];
    // The scheme word right after `Authorization` and its separator, or the hit itself.
    let (scheme, from) = if eq(word, "bearer") {
        ("bearer", hit.end)
    } else {
        let rest = after.trim_start_matches(|c: char| c.is_ascii_alphabetic()).trim_start_matches(['"', '\'', ':', '=', ' ', '\t', ',']);
        let at = line.end - rest.len();
        let scheme_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let scheme = &rest[..scheme_len];
        let known = ["bearer", "basic", "token", "bot", "digest", "apikey"].into_iter().find(|s| eq(scheme, s))?;
        (known, at + scheme_len)
    };
    if !matches!(b.get(from), Some(b' ' | b'\t')) {
        return None;
    }
    let start = skip_ws(b, from, line.end);
    let mut end = start;
    while end < line.end && (b[end].is_ascii_alphanumeric() || matches!(b[end], b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-' | b':')) {
        end += 1;
    }
    let v = &text[start..end];
    let min = if scheme == "basic" { 8 } else { 16 };
    if v.len() < min || v.contains("REDACTED") || PLACEHOLDERS.iter().any(|p| contains_ci(v, p)) {
        return None;
    }
    let digits = v.bytes().any(|c| c.is_ascii_digit());
    let entropy = super::shannon_entropy(v);
    let random = entropy >= if v.len() >= 16 { 3.3 } else { 2.8 } && (digits || v.len() >= 20);
    let kind = if scheme == "bot" { SecretKind::DiscordToken } else { SecretKind::AuthHeader };
    random.then_some((start..end, value_kind(v).unwrap_or(kind)))
}

/// Passwords in URLs are often defaults in examples; these are not redacted.
const URL_PLACEHOLDER_PASSWORDS: [&str; 12] = ["password", "pass", "passwd", "pwd", "secret", "pw", "x", "xxx", "foo", "bar", "user", "token"];

/// The password (or token-as-user) of the URL whose `://` is at `hit`:
/// `postgres://user:pass@host`, `mongodb+srv://u:p@cluster`, `https://TOKEN@github.com`.
pub(super) fn url_credentials(text: &str, line: &Range<usize>, hit: &Range<usize>) -> Option<Found> {
    let b = text.as_bytes();
    // The scheme: letters, digits, `+`, `.`, `-`, starting with a letter.
    let mut s = hit.start;
    while s > line.start && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'+' | b'.' | b'-')) {
        s -= 1;
    }
    if hit.start - s < 2 || !b[s].is_ascii_alphabetic() {
        return None;
    }
    // The authority: up to the first byte that ends it; the userinfo ends at its last `@`.
    let auth_start = hit.end;
    let mut e = auth_start;
    while e < line.end
        && !(b[e].is_ascii_whitespace() || matches!(b[e], b'/' | b'?' | b'#' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'\\' | b'(' | b')' | b',' | b';'))
    {
        e += 1;
    }
    let at = auth_start + text[auth_start..e].rfind('@')?;
    let userinfo = &text[auth_start..at];
    let (range, value) = match userinfo.find(':') {
        Some(c) => {
            let user = &userinfo[..c];
            let pass = &userinfo[c + 1..];
            if pass.is_empty()
                || eq(pass, user)
                || URL_PLACEHOLDER_PASSWORDS.iter().any(|p| eq(pass, p))
                || pass.starts_with(['$', '{', '<', '%', '*'])
                || PLACEHOLDERS.iter().any(|p| contains_ci(pass, p))
            {
                return None;
            }
            (auth_start + c + 1..at, pass)
        }
        None => {
            // A token as the user name: only a long, random one.
            if userinfo.len() < 20 || super::shannon_entropy(userinfo) < 3.5 || !userinfo.bytes().any(|c| c.is_ascii_digit()) {
                return None;
            }
            (auth_start..at, userinfo)
        }
    };
    if value.contains("REDACTED") {
        return None;
    }
    Some((range, SecretKind::ConnectionString))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words_in_every_case_style() {
        for (name, want) in [
            ("AWS_SECRET_ACCESS_KEY", vec!["AWS", "SECRET", "ACCESS", "KEY"]),
            ("awsSecretAccessKey", vec!["aws", "Secret", "Access", "Key"]),
            ("aws-secret-access-key", vec!["aws", "secret", "access", "key"]),
            ("APIKey", vec!["API", "Key"]),
            ("X-Api-Key", vec!["X", "Api", "Key"]),
            ("spring.datasource.password", vec!["spring", "datasource", "password"]),
            ("oauth2Token", vec!["oauth2", "Token"]),
        ] {
            let (w, n) = words(name);
            assert_eq!(&w[..n], &want[..], "{name}");
        }
    }

    #[test]
    fn secret_names_by_their_words() {
        use SecretKind as K;
        use Strength::*;
        let yes = [
            ("password", Password, K::AssignedSecret),
            ("DB_PASS", Password, K::AssignedSecret),
            ("mysqlPassword", Password, K::AssignedSecret),
            ("api_key", Secret, K::AssignedSecret),
            ("apiKey", Secret, K::AssignedSecret),
            ("APIKEY", Secret, K::AssignedSecret),
            ("client_secret", Secret, K::AssignedSecret),
            ("authToken", Secret, K::AssignedSecret),
            ("AWS_SECRET_ACCESS_KEY", Secret, K::AwsSecretKey),
            ("DD_API_KEY", Secret, K::DatadogKey),
            ("datadog_app_key", Secret, K::DatadogKey),
            ("TWILIO_AUTH_TOKEN", Secret, K::TwilioKey),
            ("stripeKey", Secret, K::StripeKey),
            ("http_auth", Secret, K::AssignedSecret),
        ];
        for (name, s, k) in yes {
            assert_eq!(classify_name(name), Some((s, k)), "{name}");
        }
        for name in [
            "bypass",
            "compass",
            "tokenizer",
            "monkey",
            "key",
            "cache_key",
            "primary_key",
            "token_type",
            "secret_name",
            "api_key_id",
            "password_field",
            "public_key",
            "next_token",
            "csrf_token",
            "max_tokens",
            "password_hash",
            "auth_url",
            "author",
            "keyboard",
            "passport",
            "authorize",
        ] {
            assert_eq!(classify_name(name), None, "{name}");
        }
    }

    #[test]
    fn values_that_are_code_are_not_secrets() {
        for v in [
            "process.env.TOKEN",
            "${API_KEY}",
            "$TOKEN",
            "{{ secrets.TOKEN }}",
            "<your-token>",
            "os.environ.get",
            "DJANGO_SECRET_KEY",
            "/etc/secret/token",
            "keys/server.pem",
            "changeme123",
            "12345678",
            "itsasecret",
            "xxxxxxxxxxxx",
            "settings.API_KEY",
        ] {
            assert!(!plausible_value(v, true, Strength::Secret), "{v}");
        }
        for v in ["hunter2!", "S3cure-pass", "p4ssw0rd#"] {
            assert!(plausible_value(v, true, Strength::Password), "{v}");
            assert!(!plausible_value(v, false, Strength::Secret), "{v} is too weak for a key");
        }
    }
}
