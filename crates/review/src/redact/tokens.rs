//! Secrets recognizable by their own shape: a literal prefix the issuer puts on every
//! token (`ghp_`, `glpat-`, `sk-ant-`…) followed by a run of a known alphabet and length.
//!
//! Each prefix is one literal of the redactor's single scan (see [`super::triggers`]); the
//! checks here run only where a prefix was found, by hand, so no pattern with large
//! counted repetitions has to be compiled in the Worker. The shapes follow the issuers'
//! documentation where it exists and gitleaks' default rule set otherwise
//! (<https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml>, read for the
//! shapes only; the rules below are our own):
//! - GitHub: <https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/>
//! - GitLab: <https://docs.gitlab.com/security/tokens/#token-prefixes>
//! - AWS: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids>
//! - Slack: <https://api.slack.com/authentication/token-types>
//! - Stripe: <https://docs.stripe.com/keys>
//! - npm: <https://github.blog/changelog/2021-09-23-npm-has-a-new-access-token-format/>
//! - PyPI: <https://pypi.org/help/#apitoken> (macaroons, base64 of `pypi.org`)
//! - Vault: <https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes>
//! - Shopify: <https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens>
//! - Telegram: <https://core.telegram.org/bots/api#authorizing-your-bot>
//! - Azure storage: <https://learn.microsoft.com/en-us/azure/storage/common/storage-configure-connection-string>
//! - JWT: <https://www.rfc-editor.org/rfc/rfc7519#section-3> (base64url header `eyJ…`).

use super::SecretKind;
use std::ops::Range;

/// A byte class of token alphabets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Set {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Za-z0-9_]`
    AlnumUnderscore,
    /// `[A-Za-z0-9_-]` (base64url)
    B64Url,
    /// `[A-Za-z0-9_.-]`
    B64UrlDot,
    /// `[A-Za-z0-9+/=]`
    B64,
    /// `[A-Z0-9]`
    UpperDigit,
    /// `[0-9a-fA-F]`
    Hex,
    /// `[0-9a-f]`
    LowerHex,
    /// `[A-Za-z]`
    Alpha,
    /// `[A-Za-z0-9%+/=]`: base64 that may be percent-encoded (in a URL query).
    B64Percent,
}

impl Set {
    pub(super) fn has(self, b: u8) -> bool {
        match self {
            Set::Alnum => b.is_ascii_alphanumeric(),
            Set::AlnumUnderscore => b.is_ascii_alphanumeric() || b == b'_',
            Set::B64Url => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Set::B64UrlDot => b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'),
            Set::B64 => b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='),
            Set::UpperDigit => b.is_ascii_uppercase() || b.is_ascii_digit(),
            Set::Hex => b.is_ascii_hexdigit(),
            Set::LowerHex => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            Set::Alpha => b.is_ascii_alphabetic(),
            Set::B64Percent => b.is_ascii_alphanumeric() || matches!(b, b'%' | b'+' | b'/' | b'='),
        }
    }
}

/// How to read the token that follows a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rule {
    /// The prefix and a run of `set` whose length is within `min..=max`; the whole token
    /// is replaced.
    Run { set: Set, min: u16, max: u16 },
    /// Like `Run`, but only the value after the prefix is replaced (the prefix is a
    /// setting's name, such as `AccountKey=`, worth keeping for the reviewer).
    Value { set: Set, min: u16 },
    /// `eyJ…` `.` `eyJ…` `.` signature: a JSON Web Token.
    Jwt,
    /// `SG.` 22 characters `.` 43 characters.
    Sendgrid,
    /// `sk-` alone: OpenAI's legacy keys (`sk-` + 48 alphanumerics, `T3BlbkFJ` inside).
    OpenAiLegacy,
    /// `:AA` preceded by the bot's numeric id: `123456789:AA…` (35 characters after `:`).
    Telegram,
    /// `Q~` inside an Azure AD client secret: 3 characters and a digit before it.
    AzureAdSecret,
    /// A webhook URL whose path is the secret (Slack, Discord); `min` path characters.
    HookUrl { min: u16 },
    /// `PMAK-` 24 hex `-` 34 hex (Postman).
    Postman,
}

/// One literal prefix: what it announces and how to read the rest.
#[derive(Clone, Copy, Debug)]
pub(super) struct Prefix {
    pub lit: &'static str,
    pub kind: SecretKind,
    pub rule: Rule,
}

const fn run(lit: &'static str, kind: SecretKind, set: Set, min: u16, max: u16) -> Prefix {
    Prefix { lit, kind, rule: Rule::Run { set, min, max } }
}

const fn with(lit: &'static str, kind: SecretKind, rule: Rule) -> Prefix {
    Prefix { lit, kind, rule }
}

use SecretKind as K;
use Set::*;

/// Every prefix, longest first where one is the start of another (`sk-ant-` before `sk-`):
/// the scan takes the first literal that matches at a position.
pub(super) const PREFIXES: &[Prefix] = &[
    run("ghp_", K::GithubToken, Alnum, 36, 251),
    run("gho_", K::GithubToken, Alnum, 36, 251),
    run("ghu_", K::GithubToken, Alnum, 36, 251),
    run("ghs_", K::GithubToken, Alnum, 36, 251),
    run("ghr_", K::GithubToken, Alnum, 36, 251),
    run("github_pat_", K::GithubToken, AlnumUnderscore, 22, 244),
    run("glpat-", K::GitlabToken, B64UrlDot, 20, 300),
    run("gldt-", K::GitlabToken, B64Url, 20, 300),
    run("glrt-", K::GitlabToken, B64UrlDot, 20, 300),
    run("glptt-", K::GitlabToken, Hex, 40, 40),
    run("gloas-", K::GitlabToken, B64Url, 20, 300),
    run("glcbt-", K::GitlabToken, B64Url, 20, 300),
    run("glft-", K::GitlabToken, B64Url, 20, 300),
    run("glsoat-", K::GitlabToken, B64Url, 20, 300),
    run("glagent-", K::GitlabToken, B64Url, 50, 300),
    run("glimt-", K::GitlabToken, B64Url, 25, 300),
    run("glffct-", K::GitlabToken, B64Url, 20, 300),
    run("GR1348941", K::GitlabToken, B64Url, 20, 300),
    run("AKIA", K::AwsAccessKey, UpperDigit, 16, 16),
    run("ASIA", K::AwsAccessKey, UpperDigit, 16, 16),
    run("ABIA", K::AwsAccessKey, UpperDigit, 16, 16),
    run("ACCA", K::AwsAccessKey, UpperDigit, 16, 16),
    run("A3T", K::AwsAccessKey, UpperDigit, 17, 17),
    run("AIza", K::GcpApiKey, B64Url, 35, 35),
    run("xoxe.xox", K::SlackToken, B64Url, 20, 300),
    run("xoxa-", K::SlackToken, B64Url, 10, 300),
    run("xoxb-", K::SlackToken, B64Url, 10, 300),
    run("xoxp-", K::SlackToken, B64Url, 10, 300),
    run("xoxo-", K::SlackToken, B64Url, 10, 300),
    run("xoxs-", K::SlackToken, B64Url, 10, 300),
    run("xoxr-", K::SlackToken, B64Url, 10, 300),
    run("xoxe-", K::SlackToken, B64Url, 10, 300),
    run("xapp-", K::SlackToken, B64Url, 20, 300),
    with("hooks.slack.com/", K::SlackToken, Rule::HookUrl { min: 20 }),
    run("sk_live_", K::StripeKey, Alnum, 16, 247),
    run("rk_live_", K::StripeKey, Alnum, 16, 247),
    run("sk_test_", K::StripeKey, Alnum, 16, 247),
    run("rk_test_", K::StripeKey, Alnum, 16, 247),
    run("sk_prod_", K::StripeKey, Alnum, 16, 247),
    run("rk_prod_", K::StripeKey, Alnum, 16, 247),
    run("sk-ant-", K::AnthropicKey, B64Url, 32, 300),
    run("sk-proj-", K::OpenaiKey, B64Url, 20, 300),
    run("sk-svcacct-", K::OpenaiKey, B64Url, 20, 300),
    run("sk-admin-", K::OpenaiKey, B64Url, 20, 300),
    run("sk-None-", K::OpenaiKey, B64Url, 20, 300),
    with("sk-", K::OpenaiKey, Rule::OpenAiLegacy),
    run("npm_", K::NpmToken, Alnum, 36, 36),
    run("pypi-AgE", K::PypiToken, B64Url, 50, 1000),
    with("SG.", K::SendgridKey, Rule::Sendgrid),
    run("SK", K::TwilioKey, Hex, 32, 32),
    run("key-", K::MailgunKey, LowerHex, 32, 32),
    run("hvs.", K::VaultToken, B64Url, 24, 300),
    run("hvb.", K::VaultToken, B64Url, 24, 400),
    run("hvr.", K::VaultToken, B64Url, 24, 300),
    run("shpat_", K::ShopifyToken, Hex, 32, 32),
    run("shpca_", K::ShopifyToken, Hex, 32, 32),
    run("shppa_", K::ShopifyToken, Hex, 32, 32),
    run("shpss_", K::ShopifyToken, Hex, 32, 32),
    with("discord.com/api/webhooks/", K::DiscordToken, Rule::HookUrl { min: 60 }),
    with("discordapp.com/api/webhooks/", K::DiscordToken, Rule::HookUrl { min: 60 }),
    with(":AA", K::TelegramToken, Rule::Telegram),
    with("AccountKey=", K::AzureKey, Rule::Value { set: B64, min: 40 }),
    with("SharedAccessKey=", K::AzureKey, Rule::Value { set: B64, min: 32 }),
    with("sig=", K::AzureKey, Rule::Value { set: B64Percent, min: 40 }),
    with("Q~", K::AzureKey, Rule::AzureAdSecret),
    with("eyJ", K::Jwt, Rule::Jwt),
    // Other issuers whose prefixes gitleaks lists; one kind keeps the summary short.
    run("hf_", K::ApiToken, Alpha, 34, 34),
    run("api_org_", K::ApiToken, Alpha, 34, 34),
    run("dop_v1_", K::ApiToken, LowerHex, 64, 64),
    run("doo_v1_", K::ApiToken, LowerHex, 64, 64),
    run("dor_v1_", K::ApiToken, LowerHex, 64, 64),
    run("dp.pt.", K::ApiToken, Alnum, 40, 44),
    run("dp.st.", K::ApiToken, B64Url, 40, 60),
    run("lin_api_", K::ApiToken, Alnum, 40, 40),
    run("pscale_tkn_", K::ApiToken, B64UrlDot, 32, 64),
    run("pscale_pw_", K::ApiToken, B64UrlDot, 32, 64),
    run("pscale_oauth_", K::ApiToken, B64UrlDot, 32, 64),
    with("PMAK-", K::ApiToken, Rule::Postman),
    run("pul-", K::ApiToken, LowerHex, 40, 40),
    run("rubygems_", K::ApiToken, LowerHex, 48, 48),
    run("sntryu_", K::ApiToken, LowerHex, 64, 64),
    run("sntrys_", K::ApiToken, B64, 60, 400),
    run("glsa_", K::ApiToken, AlnumUnderscore, 41, 41),
    run("glc_", K::ApiToken, B64, 32, 400),
    run("AGE-SECRET-KEY-1", K::ApiToken, UpperDigit, 58, 58),
    run("sq0atp-", K::ApiToken, B64Url, 22, 60),
    run("sq0csp-", K::ApiToken, B64Url, 40, 60),
    run("HRKU-AA", K::ApiToken, B64Url, 58, 58),
    run("NRAK-", K::ApiToken, UpperDigit, 27, 27),
    run("dapi", K::ApiToken, LowerHex, 32, 32),
];

/// The literals the scan looks for to find the prefixes above: one per prefix where that
/// is cheap, one per family where the family is large (`glp` for `glpat-` and `glptt-`).
/// A stem may sit inside its prefixes (`_v1_` in `dop_v1_`, `AA` in `:AA`).
///
/// Natively the `regex` crate searches up to 64 literals with a SIMD multi-literal matcher
/// (Teddy) that fingerprints their first bytes: three-byte stems keep its false candidates
/// rare, so the two 2-byte stems live apart in [`SHORT_STEMS`] (a set of two costs
/// little), and there are fewer than 64 of the others.
pub(super) const STEMS: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glp",
    "gldt-",
    "glrt-",
    "gloas-",
    "glc",
    "glf",
    "gls",
    "glagent-",
    "glimt-",
    "GR1348941",
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "A3T",
    "AIza",
    "xox",
    "xapp-",
    "hooks.slack.com/",
    "sk_",
    "rk_",
    "sk-",
    "npm_",
    "pypi-",
    "SG.",
    "key-",
    "hvs.",
    "hvb.",
    "hvr.",
    "shp",
    "discord",
    ":AA",
    "AccountKey=",
    "SharedAccessKey=",
    "sig=",
    "eyJ",
    "hf_",
    "api_org_",
    "_v1_",
    "dp.",
    "lin_api_",
    "pscale_",
    "PMAK-",
    "pul-",
    "rubygems_",
    "sntry",
    "AGE-SECRET-KEY-1",
    "sq0",
    "HRKU-",
    "NRAK-",
    "dapi",
];

/// Stems of two bytes: Twilio's `SK` and the `Q~` inside Azure AD client secrets.
pub(super) const SHORT_STEMS: &[&str] = &["SK", "Q~"];

/// Every stem, long ones first (indices are into this order).
pub(super) fn all_stems() -> impl Iterator<Item = &'static str> {
    STEMS.iter().chain(SHORT_STEMS).copied()
}

/// For each stem (in [`all_stems`] order), the prefixes it announces (in [`PREFIXES`]
/// order) and where the stem sits inside each.
pub(super) fn stem_groups() -> &'static [Vec<(usize, usize)>] {
    static GROUPS: std::sync::OnceLock<Vec<Vec<(usize, usize)>>> = std::sync::OnceLock::new();
    GROUPS.get_or_init(|| {
        let stems: Vec<&str> = all_stems().collect();
        let mut groups = vec![Vec::new(); stems.len()];
        for (i, p) in PREFIXES.iter().enumerate() {
            // The longest stem inside the prefix is its own.
            let own = stems.iter().enumerate().filter_map(|(s, stem)| p.lit.find(stem).map(|at| (stem.len(), s, at))).max();
            if let Some((_, s, at)) = own {
                groups[s].push((i, at));
            }
        }
        groups
    })
}

/// The token announced by stem number `stem` found at `at`: the first prefix of the
/// stem's family that is there and reads as a token, with its kind.
pub(super) fn token_at_stem(text: &str, at: usize, stem: usize) -> Option<(Range<usize>, SecretKind)> {
    let b = text.as_bytes();
    stem_groups()[stem].iter().find_map(|&(i, offset)| {
        let p = &PREFIXES[i];
        let start = at.checked_sub(offset)?;
        if !b[start..].starts_with(p.lit.as_bytes()) {
            return None;
        }
        token_at(text, start, p).map(|r| (r, p.kind))
    })
}

/// An ASCII word byte: what may not touch a token on either side.
pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn run_end(b: &[u8], from: usize, set: Set) -> usize {
    b[from..].iter().position(|&c| !set.has(c)).map_or(b.len(), |n| from + n)
}

fn word_after(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|&c| is_word(c))
}

/// The byte range to replace for the token announced by `p` at `start` (where its
/// literal begins), or `None` when what follows is not that token.
pub(super) fn token_at(text: &str, start: usize, p: &Prefix) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let body = start + p.lit.len();
    let boundary_before = start == 0 || !is_word(b[start - 1]);
    match p.rule {
        Rule::Run { set, min, max } => {
            if !boundary_before {
                return None;
            }
            let end = run_end(b, body, set);
            let len = end - body;
            (len >= min as usize && len <= max as usize && !word_after(b, end)).then_some(start..end)
        }
        Rule::Value { set, min } => {
            let end = run_end(b, body, set);
            (end - body >= min as usize && !word_after(b, end)).then_some(body..end)
        }
        Rule::Jwt => {
            if !boundary_before {
                return None;
            }
            let head = run_end(b, body, B64Url);
            if head - body < 8 || b.get(head) != Some(&b'.') || !text[head + 1..].starts_with("eyJ") {
                return None;
            }
            let payload = run_end(b, head + 4, B64Url);
            if payload - (head + 4) < 8 {
                return None;
            }
            // An unsigned token (`alg: none`) has an empty signature after the second dot.
            let end = if b.get(payload) == Some(&b'.') { run_end(b, payload + 1, B64Url) } else { payload };
            Some(start..end)
        }
        Rule::Sendgrid => {
            let first = run_end(b, body, B64Url);
            if !boundary_before || first - body != 22 || b.get(first) != Some(&b'.') {
                return None;
            }
            let end = run_end(b, first + 1, B64Url);
            (end - first - 1 == 43 && !word_after(b, end)).then_some(start..end)
        }
        Rule::OpenAiLegacy => {
            if !boundary_before {
                return None;
            }
            let end = run_end(b, body, B64Url);
            let token = &text[body..end];
            let mixed = token.bytes().any(|c| c.is_ascii_digit())
                && token.bytes().any(|c| c.is_ascii_uppercase())
                && token.bytes().any(|c| c.is_ascii_lowercase());
            ((token.contains("T3BlbkFJ") || (token.len() >= 32 && mixed)) && !token.contains("--")).then_some(start..end)
        }
        Rule::Telegram => {
            // The bot id: 8 to 10 digits right before the colon, on a word boundary.
            let digits = b[..start].iter().rev().take_while(|c| c.is_ascii_digit()).count();
            let id_start = start - digits;
            if !(5..=16).contains(&digits) || (id_start > 0 && is_word(b[id_start - 1])) {
                return None;
            }
            let end = run_end(b, start + 1, B64Url);
            (end - start - 1 == 35).then_some(id_start..end)
        }
        Rule::AzureAdSecret => {
            // `[A-Za-z0-9_~.]{3}` then a digit, then `Q~`, then 31 to 34 more.
            if start < 4 || !b[start - 1].is_ascii_digit() {
                return None;
            }
            let head = start - 4;
            let ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'~' | b'.');
            if !b[head..start - 1].iter().all(|&c| ok(c)) || (head > 0 && (ok(b[head - 1]) || b[head - 1] == b'-')) {
                return None;
            }
            let end = body + b[body..].iter().position(|&c| !(ok(c) || c == b'-')).unwrap_or(b.len() - body);
            (31..=34).contains(&(end - body)).then_some(head..end)
        }
        Rule::HookUrl { min } => {
            let end =
                b[body..].iter().position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'/' | b'+'))).map_or(b.len(), |n| body + n);
            if end - body < min as usize {
                return None;
            }
            // Keep the scheme in the replaced span so no part of the URL is left dangling.
            let scheme = ["https://", "http://"].iter().find(|s| text[..start].ends_with(**s)).map_or(0, |s| s.len());
            Some(start - scheme..end)
        }
        Rule::Postman => {
            let first = run_end(b, body, LowerHex);
            if !boundary_before || first - body != 24 || b.get(first) != Some(&b'-') {
                return None;
            }
            let end = run_end(b, first + 1, LowerHex);
            (end - first - 1 == 34 && !word_after(b, end)).then_some(start..end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_prefixes_come_before_the_prefixes_they_start_with() {
        for (i, a) in PREFIXES.iter().enumerate() {
            for b in &PREFIXES[i + 1..] {
                assert!(!b.lit.starts_with(a.lit), "{} must come after {}", b.lit, a.lit);
            }
        }
    }

    #[test]
    fn every_prefix_has_a_stem_and_the_stems_fit_teddy() {
        let groups = stem_groups();
        for (i, p) in PREFIXES.iter().enumerate() {
            assert!(groups.iter().flatten().any(|(j, _)| *j == i), "{} has no stem", p.lit);
        }
        for (s, g) in all_stems().zip(groups) {
            assert!(!g.is_empty(), "the stem {s} announces nothing");
        }
        assert!(STEMS.len() <= 64, "{} stems: Teddy takes at most 64 literals", STEMS.len());
        assert!(STEMS.iter().all(|s| s.len() >= 3), "a short stem in STEMS makes Teddy fingerprint two bytes");
    }

    #[test]
    fn a_prefix_inside_a_word_is_not_a_token() {
        let p = PREFIXES.iter().find(|p| p.lit == "npm_").unwrap();
        let body = "a".repeat(36);
        assert_eq!(token_at(&format!("npm_{body}"), 0, p), Some(0..40));
        assert_eq!(token_at(&format!("xnpm_{body}"), 1, p), None);
        assert_eq!(token_at(&format!("npm_{body}x_"), 0, p), None, "too long");
    }
}
