//! A generated corpus of secrets for measuring the redactor's recall: at least one example
//! of every token shape the redactor knows, every private key format, and every
//! declaration style and config format a secret gets written in. Every value is built
//! here at run time from a seeded generator and split prefixes, so the repository holds
//! no secret and no secret-shaped literal (secret scanners would rightly flag one).

use argus_review::redact::SecretKind;

/// One example: text that holds one secret of `kind`, written in `style`, and the
/// secret's material (every line of it must disappear).
#[derive(Clone, Debug)]
pub struct Case {
    pub kind: SecretKind,
    pub style: String,
    pub text: String,
    pub secret: String,
}

/// Deterministic pseudo-random characters from `alphabet` (xorshift, seeded).
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn chars(&mut self, alphabet: &str, len: usize) -> String {
        let a: Vec<char> = alphabet.chars().collect();
        (0..len).map(|_| a[(self.next() % a.len() as u64) as usize]).collect()
    }
    /// Random alphanumerics with at least one digit, one upper and one lower case letter
    /// (as issuers' random tokens nearly always have).
    pub fn mixed(&mut self, alphabet: &str, len: usize) -> String {
        loop {
            let s = self.chars(alphabet, len);
            let b = s.as_bytes();
            if len < 3
                || (b.iter().any(u8::is_ascii_digit) && b.iter().any(u8::is_ascii_uppercase) && b.iter().any(u8::is_ascii_lowercase))
                || !alphabet.contains('a')
                || !alphabet.contains('A')
            {
                return s;
            }
        }
    }
}

pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
pub const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const HEX: &str = "0123456789abcdef";
pub const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const DIGITS: &str = "0123456789";
pub const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

fn cat(parts: &[&str]) -> String {
    parts.concat()
}

/// PEM armor lines, built so that no source line looks like a key header.
pub fn armor(which: &str, label: &str) -> String {
    let key = concat!("PRIV", "ATE KEY");
    format!("-----{which} {label}{key}-----")
}

/// The token shapes: (kind, shape name, token). Prefixes are split so no literal here is a
/// token prefix followed by a body.
fn tokens(g: &mut Gen) -> Vec<(SecretKind, &'static str, String)> {
    use SecretKind as K;
    let mut v = Vec::new();
    for p in ["p", "o", "u", "s", "r"] {
        v.push((K::GithubToken, "gh?_ classic", cat(&["gh", p, "_", &g.mixed(ALNUM, 36)])));
    }
    v.push((K::GithubToken, "github_pat_ fine-grained", cat(&["github", "_pat_", &g.mixed(ALNUM, 22), "_", &g.mixed(ALNUM, 59)])));
    for p in ["glpat-", "gldt-", "glrt-", "gloas-", "glft-", "glsoat-", "glffct-"] {
        v.push((K::GitlabToken, "gitlab prefixed", cat(&[&p[..2], &p[2..], &g.mixed(B64URL, 20)])));
    }
    v.push((
        K::GitlabToken,
        "glpat- routable",
        cat(&["gl", "pat-", &g.mixed(ALNUM, 27), ".01", &g.chars("0123456789abcdefghijklmnopqrstuvwxyz", 7)]),
    ));
    v.push((K::GitlabToken, "glptt- trigger", cat(&["gl", "ptt-", &g.chars(HEX, 40)])));
    v.push((K::GitlabToken, "glcbt- job", cat(&["gl", "cbt-", "64_", &g.mixed(ALNUM, 20)])));
    v.push((K::GitlabToken, "glagent-", cat(&["gl", "agent-", &g.mixed(B64URL, 50)])));
    v.push((K::GitlabToken, "glimt-", cat(&["gl", "imt-", &g.mixed(B64URL, 25)])));
    v.push((K::GitlabToken, "GR1348941 runner", cat(&["GR134", "8941", &g.mixed(B64URL, 20)])));
    for p in ["AKIA", "ASIA", "ABIA", "ACCA"] {
        v.push((K::AwsAccessKey, "aws key id", cat(&[&p[..2], &p[2..], &g.chars(UPPER_DIGITS, 16)])));
    }
    v.push((K::AwsAccessKey, "A3T key id", cat(&["A3", "T", &g.chars(UPPER_DIGITS, 17)])));
    v.push((K::GcpApiKey, "AIza", cat(&["AI", "za", &g.mixed(B64URL, 35)])));
    v.push((K::SlackToken, "xoxb- bot", cat(&["xo", "xb-", &g.chars(DIGITS, 11), "-", &g.chars(DIGITS, 12), "-", &g.mixed(ALNUM, 24)])));
    v.push((
        K::SlackToken,
        "xoxp- user",
        cat(&["xo", "xp-", &g.chars(DIGITS, 11), "-", &g.chars(DIGITS, 12), "-", &g.chars(DIGITS, 13), "-", &g.chars(HEX, 32)]),
    ));
    v.push((K::SlackToken, "xoxa- workspace", cat(&["xo", "xa-2-", &g.mixed(ALNUM, 30)])));
    v.push((K::SlackToken, "xoxe.xoxp- config", cat(&["xo", "xe.xoxp-1-", &g.mixed(ALNUM, 163)])));
    v.push((K::SlackToken, "xapp- app", cat(&["xa", "pp-1-A", &g.chars(UPPER_DIGITS, 10), "-", &g.chars(DIGITS, 13), "-", &g.chars(HEX, 64)])));
    v.push((
        K::SlackToken,
        "incoming webhook",
        cat(&["https://hooks.", "slack.com/services/T", &g.chars(UPPER_DIGITS, 8), "/B", &g.chars(UPPER_DIGITS, 8), "/", &g.mixed(ALNUM, 24)]),
    ));
    v.push((
        K::SlackToken,
        "workflow webhook",
        cat(&[
            "https://hooks.",
            "slack.com/workflows/T",
            &g.chars(UPPER_DIGITS, 8),
            "/A",
            &g.chars(UPPER_DIGITS, 8),
            "/",
            &g.chars(DIGITS, 18),
            "/",
            &g.mixed(ALNUM, 24),
        ]),
    ));
    for p in ["sk_live_", "rk_live_", "sk_test_", "rk_test_"] {
        v.push((K::StripeKey, "stripe", cat(&[&p[..3], &p[3..], &g.mixed(ALNUM, 24)])));
    }
    v.push((K::StripeKey, "stripe long", cat(&["sk", "_live_", &g.mixed(ALNUM, 99)])));
    let marker = cat(&["T3Blbk", "FJ"]);
    for p in ["proj-", "svcacct-", "admin-"] {
        v.push((K::OpenaiKey, "sk-proj- project", cat(&["sk-", p, &g.mixed(B64URL, 74), &marker, &g.mixed(B64URL, 74)])));
    }
    v.push((K::OpenaiKey, "sk- legacy", cat(&["sk-", &g.mixed(ALNUM, 20), &marker, &g.mixed(ALNUM, 20)])));
    v.push((K::OpenaiKey, "sk- 48", cat(&["sk-", &g.mixed(ALNUM, 48)])));
    v.push((K::AnthropicKey, "sk-ant-api03-", cat(&["sk-", "ant-api03-", &g.mixed(B64URL, 93), "AA"])));
    v.push((K::AnthropicKey, "sk-ant-admin01-", cat(&["sk-", "ant-admin01-", &g.mixed(B64URL, 93), "AA"])));
    v.push((K::NpmToken, "npm_", cat(&["np", "m_", &g.mixed(ALNUM, 36)])));
    v.push((K::PypiToken, "pypi- upload", cat(&["py", "pi-AgEIcHlwaS5vcmc", &g.mixed(B64URL, 70)])));
    v.push((K::PypiToken, "pypi- test index", cat(&["py", "pi-AgENdGVzdC5weXBpLm9yZw", &g.mixed(B64URL, 70)])));
    v.push((K::SendgridKey, "SG.", cat(&["S", "G.", &g.mixed(B64URL, 22), ".", &g.mixed(B64URL, 43)])));
    v.push((K::TwilioKey, "SK api key", cat(&["S", "K", &g.chars(HEX, 32)])));
    v.push((K::MailgunKey, "key- private", cat(&["ke", "y-", &g.chars(HEX, 32)])));
    v.push((K::VaultToken, "hvs. service", cat(&["hv", "s.", &g.mixed(B64URL, 90)])));
    v.push((K::VaultToken, "hvb. batch", cat(&["hv", "b.", &g.mixed(B64URL, 140)])));
    for p in ["shpat_", "shpca_", "shppa_", "shpss_"] {
        v.push((K::ShopifyToken, "shopify", cat(&[&p[..3], &p[3..], &g.chars(HEX, 32)])));
    }
    v.push((K::DiscordToken, "discord webhook", cat(&["https://", "discord.com/api/webhooks/", &g.chars(DIGITS, 18), "/", &g.mixed(B64URL, 68)])));
    v.push((
        K::DiscordToken,
        "discordapp webhook",
        cat(&["https://", "discordapp.com/api/webhooks/", &g.chars(DIGITS, 18), "/", &g.mixed(B64URL, 68)]),
    ));
    v.push((K::TelegramToken, "bot token", cat(&[&g.chars("123456789", 1), &g.chars(DIGITS, 9), ":A", "A", &g.mixed(B64URL, 33)])));
    v.push((K::AzureKey, "AD client secret", cat(&[&g.mixed(ALNUM, 3), "8Q", "~", &g.mixed(ALNUM, 34)])));
    v.push((K::Jwt, "jwt", jwt(g)));
    for (p, set, len) in [
        ("hf_", LOWER, 34),
        ("api_org_", LOWER, 34),
        ("dop_v1_", HEX, 64),
        ("doo_v1_", HEX, 64),
        ("dor_v1_", HEX, 64),
        ("dp.pt.", ALNUM, 43),
        ("dp.st.", ALNUM, 43),
        ("lin_api_", ALNUM, 40),
        ("pscale_tkn_", ALNUM, 43),
        ("pscale_pw_", ALNUM, 43),
        ("pscale_oauth_", ALNUM, 43),
        ("pul-", HEX, 40),
        ("rubygems_", HEX, 48),
        ("sntryu_", HEX, 64),
        ("glc_", B64, 60),
        ("AGE-SECRET-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
        ("sq0atp-", B64URL, 22),
        ("sq0csp-", B64URL, 43),
        ("HRKU-AA", B64URL, 58),
        ("NRAK-", UPPER_DIGITS, 27),
        ("dapi", HEX, 32),
    ] {
        let body = if set == ALNUM || set == B64URL || set == B64 { g.mixed(set, len) } else { g.chars(set, len) };
        v.push((K::ApiToken, p, cat(&[&p[..2], &p[2..], &body])));
    }
    v.push((K::ApiToken, "PMAK- postman", cat(&["PM", "AK-", &g.chars(HEX, 24), "-", &g.chars(HEX, 34)])));
    v.push((K::ApiToken, "glsa_ grafana", cat(&["gl", "sa_", &g.mixed(ALNUM, 32), "_", &g.chars(HEX, 8)])));
    v.push((K::ApiToken, "sntrys_ sentry org", cat(&["sn", "trys_eyJpYXQiO", &g.mixed(B64, 80)])));
    v
}

fn jwt(g: &mut Gen) -> String {
    cat(&["ey", "J", &g.mixed(B64URL, 30), ".ey", "J", &g.mixed(B64URL, 60), ".", &g.mixed(B64URL, 43)])
}

/// Places a token may appear in, whatever its kind.
const TOKEN_CONTEXTS: [(&str, &str); 8] = [
    ("string literal", "    let client = Client::new(\"{}\");"),
    ("comment", "    // temporary: {} (remove before merge)"),
    ("markdown", "Use `{}` to log in."),
    ("yaml value", "  credentials_value: {}"),
    ("json value", "  \"value\": \"{}\","),
    ("shell", "curl -s \"https://api.example.test/v1?x={}\""),
    ("diff line", "+{}"),
    ("html attribute", "<meta data-k=\"{}\">"),
];

/// Declaration styles: (style, template with `{name}` and `{value}`). The value is a
/// random high-entropy string; the name one of the secret names.
pub const DECLARATIONS: [(&str, &str); 62] = [
    ("rust pub const typed", "pub const {NAME}: &str = \"{value}\";"),
    ("rust static lifetime", "static {NAME}: &'static str = \"{value}\";"),
    ("rust let typed String::from", "    let {name}: String = String::from(\"{value}\");"),
    ("rust let to_string", "    let {name} = \"{value}\".to_string();"),
    ("rust struct literal", "        {name}: \"{value}\".into(),"),
    ("rust raw string", "const {NAME}: &str = r#\"{value}\"#;"),
    ("typescript const typed", "const {camel}: string = \"{value}\";"),
    ("typescript readonly field", "  private readonly {camel}: string = '{value}';"),
    ("typescript union type", "let {camel}: string | undefined = \"{value}\";"),
    ("javascript const", "const {camel} = '{value}';"),
    ("javascript object key", "  {camel}: \"{value}\","),
    ("javascript template", "const {camel} = `{value}`;"),
    ("kotlin val typed", "val {camel}: String = \"{value}\""),
    ("kotlin const val", "const val {NAME} = \"{value}\""),
    ("swift let typed", "let {camel}: String = \"{value}\""),
    ("swift static let", "    static let {camel} = \"{value}\""),
    ("go var typed", "var {camel} string = \"{value}\""),
    ("go short declaration", "\t{camel} := \"{value}\""),
    ("go const", "const {Pascal} = \"{value}\""),
    ("go struct field", "\t\t{Pascal}: \"{value}\","),
    ("java static final", "    private static final String {NAME} = \"{value}\";"),
    ("java local", "        String {camel} = \"{value}\";"),
    ("csharp const", "    public const string {Pascal} = \"{value}\";"),
    ("csharp verbatim", "    var {camel} = @\"{value}\";"),
    ("php variable", "${name} = '{value}';"),
    ("php array", "    '{name}' => '{value}',"),
    ("php define", "define('{NAME}', '{value}');"),
    ("python annotated", "{NAME}: str = \"{value}\""),
    ("python plain", "{name} = '{value}'"),
    ("python kwarg", "client = connect(host=h, {name}=\"{value}\")"),
    ("python dict", "    \"{name}\": \"{value}\","),
    ("python f-string", "{name} = f\"{value}\""),
    ("ruby constant", "{NAME} = \"{value}\".freeze"),
    ("ruby hash symbol", "  {name}: \"{value}\","),
    ("ruby hash rocket", "  :{name} => '{value}',"),
    ("scala val typed", "val {camel}: String = \"{value}\""),
    ("dart final typed", "final String {camel} = '{value}';"),
    ("c const char", "static const char *{name} = \"{value}\";"),
    ("c array", "char {name}[] = \"{value}\";"),
    ("c define", "#define {NAME} \"{value}\""),
    ("cpp std string", "const std::string {name} = \"{value}\";"),
    ("objective-c NSString", "NSString *{camel} = @\"{value}\";"),
    ("perl my", "my ${name} = '{value}';"),
    ("lua local", "local {name} = \"{value}\""),
    ("r arrow", "{name} <- \"{value}\""),
    ("elixir keyword", "config :app, {name}: \"{value}\""),
    ("powershell", "${Pascal} = \"{value}\""),
    ("groovy def", "def {camel} = '{value}'"),
    ("shell export", "export {NAME}=\"{value}\""),
    ("dockerfile env", "ENV {NAME}={value}"),
    ("makefile", "{NAME} := {value}"),
    ("dotenv", "{NAME}={value}"),
    ("dotenv quoted", "{NAME}='{value}'"),
    ("yaml", "  {name}: {value}"),
    ("yaml quoted", "  {name}: \"{value}\""),
    ("toml", "{name} = \"{value}\""),
    ("json", "  \"{camel}\": \"{value}\","),
    ("ini", "{name} = {value}"),
    ("java properties", "app.datasource.{name}={value}"),
    ("xml element", "  <{camel}>{value}</{camel}>"),
    ("xml attribute", "  <add key=\"{Pascal}\" value=\"{value}\" />"),
    ("terraform", "  {name} = \"{value}\""),
];

/// More places a declaration appears, checked with one name each.
pub const MORE_DECLARATIONS: [(&str, &str); 8] = [
    ("cli flag =", "  --{kebab}={value} \\"),
    ("cli flag space", "mytool --{kebab} {value}"),
    ("docker-compose env", "      - {NAME}={value}"),
    ("github actions env", "      {NAME}: {value}"),
    ("setter call", "    builder.{camel}(\"{value}\");"),
    ("jdbc query", "jdbc:mysql://db.internal:3306/app?user=app&{name}={value}"),
    ("ado.net", "Server=db;Database=app;User Id=app;{Pascal}={value};"),
    ("clojure def", "(def {kebab} \"{value}\")"),
];

/// Secret names in snake case; the templates derive the other spellings.
const NAMES: [&str; 6] = ["api_key", "client_secret", "auth_token", "db_password", "secret_key", "access_token"];

fn spellings(snake: &str) -> [(&'static str, String); 5] {
    let words: Vec<&str> = snake.split('_').collect();
    let cap = |w: &str| {
        let mut c = w.to_owned();
        c[..1].make_ascii_uppercase();
        c
    };
    let camel: String = words.iter().enumerate().map(|(i, w)| if i == 0 { (*w).to_owned() } else { cap(w) }).collect();
    let pascal: String = words.iter().map(|w| cap(w)).collect();
    [
        ("{name}", snake.to_owned()),
        ("{NAME}", snake.to_ascii_uppercase()),
        ("{camel}", camel),
        ("{Pascal}", pascal),
        ("{kebab}", snake.replace('_', "-")),
    ]
}

fn fill(template: &str, name: &str, value: &str) -> String {
    let mut s = template.to_owned();
    for (k, v) in spellings(name) {
        s = s.replace(k, &v);
    }
    s.replace("{value}", value)
}

/// A human-chosen password: a word, digits and a symbol (built, not written).
fn human_password(g: &mut Gen) -> String {
    let words = ["Winter", "orange", "Falcon", "harbor"];
    let w = words[(g.next() % words.len() as u64) as usize];
    cat(&[w, &g.chars(DIGITS, 3), &g.chars("!#%&*", 1)])
}

/// Multi-line private key blocks, each as (style, lines).
fn key_blocks(g: &mut Gen) -> Vec<(&'static str, Vec<String>)> {
    let body = |g: &mut Gen, n: usize| -> Vec<String> {
        let mut v: Vec<String> = (0..n).map(|_| g.mixed(B64, 64)).collect();
        v.push(cat(&[&g.mixed(B64, 14), "=="]));
        v
    };
    let pem = |g: &mut Gen, label: &str, headers: &[String]| {
        let mut l = vec![armor("BEGIN", label)];
        l.extend(headers.iter().cloned());
        l.extend(body(g, 8));
        l.push(armor("END", label));
        l
    };
    let dek = vec!["Proc-Type: 4,ENCRYPTED".to_owned(), format!("DEK-Info: AES-128-CBC,{}", g.chars("0123456789ABCDEF", 32)), String::new()];
    let pgp_label = "PGP ";
    let mut pgp = vec![cat(&["-----BEGIN ", pgp_label, "PRIV", "ATE KEY BLOCK-----"]), String::new()];
    pgp.extend(body(g, 10));
    pgp.push(cat(&["=", &g.mixed(ALNUM, 4)]));
    pgp.push(cat(&["-----END ", pgp_label, "PRIV", "ATE KEY BLOCK-----"]));
    let putty = |g: &mut Gen, version: &str, argon: bool| {
        let mut l = vec![
            cat(&["PuTTY-User-", "Key-File-", version, ": ssh-ed25519"]),
            format!("Encryption: {}", if argon { "aes256-cbc" } else { "none" }),
            "Comment: eddsa-key-20240101".to_owned(),
        ];
        if argon {
            l.extend(["Key-Derivation: Argon2id", "Argon2-Memory: 8192", "Argon2-Passes: 13", "Argon2-Parallelism: 1"].map(str::to_owned));
            l.push(format!("Argon2-Salt: {}", g.chars(HEX, 32)));
        }
        l.push("Public-Lines: 2".to_owned());
        l.push(g.mixed(B64, 64));
        l.push(cat(&[&g.mixed(B64, 20), "="]));
        l.push("Private-Lines: 1".to_owned());
        l.push(cat(&[&g.mixed(B64, 43), "="]));
        l.push(format!("Private-MAC: {}", g.chars(HEX, 64)));
        l
    };
    vec![
        ("pem rsa", pem(g, "RSA ", &[])),
        ("pem ec", pem(g, "EC ", &[])),
        ("pem pkcs8", pem(g, "", &[])),
        ("pem openssh", pem(g, "OPENSSH ", &[])),
        ("pem encrypted", pem(g, "RSA ", &dek)),
        ("pgp private key block", pgp),
        ("putty v2", putty(g, "2", false)),
        ("putty v3 argon2", putty(g, "3", true)),
    ]
}

/// The whole corpus.
pub fn cases() -> Vec<Case> {
    use SecretKind as K;
    let mut g = Gen::new(2024);
    let mut out = Vec::new();
    // Every token shape, in every context, with a fresh token each time.
    for (ctx, template) in TOKEN_CONTEXTS {
        for (kind, shape, token) in tokens(&mut g) {
            out.push(Case { kind, style: format!("{shape} / {ctx}"), text: template.replace("{}", &token), secret: token });
        }
    }
    // Every declaration style with every name (and a human password for password names).
    for (style, template) in DECLARATIONS {
        for name in NAMES {
            let value = if name.ends_with("password") && style.contains("yaml") { human_password(&mut g) } else { g.mixed(ALNUM, 32) };
            out.push(Case { kind: K::AssignedSecret, style: style.to_owned(), text: fill(template, name, &value), secret: value });
        }
    }
    for (style, template) in MORE_DECLARATIONS {
        for name in ["db_password", "api_key"] {
            let value = g.mixed(ALNUM, 28);
            out.push(Case { kind: K::AssignedSecret, style: style.to_owned(), text: fill(template, name, &value), secret: value });
        }
    }
    for (style, template) in [
        ("python plain", "{name} = '{value}'"),
        ("java local", "        String {camel} = \"{value}\";"),
        ("dotenv", "{NAME}={value}"),
        ("json", "  \"{camel}\": \"{value}\","),
    ] {
        let value = human_password(&mut g);
        out.push(Case {
            kind: K::AssignedSecret,
            style: format!("human password / {style}"),
            text: fill(template, "password", &value),
            secret: value,
        });
    }
    // Vendor secrets known only by their names.
    let aws_secret = g.mixed(B64, 40);
    out.push(Case {
        kind: K::AwsSecretKey,
        style: "rust pub const typed".into(),
        text: format!("pub const AWS_SECRET_ACCESS_KEY: &str = \"{aws_secret}\";"),
        secret: aws_secret,
    });
    for (style, template) in [
        ("ini", "aws_secret_access_key = {value}"),
        ("dotenv", "AWS_SECRET_ACCESS_KEY={value}"),
        ("typescript const typed", "const awsSecretAccessKey: string = \"{value}\";"),
        ("yaml", "  aws_secret_access_key: {value}"),
    ] {
        let value = g.mixed(B64, 40);
        out.push(Case { kind: K::AwsSecretKey, style: style.into(), text: template.replace("{value}", &value), secret: value });
    }
    for (style, text_of) in [
        ("datadog api key", "DD_API_KEY={value}"),
        ("datadog app key", "  datadog_app_key: \"{value}\""),
        ("datadog env", "DATADOG_API_KEY: {value}"),
    ] {
        let value = g.chars(HEX, if style.contains("app") { 40 } else { 32 });
        out.push(Case { kind: K::DatadogKey, style: style.into(), text: text_of.replace("{value}", &value), secret: value });
    }
    for (kind, style, text_of, value) in [
        (K::TwilioKey, "twilio auth token", "TWILIO_AUTH_TOKEN=\"{value}\"", g.chars(HEX, 32)),
        (
            K::MailgunKey,
            "mailgun new-style key",
            "MAILGUN_API_KEY = \"{value}\"",
            cat(&[&g.chars(HEX, 32), "-", &g.chars(HEX, 8), "-", &g.chars(HEX, 8)]),
        ),
        (
            K::DiscordToken,
            "discord bot token",
            "DISCORD_TOKEN = \"{value}\"",
            cat(&["M", &g.mixed(B64URL, 25), ".", &g.mixed(B64URL, 6), ".", &g.mixed(B64URL, 38)]),
        ),
        (
            K::DiscordToken,
            "discord bot token, generic name",
            "bot_token: \"{value}\"",
            cat(&["N", &g.mixed(B64URL, 25), ".", &g.mixed(B64URL, 6), ".", &g.mixed(B64URL, 38)]),
        ),
        (
            K::DiscordToken,
            "discord Authorization: Bot",
            "headers = {\"Authorization\": \"Bot {value}\"}",
            cat(&["M", &g.mixed(B64URL, 25), ".", &g.mixed(B64URL, 6), ".", &g.mixed(B64URL, 38)]),
        ),
        (
            K::TelegramToken,
            "telegram env",
            "TELEGRAM_BOT_TOKEN={value}",
            cat(&[&g.chars("123456789", 1), &g.chars(DIGITS, 9), ":A", "A", &g.mixed(B64URL, 33)]),
        ),
    ] {
        out.push(Case { kind, style: style.into(), text: text_of.replace("{value}", &value), secret: value });
    }
    // Azure storage and service bus connection strings, SAS URLs.
    let account_key = cat(&[&g.mixed(B64, 86), "=="]);
    out.push(Case {
        kind: K::AzureKey,
        style: "storage connection string".into(),
        text: format!(
            "\"AzureWebJobsStorage\": \"DefaultEndpointsProtocol=https;AccountName=stacct;AccountKey={account_key};EndpointSuffix=core.windows.net\""
        ),
        secret: account_key,
    });
    let sb_key = cat(&[&g.mixed(B64, 43), "="]);
    out.push(Case {
        kind: K::AzureKey,
        style: "service bus connection string".into(),
        text: format!("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={sb_key}"),
        secret: sb_key,
    });
    let sig = cat(&[&g.mixed(ALNUM, 20), "%2B", &g.mixed(ALNUM, 18), "%2F", &g.mixed(ALNUM, 4), "%3D"]);
    out.push(Case {
        kind: K::AzureKey,
        style: "sas url".into(),
        text: format!("https://stacct.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig={sig}"),
        secret: sig,
    });
    // Connection strings with a password, in many schemes.
    for scheme in
        ["postgres", "postgresql", "mysql", "mongodb", "mongodb+srv", "redis", "rediss", "amqp", "amqps", "mssql", "https", "ftp", "smtp", "ldap"]
    {
        let pass = g.mixed(ALNUM, 20);
        out.push(Case {
            kind: K::ConnectionString,
            style: format!("{scheme} url"),
            text: format!("DATABASE_URL=\"{scheme}://app_user:{pass}@db.internal:5432/app\""),
            secret: pass,
        });
    }
    let pass = human_password(&mut g);
    out.push(Case {
        kind: K::ConnectionString,
        style: "human password in url".into(),
        text: format!("    url: mysql://root:{pass}@localhost/test_db"),
        secret: pass,
    });
    let pass = g.mixed(ALNUM, 16);
    out.push(Case {
        kind: K::ConnectionString,
        style: "jdbc url".into(),
        text: format!("spring.datasource.url=jdbc:postgresql://admin:{pass}@db:5432/app"),
        secret: pass,
    });
    let user_token = g.mixed(ALNUM, 40);
    out.push(Case {
        kind: K::ConnectionString,
        style: "token as url user".into(),
        text: format!("git clone https://{user_token}@git.example.test/org/repo.git"),
        secret: user_token,
    });
    // Authorization headers.
    for (style, template) in [
        ("http header", "Authorization: Bearer {value}"),
        ("curl -H", "curl -H \"Authorization: Bearer {value}\" https://api.example.test"),
        ("headers dict token", "headers = {\"Authorization\": \"token {value}\"}"),
        ("bearer string", "    req.Header.Set(\"Authorization\", \"Bearer {value}\")"),
        ("yaml header", "      authorization: Bearer {value}"),
        ("http client builder", "    .header(AUTHORIZATION, \"Bearer {value}\")"),
    ] {
        let value = g.mixed(B64URL, 40);
        out.push(Case { kind: K::AuthHeader, style: style.into(), text: template.replace("{value}", &value), secret: value });
    }
    let basic = cat(&[&g.mixed(B64, 30), "="]);
    out.push(Case {
        kind: K::AuthHeader,
        style: "basic auth".into(),
        text: format!("curl -H 'Authorization: Basic {basic}' https://x.example.test"),
        secret: basic,
    });
    // Private keys: in a diff, in a prompt, in JSON on one line, cut by a hunk's end.
    for (style, lines) in key_blocks(&mut g) {
        let material: Vec<String> = lines.iter().filter(|l| looks_like_material(l)).cloned().collect();
        let secret = material.join("\n");
        let diff: String = lines.iter().map(|l| format!("+{l}\n")).collect();
        out.push(Case {
            kind: K::PrivateKey,
            style: format!("{style} / diff"),
            text: format!("@@ -0,0 +1,{} @@\n{diff}", lines.len()),
            secret: secret.clone(),
        });
        let prompt: String = lines.iter().enumerate().map(|(i, l)| format!("{}+{l}\n", i + 1)).collect();
        out.push(Case { kind: K::PrivateKey, style: format!("{style} / prompt"), text: prompt, secret: secret.clone() });
        if style.starts_with("pem") {
            let json = format!("  \"private_key\": \"{}\\n\",", lines.join("\\n"));
            out.push(Case { kind: K::PrivateKey, style: format!("{style} / json one line"), text: json, secret: secret.clone() });
            let cut: String = lines[..5].iter().map(|l| format!("+{l}\n")).collect();
            let cut_secret = lines[1..5].iter().filter(|l| looks_like_material(l)).cloned().collect::<Vec<_>>().join("\n");
            out.push(Case {
                kind: K::PrivateKey,
                style: format!("{style} / cut by hunk end"),
                text: format!("{cut} fn after() {{}}\n"),
                secret: cut_secret,
            });
        }
    }
    out
}

/// A line of a key block that is key material (the generator's base64 lines, MAC, salt).
fn looks_like_material(l: &str) -> bool {
    let v = l.rsplit(": ").next().unwrap_or(l);
    let starts_header = l.contains(": ") && !(l.starts_with("Private-MAC") || l.starts_with("Argon2-Salt") || l.starts_with("DEK-Info"));
    !starts_header
        && v.len() >= 4
        && v.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b',' | b'-'))
        && !l.starts_with("-----")
}

/// The parts of a case's secret that must not survive redaction: each line of it, or for
/// a DEK-Info header the IV after the comma.
pub fn secret_parts(secret: &str) -> Vec<&str> {
    secret.lines().map(|l| l.rsplit([',', ' ']).next().unwrap_or(l)).filter(|l| l.len() >= 4).collect()
}
