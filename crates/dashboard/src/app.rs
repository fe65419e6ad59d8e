//! The GitHub App ArgusAI needs, in one place: its permissions and webhook
//! events (also rendered into the README and `config/github-app-manifest.json`
//! by `UPDATE_SCHEMA=1 cargo test -p argus-dashboard`, and checked by the
//! tests), the manifest the `/setup` page sends to GitHub, and what comes back
//! from the manifest conversion, turned into the commands that install it.
//!
//! The manifest flow: <https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest>.

use crate::shell::single_quote;
use argus_core::secret::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

/// Read or read and write, as GitHub's `default_permissions` spell them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// One repository permission of the App.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permission {
    /// GitHub's name in `default_permissions` (and in installation tokens' `permissions`).
    pub name: &'static str,
    pub access: Access,
    /// As GitHub's settings page labels it.
    pub label: &'static str,
    pub why: &'static str,
}

/// One webhook event the App subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookEvent {
    /// GitHub's name in `default_events` (and the `X-GitHub-Event` header).
    pub name: &'static str,
    pub label: &'static str,
    pub why: &'static str,
}

/// Every permission ArgusAI uses, and nothing more
/// (<https://docs.github.com/en/apps/creating-github-apps/registering-a-github-app/choosing-permissions-for-a-github-app>).
pub const PERMISSIONS: &[Permission] = &[
    Permission { name: "pull_requests", access: Access::Write, label: "Pull requests", why: "read pull requests and their files; post the review" },
    Permission {
        name: "contents",
        access: Access::Read,
        label: "Contents",
        why: "read `.github/argusai.toml` and guidance files from the base branch; compare commits",
    },
    Permission { name: "checks", access: Access::Write, label: "Checks", why: "the ArgusAI check run on each reviewed commit" },
    Permission {
        name: "issues",
        access: Access::Write,
        label: "Issues",
        why: "the summary comment, notes and 👀 reactions (pull request comments are issue comments)",
    },
    Permission { name: "metadata", access: Access::Read, label: "Metadata", why: "required by every GitHub App" },
];

/// Every webhook event ArgusAI acts on
/// (<https://docs.github.com/en/webhooks/webhook-events-and-payloads>).
pub const EVENTS: &[WebhookEvent] = &[
    WebhookEvent { name: "pull_request", label: "Pull request", why: "opened, pushed to, reopened, ready for review, converted to draft, closed" },
    WebhookEvent { name: "issue_comment", label: "Issue comment", why: "`@argusai` commands in pull request comments" },
    WebhookEvent {
        name: "pull_request_review_comment",
        label: "Pull request review comment",
        why: "replies in ArgusAI's review threads and `@argusai explain`/`fix`/`resolve`/questions on diff lines",
    },
];

pub const DEFAULT_NAME: &str = "ArgusAI";
/// GitHub refuses App names longer than this.
pub const MAX_NAME_CHARS: usize = 34;
pub const DESCRIPTION: &str = "Reviews pull requests with an LLM: inline findings, a summary comment and a check run.";

/// Where the App is registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Account {
    Personal,
    Organization(String),
}

impl Account {
    /// From the setup form: `personal`, or `organization` plus the organization's login.
    pub fn parse(kind: &str, org: &str) -> Result<Account, String> {
        match kind {
            "personal" | "" => Ok(Account::Personal),
            "organization" => {
                let org = org.trim();
                if valid_login(org) {
                    Ok(Account::Organization(org.to_string()))
                } else {
                    Err("enter the organization's login (letters, digits and single hyphens)".into())
                }
            }
            other => Err(format!("unknown account type `{}`", other.chars().take(20).collect::<String>())),
        }
    }
}

/// GitHub logins: 1–39 letters, digits or hyphens, not starting or ending with
/// a hyphen, no double hyphen.
pub fn valid_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// A usable App name from the form: trimmed, control characters removed,
/// at most [`MAX_NAME_CHARS`]; empty input means [`DEFAULT_NAME`].
pub fn clean_name(raw: &str) -> String {
    let name: String = raw.chars().filter(|c| !c.is_control()).collect::<String>().trim().chars().take(MAX_NAME_CHARS).collect();
    let name = name.trim().to_string();
    if name.is_empty() { DEFAULT_NAME.to_string() } else { name }
}

/// App names are unique across GitHub, so the page offers alternatives in case
/// `name` is taken (GitHub's form lets the operator edit the name too).
pub fn fallback_names(name: &str, account: &Account, suffix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |n: String| {
        let n: String = n.chars().take(MAX_NAME_CHARS).collect();
        if n != name && !out.contains(&n) {
            out.push(n);
        }
    };
    if let Account::Organization(org) = account {
        push(format!("{name} for {org}"));
        push(format!("{org} {name}"));
    }
    push(format!("{name} Reviewer"));
    push(format!("{name}-{suffix}"));
    out
}

/// The Worker's public URLs the manifest points GitHub at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Urls {
    /// `https://argusai.example.workers.dev`, no trailing slash.
    pub origin: String,
}

impl Urls {
    pub fn new(origin: &str) -> Self {
        Urls { origin: origin.trim_end_matches('/').to_string() }
    }
    pub fn webhook(&self) -> String {
        format!("{}/webhooks/github", self.origin)
    }
    pub fn setup_callback(&self) -> String {
        format!("{}/setup/callback", self.origin)
    }
    pub fn oauth_callback(&self) -> String {
        format!("{}/auth/callback", self.origin)
    }
    pub fn dashboard(&self) -> String {
        format!("{}/dashboard", self.origin)
    }
}

/// The manifest (`manifest` form field) for an App named `name` served at `urls`.
pub fn manifest(name: &str, urls: &Urls) -> Value {
    let permissions: serde_json::Map<String, Value> = PERMISSIONS.iter().map(|p| (p.name.to_string(), Value::from(p.access.as_str()))).collect();
    json!({
        "name": name,
        "url": urls.origin,
        "description": DESCRIPTION,
        "hook_attributes": { "url": urls.webhook(), "active": true },
        // Where GitHub sends the operator back with the conversion code.
        "redirect_url": urls.setup_callback(),
        // Sign in with GitHub for the dashboard (the App's user-to-server flow).
        "callback_urls": [urls.oauth_callback()],
        // After someone installs the App, the dashboard shows what it can see.
        "setup_url": urls.dashboard(),
        "setup_on_update": false,
        "request_oauth_on_install": false,
        // Private: only the account that registers it can install it.
        "public": false,
        "default_permissions": permissions,
        "default_events": EVENTS.iter().map(|e| e.name).collect::<Vec<_>>(),
    })
}

/// Where the form posts: GitHub's "register an App from a manifest" page for
/// the account, with the `state` GitHub hands back on the redirect.
pub fn new_app_url(web_url: &str, account: &Account, state: &str) -> String {
    let web = web_url.trim_end_matches('/');
    match account {
        Account::Personal => format!("{web}/settings/apps/new?state={state}"),
        Account::Organization(org) => {
            format!("{web}/organizations/{org}/settings/apps/new?state={state}")
        }
    }
}

/// The App as `POST /app-manifests/{code}/conversions` returns it
/// (<https://docs.github.com/en/rest/apps/apps#create-a-github-app-from-a-manifest>).
#[derive(Clone, Debug)]
pub struct AppCredentials {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// GitHub generates one for the App; `None` if it returned none.
    pub webhook_secret: Option<SecretString>,
    pub pem: SecretString,
    pub html_url: String,
    pub owner: Option<String>,
}

#[derive(Deserialize)]
struct RawConversion {
    id: u64,
    slug: String,
    #[serde(default)]
    name: String,
    client_id: String,
    client_secret: String,
    webhook_secret: Option<String>,
    pem: String,
    html_url: String,
    owner: Option<RawOwner>,
}

#[derive(Deserialize)]
struct RawOwner {
    login: String,
}

impl AppCredentials {
    /// Parses the conversion's 201 body. The error never quotes the body (it holds secrets).
    pub fn parse(body: &[u8]) -> Result<AppCredentials, String> {
        let raw: RawConversion =
            serde_json::from_slice(body).map_err(|e| format!("unexpected conversion response (field error at column {})", e.column()))?;
        if !raw.pem.contains("PRIVATE KEY") {
            return Err("the conversion response carries no private key".into());
        }
        Ok(AppCredentials {
            id: raw.id,
            slug: raw.slug,
            name: raw.name,
            client_id: raw.client_id,
            client_secret: SecretString::new(raw.client_secret),
            webhook_secret: raw.webhook_secret.filter(|s| !s.trim().is_empty()).map(SecretString::new),
            pem: SecretString::new(raw.pem),
            html_url: raw.html_url,
            owner: raw.owner.map(|o| o.login),
        })
    }

    /// Where the operator installs the App on repositories.
    pub fn install_url(&self) -> String {
        format!("{}/installations/new", self.html_url.trim_end_matches('/'))
    }
}

/// Secrets ArgusAI generates at setup (random, from the platform).
#[derive(Clone, Debug)]
pub struct GeneratedSecrets {
    /// Used when GitHub returned no webhook secret; the page then says to set it on the App.
    pub webhook_secret: SecretString,
    pub session_keys: SecretString,
    pub setup_token: SecretString,
}

/// The vars ArgusAI needs in `wrangler.toml` (`[env.production.vars]`): the
/// App id and client id are not secrets, and a secret may not share a var's name.
pub fn wrangler_vars(creds: &AppCredentials) -> String {
    format!("GITHUB_APP_ID = \"{}\"\nGITHUB_CLIENT_ID = \"{}\"\n", creds.id, creds.client_id)
}

/// The secrets to install, in the order the script installs them.
pub fn secrets<'a>(creds: &'a AppCredentials, generated: &'a GeneratedSecrets) -> Vec<(&'static str, &'a SecretString)> {
    vec![
        ("GITHUB_APP_PRIVATE_KEY", &creds.pem),
        ("GITHUB_WEBHOOK_SECRET", creds.webhook_secret.as_ref().unwrap_or(&generated.webhook_secret)),
        ("GITHUB_CLIENT_SECRET", &creds.client_secret),
        ("SESSION_KEYS", &generated.session_keys),
        ("SETUP_TOKEN", &generated.setup_token),
    ]
}

/// A shell script that stores every secret with `wrangler secret put` (values
/// on stdin, never on the command line, so they stay out of `ps` and history).
/// `env` is the wrangler environment (`production`), or `None` for the top level.
pub fn secret_script(creds: &AppCredentials, generated: &GeneratedSecrets, env: Option<&str>) -> String {
    let env_flag = env.map(|e| format!(" --env {e}")).unwrap_or_default();
    let mut s = String::new();
    s.push_str(&format!(
        "#!/usr/bin/env bash\n# Secrets of the GitHub App {} (id {}), for ArgusAI. Run it once in your ArgusAI checkout,\n# then delete it: it holds the App's private key.\nset -euo pipefail\n",
        single_line(&creds.name),
        creds.id
    ));
    for (name, value) in secrets(creds, generated) {
        s.push_str(&format!("printf '%s' {} | npx wrangler secret put {name}{env_flag}\n", single_quote(value.expose().trim_end_matches('\n'))));
    }
    s
}

fn single_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The README's permissions and events, generated from [`PERMISSIONS`] and [`EVENTS`].
pub fn readme_block() -> String {
    let mut s = String::from("| permission | access | why |\n|---|---|---|\n");
    for p in PERMISSIONS {
        s.push_str(&format!("| {} | {} | {} |\n", p.label, if p.access == Access::Write { "read & write" } else { "read" }, p.why));
    }
    s.push_str("\n| event | why |\n|---|---|\n");
    for e in EVENTS {
        s.push_str(&format!("| {} (`{}`) | {} |\n", e.label, e.name, e.why));
    }
    s
}

/// `config/github-app-manifest.json`: the manifest for a Worker at
/// [`TEMPLATE_ORIGIN`], which `scripts/create-app` rewrites to its own URLs.
pub const TEMPLATE_ORIGIN: &str = "https://argusai.example.workers.dev";

pub fn manifest_template() -> String {
    let mut s = serde_json::to_string_pretty(&manifest(DEFAULT_NAME, &Urls::new(TEMPLATE_ORIGIN))).expect("manifest serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_points_every_url_at_the_worker() {
        let m = manifest("ArgusAI", &Urls::new("https://w.example/"));
        assert_eq!(m["hook_attributes"]["url"], "https://w.example/webhooks/github");
        assert_eq!(m["redirect_url"], "https://w.example/setup/callback");
        assert_eq!(m["callback_urls"], json!(["https://w.example/auth/callback"]));
        assert_eq!(m["setup_url"], "https://w.example/dashboard");
        assert_eq!(
            m["default_permissions"],
            json!({"pull_requests": "write", "contents": "read", "checks": "write", "issues": "write", "metadata": "read"})
        );
        assert_eq!(m["default_events"], json!(["pull_request", "issue_comment", "pull_request_review_comment"]));
        assert_eq!(m["public"], false);
    }

    #[test]
    fn accounts_and_names() {
        assert_eq!(Account::parse("organization", " octo-org "), Ok(Account::Organization("octo-org".into())));
        for bad in ["", "-x", "x-", "a--b", "a b", "<x>"] {
            assert!(Account::parse("organization", bad).is_err(), "{bad}");
        }
        assert_eq!(new_app_url("https://github.com/", &Account::Personal, "s1"), "https://github.com/settings/apps/new?state=s1");
        assert_eq!(
            new_app_url("https://ghe.example", &Account::Organization("o".into()), "s"),
            "https://ghe.example/organizations/o/settings/apps/new?state=s"
        );
        assert_eq!(clean_name("  "), "ArgusAI");
        assert_eq!(clean_name(&"x".repeat(50)).len(), MAX_NAME_CHARS);
        assert_eq!(
            fallback_names("ArgusAI", &Account::Organization("acme".into()), "7f3a"),
            ["ArgusAI for acme", "acme ArgusAI", "ArgusAI Reviewer", "ArgusAI-7f3a"]
        );
    }
}
